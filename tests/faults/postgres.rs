//! PostgreSQL faults with two server instances on one database (and one private Redis for the
//! relay's lease): instance A's connections are cut with `pg_terminate_backend` in the middle
//! of its group commits, then A is killed with SIGKILL, under load through both instances.
//! Clients of B must see no error at all; A's may fail only on the requests in flight; A
//! recovers by itself after the cut; and the invariants hold on the shared database.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use inventory_testkit::redis_server::RedisProcess;

use crate::client::Api;
use crate::ledger::{Ledger, Outcome as Told};
use crate::process::{Server, ServerSpec, Workspace, inventory_check};
use crate::rng::Rng;
use crate::{Outcome, Profile, checks, workload};

/// A schema of the scenario's own, dropped (with all it holds) at the end.
struct Schema {
    url: String,
    name: String,
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.url, postgres::NoTls) {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}

fn with_application_name(url: &str, name: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}application_name={name}")
}

/// Cuts every connection instance `name` has; how many were cut.
fn cut_connections(url: &str, name: &str) -> i64 {
    let mut client = postgres::Client::connect(url, postgres::NoTls).expect("postgres");
    client
        .query_one(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE application_name = $1",
            &[&name],
        )
        .map_or(0, |row| row.get(0))
}

pub fn run(profile: Profile, _workspace: &Workspace) -> Outcome {
    let url = std::env::var("INVENTORY_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    if postgres::Client::connect(&url, postgres::NoTls).is_err() {
        return Outcome::skipped(format!("no PostgreSQL answers at {url}"));
    }
    let rounds = profile.pick(2, 20);
    let run_id = uuid::Uuid::new_v4().simple().to_string();
    let schema = Schema {
        url: url.clone(),
        name: format!("faults_{run_id}"),
    };
    let name_a = format!("faults-{}-a", &run_id[..12]);
    let redis = RedisProcess::start();
    let stream = "faults-postgres";
    let base = ServerSpec::default()
        .with("INVENTORY_DATABASE_SCHEMA", schema.name.clone())
        .with("REDIS_URL", redis.url())
        .with("INVENTORY_REDIS_STREAM", stream)
        .with("INVENTORY_RELAY_LEASE_MS", "500")
        .without_hold_limits();
    let spec_a = base.clone().with(
        "INVENTORY_DATABASE_URL",
        with_application_name(&url, &name_a),
    );
    let spec_b = base.with(
        "INVENTORY_DATABASE_URL",
        with_application_name(&url, &format!("faults-{}-b", &run_id[..12])),
    );
    let check_env = vec![
        ("INVENTORY_DATABASE_URL".to_owned(), url.clone()),
        ("INVENTORY_DATABASE_SCHEMA".to_owned(), schema.name.clone()),
    ];
    // B first: it migrates the empty schema; A starts on a migrated one.
    let server_b = Server::start(&spec_b);
    let mut server_a = Server::start(&spec_a);
    let api_b = Api::new(&server_b.base, Duration::from_secs(10));
    let mut ledger = Ledger::default();
    let pairs = workload::catalogue(&api_b, "PG", 2, 5, &mut ledger);
    let mut violations = ledger.verify(&api_b);
    let mut rng = Rng::new(profile.seed);
    let (mut cuts, mut kills, mut cut_connections_total, mut unavailable_a) = (0, 0, 0, 0);
    for round in 1..=rounds {
        let mut found = Vec::new();
        for kill in [false, true] {
            let api_a = Api::new(&server_a.base, Duration::from_secs(10));
            let apis = [api_a.clone(), api_b.clone()];
            let stop = Arc::new(AtomicBool::new(false));
            let clients = workload::start(&apis, &pairs, ledger.pending(), 6, &mut rng, &stop);
            std::thread::sleep(Duration::from_millis(rng.range(300, 900)));
            if kill {
                server_a.kill9();
                kills += 1;
            } else {
                cut_connections_total += cut_connections(&url, &name_a);
                cuts += 1;
            }
            std::thread::sleep(Duration::from_millis(rng.range(300, 900)));
            stop.store(true, Ordering::Relaxed);
            for (n, client) in clients.into_iter().enumerate() {
                let log = client.join().expect("a client thread");
                found.extend(log.violations);
                let of_b = n % 2 == 1;
                if of_b {
                    let failed = log.ops.iter().filter(|(_, t)| *t == Told::InFlight).count();
                    if failed > 0 || log.unavailable > 0 {
                        found.push(format!(
                            "a client of the surviving instance saw {failed} failures ({} 503)",
                            log.unavailable
                        ));
                    }
                } else {
                    unavailable_a += log.unavailable;
                }
                for (op, told) in log.ops {
                    ledger.record(op, told);
                }
            }
            let fault = if kill {
                "kill -9 of A"
            } else {
                "connections of A cut"
            };
            if !kill {
                // A reconnects by itself: a write through it succeeds soon.
                let deadline = Instant::now() + Duration::from_secs(10);
                let recovered = loop {
                    match api_a.restock(&pairs[0].0, &pairs[0].1, 1) {
                        Ok(reply) if reply.status == 200 => {
                            ledger.record(
                                crate::ledger::Op::Restock(pairs[0].clone()),
                                Told::Acknowledged,
                            );
                            break true;
                        }
                        // A 503 or no answer: whether it was kept is unknown.
                        _ => ledger
                            .record(crate::ledger::Op::Restock(pairs[0].clone()), Told::InFlight),
                    }
                    if Instant::now() > deadline {
                        break false;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                };
                if !recovered {
                    found.push(
                        "A did not recover within 10 s after its connections were cut".into(),
                    );
                }
            }
            found.extend(checks::after_fault(
                &mut ledger,
                &api_b,
                &redis.url(),
                stream,
            ));
            found.extend(inventory_check(&check_env));
            if !found.is_empty() {
                found.push(format!(
                    "after {fault}; A's log:\n{}\nB's log:\n{}",
                    server_a.last_log_lines(8),
                    server_b.last_log_lines(8)
                ));
                break;
            }
        }
        violations.extend(found.into_iter().map(|v| format!("round {round}: {v}")));
        server_a = Server::start(&spec_a);
    }
    let mut server_b = server_b;
    if !server_a.terminate() || !server_b.terminate() {
        violations.push("an instance did not stop cleanly".into());
    }
    violations.extend(inventory_check(&check_env));
    drop(schema);
    Outcome {
        counts: format!(
            "rounds={rounds} faults={} connection_cuts={cuts} connections_cut={cut_connections_total} kills={kills} operations={} acknowledged={} in_flight={} unavailable_on_a={unavailable_a} events={}",
            cuts + kills,
            ledger.operations,
            ledger.acknowledged,
            ledger.in_flight,
            ledger.seen.len()
        ),
        violations,
        skipped: None,
    }
}
