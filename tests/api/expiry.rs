//! Reservations that are not confirmed are released by the server when their time runs out.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{TestServer, admin, create_product, customer, restock, stock_of};

#[test]
fn a_short_reservation_is_really_waited_out_and_released() {
    let server = TestServer::start();
    let product = create_product(&server, "EXP-1");
    restock(&server, &product, "VAL-001", 5);
    let customer = customer("cust-exp");
    let reply = server.post(
        "/api/v1/reservations",
        Some(&customer),
        &json!({"product_id": product, "store_id": "VAL-001", "quantity": 2, "ttl": 1}),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    let id = reply.body["reservation_id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(stock_of(&server, &product, "VAL-001").1, 2);

    // The worker wakes at the deadline; allow it a generous margin on a loaded machine.
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        let read = server.get(&format!("/api/v1/reservations/{id}"), Some(&customer));
        let status = read.body["status"].as_str().unwrap_or_default().to_owned();
        if status != "PENDING" || Instant::now() > deadline {
            break status;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(status, "EXPIRED");
    assert_eq!(
        stock_of(&server, &product, "VAL-001"),
        (5, 0, 3),
        "units released, quantity kept"
    );

    let late = server.post_empty(
        &format!("/api/v1/reservations/{id}/confirm"),
        Some(&customer),
    );
    late.assert_error(409, "RESERVATION_EXPIRED");
    let events = server.get("/api/v1/events", Some(&admin()));
    let last = events.body["data"]
        .as_array()
        .and_then(|e| e.last())
        .expect("events")
        .clone();
    assert_eq!(last["event_type"], "reservation.expired");
    assert_eq!(last["payload"]["reservation"]["id"], id.as_str());
    let metrics = server.get("/metrics", None).text;
    assert!(
        metrics.contains("reservations_total{outcome=\"expired\"} 1"),
        "the expiry is counted:\n{metrics}"
    );
}

#[test]
fn a_customer_extends_its_reservation_within_its_maximum_hold() {
    let server = TestServer::start();
    let product = create_product(&server, "EXTEND-1");
    restock(&server, &product, "MAD-001", 5);
    let ana = customer("ana");
    let placed = server.post(
        "/api/v1/reservations",
        Some(&ana),
        &json!({"product_id": product, "store_id": "MAD-001", "quantity": 1, "ttl": 60}),
    );
    assert_eq!(placed.status, 201, "{}", placed.text);
    let id = placed.body["reservation_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let path = format!("/api/v1/reservations/{id}/extend");

    let extended = server.post(&path, Some(&ana), &json!({"ttl": 600}));
    assert_eq!(extended.status, 200, "{}", extended.text);
    assert!(extended.body["expires_in_seconds"].as_i64() > Some(590));
    assert!(extended.body["expires_at"].as_str() > placed.body["expires_at"].as_str());

    // A customer holds units at most 15 minutes from the reservation's creation.
    let too_long = server.post(&path, Some(&ana), &json!({"ttl": 900}));
    too_long.assert_error(422, "TTL_TOO_LONG");
    server
        .post(&path, Some(&ana), &json!({"ttl": 5}))
        .assert_error(409, "RESERVATION_NOT_EXTENDED");
    server
        .post(&path, Some(&customer("eve")), &json!({"ttl": 600}))
        .assert_error(403, "FORBIDDEN");
    // Staff at the counter may hold it longer.
    let by_staff = server.post(&path, Some(&admin()), &json!({"ttl": 3600}));
    assert_eq!(by_staff.status, 200, "{}", by_staff.text);
    assert_eq!(
        stock_of(&server, &product, "MAD-001").1,
        1,
        "still one unit held"
    );
}
