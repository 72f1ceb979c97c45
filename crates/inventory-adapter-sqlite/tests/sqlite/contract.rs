//! The storage contract, on a database file and in memory.

mod on_a_file {
    use crate::support::TestDb;

    inventory_testkit::storage_contract_tests!(TestDb::new());
}

mod in_memory {
    use crate::support::MemoryDb;

    inventory_testkit::storage_contract_tests!(MemoryDb::new());
}
