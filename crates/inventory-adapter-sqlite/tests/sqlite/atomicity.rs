//! A change and its event commit together or not at all, down to SQL statements: a trigger
//! makes every insert into the outbox fail, which is a failure inside one recorded change,
//! between its stock update and its event insert. Afterwards there must be no trace of the
//! change. (The contract's `a_failing_transaction_returns_its_error_and_leaves_nothing` fails
//! a whole record; this fails a statement inside one.)

use inventory_domain::StoreId;
use inventory_ports::{InventoryError, Page, ReservationFilter};
use inventory_testkit::fixtures::{adjust_command, details, reserve_command};

use crate::support::{TestDb, ctx, use_cases};

fn fail_every_event_insert(db: &TestDb) {
    db.raw()
        .execute_batch(
            "CREATE TRIGGER inject_outbox_failure BEFORE INSERT ON events \
             BEGIN SELECT RAISE(ABORT, 'injected outbox failure'); END;",
        )
        .expect("create trigger");
}

fn heal(db: &TestDb) {
    db.raw()
        .execute_batch("DROP TRIGGER inject_outbox_failure")
        .expect("drop trigger");
}

#[test]
fn a_failure_between_the_stock_update_and_the_event_insert_leaves_no_trace() {
    let db = TestDb::new();
    let (use_cases, _) = use_cases(&db);
    let product = use_cases
        .products
        .create(details("ATOM-1"), &ctx())
        .expect("product")
        .id;
    let store = StoreId::parse("MAD-001").expect("valid");
    let restock = |units| adjust_command(product, "MAD-001", units);
    use_cases
        .stock
        .adjust(restock(10), &ctx())
        .expect("restock");
    let events_before = use_cases.events.after(0, 100).expect("events").len();

    fail_every_event_insert(&db);
    let reserve = reserve_command(product, "MAD-001", "cust-1", 3, 600);
    let error = use_cases
        .reservations
        .reserve(reserve.clone(), &ctx())
        .unwrap_err();
    assert!(matches!(error, InventoryError::Internal(_)), "{error:?}");
    let error = use_cases.stock.adjust(restock(5), &ctx()).unwrap_err();
    assert!(matches!(error, InventoryError::Internal(_)), "{error:?}");

    let stock = use_cases.stock.get(product, &store).expect("stock");
    assert_eq!(
        (stock.quantity(), stock.reserved(), stock.version()),
        (10, 0, 1),
        "stock unchanged"
    );
    let reservations = use_cases
        .reservations
        .list(ReservationFilter::default(), Page::default())
        .expect("list");
    assert_eq!(reservations.total, 0, "no reservation row");
    assert_eq!(
        use_cases.events.after(0, 100).expect("events").len(),
        events_before,
        "no event"
    );

    heal(&db);
    let reservation = use_cases
        .reservations
        .reserve(reserve, &ctx())
        .expect("works again");
    let stock = use_cases.stock.get(product, &store).expect("stock");
    assert_eq!((stock.reserved(), stock.version()), (3, 2));
    let last = use_cases
        .events
        .after(0, 100)
        .expect("events")
        .pop()
        .expect("an event");
    assert_eq!(last.aggregate_id, reservation.id().to_string());
}

#[test]
fn a_failed_confirmation_keeps_the_reservation_pending_and_the_units_held() {
    let db = TestDb::new();
    let (use_cases, _) = use_cases(&db);
    let product = use_cases
        .products
        .create(details("ATOM-2"), &ctx())
        .expect("product")
        .id;
    let store = StoreId::parse("BCN-001").expect("valid");
    use_cases
        .stock
        .adjust(adjust_command(product, "BCN-001", 4), &ctx())
        .expect("restock");
    let reservation = use_cases
        .reservations
        .reserve(
            reserve_command(product, "BCN-001", "cust-1", 2, 600),
            &ctx(),
        )
        .expect("reserve");

    fail_every_event_insert(&db);
    assert!(
        use_cases
            .reservations
            .confirm(reservation.id(), &ctx())
            .is_err()
    );
    heal(&db);

    let stored = use_cases
        .reservations
        .get(reservation.id())
        .expect("exists");
    assert_eq!(stored, reservation, "still PENDING, unchanged");
    let stock = use_cases.stock.get(product, &store).expect("stock");
    assert_eq!((stock.quantity(), stock.reserved()), (4, 2));
    use_cases
        .reservations
        .confirm(reservation.id(), &ctx())
        .expect("the confirmation succeeds once the failure is gone");
}
