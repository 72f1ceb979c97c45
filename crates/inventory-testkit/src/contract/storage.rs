//! What the storage port's `# Errors` sections promise, checked through the port itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use inventory_domain::{AdjustmentReason, Category, DomainEvent, ReservationStatus, StockDelta};
use inventory_ports::{
    InventoryError, InventoryStore, InventoryStoreExt, Page, ProductFilter, ReservationFilter,
    StockFilter,
};
use time::Duration;

use super::TestDatabase;
use crate::fixtures::{
    T0, new_event, open_stock, place, product, product_id, reservation_id, store, store_id,
};

fn page(limit: i64, offset: i64) -> Page {
    Page::new(Some(limit), Some(offset)).expect("a valid page")
}

/// Records `changes` in one transaction.
fn record(store: &dyn InventoryStore, changes: Vec<DomainEvent>) -> Result<(), InventoryError> {
    store.write_with(move |tx| {
        changes
            .into_iter()
            .try_for_each(|change| tx.record(&new_event(change)))
    })
}

/// Every event's seq, in order.
fn seqs(store: &dyn InventoryStore) -> Vec<u64> {
    store
        .read_with(|tx| tx.events_after(0, 1000))
        .expect("read events")
        .iter()
        .map(|event| event.seq)
        .collect()
}

fn assert_refused(result: Result<(), InventoryError>, expected: &InventoryError) {
    match result {
        Err(error) => assert_eq!(&error, expected),
        Ok(()) => panic!("expected {expected:?}, the store accepted"),
    }
}

fn assert_internal(result: Result<(), InventoryError>) {
    assert!(
        matches!(result, Err(InventoryError::Internal(_))),
        "expected an internal error, got {result:?}"
    );
}

fn event_count(store: &dyn InventoryStore) -> usize {
    store
        .read_with(|tx| tx.events_after(0, 1000))
        .expect("read events")
        .len()
}

/// The four stores of the design document exist in a new database.
pub fn the_chains_stores_exist_from_the_start(db: &dyn TestDatabase) {
    let store = db.store();
    let (stores, total) = store
        .read_with(|tx| tx.list_stores(Page::default()))
        .expect("list");
    let codes: Vec<&str> = stores.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(codes, ["BCN-001", "MAD-001", "SEV-001", "VAL-001"]);
    assert_eq!(total, 4);
    assert_eq!(stores[1].details.name.as_str(), "Madrid Centro");
    assert_eq!(event_count(&*store), 0, "the seeded stores have no events");
}

/// A recorded product reads back equal, by id and by SKU, and its event reads back as encoded.
pub fn a_recorded_product_and_its_event_read_back(db: &dyn TestDatabase) {
    let store = db.store();
    let mut written = product(1, "SKU-1");
    written.details.category = Some(Category::parse("tv").expect("valid"));
    let event = inventory_ports::NewEvent::new(
        DomainEvent::ProductCreated(written.clone()),
        inventory_domain::EventId::from_uuid(uuid::Uuid::from_u128(77)),
        T0,
        Some("req-1".into()),
    )
    .expect("encodes");
    let expected_event = event.clone();
    store
        .write_with(move |tx| tx.record(&event))
        .expect("record");
    let by_id = store
        .read_with(|tx| tx.product(product_id(1)))
        .expect("read");
    assert_eq!(by_id.as_ref(), Some(&written));
    let sku = written.details.sku.clone();
    let by_sku = store
        .read_with(move |tx| tx.product_by_sku(&sku))
        .expect("read");
    assert_eq!(by_sku, Some(written));
    let events = store
        .read_with(|tx| tx.events_after(0, 10))
        .expect("read events");
    assert_eq!(
        events,
        vec![expected_event.recorded(1)],
        "stored as recorded, seq 1"
    );
}

/// A product whose SKU another product has is refused, created or updated, and leaves nothing.
pub fn a_duplicate_sku_is_refused(db: &dyn TestDatabase) {
    let store = db.store();
    record(
        &*store,
        vec![
            DomainEvent::ProductCreated(product(1, "SKU-1")),
            DomainEvent::ProductCreated(product(2, "SKU-2")),
        ],
    )
    .expect("setup");
    let duplicate = product(3, "SKU-1");
    let sku = duplicate.details.sku.clone();
    assert_refused(
        record(&*store, vec![DomainEvent::ProductCreated(duplicate)]),
        &InventoryError::DuplicateSku(sku.clone()),
    );
    assert_refused(
        record(
            &*store,
            vec![DomainEvent::ProductUpdated(product(2, "SKU-1"))],
        ),
        &InventoryError::DuplicateSku(sku),
    );
    assert_eq!(event_count(&*store), 2, "refusals record nothing");
    let second = store
        .read_with(|tx| tx.product(product_id(2)))
        .expect("read")
        .expect("exists");
    assert_eq!(second.details.sku.as_str(), "SKU-2", "unchanged");
}

/// Updating or deleting a product that does not exist is not found.
pub fn changing_a_missing_product_is_not_found(db: &dyn TestDatabase) {
    let store = db.store();
    assert_refused(
        record(
            &*store,
            vec![DomainEvent::ProductUpdated(product(9, "SKU-9"))],
        ),
        &InventoryError::ProductNotFound(product_id(9)),
    );
    assert_refused(
        record(
            &*store,
            vec![DomainEvent::ProductDeleted(product(9, "SKU-9"))],
        ),
        &InventoryError::ProductNotFound(product_id(9)),
    );
    assert_eq!(event_count(&*store), 0);
}

/// Deleting a product removes its stock and reservations but keeps its events.
pub fn deleting_a_product_removes_its_stock_and_reservations(db: &dyn TestDatabase) {
    let store = db.store();
    let (mut stock, opened) = open_stock(product_id(1), "MAD-001", 5);
    let (mut held, placed) = place(10, &mut stock, 1, 60, T0);
    let cancelled = held.cancel(&mut stock, T0).expect("cancel");
    record(
        &*store,
        vec![
            DomainEvent::ProductCreated(product(1, "SKU-1")),
            opened,
            placed,
            cancelled,
        ],
    )
    .expect("setup");
    record(&*store, vec![product(1, "SKU-1").delete()]).expect("delete");
    let (stock, reservation, events) = store
        .read_with(|tx| {
            Ok((
                tx.stock(product_id(1), &store_id("MAD-001"))?,
                tx.reservation(reservation_id(10))?,
                tx.events_after(0, 10)?,
            ))
        })
        .expect("read");
    assert_eq!((stock, reservation), (None, None));
    assert_eq!(events.len(), 5, "events are history and stay");
}

/// A created store's code must be free; an updated store must exist.
pub fn store_codes_are_unique(db: &dyn TestDatabase) {
    let db_store = db.store();
    assert_refused(
        record(
            &*db_store,
            vec![DomainEvent::StoreCreated(store("MAD-001"))],
        ),
        &InventoryError::DuplicateStore(store_id("MAD-001")),
    );
    assert_refused(
        record(
            &*db_store,
            vec![DomainEvent::StoreUpdated(store("ZZZ-999"))],
        ),
        &InventoryError::StoreNotFound(store_id("ZZZ-999")),
    );
    record(
        &*db_store,
        vec![DomainEvent::StoreCreated(store("ZAR-001"))],
    )
    .expect("a new code");
    let found = db_store
        .read_with(|tx| tx.store(&store_id("ZAR-001")))
        .expect("read");
    assert_eq!(found, Some(store("ZAR-001")));
}

/// A stock record needs an existing product and store; the error names the missing one. A
/// pair is recorded once.
pub fn stock_needs_an_existing_product_and_store(db: &dyn TestDatabase) {
    let store = db.store();
    assert_refused(
        record(&*store, vec![open_stock(product_id(7), "MAD-001", 1).1]),
        &InventoryError::ProductNotFound(product_id(7)),
    );
    record(
        &*store,
        vec![DomainEvent::ProductCreated(product(7, "SKU-7"))],
    )
    .expect("product");
    assert_refused(
        record(&*store, vec![open_stock(product_id(7), "ZZZ-999", 1).1]),
        &InventoryError::StoreNotFound(store_id("ZZZ-999")),
    );
    record(&*store, vec![open_stock(product_id(7), "MAD-001", 1).1]).expect("both exist");
    let events = event_count(&*store);
    let twice = record(&*store, vec![open_stock(product_id(7), "MAD-001", 1).1]);
    assert!(
        matches!(&twice, Err(InventoryError::Internal(_)))
            || matches!(&twice, Err(error @ InventoryError::Unavailable(_)) if error.is_transient()),
        "a second record of the pair is refused as a bug or as a race: {twice:?}"
    );
    assert_eq!(event_count(&*store), events, "and leaves nothing");
}

/// A stock change made against a version that is no longer stored is refused as a lost
/// update, and leaves nothing (no state, no event).
pub fn a_stale_stock_change_is_refused(db: &dyn TestDatabase) {
    let store = db.store();
    let (mut stock, opened) = open_stock(product_id(1), "MAD-001", 5);
    record(
        &*store,
        vec![DomainEvent::ProductCreated(product(1, "SKU-1")), opened],
    )
    .expect("setup");
    let restock = |stock: &mut inventory_domain::Stock| {
        stock
            .adjust(
                StockDelta::new(1).expect("valid"),
                AdjustmentReason::Restock,
                None,
                T0,
            )
            .expect("adjust")
    };
    let mut twice = stock.clone();
    restock(&mut twice);
    let skipped = restock(&mut twice);
    assert_internal(record(&*store, vec![skipped]));
    let first = restock(&mut stock);
    record(&*store, vec![first.clone()]).expect("the next version is accepted");
    assert_internal(record(&*store, vec![first]));
    let stored = store
        .read_with(|tx| tx.stock(product_id(1), &store_id("MAD-001")))
        .expect("read")
        .expect("exists");
    assert_eq!((stored.quantity(), stored.version()), (6, 2));
    assert_eq!(
        event_count(&*store),
        3,
        "product, stock.created, one stock.updated"
    );
}

/// A reservation resolves once: a second resolution is refused, even when the stock it
/// carries would fit, and the stock change recorded with it is not kept either.
pub fn a_reservation_resolves_once(db: &dyn TestDatabase) {
    let store = db.store();
    let (mut stock, opened) = open_stock(product_id(1), "MAD-001", 5);
    let (mut held, placed) = place(10, &mut stock, 1, 60, T0);
    let still_pending = held.clone();
    let confirmed = held.confirm(&mut stock, T0).expect("confirm");
    let (_, placed_again) = place(11, &mut stock, 1, 60, T0);
    record(
        &*store,
        vec![
            DomainEvent::ProductCreated(product(1, "SKU-1")),
            opened,
            placed,
            confirmed,
            placed_again,
        ],
    )
    .expect("setup");
    // A second ending of reservation 10, against the stock as it is now stored.
    let mut forged = still_pending;
    let mut current = stock.clone();
    let cancelled = forged
        .cancel(&mut current, T0)
        .expect("the domain alone cannot tell it was confirmed");
    assert_internal(record(&*store, vec![cancelled]));
    let (reservation, stored) = store
        .read_with(|tx| {
            Ok((
                tx.reservation(reservation_id(10))?,
                tx.stock(product_id(1), &store_id("MAD-001"))?,
            ))
        })
        .expect("read");
    assert_eq!(
        reservation.map(|r| r.status()),
        Some(ReservationStatus::Confirmed)
    );
    assert_eq!(
        stored,
        Some(stock),
        "the stock change was rolled back with it"
    );
}

/// Work that fails or panics after recording leaves nothing behind; the store keeps working.
pub fn failed_work_leaves_no_trace(db: &dyn TestDatabase) {
    let store = db.store();
    let injected = InventoryError::internal("injected");
    let expected = injected.clone();
    let result = store.write_with(move |tx| {
        tx.record(&new_event(DomainEvent::ProductCreated(product(1, "SKU-1"))))?;
        Err::<(), _>(injected)
    });
    assert_eq!(result, Err(expected));
    let result = store.write_with(|tx| -> Result<(), InventoryError> {
        tx.record(&new_event(DomainEvent::ProductCreated(product(2, "SKU-2"))))?;
        panic!("injected panic");
    });
    assert!(
        matches!(result, Err(InventoryError::Internal(_))),
        "{result:?}"
    );
    let (products, events) = store
        .read_with(|tx| {
            Ok((
                tx.list_products(&ProductFilter::default(), Page::default())?
                    .1,
                tx.events_after(0, 10)?,
            ))
        })
        .expect("read");
    assert_eq!((products, events.len()), (0, 0));
    record(
        &*store,
        vec![DomainEvent::ProductCreated(product(3, "SKU-3"))],
    )
    .expect("the store still accepts work");
}

/// A store's events are read with the catalogue's and without other stores', in sequence
/// order, after a seq and bounded by the limit.
pub fn a_stores_events_are_read_with_the_catalogues(db: &dyn TestDatabase) {
    let store = db.store();
    let (_, madrid) = open_stock(product_id(1), "MAD-001", 5);
    let (_, barcelona) = open_stock(product_id(1), "BCN-001", 5);
    let (_, valencia) = open_stock(product_id(1), "VAL-001", 5);
    record(
        &*store,
        vec![
            DomainEvent::ProductCreated(product(1, "SKU-1")),
            madrid,
            barcelona,
            DomainEvent::ProductCreated(product(2, "SKU-2")),
            valencia,
        ],
    )
    .expect("write");
    let read = |after, limit| {
        store
            .read_with(move |tx| tx.store_events_after(&store_id("MAD-001"), after, limit))
            .expect("read")
            .iter()
            .map(|event| (event.seq, event.store_id.clone()))
            .collect::<Vec<_>>()
    };
    let madrid = Some("MAD-001".to_owned());
    assert_eq!(read(0, 10), [(1, None), (2, madrid.clone()), (4, None)]);
    assert_eq!(read(1, 1), [(2, madrid)]);
    assert_eq!(read(4, 10), []);
}

/// Events get consecutive sequence numbers in commit order and are read back in order, a
/// bounded page at a time; the last seq is the highest committed.
pub fn events_are_read_in_sequence_order(db: &dyn TestDatabase) {
    let store = db.store();
    assert_eq!(store.read_with(|tx| tx.last_event_seq()).expect("read"), 0);
    record(
        &*store,
        (1..=5)
            .map(|n| DomainEvent::ProductCreated(product(n, &format!("SKU-{n}"))))
            .collect(),
    )
    .expect("write");
    let first = seqs(&*store);
    assert_eq!(
        first,
        [1, 2, 3, 4, 5],
        "consecutive, from 1, in recording order"
    );
    record(
        &*store,
        vec![DomainEvent::ProductCreated(product(6, "SKU-6"))],
    )
    .expect("write");
    assert_eq!(
        store.read_with(|tx| tx.last_event_seq()).expect("read"),
        6,
        "a later commit gets the next seq"
    );
    let page = store
        .read_with(move |tx| tx.events_after(2, 2))
        .expect("read");
    let read: Vec<u64> = page.iter().map(|e| e.seq).collect();
    assert_eq!(read, [3, 4], "after a seq, bounded by the limit");
    let event = &page[0];
    assert_eq!(event.event_type, "product.created");
    assert_eq!(event.aggregate_type, "product");
    assert_eq!(event.schema_version, 1);
    assert_eq!(event.occurred_at, T0);
    assert!(
        event.payload.contains("\"sku\":\"SKU-3\""),
        "{}",
        event.payload
    );
    record(
        &*store,
        vec![DomainEvent::ProductCreated(product(1, "SKU-7"))],
    )
    .expect_err("a duplicate id is refused");
    record(
        &*store,
        vec![DomainEvent::ProductCreated(product(8, "SKU-8"))],
    )
    .expect("write");
    assert_eq!(
        seqs(&*store),
        [1, 2, 3, 4, 5, 6, 7],
        "a refused write takes no seq: no gap"
    );
}

/// Commit listeners hear the highest sequence number of each commit that wrote events, and
/// nothing for a failed one.
pub fn commit_listeners_hear_committed_events(db: &dyn TestDatabase) {
    let store = db.store();
    let heard = Arc::new(AtomicU64::new(0));
    let sink = Arc::clone(&heard);
    store.on_commit(Arc::new(move |seq| sink.store(seq, Ordering::SeqCst)));
    record(
        &*store,
        vec![
            DomainEvent::ProductCreated(product(1, "SKU-1")),
            DomainEvent::ProductCreated(product(2, "SKU-2")),
        ],
    )
    .expect("write");
    assert_eq!(
        heard.load(Ordering::SeqCst),
        2,
        "told before the writer returns"
    );
    let _ = store.write_with(|tx| {
        tx.record(&new_event(DomainEvent::ProductCreated(product(3, "SKU-3"))))?;
        Err::<(), _>(InventoryError::internal("injected"))
    });
    assert_eq!(
        heard.load(Ordering::SeqCst),
        2,
        "a rolled-back write is not announced"
    );
}

/// Products list in SKU order, filtered by category, with the total of the whole list.
pub fn products_are_listed_by_page_and_category(db: &dyn TestDatabase) {
    let store = db.store();
    record(
        &*store,
        (1..=5u128)
            .map(|n| {
                let mut product = product(n, &format!("SKU-{n}"));
                let category = if n % 2 == 0 { "even" } else { "odd" };
                product.details.category = Some(Category::parse(category).expect("valid"));
                DomainEvent::ProductCreated(product)
            })
            .collect(),
    )
    .expect("write");
    let (page_two, total) = store
        .read_with(|tx| tx.list_products(&ProductFilter::default(), page(2, 2)))
        .expect("read");
    let skus: Vec<&str> = page_two.iter().map(|p| p.details.sku.as_str()).collect();
    assert_eq!((skus, total), (vec!["SKU-3", "SKU-4"], 5));
    let odd = ProductFilter {
        category: Some(Category::parse("odd").expect("valid")),
        q: None,
    };
    let (odd_products, odd_total) = store
        .read_with(move |tx| tx.list_products(&odd, page(10, 0)))
        .expect("read");
    assert_eq!((odd_products.len(), odd_total), (3, 3));
}

/// Stock lists by product (ordered by store) and by store (ordered by product).
pub fn stock_is_listed_by_product_and_by_store(db: &dyn TestDatabase) {
    let store = db.store();
    let mut changes = vec![
        DomainEvent::ProductCreated(product(1, "SKU-1")),
        DomainEvent::ProductCreated(product(2, "SKU-2")),
    ];
    for (n, code) in [
        (1, "SEV-001"),
        (1, "BCN-001"),
        (2, "BCN-001"),
        (1, "MAD-001"),
    ] {
        changes.push(open_stock(product_id(n), code, 3).1);
    }
    record(&*store, changes).expect("write");
    let by_product = StockFilter {
        product_id: Some(product_id(1)),
        store_id: None,
    };
    let (stock, total) = store
        .read_with(move |tx| tx.list_stock(&by_product, page(2, 0)))
        .expect("read");
    let stores: Vec<&str> = stock.iter().map(|s| s.store_id().as_str()).collect();
    assert_eq!((stores, total), (vec!["BCN-001", "MAD-001"], 3));
    let by_store = StockFilter {
        product_id: None,
        store_id: Some(store_id("BCN-001")),
    };
    let (stock, total) = store
        .read_with(move |tx| tx.list_stock(&by_store, page(10, 0)))
        .expect("read");
    let products: Vec<u128> = stock
        .iter()
        .map(|s| s.product_id().as_uuid().as_u128())
        .collect();
    assert_eq!((products, total), (vec![1, 2], 2));
    let (_, everything) = store
        .read_with(|tx| tx.list_stock(&StockFilter::default(), page(1, 0)))
        .expect("read");
    assert_eq!(everything, 4);
}

/// A product's stock by store: every active store, zeros where there is no stock; an
/// inactive store left out unless asked for by code.
pub fn stock_by_store_lists_active_stores_with_zeros(db: &dyn TestDatabase) {
    let store = db.store();
    let mut valencia = store
        .read_with(|tx| tx.store(&store_id("VAL-001")))
        .expect("read")
        .expect("seeded");
    valencia.details.active = false;
    let (mut barcelona, opened) = open_stock(product_id(1), "BCN-001", 15);
    let (_, placed) = place(10, &mut barcelona, 2, 60, T0);
    record(
        &*store,
        vec![
            DomainEvent::ProductCreated(product(1, "SKU-1")),
            opened,
            placed,
            DomainEvent::StoreUpdated(valencia),
        ],
    )
    .expect("write");
    let rows = store
        .read_with(|tx| tx.stock_by_store(product_id(1), None))
        .expect("read");
    let summary: Vec<(&str, &str, u32, u32)> = rows
        .iter()
        .map(|r| {
            (
                r.store_id.as_str(),
                r.store_name.as_str(),
                r.quantity,
                r.reserved,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("BCN-001", "Barcelona Plaza Catalunya", 15, 2),
            ("MAD-001", "Madrid Centro", 0, 0),
            ("SEV-001", "Sevilla Centro", 0, 0)
        ]
    );
    let closed = store
        .read_with(|tx| tx.stock_by_store(product_id(1), Some(&store_id("VAL-001"))))
        .expect("read");
    assert_eq!(
        closed.len(),
        1,
        "a store asked for by code is listed even if inactive"
    );
}

/// Reservations list newest first with each filter; due ones are claimed earliest deadline
/// first, bounded by the limit; the next expiry is the earliest pending deadline.
pub fn reservations_are_filtered_and_claimed_when_due(db: &dyn TestDatabase) {
    let store = db.store();
    let (mut madrid, madrid_opened) = open_stock(product_id(1), "MAD-001", 50);
    let (mut barcelona, barcelona_opened) = open_stock(product_id(1), "BCN-001", 50);
    let mut changes = vec![
        DomainEvent::ProductCreated(product(1, "SKU-1")),
        madrid_opened,
        barcelona_opened,
    ];
    // ids 10..15; TTLs decrease so deadlines run opposite to ids.
    for (i, n) in (10..16u128).enumerate() {
        let target = if n % 2 == 0 {
            &mut madrid
        } else {
            &mut barcelona
        };
        changes.push(place(n, target, 1, 60 - i as i64 * 10, T0).1);
    }
    record(&*store, changes).expect("write");
    let filter = ReservationFilter {
        store_id: Some(store_id("MAD-001")),
        ..ReservationFilter::default()
    };
    let (madrid_page, total) = store
        .read_with(move |tx| tx.list_reservations(&filter, page(2, 0)))
        .expect("read");
    let ids: Vec<u128> = madrid_page
        .iter()
        .map(|r| r.id().as_uuid().as_u128())
        .collect();
    assert_eq!(
        (ids, total),
        (vec![14, 12], 3),
        "newest first, total of all matches"
    );
    let filter = ReservationFilter {
        customer_id: Some(inventory_domain::CustomerId::parse("cust-13").expect("valid")),
        status: Some(ReservationStatus::Pending),
        ..ReservationFilter::default()
    };
    let (mine, _) = store
        .read_with(move |tx| tx.list_reservations(&filter, page(10, 0)))
        .expect("read");
    assert_eq!(mine.len(), 1);
    let due = store
        .write_with(|tx| tx.claim_due_reservations(T0 + Duration::seconds(30), 10))
        .expect("claim");
    let due_ids: Vec<u128> = due.iter().map(|r| r.id().as_uuid().as_u128()).collect();
    assert_eq!(
        due_ids,
        [15, 14, 13],
        "ttl 10, 20, 30: earliest deadline first"
    );
    let limited = store
        .write_with(|tx| tx.claim_due_reservations(T0 + Duration::seconds(60), 2))
        .expect("claim");
    assert_eq!(limited.len(), 2);
    let next = store.read_with(|tx| tx.next_expiry()).expect("read");
    assert_eq!(next, Some(T0 + Duration::seconds(10)));
}
