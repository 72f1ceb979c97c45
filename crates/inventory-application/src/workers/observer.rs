//! What the workers report, for metrics. The server implements it with Prometheus; the
//! library's default observes nothing.

use std::time::Duration;

/// Told about the workers' progress. Every method does nothing by default.
pub trait WorkerObserver: Send + Sync {
    /// The expiry worker released `count` reservations.
    fn expired(&self, count: usize) {
        let _ = count;
    }

    /// Events not yet in the broker, and how long the oldest of them has waited.
    fn relay_backlog(&self, events: u64, oldest_age: Duration) {
        let _ = (events, oldest_age);
    }

    /// The relay published events; `latencies` from each change to its publication.
    fn relay_published(&self, latencies: &[Duration]) {
        let _ = latencies;
    }

    /// A relay round failed (broker down, outbox unreadable).
    fn relay_failed(&self) {}

    /// Whether this process's relay is the one publishing.
    fn relay_leader(&self, leading: bool) {
        let _ = leading;
    }

    /// A webhook delivery attempt ended with `outcome`.
    fn webhook_delivery(&self, outcome: inventory_ports::DeliveryOutcome) {
        let _ = outcome;
    }
}

/// Observes nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoObserver;

impl WorkerObserver for NoObserver {}
