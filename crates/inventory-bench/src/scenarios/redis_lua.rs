//! (R0) The in-memory peer: what a hot-SKU reservation costs when it is only a Redis Lua
//! check-and-decrement of one counter (the design most "fast inventory" write-ups start from).
//! 64 clients, each on its own connection, one `EVALSHA` at a time, for the run's duration.
//! Nothing is durable and nothing else is written (no reservation, no event): an upper bound
//! for our hot-SKU figures (3) and (2b), not a like-for-like rival.
//!
//! Afterwards the counter must have gone down by exactly the number of answers `1` (warm-up
//! included), as scenario 3 checks `reserved` against its 201 answers; otherwise the run fails.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use hdrhistogram::Histogram;

use crate::load::median;
use crate::report::Row;

/// The check-and-decrement: take `ARGV[1]` units if that many are left.
const SCRIPT: &str = "local a = tonumber(redis.call('GET', KEYS[1])) if a >= tonumber(ARGV[1]) then redis.call('DECRBY', KEYS[1], ARGV[1]) return 1 end return 0";

/// Units the counter starts with: more than any run can take.
const INITIAL: i64 = 1_000_000_000_000;

/// What one client saw.
#[derive(Default)]
struct ClientTally {
    /// Latency of each measured call, in microseconds.
    samples: Vec<u64>,
    /// Answers `1` (units taken), warm-up included.
    taken: u64,
    /// Answers `0` (refused), warm-up included.
    refused: u64,
}

/// Runs it against the Redis at `url` on a key of its own, deleted at the end.
///
/// # Errors
/// When Redis fails, or the counter did not go down by the number of answers `1`.
pub fn run(url: &str, clients: usize, warmup: Duration, duration: Duration) -> anyhow::Result<Row> {
    let client = redis::Client::open(url)?;
    let mut admin = client
        .get_connection_with_timeout(Duration::from_secs(2))
        .context("connecting to Redis")?;
    let key = format!("inventory:bench:{}:stock", uuid::Uuid::new_v4().simple());
    redis::cmd("SET").arg(&key).arg(INITIAL).exec(&mut admin)?;
    // Loaded once; every call then sends only its SHA-1.
    let sha: String = redis::cmd("SCRIPT")
        .arg("LOAD")
        .arg(SCRIPT)
        .query(&mut admin)?;
    let tallies = load(&client, &sha, &key, clients, warmup, duration);
    let remaining: redis::RedisResult<Option<i64>> = redis::cmd("GET").arg(&key).query(&mut admin);
    // The key goes whatever happened.
    let deleted = redis::cmd("DEL").arg(&key).exec(&mut admin);
    let tallies = tallies?;
    let remaining = remaining?.context("the counter disappeared")?;
    deleted?;

    let mut latency = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let (mut calls, mut taken, mut refused) = (0u64, 0u64, 0u64);
    for tally in tallies {
        calls += tally.samples.len() as u64;
        taken += tally.taken;
        refused += tally.refused;
        // Coordinated omission, as the HTTP load generator corrects it.
        let interval = median(&tally.samples).max(1);
        for sample in tally.samples {
            latency.record_correct(sample.max(1), interval)?;
        }
    }
    let decremented = INITIAL - remaining;
    if u64::try_from(decremented).ok() != Some(taken) {
        bail!(
            "REDIS CHECK FAILED: the counter went down by {decremented} but the script answered 1 {taken} times"
        );
    }
    if refused > 0 {
        bail!("the Redis counter refused {refused} calls: it started too low");
    }
    Ok(Row::measured(
        "R0",
        "Redis Lua check-and-decrement (EVALSHA), one key",
        Some(calls as f64 / duration.as_secs_f64()),
        &latency,
        format!(
            "{clients} clients, initial − final == answers of 1 == {taken}; in memory, not durable: an upper bound"
        ),
    ))
}

/// `clients` threads, each with its own connection, calling the script one call at a time
/// until the end of the window.
fn load(
    client: &redis::Client,
    sha: &str,
    key: &str,
    clients: usize,
    warmup: Duration,
    duration: Duration,
) -> anyhow::Result<Vec<ClientTally>> {
    let start = Instant::now() + warmup;
    let end = start + duration;
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..clients)
            .map(|_| {
                scope.spawn(move || -> anyhow::Result<ClientTally> {
                    let mut connection = client.get_connection()?;
                    let mut tally = ClientTally::default();
                    loop {
                        let sent = Instant::now();
                        if sent >= end {
                            break;
                        }
                        let answer: i64 = redis::cmd("EVALSHA")
                            .arg(sha)
                            .arg(1)
                            .arg(key)
                            .arg(1)
                            .query(&mut connection)?;
                        if sent >= start {
                            tally.samples.push(sent.elapsed().as_micros() as u64);
                        }
                        match answer {
                            1 => tally.taken += 1,
                            _ => tally.refused += 1,
                        }
                    }
                    Ok(tally)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| {
                worker
                    .join()
                    .map_err(|_| anyhow::anyhow!("a Redis client thread panicked"))?
            })
            .collect()
    })
}
