//! Several `inventory` processes on one PostgreSQL, as a chain that outgrew one host runs
//! them: 64 clients hammer one SKU through all of them at once (restocks, reservations, and
//! confirmations of every other one), and nothing is oversold, no acknowledged increment is
//! lost, every reservation is confirmed or expires exactly once and every event reaches Redis
//! once, in commit order.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::binary::{ServerProcess, serve_with};
use crate::events;
use crate::support::{TestSchema, admin, customer, database_url};
use inventory_testkit::redis_server::{shared_url, unique_stream};

const INSTANCES: usize = 3;
const CLIENTS: usize = 64;
const ROUNDS: usize = 12;

/// A small HTTP client for one server process.
#[derive(Clone)]
struct Instance {
    base: String,
    agent: ureq::Agent,
}

impl Instance {
    fn new(port: u16) -> Self {
        Self {
            base: format!("http://127.0.0.1:{port}"),
            agent: crate::support::agent(),
        }
    }

    fn post(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        let mut reply = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Authorization", format!("Bearer {token}"))
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .expect("the server answers");
        let text = reply.body_mut().read_to_string().unwrap_or_default();
        (
            reply.status().as_u16(),
            serde_json::from_str(&text).unwrap_or(Value::Null),
        )
    }

    fn get(&self, path: &str) -> Value {
        let mut reply = self
            .agent
            .get(format!("{}{path}", self.base))
            .header("Authorization", format!("Bearer {}", admin()))
            .call()
            .expect("the server answers");
        let status = reply.status().as_u16();
        let text = reply.body_mut().read_to_string().unwrap_or_default();
        assert_eq!(status, 200, "GET {path}: {text}");
        serde_json::from_str(&text).expect("json")
    }

    /// (quantity, reserved) of the pair.
    fn stock(&self, product: &str, store: &str) -> (u64, u64) {
        let stock = self.get(&format!("/api/v1/stock/{product}/{store}"));
        let count = |field: &str| stock[field].as_u64().expect("a count");
        (count("quantity"), count("reserved"))
    }

    /// The whole outbox, in seq order, read page by page.
    fn events(&self) -> Vec<Value> {
        let mut events = Vec::new();
        let mut after = 0;
        loop {
            let page = self.get(&format!("/api/v1/events?after_seq={after}&limit=1000"));
            let data = page["data"].as_array().expect("data").clone();
            if data.is_empty() {
                return events;
            }
            after = page["next_after_seq"].as_u64().expect("next");
            events.extend(data);
        }
    }
}

/// What one client saw acknowledged.
#[derive(Default)]
struct Acknowledged {
    increments: u64,
    reservations: Vec<String>,
    confirmed: Vec<String>,
}

#[test]
fn server_processes_on_one_postgres_never_oversell_lose_nothing_and_publish_once_in_order() {
    let schema = TestSchema::new();
    let database = database_url();
    let redis = shared_url();
    let stream = unique_stream("cluster");
    let _removed_at_the_end = RemoveStream(redis.clone(), stream.clone());
    let env = [
        ("INVENTORY_DATABASE_URL", database.as_str()),
        ("INVENTORY_DATABASE_SCHEMA", schema.0.as_str()),
        ("REDIS_URL", redis.as_str()),
        ("INVENTORY_REDIS_STREAM", stream.as_str()),
        ("INVENTORY_RELAY_LEASE_MS", "1000"),
        ("INVENTORY_LOG", "warn,inventory_app=info"),
    ];
    // Started together, so that they migrate the empty schema at the same moment.
    let started: Vec<(ServerProcess, u16)> = thread::scope(|scope| {
        let starting: Vec<_> = (0..INSTANCES)
            .map(|_| scope.spawn(|| serve_with(&env)))
            .collect();
        starting
            .into_iter()
            .map(|started| started.join().expect("a server starts"))
            .collect()
    });
    let instances: Vec<Instance> = started
        .iter()
        .map(|(_, port)| Instance::new(*port))
        .collect();
    let mut processes: Vec<ServerProcess> =
        started.into_iter().map(|(process, _)| process).collect();

    let (status, product) = instances[0].post(
        "/api/v1/products",
        &admin(),
        &json!({"sku": "CLUSTER-1", "name": "Promoción", "price": "9.99"}),
    );
    assert_eq!(status, 201, "{product}");
    let product = product["id"].as_str().expect("id").to_owned();

    // A watcher reads the pair through another instance the whole time.
    let running = Arc::new(AtomicBool::new(true));
    let watcher = {
        let (instance, product, running) = (instances[1].clone(), product.clone(), running.clone());
        thread::spawn(move || {
            let mut samples = 0;
            while running.load(Ordering::Relaxed) {
                let reply = instance
                    .agent
                    .get(format!("{}/api/v1/stock/{product}/MAD-001", instance.base))
                    .header("Authorization", format!("Bearer {}", admin()))
                    .call()
                    .expect("answer");
                if reply.status().as_u16() == 200 {
                    let mut reply = reply;
                    let stock: Value =
                        serde_json::from_str(&reply.body_mut().read_to_string().expect("body"))
                            .expect("json");
                    let (quantity, reserved) = (
                        stock["quantity"].as_u64().expect("quantity"),
                        stock["reserved"].as_u64().expect("reserved"),
                    );
                    assert!(reserved <= quantity, "oversold: {stock}");
                    samples += 1;
                }
            }
            samples
        })
    };

    // Each client restocks one unit, then tries to hold one for a second, ROUNDS times,
    // going through the instances in turn.
    let start = Arc::new(Barrier::new(CLIENTS));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|n| {
            let (instances, start, product) = (instances.clone(), start.clone(), product.clone());
            thread::spawn(move || {
                let token = customer(&format!("shopper-{n}"));
                let admin = admin();
                let mut acknowledged = Acknowledged::default();
                start.wait();
                for round in 0..ROUNDS {
                    let instance = &instances[(n + round) % instances.len()];
                    let (status, body) = instance.post(
                        "/api/v1/stock",
                        &admin,
                        &json!({"product_id": product, "store_id": "MAD-001",
                                "quantity_change": 1, "reason": "RESTOCK"}),
                    );
                    match status {
                        200 | 201 => acknowledged.increments += 1,
                        _ => panic!("restock refused: {status} {body}"),
                    }
                    let instance = &instances[(n + round + 1) % instances.len()];
                    let (status, body) = instance.post(
                        "/api/v1/reservations",
                        &token,
                        &json!({"product_id": product, "store_id": "MAD-001",
                                "quantity": 2, "ttl": 1}),
                    );
                    let id = match status {
                        201 => body["reservation_id"].as_str().expect("id").to_owned(),
                        409 if body["error"]["code"] == "INSUFFICIENT_STOCK"
                            || body["error"]["code"] == "HOLD_LIMIT_EXCEEDED" =>
                        {
                            continue;
                        }
                        _ => panic!("reservation answered {status} {body}"),
                    };
                    acknowledged.reservations.push(id.clone());
                    if round % 2 == 1 {
                        // Paid at once, through yet another instance, while the others keep
                        // the row busy: a confirmation must get through, not time out.
                        let instance = &instances[(n + round + 2) % instances.len()];
                        let (status, body) = instance.post(
                            &format!("/api/v1/reservations/{id}/confirm"),
                            &token,
                            &json!({}),
                        );
                        match status {
                            200 => acknowledged.confirmed.push(id),
                            409 if body["error"]["code"] == "RESERVATION_EXPIRED" => {}
                            _ => panic!("confirmation answered {status} {body}"),
                        }
                    }
                }
                acknowledged
            })
        })
        .collect();
    let mut increments = 0;
    let mut reservations = BTreeSet::new();
    let mut confirmed = BTreeSet::new();
    for client in clients {
        let acknowledged = client.join().expect("a client");
        increments += acknowledged.increments;
        reservations.extend(acknowledged.reservations);
        confirmed.extend(acknowledged.confirmed);
    }
    running.store(false, Ordering::Relaxed);
    let samples = watcher.join().expect("the watcher saw no oversell");
    assert!(samples > 0, "the watcher read the pair");
    assert_eq!(increments, (CLIENTS * ROUNDS) as u64);
    assert!(
        !confirmed.is_empty() && confirmed.len() < reservations.len(),
        "some holds were confirmed and some left to expire: {} of {}",
        confirmed.len(),
        reservations.len()
    );

    // Every hold not confirmed expires, on whichever instance's worker claims it.
    let deadline = Instant::now() + Duration::from_secs(30);
    while instances[2].stock(&product, "MAD-001").1 > 0 {
        assert!(Instant::now() < deadline, "the reservations expire");
        thread::sleep(Duration::from_millis(100));
    }
    let sold = 2 * confirmed.len() as u64;
    assert_eq!(
        instances[2].stock(&product, "MAD-001"),
        (increments - sold, 0),
        "every acknowledged increment is there less what was sold, and nothing is held"
    );
    for id in &reservations {
        let reservation = instances[0].get(&format!("/api/v1/reservations/{id}"));
        let expected = if confirmed.contains(id) {
            "CONFIRMED"
        } else {
            "EXPIRED"
        };
        assert_eq!(reservation["status"], expected, "{reservation}");
    }

    // The outbox: consecutive seqs; the pair's versions follow the seqs (commit order);
    // each reservation created once and expired once; no hold ever above the quantity.
    let events = instances[1].events();
    let seqs: Vec<u64> = events
        .iter()
        .map(|e| e["seq"].as_u64().expect("seq"))
        .collect();
    assert_eq!(seqs, (1..=events.len() as u64).collect::<Vec<_>>());
    let mut last_version = 0;
    let mut lifecycle: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for event in &events {
        let kind = event["event_type"].as_str().expect("type");
        let payload = &event["payload"];
        // Stock and reservation events carry the pair's state after the change.
        let stock = &payload["stock"];
        if let Some(version) = stock["version"].as_u64() {
            assert_eq!(version, last_version + 1, "versions in seq order: {event}");
            last_version = version;
            assert!(
                stock["reserved"].as_u64() <= stock["quantity"].as_u64(),
                "{event}"
            );
        }
        if kind.starts_with("reservation.") {
            lifecycle
                .entry(
                    payload["reservation"]["id"]
                        .as_str()
                        .expect("id")
                        .to_owned(),
                )
                .or_default()
                .push(kind.to_owned());
        }
    }
    assert_eq!(
        lifecycle.keys().cloned().collect::<BTreeSet<_>>(),
        reservations,
        "an event for every acknowledged reservation, and for no other"
    );
    for (id, kinds) in &lifecycle {
        let end = if confirmed.contains(id) {
            "reservation.confirmed"
        } else {
            "reservation.expired"
        };
        assert_eq!(kinds, &["reservation.created", end], "reservation {id}");
    }

    // Redis: every event once, in order, whichever instance held the relay lease.
    let deadline = Instant::now() + Duration::from_secs(30);
    let published = loop {
        let published: Vec<(u64, String)> = events::stream(&redis, &stream)
            .into_iter()
            .map(|(seq, fields)| (seq, fields["event_id"].as_str().expect("id").to_owned()))
            .collect();
        if published.len() >= events.len() {
            break published;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {} events published",
            published.len(),
            events.len()
        );
        thread::sleep(Duration::from_millis(100));
    };
    let expected: Vec<(u64, String)> = events
        .iter()
        .map(|e| {
            (
                e["seq"].as_u64().expect("seq"),
                e["event_id"].as_str().expect("id").to_owned(),
            )
        })
        .collect();
    assert_eq!(published, expected, "each event once, in seq order");

    for process in &mut processes {
        assert!(process.terminate().success(), "a clean stop");
    }
}

/// Removes the test's stream and relay lease when the test ends, passed or failed.
struct RemoveStream(String, String);

impl Drop for RemoveStream {
    fn drop(&mut self) {
        events::cleanup(&self.0, &self.1);
    }
}
