//! The WAL is checkpointed in the background while the store is open, not by commits.

use std::time::{Duration, Instant};

use inventory_domain::DomainEvent;
use inventory_ports::InventoryStoreExt;
use inventory_testkit::fixtures::{new_event, product};

use crate::support::TestDb;

#[test]
fn committed_pages_reach_the_database_file_while_the_store_stays_open() {
    let db = TestDb::new();
    let initial = std::fs::metadata(&db.path).expect("db file").len();
    db.store
        .write_with(|tx| {
            for n in 0..3000u128 {
                let created = DomainEvent::ProductCreated(product(n + 1, &format!("WAL-{n}")));
                tx.record(&new_event(created))?;
            }
            Ok(())
        })
        .expect("write");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let size = std::fs::metadata(&db.path).expect("db file").len();
        if size > initial {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the database file never grew: nothing checkpointed the WAL"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
