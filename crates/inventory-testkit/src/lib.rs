//! # inventory-testkit
//!
//! What the workspace's test suites share, so every suite checks the same specification:
//!
//! - [`model`]: the reference model of stock and reservations and the random operations of the
//!   state-machine tests (run against the domain, and against the use cases on SQLite).
//!
//! This crate is a dev-dependency only; nothing in it ships.

pub mod model;
