//! (8) Expiry lag: 10 000 reservations with time to live of 1 to 3 s, left to expire. For
//! each, the lag is the time of its `reservation.expired` event minus its `expires_at`: how
//! long units stayed held after they should have come back.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use inventory::{Inventory, Page, ReservationFilter, ReservationStatus, SqliteConfig, StoreId};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::load::Connection;
use crate::report::Row;
use crate::scenarios::{Bench, histogram_ms, reserve};

/// Reservations created (`--quick`: [`QUICK_RESERVATIONS`]).
pub const RESERVATIONS: u64 = 10_000;

/// Reservations created by `--quick`.
pub const QUICK_RESERVATIONS: u64 = 500;

/// The store only this scenario uses, so its pending list is this scenario's.
pub const STORE: &str = "EXP-001";

/// Runs it, reading the outcome from the server's database file (a second process may open
/// it: that is how the relay and a batch job share it too).
///
/// # Errors
/// When the server or the database fails, or reservations are still pending after 60 s.
pub async fn run(bench: &Bench, db: &Path) -> anyhow::Result<Row> {
    let mut config = SqliteConfig::file(db);
    config.read_connections = 2;
    let inventory = Arc::new(Inventory::builder(config).open()?);
    let first_seq = inventory.events().last_seq()?;

    let reservations = if bench.quick {
        QUICK_RESERVATIONS
    } else {
        RESERVATIONS
    };
    let connections = bench.connections as u64;
    let mut tasks = Vec::new();
    for index in 0..connections {
        let (address, product, admin) =
            (bench.address, bench.expiring.clone(), bench.admin.clone());
        // Spread the reservations over the connections, the remainder on the first ones.
        let share = reservations / connections + u64::from(index < reservations % connections);
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::open(address).await?;
            for n in 0..share {
                let ttl = 1 + (index + n) % 3;
                let (status, _) = connection
                    .send(&reserve(&product, STORE, index, ttl, &admin))
                    .await?;
                anyhow::ensure!(status == 201, "reservation answered {status}");
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let created = reservations;

    wait_until_released(&inventory, Duration::from_secs(60)).await?;
    let lags = lags_after(&inventory, first_seq)?;
    anyhow::ensure!(
        lags.len() as u64 == created,
        "{} expiries for {created} reservations",
        lags.len()
    );
    inventory.close();
    Ok(Row::measured(
        "8",
        if bench.quick {
            "Expiry lag: released − expires_at (500 reservations, TTL 1–3 s)"
        } else {
            "Expiry lag: released − expires_at (10 000 reservations, TTL 1–3 s)"
        },
        None,
        &histogram_ms(&lags),
        format!("{} released, every one", lags.len()),
    ))
}

/// Waits until no reservation of [`STORE`] is PENDING, looking every 200 ms.
///
/// # Errors
/// When the database fails, or some are still pending after `patience`.
pub async fn wait_until_released(
    inventory: &Arc<Inventory>,
    patience: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + patience;
    loop {
        let inventory = inventory.clone();
        let pending = tokio::task::spawn_blocking(move || {
            inventory.reservations().list(
                ReservationFilter {
                    store_id: Some(StoreId::parse(STORE)?),
                    customer_id: None,
                    status: Some(ReservationStatus::Pending),
                },
                Page::new(Some(1), None)?,
            )
        })
        .await??
        .total;
        if pending == 0 {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{pending} reservations still pending after {} s",
            patience.as_secs()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The lag (ms) of every `reservation.expired` event of [`STORE`] after `first_seq`: the
/// event's time (taken in the committing transaction) minus the reservation's `expires_at`.
/// Other stores' reservations (the load scenarios', held ten minutes) are not this
/// scenario's, should one of them fall due meanwhile.
///
/// # Errors
/// When the database fails or a payload cannot be read.
pub fn lags_after(inventory: &Inventory, first_seq: u64) -> anyhow::Result<Vec<f64>> {
    let mut lags = Vec::new();
    let mut after = first_seq;
    loop {
        let batch = inventory.events().after(after, 1000)?;
        let Some(last) = batch.last() else { break };
        after = last.seq;
        for event in batch.iter().filter(|e| {
            e.event_type == "reservation.expired" && e.store_id.as_deref() == Some(STORE)
        }) {
            let payload: serde_json::Value = serde_json::from_str(&event.payload)?;
            let expires_at = payload["reservation"]["expires_at"]
                .as_str()
                .unwrap_or_default();
            let due = OffsetDateTime::parse(expires_at, &Rfc3339)?;
            lags.push((event.occurred_at - due).as_seconds_f64() * 1000.0);
        }
    }
    Ok(lags)
}
