//! Bulk stock imports over HTTP (`POST /api/v1/stock/import`): a file with bad rows reports
//! each of them and, by default, changes nothing; `per_row` applies the good rows; a dry run
//! writes nothing; a repeated upload with its key applies once; a vendor imports into its own
//! store only.

use crate::support::{
    Reply, TestServer, admin, create_product, customer, event_count, reply, restock, stock_of,
    vendor,
};

const CSV: &str = "text/csv";

/// Posts `body` to the import route with `query` and an optional idempotency key.
fn import(
    server: &TestServer,
    token: &str,
    query: &str,
    content_type: &str,
    body: &str,
    key: Option<&str>,
) -> Reply {
    let mut request = ureq::http::Request::builder()
        .method("POST")
        .uri(server.url(&format!("/api/v1/stock/import{query}")))
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", content_type);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    reply(
        server
            .agent()
            .run(request.body(body.to_owned()).expect("request")),
    )
}

/// The (outcome, code) of each listed row, by line.
fn outcomes(reply: &Reply) -> Vec<(u64, String, String)> {
    reply.body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|row| {
            (
                row["line"].as_u64().expect("line"),
                row["outcome"].as_str().expect("outcome").to_owned(),
                row["code"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn row(line: u64, outcome: &str, code: &str) -> (u64, String, String) {
    (line, outcome.to_owned(), code.to_owned())
}

/// Two products with 10 units in Madrid.
fn stocked(server: &TestServer) -> (String, String) {
    let shoes = create_product(server, "IMPORT-SHOES");
    let hats = create_product(server, "IMPORT-HATS");
    for product in [&shoes, &hats] {
        let stocked = restock(server, product, "MAD-001", 10);
        assert_eq!(stocked.status, 201, "{}", stocked.text);
    }
    (shoes, hats)
}

const MIXED: &str = "sku,store_id,quantity,quantity_change,reason\n\
    IMPORT-SHOES,MAD-001,,5,RESTOCK\n\
    NO-SUCH-SKU,MAD-001,3,,\n\
    IMPORT-HATS,NOPE-001,3,,\n\
    IMPORT-HATS,MAD-001,,-11,SALE\n\
    IMPORT-HATS,MAD-001,,5,SALE\n\
    IMPORT-HATS,MAD-001,7,,\n";

#[test]
fn bad_rows_are_reported_one_by_one_and_by_default_nothing_changes() {
    let server = TestServer::start();
    let (shoes, hats) = stocked(&server);
    let events = event_count(&server);

    let refused = import(&server, &admin(), "", CSV, MIXED, None);
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert_eq!(
        outcomes(&refused),
        vec![
            row(2, "NOT_APPLIED", ""),
            row(3, "INVALID", "PRODUCT_NOT_FOUND"),
            row(4, "INVALID", "STORE_NOT_FOUND"),
            row(5, "INVALID", "STOCK_BELOW_RESERVED"),
            row(6, "INVALID", "VALIDATION_FAILED"),
            row(7, "NOT_APPLIED", ""),
        ]
    );
    assert_eq!(
        (
            refused.body["rows"].as_u64(),
            refused.body["applied"].as_u64()
        ),
        (Some(6), Some(0))
    );
    assert_eq!(stock_of(&server, &shoes, "MAD-001").0, 10);
    assert_eq!(stock_of(&server, &hats, "MAD-001").0, 10);
    assert_eq!(event_count(&server), events, "no event either");
}

#[test]
fn a_clean_file_applies_every_row_in_order_and_rows_of_one_pair_add_up() {
    let server = TestServer::start();
    let (shoes, hats) = stocked(&server);
    let body = "store_id,sku,quantity_change,reason,quantity\n\
        MAD-001,IMPORT-SHOES,5,RESTOCK,\n\
        MAD-001,IMPORT-SHOES,-12,SALE,\n\
        MAD-001,IMPORT-HATS,,,40\n\
        BCN-001,IMPORT-HATS,2,RETURN,\n";
    let applied = import(&server, &admin(), "?mode=all", CSV, body, None);
    assert_eq!(applied.status, 200, "{}", applied.text);
    assert_eq!(applied.body["applied"], 4);
    assert!(
        outcomes(&applied)
            .iter()
            .all(|(_, outcome, _)| outcome == "APPLIED")
    );
    assert_eq!(stock_of(&server, &shoes, "MAD-001").0, 3, "10 + 5 - 12");
    assert_eq!(stock_of(&server, &hats, "MAD-001").0, 40);
    assert_eq!(
        stock_of(&server, &hats, "BCN-001").0,
        2,
        "the pair's record is opened"
    );

    // The second SALE alone would leave 10 - 12: refused, because it is checked after the
    // first row, not against the stock as it was.
    let body = "sku,store_id,quantity_change,reason\nIMPORT-SHOES,MAD-001,-4,SALE\n";
    let refused = import(&server, &admin(), "", CSV, body, None);
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert_eq!(
        outcomes(&refused),
        vec![row(2, "INVALID", "STOCK_BELOW_RESERVED")]
    );
}

#[test]
fn per_row_applies_the_good_rows_and_reports_the_others() {
    let server = TestServer::start();
    let (shoes, hats) = stocked(&server);
    let applied = import(&server, &admin(), "?mode=per_row", CSV, MIXED, None);
    assert_eq!(applied.status, 200, "{}", applied.text);
    assert_eq!(
        outcomes(&applied),
        vec![
            row(2, "APPLIED", ""),
            row(3, "INVALID", "PRODUCT_NOT_FOUND"),
            row(4, "INVALID", "STORE_NOT_FOUND"),
            row(5, "INVALID", "STOCK_BELOW_RESERVED"),
            row(6, "INVALID", "VALIDATION_FAILED"),
            row(7, "APPLIED", ""),
        ]
    );
    assert_eq!(stock_of(&server, &shoes, "MAD-001").0, 15);
    assert_eq!(stock_of(&server, &hats, "MAD-001").0, 7);
}

#[test]
fn a_dry_run_reports_and_writes_nothing() {
    let server = TestServer::start();
    let (shoes, _) = stocked(&server);
    let events = event_count(&server);
    let body = "{\"sku\":\"IMPORT-SHOES\",\"store_id\":\"MAD-001\",\"quantity\":99}\n\
        \n\
        {\"sku\":\"IMPORT-SHOES\",\"store_id\":\"MAD-001\",\"quantity_change\":1,\"reason\":\"RESTOCK\",\"colour\":\"red\"}\n";
    for mode in ["all", "per_row"] {
        let checked = import(
            &server,
            &admin(),
            &format!("?mode={mode}&dry_run=true"),
            "application/x-ndjson",
            body,
            None,
        );
        assert_eq!(checked.status, 200, "{}", checked.text);
        assert_eq!(checked.body["dry_run"], true);
        assert_eq!(
            outcomes(&checked),
            vec![row(1, "VALID", ""), row(3, "INVALID", "VALIDATION_FAILED")]
        );
    }
    assert_eq!(stock_of(&server, &shoes, "MAD-001").0, 10);
    assert_eq!(event_count(&server), events);
}

#[test]
fn the_same_upload_with_the_same_key_applies_once() {
    let server = TestServer::start();
    let (shoes, _) = stocked(&server);
    let body = "sku,store_id,quantity_change,reason\nIMPORT-SHOES,MAD-001,5,RESTOCK\n";
    for mode in ["all", "per_row"] {
        let key = format!("upload-{mode}");
        let query = format!("?mode={mode}");
        let first = import(&server, &admin(), &query, CSV, body, Some(&key));
        assert_eq!(first.status, 200, "{}", first.text);
        let again = import(&server, &admin(), &query, CSV, body, Some(&key));
        assert_eq!(again.status, 200, "{}", again.text);
        assert_eq!(again.text, first.text, "the first answer, byte for byte");
        assert_eq!(
            again
                .headers
                .get("idempotent-replayed")
                .map(|v| v.as_bytes()),
            Some(&b"true"[..])
        );
        // Another file under the same key is refused.
        let other = "sku,store_id,quantity_change,reason\nIMPORT-SHOES,MAD-001,6,RESTOCK\n";
        import(&server, &admin(), &query, CSV, other, Some(&key))
            .assert_error(422, "IDEMPOTENCY_KEY_REUSED");
    }
    assert_eq!(
        stock_of(&server, &shoes, "MAD-001").0,
        20,
        "10 + 5 once per mode"
    );
}

#[test]
fn a_vendor_imports_into_its_own_store_only() {
    let server = TestServer::start();
    let (shoes, _) = stocked(&server);
    let body = "sku,store_id,quantity_change,reason\n\
        IMPORT-SHOES,MAD-001,1,RESTOCK\n\
        IMPORT-SHOES,BCN-001,1,RESTOCK\n";
    let madrid = vendor("MAD-001");
    let refused = import(&server, &madrid, "", CSV, body, None);
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert_eq!(
        outcomes(&refused),
        vec![row(2, "NOT_APPLIED", ""), row(3, "INVALID", "FORBIDDEN")]
    );
    let applied = import(&server, &madrid, "?mode=per_row", CSV, body, None);
    assert_eq!(applied.status, 200, "{}", applied.text);
    assert_eq!(stock_of(&server, &shoes, "MAD-001").0, 11);
    let barcelona = server.get(&format!("/api/v1/stock/{shoes}/BCN-001"), Some(&admin()));
    barcelona.assert_error(404, "STOCK_NOT_FOUND");

    import(&server, &customer("ana"), "", CSV, body, None).assert_error(403, "FORBIDDEN");
}

#[test]
fn a_file_that_cannot_be_read_is_refused_as_a_whole() {
    let server = TestServer::start();
    stocked(&server);
    let unknown = "sku,store_id,quantity,colour\nIMPORT-SHOES,MAD-001,1,red\n";
    let refused = import(&server, &admin(), "", CSV, unknown, None);
    refused.assert_error(400, "VALIDATION_FAILED");
    assert_eq!(
        refused.body["error"]["details"]["field"], "file",
        "{}",
        refused.text
    );
    import(&server, &admin(), "", "application/json", "{}", None)
        .assert_error(415, "UNSUPPORTED_MEDIA_TYPE");
    import(&server, &admin(), "?mode=sometimes", CSV, unknown, None)
        .assert_error(400, "INVALID_QUERY");
}

#[test]
fn a_body_over_the_import_limit_is_a_413() {
    let server = TestServer::start_with(|mut settings| {
        settings.max_import_bytes = 1024;
        settings
    });
    let mut body = String::from("sku,store_id,quantity\n");
    while body.len() <= 1024 {
        body.push_str("IMPORT-SHOES,MAD-001,1\n");
    }
    import(&server, &admin(), "", CSV, &body, None).assert_error(413, "PAYLOAD_TOO_LARGE");
}
