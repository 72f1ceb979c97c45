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
    /// between publishing and marking) are skipped, not repeated. Returns the highest sequence
    /// number now in the broker.
    ///
    /// # Errors
    /// [`PublishError::Unavailable`] when the broker cannot be reached; some events may have
    /// been published, and a later call skips them.
    fn publish(&self, events: Vec<RecordedEvent>) -> PublishFuture<u64>;

    /// The highest sequence number the broker holds (0 when it holds none).
    ///
    /// # Errors
    /// [`PublishError::Unavailable`] when the broker cannot be reached.
    fn last_published_seq(&self) -> PublishFuture<u64>;
}
