//! Checks shared by the scenarios: the stored data against the ledger, and the Redis stream
//! against the outbox.

use std::time::{Duration, Instant};

use redis::Commands;

use crate::client::Api;
use crate::ledger::Ledger;

/// The stream's entries as (seq, event id).
pub fn stream_entries(url: &str, stream: &str) -> Result<Vec<(u64, String)>, String> {
    let mut connection = redis::Client::open(url)
        .and_then(|client| client.get_connection_with_timeout(Duration::from_secs(2)))
        .map_err(|error| error.to_string())?;
    let reply: redis::streams::StreamRangeReply =
        connection.xrange_all(stream).map_err(|e| e.to_string())?;
    Ok(reply
        .ids
        .into_iter()
        .map(|entry| {
            let seq = entry.id.trim_end_matches("-0").parse().unwrap_or(0);
            let id = entry
                .map
                .get("event_id")
                .and_then(|value| redis::from_redis_value_ref::<String>(value).ok())
                .unwrap_or_default();
            (seq, id)
        })
        .collect())
}

/// Waits (up to `wait`) for the stream to reach the outbox's last event, then checks that it
/// holds exactly the outbox: every event once, in order, each with the outbox's event id.
pub fn stream_matches_outbox(
    url: &str,
    stream: &str,
    outbox: &[(u64, String)],
    wait: Duration,
) -> Vec<String> {
    let last = outbox.last().map_or(0, |(seq, _)| *seq);
    let deadline = Instant::now() + wait;
    let entries = loop {
        match stream_entries(url, stream) {
            Ok(entries) if entries.last().map_or(0, |(seq, _)| *seq) >= last => break entries,
            Ok(entries) if Instant::now() >= deadline => break entries,
            Err(error) if Instant::now() >= deadline => {
                return vec![format!("the stream cannot be read: {error}")];
            }
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    if entries == outbox {
        return Vec::new();
    }
    let mut violations = Vec::new();
    for (at, pair) in entries.iter().zip(outbox).enumerate() {
        if pair.0 != pair.1 {
            violations.push(format!(
                "stream entry {} is {:?} where the outbox has {:?}",
                at + 1,
                pair.0,
                pair.1
            ));
            break;
        }
    }
    if entries.len() != outbox.len() {
        violations.push(format!(
            "the stream holds {} entries (last {:?}) and the outbox {} (last {:?}) after {:?}",
            entries.len(),
            entries.last(),
            outbox.len(),
            outbox.last(),
            wait
        ));
    }
    violations
}

/// After a fault: the stored data against what the clients were told, then the stream against
/// the outbox (15 s for the relay to catch up).
pub fn after_fault(ledger: &mut Ledger, api: &Api, redis_url: &str, stream: &str) -> Vec<String> {
    let mut violations = ledger.verify(api);
    violations.extend(stream_matches_outbox(
        redis_url,
        stream,
        &ledger.seen,
        Duration::from_secs(15),
    ));
    violations
}
