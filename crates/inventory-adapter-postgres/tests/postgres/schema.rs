//! Migrations under an advisory lock, a newer schema refused, and the schema's own guards.

use std::sync::Arc;
use std::thread;

use inventory_adapter_postgres::{OpenError, PostgresConfig, PostgresStore, SCHEMA_VERSION};
use inventory_domain::DomainEvent;
use inventory_ports::{InventoryStoreExt, Page};
use inventory_testkit::fixtures::{new_event, open_stock, product, product_id};

use crate::support::{PgDb, url};

#[test]
fn instances_starting_together_migrate_once() {
    let schema = format!("inventory_test_{}", uuid::Uuid::new_v4().simple());
    let config = PostgresConfig::new(url()).in_schema(schema.clone());
    let stores: Vec<Arc<PostgresStore>> = thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let config = config.clone();
                scope.spawn(move || Arc::new(PostgresStore::open(&config).expect("open")))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("opened"))
            .collect()
    });
    let mut client = postgres::Client::connect(&url(), postgres::NoTls).expect("connect");
    let applied: i64 = client
        .query_one(
            &format!("SELECT COUNT(*) FROM {schema}.schema_migrations"),
            &[],
        )
        .expect("count")
        .get(0);
    assert_eq!(
        applied,
        i64::from(SCHEMA_VERSION),
        "each migration applied once"
    );
    let (stores_seeded, _) = stores[0]
        .read_with(|tx| tx.list_stores(Page::default()))
        .expect("read");
    assert_eq!(stores_seeded.len(), 4, "seeded once");
    for store in &stores {
        inventory_ports::InventoryStore::close(&**store);
    }
    client
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .expect("drop");
}

#[test]
fn a_database_from_a_newer_build_is_refused_and_left_alone() {
    let db = PgDb::new();
    db.raw()
        .batch_execute("INSERT INTO schema_migrations (version, name) VALUES (99, 'future')")
        .expect("from the future");
    let error = PostgresStore::open(&db.config).err().expect("refused");
    assert!(
        matches!(error, OpenError::SchemaTooNew { found: 99, supported } if supported == i64::from(SCHEMA_VERSION)),
        "{error}"
    );
}

#[test]
fn the_schema_refuses_oversold_and_negative_stock_whatever_the_code_does() {
    let db = PgDb::new();
    db.store
        .write_with(|tx| {
            tx.record(&new_event(DomainEvent::ProductCreated(product(
                1, "GUARD-1",
            ))))?;
            tx.record(&new_event(open_stock(product_id(1), "MAD-001", 5).1))
        })
        .expect("setup");
    let mut client = db.raw();
    for bad in [
        "UPDATE stock SET reserved = 6",
        "UPDATE stock SET reserved = -1",
        "UPDATE stock SET quantity = -1, reserved = 0",
        "UPDATE stock SET quantity = 1000000001",
    ] {
        let error = client.batch_execute(bad).expect_err(bad);
        assert_eq!(
            error.code(),
            Some(&postgres::error::SqlState::CHECK_VIOLATION),
            "{bad}: {error}"
        );
    }
}

#[test]
fn the_schema_refuses_to_change_a_resolved_reservation() {
    let db = PgDb::new();
    let mut client = db.raw();
    client
        .batch_execute(
            "INSERT INTO products (id, sku, name, price_cents, created_at, updated_at) \
                 VALUES ('00000000-0000-0000-0000-000000000001', 'S', 'n', 1, now(), now());
             INSERT INTO stock (product_id, store_id, quantity, reserved, version, created_at, updated_at) \
                 VALUES ('00000000-0000-0000-0000-000000000001', 'MAD-001', 5, 0, 1, now(), now());
             INSERT INTO reservations (id, product_id, store_id, customer_id, quantity, status, expires_at, created_at, updated_at) \
                 VALUES ('00000000-0000-0000-0000-000000000002', '00000000-0000-0000-0000-000000000001', \
                 'MAD-001', 'c', 1, 'CONFIRMED', now(), now(), now());",
        )
        .expect("setup");
    let error = client
        .batch_execute("UPDATE reservations SET status = 'CANCELLED'")
        .expect_err("refused");
    assert!(
        error
            .as_db_error()
            .is_some_and(|db| db.message().contains("reservation already resolved")),
        "{error}"
    );
}
