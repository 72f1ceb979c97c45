//! Temporary databases and wired use cases for the tests.

use std::ops::Deref;
use std::path::PathBuf;
use std::sync::Arc;

use inventory_adapter_sqlite::{SqliteConfig, SqliteStore, Synchronous};
use inventory_ports::{
    Clock, IdGenerator, ManualClock, Ports, RequestContext, SequentialIds, UseCases,
};
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

    /// Another, independent store on the same file: its own writer and read pool, as a
    /// second process would have.
    pub fn second_store(&self, synchronous: Synchronous) -> SqliteStore {
        let mut config = SqliteConfig::file(&self.path);
        config.synchronous = synchronous;
        SqliteStore::open(&config).expect("open the same file again")
    }

    /// A raw connection to the file, to look under the adapter.
    pub fn raw(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(&self.path).expect("open raw connection")
    }
}

impl Deref for TestDb {
    type Target = SqliteStore;
    fn deref(&self) -> &SqliteStore {
        &self.store
    }
}

/// Use cases over `store` with a manual clock at [`T0`] and sequential ids (1, 2, 3...).
pub fn use_cases(store: Arc<SqliteStore>) -> (UseCases, Arc<ManualClock>) {
    use_cases_with_ids(store, Arc::new(SequentialIds::default()))
}

/// Use cases over `store` with a manual clock at [`T0`] and the given ids (UUID v7 when
/// several stores write to one file and their ids must not collide).
pub fn use_cases_with_ids(
    store: Arc<SqliteStore>,
    ids: Arc<dyn IdGenerator>,
) -> (UseCases, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(T0));
    let use_cases = UseCases::new(Ports {
        store,
        clock: clock.clone() as Arc<dyn Clock>,
        ids,
    });
    (use_cases, clock)
}

/// No request id.
pub fn ctx() -> RequestContext {
    RequestContext::default()
}
