//! [`PostgresStore`]: the store port on PostgreSQL.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use inventory_group_commit::{Listeners, Writer};
use inventory_ports::{
    CommitListener, Failure, InventoryError, InventoryStore, ReadWork, WriteWork,
};
use r2d2::Pool;

use crate::PostgresConfig;
use crate::errors::OrInventory;
use crate::migrations::migrate;
use crate::session::SessionManager;
use crate::transaction::PgTx;
use crate::writer::{PgBatch, connect_writer};

/// Why a database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The database was migrated by a newer version of the service; this one will not touch it.
    #[error(
        "the database schema is version {found} but this build supports up to {supported}: \
         upgrade the service or use another database"
    )]
    SchemaTooNew {
        /// The database's schema version.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// The settings cannot work.
    #[error("invalid PostgreSQL settings: {0}")]
    Invalid(String),
    /// The database refused to connect or to migrate.
    #[error("postgres")]
    Postgres(#[from] postgres::Error),
    /// The read pool could not be built.
    #[error("connection pool")]
    Pool(#[from] r2d2::Error),
    /// The writer thread could not be started.
    #[error("the writer thread")]
    Thread(#[source] std::io::Error),
}

/// The inventory kept in PostgreSQL: a writer thread with group commit for changes, a pool of
/// read connections for queries. Any number of processes may open the same database.
pub struct PostgresStore {
    writer: Writer,
    /// `None` once closed.
    readers: RwLock<Option<Pool<SessionManager>>>,
    listeners: Arc<Listeners>,
}

impl PostgresStore {
    /// Connects, migrates (under an advisory lock) and starts the writer and the read pool.
    ///
    /// # Errors
    /// [`OpenError::SchemaTooNew`] for a database from a newer build; other variants when the
    /// database cannot be reached or migrated.
    pub fn open(config: &PostgresConfig) -> Result<Self, OpenError> {
        off_runtime(|| Self::connect(config))
    }

    fn connect(config: &PostgresConfig) -> Result<Self, OpenError> {
        config.validate().map_err(OpenError::Invalid)?;
        // The schema must exist before a session can use it as its search path: migrate on a
        // session without one.
        let mut bootstrap = crate::session::PgSession::connect(&PostgresConfig {
            schema: None,
            ..config.clone()
        })?;
        if let Some(schema) = &config.schema {
            bootstrap.batch(&format!("SET search_path = {schema}"))?;
        }
        migrate(&mut bootstrap, config.schema.as_deref())?;
        // Products written before search existed get their folded name and SKU once.
        crate::transaction::fold_unfolded_products(&mut bootstrap)?;
        drop(bootstrap);
        let readers = Pool::builder()
            .max_size(config.read_connections.max(1))
            .min_idle(Some(1))
            .test_on_check_out(false)
            .connection_timeout(Duration::from_secs(5))
            .build(SessionManager {
                config: config.clone(),
            })?;
        let listeners = Arc::new(Listeners::default());
        let writer = Writer::spawn(
            "postgres-writer",
            PgBatch::new(config.clone(), connect_writer(config)?),
            config.max_batch,
            config.queue_capacity,
            Arc::clone(&listeners),
        )
        .map_err(OpenError::Thread)?;
        Ok(Self {
            writer,
            readers: RwLock::new(Some(readers)),
            listeners,
        })
    }
}

impl InventoryStore for PostgresStore {
    fn write(&self, work: WriteWork) -> Result<(), InventoryError> {
        self.writer.write(work)
    }

    fn read(&self, work: ReadWork) -> Result<(), InventoryError> {
        // Clone the pool handle (an Arc) so the lock is not held while reading.
        let pool = self
            .readers
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| InventoryError::unavailable("the store is closed"))?;
        let mut session = pool.get().map_err(|error| {
            InventoryError::Unavailable(Failure::caused_by(
                "no database connection was free in time",
                error,
            ))
        })?;
        session
            .batch("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .or_inventory()?;
        let result = {
            let tx = PgTx::reading(&mut session);
            catch_unwind(AssertUnwindSafe(|| work(&tx)))
                .unwrap_or_else(|_| Err(InventoryError::internal("a read panicked")))
        };
        let _ = session.batch("COMMIT");
        result
    }

    fn on_commit(&self, listener: CommitListener) {
        self.listeners.add(listener);
    }

    fn check_health(&self) -> Result<(), InventoryError> {
        self.read(Box::new(|_| Ok(())))?;
        // A read can succeed while the writer is stuck; ask the writer too.
        self.write(Box::new(|_| Ok(())))
    }

    fn close(&self) {
        let readers = self
            .readers
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        // (Closing twice, as `Drop` does after an explicit close, has nothing left to drop.)
        if let Some(readers) = readers {
            off_runtime(move || drop(readers));
        }
        self.writer.close();
    }
}

/// Runs `work` on a thread of its own. The synchronous client drives each connection with a
/// small runtime of its own, which tokio refuses to start on a thread that is running async
/// code: connecting and disconnecting happen on a plain thread so that the store can be
/// opened and dropped from async code too. (Queries run where the caller runs: async callers
/// use `spawn_blocking`, as they must for any blocking call.)
fn off_runtime<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        scope
            .spawn(work)
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        InventoryStore::close(self);
    }
}
