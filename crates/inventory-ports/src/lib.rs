//! # inventory-ports
//!
//! The ports of the inventory hexagon and the use cases that drive the domain through them.
//!
//! ## Driven ports (implemented by adapters)
//!
//! - [`InventoryStore`]: a unit of work over the data and the outbox. A use case passes a
//!   closure; the store runs it in one transaction, so a change and its events commit
//!   together. Its [`ReadTx`] and [`WriteTx`] methods document, under `# Errors`, what every
//!   adapter must return; the contract suite in `inventory-testkit` checks it.
//! - [`Clock`] and [`IdGenerator`]: time and ids, replaceable in tests.
//! - [`EventPublisher`]: where the relay sends outbox events (Redis Streams in
//!   `inventory-adapter-redis`).
//!
//! ## Use cases (driving side)
//!
//! [`UseCases`] bundles [`Catalogue`], [`StoreDirectory`], [`StockKeeping`],
//! [`AvailabilityQuery`], [`Reservations`] and [`EventLog`]. They are synchronous: each call
//! is one short transaction. Async callers run them on a blocking pool.
//!
//! Every use case returns [`InventoryError`], whose [`InventoryError::code`] is the stable code
//! an API reports.

mod clock;
mod context;
mod error;
mod id_generator;
mod outbox;
mod paging;
mod publisher;
mod store;
pub mod use_cases;

#[cfg(any(test, feature = "mocks"))]
pub use clock::MockClock;
pub use clock::{Clock, ManualClock, SystemClock, truncate_to_millis};
pub use context::RequestContext;
pub use error::{ErrorKind, InventoryError};
#[cfg(any(test, feature = "mocks"))]
pub use id_generator::MockIdGenerator;
pub use id_generator::{IdGenerator, SequentialIds, UuidV7Ids};
pub use outbox::{NewEvent, RecordedEvent, StockSnapshot};
pub use paging::{Page, Paged};
#[cfg(any(test, feature = "mocks"))]
pub use publisher::MockEventPublisher;
pub use publisher::{EventPublisher, PublishError, PublishFuture};
pub use store::{
    CommitListener, InventoryStore, InventoryStoreExt, OutboxBacklog, ReadTx, ReadWork,
    ReservationFilter, StoreStockRow, WriteTx, WriteWork,
};
pub use use_cases::{
    AdjustStock, AvailabilityQuery, Catalogue, CountStock, EventLog, Ports, ProductAvailability,
    Reservations, ReserveStock, StockChanged, StockKeeping, StoreAvailability, StoreDirectory,
    UseCases,
};
