//! Never oversell under concurrency: many threads, and independent stores on one file (as
//! separate processes would have), race for the last units of one (product, store) pair.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use inventory_adapter_sqlite::{SqliteStore, Synchronous};
use inventory_domain::{ProductId, StockError, StoreId};
use inventory_ports::{InventoryError, InventoryStore, Page, ReservationFilter, UseCases};
use inventory_testkit::fixtures::{adjust_command, details, reserve_command};

use crate::support::{TestDb, ctx, use_cases_with_ids};

fn use_cases(store: Arc<SqliteStore>) -> (UseCases, Arc<inventory_ports::ManualClock>) {
    use_cases_with_ids(store, Arc::new(inventory_ports::UuidV7Ids))
}

const UNITS: i64 = 100;
const ATTEMPTS: usize = 1000;
const THREADS: usize = 16;

#[derive(Debug, Default)]
struct Tally {
    reserved: AtomicUsize,
    insufficient: AtomicUsize,
    other: AtomicUsize,
}

fn stock_up(use_cases: &UseCases) -> (ProductId, StoreId) {
    let product = use_cases
        .products
        .create(details("HOT-SKU"), &ctx())
        .expect("product")
        .id;
    let store = StoreId::parse("MAD-001").expect("valid");
    use_cases
        .stock
        .adjust(adjust_command(product, "MAD-001", UNITS), &ctx())
        .expect("restock");
    (product, store)
}

/// `THREADS` threads share `ATTEMPTS` attempts to reserve one unit each, spread over the
/// given use cases (one per independent store).
fn race(sides: &[UseCases], product: ProductId, store: &StoreId) -> Arc<Tally> {
    let tally = Arc::new(Tally::default());
    let attempts = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..THREADS)
        .map(|n| {
            let use_cases = sides[n % sides.len()].clone();
            let (tally, attempts, store) = (tally.clone(), attempts.clone(), store.clone());
            thread::spawn(move || {
                while attempts.fetch_add(1, Ordering::SeqCst) < ATTEMPTS {
                    let command =
                        reserve_command(product, store.as_str(), &format!("cust-{n}"), 1, 600);
                    match use_cases.reservations.reserve(command, &ctx()) {
                        Ok(_) => tally.reserved.fetch_add(1, Ordering::SeqCst),
                        Err(InventoryError::Stock(StockError::InsufficientStock { .. })) => {
                            tally.insufficient.fetch_add(1, Ordering::SeqCst)
                        }
                        Err(other) => {
                            eprintln!("unexpected: {other:?}");
                            tally.other.fetch_add(1, Ordering::SeqCst)
                        }
                    };
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("no thread panicked");
    }
    tally
}

fn assert_exactly_the_stock_was_reserved(
    tally: &Tally,
    use_cases: &UseCases,
    product: ProductId,
    store: &StoreId,
) {
    assert_eq!(
        tally.other.load(Ordering::SeqCst),
        0,
        "no other error (no SQLITE_BUSY) reached a caller"
    );
    assert_eq!(
        tally.reserved.load(Ordering::SeqCst),
        UNITS as usize,
        "exactly the units in stock were reserved"
    );
    assert_eq!(
        tally.insufficient.load(Ordering::SeqCst),
        ATTEMPTS - UNITS as usize
    );
    let stock = use_cases.stock.get(product, store).expect("stock");
    assert_eq!(
        (stock.quantity(), stock.reserved()),
        (UNITS as u32, UNITS as u32)
    );
    let reservations = use_cases
        .reservations
        .list(
            ReservationFilter::default(),
            Page::new(Some(500), None).expect("valid"),
        )
        .expect("list");
    assert_eq!(
        reservations.total, UNITS as u64,
        "one reservation row per success"
    );
    let created = use_cases
        .events
        .after(0, 1000)
        .expect("events")
        .iter()
        .filter(|e| e.event_type == "reservation.created")
        .count();
    assert_eq!(created, UNITS as usize, "one event per success");
}

#[test]
fn sixteen_threads_reserve_exactly_the_units_in_stock() {
    let db = TestDb::new();
    let (use_cases, _) = use_cases(db.store.clone());
    let (product, store) = stock_up(&use_cases);
    let tally = race(std::slice::from_ref(&use_cases), product, &store);
    assert_exactly_the_stock_was_reserved(&tally, &use_cases, product, &store);
}

#[test]
fn two_independent_stores_on_one_file_reserve_exactly_the_units_in_stock() {
    let db = TestDb::new();
    let (first, _) = use_cases(db.store.clone());
    let second_store: Arc<SqliteStore> = Arc::new(db.second_store(Synchronous::Full));
    let (second, _) = use_cases(second_store.clone());
    let (product, store) = stock_up(&first);
    let tally = race(&[first.clone(), second], product, &store);
    assert_exactly_the_stock_was_reserved(&tally, &first, product, &store);
    second_store
        .check_health()
        .expect("the second store is still healthy");
}
