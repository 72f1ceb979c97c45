//! The contract of the storage port, as tests every adapter runs: one line in an adapter's
//! test suite, [`storage_contract_tests!`](crate::storage_contract_tests), instantiates all of
//! them for that adapter.
//!
//! - [`storage`]: what the port's `# Errors` sections promise, through the port itself;
//! - [`service`]: what the service relies on, through the real use cases: no oversell under
//!   concurrency, stale counts refused, refusals and failed transactions leave nothing,
//!   expiry once, a follower of the log sees every event once in order;
//! - [`carts`]: all or nothing, no oversell when carts and single reservations race,
//!   resolution once with every line, expiry once;
//! - [`extension`]: an extended reservation expires at its new deadline, within its
//!   maximum hold;
//! - [`transfers`]: never below reserved, in transit until received or called back, no
//!   oversell or lost unit when transfers race reservations;
//! - [`idempotency`]: a keyed change runs once under racing repeats, a key over another
//!   request is refused, refusals store no answer, old answers are purged;
//! - [`read_model`]: availability from memory never older than the handle's own commits,
//!   another handle's commits seen after a follower pass, the database read once the
//!   follower is late;
//! - [`webhooks`]: endpoints read back as registered, cursors move only from where they are
//!   (with the log line of the attempt that moved them), logs newest first, deletion;
//! - [`use_cases_match_the_reference_model`]: random sequences of operations against the
//!   reference model, state and events compared after every step.
//!
//! The in-memory reference adapter ([`crate::memory::MemoryStore`]) passes the same suite.

pub mod carts;
pub mod extension;
mod faulty;
pub mod history;
pub mod idempotency;
mod model;
pub mod read_model;
pub mod service;
pub mod storage;
pub mod transfers;
pub mod webhooks;

use std::sync::Arc;

use inventory_application::{Ports, UseCases};
use inventory_ports::{Clock, InventoryStore, ManualClock, UuidV7Ids};

pub use faulty::FaultyStore;
pub use model::{OpenDatabase, use_cases_match_the_reference_model};

/// A fresh, empty (migrated) database of the adapter under test.
pub trait TestDatabase {
    /// The store under test.
    fn store(&self) -> Arc<dyn InventoryStore>;

    /// Another handle on the same database, with its own connections (and writer), as a
    /// second process would open it. An adapter that cannot open a database twice returns
    /// the same store.
    fn second_store(&self) -> Arc<dyn InventoryStore>;
}

/// Use cases over `store` with `clock` and UUID v7 ids (unique across handles).
pub fn use_cases(store: Arc<dyn InventoryStore>, clock: &Arc<ManualClock>) -> UseCases {
    UseCases::new(Ports {
        store,
        clock: Arc::clone(clock) as Arc<dyn Clock>,
        ids: Arc::new(UuidV7Ids),
        read_cache: None,
    })
}

/// Runs the reconciliation check on `cases` (no expiry lag counted: the tests' clocks stand
/// still) and fails on any finding: reserved units, movement sums and the outbox's seq agree.
pub fn assert_consistent(cases: &UseCases) {
    let report = cases
        .reconciliation
        .check(std::time::Duration::from_secs(100 * 365 * 86_400))
        .expect("check");
    assert!(report.is_clean(), "the check found {:?}", report.findings);
}

/// Instantiates the whole contract for the databases `$open` makes (an expression returning
/// something that implements [`TestDatabase`], evaluated afresh for each test).
#[macro_export]
macro_rules! storage_contract_tests {
    ($open:expr) => {
        $crate::storage_contract_tests!(@each $open;
            storage::the_chains_stores_exist_from_the_start,
            storage::a_recorded_product_and_its_event_read_back,
            storage::a_duplicate_sku_is_refused,
            storage::changing_a_missing_product_is_not_found,
            storage::deleting_a_product_removes_its_stock_and_reservations,
            storage::store_codes_are_unique,
            storage::stock_needs_an_existing_product_and_store,
            storage::a_stale_stock_change_is_refused,
            storage::a_reservation_resolves_once,
            storage::failed_work_leaves_no_trace,
            storage::events_are_read_in_sequence_order,
            storage::a_stores_events_are_read_with_the_catalogues,
            storage::commit_listeners_hear_committed_events,
            storage::products_are_listed_by_page_and_category,
            storage::stock_is_listed_by_product_and_by_store,
            storage::stock_by_store_lists_active_stores_with_zeros,
            storage::reservations_are_filtered_and_claimed_when_due,
            service::concurrent_reservations_on_one_row_never_oversell,
            service::the_first_restocks_of_a_pair_race_and_every_unit_lands,
            service::concurrent_mixed_operations_keep_every_count_consistent,
            service::a_customers_parallel_reservations_cannot_pass_its_limits,
            service::a_stale_count_is_refused_with_the_current_version,
            service::a_refused_change_leaves_nothing,
            service::a_failing_transaction_returns_its_error_and_leaves_nothing,
            service::expiry_releases_only_due_reservations_each_once,
            service::a_reader_following_the_log_sees_every_event_once_in_order,
            carts::a_cart_whose_last_line_cannot_be_served_reserves_nothing,
            carts::a_cart_resolves_once_with_all_its_lines,
            carts::concurrent_carts_and_single_reservations_never_oversell,
            carts::due_carts_expire_once_with_their_lines,
            extension::an_extended_reservation_expires_at_its_new_deadline,
            transfers::a_transfer_never_leaves_a_store_with_more_reserved_than_it_has,
            transfers::a_shipped_transfer_is_in_transit_until_received_or_cancelled,
            transfers::concurrent_transfers_and_reservations_never_oversell,
            idempotency::a_keyed_change_runs_once_however_many_repeats_race_it,
            idempotency::a_key_over_another_request_is_refused,
            idempotency::a_refused_keyed_change_stores_no_answer,
            idempotency::old_answers_are_purged,
            history::movements_add_up_to_the_stock_and_page_by_cursor,
            history::low_stock_alerts_once_per_crossing,
            history::products_are_found_without_case_or_accents,
            history::the_check_finds_a_drifted_reserved_count_and_repairs_it,
            webhooks::a_webhook_reads_back_as_registered_and_starts_after_the_log,
            webhooks::a_webhook_cursor_moves_only_from_where_it_is,
            webhooks::a_delivery_log_reads_newest_first_by_page,
            webhooks::deleting_a_webhook_removes_its_log,
            read_model::availability_is_never_older_than_this_handles_commits,
            read_model::another_handles_commits_show_after_a_follower_pass,
            read_model::a_read_model_whose_follower_is_late_reads_the_database,
        );

        #[test]
        fn use_cases_match_the_reference_model() {
            $crate::contract::use_cases_match_the_reference_model(&|| {
                ::std::boxed::Box::new($open) as ::std::boxed::Box<dyn $crate::contract::TestDatabase>
            });
        }
    };
    (@each $open:expr; $($module:ident :: $name:ident,)*) => {
        $(
            #[test]
            fn $name() {
                let database = $open;
                $crate::contract::$module::$name(&database);
            }
        )*
    };
}
