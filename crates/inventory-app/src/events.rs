//! Background tasks that move events: the outbox relay to Redis, and the live feed that SSE
//! streams read (this process's commits, plus the Redis stream for other instances' commits).

use std::sync::Arc;
use std::time::Duration;

use inventory::Inventory;
use inventory_adapter_http::{LiveFeed, Metrics, RedisProbe, RedisStatus, follow_outbox};
use inventory_adapter_redis::{
    ConnectionStatus, EventReader, RedisSettings, Relay, RelayLease, RelayMetrics, StartAt,
    StreamPublisher, lazy_connection,
};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

/// `/health`'s view of Redis: what the relay last found.
pub struct RelayHealth(pub Arc<ConnectionStatus>);

impl RedisProbe for RelayHealth {
    fn status(&self) -> RedisStatus {
        match self.0.is_connected() {
            Some(true) => RedisStatus::Connected,
            // Before the first attempt, report Redis as not (yet) reachable.
            Some(false) | None => RedisStatus::Disconnected,
        }
    }
}

/// The running event tasks.
pub struct EventTasks {
    /// What `/health` reports about Redis, when Redis is configured.
    pub redis_status: Option<Arc<ConnectionStatus>>,
    /// The tasks, to await on shutdown.
    pub tasks: Vec<JoinHandle<()>>,
}

/// Starts the event tasks.
///
/// # Errors
/// When the Redis URL is malformed or metrics cannot be registered.
pub fn start(
    inventory: &Inventory,
    redis: Option<RedisSettings>,
    live: &LiveFeed,
    metrics: &Metrics,
    shutdown: &watch::Receiver<bool>,
) -> anyhow::Result<EventTasks> {
    // One listener wakes both the relay and the live feed after each commit.
    let relay_wake = Arc::new(Notify::new());
    let live_wake = Arc::new(Notify::new());
    {
        let (relay_wake, live_wake) = (relay_wake.clone(), live_wake.clone());
        inventory.on_commit(move |_| {
            relay_wake.notify_one();
            live_wake.notify_one();
        });
    }
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
        live_wake,
        poll,
    ))];
    let Some(redis) = redis else {
        return Ok(EventTasks {
            redis_status: None,
            tasks,
        });
    };
    let status = Arc::new(ConnectionStatus::default());
    let connection = lazy_connection(&redis.url, Duration::from_secs(2))?;
    let publisher = StreamPublisher::new(connection.clone(), &redis.stream, redis.max_len);
    let lease = RelayLease::new(connection, redis.lease_key(), redis.lease_ttl);
    let relay = Relay::new(
        inventory.events().clone(),
        publisher,
        Some(lease),
        relay_wake,
        status.clone(),
        Some(RelayMetrics::register(metrics.registry())?),
        redis.clone(),
    );
    tasks.push(tokio::spawn(relay.run(shutdown.clone())));
    tasks.push(tokio::spawn(follow_stream(
        redis,
        live.clone(),
        shutdown.clone(),
    )));
    tracing::info!("events are published to Redis");
    Ok(EventTasks {
        redis_status: Some(status),
        tasks,
    })
}

/// Feeds the live feed from the Redis stream, so this instance's clients see other instances'
/// changes. Gaps (Redis down, a late start) are filled by each stream from the outbox.
async fn follow_stream(redis: RedisSettings, live: LiveFeed, mut shutdown: watch::Receiver<bool>) {
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
    let mut backoff = redis.min_backoff;
    loop {
        let batch = tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => return,
            batch = reader.next(500) => batch,
        };
        match batch {
            Ok(events) => {
                backoff = redis.min_backoff;
                for event in events
                    .into_iter()
                    .flatten()
                    .map(inventory_adapter_redis::StreamEvent::into_event)
                {
                    live.publish(event);
                }
            }
            Err(error) => {
                tracing::debug!(%error, "cannot read the Redis stream; retrying");
                tokio::select! {
                    _ = shutdown.wait_for(|stop| *stop) => return,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(redis.max_backoff);
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
    loop {
        let batch = tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            batch = reader.next(100) => batch,
        };
        match batch {
            Ok(events) => {
                for event in events {
                    match event {
                        Ok(event) => println!("{}", event_json(&event)),
                        Err(error) => eprintln!("skipping an entry: {error}"),
                    }
                }
            }
            Err(error) => {
                eprintln!("cannot read the stream ({error}); retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

fn event_json(event: &inventory_adapter_redis::StreamEvent) -> serde_json::Value {
    serde_json::json!({
        "seq": event.seq,
        "event_id": event.event_id,
        "event_type": event.event_type,
        "aggregate_type": event.aggregate_type,
        "aggregate_id": event.aggregate_id,
        "store_id": event.store_id,
        "product_id": event.product_id,
        "payload": serde_json::from_str::<serde_json::Value>(&event.payload).unwrap_or(serde_json::Value::Null),
        "occurred_at": event.occurred_at.format(&time::format_description::well_known::Rfc3339).ok(),
        "request_id": event.request_id,
    })
}
