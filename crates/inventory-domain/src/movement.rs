//! Stock movements: every change of a pair's quantity or reserved units, as a row of history.
//!
//! A movement is derived from the domain event that made the change (each event carries the
//! stock after it, and what moved it), so no write path can change stock without leaving
//! one: storage writes the movement with the event, in the same transaction. Summed per pair,
//! the movements give the pair's stock at every moment; the reconciliation check relies on it.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

use crate::{AdjustmentReason, DomainEvent, ProductId, Stock, StockChange, StoreId};

/// Why a pair's quantity or reserved units moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MovementReason {
    /// A delta with its reason (`POST /stock`, transfers, imports).
    Adjusted(AdjustmentReason),
    /// A physical count set the quantity.
    Count,
    /// Units held by a new reservation.
    Reservation,
    /// A reservation sold its units.
    Confirmation,
    /// A reservation gave its units back.
    Cancellation,
    /// A reservation ran out of time.
    Expiry,
    /// The stock a database held when movements began to be recorded.
    OpeningBalance,
    /// The reconciliation check repaired a count that had drifted.
    Repair,
}

impl MovementReason {
    /// Every reason, for documentation and tests.
    pub const ALL: [Self; 15] = [
        Self::Adjusted(AdjustmentReason::Restock),
        Self::Adjusted(AdjustmentReason::Sale),
        Self::Adjusted(AdjustmentReason::Return),
        Self::Adjusted(AdjustmentReason::Adjustment),
        Self::Adjusted(AdjustmentReason::Damage),
        Self::Adjusted(AdjustmentReason::Loss),
        Self::Adjusted(AdjustmentReason::TransferIn),
        Self::Adjusted(AdjustmentReason::TransferOut),
        Self::Count,
        Self::Reservation,
        Self::Confirmation,
        Self::Cancellation,
        Self::Expiry,
        Self::OpeningBalance,
        Self::Repair,
    ];

    /// The reason as written on the wire and in storage (`SALE`, `RESERVATION`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Adjusted(reason) => reason.as_str(),
            Self::Count => "COUNT",
            Self::Reservation => "RESERVATION",
            Self::Confirmation => "CONFIRMATION",
            Self::Cancellation => "CANCELLATION",
            Self::Expiry => "EXPIRY",
            Self::OpeningBalance => "OPENING_BALANCE",
            Self::Repair => "REPAIR",
        }
    }
}

impl fmt::Display for MovementReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A name that is not a movement reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown movement reason: {0}")]
pub struct UnknownMovementReason(pub String);

impl FromStr for MovementReason {
    type Err = UnknownMovementReason;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|reason| reason.as_str() == text)
            .ok_or_else(|| UnknownMovementReason(text.to_owned()))
    }
}

/// What a movement belongs to, beyond the pair: the reservation, cart, transfer or import
/// that made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MovementReference {
    /// Which kind of thing.
    pub kind: ReferenceKind,
    /// Its id.
    pub id: Uuid,
}

/// The kinds of thing a movement may refer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferenceKind {
    /// A reservation (a cart's line refers to its reservation).
    Reservation,
    /// A transfer between stores.
    Transfer,
    /// A bulk import.
    Import,
    /// A reconciliation run.
    Check,
}

impl ReferenceKind {
    /// Every kind.
    pub const ALL: [Self; 4] = [Self::Reservation, Self::Transfer, Self::Import, Self::Check];

    /// The kind as written on the wire (`reservation`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Reservation => "reservation",
            Self::Transfer => "transfer",
            Self::Import => "import",
            Self::Check => "check",
        }
    }
}

impl FromStr for ReferenceKind {
    type Err = UnknownMovementReason;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| UnknownMovementReason(text.to_owned()))
    }
}

/// One change of a pair's stock: by how much each count moved, what they became, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockMovement {
    /// The product.
    pub product_id: ProductId,
    /// The store.
    pub store_id: StoreId,
    /// How the quantity moved (signed).
    pub quantity_change: i64,
    /// How the reserved units moved (signed).
    pub reserved_change: i64,
    /// The quantity after the movement.
    pub quantity_after: u32,
    /// The reserved units after the movement.
    pub reserved_after: u32,
    /// Why it moved.
    pub reason: MovementReason,
    /// What made it, when something did.
    pub reference: Option<MovementReference>,
}

impl StockMovement {
    /// Units available before the movement.
    pub fn available_before(&self) -> i64 {
        (i64::from(self.quantity_after) - self.quantity_change)
            - (i64::from(self.reserved_after) - self.reserved_change)
    }

    /// Units available after the movement.
    pub fn available_after(&self) -> i64 {
        i64::from(self.quantity_after) - i64::from(self.reserved_after)
    }

    fn of(
        stock: &Stock,
        quantity_change: i64,
        reserved_change: i64,
        reason: MovementReason,
    ) -> Self {
        Self {
            product_id: stock.product_id(),
            store_id: stock.store_id().clone(),
            quantity_change,
            reserved_change,
            quantity_after: stock.quantity(),
            reserved_after: stock.reserved(),
            reason,
            reference: None,
        }
    }
}

impl DomainEvent {
    /// The movement this event made, for events that moved a pair's quantity or reserved
    /// units (an extension or an alert moves nothing).
    pub fn movement(&self) -> Option<StockMovement> {
        let units = |reservation: &crate::Reservation| i64::from(reservation.quantity().get());
        let refer = |reservation: &crate::Reservation| {
            Some(MovementReference {
                kind: ReferenceKind::Reservation,
                id: reservation.id().as_uuid(),
            })
        };
        let movement = match self {
            Self::StockCreated { stock, change } | Self::StockUpdated { stock, change } => {
                match change {
                    StockChange::Adjustment {
                        quantity_change,
                        reason,
                        ..
                    } => StockMovement::of(
                        stock,
                        *quantity_change,
                        0,
                        MovementReason::Adjusted(*reason),
                    ),
                    StockChange::Count {
                        previous_quantity, ..
                    } => StockMovement::of(
                        stock,
                        i64::from(stock.quantity()) - i64::from(*previous_quantity),
                        0,
                        MovementReason::Count,
                    ),
                    // The row is set back to what the reservations (and so the movements)
                    // say: the drift it undoes was never a movement, so neither is this.
                    StockChange::Repair { .. } => {
                        StockMovement::of(stock, 0, 0, MovementReason::Repair)
                    }
                }
            }
            Self::ReservationCreated { reservation, stock } => StockMovement {
                reference: refer(reservation),
                ..StockMovement::of(stock, 0, units(reservation), MovementReason::Reservation)
            },
            Self::ReservationConfirmed { reservation, stock } => StockMovement {
                reference: refer(reservation),
                ..StockMovement::of(
                    stock,
                    -units(reservation),
                    -units(reservation),
                    MovementReason::Confirmation,
                )
            },
            Self::ReservationCancelled { reservation, stock } => StockMovement {
                reference: refer(reservation),
                ..StockMovement::of(stock, 0, -units(reservation), MovementReason::Cancellation)
            },
            Self::ReservationExpired { reservation, stock } => StockMovement {
                reference: refer(reservation),
                ..StockMovement::of(stock, 0, -units(reservation), MovementReason::Expiry)
            },
            _ => return None,
        };
        Some(movement)
    }
}
