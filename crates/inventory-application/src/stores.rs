//! The stores of the chain. Opening a store is data, not a deployment.

use inventory_domain::{Store, StoreDetails, StoreId};
use inventory_ports::{InventoryError, Page, Paged, RequestContext};

use crate::Ports;

/// Creates, changes and finds stores.
#[derive(Clone)]
pub struct StoreDirectory {
    ports: Ports,
}

impl StoreDirectory {
    pub(crate) fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// Adds a store (`store.created`).
    ///
    /// # Errors
    /// [`InventoryError::DuplicateStore`] when the code is taken.
    pub fn create(
        &self,
        id: StoreId,
        details: StoreDetails,
        context: &RequestContext,
    ) -> Result<Store, InventoryError> {
        self.ports.change(context, move |change| {
            let (id, details) = (id.clone(), details.clone());
            if change.read().store(&id)?.is_some() {
                return Err(InventoryError::DuplicateStore(id));
            }
            let (store, event) = Store::create(id, details, change.now());
            change.record(event)?;
            Ok(store)
        })
    }

    /// Replaces a store's details, including whether it is active (`store.updated`).
    ///
    /// # Errors
    /// [`InventoryError::StoreNotFound`].
    pub fn update(
        &self,
        id: StoreId,
        details: StoreDetails,
        context: &RequestContext,
    ) -> Result<Store, InventoryError> {
        self.ports.change(context, move |change| {
            let (id, details) = (id.clone(), details.clone());
            let mut store = change
                .read()
                .store(&id)?
                .ok_or(InventoryError::StoreNotFound(id))?;
            let event = store.update(details, change.now());
            change.record(event)?;
            Ok(store)
        })
    }

    /// The store with this code.
    ///
    /// # Errors
    /// [`InventoryError::StoreNotFound`].
    pub fn get(&self, id: &StoreId) -> Result<Store, InventoryError> {
        let id = id.clone();
        self.ports
            .query(move |tx| tx.store(&id)?.ok_or(InventoryError::StoreNotFound(id)))
    }

    /// A page of stores ordered by code.
    ///
    /// # Errors
    /// Storage failures only.
    pub fn list(&self, page: Page) -> Result<Paged<Store>, InventoryError> {
        self.ports.query(move |tx| {
            let (stores, total) = tx.list_stores(page)?;
            Ok(Paged::new(stores, total, page))
        })
    }
}
