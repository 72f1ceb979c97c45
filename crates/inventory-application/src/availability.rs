//! Availability of a product across the chain: the design document's flow 1.

use inventory_domain::{ProductId, ProductName, StoreId, StoreName};
use inventory_ports::InventoryError;

use crate::Ports;

/// How many units of a product can be bought, in total and per store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductAvailability {
    /// The product.
    pub product_id: ProductId,
    /// Its name.
    pub product_name: ProductName,
    /// Sum of `available` over the stores listed.
    pub total_available: u64,
    /// Every active store (or the one asked for), ordered by code.
    pub stores: Vec<StoreAvailability>,
}

/// One store's line of [`ProductAvailability`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreAvailability {
    /// The store.
    pub store_id: StoreId,
    /// Its name.
    pub store_name: StoreName,
    /// Units in the store.
    pub quantity: u32,
    /// Units held by pending reservations.
    pub reserved: u32,
    /// `quantity - reserved`: what a customer can still reserve there.
    pub available: u32,
    /// Units of shipped transfers on their way here (not in `quantity` until received).
    pub in_transit: u32,
}

/// Reads availability.
#[derive(Clone)]
pub struct AvailabilityQuery {
    ports: Ports,
}

impl AvailabilityQuery {
    pub(crate) fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// The availability of a product in every active store, or in `store_id` only (active or
    /// not). Stores without a stock record show zeros: the customer learns the store has none.
    ///
    /// Read from the database on every call, in one query: a cached answer could show units
    /// that were sold a moment ago.
    ///
    /// # Errors
    /// [`InventoryError::ProductNotFound`]; [`InventoryError::StoreNotFound`] for an unknown
    /// `store_id`.
    pub fn of_product(
        &self,
        product_id: ProductId,
        store_id: Option<StoreId>,
    ) -> Result<ProductAvailability, InventoryError> {
        self.ports.query(move |tx| {
            let product = tx
                .product(product_id)?
                .ok_or(InventoryError::ProductNotFound(product_id))?;
            if let Some(store_id) = &store_id
                && tx.store(store_id)?.is_none()
            {
                return Err(InventoryError::StoreNotFound(store_id.clone()));
            }
            let stores: Vec<StoreAvailability> = tx
                .stock_by_store(product_id, store_id.as_ref())?
                .into_iter()
                .map(|row| StoreAvailability {
                    available: row.quantity.saturating_sub(row.reserved),
                    store_id: row.store_id,
                    store_name: row.store_name,
                    quantity: row.quantity,
                    reserved: row.reserved,
                    in_transit: row.in_transit,
                })
                .collect();
            Ok(ProductAvailability {
                product_id,
                product_name: product.details.name,
                total_available: stores.iter().map(|s| u64::from(s.available)).sum(),
                stores,
            })
        })
    }
}
