//! Bad input gets a clear error with a stable code, never a 500, and changes nothing.

use serde_json::json;

use crate::support::{TestServer, admin, create_product, customer, event_count, restock, stock_of};

struct Fixture {
    server: TestServer,
    product: String,
}

fn fixture() -> Fixture {
    let server = TestServer::start();
    let product = create_product(&server, "BAD-1");
    assert_eq!(restock(&server, &product, "MAD-001", 10).status, 201);
    Fixture { server, product }
}

impl Fixture {
    /// Runs `request` and checks it was refused with `status` and `code` and left the
    /// database as it was.
    fn refused(
        &self,
        status: u16,
        code: &str,
        request: impl FnOnce(&TestServer) -> crate::support::Reply,
    ) {
        let events = event_count(&self.server);
        let stock = stock_of(&self.server, &self.product, "MAD-001");
        let reply = request(&self.server);
        reply.assert_error(status, code);
        assert_eq!(
            event_count(&self.server),
            events,
            "no event was written for {code}"
        );
        assert_eq!(
            stock_of(&self.server, &self.product, "MAD-001"),
            stock,
            "stock unchanged for {code}"
        );
    }

    fn reserve(
        &self,
        body: serde_json::Value,
    ) -> impl FnOnce(&TestServer) -> crate::support::Reply {
        let token = customer("cust-bad");
        move |server| server.post("/api/v1/reservations", Some(&token), &body)
    }
}

#[test]
fn malformed_json_is_400_naming_the_position() {
    let f = fixture();
    let token = customer("cust-bad");
    f.refused(400, "MALFORMED_JSON", |s| {
        let reply = s.send(
            "POST",
            "/api/v1/reservations",
            Some(&token),
            Some(("application/json", "{\"product_id\": ".into())),
        );
        assert_eq!(reply.body["error"]["details"]["line"], 1);
        reply
    });
    f.refused(400, "MALFORMED_JSON", |s| {
        s.send(
            "POST",
            "/api/v1/reservations",
            Some(&token),
            Some(("application/json", String::new())),
        )
    });
}

#[test]
fn missing_fields_and_wrong_types_are_400_naming_the_problem() {
    let f = fixture();
    f.refused(400, "INVALID_BODY", |s| {
        let reply = f.reserve(json!({"store_id": "MAD-001", "quantity": 1}))(s);
        let message = reply.body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(message.contains("missing field `product_id`"), "{message}");
        reply
    });
    f.refused(400, "INVALID_BODY", |s| {
        let reply = f
            .reserve(json!({"product_id": f.product, "store_id": "MAD-001", "quantity": "one"}))(
            s
        );
        let message = reply.body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            message.contains("invalid type: string \"one\""),
            "{message}"
        );
        reply
    });
    f.refused(
        400,
        "INVALID_BODY",
        f.reserve(json!({"product_id": f.product, "store_id": "MAD-001", "quantity": 1.5})),
    );
    f.refused(400, "INVALID_BODY", f.reserve(json!([1, 2])));
}

#[test]
fn zero_negative_and_huge_quantities_are_400_naming_the_field() {
    let f = fixture();
    for quantity in [
        json!(0),
        json!(-1),
        json!(1_000_001),
        json!(9_223_372_036_854_775_807_i64),
    ] {
        f.refused(400, "VALIDATION_FAILED", |s| {
            let reply = f.reserve(
                json!({"product_id": f.product, "store_id": "MAD-001", "quantity": quantity}),
            )(s);
            assert_eq!(reply.body["error"]["details"]["field"], "quantity");
            reply
        });
    }
    f.refused(
        400,
        "INVALID_BODY",
        f.reserve(json!({"product_id": f.product, "store_id": "MAD-001", "quantity": 1e30})),
    );
    let admin = admin();
    for change in [0, 1_000_001, -1_000_001] {
        f.refused(400, "VALIDATION_FAILED", |s| {
            s.post(
                "/api/v1/stock",
                Some(&admin),
                &json!({"product_id": f.product, "store_id": "MAD-001", "quantity_change": change, "reason": "ADJUSTMENT"}),
            )
        });
    }
    f.refused(400, "VALIDATION_FAILED", |s| {
        let reply = s.post(
            "/api/v1/stock",
            Some(&admin),
            &json!({"product_id": f.product, "store_id": "MAD-001", "quantity_change": 5, "reason": "GIFT"}),
        );
        assert_eq!(reply.body["error"]["details"]["field"], "reason");
        reply
    });
}

#[test]
fn a_ttl_out_of_range_is_400() {
    let f = fixture();
    for ttl in [0, -5, 86_401] {
        f.refused(400, "VALIDATION_FAILED", |s| {
            let reply = f.reserve(
                json!({"product_id": f.product, "store_id": "MAD-001", "quantity": 1, "ttl": ttl}),
            )(s);
            assert_eq!(reply.body["error"]["details"]["field"], "ttl");
            reply
        });
    }
}

#[test]
fn unknown_products_and_stores_are_404_and_malformed_ids_400() {
    let f = fixture();
    let ghost = "0192f0c1-7c4e-7b35-9f1e-6d1c6b8a9e01";
    f.refused(
        404,
        "PRODUCT_NOT_FOUND",
        f.reserve(json!({"product_id": ghost, "store_id": "MAD-001", "quantity": 1})),
    );
    f.refused(
        404,
        "STORE_NOT_FOUND",
        f.reserve(json!({"product_id": f.product, "store_id": "ZZZ-999", "quantity": 1})),
    );
    f.refused(
        400,
        "VALIDATION_FAILED",
        f.reserve(json!({"product_id": "prod-123", "store_id": "MAD-001", "quantity": 1})),
    );
    f.refused(404, "PRODUCT_NOT_FOUND", |s| {
        s.get(&format!("/api/v1/products/{ghost}/availability"), None)
    });
    f.refused(400, "VALIDATION_FAILED", |s| {
        s.get("/api/v1/products/not-a-uuid", None)
    });
    f.refused(404, "STORE_NOT_FOUND", |s| {
        s.get("/api/v1/stores/ZZZ-999", None)
    });
    f.refused(404, "RESERVATION_NOT_FOUND", |s| {
        s.get(&format!("/api/v1/reservations/{ghost}"), Some(&admin()))
    });
    f.refused(404, "ROUTE_NOT_FOUND", |s| s.get("/api/v2/products", None));
}

#[test]
fn a_duplicate_sku_is_409() {
    let f = fixture();
    f.refused(409, "DUPLICATE_SKU", |s| {
        s.post(
            "/api/v1/products",
            Some(&admin()),
            &json!({"sku": "bad-1", "name": "Again", "price": "1.00"}),
        )
    });
}

#[test]
fn invalid_product_fields_are_400_naming_the_field() {
    let f = fixture();
    for (body, field) in [
        (json!({"sku": "", "name": "X", "price": "1.00"}), "sku"),
        (
            json!({"sku": "OK-1", "name": "X", "price": "-1.00"}),
            "price",
        ),
        (
            json!({"sku": "OK-1", "name": "X", "price": "1.001"}),
            "price",
        ),
        (json!({"sku": "OK-1", "name": "X", "price": true}), "price"),
        (json!({"sku": "OK-1", "name": "  ", "price": "1"}), "name"),
    ] {
        f.refused(400, "VALIDATION_FAILED", |s| {
            let reply = s.post("/api/v1/products", Some(&admin()), &body);
            assert_eq!(reply.body["error"]["details"]["field"], field, "{body}");
            reply
        });
    }
}

#[test]
fn an_oversized_body_is_413_and_a_wrong_content_type_415() {
    let f = fixture();
    let token = customer("cust-bad");
    let huge = format!(
        "{{\"product_id\": \"{}\", \"padding\": \"{}\"}}",
        f.product,
        "x".repeat(70 * 1024)
    );
    f.refused(413, "PAYLOAD_TOO_LARGE", |s| {
        s.send(
            "POST",
            "/api/v1/reservations",
            Some(&token),
            Some(("application/json", huge)),
        )
    });
    let body = json!({"product_id": f.product, "store_id": "MAD-001", "quantity": 1}).to_string();
    f.refused(415, "UNSUPPORTED_MEDIA_TYPE", |s| {
        s.send(
            "POST",
            "/api/v1/reservations",
            Some(&token),
            Some(("text/plain", body.clone())),
        )
    });
    f.refused(415, "UNSUPPORTED_MEDIA_TYPE", |s| {
        s.post_empty("/api/v1/reservations", Some(&token))
    });
}

#[test]
fn bad_query_strings_are_400() {
    let f = fixture();
    f.refused(400, "INVALID_QUERY", |s| {
        s.get("/api/v1/products?limit=abc", None)
    });
    f.refused(400, "VALIDATION_FAILED", |s| {
        s.get("/api/v1/products?limit=0", None)
    });
    f.refused(400, "VALIDATION_FAILED", |s| {
        s.get("/api/v1/products?limit=501", None)
    });
    f.refused(400, "VALIDATION_FAILED", |s| {
        s.get("/api/v1/reservations?status=DONE", Some(&admin()))
    });
}
