//! Events over Redis and Server-Sent Events, with the real server: outages, a relay killed
//! mid-publish, two server processes on one database, and live streams that resume without
//! gaps.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::binary::serve;
use crate::support::{TestServer, admin, create_product, restock};
use inventory_testkit::redis_server::{RedisProcess, shared_url, unique_stream};

/// Every entry of a stream, as (seq, fields as JSON).
pub fn stream(url: &str, name: &str) -> Vec<(u64, Value)> {
    use redis::Commands;
    let mut connection = redis::Client::open(url)
        .expect("url")
        .get_connection()
        .expect("redis");
    let reply: redis::streams::StreamRangeReply = connection.xrange_all(name).expect("XRANGE");
    reply
        .ids
        .into_iter()
        .map(|entry| {
            let seq = entry.id.trim_end_matches("-0").parse().expect("seq id");
            let fields: serde_json::Map<String, Value> = entry
                .map
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        Value::String(redis::from_redis_value_ref::<String>(v).expect("text")),
                    )
                })
                .collect();
            (seq, Value::Object(fields))
        })
        .collect()
}

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Removes a test's stream and its relay lease.
pub fn cleanup(url: &str, name: &str) {
    use redis::Commands;
    if let Ok(mut connection) = redis::Client::open(url).and_then(|c| c.get_connection()) {
        let _: redis::RedisResult<()> =
            connection.del(&[name.to_owned(), format!("{name}:relay-lease")]);
    }
}

fn assert_once_in_order(seqs: &[u64]) {
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "strictly increasing, no duplicate: {seqs:?}"
    );
}

#[test]
fn with_redis_stopped_writes_succeed_health_degrades_and_the_backlog_drains_in_order() {
    let mut redis = RedisProcess::start();
    let stream_name = unique_stream("outage");
    let url = redis.url();
    let server = TestServer::start_with(|mut settings| {
        settings.redis_url = Some(url.clone());
        settings.redis_stream = stream_name.clone();
        settings.relay_lease_ms = 1000;
        settings
    });
    let product = create_product(&server, "OUT-1");
    wait_until("the first event in Redis", Duration::from_secs(10), || {
        !stream(&url, &stream_name).is_empty()
    });
    assert_eq!(server.get("/health", None).body["redis"], "connected");
    let before = server.get("/api/v1/events?limit=1000", Some(&admin())).body["next_after_seq"]
        .as_u64()
        .expect("seq");

    redis.stop();
    for n in 0..500 {
        let reply = restock(&server, &product, "MAD-001", 1);
        assert!(
            reply.status == 200 || reply.status == 201,
            "write {n} while Redis is down: {}",
            reply.text
        );
    }
    wait_until("/health to say degraded", Duration::from_secs(10), || {
        let health = server.get("/health", None);
        health.status == 200
            && health.body["status"] == "degraded"
            && health.body["redis"] == "disconnected"
    });

    // Restarted empty (this Redis keeps nothing on disk): the relay finds the stream at 0 and
    // publishes the whole outbox again, the 500 included.
    redis.restart();
    let expected: Vec<u64> = (1..=before + 500).collect();
    wait_until("the backlog to drain", Duration::from_secs(30), || {
        stream(&url, &stream_name).len() >= expected.len()
    });
    let seqs: Vec<u64> = stream(&url, &stream_name)
        .iter()
        .map(|(seq, _)| *seq)
        .collect();
    assert_eq!(
        seqs, expected,
        "every event, the 500 included, in order, once each"
    );
    wait_until("/health to recover", Duration::from_secs(10), || {
        server.get("/health", None).body["status"] == "healthy"
    });
    let metrics = server.get("/metrics", None).text;
    assert!(metrics.contains("outbox_backlog_events 0"), "{metrics}");
    assert!(
        !metrics.contains("outbox_publish_failures_total 0\n"),
        "failures were counted"
    );
}

#[test]
fn a_process_killed_right_after_publishing_leaves_no_duplicate_and_no_gap() {
    let url = shared_url();
    let stream_name = unique_stream("relay-killed");
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("killed.db");
    let env = [
        ("REDIS_URL", url.as_str()),
        ("INVENTORY_REDIS_STREAM", stream_name.as_str()),
        ("INVENTORY_RELAY_LEASE_MS", "500"),
    ];

    let mut crashing: Vec<(&str, &str)> = env.to_vec();
    crashing.push(("INVENTORY_FAULT_RELAY_CRASH", "true"));
    let (mut doomed, port) = serve(&db, &crashing);
    let agent = crate::support::agent();
    // The relay publishes this product's event and dies before marking it.
    let _ = agent
        .post(format!("http://127.0.0.1:{port}/api/v1/products"))
        .header("Authorization", format!("Bearer {}", admin()))
        .header("Content-Type", "application/json")
        .send(json!({"sku": "KILL-1", "name": "Killed", "price": "1.00"}).to_string());
    let exit = doomed.wait_for_exit(Duration::from_secs(15));
    assert_eq!(exit.code(), Some(70), "it died in the relay, after XADD");
    assert_eq!(
        stream(&url, &stream_name).len(),
        1,
        "the event reached Redis"
    );

    let (mut server, port) = serve(&db, &env);
    let base = format!("http://127.0.0.1:{port}");
    let product = inventory::Inventory::open(&db)
        .expect("open")
        .products()
        .get_by_sku(&inventory::Sku::parse("KILL-1").expect("sku"))
        .expect("the product survived")
        .id;
    for _ in 0..5 {
        let reply = agent
            .post(format!("{base}/api/v1/stock"))
            .header("Authorization", format!("Bearer {}", admin()))
            .header("Content-Type", "application/json")
            .send(json!({"product_id": product.to_string(), "store_id": "SEV-001", "quantity_change": 2, "reason": "RESTOCK"}).to_string())
            .expect("answer");
        assert!(reply.status().is_success());
    }
    wait_until("six events in the stream", Duration::from_secs(10), || {
        stream(&url, &stream_name).len() >= 6
    });
    let seqs: Vec<u64> = stream(&url, &stream_name)
        .iter()
        .map(|(seq, _)| *seq)
        .collect();
    assert_eq!(
        seqs,
        (1..=6).collect::<Vec<u64>>(),
        "no duplicate of the first, no gap"
    );
    assert!(server.terminate().success());
    // After the crash and the restart the stored data agrees with itself.
    let (clean, report, _) = crate::binary::run(
        crate::binary::inventory()
            .arg("check")
            .env("INVENTORY_DB", &db),
    );
    assert!(clean, "inventory check after the crash: {report}");
    cleanup(&url, &stream_name);
}

#[test]
fn two_server_processes_on_one_database_publish_each_event_once_in_order() {
    let url = shared_url();
    let stream_name = unique_stream("two-processes");
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("shared.db");
    let env = [
        ("REDIS_URL", url.as_str()),
        ("INVENTORY_REDIS_STREAM", stream_name.as_str()),
        ("INVENTORY_RELAY_LEASE_MS", "1000"),
        ("INVENTORY_SYNCHRONOUS", "NORMAL"),
    ];
    let (mut a, port_a) = serve(&db, &env);
    let (mut b, port_b) = serve(&db, &env);
    let agent = crate::support::agent();
    let post = |port: u16, path: &str, body: Value| {
        let mut reply = agent
            .post(format!("http://127.0.0.1:{port}{path}"))
            .header("Authorization", format!("Bearer {}", admin()))
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .expect("answer");
        assert!(
            reply.status().is_success(),
            "{}",
            reply.body_mut().read_to_string().unwrap_or_default()
        );
        serde_json::from_str::<Value>(&reply.body_mut().read_to_string().expect("body"))
            .expect("json")
    };
    let product = post(
        port_a,
        "/api/v1/products",
        json!({"sku": "TWO-1", "name": "Two", "price": "2.00"}),
    )["id"]
        .as_str()
        .expect("id")
        .to_owned();

    // A live client of B sees a change made through A.
    let live_on_b = SseClient::connect(
        &format!("http://127.0.0.1:{port_b}/api/v1/stream?product_id={product}"),
        None,
    );
    post(
        port_a,
        "/api/v1/stock",
        json!({"product_id": product, "store_id": "MAD-001", "quantity_change": 7, "reason": "RESTOCK"}),
    );
    let seen = live_on_b
        .next(Duration::from_secs(10))
        .expect("B's client sees A's change");
    assert_eq!(
        (
            seen.data["store_id"].as_str(),
            seen.data["quantity"].as_u64()
        ),
        (Some("MAD-001"), Some(7))
    );

    for n in 0..20 {
        let port = if n % 2 == 0 { port_a } else { port_b };
        post(
            port,
            "/api/v1/stock",
            json!({"product_id": product, "store_id": "BCN-001", "quantity_change": 1, "reason": "RESTOCK"}),
        );
    }
    let last = inventory::Inventory::open(&db)
        .expect("open")
        .events()
        .last_seq()
        .expect("last");
    wait_until("every event in the stream", Duration::from_secs(15), || {
        stream(&url, &stream_name).len() as u64 >= last
    });
    let entries = stream(&url, &stream_name);
    let seqs: Vec<u64> = entries.iter().map(|(seq, _)| *seq).collect();
    assert_once_in_order(&seqs);
    assert_eq!(seqs, (1..=last).collect::<Vec<u64>>());
    let events: BTreeSet<String> = entries
        .iter()
        .map(|(_, f)| f["event_id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(events.len() as u64, last, "distinct event ids");
    for process in [&mut a, &mut b] {
        assert!(process.terminate().success());
    }
    cleanup(&url, &stream_name);
}

/// One server-sent event.
#[derive(Debug)]
struct SseEvent {
    id: u64,
    data: Value,
}

/// A live-stream client reading on its own thread.
struct SseClient {
    events: mpsc::Receiver<SseEvent>,
}

impl SseClient {
    fn connect(url: &str, last_event_id: Option<u64>) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
        let mut request = agent.get(url);
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id.to_string());
        }
        let response = request.call().expect("the stream opens");
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("text/event-stream")
        );
        let (sender, events) = mpsc::channel();
        std::thread::spawn(move || {
            let reader = BufReader::new(response.into_body().into_reader());
            let (mut id, mut data) = (None, None);
            for line in reader.lines().map_while(Result::ok) {
                if let Some(value) = line.strip_prefix("id: ") {
                    id = value.parse().ok();
                } else if let Some(value) = line.strip_prefix("data: ") {
                    data = serde_json::from_str(value).ok();
                } else if line.is_empty()
                    && let (Some(id), Some(data)) = (id.take(), data.take())
                    && sender.send(SseEvent { id, data }).is_err()
                {
                    return;
                }
            }
        });
        Self { events }
    }

    fn next(&self, wait: Duration) -> Option<SseEvent> {
        self.events.recv_timeout(wait).ok()
    }
}

#[test]
fn a_live_client_sees_changes_as_they_commit_and_resumes_without_a_gap() {
    let server = TestServer::start();
    let product = create_product(&server, "LIVE-1");
    let url = server.url(&format!("/api/v1/stream?product_id={product}"));
    let client = SseClient::connect(&url, None);
    std::thread::sleep(Duration::from_millis(200));

    restock(&server, &product, "MAD-001", 4);
    let first = client
        .next(Duration::from_secs(5))
        .expect("the change arrives");
    assert_eq!(first.data["event_type"], "stock.created");
    assert_eq!(first.data["product_id"], product.as_str());
    assert_eq!(first.data["store_id"], "MAD-001");
    assert_eq!(
        (
            first.data["quantity"].as_u64(),
            first.data["reserved"].as_u64(),
            first.data["available"].as_u64()
        ),
        (Some(4), Some(0), Some(4))
    );
    assert_eq!(first.data["seq"].as_u64(), Some(first.id));

    // While this client is away: a reservation (whose customer must not leak), a product
    // that is not an availability change, and a restock of another product (filtered out).
    let reply = server.post(
        "/api/v1/reservations",
        Some(&crate::support::customer("cust-secret")),
        &json!({"product_id": product, "store_id": "MAD-001", "quantity": 1}),
    );
    assert_eq!(reply.status, 201);
    let other = create_product(&server, "LIVE-2");
    restock(&server, &other, "MAD-001", 9);
    restock(&server, &product, "BCN-001", 2);
    restock(&server, &product, "MAD-001", 1);
    drop(client);

    let resumed = SseClient::connect(&url, Some(first.id));
    let missed: Vec<SseEvent> = std::iter::from_fn(|| resumed.next(Duration::from_secs(2)))
        .take(3)
        .collect();
    let types: Vec<&str> = missed
        .iter()
        .filter_map(|e| e.data["event_type"].as_str())
        .collect();
    assert_eq!(
        types,
        ["reservation.created", "stock.created", "stock.updated"],
        "exactly the missed changes"
    );
    assert!(missed.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(missed[0].data["reserved"], 1);
    let text = missed
        .iter()
        .map(|e| e.data.to_string())
        .collect::<String>();
    assert!(
        !text.contains("cust-secret") && !text.contains("customer"),
        "no customer data: {text}"
    );
    assert!(
        resumed.next(Duration::from_millis(500)).is_none(),
        "nothing else was missed"
    );

    let from_the_future = SseClient::connect(&url, Some(1_000_000));
    restock(&server, &product, "SEV-001", 3);
    let now_live = from_the_future
        .next(Duration::from_secs(5))
        .expect("an id beyond the log starts at its end, not in silence");
    assert_eq!(now_live.data["store_id"], "SEV-001");
    let live = resumed
        .next(Duration::from_secs(5))
        .expect("and it is live again");
    assert_eq!(live.data["store_id"], "SEV-001");
    let metrics = server.get("/metrics", None).text;
    let open: Option<u64> = metrics
        .lines()
        .find_map(|line| line.strip_prefix("sse_clients "))
        .and_then(|value| value.parse().ok());
    // Two open; the first client's connection is noticed as gone only at its next keepalive.
    assert!(
        matches!(open, Some(2 | 3)),
        "open streams are counted: {open:?}"
    );
}

#[test]
fn events_tail_prints_the_stream_as_json_lines() {
    let url = shared_url();
    let stream_name = unique_stream("tail");
    let server = TestServer::start_with(|mut settings| {
        settings.redis_url = Some(url.clone());
        settings.redis_stream = stream_name.clone();
        settings
    });
    let product = create_product(&server, "TAIL-1");
    restock(&server, &product, "BCN-001", 3);
    wait_until("two entries", Duration::from_secs(10), || {
        stream(&url, &stream_name).len() >= 2
    });

    let mut tail = std::process::Command::new(env!("CARGO_BIN_EXE_inventory"))
        .args(["events", "tail", "--from-seq", "0"])
        .env("REDIS_URL", &url)
        .env("INVENTORY_REDIS_STREAM", &stream_name)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("tail starts");
    let stdout = tail.stdout.take().expect("stdout");
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                return;
            }
        }
    });
    let first: Value = serde_json::from_str(
        &received
            .recv_timeout(Duration::from_secs(10))
            .expect("a line"),
    )
    .expect("JSON");
    let second: Value = serde_json::from_str(
        &received
            .recv_timeout(Duration::from_secs(10))
            .expect("a line"),
    )
    .expect("JSON");
    let _ = tail.kill();
    let _ = tail.wait();
    assert_eq!(
        (first["seq"].as_u64(), first["event_type"].as_str()),
        (Some(1), Some("product.created"))
    );
    assert_eq!(
        (second["seq"].as_u64(), second["event_type"].as_str()),
        (Some(2), Some("stock.created"))
    );
    assert_eq!(second["payload"]["stock"]["quantity"], 3);
    assert_eq!(second["store_id"], "BCN-001");
    cleanup(&url, &stream_name);
}
