//! The event publisher port: where the relay sends outbox events, in sequence order.

use std::future::Future;
use std::pin::Pin;

use inventory_domain::EventId;

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
    /// The broker is not where the caller said it was (another relay published meanwhile, or
    /// the broker lost its data): nothing was published; ask for its position again.
    #[error("the broker's position moved")]
    Moved,
}

/// Where the broker is: its last sequence number, and the id of the event stored there when
/// it still holds that entry (so a relay can tell a stream of its own from another
/// database's with the same numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BrokerPosition {
    /// The highest sequence number the broker holds (0 when it holds none).
    pub seq: u64,
    /// The event stored at `seq`, if the broker still holds it.
    pub event_id: Option<EventId>,
}

/// Publishes outbox events to a broker.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait EventPublisher: Send + Sync {
    /// Appends `events` (in sequence order, following `after`) to the broker, if and only if
    /// the broker's last sequence number is `after`: checked and appended atomically, so an
    /// event is never written twice or after a higher one. A failure part-way leaves a prefix
    /// of `events` published, never a gap. Returns the highest sequence number now in the
    /// broker.
    ///
    /// # Errors
    /// [`PublishError::Moved`] when the broker is not at `after` (nothing was published);
    /// [`PublishError::Unavailable`] when the broker cannot be reached or failed part-way.
    fn publish(&self, after: u64, events: Vec<RecordedEvent>) -> PublishFuture<u64>;

    /// Where the broker is: the relay publishes from there, so the broker is the relay's
    /// position.
    ///
    /// # Errors
    /// [`PublishError::Unavailable`] when the broker cannot be reached.
    fn position(&self) -> PublishFuture<BrokerPosition>;
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
