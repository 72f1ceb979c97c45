//! Signed webhooks end to end: a receiver on loopback (allowed by the operator's setting)
//! that fails the first deliveries gets every event it asked for exactly once, in seq order,
//! with a valid Standard Webhooks signature, across a restart of the server on the same
//! database; the delivery log shows the failures; replay sends again; loopback and other
//! non-public or non-http URLs are refused without the setting; only admins manage webhooks.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use inventory_app::Settings;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::support::{TestServer, admin, create_product, restock, vendor};

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
    /// What the receiver answered.
    status: u16,
}

/// A tiny HTTP server on loopback answering 500 to its first `failures` requests, then 200.
struct Receiver {
    url: String,
    seen: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn start(failures: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/hooks/inventory", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        // Serves until the test process ends (a listener thread per test is cheap).
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let Some(mut received) = read_request(&mut stream) else {
                    continue;
                };
                let mut seen = log.lock().unwrap();
                received.status = if seen.len() < failures { 500 } else { 200 };
                let answer = format!(
                    "HTTP/1.1 {} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                    received.status
                );
                seen.push(received);
                drop(seen);
                let _ = stream.write_all(answer.as_bytes());
            }
        });
        Self { url, seen }
    }

    fn seen(&self) -> Vec<Received> {
        self.seen.lock().unwrap().clone()
    }

    /// The requests answered 200, in arrival order.
    fn delivered(&self) -> Vec<Received> {
        self.seen()
            .into_iter()
            .filter(|received| received.status == 200)
            .collect()
    }

    /// Waits (up to 30 s) until `count` requests were answered 200.
    fn wait_for_deliveries(&self, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.delivered().len() < count {
            assert!(
                Instant::now() < deadline,
                "only {} of {count} deliveries arrived: {:?}",
                self.delivered().len(),
                self.seen()
            );
            thread::sleep(Duration::from_millis(20));
        }
    }
}

fn read_request(stream: &mut std::net::TcpStream) -> Option<Received> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    if !line.starts_with("POST /hooks/inventory ") {
        return None;
    }
    let mut headers = std::collections::HashMap::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
    }
    let length: usize = headers.get("content-length")?.parse().ok()?;
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Received {
        id: headers.get("webhook-id")?.clone(),
        timestamp: headers.get("webhook-timestamp")?.clone(),
        signature: headers.get("webhook-signature")?.clone(),
        body: String::from_utf8(body).ok()?,
        status: 0,
    })
}

/// Checks a request's signature as a Standard Webhooks receiver does.
fn verify(secret: &str, received: &Received) {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
        .expect("base64 secret");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", received.id, received.timestamp, received.body).as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    assert_eq!(received.signature, expected, "signature of {}", received.id);
    let body: Value = serde_json::from_str(&received.body).expect("a JSON body");
    assert_eq!(
        body["event_id"],
        received.id.as_str(),
        "webhook-id is the event id"
    );
}

/// Quick retries and loopback allowed: the receiver lives on this machine.
fn for_webhooks(mut settings: Settings) -> Settings {
    settings.webhook_allow_private = true;
    settings.webhook_retry_base_ms = 20;
    settings.webhook_retry_cap_ms = 100;
    settings
}

/// The outbox's events (seq, id, type) of the wanted types, in seq order.
fn wanted_events(server: &TestServer, types: &[&str]) -> Vec<(u64, String)> {
    let events = server.get("/api/v1/events?after_seq=0&limit=1000", Some(&admin()));
    assert_eq!(events.status, 200, "{}", events.text);
    events.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|event| types.contains(&event["event_type"].as_str().unwrap()))
        .map(|event| {
            (
                event["seq"].as_u64().unwrap(),
                event["event_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_failing_receiver_gets_every_event_once_in_order_signed_across_a_restart() {
    let receiver = Receiver::start(3);
    let server = TestServer::start_with(for_webhooks);
    let types = ["product.created", "stock.created", "stock.updated"];
    let created = server.post(
        "/api/v1/webhooks",
        Some(&admin()),
        &json!({"url": receiver.url, "event_types": types}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let secret = created.body["secret"].as_str().unwrap().to_owned();
    let id = created.body["webhook_id"].as_str().unwrap().to_owned();
    assert!(created.headers.get("location").is_some());
    let shown = server.get(&format!("/api/v1/webhooks/{id}"), Some(&admin()));
    assert_eq!(shown.status, 200);
    assert!(
        shown.body.get("secret").is_none(),
        "the secret is shown once"
    );
    assert_eq!(shown.body["created_by"], "admin");

    // First batch: product.created, stock.created, stock.updated; a reservation is not wanted.
    let product = create_product(&server, "HOOK-E2E-1");
    restock(&server, &product, "MAD-001", 10);
    restock(&server, &product, "MAD-001", 5);
    let first = wanted_events(&server, &types);
    assert_eq!(first.len(), 3);
    receiver.wait_for_deliveries(first.len());

    // Second batch, then a restart on the same file before or while they are delivered.
    restock(&server, &product, "BCN-001", 7);
    let second_product = create_product(&server, "HOOK-E2E-2");
    let server = server.restart_with(for_webhooks);
    restock(&server, &second_product, "VAL-001", 3);
    let every = wanted_events(&server, &types);
    assert_eq!(every.len(), 6);
    receiver.wait_for_deliveries(every.len());

    let delivered = receiver.delivered();
    let delivered_ids: Vec<&str> = delivered.iter().map(|r| r.id.as_str()).collect();
    let expected_ids: Vec<&str> = every.iter().map(|(_, id)| id.as_str()).collect();
    assert_eq!(
        delivered_ids, expected_ids,
        "every event once, in seq order"
    );
    for received in receiver.seen() {
        verify(&secret, &received);
    }
    let failures = receiver.seen().iter().filter(|r| r.status == 500).count();
    assert_eq!(failures, 3);

    // The log shows the three failures, then the deliveries.
    let log = server.get(
        &format!("/api/v1/webhooks/{id}/deliveries?limit=100"),
        Some(&admin()),
    );
    assert_eq!(log.status, 200, "{}", log.text);
    let lines = log.body["data"].as_array().unwrap();
    let outcomes: Vec<(&str, u64)> = lines
        .iter()
        .rev()
        .map(|line| {
            (
                line["outcome"].as_str().unwrap(),
                line["status_code"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(outcomes.len(), 9);
    assert_eq!(
        &outcomes[..4],
        &[
            ("FAILED", 500),
            ("FAILED", 500),
            ("FAILED", 500),
            ("DELIVERED", 200)
        ]
    );
    let metrics = server.get("/metrics", None);
    assert!(
        metrics
            .text
            .contains("webhook_deliveries_total{outcome=\"DELIVERED\"}"),
        "{}",
        metrics.text
    );

    // Replay from the first seq sends them all again, in order.
    let replayed = server.post_empty(
        &format!("/api/v1/webhooks/{id}/replay?from_seq=1"),
        Some(&admin()),
    );
    assert_eq!(replayed.status, 200, "{}", replayed.text);
    assert_eq!(replayed.body["cursor"], 0);
    receiver.wait_for_deliveries(every.len() * 2);
    let again: Vec<String> = receiver.delivered()[every.len()..]
        .iter()
        .map(|r| r.id.clone())
        .collect();
    assert_eq!(again, expected_ids);

    let removed = server.delete(&format!("/api/v1/webhooks/{id}"), Some(&admin()));
    assert_eq!(removed.status, 204);
    server
        .get(&format!("/api/v1/webhooks/{id}"), Some(&admin()))
        .assert_error(404, "WEBHOOK_NOT_FOUND");
}

#[test]
fn non_public_and_non_http_urls_are_refused_and_only_admins_manage_webhooks() {
    let server = TestServer::start();
    let register = |url: &str| {
        server.post(
            "/api/v1/webhooks",
            Some(&admin()),
            &json!({"url": url, "event_types": ["stock.updated"]}),
        )
    };
    for url in [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://10.0.0.7/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://0.0.0.0/",
        "ftp://example.com/hook",
        "https://user:secret@example.com/hook",
    ] {
        register(url).assert_error(422, "WEBHOOK_URL_REFUSED");
    }
    register("not a url").assert_error(422, "WEBHOOK_URL_REFUSED");
    server
        .post(
            "/api/v1/webhooks",
            Some(&admin()),
            &json!({"url": "http://127.0.0.1/", "event_types": ["stock.sold"]}),
        )
        .assert_error(400, "VALIDATION_FAILED");
    server
        .post(
            "/api/v1/webhooks",
            Some(&admin()),
            &json!({"url": "http://127.0.0.1/", "event_types": []}),
        )
        .assert_error(400, "VALIDATION_FAILED");
    server
        .post(
            "/api/v1/webhooks",
            Some(&vendor("MAD-001")),
            &json!({"url": "https://example.com/", "event_types": ["stock.updated"]}),
        )
        .assert_error(403, "FORBIDDEN");
    server
        .get("/api/v1/webhooks", Some(&vendor("MAD-001")))
        .assert_error(403, "FORBIDDEN");
    server
        .get("/api/v1/webhooks", None)
        .assert_error(401, "UNAUTHORIZED");
    server
        .get("/api/v1/webhooks/not-a-uuid", Some(&admin()))
        .assert_error(400, "VALIDATION_FAILED");
    let listed = server.get("/api/v1/webhooks", Some(&admin()));
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body, json!([]), "nothing was registered");
}
