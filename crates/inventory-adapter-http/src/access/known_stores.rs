//! The stores a vendor token may name: a token for a store that does not exist is refused.
//! Stores are never deleted, so a store seen once is remembered for the life of the process;
//! an unknown code costs one read of the store directory.

use std::collections::HashSet;
use std::sync::RwLock;

use inventory_application::{StoreDirectory, blocking};
use inventory_domain::StoreId;
use inventory_ports::InventoryError;

use crate::ApiError;
use crate::access::token::refused;

/// The stores known to exist.
pub struct KnownStores {
    known: RwLock<HashSet<StoreId>>,
    directory: StoreDirectory,
}

impl KnownStores {
    /// Checks codes against `directory`.
    pub fn new(directory: StoreDirectory) -> Self {
        Self {
            known: RwLock::new(HashSet::new()),
            directory,
        }
    }

    /// Succeeds when `store` exists.
    ///
    /// # Errors
    /// A 401 `INVALID_TOKEN` when it does not; the directory's error when it cannot be read.
    pub async fn require(&self, store: &StoreId) -> Result<(), ApiError> {
        if self
            .known
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains(store)
        {
            return Ok(());
        }
        let (directory, id) = (self.directory.clone(), store.clone());
        match blocking(move || directory.get(&id)).await {
            Ok(_) => {
                self.known
                    .write()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(store.clone());
                Ok(())
            }
            Err(InventoryError::StoreNotFound(_)) => Err(refused("INVALID_TOKEN")),
            Err(other) => Err(other.into()),
        }
    }
}
