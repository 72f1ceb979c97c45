//! The event publisher port: where the relay sends outbox events, in sequence order.

use std::future::Future;
use std::pin::Pin;

use crate::RecordedEvent;

/// What a publisher call returns: a boxed, `Send`, owning future, so the port stays object
/// safe and easy to mock.
pub type PublishFuture<T> = Pin<Box<dyn Future<Output = Result<T, PublishError>> + Send>>;

/// Why events could not be published.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    /// The broker cannot be reached; try again later. Nothing is lost: the events stay in the
    /// outbox.
    #[error("broker unavailable: {0}")]
    Unavailable(String),
    /// The broker refused the events in a way retrying will not fix by itself (a stream that
    /// belongs to another database, say). Operators must look.
    #[error("broker refused the events: {0}")]
    Refused(String),
}

/// Publishes outbox events to a broker.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait EventPublisher: Send + Sync {
    /// Publishes `events` (in sequence order) so that, when the future succeeds, every one of
    /// them is in the broker exactly once: events the broker already holds (a relay that died
    /// after publishing, or another relay) are skipped, not repeated, and an event below the
    /// broker's last one is never written after it. Returns the highest sequence number now in
    /// the broker.
    ///
    /// # Errors
    /// [`PublishError::Unavailable`] when the broker cannot be reached; some events may have
    /// been published, and a later call skips them.
    fn publish(&self, events: Vec<RecordedEvent>) -> PublishFuture<u64>;

    /// The highest sequence number the broker holds (0 when it holds none): the relay
    /// publishes from there, so the broker is the relay's position.
    ///
    /// # Errors
    /// [`PublishError::Unavailable`] when the broker cannot be reached.
    fn last_published_seq(&self) -> PublishFuture<u64>;
}

/// What a [`Leadership`] call returns; it may borrow the lease.
pub type LeaseFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Leadership among the relays of several processes sharing one database: only the holder
/// publishes, and another takes over within the lease's lifetime if it dies.
///
/// Publishing is idempotent anyway (see [`EventPublisher::publish`]), so leadership is about
/// not doing the work twice, not about correctness.
pub trait Leadership: Send {
    /// True while this process leads: takes the lease when it is free and renews it while
    /// held.
    ///
    /// # Errors
    /// [`PublishError::Unavailable`] when the broker holding the lease cannot be reached;
    /// the lease is then considered lost.
    fn hold(&mut self) -> LeaseFuture<'_, Result<bool, PublishError>>;

    /// Forgets the lease without telling the broker (after a failure): the next
    /// [`Leadership::hold`] asks again.
    fn forget(&mut self);

    /// Gives the lease up so another process takes over at once (on shutdown).
    fn release(&mut self) -> LeaseFuture<'_, ()>;
}
