//! Low-stock thresholds and the alerts they raise.
//!
//! A pair is low when its available units are at or below its threshold (a threshold of 0
//! means "tell me when it runs out"). The pair's own threshold wins over its product's
//! default. An alert is raised when the pair *becomes* low (`stock.low`) and when it stops
//! being low (`stock.replenished`), never while it stays either way, so stock oscillating
//! around the threshold raises one event per crossing and no storm in between. Whether a
//! pair is low is a function of its stock and threshold, so no alert state is stored that
//! could drift from them.

use crate::{DomainEvent, ProductId, Stock, StoreId};

/// Which pairs a threshold applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ThresholdScope {
    /// One product in one store.
    Pair(ProductId, StoreId),
    /// Every store of a product that has no threshold of its own.
    ProductDefault(ProductId),
}

impl ThresholdScope {
    /// The product concerned.
    pub fn product_id(&self) -> ProductId {
        match self {
            Self::Pair(product_id, _) | Self::ProductDefault(product_id) => *product_id,
        }
    }

    /// The store concerned, for a pair's own threshold.
    pub fn store_id(&self) -> Option<&StoreId> {
        match self {
            Self::Pair(_, store_id) => Some(store_id),
            Self::ProductDefault(_) => None,
        }
    }
}

/// A threshold as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowStockThreshold {
    /// Which pairs it applies to.
    pub scope: ThresholdScope,
    /// Available units at or below which a pair is low.
    pub threshold: u32,
}

/// The payload of `stock.low` and `stock.replenished`: the pair's stock and the threshold
/// it crossed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowStockAlert {
    /// The stock after the change that crossed the threshold.
    pub stock: Stock,
    /// The threshold in force.
    pub threshold: u32,
}

/// Whether `available` units are low under `threshold`.
fn is_low(available: i64, threshold: Option<u32>) -> bool {
    threshold.is_some_and(|threshold| available <= i64::from(threshold))
}

/// The alert a change raises, if it crossed a threshold: the pair had `available_before`
/// units under `threshold_before`, and now has `stock` under `threshold_after` (a stock
/// movement keeps the threshold; a new threshold keeps the stock).
pub fn alert_for(
    stock: &Stock,
    available_before: i64,
    threshold_before: Option<u32>,
    threshold_after: Option<u32>,
) -> Option<DomainEvent> {
    let was_low = is_low(available_before, threshold_before);
    let now_low = is_low(i64::from(stock.available()), threshold_after);
    let alert = |threshold: u32| LowStockAlert {
        stock: stock.clone(),
        threshold,
    };
    match (was_low, now_low, threshold_after.or(threshold_before)) {
        (false, true, Some(threshold)) => Some(DomainEvent::StockLow(alert(threshold))),
        (true, false, Some(threshold)) => Some(DomainEvent::StockReplenished(alert(threshold))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::{AdjustmentReason, StockDelta};

    fn stock(quantity: i64) -> Stock {
        Stock::open(
            ProductId::parse("0192f0c1-7c4e-7b35-9f1e-6d1c6b8a9e01").unwrap(),
            StoreId::parse("MAD-001").unwrap(),
            StockDelta::new(quantity).unwrap(),
            AdjustmentReason::Restock,
            None,
            datetime!(2026-12-03 10:00 UTC),
        )
        .unwrap()
        .0
    }

    #[test]
    fn only_a_crossing_raises_an_alert() {
        let at = |units| stock(units);
        assert!(matches!(
            alert_for(&at(5), 6, Some(5), Some(5)),
            Some(DomainEvent::StockLow(LowStockAlert { threshold: 5, .. }))
        ));
        assert_eq!(alert_for(&at(4), 5, Some(5), Some(5)), None, "still low");
        assert!(matches!(
            alert_for(&at(6), 5, Some(5), Some(5)),
            Some(DomainEvent::StockReplenished(_))
        ));
        assert_eq!(alert_for(&at(7), 6, Some(5), Some(5)), None, "still fine");
        assert_eq!(alert_for(&at(1), 9, None, None), None, "no threshold");
    }

    #[test]
    fn a_new_threshold_raises_or_clears_the_alert_at_once() {
        assert!(matches!(
            alert_for(&stock(3), 3, None, Some(5)),
            Some(DomainEvent::StockLow(_))
        ));
        assert!(matches!(
            alert_for(&stock(3), 3, Some(5), None),
            Some(DomainEvent::StockReplenished(LowStockAlert {
                threshold: 5,
                ..
            }))
        ));
        assert!(matches!(
            alert_for(&stock(3), 3, Some(5), Some(2)),
            Some(DomainEvent::StockReplenished(LowStockAlert {
                threshold: 2,
                ..
            }))
        ));
    }
}
