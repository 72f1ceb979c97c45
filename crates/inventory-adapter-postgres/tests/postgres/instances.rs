//! Races only a shared database has: two instances (two stores on one schema, each with its
//! own writer) changing the same product at once.

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use inventory_ports::{InventoryError, InventoryStoreExt, ManualClock, RequestContext};
use inventory_testkit::contract::use_cases;
use inventory_testkit::fixtures::{T0, new_event, open_stock, place, stocked};

use crate::support::PgDb;

#[test]
fn deleting_a_product_waits_for_another_instance_adding_a_hold_and_then_refuses() {
    let db = PgDb::new();
    let clock = Arc::new(ManualClock::new(T0));
    let here = use_cases(db.store.clone(), &clock);
    let product = stocked(&here, "DEL-RACE-1", 5);
    let elsewhere = db.open_another();
    let (added, deleted) = thread::scope(|scope| {
        // Another instance's batch gives the product its first stock in Barcelona and holds a
        // unit of it, then takes its time to commit.
        let adding = scope.spawn(|| {
            elsewhere.write_with(move |tx| {
                let (mut stock, opened) = open_stock(product, "BCN-001", 3);
                tx.record(&new_event(opened))?;
                let (_, placed) = place(7, &mut stock, 1, 600, T0);
                tx.record(&new_event(placed))?;
                thread::sleep(Duration::from_millis(400));
                Ok(())
            })
        });
        thread::sleep(Duration::from_millis(150));
        // Meanwhile the product is deleted here: it must see that hold once it commits.
        let deleted = here.products.delete(product, &RequestContext::default());
        (adding.join().expect("the other instance"), deleted)
    });
    added.expect("the other instance's hold is acknowledged");
    assert!(
        matches!(
            deleted,
            Err(InventoryError::ProductHasReservations { reserved: 1, .. })
        ),
        "the deletion saw the acknowledged hold: {deleted:?}"
    );
    let held = db
        .store
        .read_with(move |tx| tx.stock(product, &inventory_testkit::fixtures::store_id("BCN-001")))
        .expect("read")
        .map(|stock| stock.reserved());
    assert_eq!(held, Some(1), "the hold is still there");
}
