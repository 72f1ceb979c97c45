//! # inventory-testkit
//!
//! What the workspace's test suites share, so every suite checks the same specification:
//!
//! - [`model`]: the reference model of stock and reservations and the random operations of the
//!   state-machine tests (run against the domain, and against the use cases on SQLite).
//! - [`contract`]: the [`inventory_ports::InventoryStore`] contract as tests, instantiated for
//!   an adapter with [`store_contract_tests!`].
//! - [`fixtures`]: small builders of test data.
//! - [`redis_server`]: the shared Redis (each test on its own stream) or a private
//!   `redis-server` for tests that stop Redis.
//!
//! This crate is a dev-dependency only; nothing in it ships.

pub mod contract;
pub mod fixtures;
pub mod model;
pub mod redis_server;
