//! How many live streams may be open: in all, and per client.
//!
//! The total is a semaphore, so checking it and counting a new stream are one atomic step (a
//! burst of connections cannot all pass the check together). Per client (the token's subject,
//! or the address of an anonymous client) a count in a map. A [`StreamPermit`] lives exactly as
//! long as its stream's response body: when the client goes and the server drops the body, the
//! permit goes back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::ApiError;

/// The caps, shared by every worker of the server.
#[derive(Clone)]
pub struct StreamLimits {
    total: Arc<Semaphore>,
    per_client: usize,
    open: Arc<Mutex<HashMap<String, usize>>>,
}

impl StreamLimits {
    /// Streams one instance keeps open at most, unless configured otherwise.
    pub const DEFAULT_TOTAL: usize = 1000;
    /// Streams one client keeps open at most, unless configured otherwise.
    pub const DEFAULT_PER_CLIENT: usize = 8;
    /// How long a refused client is told to wait, in seconds.
    pub const RETRY_AFTER_SECONDS: u64 = 5;

    /// At most `total` streams, `per_client` of them for one client.
    pub fn new(total: usize, per_client: usize) -> Self {
        Self {
            total: Arc::new(Semaphore::new(total.max(1))),
            per_client: per_client.max(1),
            open: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// A permit for one more stream of `client`.
    ///
    /// # Errors
    /// [`ApiError::TooManyStreams`] when the client has its share open, or the instance is
    /// full.
    pub fn acquire(&self, client: String) -> Result<StreamPermit, ApiError> {
        // The instance's place first, and the client's entry only once it is granted: a
        // refused client leaves nothing behind (a full instance under attack by many
        // addresses must not grow the map).
        let total = Arc::clone(&self.total)
            .try_acquire_owned()
            .map_err(|_| ApiError::TooManyStreams { per_client: false })?;
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if open
            .get(&client)
            .is_some_and(|count| *count >= self.per_client)
        {
            return Err(ApiError::TooManyStreams { per_client: true });
        }
        *open.entry(client.clone()).or_default() += 1;
        Ok(StreamPermit {
            _total: total,
            client,
            open: Arc::clone(&self.open),
        })
    }

    /// Streams open now.
    pub fn open(&self) -> usize {
        self.open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .sum()
    }
}

impl Default for StreamLimits {
    fn default() -> Self {
        Self::new(Self::DEFAULT_TOTAL, Self::DEFAULT_PER_CLIENT)
    }
}

/// One open stream's place; given back when dropped.
pub struct StreamPermit {
    _total: OwnedSemaphorePermit,
    client: String,
    open: Arc<Mutex<HashMap<String, usize>>>,
}

impl Drop for StreamPermit {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = open.get_mut(&self.client) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permits_are_capped_in_all_and_per_client_and_come_back_when_dropped() {
        let limits = StreamLimits::new(3, 2);
        let a1 = limits.acquire("a".into()).expect("a's first");
        let _a2 = limits.acquire("a".into()).expect("a's second");
        assert!(matches!(
            limits.acquire("a".into()),
            Err(ApiError::TooManyStreams { per_client: true })
        ));
        let _b1 = limits.acquire("b".into()).expect("b's first");
        assert!(matches!(
            limits.acquire("c".into()),
            Err(ApiError::TooManyStreams { per_client: false })
        ));
        assert_eq!(limits.open(), 3);
        drop(a1);
        assert_eq!(limits.open(), 2);
        limits.acquire("c".into()).expect("a place came back");
    }

    #[test]
    fn refused_clients_leave_nothing_behind() {
        let limits = StreamLimits::new(1, 1);
        let _only = limits.acquire("a".into()).expect("the one place");
        for client in 0..100 {
            assert!(limits.acquire(format!("client-{client}")).is_err());
        }
        assert!(limits.acquire("a".into()).is_err());
        let tracked = limits.open.lock().expect("lock").len();
        assert_eq!(tracked, 1, "only the client holding a place is tracked");
    }
}
