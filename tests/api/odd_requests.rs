//! Slow clients and odd requests: each is cut off or refused with our JSON error shape and a
//! request id, never left hanging or answered with an empty page.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{Reply, TestServer, admin, create_product, reply};

#[test]
fn a_known_path_asked_with_another_method_is_405_with_allow() {
    let server = TestServer::start();
    let product = "/api/v1/products/0190b6a0-0000-7000-8000-000000000000";
    let patch = server.send("PATCH", product, Some(&admin()), None);
    patch.assert_error(405, "METHOD_NOT_ALLOWED");
    assert_eq!(
        patch.headers.get("allow").and_then(|v| v.to_str().ok()),
        Some("DELETE, GET, PUT")
    );
    let post = server.send("POST", "/health", None, None);
    post.assert_error(405, "METHOD_NOT_ALLOWED");
    assert_eq!(
        post.body["error"]["details"]["allowed_methods"],
        serde_json::json!(["GET"])
    );
    server
        .send("PATCH", "/api/v1/nothing-here", None, None)
        .assert_error(404, "ROUTE_NOT_FOUND");
}

/// A server that gives clients 1 s, and a raw connection to it that waits 5 s for answers.
fn impatient_server() -> (TestServer, TcpStream) {
    let server = TestServer::start_with(|mut settings| {
        settings.client_timeout = 1;
        settings
    });
    let address = server.base.trim_start_matches("http://").to_owned();
    let connection = TcpStream::connect(&address).expect("connect");
    connection
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    (server, connection)
}

#[test]
fn a_body_that_arrives_too_slowly_is_answered_408_and_the_connection_closed() {
    let (_server, mut connection) = impatient_server();
    let started = Instant::now();
    write!(
        connection,
        "POST /api/v1/products HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{{\"sku\":",
        admin()
    )
    .expect("send");
    // The rest of the body never comes. The server must answer, then close.
    let mut answer = Vec::new();
    connection
        .read_to_end(&mut answer)
        .expect("the server answers and closes before the read times out");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"REQUEST_TIMEOUT\""), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("x-request-id:"),
        "{answer}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

fn get_with_header(server: &TestServer, path: &str, name: &str, value: &str) -> Reply {
    reply(
        server
            .agent()
            .get(server.url(path))
            .header(name, value)
            .call(),
    )
}

#[test]
fn an_oversized_uri_or_header_block_is_refused_with_our_error() {
    let server = TestServer::start();
    let long_query = format!("/api/v1/products?sku={}", "A".repeat(9 * 1024));
    server
        .get(&long_query, None)
        .assert_error(414, "URI_TOO_LONG");
    let big = "b".repeat(17 * 1024);
    get_with_header(&server, "/api/v1/stores", "X-Padding", &big)
        .assert_error(431, "HEADERS_TOO_LARGE");
    // Just under the limits, the same requests are served.
    let fine = get_with_header(&server, "/api/v1/stores", "X-Padding", &big[..8 * 1024]);
    assert_eq!(fine.status, 200, "{}", fine.text);
}

#[test]
fn a_cors_refusal_is_our_json_error_and_allowed_origins_can_read_errors() {
    let server = TestServer::start_with(|mut settings| {
        settings.cors_origins = vec!["https://shop.example".into()];
        settings
    });
    let preflight = |origin: &str| {
        reply(
            server
                .agent()
                .options(server.url("/api/v1/reservations"))
                .header("Origin", origin)
                .header("Access-Control-Request-Method", "POST")
                .call(),
        )
    };
    let refused = preflight("https://evil.example");
    refused.assert_error(400, "CORS_REFUSED");
    assert!(refused.headers.get("access-control-allow-origin").is_none());
    assert_eq!(preflight("https://shop.example").status, 200);

    // The shop's page can read why a request failed: our error keeps the CORS headers.
    let missing = reply(
        server
            .agent()
            .get(server.url("/api/v1/products/sku/NOPE-1"))
            .header("Origin", "https://shop.example")
            .call(),
    );
    missing.assert_error(404, "PRODUCT_NOT_FOUND");
    assert_eq!(
        missing
            .headers
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://shop.example")
    );
}

#[test]
fn whole_numbers_may_carry_a_zero_fraction_and_staff_must_name_the_customer() {
    let server = TestServer::start();
    let product = create_product(&server, "WHOLE-1");
    let change = |units: serde_json::Value| {
        server.post(
            "/api/v1/stock",
            Some(&admin()),
            &json!({"product_id": product, "store_id": "MAD-001", "quantity_change": units, "reason": "RESTOCK"}),
        )
    };
    let whole = change(json!(5.0));
    assert_eq!(whole.status, 201, "{}", whole.text);
    assert_eq!(whole.body["quantity"], 5);
    change(json!(1.5)).assert_error(400, "INVALID_BODY");

    let anonymous_hold = server.post(
        "/api/v1/reservations",
        Some(&admin()),
        &json!({"product_id": product, "store_id": "MAD-001", "quantity": 1}),
    );
    anonymous_hold.assert_error(422, "CUSTOMER_REQUIRED");
    assert_eq!(
        anonymous_hold.body["error"]["details"]["field"],
        "customer_id"
    );
}

#[test]
fn a_trickled_chunked_body_is_answered_408() {
    let (_server, mut connection) = impatient_server();
    write!(
        connection,
        "POST /api/v1/products HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{{\r\n",
        admin()
    )
    .expect("send");
    // The body never ends; the answer must come anyway, within the timeout and a little.
    let mut answer = String::new();
    let mut buffer = [0u8; 4096];
    while !answer.contains("REQUEST_TIMEOUT") {
        let read = connection
            .read(&mut buffer)
            .expect("the server answers before the read times out");
        assert!(read > 0, "closed without an answer: {answer}");
        answer.push_str(&String::from_utf8_lossy(&buffer[..read]));
    }
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}
