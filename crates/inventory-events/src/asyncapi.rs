//! The AsyncAPI 3 document of the two event channels, built from the types that encode the
//! events, so it cannot drift from them:
//!
//! - `inventoryEvents`: the Redis stream every instance's relay publishes to, one entry per
//!   outbox event ([`STREAM_FIELDS`]), payload schemas per type;
//! - `availability`: `GET /api/v1/stream`, the Server-Sent Events browsers follow
//!   ([`AvailabilityChange`]).

use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

use crate::payload::{
    CartPayload, LowStockPayload, ProductPayload, ReservationPayload, StockPayload, StorePayload,
    TransferPayload,
};
use crate::{AggregateType, AvailabilityChange, EventType, STREAM_FIELDS};

/// Why the service publishes one ordered stream where the design document drew one stream per
/// event type, and how its fields map to ours.
const DESIGN_MAPPING: &str = "The design document publishes one Redis stream per event type \
(`stock.created`, `reservation.confirmed`...) with fields event_id, event_type, aggregate_id, \
aggregate_type, store_id, payload and a Unix `timestamp`. This service publishes one stream \
for every type instead: one stream keeps the commit order between events of different types \
(a reservation after the restock it depends on), gives one position (`seq`, also the entry id \
`<seq>-0`) to resume from and to de-duplicate on, and makes a replayed XADD idempotent. \
Mapping: the design's stream name is our `event_type` field (filter on it to follow one type); \
its `timestamp` is our `occurred_at` (RFC 3339 UTC, millisecond precision); event_id, \
event_type, aggregate_id, aggregate_type, store_id and payload keep their names. We add seq, \
schema_version, product_id and request_id.";

/// The document, for a stream named `stream` (the relay's `REDIS_STREAM`).
pub fn document(stream: &str) -> Value {
    let mut messages = Map::new();
    let mut channel_messages = Map::new();
    let mut operation_messages = Vec::new();
    for kind in EventType::ALL {
        let key = message_key(kind);
        messages.insert(key.clone(), stream_message(kind));
        channel_messages.insert(
            key.clone(),
            json!({ "$ref": format!("#/components/messages/{key}") }),
        );
        operation_messages
            .push(json!({ "$ref": format!("#/channels/inventoryEvents/messages/{key}") }));
    }
    messages.insert(
        "availability".into(),
        json!({
            "name": "availability",
            "title": "Availability change",
            "summary": "The stock of one product in one store after a change.",
            "description": "Sent as `event: availability`, `id: <seq>`, `data: <this JSON>`. \
                Reconnecting with `Last-Event-ID: <seq>` resumes with no gap.",
            "payload": { "$ref": "#/components/schemas/AvailabilityChange" },
        }),
    );
    json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": "Inventory events",
            "version": env!("CARGO_PKG_VERSION"),
            "description": format!(
                "Every change of the inventory, in commit order, exactly as the transactional \
                 outbox holds it. Each event carries `schema_version`; a reader refuses a type \
                 or version it does not know instead of guessing.\n\n{DESIGN_MAPPING}"
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "redis": {
                "host": "127.0.0.1:6379",
                "protocol": "redis",
                "description": "The Redis the server publishes to (REDIS_URL).",
            },
            "http": {
                "host": "127.0.0.1:8080",
                "protocol": "http",
                "description": "An inventory server.",
            },
        },
        "channels": {
            "inventoryEvents": {
                "address": stream,
                "title": "The event stream",
                "description": "A Redis stream (XADD ... MAXLEN ~ N). Entry id `<seq>-0`; \
                    entries are in commit order and each event is published once. The stream \
                    is trimmed; the outbox, replayed by `GET /api/v1/events`, keeps every event.",
                "servers": [{ "$ref": "#/servers/redis" }],
                "messages": channel_messages,
            },
            "availability": {
                "address": "/api/v1/stream",
                "title": "Live availability (Server-Sent Events)",
                "description": "Public: availability only, never customer data. Filters: \
                    `product_id`, `store_id`; resume with `Last-Event-ID` or `after_seq`.",
                "servers": [{ "$ref": "#/servers/http" }],
                "messages": {
                    "availability": { "$ref": "#/components/messages/availability" },
                },
            },
        },
        "operations": {
            "publishInventoryEvents": {
                "action": "send",
                "summary": "The outbox relay publishes every committed event.",
                "channel": { "$ref": "#/channels/inventoryEvents" },
                "messages": operation_messages,
            },
            "streamAvailability": {
                "action": "send",
                "summary": "The server streams availability changes to browsers.",
                "channel": { "$ref": "#/channels/availability" },
                "messages": [{ "$ref": "#/channels/availability/messages/availability" }],
            },
        },
        "components": {
            "messages": messages,
            "schemas": schemas(),
        },
    })
}

/// `stock.updated` → `stockUpdated`.
fn message_key(kind: EventType) -> String {
    let mut key = String::new();
    let mut upper = false;
    for c in kind.as_str().chars() {
        if c == '.' {
            upper = true;
        } else if upper {
            key.extend(c.to_uppercase());
            upper = false;
        } else {
            key.push(c);
        }
    }
    key
}

/// The schema name of a type's payload.
pub fn payload_schema(kind: EventType) -> &'static str {
    match kind.aggregate() {
        AggregateType::Product => "ProductPayload",
        AggregateType::Store => "StorePayload",
        AggregateType::Stock
            if matches!(kind, EventType::StockLow | EventType::StockReplenished) =>
        {
            "LowStockPayload"
        }
        AggregateType::Stock => "StockPayload",
        AggregateType::Reservation => "ReservationPayload",
        AggregateType::Cart => "CartPayload",
        AggregateType::Transfer => "TransferPayload",
    }
}

fn stream_message(kind: EventType) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for field in STREAM_FIELDS {
        let schema = match field.name {
            "event_type" => json!({ "type": "string", "const": kind.as_str() }),
            "schema_version" => {
                json!({ "type": "string", "const": kind.schema_version().to_string() })
            }
            "aggregate_type" => json!({ "type": "string", "const": kind.aggregate().as_str() }),
            "payload" => json!({
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": {
                    "$ref": format!("#/components/schemas/{}", payload_schema(kind)),
                },
            }),
            _ => json!({ "type": "string" }),
        };
        let mut schema = schema;
        schema["description"] = Value::String(field.description.into());
        properties.insert(field.name.into(), schema);
        if field.required {
            required.push(Value::String(field.name.into()));
        }
    }
    json!({
        "name": kind.as_str(),
        "title": kind.as_str(),
        "summary": summary(kind),
        "contentType": "application/json",
        "payload": {
            "type": "object",
            "description": "The stream entry's fields (Redis field values are text).",
            "required": required,
            "properties": properties,
        },
    })
}

fn summary(kind: EventType) -> &'static str {
    match kind {
        EventType::ProductCreated => "A product was added to the catalogue.",
        EventType::ProductUpdated => "A product's description, SKU or price changed.",
        EventType::ProductDeleted => "A product left the catalogue, with its stock.",
        EventType::StoreCreated => "A store was opened.",
        EventType::StoreUpdated => "A store's details or active flag changed.",
        EventType::StockCreated => "A product got stock in a store for the first time.",
        EventType::StockUpdated => {
            "A stock level moved by a delta, was set by a count, or had its reserved units \
             repaired by the reconciliation check."
        }
        EventType::StockLow => {
            "A pair's available units fell to its low-stock threshold or below (once per \
             crossing; the stock.* or reservation.* event that crossed it comes just before)."
        }
        EventType::StockReplenished => {
            "A pair's available units rose above its low-stock threshold again, or its \
             threshold was lowered or removed (once per crossing)."
        }
        EventType::ReservationCreated => "Units were held for a customer.",
        EventType::ReservationConfirmed => "A reservation became a sale: the units left.",
        EventType::ReservationCancelled => "A reservation was cancelled: the units came back.",
        EventType::ReservationExpired => "A reservation ran out: the units came back.",
        EventType::ReservationExtended => {
            "A pending reservation holds its units longer (its new expires_at); the stock is \
             unchanged."
        }
        EventType::CartCreated => {
            "Every line of a cart was reserved, in one transaction; each line's \
             reservation.created comes just before."
        }
        EventType::CartConfirmed => {
            "A cart was confirmed: its chosen lines became sales and the rest were cancelled \
             (each line's own event comes just before)."
        }
        EventType::CartCancelled => {
            "A cart was cancelled: every line's units came back (each line's \
             reservation.cancelled comes just before)."
        }
        EventType::TransferCompleted => {
            "Units moved from one store to another in one transaction (the source's stock.updated \
             with TRANSFER_OUT and the destination's stock.* with TRANSFER_IN come just before)."
        }
        EventType::TransferShipped => {
            "Units left the source (its stock.updated, TRANSFER_OUT, comes just before) and are \
             in transit to the destination."
        }
        EventType::TransferReceived => {
            "Units in transit reached the destination (its stock.*, TRANSFER_IN, comes just \
             before)."
        }
        EventType::TransferCancelled => {
            "A shipped transfer was called back: the units are at the source again (its \
             stock.updated, TRANSFER_IN, comes just before)."
        }
        EventType::CartExpired => {
            "A cart ran out: every line's units came back (each line's reservation.expired \
             comes just before)."
        }
    }
}

/// Every schema the messages refer to, by name.
pub fn schemas() -> Map<String, Value> {
    let mut collected: Vec<(String, RefOr<Schema>)> = Vec::new();
    collect::<ProductPayload>(&mut collected);
    collect::<StorePayload>(&mut collected);
    collect::<StockPayload>(&mut collected);
    collect::<LowStockPayload>(&mut collected);
    collect::<ReservationPayload>(&mut collected);
    collect::<CartPayload>(&mut collected);
    collect::<TransferPayload>(&mut collected);
    collect::<AvailabilityChange>(&mut collected);
    collected
        .into_iter()
        .map(|(name, schema)| {
            let value = serde_json::to_value(schema).unwrap_or(Value::Null);
            (name, value)
        })
        .collect()
}

fn collect<T: ToSchema>(into: &mut Vec<(String, RefOr<Schema>)>) {
    into.push((T::name().into_owned(), T::schema()));
    T::schemas(into);
}

#[cfg(test)]
mod tests;
