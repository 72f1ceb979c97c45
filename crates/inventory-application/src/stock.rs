//! Stock levels: deltas from tills and deliveries, physical counts, and lookups.

use inventory_domain::{
    AdjustmentReason, ChangedBy, ProductId, Stock, StockCount, StockDelta, StockError, StoreId,
    UserId,
};
use inventory_ports::{InventoryError, Page, Paged, ReadTx, RequestContext, StockFilter};

use crate::Ports;

/// Move a stock level by a delta (`POST /stock`). Deltas commute, so no version is needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdjustStock {
    /// The product.
    pub product_id: ProductId,
    /// The store.
    pub store_id: StoreId,
    /// The change: positive adds, negative removes.
    pub delta: StockDelta,
    /// Why; decides which way the delta may go.
    pub reason: AdjustmentReason,
    /// Who made the change, for the event's audit trail (over HTTP: the token's subject).
    pub user_id: Option<UserId>,
    /// For whom an operator made it, if anyone; recorded apart from `user_id`.
    pub on_behalf_of: Option<UserId>,
}

/// Set a stock level to what a physical count found (`PUT /stock/...`): a compare-and-set on
/// the version the counter saw, so a count never silently overwrites a change it did not see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountStock {
    /// The product.
    pub product_id: ProductId,
    /// The store.
    pub store_id: StoreId,
    /// Units counted.
    pub quantity: StockCount,
    /// The version the count was made against; 0 when the pair has no stock record yet.
    pub expected_version: u64,
    /// Who counted (over HTTP: the token's subject).
    pub user_id: Option<UserId>,
    /// For whom an operator recorded the count, if anyone.
    pub on_behalf_of: Option<UserId>,
}

/// A stock level after a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockChanged {
    /// The stock after the change.
    pub stock: Stock,
    /// True when this change created the pair's stock record (`stock.created`).
    pub created: bool,
}

/// Changes and reads stock levels.
#[derive(Clone)]
pub struct StockKeeping {
    ports: Ports,
}

impl StockKeeping {
    pub(crate) fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// Moves a stock level by a delta; the first change of a pair creates its record
    /// (`stock.created`), later ones update it (`stock.updated`).
    ///
    /// # Errors
    /// - [`InventoryError::Invalid`] when the delta goes against the reason (a negative
    ///   RESTOCK);
    /// - [`InventoryError::ProductNotFound`], [`InventoryError::StoreNotFound`];
    /// - [`InventoryError::Stock`] with [`StockError::BelowReserved`] when fewer units than
    ///   are reserved would remain, or [`StockError::AboveLimit`].
    pub fn adjust(
        &self,
        command: AdjustStock,
        context: &RequestContext,
    ) -> Result<StockChanged, InventoryError> {
        command.reason.check_direction(command.delta)?;
        self.ports.change(context, move |change| {
            let command = command.clone();
            require_pair(change.read(), command.product_id, &command.store_id)?;
            let now = change.now();
            let by = ChangedBy {
                user_id: command.user_id,
                on_behalf_of: command.on_behalf_of,
            };
            let current = change.read().stock(command.product_id, &command.store_id)?;
            let (stock, event, created) = match current {
                None => {
                    let (stock, event) = Stock::open(
                        command.product_id,
                        command.store_id,
                        command.delta,
                        command.reason,
                        by,
                        now,
                    )?;
                    (stock, event, true)
                }
                Some(mut stock) => {
                    let event = stock.adjust(command.delta, command.reason, by, now)?;
                    (stock, event, false)
                }
            };
            change.record(event)?;
            Ok(StockChanged { stock, created })
        })
    }

    /// Sets a stock level to a physical count made against `expected_version`.
    ///
    /// # Errors
    /// - [`InventoryError::ProductNotFound`], [`InventoryError::StoreNotFound`];
    /// - [`InventoryError::Stock`] with [`StockError::VersionConflict`] carrying the current
    ///   version when the stock changed since (or, for version 0, already exists);
    /// - [`InventoryError::Stock`] with [`StockError::BelowReserved`] when the count is lower
    ///   than the units reserved.
    pub fn count(
        &self,
        command: CountStock,
        context: &RequestContext,
    ) -> Result<StockChanged, InventoryError> {
        self.ports.change(context, move |change| {
            let command = command.clone();
            require_pair(change.read(), command.product_id, &command.store_id)?;
            let now = change.now();
            let by = ChangedBy {
                user_id: command.user_id,
                on_behalf_of: command.on_behalf_of,
            };
            let current = change.read().stock(command.product_id, &command.store_id)?;
            let (stock, event, created) = match current {
                None if command.expected_version == 0 => {
                    let (stock, event) = Stock::open_with_count(
                        command.product_id,
                        command.store_id,
                        command.quantity,
                        by,
                        now,
                    );
                    (stock, event, true)
                }
                None => {
                    return Err(StockError::VersionConflict {
                        expected: command.expected_version,
                        current: 0,
                    }
                    .into());
                }
                Some(mut stock) => {
                    let event = stock.count(command.quantity, command.expected_version, by, now)?;
                    (stock, event, false)
                }
            };
            change.record(event)?;
            Ok(StockChanged { stock, created })
        })
    }

    /// The stock of a product in a store.
    ///
    /// # Errors
    /// [`InventoryError::ProductNotFound`], [`InventoryError::StoreNotFound`], or
    /// [`InventoryError::StockNotFound`] when the pair has no stock record.
    pub fn get(&self, product_id: ProductId, store_id: &StoreId) -> Result<Stock, InventoryError> {
        let store_id = store_id.clone();
        self.ports.query(move |tx| {
            require_pair(tx, product_id, &store_id)?;
            tx.stock(product_id, &store_id)?
                .ok_or(InventoryError::StockNotFound {
                    product_id,
                    store_id,
                })
        })
    }

    /// A page of a store's stock records, by product.
    ///
    /// # Errors
    /// [`InventoryError::StoreNotFound`].
    pub fn list_by_store(
        &self,
        store_id: &StoreId,
        page: Page,
    ) -> Result<Paged<Stock>, InventoryError> {
        let store_id = store_id.clone();
        self.ports.query(move |tx| {
            if tx.store(&store_id)?.is_none() {
                return Err(InventoryError::StoreNotFound(store_id));
            }
            let filter = StockFilter {
                product_id: None,
                store_id: Some(store_id),
            };
            let (stock, total) = tx.list_stock(&filter, page)?;
            Ok(Paged::new(stock, total, page))
        })
    }

    /// A page of a product's stock records, one per store that has one, by store.
    ///
    /// # Errors
    /// [`InventoryError::ProductNotFound`].
    pub fn list_by_product(
        &self,
        product_id: ProductId,
        page: Page,
    ) -> Result<Paged<Stock>, InventoryError> {
        self.ports.query(move |tx| {
            if tx.product(product_id)?.is_none() {
                return Err(InventoryError::ProductNotFound(product_id));
            }
            let filter = StockFilter {
                product_id: Some(product_id),
                store_id: None,
            };
            let (stock, total) = tx.list_stock(&filter, page)?;
            Ok(Paged::new(stock, total, page))
        })
    }
}

/// Checks that both ends of a (product, store) pair exist, so a typo is a 404 rather than a
/// foreign-key failure.
pub(crate) fn require_pair(
    tx: &dyn ReadTx,
    product_id: ProductId,
    store_id: &StoreId,
) -> Result<(), InventoryError> {
    if tx.product(product_id)?.is_none() {
        return Err(InventoryError::ProductNotFound(product_id));
    }
    if tx.store(store_id)?.is_none() {
        return Err(InventoryError::StoreNotFound(store_id.clone()));
    }
    Ok(())
}
