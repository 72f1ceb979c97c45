//! Stock movements as storage keeps them: written with their event, read back as history.

use inventory_domain::{MovementReason, ProductId, StockMovement, StoreId};
use time::OffsetDateTime;

/// A movement read back: the event's seq is its id and the history's stable cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedMovement {
    /// The seq of the event that made it (negative for the opening balances of stock that
    /// existed before the history began).
    pub seq: i64,
    /// What moved.
    pub movement: StockMovement,
    /// Who acted (`admin:alice`, `vendor:mad-01`, `customer:cust-1`, `system:expiry`).
    pub actor: Option<String>,
    /// When.
    pub occurred_at: OffsetDateTime,
}

/// Which movements to list: every field given narrows the list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MovementFilter {
    /// Only this product's.
    pub product_id: Option<ProductId>,
    /// Only this store's.
    pub store_id: Option<StoreId>,
    /// Only those with this reason.
    pub reason: Option<MovementReason>,
    /// Only those by this actor.
    pub actor: Option<String>,
    /// Only those at or after this time.
    pub from: Option<OffsetDateTime>,
    /// Only those before this time.
    pub to: Option<OffsetDateTime>,
}

/// Which way a history page runs. The cursor is a seq: the next page starts after it in
/// that direction, so new movements never shift a page already read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MovementOrder {
    /// Newest first (the default): the page holds seqs below the cursor.
    #[default]
    NewestFirst,
    /// Oldest first: the page holds seqs above the cursor.
    OldestFirst,
}
