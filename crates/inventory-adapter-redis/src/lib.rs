//! # inventory-adapter-redis
//!
//! Redis Streams for the inventory: the driven ports the outbox relay publishes through, and
//! a consumer API for other Rust services. The relay itself (woken on commit, backoff, the
//! broker as its position) is the application's `OutboxRelay`; this crate is only Redis.
//!
//! - [`StreamPublisher`] implements the [`inventory_ports::EventPublisher`] port:
//!   `XADD <stream> MAXLEN ~ N <seq>-0 <fields>`, idempotent because entry ids are sequence
//!   numbers. The fields are [`inventory_events::STREAM_FIELDS`].
//! - [`RelayLease`] implements the [`inventory_ports::Leadership`] port: one relay publishes
//!   at a time, another takes over within the lease's TTL.
//! - [`EventReader`], [`EventConsumer`] and [`Deduplicator`] read the stream back
//!   ([`StreamEvent`], decoded by `inventory-events`).
//!
//! Redis is not the source of truth: the outbox is. A stream trimmed by `MAXLEN ~` or a
//! Redis restarted without persistence loses old entries; the API's `/api/v1/events` serves
//! any range from the outbox (and a Redis restarted empty is republished from the start).

mod connection;
pub mod consumer;
pub mod entry;
mod lease;
mod publisher;
mod settings;

pub use connection::lazy_connection;
pub use consumer::{Deduplicator, Delivery, EventConsumer, EventReader, StartAt};
pub use entry::{EntryError, StreamEvent};
pub use lease::RelayLease;
pub use publisher::StreamPublisher;
pub use settings::RedisSettings;
