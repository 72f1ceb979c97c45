//! The stream entry format: how an outbox event is written to Redis and read back.
//!
//! Entry id `<seq>-0`: the outbox sequence number, so entries are in commit order, a replayed
//! XADD is refused by Redis (idempotent publishing) and a consumer can resume from any seq.
//!
//! | field | content |
//! |---|---|
//! | `event_id` | UUID, stable across re-deliveries |
//! | `seq` | outbox sequence number (as in the entry id) |
//! | `event_type` | `stock.updated`, `reservation.created`... |
//! | `aggregate_type` | `product`, `store`, `stock`, `reservation` |
//! | `aggregate_id` | product id, store code, `<product_id>:<store_id>`, reservation id |
//! | `store_id` | the store concerned (absent for product events) |
//! | `product_id` | the product concerned (absent for store events) |
//! | `payload` | JSON, see [`EventBody`] |
//! | `occurred_at` | RFC 3339 UTC |
//! | `request_id` | the HTTP request that caused it (absent for the expiry worker) |

use std::collections::HashMap;

use inventory_domain::EventId;
use inventory_ports::RecordedEvent;
use redis::Value;
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The fields of the entry for `event`, in the order they are written.
pub fn fields(event: &RecordedEvent) -> Vec<(&'static str, String)> {
    let mut fields = vec![
        ("event_id", event.event_id.to_string()),
        ("seq", event.seq.to_string()),
        ("event_type", event.event_type.clone()),
        ("aggregate_type", event.aggregate_type.clone()),
        ("aggregate_id", event.aggregate_id.clone()),
    ];
    if let Some(store) = &event.store_id {
        fields.push(("store_id", store.clone()));
    }
    if let Some(product) = &event.product_id {
        fields.push(("product_id", product.clone()));
    }
    fields.push(("payload", event.payload.clone()));
    fields.push((
        "occurred_at",
        event
            .occurred_at
            .format(&Rfc3339)
            .unwrap_or_else(|_| event.occurred_at.unix_timestamp().to_string()),
    ));
    if let Some(request) = &event.request_id {
        fields.push(("request_id", request.clone()));
    }
    fields
}

/// The entry id of an event: `<seq>-0`.
pub fn entry_id(seq: u64) -> String {
    format!("{seq}-0")
}

/// The sequence number in an entry id (`42-0` → 42).
pub fn seq_of(entry_id: &str) -> Option<u64> {
    entry_id
        .split_once('-')
        .map_or(Some(entry_id), |(ms, _)| Some(ms))?
        .parse()
        .ok()
}

/// An event read from the stream: the outbox event it carries, and the entry it came in.
/// Derefs to the [`RecordedEvent`], so `event.seq`, `event.event_type`... read directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEvent {
    /// The Redis entry id (`<seq>-0`), for XACK.
    pub entry_id: String,
    /// The event, as the outbox holds it. De-duplicate on its `seq`.
    pub event: RecordedEvent,
}

impl std::ops::Deref for StreamEvent {
    type Target = RecordedEvent;
    fn deref(&self) -> &RecordedEvent {
        &self.event
    }
}

/// Why an entry could not be read as an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("entry {entry_id}: {problem}")]
pub struct DecodeError {
    /// The entry.
    pub entry_id: String,
    /// What is wrong.
    pub problem: String,
}

impl StreamEvent {
    /// Reads a stream entry.
    ///
    /// # Errors
    /// [`DecodeError`] when a required field is missing or malformed.
    pub fn from_entry(entry_id: &str, map: &HashMap<String, Value>) -> Result<Self, DecodeError> {
        let problem = |problem: String| DecodeError {
            entry_id: entry_id.to_owned(),
            problem,
        };
        let text = |field: &str| -> Option<String> {
            match map.get(field)? {
                Value::BulkString(bytes) => String::from_utf8(bytes.clone()).ok(),
                Value::SimpleString(text) => Some(text.clone()),
                _ => None,
            }
        };
        let required =
            |field: &str| text(field).ok_or_else(|| problem(format!("missing field {field}")));
        let event = RecordedEvent {
            seq: required("seq")?
                .parse()
                .map_err(|_| problem("seq is not a number".into()))?,
            event_id: EventId::parse(&required("event_id")?).map_err(|e| problem(e.to_string()))?,
            event_type: required("event_type")?,
            aggregate_type: required("aggregate_type")?,
            aggregate_id: required("aggregate_id")?,
            store_id: text("store_id"),
            product_id: text("product_id"),
            payload: required("payload")?,
            occurred_at: OffsetDateTime::parse(&required("occurred_at")?, &Rfc3339)
                .map_err(|e| problem(format!("occurred_at: {e}")))?,
            request_id: text("request_id"),
        };
        Ok(Self {
            entry_id: entry_id.to_owned(),
            event,
        })
    }

    /// The payload, typed by the event's aggregate.
    ///
    /// # Errors
    /// When the payload does not have the documented shape.
    pub fn body(&self) -> Result<EventBody, serde_json::Error> {
        match self.aggregate_type.as_str() {
            "product" => serde_json::from_str::<ProductBody>(&self.payload)
                .map(|b| EventBody::Product(b.product)),
            "store" => {
                serde_json::from_str::<StoreBody>(&self.payload).map(|b| EventBody::Store(b.store))
            }
            "stock" => serde_json::from_str::<StockBody>(&self.payload).map(|b| EventBody::Stock {
                stock: b.stock,
                change: b.change,
            }),
            _ => serde_json::from_str::<ReservationBody>(&self.payload).map(|b| {
                EventBody::Reservation {
                    reservation: b.reservation,
                    stock: b.stock,
                }
            }),
        }
    }

    /// The event, without the entry it came in.
    pub fn into_event(self) -> RecordedEvent {
        self.event
    }
}

/// The typed payload of an event.
#[derive(Debug, Clone, PartialEq)]
pub enum EventBody {
    /// `product.created`, `product.updated`, `product.deleted`.
    Product(ProductState),
    /// `store.created`, `store.updated`.
    Store(StoreState),
    /// `stock.created`, `stock.updated`.
    Stock {
        /// The stock after the change.
        stock: StockState,
        /// What moved it: `{"kind": "adjustment", "quantity_change", "reason", "user_id"}` or
        /// `{"kind": "count", "previous_quantity", "user_id"}`.
        change: serde_json::Value,
    },
    /// `reservation.created`, `.confirmed`, `.cancelled`, `.expired`.
    Reservation {
        /// The reservation after the change.
        reservation: ReservationState,
        /// The stock after the change.
        stock: StockState,
    },
}

/// A product in an event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ProductState {
    /// Product id.
    pub id: String,
    /// SKU.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Price in euro, exact decimal text.
    pub price: String,
}

/// A store in an event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StoreState {
    /// Store code.
    pub id: String,
    /// Name.
    pub name: String,
    /// Whether it takes reservations.
    pub active: bool,
}

/// A stock level in an event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StockState {
    /// Product id.
    pub product_id: String,
    /// Store code.
    pub store_id: String,
    /// Units in the store.
    pub quantity: u32,
    /// Units held by pending reservations.
    pub reserved: u32,
    /// `quantity - reserved`.
    pub available: u32,
    /// Version after the change.
    pub version: u64,
}

/// A reservation in an event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ReservationState {
    /// Reservation id.
    pub id: String,
    /// Customer.
    pub customer_id: String,
    /// Units held.
    pub quantity: u32,
    /// PENDING, CONFIRMED, CANCELLED, EXPIRED.
    pub status: String,
    /// When it expires (or expired).
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

#[derive(Deserialize)]
struct ProductBody {
    product: ProductState,
}

#[derive(Deserialize)]
struct StoreBody {
    store: StoreState,
}

#[derive(Deserialize)]
struct StockBody {
    stock: StockState,
    change: serde_json::Value,
}

#[derive(Deserialize)]
struct ReservationBody {
    reservation: ReservationState,
    stock: StockState,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_ids_carry_the_sequence_number() {
        assert_eq!(entry_id(42), "42-0");
        assert_eq!(seq_of("42-0"), Some(42));
        assert_eq!(seq_of("7"), Some(7));
        assert_eq!(seq_of("x-0"), None);
    }
}
