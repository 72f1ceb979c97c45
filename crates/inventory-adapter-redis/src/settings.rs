//! Where events go in Redis.

use std::time::Duration;

/// The stream and the lease of the relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisSettings {
    /// `redis://host:port/db`.
    pub url: String,
    /// The stream events are published to.
    pub stream: String,
    /// `XADD ... MAXLEN ~ N`: roughly how many entries the stream keeps. The outbox keeps them
    /// all; the stream is for live consumers.
    pub max_len: u64,
    /// How long the relay lease lasts without renewal: a new relay takes over within this
    /// time of the old one dying.
    pub lease_ttl: Duration,
}

impl RedisSettings {
    /// Defaults for `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            stream: "inventory:events".into(),
            max_len: 1_000_000,
            lease_ttl: Duration::from_secs(5),
        }
    }

    /// The key of the relay lease, next to the stream.
    pub fn lease_key(&self) -> String {
        format!("{}:relay-lease", self.stream)
    }
}
