//! The clock port: where "now" comes from, so tests can stop and move time.

use std::sync::Mutex;

use time::{Duration, OffsetDateTime};

/// Tells the time. Implementations return UTC truncated to whole milliseconds, the precision
/// timestamps are stored with, so a value read back equals the value written.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> OffsetDateTime;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        truncate_to_millis(OffsetDateTime::now_utc())
    }
}

/// A clock that only moves when told to: for tests and simulations.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<OffsetDateTime>,
}

impl ManualClock {
    /// A clock stopped at `start`.
    pub fn new(start: OffsetDateTime) -> Self {
        Self {
            now: Mutex::new(truncate_to_millis(start)),
        }
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Drops the sub-millisecond part of an instant and converts it to UTC.
pub fn truncate_to_millis(instant: OffsetDateTime) -> OffsetDateTime {
    let utc = instant.to_offset(time::UtcOffset::UTC);
    utc.replace_nanosecond(utc.millisecond() as u32 * 1_000_000)
        .unwrap_or(utc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(datetime!(2025-10-26 17:00 UTC));
        assert_eq!(clock.now(), datetime!(2025-10-26 17:00 UTC));
        clock.advance(Duration::seconds(90));
        assert_eq!(clock.now(), datetime!(2025-10-26 17:01:30 UTC));
    }

    #[test]
    fn the_system_clock_has_millisecond_precision() {
        let now = SystemClock.now();
        assert_eq!(now.nanosecond() % 1_000_000, 0);
        assert_eq!(now.offset(), time::UtcOffset::UTC);
    }

    #[test]
    fn truncation_keeps_milliseconds_and_converts_to_utc() {
        let instant = datetime!(2025-10-26 19:00:00.123456789 +2);
        assert_eq!(
            truncate_to_millis(instant),
            datetime!(2025-10-26 17:00:00.123 UTC)
        );
    }
}
