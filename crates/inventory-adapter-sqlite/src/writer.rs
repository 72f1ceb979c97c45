//! The writer: one thread owns the only writing connection and commits queued write requests
//! in groups (group commit).
//!
//! Requests queue in a bounded channel. The writer takes the first, then whatever else is
//! already waiting (up to `max_batch`), and runs them all in one `BEGIN IMMEDIATE`
//! transaction, each inside its own SAVEPOINT: a request that fails is rolled back alone and
//! the others commit. Callers hear back only after the COMMIT, so an acknowledged write is
//! durable. Under load this turns many fsyncs into one; with a single caller it is one
//! transaction per request, as without batching.
//!
//! Why a thread and not a mutex around a connection: the write lock is then held by exactly
//! one thread that never awaits, requests cannot starve each other, and batching falls out of
//! the queue for free.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use inventory_ports::{CommitListener, ErrorChain, InventoryError, ReadWork, WriteWork};
use rusqlite::Connection;

use crate::errors::{Kind, classify, to_inventory};
use crate::transaction::SqliteTx;

/// A request to the writer thread, with where to send its result.
pub(crate) enum Job {
    /// Run in the next write transaction.
    Write {
        work: WriteWork,
        done: SyncSender<Result<(), InventoryError>>,
    },
    /// Run on the writer's connection (in-memory databases have no other).
    Read {
        work: ReadWork,
        done: SyncSender<Result<(), InventoryError>>,
    },
}

/// Who to tell about commits.
#[derive(Default)]
pub(crate) struct Listeners {
    listeners: RwLock<Vec<CommitListener>>,
}

impl Listeners {
    pub(crate) fn add(&self, listener: CommitListener) {
        self.listeners
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .push(listener);
    }

    fn notify(&self, last_seq: u64) {
        for listener in self
            .listeners
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            listener(last_seq);
        }
    }
}

/// The handle to the writer thread. Dropping it lets the thread finish the queued requests,
/// close the connection (checkpointing the WAL) and exit.
pub(crate) struct Writer {
    jobs: Mutex<Option<SyncSender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

/// How long the writer keeps retrying to take the write lock from another process, on top of
/// SQLite's own busy timeout, before failing the batch as unavailable.
const LOCK_RETRY_WINDOW: Duration = Duration::from_secs(30);

impl Writer {
    pub(crate) fn spawn(
        conn: Connection,
        max_batch: usize,
        queue_capacity: usize,
        listeners: Arc<Listeners>,
    ) -> std::io::Result<Self> {
        let (jobs, queue) = sync_channel(queue_capacity.max(1));
        let thread = thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(conn, &queue, max_batch.max(1), &listeners))?;
        Ok(Self {
            jobs: Mutex::new(Some(jobs)),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Queues `job`'s work and waits for its result.
    pub(crate) fn submit(
        &self,
        job: impl FnOnce(SyncSender<Result<(), InventoryError>>) -> Job,
    ) -> Result<(), InventoryError> {
        let closed = || InventoryError::unavailable("the store is closed");
        let jobs = lock(&self.jobs).clone().ok_or_else(closed)?;
        let (done, result) = sync_channel(1);
        jobs.send(job(done)).map_err(|_| closed())?;
        result.recv().map_err(|_| closed())?
    }

    /// Lets the thread finish the queued requests, close its connection and exit; waits for
    /// it. Later requests fail as unavailable.
    pub(crate) fn close(&self) {
        drop(lock(&self.jobs).take());
        let thread = lock(&self.thread).take();
        if let Some(thread) = thread
            && thread.join().is_err()
        {
            tracing::error!("the SQLite writer thread panicked");
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.close();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn run(mut conn: Connection, queue: &Receiver<Job>, max_batch: usize, listeners: &Listeners) {
    let mut held_back: Option<Job> = None;
    loop {
        let first = match held_back.take() {
            Some(job) => job,
            None => match queue.recv() {
                Ok(job) => job,
                Err(_) => break, // every sender is gone: the store was dropped
            },
        };
        match first {
            Job::Read { work, done } => {
                let _ = done.send(run_read(&conn, work));
            }
            Job::Write { work, done } => {
                let mut batch = vec![(work, done)];
                while batch.len() < max_batch {
                    match queue.try_recv() {
                        Ok(Job::Write { work, done }) => batch.push((work, done)),
                        Ok(read) => {
                            held_back = Some(read);
                            break;
                        }
                        Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
                    }
                }
                commit_batch(&mut conn, batch, listeners);
            }
        }
    }
    if let Err((_, error)) = conn.close() {
        tracing::error!(%error, "closing the SQLite writer connection failed");
    }
}

/// Reads on the writer's own connection, inside a transaction for a consistent snapshot.
pub(crate) fn run_read(conn: &Connection, work: ReadWork) -> Result<(), InventoryError> {
    conn.execute_batch("BEGIN").map_err(to_inventory)?;
    let tx = SqliteTx::new(conn);
    let result = catch_unwind(AssertUnwindSafe(|| work(&tx)))
        .unwrap_or_else(|_| Err(InventoryError::internal("a read panicked")));
    let _ = conn.execute_batch("COMMIT");
    result
}

type Batch = Vec<(WriteWork, SyncSender<Result<(), InventoryError>>)>;

fn commit_batch(conn: &mut Connection, batch: Batch, listeners: &Listeners) {
    if let Err(error) = begin_immediate(conn) {
        for (_, done) in batch {
            let _ = done.send(Err(error.clone()));
        }
        return;
    }
    let mut results = Vec::with_capacity(batch.len());
    let mut last_seq = None;
    let mut broken: Option<InventoryError> = None;
    for (work, done) in batch {
        if let Some(error) = &broken {
            results.push((done, Err(error.clone())));
            continue;
        }
        match run_in_savepoint(conn, work) {
            Ok((result, seq)) => {
                if result.is_ok() {
                    last_seq = seq.or(last_seq);
                }
                results.push((done, result));
            }
            Err(error) => {
                // The savepoint machinery itself failed: the transaction may be gone.
                broken = Some(error.clone());
                results.push((done, Err(error)));
            }
        }
    }
    let committed = match broken {
        Some(error) => Err(error),
        None => commit(conn),
    };
    match committed {
        Ok(()) => {
            // Listeners first: when a write returns, whoever follows commits has been told.
            if let Some(seq) = last_seq {
                listeners.notify(seq);
            }
            for (done, result) in results {
                let _ = done.send(result);
            }
        }
        Err(error) => {
            let _ = conn.execute_batch("ROLLBACK");
            tracing::error!(error = %ErrorChain(&error), "a write batch failed to commit; nothing of it was kept");
            for (done, result) in results {
                // A request that failed on its own keeps its own error; the others learn that
                // nothing was kept.
                let _ = done.send(result.and(Err(error.clone())));
            }
        }
    }
}

/// Runs one request inside its own savepoint. The outer `Result` is the savepoint machinery's;
/// the inner one is the request's.
fn run_in_savepoint(
    conn: &Connection,
    work: WriteWork,
) -> Result<(Result<(), InventoryError>, Option<u64>), InventoryError> {
    conn.execute_batch("SAVEPOINT request")
        .map_err(to_inventory)?;
    let mut tx = SqliteTx::new(conn);
    let result = catch_unwind(AssertUnwindSafe(|| work(&mut tx))).unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        tracing::error!(%message, "a write request panicked; it was rolled back");
        Err(InventoryError::internal(format!(
            "a write request panicked: {message}"
        )))
    });
    let seq = tx.last_seq();
    if result.is_ok() {
        conn.execute_batch("RELEASE request")
            .map_err(to_inventory)?;
    } else {
        conn.execute_batch("ROLLBACK TO request; RELEASE request")
            .map_err(to_inventory)?;
    }
    Ok((result, seq))
}

/// Takes the write lock, retrying while another process holds it.
fn begin_immediate(conn: &Connection) -> Result<(), InventoryError> {
    let started = Instant::now();
    loop {
        match conn.execute_batch("BEGIN IMMEDIATE") {
            Ok(()) => return Ok(()),
            // busy_timeout already waited; keep trying for a while longer rather than fail a
            // whole batch because another process ran a long transaction.
            Err(error)
                if classify(&error) == Kind::Busy && started.elapsed() < LOCK_RETRY_WINDOW =>
            {
                tracing::warn!(%error, "the database is locked by another connection; retrying");
            }
            Err(error) => return Err(to_inventory(error)),
        }
    }
}

fn commit(conn: &Connection) -> Result<(), InventoryError> {
    let started = Instant::now();
    loop {
        match conn.execute_batch("COMMIT") {
            Ok(()) => return Ok(()),
            Err(error)
                if classify(&error) == Kind::Busy && started.elapsed() < LOCK_RETRY_WINDOW =>
            {
                tracing::warn!(%error, "commit is waiting for a lock; retrying");
            }
            Err(error) => return Err(to_inventory(error)),
        }
    }
}
