//! (2) The store ceiling: one thread running, directly on rusqlite, the statements of one
//! reservation as the server runs them (read the store, the product and the stock; UPDATE the
//! stock; INSERT the reservation and its event), one `BEGIN IMMEDIATE` transaction each, with
//! the server's pragmas (WAL, synchronous=FULL, foreign keys, temp_store in memory, no
//! checkpoint inside commits). What SQLite and this disk allow without batching.
//!
//! (2b) The same reservations through the library's use cases from 64 threads: the writer
//! thread commits them in groups, each in its own savepoint.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use inventory::{
    AdjustStock, AdjustmentReason, CustomerId, Inventory, Price, ProductDetails, ProductName,
    Quantity, RequestContext, ReservationTtl, ReserveStock, Sku, SqliteConfig, StockDelta, StoreId,
};
use rusqlite::params;

use crate::report::Row;

/// (2): runs it on a fresh database in `folder`.
///
/// # Errors
/// When SQLite fails.
pub fn raw(folder: &Path, duration: Duration) -> anyhow::Result<Row> {
    let path = folder.join("store-ceiling.db");
    let product = seeded_product(&path)?;
    let conn = rusqlite::Connection::open(&path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // As the server's writer: checkpoints happen elsewhere, not inside commits.
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    let mut latency = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let started = Instant::now();
    let mut done = 0u64;
    while started.elapsed() < duration {
        let begun = Instant::now();
        let id = uuid::Uuid::new_v4().to_string();
        let now = "2025-10-26T17:00:00.000Z";
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let _store: String = conn
            .prepare_cached("SELECT name FROM stores WHERE id = 'MAD-001'")?
            .query_row([], |row| row.get(0))?;
        let _product: String = conn
            .prepare_cached("SELECT sku FROM products WHERE id = ?1")?
            .query_row([&product], |row| row.get(0))?;
        let _stock: i64 = conn
            .prepare_cached(
                "SELECT version FROM stock WHERE product_id = ?1 AND store_id = 'MAD-001'",
            )?
            .query_row([&product], |row| row.get(0))?;
        let changed = conn
            .prepare_cached(
                "UPDATE stock SET reserved = reserved + 1, version = version + 1, updated_at = ?3 \
                 WHERE product_id = ?1 AND store_id = ?2 AND quantity - reserved >= 1",
            )?
            .execute(params![product, "MAD-001", now])?;
        anyhow::ensure!(changed == 1, "the store ceiling ran out of stock");
        conn.prepare_cached(
            "INSERT INTO reservations (id, product_id, store_id, customer_id, quantity, status, expires_at, created_at, updated_at) \
             VALUES (?1, ?2, 'MAD-001', 'bench', 1, 'PENDING', ?3, ?3, ?3)",
        )?
        .execute(params![id, product, now])?;
        conn.prepare_cached(
            "INSERT INTO events (event_id, event_type, aggregate_type, aggregate_id, store_id, product_id, payload, occurred_at) \
             VALUES (?1, 'reservation.created', 'reservation', ?1, 'MAD-001', ?2, '{\"reservation\":{}}', ?3)",
        )?
        .execute(params![id, product, now])?;
        conn.execute_batch("COMMIT")?;
        latency.record(begun.elapsed().as_micros().max(1) as u64)?;
        done += 1;
    }
    let per_second = done as f64 / started.elapsed().as_secs_f64();
    Ok(Row::measured(
        "2",
        "Store ceiling: rusqlite, 1 reservation per transaction, FULL",
        Some(per_second),
        &latency,
        "3 reads + UPDATE + 2 INSERTs, one thread".into(),
    ))
}

/// (2b): 64 threads reserving through the library.
///
/// # Errors
/// When the library fails.
pub fn use_cases(folder: &Path, duration: Duration, threads: usize) -> anyhow::Result<Row> {
    let path = folder.join("use-cases.db");
    let product = seeded_product(&path)?;
    let inventory = Arc::new(Inventory::builder(SqliteConfig::file(&path)).open()?);
    let product = inventory::ProductId::parse(&product)?;
    let stop = Arc::new(AtomicBool::new(false));
    let reserved = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..threads)
        .map(|n| {
            let (inventory, stop, reserved) = (inventory.clone(), stop.clone(), reserved.clone());
            std::thread::spawn(move || -> anyhow::Result<Vec<u64>> {
                let mut samples = Vec::new();
                let command = ReserveStock {
                    product_id: product,
                    store_id: StoreId::parse("MAD-001")?,
                    customer_id: CustomerId::parse(&format!("bench-{n}"))?,
                    quantity: Quantity::new(1)?,
                    ttl: ReservationTtl::default(),
                    limits: None,
                };
                while !stop.load(Ordering::Relaxed) {
                    let begun = Instant::now();
                    inventory
                        .reservations()
                        .reserve(command.clone(), &RequestContext::default())?;
                    samples.push(begun.elapsed().as_micros() as u64);
                    reserved.fetch_add(1, Ordering::Relaxed);
                }
                Ok(samples)
            })
        })
        .collect();
    let started = Instant::now();
    std::thread::sleep(duration);
    stop.store(true, Ordering::Relaxed);
    let mut latency = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    for worker in workers {
        let samples = worker
            .join()
            .map_err(|_| anyhow::anyhow!("a worker panicked"))??;
        let interval = crate::load::median(&samples).max(1);
        for sample in samples {
            latency.record_correct(sample.max(1), interval)?;
        }
    }
    let per_second = reserved.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
    let stock = inventory
        .stock()
        .get(product, &StoreId::parse("MAD-001")?)?;
    anyhow::ensure!(
        u64::from(stock.reserved()) == reserved.load(Ordering::Relaxed),
        "use cases: reserved {} but {} succeeded",
        stock.reserved(),
        reserved.load(Ordering::Relaxed)
    );
    Ok(Row::measured(
        "2b",
        "Library use cases, 64 threads, group commit, FULL",
        Some(per_second),
        &latency,
        format!("reserved == {} successes", stock.reserved()),
    ))
}

/// A fresh database with one product holding plenty of units in MAD-001; its id.
fn seeded_product(path: &Path) -> anyhow::Result<String> {
    let mut config = SqliteConfig::file(path);
    config.synchronous = inventory::Synchronous::Off;
    let inventory = Inventory::builder(config).open()?;
    let ctx = RequestContext::default();
    let product = inventory.products().create(
        ProductDetails {
            sku: Sku::parse("CEILING-1")?,
            name: ProductName::parse("Ceiling")?,
            description: None,
            category: None,
            price: Price::parse("1.00")?,
        },
        &ctx,
    )?;
    for _ in 0..50 {
        inventory.stock().adjust(
            AdjustStock {
                product_id: product.id,
                store_id: StoreId::parse("MAD-001")?,
                delta: StockDelta::new(1_000_000)?,
                reason: AdjustmentReason::Restock,
                user_id: None,
                on_behalf_of: None,
            },
            &ctx,
        )?;
    }
    Ok(product.id.to_string())
}
