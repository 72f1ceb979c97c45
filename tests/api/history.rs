//! Running a chain over HTTP: the movement history (who moved what, why), low-stock
//! thresholds and alerts, and product search without case or accents.

use serde_json::json;

use crate::support::{TestServer, admin, create_product, customer, restock, vendor};

#[test]
fn the_history_says_who_moved_what_and_vendors_see_their_own_store() {
    let server = TestServer::start();
    let product = create_product(&server, "HISTORY-1");
    restock(&server, &product, "MAD-001", 10);
    restock(&server, &product, "BCN-001", 5);
    let madrid = vendor("MAD-001");
    let sale = server.post(
        "/api/v1/stock",
        Some(&madrid),
        &json!({"product_id": product, "store_id": "MAD-001", "quantity_change": -2,
                "reason": "SALE"}),
    );
    assert_eq!(sale.status, 200, "{}", sale.text);

    let mine = server.get(
        &format!("/api/v1/movements?product_id={product}"),
        Some(&madrid),
    );
    assert_eq!(mine.status, 200, "{}", mine.text);
    let moves = mine.body["data"].as_array().expect("data");
    assert_eq!(moves.len(), 2, "only Madrid's: {}", mine.text);
    assert_eq!(moves[0]["reason"], "SALE");
    assert_eq!(moves[0]["quantity_change"], -2);
    assert_eq!(moves[0]["quantity_after"], 8);
    assert_eq!(moves[0]["actor"], "vendor:vendor-MAD-001", "from the token");
    assert_eq!(moves[1]["actor"], "admin:admin");
    assert!(mine.body["next_cursor"].is_null());

    server
        .get("/api/v1/movements?store_id=BCN-001", Some(&madrid))
        .assert_error(403, "FORBIDDEN");
    server
        .get("/api/v1/movements", Some(&customer("ana")))
        .assert_error(403, "FORBIDDEN");
    server
        .get("/api/v1/movements?reason=STOLEN", Some(&admin()))
        .assert_error(400, "VALIDATION_FAILED");
    server
        .get("/api/v1/movements?from=yesterday", Some(&admin()))
        .assert_error(400, "VALIDATION_FAILED");
    server
        .get("/api/v1/movements?order=sideways", Some(&admin()))
        .assert_error(400, "VALIDATION_FAILED");

    // Oldest first, one at a time, by cursor: every movement of the product once.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = server.get(
            &format!("/api/v1/movements?product_id={product}&order=oldest&limit=1{cursor}"),
            Some(&admin()),
        );
        assert_eq!(page.status, 200, "{}", page.text);
        seen.extend(page.body["data"].as_array().expect("data").clone());
        match page.body["next_cursor"].as_i64() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    let reasons: Vec<&str> = seen
        .iter()
        .map(|m| m["reason"].as_str().expect("reason"))
        .collect();
    assert_eq!(reasons, ["RESTOCK", "RESTOCK", "SALE"]);
}

#[test]
fn a_threshold_raises_one_alert_per_crossing_and_lists_what_is_low() {
    let server = TestServer::start();
    let product = create_product(&server, "LOW-1");
    restock(&server, &product, "MAD-001", 10);
    let madrid = vendor("MAD-001");
    let set = server.put(
        &format!("/api/v1/stock/{product}/MAD-001/threshold"),
        Some(&madrid),
        &json!({"threshold": 5}),
    );
    assert_eq!(set.status, 200, "{}", set.text);
    assert_eq!(set.body["threshold"], 5);
    server
        .put(
            &format!("/api/v1/stock/{product}/BCN-001/threshold"),
            Some(&madrid),
            &json!({"threshold": 5}),
        )
        .assert_error(403, "FORBIDDEN");
    server
        .put(
            &format!("/api/v1/products/{product}/threshold"),
            Some(&madrid),
            &json!({"threshold": 5}),
        )
        .assert_error(403, "FORBIDDEN");
    server
        .put(
            &format!("/api/v1/stock/{product}/MAD-001/threshold"),
            Some(&madrid),
            &json!({"threshold": -1}),
        )
        .assert_error(400, "VALIDATION_FAILED");

    let before = crate::support::event_count(&server);
    for delta in [-5, 1, -1, 2, -3] {
        let reply = restock(&server, &product, "MAD-001", delta);
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    let low = server.get("/api/v1/stock/low", Some(&madrid));
    assert_eq!(low.status, 200, "{}", low.text);
    assert_eq!(low.body["total"], 1, "{}", low.text);
    assert_eq!(low.body["data"][0]["threshold"], 5);
    assert_eq!(low.body["data"][0]["stock"]["available"], 4);
    let events = server.get(
        &format!("/api/v1/events?after_seq={before}&limit=100"),
        Some(&admin()),
    );
    let types: Vec<&str> = events.body["data"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["event_type"].as_str())
        .filter(|t| t.starts_with("stock.low") || t.starts_with("stock.replenished"))
        .collect();
    // 10 -> 5 (low) -> 6 (replenished) -> 5 (low) -> 7 (replenished) -> 4 (low).
    assert_eq!(
        types,
        [
            "stock.low",
            "stock.replenished",
            "stock.low",
            "stock.replenished",
            "stock.low"
        ]
    );
    let removed = server.delete(
        &format!("/api/v1/stock/{product}/MAD-001/threshold"),
        Some(&madrid),
    );
    assert_eq!(removed.status, 204, "{}", removed.text);
    let low = server.get("/api/v1/stock/low", Some(&admin()));
    assert_eq!(low.body["total"], 0, "{}", low.text);
}

#[test]
fn products_are_searched_without_case_or_accents() {
    let server = TestServer::start();
    let created = server.post(
        "/api/v1/products",
        Some(&admin()),
        &json!({"sku": "TOY-TRUCK", "name": "Camión de juguete", "price": "12.50"}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    create_product(&server, "TOY-BALL");
    let found = server.get("/api/v1/products?q=camion", None);
    assert_eq!(found.status, 200, "{}", found.text);
    assert_eq!(found.body["total"], 1, "{}", found.text);
    assert_eq!(found.body["data"][0]["name"], "Camión de juguete");
    let by_sku = server.get("/api/v1/products?q=toy-", None);
    assert_eq!(by_sku.body["total"], 2, "{}", by_sku.text);
    let long = "x".repeat(101);
    server
        .get(&format!("/api/v1/products?q={long}"), None)
        .assert_error(400, "VALIDATION_FAILED");
}
