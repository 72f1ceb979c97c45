//! Health, metrics, the OpenAPI document, request ids, CORS and panic recovery.

use serde_json::json;

use crate::support::{TestServer, admin, create_product, customer, restock};

#[test]
fn health_reports_the_database_and_redis() {
    let server = TestServer::start();
    let reply = server.get("/health", None);
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["status"], "healthy");
    assert_eq!(reply.body["database"], "connected");
    assert_eq!(reply.body["redis"], "not_configured");
    assert_eq!(reply.body["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        reply.body["timestamp"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
}

#[test]
fn a_panicking_handler_answers_500_and_the_server_keeps_serving() {
    let server = TestServer::start();
    for _ in 0..3 {
        // More panics than workers: a dead worker would show as a refused connection.
        server
            .get("/__fault/panic", None)
            .assert_error(500, "INTERNAL_ERROR");
    }
    let reply = server.get("/health", None);
    assert_eq!(reply.status, 200);
    let panic = server.get("/__fault/panic", None);
    assert_eq!(
        panic.body["error"]["message"], "internal error",
        "no internals leak"
    );
}

#[test]
fn request_ids_are_echoed_or_generated() {
    let server = TestServer::start();
    let echoed = server
        .agent()
        .get(server.url("/api/v1/stores"))
        .header("X-Request-Id", "till-42-req-7")
        .call()
        .expect("answer");
    assert_eq!(
        echoed
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("till-42-req-7")
    );
    let generated = server.get("/api/v1/stores", None);
    let id = generated
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("an id");
    assert_eq!(id.len(), 36, "a UUID: {id}");
}

#[test]
fn metrics_move_with_requests() {
    let server = TestServer::start();
    let product = create_product(&server, "MET-1");
    restock(&server, &product, "MAD-001", 1);
    let token = customer("cust-m");
    let body = json!({"product_id": product, "store_id": "MAD-001", "quantity": 1});
    assert_eq!(
        server
            .post("/api/v1/reservations", Some(&token), &body)
            .status,
        201
    );
    assert_eq!(
        server
            .post("/api/v1/reservations", Some(&token), &body)
            .status,
        409
    );
    server.get(&format!("/api/v1/products/{product}/availability"), None);

    let metrics = server.get("/metrics", None);
    assert_eq!(metrics.status, 200);
    assert!(
        metrics
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/plain")),
    );
    let text = metrics.text;
    for expected in [
        "http_request_duration_seconds_bucket{endpoint=\"/api/v1/products/{product_id}/availability\",method=\"GET\",status=\"200\",le=\"0.001\"}",
        "http_request_duration_seconds_count{endpoint=\"/api/v1/reservations\",method=\"POST\",status=\"201\"} 1",
        "http_request_duration_seconds_count{endpoint=\"/api/v1/reservations\",method=\"POST\",status=\"409\"} 1",
        "stock_operations_total{operation=\"adjust\",status=\"ok\",store_id=\"MAD-001\"} 1",
        "stock_operations_total{operation=\"reserve\",status=\"ok\",store_id=\"MAD-001\"} 1",
        "stock_operations_total{operation=\"reserve\",status=\"INSUFFICIENT_STOCK\",store_id=\"MAD-001\"} 1",
        "reservations_total{outcome=\"created\"} 1",
        "reservations_total{outcome=\"rejected\"} 1",
        // The design document's cache metric: the availability read model's lookups (the
        // first read of a product is always a miss; whether the next is a hit depends on
        // its follower's timing, so only the series is required).
        "cache_requests_total{cache=\"availability\",result=\"miss\"} ",
        "cache_requests_total{cache=\"availability\",result=\"hit\"} ",
        "cache_capacity_entries{cache=\"availability\"} 10048",
    ] {
        assert!(text.contains(expected), "missing {expected} in:\n{text}");
    }
    assert!(
        !text.contains(&product),
        "route patterns, not raw paths, label requests"
    );
}

#[test]
fn the_openapi_document_is_openapi_3_and_lists_every_route() {
    let server = TestServer::start();
    let reply = server.get("/api-docs/openapi.json", None);
    assert_eq!(reply.status, 200);
    let document = reply.body;
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.")),
        "{}",
        document["openapi"]
    );
    let paths = document["paths"].as_object().expect("paths");
    let expected = [
        ("/health", "get"),
        ("/livez", "get"),
        ("/metrics", "get"),
        ("/api-docs/openapi.json", "get"),
        ("/api/v1/stores", "get"),
        ("/api/v1/stores", "post"),
        ("/api/v1/stores/{store_id}", "get"),
        ("/api/v1/stores/{store_id}", "put"),
        ("/api/v1/stores/{store_id}/stock", "get"),
        ("/api/v1/products", "get"),
        ("/api/v1/products", "post"),
        ("/api/v1/products/sku/{sku}", "get"),
        ("/api/v1/products/{product_id}", "get"),
        ("/api/v1/products/{product_id}", "put"),
        ("/api/v1/products/{product_id}", "delete"),
        ("/api/v1/products/{product_id}/availability", "get"),
        ("/api/v1/stock", "post"),
        ("/api/v1/stock/import", "post"),
        ("/api/v1/stock/{product_id}/{store_id}", "get"),
        ("/api/v1/stock/{product_id}/{store_id}", "put"),
        ("/api/v1/stock/{product_id}/{store_id}/threshold", "put"),
        ("/api/v1/stock/{product_id}/{store_id}/threshold", "delete"),
        ("/api/v1/products/{product_id}/threshold", "put"),
        ("/api/v1/products/{product_id}/threshold", "delete"),
        ("/api/v1/stock/low", "get"),
        ("/api/v1/movements", "get"),
        ("/api/v1/reservations", "get"),
        ("/api/v1/reservations", "post"),
        ("/api/v1/reservations/{reservation_id}", "get"),
        ("/api/v1/reservations/{reservation_id}/confirm", "post"),
        ("/api/v1/reservations/{reservation_id}/cancel", "post"),
        ("/api/v1/reservations/{reservation_id}/extend", "post"),
        ("/api/v1/carts", "post"),
        ("/api/v1/carts/{cart_id}", "get"),
        ("/api/v1/carts/{cart_id}/confirm", "post"),
        ("/api/v1/carts/{cart_id}/confirm-lines", "post"),
        ("/api/v1/carts/{cart_id}/cancel", "post"),
        ("/api/v1/transfers", "get"),
        ("/api/v1/transfers", "post"),
        ("/api/v1/transfers/{transfer_id}", "get"),
        ("/api/v1/transfers/{transfer_id}/receive", "post"),
        ("/api/v1/transfers/{transfer_id}/cancel", "post"),
        ("/api/v1/webhooks", "get"),
        ("/api/v1/webhooks", "post"),
        ("/api/v1/webhooks/{webhook_id}", "get"),
        ("/api/v1/webhooks/{webhook_id}", "delete"),
        ("/api/v1/webhooks/{webhook_id}/deliveries", "get"),
        ("/api/v1/webhooks/{webhook_id}/replay", "post"),
        ("/api/v1/events", "get"),
        ("/api/v1/stream", "get"),
        ("/api-docs/asyncapi.json", "get"),
    ];
    for (path, method) in expected {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} is documented"
        );
    }
    let documented: usize = paths
        .values()
        .map(|p| p.as_object().map_or(0, |m| m.len()))
        .sum();
    assert_eq!(
        documented,
        expected.len(),
        "no undocumented or unexpected operations"
    );
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("path item") {
            let responses = operation["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|status| status.starts_with('2')),
                "{method} {path} documents its success"
            );
            if path.starts_with("/api/") {
                for status in ["500", "503"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path} documents {status}"
                    );
                }
            }
            if operation.get("requestBody").is_some() {
                for status in ["400", "413", "415"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path} documents {status}"
                    );
                }
            }
            if path.starts_with("/api/") && path.contains('{') {
                assert!(
                    responses.contains_key("400"),
                    "{method} {path} documents 400"
                );
            }
            let secured = operation.get("security").is_some();
            if secured {
                assert!(
                    responses.contains_key("401"),
                    "{method} {path} documents 401"
                );
            }
        }
    }
    let schemas = document["components"]["schemas"]
        .as_object()
        .expect("schemas");
    for schema in [
        "ErrorBody",
        "ReservationResponse",
        "AvailabilityResponse",
        "StockResponse",
        "ProductRequest",
    ] {
        assert!(schemas.contains_key(schema), "schema {schema}");
    }
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

#[test]
fn cors_allows_only_the_configured_origins() {
    let server = TestServer::start_with(|mut settings| {
        settings.cors_origins = vec!["https://shop.example".into()];
        settings
    });
    let allowed = server
        .agent()
        .get(server.url("/api/v1/stores"))
        .header("Origin", "https://shop.example")
        .call()
        .expect("answer");
    assert_eq!(
        allowed
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://shop.example")
    );
    let other = server
        .agent()
        .get(server.url("/api/v1/stores"))
        .header("Origin", "https://evil.example")
        .call()
        .expect("answer");
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[test]
fn the_asyncapi_document_describes_every_event_the_server_writes() {
    let server = TestServer::start_with(|mut settings| {
        settings.redis_stream = "chain:events".into();
        settings
    });
    let product = create_product(&server, "ASYNC-1");
    restock(&server, &product, "MAD-001", 3);
    let reply = server.get("/api-docs/asyncapi.json", None);
    assert_eq!(reply.status, 200, "{}", reply.text);
    let document = &reply.body;
    assert_eq!(document["asyncapi"], "3.0.0");
    assert_eq!(
        document["channels"]["inventoryEvents"]["address"], "chain:events",
        "the configured stream"
    );
    let messages = document["components"]["messages"]
        .as_object()
        .expect("messages");
    let names: Vec<&str> = messages
        .values()
        .filter_map(|m| m["name"].as_str())
        .collect();
    for event_type in [
        "product.created",
        "product.updated",
        "product.deleted",
        "store.created",
        "store.updated",
        "stock.created",
        "stock.updated",
        "reservation.created",
        "reservation.confirmed",
        "reservation.cancelled",
        "reservation.expired",
    ] {
        assert!(names.contains(&event_type), "{event_type} is documented");
    }
    let events = server.get("/api/v1/events", Some(&admin())).body;
    for event in events["data"].as_array().expect("events") {
        let event_type = event["event_type"].as_str().expect("a type");
        let message = messages
            .values()
            .find(|m| m["name"] == event_type)
            .expect("a message for every type written");
        assert_eq!(
            message["payload"]["properties"]["schema_version"]["const"],
            event["schema_version"].to_string(),
            "{event_type} is written in the documented version"
        );
    }
}

#[test]
fn a_failing_database_answers_without_a_word_of_its_own() {
    let server = TestServer::start();
    let product = create_product(&server, "LEAK-1");
    // From now on every insert into the outbox fails inside SQLite.
    rusqlite::Connection::open(&server.db)
        .expect("open the file")
        .execute_batch(
            "CREATE TRIGGER inject_failure BEFORE INSERT ON events \
             BEGIN SELECT RAISE(ABORT, 'sqlite trigger inject_failure fired'); END;",
        )
        .expect("create the trigger");
    let reply = restock(&server, &product, "MAD-001", 1);
    reply.assert_error(500, "INTERNAL_ERROR");
    let text = reply.text.to_lowercase();
    for word in [
        "sqlite",
        "trigger",
        "inject",
        "database",
        "constraint",
        "events",
    ] {
        assert!(
            !text.contains(word),
            "the body says {word:?}: {}",
            reply.text
        );
    }
    server
        .get(&format!("/api/v1/stock/{product}/MAD-001"), Some(&admin()))
        .assert_error(404, "STOCK_NOT_FOUND");
}
