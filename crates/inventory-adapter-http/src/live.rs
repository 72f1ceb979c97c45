//! Live availability for browsers: `GET /api/v1/stream`, Server-Sent Events.
//!
//! Every instance keeps a [`LiveFeed`]: a broadcast of committed events, fed by this
//! instance's own commits (read back from the outbox as they commit) and, with Redis, by the
//! Redis stream (so a client of instance B sees changes made through instance A). A client
//! never depends on the feed for completeness: it tracks the last sequence number it
//! processed, and whenever the feed skips ahead (a gap), lags or the client reconnects with
//! `Last-Event-ID`, the missing events are read from the outbox. Duplicates from the two feeds
//! are dropped by sequence number.
//!
//! The stream carries availability only ([`AvailabilityChange`], whose format belongs to
//! `inventory-events`): never customer ids or reservation ids, so it is safe for anonymous
//! clients. An event this build cannot decode is skipped and counted
//! (`events_skipped_total`), never guessed at.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use actix_web::web::Bytes;
use inventory_application::{Backoff, EventLog, blocking, pause_or_stop};
use inventory_events::AvailabilityChange;
use inventory_ports::{ErrorChain, InventoryError, RecordedEvent};
use tokio::sync::{Notify, broadcast, watch};

use crate::Metrics;
use crate::stream_limits::{StreamLimits, StreamPermit};

/// The most events the feed buffers per slow client before it must catch up from the outbox.
const FEED_CAPACITY: usize = 4096;

/// How often an idle stream sends a comment, so proxies keep it open and a gone client is
/// noticed.
const KEEPALIVE: Duration = Duration::from_secs(15);

/// Events read from the outbox per catch-up query.
const CATCH_UP_PAGE: u32 = 500;

/// The broadcast of committed events within one instance, and the caps on its streams.
#[derive(Clone)]
pub struct LiveFeed {
    sender: broadcast::Sender<Arc<RecordedEvent>>,
    shutdown: watch::Receiver<bool>,
    limits: StreamLimits,
}

impl LiveFeed {
    /// A feed whose streams end when `shutdown` turns true, with the default caps.
    pub fn new(shutdown: watch::Receiver<bool>) -> Self {
        Self {
            sender: broadcast::channel(FEED_CAPACITY).0,
            shutdown,
            limits: StreamLimits::default(),
        }
    }

    /// The same feed with these caps on its streams.
    #[must_use]
    pub fn with_limits(mut self, limits: StreamLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The caps on its streams.
    pub fn limits(&self) -> &StreamLimits {
        &self.limits
    }

    /// Offers an event to every open stream.
    pub fn publish(&self, event: RecordedEvent) {
        // No receiver is fine: nobody is watching.
        let _ = self.sender.send(Arc::new(event));
    }

    /// The signal that ends the streams (and the tasks feeding them).
    pub fn shutdown(&self) -> watch::Receiver<bool> {
        self.shutdown.clone()
    }
}

/// Feeds `feed` with this process's commits: woken by `wake` (a commit listener) and every
/// `poll` (commits by other processes sharing the database), reads the outbox after the last
/// event it saw. Runs until the feed's shutdown.
pub async fn follow_outbox(events: EventLog, feed: LiveFeed, wake: Arc<Notify>, poll: Duration) {
    let mut shutdown = feed.shutdown.clone();
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
    // Start at the end of the log; retry rather than replay everything from 0.
    let mut last = loop {
        match read(&events, EventLog::last_seq).await {
            Ok(last) => break last,
            Err(error) => {
                tracing::warn!(error = %ErrorChain(&error), "live feed: cannot read the outbox; retrying");
                if pause_or_stop(backoff.failed(), &mut shutdown).await {
                    return;
                }
            }
        }
    };
    loop {
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(poll) => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
        loop {
            match read(&events, move |log| log.after(last, CATCH_UP_PAGE)).await {
                Ok(batch) => {
                    let full = batch.len() == CATCH_UP_PAGE as usize;
                    for event in batch {
                        last = event.seq;
                        feed.publish(event);
                    }
                    if !full {
                        break;
                    }
                }
                Err(error) => {
                    tracing::warn!(error = %ErrorChain(&error), "live feed: cannot read the outbox");
                    break;
                }
            }
        }
    }
}

async fn read<T: Send + 'static>(
    events: &EventLog,
    call: impl FnOnce(&EventLog) -> Result<T, InventoryError> + Send + 'static,
) -> Result<T, InventoryError> {
    let events = events.clone();
    blocking(move || call(&events)).await
}

/// Which changes a client wants.
#[derive(Debug, Clone, Default)]
pub struct StreamFilter {
    /// Only this product.
    pub product_id: Option<String>,
    /// Only this store.
    pub store_id: Option<String>,
}

/// The state of one client's stream.
pub struct Subscription {
    feed: broadcast::Receiver<Arc<RecordedEvent>>,
    events: EventLog,
    filter: StreamFilter,
    /// The last sequence number processed (sent or filtered out).
    last: u64,
    pending: VecDeque<Bytes>,
    keepalive: tokio::time::Interval,
    shutdown: watch::Receiver<bool>,
    /// True while the outbox may hold events after `last` that the feed will not deliver
    /// (at the start, after a gap, after a lag). They are read one page at a time, as the
    /// client consumes them, so a client replaying a long history holds one page in memory.
    behind: bool,
    /// Counts events skipped because this build cannot read them.
    metrics: Arc<Metrics>,
    /// Decremented when the client goes.
    _guard: ClientGuard,
    /// The stream's place among the open ones, given back when the client goes.
    _permit: StreamPermit,
}

struct ClientGuard(prometheus::IntGauge);

impl Drop for ClientGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

impl Subscription {
    /// Subscribes first, then catches up from the outbox after `after_seq`: nothing committed
    /// in between can be missed.
    pub fn open(
        feed: &LiveFeed,
        events: EventLog,
        filter: StreamFilter,
        after_seq: u64,
        metrics: Arc<Metrics>,
        permit: StreamPermit,
    ) -> Self {
        let clients = metrics.sse_clients.clone();
        clients.inc();
        let mut keepalive =
            tokio::time::interval_at(tokio::time::Instant::now() + KEEPALIVE, KEEPALIVE);
        keepalive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut pending = VecDeque::new();
        // The opening names where the stream starts (`id:` with no data dispatches nothing
        // but sets the browser's last event id): a client that drops before its first event
        // resumes from here, not from whatever "now" is when it comes back.
        pending.push_back(Bytes::from(format!(
            "retry: 2000\nid: {after_seq}\n: connected\n\n"
        )));
        Self {
            feed: feed.sender.subscribe(),
            events,
            filter,
            last: after_seq,
            pending,
            keepalive,
            shutdown: feed.shutdown.clone(),
            behind: true,
            metrics,
            _guard: ClientGuard(clients),
            _permit: permit,
        }
    }

    /// Tells the client that the stream does not start where it asked (too far back to replay
    /// for an anonymous client): it should reload the availability it shows, then follow.
    pub fn announce_reset(&mut self, asked_after: u64) {
        self.pending.push_back(Bytes::from(format!(
            "event: reset\ndata: {{\"reason\":\"too_far_behind\",\"asked_after_seq\":{asked_after},\"resumes_after_seq\":{}}}\n\n",
            self.last
        )));
    }

    /// The next chunk to send, or `None` when the stream ends (shutdown).
    pub async fn next_chunk(&mut self) -> Option<Bytes> {
        loop {
            if let Some(chunk) = self.pending.pop_front() {
                return Some(chunk);
            }
            if self.behind {
                self.behind = self.read_page().await;
                continue;
            }
            let received = tokio::select! {
                _ = self.shutdown.wait_for(|stop| *stop) => return None,
                _ = self.keepalive.tick() => return Some(Bytes::from_static(b": keepalive\n\n")),
                received = self.feed.recv() => received,
            };
            match received {
                Ok(event) if event.seq <= self.last => {}
                Ok(event) if event.seq == self.last + 1 => self.accept(&event),
                // A gap (the feed started after this client, or the other feed is ahead)
                // or a lag: the outbox has everything.
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => self.behind = true,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }

    /// Reads the next page of the outbox after `last`; true when the page was full (more may
    /// follow).
    async fn read_page(&mut self) -> bool {
        let after = self.last;
        match read(&self.events, move |log| log.after(after, CATCH_UP_PAGE)).await {
            Ok(batch) => {
                for event in &batch {
                    self.accept(event);
                }
                batch.len() == CATCH_UP_PAGE as usize
            }
            Err(error) => {
                tracing::warn!(error = %ErrorChain(&error), "live stream: cannot read the outbox");
                false
            }
        }
    }

    fn accept(&mut self, event: &RecordedEvent) {
        self.last = event.seq;
        let change = match AvailabilityChange::of(event) {
            Ok(Some(change)) => change,
            Ok(None) => return,
            Err(error) => {
                self.metrics
                    .events_skipped
                    .with_label_values(&[error.reason()])
                    .inc();
                tracing::warn!(seq = event.seq, %error, "live stream: skipped an event this build cannot read");
                return;
            }
        };
        let wanted = self
            .filter
            .product_id
            .as_ref()
            .is_none_or(|p| *p == change.product_id)
            && self
                .filter
                .store_id
                .as_ref()
                .is_none_or(|s| *s == change.store_id);
        if wanted && let Ok(data) = serde_json::to_string(&change) {
            self.pending.push_back(Bytes::from(format!(
                "id: {}\nevent: availability\ndata: {data}\n\n",
                change.seq
            )));
        }
    }
}
