//! # inventory-adapter-sqlite
//!
//! The inventory store port ([`inventory_ports::InventoryStore`]) on SQLite, bundled (a known
//! SQLite version everywhere).
//!
//! - [`SqliteStore::open`] creates or opens the database, applies the migrations embedded from
//!   the workspace's `migrations/` folder (refusing a database from a newer build), and starts
//!   the writer thread and the read pool.
//! - Writes go through one writer thread that commits queued requests in groups, each request
//!   in its own savepoint, every transaction `BEGIN IMMEDIATE` (see `writer.rs`'s docs in the
//!   source). Callers hear back after the commit.
//! - Reads use a pool of `query_only` connections; WAL lets them run during commits.
//! - A checkpointer thread copies the WAL into the database file (`PASSIVE`, never blocking),
//!   so no commit pays for a checkpoint.
//! - Pragmas: `journal_mode=WAL`, `foreign_keys=ON`, `busy_timeout` (5 s by default) and
//!   `synchronous` (FULL by default, see [`Synchronous`]).
//!
//! The schema keeps `0 <= reserved <= quantity` as CHECK constraints and refuses to change a
//! resolved reservation (a trigger), so even a bug in the code above cannot store an oversold
//! or twice-resolved row.

mod checkpointer;
mod config;
mod connection;
mod errors;
mod migrations;
mod rows;
mod store;
mod timestamp;
mod transaction;
mod webhooks;
mod writer;

pub use config::{Location, SqliteConfig, Synchronous};
pub use migrations::SCHEMA_VERSION;
pub use store::{OpenError, SqliteStore};
