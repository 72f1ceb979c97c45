//! The stock an import's rows lead to, row after row, so that each row is checked against
//! what the rows before it made (two rows for one pair add up) with the domain's own rules.

use std::collections::{HashMap, HashSet};

use inventory_domain::{ChangedBy, DomainEvent, ProductId, Sku, Stock, StoreId};
use inventory_ports::{InventoryError, ReadTx};
use time::OffsetDateTime;

use super::stock_row::{StockLine, StockLineChange};

/// Products, stores and stock levels met so far. It grows with the distinct products, stores
/// and pairs a file names (all of which exist in the database), not with its rows.
#[derive(Default)]
pub(crate) struct Ledger {
    products: HashMap<Sku, ProductId>,
    stores: HashSet<StoreId>,
    stock: HashMap<(ProductId, StoreId), Stock>,
}

impl Ledger {
    /// Checks `line` against the stock the rows before it left, and on success keeps the
    /// stock it leads to and returns the event that records it.
    ///
    /// # Errors
    /// As `POST /stock` and `PUT /stock/...`: [`InventoryError::SkuNotFound`],
    /// [`InventoryError::StoreNotFound`], [`InventoryError::Stock`] for a level out of bounds
    /// (the row's fault, see [`is_row_refusal`]); storage failures.
    pub(crate) fn check(
        &mut self,
        tx: &dyn ReadTx,
        line: &StockLine,
        by: &ChangedBy,
        now: OffsetDateTime,
    ) -> Result<DomainEvent, InventoryError> {
        let product_id = self.product(tx, &line.sku)?;
        self.require_store(tx, &line.store_id)?;
        let pair = (product_id, line.store_id.clone());
        let current = match self.stock.get(&pair) {
            Some(stock) => Some(stock.clone()),
            None => tx.stock(product_id, &line.store_id)?,
        };
        let (stock, event) = match (current, &line.change) {
            (None, StockLineChange::Set(count)) => {
                Stock::open_with_count(product_id, line.store_id.clone(), *count, by.clone(), now)
            }
            (None, StockLineChange::Delta(delta, reason)) => Stock::open(
                product_id,
                line.store_id.clone(),
                *delta,
                *reason,
                by.clone(),
                now,
            )?,
            (Some(mut stock), StockLineChange::Set(count)) => {
                // A count against the level as it is now: the import is the latest word.
                let version = stock.version();
                let event = stock.count(*count, version, by.clone(), now)?;
                (stock, event)
            }
            (Some(mut stock), StockLineChange::Delta(delta, reason)) => {
                let event = stock.adjust(*delta, *reason, by.clone(), now)?;
                (stock, event)
            }
        };
        self.stock.insert(pair, stock);
        Ok(event)
    }

    fn product(&mut self, tx: &dyn ReadTx, sku: &Sku) -> Result<ProductId, InventoryError> {
        if let Some(id) = self.products.get(sku) {
            return Ok(*id);
        }
        let product = tx
            .product_by_sku(sku)?
            .ok_or_else(|| InventoryError::SkuNotFound(sku.clone()))?;
        self.products.insert(sku.clone(), product.id);
        Ok(product.id)
    }

    fn require_store(&mut self, tx: &dyn ReadTx, store_id: &StoreId) -> Result<(), InventoryError> {
        if self.stores.contains(store_id) {
            return Ok(());
        }
        if tx.store(store_id)?.is_none() {
            return Err(InventoryError::StoreNotFound(store_id.clone()));
        }
        self.stores.insert(store_id.clone());
        Ok(())
    }
}

/// True when `error` refuses a row (the caller's to fix), false for a failure of the storage
/// or a bug, which stops the whole import.
pub(crate) fn is_row_refusal(error: &InventoryError) -> bool {
    !matches!(
        error,
        InventoryError::Unavailable(_)
            | InventoryError::Internal(_)
            | InventoryError::Replayed(_)
            | InventoryError::IdempotencyKeyReused
    )
}
