//! The relay's metrics: backlog, age of the oldest unpublished event, commit-to-publish
//! latency, published and failed counts.

use prometheus::{Gauge, Histogram, HistogramOpts, IntCounter, IntGauge, Registry};

/// Registered in the server's registry, exposed on `/metrics`.
#[derive(Clone)]
pub struct RelayMetrics {
    /// `outbox_backlog_events`: events waiting to be published.
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
    /// Creates and registers the metrics.
    ///
    /// # Errors
    /// When a metric of the same name is already registered.
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
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
