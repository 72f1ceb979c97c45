//! # inventory-testkit
//!
//! What the workspace's test suites share, so every suite checks the same specification:
//!
//! - [`contract`]: the storage port's contract as tests, instantiated for an adapter with
//!   [`storage_contract_tests!`] (port promises, service guarantees under concurrency, and the
//!   reference model), plus [`contract::FaultyStore`] to fail a transaction half-way.
//! - [`memory`]: the in-memory reference adapter, which passes the same contract.
//! - [`model`]: the reference model of stock and reservations and the random operations of
//!   the state-machine tests.
//! - [`fixtures`]: small builders of test data.
//! - [`unavailable`]: a store whose database is gone, for storage-failure paths.
//! - [`redis_server`]: the shared Redis (each test on its own stream) or a private
//!   `redis-server` for tests that stop Redis.
//!
//! This crate is a dev-dependency only; nothing in it ships.

pub mod contract;
pub mod fixtures;
pub mod memory;
pub mod model;
pub mod redis_server;
pub mod unavailable;

#[cfg(test)]
mod memory_contract {
    //! The reference adapter passes the contract it defines.

    use std::sync::Arc;

    use inventory_ports::InventoryStore;

    use crate::contract::TestDatabase;
    use crate::memory::MemoryStore;

    struct MemoryDatabase(Arc<MemoryStore>);

    impl TestDatabase for MemoryDatabase {
        fn store(&self) -> Arc<dyn InventoryStore> {
            self.0.clone()
        }

        fn second_store(&self) -> Arc<dyn InventoryStore> {
            self.0.clone()
        }
    }

    crate::storage_contract_tests!(MemoryDatabase(Arc::new(MemoryStore::new())));
}
