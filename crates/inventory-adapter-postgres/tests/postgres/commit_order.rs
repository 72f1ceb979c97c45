//! The hard part of a second database: events in commit order. Eight writers on four stores
//! (four writer threads, as four instances would have), many of them holding their
//! transaction open for a while after recording, while a reader follows the log from the last
//! seq it saw. The reader must see every event, once, in increasing order: with seqs handed
//! out before commit (a plain sequence), a reader sees a later seq commit first and then
//! skips the earlier one for ever.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use inventory_domain::{AdjustmentReason, DomainEvent, StockDelta};
use inventory_ports::{InventoryStore, InventoryStoreExt};
use inventory_testkit::fixtures::{T0, new_event, open_stock, product, product_id, store_id};

use crate::support::PgDb;

const STORES: [&str; 4] = ["MAD-001", "BCN-001", "VAL-001", "SEV-001"];

#[test]
fn a_reader_sees_every_event_once_in_seq_order_while_writers_commit_late() {
    let db = PgDb::new();
    db.store
        .write_with(|tx| {
            tx.record(&new_event(DomainEvent::ProductCreated(product(
                1, "ORDER-1",
            ))))?;
            for code in STORES {
                tx.record(&new_event(open_stock(product_id(1), code, 1).1))?;
            }
            Ok(())
        })
        .expect("setup");
    let handles: Vec<Arc<dyn InventoryStore>> = vec![
        db.store.clone(),
        db.open_another(),
        db.open_another(),
        db.open_another(),
    ];
    let writing = AtomicBool::new(true);
    let writes_per_writer: u64 = 30;
    let seen = thread::scope(|scope| {
        let reader = {
            let store = db.store.clone();
            let writing = &writing;
            scope.spawn(move || {
                let mut seen = Vec::new();
                let mut last = 0;
                loop {
                    let done = !writing.load(Ordering::SeqCst);
                    let page = store
                        .read_with(move |tx| tx.events_after(last, 25))
                        .expect("read");
                    for event in &page {
                        assert!(event.seq > last, "seq {} arrived after {last}", event.seq);
                        last = event.seq;
                        seen.push(event.seq);
                    }
                    if done && page.is_empty() {
                        return seen;
                    }
                }
            })
        };
        let writers: Vec<_> = (0..8)
            .map(|writer| {
                let store = Arc::clone(&handles[writer % handles.len()]);
                let code = STORES[writer % STORES.len()];
                scope.spawn(move || {
                    for n in 0..writes_per_writer {
                        store
                            .write_with(move |tx| {
                                let mut stock =
                                    tx.stock(product_id(1), &store_id(code))?.expect("stocked");
                                let event = stock.adjust(
                                    StockDelta::new(1).expect("valid"),
                                    AdjustmentReason::Restock,
                                    None,
                                    T0,
                                )?;
                                tx.record(&new_event(event))?;
                                // Hold the transaction open after recording, longer for some.
                                if (n + writer as u64).is_multiple_of(3) {
                                    thread::sleep(Duration::from_millis(2 + n % 7));
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
    let expected: Vec<u64> = (1..=(5 + 8 * writes_per_writer)).collect();
    assert_eq!(seen, expected, "every event once, in seq order, no gap");
}
