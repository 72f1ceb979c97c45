//! SQLite's steps of a group-commit batch (the writer thread itself is
//! `inventory-group-commit`, shared by every adapter): `BEGIN IMMEDIATE`, a `SAVEPOINT` per
//! request, `COMMIT`.
//!
//! `BEGIN IMMEDIATE` takes SQLite's write lock before the first read, so the read-check-write
//! of a reservation is never interleaved with another process's writer; a deferred transaction
//! would fail with `SQLITE_BUSY` on its upgrade. While another process holds the lock, the
//! writer keeps trying for `busy_timeout` (SQLite's own wait, then retries if SQLite gave up
//! early) and then fails the batch as unavailable: a client waits seconds for a 503, never
//! minutes.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::{Duration, Instant};

use inventory_group_commit::BatchConnection;
use inventory_ports::{InventoryError, ReadWork, WriteWork};
use rusqlite::Connection;

use crate::checkpointer::{RESTART_AFTER_FRAMES, WalTooLong};
use crate::errors::{Kind, classify, to_inventory};
use crate::transaction::SqliteTx;

/// The writing connection, and the highest event seq of the batch so far.
pub(crate) struct SqliteBatch {
    conn: Connection,
    /// How long to keep trying for another process's write lock.
    lock_wait: Duration,
    /// The highest seq written by the request running now (kept if it is released).
    request_seq: Option<u64>,
    /// The highest seq written by the batch's released requests.
    batch_seq: Option<u64>,
    /// Raised by the checkpointer when the WAL needs starting over.
    wal_too_long: Arc<WalTooLong>,
    /// The writer is finishing checkpoints until the log starts over.
    restarting: bool,
}

impl SqliteBatch {
    pub(crate) fn new(
        conn: Connection,
        lock_wait: Duration,
        wal_too_long: Arc<WalTooLong>,
    ) -> Self {
        Self {
            conn,
            lock_wait,
            request_seq: None,
            batch_seq: None,
            wal_too_long,
            restarting: false,
        }
    }

    /// The checkpointer copied nearly all of a long log: copy the rest here, between two
    /// batches, so a following write starts the log over (see `checkpointer`). A reader on an
    /// older snapshot can hold either step back, so this repeats after each commit until the
    /// log is short again; true while it is not.
    fn finish_checkpoint(&self) -> bool {
        match self
            .conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
                row.get::<_, i64>(1)
            }) {
            Ok(frames) => frames > RESTART_AFTER_FRAMES,
            Err(error) => {
                tracing::warn!(%error, "the writer's WAL checkpoint failed; the checkpointer retries");
                false
            }
        }
    }
}

impl BatchConnection for SqliteBatch {
    fn begin(&mut self) -> Result<(), InventoryError> {
        self.batch_seq = None;
        retry_while_locked(&self.conn, "BEGIN IMMEDIATE", self.lock_wait)
    }

    fn savepoint(&mut self) -> Result<(), InventoryError> {
        self.request_seq = None;
        self.conn
            .execute_batch("SAVEPOINT request")
            .map_err(to_inventory)
    }

    fn execute(&mut self, work: WriteWork) -> Result<(), InventoryError> {
        let mut tx = SqliteTx::new(&self.conn);
        let result = work(&mut tx);
        self.request_seq = tx.last_seq();
        result
    }

    fn release(&mut self) -> Result<(), InventoryError> {
        self.conn
            .execute_batch("RELEASE request")
            .map_err(to_inventory)?;
        self.batch_seq = self.request_seq.or(self.batch_seq);
        Ok(())
    }

    fn rollback_to_savepoint(&mut self) -> Result<(), InventoryError> {
        self.request_seq = None;
        self.conn
            .execute_batch("ROLLBACK TO request; RELEASE request")
            .map_err(to_inventory)
    }

    fn commit(&mut self) -> Result<Option<u64>, InventoryError> {
        retry_while_locked(&self.conn, "COMMIT", self.lock_wait)?;
        if self.wal_too_long.take() || self.restarting {
            self.restarting = self.finish_checkpoint();
        }
        Ok(self.batch_seq.take())
    }

    fn rollback(&mut self) {
        self.batch_seq = None;
        let _ = self.conn.execute_batch("ROLLBACK");
    }

    fn read(&mut self, work: ReadWork) -> Result<(), InventoryError> {
        run_read(&self.conn, work)
    }

    fn close(self) {
        if let Err((_, error)) = self.conn.close() {
            tracing::error!(%error, "closing the SQLite writer connection failed");
        }
    }
}

/// Reads on a connection, inside a transaction for a consistent snapshot.
pub(crate) fn run_read(conn: &Connection, work: ReadWork) -> Result<(), InventoryError> {
    conn.execute_batch("BEGIN").map_err(to_inventory)?;
    let tx = SqliteTx::new(conn);
    let result = catch_unwind(AssertUnwindSafe(|| work(&tx)))
        .unwrap_or_else(|_| Err(InventoryError::internal("a read panicked")));
    let _ = conn.execute_batch("COMMIT");
    result
}

/// Runs `sql`, retrying while another process holds the lock, for `lock_wait` at most.
fn retry_while_locked(
    conn: &Connection,
    sql: &str,
    lock_wait: Duration,
) -> Result<(), InventoryError> {
    let started = Instant::now();
    loop {
        match conn.execute_batch(sql) {
            Ok(()) => return Ok(()),
            // SQLite may give up before busy_timeout (a lock taken while it recovered the WAL,
            // say): keep trying until the whole wait has passed.
            Err(error) if classify(&error) == Kind::Busy && started.elapsed() < lock_wait => {
                std::thread::sleep(Duration::from_millis(5));
                tracing::warn!(%error, statement = sql, "the database is locked by another connection; retrying");
            }
            Err(error) => return Err(to_inventory(error)),
        }
    }
}
