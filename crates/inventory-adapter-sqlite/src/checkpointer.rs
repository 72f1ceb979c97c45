//! Moves the WAL back into the database file from a thread of its own.
//!
//! By default SQLite checkpoints inside the commit that pushes the WAL past 1 000 pages, so
//! every so often one writer (and every request batched with it) waits for the whole copy and
//! its fsync: the slow tail of write latency. Here the writer's connection has automatic
//! checkpoints off, and this thread runs `PRAGMA wal_checkpoint(PASSIVE)` a few times a second:
//! passive checkpoints never block the writer or readers. The writer's last close still
//! checkpoints and removes the WAL.

use std::path::Path;
use std::sync::mpsc::{RecvTimeoutError, Sender, channel};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::connection::apply_common_pragmas;
use crate::{OpenError, SqliteConfig};

/// How often the WAL is checkpointed.
const INTERVAL: Duration = Duration::from_millis(250);

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
        let (stop, stopped) = channel::<()>();
        let thread = thread::Builder::new()
            .name("sqlite-checkpointer".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
                    if let Err(error) =
                        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                    {
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

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop();
    }
}
