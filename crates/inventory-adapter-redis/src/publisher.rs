//! The publisher port on a Redis stream: `XADD <stream> MAXLEN ~ N <seq>-0 <fields>`.
//!
//! The entry id is the outbox sequence number, and a Lua script checks the stream's
//! last-generated id before it appends: the relay says where it believes the stream is, and
//! nothing is written unless the stream is exactly there. So an entry is never written twice
//! or out of order, a relay that died after publishing resumes after what it published, a
//! stream that lost its data (a Redis restarted empty) is noticed at the next publish, and a
//! failure part-way leaves a prefix of the batch, never a gap. The fields are
//! [`inventory_events::STREAM_FIELDS`].

use std::sync::{Arc, LazyLock};

use inventory_domain::EventId;
use inventory_ports::{BrokerPosition, EventPublisher, PublishError, PublishFuture, RecordedEvent};
use redis::aio::ConnectionManager;
use redis::streams::StreamRangeReply;
use redis::{AsyncCommands, RedisError, Script};

use crate::connection::bounded;
use crate::entry::{entry_id, seq_of};

/// KEYS[1]: the stream. ARGV[1]: MAXLEN. ARGV[2]: the id the stream's last entry must have
/// (`0-0` for none). Then, per event: its id, its number of fields, the fields. Returns the
/// number of entries added and the stream's last-generated id. An XADD that fails raises,
/// keeping the entries before it (scripts are not rolled back): a prefix, in order.
static PUBLISH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local function last_id()
  local info = redis.pcall('XINFO', 'STREAM', KEYS[1])
  if info.err then return '0-0' end
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then return info[i + 1] end
  end
  return '0-0'
end
if last_id() ~= ARGV[2] then return {0, last_id()} end
local added, pos = 0, 3
while pos <= #ARGV do
  local id, count = ARGV[pos], tonumber(ARGV[pos + 1])
  pos = pos + 2
  local args = {'XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], id}
  for j = pos, pos + count * 2 - 1 do args[#args + 1] = ARGV[j] end
  pos = pos + count * 2
  redis.call(unpack(args))
  added = added + 1
end
return {added, last_id()}
",
    )
});

/// Publishes outbox events to one stream.
#[derive(Clone)]
pub struct StreamPublisher {
    connection: ConnectionManager,
    stream: Arc<str>,
    max_len: u64,
}

impl StreamPublisher {
    /// A publisher to `stream`, trimming it to about `max_len` entries.
    pub fn new(connection: ConnectionManager, stream: &str, max_len: u64) -> Self {
        Self {
            connection,
            stream: stream.into(),
            max_len,
        }
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
    fn publish(&self, after: u64, events: Vec<RecordedEvent>) -> PublishFuture<u64> {
        let this = self.clone();
        Box::pin(async move {
            let Some(last) = events.last().map(|e| e.seq) else {
                return Ok(after);
            };
            let mut invocation = PUBLISH.key(&*this.stream);
            invocation.arg(this.max_len).arg(entry_id(after));
            for event in &events {
                let fields = event.to_stream_fields();
                invocation.arg(entry_id(event.seq)).arg(fields.len());
                for (name, value) in fields {
                    invocation.arg(name).arg(value);
                }
            }
            let mut connection = this.connection.clone();
            let (added, top): (u64, String) = bounded(invocation.invoke_async(&mut connection))
                .await
                .map_err(|e| unavailable(&e))?;
            if added == 0 {
                tracing::info!(expected = after, found = %top, "the stream is not where the relay left it");
                return Err(PublishError::Moved);
            }
            let top = seq_of(&top).unwrap_or(0);
            debug_assert_eq!(top, last, "the script appends every event or raises");
            Ok(top)
        })
    }

    fn position(&self) -> PublishFuture<BrokerPosition> {
        let this = self.clone();
        Box::pin(async move {
            let mut connection = this.connection.clone();
            let seq = stream_top(&mut connection, &this.stream)
                .await
                .map_err(|e| unavailable(&e))?;
            if seq == 0 {
                return Ok(BrokerPosition::default());
            }
            let last: StreamRangeReply =
                bounded(connection.xrevrange_count(&*this.stream, "+", "-", 1))
                    .await
                    .map_err(|e| unavailable(&e))?;
            let event_id = last
                .ids
                .first()
                .filter(|entry| seq_of(&entry.id) == Some(seq))
                .and_then(|entry| entry.get::<String>("event_id"))
                .and_then(|text| EventId::parse(&text).ok());
            Ok(BrokerPosition { seq, event_id })
        })
    }
}
