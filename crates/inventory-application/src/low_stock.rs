//! Low-stock thresholds: set them, and list what is running out.

use inventory_domain::{MAX_STOCK_LEVEL, StoreId, ThresholdScope, ValidationError, alert_for};
use inventory_ports::{InventoryError, LowStockEntry, Page, Paged, RequestContext, StockFilter};

use crate::Ports;

/// Sets thresholds and lists the pairs below them.
#[derive(Clone)]
pub struct LowStock {
    ports: Ports,
}

impl LowStock {
    pub(crate) fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// Sets (or with `None` removes) the threshold of `scope`. A pair that becomes low, or
    /// stops being low, because of the new threshold gets its `stock.low` /
    /// `stock.replenished` in the same change, so every alert is raised by a crossing,
    /// whichever side moved.
    ///
    /// # Errors
    /// [`InventoryError::Invalid`] above [`MAX_STOCK_LEVEL`];
    /// [`InventoryError::ProductNotFound`] / [`InventoryError::StoreNotFound`].
    pub fn set_threshold(
        &self,
        scope: ThresholdScope,
        threshold: Option<u32>,
        context: &RequestContext,
    ) -> Result<(), InventoryError> {
        if threshold.is_some_and(|threshold| threshold > MAX_STOCK_LEVEL) {
            return Err(ValidationError::new(
                "threshold",
                format!("must be between 0 and {MAX_STOCK_LEVEL}"),
            )
            .into());
        }
        self.ports.change(context, move |change| {
            let product_id = scope.product_id();
            if change.read().product(product_id)?.is_none() {
                return Err(InventoryError::ProductNotFound(product_id));
            }
            let pairs = match scope.store_id() {
                Some(store_id) => {
                    if change.read().store(store_id)?.is_none() {
                        return Err(InventoryError::StoreNotFound(store_id.clone()));
                    }
                    change
                        .read()
                        .stock(product_id, store_id)?
                        .into_iter()
                        .collect()
                }
                None => {
                    let filter = StockFilter {
                        product_id: Some(product_id),
                        store_id: None,
                    };
                    let page = Page::new(Some(Page::MAX_LIMIT.into()), None)?;
                    change.read().list_stock(&filter, page)?.0
                }
            };
            let mut before = Vec::with_capacity(pairs.len());
            for stock in &pairs {
                before.push(
                    change
                        .read()
                        .low_stock_threshold(product_id, stock.store_id())?,
                );
            }
            change.set_low_stock_threshold(&scope, threshold)?;
            for (stock, before) in pairs.iter().zip(before) {
                let after = change
                    .read()
                    .low_stock_threshold(product_id, stock.store_id())?;
                let available = i64::from(stock.available());
                if let Some(alert) = alert_for(stock, available, before, after) {
                    change.record(alert)?;
                }
            }
            Ok(())
        })
    }

    /// The pairs at or below their threshold, in `store_id` only when given.
    ///
    /// # Errors
    /// Storage failures only.
    pub fn list(
        &self,
        store_id: Option<StoreId>,
        page: Page,
    ) -> Result<Paged<LowStockEntry>, InventoryError> {
        self.ports.query(move |tx| {
            let (entries, total) = tx.list_low_stock(store_id.as_ref(), page)?;
            Ok(Paged::new(entries, total, page))
        })
    }
}
