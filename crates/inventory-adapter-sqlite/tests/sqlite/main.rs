//! The SQLite adapter on real database files: the store contract, the use cases against the
//! reference model, concurrency across threads and across independent connections to one
//! file, atomicity under injected failures, migrations, and refusals of bad input.
//!
//! One test binary (modules below) so the workspace links it once.

mod atomicity;
mod concurrency;
mod contract;
mod migrations;
mod model;
mod refusals;
mod support;
mod wal;
