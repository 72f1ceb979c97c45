//! # inventory-adapter-postgres
//!
//! The inventory store port ([`inventory_ports::InventoryStore`]) on PostgreSQL, for a chain
//! that outgrows one host: several stateless `inventory` instances on one database, with the
//! guarantees SQLite gives one process.
//!
//! - [`PostgresStore::open`] connects, creates its schema if asked, applies the migrations
//!   embedded from the workspace's `migrations/postgres/` under an advisory lock (N instances
//!   starting together migrate once), and starts the writer and the read pool.
//! - **Writes** go through one writer thread per instance (the shared group-commit writer):
//!   one transaction per batch of queued requests, a savepoint each, `synchronous_commit = on`
//!   (an acknowledged write is durable). Inside a write transaction the rows a request reads
//!   are locked (`FOR UPDATE` for stock and reservations, `FOR KEY SHARE` for products and
//!   stores), so the check-then-change of a reservation is never interleaved with another
//!   instance's; due reservations are claimed `FOR UPDATE SKIP LOCKED`, so each instance's
//!   expiry worker expires different ones. A deadlock between two instances' batches comes
//!   back as a transient error, which the use cases run again.
//! - **Events in commit order.** A sequence hands out numbers when a transaction asks, not
//!   when it commits; a reader that saw 11 could later see 10 appear and skip it forever. Here
//!   a batch buffers its events and, right before `COMMIT`, takes its seqs from the one-row
//!   `outbox_head` table, whose row lock it holds until the commit: seqs are assigned in
//!   commit order, across every instance, with no gaps.
//! - **Reads** use a pool of connections, each read in a `REPEATABLE READ READ ONLY`
//!   transaction (one consistent snapshot).
//!
//! The schema keeps `0 <= reserved <= quantity` as CHECK constraints and refuses to change a
//! resolved reservation (a trigger), as on SQLite.

mod config;
mod errors;
mod migrations;
mod rows;
mod session;
mod store;
mod transaction;
mod write_state;
mod writer;

pub use config::PostgresConfig;
pub use migrations::SCHEMA_VERSION;
pub use store::{OpenError, PostgresStore};
