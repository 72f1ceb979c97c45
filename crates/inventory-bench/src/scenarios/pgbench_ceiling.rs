//! (P0) PostgreSQL's own hot-row ceiling: pgbench, 64 clients, each transaction what one
//! reservation costs the database without batching: a conditional UPDATE of the one stock row
//! and two INSERTs (the reservation, the outbox event), `synchronous_commit` as the server has
//! it (on). What the PostgreSQL scenarios are compared with.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::postgres::{Schema, query_i64};
use crate::report::Row;
use crate::scenarios::histogram_ms;

const TABLES: &str = "
CREATE TABLE stock (
    product_id uuid NOT NULL, store_id text NOT NULL,
    quantity integer NOT NULL, reserved integer NOT NULL, version bigint NOT NULL,
    PRIMARY KEY (product_id, store_id),
    CHECK (reserved >= 0 AND reserved <= quantity));
CREATE TABLE reservations (
    id uuid PRIMARY KEY, product_id uuid NOT NULL, store_id text NOT NULL,
    quantity integer NOT NULL, status text NOT NULL,
    expires_at timestamptz NOT NULL, created_at timestamptz NOT NULL);
CREATE TABLE events (
    seq bigserial PRIMARY KEY, event_id uuid NOT NULL, event_type text NOT NULL,
    payload jsonb NOT NULL, occurred_at timestamptz NOT NULL);
INSERT INTO stock VALUES ('00000000-0000-0000-0000-000000000001', 'MAD-001', 100000000, 0, 1);
";

/// One reservation, as one transaction. The payload is about the size of a real
/// `reservation.created` event.
const SCRIPT: &str = "
BEGIN;
UPDATE stock SET reserved = reserved + 1, version = version + 1
  WHERE product_id = '00000000-0000-0000-0000-000000000001' AND store_id = 'MAD-001'
    AND quantity - reserved >= 1;
INSERT INTO reservations VALUES (gen_random_uuid(), '00000000-0000-0000-0000-000000000001',
  'MAD-001', 1, 'PENDING', now() + interval '10 minutes', now());
INSERT INTO events (event_id, event_type, payload, occurred_at) VALUES (gen_random_uuid(),
  'reservation.created', '{\"reservation\": {\"id\": \"01933c4e-7a5c-7cc1-9d7e-4c2f1f0b9a11\", \"product_id\": \"00000000-0000-0000-0000-000000000001\", \"store_id\": \"MAD-001\", \"customer_id\": \"bench-1\", \"quantity\": 1, \"status\": \"PENDING\", \"expires_at\": \"2026-12-02T12:10:00Z\", \"created_at\": \"2026-12-02T12:00:00Z\", \"updated_at\": \"2026-12-02T12:00:00Z\"}, \"stock\": {\"product_id\": \"00000000-0000-0000-0000-000000000001\", \"store_id\": \"MAD-001\", \"quantity\": 100000000, \"reserved\": 1, \"available\": 99999999, \"version\": 2, \"updated_at\": \"2026-12-02T12:00:00Z\"}}',
  now());
END;
";

/// Runs pgbench for `duration` with `clients` connections in a schema of its own.
///
/// # Errors
/// When pgbench fails, or the stock row's `reserved` is not the number of reservations.
pub fn run(url: &str, folder: &Path, duration: Duration, clients: usize) -> anyhow::Result<Row> {
    let id = "P0";
    let name = "pgbench hot-row ceiling: UPDATE + 2 INSERTs per transaction";
    if Command::new("pgbench").arg("--version").output().is_err() {
        return Ok(Row::note(
            id,
            name,
            "skipped: pgbench is not installed (Debian: postgresql-client)".into(),
        ));
    }
    let schema = Schema::create(url, "inventory_pgbench")?;
    schema.execute(TABLES)?;
    let script = folder.join("pgbench-hot-row.sql");
    std::fs::write(&script, SCRIPT)?;
    let logs = folder.join("pgbench-log");
    let output = Command::new("pgbench")
        .args(["--no-vacuum", "--protocol=prepared"])
        .arg(format!("--client={clients}"))
        .arg("--jobs=2")
        .arg(format!("--time={}", duration.as_secs().max(1)))
        .arg("--file")
        .arg(&script)
        .arg("--log")
        .arg(format!("--log-prefix={}", logs.display()))
        .arg(url)
        .env("PGOPTIONS", format!("-c search_path={}", schema.name()))
        .output()
        .context("running pgbench")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "pgbench failed: {}{}",
            stdout,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let tps: f64 = stdout
        .lines()
        .find_map(|line| line.strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|tps| tps.parse().ok())
        .with_context(|| format!("no tps in pgbench's output: {stdout}"))?;
    let latencies = read_latencies(folder)?;
    let reserved = query_i64(url, schema.name(), "SELECT reserved::bigint FROM stock")?;
    let reservations = query_i64(url, schema.name(), "SELECT count(*) FROM reservations")?;
    if reserved != reservations {
        bail!("pgbench check failed: reserved {reserved} but {reservations} reservations");
    }
    drop(schema);
    Ok(Row::measured(
        id,
        name,
        Some(tps),
        &histogram_ms(&latencies),
        format!("{clients} clients, {reservations} transactions, reserved == reservations"),
    ))
}

/// Every transaction's latency (ms) from pgbench's per-transaction logs
/// (`client transaction latency_us script epoch_s epoch_us` per line).
fn read_latencies(folder: &Path) -> anyhow::Result<Vec<f64>> {
    let mut latencies = Vec::new();
    for entry in std::fs::read_dir(folder)? {
        let path = entry?.path();
        let is_log = path
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.starts_with("pgbench-log"));
        if !is_log {
            continue;
        }
        for line in std::fs::read_to_string(&path)?.lines() {
            if let Some(micros) = line
                .split_whitespace()
                .nth(2)
                .and_then(|v| v.parse::<f64>().ok())
            {
                latencies.push(micros / 1000.0);
            }
        }
        std::fs::remove_file(&path)?;
    }
    Ok(latencies)
}
