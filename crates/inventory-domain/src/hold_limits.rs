//! How much one customer may hold at once. Without limits a customer reserving for itself
//! could hold a promotion's whole stock for a day, reservation after reservation: the limits
//! bound how many reservations and units a customer has PENDING, for one product and
//! overall, and how long a customer's own reservation may hold its units.
//!
//! Staff reserving at the counter are trusted: the limits apply to what customers place for
//! themselves (the caller decides when to apply them).

use crate::{Quantity, ReservationTtl};

/// What a customer holds: PENDING reservations and the units they hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Holds {
    /// PENDING reservations.
    pub reservations: u32,
    /// Units they hold.
    pub units: u32,
}

/// A customer's holds of one product, and of everything.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CustomerHolds {
    /// Of the product being reserved, in every store.
    pub of_product: Holds,
    /// Of every product.
    pub overall: Holds,
}

/// The most a customer may hold at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowance {
    /// PENDING reservations.
    pub reservations: u32,
    /// Units held by them.
    pub units: u32,
}

/// Which allowance a refusal is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldScope {
    /// One product.
    Product,
    /// Every product.
    Overall,
}

impl HoldScope {
    /// `product` or `overall`, as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Product => "product",
            Self::Overall => "overall",
        }
    }
}

/// Why a customer's reservation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HoldLimitError {
    /// The customer already has as many PENDING reservations as allowed.
    #[error("a customer may hold at most {allowed} reservations ({}) at once", scope.as_str())]
    TooManyReservations {
        /// Of the product or overall.
        scope: HoldScope,
        /// The allowance.
        allowed: u32,
    },
    /// The units held would exceed the allowance.
    #[error(
        "a customer may hold at most {allowed} units ({}) at once: {held} held, {requested} asked",
        scope.as_str()
    )]
    TooManyUnits {
        /// Of the product or overall.
        scope: HoldScope,
        /// The allowance.
        allowed: u32,
        /// Already held.
        held: u32,
        /// Asked for.
        requested: u32,
    },
    /// The reservation would hold its units longer than a customer may.
    #[error("a customer's reservation holds its units at most {allowed_seconds} s")]
    TtlTooLong {
        /// The most allowed.
        allowed_seconds: u32,
        /// Asked for.
        requested_seconds: u32,
    },
}

/// The limits on what a customer may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HoldLimits {
    /// Of one product.
    pub per_product: Allowance,
    /// Of everything.
    pub overall: Allowance,
    /// How long a customer's reservation may hold its units.
    pub max_ttl: ReservationTtl,
}

impl Default for HoldLimits {
    /// Three reservations and ten units of a product, twenty reservations and fifty units in
    /// all, held fifteen minutes at most: a family's shopping, not a reseller's.
    fn default() -> Self {
        Self {
            per_product: Allowance {
                reservations: 3,
                units: 10,
            },
            overall: Allowance {
                reservations: 20,
                units: 50,
            },
            max_ttl: ReservationTtl::from_seconds(15 * 60).expect("15 minutes is a valid TTL"),
        }
    }
}

impl HoldLimits {
    /// Whether a reservation's TTL is within the customers' maximum.
    ///
    /// # Errors
    /// [`HoldLimitError::TtlTooLong`].
    pub fn check_ttl(&self, ttl: ReservationTtl) -> Result<(), HoldLimitError> {
        let (requested, allowed) = (u32::from(ttl), u32::from(self.max_ttl));
        if requested > allowed {
            return Err(HoldLimitError::TtlTooLong {
                allowed_seconds: allowed,
                requested_seconds: requested,
            });
        }
        Ok(())
    }

    /// Whether a customer holding `holds` may hold `quantity` more units in one more
    /// reservation.
    ///
    /// # Errors
    /// [`HoldLimitError::TooManyReservations`] or [`HoldLimitError::TooManyUnits`], for the
    /// product before overall.
    pub fn check(&self, holds: &CustomerHolds, quantity: Quantity) -> Result<(), HoldLimitError> {
        for (scope, held, allowance) in [
            (HoldScope::Product, holds.of_product, self.per_product),
            (HoldScope::Overall, holds.overall, self.overall),
        ] {
            if held.reservations >= allowance.reservations {
                return Err(HoldLimitError::TooManyReservations {
                    scope,
                    allowed: allowance.reservations,
                });
            }
            if held.units.saturating_add(quantity.get()) > allowance.units {
                return Err(HoldLimitError::TooManyUnits {
                    scope,
                    allowed: allowance.units,
                    held: held.units,
                    requested: quantity.get(),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holds(product: (u32, u32), overall: (u32, u32)) -> CustomerHolds {
        CustomerHolds {
            of_product: Holds {
                reservations: product.0,
                units: product.1,
            },
            overall: Holds {
                reservations: overall.0,
                units: overall.1,
            },
        }
    }

    #[test]
    fn a_customer_holds_up_to_each_allowance_and_no_further() {
        let limits = HoldLimits::default();
        let one = Quantity::new(1).unwrap();
        assert_eq!(limits.check(&holds((2, 9), (19, 49)), one), Ok(()));
        assert_eq!(
            limits.check(&holds((3, 3), (3, 3)), one),
            Err(HoldLimitError::TooManyReservations {
                scope: HoldScope::Product,
                allowed: 3
            })
        );
        assert!(matches!(
            limits.check(&holds((1, 9), (1, 9)), Quantity::new(2).unwrap()),
            Err(HoldLimitError::TooManyUnits {
                scope: HoldScope::Product,
                held: 9,
                requested: 2,
                ..
            })
        ));
        assert!(matches!(
            limits.check(&holds((0, 0), (20, 20)), one),
            Err(HoldLimitError::TooManyReservations {
                scope: HoldScope::Overall,
                ..
            })
        ));
        assert!(matches!(
            limits.check(&holds((0, 0), (5, 50)), one),
            Err(HoldLimitError::TooManyUnits {
                scope: HoldScope::Overall,
                ..
            })
        ));
    }

    #[test]
    fn a_customers_reservation_holds_at_most_the_maximum_ttl() {
        let limits = HoldLimits::default();
        assert_eq!(
            limits.check_ttl(ReservationTtl::from_seconds(900).unwrap()),
            Ok(())
        );
        assert_eq!(
            limits.check_ttl(ReservationTtl::from_seconds(901).unwrap()),
            Err(HoldLimitError::TtlTooLong {
                allowed_seconds: 900,
                requested_seconds: 901
            })
        );
    }
}
