//! Extending a pending reservation, through the real use cases: the hold lasts longer and the
//! expiry follows it, within the maximum hold counted from creation, and only while PENDING.

use std::sync::Arc;

use inventory_domain::{HoldLimitError, ReservationError, ReservationStatus, ReservationTtl};
use inventory_ports::{InventoryError, ManualClock, RequestContext};
use time::Duration;

use super::{TestDatabase, use_cases};
use crate::fixtures::{T0, reserve_command, stocked, store_id};

fn ctx() -> RequestContext {
    RequestContext::default()
}

fn ttl(seconds: i64) -> ReservationTtl {
    ReservationTtl::from_seconds(seconds).expect("a valid ttl")
}

/// A reservation extended halfway through its time expires at the new deadline, not the
/// old one; a shorter "extension", one past the maximum hold, and one of a resolved
/// reservation are refused and change nothing.
pub fn an_extended_reservation_expires_at_its_new_deadline(db: &dyn TestDatabase) {
    let clock = Arc::new(ManualClock::new(T0));
    let cases = use_cases(db.store(), &clock);
    let product = stocked(&cases, "SKU-EXTEND", 10);
    let reservation = cases
        .reservations
        .reserve(reserve_command(product, "MAD-001", "cust-1", 2, 60), &ctx())
        .expect("reserve");
    clock.advance(Duration::seconds(30));
    assert_eq!(
        cases
            .reservations
            .extend(reservation.id(), ttl(10), None, &ctx())
            .map(|_| ()),
        Err(InventoryError::Reservation(ReservationError::NotExtended {
            expires_at: T0 + Duration::seconds(60)
        }))
    );
    assert_eq!(
        cases
            .reservations
            .extend(reservation.id(), ttl(120), Some(ttl(100)), &ctx())
            .map(|_| ()),
        Err(InventoryError::HoldLimit(HoldLimitError::TtlTooLong {
            allowed_seconds: 100,
            requested_seconds: 150
        }))
    );
    let extended = cases
        .reservations
        .extend(reservation.id(), ttl(120), Some(ttl(150)), &ctx())
        .expect("extended within the maximum hold");
    assert_eq!(extended.expires_at(), T0 + Duration::seconds(150));
    assert_eq!(
        cases.reservations.get(reservation.id()),
        Ok(extended.clone())
    );

    clock.advance(Duration::seconds(70));
    assert_eq!(
        cases
            .reservations
            .expire_due(T0 + Duration::seconds(100), 10),
        Ok(0),
        "the old deadline has passed, the new one has not"
    );
    let stock = cases
        .stock
        .get(product, &store_id("MAD-001"))
        .expect("stock");
    assert_eq!(stock.reserved(), 2, "still held");
    assert_eq!(
        cases
            .reservations
            .expire_due(T0 + Duration::seconds(150), 10),
        Ok(1)
    );
    let expired = cases.reservations.get(reservation.id()).expect("get");
    assert_eq!(expired.status(), ReservationStatus::Expired);
    // Resolved is resolved, even when the hold would also be too long.
    assert_eq!(
        cases
            .reservations
            .extend(reservation.id(), ttl(60), Some(ttl(100)), &ctx())
            .map(|_| ()),
        Err(InventoryError::Reservation(
            ReservationError::AlreadyResolved {
                status: ReservationStatus::Expired
            }
        ))
    );
}
