//! How long a reservation holds stock before it expires.

use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// The time to live of a reservation, in whole seconds: 1 s to 24 h, 600 s (ten minutes, as the
/// design document proposes) when the caller does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u32")]
pub struct ReservationTtl(u32);

impl ReservationTtl {
    /// The shortest time to live accepted.
    pub const MIN_SECONDS: u32 = 1;
    /// The longest time to live accepted: a day. Longer holds belong to an order, not a cart.
    pub const MAX_SECONDS: u32 = 24 * 60 * 60;
    /// The time to live when the caller gives none.
    pub const DEFAULT: Self = Self(600);
    /// The longest a reservation may hold its units (a day).
    pub const MAX: Self = Self(Self::MAX_SECONDS);

    /// Validates a time to live in seconds.
    ///
    /// # Errors
    /// A [`ValidationError`] on `ttl` outside 1 to 86 400 seconds.
    pub fn from_seconds(seconds: i64) -> Result<Self, ValidationError> {
        let range = i64::from(Self::MIN_SECONDS)..=i64::from(Self::MAX_SECONDS);
        if !range.contains(&seconds) {
            return Err(ValidationError::new(
                "ttl",
                format!(
                    "must be between {} and {} seconds",
                    Self::MIN_SECONDS,
                    Self::MAX_SECONDS
                ),
            ));
        }
        Ok(Self(seconds as u32))
    }

    /// The time to live in seconds.
    pub const fn seconds(self) -> u32 {
        self.0
    }

    /// The time to live as a duration.
    pub fn duration(self) -> time::Duration {
        time::Duration::seconds(i64::from(self.0))
    }
}

impl Default for ReservationTtl {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl TryFrom<i64> for ReservationTtl {
    type Error = ValidationError;
    fn try_from(seconds: i64) -> Result<Self, Self::Error> {
        Self::from_seconds(seconds)
    }
}

impl From<ReservationTtl> for u32 {
    fn from(ttl: ReservationTtl) -> u32 {
        ttl.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_ten_minutes() {
        assert_eq!(ReservationTtl::default().seconds(), 600);
    }

    #[test]
    fn ttls_out_of_range_are_rejected() {
        for bad in [0, -1, 86_401, i64::MAX, i64::MIN] {
            let error = ReservationTtl::from_seconds(bad).unwrap_err();
            assert_eq!(error.field, "ttl", "{bad} should be rejected");
        }
    }

    #[test]
    fn the_bounds_themselves_are_accepted() {
        assert_eq!(ReservationTtl::from_seconds(1).unwrap().seconds(), 1);
        assert_eq!(
            ReservationTtl::from_seconds(86_400).unwrap().seconds(),
            86_400
        );
    }
}
