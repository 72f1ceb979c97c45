//! Transfers over HTTP: a store sends units to another at once or shipped; availability shows
//! them in transit until the destination receives them; vendors send from and receive into
//! their own store only.

use serde_json::json;

use crate::support::{TestServer, admin, create_product, customer, restock, stock_of, vendor};

fn availability(server: &TestServer, product: &str, store: &str) -> serde_json::Value {
    let reply = server.get(
        &format!("/api/v1/products/{product}/availability?store_id={store}"),
        None,
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["stores"][0].clone()
}

#[test]
fn a_shipped_transfer_refills_a_store_once_received() {
    let server = TestServer::start();
    let shoes = create_product(&server, "TRANSFER-SHOES");
    restock(&server, &shoes, "BCN-001", 10);
    let barcelona = vendor("BCN-001");
    let madrid = vendor("MAD-001");
    let body = json!({"product_id": shoes, "from_store_id": "BCN-001", "to_store_id": "MAD-001",
                      "quantity": 4, "mode": "SHIPPED"});

    // Only Barcelona's staff (or an admin) may send from Barcelona.
    server
        .post("/api/v1/transfers", Some(&madrid), &body)
        .assert_error(403, "FORBIDDEN");
    server
        .post("/api/v1/transfers", Some(&customer("ana")), &body)
        .assert_error(403, "FORBIDDEN");

    let shipped = server.post("/api/v1/transfers", Some(&barcelona), &body);
    assert_eq!(shipped.status, 201, "{}", shipped.text);
    assert_eq!(shipped.body["status"], "IN_TRANSIT");
    assert_eq!(shipped.body["created_by"], "vendor-BCN-001");
    let id = shipped.body["transfer_id"]
        .as_str()
        .expect("an id")
        .to_owned();
    assert_eq!(stock_of(&server, &shoes, "BCN-001").0, 6, "the units left");
    let in_madrid = availability(&server, &shoes, "MAD-001");
    assert_eq!(
        (
            in_madrid["quantity"].as_u64(),
            in_madrid["in_transit"].as_u64()
        ),
        (Some(0), Some(4))
    );

    // Barcelona may not receive for Madrid; Madrid may not call Barcelona's transfer back.
    server
        .post_empty(&format!("/api/v1/transfers/{id}/receive"), Some(&barcelona))
        .assert_error(403, "FORBIDDEN");
    server
        .post_empty(&format!("/api/v1/transfers/{id}/cancel"), Some(&madrid))
        .assert_error(403, "FORBIDDEN");

    let received = server.post_empty(&format!("/api/v1/transfers/{id}/receive"), Some(&madrid));
    assert_eq!(received.status, 200, "{}", received.text);
    assert_eq!(received.body["status"], "RECEIVED");
    let in_madrid = availability(&server, &shoes, "MAD-001");
    assert_eq!(
        (
            in_madrid["quantity"].as_u64(),
            in_madrid["in_transit"].as_u64()
        ),
        (Some(4), Some(0))
    );
    server
        .post_empty(&format!("/api/v1/transfers/{id}/receive"), Some(&madrid))
        .assert_error(409, "TRANSFER_ALREADY_RECEIVED");

    // Both stores' staff see it; the list is per store for vendors.
    for token in [&barcelona, &madrid] {
        let seen = server.get(&format!("/api/v1/transfers/{id}"), Some(token));
        assert_eq!(seen.status, 200, "{}", seen.text);
    }
    server
        .get(&format!("/api/v1/transfers/{id}"), Some(&vendor("SEV-001")))
        .assert_error(403, "FORBIDDEN");
    let listed = server.get("/api/v1/transfers?status=RECEIVED", Some(&madrid));
    assert_eq!(listed.body["total"], 1, "{}", listed.text);
    server
        .get("/api/v1/transfers?store_id=BCN-001", Some(&madrid))
        .assert_error(403, "FORBIDDEN");
}

#[test]
fn an_immediate_transfer_moves_only_units_nobody_holds() {
    let server = TestServer::start();
    let laptop = create_product(&server, "TRANSFER-LAPTOP");
    restock(&server, &laptop, "MAD-001", 5);
    let held = server.post(
        "/api/v1/reservations",
        Some(&customer("ana")),
        &json!({"product_id": laptop, "store_id": "MAD-001", "quantity": 3}),
    );
    assert_eq!(held.status, 201, "{}", held.text);
    let body = |units: i64| {
        json!({"product_id": laptop, "from_store_id": "MAD-001", "to_store_id": "VAL-001",
               "quantity": units})
    };
    let refused = server.post("/api/v1/transfers", Some(&admin()), &body(3));
    refused.assert_error(409, "INSUFFICIENT_STOCK");
    assert_eq!(refused.body["error"]["details"]["available"], 2);
    let moved = server.post("/api/v1/transfers", Some(&admin()), &body(2));
    assert_eq!(moved.status, 201, "{}", moved.text);
    assert_eq!(
        (moved.body["mode"].as_str(), moved.body["status"].as_str()),
        (Some("IMMEDIATE"), Some("RECEIVED"))
    );
    let (quantity, reserved, _) = stock_of(&server, &laptop, "MAD-001");
    assert_eq!((quantity, reserved), (3, 3), "never below what is reserved");
    assert_eq!(stock_of(&server, &laptop, "VAL-001").0, 2);
    server
        .post(
            "/api/v1/transfers",
            Some(&admin()),
            &json!({"product_id": laptop, "from_store_id": "MAD-001", "to_store_id": "MAD-001", "quantity": 1}),
        )
        .assert_error(422, "TRANSFER_SAME_STORE");
    server
        .post(
            "/api/v1/transfers",
            Some(&admin()),
            &json!({"product_id": laptop, "from_store_id": "MAD-001", "to_store_id": "VAL-001", "quantity": 1, "mode": "shipped"}),
        )
        .assert_error(400, "VALIDATION_FAILED");
}
