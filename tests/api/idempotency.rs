//! `Idempotency-Key` over HTTP: fifty clients sending the same keyed reservation at once get
//! one reservation and one answer, byte for byte; the key over another body is 422.

use std::sync::{Arc, Barrier};
use std::thread;

use serde_json::{Value, json};

use crate::support::{
    Reply, TestServer, admin, create_product, customer, reply, restock, stock_of,
};

fn post_keyed(server: &TestServer, path: &str, token: &str, key: &str, body: &Value) -> Reply {
    let request = ureq::http::Request::builder()
        .method("POST")
        .uri(server.url(path))
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .header("Idempotency-Key", key)
        .body(body.to_string())
        .expect("request");
    reply(server.agent().run(request))
}

fn replayed(reply: &Reply) -> bool {
    reply
        .headers
        .get("idempotent-replayed")
        .is_some_and(|value| value == "true")
}

#[test]
fn fifty_clients_sending_one_keyed_reservation_make_one_reservation() {
    let server = Arc::new(TestServer::start());
    let product = create_product(&server, "KEYED-1");
    restock(&server, &product, "BCN-001", 100);
    let start = Arc::new(Barrier::new(50));
    let token = customer("phone-on-a-train");
    let body = json!({"product_id": product, "store_id": "BCN-001", "quantity": 2});
    let clients: Vec<_> = (0..50)
        .map(|_| {
            let (server, start, token, body) =
                (server.clone(), start.clone(), token.clone(), body.clone());
            thread::spawn(move || {
                start.wait();
                post_keyed(
                    &server,
                    "/api/v1/reservations",
                    &token,
                    "order-2026-17",
                    &body,
                )
            })
        })
        .collect();
    let replies: Vec<Reply> = clients
        .into_iter()
        .map(|c| c.join().expect("client"))
        .collect();
    let first: Vec<&Reply> = replies.iter().filter(|r| !replayed(r)).collect();
    assert_eq!(first.len(), 1, "one request ran: {replies:?}");
    assert_eq!(first[0].status, 201, "{}", first[0].text);
    for repeat in replies.iter().filter(|r| replayed(r)) {
        assert_eq!(repeat.status, 201);
        assert_eq!(repeat.text, first[0].text, "a replay is byte-identical");
    }
    assert_eq!(
        stock_of(&server, &product, "BCN-001").1,
        2,
        "two units held once"
    );
    let listed = server.get("/api/v1/reservations", Some(&admin()));
    assert_eq!(listed.body["total"], 1, "{}", listed.text);

    // Later, the same key: the stored answer again, even though the reservation's seconds
    // left have moved on.
    let later = post_keyed(
        &server,
        "/api/v1/reservations",
        &token,
        "order-2026-17",
        &body,
    );
    assert!(replayed(&later));
    assert_eq!(later.text, first[0].text);

    // The same key over another body is refused and holds nothing.
    let other = json!({"product_id": product, "store_id": "BCN-001", "quantity": 3});
    let reused = post_keyed(
        &server,
        "/api/v1/reservations",
        &token,
        "order-2026-17",
        &other,
    );
    reused.assert_error(422, "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(stock_of(&server, &product, "BCN-001").1, 2);

    // Another caller's key of the same name is its own.
    let stranger = post_keyed(
        &server,
        "/api/v1/reservations",
        &customer("someone-else"),
        "order-2026-17",
        &body,
    );
    assert_eq!(stranger.status, 201, "{}", stranger.text);
    assert!(!replayed(&stranger));
}

#[test]
fn keyed_stock_changes_apply_once_and_bad_keys_are_refused() {
    let server = TestServer::start();
    let product = create_product(&server, "KEYED-2");
    let body = json!({"product_id": product, "store_id": "MAD-001", "quantity_change": 5, "reason": "RESTOCK"});
    let first = post_keyed(&server, "/api/v1/stock", &admin(), "delivery-88", &body);
    assert_eq!(first.status, 201, "{}", first.text);
    let again = post_keyed(&server, "/api/v1/stock", &admin(), "delivery-88", &body);
    assert!(replayed(&again));
    assert_eq!(
        (again.status, again.text.as_str()),
        (201, first.text.as_str())
    );
    assert_eq!(stock_of(&server, &product, "MAD-001").0, 5, "applied once");

    for bad in ["", "has space", &"k".repeat(256)] {
        let refused = post_keyed(&server, "/api/v1/stock", &admin(), bad, &body);
        refused.assert_error(400, "VALIDATION_FAILED");
        assert_eq!(refused.body["error"]["details"]["field"], "Idempotency-Key");
    }
    let twice = ureq::http::Request::builder()
        .method("POST")
        .uri(server.url("/api/v1/stock"))
        .header("Authorization", format!("Bearer {}", admin()))
        .header("Content-Type", "application/json")
        .header("Idempotency-Key", "delivery-89")
        .header("Idempotency-Key", "delivery-90")
        .body(body.to_string())
        .expect("request");
    reply(server.agent().run(twice)).assert_error(400, "VALIDATION_FAILED");
    // The same key on another route is another request: refused, nothing reserved.
    let reservation =
        json!({"product_id": product, "store_id": "MAD-001", "quantity": 1, "customer_id": "c-1"});
    post_keyed(
        &server,
        "/api/v1/reservations",
        &admin(),
        "delivery-88",
        &reservation,
    )
    .assert_error(422, "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(stock_of(&server, &product, "MAD-001").1, 0);
    assert_eq!(stock_of(&server, &product, "MAD-001").0, 5);
}
