//! How to open a SQLite inventory: where, how durable, how concurrent.

use std::path::PathBuf;
use std::time::Duration;

/// Where the database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A database file, created if missing.
    File(PathBuf),
    /// A private in-memory database that disappears with the store. One connection serves
    /// reads and writes.
    Memory,
}

/// SQLite's `synchronous` setting: what a commit waits for before it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    /// Each commit reaches the disk before it is acknowledged: survives a power cut. The
    /// default, because an acknowledged reservation must not vanish.
    #[default]
    Full,
    /// In WAL mode, commits survive a crash of the process but the last ones may be lost on
    /// power failure. About three times as many single-row commits per second.
    Normal,
    /// No syncing at all: for throwaway databases only.
    Off,
}

impl Synchronous {
    /// The pragma value.
    pub fn as_pragma(self) -> &'static str {
        match self {
            Self::Full => "FULL",
            Self::Normal => "NORMAL",
            Self::Off => "OFF",
        }
    }
}

impl std::str::FromStr for Synchronous {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_uppercase().as_str() {
            "FULL" => Ok(Self::Full),
            "NORMAL" => Ok(Self::Normal),
            "OFF" => Ok(Self::Off),
            other => Err(format!(
                "unknown synchronous mode {other:?}: use FULL, NORMAL or OFF"
            )),
        }
    }
}

/// Settings of a [`crate::SqliteStore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteConfig {
    /// Where the database lives.
    pub location: Location,
    /// What a commit waits for.
    pub synchronous: Synchronous,
    /// How long to wait for another process's write lock before reporting the store
    /// unavailable. Only other processes contend: in-process writers are queued.
    pub busy_timeout: Duration,
    /// Read connections in the pool (file databases only).
    pub read_connections: u32,
    /// The most write requests committed in one transaction (group commit). 1 disables
    /// batching; every request still gets its own savepoint.
    pub max_batch: usize,
    /// Write requests that may wait for the writer before callers block.
    pub queue_capacity: usize,
}

impl SqliteConfig {
    /// Defaults for a database file at `path`.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Self {
            location: Location::File(path.into()),
            ..Self::memory()
        }
    }

    /// Defaults for a private in-memory database.
    pub fn memory() -> Self {
        Self {
            location: Location::Memory,
            synchronous: Synchronous::default(),
            busy_timeout: Duration::from_secs(5),
            read_connections: 8,
            max_batch: 64,
            queue_capacity: 4096,
        }
    }
}
