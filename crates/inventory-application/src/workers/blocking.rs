//! Runs a storage call (synchronous: it waits for the database) on tokio's blocking pool,
//! never on an async worker thread, keeping the caller's tracing span.

use inventory_ports::{Failure, InventoryError};

/// Runs `work` on the blocking pool. A panic inside `work` becomes an internal error, not a
/// dead task.
///
/// # Errors
/// The error of `work`, or [`InventoryError::Internal`] when the blocking task failed.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, InventoryError> + Send + 'static,
) -> Result<T, InventoryError> {
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(work))
        .await
        .map_err(|error| {
            InventoryError::Internal(Failure::caused_by("a blocking task failed", error))
        })?
}
