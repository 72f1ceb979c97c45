//! # inventory-adapter-redis
//!
//! Redis Streams for the inventory: the outbox relay that publishes every committed change
//! within milliseconds, and a consumer API for other Rust services.
//!
//! - [`StreamPublisher`] implements the [`inventory_ports::EventPublisher`] port:
//!   `XADD <stream> MAXLEN ~ N <seq>-0 <fields>` (see [`entry`] for the fields).
//! - [`Relay`] moves outbox rows to the stream in order, marks them published, retries with
//!   capped backoff while Redis is down, and holds a [`RelayLease`] so one relay publishes at a
//!   time.
//! - [`EventReader`], [`EventConsumer`] and [`Deduplicator`] read the stream back, typed
//!   ([`StreamEvent`], [`EventBody`]).
//!
//! Redis is not the source of truth: the SQLite outbox is. A stream trimmed by `MAXLEN ~` or a
//! Redis restarted without persistence loses old entries; the API's `/api/v1/events` serves
//! any range from the outbox.

mod connection;
pub mod consumer;
pub mod entry;
mod lease;
mod metrics;
mod publisher;
mod relay;
mod settings;
mod status;

pub use connection::lazy_connection;
pub use consumer::{Deduplicator, Delivery, EventConsumer, EventReader, StartAt};
pub use entry::{EventBody, StreamEvent};
pub use lease::RelayLease;
pub use metrics::RelayMetrics;
pub use publisher::StreamPublisher;
pub use relay::{Relay, RelayError, Round};
pub use settings::RedisSettings;
pub use status::ConnectionStatus;
