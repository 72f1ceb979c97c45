//! Whether the storage answers, for `/health` and load balancers.

use inventory_ports::InventoryError;

use crate::Ports;

/// Checks the storage.
#[derive(Clone)]
pub struct Health {
    ports: Ports,
}

impl Health {
    pub(crate) fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// Checks that the database answers reads and writes.
    ///
    /// # Errors
    /// [`InventoryError::Unavailable`] when it does not.
    pub fn check(&self) -> Result<(), InventoryError> {
        self.ports.store.check_health()
    }
}
