//! The clock jumps: an inventory embedded as a library on a SQLite file, with its expiry
//! worker running on a clock the suite moves (`ManualClock`), holds reservations of random
//! lifetimes; the clock jumps forward by random amounts, past many expiries at once. After each
//! jump every reservation that fell due is released once (one `reservation.expired` event, its
//! units back), none that is not yet due is touched, and the worker keeps up.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use inventory::Clock;
use inventory::{
    AdjustStock, AdjustmentReason, CustomerId, Inventory, ManualClock, Price, ProductDetails,
    ProductName, Quantity, RequestContext, ReservationStatus, ReservationTtl, ReserveStock, Sku,
    SqliteConfig, StockDelta, StoreId, WorkerSettings,
};
use time::OffsetDateTime;

use crate::process::{Workspace, inventory_check};
use crate::rng::Rng;
use crate::workload::STORES;
use crate::{Outcome, Profile};

pub fn run(profile: Profile, workspace: &Workspace) -> Outcome {
    let (reservations, jumps) = profile.pick((300, 8), (3_000, 40));
    let folder = workspace.folder("clock");
    let db = folder.path().join("inventory.db");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let _entered = runtime.enter();
    let clock = Arc::new(ManualClock::new(OffsetDateTime::now_utc()));
    let inventory = Inventory::builder(SqliteConfig::file(&db))
        .clock(clock.clone())
        .open()
        .expect("the inventory opens");
    let ctx = RequestContext::with_request_id("fault-suite-clock");
    let product = inventory
        .products()
        .create(
            ProductDetails {
                sku: Sku::parse("CLOCK-1").expect("sku"),
                name: ProductName::parse("Reloj").expect("name"),
                description: None,
                category: None,
                price: Price::parse("1.00").expect("price"),
            },
            &ctx,
        )
        .expect("a product");
    for store in STORES {
        inventory
            .stock()
            .adjust(
                AdjustStock {
                    product_id: product.id,
                    store_id: StoreId::parse(store).expect("store"),
                    delta: StockDelta::new(100_000).expect("delta"),
                    reason: AdjustmentReason::Restock,
                    user_id: None,
                    on_behalf_of: None,
                },
                &ctx,
            )
            .expect("a restock");
    }
    let mut rng = Rng::new(profile.seed);
    let mut due_at = BTreeMap::new();
    for n in 0..reservations {
        let store = StoreId::parse(STORES[rng.index(STORES.len())]).expect("store");
        let ttl = rng.range(1, 3_600) as i64;
        let reservation = inventory
            .reservations()
            .reserve(
                ReserveStock {
                    product_id: product.id,
                    store_id: store,
                    customer_id: CustomerId::parse(&format!("clock-{n}")).expect("customer"),
                    quantity: Quantity::new(1).expect("quantity"),
                    ttl: ReservationTtl::from_seconds(ttl).expect("ttl"),
                    limits: None,
                },
                &ctx,
            )
            .expect("a reservation");
        due_at.insert(reservation.id(), reservation.expires_at());
    }
    let workers = inventory
        .start(WorkerSettings::default())
        .expect("the workers start");
    let mut violations = Vec::new();
    let mut slowest = Duration::ZERO;
    let mut expired_total = 0;
    for jump in 1..=jumps {
        // The last jump goes past every expiry.
        let by = if jump == jumps {
            Duration::from_secs(3_700)
        } else {
            Duration::from_secs(rng.range(1, 900))
        };
        clock.advance(time::Duration::try_from(by).expect("a jump"));
        let now = clock.now();
        let due = due_at.values().filter(|at| **at <= now).count();
        let started = Instant::now();
        let expired = loop {
            let expired = count_expired(&inventory, &due_at, now, &mut violations, jump);
            if expired >= due || started.elapsed() > Duration::from_secs(10) {
                break expired;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        slowest = slowest.max(started.elapsed());
        expired_total = expired;
        if expired != due {
            violations.push(format!(
                "jump {jump} (+{by:?}): {due} reservations are due, {expired} expired after 10 s"
            ));
        }
    }
    runtime.block_on(workers.stop());
    violations.extend(events_once(&inventory, &due_at));
    let stock_left: i64 = STORES
        .iter()
        .map(|store| {
            inventory
                .stock()
                .get(product.id, &StoreId::parse(store).expect("store"))
                .map_or(0, |stock| i64::from(stock.reserved()))
        })
        .sum();
    if stock_left != 0 {
        violations.push(format!(
            "{stock_left} units are still reserved after every expiry"
        ));
    }
    inventory.close();
    violations.extend(inventory_check(&[(
        "INVENTORY_DB".to_owned(),
        db.display().to_string(),
    )]));
    Outcome {
        counts: format!(
            "reservations={reservations} faults={jumps} jumps={jumps} expired={expired_total} slowest_catch_up_ms={}",
            slowest.as_millis()
        ),
        violations,
        skipped: None,
    }
}

/// How many are expired now; an expired one that was not due yet is a violation.
fn count_expired(
    inventory: &Inventory,
    due_at: &BTreeMap<inventory::ReservationId, OffsetDateTime>,
    now: OffsetDateTime,
    violations: &mut Vec<String>,
    jump: usize,
) -> usize {
    let mut expired = 0;
    for (id, at) in due_at {
        let reservation = inventory.reservations().get(*id).expect("a reservation");
        if reservation.status() == ReservationStatus::Expired {
            expired += 1;
            if *at > now {
                violations.push(format!(
                    "jump {jump}: reservation {id} due at {at} expired early (clock at {now})"
                ));
            }
        }
    }
    expired
}

/// Each reservation has exactly one `reservation.expired` event.
fn events_once(
    inventory: &Inventory,
    due_at: &BTreeMap<inventory::ReservationId, OffsetDateTime>,
) -> Vec<String> {
    let mut expired_events: BTreeMap<String, usize> = BTreeMap::new();
    let mut after = 0;
    loop {
        let page = inventory
            .events()
            .after(after, 1_000)
            .expect("the event log");
        let Some(last) = page.last() else { break };
        after = last.seq;
        for event in page
            .iter()
            .filter(|e| e.event_type == "reservation.expired")
        {
            *expired_events
                .entry(event.aggregate_id.clone())
                .or_default() += 1;
        }
    }
    due_at
        .keys()
        .filter_map(|id| {
            let count = expired_events.get(&id.to_string()).copied().unwrap_or(0);
            (count != 1).then(|| format!("reservation {id} has {count} expiry events"))
        })
        .collect()
}
