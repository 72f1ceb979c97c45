//! Reading a payload back: by its declared type and version, never by guessing from its shape.

use serde::de::DeserializeOwned;

use crate::payload::{
    CartPayload, EventPayload, LowStockPayload, ProductPayload, ReservationPayload, StockPayload,
    StorePayload, TransferPayload,
};
use crate::{AggregateType, EventType};

/// Why an event could not be read. Readers skip such an event and count it by
/// [`DecodeError::reason`]; they never read it as something else.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A type this build does not know (written by a newer build).
    #[error("unknown event type {0:?}")]
    UnknownType(String),
    /// A version of a known type this build does not know.
    #[error(
        "{event_type} version {version} is not one this build reads (it reads version {supported})"
    )]
    UnknownVersion {
        /// The event's type.
        event_type: EventType,
        /// The version it declares.
        version: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// The payload does not have the shape its type and version promise.
    #[error("{event_type} payload is malformed: {reason}")]
    Malformed {
        /// The event's type.
        event_type: EventType,
        /// What serde found.
        reason: String,
    },
}

impl DecodeError {
    /// A short label for metrics: `unknown_type`, `unknown_version` or `malformed`.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::UnknownType(_) => "unknown_type",
            Self::UnknownVersion { .. } => "unknown_version",
            Self::Malformed { .. } => "malformed",
        }
    }
}

/// Decodes the payload of an event of type `event_type` written in `schema_version`.
///
/// # Errors
/// [`DecodeError`] for an unknown type or version, or a payload of the wrong shape.
pub fn decode(
    event_type: &str,
    schema_version: u32,
    payload: &str,
) -> Result<(EventType, EventPayload), DecodeError> {
    let kind: EventType = event_type
        .parse()
        .map_err(|_| DecodeError::UnknownType(event_type.to_owned()))?;
    if schema_version != kind.schema_version() {
        return Err(DecodeError::UnknownVersion {
            event_type: kind,
            version: schema_version,
            supported: kind.schema_version(),
        });
    }
    if matches!(kind, EventType::StockLow | EventType::StockReplenished) {
        return Ok((
            kind,
            EventPayload::LowStock(parse::<LowStockPayload>(kind, payload)?),
        ));
    }
    let body = match kind.aggregate() {
        AggregateType::Product => EventPayload::Product(parse::<ProductPayload>(kind, payload)?),
        AggregateType::Store => EventPayload::Store(parse::<StorePayload>(kind, payload)?),
        AggregateType::Stock => EventPayload::Stock(parse::<StockPayload>(kind, payload)?),
        AggregateType::Cart => EventPayload::Cart(parse::<CartPayload>(kind, payload)?),
        AggregateType::Transfer => EventPayload::Transfer(parse::<TransferPayload>(kind, payload)?),
        AggregateType::Reservation => {
            EventPayload::Reservation(parse::<ReservationPayload>(kind, payload)?)
        }
    };
    Ok((kind, body))
}

fn parse<T: DeserializeOwned>(kind: EventType, payload: &str) -> Result<T, DecodeError> {
    serde_json::from_str(payload).map_err(|error| DecodeError::Malformed {
        event_type: kind,
        reason: error.to_string(),
    })
}
