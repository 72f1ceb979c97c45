//! The webhook worker: delivers the outbox to every registered endpoint, in seq order per
//! endpoint, signed (Standard Webhooks), through the [`WebhookSender`] port.
//!
//! - **Driven from the outbox.** Each endpoint has a cursor (the last seq handled) stored with
//!   it. The worker reads the events after it, moves the cursor over those the endpoint's
//!   filter skips, and POSTs the others one at a time. A 2xx logs the attempt and moves the
//!   cursor in one transaction, so a restart resumes exactly after the last delivered event
//!   (an event delivered just before a crash, whose log line did not commit, is sent again:
//!   at least once, with the same `webhook-id` for receivers to de-duplicate).
//! - **Retries.** A failed attempt (no answer, or not 2xx) is logged and retried after an
//!   exponential back-off with full jitter (a random wait up to `base * 2^attempt`, capped),
//!   until `retry_for` has passed since its first failure; then it is logged DEAD and the
//!   endpoint moves on. Later events of that endpoint wait meanwhile: order comes first. The
//!   retry state lives in memory; a restart starts the window again.
//! - **Endpoints in parallel.** Each round handles every endpoint in a task of its own, so a
//!   slow or failing endpoint delays only itself within a round.
//! - **Woken** by every local commit and by `poll_interval` (other processes' commits, due
//!   retries). With several processes one [`Leadership`] holder delivers (the Redis lease
//!   beside the relay's, under a key of its own); without Redis a process delivers alone.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::Duration;

use inventory_events::EventEnvelope;
use inventory_ports::{
    Clock, DeliveryOutcome, ErrorChain, InventoryError, Leadership, RecordedEvent, SendError,
    Webhook, WebhookDelivery, WebhookId, WebhookRequest, WebhookSender,
};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::{WorkerObserver, blocking};
use crate::Webhooks;
use crate::webhook_signature::sign;

/// How the webhook worker paces itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookSettings {
    /// The first retry waits up to this (full jitter); each further one up to twice as long.
    pub retry_base: Duration,
    /// The longest wait between two attempts.
    pub retry_cap: Duration,
    /// How long an event is retried from its first failure before it is given up (DEAD).
    pub retry_for: Duration,
    /// How often the worker looks without being woken.
    pub poll_interval: Duration,
    /// Events read per endpoint per look.
    pub batch: u32,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            retry_base: Duration::from_secs(5),
            retry_cap: Duration::from_secs(60 * 60),
            retry_for: Duration::from_secs(24 * 60 * 60),
            poll_interval: Duration::from_secs(1),
            batch: 100,
        }
    }
}

/// The retry state of the event an endpoint is stuck on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Retry {
    seq: u64,
    attempts: u32,
    first_failure: Instant,
    next_at: Instant,
}

/// What handling one endpoint in a round came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Progress {
    /// Caught up with the log.
    CaughtUp,
    /// Waiting to retry an event.
    Waiting(Retry),
}

/// The webhook worker of one process.
pub struct WebhookWorker {
    delivery: Arc<Delivery>,
    leadership: Box<dyn Leadership>,
    wake: Arc<Notify>,
    retries: HashMap<WebhookId, Retry>,
}

/// What every endpoint's task shares.
struct Delivery {
    webhooks: Webhooks,
    sender: Arc<dyn WebhookSender>,
    clock: Arc<dyn Clock>,
    observer: Arc<dyn WorkerObserver>,
    settings: WebhookSettings,
}

impl WebhookWorker {
    /// A worker delivering through `sender` when `leadership` says so, woken early by `wake`.
    pub fn new(
        webhooks: Webhooks,
        sender: Arc<dyn WebhookSender>,
        clock: Arc<dyn Clock>,
        leadership: Box<dyn Leadership>,
        wake: Arc<Notify>,
        observer: Arc<dyn WorkerObserver>,
        settings: WebhookSettings,
    ) -> Self {
        Self {
            delivery: Arc::new(Delivery {
                webhooks,
                sender,
                clock,
                observer,
                settings,
            }),
            leadership,
            wake,
            retries: HashMap::new(),
        }
    }

    /// Runs until `shutdown` turns true, then gives up its leadership.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!("webhook worker started");
        loop {
            if *shutdown.borrow() {
                break;
            }
            let pause = match self.leadership.hold().await {
                Ok(true) => match self.round().await {
                    Ok(next_retry) => {
                        next_retry.map_or(self.delivery.settings.poll_interval, |at| {
                            at.saturating_duration_since(Instant::now())
                                .min(self.delivery.settings.poll_interval)
                        })
                    }
                    Err(error) => {
                        tracing::warn!(error = %ErrorChain(&error), "webhook round failed; retrying");
                        self.delivery.settings.poll_interval
                    }
                },
                Ok(false) => self.delivery.settings.poll_interval,
                Err(error) => {
                    self.leadership.forget();
                    tracing::warn!(error = %ErrorChain(&error), "webhook leadership unknown; retrying");
                    self.delivery.settings.poll_interval
                }
            };
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(pause) => {}
                _ = shutdown.wait_for(|stop| *stop) => break,
            }
        }
        self.leadership.release().await;
        tracing::info!("webhook worker stopped");
    }

    /// Handles every endpoint once: delivers what is due, in order, until each is caught up
    /// or waiting to retry. Returns when the earliest retry is due, if any.
    ///
    /// # Errors
    /// When the endpoints could not be read (each endpoint's own failures are logged).
    pub async fn round(&mut self) -> Result<Option<Instant>, InventoryError> {
        let webhooks = self.delivery.webhooks.clone();
        let endpoints = blocking(move || webhooks.list()).await?;
        let mut tasks = JoinSet::new();
        for endpoint in endpoints {
            let retry = self.retries.remove(&endpoint.id);
            let delivery = Arc::clone(&self.delivery);
            tasks.spawn(async move {
                let id = endpoint.id;
                (id, delivery.endpoint(endpoint, retry).await)
            });
        }
        let mut next_retry: Option<Instant> = None;
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((id, Ok(Progress::Waiting(retry)))) => {
                    next_retry = Some(next_retry.map_or(retry.next_at, |at| at.min(retry.next_at)));
                    self.retries.insert(id, retry);
                }
                Ok((_, Ok(Progress::CaughtUp))) => {}
                Ok((id, Err(error))) => {
                    tracing::warn!(webhook = %id, error = %ErrorChain(&error), "webhook delivery: storage error; retrying");
                }
                Err(error) => tracing::error!(%error, "a webhook delivery task failed"),
            }
        }
        Ok(next_retry)
    }
}

impl Delivery {
    /// Delivers what `endpoint` is due, in seq order.
    async fn endpoint(
        &self,
        endpoint: Webhook,
        mut retry: Option<Retry>,
    ) -> Result<Progress, InventoryError> {
        let mut cursor = endpoint.cursor;
        loop {
            let webhooks = self.webhooks.clone();
            let batch = self.settings.batch;
            let events = blocking(move || webhooks.events_after(cursor, batch)).await?;
            let Some(last) = events.last().map(|event| event.seq) else {
                return Ok(Progress::CaughtUp);
            };
            let mut skipped_to = cursor;
            for event in events {
                if !endpoint.wants(&event) {
                    skipped_to = event.seq;
                    continue;
                }
                if skipped_to > cursor {
                    if !self.skip(endpoint.id, cursor, skipped_to).await? {
                        return Ok(Progress::CaughtUp);
                    }
                    cursor = skipped_to;
                }
                let now = Instant::now();
                let stuck = retry.filter(|retry| retry.seq == event.seq);
                if let Some(stuck) = stuck
                    && now < stuck.next_at
                {
                    return Ok(Progress::Waiting(stuck));
                }
                let attempt = stuck.map_or(1, |stuck| stuck.attempts + 1);
                let answer = self.send(&endpoint, &event).await?;
                let delivered = matches!(answer, Ok(status) if (200..300).contains(&status));
                let first_failure = stuck.map_or(now, |stuck| stuck.first_failure);
                let outcome = if delivered {
                    DeliveryOutcome::Delivered
                } else if now.duration_since(first_failure) >= self.settings.retry_for {
                    DeliveryOutcome::Dead
                } else {
                    DeliveryOutcome::Failed
                };
                let line = WebhookDelivery {
                    webhook_id: endpoint.id,
                    seq: event.seq,
                    event_id: event.event_id,
                    attempt,
                    status_code: answer.as_ref().ok().copied(),
                    error: answer.as_ref().err().map(ToString::to_string),
                    outcome,
                    at: self.clock.now(),
                };
                let advance = (outcome != DeliveryOutcome::Failed).then_some((cursor, event.seq));
                let webhooks = self.webhooks.clone();
                let kept = blocking(move || webhooks.record_attempt(line, advance)).await?;
                self.observer.webhook_delivery(outcome);
                if !kept {
                    // Replayed or removed meanwhile: the next round starts from the new cursor.
                    return Ok(Progress::CaughtUp);
                }
                if outcome == DeliveryOutcome::Failed {
                    tracing::info!(webhook = %endpoint.id, seq = event.seq, attempt, status = ?answer, "webhook delivery failed; will retry");
                    return Ok(Progress::Waiting(Retry {
                        seq: event.seq,
                        attempts: attempt,
                        first_failure,
                        next_at: now + self.pause_after(attempt),
                    }));
                }
                if outcome == DeliveryOutcome::Dead {
                    tracing::warn!(webhook = %endpoint.id, seq = event.seq, attempt, "webhook delivery given up (DEAD)");
                }
                retry = None;
                cursor = event.seq;
            }
            if last > cursor {
                if !self.skip(endpoint.id, cursor, last).await? {
                    return Ok(Progress::CaughtUp);
                }
                cursor = last;
            }
        }
    }

    async fn skip(&self, id: WebhookId, from: u64, to: u64) -> Result<bool, InventoryError> {
        let webhooks = self.webhooks.clone();
        blocking(move || webhooks.skip(id, from, to)).await
    }

    /// One signed POST of `event` to `endpoint`, on a blocking thread. The outer error is a
    /// failure of ours (a corrupt secret); the inner one the endpoint's.
    async fn send(
        &self,
        endpoint: &Webhook,
        event: &RecordedEvent,
    ) -> Result<Result<u16, SendError>, InventoryError> {
        let body = serde_json::to_string(&EventEnvelope::from(event.clone())).map_err(|error| {
            InventoryError::Internal(inventory_ports::Failure::caused_by(
                "an event could not be written as JSON",
                error,
            ))
        })?;
        let id = event.event_id.to_string();
        let timestamp = self.clock.now().unix_timestamp();
        let request = WebhookRequest {
            url: endpoint.url.clone(),
            signature: sign(&endpoint.secret, &id, timestamp, &body)?,
            id,
            timestamp,
            body,
        };
        let sender = Arc::clone(&self.sender);
        blocking(move || Ok(sender.send(&request))).await
    }

    /// A random wait up to `base * 2^(attempt - 1)`, capped (full jitter: retries of many
    /// endpoints failing together spread out instead of arriving in waves).
    fn pause_after(&self, attempt: u32) -> Duration {
        let ceiling = self
            .settings
            .retry_base
            .saturating_mul(2_u32.saturating_pow(attempt.saturating_sub(1).min(30)))
            .min(self.settings.retry_cap);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        if nanos == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(random() % (nanos + 1))
    }
}

/// A random number: std's hasher keys are random per process and per hasher.
fn random() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(0);
    hasher.finish()
}
