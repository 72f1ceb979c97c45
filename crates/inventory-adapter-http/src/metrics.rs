//! Prometheus metrics: the design document's request histogram and stock counter, plus
//! reservation outcomes. Other parts of the server (the expiry worker, the event relay)
//! register their own metrics in the same registry.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, web};
use prometheus::{
    HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
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
        registry.register(Box::new(reservations.clone()))?;
        registry.register(Box::new(sse_clients.clone()))?;
        Ok(Self {
            registry,
            http_request_duration,
            stock_operations,
            reservations,
            sse_clients,
        })
    }

    /// The registry, for other components' metrics.
    pub fn registry(&self) -> &Registry {
        &self.registry
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

    /// Everything, in the Prometheus text format.
    ///
    /// # Errors
    /// Only if a metric cannot be encoded (a bug).
    pub fn render(&self) -> prometheus::Result<String> {
        TextEncoder::new().encode_to_string(&self.registry.gather())
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
