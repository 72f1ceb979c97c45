//! Carts, through the real use cases: all or nothing, no oversell when carts and single
//! reservations race over the same rows, resolution once with every line, and expiry once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use inventory_application::{PlaceCart, UseCases};
use inventory_domain::{
    CartError, CartLine, CustomerId, ProductId, Quantity, ReservationStatus, ReservationTtl,
    Shortfall,
};
use inventory_ports::{
    InventoryError, InventoryStoreExt, ManualClock, Page, RequestContext, ReservationFilter,
};
use time::Duration;

use super::service::{all_events, count_of};
use super::{TestDatabase, use_cases};
use crate::fixtures::{T0, adjust_command, reserve_command, stocked, store_id};

fn ctx() -> RequestContext {
    RequestContext::default()
}

fn line(product: ProductId, store: &str, units: i64) -> CartLine {
    CartLine {
        product_id: product,
        store_id: store_id(store),
        quantity: Quantity::new(units).expect("a valid quantity"),
    }
}

fn cart(customer: &str, lines: Vec<CartLine>, ttl_seconds: i64) -> PlaceCart {
    PlaceCart {
        customer_id: CustomerId::parse(customer).expect("a valid customer"),
        lines,
        ttl: ReservationTtl::from_seconds(ttl_seconds).expect("a valid ttl"),
        limits: None,
    }
}

fn reserved(cases: &UseCases, product: ProductId, store: &str) -> (u32, u32) {
    let stock = cases.stock.get(product, &store_id(store)).expect("stock");
    (stock.quantity(), stock.reserved())
}

/// PENDING units per (product, store), from the reservations themselves.
fn pending_units(cases: &UseCases, product: ProductId, store: &str) -> u32 {
    let mut units = 0;
    let mut offset = 0;
    loop {
        let page = Page::new(Some(500), Some(offset)).expect("page");
        let filter = ReservationFilter {
            store_id: Some(store_id(store)),
            status: Some(ReservationStatus::Pending),
            ..ReservationFilter::default()
        };
        let listed = cases.reservations.list(filter, page).expect("list");
        units += listed
            .data
            .iter()
            .filter(|r| r.product_id() == product)
            .map(|r| r.quantity().get())
            .sum::<u32>();
        if listed.data.len() < 500 {
            return units;
        }
        offset += 500;
    }
}

/// A cart whose last line cannot be served reserves nothing, reports that line with what
/// its store has, and writes no event.
pub fn a_cart_whose_last_line_cannot_be_served_reserves_nothing(db: &dyn TestDatabase) {
    let clock = Arc::new(ManualClock::new(T0));
    let cases = use_cases(db.store(), &clock);
    let shirts = stocked(&cases, "SKU-SHIRT", 10);
    let shoes = stocked(&cases, "SKU-SHOES", 5);
    cases
        .stock
        .adjust(adjust_command(shoes, "BCN-001", 1), &ctx())
        .expect("restock");
    let events_before = all_events(&*db.store()).len();
    let refused = cases.carts.place(
        cart(
            "cust-1",
            vec![line(shirts, "MAD-001", 2), line(shoes, "BCN-001", 2)],
            600,
        ),
        &ctx(),
    );
    assert_eq!(
        refused,
        Err(InventoryError::Cart(CartError::Unavailable(vec![
            Shortfall {
                product_id: shoes,
                store_id: store_id("BCN-001"),
                requested: 2,
                available: 1,
            }
        ])))
    );
    assert_eq!(reserved(&cases, shirts, "MAD-001"), (10, 0));
    assert_eq!(reserved(&cases, shoes, "BCN-001"), (1, 0));
    assert_eq!(all_events(&*db.store()).len(), events_before, "no event");
    // A line whose pair has no stock record is reported with 0 available, among the others.
    let refused = cases.carts.place(
        cart(
            "cust-1",
            vec![line(shirts, "SEV-001", 1), line(shoes, "BCN-001", 5)],
            600,
        ),
        &ctx(),
    );
    let Err(InventoryError::Cart(CartError::Unavailable(lines))) = refused else {
        panic!("refused: {refused:?}");
    };
    assert_eq!(
        lines.len(),
        2,
        "every line that cannot be served: {lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.store_id.as_str() == "SEV-001" && l.available == 0)
    );
}

/// A placed cart holds every line (lines of one pair merged); a partial confirmation sells
/// the chosen lines and releases the rest once; a line is never resolved on its own.
pub fn a_cart_resolves_once_with_all_its_lines(db: &dyn TestDatabase) {
    let clock = Arc::new(ManualClock::new(T0));
    let cases = use_cases(db.store(), &clock);
    let shirts = stocked(&cases, "SKU-CART-SHIRT", 10);
    let shoes = stocked(&cases, "SKU-CART-SHOES", 1);
    cases
        .stock
        .adjust(adjust_command(shoes, "BCN-001", 4), &ctx())
        .expect("restock");
    let placed = cases
        .carts
        .place(
            cart(
                "cust-1",
                vec![
                    line(shirts, "MAD-001", 1),
                    line(shoes, "BCN-001", 3),
                    line(shirts, "MAD-001", 1),
                ],
                600,
            ),
            &ctx(),
        )
        .expect("placed");
    assert_eq!(placed.lines().len(), 2, "lines of one pair merged");
    assert_eq!(reserved(&cases, shirts, "MAD-001"), (10, 2));
    assert_eq!(reserved(&cases, shoes, "BCN-001"), (4, 3));
    assert_eq!(cases.carts.get(placed.id()).expect("get"), placed);
    let shirt_line = placed
        .lines()
        .iter()
        .find(|l| l.product_id() == shirts)
        .expect("a shirt line")
        .id();
    assert_eq!(
        cases.reservations.confirm(shirt_line, &ctx()),
        Err(InventoryError::ReservationInCart(shirt_line))
    );
    let confirmed = cases
        .carts
        .confirm(placed.id(), Some(vec![shirt_line]), &ctx())
        .expect("confirm the shirts only");
    assert_eq!(confirmed.status(), ReservationStatus::Confirmed);
    assert_eq!(reserved(&cases, shirts, "MAD-001"), (8, 0), "sold");
    assert_eq!(reserved(&cases, shoes, "BCN-001"), (4, 0), "released");
    assert_eq!(
        cases.carts.cancel(placed.id(), &ctx()).map(|_| ()),
        Err(InventoryError::Cart(CartError::AlreadyResolved {
            status: ReservationStatus::Confirmed
        }))
    );
    let events = all_events(&*db.store());
    assert_eq!(count_of(&events, "cart.created"), 1);
    assert_eq!(count_of(&events, "cart.confirmed"), 1);
    assert_eq!(count_of(&events, "reservation.confirmed"), 1);
    assert_eq!(count_of(&events, "reservation.cancelled"), 1);
    // The cart's event follows its lines', and vendors' feeds leave it out.
    let last = events.last().expect("events");
    assert_eq!(last.event_type, "cart.confirmed");
    let madrid = db
        .store()
        .read_with(|tx| tx.store_events_after(&store_id("MAD-001"), 0, 500));
    assert!(
        madrid
            .expect("read")
            .iter()
            .all(|e| !e.event_type.starts_with("cart."))
    );
}

/// Sixteen threads, half on a second handle, place two-line carts and single reservations
/// over the same two rows at once: no row is ever oversold, `reserved` equals the PENDING
/// units of each row, and every placed cart holds all its lines.
pub fn concurrent_carts_and_single_reservations_never_oversell(db: &dyn TestDatabase) {
    let clock = Arc::new(ManualClock::new(T0));
    let sides = [
        use_cases(db.store(), &clock),
        use_cases(db.second_store(), &clock),
    ];
    let hot = stocked(&sides[0], "SKU-HOT-CART", 40);
    let cold = stocked(&sides[0], "SKU-COLD-CART", 1);
    sides[0]
        .stock
        .adjust(adjust_command(cold, "BCN-001", 30), &ctx())
        .expect("restock");
    let carts = AtomicUsize::new(0);
    let singles = AtomicUsize::new(0);
    thread::scope(|scope| {
        for worker in 0..16 {
            let side = &sides[worker % 2];
            let (carts, singles) = (&carts, &singles);
            scope.spawn(move || {
                for attempt in 0..12 {
                    let customer = format!("cust-{worker}-{attempt}");
                    let result = if (worker + attempt) % 3 == 0 {
                        side.reservations
                            .reserve(reserve_command(hot, "MAD-001", &customer, 1, 600), &ctx())
                            .map(|_| singles.fetch_add(1, Ordering::SeqCst))
                    } else {
                        // Half the carts name their lines in the other order: the use case
                        // sorts them, so no two carts wait on each other in a cycle.
                        let mut lines = vec![line(hot, "MAD-001", 1), line(cold, "BCN-001", 1)];
                        if worker % 2 == 0 {
                            lines.reverse();
                        }
                        side.carts
                            .place(cart(&customer, lines, 600), &ctx())
                            .map(|placed| {
                                assert_eq!(placed.lines().len(), 2);
                                carts.fetch_add(1, Ordering::SeqCst)
                            })
                    };
                    match result {
                        Ok(_) => {}
                        Err(InventoryError::Stock(_) | InventoryError::Cart(_)) => {}
                        Err(error) if error.code() == "SERVICE_UNAVAILABLE" => {}
                        Err(other) => panic!("unexpected error: {other:?}"),
                    }
                }
            });
        }
    });
    let (carts, singles) = (carts.load(Ordering::SeqCst), singles.load(Ordering::SeqCst));
    let (hot_quantity, hot_reserved) = reserved(&sides[0], hot, "MAD-001");
    let (cold_quantity, cold_reserved) = reserved(&sides[1], cold, "BCN-001");
    assert_eq!(hot_quantity, 40);
    assert_eq!(cold_quantity, 30);
    assert!(hot_reserved <= hot_quantity && cold_reserved <= cold_quantity);
    assert_eq!(
        hot_reserved as usize,
        carts + singles,
        "every hold of the hot row"
    );
    assert_eq!(cold_reserved as usize, carts, "a cart holds all its lines");
    assert_eq!(pending_units(&sides[0], hot, "MAD-001"), hot_reserved);
    assert_eq!(pending_units(&sides[1], cold, "BCN-001"), cold_reserved);
    assert!(
        carts > 0 && singles > 0,
        "both kinds won some: {carts}, {singles}"
    );
    assert_eq!(hot_reserved, 40, "the hot row sold out, and no further");
    super::assert_consistent(&sides[0]);
}

/// Due carts expire once, with every line, whichever of four racing expiry runs (on two
/// handles) claims them; a cart not yet due is untouched.
pub fn due_carts_expire_once_with_their_lines(db: &dyn TestDatabase) {
    let clock = Arc::new(ManualClock::new(T0));
    let sides = [
        use_cases(db.store(), &clock),
        use_cases(db.second_store(), &clock),
    ];
    let shirts = stocked(&sides[0], "SKU-EXPIRING-SHIRT", 50);
    let socks = stocked(&sides[0], "SKU-EXPIRING-SOCKS", 50);
    for n in 0..9 {
        let ttl = if n < 6 { 30 } else { 600 };
        sides[0]
            .carts
            .place(
                cart(
                    &format!("cust-{n}"),
                    vec![line(shirts, "MAD-001", 1), line(socks, "MAD-001", 2)],
                    ttl,
                ),
                &ctx(),
            )
            .expect("placed");
    }
    clock.advance(Duration::seconds(60));
    let now = T0 + Duration::seconds(60);
    let released = AtomicUsize::new(0);
    thread::scope(|scope| {
        for worker in 0..4 {
            let side = &sides[worker % 2];
            let released = &released;
            scope.spawn(move || {
                let count = side.reservations.expire_due(now, 2).expect("expiry runs");
                released.fetch_add(count, Ordering::SeqCst);
            });
        }
    });
    assert_eq!(
        released.load(Ordering::SeqCst),
        12,
        "six carts of two lines"
    );
    let events = all_events(&*db.store());
    assert_eq!(count_of(&events, "cart.expired"), 6);
    assert_eq!(count_of(&events, "reservation.expired"), 12);
    assert_eq!(reserved(&sides[0], shirts, "MAD-001"), (50, 3));
    assert_eq!(reserved(&sides[1], socks, "MAD-001"), (50, 6));
    assert_eq!(sides[0].reservations.expire_due(now, 2), Ok(0));
}
