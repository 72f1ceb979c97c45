//! The contract of [`InventoryStore`]: what its `# Errors` sections promise, as tests that any
//! adapter must pass. An adapter's test suite instantiates them with
//! [`store_contract_tests!`](crate::store_contract_tests).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use inventory_domain::{Category, ReservationStatus};
use inventory_ports::{InventoryError, InventoryStore, InventoryStoreExt, Page, ReservationFilter};
use time::Duration;

use crate::fixtures::{T0, product, product_event, product_id, reservation, stock, store_id};

fn page(limit: i64, offset: i64) -> Page {
    Page::new(Some(limit), Some(offset)).expect("a valid page")
}

fn assert_err(result: Result<(), InventoryError>, expected: &InventoryError) {
    match result {
        Err(error) => assert_eq!(&error, expected),
        Ok(()) => panic!("expected {expected:?}, the store accepted"),
    }
}

/// The four stores of the design document exist in a new store.
pub fn the_chains_stores_exist_from_the_start(store: &dyn InventoryStore) {
    let (stores, total) = store
        .read_with(|tx| tx.list_stores(Page::default()))
        .expect("list");
    let codes: Vec<&str> = stores.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(codes, ["BCN-001", "MAD-001", "SEV-001", "VAL-001"]);
    assert_eq!(total, 4);
    assert_eq!(stores[1].details.name.as_str(), "Madrid Centro");
}

/// A product written is read back equal, by id and by SKU.
pub fn a_product_round_trips(store: &dyn InventoryStore) {
    let mut written = product(1, "SKU-1");
    written.details.category = Some(Category::parse("tv").expect("valid"));
    let expected = written.clone();
    store
        .write_with(move |tx| tx.insert_product(&written))
        .expect("insert");
    let by_id = store
        .read_with(|tx| tx.product(product_id(1)))
        .expect("read");
    assert_eq!(by_id.as_ref(), Some(&expected));
    let sku = expected.details.sku.clone();
    let by_sku = store
        .read_with(move |tx| tx.product_by_sku(&sku))
        .expect("read");
    assert_eq!(by_sku, Some(expected));
}

/// `insert_product` and `update_product` refuse a SKU another product has.
pub fn a_duplicate_sku_is_refused(store: &dyn InventoryStore) {
    store
        .write_with(|tx| {
            tx.insert_product(&product(1, "SKU-1"))?;
            tx.insert_product(&product(2, "SKU-2"))
        })
        .expect("insert");
    let duplicate = product(3, "SKU-1");
    let sku = duplicate.details.sku.clone();
    assert_err(
        store.write_with(move |tx| tx.insert_product(&duplicate)),
        &InventoryError::DuplicateSku(sku.clone()),
    );
    let mut renamed = product(2, "SKU-1");
    renamed.updated_at = T0;
    assert_err(
        store.write_with(move |tx| tx.update_product(&renamed)),
        &InventoryError::DuplicateSku(sku),
    );
}

/// `update_product` and `delete_product` report a product that does not exist.
pub fn changing_a_missing_product_is_not_found(store: &dyn InventoryStore) {
    assert_err(
        store.write_with(|tx| tx.update_product(&product(9, "SKU-9"))),
        &InventoryError::ProductNotFound(product_id(9)),
    );
    assert_err(
        store.write_with(|tx| tx.delete_product(product_id(9))),
        &InventoryError::ProductNotFound(product_id(9)),
    );
}

/// Deleting a product removes its stock and reservations but keeps its events.
pub fn deleting_a_product_removes_its_stock_and_reservations(store: &dyn InventoryStore) {
    store
        .write_with(|tx| {
            let product = product(1, "SKU-1");
            tx.insert_product(&product)?;
            tx.append_event(&product_event(1, &product))?;
            let mut stock = stock(product.id, "MAD-001", 5);
            tx.insert_stock(&stock)?;
            let mut held = reservation(10, &mut stock, 1, 60, T0);
            tx.update_stock(&stock, 1)?;
            tx.insert_reservation(&held)?;
            held.cancel(&mut stock, T0).expect("cancel");
            tx.update_stock(&stock, 2)?;
            tx.resolve_reservation(&held)
        })
        .expect("setup");
    store
        .write_with(|tx| tx.delete_product(product_id(1)))
        .expect("delete");
    let (stock, reservation, events) = store
        .read_with(|tx| {
            Ok((
                tx.stock(product_id(1), &store_id("MAD-001"))?,
                tx.reservation(crate::fixtures::reservation_id(10))?,
                tx.events_after(0, 10)?,
            ))
        })
        .expect("read");
    assert_eq!((stock, reservation), (None, None));
    assert_eq!(events.len(), 1, "events are history and stay");
}

/// `insert_store` refuses a taken code; `update_store` reports a missing store.
pub fn store_codes_are_unique(store: &dyn InventoryStore) {
    assert_err(
        store.write_with(|tx| tx.insert_store(&crate::fixtures::store("MAD-001"))),
        &InventoryError::DuplicateStore(store_id("MAD-001")),
    );
    assert_err(
        store.write_with(|tx| tx.update_store(&crate::fixtures::store("ZZZ-999"))),
        &InventoryError::StoreNotFound(store_id("ZZZ-999")),
    );
}

/// `insert_stock` names the missing end of a (product, store) pair.
pub fn stock_needs_an_existing_product_and_store(store: &dyn InventoryStore) {
    assert_err(
        store.write_with(|tx| tx.insert_stock(&stock(product_id(7), "MAD-001", 1))),
        &InventoryError::ProductNotFound(product_id(7)),
    );
    store
        .write_with(|tx| tx.insert_product(&product(7, "SKU-7")))
        .expect("insert");
    assert_err(
        store.write_with(|tx| tx.insert_stock(&stock(product_id(7), "ZZZ-999", 1))),
        &InventoryError::StoreNotFound(store_id("ZZZ-999")),
    );
}

/// `update_stock` refuses a record read at a version that is no longer stored.
pub fn a_stale_stock_update_is_refused(store: &dyn InventoryStore) {
    let mut stock = stock(product_id(1), "MAD-001", 5);
    let first = stock.clone();
    store
        .write_with(move |tx| {
            tx.insert_product(&product(1, "SKU-1"))?;
            tx.insert_stock(&first)
        })
        .expect("setup");
    stock
        .adjust(
            inventory_domain::StockDelta::new(1).expect("valid"),
            inventory_domain::AdjustmentReason::Restock,
            None,
            T0,
        )
        .expect("adjust");
    let stale = stock.clone();
    let result = store.write_with(move |tx| tx.update_stock(&stale, 7));
    assert!(
        matches!(result, Err(InventoryError::Internal(_))),
        "{result:?}"
    );
    let stored = store
        .read_with(|tx| tx.stock(product_id(1), &store_id("MAD-001")))
        .expect("read")
        .expect("exists");
    assert_eq!(
        (stored.quantity(), stored.version()),
        (5, 1),
        "nothing changed"
    );
    store
        .write_with(move |tx| tx.update_stock(&stock, 1))
        .expect("the current version is accepted");
}

/// A reservation resolves once: `resolve_reservation` refuses one that is not PENDING.
pub fn a_reservation_resolves_once(store: &dyn InventoryStore) {
    store
        .write_with(|tx| {
            tx.insert_product(&product(1, "SKU-1"))?;
            let mut stock = stock(product_id(1), "MAD-001", 5);
            tx.insert_stock(&stock)?;
            let mut held = reservation(10, &mut stock, 2, 60, T0);
            tx.update_stock(&stock, 1)?;
            tx.insert_reservation(&held)?;
            held.confirm(&mut stock, T0).expect("confirm");
            tx.update_stock(&stock, 2)?;
            tx.resolve_reservation(&held)
        })
        .expect("setup");
    let confirmed = store
        .read_with(|tx| tx.reservation(crate::fixtures::reservation_id(10)))
        .expect("read")
        .expect("exists");
    assert_eq!(confirmed.status(), ReservationStatus::Confirmed);
    let again = confirmed.clone();
    let result = store.write_with(move |tx| tx.resolve_reservation(&again));
    assert!(
        matches!(result, Err(InventoryError::Internal(_))),
        "{result:?}"
    );
}

/// Work that fails or panics leaves nothing behind; the store keeps working.
pub fn failed_work_leaves_no_trace(store: &dyn InventoryStore) {
    let result = store.write_with(|tx| {
        let product = product(1, "SKU-1");
        tx.insert_product(&product)?;
        tx.append_event(&product_event(1, &product))?;
        Err::<(), _>(InventoryError::Internal("injected".into()))
    });
    assert_eq!(result, Err(InventoryError::Internal("injected".into())));
    let result = store.write_with(|tx| -> Result<(), InventoryError> {
        tx.insert_product(&product(2, "SKU-2"))?;
        panic!("injected panic");
    });
    assert!(
        matches!(result, Err(InventoryError::Internal(_))),
        "{result:?}"
    );
    let (products, events) = store
        .read_with(|tx| {
            Ok((
                tx.list_products(None, Page::default())?.1,
                tx.events_after(0, 10)?,
            ))
        })
        .expect("read");
    assert_eq!((products, events.len()), (0, 0));
    store
        .write_with(|tx| tx.insert_product(&product(3, "SKU-3")))
        .expect("the store still accepts work");
}

/// Events get increasing sequence numbers and are read back in order, a bounded page at a time.
pub fn events_are_read_in_sequence_order(store: &dyn InventoryStore) {
    let seqs = store
        .write_with(|tx| {
            let mut seqs = Vec::new();
            for n in 1..=5 {
                let product = product(n, &format!("SKU-{n}"));
                tx.insert_product(&product)?;
                seqs.push(tx.append_event(&product_event(n, &product))?);
            }
            Ok(seqs)
        })
        .expect("write");
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    let expected = [seqs[2], seqs[3]];
    let page = store
        .read_with(move |tx| tx.events_after(seqs[1], 2))
        .expect("read");
    let read: Vec<u64> = page.iter().map(|e| e.seq).collect();
    assert_eq!(read, expected);
    let event = &page[0];
    assert_eq!(event.event_type, "product.created");
    assert_eq!(event.aggregate_type, "product");
    assert_eq!(event.request_id.as_deref(), Some("req-3"));
    assert_eq!(event.occurred_at, T0);
    assert!(
        event.payload.contains("\"sku\":\"SKU-3\""),
        "{}",
        event.payload
    );
}

/// The relay's view of the outbox: unpublished events in order, marked up to a seq, the
/// backlog and the highest seq ever written.
pub fn the_outbox_tracks_what_was_published(store: &dyn InventoryStore) {
    assert_eq!(store.read_with(|tx| tx.last_event_seq()).expect("read"), 0);
    let seqs = store
        .write_with(|tx| {
            (1..=4u128)
                .map(|n| {
                    let product = product(n, &format!("SKU-{n}"));
                    tx.insert_product(&product)?;
                    tx.append_event(&product_event(n, &product))
                })
                .collect::<Result<Vec<u64>, _>>()
        })
        .expect("write");
    let backlog = store.read_with(|tx| tx.outbox_backlog()).expect("read");
    assert_eq!((backlog.events, backlog.oldest), (4, Some(T0)));
    let up_to = seqs[1];
    let marked = store
        .write_with(move |tx| tx.mark_published(up_to, T0))
        .expect("mark");
    assert_eq!(marked, 2);
    let again = store
        .write_with(move |tx| tx.mark_published(up_to, T0))
        .expect("mark again");
    assert_eq!(again, 0, "marking twice is harmless");
    let pending = store
        .read_with(|tx| tx.unpublished_events(10))
        .expect("read");
    let pending: Vec<u64> = pending.iter().map(|e| e.seq).collect();
    assert_eq!(pending, [seqs[2], seqs[3]]);
    let first = store
        .read_with(|tx| tx.unpublished_events(1))
        .expect("read");
    assert_eq!(first.len(), 1, "bounded by the limit");
    assert_eq!(
        store.read_with(|tx| tx.last_event_seq()).expect("read"),
        seqs[3]
    );
    assert_eq!(
        store
            .read_with(|tx| tx.outbox_backlog())
            .expect("read")
            .events,
        2
    );
}

/// Commit listeners hear the highest sequence number of each commit that wrote events, and
/// nothing for a failed one.
pub fn commit_listeners_hear_committed_events(store: &dyn InventoryStore) {
    let heard = Arc::new(AtomicU64::new(0));
    let sink = Arc::clone(&heard);
    store.on_commit(Arc::new(move |seq| sink.store(seq, Ordering::SeqCst)));
    let seq = store
        .write_with(|tx| {
            let product = product(1, "SKU-1");
            tx.insert_product(&product)?;
            tx.append_event(&product_event(1, &product))
        })
        .expect("write");
    assert_eq!(heard.load(Ordering::SeqCst), seq);
    let _ = store.write_with(|tx| {
        let product = product(2, "SKU-2");
        tx.insert_product(&product)?;
        tx.append_event(&product_event(2, &product))?;
        Err::<(), _>(InventoryError::Internal("injected".into()))
    });
    assert_eq!(
        heard.load(Ordering::SeqCst),
        seq,
        "a rolled-back write is not announced"
    );
}

/// Products list in SKU order, filtered by category, with the total of the whole list.
pub fn products_are_listed_by_page_and_category(store: &dyn InventoryStore) {
    store
        .write_with(|tx| {
            for n in 1..=5u128 {
                let mut product = product(n, &format!("SKU-{n}"));
                let category = if n % 2 == 0 { "even" } else { "odd" };
                product.details.category = Some(Category::parse(category).expect("valid"));
                tx.insert_product(&product)?;
            }
            Ok(())
        })
        .expect("write");
    let (page_two, total) = store
        .read_with(|tx| tx.list_products(None, page(2, 2)))
        .expect("read");
    let skus: Vec<&str> = page_two.iter().map(|p| p.details.sku.as_str()).collect();
    assert_eq!((skus, total), (vec!["SKU-3", "SKU-4"], 5));
    let odd = Category::parse("odd").expect("valid");
    let (odd_products, odd_total) = store
        .read_with(move |tx| tx.list_products(Some(&odd), page(10, 0)))
        .expect("read");
    assert_eq!((odd_products.len(), odd_total), (3, 3));
}

/// Availability rows: every active store with zeros where there is no stock, inactive stores
/// left out unless asked for by code.
pub fn store_stock_lists_active_stores_with_zeros(store: &dyn InventoryStore) {
    store
        .write_with(|tx| {
            tx.insert_product(&product(1, "SKU-1"))?;
            tx.insert_stock(&stock(product_id(1), "BCN-001", 15))?;
            let mut closed = tx.store(&store_id("VAL-001"))?.expect("seeded");
            closed.details.active = false;
            tx.update_store(&closed)
        })
        .expect("write");
    let rows = store
        .read_with(|tx| tx.store_stock_of_product(product_id(1), None))
        .expect("read");
    let summary: Vec<(&str, u32)> = rows
        .iter()
        .map(|r| (r.store_id.as_str(), r.quantity))
        .collect();
    assert_eq!(summary, [("BCN-001", 15), ("MAD-001", 0), ("SEV-001", 0)]);
    let closed = store
        .read_with(|tx| tx.store_stock_of_product(product_id(1), Some(&store_id("VAL-001"))))
        .expect("read");
    assert_eq!(
        closed.len(),
        1,
        "a store asked for by code is listed even if inactive"
    );
}

/// Reservations list newest first with each filter; due ones come earliest deadline first.
pub fn reservations_are_filtered_and_found_when_due(store: &dyn InventoryStore) {
    store
        .write_with(|tx| {
            tx.insert_product(&product(1, "SKU-1"))?;
            let mut madrid = stock(product_id(1), "MAD-001", 50);
            let mut barcelona = stock(product_id(1), "BCN-001", 50);
            tx.insert_stock(&madrid)?;
            tx.insert_stock(&barcelona)?;
            // ids 10..15; ttl decreasing so deadlines run opposite to ids.
            for (i, n) in (10..16u128).enumerate() {
                let target = if n % 2 == 0 {
                    &mut madrid
                } else {
                    &mut barcelona
                };
                let read_version = target.version();
                let held = reservation(n, target, 1, 60 - i as i64 * 10, T0);
                tx.update_stock(target, read_version)?;
                tx.insert_reservation(&held)?;
            }
            Ok(())
        })
        .expect("write");
    let filter = ReservationFilter {
        store_id: Some(store_id("MAD-001")),
        ..ReservationFilter::default()
    };
    let (madrid, total) = store
        .read_with(move |tx| tx.list_reservations(&filter, page(2, 0)))
        .expect("read");
    let ids: Vec<u128> = madrid.iter().map(|r| r.id().as_uuid().as_u128()).collect();
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
        .read_with(|tx| tx.due_reservations(T0 + Duration::seconds(30), 10))
        .expect("read");
    let due_ids: Vec<u128> = due.iter().map(|r| r.id().as_uuid().as_u128()).collect();
    assert_eq!(
        due_ids,
        [15, 14, 13],
        "ttl 10, 20, 30: earliest deadline first"
    );
    let limited = store
        .read_with(|tx| tx.due_reservations(T0 + Duration::seconds(60), 2))
        .expect("read");
    assert_eq!(limited.len(), 2);
    let next = store.read_with(|tx| tx.next_expiry()).expect("read");
    assert_eq!(next, Some(T0 + Duration::seconds(10)));
}

/// Instantiates every contract test for a store built by `$make` (an expression returning
/// something that derefs to `dyn InventoryStore`, created afresh for each test).
#[macro_export]
macro_rules! store_contract_tests {
    ($make:expr) => {
        $crate::store_contract_tests!(@tests $make;
            the_chains_stores_exist_from_the_start,
            a_product_round_trips,
            a_duplicate_sku_is_refused,
            changing_a_missing_product_is_not_found,
            deleting_a_product_removes_its_stock_and_reservations,
            store_codes_are_unique,
            stock_needs_an_existing_product_and_store,
            a_stale_stock_update_is_refused,
            a_reservation_resolves_once,
            failed_work_leaves_no_trace,
            events_are_read_in_sequence_order,
            the_outbox_tracks_what_was_published,
            commit_listeners_hear_committed_events,
            products_are_listed_by_page_and_category,
            store_stock_lists_active_stores_with_zeros,
            reservations_are_filtered_and_found_when_due,
        );
    };
    (@tests $make:expr; $($name:ident,)*) => {
        $(
            #[test]
            fn $name() {
                let store = $make;
                $crate::contract::$name(&*store);
            }
        )*
    };
}
