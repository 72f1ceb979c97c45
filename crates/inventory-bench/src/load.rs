//! A closed-loop HTTP/1.1 load generator on hyper: `connections` keep-alive connections, each
//! sending its next request as soon as the previous answer arrives, for a fixed duration.
//!
//! Coordinated omission: a closed-loop client sends less while the server stalls, so raw
//! percentiles understate tail latency. Every sample is recorded with HdrHistogram's
//! `record_correct`, using the connection's median latency as the expected interval (what a
//! steady client would wait between requests, stalls excluded): a stall of N intervals adds
//! the N-1 requests it would have sent meanwhile, with their shrinking waiting times.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// One request to send.
#[derive(Debug, Clone)]
pub struct Call {
    /// GET, POST...
    pub method: Method,
    /// Path and query.
    pub path: String,
    /// A JSON body.
    pub body: Option<String>,
    /// A bearer token.
    pub token: Option<Arc<str>>,
}

impl Call {
    /// A GET without a token.
    pub fn get(path: impl Into<String>) -> Self {
        Self {
            method: Method::GET,
            path: path.into(),
            body: None,
            token: None,
        }
    }

    /// A POST with a JSON body and a token.
    pub fn post(path: impl Into<String>, body: String, token: &Arc<str>) -> Self {
        Self {
            method: Method::POST,
            path: path.into(),
            body: Some(body),
            token: Some(token.clone()),
        }
    }
}

/// A small, fast pseudo-random generator (xorshift64*): reproducible per connection, no
/// dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeded; 0 is replaced.
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// A number in `0..bound`.
    pub fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % bound.max(1)
    }
}

/// What a load run measured.
#[derive(Debug)]
pub struct LoadResult {
    /// Requests answered during the measured window.
    pub requests: u64,
    /// Answers by status.
    pub statuses: BTreeMap<u16, u64>,
    /// Answers by status during the warm-up (not measured, but they happened).
    pub warmup_statuses: BTreeMap<u16, u64>,
    /// The measured window.
    pub elapsed: Duration,
    /// Latency in microseconds, corrected for coordinated omission.
    pub latency: Histogram<u64>,
}

impl LoadResult {
    /// Requests per second.
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    /// Answers with this status.
    pub fn count(&self, status: u16) -> u64 {
        self.statuses.get(&status).copied().unwrap_or(0)
    }

    /// Answers with this status, warm-up included.
    pub fn count_all(&self, status: u16) -> u64 {
        self.count(status) + self.warmup_statuses.get(&status).copied().unwrap_or(0)
    }
}

/// An open HTTP/1.1 connection.
pub struct Connection {
    sender: SendRequest<Full<Bytes>>,
}

impl Connection {
    /// Connects to `address`.
    ///
    /// # Errors
    /// When the server cannot be reached.
    pub async fn open(address: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(address).await.context("connect")?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Self { sender })
    }

    /// Sends `call` and reads the whole answer.
    ///
    /// # Errors
    /// When the connection fails.
    pub async fn send(&mut self, call: &Call) -> anyhow::Result<(u16, Bytes)> {
        let mut request = Request::builder()
            .method(call.method.clone())
            .uri(&call.path)
            .header("host", "bench");
        if let Some(token) = &call.token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let body = match &call.body {
            Some(body) => {
                request = request.header("content-type", "application/json");
                Full::new(Bytes::from(body.clone()))
            }
            None => Full::new(Bytes::new()),
        };
        self.sender.ready().await?;
        let response = self.sender.send_request(request.body(body)?).await?;
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await?.to_bytes();
        Ok((status, bytes))
    }
}

/// Runs `connections` closed-loop clients for `duration` after `warmup`, spread evenly over
/// the `targets` (several instances of the server); `next` makes each request (per
/// connection, with its own generator).
///
/// # Errors
/// When a connection cannot be opened or fails.
pub async fn run(
    targets: &[SocketAddr],
    connections: usize,
    warmup: Duration,
    duration: Duration,
    next: Arc<dyn Fn(&mut Rng) -> Call + Send + Sync>,
) -> anyhow::Result<LoadResult> {
    let start = Instant::now() + warmup;
    let end = start + duration;
    let mut tasks = Vec::with_capacity(connections);
    anyhow::ensure!(!targets.is_empty(), "no server to load");
    for index in 0..connections {
        let next = next.clone();
        let address = targets[index % targets.len()];
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::open(address).await?;
            let mut rng = Rng::new(index as u64 + 1);
            let mut samples: Vec<u64> = Vec::new();
            let mut statuses: BTreeMap<u16, u64> = BTreeMap::new();
            let mut warmup_statuses: BTreeMap<u16, u64> = BTreeMap::new();
            loop {
                let call = next(&mut rng);
                let sent = Instant::now();
                if sent >= end {
                    break;
                }
                let (status, _) = connection.send(&call).await?;
                if sent >= start {
                    samples.push(sent.elapsed().as_micros() as u64);
                    *statuses.entry(status).or_default() += 1;
                } else {
                    *warmup_statuses.entry(status).or_default() += 1;
                }
            }
            anyhow::Ok((samples, statuses, warmup_statuses))
        }));
    }
    let mut latency = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut statuses = BTreeMap::new();
    let mut warmup_statuses = BTreeMap::new();
    let mut requests = 0;
    for task in tasks {
        let (samples, counts, warmup_counts) = task.await??;
        for (status, count) in warmup_counts {
            *warmup_statuses.entry(status).or_default() += count;
        }
        requests += samples.len() as u64;
        let interval = median(&samples).max(1);
        for sample in samples {
            latency.record_correct(sample.max(1), interval)?;
        }
        for (status, count) in counts {
            *statuses.entry(status).or_default() += count;
        }
    }
    Ok(LoadResult {
        requests,
        statuses,
        warmup_statuses,
        elapsed: duration,
        latency,
    })
}

/// The median of some samples (0 for none).
pub fn median(samples: &[u64]) -> u64 {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    sorted.get(sorted.len() / 2).copied().unwrap_or(0)
}

/// One request on a fresh connection, for setup and checks.
///
/// # Errors
/// When the server cannot be reached or the answer is not JSON.
pub async fn call_json(
    address: SocketAddr,
    call: &Call,
) -> anyhow::Result<(u16, serde_json::Value)> {
    let mut connection = Connection::open(address).await?;
    let (status, body) = connection.send(call).await?;
    let value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    Ok((status, value))
}
