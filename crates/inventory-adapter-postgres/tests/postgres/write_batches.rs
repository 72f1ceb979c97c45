//! The writer's batches on PostgreSQL cache what they read and write stock and reservation
//! changes out together (src/write_state.rs). These tests drive the two ways a batch can go
//! wrong after some of it reached the database, with many writers sharing batches: nothing
//! of a failed request stays, every acknowledged one does, and the others are told to run
//! again (a transient error) rather than lost or kept without an answer.

use std::sync::Mutex;
use std::thread;

use inventory_domain::{AdjustmentReason, DomainEvent, StockDelta};
use inventory_ports::{InventoryError, InventoryStoreExt, Page, StockFilter, WriteTx};
use inventory_testkit::fixtures::{
    T0, new_event, open_stock, place, product, product_id, store_id,
};

use crate::support::PgDb;

/// Product 1 with one unit in MAD-001.
fn stocked_db() -> PgDb {
    let db = PgDb::new();
    db.store
        .write_with(|tx| {
            tx.record(&new_event(DomainEvent::ProductCreated(product(
                1, "BATCH-1",
            ))))?;
            tx.record(&new_event(open_stock(product_id(1), "MAD-001", 1).1))
        })
        .expect("setup");
    db
}

/// `units` more in MAD-001, read and changed in `tx`.
fn restocked(tx: &mut dyn WriteTx, units: i64) -> Result<DomainEvent, InventoryError> {
    let mut stock = tx
        .stock(product_id(1), &store_id("MAD-001"))?
        .expect("stocked");
    Ok(stock.adjust(
        StockDelta::new(units).expect("valid"),
        AdjustmentReason::Restock,
        None,
        T0,
    )?)
}

/// One unit more in MAD-001.
fn restock(db: &PgDb) -> Result<(), InventoryError> {
    db.store.write_with(|tx| {
        let change = restocked(tx, 1)?;
        tx.record(&new_event(change))
    })
}

/// What sixteen restocking threads saw: acknowledged units, and the errors they got.
#[derive(Default)]
struct Outcomes {
    acknowledged: u32,
    transient: u32,
    other: Vec<String>,
}

fn restock_from_sixteen_threads_while(db: &PgDb, also: impl Fn() + Sync) -> Outcomes {
    let outcomes = Mutex::new(Outcomes::default());
    thread::scope(|scope| {
        for _ in 0..16 {
            scope.spawn(|| {
                for _ in 0..25 {
                    let result = restock(db);
                    let mut outcomes = outcomes.lock().expect("lock");
                    match result {
                        Ok(()) => outcomes.acknowledged += 1,
                        Err(error) if error.is_transient() => outcomes.transient += 1,
                        Err(error) => outcomes.other.push(format!("{error:?}")),
                    }
                }
            });
        }
        scope.spawn(&also);
    });
    outcomes.into_inner().expect("lock")
}

fn quantity(db: &PgDb) -> u32 {
    db.store
        .read_with(|tx| tx.stock(product_id(1), &store_id("MAD-001")))
        .expect("read")
        .expect("stocked")
        .quantity()
}

#[test]
fn a_request_failing_after_its_changes_went_out_leaves_nothing_and_loses_no_acknowledged_write() {
    let db = stocked_db();
    let sabotaged = Mutex::new(Vec::new());
    let outcomes = restock_from_sixteen_threads_while(&db, || {
        for _ in 0..20 {
            // A thousand units, written out by the list that follows (no savepoint can cover
            // them any more), then a failure: the whole batch must go.
            let result = db.store.write_with(|tx| {
                let change = restocked(tx, 1000)?;
                tx.record(&new_event(change))?;
                let filter = StockFilter {
                    product_id: Some(product_id(1)),
                    ..StockFilter::default()
                };
                tx.list_stock(&filter, Page::new(Some(10), None).expect("page"))?;
                Err::<(), _>(InventoryError::internal("sabotage"))
            });
            sabotaged.lock().expect("lock").push(result);
        }
    });
    for result in sabotaged.into_inner().expect("lock") {
        assert!(
            matches!(&result, Err(InventoryError::Internal(failure)) if failure.to_string().contains("sabotage")),
            "the failing request gets its own error: {result:?}"
        );
    }
    assert_eq!(outcomes.other, Vec::<String>::new());
    assert_eq!(
        quantity(&db),
        1 + outcomes.acknowledged,
        "every acknowledged unit, none of the sabotaged thousands ({} batches abandoned)",
        outcomes.transient
    );
}

#[test]
fn a_change_the_database_refuses_at_commit_fails_alone_once_batches_run_carefully() {
    let db = stocked_db();
    let refused = Mutex::new(Vec::new());
    let outcomes = restock_from_sixteen_threads_while(&db, || {
        // A reservation whose stock record does not exist (BCN-001 was never stocked) riding
        // on a valid change of MAD-001: only the database's foreign key notices, when the
        // batch's changes are written out.
        for attempt in 0..40u128 {
            let result = db.store.write_with(move |tx| {
                let change = restocked(tx, 1)?;
                let DomainEvent::StockUpdated { stock: updated, .. } = &change else {
                    unreachable!("an adjustment updates the stock");
                };
                let (mut elsewhere, _) = open_stock(product_id(1), "BCN-001", 5);
                let (reservation, _) = place(100 + attempt, &mut elsewhere, 1, 600, T0);
                tx.record(&new_event(DomainEvent::ReservationCreated {
                    reservation,
                    stock: updated.clone(),
                }))
            });
            let transient = matches!(&result, Err(error) if error.is_transient());
            refused.lock().expect("lock").push(result);
            if !transient {
                break;
            }
        }
    });
    let refused = refused.into_inner().expect("lock");
    let last = refused.last().expect("tried");
    assert!(
        matches!(last, Err(InventoryError::Internal(_))),
        "in a careful batch the refused change fails alone, as a bug; after {} tries: {last:?}",
        refused.len()
    );
    assert!(
        refused[..refused.len() - 1]
            .iter()
            .all(|result| matches!(result, Err(error) if error.is_transient())),
        "before that, its batch was abandoned and it was told to run again"
    );
    assert_eq!(outcomes.other, Vec::<String>::new());
    assert_eq!(quantity(&db), 1 + outcomes.acknowledged);
    let reservations = db
        .store
        .read_with(|tx| tx.list_reservations(&Default::default(), Page::new(Some(10), None)?))
        .expect("read");
    assert_eq!(reservations.1, 0, "the refused reservation is nowhere");
}
