//! Movements, thresholds, search and the reconciliation facts, in memory.

use std::collections::BTreeMap;
use std::sync::Arc;

use inventory_domain::{
    MAX_STOCK_LEVEL, Product, ProductId, ReservationStatus, Stock, StoreId, ThresholdScope,
    fold_for_search,
};
use inventory_ports::{
    ConsistencyFacts, InventoryError, LowStockEntry, MovementFilter, MovementOrder, Page,
    PairDrift, RecordedMovement, SeqGap,
};
use time::OffsetDateTime;

use super::{MemoryTx, page_of};

/// Whether `product`'s name contains `q`, or its SKU starts with it (all folded).
pub(super) fn matches(product: &Product, q: &str) -> bool {
    fold_for_search(product.details.name.as_str()).contains(q)
        || fold_for_search(product.details.sku.as_str()).starts_with(q)
}

impl MemoryTx {
    fn all_movements(&self) -> impl Iterator<Item = &RecordedMovement> {
        self.committed.movements.iter().chain(self.moved.iter())
    }

    pub(super) fn movements(
        &self,
        filter: &MovementFilter,
        order: MovementOrder,
        cursor: Option<i64>,
        limit: u32,
    ) -> Vec<RecordedMovement> {
        let keep = |m: &&RecordedMovement| {
            let movement = &m.movement;
            filter.product_id.is_none_or(|id| id == movement.product_id)
                && filter
                    .store_id
                    .as_ref()
                    .is_none_or(|id| id == &movement.store_id)
                && filter.reason.is_none_or(|reason| reason == movement.reason)
                && filter
                    .actor
                    .as_ref()
                    .is_none_or(|actor| m.actor.as_ref() == Some(actor))
                && filter.from.is_none_or(|from| m.occurred_at >= from)
                && filter.to.is_none_or(|to| m.occurred_at < to)
                && cursor.is_none_or(|cursor| match order {
                    MovementOrder::NewestFirst => m.seq < cursor,
                    MovementOrder::OldestFirst => m.seq > cursor,
                })
        };
        let mut found: Vec<RecordedMovement> = self.all_movements().filter(keep).cloned().collect();
        if order == MovementOrder::NewestFirst {
            found.reverse();
        }
        found.truncate(limit as usize);
        found
    }

    pub(super) fn threshold_of(&self, product_id: ProductId, store_id: &StoreId) -> Option<u32> {
        let thresholds = &self.state().thresholds;
        thresholds
            .get(&(product_id, Some(store_id.clone())))
            .or_else(|| thresholds.get(&(product_id, None)))
            .copied()
    }

    pub(super) fn low_stock(
        &self,
        store_id: Option<&StoreId>,
        page: Page,
    ) -> (Vec<LowStockEntry>, u64) {
        let mut low: Vec<LowStockEntry> = self
            .state()
            .stock
            .values()
            .filter(|stock| store_id.is_none_or(|id| id == stock.store_id()))
            .filter_map(|stock| {
                let threshold = self.threshold_of(stock.product_id(), stock.store_id())?;
                (stock.available() <= threshold).then(|| LowStockEntry {
                    stock: stock.clone(),
                    threshold,
                })
            })
            .collect();
        low.sort_by(|a, b| {
            (a.stock.store_id(), a.stock.product_id())
                .cmp(&(b.stock.store_id(), b.stock.product_id()))
        });
        page_of(low.iter().collect(), page)
    }

    pub(super) fn pending_units_of(&self, product_id: ProductId, store_id: &StoreId) -> u64 {
        self.state()
            .reservations
            .values()
            .filter(|r| {
                r.status() == ReservationStatus::Pending
                    && r.product_id() == product_id
                    && r.store_id() == store_id
            })
            .map(|r| u64::from(r.quantity().get()))
            .sum()
    }

    pub(super) fn set_threshold(
        &mut self,
        scope: &ThresholdScope,
        threshold: Option<u32>,
    ) -> Result<(), InventoryError> {
        let product_id = scope.product_id();
        if !self.state().products.contains_key(&product_id) {
            return Err(InventoryError::ProductNotFound(product_id));
        }
        if let Some(store_id) = scope.store_id()
            && !self.state().stores.contains_key(store_id)
        {
            return Err(InventoryError::StoreNotFound(store_id.clone()));
        }
        let key = (product_id, scope.store_id().cloned());
        let state = Arc::make_mut(&mut self.committed.state);
        match threshold {
            Some(threshold) => state.thresholds.insert(key, threshold),
            None => state.thresholds.remove(&key),
        };
        Ok(())
    }

    pub(super) fn consistency_facts(&self, overdue_before: OffsetDateTime) -> ConsistencyFacts {
        let state = self.state();
        let mut sums: BTreeMap<(ProductId, StoreId), (i64, i64)> = BTreeMap::new();
        for m in self.all_movements() {
            let sum = sums
                .entry((m.movement.product_id, m.movement.store_id.clone()))
                .or_default();
            sum.0 += m.movement.quantity_change;
            sum.1 += m.movement.reserved_change;
        }
        let drift = |stock: &Stock, expected_quantity: i64, expected_reserved: i64| PairDrift {
            product_id: stock.product_id(),
            store_id: stock.store_id().clone(),
            quantity: i64::from(stock.quantity()),
            reserved: i64::from(stock.reserved()),
            expected_quantity,
            expected_reserved,
        };
        let mut facts = ConsistencyFacts::default();
        for stock in state.stock.values() {
            let held = self.pending_units_of(stock.product_id(), stock.store_id());
            let held = i64::try_from(held).unwrap_or(i64::MAX);
            if i64::from(stock.reserved()) != held {
                facts
                    .reserved_drift
                    .push(drift(stock, i64::from(stock.quantity()), held));
            }
            let (quantity, reserved) = sums
                .get(&(stock.product_id(), stock.store_id().clone()))
                .copied()
                .unwrap_or_default();
            if (i64::from(stock.quantity()), i64::from(stock.reserved())) != (quantity, reserved) {
                facts.movement_drift.push(drift(stock, quantity, reserved));
            }
            if stock.reserved() > stock.quantity() || stock.quantity() > MAX_STOCK_LEVEL {
                facts.broken_rows.push(format!(
                    "stock {}:{}",
                    stock.product_id(),
                    stock.store_id()
                ));
            }
        }
        let mut overdue: Vec<_> = state
            .reservations
            .values()
            .filter(|r| r.status() == ReservationStatus::Pending && r.expires_at() < overdue_before)
            .collect();
        overdue.sort_by_key(|r| r.expires_at());
        facts.overdue = overdue.into_iter().take(100).map(|r| r.id()).collect();
        let seqs: Vec<u64> = self.committed.events.iter().map(|e| e.seq).collect();
        facts.seq_gaps = seqs
            .windows(2)
            .filter(|pair| pair[1] != pair[0] + 1)
            .map(|pair| SeqGap {
                after: pair[0],
                next: pair[1],
            })
            .collect();
        facts
    }
}
