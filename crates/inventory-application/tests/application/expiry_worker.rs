//! The expiry worker releases reservations on time, reports them, and keeps running through
//! storage failures.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use inventory_application::{ExpiryWorker, WorkerObserver};
use inventory_ports::Clock;
use inventory_testkit::contract::{FaultyStore, use_cases};
use inventory_testkit::fixtures::{reserve_command, store_id};
use tokio::sync::watch;

use crate::support::{ctx, fresh, stocked};

#[derive(Default)]
struct Counted(AtomicUsize);

impl WorkerObserver for Counted {
    fn expired(&self, count: usize) {
        self.0.fetch_add(count, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn due_reservations_are_released_and_reported_and_the_next_deadline_returned() {
    let (use_cases, clock, _) = fresh();
    let product = stocked(&use_cases, "EXP-1", 5);
    for (n, ttl) in [1, 2, 300].into_iter().enumerate() {
        use_cases
            .reservations
            .reserve(
                reserve_command(product, "MAD-001", &format!("cust-{n}"), 1, ttl),
                &ctx(),
            )
            .expect("reserve");
    }
    clock.advance(time::Duration::seconds(5));
    let observer = Arc::new(Counted::default());
    let worker = ExpiryWorker::new(
        use_cases.reservations.clone(),
        clock.clone(),
        observer.clone(),
        10,
    );
    let next = worker.release_due().await.expect("release");
    assert_eq!(observer.0.load(Ordering::SeqCst), 2);
    assert_eq!(
        next,
        Some(inventory_testkit::fixtures::T0 + time::Duration::seconds(300))
    );
    let stock = use_cases
        .stock
        .get(product, &store_id("MAD-001"))
        .expect("stock");
    assert_eq!(stock.reserved(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_keeps_running_through_storage_failures() {
    let (healthy, clock, store) = fresh();
    let product = stocked(&healthy, "EXP-2", 5);
    for n in 0..2 {
        healthy
            .reservations
            .reserve(
                reserve_command(product, "MAD-001", &format!("cust-{n}"), 1, 1),
                &ctx(),
            )
            .expect("reserve");
    }
    clock.advance(time::Duration::seconds(2));
    // The first record the worker attempts fails: its whole batch is rolled back.
    let failing = use_cases(Arc::new(FaultyStore::failing_record(store, 1)), &clock);
    let observer = Arc::new(Counted::default());
    let worker = ExpiryWorker::new(
        failing.reservations.clone(),
        clock.clone() as Arc<dyn Clock>,
        observer.clone(),
        10,
    );
    let (stop, stopped) = watch::channel(false);
    let running = tokio::spawn(worker.run(stopped));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while observer.0.load(Ordering::SeqCst) < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the worker did not recover from the failure"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.send(true).expect("stop");
    running.await.expect("the worker stops cleanly");
    let stock = healthy
        .stock
        .get(product, &store_id("MAD-001"))
        .expect("stock");
    assert_eq!(stock.reserved(), 0, "released after the retry");
}
