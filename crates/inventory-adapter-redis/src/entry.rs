//! A stream entry read back: the event it carries and the id it came in. The fields are
//! those of [`inventory_events::STREAM_FIELDS`]; the entry id is `<seq>-0`.

use std::collections::HashMap;

use inventory_events::{DecodeError, EventPayload, EventType, RecordedEvent};
use redis::Value;

/// The entry id of an event: `<seq>-0`.
pub fn entry_id(seq: u64) -> String {
    format!("{seq}-0")
}

/// The sequence number in an entry id (`42-0` → 42).
pub fn seq_of(entry_id: &str) -> Option<u64> {
    entry_id
        .split_once('-')
        .map_or(Some(entry_id), |(ms, _)| Some(ms))?
        .parse()
        .ok()
}

/// An event read from the stream: the outbox event it carries, and the entry it came in.
/// Derefs to the [`RecordedEvent`], so `event.seq`, `event.event_type`... read directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEvent {
    /// The Redis entry id (`<seq>-0`), for XACK.
    pub entry_id: String,
    /// The event, as the outbox holds it. De-duplicate on its `seq`.
    pub event: RecordedEvent,
}

impl std::ops::Deref for StreamEvent {
    type Target = RecordedEvent;
    fn deref(&self) -> &RecordedEvent {
        &self.event
    }
}

/// Why an entry could not be read as an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("entry {entry_id}: {problem}")]
pub struct EntryError {
    /// The entry.
    pub entry_id: String,
    /// What is wrong.
    pub problem: String,
}

impl StreamEvent {
    /// Reads a stream entry.
    ///
    /// # Errors
    /// [`EntryError`] when a required field is missing or malformed.
    pub fn from_entry(entry_id: &str, map: &HashMap<String, Value>) -> Result<Self, EntryError> {
        let text = |field: &str| -> Option<String> {
            match map.get(field)? {
                Value::BulkString(bytes) => String::from_utf8(bytes.clone()).ok(),
                Value::SimpleString(text) => Some(text.clone()),
                _ => None,
            }
        };
        let event = RecordedEvent::from_stream_fields(text).map_err(|error| EntryError {
            entry_id: entry_id.to_owned(),
            problem: error.to_string(),
        })?;
        Ok(Self {
            entry_id: entry_id.to_owned(),
            event,
        })
    }

    /// The payload, read by the event's declared type and version.
    ///
    /// # Errors
    /// [`DecodeError`] for a type or version this build does not know (skip the event and
    /// count it; never read it as something else), or a malformed payload.
    pub fn decode(&self) -> Result<(EventType, EventPayload), DecodeError> {
        self.event.decode()
    }

    /// The event, without the entry it came in.
    pub fn into_event(self) -> RecordedEvent {
        self.event
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_ids_carry_the_sequence_number() {
        assert_eq!(entry_id(42), "42-0");
        assert_eq!(seq_of("42-0"), Some(42));
        assert_eq!(seq_of("7"), Some(7));
        assert_eq!(seq_of("x-0"), None);
    }
}
