//! Use cases over a fresh in-memory store.

use std::sync::Arc;

use inventory_application::UseCases;
use inventory_ports::{InventoryStore, ManualClock, RequestContext};
use inventory_testkit::fixtures::T0;
use inventory_testkit::memory::MemoryStore;

/// No request id.
pub fn ctx() -> RequestContext {
    RequestContext::default()
}

/// Use cases over a new in-memory store, with a manual clock at [`T0`].
pub fn fresh() -> (UseCases, Arc<ManualClock>, Arc<dyn InventoryStore>) {
    let store: Arc<dyn InventoryStore> = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::new(T0));
    let use_cases = inventory_testkit::contract::use_cases(store.clone(), &clock);
    (use_cases, clock, store)
}

pub use inventory_testkit::fixtures::stocked;
