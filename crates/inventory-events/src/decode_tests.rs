use crate::samples::every_event;
use crate::{DecodeError, EventPayload, EventType, RecordedEvent, decode, encode};

#[test]
fn every_event_decodes_to_what_was_encoded() {
    for event in every_event() {
        let encoded = encode(&event).expect("encodes");
        let (kind, payload) = decode(
            encoded.event_type.as_str(),
            encoded.schema_version,
            &encoded.payload,
        )
        .expect("decodes");
        assert_eq!(kind, encoded.event_type);
        let again = match &payload {
            EventPayload::Product(p) => serde_json::to_string(p),
            EventPayload::Store(p) => serde_json::to_string(p),
            EventPayload::Stock(p) => serde_json::to_string(p),
            EventPayload::LowStock(p) => serde_json::to_string(p),
            EventPayload::Reservation(p) => serde_json::to_string(p),
            EventPayload::Cart(p) => serde_json::to_string(p),
            EventPayload::Transfer(p) => serde_json::to_string(p),
        }
        .expect("serialises");
        assert_eq!(again, encoded.payload, "{kind} round-trips");
        assert_eq!(
            payload.stock().is_some(),
            matches!(
                kind.aggregate(),
                crate::AggregateType::Stock | crate::AggregateType::Reservation
            )
        );
    }
}

#[test]
fn an_unknown_type_is_an_error_not_a_reservation() {
    let encoded = encode(&every_event()[7]).expect("encodes");
    let error = decode("reservation.postponed", 1, &encoded.payload).unwrap_err();
    assert_eq!(
        error,
        DecodeError::UnknownType("reservation.postponed".into())
    );
    assert_eq!(error.reason(), "unknown_type");
}

#[test]
fn an_unknown_version_is_an_error_even_when_the_shape_would_fit() {
    let encoded = encode(&every_event()[6]).expect("encodes");
    let error = decode("stock.updated", 2, &encoded.payload).unwrap_err();
    assert_eq!(
        error,
        DecodeError::UnknownVersion {
            event_type: EventType::StockUpdated,
            version: 2,
            supported: 1
        }
    );
    assert_eq!(error.reason(), "unknown_version");
}

#[test]
fn a_payload_of_another_aggregate_is_malformed() {
    let product = encode(&every_event()[0]).expect("encodes");
    let error = decode("stock.updated", 1, &product.payload).unwrap_err();
    assert_eq!(error.reason(), "malformed");
}

#[test]
fn a_recorded_event_decodes_by_its_declared_type() {
    let encoded = encode(&every_event()[8]).expect("encodes");
    let recorded = RecordedEvent {
        seq: 1,
        event_id: inventory_domain::EventId::from_uuid(uuid::Uuid::from_u128(1)),
        event_type: encoded.event_type.as_str().into(),
        schema_version: encoded.schema_version,
        aggregate_type: encoded.aggregate_type().as_str().into(),
        aggregate_id: encoded.aggregate_id,
        store_id: encoded.store_id,
        product_id: encoded.product_id,
        payload: encoded.payload,
        occurred_at: time::OffsetDateTime::UNIX_EPOCH,
        request_id: None,
    };
    let (kind, payload) = recorded.decode().expect("decodes");
    assert_eq!(kind, EventType::ReservationConfirmed);
    let EventPayload::Reservation(body) = payload else {
        panic!("a reservation payload");
    };
    assert_eq!(body.reservation.status, "CONFIRMED");
    let change = crate::AvailabilityChange::of(&recorded)
        .expect("decodes")
        .expect("moves stock");
    assert_eq!((change.quantity, change.reserved), (11, 0));
}
