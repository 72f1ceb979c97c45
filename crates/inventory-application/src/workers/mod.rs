//! The background work of a running inventory, on tokio:
//!
//! - [`ExpiryWorker`]: releases reservations when their time runs out;
//! - [`CacheFollower`]: keeps the availability read model true to other processes' commits;
//! - [`KeyPurgeWorker`]: forgets idempotency answers once their retention has passed;
//! - [`OutboxRelay`]: publishes the outbox, in order, through the
//!   [`inventory_ports::EventPublisher`] port;
//! - [`WebhookWorker`]: delivers the outbox to registered webhook endpoints, signed, in order,
//!   with retries, through the [`inventory_ports::WebhookSender`] port;
//! - the helpers every async caller of the synchronous use cases shares: [`blocking`] (run a
//!   storage call off the async threads) and [`Backoff`] (how long to wait after a failure).
//!
//! The workers run until their shutdown signal (a `watch` channel turning true), never stop
//! on an error, and report what they do to a [`WorkerObserver`] (the server's metrics).

mod backoff;
mod blocking;
mod broker_status;
mod cache_follower;
mod expiry;
mod key_purge;
mod observer;
mod relay;
mod webhooks;

pub use backoff::Backoff;
pub use blocking::blocking;
pub use broker_status::BrokerStatus;
pub use cache_follower::CacheFollower;
pub use expiry::ExpiryWorker;
pub use key_purge::KeyPurgeWorker;
pub use observer::{NoObserver, WorkerObserver};
pub use relay::{OutboxRelay, RelayError, RelaySettings, Round, SoleRelay};
pub use webhooks::{WebhookSettings, WebhookWorker};

/// Waits for `pause`, or less if `shutdown` turns true (or its sender goes); true when it is
/// time to stop. The one way every retry loop waits.
pub async fn pause_or_stop(
    pause: std::time::Duration,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
) -> bool {
    let stopped = tokio::select! {
        () = tokio::time::sleep(pause) => false,
        _ = shutdown.wait_for(|stop| *stop) => true,
    };
    stopped || *shutdown.borrow()
}
