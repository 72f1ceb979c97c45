//! Whether the broker (Redis) is reachable, as the relay last found it: `/health` reports it.

use std::sync::atomic::{AtomicU8, Ordering};

/// Shared between the relay (writer) and the health check (reader).
#[derive(Debug, Default)]
pub struct BrokerStatus(AtomicU8);

// 0, the default, means no attempt yet.
const CONNECTED: u8 = 1;
const DISCONNECTED: u8 = 2;

impl BrokerStatus {
    /// The broker answered.
    pub fn set_connected(&self) {
        self.0.store(CONNECTED, Ordering::Relaxed);
    }

    /// The broker did not answer.
    pub fn set_disconnected(&self) {
        self.0.store(DISCONNECTED, Ordering::Relaxed);
    }

    /// `Some(true)` when the last attempt reached the broker, `Some(false)` when it did not,
    /// `None` before the first attempt.
    pub fn is_connected(&self) -> Option<bool> {
        match self.0.load(Ordering::Relaxed) {
            CONNECTED => Some(true),
            DISCONNECTED => Some(false),
            _ => None,
        }
    }
}
