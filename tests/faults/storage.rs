//! Storage faults on the SQLite file, while the server runs: the disk fills up (a small tmpfs
//! the suite mounts, as root; skipped otherwise), the storage turns read-only (the shim's
//! EROFS on every write to the database's files), and another process holds the write lock
//! for longer than the server waits.
//!
//! During each: writes fail with a 503 JSON error (`SERVICE_UNAVAILABLE`, `Retry-After`; the
//! cause is in the server's log, in our words, never in the answer), and a refused write
//! leaves nothing; reads keep working. When the fault clears the server recovers by itself,
//! the relay publishes what waited, and the expiry worker releases the reservations that fell
//! due during the fault.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use inventory_testkit::redis_server::RedisProcess;
use serde_json::json;

use crate::client::{Api, admin, customer};
use crate::ledger::{Ledger, Op, Outcome as Told, Pair};
use crate::process::{Server, ServerSpec, SmallDisk, Workspace, inventory_check};
use crate::rng::Rng;
use crate::{Outcome, Profile, checks, workload};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    DiskFull,
    ReadOnly,
    Locked,
}

impl Fault {
    /// What the server's log must say of the 503s.
    fn cause(self) -> &'static str {
        match self {
            Self::DiskFull => "disk is full",
            Self::ReadOnly => "storage refused",
            Self::Locked => "locked by another connection",
        }
    }
}

/// What the scenario needs to inject each fault.
struct Bench {
    db: PathBuf,
    disk: Option<SmallDisk>,
    control: PathBuf,
}

pub fn run(profile: Profile, workspace: &Workspace) -> Outcome {
    let rounds = profile.pick(1, 10);
    let folder = workspace.folder("storage");
    let control = folder.path().join("control");
    std::fs::create_dir_all(&control).expect("control folder");
    // Room for the rows every round adds (the full-disk fault fills whatever is left); the
    // WAL check below does not rely on the disk's size.
    let disk = SmallDisk::mount(&folder.path().join("disk"), profile.pick(64, 256));
    let mut notes = Vec::new();
    let db_dir = match &disk {
        Some(disk) => disk.path.clone(),
        None => {
            notes.push("disk full skipped: mounting a small tmpfs needs root");
            folder.path().join("db")
        }
    };
    std::fs::create_dir_all(&db_dir).expect("db folder");
    let bench = Bench {
        db: db_dir.join("inventory.db"),
        disk,
        control: control.clone(),
    };
    let mut faults = vec![Fault::Locked];
    if bench.disk.is_some() {
        faults.push(Fault::DiskFull);
    }
    if workspace.shim().is_some() {
        faults.push(Fault::ReadOnly);
    } else {
        notes.push("read-only skipped: the shim could not be built");
    }
    let redis = RedisProcess::start();
    let stream = "faults-storage";
    let mut spec = ServerSpec::default()
        .with("INVENTORY_DB", bench.db.display().to_string())
        .with("REDIS_URL", redis.url())
        .with("INVENTORY_REDIS_STREAM", stream)
        .with("INVENTORY_RELAY_LEASE_MS", "500")
        .with("INVENTORY_LOCK_TIMEOUT_MS", "300")
        .with("FAULT_SHIM_DIR", db_dir.display().to_string())
        .with("FAULT_SHIM_CONTROL", control.display().to_string());
    spec.preload = workspace.shim().map(|shim| shim.library.clone());
    let server = Server::start(&spec);
    let api = Api::new(&server.base, Duration::from_secs(10));
    let mut ledger = Ledger::default();
    let pairs = workload::catalogue(&api, "DISK", 1, 100, &mut ledger);
    let mut violations = ledger.verify(&api);
    let mut rng = Rng::new(profile.seed);
    let (mut injected, mut refused, mut recovery) = (0, 0, Duration::ZERO);
    for round in 1..=rounds {
        let mut order = faults.clone();
        for at in (1..order.len()).rev() {
            order.swap(at, rng.index(at + 1));
        }
        for fault in order {
            let mut found = Vec::new();
            // Reservations that fall due during the fault: the expiry worker must release
            // them once it is over.
            let due: Vec<String> = (0..2)
                .map(|n| {
                    let pair = &pairs[rng.index(pairs.len())];
                    let reply = api
                        .post(
                            "/api/v1/reservations",
                            &customer(n),
                            &json!({"product_id": pair.0, "store_id": pair.1, "quantity": 1, "ttl": 1}),
                        )
                        .expect("answer");
                    assert_eq!(reply.status, 201, "{:?}", reply.body);
                    let id = reply.body["reservation_id"].as_str().expect("id").to_owned();
                    ledger.record(Op::Reserve(pair.clone(), Some(id.clone())), Told::Acknowledged);
                    id
                })
                .collect();
            let guard = inject(fault, &bench, &mut rng);
            injected += 1;
            let outcome = writes_during(fault, &api, &pairs, &mut ledger, &mut rng);
            if server.logged(fault.cause()) == 0 {
                found.push(format!(
                    "the server's log does not say \"{}\" during {fault:?}",
                    fault.cause()
                ));
            }
            refused += outcome.refused;
            found.extend(outcome.violations);
            found.extend(reads_work(&api, &pairs));
            drop(guard);
            let started = Instant::now();
            if !wait_for_a_write(&api, &pairs[0], &mut ledger) {
                found.push(format!(
                    "writes did not recover within 15 s after {fault:?}"
                ));
            }
            recovery = recovery.max(started.elapsed());
            found.extend(wal_stays_bounded(&api, &bench.wal(), &mut rng));
            found.extend(expired(&api, &due, &mut ledger));
            found.extend(checks::after_fault(&mut ledger, &api, &redis.url(), stream));
            if !found.is_empty() {
                found.push(format!("server log:\n{}", server.last_log_lines(12)));
            }
            violations.extend(
                found
                    .into_iter()
                    .map(|v| format!("round {round}, {fault:?}: {v}")),
            );
        }
    }
    let mut server = server;
    if !server.terminate() {
        violations.push("the server did not stop cleanly".into());
    }
    violations.extend(inventory_check(&[(
        "INVENTORY_DB".to_owned(),
        bench.db.display().to_string(),
    )]));
    let note = if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", notes.join("; "))
    };
    Outcome {
        counts: format!(
            "rounds={rounds} faults={injected} operations={} acknowledged={} refused_503={refused} slowest_recovery_ms={}{note}",
            ledger.operations,
            ledger.acknowledged,
            recovery.as_millis()
        ),
        violations,
        skipped: None,
    }
}

impl Bench {
    fn wal(&self) -> PathBuf {
        let mut name = self.db.clone().into_os_string();
        name.push("-wal");
        PathBuf::from(name)
    }
}

/// After a fault, a steady run of writes must all succeed and leave the WAL short: the
/// checkpointer keeps working. The writes add up to about 36 MiB of WAL frames: a WAL that
/// only grew would end past the limit (or fill the disk).
fn wal_stays_bounded(api: &Api, wal: &Path, rng: &mut Rng) -> Vec<String> {
    const WRITES: usize = 800;
    const LIMIT: u64 = 20 * 1024 * 1024;
    let mut violations = Vec::new();
    for _ in 0..WRITES {
        let answer = api.post(
            "/api/v1/products",
            &admin(),
            &json!({"sku": format!("AFTER-{}", rng.next_u64() % 1_000_000_000),
                    "name": "After", "price": "1.00", "description": "x".repeat(500)}),
        );
        if !answer.as_ref().is_ok_and(|reply| reply.status == 201) {
            violations.push(format!("a write after the fault got {answer:?}"));
            break;
        }
    }
    let size = std::fs::metadata(wal).map_or(0, |meta| meta.len());
    if size > LIMIT {
        violations.push(format!(
            "the WAL holds {size} bytes after {WRITES} writes: the checkpointer is not keeping up"
        ));
    }
    violations
}

/// Undoes a fault when dropped.
enum Injected {
    Ballast(PathBuf),
    Flag(PathBuf),
    Lock(std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>),
}

impl Drop for Injected {
    fn drop(&mut self) {
        match self {
            Self::Ballast(path) | Self::Flag(path) => {
                let _ = std::fs::remove_file(path);
            }
            Self::Lock(release, holder) => {
                let _ = release.send(());
                while !holder.is_finished() {
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
    }
}

fn inject(fault: Fault, bench: &Bench, rng: &mut Rng) -> Injected {
    match fault {
        Fault::DiskFull => {
            let disk = bench.disk.as_ref().expect("a small disk");
            let ballast = disk.path.join("ballast");
            fill(&ballast);
            Injected::Ballast(ballast)
        }
        Fault::ReadOnly => {
            let flag = bench.control.join("readonly");
            std::fs::write(&flag, b"").expect("the read-only flag");
            Injected::Flag(flag)
        }
        Fault::Locked => {
            let (release, released) = std::sync::mpsc::channel::<()>();
            let (taken, is_taken) = std::sync::mpsc::channel::<()>();
            let db = bench.db.clone();
            // Held until the fault is cleared (a minute at most, should the suite die).
            let longest = Duration::from_secs(60);
            let _ = rng;
            let holder = std::thread::spawn(move || {
                let conn = rusqlite::Connection::open(&db).expect("a second connection");
                conn.busy_timeout(Duration::from_secs(10))
                    .expect("busy timeout");
                conn.execute_batch("BEGIN IMMEDIATE")
                    .expect("the write lock");
                let _ = taken.send(());
                let _ = released.recv_timeout(longest);
                let _ = conn.execute_batch("ROLLBACK");
            });
            is_taken
                .recv_timeout(Duration::from_secs(10))
                .expect("the second process took the lock");
            Injected::Lock(release, holder)
        }
    }
}

/// Writes zeros to `path` until the disk is full.
fn fill(path: &Path) {
    use std::io::Write;
    let mut file = std::fs::File::create(path).expect("ballast");
    let block = vec![0u8; 64 * 1024];
    while file.write_all(&block).is_ok() {}
    let _ = file.sync_all();
}

struct DuringFault {
    refused: u64,
    violations: Vec<String>,
}

/// Writes while the fault lasts: restocks, and products with long descriptions so a full
/// disk bites soon. A 2xx is recorded as acknowledged, a 503 (with `Retry-After`) as refused
/// (SQLite rolled it back: nothing of it may remain).
fn writes_during(
    fault: Fault,
    api: &Api,
    pairs: &[Pair],
    ledger: &mut Ledger,
    rng: &mut Rng,
) -> DuringFault {
    let mut outcome = DuringFault {
        refused: 0,
        violations: Vec::new(),
    };
    let started = Instant::now();
    let mut n = 0;
    while outcome.refused < 10 && started.elapsed() < Duration::from_secs(20) {
        n += 1;
        let pair = pairs[rng.index(pairs.len())].clone();
        let answers = [
            (Some(pair.clone()), api.restock(&pair.0, &pair.1, 1)),
            (
                None,
                api.post(
                    "/api/v1/products",
                    &admin(),
                    &json!({"sku": format!("FILL-{}-{n}", rng.next_u64() % 1_000_000_000),
                            "name": "Filler", "price": "1.00", "description": "x".repeat(500)}),
                ),
            ),
        ];
        for (restocked, answer) in answers {
            let told = match &answer {
                Ok(reply) if (200..300).contains(&reply.status) => Told::Acknowledged,
                Ok(reply)
                    if reply.status == 503
                        && reply.code() == "SERVICE_UNAVAILABLE"
                        && reply.retry_after.is_some() =>
                {
                    outcome.refused += 1;
                    Told::Refused
                }
                other => {
                    outcome
                        .violations
                        .push(format!("a write during {fault:?} got {other:?}"));
                    Told::InFlight
                }
            };
            if let Some(pair) = restocked {
                ledger.record(Op::Restock(pair), told);
            }
        }
    }
    if outcome.refused == 0 {
        outcome
            .violations
            .push(format!("no write was refused during {fault:?}"));
    }
    outcome
}

/// Reads answer while the fault lasts.
fn reads_work(api: &Api, pairs: &[Pair]) -> Vec<String> {
    let mut violations = Vec::new();
    for path in [
        format!("/api/v1/stock/{}/{}", pairs[0].0, pairs[0].1),
        format!("/api/v1/products/{}/availability", pairs[0].0),
        "/api/v1/products?limit=5".to_owned(),
    ] {
        match api.get(&path, &admin()) {
            Ok(reply) if reply.status == 200 => {}
            other => violations.push(format!("GET {path} during the fault: {other:?}")),
        }
    }
    violations
}

/// Retries a restock until one succeeds (15 s at most).
fn wait_for_a_write(api: &Api, pair: &Pair, ledger: &mut Ledger) -> bool {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        match api.restock(&pair.0, &pair.1, 1) {
            Ok(reply) if reply.status == 200 => {
                ledger.record(Op::Restock(pair.clone()), Told::Acknowledged);
                return true;
            }
            Ok(reply) if reply.status == 503 => {
                ledger.record(Op::Restock(pair.clone()), Told::Refused);
            }
            // No answer: whether it was kept is unknown.
            _ => ledger.record(Op::Restock(pair.clone()), Told::InFlight),
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// The reservations that fell due during the fault are released (10 s at most).
fn expired(api: &Api, due: &[String], ledger: &mut Ledger) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    for id in due {
        loop {
            let status = api.get_ok(&format!("/api/v1/reservations/{id}"))["status"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if status == "EXPIRED" {
                ledger.expired(id);
                break;
            }
            if Instant::now() >= deadline {
                return vec![format!(
                    "reservation {id} fell due during the fault and is still {status} 10 s after"
                )];
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    Vec::new()
}
