//! Redis outages while the relay publishes: a private Redis is killed (and started again,
//! empty, a moment later), paused with SIGSTOP (so calls hang rather than fail, and the ones
//! that timed out on our side run when it resumes), restarted empty at once, and emptied under
//! live connections (the stream evicted), in a random order under a steady load. Writes must keep succeeding (Redis never blocks the API), and
//! afterwards the stream must hold every event once, in order, with the outbox's ids.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use inventory_testkit::redis_server::RedisProcess;

use crate::client::Api;
use crate::ledger::Ledger;
use crate::process::{Server, ServerSpec, Workspace, inventory_check, signal};
use crate::rng::Rng;
use crate::{Outcome, Profile, checks, workload};

#[derive(Debug, Clone, Copy)]
enum Fault {
    /// SIGKILL, down for a while, then started again empty.
    Kill,
    /// SIGSTOP for a while, then SIGCONT.
    Pause,
    /// Killed and started again empty at once.
    RestartEmpty,
    /// The stream alone vanishes (evicted under `maxmemory` with `allkeys-lru`, or deleted by
    /// an operator) while every connection and the relay's lease stay: no error tells the
    /// relay, only the stream's position does.
    Evict,
}

pub fn run(profile: Profile, workspace: &Workspace) -> Outcome {
    let rounds = profile.pick(3, 30);
    let folder = workspace.folder("redis");
    let db = folder.path().join("inventory.db");
    let mut redis = RedisProcess::start();
    let stream = "faults-redis";
    let spec = ServerSpec::default()
        .with("INVENTORY_DB", db.display().to_string())
        .with("REDIS_URL", redis.url())
        .with("INVENTORY_REDIS_STREAM", stream)
        .with("INVENTORY_RELAY_LEASE_MS", "500")
        .without_hold_limits();
    let mut server = Server::start(&spec);
    let api = Api::new(&server.base, Duration::from_secs(10));
    let mut ledger = Ledger::default();
    let pairs = workload::catalogue(&api, "REDIS", 2, 5, &mut ledger);
    let mut violations = ledger.verify(&api);
    let mut rng = Rng::new(profile.seed);
    let mut faults = 0;
    let mut slowest = Duration::ZERO;
    for round in 1..=rounds {
        let stop = Arc::new(AtomicBool::new(false));
        let clients = workload::start(
            std::slice::from_ref(&api),
            &pairs,
            ledger.pending(),
            4,
            &mut rng,
            &stop,
        );
        // A watcher times a write all along: Redis must never hold the API back.
        let watcher = {
            let (api, stop, product) = (api.clone(), Arc::clone(&stop), pairs[1].clone());
            std::thread::spawn(move || {
                let mut slowest = Duration::ZERO;
                let mut writes = 0;
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    let answer = api.restock(&product.0, &product.1, 1);
                    slowest = slowest.max(started.elapsed());
                    assert!(
                        answer.as_ref().is_ok_and(|reply| reply.status == 200),
                        "a write failed while Redis was away: {answer:?}"
                    );
                    writes += 1;
                    std::thread::sleep(Duration::from_millis(20));
                }
                (slowest, writes)
            })
        };
        let mut order = [Fault::Kill, Fault::Pause, Fault::RestartEmpty, Fault::Evict];
        for at in (1..order.len()).rev() {
            order.swap(at, rng.index(at + 1));
        }
        for fault in order {
            std::thread::sleep(Duration::from_millis(rng.range(100, 600)));
            match fault {
                Fault::Kill => {
                    redis.stop();
                    std::thread::sleep(Duration::from_millis(rng.range(300, 1500)));
                    redis.restart();
                }
                Fault::Pause => {
                    let pid = redis.pid().expect("redis runs");
                    signal(pid, "STOP");
                    std::thread::sleep(Duration::from_millis(rng.range(500, 2500)));
                    signal(pid, "CONT");
                }
                Fault::RestartEmpty => redis.restart(),
                Fault::Evict => evict(&redis.url(), stream),
            }
            faults += 1;
        }
        std::thread::sleep(Duration::from_millis(rng.range(100, 600)));
        stop.store(true, Ordering::Relaxed);
        for client in clients {
            let log = client.join().expect("a client thread");
            violations.extend(log.violations);
            for (op, told) in log.ops {
                if told == crate::ledger::Outcome::InFlight {
                    violations.push(format!("round {round}: {op:?} got no answer"));
                }
                ledger.record(op, told);
            }
        }
        match watcher.join() {
            Ok((slow, writes)) => {
                slowest = slowest.max(slow);
                for _ in 0..writes {
                    ledger.record(
                        crate::ledger::Op::Restock(pairs[1].clone()),
                        crate::ledger::Outcome::Acknowledged,
                    );
                }
            }
            Err(_) => violations.push(format!(
                "round {round}: a write failed while Redis was away"
            )),
        }
        let mut found = checks::after_fault(&mut ledger, &api, &redis.url(), stream);
        if !found.is_empty() {
            found.push(format!("server log:\n{}", server.last_log_lines(15)));
        }
        violations.extend(found.into_iter().map(|v| format!("round {round}: {v}")));
    }
    if !server.terminate() {
        violations.push("the server did not stop cleanly".into());
    }
    violations.extend(inventory_check(&[(
        "INVENTORY_DB".to_owned(),
        db.display().to_string(),
    )]));
    Outcome {
        counts: format!(
            "rounds={rounds} faults={faults} operations={} acknowledged={} events={} slowest_write_ms={}",
            ledger.operations,
            ledger.acknowledged,
            ledger.seen.len(),
            slowest.as_millis()
        ),
        violations,
        skipped: None,
    }
}

/// Deletes the stream, and nothing else, without dropping anyone's connection.
fn evict(url: &str, stream: &str) {
    let mut connection = redis::Client::open(url)
        .and_then(|client| client.get_connection())
        .expect("the private redis");
    let _: u64 = redis::cmd("DEL")
        .arg(stream)
        .query(&mut connection)
        .expect("DEL");
}
