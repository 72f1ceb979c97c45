//! # inventory-events
//!
//! The one owner of the event wire format. A state change is stored in the outbox, published
//! to Redis, replayed over HTTP and streamed over SSE; every one of those paths writes and
//! reads events through this crate, so the format is declared once.
//!
//! ## Layout
//!
//! - [`EventType`] and [`AggregateType`]: the names on the wire (`stock.updated`, `stock`),
//!   and each type's current [`EventType::schema_version`].
//! - [`payload`]: the versioned payloads ([`ProductPayload`], [`StockPayload`]...), plain data
//!   that serialises to the documented JSON and reads back from it.
//! - [`encode`]: a domain event to its outbox columns ([`EncodedEvent`]).
//! - [`RecordedEvent`]: an event as the outbox holds it and every channel carries it;
//!   [`RecordedEvent::decode`] reads its payload back, and refuses (never guesses) an unknown
//!   type or version with a [`DecodeError`] whose [`DecodeError::reason`] callers count.
//! - [`EventEnvelope`]: the JSON of one event for the HTTP replay and the CLI;
//!   [`AvailabilityChange`]: what the live stream (SSE) sends for an event that moved stock;
//!   [`STREAM_FIELDS`]: the fields of a Redis stream entry
//!   ([`RecordedEvent::to_stream_fields`], [`RecordedEvent::from_stream_fields`]).
//! - `asyncapi` (feature `schema`): the AsyncAPI 3 document of the Redis stream and the SSE
//!   stream, built from the same types that encode the payloads.
//!
//! ## Versioning
//!
//! Every event carries `schema_version` (1 today for every type). A change that a consumer of
//! version 1 could misread gets a new version; readers refuse versions they do not know
//! rather than guess, and say so with [`DecodeError::UnknownVersion`].

mod availability;
mod decode;
mod encode;
mod envelope;
mod event_type;
pub mod payload;
mod recorded;
mod restore;
mod stream_entry;

#[cfg(feature = "schema")]
pub mod asyncapi;

#[cfg(test)]
mod decode_tests;
#[cfg(test)]
mod samples;

pub use availability::AvailabilityChange;
pub use decode::{DecodeError, decode};
pub use encode::{EncodedEvent, encode};
pub use envelope::EventEnvelope;
pub use event_type::{AggregateType, EventType, UnknownEventType};
pub use payload::{
    CartPayload, CartState, EventPayload, ProductPayload, ProductState, ReservationPayload,
    ReservationState, StockChangeState, StockPayload, StockState, StorePayload, StoreState,
    TransferPayload, TransferState,
};
pub use recorded::RecordedEvent;
pub use restore::restore;
pub use stream_entry::{STREAM_FIELDS, StreamEntryError, StreamField};
