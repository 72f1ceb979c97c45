//! Bulk stock imports on the reference store: the two modes, a dry run, rows of one pair
//! adding up, and a row refused inside the applying change undoing every row before it.

use std::io::BufRead;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use inventory_application::{
    ImportFormat, ImportMode, ImportReport, ImportSource, Listing, RowOutcome, StockImport,
    UseCases,
};
use inventory_domain::{ChangedBy, ProductId, StoreId};
use inventory_ports::InventoryError;

use crate::support::{ctx, fresh, stocked};

fn command(mode: ImportMode, dry_run: bool) -> StockImport {
    StockImport {
        mode,
        dry_run,
        by: ChangedBy::default(),
        only_store: None,
        listing: Listing::every_row(100),
    }
}

fn csv(text: &'static str) -> ImportSource {
    ImportSource::from_bytes(ImportFormat::Csv, text.as_bytes().to_vec())
}

fn quantity(use_cases: &UseCases, product: ProductId, store: &str) -> Option<u32> {
    match use_cases
        .stock
        .get(product, &StoreId::parse(store).expect("valid"))
    {
        Ok(stock) => Some(stock.quantity()),
        Err(InventoryError::StockNotFound { .. }) => None,
        Err(error) => panic!("{error}"),
    }
}

fn outcomes(report: &ImportReport) -> Vec<(u64, RowOutcome, Option<&str>)> {
    report
        .results
        .iter()
        .map(|row| (row.line, row.outcome, row.code.as_deref()))
        .collect()
}

const MIXED: &str = "sku,store_id,quantity,quantity_change,reason\n\
    A-1,MAD-001,,5,RESTOCK\n\
    A-1,MAD-001,,-16,SALE\n\
    NOPE,MAD-001,1,,\n\
    A-1,BCN-001,4,,\n";

#[test]
fn all_or_nothing_applies_nothing_when_a_row_is_invalid() {
    let (use_cases, _, _) = fresh();
    let product = stocked(&use_cases, "A-1", 10);
    let report = use_cases
        .imports
        .import(csv(MIXED), command(ImportMode::AllOrNothing, false), &ctx())
        .expect("a report");
    assert_eq!(
        outcomes(&report),
        vec![
            (2, RowOutcome::NotApplied, None),
            // 10 + 5 - 16: the row before it counts.
            (3, RowOutcome::Invalid, Some("STOCK_BELOW_RESERVED")),
            (4, RowOutcome::Invalid, Some("PRODUCT_NOT_FOUND")),
            (5, RowOutcome::NotApplied, None),
        ]
    );
    assert_eq!(
        (report.applied, report.invalid, report.not_applied),
        (0, 2, 2)
    );
    assert_eq!(quantity(&use_cases, product, "MAD-001"), Some(10));
    assert_eq!(quantity(&use_cases, product, "BCN-001"), None);
}

#[test]
fn per_row_applies_each_valid_row() {
    let (use_cases, _, _) = fresh();
    let product = stocked(&use_cases, "A-1", 10);
    let report = use_cases
        .imports
        .import(csv(MIXED), command(ImportMode::PerRow, false), &ctx())
        .expect("a report");
    assert_eq!(
        outcomes(&report),
        vec![
            (2, RowOutcome::Applied, None),
            (3, RowOutcome::Invalid, Some("STOCK_BELOW_RESERVED")),
            (4, RowOutcome::Invalid, Some("PRODUCT_NOT_FOUND")),
            (5, RowOutcome::Applied, None),
        ]
    );
    assert_eq!(quantity(&use_cases, product, "MAD-001"), Some(15));
    assert_eq!(quantity(&use_cases, product, "BCN-001"), Some(4));
}

#[test]
fn a_dry_run_reports_without_writing() {
    let (use_cases, _, _) = fresh();
    let product = stocked(&use_cases, "A-1", 10);
    let clean =
        "sku,store_id,quantity_change,reason\nA-1,MAD-001,5,RESTOCK\nA-1,MAD-001,-15,SALE\n";
    for mode in [ImportMode::AllOrNothing, ImportMode::PerRow] {
        let report = use_cases
            .imports
            .import(csv(clean), command(mode, true), &ctx())
            .expect("a report");
        assert_eq!(
            outcomes(&report),
            vec![(2, RowOutcome::Valid, None), (3, RowOutcome::Valid, None)]
        );
        assert!(report.dry_run);
        assert_eq!(report.applied, 0);
    }
    assert_eq!(quantity(&use_cases, product, "MAD-001"), Some(10));
}

#[test]
fn rows_of_one_pair_add_up_when_applied() {
    let (use_cases, _, _) = fresh();
    let product = stocked(&use_cases, "A-1", 10);
    let rows = "sku,store_id,quantity,quantity_change,reason\n\
        A-1,MAD-001,,5,RESTOCK\n\
        A-1,MAD-001,,-15,SALE\n\
        A-1,BCN-001,7,,\n\
        A-1,BCN-001,,3,RETURN\n";
    let report = use_cases
        .imports
        .import(csv(rows), command(ImportMode::AllOrNothing, false), &ctx())
        .expect("a report");
    assert_eq!(report.applied, 4);
    assert_eq!(quantity(&use_cases, product, "MAD-001"), Some(0));
    assert_eq!(quantity(&use_cases, product, "BCN-001"), Some(10));
}

/// A source whose second reading (the applying change's) differs from its first (the
/// validation's): a file rewritten in between.
fn changing(first: &'static str, then: &'static str) -> ImportSource {
    let reads = AtomicU32::new(0);
    ImportSource {
        format: ImportFormat::Csv,
        open: Arc::new(move || {
            let text = if reads.fetch_add(1, Ordering::Relaxed) == 0 {
                first
            } else {
                then
            };
            Ok(Box::new(text.as_bytes()) as Box<dyn BufRead + Send>)
        }),
    }
}

#[test]
fn a_row_refused_inside_the_change_undoes_every_row_before_it() {
    let (use_cases, _, _) = fresh();
    let product = stocked(&use_cases, "A-1", 10);
    let validated =
        "sku,store_id,quantity_change,reason\nA-1,MAD-001,5,RESTOCK\nA-1,BCN-001,2,RESTOCK\n";
    let applied =
        "sku,store_id,quantity_change,reason\nA-1,MAD-001,5,RESTOCK\nA-1,BCN-001,-2,SALE\n";
    let error = use_cases
        .imports
        .import(
            changing(validated, applied),
            command(ImportMode::AllOrNothing, false),
            &ctx(),
        )
        .unwrap_err();
    assert_eq!(error.code(), "VALIDATION_FAILED", "{error}");
    assert!(error.to_string().contains("line 3"), "{error}");
    assert_eq!(
        quantity(&use_cases, product, "MAD-001"),
        Some(10),
        "the first row, applied in the same change, is undone"
    );
    assert_eq!(quantity(&use_cases, product, "BCN-001"), None);
}

#[test]
fn a_header_with_an_unknown_column_is_refused_before_any_row() {
    let (use_cases, _, _) = fresh();
    stocked(&use_cases, "A-1", 10);
    let error = use_cases
        .imports
        .import(
            csv("sku,store_id,quantity,price\nA-1,MAD-001,1,9.99\n"),
            command(ImportMode::PerRow, false),
            &ctx(),
        )
        .unwrap_err();
    assert_eq!(error.code(), "VALIDATION_FAILED");
    assert!(error.to_string().contains("price"), "{error}");
}

#[test]
fn a_vendor_import_refuses_rows_of_other_stores() {
    let (use_cases, _, _) = fresh();
    let product = stocked(&use_cases, "A-1", 10);
    let mut own_store = command(ImportMode::PerRow, false);
    own_store.only_store = Some(StoreId::parse("MAD-001").expect("valid"));
    let rows = "sku,store_id,quantity\nA-1,MAD-001,3\nA-1,BCN-001,3\n";
    let report = use_cases
        .imports
        .import(csv(rows), own_store, &ctx())
        .expect("a report");
    assert_eq!(
        outcomes(&report),
        vec![
            (2, RowOutcome::Applied, None),
            (3, RowOutcome::Invalid, Some("FORBIDDEN"))
        ]
    );
    assert_eq!(quantity(&use_cases, product, "MAD-001"), Some(3));
    assert_eq!(quantity(&use_cases, product, "BCN-001"), None);
}

#[test]
fn json_lines_are_read_one_object_per_line() {
    let (use_cases, _, _) = fresh();
    let product = stocked(&use_cases, "A-1", 10);
    let rows = "{\"sku\":\"a-1\",\"store_id\":\"mad-001\",\"quantity_change\":2,\"reason\":\"RETURN\"}\n\
        \n\
        not json\n\
        {\"sku\":\"A-1\",\"store_id\":\"MAD-001\",\"quantity\":1,\"quantity_change\":1}\n";
    let report = use_cases
        .imports
        .import(
            ImportSource::from_bytes(ImportFormat::JsonLines, rows.as_bytes().to_vec()),
            command(ImportMode::PerRow, false),
            &ctx(),
        )
        .expect("a report");
    assert_eq!(
        outcomes(&report),
        vec![
            (1, RowOutcome::Applied, None),
            (3, RowOutcome::Invalid, Some("VALIDATION_FAILED")),
            (4, RowOutcome::Invalid, Some("VALIDATION_FAILED")),
        ]
    );
    assert_eq!(quantity(&use_cases, product, "MAD-001"), Some(12));
}

/// A reader that fails: the connection dropped, the disk went away.
struct Broken;

impl std::io::Read for Broken {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        Err(std::io::Error::other("the upload was cut off"))
    }
}

/// `rows` restock rows of one unit each; cut off after `cut_after` rows when given.
fn restock_rows(rows: usize, cut_after: Option<usize>) -> ImportSource {
    let mut text = String::from("sku,store_id,quantity_change,reason\n");
    for _ in 0..cut_after.unwrap_or(rows) {
        text.push_str("A-1,MAD-001,1,RESTOCK\n");
    }
    let text: Arc<[u8]> = text.into_bytes().into();
    ImportSource {
        format: ImportFormat::Csv,
        open: Arc::new(move || {
            let bytes = std::io::Cursor::new(Arc::clone(&text));
            Ok(match cut_after {
                Some(_) => Box::new(std::io::BufReader::new(std::io::Read::chain(bytes, Broken)))
                    as Box<dyn BufRead + Send>,
                None => Box::new(bytes),
            })
        }),
    }
}

fn keyed(key: &str) -> inventory_ports::RequestContext {
    inventory_ports::RequestContext {
        request_id: None,
        idempotency: Some(inventory_ports::Idempotency {
            key: inventory_ports::IdempotencyKey::new("tests", key).expect("a key"),
            fingerprint: "the same file".to_owned(),
            render: Arc::new(|value: &dyn std::any::Any| {
                let report = value.downcast_ref::<ImportReport>()?;
                Some((200, format!("{} applied", report.applied).into_bytes()))
            }),
        }),
        actor: None,
    }
}

#[test]
fn a_per_row_import_cut_off_and_retried_with_its_key_applies_each_chunk_once() {
    let (use_cases, _, _) = fresh();
    let product = stocked(&use_cases, "A-1", 10);
    let context = keyed("upload-1");
    let cut = use_cases
        .imports
        .import(
            restock_rows(2_500, Some(1_500)),
            command(ImportMode::PerRow, false),
            &context,
        )
        .unwrap_err();
    assert_eq!(cut.code(), "VALIDATION_FAILED", "{cut}");
    assert_eq!(
        quantity(&use_cases, product, "MAD-001"),
        Some(1_010),
        "the first chunk of 1 000 rows committed before the cut"
    );

    let report = use_cases
        .imports
        .import(
            restock_rows(2_500, None),
            command(ImportMode::PerRow, false),
            &context,
        )
        .expect("a report");
    assert_eq!(
        report.applied, 2_500,
        "the first chunk's count comes from its stored answer"
    );
    assert_eq!(
        quantity(&use_cases, product, "MAD-001"),
        Some(2_510),
        "the first chunk was not applied again"
    );

    // The whole import again: its stored answer, nothing applied.
    let again = use_cases.imports.import(
        restock_rows(2_500, None),
        command(ImportMode::PerRow, false),
        &context,
    );
    match again {
        Err(InventoryError::Replayed(stored)) => assert_eq!(stored.body, b"2500 applied"),
        other => panic!("expected a replay, got {other:?}"),
    }
    assert_eq!(quantity(&use_cases, product, "MAD-001"), Some(2_510));
}
