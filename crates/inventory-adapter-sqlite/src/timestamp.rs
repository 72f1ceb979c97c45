//! Timestamps as stored: fixed-width UTC text with milliseconds, so text order is time order.

use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

const FORMAT: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// `2025-10-26T17:30:00.000Z`.
pub(crate) fn format(instant: OffsetDateTime) -> String {
    instant
        .to_offset(UtcOffset::UTC)
        .format(FORMAT)
        .unwrap_or_else(|_| instant.unix_timestamp().to_string())
}

/// Reads back what [`format`] wrote.
pub(crate) fn parse(text: &str) -> Result<OffsetDateTime, time::error::Parse> {
    PrimitiveDateTime::parse(text, FORMAT).map(PrimitiveDateTime::assume_utc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn timestamps_have_a_fixed_width_and_round_trip() {
        let instant = datetime!(2025-10-26 17:30:00 UTC);
        assert_eq!(format(instant), "2025-10-26T17:30:00.000Z");
        assert_eq!(parse(&format(instant)).unwrap(), instant);
        let precise = datetime!(2025-10-26 17:30:00.123 UTC);
        assert_eq!(parse(&format(precise)).unwrap(), precise);
    }

    #[test]
    fn text_order_is_time_order() {
        let earlier = format(datetime!(2025-10-26 17:30:00 UTC));
        let later = format(datetime!(2025-10-26 17:30:00.001 UTC));
        assert!(earlier < later);
    }

    #[test]
    fn other_offsets_are_stored_in_utc() {
        assert_eq!(
            format(datetime!(2025-10-26 19:30:00 +2)),
            "2025-10-26T17:30:00.000Z"
        );
    }
}
