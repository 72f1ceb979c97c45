//! # inventory-application
//!
//! What the inventory does: the use cases, each one transaction through the storage port, and
//! the background workers that keep reservations and events moving.
//!
//! ## Layout
//!
//! - [`UseCases`] bundles the use cases: [`Catalogue`] (products), [`StoreDirectory`],
//!   [`StockKeeping`], [`AvailabilityQuery`] (with its read model, [`AvailabilityCache`]), [`Reservations`], [`Carts`], [`EventLog`],
//!   [`Transfers`], [`StockImports`] (bulk stock imports, [`imports`]), [`Health`],
//!   [`IdempotencyKeys`] and [`Webhooks`].
//!   They are synchronous: each call is one short transaction. Async callers run them with
//!   [`blocking`].
//! - `unit_of_work` (private): the one entry point every write goes through. A change runs in
//!   one write transaction, and the only way it can change state is to record a domain event
//!   ([`inventory_ports::WriteTx::record`]), which stores the state the event carries with its
//!   outbox row. A write path cannot forget its event.
//! - [`workers`]: the [`ExpiryWorker`] (releases reservations when their time runs out) and
//!   the [`OutboxRelay`] (publishes the outbox through the [`inventory_ports::EventPublisher`]
//!   port), with the one [`Backoff`] and the one [`blocking`] helper they and the adapters
//!   share.
//!
//! Every use case returns [`InventoryError`], whose [`InventoryError::code`] is the stable code
//! an API reports.

mod availability;
mod availability_cache;
mod carts;
mod events;
mod health;
mod idempotency_keys;
pub mod imports;
mod listing;
mod low_stock;
mod movements;
mod products;
mod reconciliation;
mod reservations;
mod stock;
mod stores;
mod transfers;
mod unit_of_work;
mod use_cases;
pub mod webhook_signature;
mod webhooks;
pub mod workers;

pub use availability::{AvailabilityQuery, ProductAvailability, StoreAvailability};
pub use availability_cache::{AvailabilityCache, CacheStats, ReadCacheSettings};
pub use carts::{Carts, PlaceCart};
pub use events::EventLog;
pub use health::Health;
pub use idempotency_keys::IdempotencyKeys;
pub use imports::{
    ImportFormat, ImportMode, ImportReport, ImportSource, Listing, OpenRows, ProductImport,
    ProductImports, RowOutcome, RowResult, StockImport, StockImports,
};
pub use inventory_ports::InventoryError;
pub use low_stock::LowStock;
pub use movements::{MovementHistory, MovementPage};
pub use products::Catalogue;
pub use reconciliation::{CheckReport, Finding, Reconciliation, RepairReport};
pub use reservations::{Reservations, ReserveStock};
pub use stock::{AdjustStock, CountStock, StockChanged, StockKeeping};
pub use stores::StoreDirectory;
pub use transfers::{SendTransfer, Transfers};
pub use unit_of_work::Ports;
pub use use_cases::UseCases;
pub use webhooks::{RegisterWebhook, Webhooks};
pub use workers::{
    Backoff, BrokerStatus, CacheFollower, ExpiryWorker, KeyPurgeWorker, NoObserver, OutboxRelay,
    RelayError, RelaySettings, Round, SoleRelay, WebhookSettings, WebhookWorker, WorkerObserver,
    blocking, pause_or_stop,
};
