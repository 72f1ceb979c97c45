//! [`SqliteStore`]: the store port on SQLite.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use inventory_group_commit::{Listeners, Writer};
use inventory_ports::{
    CommitListener, Failure, InventoryError, InventoryStore, ReadWork, WriteWork,
};
use r2d2::Pool;
use r2d2_sqlite::SqliteConnectionManager;

use crate::checkpointer::{Checkpointer, WalTooLong};
use crate::connection::{apply_common_pragmas, open_writer, reader_flags};
use crate::migrations::migrate;
use crate::writer::{SqliteBatch, run_read};
use crate::{Location, SqliteConfig};

/// Why a database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The database was written by a newer version of the service; this one will not touch it.
    #[error(
        "the database schema is version {found} but this build supports up to {supported}: \
         upgrade the service or open another file"
    )]
    SchemaTooNew {
        /// The database's schema version.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// SQLite refused to open or migrate the database.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The read pool could not be built.
    #[error("connection pool: {0}")]
    Pool(#[from] r2d2::Error),
    /// A folder or thread could not be created.
    #[error("{path}: {source}")]
    Io {
        /// What was being created.
        path: PathBuf,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// The database cannot be used the way the service needs.
    #[error("{0}")]
    Unsupported(String),
}

/// The inventory kept in SQLite: a writer thread with group commit for changes, a pool of
/// read connections for queries (WAL lets them run while the writer commits).
///
/// Several `SqliteStore`s, in one process or many, may open the same file: SQLite's file lock
/// serialises their writers, and every write runs in `BEGIN IMMEDIATE`, so the
/// check-then-change of a reservation is never interleaved with another writer's.
pub struct SqliteStore {
    writer: Writer,
    /// Checkpoints the WAL off the commit path (file databases only).
    checkpointer: std::sync::Mutex<Option<Checkpointer>>,
    /// `None` for in-memory databases (their reads go through the writer) and once closed.
    readers: RwLock<Option<Pool<SqliteConnectionManager>>>,
    memory: bool,
    listeners: Arc<Listeners>,
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database `config` describes.
    ///
    /// # Errors
    /// [`OpenError::SchemaTooNew`] for a database from a newer build; other variants when
    /// the file cannot be opened, migrated or pooled.
    pub fn open(config: &SqliteConfig) -> Result<Self, OpenError> {
        let mut writer_conn = open_writer(config)?;
        migrate(&mut writer_conn)?;
        // Products written before search existed get their folded name and SKU once.
        crate::transaction::fold_products(&writer_conn)
            .map_err(|error| OpenError::Unsupported(format!("folding product names: {error}")))?;
        let memory = config.location == Location::Memory;
        let wal_too_long = Arc::new(WalTooLong::default());
        let (readers, checkpointer) = match &config.location {
            Location::Memory => (None, None),
            Location::File(path) => (
                Some(reader_pool(path, config)?),
                Some(Checkpointer::start(
                    path,
                    config,
                    Arc::clone(&wal_too_long),
                )?),
            ),
        };
        let listeners = Arc::new(Listeners::default());
        let writer = Writer::spawn(
            "sqlite-writer",
            SqliteBatch::new(writer_conn, config.busy_timeout, wal_too_long),
            config.max_batch,
            config.queue_capacity,
            Arc::clone(&listeners),
        )
        .map_err(|source| OpenError::Io {
            path: PathBuf::from("sqlite-writer thread"),
            source,
        })?;
        Ok(Self {
            writer,
            checkpointer: std::sync::Mutex::new(checkpointer),
            readers: RwLock::new(readers),
            memory,
            listeners,
        })
    }

    /// Closes the database now, whoever still holds the store: queued writes finish, read
    /// connections close, then the writer's (the last one, so SQLite checkpoints the WAL and
    /// removes it). Later calls fail as unavailable. Dropping the store does the same.
    pub fn close(&self) {
        drop(
            self.readers
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .take(),
        );
        let checkpointer = self
            .checkpointer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(mut checkpointer) = checkpointer {
            checkpointer.stop();
        }
        self.writer.close();
    }

    /// Opens a private in-memory database with default settings.
    ///
    /// # Errors
    /// As [`SqliteStore::open`].
    pub fn in_memory() -> Result<Self, OpenError> {
        Self::open(&SqliteConfig::memory())
    }
}

fn reader_pool(
    path: &std::path::Path,
    config: &SqliteConfig,
) -> Result<Pool<SqliteConnectionManager>, OpenError> {
    let init_config = config.clone();
    let manager = SqliteConnectionManager::file(path)
        .with_flags(reader_flags())
        .with_init(move |conn| {
            apply_common_pragmas(conn, &init_config)?;
            conn.pragma_update(None, "query_only", true)
        });
    Ok(Pool::builder()
        .max_size(config.read_connections.max(1))
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(5))
        .build(manager)?)
}

impl InventoryStore for SqliteStore {
    fn write(&self, work: WriteWork) -> Result<(), InventoryError> {
        self.writer.write(work)
    }

    fn read(&self, work: ReadWork) -> Result<(), InventoryError> {
        if self.memory {
            return self.writer.read(work);
        }
        // Clone the pool handle (an Arc) so the lock is not held while reading.
        let pool = self
            .readers
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| InventoryError::unavailable("the store is closed"))?;
        let conn = pool.get().map_err(|error| {
            InventoryError::Unavailable(Failure::caused_by(
                "no read connection was free in time",
                error,
            ))
        })?;
        run_read(&conn, work)
    }

    fn on_commit(&self, listener: CommitListener) {
        self.listeners.add(listener);
    }

    fn close(&self) {
        SqliteStore::close(self);
    }

    fn check_health(&self) -> Result<(), InventoryError> {
        self.read(Box::new(|_| Ok(())))?;
        // A read can succeed on a database whose writer is stuck; ask the writer too.
        self.write(Box::new(|_| Ok(())))
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        self.close();
    }
}
