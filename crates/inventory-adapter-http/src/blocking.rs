//! Runs a use case (blocking: it waits for SQLite) on actix's blocking pool, never on an async
//! worker, keeping the request's tracing span.

use actix_web::web;
use inventory_ports::InventoryError;

use crate::ApiError;

/// Runs `work` on the blocking pool and turns its error into an [`ApiError`]. A panic inside
/// `work` becomes a 500, not a dead worker.
///
/// # Errors
/// The use case's error, or an internal error when the blocking task failed.
pub async fn run<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, InventoryError> + Send + 'static,
) -> Result<T, ApiError> {
    let span = tracing::Span::current();
    web::block(move || span.in_scope(work))
        .await
        .map_err(|error| ApiError::Internal(format!("a blocking task failed: {error}")))?
        .map_err(ApiError::from)
}
