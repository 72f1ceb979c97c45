//! Idempotency keys, through the real use cases: a keyed change runs once however many
//! repeats race it, a key over another request is refused, a refused change stores no answer,
//! and old answers are purged.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use inventory_domain::{Reservation, ReservationStatus};
use inventory_ports::{
    Idempotency, IdempotencyKey, InventoryError, InventoryStoreExt, ManualClock, Page,
    RequestContext, ReservationFilter,
};

use super::{TestDatabase, use_cases};
use crate::fixtures::{T0, reserve_command, stocked};

/// A context carrying `key` of `scope` for a request whose content is `fingerprint`; the
/// answer rendered is the reservation's id.
fn keyed(scope: &str, key: &str, fingerprint: &str) -> RequestContext {
    RequestContext {
        request_id: None,
        actor: None,
        idempotency: Some(Idempotency {
            key: IdempotencyKey::new(scope, key).expect("a valid key"),
            fingerprint: fingerprint.to_owned(),
            render: Arc::new(|value| {
                let reservation = value.downcast_ref::<Reservation>()?;
                Some((201, reservation.id().to_string().into_bytes()))
            }),
        }),
    }
}

fn reservations(use_cases: &inventory_application::UseCases) -> Vec<Reservation> {
    let page = Page::new(Some(500), None).expect("valid");
    use_cases
        .reservations
        .list(ReservationFilter::default(), page)
        .expect("list")
        .data
}

/// Fifty threads, half on a second handle, send the same keyed reservation at once: it runs
/// once, the winner's answer is the stored one, and every repeat gets that answer byte for
/// byte (or, at worst, a transient refusal), never a second reservation.
pub fn a_keyed_change_runs_once_however_many_repeats_race_it(db: &dyn TestDatabase) {
    let clock = Arc::new(ManualClock::new(T0));
    let sides = [
        use_cases(db.store(), &clock),
        use_cases(db.second_store(), &clock),
    ];
    let product = stocked(&sides[0], "SKU-KEYED", 100);
    let executed = Mutex::new(Vec::new());
    let replayed = Mutex::new(Vec::new());
    let busy = AtomicUsize::new(0);
    thread::scope(|scope| {
        for worker in 0..50 {
            let side = &sides[worker % 2];
            let (executed, replayed, busy) = (&executed, &replayed, &busy);
            scope.spawn(move || {
                let command = reserve_command(product, "MAD-001", "cust-1", 2, 600);
                let context = keyed("customer:cust-1", "order-17", "reserve 2");
                match side.reservations.reserve(command, &context) {
                    Ok(reservation) => executed.lock().unwrap().push(reservation),
                    Err(InventoryError::Replayed(stored)) => {
                        replayed.lock().unwrap().push(*stored);
                    }
                    Err(error) if error.is_transient() || error.code() == "SERVICE_UNAVAILABLE" => {
                        busy.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(other) => panic!("a keyed repeat failed: {other:?}"),
                }
            });
        }
    });
    let executed = executed.into_inner().unwrap();
    let replayed = replayed.into_inner().unwrap();
    assert_eq!(executed.len(), 1, "the keyed change ran once");
    assert_eq!(
        executed.len() + replayed.len() + busy.load(Ordering::SeqCst),
        50
    );
    assert!(!replayed.is_empty(), "repeats got the stored answer");
    let winner = executed[0].id().to_string().into_bytes();
    for stored in &replayed {
        assert_eq!(
            stored.body, winner,
            "a replay is the first answer, byte for byte"
        );
        assert_eq!(stored.status, 201);
    }
    let all = reservations(&sides[0]);
    assert_eq!(all.len(), 1, "one reservation exists: {all:?}");
    let stock = sides[0]
        .stock
        .get(product, &crate::fixtures::store_id("MAD-001"))
        .expect("stock");
    assert_eq!(stock.reserved(), 2);
}

/// The same key over another request is refused and changes nothing; the same key from
/// another caller is that caller's own.
pub fn a_key_over_another_request_is_refused(db: &dyn TestDatabase) {
    let clock = Arc::new(ManualClock::new(T0));
    let cases = use_cases(db.store(), &clock);
    let product = stocked(&cases, "SKU-KEY-REUSE", 10);
    let first = cases
        .reservations
        .reserve(
            reserve_command(product, "MAD-001", "cust-1", 1, 600),
            &keyed("customer:cust-1", "k-1", "reserve 1"),
        )
        .expect("first");
    let other_body = cases.reservations.reserve(
        reserve_command(product, "MAD-001", "cust-1", 3, 600),
        &keyed("customer:cust-1", "k-1", "reserve 3"),
    );
    assert_eq!(other_body, Err(InventoryError::IdempotencyKeyReused));
    let other_caller = cases
        .reservations
        .reserve(
            reserve_command(product, "MAD-001", "cust-2", 1, 600),
            &keyed("customer:cust-2", "k-1", "reserve 1"),
        )
        .expect("another caller's key is its own");
    assert_ne!(first.id(), other_caller.id());
    let units: u32 = reservations(&cases)
        .iter()
        .filter(|r| r.status() == ReservationStatus::Pending)
        .map(|r| r.quantity().get())
        .sum();
    assert_eq!(units, 2, "the refused request held nothing");
}

/// A keyed change the rules refuse stores no answer: the client's retry, once stock is
/// there, is a new attempt and succeeds.
pub fn a_refused_keyed_change_stores_no_answer(db: &dyn TestDatabase) {
    let clock = Arc::new(ManualClock::new(T0));
    let cases = use_cases(db.store(), &clock);
    let product = stocked(&cases, "SKU-KEY-REFUSED", 1);
    let context = keyed("customer:cust-1", "k-2", "reserve 5");
    let refused = cases.reservations.reserve(
        reserve_command(product, "MAD-001", "cust-1", 5, 600),
        &context,
    );
    assert_eq!(
        refused.map(|_| ()).map_err(|e| e.code()),
        Err("INSUFFICIENT_STOCK")
    );
    let key = IdempotencyKey::new("customer:cust-1", "k-2").expect("key");
    let stored = db
        .store()
        .read_with(move |tx| tx.stored_response(&key))
        .expect("read");
    assert_eq!(stored, None);
    cases
        .stock
        .adjust(
            crate::fixtures::adjust_command(product, "MAD-001", 4),
            &RequestContext::default(),
        )
        .expect("restock");
    cases
        .reservations
        .reserve(
            reserve_command(product, "MAD-001", "cust-1", 5, 600),
            &context,
        )
        .expect("the retry runs");
}

/// Answers older than the retention are forgotten, newer ones kept; a forgotten key may be
/// used again.
pub fn old_answers_are_purged(db: &dyn TestDatabase) {
    let clock = Arc::new(ManualClock::new(T0));
    let cases = use_cases(db.store(), &clock);
    let product = stocked(&cases, "SKU-KEY-PURGE", 10);
    let reserve = |key: &str| {
        cases.reservations.reserve(
            reserve_command(product, "MAD-001", "cust-1", 1, 600),
            &keyed("customer:cust-1", key, "reserve 1"),
        )
    };
    reserve("old").expect("old");
    clock.advance(time::Duration::hours(2));
    reserve("new").expect("new");
    let purged = cases
        .idempotency_keys
        .purge(
            inventory_ports::Clock::now(&*clock),
            std::time::Duration::from_secs(3600),
        )
        .expect("purge");
    assert_eq!(purged, 1);
    assert!(matches!(reserve("new"), Err(InventoryError::Replayed(_))));
    reserve("old").expect("a forgotten key runs again");
}
