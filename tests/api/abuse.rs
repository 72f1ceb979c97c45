//! Limits against abuse: a customer cannot hoard stock; live streams cannot exhaust the
//! server.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{TestServer, admin, create_product, customer, restock};

#[test]
fn a_customer_holds_a_few_units_for_a_short_while_and_staff_are_not_limited() {
    let server = TestServer::start();
    let product = create_product(&server, "PROMO-1");
    restock(&server, &product, "MAD-001", 100);
    let hoarder = customer("hoarder");
    let reserve = |token: &str, body: serde_json::Value| {
        server.post("/api/v1/reservations", Some(token), &body)
    };
    let one = json!({"product_id": product, "store_id": "MAD-001", "quantity": 1});
    for _ in 0..3 {
        assert_eq!(reserve(&hoarder, one.clone()).status, 201);
    }
    let fourth = reserve(&hoarder, one.clone());
    fourth.assert_error(409, "HOLD_LIMIT_EXCEEDED");
    assert_eq!(fourth.body["error"]["details"]["scope"], "product");
    assert_eq!(fourth.body["error"]["details"]["allowed_reservations"], 3);

    let long = json!({"product_id": product, "store_id": "MAD-001", "quantity": 1, "ttl": 3600});
    let refused = reserve(&customer("patient"), long.clone());
    refused.assert_error(422, "TTL_TOO_LONG");
    assert_eq!(refused.body["error"]["details"]["allowed_ttl"], 900);

    // At the counter, staff reserve for the same customer, for longer.
    let mut for_hoarder = long;
    for_hoarder["customer_id"] = json!("hoarder");
    assert_eq!(reserve(&admin(), for_hoarder).status, 201);
}

/// A raw HTTP/1.1 request on its own connection: the status and head, and the connection
/// (kept open for a stream).
fn open(server: &TestServer, path: &str, token: Option<&str>) -> (u16, String, TcpStream) {
    open_with(server, path, token, "")
}

/// [`open`] with more header lines (each ending in `\r\n`).
fn open_with(
    server: &TestServer,
    path: &str,
    token: Option<&str>,
    headers: &str,
) -> (u16, String, TcpStream) {
    let address = server.base.trim_start_matches("http://").to_owned();
    let mut connection = TcpStream::connect(&address).expect("connect");
    connection
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let authorization = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    write!(
        connection,
        "GET {path} HTTP/1.1\r\nHost: test\r\n{authorization}{headers}\r\n"
    )
    .expect("send");
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        connection.read_exact(&mut byte).expect("a response");
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    (status, head, connection)
}

fn open_streams(server: &TestServer) -> u64 {
    let metrics = server.get("/metrics", None).text;
    metrics
        .lines()
        .find_map(|line| line.strip_prefix("sse_clients "))
        .and_then(|value| value.trim().parse().ok())
        .expect("sse_clients")
}

#[test]
fn live_streams_are_capped_per_client_and_in_all_and_places_come_back() {
    let server = TestServer::start_with(|mut settings| {
        settings.max_streams = 6;
        settings.max_streams_per_client = 3;
        settings
    });
    let mut held = Vec::new();
    for _ in 0..3 {
        let (status, head, connection) = open(&server, "/api/v1/stream", None);
        assert_eq!(status, 200, "{head}");
        held.push(connection);
    }
    let (status, head, _) = open(&server, "/api/v1/stream", None);
    assert_eq!(status, 429, "an anonymous address has its share: {head}");
    assert!(
        head.to_ascii_lowercase().contains("retry-after: 5"),
        "{head}"
    );
    assert!(head.contains("application/json"), "{head}");

    let alice = customer("alice");
    for _ in 0..3 {
        let (status, head, connection) = open(&server, "/api/v1/stream", Some(&alice));
        assert_eq!(status, 200, "a token is a client of its own: {head}");
        held.push(connection);
    }
    let (status, head, _) = open(&server, "/api/v1/stream", Some(&customer("bob")));
    assert_eq!(status, 503, "the instance is full: {head}");
    assert!(
        head.to_ascii_lowercase().contains("retry-after: 5"),
        "{head}"
    );

    // Ordinary requests are served meanwhile.
    for _ in 0..50 {
        assert_eq!(server.get("/api/v1/stores", None).status, 200);
    }
    assert_eq!(open_streams(&server), 6);

    // A client that goes gives its place back at once: a browser closing cleanly (it has read
    // what came, then closes its side) is noticed now, not at the next keep-alive (15 s).
    let mut leaving = held.pop().expect("a stream");
    read_until(&mut leaving, ": connected");
    leaving.shutdown(Shutdown::Write).expect("close our side");
    let deadline = Instant::now() + Duration::from_secs(3);
    while open_streams(&server) > 5 {
        assert!(Instant::now() < deadline, "the closed stream is noticed");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (status, head, _connection) = open(&server, "/api/v1/stream", Some(&customer("bob")));
    assert_eq!(status, 200, "{head}");
}

#[test]
fn behind_a_trusted_proxy_each_forwarded_address_is_a_client_of_its_own() {
    let server = TestServer::start_with(|mut settings| {
        settings.trust_forwarded_for = true;
        settings.max_streams_per_client = 2;
        settings
    });
    let from = |address: &str| {
        open_with(
            &server,
            "/api/v1/stream",
            None,
            &format!("X-Forwarded-For: {address}\r\n"),
        )
    };
    let mut held = Vec::new();
    for _ in 0..2 {
        let (status, head, connection) = from("203.0.113.7");
        assert_eq!(status, 200, "{head}");
        held.push(connection);
    }
    let (status, head, _) = from("203.0.113.7");
    assert_eq!(status, 429, "this address has its share: {head}");
    let (status, head, _other) = from("198.51.100.4");
    assert_eq!(
        status, 200,
        "another address behind the proxy is another client: {head}"
    );
}

/// Reads a stream's bytes until `wanted` shows up (or the connection is quiet for 10 s).
fn read_until(connection: &mut TcpStream, wanted: &str) -> String {
    let mut seen = String::new();
    let mut buffer = [0u8; 4096];
    while !seen.contains(wanted) {
        match connection.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(read) => seen.push_str(&String::from_utf8_lossy(&buffer[..read])),
        }
    }
    seen
}

#[test]
fn an_anonymous_client_replays_only_a_recent_window_and_a_token_replays_all() {
    let server = TestServer::start();
    let product = create_product(&server, "REPLAY-1");
    let mut config = inventory::SqliteConfig::file(&server.db);
    config.synchronous = inventory::Synchronous::Normal;
    let inventory = inventory::Inventory::builder(config).open().expect("open");
    for _ in 0..1005 {
        inventory
            .stock()
            .adjust(
                inventory::AdjustStock {
                    product_id: inventory::ProductId::parse(&product).expect("id"),
                    store_id: inventory::StoreId::parse("MAD-001").expect("code"),
                    delta: inventory::StockDelta::new(1).expect("delta"),
                    reason: inventory::AdjustmentReason::Restock,
                    user_id: None,
                    on_behalf_of: None,
                },
                &inventory::RequestContext::default(),
            )
            .expect("restock");
    }
    inventory.close();

    let (status, _, mut anonymous) = open(&server, "/api/v1/stream?after_seq=1", None);
    assert_eq!(status, 200);
    let seen = read_until(&mut anonymous, "event: reset");
    assert!(seen.contains("\"reason\":\"too_far_behind\""), "{seen}");
    // No replay from the start: the stream follows from the end of the log (product.created
    // and 1 005 restocks: seq 1 006).
    assert!(
        seen.contains("\"resumes_after_seq\":1006"),
        "it resumes from the end: {seen}"
    );

    let (status, _, mut staff) = open(&server, "/api/v1/stream?after_seq=1", Some(&admin()));
    assert_eq!(status, 200);
    let seen = read_until(&mut staff, "id: 2\n");
    assert!(
        seen.contains("id: 2\n"),
        "a token replays from anywhere: {seen}"
    );

    let (status, _, mut recent) = open(&server, "/api/v1/stream?after_seq=500", None);
    assert_eq!(status, 200);
    let seen = read_until(&mut recent, "id: 501\n");
    assert!(
        seen.contains("id: 501\n"),
        "a recent position replays: {seen}"
    );
}
