//! What the service relies on from storage, checked through the real use cases: no oversell
//! under concurrency (within a process and across two handles, as two processes would have),
//! stale counts refused, refusals and failed transactions leaving nothing, expiry once, and a
//! log that a follower reads completely while writers commit.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;

use inventory_application::{CountStock, UseCases};
use inventory_domain::{AdjustmentReason, ReservationStatus, StockCount, StockDelta, StockError};
use inventory_ports::{
    InventoryError, InventoryStore, InventoryStoreExt, ManualClock, Page, RecordedEvent,
    RequestContext, ReservationFilter,
};
use time::Duration;

use super::faulty::FaultyStore;
use super::{TestDatabase, use_cases};
use crate::fixtures::{T0, adjust_command, new_event, reserve_command, stocked, store_id};

fn ctx() -> RequestContext {
    RequestContext::default()
}

pub(crate) fn all_events(store: &dyn InventoryStore) -> Vec<RecordedEvent> {
    let mut events = Vec::new();
    loop {
        let after = events.last().map_or(0, |e: &RecordedEvent| e.seq);
        let page = store
            .read_with(move |tx| tx.events_after(after, 500))
            .expect("read events");
        if page.is_empty() {
            return events;
        }
        events.extend(page);
    }
}

pub(crate) fn count_of(events: &[RecordedEvent], event_type: &str) -> usize {
    events.iter().filter(|e| e.event_type == event_type).count()
}

fn pending_units(use_cases: &UseCases) -> u32 {
    let filter = ReservationFilter {
        status: Some(ReservationStatus::Pending),
        ..ReservationFilter::default()
    };
    let page = Page::new(Some(500), None).expect("valid");
    use_cases
        .reservations
        .list(filter, page)
        .expect("list")
        .data
        .iter()
        .map(|r| r.quantity().get())
        .sum()
}

/// Sixteen threads, half on a second handle to the same database, try 1 008 one-unit
/// reservations of 100 units: exactly 100 succeed, every other is refused as insufficient,
/// and `reserved` equals the pending reservations.
pub fn concurrent_reservations_on_one_row_never_oversell(db: &dyn TestDatabase) {
    let clock = Arc::new(ManualClock::new(T0));
    let sides = [
        use_cases(db.store(), &clock),
        use_cases(db.second_store(), &clock),
    ];
    let product = stocked(&sides[0], "SKU-HOT", 100);
    let won = AtomicUsize::new(0);
    let refused = AtomicUsize::new(0);
    thread::scope(|scope| {
        for worker in 0..16 {
            let side = &sides[worker % 2];
            let (won, refused) = (&won, &refused);
            scope.spawn(move || {
                for attempt in 0..63 {
                    let command = reserve_command(
                        product,
                        "MAD-001",
                        &format!("cust-{worker}-{attempt}"),
                        1,
                        600,
                    );
                    match side.reservations.reserve(command, &ctx()) {
                        Ok(_) => won.fetch_add(1, Ordering::SeqCst),
                        Err(InventoryError::Stock(StockError::InsufficientStock { .. })) => {
                            refused.fetch_add(1, Ordering::SeqCst)
                        }
                        Err(other) => panic!("unexpected error: {other:?}"),
                    };
                }
            });
        }
    });
    assert_eq!(
        won.load(Ordering::SeqCst),
        100,
        "exactly the units in stock"
    );
    assert_eq!(refused.load(Ordering::SeqCst), 1008 - 100);
    let stock = sides[1]
        .stock
        .get(product, &store_id("MAD-001"))
        .expect("stock");
    assert_eq!((stock.quantity(), stock.reserved()), (100, 100));
    assert_eq!(pending_units(&sides[0]), 100, "reserved == sum of PENDING");
    let events = all_events(&*db.store());
    assert_eq!(
        count_of(&events, "reservation.created"),
        100,
        "one event per hold"
    );
    super::assert_consistent(&sides[0]);
}

/// Eight threads, half on a second handle, restock the same pairs at the same moment while
/// no stock row exists for them yet: one of them creates each row, no increment is lost and
/// none fails (a handle that finds the row created under it runs its change again).
pub fn the_first_restocks_of_a_pair_race_and_every_unit_lands(db: &dyn TestDatabase) {
    let clock = Arc::new(ManualClock::new(T0));
    let sides = [
        use_cases(db.store(), &clock),
        use_cases(db.second_store(), &clock),
    ];
    let product = stocked(&sides[0], "SKU-NEW-PAIRS", 1);
    let pairs = ["BCN-001", "VAL-001", "SEV-001"];
    let start = std::sync::Barrier::new(8);
    let failures = std::sync::Mutex::new(Vec::new());
    thread::scope(|scope| {
        for worker in 0..8 {
            let (side, start, failures) = (&sides[worker % 2], &start, &failures);
            scope.spawn(move || {
                for code in pairs {
                    // Every thread reaches every barrier, failing or not.
                    start.wait();
                    if let Err(error) = side.stock.adjust(adjust_command(product, code, 1), &ctx())
                    {
                        failures
                            .lock()
                            .expect("lock")
                            .push(format!("{code}: {error:?}"));
                    }
                }
            });
        }
    });
    assert_eq!(failures.into_inner().expect("lock"), Vec::<String>::new());
    for code in pairs {
        let stock = sides[1].stock.get(product, &store_id(code)).expect("stock");
        assert_eq!((stock.quantity(), stock.version()), (8, 8), "{code}");
    }
    let events = all_events(&*db.store());
    assert_eq!(
        count_of(&events, "stock.created"),
        1 + pairs.len(),
        "one row each"
    );
    super::assert_consistent(&sides[0]);
}

/// What one worker of the mixed-operations case saw acknowledged, per pair.
#[derive(Default)]
struct Acknowledged {
    /// Units added by restocks minus units removed by sales and confirmations.
    net_units: std::collections::BTreeMap<(usize, usize), i64>,
    unexpected: Vec<String>,
}

/// Eight workers, half on a second handle, run a random mix of reservations, confirmations,
/// cancellations, restocks and sales on four pairs at once, so that writes of different kinds
/// on the same rows share transactions. Afterwards every count adds up: each pair's
/// `reserved` is the sum of its PENDING reservations, its quantity is what the acknowledged
/// operations make it, and its versions follow one another in the log's order.
pub fn concurrent_mixed_operations_keep_every_count_consistent(db: &dyn TestDatabase) {
    use inventory_events::{EventPayload, decode};

    let clock = Arc::new(ManualClock::new(T0));
    let sides = [
        use_cases(db.store(), &clock),
        use_cases(db.second_store(), &clock),
    ];
    let products = [
        stocked(&sides[0], "SKU-MIX-1", 20),
        stocked(&sides[0], "SKU-MIX-2", 20),
    ];
    let stores = ["MAD-001", "BCN-001"];
    for product in products {
        sides[0]
            .stock
            .adjust(adjust_command(product, "BCN-001", 20), &ctx())
            .expect("stock the second store");
    }
    let results: Vec<Acknowledged> = thread::scope(|scope| {
        let workers: Vec<_> = (0..8u64)
            .map(|worker| {
                let side = &sides[(worker % 2) as usize];
                let (products, stores) = (&products, &stores);
                scope.spawn(move || {
                    let mut seen = Acknowledged::default();
                    let mut random = worker.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
                    let mut next = |bound: u64| {
                        random ^= random << 13;
                        random ^= random >> 7;
                        random ^= random << 17;
                        random % bound
                    };
                    let mut pending = Vec::new();
                    for step in 0..60 {
                        let pair = (next(2) as usize, next(2) as usize);
                        let (product, store) = (products[pair.0], stores[pair.1]);
                        let units = 1 + next(3) as i64;
                        let outcome = match next(10) {
                            0..4 => side
                                .reservations
                                .reserve(
                                    reserve_command(
                                        product,
                                        store,
                                        &format!("mix-{worker}-{step}"),
                                        units,
                                        600,
                                    ),
                                    &ctx(),
                                )
                                .map(|reservation| pending.push((pair, reservation))),
                            4..6 if !pending.is_empty() => {
                                let (pair, reservation) = pending.remove(0);
                                side.reservations
                                    .confirm(reservation.id(), &ctx())
                                    .map(|_| {
                                        *seen.net_units.entry(pair).or_default() -=
                                            i64::from(reservation.quantity().get());
                                    })
                            }
                            6..7 if !pending.is_empty() => {
                                let (_, reservation) = pending.remove(0);
                                side.reservations
                                    .cancel(reservation.id(), &ctx())
                                    .map(|_| ())
                            }
                            7..9 => side
                                .stock
                                .adjust(adjust_command(product, store, units), &ctx())
                                .map(|_| *seen.net_units.entry(pair).or_default() += units),
                            _ => side
                                .stock
                                .adjust(adjust_command(product, store, -units), &ctx())
                                .map(|_| *seen.net_units.entry(pair).or_default() -= units),
                        };
                        match outcome {
                            Ok(()) | Err(InventoryError::Stock(_)) => {}
                            Err(other) => seen.unexpected.push(format!("{other:?}")),
                        }
                    }
                    seen
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().expect("a worker"))
            .collect()
    });
    let unexpected: Vec<&String> = results.iter().flat_map(|r| &r.unexpected).collect();
    assert!(unexpected.is_empty(), "unexpected errors: {unexpected:?}");

    let filter = ReservationFilter {
        status: Some(ReservationStatus::Pending),
        ..ReservationFilter::default()
    };
    let pending = sides[1]
        .reservations
        .list(filter, Page::new(Some(500), None).expect("valid"))
        .expect("list")
        .data;
    for (p, product) in products.iter().enumerate() {
        for (s, store) in stores.iter().enumerate() {
            let stock = sides[1]
                .stock
                .get(*product, &store_id(store))
                .expect("stock");
            let held: u32 = pending
                .iter()
                .filter(|r| r.product_id() == *product && r.store_id().as_str() == *store)
                .map(|r| r.quantity().get())
                .sum();
            assert_eq!(
                stock.reserved(),
                held,
                "reserved == PENDING of {product} in {store}"
            );
            let net: i64 = results
                .iter()
                .filter_map(|r| r.net_units.get(&(p, s)))
                .sum();
            assert_eq!(
                i64::from(stock.quantity()),
                20 + net,
                "every acknowledged unit of {product} in {store}"
            );
        }
    }
    let mut versions: std::collections::BTreeMap<(String, String), u64> = Default::default();
    for event in all_events(&*db.store()) {
        let (_, payload) =
            decode(&event.event_type, event.schema_version, &event.payload).expect("decodes");
        let stock = match payload {
            EventPayload::Stock(payload) => payload.stock,
            EventPayload::Reservation(payload) => payload.stock,
            _ => continue,
        };
        let last = versions
            .entry((stock.product_id.clone(), stock.store_id.clone()))
            .or_default();
        assert_eq!(
            stock.version,
            *last + 1,
            "seq {}: the pair's versions follow the log",
            event.seq
        );
        *last = stock.version;
        assert!(stock.reserved <= stock.quantity, "seq {}", event.seq);
    }
    super::assert_consistent(&sides[0]);
}

/// Sixteen threads, half on a second handle, reserve for the same customer at once with a
/// limit of three reservations of the product: exactly three pass, the others are refused by
/// the limit, and nothing else happens to any of them.
pub fn a_customers_parallel_reservations_cannot_pass_its_limits(db: &dyn TestDatabase) {
    use inventory_domain::{Allowance, HoldLimitError, HoldLimits};

    let clock = Arc::new(ManualClock::new(T0));
    let sides = [
        use_cases(db.store(), &clock),
        use_cases(db.second_store(), &clock),
    ];
    let product = stocked(&sides[0], "SKU-LIMITED", 100);
    let limits = HoldLimits {
        per_product: Allowance {
            reservations: 3,
            units: 100,
        },
        ..HoldLimits::default()
    };
    let outcomes = std::sync::Mutex::new(Vec::new());
    thread::scope(|scope| {
        for worker in 0..16 {
            let (side, outcomes) = (&sides[worker % 2], &outcomes);
            scope.spawn(move || {
                let mut command = reserve_command(product, "MAD-001", "hoarder", 1, 600);
                command.limits = Some(limits);
                let outcome = side.reservations.reserve(command, &ctx());
                outcomes.lock().expect("lock").push(outcome);
            });
        }
    });
    let outcomes = outcomes.into_inner().expect("lock");
    let placed = outcomes.iter().filter(|o| o.is_ok()).count();
    let limited = outcomes
        .iter()
        .filter(|o| {
            matches!(
                o,
                Err(InventoryError::HoldLimit(
                    HoldLimitError::TooManyReservations { .. }
                ))
            )
        })
        .count();
    assert_eq!((placed, limited), (3, 13), "{outcomes:?}");
    assert_eq!(pending_units(&sides[1]), 3);
}

/// A physical count made against a stale version is refused with the current version, and
/// changes nothing.
pub fn a_stale_count_is_refused_with_the_current_version(db: &dyn TestDatabase) {
    let clock = Arc::new(ManualClock::new(T0));
    let use_cases = use_cases(db.store(), &clock);
    let product = stocked(&use_cases, "SKU-1", 5);
    let count = |quantity: i64, expected_version: u64| CountStock {
        product_id: product,
        store_id: store_id("MAD-001"),
        quantity: StockCount::new(quantity).expect("valid"),
        expected_version,
        user_id: None,
        on_behalf_of: None,
    };
    let counted = use_cases.stock.count(count(7, 1), &ctx()).expect("current");
    assert_eq!((counted.stock.quantity(), counted.stock.version()), (7, 2));
    let stale = use_cases.stock.count(count(9, 1), &ctx());
    assert_eq!(
        stale.map(|c| c.stock),
        Err(InventoryError::Stock(StockError::VersionConflict {
            expected: 1,
            current: 2
        }))
    );
    let stock = use_cases
        .stock
        .get(product, &store_id("MAD-001"))
        .expect("stock");
    assert_eq!((stock.quantity(), stock.version()), (7, 2), "unchanged");
    let missing = CountStock {
        store_id: store_id("BCN-001"),
        ..count(3, 4)
    };
    assert!(matches!(
        use_cases.stock.count(missing, &ctx()),
        Err(InventoryError::Stock(StockError::VersionConflict {
            current: 0,
            ..
        }))
    ));
    assert_eq!(
        all_events(&*db.store()).len(),
        3,
        "product, stock.created, one count"
    );
}

/// A refused change (more than available, below reserved, an unknown product) leaves nothing:
/// no row, no event, the stock as it was.
pub fn a_refused_change_leaves_nothing(db: &dyn TestDatabase) {
    let clock = Arc::new(ManualClock::new(T0));
    let use_cases = use_cases(db.store(), &clock);
    let product = stocked(&use_cases, "SKU-1", 2);
    let before = all_events(&*db.store());
    let too_many = use_cases
        .reservations
        .reserve(reserve_command(product, "MAD-001", "cust-1", 3, 60), &ctx());
    assert_eq!(
        too_many.map(|r| r.id()),
        Err(InventoryError::Stock(StockError::InsufficientStock {
            available: 2,
            requested: 3
        }))
    );
    use_cases
        .reservations
        .reserve(reserve_command(product, "MAD-001", "cust-1", 1, 60), &ctx())
        .expect("one fits");
    let after_hold = all_events(&*db.store());
    let below = use_cases
        .stock
        .adjust(adjust_command(product, "MAD-001", -2), &ctx());
    assert!(
        matches!(
            below,
            Err(InventoryError::Stock(StockError::BelowReserved { .. }))
        ),
        "{below:?}"
    );
    let unknown = crate::fixtures::product_id(999);
    assert_eq!(
        use_cases
            .stock
            .adjust(adjust_command(unknown, "MAD-001", 1), &ctx())
            .map(|c| c.created),
        Err(InventoryError::ProductNotFound(unknown))
    );
    assert_eq!(after_hold.len(), before.len() + 1);
    assert_eq!(
        all_events(&*db.store()),
        after_hold,
        "refusals record nothing"
    );
    let stock = use_cases
        .stock
        .get(product, &store_id("MAD-001"))
        .expect("stock");
    assert_eq!(
        (stock.quantity(), stock.reserved(), stock.version()),
        (2, 1, 2)
    );
    let listed = use_cases
        .reservations
        .list(ReservationFilter::default(), Page::default())
        .expect("list");
    assert_eq!(listed.total, 1, "no reservation row for the refusal");
}

/// A transaction that fails half-way (its second record fails, after the first was written)
/// returns the error and keeps nothing of what it wrote.
pub fn a_failing_transaction_returns_its_error_and_leaves_nothing(db: &dyn TestDatabase) {
    let clock = Arc::new(ManualClock::new(T0));
    let healthy = use_cases(db.store(), &clock);
    let product = stocked(&healthy, "SKU-1", 10);
    for customer in 0..3 {
        healthy
            .reservations
            .reserve(
                reserve_command(product, "MAD-001", &format!("cust-{customer}"), 1, 1),
                &ctx(),
            )
            .expect("reserve");
    }
    clock.advance(Duration::seconds(2));
    let before = all_events(&*db.store());
    let faulty = use_cases(Arc::new(FaultyStore::failing_record(db.store(), 2)), &clock);
    let now = T0 + Duration::seconds(2);
    assert_eq!(
        faulty.reservations.expire_due(now, 10),
        Err(FaultyStore::injected()),
        "the error of the failed record, unchanged"
    );
    assert_eq!(all_events(&*db.store()), before, "no expiry event was kept");
    assert_eq!(pending_units(&healthy), 3, "all three still pending");
    let stock = healthy
        .stock
        .get(product, &store_id("MAD-001"))
        .expect("stock");
    assert_eq!(
        stock.reserved(),
        3,
        "the first expiry's release was rolled back"
    );
    assert_eq!(healthy.reservations.expire_due(now, 10), Ok(3));
}

/// Reservations of which some are due: four expiry runs at once, on two handles, release
/// each due one once and none of the others.
pub fn expiry_releases_only_due_reservations_each_once(db: &dyn TestDatabase) {
    let clock = Arc::new(ManualClock::new(T0));
    let sides = [
        use_cases(db.store(), &clock),
        use_cases(db.second_store(), &clock),
    ];
    let product = stocked(&sides[0], "SKU-1", 100);
    for n in 0..30 {
        let ttl = if n < 20 { 1 + n % 5 } else { 600 };
        sides[0]
            .reservations
            .reserve(
                reserve_command(product, "MAD-001", &format!("cust-{n}"), 1, ttl),
                &ctx(),
            )
            .expect("reserve");
    }
    clock.advance(Duration::seconds(60));
    let now = T0 + Duration::seconds(60);
    let released = AtomicUsize::new(0);
    thread::scope(|scope| {
        for worker in 0..4 {
            let side = &sides[worker % 2];
            let released = &released;
            scope.spawn(move || {
                let count = side.reservations.expire_due(now, 3).expect("expiry runs");
                released.fetch_add(count, Ordering::SeqCst);
            });
        }
    });
    assert_eq!(released.load(Ordering::SeqCst), 20, "each due one once");
    let events = all_events(&*db.store());
    let expired: Vec<&str> = events
        .iter()
        .filter(|e| e.event_type == "reservation.expired")
        .map(|e| e.aggregate_id.as_str())
        .collect();
    let distinct: BTreeSet<&str> = expired.iter().copied().collect();
    assert_eq!((expired.len(), distinct.len()), (20, 20), "one event each");
    assert_eq!(pending_units(&sides[1]), 10, "the long ones are untouched");
    let stock = sides[0]
        .stock
        .get(product, &store_id("MAD-001"))
        .expect("stock");
    assert_eq!((stock.quantity(), stock.reserved()), (100, 10));
    assert_eq!(
        sides[1].reservations.expire_due(now, 3),
        Ok(0),
        "nothing left"
    );
}

/// Writers on both handles commit (some holding their transaction open for a while after
/// recording) while a reader follows the log from the last seq it saw: the reader sees every
/// event, once, in increasing order.
pub fn a_reader_following_the_log_sees_every_event_once_in_order(db: &dyn TestDatabase) {
    let clock = Arc::new(ManualClock::new(T0));
    let setup = use_cases(db.store(), &clock);
    let product = stocked(&setup, "SKU-1", 1);
    for code in ["BCN-001", "VAL-001", "SEV-001"] {
        setup
            .stock
            .adjust(adjust_command(product, code, 1), &ctx())
            .expect("restock");
    }
    let stores = [db.store(), db.second_store()];
    let writing = AtomicBool::new(true);
    let seen = thread::scope(|scope| {
        let reader = {
            let store = db.store();
            let writing = &writing;
            scope.spawn(move || {
                let mut seen = Vec::new();
                let mut last = 0;
                loop {
                    let done = !writing.load(Ordering::SeqCst);
                    let page = store
                        .read_with(move |tx| tx.events_after(last, 50))
                        .expect("read");
                    for event in &page {
                        assert!(event.seq > last, "seq {} after {last}", event.seq);
                        last = event.seq;
                        seen.push(event.seq);
                    }
                    if done && page.is_empty() {
                        return seen;
                    }
                }
            })
        };
        let writers: Vec<_> = ["MAD-001", "BCN-001", "VAL-001", "SEV-001"]
            .into_iter()
            .enumerate()
            .map(|(i, code)| {
                let store = Arc::clone(&stores[i % 2]);
                scope.spawn(move || {
                    for n in 0..40 {
                        store
                            .write_with(move |tx| {
                                let mut stock =
                                    tx.stock(product, &store_id(code))?.expect("stocked");
                                let event = stock.adjust(
                                    StockDelta::new(1).expect("valid"),
                                    AdjustmentReason::Restock,
                                    None,
                                    T0,
                                )?;
                                tx.record(&new_event(event))?;
                                if n % 4 == 0 {
                                    // A commit that takes its time, after its seq is taken.
                                    thread::sleep(std::time::Duration::from_millis(3));
                                }
                                Ok(())
                            })
                            .expect("write");
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().expect("writer");
        }
        writing.store(false, Ordering::SeqCst);
        reader.join().expect("reader")
    });
    let all: Vec<u64> = all_events(&*db.store()).iter().map(|e| e.seq).collect();
    assert_eq!(
        all,
        (1..=165).collect::<Vec<u64>>(),
        "consecutive seqs, no gap"
    );
    assert_eq!(seen, all, "the follower saw every event once, in order");
}
