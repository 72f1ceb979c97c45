//! kill -9 under load, and power cuts: clients restock and reserve on a SQLite file while the
//! server is SIGKILLed at a random moment; half the cycles (by the seed) are power cuts, where
//! every database file also goes back to what was last fsynced (the shim's copies). The server
//! restarts on the same file and every invariant is checked before the next cycle.
//!
//! With `INVENTORY_SYNCHRONOUS=OFF` or `NORMAL` (set `FAULTS_SYNCHRONOUS` to try) the power
//! cuts lose acknowledged commits and this scenario fails: that is how it proves the fsync.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use inventory_testkit::redis_server::RedisProcess;

use crate::client::Api;
use crate::ledger::Ledger;
use crate::process::{Server, ServerSpec, Workspace, inventory_check};
use crate::rng::Rng;
use crate::{Outcome, Profile, checks, workload};

const DB: &str = "inventory.db";

pub fn run(profile: Profile, workspace: &Workspace) -> Outcome {
    let Some(shim) = workspace.shim() else {
        return Outcome::skipped("the storage shim could not be built (no C compiler)");
    };
    let cycles = profile.pick(10, 100);
    let folder = workspace.folder("kill9");
    let (db_dir, control) = (folder.path().join("db"), folder.path().join("control"));
    std::fs::create_dir_all(&db_dir).expect("db folder");
    std::fs::create_dir_all(&control).expect("control folder");
    let db = db_dir.join(DB);
    let redis = RedisProcess::start();
    let stream = "faults-kill9";
    let synchronous = std::env::var("FAULTS_SYNCHRONOUS").unwrap_or_else(|_| "FULL".into());
    let spec = ServerSpec {
        preload: Some(shim.library.clone()),
        ..ServerSpec::default()
    }
    .with("INVENTORY_DB", db.display().to_string())
    .with("REDIS_URL", redis.url())
    .with("INVENTORY_REDIS_STREAM", stream)
    // A killed server's relay lease must not hold the next one back for long.
    .with("INVENTORY_RELAY_LEASE_MS", "500")
    .with("FAULT_SHIM_DIR", db_dir.display().to_string())
    .with("FAULT_SHIM_CONTROL", control.display().to_string())
    .with("FAULT_SHIM_SNAPSHOT", "1")
    .without_hold_limits();
    let check_env = vec![("INVENTORY_DB".to_owned(), db.display().to_string())];
    let mut violations = Vec::new();

    // The catalogue, made on a durable server and closed cleanly: the first synced state.
    let mut ledger = Ledger::default();
    let mut server = Server::start(&spec.clone().with("INVENTORY_SYNCHRONOUS", "FULL"));
    let api = Api::new(&server.base, Duration::from_secs(10));
    let pairs = workload::catalogue(&api, "KILL", 3, 5, &mut ledger);
    assert!(server.terminate(), "the setup server stops cleanly");

    let spec = spec.with("INVENTORY_SYNCHRONOUS", synchronous.clone());
    let mut rng = Rng::new(profile.seed);
    let mut power_cuts = 0;
    let mut unavailable = 0;
    for cycle in 1..=cycles {
        server = Server::start(&spec);
        let api = Api::new(&server.base, Duration::from_secs(10));
        if cycle == 1 {
            violations.extend(ledger.verify(&api));
        }
        let stop = Arc::new(AtomicBool::new(false));
        let clients = workload::start(
            std::slice::from_ref(&api),
            &pairs,
            ledger.pending(),
            8,
            &mut rng,
            &stop,
        );
        let pause = rng.range(150, 1200);
        std::thread::sleep(Duration::from_millis(pause));
        server.kill9();
        stop.store(true, Ordering::Relaxed);
        for client in clients {
            let log = client.join().expect("a client thread");
            unavailable += log.unavailable;
            violations.extend(log.violations);
            for (op, told) in log.ops {
                ledger.record(op, told);
            }
        }
        let power_cut = rng.chance(50);
        if power_cut {
            power_cuts += 1;
            restore_synced(&db_dir, &control);
        }
        let fault = if power_cut { "power cut" } else { "kill -9" };

        server = Server::start(&spec);
        let api = Api::new(&server.base, Duration::from_secs(10));
        let mut found = checks::after_fault(&mut ledger, &api, &redis.url(), stream);
        found.extend(inventory_check(&check_env));
        if !found.is_empty() {
            found.push(format!("server log:\n{}", server.last_log_lines(15)));
        }
        violations.extend(
            found
                .into_iter()
                .map(|v| format!("cycle {cycle} ({fault}): {v}")),
        );
        server.kill9();
        if violations.len() > 20 {
            break;
        }
    }
    // A last clean run: it starts, stops cleanly, and leaves a consistent file.
    server = Server::start(&spec);
    if !server.terminate() {
        violations.push(format!(
            "the server did not stop cleanly after the cycles:\n{}",
            server.last_log_lines(10)
        ));
    }
    violations.extend(inventory_check(&check_env));
    if unavailable > 0 {
        violations.push(format!(
            "{unavailable} requests were answered 503 without a storage fault"
        ));
    }
    Outcome {
        counts: format!(
            "cycles={cycles} faults={cycles} kills={cycles} power_cuts={power_cuts} operations={} acknowledged={} in_flight={} events={} reservations={}",
            ledger.operations,
            ledger.acknowledged,
            ledger.in_flight,
            ledger.seen.len(),
            ledger.reservation_count()
        ),
        violations,
        skipped: None,
    }
}

/// The power cut: each database file goes back to its last synced copy (a file never synced is
/// gone); the shared-memory index is rebuilt by SQLite on open.
fn restore_synced(db_dir: &Path, control: &Path) {
    for name in [DB.to_owned(), format!("{DB}-wal")] {
        let synced = control.join(format!("{name}.synced"));
        let live = db_dir.join(&name);
        if synced.exists() {
            std::fs::copy(&synced, &live).expect("restore a synced copy");
        } else {
            let _ = std::fs::remove_file(&live);
        }
    }
    let _ = std::fs::remove_file(db_dir.join(format!("{DB}-shm")));
}
