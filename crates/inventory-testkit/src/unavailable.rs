//! A store whose database is gone: every read, write and health check fails with
//! `unavailable`. For the tests of what a worker or an endpoint does when storage fails.

use inventory_ports::{CommitListener, InventoryError, InventoryStore, ReadWork, WriteWork};

/// A database that answers nothing.
pub struct UnavailableStore;

impl UnavailableStore {
    fn error() -> InventoryError {
        InventoryError::unavailable("disk gone")
    }
}

impl InventoryStore for UnavailableStore {
    fn write(&self, _: WriteWork) -> Result<(), InventoryError> {
        Err(Self::error())
    }
    fn read(&self, _: ReadWork) -> Result<(), InventoryError> {
        Err(Self::error())
    }
    fn on_commit(&self, _: CommitListener) {}
    fn check_health(&self) -> Result<(), InventoryError> {
        Err(Self::error())
    }
}
