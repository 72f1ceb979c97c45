//! The stock of one product in one store, and the rules that keep it from being oversold.
//!
//! `available = quantity - reserved`, and `0 <= reserved <= quantity <= MAX_STOCK_LEVEL`
//! always. Every method either applies a whole change and returns what it did, or changes
//! nothing and says why.

use time::OffsetDateTime;

use crate::{
    AdjustmentReason, DomainEvent, InvariantViolation, MAX_STOCK_LEVEL, ProductId, Quantity,
    StockCount, StockDelta, StoreId, UserId,
};

/// A (product, store) stock level.
///
/// Fields are private: the only way to change a stock level is through the rule methods, so
/// the invariant cannot be broken from outside this module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stock {
    product_id: ProductId,
    store_id: StoreId,
    quantity: u32,
    reserved: u32,
    version: u64,
    updated_at: OffsetDateTime,
}

/// Who a stock change is recorded against: the user who made it (over HTTP, the token's
/// subject, never a name the client chose), and, when an operator records a change for
/// someone else (a clerk without an account of their own), that person, kept apart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangedBy {
    /// Who made the change, when known.
    pub user_id: Option<UserId>,
    /// For whom an operator made it, if anyone.
    pub on_behalf_of: Option<UserId>,
}

impl From<Option<UserId>> for ChangedBy {
    fn from(user_id: Option<UserId>) -> Self {
        Self {
            user_id,
            on_behalf_of: None,
        }
    }
}

/// What moved a stock level, carried by `stock.created` and `stock.updated` events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StockChange {
    /// Moved by a delta (`POST /stock`).
    Adjustment {
        /// The signed change.
        quantity_change: i64,
        /// Why it moved.
        reason: AdjustmentReason,
        /// Who moved it, when known.
        user_id: Option<UserId>,
        /// For whom an operator moved it, if anyone.
        on_behalf_of: Option<UserId>,
    },
    /// Set by a physical count (`PUT /stock/...`).
    Count {
        /// The quantity before the count.
        previous_quantity: u32,
        /// Who counted, when known.
        user_id: Option<UserId>,
        /// For whom an operator recorded the count, if anyone.
        on_behalf_of: Option<UserId>,
    },
    /// The reconciliation check set the reserved units to what pending reservations hold,
    /// after they had drifted (only stored data gone wrong can cause that).
    Repair {
        /// The reserved units before the repair.
        previous_reserved: u32,
        /// Who ran the repair, when known.
        user_id: Option<UserId>,
    },
}

/// Why a stock change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StockError {
    /// Fewer units are available than were asked for.
    #[error("insufficient stock: {available} available, {requested} requested")]
    InsufficientStock {
        /// Units not yet reserved.
        available: u32,
        /// Units asked for.
        requested: u32,
    },
    /// The change would leave fewer units than are reserved (or fewer than none).
    #[error("the change would leave {resulting_quantity} units but {reserved} are reserved")]
    BelowReserved {
        /// The quantity the change would have produced.
        resulting_quantity: i64,
        /// Units held by pending reservations.
        reserved: u32,
    },
    /// The change would exceed the most a (product, store) pair may hold.
    #[error("the change would leave {resulting_quantity} units, above the limit of {limit}")]
    AboveLimit {
        /// The quantity the change would have produced.
        resulting_quantity: i64,
        /// [`MAX_STOCK_LEVEL`].
        limit: u32,
    },
    /// A count was made against a version that is no longer current.
    #[error("stock version {expected} is stale; the current version is {current}")]
    VersionConflict {
        /// The version the caller based its count on.
        expected: u64,
        /// The version now stored.
        current: u64,
    },
    /// A bug or corrupt stored data, never the caller's fault.
    #[error(transparent)]
    Invariant(#[from] InvariantViolation),
}

impl Stock {
    /// Rebuilds a stock level read from storage, checking the invariant.
    ///
    /// # Errors
    /// An [`InvariantViolation`] when `reserved > quantity`, `quantity` is above the limit or
    /// the version is 0 (a stored pair has been written at least once): the row is corrupt.
    pub fn restore(
        product_id: ProductId,
        store_id: StoreId,
        quantity: u32,
        reserved: u32,
        version: u64,
        updated_at: OffsetDateTime,
    ) -> Result<Self, InvariantViolation> {
        let stock = Self {
            product_id,
            store_id,
            quantity,
            reserved,
            version,
            updated_at,
        };
        stock.check_invariant()?;
        if version == 0 {
            return Err(InvariantViolation::new(format!(
                "stored stock of product {} in {} is at version 0",
                stock.product_id, stock.store_id
            )));
        }
        Ok(stock)
    }

    /// Opens the stock of a product in a store with a first delta: the `stock.created` event.
    ///
    /// # Errors
    /// [`StockError::BelowReserved`] for a negative first delta (there is nothing to remove).
    pub fn open(
        product_id: ProductId,
        store_id: StoreId,
        delta: StockDelta,
        reason: AdjustmentReason,
        by: impl Into<ChangedBy>,
        now: OffsetDateTime,
    ) -> Result<(Self, DomainEvent), StockError> {
        let mut stock = Self::empty(product_id, store_id, now);
        let change = stock.apply_delta(delta, reason, by.into(), now)?;
        let event = DomainEvent::StockCreated {
            stock: stock.clone(),
            change,
        };
        Ok((stock, event))
    }

    /// Opens the stock of a product in a store with a physical count (a count against version 0,
    /// "no stock yet"): the `stock.created` event.
    pub fn open_with_count(
        product_id: ProductId,
        store_id: StoreId,
        count: StockCount,
        by: impl Into<ChangedBy>,
        now: OffsetDateTime,
    ) -> (Self, DomainEvent) {
        let mut stock = Self::empty(product_id, store_id, now);
        stock.quantity = count.get();
        stock.touch(now);
        let by = by.into();
        let change = StockChange::Count {
            previous_quantity: 0,
            user_id: by.user_id,
            on_behalf_of: by.on_behalf_of,
        };
        let event = DomainEvent::StockCreated {
            stock: stock.clone(),
            change,
        };
        (stock, event)
    }

    /// Moves the quantity by `delta`; the `stock.updated` event.
    ///
    /// # Errors
    /// [`StockError::BelowReserved`] when fewer units than are reserved would remain,
    /// [`StockError::AboveLimit`] when more than [`MAX_STOCK_LEVEL`] would.
    pub fn adjust(
        &mut self,
        delta: StockDelta,
        reason: AdjustmentReason,
        by: impl Into<ChangedBy>,
        now: OffsetDateTime,
    ) -> Result<DomainEvent, StockError> {
        let change = self.apply_delta(delta, reason, by.into(), now)?;
        Ok(DomainEvent::StockUpdated {
            stock: self.clone(),
            change,
        })
    }

    /// Sets the quantity to a physical count made when the stock was at `expected_version`
    /// (compare-and-set); the `stock.updated` event.
    ///
    /// # Errors
    /// [`StockError::VersionConflict`] when the stock changed since `expected_version`;
    /// [`StockError::BelowReserved`] when the count is lower than the units reserved.
    pub fn count(
        &mut self,
        count: StockCount,
        expected_version: u64,
        by: impl Into<ChangedBy>,
        now: OffsetDateTime,
    ) -> Result<DomainEvent, StockError> {
        if expected_version != self.version {
            return Err(StockError::VersionConflict {
                expected: expected_version,
                current: self.version,
            });
        }
        if count.get() < self.reserved {
            return Err(StockError::BelowReserved {
                resulting_quantity: i64::from(count.get()),
                reserved: self.reserved,
            });
        }
        let previous_quantity = self.quantity;
        self.quantity = count.get();
        self.touch(now);
        let by = by.into();
        Ok(DomainEvent::StockUpdated {
            stock: self.clone(),
            change: StockChange::Count {
                previous_quantity,
                user_id: by.user_id,
                on_behalf_of: by.on_behalf_of,
            },
        })
    }

    /// Sets the reserved units to `held`, the units pending reservations really hold, when a
    /// stored count drifted from them; the `stock.updated` event (change `repair`).
    ///
    /// # Errors
    /// [`StockError::BelowReserved`] when `held` is more than the quantity: that pair cannot be
    /// repaired by this rule (someone must count it first).
    pub fn repair_reserved(
        &mut self,
        held: u32,
        by: Option<UserId>,
        now: OffsetDateTime,
    ) -> Result<DomainEvent, StockError> {
        if held > self.quantity {
            return Err(StockError::BelowReserved {
                resulting_quantity: i64::from(self.quantity),
                reserved: held,
            });
        }
        let previous_reserved = self.reserved;
        self.reserved = held;
        self.touch(now);
        Ok(DomainEvent::StockUpdated {
            stock: self.clone(),
            change: StockChange::Repair {
                previous_reserved,
                user_id: by,
            },
        })
    }

    /// Holds `quantity` units for a reservation.
    ///
    /// # Errors
    /// [`StockError::InsufficientStock`] when fewer units are available.
    pub(crate) fn hold(
        &mut self,
        quantity: Quantity,
        now: OffsetDateTime,
    ) -> Result<(), StockError> {
        if quantity.get() > self.available() {
            return Err(StockError::InsufficientStock {
                available: self.available(),
                requested: quantity.get(),
            });
        }
        self.reserved += quantity.get();
        self.touch(now);
        Ok(())
    }

    /// Gives back `quantity` held units (a cancelled or expired reservation).
    pub(crate) fn release(
        &mut self,
        quantity: Quantity,
        now: OffsetDateTime,
    ) -> Result<(), InvariantViolation> {
        self.reserved = self.reserved.checked_sub(quantity.get()).ok_or_else(|| {
            InvariantViolation::new(format!(
                "releasing {quantity} units but only {} are reserved",
                self.reserved
            ))
        })?;
        self.touch(now);
        Ok(())
    }

    /// Turns `quantity` held units into a sale (a confirmed reservation): both `quantity` and
    /// `reserved` go down.
    pub(crate) fn commit_held(
        &mut self,
        quantity: Quantity,
        now: OffsetDateTime,
    ) -> Result<(), InvariantViolation> {
        if quantity.get() > self.reserved {
            return Err(InvariantViolation::new(format!(
                "confirming {quantity} units but only {} are reserved",
                self.reserved
            )));
        }
        self.reserved -= quantity.get();
        self.quantity -= quantity.get();
        self.touch(now);
        Ok(())
    }

    /// The product.
    pub fn product_id(&self) -> ProductId {
        self.product_id
    }

    /// The store.
    pub fn store_id(&self) -> &StoreId {
        &self.store_id
    }

    /// Units in the store, reserved or not.
    pub fn quantity(&self) -> u32 {
        self.quantity
    }

    /// Units held by pending reservations.
    pub fn reserved(&self) -> u32 {
        self.reserved
    }

    /// Units that can still be reserved or sold: `quantity - reserved`.
    pub fn available(&self) -> u32 {
        self.quantity - self.reserved
    }

    /// Goes up by one with every change; a count is accepted only against the current version.
    /// A stock level that does not exist yet is at version 0.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// When the stock level last changed.
    pub fn updated_at(&self) -> OffsetDateTime {
        self.updated_at
    }

    fn empty(product_id: ProductId, store_id: StoreId, now: OffsetDateTime) -> Self {
        Self {
            product_id,
            store_id,
            quantity: 0,
            reserved: 0,
            version: 0,
            updated_at: now,
        }
    }

    fn apply_delta(
        &mut self,
        delta: StockDelta,
        reason: AdjustmentReason,
        by: ChangedBy,
        now: OffsetDateTime,
    ) -> Result<StockChange, StockError> {
        let resulting_quantity = i64::from(self.quantity) + delta.get();
        if resulting_quantity < i64::from(self.reserved) {
            return Err(StockError::BelowReserved {
                resulting_quantity,
                reserved: self.reserved,
            });
        }
        if resulting_quantity > i64::from(MAX_STOCK_LEVEL) {
            return Err(StockError::AboveLimit {
                resulting_quantity,
                limit: MAX_STOCK_LEVEL,
            });
        }
        // In range by the two checks above.
        self.quantity = resulting_quantity as u32;
        self.touch(now);
        Ok(StockChange::Adjustment {
            quantity_change: delta.get(),
            reason,
            user_id: by.user_id,
            on_behalf_of: by.on_behalf_of,
        })
    }

    fn touch(&mut self, now: OffsetDateTime) {
        self.version += 1;
        self.updated_at = now;
        debug_assert!(self.check_invariant().is_ok(), "{self:?}");
    }

    fn check_invariant(&self) -> Result<(), InvariantViolation> {
        if self.reserved > self.quantity || self.quantity > MAX_STOCK_LEVEL {
            return Err(InvariantViolation::new(format!(
                "quantity {} and reserved {} for product {} in store {}",
                self.quantity, self.reserved, self.product_id, self.store_id
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2025-10-26 17:20 UTC);

    fn stock_with(quantity: i64) -> Stock {
        let (stock, _) = Stock::open(
            ProductId::from_uuid(uuid::Uuid::nil()),
            StoreId::parse("MAD-001").unwrap(),
            StockDelta::new(quantity).unwrap(),
            AdjustmentReason::Restock,
            None,
            NOW,
        )
        .unwrap();
        stock
    }

    fn units(n: i64) -> Quantity {
        Quantity::new(n).unwrap()
    }

    #[test]
    fn opening_stock_emits_stock_created_at_version_one() {
        let (stock, event) = Stock::open(
            ProductId::from_uuid(uuid::Uuid::nil()),
            StoreId::parse("MAD-001").unwrap(),
            StockDelta::new(20).unwrap(),
            AdjustmentReason::Restock,
            None,
            NOW,
        )
        .unwrap();
        assert_eq!(
            (stock.quantity(), stock.reserved(), stock.version()),
            (20, 0, 1)
        );
        assert!(
            matches!(event, DomainEvent::StockCreated { .. }),
            "{event:?}"
        );
    }

    #[test]
    fn opening_stock_with_a_negative_delta_is_refused() {
        let error = Stock::open(
            ProductId::from_uuid(uuid::Uuid::nil()),
            StoreId::parse("MAD-001").unwrap(),
            StockDelta::new(-1).unwrap(),
            AdjustmentReason::Sale,
            None,
            NOW,
        )
        .unwrap_err();
        assert_eq!(
            error,
            StockError::BelowReserved {
                resulting_quantity: -1,
                reserved: 0
            }
        );
    }

    #[test]
    fn reserving_more_than_available_is_rejected() {
        let mut stock = stock_with(3);
        stock.hold(units(2), NOW).unwrap();
        let error = stock.hold(units(2), NOW).unwrap_err();
        assert_eq!(
            error,
            StockError::InsufficientStock {
                available: 1,
                requested: 2
            }
        );
        assert_eq!(stock.reserved(), 2, "a refused hold changes nothing");
    }

    #[test]
    fn an_adjustment_below_reserved_is_rejected() {
        let mut stock = stock_with(5);
        stock.hold(units(4), NOW).unwrap();
        let before = stock.clone();
        let error = stock
            .adjust(
                StockDelta::new(-2).unwrap(),
                AdjustmentReason::Sale,
                None,
                NOW,
            )
            .unwrap_err();
        assert_eq!(
            error,
            StockError::BelowReserved {
                resulting_quantity: 3,
                reserved: 4
            }
        );
        assert_eq!(stock, before);
    }

    #[test]
    fn an_adjustment_above_the_limit_is_rejected() {
        let mut stock = stock_with(i64::from(crate::MAX_UNITS_PER_OPERATION));
        for _ in 0..999 {
            stock
                .adjust(
                    StockDelta::new(i64::from(crate::MAX_UNITS_PER_OPERATION)).unwrap(),
                    AdjustmentReason::Restock,
                    None,
                    NOW,
                )
                .unwrap();
        }
        assert_eq!(stock.quantity(), MAX_STOCK_LEVEL);
        let error = stock
            .adjust(
                StockDelta::new(1).unwrap(),
                AdjustmentReason::Restock,
                None,
                NOW,
            )
            .unwrap_err();
        assert!(matches!(error, StockError::AboveLimit { .. }));
    }

    #[test]
    fn a_count_against_a_stale_version_is_a_conflict_carrying_the_current_version() {
        let mut stock = stock_with(5);
        stock.hold(units(1), NOW).unwrap();
        let error = stock
            .count(StockCount::new(9).unwrap(), 1, None, NOW)
            .unwrap_err();
        assert_eq!(
            error,
            StockError::VersionConflict {
                expected: 1,
                current: 2
            }
        );
    }

    #[test]
    fn a_count_sets_the_quantity_and_bumps_the_version() {
        let mut stock = stock_with(5);
        let event = stock
            .count(StockCount::new(9).unwrap(), 1, None, NOW)
            .unwrap();
        assert_eq!((stock.quantity(), stock.version()), (9, 2));
        assert!(
            matches!(event, DomainEvent::StockUpdated { .. }),
            "{event:?}"
        );
    }

    #[test]
    fn a_count_below_reserved_is_rejected() {
        let mut stock = stock_with(5);
        stock.hold(units(3), NOW).unwrap();
        let error = stock
            .count(StockCount::new(2).unwrap(), 2, None, NOW)
            .unwrap_err();
        assert!(matches!(error, StockError::BelowReserved { .. }));
    }

    #[test]
    fn restoring_a_corrupt_row_is_refused() {
        let error = Stock::restore(
            ProductId::from_uuid(uuid::Uuid::nil()),
            StoreId::parse("MAD-001").unwrap(),
            1,
            2,
            3,
            NOW,
        )
        .unwrap_err();
        assert!(
            error.to_string().contains("quantity 1 and reserved 2"),
            "{error}"
        );
    }
}
