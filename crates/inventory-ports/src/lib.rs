//! # inventory-ports
//!
//! The ports of the inventory hexagon: the traits the application drives and the adapters
//! implement, and the values that cross them. No use case lives here (they are in
//! `inventory-application`) and no adapter (they are the `inventory-adapter-*` crates).
//!
//! ## Driven ports
//!
//! - [`InventoryStore`]: a unit of work over the data and the outbox. A use case passes a
//!   closure; the store runs it in one transaction. Inside, [`ReadTx`] reads and
//!   [`WriteTx::record`] is the only way to change state: it stores the state a domain event
//!   carries together with the event's outbox row, so no change goes without its event. The
//!   `# Errors` sections are the contract; `inventory-testkit`'s suite checks every adapter
//!   against it.
//! - [`Clock`] and [`IdGenerator`]: time and ids, replaceable in tests.
//! - [`EventPublisher`] and [`Leadership`]: where the outbox relay sends events, and which
//!   process's relay does (Redis Streams in `inventory-adapter-redis`).
//! - [`WebhookSender`]: where the webhook worker POSTs signed events
//!   (`inventory-adapter-webhook`), checking each address against the [`UrlPolicy`].
//!
//! ## Values
//!
//! [`InventoryError`] (with its stable [`InventoryError::code`]), [`Page`] and [`Paged`],
//! the list filters, [`RequestContext`], and the outbox records [`NewEvent`] and
//! [`RecordedEvent`].

mod clock;
mod consistency;
mod context;
mod error;
mod filters;
mod id_generator;
mod idempotency;
mod movements;
mod outbox;
mod paging;
mod publisher;
mod storage;
mod webhook;
mod webhook_sender;
mod webhook_url;

#[cfg(any(test, feature = "mocks"))]
pub use clock::MockClock;
pub use clock::{Clock, ManualClock, SystemClock, truncate_to_millis};
pub use consistency::{ConsistencyFacts, PairDrift, SeqGap};
pub use context::RequestContext;
pub use error::{ErrorChain, ErrorKind, Failure, InventoryError};
pub use filters::{ProductFilter, ReservationFilter, StockFilter, TransferFilter, like_escaped};
#[cfg(any(test, feature = "mocks"))]
pub use id_generator::MockIdGenerator;
pub use id_generator::{IdGenerator, SequentialIds, UuidV7Ids};
pub use idempotency::{Idempotency, IdempotencyKey, ResponseRenderer, StoredResponse};
pub use movements::{MovementFilter, MovementOrder, RecordedMovement};
pub use outbox::{NewEvent, RecordedEvent};
pub use paging::{Page, Paged};
#[cfg(any(test, feature = "mocks"))]
pub use publisher::MockEventPublisher;
pub use publisher::{
    BrokerPosition, EventPublisher, Leadership, LeaseFuture, PublishError, PublishFuture,
};
pub use storage::{
    CommitListener, InventoryStore, InventoryStoreExt, LowStockEntry, ReadTx, ReadWork, StoreStock,
    WriteTx, WriteWork,
};
pub use webhook::{
    DeliveryOutcome, Webhook, WebhookDelivery, WebhookId, WebhookSecret, event_type_list,
};
#[cfg(any(test, feature = "mocks"))]
pub use webhook_sender::MockWebhookSender;
pub use webhook_sender::{SendError, WebhookRequest, WebhookSender};
pub use webhook_url::{MAX_WEBHOOK_URL_LEN, UrlPolicy, UrlRefused, WebhookUrl};
