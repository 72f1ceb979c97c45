//! The storage contract, on PostgreSQL.

use crate::support::PgDb;

inventory_testkit::storage_contract_tests!(PgDb::new());
