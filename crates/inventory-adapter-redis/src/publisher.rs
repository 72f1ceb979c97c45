//! The publisher port on a Redis stream: `XADD <stream> MAXLEN ~ N <seq>-0 <fields>`.
//!
//! The entry id is the outbox sequence number, so Redis itself refuses an entry it already
//! has, and the stream's last-generated id is the relay's position: a relay that died after
//! publishing skips, on restart, everything up to it, and never writes an entry twice or out
//! of order. The fields are [`inventory_events::STREAM_FIELDS`].

use std::sync::{Arc, Mutex};

use inventory_ports::{EventPublisher, PublishError, PublishFuture, RecordedEvent};
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, RedisError};

use crate::connection::bounded;
use crate::entry::{entry_id, seq_of};

/// Publishes outbox events to one stream.
#[derive(Clone)]
pub struct StreamPublisher {
    connection: ConnectionManager,
    stream: Arc<str>,
    max_len: u64,
    /// The stream's last sequence number as last seen; `None` after any failure, so the next
    /// call asks Redis again.
    top: Arc<Mutex<Option<u64>>>,
}

impl StreamPublisher {
    /// A publisher to `stream`, trimming it to about `max_len` entries.
    pub fn new(connection: ConnectionManager, stream: &str, max_len: u64) -> Self {
        Self {
            connection,
            stream: stream.into(),
            max_len,
            top: Arc::new(Mutex::new(None)),
        }
    }

    fn cached_top(&self) -> Option<u64> {
        *self.top.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn set_top(&self, top: Option<u64>) {
        *self.top.lock().unwrap_or_else(|p| p.into_inner()) = top;
    }
}

/// The stream's last-generated id as a sequence number (0 for a missing stream). Unlike the
/// last entry, it survives trimming, so it is what XADD compares new ids against.
async fn stream_top(connection: &mut ConnectionManager, stream: &str) -> Result<u64, RedisError> {
    let info: redis::streams::StreamInfoStreamReply = match bounded(connection.xinfo_stream(stream))
        .await
    {
        Ok(info) => info,
        Err(error) if error.detail().is_some_and(|d| d.contains("no such key")) => return Ok(0),
        Err(error) => return Err(error),
    };
    Ok(seq_of(&info.last_generated_id).unwrap_or(0))
}

fn unavailable(error: &RedisError) -> PublishError {
    PublishError::Unavailable(format!("redis: {error}"))
}

impl EventPublisher for StreamPublisher {
    fn publish(&self, events: Vec<RecordedEvent>) -> PublishFuture<u64> {
        let this = self.clone();
        Box::pin(async move {
            let mut connection = this.connection.clone();
            let top = match this.cached_top() {
                Some(top) => top,
                None => stream_top(&mut connection, &this.stream)
                    .await
                    .map_err(|e| {
                        this.set_top(None);
                        unavailable(&e)
                    })?,
            };
            let fresh: Vec<&RecordedEvent> = events.iter().filter(|e| e.seq > top).collect();
            let Some(last) = fresh.last().map(|e| e.seq) else {
                this.set_top(Some(top));
                return Ok(top.max(events.last().map_or(0, |e| e.seq)));
            };
            let mut pipe = redis::pipe();
            for event in &fresh {
                pipe.cmd("XADD")
                    .arg(&*this.stream)
                    .arg("MAXLEN")
                    .arg("~")
                    .arg(this.max_len)
                    .arg(entry_id(event.seq))
                    .arg(event.to_stream_fields())
                    .ignore();
            }
            match bounded(pipe.exec_async(&mut connection)).await {
                Ok(()) => {
                    this.set_top(Some(last));
                    Ok(last)
                }
                Err(error) => {
                    // Another relay may have published some of these (the lease makes that
                    // rare); either way, ask Redis where the stream is before trying again.
                    this.set_top(None);
                    Err(unavailable(&error))
                }
            }
        })
    }

    fn last_published_seq(&self) -> PublishFuture<u64> {
        let this = self.clone();
        Box::pin(async move {
            let mut connection = this.connection.clone();
            let top = stream_top(&mut connection, &this.stream)
                .await
                .map_err(|e| unavailable(&e))?;
            this.set_top(Some(top));
            Ok(top)
        })
    }
}
