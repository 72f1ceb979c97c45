//! The store contract, on a database file and in memory.

mod on_a_file {
    use crate::support::TestDb;

    inventory_testkit::store_contract_tests!(TestDb::new());
}

mod in_memory {
    use inventory_adapter_sqlite::SqliteStore;

    inventory_testkit::store_contract_tests!(Box::new(
        SqliteStore::in_memory().expect("open in memory")
    ));
}
