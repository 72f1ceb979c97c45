//! Moving units of a product from one store to another.
//!
//! ```text
//! IMMEDIATE:  send ──► RECEIVED      (one change: the source loses the units, the destination gains them)
//! SHIPPED:    send ──► IN_TRANSIT ──┬─► RECEIVED    (the destination gains the units)
//!                                   └─► CANCELLED   (the units go back to the source)
//! ```
//!
//! The units leave the source's stock when they are sent, through the same rule as any
//! removal, and only units that are available (not reserved) can be sent: a transfer never
//! leaves a store with `reserved > quantity`. While a shipped transfer is in transit its units
//! are in neither store's quantity; availability shows them as `in_transit` at the destination.

use std::fmt;
use std::str::FromStr;

use time::OffsetDateTime;

use crate::{
    AdjustmentReason, ChangedBy, DomainEvent, InvariantViolation, ProductId, Quantity, Stock,
    StockDelta, StockError, StoreId, TransferId, UserId, ValidationError,
};

/// How the units travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferMode {
    /// Source and destination change in one transaction.
    Immediate,
    /// The units leave now and arrive when the destination receives them.
    Shipped,
}

/// Where a transfer is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferStatus {
    /// Sent, not yet received (shipped transfers only).
    InTransit,
    /// The destination has the units.
    Received,
    /// Called back: the units are at the source again.
    Cancelled,
}

macro_rules! wire_names {
    ($type:ty, $field:literal, $($variant:ident => $name:literal),+ $(,)?) => {
        impl $type {
            /// Every value.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The name on the wire and in the database.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name),+
                }
            }
        }

        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl FromStr for $type {
            type Err = ValidationError;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                let wanted = text.trim();
                Self::ALL
                    .iter()
                    .copied()
                    .find(|value| value.as_str().eq_ignore_ascii_case(wanted))
                    .ok_or_else(|| {
                        let names: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                        ValidationError::new($field, format!("must be one of {}", names.join(", ")))
                    })
            }
        }
    };
}

wire_names!(TransferMode, "mode", Immediate => "IMMEDIATE", Shipped => "SHIPPED");
wire_names!(
    TransferStatus,
    "status",
    InTransit => "IN_TRANSIT",
    Received => "RECEIVED",
    Cancelled => "CANCELLED",
);

/// Why a transfer could not be made or moved on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransferError {
    /// Source and destination are the same store.
    #[error("a transfer goes from one store to another")]
    SameStore,
    /// A stock rule refused: fewer units available at the source than sent, or the
    /// destination would go past the most a store may hold.
    #[error(transparent)]
    Stock(#[from] StockError),
    /// The transfer was received or cancelled already.
    #[error("the transfer is {status}, not in transit")]
    NotInTransit {
        /// Its status.
        status: TransferStatus,
    },
    /// A bug or corrupt stored data.
    #[error(transparent)]
    Invariant(#[from] InvariantViolation),
}

/// What a store asks to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRequest {
    /// The new transfer's id.
    pub id: TransferId,
    /// Where the units leave from.
    pub from_store: StoreId,
    /// Where they go.
    pub to_store: StoreId,
    /// How many.
    pub quantity: Quantity,
    /// How they travel.
    pub mode: TransferMode,
    /// Who sends them (recorded on both stock changes).
    pub by: ChangedBy,
}

/// A transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    id: TransferId,
    product_id: ProductId,
    from_store: StoreId,
    to_store: StoreId,
    quantity: Quantity,
    mode: TransferMode,
    status: TransferStatus,
    created_by: Option<UserId>,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

/// A transfer as storage keeps it, to be checked by [`Transfer::restore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRecord {
    /// The transfer's id.
    pub id: TransferId,
    /// The product moved.
    pub product_id: ProductId,
    /// Where the units left from.
    pub from_store: StoreId,
    /// Where they go.
    pub to_store: StoreId,
    /// How many.
    pub quantity: Quantity,
    /// How they travel.
    pub mode: TransferMode,
    /// Where it is.
    pub status: TransferStatus,
    /// Who sent them.
    pub created_by: Option<UserId>,
    /// When it was sent.
    pub created_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
}

impl Transfer {
    /// Sends units from `source`: the source's `stock.updated` (TRANSFER_OUT) first; then,
    /// for an immediate transfer, the destination's `stock.created` or `stock.updated`
    /// (TRANSFER_IN) and `transfer.completed`, or for a shipped one `transfer.shipped`.
    /// Returns the destination's stock after the change, when it changed.
    ///
    /// # Errors
    /// [`TransferError::SameStore`]; [`TransferError::Stock`] with
    /// [`StockError::InsufficientStock`] when fewer units are available (not reserved) at
    /// the source, or [`StockError::AboveLimit`] at the destination. Nothing changed then.
    pub fn send(
        request: TransferRequest,
        source: &mut Stock,
        destination: Option<Stock>,
        now: OffsetDateTime,
    ) -> Result<(Self, Option<Stock>, Vec<DomainEvent>), TransferError> {
        if request.from_store == request.to_store {
            return Err(TransferError::SameStore);
        }
        if source.store_id() != &request.from_store {
            return Err(InvariantViolation::new("a transfer got another store's stock").into());
        }
        let units = request.quantity.get();
        if source.available() < units {
            return Err(StockError::InsufficientStock {
                available: source.available(),
                requested: units,
            }
            .into());
        }
        let mut transfer = Self {
            id: request.id,
            product_id: source.product_id(),
            from_store: request.from_store,
            to_store: request.to_store,
            quantity: request.quantity,
            mode: request.mode,
            status: TransferStatus::InTransit,
            created_by: request.by.user_id.clone(),
            created_at: now,
            updated_at: now,
        };
        // Work on a copy: a refusal at the destination leaves the source as it was.
        let mut sent = source.clone();
        let mut events = vec![sent.adjust(
            transfer.delta(-1)?,
            AdjustmentReason::TransferOut,
            request.by.clone(),
            now,
        )?];
        let arrived = match transfer.mode {
            TransferMode::Shipped => {
                events.push(DomainEvent::TransferShipped(transfer.clone()));
                None
            }
            TransferMode::Immediate => {
                let (stock, event) = transfer.arrive(destination, request.by, now)?;
                events.push(event);
                transfer.status = TransferStatus::Received;
                events.push(DomainEvent::TransferCompleted(transfer.clone()));
                Some(stock)
            }
        };
        *source = sent;
        Ok((transfer, arrived, events))
    }

    /// The destination receives a shipped transfer: its `stock.created` or `stock.updated`
    /// (TRANSFER_IN), then `transfer.received`.
    ///
    /// # Errors
    /// [`TransferError::NotInTransit`]; [`TransferError::Stock`] with
    /// [`StockError::AboveLimit`] when the destination would hold too much.
    pub fn receive(
        &mut self,
        destination: Option<Stock>,
        by: ChangedBy,
        now: OffsetDateTime,
    ) -> Result<(Stock, Vec<DomainEvent>), TransferError> {
        self.check_in_transit()?;
        let (stock, event) = self.arrive(destination, by, now)?;
        self.status = TransferStatus::Received;
        self.updated_at = now;
        Ok((
            stock,
            vec![event, DomainEvent::TransferReceived(self.clone())],
        ))
    }

    /// Calls a shipped transfer back: the units return to the source (`stock.updated`,
    /// TRANSFER_IN), then `transfer.cancelled`.
    ///
    /// # Errors
    /// [`TransferError::NotInTransit`]; [`TransferError::Stock`] with
    /// [`StockError::AboveLimit`] when the source would hold too much.
    pub fn cancel(
        &mut self,
        source: &mut Stock,
        by: ChangedBy,
        now: OffsetDateTime,
    ) -> Result<Vec<DomainEvent>, TransferError> {
        self.check_in_transit()?;
        if source.store_id() != &self.from_store || source.product_id() != self.product_id {
            return Err(InvariantViolation::new("a transfer returns to its own source").into());
        }
        let event = source.adjust(self.delta(1)?, AdjustmentReason::TransferIn, by, now)?;
        self.status = TransferStatus::Cancelled;
        self.updated_at = now;
        Ok(vec![event, DomainEvent::TransferCancelled(self.clone())])
    }

    /// Rebuilds a transfer read from storage.
    ///
    /// # Errors
    /// An [`InvariantViolation`] when its stores are the same, it changed before it was made,
    /// or an immediate transfer is not received: the row is corrupt.
    pub fn restore(record: TransferRecord) -> Result<Self, InvariantViolation> {
        if record.from_store == record.to_store
            || record.updated_at < record.created_at
            || (record.mode == TransferMode::Immediate && record.status != TransferStatus::Received)
        {
            return Err(InvariantViolation::new(format!(
                "transfer {} is not one the rules make",
                record.id
            )));
        }
        Ok(Self {
            id: record.id,
            product_id: record.product_id,
            from_store: record.from_store,
            to_store: record.to_store,
            quantity: record.quantity,
            mode: record.mode,
            status: record.status,
            created_by: record.created_by,
            created_at: record.created_at,
            updated_at: record.updated_at,
        })
    }

    fn check_in_transit(&self) -> Result<(), TransferError> {
        if self.status == TransferStatus::InTransit {
            Ok(())
        } else {
            Err(TransferError::NotInTransit {
                status: self.status,
            })
        }
    }

    /// The transfer's quantity as a delta, signed `sign`.
    fn delta(&self, sign: i64) -> Result<StockDelta, InvariantViolation> {
        StockDelta::new(sign * i64::from(self.quantity.get()))
            .map_err(|error| InvariantViolation::new(format!("a transfer's delta: {error}")))
    }

    /// The units land at the destination, opening its stock record if it has none.
    fn arrive(
        &self,
        destination: Option<Stock>,
        by: ChangedBy,
        now: OffsetDateTime,
    ) -> Result<(Stock, DomainEvent), TransferError> {
        let delta = self.delta(1)?;
        match destination {
            Some(mut stock) => {
                if stock.store_id() != &self.to_store || stock.product_id() != self.product_id {
                    return Err(InvariantViolation::new(
                        "a transfer arrives at its own destination",
                    )
                    .into());
                }
                let event = stock.adjust(delta, AdjustmentReason::TransferIn, by, now)?;
                Ok((stock, event))
            }
            None => Ok(Stock::open(
                self.product_id,
                self.to_store.clone(),
                delta,
                AdjustmentReason::TransferIn,
                by,
                now,
            )?),
        }
    }

    /// The transfer's id.
    pub fn id(&self) -> TransferId {
        self.id
    }

    /// The product moved.
    pub fn product_id(&self) -> ProductId {
        self.product_id
    }

    /// Where the units left from.
    pub fn from_store(&self) -> &StoreId {
        &self.from_store
    }

    /// Where they go.
    pub fn to_store(&self) -> &StoreId {
        &self.to_store
    }

    /// How many.
    pub fn quantity(&self) -> Quantity {
        self.quantity
    }

    /// How they travel.
    pub fn mode(&self) -> TransferMode {
        self.mode
    }

    /// Where it is.
    pub fn status(&self) -> TransferStatus {
        self.status
    }

    /// Who sent the units.
    pub fn created_by(&self) -> Option<&UserId> {
        self.created_by.as_ref()
    }

    /// When it was sent.
    pub fn created_at(&self) -> OffsetDateTime {
        self.created_at
    }

    /// When it last changed.
    pub fn updated_at(&self) -> OffsetDateTime {
        self.updated_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2025-10-26 17:00 UTC);

    fn stock(store: &str, units: i64) -> Stock {
        Stock::open(
            ProductId::from_uuid(uuid::Uuid::from_u128(1)),
            StoreId::parse(store).unwrap(),
            StockDelta::new(units).unwrap(),
            AdjustmentReason::Restock,
            None,
            NOW,
        )
        .unwrap()
        .0
    }

    fn request(units: i64, mode: TransferMode) -> TransferRequest {
        TransferRequest {
            id: TransferId::from_uuid(uuid::Uuid::from_u128(9)),
            from_store: StoreId::parse("MAD-001").unwrap(),
            to_store: StoreId::parse("BCN-001").unwrap(),
            quantity: Quantity::new(units).unwrap(),
            mode,
            by: ChangedBy::default(),
        }
    }

    #[test]
    fn only_available_units_leave_and_a_refusal_changes_nothing() {
        let mut source = stock("MAD-001", 5);
        source.hold(Quantity::new(3).unwrap(), NOW).unwrap();
        let before = source.clone();
        assert_eq!(
            Transfer::send(request(3, TransferMode::Immediate), &mut source, None, NOW),
            Err(TransferError::Stock(StockError::InsufficientStock {
                available: 2,
                requested: 3
            }))
        );
        assert_eq!(source, before);
        let (transfer, arrived, events) =
            Transfer::send(request(2, TransferMode::Immediate), &mut source, None, NOW).unwrap();
        assert_eq!((source.quantity(), source.reserved()), (3, 3));
        assert_eq!(arrived.map(|s| s.quantity()), Some(2));
        assert_eq!(transfer.status(), TransferStatus::Received);
        assert_eq!(events.len(), 3);
    }

    #[test]
    fn a_shipped_transfer_is_received_or_cancelled_once() {
        let mut source = stock("MAD-001", 5);
        let (mut transfer, arrived, _) =
            Transfer::send(request(4, TransferMode::Shipped), &mut source, None, NOW).unwrap();
        assert_eq!((source.quantity(), arrived), (1, None));
        let mut returned = transfer.clone();
        returned
            .cancel(&mut source, ChangedBy::default(), NOW)
            .unwrap();
        assert_eq!(source.quantity(), 5);
        let (landed, _) = transfer
            .receive(Some(stock("BCN-001", 1)), ChangedBy::default(), NOW)
            .unwrap();
        assert_eq!(landed.quantity(), 5);
        assert_eq!(
            transfer.receive(None, ChangedBy::default(), NOW),
            Err(TransferError::NotInTransit {
                status: TransferStatus::Received
            })
        );
        let mut same = request(1, TransferMode::Shipped);
        same.to_store = same.from_store.clone();
        assert_eq!(
            Transfer::send(same, &mut source, None, NOW),
            Err(TransferError::SameStore)
        );
    }
}
