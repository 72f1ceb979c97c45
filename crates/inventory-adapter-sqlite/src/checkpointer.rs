//! Moves the WAL back into the database file from a thread of its own.
//!
//! By default SQLite checkpoints inside the commit that pushes the WAL past 1 000 pages, so
//! every so often one writer (and every request batched with it) waits for the whole copy and
//! its fsync: the slow tail of write latency. Here the writer's connection has automatic
//! checkpoints off, and this thread runs `PRAGMA wal_checkpoint(PASSIVE)` a few times a second:
//! passive checkpoints never block the writer or readers. The writer's last close still
//! checkpoints and removes the WAL.
//!
//! A passive checkpoint alone lets the WAL grow without bound under steady writes: SQLite
//! starts the log over only when a write begins after a checkpoint copied every frame, and off
//! the writer's thread a commit nearly always lands in between (the fault suite filled a 24 MiB
//! disk in 20 s this way). So when the log holds more than [`TRUNCATE_AFTER_FRAMES`] frames the
//! thread also runs `wal_checkpoint(TRUNCATE)`: it waits briefly for the writer and readers,
//! copies the rest and empties the WAL file (giving its space back). It gives up after
//! [`TRUNCATE_WAIT`] and tries again next time rather than hold writers back.

use std::path::Path;
use std::sync::mpsc::{RecvTimeoutError, Sender, channel};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::connection::apply_common_pragmas;
use crate::{OpenError, SqliteConfig};

/// How often the WAL is checkpointed.
const INTERVAL: Duration = Duration::from_millis(250);

/// A WAL longer than this (SQLite's own automatic checkpoint size, about 4 MiB of 4 KiB pages)
/// is truncated.
const TRUNCATE_AFTER_FRAMES: i64 = 1000;

/// How long a truncating checkpoint waits for the writer and readers before giving up.
const TRUNCATE_WAIT: Duration = Duration::from_millis(100);

/// The running checkpointer; stops when dropped.
pub(crate) struct Checkpointer {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts checkpointing the database at `path`.
    pub(crate) fn start(path: &Path, config: &SqliteConfig) -> Result<Self, OpenError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        apply_common_pragmas(&conn, config)?;
        // Passive checkpoints never wait; a truncating one waits this long at most.
        conn.busy_timeout(TRUNCATE_WAIT)?;
        let (stop, stopped) = channel::<()>();
        let thread = thread::Builder::new()
            .name("sqlite-checkpointer".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
                    if let Err(error) = checkpoint(&conn) {
                        tracing::warn!(%error, "WAL checkpoint failed; retrying");
                    }
                }
            })
            .map_err(|source| OpenError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Self {
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Stops the thread and waits for it (and its connection) to end.
    pub(crate) fn stop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A passive checkpoint, then a truncating one when the log has grown long.
fn checkpoint(conn: &Connection) -> rusqlite::Result<()> {
    let frames: i64 = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| row.get(1))?;
    if frames > TRUNCATE_AFTER_FRAMES {
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    }
    Ok(())
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop();
    }
}
