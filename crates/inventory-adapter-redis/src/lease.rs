//! The relay lease, the [`Leadership`] port on Redis: only one relay publishes at a time, and
//! another takes over within the lease's time to live if it dies.
//!
//! Publishing is idempotent anyway (entry ids are sequence numbers), so the lease is about
//! not doing the work twice, not about correctness: two relays racing would still leave each
//! event in the stream once, in order.

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use inventory_ports::{Leadership, LeaseFuture, PublishError};
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, ExistenceCheck, RedisResult, Script, SetExpiry, SetOptions};

use crate::connection::bounded;

static RENEW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end",
    )
});

static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end",
    )
});

/// One relay's claim on the right to publish.
pub struct RelayLease {
    connection: ConnectionManager,
    key: String,
    holder: String,
    ttl: Duration,
    /// When the lease was last taken or renewed, while held.
    held_since: Option<Instant>,
}

impl RelayLease {
    /// A lease on `key` for a holder with a unique name.
    pub fn new(connection: ConnectionManager, key: String, ttl: Duration) -> Self {
        Self {
            connection,
            key,
            holder: format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()),
            ttl,
            held_since: None,
        }
    }

    /// True while this relay holds the lease: takes it when free, renews it once a third of
    /// its time to live has passed.
    ///
    /// # Errors
    /// When Redis cannot be reached (the lease is then considered lost).
    pub async fn hold(&mut self) -> RedisResult<bool> {
        let ttl_ms = u64::try_from(self.ttl.as_millis()).unwrap_or(u64::MAX);
        let result = match self.held_since {
            Some(since) if since.elapsed() < self.ttl / 3 => return Ok(true),
            Some(_) => {
                let renewed: i64 = bounded(
                    RENEW
                        .key(&self.key)
                        .arg(&self.holder)
                        .arg(ttl_ms)
                        .invoke_async(&mut self.connection),
                )
                .await?;
                renewed == 1
            }
            None => {
                let options = SetOptions::default()
                    .conditional_set(ExistenceCheck::NX)
                    .with_expiration(SetExpiry::PX(ttl_ms));
                let taken: bool = bounded(self.connection.set_options(
                    &self.key,
                    &self.holder,
                    options,
                ))
                .await?;
                // Still ours after a connection blip that made us forget it?
                taken
                    || bounded(self.connection.get::<_, Option<String>>(&self.key))
                        .await?
                        .as_deref()
                        == Some(self.holder.as_str())
            }
        };
        let was_held = self.held_since.is_some();
        self.held_since = result.then(Instant::now);
        if result && !was_held {
            tracing::info!(lease = %self.key, "this relay now publishes the outbox");
        } else if !result && was_held {
            tracing::warn!(lease = %self.key, "this relay lost its lease; another one publishes");
        }
        Ok(result)
    }

    /// Lets another relay take over at once (on shutdown).
    pub async fn release(&mut self) {
        if self.held_since.take().is_some() {
            let released: RedisResult<i64> = bounded(
                RELEASE
                    .key(&self.key)
                    .arg(&self.holder)
                    .invoke_async(&mut self.connection),
            )
            .await;
            if let Err(error) = released {
                tracing::warn!(%error, "could not release the relay lease; it expires by itself");
            }
        }
    }

    /// Forgets the lease without telling Redis (after a connection failure).
    pub fn forget(&mut self) {
        self.held_since = None;
    }
}

impl Leadership for RelayLease {
    fn hold(&mut self) -> LeaseFuture<'_, Result<bool, PublishError>> {
        Box::pin(async move {
            RelayLease::hold(self)
                .await
                .map_err(|error| PublishError::Unavailable(format!("redis: {error}")))
        })
    }

    fn forget(&mut self) {
        RelayLease::forget(self);
    }

    fn release(&mut self) -> LeaseFuture<'_, ()> {
        Box::pin(RelayLease::release(self))
    }
}
