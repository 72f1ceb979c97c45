//! A schema of its own for each test, dropped when the test ends.

use std::sync::{Arc, Mutex};

use inventory_adapter_postgres::{PostgresConfig, PostgresStore};
use inventory_ports::InventoryStore;
use inventory_testkit::contract::TestDatabase;

/// The database the tests use: `INVENTORY_TEST_DATABASE_URL`, or the machine's PostgreSQL.
pub fn url() -> String {
    std::env::var("INVENTORY_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A fresh schema with the inventory migrated into it, and every store opened on it; the
/// stores close and the schema is dropped when this is dropped.
pub struct PgDb {
    pub config: PostgresConfig,
    pub store: Arc<PostgresStore>,
    others: Mutex<Vec<Arc<PostgresStore>>>,
}

impl PgDb {
    pub fn new() -> Self {
        let schema = format!("inventory_test_{}", uuid::Uuid::new_v4().simple());
        let mut config = PostgresConfig::new(url()).in_schema(schema);
        config.read_connections = 4;
        let store = Arc::new(PostgresStore::open(&config).expect("open the test schema"));
        Self {
            config,
            store,
            others: Mutex::new(Vec::new()),
        }
    }

    /// Another store on the same schema, as another instance would open it.
    pub fn open_another(&self) -> Arc<PostgresStore> {
        let store = Arc::new(PostgresStore::open(&self.config).expect("open again"));
        self.others.lock().expect("lock").push(Arc::clone(&store));
        store
    }

    /// A plain connection to the test's schema, to look under the adapter.
    pub fn raw(&self) -> postgres::Client {
        let mut client = postgres::Client::connect(&url(), postgres::NoTls).expect("connect");
        client
            .batch_execute(&format!(
                "SET search_path = {}",
                self.config.schema.as_deref().expect("a schema")
            ))
            .expect("search path");
        client
    }
}

impl TestDatabase for PgDb {
    fn store(&self) -> Arc<dyn InventoryStore> {
        self.store.clone()
    }

    fn second_store(&self) -> Arc<dyn InventoryStore> {
        self.open_another()
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        self.store.close();
        for other in self.others.lock().expect("lock").drain(..) {
            other.close();
        }
        if let Some(schema) = &self.config.schema
            && let Ok(mut client) = postgres::Client::connect(&url(), postgres::NoTls)
        {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}
