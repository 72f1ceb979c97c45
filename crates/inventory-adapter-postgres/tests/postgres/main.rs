//! The PostgreSQL adapter against the PostgreSQL on 127.0.0.1:5432 (or
//! `INVENTORY_TEST_DATABASE_URL`), each test in a schema of its own, created and dropped by
//! the test: the shared storage contract, events in commit order under many writers with
//! delayed commits, migrations under an advisory lock, and the schema's own guards.
//!
//! One test binary (modules below) so the workspace links it once.

mod commit_order;
mod contract;
mod instances;
mod schema;
mod support;
mod write_batches;
