//! Carts over HTTP: an order of two lines from two stores is reserved all or nothing,
//! confirmed in part, and its lines read one by one; a line is never resolved alone.

use serde_json::json;

use crate::support::{TestServer, admin, create_product, customer, restock, stock_of, vendor};

#[test]
fn an_order_of_two_lines_from_two_stores_is_reserved_all_or_nothing() {
    let server = TestServer::start();
    let shirt = create_product(&server, "CART-SHIRT");
    let shoes = create_product(&server, "CART-SHOES");
    restock(&server, &shirt, "MAD-001", 5);
    restock(&server, &shoes, "BCN-001", 1);
    let ana = customer("ana");
    let order = json!({"lines": [
        {"product_id": shirt, "store_id": "MAD-001", "quantity": 2},
        {"product_id": shoes, "store_id": "BCN-001", "quantity": 2},
    ]});

    // Barcelona has one pair of shoes: nothing is reserved, and the answer says which line.
    let refused = server.post("/api/v1/carts", Some(&ana), &order);
    refused.assert_error(409, "INSUFFICIENT_STOCK");
    assert_eq!(
        refused.body["error"]["details"]["lines"],
        json!([{"product_id": shoes, "store_id": "BCN-001", "requested": 2, "available": 1}])
    );
    assert_eq!(stock_of(&server, &shirt, "MAD-001").1, 0, "no shirt held");

    restock(&server, &shoes, "BCN-001", 1);
    let placed = server.post("/api/v1/carts", Some(&ana), &order);
    assert_eq!(placed.status, 201, "{}", placed.text);
    let cart_id = placed.body["cart_id"].as_str().expect("an id").to_owned();
    assert_eq!(
        placed.headers.get("location").and_then(|v| v.to_str().ok()),
        Some(format!("/api/v1/carts/{cart_id}").as_str())
    );
    let lines = placed.body["lines"].as_array().expect("lines").clone();
    assert_eq!(lines.len(), 2);
    assert_eq!(stock_of(&server, &shirt, "MAD-001").1, 2);
    assert_eq!(stock_of(&server, &shoes, "BCN-001").1, 2);

    // Each line is a reservation of its own, readable by id, resolved only with its cart.
    let shoe_line = lines
        .iter()
        .find(|l| l["product_id"] == json!(shoes))
        .expect("the shoe line");
    let shoe_line_id = shoe_line["reservation_id"].as_str().expect("id");
    let read = server.get(&format!("/api/v1/reservations/{shoe_line_id}"), Some(&ana));
    assert_eq!(read.body["cart_id"], json!(cart_id), "{}", read.text);
    server
        .post_empty(
            &format!("/api/v1/reservations/{shoe_line_id}/cancel"),
            Some(&ana),
        )
        .assert_error(409, "RESERVATION_IN_CART");

    // Staff of one store may not touch a cart with a line in another; others' carts are
    // closed to customers.
    server
        .get(
            &format!("/api/v1/carts/{cart_id}"),
            Some(&vendor("MAD-001")),
        )
        .assert_error(403, "FORBIDDEN");
    server
        .get(&format!("/api/v1/carts/{cart_id}"), Some(&customer("eve")))
        .assert_error(403, "FORBIDDEN");

    // The customer keeps the shoes only: the shirts go back to Madrid.
    let confirmed = server.post(
        &format!("/api/v1/carts/{cart_id}/confirm-lines"),
        Some(&ana),
        &json!({"line_ids": [shoe_line_id]}),
    );
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    assert_eq!(confirmed.body["status"], "CONFIRMED");
    let levels = |product: &str, store: &str| {
        let (quantity, reserved, _version) = stock_of(&server, product, store);
        (quantity, reserved)
    };
    assert_eq!(levels(&shirt, "MAD-001"), (5, 0), "the shirts are back");
    assert_eq!(levels(&shoes, "BCN-001"), (0, 0), "the shoes are sold");
    server
        .post_empty(&format!("/api/v1/carts/{cart_id}/cancel"), Some(&ana))
        .assert_error(409, "CART_ALREADY_CONFIRMED");

    let events = server.get("/api/v1/events?limit=500", Some(&admin()));
    let types: Vec<&str> = events.body["data"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["event_type"].as_str())
        .filter(|t| t.starts_with("cart."))
        .collect();
    assert_eq!(types, ["cart.created", "cart.confirmed"]);
}

#[test]
fn cart_requests_are_checked_before_anything_is_held() {
    let server = TestServer::start();
    let shirt = create_product(&server, "CART-CHECKS");
    restock(&server, &shirt, "MAD-001", 5);
    let ana = customer("ana");
    let line = json!({"product_id": shirt, "store_id": "MAD-001", "quantity": 1});
    server
        .post("/api/v1/carts", Some(&ana), &json!({"lines": []}))
        .assert_error(400, "VALIDATION_FAILED");
    let too_many: Vec<_> = (0..51).map(|_| line.clone()).collect();
    server
        .post("/api/v1/carts", Some(&ana), &json!({"lines": too_many}))
        .assert_error(400, "VALIDATION_FAILED");
    server
        .post("/api/v1/carts", Some(&admin()), &json!({"lines": [line]}))
        .assert_error(422, "CUSTOMER_REQUIRED");
    server
        .post(
            "/api/v1/carts",
            Some(&vendor("BCN-001")),
            &json!({"lines": [line], "customer_id": "ana"}),
        )
        .assert_error(403, "FORBIDDEN");
    let placed = server.post("/api/v1/carts", Some(&ana), &json!({"lines": [line]}));
    assert_eq!(placed.status, 201, "{}", placed.text);
    let cart_id = placed.body["cart_id"].as_str().expect("id");
    server
        .post(
            &format!("/api/v1/carts/{cart_id}/confirm-lines"),
            Some(&ana),
            &json!({"line_ids": ["0190f000-0000-7000-8000-000000000000"]}),
        )
        .assert_error(422, "NOT_A_CART_LINE");
    server
        .post(
            &format!("/api/v1/carts/{cart_id}/confirm-lines"),
            Some(&ana),
            &json!({"line_ids": []}),
        )
        .assert_error(400, "VALIDATION_FAILED");
    server
        .get(
            "/api/v1/carts/0190f000-0000-7000-8000-000000000000",
            Some(&ana),
        )
        .assert_error(404, "CART_NOT_FOUND");
    assert_eq!(stock_of(&server, &shirt, "MAD-001").1, 1);
}
