//! Reading the stream from another Rust service.
//!
//! - [`EventReader`]: follows the stream from a sequence number (`XREAD BLOCK`), for a single
//!   reader that keeps its own position (a cache, a live view, `inventory events tail`).
//! - [`EventConsumer`]: a member of a consumer group (`XREADGROUP`, `XACK`), for work shared
//!   between processes with at-least-once delivery; [`EventConsumer::claim_stuck`] takes over
//!   entries a dead consumer left unacknowledged (`XAUTOCLAIM`).
//! - [`Deduplicator`]: at-least-once means an event can arrive twice; skip what was seen.
//!
//! In a group, several consumers may see one product's events out of order; a consumer that
//! needs order per product should compare `seq` (or use a single consumer).

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::streams::{
    StreamAutoClaimOptions, StreamAutoClaimReply, StreamId, StreamReadOptions, StreamReadReply,
};
use redis::{AsyncCommands, RedisResult, Value};

use crate::connection::{bounded_for, lazy_connection};
use crate::entry::{EntryError, StreamEvent, entry_id};

/// Where to start reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    /// Only events published from now on.
    Now,
    /// Events with a sequence number above this one (0: from the oldest kept).
    AfterSeq(u64),
}

/// Follows the stream, in order.
pub struct EventReader {
    connection: ConnectionManager,
    stream: String,
    last_id: String,
    block: Duration,
}

impl EventReader {
    /// A reader of `stream` at `url`. Each read blocks up to `block` waiting for new entries.
    ///
    /// # Errors
    /// For a malformed URL (the connection is made on first read).
    pub fn new(url: &str, stream: &str, start: StartAt, block: Duration) -> RedisResult<Self> {
        Ok(Self {
            connection: lazy_connection(url, block + Duration::from_secs(2))?,
            stream: stream.to_owned(),
            last_id: match start {
                StartAt::Now => "$".to_owned(),
                StartAt::AfterSeq(seq) => entry_id(seq),
            },
            block,
        })
    }

    /// The next events (none when `block` passed without any). Entries that are not events
    /// are returned as errors in place, so one bad entry does not stop the reader.
    ///
    /// # Errors
    /// When Redis cannot be reached; the position is kept, so call again.
    pub async fn next(
        &mut self,
        count: usize,
    ) -> RedisResult<Vec<Result<StreamEvent, EntryError>>> {
        if self.last_id == "$" {
            // `$` re-read in a loop would skip entries: pin it to the current last id.
            self.last_id = self.current_last_id().await?;
        }
        let options = StreamReadOptions::default()
            .block(self.block.as_millis() as usize)
            .count(count);
        let reply: Option<StreamReadReply> = bounded_for(
            self.block + Duration::from_secs(2),
            self.connection
                .xread_options(&[&self.stream], &[&self.last_id], &options),
        )
        .await?;
        let entries: Vec<StreamId> = reply
            .into_iter()
            .flat_map(|r| r.keys)
            .flat_map(|k| k.ids)
            .collect();
        if let Some(last) = entries.last() {
            self.last_id = last.id.clone();
        }
        Ok(entries
            .iter()
            .map(|e| StreamEvent::from_entry(&e.id, &e.map))
            .collect())
    }

    async fn current_last_id(&mut self) -> RedisResult<String> {
        let info: RedisResult<redis::streams::StreamInfoStreamReply> = bounded_for(
            Duration::from_secs(3),
            self.connection.xinfo_stream(&self.stream),
        )
        .await;
        match info {
            Ok(info) => Ok(info.last_generated_id),
            Err(error) if error.detail().is_some_and(|d| d.contains("no such key")) => {
                Ok("0-0".to_owned())
            }
            Err(error) => Err(error),
        }
    }
}

/// An event delivered to a group consumer, to acknowledge once handled.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The entry id, for [`EventConsumer::ack`].
    pub entry_id: String,
    /// The event, or why the entry could not be read as one.
    pub event: Result<StreamEvent, EntryError>,
}

/// A member of a consumer group.
pub struct EventConsumer {
    connection: ConnectionManager,
    stream: String,
    group: String,
    consumer: String,
    block: Duration,
}

impl EventConsumer {
    /// Joins (creating if needed) `group` on `stream` as `consumer`. A new group starts at
    /// `start`.
    ///
    /// # Errors
    /// When Redis cannot be reached or refuses the group.
    pub async fn join(
        url: &str,
        stream: &str,
        group: &str,
        consumer: &str,
        start: StartAt,
        block: Duration,
    ) -> RedisResult<Self> {
        let mut connection = lazy_connection(url, block + Duration::from_secs(2))?;
        let start_id = match start {
            StartAt::Now => "$".to_owned(),
            StartAt::AfterSeq(seq) => entry_id(seq),
        };
        let created: RedisResult<()> = bounded_for(
            Duration::from_secs(3),
            connection.xgroup_create_mkstream(stream, group, &start_id),
        )
        .await;
        match created {
            Err(error) if error.code() != Some("BUSYGROUP") => return Err(error),
            _ => {}
        }
        Ok(Self {
            connection,
            stream: stream.to_owned(),
            group: group.to_owned(),
            consumer: consumer.to_owned(),
            block,
        })
    }

    /// New entries for this consumer (`XREADGROUP ... >`), waiting up to the block time.
    ///
    /// # Errors
    /// When Redis cannot be reached.
    pub async fn poll(&mut self, count: usize) -> RedisResult<Vec<Delivery>> {
        self.read(">", count).await
    }

    /// Entries delivered to this consumer earlier but not acknowledged (after a restart).
    ///
    /// # Errors
    /// When Redis cannot be reached.
    pub async fn pending(&mut self, count: usize) -> RedisResult<Vec<Delivery>> {
        self.read("0", count).await
    }

    async fn read(&mut self, id: &str, count: usize) -> RedisResult<Vec<Delivery>> {
        let block = if id == ">" {
            self.block.as_millis() as usize
        } else {
            0
        };
        let mut options = StreamReadOptions::default()
            .group(&self.group, &self.consumer)
            .count(count);
        if block > 0 {
            options = options.block(block);
        }
        let reply: Option<StreamReadReply> = bounded_for(
            self.block + Duration::from_secs(2),
            self.connection
                .xread_options(&[&self.stream], &[id], &options),
        )
        .await?;
        Ok(reply
            .into_iter()
            .flat_map(|r| r.keys)
            .flat_map(|k| k.ids)
            .map(|entry| deliver(&entry.id, &entry.map))
            .collect())
    }

    /// Acknowledges handled entries.
    ///
    /// # Errors
    /// When Redis cannot be reached.
    pub async fn ack(&mut self, entry_ids: &[String]) -> RedisResult<usize> {
        if entry_ids.is_empty() {
            return Ok(0);
        }
        bounded_for(
            Duration::from_secs(3),
            self.connection.xack(&self.stream, &self.group, entry_ids),
        )
        .await
    }

    /// Takes over up to `count` entries that another consumer received but has not
    /// acknowledged for `min_idle` (it probably died), so they are handled by this one.
    ///
    /// # Errors
    /// When Redis cannot be reached.
    pub async fn claim_stuck(
        &mut self,
        min_idle: Duration,
        count: usize,
    ) -> RedisResult<Vec<Delivery>> {
        let mut claimed = Vec::new();
        let mut start = "0-0".to_owned();
        loop {
            let reply: StreamAutoClaimReply = bounded_for(
                Duration::from_secs(3),
                self.connection.xautoclaim_options(
                    &self.stream,
                    &self.group,
                    &self.consumer,
                    min_idle.as_millis() as u64,
                    &start,
                    StreamAutoClaimOptions::default().count(count),
                ),
            )
            .await?;
            claimed.extend(reply.claimed.iter().map(|e| deliver(&e.id, &e.map)));
            if reply.next_stream_id == "0-0" || claimed.len() >= count {
                return Ok(claimed);
            }
            start = reply.next_stream_id;
        }
    }
}

fn deliver(id: &str, map: &HashMap<String, Value>) -> Delivery {
    Delivery {
        entry_id: id.to_owned(),
        event: StreamEvent::from_entry(id, map),
    }
}

/// Remembers which sequence numbers were handled, to skip re-deliveries. Keeps a bounded
/// window: seqs older than `window` below the highest seen are treated as seen.
#[derive(Debug, Clone)]
pub struct Deduplicator {
    seen: BTreeSet<u64>,
    window: u64,
}

impl Deduplicator {
    /// Remembers about `window` sequence numbers.
    pub fn new(window: u64) -> Self {
        Self {
            seen: BTreeSet::new(),
            window: window.max(1),
        }
    }

    /// True the first time `seq` is offered, false for a repeat.
    pub fn first_time(&mut self, seq: u64) -> bool {
        let highest = self.seen.last().copied().unwrap_or(0);
        if highest >= self.window && seq <= highest - self.window {
            return false;
        }
        let new = self.seen.insert(seq);
        let floor = self
            .seen
            .last()
            .copied()
            .unwrap_or(0)
            .saturating_sub(self.window);
        while self.seen.first().is_some_and(|&oldest| oldest < floor) {
            self.seen.pop_first();
        }
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_seq_is_not_new() {
        let mut seen = Deduplicator::new(100);
        assert!(seen.first_time(5));
        assert!(seen.first_time(3), "out of order is still new");
        assert!(!seen.first_time(5));
        assert!(!seen.first_time(3));
    }

    #[test]
    fn memory_is_bounded_and_old_seqs_count_as_seen() {
        let mut seen = Deduplicator::new(10);
        for seq in 1..=1000 {
            assert!(seen.first_time(seq));
        }
        assert!(seen.seen.len() <= 11);
        assert!(
            !seen.first_time(500),
            "far below the window: treated as seen"
        );
    }
}
