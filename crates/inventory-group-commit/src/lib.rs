//! # inventory-group-commit
//!
//! The writer every storage adapter shares: one thread owns the only writing connection and
//! commits queued write requests in groups (group commit).
//!
//! Requests queue in a bounded channel. The writer takes the first, then whatever else is
//! already waiting (up to `max_batch`), and runs them all in one transaction, each inside its
//! own savepoint: a request that fails (or panics) is rolled back alone and the others commit.
//! Callers hear back only after the commit, so an acknowledged write is durable, and the
//! commit listeners hear of it before any caller does. Under load this turns many commits
//! (and their fsyncs, and their row-lock hold times) into one; with a single caller it is one
//! transaction per request, as without batching.
//!
//! Why a thread and not a mutex around a connection: the write lock is then held by exactly
//! one thread that never awaits, requests cannot starve each other, and batching falls out of
//! the queue for free.
//!
//! An adapter provides the SQL of each step by implementing [`BatchConnection`]; everything
//! else (the queue, batching, savepoint discipline, panics, answering, listeners, closing) is
//! here, once.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::sync::{Mutex, MutexGuard, RwLock};
use std::thread::{self, JoinHandle};

use inventory_ports::{CommitListener, ErrorChain, InventoryError, ReadWork, WriteWork};

/// The steps of a batch on one adapter's writing connection.
pub trait BatchConnection: Send + 'static {
    /// Opens the batch's transaction (waiting for, or retrying, the database's write lock as
    /// the adapter sees fit).
    ///
    /// # Errors
    /// When no transaction could be opened; every request of the batch gets this error.
    fn begin(&mut self) -> Result<(), InventoryError>;

    /// Marks where the next request starts.
    ///
    /// # Errors
    /// When the transaction is broken; the batch is abandoned.
    fn savepoint(&mut self) -> Result<(), InventoryError>;

    /// Runs one request's work on this connection, inside the transaction.
    ///
    /// # Errors
    /// The error `work` returned (the writer then rolls back to the savepoint).
    fn execute(&mut self, work: WriteWork) -> Result<(), InventoryError>;

    /// Keeps what the request since the last savepoint did.
    ///
    /// # Errors
    /// When the transaction is broken; the batch is abandoned.
    fn release(&mut self) -> Result<(), InventoryError>;

    /// Undoes what the request since the last savepoint did, and forgets the savepoint.
    ///
    /// # Errors
    /// When the transaction is broken; the batch is abandoned.
    fn rollback_to_savepoint(&mut self) -> Result<(), InventoryError>;

    /// Commits the batch; returns the highest event sequence number it committed, if it wrote
    /// events.
    ///
    /// # Errors
    /// When the commit failed: nothing of the batch was kept (the writer rolls back).
    fn commit(&mut self) -> Result<Option<u64>, InventoryError>;

    /// Abandons the batch's transaction.
    fn rollback(&mut self);

    /// Runs a read on the writing connection, for stores that have no other (an in-memory
    /// database).
    ///
    /// # Errors
    /// The error `work` returned; by default this store reads elsewhere and refuses.
    fn read(&mut self, work: ReadWork) -> Result<(), InventoryError> {
        let _ = work;
        Err(InventoryError::internal(
            "this store's reads do not go through its writer",
        ))
    }

    /// Closes the connection when the writer stops.
    fn close(self);
}

/// Who to tell about commits.
#[derive(Default)]
pub struct Listeners {
    listeners: RwLock<Vec<CommitListener>>,
}

impl Listeners {
    /// Adds a listener.
    pub fn add(&self, listener: CommitListener) {
        self.listeners
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .push(listener);
    }

    /// Tells every listener that events up to `last_seq` committed.
    pub fn notify(&self, last_seq: u64) {
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

/// A request to the writer thread, with where to send its result.
enum Job {
    Write(WriteWork, SyncSender<Result<(), InventoryError>>),
    Read(ReadWork, SyncSender<Result<(), InventoryError>>),
}

/// The handle to the writer thread. Dropping it lets the thread finish the queued requests,
/// close its connection and exit.
pub struct Writer {
    jobs: Mutex<Option<SyncSender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Writer {
    /// Starts a writer thread named `name` over `conn`, committing up to `max_batch` requests
    /// per transaction, with room for `queue_capacity` waiting requests.
    ///
    /// # Errors
    /// When the thread cannot be started.
    pub fn spawn(
        name: &str,
        conn: impl BatchConnection,
        max_batch: usize,
        queue_capacity: usize,
        listeners: std::sync::Arc<Listeners>,
    ) -> std::io::Result<Self> {
        let (jobs, queue) = sync_channel(queue_capacity.max(1));
        let thread = thread::Builder::new()
            .name(name.into())
            .spawn(move || run(conn, &queue, max_batch.max(1), &listeners))?;
        Ok(Self {
            jobs: Mutex::new(Some(jobs)),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Queues `work` for the next batch and waits until its batch committed (or failed).
    ///
    /// # Errors
    /// The request's own error; the batch's when it failed to commit;
    /// [`InventoryError::Unavailable`] once the writer is closed.
    pub fn write(&self, work: WriteWork) -> Result<(), InventoryError> {
        self.submit(|done| Job::Write(work, done))
    }

    /// Runs `work` on the writer's connection, between batches.
    ///
    /// # Errors
    /// The error of `work`; [`InventoryError::Unavailable`] once the writer is closed.
    pub fn read(&self, work: ReadWork) -> Result<(), InventoryError> {
        self.submit(|done| Job::Read(work, done))
    }

    fn submit(
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
    pub fn close(&self) {
        drop(lock(&self.jobs).take());
        let thread = lock(&self.thread).take();
        if let Some(thread) = thread
            && thread.join().is_err()
        {
            tracing::error!("a storage writer thread panicked");
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.close();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn run(
    mut conn: impl BatchConnection,
    queue: &Receiver<Job>,
    max_batch: usize,
    listeners: &Listeners,
) {
    let mut held_back: Option<Job> = None;
    loop {
        let first = match held_back.take() {
            Some(job) => job,
            None => match queue.recv() {
                Ok(job) => job,
                Err(_) => break, // every sender is gone: the store was closed or dropped
            },
        };
        match first {
            Job::Read(work, done) => {
                let result = catch_unwind(AssertUnwindSafe(|| conn.read(work)))
                    .unwrap_or_else(|_| Err(InventoryError::internal("a read panicked")));
                let _ = done.send(result);
            }
            Job::Write(work, done) => {
                let mut batch = vec![(work, done)];
                while batch.len() < max_batch {
                    match queue.try_recv() {
                        Ok(Job::Write(work, done)) => batch.push((work, done)),
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
    conn.close();
}

type Batch = Vec<(WriteWork, SyncSender<Result<(), InventoryError>>)>;

fn commit_batch(conn: &mut impl BatchConnection, batch: Batch, listeners: &Listeners) {
    if let Err(error) = conn.begin() {
        for (_, done) in batch {
            let _ = done.send(Err(error.clone()));
        }
        return;
    }
    let mut results = Vec::with_capacity(batch.len());
    let mut broken: Option<InventoryError> = None;
    for (work, done) in batch {
        if let Some(error) = &broken {
            results.push((done, Err(error.clone())));
            continue;
        }
        let (result, machinery) = run_request(conn, work);
        if let Some(error) = machinery {
            // The savepoint machinery itself failed: the transaction may be gone. The request
            // keeps its own error when it had one; the others learn the batch's.
            broken = Some(error);
        }
        results.push((done, result));
    }
    let committed = match broken {
        Some(error) => Err(error),
        None => conn.commit(),
    };
    match committed {
        Ok(last_seq) => {
            // Listeners first: when a write returns, whoever follows commits has been told.
            if let Some(seq) = last_seq {
                listeners.notify(seq);
            }
            for (done, result) in results {
                let _ = done.send(result);
            }
        }
        Err(error) => {
            conn.rollback();
            tracing::error!(error = %ErrorChain(&error), "a write batch failed to commit; nothing of it was kept");
            for (done, result) in results {
                // A request that failed on its own keeps its own error; the others learn that
                // nothing was kept.
                let _ = done.send(result.and(Err(error.clone())));
            }
        }
    }
}

/// Runs one request inside its own savepoint. Returns the request's result, and the savepoint
/// machinery's error if it failed (the batch is then abandoned).
fn run_request(
    conn: &mut impl BatchConnection,
    work: WriteWork,
) -> (Result<(), InventoryError>, Option<InventoryError>) {
    if let Err(error) = conn.savepoint() {
        return (Err(error.clone()), Some(error));
    }
    let result = catch_unwind(AssertUnwindSafe(|| conn.execute(work))).unwrap_or_else(|panic| {
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
    let machinery = if result.is_ok() {
        conn.release().err()
    } else {
        conn.rollback_to_savepoint().err()
    };
    // A request that succeeded in a batch the machinery broke learns the batch's error when
    // the batch is not committed (`commit_batch`).
    (result, machinery)
}
