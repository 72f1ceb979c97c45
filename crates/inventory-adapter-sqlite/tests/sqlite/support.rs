//! Temporary databases for the tests.

use std::path::PathBuf;
use std::sync::Arc;

use inventory_adapter_sqlite::{SqliteConfig, SqliteStore};
use inventory_application::UseCases;
use inventory_ports::{InventoryStore, ManualClock, RequestContext};
use inventory_testkit::contract::TestDatabase;
use inventory_testkit::fixtures::T0;
use tempfile::TempDir;

/// A store on a file in its own temporary folder, removed when dropped.
pub struct TestDb {
    pub store: Arc<SqliteStore>,
    pub path: PathBuf,
    // Dropped last: the store closes before its folder goes.
    _dir: TempDir,
}

impl TestDb {
    pub fn new() -> Self {
        Self::with(|config| config)
    }

    pub fn with(adjust: impl FnOnce(SqliteConfig) -> SqliteConfig) -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("inventory.db");
        let config = adjust(SqliteConfig::file(&path));
        let store = Arc::new(SqliteStore::open(&config).expect("open the database"));
        Self {
            store,
            path,
            _dir: dir,
        }
    }

    /// A raw connection to the file, to look under the adapter.
    pub fn raw(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(&self.path).expect("open raw connection")
    }
}

impl TestDatabase for TestDb {
    fn store(&self) -> Arc<dyn InventoryStore> {
        self.store.clone()
    }

    /// Another, independent store on the same file: its own writer and read pool, as a
    /// second process would have.
    fn second_store(&self) -> Arc<dyn InventoryStore> {
        Arc::new(SqliteStore::open(&SqliteConfig::file(&self.path)).expect("open the same file"))
    }
}

/// A private in-memory database: one store, which is also its own second handle.
pub struct MemoryDb(pub Arc<SqliteStore>);

impl MemoryDb {
    pub fn new() -> Self {
        Self(Arc::new(SqliteStore::in_memory().expect("open in memory")))
    }
}

impl TestDatabase for MemoryDb {
    fn store(&self) -> Arc<dyn InventoryStore> {
        self.0.clone()
    }

    fn second_store(&self) -> Arc<dyn InventoryStore> {
        self.0.clone()
    }
}

/// Use cases over `db` with a manual clock at [`T0`].
pub fn use_cases(db: &TestDb) -> (UseCases, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(T0));
    (
        inventory_testkit::contract::use_cases(db.store(), &clock),
        clock,
    )
}

/// No request id.
pub fn ctx() -> RequestContext {
    RequestContext::default()
}
