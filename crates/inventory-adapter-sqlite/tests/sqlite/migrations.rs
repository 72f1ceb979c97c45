//! Opening database files: migrations applied once, newer schemas refused, pragmas set, and
//! the schema's own guards against oversold or twice-resolved rows.

use inventory_adapter_sqlite::{OpenError, SCHEMA_VERSION, SqliteConfig, SqliteStore};
use inventory_domain::DomainEvent;
use inventory_ports::{InventoryStore, InventoryStoreExt, Page, ProductFilter};
use inventory_testkit::fixtures::{new_event, open_stock, product, product_id};

use crate::support::TestDb;

fn user_version(conn: &rusqlite::Connection) -> i64 {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
        .expect("user_version")
}

#[test]
fn opening_creates_the_file_and_migrates_it_to_the_current_version() {
    let db = TestDb::new();
    assert!(db.path.exists());
    assert_eq!(user_version(&db.raw()), SCHEMA_VERSION);
    let mode: String = db
        .raw()
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .expect("journal_mode");
    assert_eq!(mode, "wal");
}

#[test]
fn opening_twice_is_a_no_op() {
    let db = TestDb::new();
    db.store
        .write_with(|tx| {
            tx.record(&new_event(DomainEvent::ProductCreated(product(
                1, "KEEP-ME",
            ))))
        })
        .expect("write");
    let again = SqliteStore::open(&SqliteConfig::file(&db.path)).expect("second open");
    assert_eq!(user_version(&db.raw()), SCHEMA_VERSION);
    let (stores, products) = again
        .read_with(|tx| {
            Ok((
                tx.list_stores(Page::default())?.1,
                tx.list_products(&ProductFilter::default(), Page::default())?
                    .1,
            ))
        })
        .expect("read");
    assert_eq!(
        (stores, products),
        (4, 1),
        "seed stores not duplicated, data kept"
    );
}

#[test]
fn a_database_from_a_newer_build_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("future.db");
    let conn = rusqlite::Connection::open(&path).expect("open");
    conn.execute_batch("CREATE TABLE from_the_future (x); PRAGMA user_version = 99;")
        .expect("prepare");
    drop(conn);
    let error = SqliteStore::open(&SqliteConfig::file(&path))
        .err()
        .expect("refused");
    assert!(
        matches!(error, OpenError::SchemaTooNew { found: 99, supported } if supported == SCHEMA_VERSION),
        "{error}"
    );
    assert!(error.to_string().contains("upgrade the service"), "{error}");
    let conn = rusqlite::Connection::open(&path).expect("reopen");
    assert_eq!(user_version(&conn), 99);
}

#[test]
fn a_missing_parent_folder_is_created() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("nested/deeper/inventory.db");
    let store = SqliteStore::open(&SqliteConfig::file(&path)).expect("open");
    store.check_health().expect("healthy");
    assert!(path.exists());
}

#[test]
fn the_schema_refuses_oversold_and_negative_stock_whatever_the_code_does() {
    let db = TestDb::new();
    db.store
        .write_with(|tx| {
            tx.record(&new_event(DomainEvent::ProductCreated(product(
                1, "GUARD-1",
            ))))?;
            tx.record(&new_event(open_stock(product_id(1), "MAD-001", 5).1))
        })
        .expect("setup");
    let conn = db.raw();
    for bad in [
        "UPDATE stock SET reserved = 6",
        "UPDATE stock SET reserved = -1",
        "UPDATE stock SET quantity = -1, reserved = 0",
        "UPDATE stock SET quantity = 1000000001",
    ] {
        let error = conn.execute(bad, []).expect_err(bad);
        assert!(
            error.to_string().contains("CHECK constraint failed"),
            "{bad}: {error}"
        );
    }
}

#[test]
fn the_schema_refuses_to_change_a_resolved_reservation() {
    let db = TestDb::new();
    let conn = db.raw();
    conn.execute_batch(
        "INSERT INTO products (id, sku, name, price_cents, created_at, updated_at) \
             VALUES ('p', 'S', 'n', 1, 't', 't');
         INSERT INTO stock (product_id, store_id, quantity, reserved, version, created_at, updated_at) \
             VALUES ('p', 'MAD-001', 5, 0, 1, 't', 't');
         INSERT INTO reservations (id, product_id, store_id, customer_id, quantity, status, expires_at, created_at, updated_at) \
             VALUES ('r', 'p', 'MAD-001', 'c', 1, 'CONFIRMED', 't', 't', 't');",
    )
    .expect("setup");
    let error = conn
        .execute(
            "UPDATE reservations SET status = 'CANCELLED' WHERE id = 'r'",
            [],
        )
        .expect_err("refused");
    assert!(
        error.to_string().contains("reservation already resolved"),
        "{error}"
    );
}

#[test]
fn a_version_2_database_gets_versioned_events_and_keeps_its_outbox() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("v2.db");
    let conn = rusqlite::Connection::open(&path).expect("open");
    conn.execute_batch(concat!(
        include_str!("../../../../migrations/sqlite/0001_initial_schema.sql"),
        include_str!("../../../../migrations/sqlite/0002_seed_stores.sql"),
        "INSERT INTO events (event_id, event_type, aggregate_type, aggregate_id, payload, \
         occurred_at, published_at) VALUES ('0192f0c1-7c4e-7b35-9f1e-6d1c6b8a9e01', \
         'store.updated', 'store', 'MAD-001', '{}', '2025-10-26T00:00:00.000Z', NULL);
         PRAGMA user_version = 2;"
    ))
    .expect("a version 2 database");
    drop(conn);
    let store = SqliteStore::open(&SqliteConfig::file(&path)).expect("migrates");
    let events = store.read_with(|tx| tx.events_after(0, 10)).expect("read");
    assert_eq!(events.len(), 1, "the outbox is kept");
    assert_eq!(events[0].schema_version, 1, "old events are version 1");
    drop(store);
    let conn = rusqlite::Connection::open(&path).expect("reopen");
    assert_eq!(user_version(&conn), SCHEMA_VERSION);
    let columns: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info('events')")
        .and_then(|mut statement| {
            statement
                .query_map([], |row| row.get(0))?
                .collect::<Result<_, _>>()
        })
        .expect("columns");
    assert!(
        columns.contains(&"schema_version".to_owned()),
        "{columns:?}"
    );
    assert!(!columns.contains(&"published_at".to_owned()), "{columns:?}");
}
