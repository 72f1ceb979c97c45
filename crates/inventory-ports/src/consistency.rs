//! What the reconciliation check asks storage: the facts that should agree, gathered in one
//! read transaction so they describe one consistent snapshot.

use inventory_domain::{ProductId, ReservationId, StoreId};

/// A pair whose stored counts disagree with what they should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairDrift {
    /// The product.
    pub product_id: ProductId,
    /// The store.
    pub store_id: StoreId,
    /// The stored quantity.
    pub quantity: i64,
    /// The stored reserved units.
    pub reserved: i64,
    /// What the quantity should be (the sum of the pair's movements).
    pub expected_quantity: i64,
    /// What the reserved units should be (pending reservations, or the movements' sum).
    pub expected_reserved: i64,
}

/// A hole in the outbox's sequence: `after` is followed by `next`, not `after + 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeqGap {
    /// The last seq before the hole.
    pub after: u64,
    /// The first seq after it.
    pub next: u64,
}

/// Everything the check compares, from one snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsistencyFacts {
    /// Pairs whose reserved units differ from the units their pending reservations hold.
    pub reserved_drift: Vec<PairDrift>,
    /// Pairs whose quantity or reserved units differ from the sum of their movements.
    pub movement_drift: Vec<PairDrift>,
    /// Pending reservations due before the bound the check was given (up to 100).
    pub overdue: Vec<ReservationId>,
    /// Holes in the outbox's seq.
    pub seq_gaps: Vec<SeqGap>,
    /// Rows that break a rule the schema states (a corrupt file, written around the
    /// constraints), described.
    pub broken_rows: Vec<String>,
}
