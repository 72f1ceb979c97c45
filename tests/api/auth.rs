//! Who may do what: 401 without valid credentials, 403 outside one's rights.

use std::time::Duration;

use inventory_adapter_http::access::Claims;
use inventory_adapter_http::{Auth, Role};
use serde_json::json;

use crate::support::{
    SECRET, TestServer, admin, create_product, customer, restock, stock_of, token, vendor,
};

fn adjust_body(product: &str, store: &str) -> serde_json::Value {
    json!({"product_id": product, "store_id": store, "quantity_change": 1, "reason": "RESTOCK"})
}

#[test]
fn missing_malformed_expired_or_badly_signed_tokens_are_401() {
    let server = TestServer::start();
    let product = create_product(&server, "AUTH-1");
    let body = adjust_body(&product, "MAD-001");

    server
        .post("/api/v1/stock", None, &body)
        .assert_error(401, "UNAUTHORIZED");
    server
        .post("/api/v1/stock", Some("not-a-jwt"), &body)
        .assert_error(401, "INVALID_TOKEN");

    let forged = Auth::new("some-other-secret-0123456789-abcdef")
        .expect("secret")
        .issue("admin", Role::Admin, None, Duration::from_secs(60))
        .expect("token");
    server
        .post("/api/v1/stock", Some(&forged), &body)
        .assert_error(401, "INVALID_TOKEN");

    let expired = expired_admin_token();
    let reply = server.post("/api/v1/stock", Some(&expired), &body);
    reply.assert_error(401, "TOKEN_EXPIRED");
    assert_eq!(
        reply
            .headers
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    let raw = server.send(
        "POST",
        "/api/v1/stock",
        None,
        Some(("application/json", body.to_string())),
    );
    raw.assert_error(401, "UNAUTHORIZED");
    server
        .get(&format!("/api/v1/stock/{product}/MAD-001"), Some(&admin()))
        .assert_error(404, "STOCK_NOT_FOUND");

    // Every refused token gets the same words, never the library's.
    let messages: std::collections::BTreeSet<String> = [
        server.post("/api/v1/stock", Some("not-a-jwt"), &body),
        server.post("/api/v1/stock", Some(&forged), &body),
        server.post("/api/v1/stock", Some(&expired), &body),
        server.post("/api/v1/stock", Some(&vendor("ZZZ-999")), &body),
    ]
    .into_iter()
    .map(|reply| {
        assert_eq!(reply.status, 401, "{}", reply.text);
        reply.body["error"]["message"]
            .as_str()
            .expect("message")
            .to_owned()
    })
    .collect();
    assert_eq!(messages.len(), 1, "one message: {messages:?}");
}

#[test]
fn a_vendor_token_for_a_store_that_does_not_exist_is_refused() {
    let server = TestServer::start();
    server
        .get("/api/v1/events?limit=1", Some(&vendor("ZZZ-999")))
        .assert_error(401, "INVALID_TOKEN");
    let reply = server.get("/api/v1/events?limit=1", Some(&vendor("MAD-001")));
    assert_eq!(reply.status, 200, "{}", reply.text);
}

/// A token whose `exp` is an hour ago, signed with the right secret.
fn expired_admin_token() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs();
    let claims = Claims {
        sub: "admin".into(),
        role: Role::Admin,
        store_id: None,
        iat: now - 7200,
        exp: now - 3600,
        nbf: None,
    };
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()).expect("key"),
    )
    .expect("token")
}

#[test]
fn a_vendor_changes_only_its_own_stores_stock() {
    let server = TestServer::start();
    let product = create_product(&server, "AUTH-2");
    let barcelona = vendor("BCN-001");
    server
        .post(
            "/api/v1/stock",
            Some(&barcelona),
            &adjust_body(&product, "MAD-001"),
        )
        .assert_error(403, "FORBIDDEN");
    let path = format!("/api/v1/stock/{product}/MAD-001");
    server
        .put(
            &path,
            Some(&barcelona),
            &json!({"quantity": 5, "expected_version": 0}),
        )
        .assert_error(403, "FORBIDDEN");
    assert_eq!(
        server
            .get(
                &format!("/api/v1/products/{product}/availability?store_id=MAD-001"),
                None
            )
            .body["stores"][0]["quantity"],
        0
    );
    let own = server.post(
        "/api/v1/stock",
        Some(&barcelona),
        &adjust_body(&product, "BCN-001"),
    );
    assert_eq!(own.status, 201, "{}", own.text);
    server
        .post(
            "/api/v1/stock",
            Some(&customer("cust-1")),
            &adjust_body(&product, "BCN-001"),
        )
        .assert_error(403, "FORBIDDEN");

    // A vendor reads its own store's stock, not another's.
    let own_path = format!("/api/v1/stock/{product}/BCN-001");
    assert_eq!(server.get(&own_path, Some(&barcelona)).status, 200);
    restock(&server, &product, "MAD-001", 3);
    server
        .get(&path, Some(&barcelona))
        .assert_error(403, "FORBIDDEN");
    server
        .get("/api/v1/stores/MAD-001/stock", Some(&barcelona))
        .assert_error(403, "FORBIDDEN");
    assert_eq!(
        server
            .get("/api/v1/stores/BCN-001/stock", Some(&barcelona))
            .status,
        200
    );
}

#[test]
fn the_audit_trail_records_who_acted_and_only_an_admin_names_someone_else() {
    let server = TestServer::start();
    let product = create_product(&server, "AUDIT-1");
    let madrid = vendor("MAD-001");
    let mut body = adjust_body(&product, "MAD-001");
    body["user_id"] = json!("someone-else");
    server
        .post("/api/v1/stock", Some(&madrid), &body)
        .assert_error(403, "FORBIDDEN");
    let count = json!({"quantity": 5, "expected_version": 0, "user_id": "someone-else"});
    server
        .put(
            &format!("/api/v1/stock/{product}/MAD-001"),
            Some(&madrid),
            &count,
        )
        .assert_error(403, "FORBIDDEN");

    // The vendor's own change is recorded as the token's subject, whatever it is called.
    body["user_id"] = json!("vendor-MAD-001");
    assert_eq!(
        server.post("/api/v1/stock", Some(&madrid), &body).status,
        201
    );
    // An admin records a till's clerk on whose behalf the change was made, apart.
    let admin_token = token(Role::Admin, None, "ops-ana");
    body["user_id"] = json!("clerk-17");
    assert_eq!(
        server
            .post("/api/v1/stock", Some(&admin_token), &body)
            .status,
        200
    );
    let events = server.get("/api/v1/events?limit=100", Some(&admin()));
    let changes: Vec<(String, Option<String>)> = events.body["data"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| {
            e["event_type"]
                .as_str()
                .is_some_and(|t| t.starts_with("stock."))
        })
        .map(|e| {
            let change = &e["payload"]["change"];
            (
                change["user_id"].as_str().expect("user").to_owned(),
                change["on_behalf_of"].as_str().map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(
        changes,
        vec![
            ("vendor-MAD-001".to_owned(), None),
            ("ops-ana".to_owned(), Some("clerk-17".to_owned())),
        ]
    );
}

#[test]
fn customers_reserve_and_see_only_their_own() {
    let server = TestServer::start();
    let product = create_product(&server, "AUTH-3");
    restock(&server, &product, "MAD-001", 10);
    let alice = customer("alice");
    let bob = customer("bob");
    server
        .post(
            "/api/v1/reservations",
            Some(&alice),
            &json!({"product_id": product, "store_id": "MAD-001", "quantity": 1, "customer_id": "bob"}),
        )
        .assert_error(403, "FORBIDDEN");
    assert_eq!(
        stock_of(&server, &product, "MAD-001").1,
        0,
        "nothing was reserved"
    );

    let mine = server.post(
        "/api/v1/reservations",
        Some(&alice),
        &json!({"product_id": product, "store_id": "MAD-001", "quantity": 1, "customer_id": "alice"}),
    );
    assert_eq!(mine.status, 201, "{}", mine.text);
    let id = mine.body["reservation_id"].as_str().expect("id").to_owned();
    server
        .get(&format!("/api/v1/reservations/{id}"), Some(&bob))
        .assert_error(403, "FORBIDDEN");
    server
        .post_empty(&format!("/api/v1/reservations/{id}/cancel"), Some(&bob))
        .assert_error(403, "FORBIDDEN");
    server
        .get("/api/v1/reservations?customer_id=alice", Some(&bob))
        .assert_error(403, "FORBIDDEN");
    let bobs = server.get("/api/v1/reservations", Some(&bob));
    assert_eq!(bobs.body["total"], 0, "a customer's list is its own");
    let alices = server.get("/api/v1/reservations", Some(&alice));
    assert_eq!(alices.body["total"], 1);

    // Staff of the store may resolve it; staff of another store may not.
    server
        .post_empty(
            &format!("/api/v1/reservations/{id}/confirm"),
            Some(&vendor("BCN-001")),
        )
        .assert_error(403, "FORBIDDEN");
    let confirmed = server.post_empty(
        &format!("/api/v1/reservations/{id}/confirm"),
        Some(&vendor("MAD-001")),
    );
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
}

#[test]
fn writes_to_the_catalogue_and_the_event_log_need_the_right_role() {
    let server = TestServer::start();
    let body = json!({"sku": "X-1", "name": "X", "price": "1.00"});
    server
        .post("/api/v1/products", Some(&vendor("MAD-001")), &body)
        .assert_error(403, "FORBIDDEN");
    server
        .post(
            "/api/v1/stores",
            Some(&customer("c")),
            &json!({"id": "ZZZ-001", "name": "Z"}),
        )
        .assert_error(403, "FORBIDDEN");
    server
        .get("/api/v1/events", Some(&customer("c")))
        .assert_error(403, "FORBIDDEN");
    server
        .get("/api/v1/events", None)
        .assert_error(401, "UNAUTHORIZED");
    assert_eq!(
        server
            .get("/api/v1/events", Some(&vendor("VAL-001")))
            .status,
        200
    );
    assert_eq!(
        server.get("/api/v1/products", None).body["total"],
        0,
        "nothing was created"
    );
    let anyone = token(Role::Customer, None, "x");
    assert_eq!(
        server.get("/api/v1/stores", Some(&anyone)).status,
        200,
        "reads are public"
    );
    assert_eq!(
        server
            .post("/api/v1/products", Some(&admin()), &body)
            .status,
        201
    );
}

#[test]
fn a_vendor_replays_its_own_stores_events_and_the_catalogues_only() {
    let server = TestServer::start();
    let product = create_product(&server, "AUTH-4");
    restock(&server, &product, "MAD-001", 5);
    restock(&server, &product, "BCN-001", 5);
    let reply = server.post(
        "/api/v1/reservations",
        Some(&customer("cust-bcn")),
        &json!({"product_id": product, "store_id": "BCN-001", "quantity": 1}),
    );
    assert_eq!(reply.status, 201);

    let madrid = server.get("/api/v1/events?limit=100", Some(&vendor("MAD-001")));
    assert_eq!(madrid.status, 200);
    let seen: Vec<(&str, Option<&str>)> = madrid.body["data"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            (
                e["event_type"].as_str().unwrap_or_default(),
                e["store_id"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("product.created", None),
            ("stock.created", Some("MAD-001"))
        ]
    );
    assert!(
        !madrid.text.contains("cust-bcn"),
        "no other store's customers"
    );
    assert_eq!(
        madrid.body["next_after_seq"], 2,
        "the vendor continues after what it may read, not after the other store's activity"
    );
    let later = server.get(
        "/api/v1/events?after_seq=2&limit=100",
        Some(&vendor("MAD-001")),
    );
    assert_eq!(later.body["data"].as_array().map(Vec::len), Some(0));
    assert_eq!(later.body["next_after_seq"], 2, "nothing new for Madrid");
    let all = server.get("/api/v1/events?limit=100", Some(&admin()));
    assert_eq!(all.body["data"].as_array().map(Vec::len), Some(4));
}
