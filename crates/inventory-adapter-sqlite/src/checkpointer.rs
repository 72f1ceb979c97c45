//! Moves the WAL back into the database file from a thread of its own.
//!
//! By default SQLite checkpoints inside the commit that pushes the WAL past 1 000 pages, so
//! every so often one writer (and every request batched with it) waits for the whole copy and
//! its fsync: the slow tail of write latency. Here the writer's connection has automatic
//! checkpoints off, and this thread runs `PRAGMA wal_checkpoint(PASSIVE)` a few times a second:
//! passive checkpoints never block the writer or readers. The writer's last close still
//! checkpoints and removes the WAL.
//!
//! A passive checkpoint off the writer's thread alone lets the WAL grow without bound under
//! steady writes: SQLite starts the log over only when a write begins after a checkpoint
//! copied every frame, and a commit nearly always lands in between (the fault suite filled a
//! 24 MiB disk in 20 s this way). So when this thread finds the log longer than
//! [`RESTART_AFTER_FRAMES`] it raises [`WalTooLong`] and looks again sooner
//! ([`LONG_WAL_INTERVAL`]); the writer, after its next commits, runs a passive checkpoint
//! itself, which has only the frames of the last few batches left to copy, until one of its
//! writes has started the log over (`journal_size_limit` then trims a file a burst grew).
//! Nothing waits on anything: a truncating checkpoint here, tried first, holds writers back
//! while it waits for readers, and multiplied the in-process p99 by twenty in the benchmark.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{RecvTimeoutError, Sender, channel};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::connection::apply_common_pragmas;
use crate::{OpenError, SqliteConfig};

/// How often the WAL is checkpointed.
const INTERVAL: Duration = Duration::from_millis(250);

/// How often while the log is long, so the writer hears of it before it grows much longer.
const LONG_WAL_INTERVAL: Duration = Duration::from_millis(50);

/// A WAL longer than this (SQLite's own automatic checkpoint size, about 4 MiB of 4 KiB pages)
/// is started over by the writer.
pub(crate) const RESTART_AFTER_FRAMES: i64 = 1000;

/// Raised by the checkpointer when the WAL has grown past [`RESTART_AFTER_FRAMES`]; taken by
/// the writer, which then finishes the checkpoint on its own connection so that one of its
/// next writes starts the log over.
#[derive(Debug, Default)]
pub(crate) struct WalTooLong(AtomicBool);

impl WalTooLong {
    /// True once after each raise.
    pub(crate) fn take(&self) -> bool {
        self.0.swap(false, Ordering::Relaxed)
    }

    fn raise(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// The running checkpointer; stops when dropped.
pub(crate) struct Checkpointer {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts checkpointing the database at `path`, raising `too_long` when the writer should
    /// start the log over.
    pub(crate) fn start(
        path: &Path,
        config: &SqliteConfig,
        too_long: Arc<WalTooLong>,
    ) -> Result<Self, OpenError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        apply_common_pragmas(&conn, config)?;
        let (stop, stopped) = channel::<()>();
        let thread = thread::Builder::new()
            .name("sqlite-checkpointer".into())
            .spawn(move || {
                let mut pause = INTERVAL;
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(pause) {
                    pause = match checkpoint(&conn) {
                        Ok(frames) if frames > RESTART_AFTER_FRAMES => {
                            too_long.raise();
                            LONG_WAL_INTERVAL
                        }
                        Ok(_) => INTERVAL,
                        Err(error) => {
                            tracing::warn!(%error, "WAL checkpoint failed; retrying");
                            INTERVAL
                        }
                    };
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

/// A passive checkpoint; how many frames the log holds.
fn checkpoint(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| row.get(1))
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop();
    }
}
