//! The relay: publishes the outbox to the stream in sequence order and marks what it
//! published. The design document's "sync worker", done properly:
//!
//! - woken by every local commit (plus a short poll for commits of other processes sharing
//!   the database), so an event reaches the stream milliseconds after its commit;
//! - while Redis is down it retries with capped exponential backoff; events wait in the
//!   outbox, the API keeps accepting writes, `/health` says degraded;
//! - idempotent: entry ids are sequence numbers, so a relay that died between XADD and marking
//!   repeats nothing and skips nothing;
//! - one relay at a time publishes (a lease in Redis), another takes over if it dies.

use std::sync::Arc;
use std::time::Duration;

use inventory_ports::{EventLog, EventPublisher, InventoryError, PublishError};
use time::OffsetDateTime;
use tokio::sync::{Notify, watch};

use crate::lease::RelayLease;
use crate::{ConnectionStatus, RedisSettings, RelayMetrics};

/// Why a relay round failed.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The outbox could not be read or marked.
    #[error("outbox: {0}")]
    Store(#[from] InventoryError),
    /// The stream refused or could not be reached.
    #[error("{0}")]
    Publish(#[from] PublishError),
    /// The lease could not be checked.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// The stream holds events this database never wrote: it belongs to another database
    /// (or this one was replaced). Publishing would silently skip events, so the relay stops
    /// publishing until an operator looks.
    #[error(
        "the stream already holds events up to seq {stream_top} but the outbox only reaches \
         {outbox_last}: is the stream shared with another database? Refusing to publish"
    )]
    StreamAhead {
        /// The stream's last sequence number.
        stream_top: u64,
        /// The outbox's last sequence number.
        outbox_last: u64,
    },
}

/// What a round did, which decides how long to wait before the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Round {
    /// Published a batch; there may be more.
    Published(usize),
    /// Nothing to publish.
    Idle,
    /// Another relay holds the lease.
    Follower,
}

/// The relay of one process.
pub struct Relay<P: EventPublisher> {
    events: EventLog,
    publisher: P,
    lease: Option<RelayLease>,
    wake: Arc<Notify>,
    status: Arc<ConnectionStatus>,
    metrics: Option<RelayMetrics>,
    settings: RedisSettings,
    stream_checked: bool,
}

impl<P: EventPublisher> Relay<P> {
    /// A relay publishing `events` through `publisher`. Without a lease it always publishes
    /// (one process, or tests).
    pub fn new(
        events: EventLog,
        publisher: P,
        lease: Option<RelayLease>,
        wake: Arc<Notify>,
        status: Arc<ConnectionStatus>,
        metrics: Option<RelayMetrics>,
        settings: RedisSettings,
    ) -> Self {
        Self {
            events,
            publisher,
            lease,
            wake,
            status,
            metrics,
            settings,
            stream_checked: false,
        }
    }

    /// Runs until `shutdown` turns true, then releases the lease.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!(stream = %self.settings.stream, "outbox relay started");
        let mut backoff = self.settings.min_backoff;
        loop {
            if *shutdown.borrow() {
                break;
            }
            let (pause, wake_early) = match self.round().await {
                Ok(Round::Published(_)) => {
                    backoff = self.settings.min_backoff;
                    continue;
                }
                Ok(Round::Idle) => {
                    backoff = self.settings.min_backoff;
                    (self.settings.poll_interval, true)
                }
                Ok(Round::Follower) => {
                    backoff = self.settings.min_backoff;
                    (self.settings.lease_ttl / 3, false)
                }
                Err(error) => {
                    self.on_failure(&error, backoff);
                    let pause = backoff;
                    backoff = (backoff * 2).min(self.settings.max_backoff);
                    (pause, false)
                }
            };
            tokio::select! {
                () = self.wake.notified(), if wake_early => {}
                () = tokio::time::sleep(pause) => {}
                // Also ends when the sender is gone, rather than spinning on a closed channel.
                _ = shutdown.wait_for(|stop| *stop) => break,
            }
        }
        self.flush_before_stopping().await;
        if let Some(lease) = &mut self.lease {
            lease.release().await;
        }
        tracing::info!("outbox relay stopped");
    }

    /// Publishes what the last requests committed, for a few seconds at most: on shutdown the
    /// relay stops after the HTTP server, so this is the last chance this process has.
    async fn flush_before_stopping(&mut self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
        while tokio::time::Instant::now() < deadline {
            match tokio::time::timeout_at(deadline, self.round()).await {
                Ok(Ok(Round::Published(_))) => {}
                _ => return,
            }
        }
    }

    fn on_failure(&mut self, error: &RelayError, retry_in: Duration) {
        // Only a failure to reach Redis makes `/health` blame Redis.
        if matches!(
            error,
            RelayError::Redis(_) | RelayError::Publish(PublishError::Unavailable(_))
        ) {
            self.status.set_disconnected();
        }
        self.stream_checked = false;
        if let Some(lease) = &mut self.lease {
            lease.forget();
        }
        if let Some(metrics) = &self.metrics {
            metrics.failures.inc();
            metrics.leader.set(0);
        }
        match error {
            RelayError::StreamAhead { .. } => {
                tracing::error!(%error, "outbox relay refuses to publish")
            }
            _ => {
                tracing::warn!(%error, retry_in_ms = retry_in.as_millis() as u64, "outbox relay cannot publish; events wait in the outbox")
            }
        }
    }

    /// One round: check the lease, publish a batch, mark it.
    ///
    /// # Errors
    /// When the outbox or Redis fails; nothing is lost, the next round retries.
    pub async fn round(&mut self) -> Result<Round, RelayError> {
        self.update_backlog().await?;
        if let Some(lease) = &mut self.lease {
            let leader = lease.hold().await?;
            self.status.set_connected();
            if let Some(metrics) = &self.metrics {
                metrics.leader.set(i64::from(leader));
            }
            if !leader {
                self.stream_checked = false;
                return Ok(Round::Follower);
            }
        }
        if !self.stream_checked {
            let stream_top = self.publisher.last_published_seq().await?;
            let outbox_last = blocking(&self.events, EventLog::last_seq).await?;
            if stream_top > outbox_last {
                return Err(RelayError::StreamAhead {
                    stream_top,
                    outbox_last,
                });
            }
            self.stream_checked = true;
        }
        let batch = self.settings.batch;
        let pending = blocking(&self.events, move |events| events.unpublished(batch)).await?;
        if pending.is_empty() {
            self.status.set_connected();
            return Ok(Round::Idle);
        }
        let happened: Vec<OffsetDateTime> = pending.iter().map(|e| e.occurred_at).collect();
        let count = pending.len();
        let up_to = self.publisher.publish(pending).await?;
        if self.settings.crash_after_publish {
            tracing::error!(
                up_to,
                "fault injection: the relay dies between XADD and marking"
            );
            std::process::exit(70);
        }
        blocking(&self.events, move |events| events.mark_published(up_to)).await?;
        self.status.set_connected();
        if let Some(metrics) = &self.metrics {
            let now = OffsetDateTime::now_utc();
            metrics.published.inc_by(count as u64);
            for at in happened {
                metrics
                    .latency
                    .observe((now - at).as_seconds_f64().max(0.0));
            }
        }
        Ok(Round::Published(count))
    }

    async fn update_backlog(&self) -> Result<(), RelayError> {
        let Some(metrics) = &self.metrics else {
            return Ok(());
        };
        let backlog = blocking(&self.events, EventLog::backlog).await?;
        metrics
            .backlog
            .set(i64::try_from(backlog.events).unwrap_or(i64::MAX));
        let age = backlog.oldest.map_or(0.0, |oldest| {
            (OffsetDateTime::now_utc() - oldest)
                .as_seconds_f64()
                .max(0.0)
        });
        metrics.oldest_age.set(age);
        Ok(())
    }
}

/// Runs an outbox call on the blocking pool (it waits for SQLite).
async fn blocking<T: Send + 'static>(
    events: &EventLog,
    call: impl FnOnce(&EventLog) -> Result<T, InventoryError> + Send + 'static,
) -> Result<T, InventoryError> {
    let events = events.clone();
    tokio::task::spawn_blocking(move || call(&events))
        .await
        .map_err(|error| InventoryError::Internal(format!("outbox task failed: {error}")))?
}
