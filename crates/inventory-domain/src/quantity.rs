//! Units of a product: how many to reserve ([`Quantity`]), how much a stock level moves
//! ([`StockDelta`]) and what a physical count found ([`StockCount`]).
//!
//! Every one has a limit (TigerStyle: put a limit on everything), so no arithmetic on them can
//! overflow and no typo of a few extra zeros reaches the database.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// The most units one operation (a reservation, a delta) may move.
pub const MAX_UNITS_PER_OPERATION: u32 = 1_000_000;

/// The most units one (product, store) pair may hold.
pub const MAX_STOCK_LEVEL: u32 = 1_000_000_000;

/// A positive number of units, at most [`MAX_UNITS_PER_OPERATION`]: what a reservation holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u32")]
pub struct Quantity(u32);

impl Quantity {
    /// Validates a requested number of units.
    ///
    /// # Errors
    /// A [`ValidationError`] on `quantity` when `units` is zero, negative or above
    /// [`MAX_UNITS_PER_OPERATION`].
    pub fn new(units: i64) -> Result<Self, ValidationError> {
        if units <= 0 {
            return Err(ValidationError::new("quantity", "must be at least 1"));
        }
        if units > i64::from(MAX_UNITS_PER_OPERATION) {
            return Err(ValidationError::new(
                "quantity",
                format!("must be at most {MAX_UNITS_PER_OPERATION}"),
            ));
        }
        Ok(Self(units as u32))
    }

    /// The number of units.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<i64> for Quantity {
    type Error = ValidationError;
    fn try_from(units: i64) -> Result<Self, Self::Error> {
        Self::new(units)
    }
}

impl From<Quantity> for u32 {
    fn from(quantity: Quantity) -> u32 {
        quantity.0
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A non-zero change to a stock level (`quantity_change`), at most
/// [`MAX_UNITS_PER_OPERATION`] either way. Deltas commute, so they need no version check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct StockDelta(i64);

impl StockDelta {
    /// Validates a change of `units` (positive adds, negative removes).
    ///
    /// # Errors
    /// A [`ValidationError`] on `quantity_change` when `units` is zero or moves more than
    /// [`MAX_UNITS_PER_OPERATION`].
    pub fn new(units: i64) -> Result<Self, ValidationError> {
        if units == 0 {
            return Err(ValidationError::new("quantity_change", "must not be zero"));
        }
        if units.unsigned_abs() > u64::from(MAX_UNITS_PER_OPERATION) {
            return Err(ValidationError::new(
                "quantity_change",
                format!("must be between -{MAX_UNITS_PER_OPERATION} and {MAX_UNITS_PER_OPERATION}"),
            ));
        }
        Ok(Self(units))
    }

    /// The signed change.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl TryFrom<i64> for StockDelta {
    type Error = ValidationError;
    fn try_from(units: i64) -> Result<Self, Self::Error> {
        Self::new(units)
    }
}

impl From<StockDelta> for i64 {
    fn from(delta: StockDelta) -> i64 {
        delta.0
    }
}

/// The number of units a physical count found: 0 to [`MAX_STOCK_LEVEL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u32")]
pub struct StockCount(u32);

impl StockCount {
    /// Validates a counted stock level.
    ///
    /// # Errors
    /// A [`ValidationError`] on `quantity` when `units` is negative or above
    /// [`MAX_STOCK_LEVEL`].
    pub fn new(units: i64) -> Result<Self, ValidationError> {
        if units < 0 {
            return Err(ValidationError::new("quantity", "must not be negative"));
        }
        if units > i64::from(MAX_STOCK_LEVEL) {
            return Err(ValidationError::new(
                "quantity",
                format!("must be at most {MAX_STOCK_LEVEL}"),
            ));
        }
        Ok(Self(units as u32))
    }

    /// The number of units.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<i64> for StockCount {
    type Error = ValidationError;
    fn try_from(units: i64) -> Result<Self, Self::Error> {
        Self::new(units)
    }
}

impl From<StockCount> for u32 {
    fn from(count: StockCount) -> u32 {
        count.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn zero_and_negative_quantities_are_rejected() {
        assert_eq!(Quantity::new(0).unwrap_err().field, "quantity");
        assert!(Quantity::new(-3).is_err());
    }

    #[test]
    fn huge_quantities_are_rejected() {
        assert!(Quantity::new(i64::from(MAX_UNITS_PER_OPERATION)).is_ok());
        assert!(Quantity::new(i64::from(MAX_UNITS_PER_OPERATION) + 1).is_err());
        assert!(Quantity::new(i64::MAX).is_err());
    }

    #[test]
    fn a_zero_delta_is_rejected() {
        assert_eq!(StockDelta::new(0).unwrap_err().field, "quantity_change");
    }

    #[test]
    fn deltas_are_bounded_both_ways() {
        let limit = i64::from(MAX_UNITS_PER_OPERATION);
        assert!(StockDelta::new(-limit).is_ok());
        assert!(StockDelta::new(-limit - 1).is_err());
        assert!(StockDelta::new(limit + 1).is_err());
        assert!(StockDelta::new(i64::MIN).is_err());
    }

    #[test]
    fn counts_may_be_zero_but_not_negative() {
        assert_eq!(StockCount::new(0).unwrap().get(), 0);
        assert!(StockCount::new(-1).is_err());
        assert!(StockCount::new(i64::from(MAX_STOCK_LEVEL) + 1).is_err());
    }

    #[test]
    fn deserialising_a_quantity_validates_it() {
        assert!(serde_json::from_str::<Quantity>("0").is_err());
        assert_eq!(serde_json::from_str::<Quantity>("7").unwrap().get(), 7);
    }

    proptest! {
        #[test]
        fn a_quantity_exists_exactly_within_its_bounds(units in any::<i64>()) {
            let in_bounds = (1..=i64::from(MAX_UNITS_PER_OPERATION)).contains(&units);
            prop_assert_eq!(Quantity::new(units).is_ok(), in_bounds);
        }

        #[test]
        fn a_delta_exists_exactly_within_its_bounds(units in any::<i64>()) {
            let limit = i64::from(MAX_UNITS_PER_OPERATION);
            let in_bounds = units != 0 && (-limit..=limit).contains(&units);
            prop_assert_eq!(StockDelta::new(units).is_ok(), in_bounds);
        }
    }
}
