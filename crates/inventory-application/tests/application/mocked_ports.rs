//! Use cases with mocked leaf ports (clock, ids): what each use case asks of the clock and the
//! id generator, and what it writes with their answers.

use std::sync::Arc;

use inventory_application::{AdjustStock, Ports, ReserveStock, UseCases};
use inventory_domain::{
    AdjustmentReason, CustomerId, ProductId, Quantity, ReservationTtl, StockDelta, StoreId,
};
use inventory_ports::{
    Clock, IdGenerator, MockClock, MockIdGenerator, RequestContext, SequentialIds,
};
use inventory_testkit::fixtures::{T0, details};
use inventory_testkit::memory::MemoryStore;
use time::Duration;
use uuid::Uuid;

fn use_cases(clock: impl Clock + 'static, ids: impl IdGenerator + 'static) -> UseCases {
    UseCases::new(Ports {
        store: Arc::new(MemoryStore::new()),
        clock: Arc::new(clock),
        ids: Arc::new(ids),
        read_cache: None,
    })
}

fn clock_at(now: time::OffsetDateTime) -> MockClock {
    let mut clock = MockClock::new();
    clock.expect_now().returning(move || now);
    clock
}

fn restock(product: ProductId, units: i64) -> AdjustStock {
    AdjustStock {
        product_id: product,
        store_id: StoreId::parse("MAD-001").expect("valid"),
        delta: StockDelta::new(units).expect("valid"),
        reason: AdjustmentReason::Restock,
        user_id: None,
        on_behalf_of: None,
    }
}

fn reserve(product: ProductId, ttl: i64) -> ReserveStock {
    ReserveStock {
        product_id: product,
        store_id: StoreId::parse("MAD-001").expect("valid"),
        customer_id: CustomerId::parse("cust-456").expect("valid"),
        quantity: Quantity::new(1).expect("valid"),
        ttl: ReservationTtl::from_seconds(ttl).expect("valid"),
        limits: None,
    }
}

#[test]
fn a_new_product_takes_its_id_from_the_generator_and_its_times_from_the_clock() {
    let mut ids = MockIdGenerator::new();
    let mut sequence = mockall::Sequence::new();
    ids.expect_new_id()
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|| Uuid::from_u128(0xA));
    ids.expect_new_id()
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|| Uuid::from_u128(0xE));
    let use_cases = use_cases(clock_at(T0), ids);
    let product = use_cases
        .products
        .create(details("MOCK-1"), &RequestContext::with_request_id("req-1"))
        .expect("create");
    assert_eq!(product.id, ProductId::from_uuid(Uuid::from_u128(0xA)));
    assert_eq!((product.created_at, product.updated_at), (T0, T0));
    let event = &use_cases.events.after(0, 10).expect("events")[0];
    assert_eq!(
        event.event_id.as_uuid(),
        Uuid::from_u128(0xE),
        "the second id names the event"
    );
    assert_eq!(event.occurred_at, T0);
    assert_eq!(event.request_id.as_deref(), Some("req-1"));
}

#[test]
fn a_reservation_expires_its_ttl_after_the_clocks_now() {
    let now = T0 + Duration::minutes(5);
    let use_cases = use_cases(clock_at(now), SequentialIds::default());
    let product = use_cases
        .products
        .create(details("MOCK-2"), &RequestContext::default())
        .expect("create")
        .id;
    use_cases
        .stock
        .adjust(restock(product, 3), &RequestContext::default())
        .expect("restock");
    let reservation = use_cases
        .reservations
        .reserve(reserve(product, 90), &RequestContext::default())
        .expect("reserve");
    assert_eq!(reservation.created_at(), now);
    assert_eq!(reservation.expires_at(), now + Duration::seconds(90));
    assert_eq!(
        use_cases.reservations.next_expiry().expect("read"),
        Some(now + Duration::seconds(90))
    );
}

#[test]
fn expiry_releases_every_due_reservation_across_batches_and_nothing_else() {
    let use_cases = use_cases(clock_at(T0), SequentialIds::default());
    let product = use_cases
        .products
        .create(details("MOCK-3"), &RequestContext::default())
        .expect("create")
        .id;
    use_cases
        .stock
        .adjust(restock(product, 10), &RequestContext::default())
        .expect("restock");
    for ttl in [10, 20, 30, 40, 50, 600] {
        use_cases
            .reservations
            .reserve(reserve(product, ttl), &RequestContext::default())
            .expect("reserve");
    }
    let released = use_cases
        .reservations
        .expire_due(T0 + Duration::seconds(50), 2)
        .expect("expire");
    assert_eq!(released, 5, "five due, in batches of two");
    let stock = use_cases
        .stock
        .get(product, &StoreId::parse("MAD-001").expect("valid"))
        .expect("stock");
    assert_eq!(
        stock.reserved(),
        1,
        "the 600 s reservation still holds its unit"
    );
    let expired = use_cases
        .events
        .after(0, 100)
        .expect("events")
        .into_iter()
        .filter(|e| e.event_type == "reservation.expired")
        .count();
    assert_eq!(expired, 5);
    assert_eq!(
        use_cases
            .reservations
            .expire_due(T0 + Duration::seconds(50), 2)
            .expect("expire"),
        0
    );
}

#[test]
fn an_expiry_batch_out_of_bounds_is_refused() {
    let use_cases = use_cases(clock_at(T0), SequentialIds::default());
    assert_eq!(
        use_cases.reservations.expire_due(T0, 0).unwrap_err().code(),
        "VALIDATION_FAILED"
    );
    assert_eq!(
        use_cases
            .reservations
            .expire_due(T0, 501)
            .unwrap_err()
            .code(),
        "VALIDATION_FAILED"
    );
    assert_eq!(
        use_cases.events.after(0, 0).unwrap_err().code(),
        "VALIDATION_FAILED"
    );
}
