//! The SQLite adapter on real database files: the shared storage contract (on a file, and in
//! memory), and what only SQLite has: migrations, the schema's own guards, a failure inside
//! one recorded change rolled back by its savepoint, and the background checkpointer.
//!
//! One test binary (modules below) so the workspace links it once.

mod atomicity;
mod contract;
mod migrations;
mod support;
mod wal;
