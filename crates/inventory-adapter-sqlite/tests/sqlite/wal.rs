//! The WAL is checkpointed in the background while the store is open, not by commits.

use std::time::{Duration, Instant};

use inventory_ports::InventoryStoreExt;
use inventory_testkit::fixtures::product;

use crate::support::TestDb;

#[test]
fn committed_pages_reach_the_database_file_while_the_store_stays_open() {
    let db = TestDb::new();
    let initial = std::fs::metadata(&db.path).expect("db file").len();
    db.store
        .write_with(|tx| {
            for n in 0..3000u128 {
                tx.insert_product(&product(n + 1, &format!("WAL-{n}")))?;
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
