//! Wiring of the event paths that belong to the server, not the library: `/health`'s view of
//! Redis, the live feed that SSE streams read (this process's commits, plus the Redis stream
//! for other instances' commits), and `inventory events tail`.

use std::sync::Arc;
use std::time::Duration;

use inventory::{Backoff, BrokerStatus, Inventory, RedisSettings, pause_or_stop};
use inventory_adapter_http::{LiveFeed, Metrics, RedisProbe, RedisStatus, follow_outbox};
use inventory_adapter_redis::{EventReader, StartAt};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

/// `/health`'s view of Redis: what the relay last found.
pub struct RelayHealth(pub Arc<BrokerStatus>);

impl RedisProbe for RelayHealth {
    fn status(&self) -> RedisStatus {
        match self.0.is_connected() {
            Some(true) => RedisStatus::Connected,
            // Before the first attempt, report Redis as not (yet) reachable.
            Some(false) | None => RedisStatus::Disconnected,
        }
    }
}

/// Starts the tasks that feed `live`: this process's commits (woken by each commit) and, with
/// Redis, the stream (other instances' commits). They end with the feed's shutdown.
pub fn feed_live(
    inventory: &Inventory,
    redis: Option<&RedisSettings>,
    live: &LiveFeed,
    metrics: &Arc<Metrics>,
) -> Vec<JoinHandle<()>> {
    let wake = Arc::new(Notify::new());
    let waker = Arc::clone(&wake);
    inventory.on_commit(move |_| waker.notify_one());
    // Other processes' commits wake nothing here: without Redis the feed polls the outbox for
    // them; with Redis it hears them from the stream, and the poll is only a safety net.
    let poll = if redis.is_some() {
        Duration::from_secs(60)
    } else {
        Duration::from_millis(250)
    };
    let mut tasks = vec![tokio::spawn(follow_outbox(
        inventory.events().clone(),
        live.clone(),
        wake,
        poll,
    ))];
    if let Some(redis) = redis {
        tasks.push(tokio::spawn(follow_stream(
            redis.clone(),
            live.clone(),
            Arc::clone(metrics),
            live.shutdown(),
        )));
    }
    tasks
}

/// Feeds the live feed from the Redis stream, so this instance's clients see other instances'
/// changes. Gaps (Redis down, a late start) are filled by each stream from the outbox.
async fn follow_stream(
    redis: RedisSettings,
    live: LiveFeed,
    metrics: Arc<Metrics>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut reader = match EventReader::new(
        &redis.url,
        &redis.stream,
        StartAt::Now,
        Duration::from_secs(1),
    ) {
        Ok(reader) => reader,
        Err(error) => {
            tracing::error!(%error, "cannot follow the Redis stream");
            return;
        }
    };
    let mut backoff = Backoff::new(Duration::from_millis(50), Duration::from_secs(5));
    loop {
        let batch = tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => return,
            batch = reader.next(500) => batch,
        };
        match batch {
            Ok(events) => {
                backoff.reset();
                for event in events {
                    match event {
                        Ok(event) => live.publish(event.into_event()),
                        Err(error) => {
                            // The stream clients would miss it; they read the outbox instead.
                            metrics
                                .events_skipped
                                .with_label_values(&["unreadable_entry"])
                                .inc();
                            tracing::warn!(%error, "skipped a Redis entry that is not an event");
                        }
                    }
                }
            }
            Err(error) => {
                tracing::debug!(%error, "cannot read the Redis stream; retrying");
                if pause_or_stop(backoff.failed(), &mut shutdown).await {
                    return;
                }
            }
        }
    }
}

/// `inventory events tail`: prints stream events as JSON lines until interrupted.
///
/// # Errors
/// When Redis is not configured.
pub async fn tail(redis: Option<RedisSettings>, from_seq: Option<u64>) -> anyhow::Result<()> {
    let Some(redis) = redis else {
        anyhow::bail!("set REDIS_URL (or --redis-url) to the Redis the server publishes to");
    };
    let start = from_seq.map_or(StartAt::Now, StartAt::AfterSeq);
    let mut reader = EventReader::new(&redis.url, &redis.stream, start, Duration::from_secs(5))?;
    eprintln!(
        "following {} on {} (Ctrl-C to stop)",
        redis.stream, redis.url
    );
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(5));
    loop {
        let batch = tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            batch = reader.next(100) => batch,
        };
        match batch {
            Ok(events) => {
                backoff.reset();
                for event in events {
                    match event {
                        Ok(event) => println!(
                            "{}",
                            serde_json::to_string(&inventory::events::EventEnvelope::from(
                                event.into_event()
                            ))?
                        ),
                        Err(error) => eprintln!("skipping an entry: {error}"),
                    }
                }
            }
            Err(error) => {
                eprintln!("cannot read the stream ({error}); retrying");
                tokio::time::sleep(backoff.failed()).await;
            }
        }
    }
}
