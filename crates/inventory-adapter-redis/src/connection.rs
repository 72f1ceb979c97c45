//! Redis connections with bounded waits: a call never hangs the relay while Redis is down.

use std::future::Future;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisError, RedisResult};

/// The longest any single Redis call may take before it is treated as a failure.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(3);

/// A reconnecting connection that does not connect until first used, so a server starts
/// while Redis is down. `response_timeout` bounds each command (a blocking read needs more
/// than its BLOCK time).
///
/// # Errors
/// Only for a malformed URL.
pub fn lazy_connection(url: &str, response_timeout: Duration) -> RedisResult<ConnectionManager> {
    let client = redis::Client::open(url)?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(1)))
        .set_response_timeout(Some(response_timeout))
        .set_number_of_retries(1)
        .set_min_delay(Duration::from_millis(50))
        .set_max_delay(Duration::from_millis(500));
    ConnectionManager::new_lazy_with_config(client, config)
}

/// Runs a Redis call with [`CALL_TIMEOUT`], turning a timeout into an I/O error.
///
/// # Errors
/// The call's error, or a timeout.
pub async fn bounded<T>(call: impl Future<Output = RedisResult<T>>) -> RedisResult<T> {
    bounded_for(CALL_TIMEOUT, call).await
}

/// Like [`bounded`] with a given limit.
///
/// # Errors
/// The call's error, or a timeout.
pub async fn bounded_for<T>(
    limit: Duration,
    call: impl Future<Output = RedisResult<T>>,
) -> RedisResult<T> {
    tokio::time::timeout(limit, call).await.unwrap_or_else(|_| {
        Err(RedisError::from(std::io::Error::from(
            std::io::ErrorKind::TimedOut,
        )))
    })
}
