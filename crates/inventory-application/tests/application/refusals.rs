//! Each use case refuses what it must, with the typed error a caller can act on, and changes
//! nothing when it does.

use inventory_application::{AdjustStock, CountStock, UseCases};
use inventory_domain::{
    AdjustmentReason, ProductId, ReservationError, ReservationId, ReservationStatus, Sku,
    StockCount, StockError, StoreDetails, StoreId, StoreName, ValidationError,
};
use inventory_ports::{InventoryError, ManualClock, RequestContext};
use inventory_testkit::fixtures::{T0, adjust_command, details, reserve_command, store};
use time::Duration;

use crate::support::{ctx, fresh, stocked};

fn madrid() -> StoreId {
    StoreId::parse("MAD-001").expect("valid")
}

fn reserve_in_madrid(
    use_cases: &UseCases,
    product: ProductId,
    units: i64,
    ttl: i64,
) -> Result<inventory_domain::Reservation, InventoryError> {
    use_cases.reservations.reserve(
        reserve_command(product, "MAD-001", "cust-456", units, ttl),
        &ctx(),
    )
}

fn setup() -> ((), UseCases, std::sync::Arc<ManualClock>, ProductId) {
    let (use_cases, clock, _) = fresh();
    let product = stocked(&use_cases, "REF-1", 10);
    ((), use_cases, clock, product)
}

#[test]
fn a_duplicate_sku_is_refused() {
    let ((), use_cases, _, _) = setup();
    let error = use_cases
        .products
        .create(details("ref-1"), &ctx())
        .unwrap_err();
    assert_eq!(
        error,
        InventoryError::DuplicateSku(Sku::parse("REF-1").expect("valid"))
    );
    assert_eq!(error.code(), "DUPLICATE_SKU");
}

#[test]
fn unknown_products_and_stores_are_not_found() {
    let ((), use_cases, _, product) = setup();
    let ghost = ProductId::from_uuid(uuid::Uuid::from_u128(0xDEAD));
    let nowhere = StoreId::parse("ZZZ-999").expect("valid");
    assert_eq!(
        use_cases
            .stock
            .adjust(adjust_command(ghost, "MAD-001", 1), &ctx())
            .unwrap_err(),
        InventoryError::ProductNotFound(ghost)
    );
    assert_eq!(
        use_cases
            .stock
            .adjust(adjust_command(product, "ZZZ-999", 1), &ctx())
            .unwrap_err(),
        InventoryError::StoreNotFound(nowhere.clone())
    );
    assert_eq!(
        use_cases
            .reservations
            .reserve(reserve_command(ghost, "MAD-001", "cust-456", 1, 60), &ctx())
            .unwrap_err(),
        InventoryError::ProductNotFound(ghost)
    );
    assert_eq!(
        use_cases
            .reservations
            .reserve(
                reserve_command(product, "ZZZ-999", "cust-456", 1, 60),
                &ctx()
            )
            .unwrap_err(),
        InventoryError::StoreNotFound(nowhere.clone())
    );
    assert_eq!(
        use_cases.products.get(ghost).unwrap_err(),
        InventoryError::ProductNotFound(ghost)
    );
    assert_eq!(
        use_cases
            .availability
            .of_product(product, Some(nowhere.clone()))
            .unwrap_err(),
        InventoryError::StoreNotFound(nowhere)
    );
    let missing = ReservationId::from_uuid(uuid::Uuid::from_u128(0xBEEF));
    assert_eq!(
        use_cases.reservations.confirm(missing, &ctx()).unwrap_err(),
        InventoryError::ReservationNotFound(missing)
    );
}

#[test]
fn an_adjustment_below_reserved_is_refused_and_changes_nothing() {
    let ((), use_cases, _, product) = setup();
    reserve_in_madrid(&use_cases, product, 7, 60).expect("reserve");
    let before = use_cases.stock.get(product, &madrid()).expect("stock");
    let error = use_cases
        .stock
        .adjust(adjust_command(product, "MAD-001", -4), &ctx())
        .unwrap_err();
    assert_eq!(
        error,
        InventoryError::Stock(StockError::BelowReserved {
            resulting_quantity: 6,
            reserved: 7
        })
    );
    assert_eq!(error.code(), "STOCK_BELOW_RESERVED");
    assert_eq!(
        use_cases.stock.get(product, &madrid()).expect("stock"),
        before
    );
}

#[test]
fn a_delta_against_its_reason_is_invalid() {
    let ((), use_cases, _, product) = setup();
    let error = use_cases
        .stock
        .adjust(
            AdjustStock {
                reason: AdjustmentReason::Restock,
                ..adjust_command(product, "MAD-001", -1)
            },
            &ctx(),
        )
        .unwrap_err();
    assert!(matches!(
        error,
        InventoryError::Invalid(ValidationError {
            field: "quantity_change",
            ..
        })
    ));
}

#[test]
fn reserving_more_than_available_reports_both_numbers() {
    let ((), use_cases, _, product) = setup();
    let error = reserve_in_madrid(&use_cases, product, 11, 60).unwrap_err();
    assert_eq!(
        error,
        InventoryError::Stock(StockError::InsufficientStock {
            available: 10,
            requested: 11
        })
    );
    let error = use_cases
        .reservations
        .reserve(
            reserve_command(product, "SEV-001", "cust-456", 1, 60),
            &ctx(),
        )
        .unwrap_err();
    assert_eq!(
        error,
        InventoryError::Stock(StockError::InsufficientStock {
            available: 0,
            requested: 1
        }),
        "a store without a stock record has nothing available"
    );
}

#[test]
fn a_resolved_reservation_cannot_be_confirmed_or_cancelled_again() {
    let ((), use_cases, _, product) = setup();
    let confirmed = reserve_in_madrid(&use_cases, product, 1, 60).expect("reserve");
    use_cases
        .reservations
        .confirm(confirmed.id(), &ctx())
        .expect("confirm");
    let error = use_cases
        .reservations
        .confirm(confirmed.id(), &ctx())
        .unwrap_err();
    assert_eq!(error.code(), "RESERVATION_ALREADY_CONFIRMED");
    let error = use_cases
        .reservations
        .cancel(confirmed.id(), &ctx())
        .unwrap_err();
    assert_eq!(
        error,
        InventoryError::Reservation(ReservationError::AlreadyResolved {
            status: ReservationStatus::Confirmed
        })
    );
    let cancelled = reserve_in_madrid(&use_cases, product, 1, 60).expect("reserve");
    use_cases
        .reservations
        .cancel(cancelled.id(), &ctx())
        .expect("cancel");
    assert_eq!(
        use_cases
            .reservations
            .confirm(cancelled.id(), &ctx())
            .unwrap_err()
            .code(),
        "RESERVATION_ALREADY_CANCELLED"
    );
    let stock = use_cases.stock.get(product, &madrid()).expect("stock");
    assert_eq!(
        (stock.quantity(), stock.reserved()),
        (9, 0),
        "one sold, nothing held"
    );
}

#[test]
fn a_reservation_past_its_expiry_cannot_be_confirmed_before_the_worker_runs() {
    let ((), use_cases, clock, product) = setup();
    let reservation = reserve_in_madrid(&use_cases, product, 2, 60).expect("reserve");
    clock.advance(Duration::seconds(60));
    let error = use_cases
        .reservations
        .confirm(reservation.id(), &ctx())
        .unwrap_err();
    assert_eq!(error.code(), "RESERVATION_EXPIRED");
    assert_eq!(
        use_cases
            .reservations
            .get(reservation.id())
            .expect("exists")
            .status(),
        ReservationStatus::Pending
    );
    let released = use_cases
        .reservations
        .expire_due(T0 + Duration::seconds(60), 10)
        .expect("expire");
    assert_eq!(released, 1);
    assert_eq!(
        use_cases
            .reservations
            .get(reservation.id())
            .expect("exists")
            .status(),
        ReservationStatus::Expired
    );
    assert_eq!(
        use_cases
            .reservations
            .confirm(reservation.id(), &ctx())
            .unwrap_err()
            .code(),
        "RESERVATION_EXPIRED"
    );
    assert_eq!(
        use_cases
            .stock
            .get(product, &madrid())
            .expect("stock")
            .reserved(),
        0
    );
}

#[test]
fn a_stale_count_is_a_conflict_carrying_the_current_version() {
    let ((), use_cases, _, product) = setup();
    reserve_in_madrid(&use_cases, product, 1, 60).expect("reserve");
    let count = |expected_version| CountStock {
        product_id: product,
        store_id: madrid(),
        quantity: StockCount::new(12).expect("valid"),
        expected_version,
        user_id: None,
        on_behalf_of: None,
    };
    let error = use_cases.stock.count(count(1), &ctx()).unwrap_err();
    assert_eq!(
        error,
        InventoryError::Stock(StockError::VersionConflict {
            expected: 1,
            current: 2
        })
    );
    assert_eq!(error.code(), "VERSION_CONFLICT");
    let counted = use_cases
        .stock
        .count(count(2), &ctx())
        .expect("current version");
    assert_eq!(
        (
            counted.stock.quantity(),
            counted.stock.version(),
            counted.created
        ),
        (12, 3, false)
    );
}

#[test]
fn an_inactive_store_takes_no_reservations() {
    let ((), use_cases, _, product) = setup();
    let store = use_cases.stores.get(&madrid()).expect("store");
    let closed = StoreDetails {
        active: false,
        ..store.details
    };
    use_cases
        .stores
        .update(madrid(), closed, &ctx())
        .expect("close");
    let error = reserve_in_madrid(&use_cases, product, 1, 60).unwrap_err();
    assert_eq!(error, InventoryError::StoreInactive(madrid()));
    let availability = use_cases
        .availability
        .of_product(product, None)
        .expect("availability");
    assert!(
        availability.stores.iter().all(|s| s.store_id != madrid()),
        "left out of availability"
    );
}

#[test]
fn a_product_with_held_units_cannot_be_deleted() {
    let ((), use_cases, _, product) = setup();
    let reservation = reserve_in_madrid(&use_cases, product, 3, 60).expect("reserve");
    let error = use_cases.products.delete(product, &ctx()).unwrap_err();
    assert_eq!(
        error,
        InventoryError::ProductHasReservations {
            product_id: product,
            reserved: 3
        }
    );
    use_cases
        .reservations
        .cancel(reservation.id(), &ctx())
        .expect("cancel");
    use_cases
        .products
        .delete(product, &ctx())
        .expect("deleted once nothing is held");
    assert_eq!(
        use_cases.products.get(product).unwrap_err(),
        InventoryError::ProductNotFound(product)
    );
}

#[test]
fn a_duplicate_store_code_is_refused() {
    let ((), use_cases, _, _) = setup();
    let details = StoreDetails {
        name: StoreName::parse("Otra Madrid").expect("valid"),
        ..store("MAD-001").details
    };
    let error = use_cases
        .stores
        .create(madrid(), details, &RequestContext::default())
        .unwrap_err();
    assert_eq!(error, InventoryError::DuplicateStore(madrid()));
}

#[test]
fn a_change_the_database_gave_up_on_is_run_again_a_few_times() {
    use std::sync::Arc;

    use inventory_ports::Failure;
    use inventory_testkit::contract::{FaultyStore, use_cases};

    let (healthy, clock, store) = fresh();
    let product = stocked(&healthy, "RETRY-1", 10);
    let deadlock = InventoryError::Unavailable(Failure::new("deadlock detected").transient());
    let twice = use_cases(
        Arc::new(FaultyStore::failing_records(
            store.clone(),
            1,
            2,
            deadlock.clone(),
        )),
        &clock,
    );
    twice
        .reservations
        .reserve(reserve_command(product, "MAD-001", "cust-1", 1, 60), &ctx())
        .expect("the third attempt succeeds");
    let always = use_cases(
        Arc::new(FaultyStore::failing_records(
            store.clone(),
            1,
            100,
            deadlock.clone(),
        )),
        &clock,
    );
    assert_eq!(
        always
            .reservations
            .reserve(reserve_command(product, "MAD-001", "cust-2", 1, 60), &ctx())
            .map(|r| r.id()),
        Err(deadlock),
        "given up after a few attempts, with the database's answer"
    );
    let lasting = use_cases(
        Arc::new(FaultyStore::failing_records(
            store,
            1,
            2,
            FaultyStore::injected(),
        )),
        &clock,
    );
    assert_eq!(
        lasting
            .reservations
            .reserve(reserve_command(product, "MAD-001", "cust-3", 1, 60), &ctx())
            .map(|r| r.id()),
        Err(FaultyStore::injected()),
        "a failure that is not transient is not run again"
    );
    let stock = healthy.stock.get(product, &madrid()).expect("stock");
    assert_eq!(stock.reserved(), 1, "exactly one reservation held");
}
