//! The design document's three flows, end to end over HTTP, every documented field checked.

use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use inventory_adapter_http::Role;

use crate::support::{TestServer, admin, create_product, customer, restock, token, vendor};

fn timestamp(value: &serde_json::Value) -> OffsetDateTime {
    OffsetDateTime::parse(value.as_str().expect("a timestamp string"), &Rfc3339).expect("RFC 3339")
}

/// Stocks the four stores as in the document's example: MAD 10, BCN 15 (2 reserved),
/// VAL 5 (1 reserved), SEV 20 (3 reserved).
fn stock_like_the_document(server: &TestServer, product: &str) {
    for (store, units, reserved) in [
        ("MAD-001", 10, 0),
        ("BCN-001", 15, 2),
        ("VAL-001", 5, 1),
        ("SEV-001", 20, 3),
    ] {
        assert_eq!(restock(server, product, store, units).status, 201);
        if reserved > 0 {
            let reply = server.post(
                "/api/v1/reservations",
                Some(&customer("cust-1")),
                &json!({"product_id": product, "store_id": store, "quantity": reserved, "customer_id": "cust-1"}),
            );
            assert_eq!(reply.status, 201, "{}", reply.text);
        }
    }
}

#[test]
fn flow_1_a_customer_checks_availability_in_every_store_without_a_token() {
    let server = TestServer::start();
    let product = create_product(&server, "HP-PAV-15");
    stock_like_the_document(&server, &product);

    let reply = server.get(&format!("/api/v1/products/{product}/availability"), None);
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.body,
        json!({
            "product_id": product,
            "product_name": "Product HP-PAV-15",
            "total_available": 10 + 13 + 4 + 17,
            "stores": [
                {"store_id": "BCN-001", "store_name": "Barcelona Plaza Catalunya", "quantity": 15, "reserved": 2, "available": 13, "in_transit": 0},
                {"store_id": "MAD-001", "store_name": "Madrid Centro", "quantity": 10, "reserved": 0, "available": 10, "in_transit": 0},
                {"store_id": "SEV-001", "store_name": "Sevilla Centro", "quantity": 20, "reserved": 3, "available": 17, "in_transit": 0},
                {"store_id": "VAL-001", "store_name": "Valencia Norte", "quantity": 5, "reserved": 1, "available": 4, "in_transit": 0},
            ]
        })
    );

    let one = server.get(
        &format!("/api/v1/products/{product}/availability?store_id=val-001"),
        None,
    );
    assert_eq!(one.status, 200, "{}", one.text);
    assert_eq!(one.body["total_available"], 4);
    assert_eq!(one.body["stores"].as_array().map(Vec::len), Some(1));
    assert_eq!(one.body["stores"][0]["store_id"], "VAL-001");
}

#[test]
fn flow_2_a_vendor_records_a_delivery_and_the_event_is_in_the_log() {
    let server = TestServer::start();
    let product = create_product(&server, "SONY-WH");
    // The design document's vendor, whose token names the user the body does.
    let vendor = token(Role::Vendor, Some("MAD-001"), "vendor-789");
    let body = json!({
        "product_id": product,
        "store_id": "MAD-001",
        "quantity_change": 20,
        "reason": "RESTOCK",
        "user_id": "vendor-789"
    });

    let first = server.post("/api/v1/stock", Some(&vendor), &body);
    assert_eq!(
        first.status, 201,
        "the first delivery creates the stock record: {}",
        first.text
    );
    assert_eq!(first.body["version"], 1);

    let second = server.post("/api/v1/stock", Some(&vendor), &body);
    assert_eq!(second.status, 200, "{}", second.text);
    let stock = &second.body;
    assert_eq!(stock["product_id"], product.as_str());
    assert_eq!(stock["store_id"], "MAD-001");
    assert_eq!(stock["quantity"], 40);
    assert_eq!(stock["reserved"], 0);
    assert_eq!(stock["available"], 40);
    assert_eq!(stock["version"], 2);
    assert!(timestamp(&stock["updated_at"]) <= OffsetDateTime::now_utc());
    assert_eq!(
        second.headers.get("etag").and_then(|v| v.to_str().ok()),
        Some("\"2\"")
    );

    let events = server.get("/api/v1/events?after_seq=0&limit=100", Some(&vendor));
    assert_eq!(events.status, 200, "{}", events.text);
    let last = events.body["data"]
        .as_array()
        .and_then(|e| e.last())
        .expect("an event")
        .clone();
    assert_eq!(last["event_type"], "stock.updated");
    assert_eq!(last["aggregate_type"], "stock");
    assert_eq!(last["aggregate_id"], format!("{product}:MAD-001"));
    assert_eq!(last["store_id"], "MAD-001");
    assert_eq!(last["product_id"], product.as_str());
    assert_eq!(last["payload"]["stock"]["quantity"], 40);
    assert_eq!(last["payload"]["change"]["kind"], "adjustment");
    assert_eq!(last["payload"]["change"]["quantity_change"], 20);
    assert_eq!(last["payload"]["change"]["reason"], "RESTOCK");
    assert_eq!(last["payload"]["change"]["user_id"], "vendor-789");
    let request_id = second
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok());
    assert_eq!(
        last["request_id"].as_str(),
        request_id,
        "the event carries the request's id"
    );
    assert_eq!(events.body["next_after_seq"], last["seq"]);
}

#[test]
fn flow_3_a_customer_reserves_to_collect_in_store_and_confirms() {
    let server = TestServer::start();
    let product = create_product(&server, "IPH-15");
    restock(&server, &product, "BCN-001", 15);
    let customer = customer("cust-456");
    let before = OffsetDateTime::now_utc();

    let reply = server.post(
        "/api/v1/reservations",
        Some(&customer),
        &json!({"product_id": product, "store_id": "BCN-001", "quantity": 1, "customer_id": "cust-456", "ttl": 600}),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    let reservation = &reply.body;
    let id = reservation["reservation_id"]
        .as_str()
        .expect("reservation_id")
        .to_owned();
    assert_eq!(reservation["status"], "PENDING");
    let expires_at = timestamp(&reservation["expires_at"]);
    let created_at = timestamp(&reservation["created_at"]);
    assert_eq!(expires_at - created_at, time::Duration::seconds(600));
    assert!(created_at >= before - time::Duration::seconds(1));
    assert_eq!(reservation["expires_in_seconds"], 600);
    assert_eq!(reservation["product_id"], product.as_str());
    assert_eq!(reservation["store_id"], "BCN-001");
    assert_eq!(reservation["customer_id"], "cust-456");
    assert_eq!(reservation["quantity"], 1);
    assert_eq!(
        reply.headers.get("location").and_then(|v| v.to_str().ok()),
        Some(format!("/api/v1/reservations/{id}").as_str())
    );

    let availability = server.get(
        &format!("/api/v1/products/{product}/availability?store_id=BCN-001"),
        None,
    );
    assert_eq!(availability.body["stores"][0]["reserved"], 1);
    assert_eq!(availability.body["stores"][0]["available"], 14);

    let read = server.get(&format!("/api/v1/reservations/{id}"), Some(&customer));
    assert_eq!(read.status, 200);
    assert_eq!(read.body["status"], "PENDING");

    let confirmed = server.post_empty(
        &format!("/api/v1/reservations/{id}/confirm"),
        Some(&customer),
    );
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    assert_eq!(confirmed.body["status"], "CONFIRMED");
    assert_eq!(confirmed.body["expires_in_seconds"], 0);
    let availability = server.get(
        &format!("/api/v1/products/{product}/availability?store_id=BCN-001"),
        None,
    );
    assert_eq!(
        availability.body["stores"][0]["quantity"], 14,
        "the unit left the store"
    );
    assert_eq!(availability.body["stores"][0]["reserved"], 0);

    let again = server.post_empty(
        &format!("/api/v1/reservations/{id}/cancel"),
        Some(&customer),
    );
    again.assert_error(409, "RESERVATION_ALREADY_CONFIRMED");

    let events = server.get("/api/v1/events", Some(&admin()));
    let types: Vec<&str> = events.body["data"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["event_type"].as_str())
        .collect();
    assert_eq!(
        types,
        [
            "product.created",
            "stock.created",
            "reservation.created",
            "reservation.confirmed"
        ]
    );
}

#[test]
fn a_cancelled_reservation_gives_its_units_back() {
    let server = TestServer::start();
    let product = create_product(&server, "KINDLE");
    restock(&server, &product, "MAD-001", 3);
    let customer = customer("cust-9");
    let reply = server.post(
        "/api/v1/reservations",
        Some(&customer),
        &json!({"product_id": product, "store_id": "MAD-001", "quantity": 3}),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(
        reply.body["customer_id"], "cust-9",
        "a customer reserves for itself by default"
    );
    let id = reply.body["reservation_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let sold_out = server.post(
        "/api/v1/reservations",
        Some(&customer),
        &json!({"product_id": product, "store_id": "MAD-001", "quantity": 1}),
    );
    sold_out.assert_error(409, "INSUFFICIENT_STOCK");
    assert_eq!(
        sold_out.body["error"]["details"],
        json!({"available": 0, "requested": 1})
    );

    let cancelled = server.post_empty(
        &format!("/api/v1/reservations/{id}/cancel"),
        Some(&customer),
    );
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    assert_eq!(cancelled.body["status"], "CANCELLED");
    let availability = server.get(
        &format!("/api/v1/products/{product}/availability?store_id=MAD-001"),
        None,
    );
    assert_eq!(availability.body["stores"][0]["available"], 3);
}

#[test]
fn products_and_stores_are_managed_by_admins_and_read_by_anyone() {
    let server = TestServer::start();
    let admin = admin();
    let created = server.post(
        "/api/v1/products",
        Some(&admin),
        &json!({"sku": "sam-tv-55", "name": "Samsung TV 55", "description": "QLED", "category": "tv", "price": 749.5}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["sku"], "SAM-TV-55");
    assert_eq!(
        created.body["price"], "749.50",
        "a JSON number is kept exactly"
    );
    let id = created.body["id"].as_str().expect("id").to_owned();

    assert_eq!(
        server.get(&format!("/api/v1/products/{id}"), None).body["name"],
        "Samsung TV 55"
    );
    assert_eq!(
        server.get("/api/v1/products/sku/sam-tv-55", None).body["id"],
        id.as_str()
    );
    let updated = server.put(
        &format!("/api/v1/products/{id}"),
        Some(&admin),
        &json!({"sku": "SAM-TV-55", "name": "Samsung TV 55\" QLED", "category": "tv", "price": "699.00"}),
    );
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(updated.body["price"], "699.00");

    create_product(&server, "OTHER-1");
    let page = server.get("/api/v1/products?category=tv&limit=10", None);
    assert_eq!(page.body["total"], 1);
    assert_eq!(page.body["limit"], 10);
    assert_eq!(page.body["offset"], 0);
    assert_eq!(page.body["data"][0]["id"], id.as_str());
    let all = server.get("/api/v1/products?limit=1&offset=1", None);
    assert_eq!(
        (
            all.body["total"].as_u64(),
            all.body["data"].as_array().map(Vec::len)
        ),
        (Some(2), Some(1))
    );

    let store = server.post(
        "/api/v1/stores",
        Some(&admin),
        &json!({"id": "bil-001", "name": "Bilbao Centro", "city": "Bilbao", "country": "España", "email": "bil@tiendas.example"}),
    );
    assert_eq!(store.status, 201, "{}", store.text);
    assert_eq!(store.body["id"], "BIL-001");
    assert_eq!(store.body["active"], true);
    let closed = server.put(
        "/api/v1/stores/BIL-001",
        Some(&admin),
        &json!({"name": "Bilbao Centro", "active": false}),
    );
    assert_eq!(closed.body["active"], false);
    let renamed = server.put(
        "/api/v1/stores/BIL-001",
        Some(&admin),
        &json!({"name": "Bilbao Casco Viejo"}),
    );
    assert_eq!(
        renamed.body["active"], false,
        "an update without `active` keeps the store closed"
    );
    assert_eq!(server.get("/api/v1/stores", None).body["total"], 5);
    assert_eq!(
        server.get("/api/v1/stores/BIL-001", None).body["name"],
        "Bilbao Casco Viejo"
    );

    let deleted = server.delete(&format!("/api/v1/products/{id}"), Some(&admin));
    assert_eq!(deleted.status, 204);
    server
        .get(&format!("/api/v1/products/{id}"), None)
        .assert_error(404, "PRODUCT_NOT_FOUND");
}

#[test]
fn a_physical_count_needs_the_current_version() {
    let server = TestServer::start();
    let product = create_product(&server, "COUNT-1");
    restock(&server, &product, "SEV-001", 8);
    let vendor = vendor("SEV-001");
    let path = format!("/api/v1/stock/{product}/SEV-001");

    let stale = server.put(
        &path,
        Some(&vendor),
        &json!({"quantity": 7, "expected_version": 0}),
    );
    stale.assert_error(409, "VERSION_CONFLICT");
    assert_eq!(
        stale.body["error"]["details"],
        json!({"expected_version": 0, "current_version": 1})
    );

    let missing = server.put(&path, Some(&vendor), &json!({"quantity": 7}));
    missing.assert_error(428, "PRECONDITION_REQUIRED");

    let with_if_match = server
        .agent()
        .put(server.url(&path))
        .header("Authorization", format!("Bearer {vendor}"))
        .header("Content-Type", "application/json")
        .header("If-Match", "\"1\"")
        .send(json!({"quantity": 7}).to_string())
        .expect("answer");
    assert_eq!(with_if_match.status().as_u16(), 200);
    let stock = server.get(&path, Some(&vendor));
    assert_eq!(
        (
            stock.body["quantity"].as_u64(),
            stock.body["version"].as_u64()
        ),
        (Some(7), Some(2))
    );
}
