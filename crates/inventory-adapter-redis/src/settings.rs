//! How the Redis side behaves.

use std::time::Duration;

/// Settings of the relay and the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisSettings {
    /// `redis://host:port/db`.
    pub url: String,
    /// The stream events are published to.
    pub stream: String,
    /// `XADD ... MAXLEN ~ N`: roughly how many entries the stream keeps. The outbox keeps them
    /// all; the stream is for live consumers.
    pub max_len: u64,
    /// Events published per round trip.
    pub batch: u32,
    /// How often the relay looks at the outbox without being woken (commits from other
    /// processes sharing the database do not wake it).
    pub poll_interval: Duration,
    /// How long the relay lease lasts without renewal: a new relay takes over within this
    /// time of the old one dying.
    pub lease_ttl: Duration,
    /// First wait after a failure; doubles up to `max_backoff`.
    pub min_backoff: Duration,
    /// Longest wait between attempts while Redis is down.
    pub max_backoff: Duration,
    /// Test-only fault: exit the process right after publishing, before marking the events
    /// published (a relay killed between XADD and the outbox update).
    pub crash_after_publish: bool,
}

impl RedisSettings {
    /// Defaults for `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            stream: "inventory:events".into(),
            max_len: 1_000_000,
            batch: 500,
            poll_interval: Duration::from_millis(100),
            lease_ttl: Duration::from_secs(5),
            min_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(5),
            crash_after_publish: false,
        }
    }

    /// The key of the relay lease, next to the stream.
    pub fn lease_key(&self) -> String {
        format!("{}:relay-lease", self.stream)
    }
}
