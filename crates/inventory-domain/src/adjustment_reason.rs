//! Why a stock level moved by a delta. The reason decides which way it may move.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{StockDelta, ValidationError};

/// Why a stock level changed by a delta (`quantity_change`).
///
/// Each reason but [`AdjustmentReason::Adjustment`] has a direction: a restock that removes
/// units is a client bug, so it is refused rather than stored as a negative restock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AdjustmentReason {
    /// Goods received from a supplier: adds units.
    Restock,
    /// Sold at the counter: removes units.
    Sale,
    /// A customer brought units back: adds units.
    Return,
    /// A correction either way.
    Adjustment,
    /// Broken or unsellable units: removes units.
    Damage,
    /// Units missing (theft, loss): removes units.
    Loss,
    /// Units received from another store: adds units.
    TransferIn,
    /// Units sent to another store: removes units.
    TransferOut,
}

impl AdjustmentReason {
    /// Every reason, for documentation and tests.
    pub const ALL: [Self; 8] = [
        Self::Restock,
        Self::Sale,
        Self::Return,
        Self::Adjustment,
        Self::Damage,
        Self::Loss,
        Self::TransferIn,
        Self::TransferOut,
    ];

    /// The reason as written on the wire (`RESTOCK`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Restock => "RESTOCK",
            Self::Sale => "SALE",
            Self::Return => "RETURN",
            Self::Adjustment => "ADJUSTMENT",
            Self::Damage => "DAMAGE",
            Self::Loss => "LOSS",
            Self::TransferIn => "TRANSFER_IN",
            Self::TransferOut => "TRANSFER_OUT",
        }
    }

    /// Checks that `delta` goes the way this reason allows.
    ///
    /// # Errors
    /// A [`ValidationError`] on `quantity_change` when it goes the wrong way.
    pub fn check_direction(self, delta: StockDelta) -> Result<(), ValidationError> {
        let adds = matches!(self, Self::Restock | Self::Return | Self::TransferIn);
        let removes = matches!(
            self,
            Self::Sale | Self::Damage | Self::Loss | Self::TransferOut
        );
        if adds && delta.get() < 0 {
            return Err(ValidationError::new(
                "quantity_change",
                format!("must be positive for {}", self.as_str()),
            ));
        }
        if removes && delta.get() > 0 {
            return Err(ValidationError::new(
                "quantity_change",
                format!("must be negative for {}", self.as_str()),
            ));
        }
        Ok(())
    }
}

impl fmt::Display for AdjustmentReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for AdjustmentReason {
    type Err = ValidationError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.trim();
        Self::ALL
            .into_iter()
            .find(|reason| reason.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|r| r.as_str()).collect();
                ValidationError::new("reason", format!("must be one of {}", names.join(", ")))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delta(units: i64) -> StockDelta {
        StockDelta::new(units).unwrap()
    }

    #[test]
    fn a_restock_must_add_units() {
        assert!(AdjustmentReason::Restock.check_direction(delta(5)).is_ok());
        assert!(
            AdjustmentReason::Restock
                .check_direction(delta(-5))
                .is_err()
        );
    }

    #[test]
    fn a_sale_must_remove_units() {
        assert!(AdjustmentReason::Sale.check_direction(delta(-1)).is_ok());
        assert!(AdjustmentReason::Sale.check_direction(delta(1)).is_err());
    }

    #[test]
    fn an_adjustment_may_go_either_way() {
        assert!(
            AdjustmentReason::Adjustment
                .check_direction(delta(1))
                .is_ok()
        );
        assert!(
            AdjustmentReason::Adjustment
                .check_direction(delta(-1))
                .is_ok()
        );
    }

    #[test]
    fn reasons_parse_from_their_wire_names() {
        for reason in AdjustmentReason::ALL {
            assert_eq!(reason.as_str().parse::<AdjustmentReason>().unwrap(), reason);
        }
        assert_eq!(
            "restock".parse::<AdjustmentReason>().unwrap(),
            AdjustmentReason::Restock
        );
        assert_eq!(
            "GIFT".parse::<AdjustmentReason>().unwrap_err().field,
            "reason"
        );
    }
}
