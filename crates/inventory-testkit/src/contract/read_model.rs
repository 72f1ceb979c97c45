//! The availability read model over every adapter: never older than the handle's own commits
//! (even while readers refill it during the writes), another handle's commits seen after a
//! follower pass, and nothing served from memory once the follower is late.

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use inventory_application::{AvailabilityCache, Ports, ReadCacheSettings, UseCases};
use inventory_domain::{ProductId, StoreName};
use inventory_ports::{
    Clock, InventoryError, InventoryStore, ManualClock, RequestContext, UuidV7Ids,
};

use super::{TestDatabase, use_cases};
use crate::fixtures::{T0, adjust_command, stocked, store_id};

/// Use cases over `store` with a read model that may serve for `staleness`.
fn cached_use_cases(
    store: Arc<dyn InventoryStore>,
    clock: &Arc<ManualClock>,
    staleness: Duration,
) -> UseCases {
    UseCases::new(Ports {
        store,
        clock: Arc::clone(clock) as Arc<dyn Clock>,
        ids: Arc::new(UuidV7Ids),
        read_cache: Some(Arc::new(AvailabilityCache::new(ReadCacheSettings {
            entries: 100,
            staleness,
        }))),
    })
}

fn quantity_in_madrid(cases: &UseCases, product: ProductId) -> u32 {
    let availability = cases
        .availability
        .of_product(product, None)
        .expect("availability");
    availability
        .stores
        .iter()
        .find(|store| store.store_id == store_id("MAD-001"))
        .expect("MAD-001 is listed")
        .quantity
}

fn restock(cases: &UseCases, product: ProductId, units: i64) -> u32 {
    cases
        .stock
        .adjust(
            adjust_command(product, "MAD-001", units),
            &RequestContext::default(),
        )
        .expect("restock")
        .stock
        .quantity()
}

/// A read after a write on the same handle sees it, from memory or not: four writers restock
/// one pair while four readers keep refilling the read model, and every writer's next read
/// shows at least the quantity its own write left. The read model serves from memory before
/// the writes (a hit is counted), so its invalidation is what keeps the reads true.
pub fn availability_is_never_older_than_this_handles_commits(db: &dyn TestDatabase) {
    let clock = Arc::new(ManualClock::new(T0));
    let cases = cached_use_cases(db.store(), &clock, Duration::from_secs(3600));
    let product = stocked(&cases, "SKU-READ-MODEL", 10);
    cases.availability.follow_outbox(None).expect("follow");
    assert_eq!(quantity_in_madrid(&cases, product), 10);
    assert_eq!(quantity_in_madrid(&cases, product), 10);
    assert!(
        cases.availability.cache_stats().hits >= 1,
        "the second read is served from memory"
    );
    assert_eq!(restock(&cases, product, 5), 15);
    assert_eq!(
        quantity_in_madrid(&cases, product),
        15,
        "own write, read back"
    );

    let done = std::sync::atomic::AtomicBool::new(false);
    thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    quantity_in_madrid(&cases, product);
                }
            });
        }
        let writers: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    for _ in 0..50 {
                        let after_my_write = restock(&cases, product, 1);
                        let read = quantity_in_madrid(&cases, product);
                        assert!(
                            read >= after_my_write,
                            "read {read} after a write that left {after_my_write}"
                        );
                    }
                })
            })
            .collect();
        // Readers stop before a failed writer's panic is passed on, or the scope would wait
        // for them forever.
        let outcomes: Vec<_> = writers.into_iter().map(|writer| writer.join()).collect();
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        for outcome in outcomes {
            if let Err(panic) = outcome {
                std::panic::resume_unwind(panic);
            }
        }
    });
    // Whether reads between the writers' batches hit depends on the schedule (a product is
    // in flight while a batch touching it is written); the unit tests of the cache check the
    // epoch and in-flight rules deterministically.
    assert_eq!(quantity_in_madrid(&cases, product), 15 + 200);
}

/// Another handle's commits (another process's) are not heard of at commit: a follower pass
/// reads them from the outbox and drops what they touch, a stock change, a store's new name
/// and a deleted product alike.
pub fn another_handles_commits_show_after_a_follower_pass(db: &dyn TestDatabase) {
    let clock = Arc::new(ManualClock::new(T0));
    let reader = cached_use_cases(db.store(), &clock, Duration::from_secs(3600));
    let writer = use_cases(db.second_store(), &clock);
    let product = stocked(&writer, "SKU-FOLLOWED", 10);
    let seq = reader.availability.follow_outbox(None).expect("follow");
    assert_eq!(quantity_in_madrid(&reader, product), 10);
    assert_eq!(quantity_in_madrid(&reader, product), 10);
    assert!(
        reader.availability.cache_stats().hits >= 1,
        "the entry is served from memory before the other handle writes"
    );

    restock(&writer, product, 5);
    // Within the staleness bound (an hour here) and before a pass, the entry may still be
    // served: the pass is what brings the other handle's commit in.
    let seq = reader
        .availability
        .follow_outbox(Some(seq))
        .expect("follow");
    assert_eq!(quantity_in_madrid(&reader, product), 15);

    let madrid = store_id("MAD-001");
    let mut details = writer.stores.get(&madrid).expect("store").details;
    details.name = StoreName::parse("Madrid Centro (renamed)").expect("name");
    writer
        .stores
        .update(madrid.clone(), details, &RequestContext::default())
        .expect("rename");
    let seq = reader
        .availability
        .follow_outbox(Some(seq))
        .expect("follow");
    let names: Vec<String> = reader
        .availability
        .of_product(product, None)
        .expect("availability")
        .stores
        .iter()
        .map(|store| store.store_name.to_string())
        .collect();
    assert!(
        names.contains(&"Madrid Centro (renamed)".to_string()),
        "{names:?}"
    );

    writer
        .products
        .delete(product, &RequestContext::default())
        .expect("delete");
    reader
        .availability
        .follow_outbox(Some(seq))
        .expect("follow");
    assert!(matches!(
        reader.availability.of_product(product, None),
        Err(InventoryError::ProductNotFound(_))
    ));
}

/// An entry is served only while the follower's last pass is recent (the staleness bound):
/// with a bound of 1 ms and no pass since, another handle's commit is read from the database.
pub fn a_read_model_whose_follower_is_late_reads_the_database(db: &dyn TestDatabase) {
    let clock = Arc::new(ManualClock::new(T0));
    let reader = cached_use_cases(db.store(), &clock, Duration::from_millis(1));
    let writer = use_cases(db.second_store(), &clock);
    let product = stocked(&writer, "SKU-LATE", 10);
    reader.availability.follow_outbox(None).expect("follow");
    assert_eq!(quantity_in_madrid(&reader, product), 10);
    assert!(
        reader.availability.cache_stats().entries >= 1,
        "the read model holds the entry: only its staleness keeps it from being served"
    );
    thread::sleep(Duration::from_millis(20));
    restock(&writer, product, 5);
    let hits = reader.availability.cache_stats().hits;
    assert_eq!(quantity_in_madrid(&reader, product), 15);
    assert_eq!(
        reader.availability.cache_stats().hits,
        hits,
        "a late follower's entry is not served"
    );
}
