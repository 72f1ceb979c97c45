//! An exact price in euro cents.
//!
//! The design document stored prices as `REAL`; binary floating point cannot hold 0.10 exactly,
//! so prices are integer cents here, parsed from and written as decimal text (`"899.99"`).
//! The chain sells in Spain only, so one currency (EUR) is implied for the whole catalogue.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// The highest price accepted, in cents (ten million euro): a typo guard, not a business rule.
pub const MAX_PRICE_CENTS: i64 = 1_000_000_000;

/// A non-negative price in euro cents, at most [`MAX_PRICE_CENTS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Price {
    cents: i64,
}

impl Price {
    /// A price from a number of cents.
    ///
    /// # Errors
    /// A [`ValidationError`] on `price` when `cents` is negative or above [`MAX_PRICE_CENTS`].
    pub fn from_cents(cents: i64) -> Result<Self, ValidationError> {
        if cents < 0 {
            return Err(ValidationError::new("price", "must not be negative"));
        }
        if cents > MAX_PRICE_CENTS {
            return Err(ValidationError::new(
                "price",
                format!(
                    "must be at most {}",
                    Self {
                        cents: MAX_PRICE_CENTS
                    }
                ),
            ));
        }
        Ok(Self { cents })
    }

    /// Parses decimal text with at most two decimals: `"899.99"`, `"5"`, `"0.5"`.
    ///
    /// # Errors
    /// A [`ValidationError`] on `price` when the text is not such a number or is out of range.
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let text = text.trim();
        let malformed = || {
            ValidationError::new(
                "price",
                "must be a decimal number with at most two decimals, such as \"899.99\"",
            )
        };
        if text.starts_with('-') {
            return Err(ValidationError::new("price", "must not be negative"));
        }
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) || fraction.len() > 2 {
            return Err(malformed());
        }
        if text.ends_with('.') {
            return Err(malformed());
        }
        // Twelve digits of whole euros is already far above the limit: refuse before overflow.
        if whole.trim_start_matches('0').len() > 12 {
            return Self::from_cents(i64::MAX);
        }
        let euros: i64 = whole.parse().map_err(|_| malformed())?;
        let cents: i64 = match fraction.len() {
            0 => 0,
            1 => fraction.parse::<i64>().map_err(|_| malformed())? * 10,
            _ => fraction.parse().map_err(|_| malformed())?,
        };
        Self::from_cents(euros * 100 + cents)
    }

    /// The price in cents.
    pub const fn cents(self) -> i64 {
        self.cents
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.cents / 100, self.cents % 100)
    }
}

impl FromStr for Price {
    type Err = ValidationError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl TryFrom<String> for Price {
    type Error = ValidationError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<Price> for String {
    fn from(price: Price) -> String {
        price.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decimal_text_is_read_exactly() {
        assert_eq!(Price::parse("899.99").unwrap().cents(), 89_999);
        assert_eq!(Price::parse("0.1").unwrap().cents(), 10);
        assert_eq!(Price::parse("5").unwrap().cents(), 500);
        assert_eq!(Price::parse("0").unwrap().cents(), 0);
    }

    #[test]
    fn prices_are_written_with_two_decimals() {
        assert_eq!(Price::from_cents(89_999).unwrap().to_string(), "899.99");
        assert_eq!(Price::from_cents(5).unwrap().to_string(), "0.05");
    }

    #[test]
    fn a_negative_price_is_rejected() {
        assert_eq!(
            Price::parse("-1.00").unwrap_err().message,
            "must not be negative"
        );
        assert!(Price::from_cents(-1).is_err());
    }

    #[test]
    fn malformed_prices_are_rejected() {
        for bad in ["", ".5", "5.", "1.234", "1,50", "abc", "1e3", "+1", "1.-5"] {
            assert!(Price::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn absurd_prices_are_rejected_without_overflow() {
        assert!(Price::parse("99999999999999999999999").is_err());
        assert!(Price::parse("10000000.01").is_err());
        assert!(Price::parse("10000000.00").is_ok());
    }

    proptest! {
        #[test]
        fn every_price_round_trips_through_text(cents in 0..=MAX_PRICE_CENTS) {
            let price = Price::from_cents(cents).unwrap();
            prop_assert_eq!(Price::parse(&price.to_string()).unwrap(), price);
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(text in ".{0,30}") {
            let _ = Price::parse(&text);
        }
    }
}
