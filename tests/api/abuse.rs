//! Limits against abuse: a customer cannot hoard stock.

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
