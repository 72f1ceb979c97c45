//! The outbox relay: publishes the outbox through the publisher port, in sequence order. The
//! design document's "sync worker", done properly:
//!
//! - woken by every local commit (plus a short poll for commits of other processes sharing
//!   the database), so an event reaches the broker milliseconds after its commit;
//! - the broker is the relay's position: the relay asks it (once, then remembers) where it
//!   is and publishes what follows, and every publish is conditional on the broker still
//!   being there. A relay that died after publishing repeats nothing; a broker that lost its
//!   data (restarted empty) is noticed at the next publish and gets everything again, once
//!   each; a broker that holds events this outbox never wrote (ahead of it, or another event
//!   at the same seq) is refused loudly;
//! - while the broker is down it retries with capped exponential backoff; events wait in the
//!   outbox, writes go on, `/health` says degraded;
//! - with several processes, one [`Leadership`] holder publishes at a time.

use std::sync::Arc;
use std::time::Duration;

use inventory_ports::{
    BrokerPosition, ErrorChain, EventPublisher, InventoryError, Leadership, LeaseFuture,
    PublishError, RecordedEvent,
};
use time::OffsetDateTime;
use tokio::sync::{Notify, watch};

use super::{Backoff, BrokerStatus, WorkerObserver, blocking, pause_or_stop};
use crate::EventLog;

/// Why a relay round failed.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The outbox could not be read.
    #[error("outbox")]
    Store(#[from] InventoryError),
    /// The broker refused the events or could not be reached.
    #[error("broker")]
    Publish(#[from] PublishError),
    /// The broker holds events this database never wrote: it belongs to another database (or
    /// this one was replaced). Publishing would silently skip events, so the relay stops
    /// publishing until an operator looks.
    #[error(
        "the broker already holds events up to seq {broker_top} but the outbox only reaches \
         {outbox_last}: is the stream shared with another database? Refusing to publish"
    )]
    BrokerAhead {
        /// The broker's last sequence number.
        broker_top: u64,
        /// The outbox's last sequence number.
        outbox_last: u64,
    },
    /// The broker's last entry is another event than the outbox's at the same seq: the stream
    /// belongs to another database (or this one was restored from a backup). Publishing would
    /// mix two histories, so the relay stops publishing until an operator looks.
    #[error(
        "the broker's entry {seq} is event {broker_event} but the outbox's is {outbox_event}: \
         is the stream shared with another database? Refusing to publish"
    )]
    BrokerMismatch {
        /// The sequence number both hold.
        seq: u64,
        /// The event the broker holds there.
        broker_event: inventory_domain::EventId,
        /// The event the outbox holds there.
        outbox_event: inventory_domain::EventId,
    },
}

/// What a round did, which decides how long to wait before the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Round {
    /// Published a batch; there may be more.
    Published(usize),
    /// Nothing to publish.
    Idle,
    /// Another process's relay publishes.
    Follower,
}

/// How the relay paces itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelaySettings {
    /// Events published per round trip.
    pub batch: u32,
    /// How often the relay looks at the outbox without being woken (commits of other
    /// processes sharing the database do not wake it).
    pub poll_interval: Duration,
    /// First wait after a failure; doubles up to `max_backoff`.
    pub min_backoff: Duration,
    /// Longest wait between attempts while the broker is down.
    pub max_backoff: Duration,
    /// How often a follower checks whether the leader is still there: a third of the lease's
    /// lifetime, so it takes over within the lifetime of a dead leader's lease.
    pub follower_interval: Duration,
}

impl Default for RelaySettings {
    fn default() -> Self {
        Self {
            batch: 500,
            poll_interval: Duration::from_millis(100),
            min_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(5),
            follower_interval: Duration::from_millis(1500),
        }
    }
}

/// Leadership of a relay that is alone (one process, or tests): always leads.
#[derive(Debug, Clone, Copy, Default)]
pub struct SoleRelay;

impl Leadership for SoleRelay {
    fn hold(&mut self) -> LeaseFuture<'_, Result<bool, PublishError>> {
        Box::pin(async { Ok(true) })
    }

    fn forget(&mut self) {}

    fn release(&mut self) -> LeaseFuture<'_, ()> {
        Box::pin(async {})
    }
}

/// A hook run after each successful publish, with the highest seq now in the broker.
type AfterPublish = Arc<dyn Fn(u64) + Send + Sync>;

/// The relay of one process.
pub struct OutboxRelay<P: EventPublisher> {
    events: EventLog,
    publisher: P,
    leadership: Box<dyn Leadership>,
    wake: Arc<Notify>,
    status: Arc<BrokerStatus>,
    observer: Arc<dyn WorkerObserver>,
    settings: RelaySettings,
    /// The broker's highest seq as last confirmed; `None` until asked and after any failure,
    /// so the next round asks the broker again.
    position: Option<u64>,
    /// The last position known, kept across failures for the backlog gauge.
    last_known: u64,
    after_publish: Option<AfterPublish>,
}

impl<P: EventPublisher> OutboxRelay<P> {
    /// A relay publishing `events` through `publisher` when `leadership` says so, woken early
    /// by `wake`.
    pub fn new(
        events: EventLog,
        publisher: P,
        leadership: Box<dyn Leadership>,
        wake: Arc<Notify>,
        status: Arc<BrokerStatus>,
        observer: Arc<dyn WorkerObserver>,
        settings: RelaySettings,
    ) -> Self {
        Self {
            events,
            publisher,
            leadership,
            wake,
            status,
            observer,
            settings,
            position: None,
            last_known: 0,
            after_publish: None,
        }
    }

    /// Runs `hook` after every successful publish, with the highest seq now in the broker
    /// (the fault-injection tests use it to stop the process at that moment).
    #[must_use]
    pub fn after_publish(mut self, hook: impl Fn(u64) + Send + Sync + 'static) -> Self {
        self.after_publish = Some(Arc::new(hook));
        self
    }

    /// Runs until `shutdown` turns true, then publishes what is left (for a few seconds at
    /// most) and gives up its leadership.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!("outbox relay started");
        let mut backoff = Backoff::new(self.settings.min_backoff, self.settings.max_backoff);
        loop {
            if *shutdown.borrow() {
                break;
            }
            let (pause, wake_early) = match self.round().await {
                Ok(Round::Published(_)) => {
                    backoff.reset();
                    continue;
                }
                Ok(Round::Idle) => {
                    backoff.reset();
                    (self.settings.poll_interval, true)
                }
                Ok(Round::Follower) => {
                    backoff.reset();
                    (self.settings.follower_interval, false)
                }
                Err(error) => {
                    let pause = backoff.failed();
                    self.on_failure(&error, pause).await;
                    (pause, false)
                }
            };
            let stop = if wake_early {
                tokio::select! {
                    () = self.wake.notified() => false,
                    stop = pause_or_stop(pause, &mut shutdown) => stop,
                }
            } else {
                pause_or_stop(pause, &mut shutdown).await
            };
            if stop {
                break;
            }
        }
        self.flush_before_stopping().await;
        self.leadership.release().await;
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

    async fn on_failure(&mut self, error: &RelayError, retry_in: Duration) {
        self.observer.relay_failed();
        self.observer.relay_leader(false);
        match error {
            RelayError::BrokerAhead { .. } | RelayError::BrokerMismatch { .. } => {
                tracing::error!(error = %ErrorChain(error), "outbox relay refuses to publish");
            }
            _ => {
                tracing::warn!(error = %ErrorChain(error), retry_in_ms = retry_in.as_millis() as u64, "outbox relay cannot publish; events wait in the outbox");
            }
        }
        // The backlog keeps growing while the broker is away: keep the gauge honest.
        let after = self.last_known;
        let events = self.events.clone();
        if let Ok((last, oldest)) = blocking(move || {
            Ok((
                events.last_seq()?,
                events.after(after, 1)?.into_iter().next(),
            ))
        })
        .await
        {
            self.observe_backlog(last.saturating_sub(after), oldest.as_ref());
        }
    }

    /// One round: check leadership, find the broker's position, publish what follows.
    ///
    /// # Errors
    /// When the outbox or the broker fails; nothing is lost, the next round retries (and asks
    /// the broker where it is first, since a failed publish may have landed in part).
    pub async fn round(&mut self) -> Result<Round, RelayError> {
        let result = self.attempt().await;
        if let Err(error) = &result {
            // Only a broker that cannot be reached makes `/health` blame it.
            if matches!(error, RelayError::Publish(PublishError::Unavailable(_))) {
                self.status.set_disconnected();
            }
            self.position = None;
            self.leadership.forget();
        }
        result
    }

    async fn attempt(&mut self) -> Result<Round, RelayError> {
        if !self.leadership.hold().await? {
            self.status.set_connected();
            self.observer.relay_leader(false);
            self.position = None;
            return Ok(Round::Follower);
        }
        self.observer.relay_leader(true);
        let position = match self.position {
            Some(position) => position,
            None => self.check_position().await?,
        };
        self.position = Some(position);
        self.last_known = position;
        let batch = self.settings.batch;
        let events = self.events.clone();
        let pending = blocking(move || events.after(position, batch)).await?;
        let backlog = if pending.len() < batch as usize {
            pending.len() as u64
        } else {
            let events = self.events.clone();
            blocking(move || events.last_seq())
                .await?
                .saturating_sub(position)
        };
        self.observe_backlog(backlog, pending.first());
        if pending.is_empty() {
            self.status.set_connected();
            return Ok(Round::Idle);
        }
        let happened: Vec<OffsetDateTime> = pending.iter().map(|e| e.occurred_at).collect();
        let count = pending.len();
        let up_to = match self.publisher.publish(position, pending).await {
            Ok(up_to) => up_to,
            // Another relay published meanwhile, or the broker lost its data: ask it again.
            Err(PublishError::Moved) => {
                self.position = None;
                return Ok(Round::Published(0));
            }
            Err(error) => return Err(error.into()),
        };
        self.position = Some(up_to);
        self.last_known = up_to;
        self.status.set_connected();
        if let Some(hook) = &self.after_publish {
            hook(up_to);
        }
        let now = OffsetDateTime::now_utc();
        let latencies: Vec<Duration> = happened
            .into_iter()
            .map(|at| Duration::try_from(now - at).unwrap_or(Duration::ZERO))
            .collect();
        self.observer.relay_published(&latencies);
        Ok(Round::Published(count))
    }

    /// Asks the broker where it is, and refuses a broker that holds another history: ahead
    /// of the outbox, or with another event at the same seq.
    async fn check_position(&mut self) -> Result<u64, RelayError> {
        let BrokerPosition { seq, event_id } = self.publisher.position().await?;
        let events = self.events.clone();
        let (outbox_last, ours) = blocking(move || {
            let ours = match seq {
                0 => None,
                seq => events.after(seq - 1, 1)?.into_iter().next(),
            };
            Ok((events.last_seq()?, ours))
        })
        .await?;
        if seq > outbox_last {
            return Err(RelayError::BrokerAhead {
                broker_top: seq,
                outbox_last,
            });
        }
        if let (Some(broker_event), Some(ours)) = (event_id, ours)
            && ours.seq == seq
            && ours.event_id != broker_event
        {
            return Err(RelayError::BrokerMismatch {
                seq,
                broker_event,
                outbox_event: ours.event_id,
            });
        }
        Ok(seq)
    }

    fn observe_backlog(&self, events: u64, oldest: Option<&RecordedEvent>) {
        let age = oldest.map_or(Duration::ZERO, |event| {
            Duration::try_from(OffsetDateTime::now_utc() - event.occurred_at)
                .unwrap_or(Duration::ZERO)
        });
        self.observer.relay_backlog(events, age);
    }
}
