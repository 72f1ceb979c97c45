//! Prometheus metrics, all in one registry: the design document's request histogram and stock
//! counter, reservation outcomes, live streams, events the server could not decode, and what
//! the background workers report (it is their [`WorkerObserver`]).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, web};
use inventory_application::{CacheStats, WorkerObserver};
use prometheus::{
    Gauge, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    /// `http_request_duration_seconds{method, endpoint, status}`; `endpoint` is the route
    /// pattern (`/api/v1/products/{product_id}`), never the raw path, so ids do not explode
    /// the number of series.
    pub http_request_duration: HistogramVec,
    /// `stock_operations_total{operation, store_id, status}`: `operation` is adjust, count,
    /// reserve, confirm, cancel or expire; `status` is `ok` or the error code.
    pub stock_operations: IntCounterVec,
    /// `reservations_total{outcome}`: created, rejected, confirmed, cancelled, expired.
    pub reservations: IntCounterVec,
    /// `sse_clients`: open live streams.
    pub sse_clients: IntGauge,
    /// `events_skipped_total{reason}`: events a reader of this build could not decode
    /// (`unknown_type`, `unknown_version`, `malformed`) and skipped rather than guessed.
    pub events_skipped: IntCounterVec,
    /// The outbox relay's gauges and counters.
    pub relay: RelayMetrics,
    /// `webhook_deliveries_total{outcome}`: webhook delivery attempts by outcome (DELIVERED,
    /// FAILED, DEAD).
    pub webhook_deliveries: IntCounterVec,
    /// The availability read model's counters, copied at each scrape.
    cache: CacheMetrics,
}

/// What the availability read model reports: `cache_requests_total{cache, result}` (the
/// design document's metric; `result` is `hit` or `miss`), `cache_evictions_total{cache}`,
/// `cache_entries{cache}` and `cache_capacity_entries{cache}`.
struct CacheMetrics {
    requests: IntCounterVec,
    evictions: IntCounterVec,
    entries: IntGaugeVec,
    capacity: IntGaugeVec,
    /// The counters as last copied: counters only move forward, by the difference.
    last: Mutex<CacheStats>,
}

impl CacheMetrics {
    fn register(registry: &Registry) -> prometheus::Result<Self> {
        let metrics = Self {
            requests: IntCounterVec::new(
                Opts::new("cache_requests_total", "Read model lookups by result"),
                &["cache", "result"],
            )?,
            evictions: IntCounterVec::new(
                Opts::new(
                    "cache_evictions_total",
                    "Read model entries dropped to stay within capacity",
                ),
                &["cache"],
            )?,
            entries: IntGaugeVec::new(
                Opts::new("cache_entries", "Read model entries held"),
                &["cache"],
            )?,
            capacity: IntGaugeVec::new(
                Opts::new(
                    "cache_capacity_entries",
                    "Most entries the read model holds",
                ),
                &["cache"],
            )?,
            last: Mutex::new(CacheStats::default()),
        };
        registry.register(Box::new(metrics.requests.clone()))?;
        registry.register(Box::new(metrics.evictions.clone()))?;
        registry.register(Box::new(metrics.entries.clone()))?;
        registry.register(Box::new(metrics.capacity.clone()))?;
        Ok(metrics)
    }

    fn observe(&self, cache: &str, now: CacheStats) {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let requests = |result: &str, now: u64, before: u64| {
            self.requests
                .with_label_values(&[cache, result])
                .inc_by(now.saturating_sub(before));
        };
        requests("hit", now.hits, last.hits);
        requests("miss", now.misses, last.misses);
        self.evictions
            .with_label_values(&[cache])
            .inc_by(now.evictions.saturating_sub(last.evictions));
        self.entries
            .with_label_values(&[cache])
            .set(i64::try_from(now.entries).unwrap_or(i64::MAX));
        self.capacity
            .with_label_values(&[cache])
            .set(i64::try_from(now.capacity).unwrap_or(i64::MAX));
        *last = now;
    }
}

/// What the outbox relay reports.
pub struct RelayMetrics {
    /// `outbox_backlog_events`: events not yet in Redis.
    pub backlog: IntGauge,
    /// `outbox_oldest_unpublished_age_seconds`: how long the oldest waiting event has waited.
    pub oldest_age: Gauge,
    /// `outbox_publish_latency_seconds`: from the change to the stream entry.
    pub latency: Histogram,
    /// `outbox_published_events_total`.
    pub published: IntCounter,
    /// `outbox_publish_failures_total`: failed attempts (Redis down, refused).
    pub failures: IntCounter,
    /// `outbox_relay_leader`: 1 while this process's relay holds the lease.
    pub leader: IntGauge,
}

impl RelayMetrics {
    fn register(registry: &Registry) -> prometheus::Result<Self> {
        let metrics = Self {
            backlog: IntGauge::new(
                "outbox_backlog_events",
                "Events in the outbox not yet published",
            )?,
            oldest_age: Gauge::new(
                "outbox_oldest_unpublished_age_seconds",
                "Age of the oldest event not yet published (0 when none waits)",
            )?,
            latency: Histogram::with_opts(
                HistogramOpts::new(
                    "outbox_publish_latency_seconds",
                    "Time from a change to its event's entry in the stream",
                )
                .buckets(vec![
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0,
                ]),
            )?,
            published: IntCounter::new(
                "outbox_published_events_total",
                "Events published to the stream",
            )?,
            failures: IntCounter::new(
                "outbox_publish_failures_total",
                "Failed attempts to publish",
            )?,
            leader: IntGauge::new(
                "outbox_relay_leader",
                "1 while this process's relay publishes",
            )?,
        };
        registry.register(Box::new(metrics.backlog.clone()))?;
        registry.register(Box::new(metrics.oldest_age.clone()))?;
        registry.register(Box::new(metrics.latency.clone()))?;
        registry.register(Box::new(metrics.published.clone()))?;
        registry.register(Box::new(metrics.failures.clone()))?;
        registry.register(Box::new(metrics.leader.clone()))?;
        Ok(metrics)
    }
}

/// The design document's buckets, in seconds.
const REQUEST_BUCKETS: [f64; 9] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

impl Metrics {
    /// A fresh registry with the HTTP metrics registered.
    ///
    /// # Errors
    /// Only if two metrics had the same name (a bug).
    pub fn new() -> prometheus::Result<Self> {
        let registry = Registry::new();
        let http_request_duration = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by route pattern",
            )
            .buckets(REQUEST_BUCKETS.to_vec()),
            &["method", "endpoint", "status"],
        )?;
        let stock_operations = IntCounterVec::new(
            Opts::new(
                "stock_operations_total",
                "Stock-changing operations by outcome",
            ),
            &["operation", "store_id", "status"],
        )?;
        let reservations = IntCounterVec::new(
            Opts::new("reservations_total", "Reservation outcomes"),
            &["outcome"],
        )?;
        registry.register(Box::new(http_request_duration.clone()))?;
        registry.register(Box::new(stock_operations.clone()))?;
        let sse_clients = IntGauge::new("sse_clients", "Open live availability streams")?;
        let events_skipped = IntCounterVec::new(
            Opts::new(
                "events_skipped_total",
                "Events this build could not decode, skipped rather than guessed",
            ),
            &["reason"],
        )?;
        registry.register(Box::new(reservations.clone()))?;
        registry.register(Box::new(sse_clients.clone()))?;
        registry.register(Box::new(events_skipped.clone()))?;
        let relay = RelayMetrics::register(&registry)?;
        let webhook_deliveries = IntCounterVec::new(
            Opts::new(
                "webhook_deliveries_total",
                "Webhook delivery attempts by outcome",
            ),
            &["outcome"],
        )?;
        registry.register(Box::new(webhook_deliveries.clone()))?;
        let cache = CacheMetrics::register(&registry)?;
        Ok(Self {
            cache,
            webhook_deliveries,
            registry,
            http_request_duration,
            stock_operations,
            reservations,
            sse_clients,
            events_skipped,
            relay,
        })
    }

    /// Counts one stock operation. Requests that named an unknown or invalid store are
    /// counted under `store_id="unknown"`, so a client cannot create series at will.
    pub fn count_stock_operation(
        &self,
        operation: &str,
        store_id: &str,
        status: &str,
        store_known: bool,
    ) {
        let store = if store_known { store_id } else { "unknown" };
        self.stock_operations
            .with_label_values(&[operation, store, status])
            .inc();
    }

    /// Copies the availability read model's counters (at each scrape: the cache counts with
    /// atomics, not through the registry, to stay cheap on the hottest read).
    pub fn observe_availability_cache(&self, stats: CacheStats) {
        self.cache.observe("availability", stats);
    }

    /// Everything, in the Prometheus text format.
    ///
    /// # Errors
    /// Only if a metric cannot be encoded (a bug).
    pub fn render(&self) -> prometheus::Result<String> {
        TextEncoder::new().encode_to_string(&self.registry.gather())
    }
}

impl WorkerObserver for Metrics {
    fn expired(&self, count: usize) {
        self.reservations
            .with_label_values(&["expired"])
            .inc_by(count as u64);
        self.stock_operations
            .with_label_values(&["expire", "all", "ok"])
            .inc_by(count as u64);
    }

    fn relay_backlog(&self, events: u64, oldest_age: Duration) {
        self.relay
            .backlog
            .set(i64::try_from(events).unwrap_or(i64::MAX));
        self.relay.oldest_age.set(oldest_age.as_secs_f64());
    }

    fn relay_published(&self, latencies: &[Duration]) {
        self.relay.published.inc_by(latencies.len() as u64);
        for latency in latencies {
            self.relay.latency.observe(latency.as_secs_f64());
        }
    }

    fn relay_failed(&self) {
        self.relay.failures.inc();
    }

    fn relay_leader(&self, leading: bool) {
        self.relay.leader.set(i64::from(leading));
    }

    fn webhook_delivery(&self, outcome: inventory_ports::DeliveryOutcome) {
        self.webhook_deliveries
            .with_label_values(&[outcome.as_str()])
            .inc();
    }
}

/// Middleware: observes every request's duration under its route pattern.
pub async fn track_requests(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    // A fixed set: a client sending made-up methods must not create series.
    let method: &'static str = match request.method().as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        "HEAD" => "HEAD",
        "PATCH" => "PATCH",
        _ => "OTHER",
    };
    let metrics = request.app_data::<web::Data<Metrics>>().cloned();
    // Known before routing, so errors that never reach a response are labelled too.
    let endpoint = request
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let result = next.call(request).await;
    if let Some(metrics) = metrics {
        let status = match &result {
            Ok(response) => response.status(),
            Err(error) => error.as_response_error().status_code(),
        };
        metrics
            .http_request_duration
            .with_label_values(&[method, endpoint.as_str(), status.as_str()])
            .observe(started.elapsed().as_secs_f64());
    }
    result
}
