//! (7) Event latency: from a change to its arrival (7a) at a Redis stream reader blocked in
//! `XREAD BLOCK`, and (7b) at a browser-like SSE client. A paced writer restocks one product
//! every 5 ms; each arrival's latency is its receipt time minus the event's `occurred_at`
//! (taken inside the committing transaction, millisecond resolution, same machine clock).
//!
//! Both followers are connected before the first write, and each must see every event the
//! writer caused: a lost event fails the run (`--quick` included).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use hyper::body::Bytes;
use inventory_adapter_redis::{EventReader, StartAt};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::{Mutex, oneshot};

use crate::load::Connection;
use crate::report::Row;
use crate::scenarios::{Bench, histogram_ms, restock};

/// How long the paced writer runs (`--quick`: one second).
const WRITING: Duration = Duration::from_secs(5);

/// How long the followers may take to catch up once the writer stopped.
const CATCH_UP: Duration = Duration::from_secs(10);

/// Runs it; the stream row is skipped without Redis.
///
/// # Errors
/// When the server cannot be reached, or a follower missed an event.
pub async fn run(bench: &Bench) -> anyhow::Result<Vec<Row>> {
    let sse_samples = Arc::new(Mutex::new(Vec::new()));
    let stream_samples = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));

    let (sse_ready, sse_is_ready) = oneshot::channel();
    let sse = tokio::spawn(follow_sse(
        bench.address,
        bench.paced.clone(),
        sse_samples.clone(),
        stop.clone(),
        sse_ready,
    ));
    let mut readiness = vec![sse_is_ready];
    let stream = bench.redis.clone().map(|(url, name)| {
        let (ready, is_ready) = oneshot::channel();
        readiness.push(is_ready);
        tokio::spawn(follow_stream(
            url,
            name,
            bench.paced.clone(),
            stream_samples.clone(),
            stop.clone(),
            ready,
        ))
    });
    for ready in readiness {
        tokio::time::timeout(Duration::from_secs(10), ready)
            .await
            .map_err(|_| anyhow::anyhow!("an event follower did not connect within 10 s"))??;
    }

    let mut writer = Connection::open(bench.address).await?;
    let call = restock(&bench.paced, "MAD-001", &bench.admin);
    let writing = if bench.quick {
        Duration::from_secs(1)
    } else {
        WRITING
    };
    let started = Instant::now();
    let mut written = 0u32;
    while started.elapsed() < writing {
        let (status, _) = writer.send(&call).await?;
        anyhow::ensure!(status == 200 || status == 201, "restock answered {status}");
        written += 1;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let expected = written as usize * (1 + usize::from(bench.redis.is_some()));
    let caught_up = Instant::now() + CATCH_UP;
    while Instant::now() < caught_up
        && sse_samples.lock().await.len() + stream_samples.lock().await.len() < expected
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::Relaxed);
    sse.await??;
    if let Some(stream) = stream {
        stream.await??;
    }
    let (seen_sse, seen_stream) = (
        sse_samples.lock().await.len(),
        stream_samples.lock().await.len(),
    );
    anyhow::ensure!(
        seen_sse == written as usize,
        "lost events: the SSE client saw {seen_sse} of {written}"
    );
    anyhow::ensure!(
        bench.redis.is_none() || seen_stream == written as usize,
        "lost events: the Redis stream reader saw {seen_stream} of {written}"
    );

    let mut rows = Vec::new();
    let stream_samples = stream_samples.lock().await.clone();
    rows.push(match &bench.redis {
        Some(_) => Row::measured(
            "7a",
            "Event latency: commit → Redis stream reader (XREAD BLOCK)",
            None,
            &histogram_ms(&stream_samples),
            format!("{} of {written} events seen", stream_samples.len()),
        ),
        None => Row::note(
            "7a",
            "Event latency: commit → Redis stream reader",
            "skipped: no Redis reachable".into(),
        ),
    });
    let sse_samples = sse_samples.lock().await.clone();
    rows.push(Row::measured(
        "7b",
        "Event latency: commit → SSE client",
        None,
        &histogram_ms(&sse_samples),
        format!("{} of {written} events seen", sse_samples.len()),
    ));
    Ok(rows)
}

fn latency_ms(occurred_at: &str) -> Option<f64> {
    let occurred = OffsetDateTime::parse(occurred_at, &Rfc3339).ok()?;
    Some((OffsetDateTime::now_utc() - occurred).as_seconds_f64() * 1000.0)
}

async fn follow_sse(
    address: std::net::SocketAddr,
    product: String,
    samples: Arc<Mutex<Vec<f64>>>,
    stop: Arc<AtomicBool>,
    ready: oneshot::Sender<()>,
) -> anyhow::Result<()> {
    let stream = tokio::net::TcpStream::connect(address).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let request = hyper::Request::get(format!("/api/v1/stream?product_id={product}"))
        .header("host", "bench")
        .body(http_body_util::Empty::<Bytes>::new())?;
    let mut body = sender.send_request(request).await?.into_body();
    // The answer's head arrived: the feed is subscribed.
    let _ = ready.send(());
    let mut buffer = String::new();
    loop {
        let frame = match tokio::time::timeout(Duration::from_millis(100), body.frame()).await {
            Err(_) if !stop.load(Ordering::Relaxed) => continue,
            Err(_) | Ok(None) => return Ok(()),
            Ok(Some(frame)) => frame?,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        buffer.push_str(&String::from_utf8_lossy(&data));
        while let Some(end) = buffer.find("\n\n") {
            let message: String = buffer.drain(..end + 2).collect();
            if let Some(json) = message.lines().find_map(|l| l.strip_prefix("data: "))
                && let Ok(value) = serde_json::from_str::<serde_json::Value>(json)
                && let Some(latency) = value["occurred_at"].as_str().and_then(latency_ms)
            {
                samples.lock().await.push(latency);
            }
        }
    }
}

async fn follow_stream(
    url: String,
    name: String,
    product: String,
    samples: Arc<Mutex<Vec<f64>>>,
    stop: Arc<AtomicBool>,
    ready: oneshot::Sender<()>,
) -> anyhow::Result<()> {
    let mut reader = EventReader::new(&url, &name, StartAt::Now, Duration::from_millis(100))?;
    // The first read pins "now" to the stream's last entry: nothing after it is missed.
    let mut ready = Some(ready);
    while !stop.load(Ordering::Relaxed) {
        let events = reader.next(1000).await?;
        if let Some(ready) = ready.take() {
            let _ = ready.send(());
        }
        for event in events.into_iter().flatten() {
            if event.product_id.as_deref() == Some(product.as_str()) {
                let latency =
                    (OffsetDateTime::now_utc() - event.occurred_at).as_seconds_f64() * 1000.0;
                samples.lock().await.push(latency);
            }
        }
    }
    Ok(())
}
