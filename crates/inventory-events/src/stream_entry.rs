//! An event as a flat list of text fields: the layout of a Redis stream entry (and of any
//! other channel that carries string fields).
//!
//! The entry id is `<seq>-0`, so entries are in commit order and a replayed XADD is refused.

use inventory_domain::EventId;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::RecordedEvent;

/// One field of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamField {
    /// The field's name.
    pub name: &'static str,
    /// False for fields left out when empty.
    pub required: bool,
    /// What it holds.
    pub description: &'static str,
}

/// Every field, in the order they are written.
pub const STREAM_FIELDS: [StreamField; 11] = [
    field("event_id", true, "UUID, stable across re-deliveries"),
    field(
        "seq",
        true,
        "outbox sequence number, as in the entry id <seq>-0",
    ),
    field("event_type", true, "stock.updated, reservation.created..."),
    field(
        "schema_version",
        true,
        "version of the payload's shape; entries written before the field existed are version 1",
    ),
    field(
        "aggregate_type",
        true,
        "product, store, stock or reservation",
    ),
    field(
        "aggregate_id",
        true,
        "product id, store code, <product_id>:<store_id> or reservation id",
    ),
    field(
        "store_id",
        false,
        "the store concerned; absent for product events",
    ),
    field(
        "product_id",
        false,
        "the product concerned; absent for store events",
    ),
    field(
        "payload",
        true,
        "JSON, the shape of the event type and version",
    ),
    field("occurred_at", true, "RFC 3339 UTC"),
    field(
        "request_id",
        false,
        "the request that caused it; absent for the expiry worker",
    ),
];

const fn field(name: &'static str, required: bool, description: &'static str) -> StreamField {
    StreamField {
        name,
        required,
        description,
    }
}

/// Why fields could not be read as an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StreamEntryError(String);

impl RecordedEvent {
    /// The event as entry fields, in [`STREAM_FIELDS`] order (optional ones left out when
    /// empty).
    pub fn to_stream_fields(&self) -> Vec<(&'static str, String)> {
        let mut fields = vec![
            ("event_id", self.event_id.to_string()),
            ("seq", self.seq.to_string()),
            ("event_type", self.event_type.clone()),
            ("schema_version", self.schema_version.to_string()),
            ("aggregate_type", self.aggregate_type.clone()),
            ("aggregate_id", self.aggregate_id.clone()),
        ];
        if let Some(store) = &self.store_id {
            fields.push(("store_id", store.clone()));
        }
        if let Some(product) = &self.product_id {
            fields.push(("product_id", product.clone()));
        }
        fields.push(("payload", self.payload.clone()));
        fields.push((
            "occurred_at",
            self.occurred_at
                .format(&Rfc3339)
                .unwrap_or_else(|_| self.occurred_at.unix_timestamp().to_string()),
        ));
        if let Some(request) = &self.request_id {
            fields.push(("request_id", request.clone()));
        }
        fields
    }

    /// Reads an event from entry fields; `field` returns a field's text.
    ///
    /// # Errors
    /// [`StreamEntryError`] when a required field is missing or malformed.
    pub fn from_stream_fields(
        field: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, StreamEntryError> {
        let required = |name: &str| {
            field(name).ok_or_else(|| StreamEntryError(format!("missing field {name}")))
        };
        let number = |name: &str| -> Result<u64, StreamEntryError> {
            required(name)?
                .parse()
                .map_err(|_| StreamEntryError(format!("{name} is not a number")))
        };
        let schema_version = match field("schema_version") {
            None => 1,
            Some(text) => text
                .parse()
                .map_err(|_| StreamEntryError("schema_version is not a number".into()))?,
        };
        Ok(Self {
            seq: number("seq")?,
            event_id: EventId::parse(&required("event_id")?)
                .map_err(|error| StreamEntryError(error.to_string()))?,
            event_type: required("event_type")?,
            schema_version,
            aggregate_type: required("aggregate_type")?,
            aggregate_id: required("aggregate_id")?,
            store_id: field("store_id"),
            product_id: field("product_id"),
            payload: required("payload")?,
            occurred_at: OffsetDateTime::parse(&required("occurred_at")?, &Rfc3339)
                .map_err(|error| StreamEntryError(format!("occurred_at: {error}")))?,
            request_id: field("request_id"),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use time::macros::datetime;

    use super::*;

    fn event() -> RecordedEvent {
        RecordedEvent {
            seq: 42,
            event_id: EventId::from_uuid(uuid::Uuid::from_u128(7)),
            event_type: "stock.updated".into(),
            schema_version: 1,
            aggregate_type: "stock".into(),
            aggregate_id: "p:MAD-001".into(),
            store_id: Some("MAD-001".into()),
            product_id: None,
            payload: "{}".into(),
            occurred_at: datetime!(2025-10-26 17:30 UTC),
            request_id: Some("r-1".into()),
        }
    }

    #[test]
    fn an_event_round_trips_through_its_fields_in_the_documented_order() {
        let fields = event().to_stream_fields();
        let names: Vec<&str> = fields.iter().map(|(name, _)| *name).collect();
        let documented: Vec<&str> = STREAM_FIELDS
            .iter()
            .map(|f| f.name)
            .filter(|name| names.contains(name))
            .collect();
        assert_eq!(names, documented, "written in the documented order");
        let map: HashMap<&str, String> = fields.into_iter().collect();
        let read = RecordedEvent::from_stream_fields(|name| map.get(name).cloned());
        assert_eq!(read, Ok(event()));
    }

    #[test]
    fn an_entry_without_a_schema_version_predates_it_and_is_version_1() {
        let mut map: HashMap<&str, String> = event().to_stream_fields().into_iter().collect();
        map.remove("schema_version");
        let read = RecordedEvent::from_stream_fields(|name| map.get(name).cloned()).unwrap();
        assert_eq!(read.schema_version, 1);
        map.remove("seq");
        assert!(RecordedEvent::from_stream_fields(|name| map.get(name).cloned()).is_err());
    }
}
