//! A customer's hold on units of one product in one store, which resolves exactly once.
//!
//! ```text
//!             ┌──────────► CONFIRMED   (units leave the store: quantity and reserved go down)
//! PENDING ────┼──────────► CANCELLED   (units go back: reserved goes down)
//!             └──────────► EXPIRED     (expires_at passed: reserved goes down)
//! ```
//!
//! A resolved reservation never changes again. A PENDING reservation whose `expires_at` has
//! passed can no longer be confirmed, even before the expiry worker gets to it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{
    CartId, CustomerId, DomainEvent, InvariantViolation, ProductId, Quantity, ReservationId,
    ReservationTtl, Stock, StockError, StoreId, ValidationError,
};

/// Where a reservation is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReservationStatus {
    /// Holding units until confirmed, cancelled or expired.
    Pending,
    /// Turned into a sale.
    Confirmed,
    /// Given up by the customer or the store.
    Cancelled,
    /// Not confirmed in time.
    Expired,
}

impl ReservationStatus {
    /// Every status.
    pub const ALL: [Self; 4] = [
        Self::Pending,
        Self::Confirmed,
        Self::Cancelled,
        Self::Expired,
    ];

    /// The status as written on the wire and in the database (`PENDING`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Confirmed => "CONFIRMED",
            Self::Cancelled => "CANCELLED",
            Self::Expired => "EXPIRED",
        }
    }
}

impl fmt::Display for ReservationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for ReservationStatus {
    type Err = ValidationError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.trim();
        Self::ALL
            .into_iter()
            .find(|status| status.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                ValidationError::new(
                    "status",
                    "must be one of PENDING, CONFIRMED, CANCELLED, EXPIRED",
                )
            })
    }
}

/// Why a reservation could not be created or resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReservationError {
    /// The stock refused to hold the units.
    #[error(transparent)]
    Stock(#[from] StockError),
    /// The reservation was already confirmed, cancelled or expired.
    #[error("the reservation is already {status}")]
    AlreadyResolved {
        /// Its final status.
        status: ReservationStatus,
    },
    /// The reservation's time ran out before it was confirmed.
    #[error("the reservation expired at {expires_at}")]
    Expired {
        /// When it expired.
        expires_at: OffsetDateTime,
    },
    /// An extension that would end the hold no later than it ends now.
    #[error("the reservation already holds its units until {expires_at}")]
    NotExtended {
        /// When it expires now.
        expires_at: OffsetDateTime,
    },
    /// A bug in the caller (an expiry before the deadline, another pair's stock) or corrupt
    /// stored data; never the client's fault.
    #[error(transparent)]
    Invariant(#[from] InvariantViolation),
}

/// What a customer asks to reserve; the store and product come with the stock it is taken from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservationRequest {
    /// The new reservation's id.
    pub id: ReservationId,
    /// Who reserves.
    pub customer_id: CustomerId,
    /// How many units.
    pub quantity: Quantity,
    /// How long to hold them.
    pub ttl: ReservationTtl,
    /// The cart it is a line of, if any (a line is resolved with its cart, never alone).
    pub cart_id: Option<CartId>,
}

/// A reservation.
///
/// Fields are private: status changes only through [`Reservation::confirm`],
/// [`Reservation::cancel`] and [`Reservation::expire`], each of which refuses a resolved one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    id: ReservationId,
    product_id: ProductId,
    store_id: StoreId,
    customer_id: CustomerId,
    quantity: Quantity,
    status: ReservationStatus,
    expires_at: OffsetDateTime,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    cart_id: Option<CartId>,
}

/// A reservation as storage keeps it, to be checked by [`Reservation::restore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservationRecord {
    /// The reservation's id.
    pub id: ReservationId,
    /// The product reserved.
    pub product_id: ProductId,
    /// The store it is reserved in.
    pub store_id: StoreId,
    /// Who reserved.
    pub customer_id: CustomerId,
    /// Units held.
    pub quantity: Quantity,
    /// Where it is in its life.
    pub status: ReservationStatus,
    /// When it stops holding units if not confirmed.
    pub expires_at: OffsetDateTime,
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
    /// The cart it is a line of, if any.
    pub cart_id: Option<CartId>,
}

impl Reservation {
    /// Holds units of `stock` for a customer: the `reservation.created` event.
    ///
    /// # Errors
    /// [`ReservationError::Stock`] with [`StockError::InsufficientStock`] when fewer units are
    /// available than requested; `stock` is then unchanged.
    pub fn place(
        stock: &mut Stock,
        request: ReservationRequest,
        now: OffsetDateTime,
    ) -> Result<(Self, DomainEvent), ReservationError> {
        stock.hold(request.quantity, now)?;
        let reservation = Self {
            id: request.id,
            product_id: stock.product_id(),
            store_id: stock.store_id().clone(),
            customer_id: request.customer_id,
            quantity: request.quantity,
            status: ReservationStatus::Pending,
            expires_at: now + request.ttl.duration(),
            created_at: now,
            updated_at: now,
            cart_id: request.cart_id,
        };
        let event = DomainEvent::ReservationCreated {
            reservation: reservation.clone(),
            stock: stock.clone(),
        };
        Ok((reservation, event))
    }

    /// Rebuilds a reservation read from storage, checking what a reservation made by
    /// [`Reservation::place`] always satisfies.
    ///
    /// # Errors
    /// An [`InvariantViolation`] when it expires at or before its creation, or changed before
    /// it was created: the row is corrupt.
    pub fn restore(record: ReservationRecord) -> Result<Self, InvariantViolation> {
        if record.expires_at <= record.created_at || record.updated_at < record.created_at {
            return Err(InvariantViolation::new(format!(
                "reservation {} was created at {}, changed at {} and expires at {}",
                record.id, record.created_at, record.updated_at, record.expires_at
            )));
        }
        Ok(Self {
            id: record.id,
            product_id: record.product_id,
            store_id: record.store_id,
            customer_id: record.customer_id,
            quantity: record.quantity,
            status: record.status,
            expires_at: record.expires_at,
            created_at: record.created_at,
            updated_at: record.updated_at,
            cart_id: record.cart_id,
        })
    }

    /// Turns the held units into a sale: the `reservation.confirmed` event.
    ///
    /// # Errors
    /// [`ReservationError::AlreadyResolved`] when it is not PENDING;
    /// [`ReservationError::Expired`] when `now` is at or past `expires_at`.
    pub fn confirm(
        &mut self,
        stock: &mut Stock,
        now: OffsetDateTime,
    ) -> Result<DomainEvent, ReservationError> {
        self.check_resolvable(stock)?;
        if self.is_due(now) {
            return Err(ReservationError::Expired {
                expires_at: self.expires_at,
            });
        }
        stock.commit_held(self.quantity, now)?;
        self.resolve(ReservationStatus::Confirmed, now);
        Ok(DomainEvent::ReservationConfirmed {
            reservation: self.clone(),
            stock: stock.clone(),
        })
    }

    /// Gives the held units back: the `reservation.cancelled` event. A PENDING reservation may
    /// be cancelled until the moment it is expired; cancelling one past its `expires_at` is
    /// refused as expired, so the release is recorded once, as an expiry.
    ///
    /// # Errors
    /// [`ReservationError::AlreadyResolved`] when it is not PENDING;
    /// [`ReservationError::Expired`] when `now` is at or past `expires_at`.
    pub fn cancel(
        &mut self,
        stock: &mut Stock,
        now: OffsetDateTime,
    ) -> Result<DomainEvent, ReservationError> {
        self.check_resolvable(stock)?;
        if self.is_due(now) {
            return Err(ReservationError::Expired {
                expires_at: self.expires_at,
            });
        }
        stock.release(self.quantity, now)?;
        self.resolve(ReservationStatus::Cancelled, now);
        Ok(DomainEvent::ReservationCancelled {
            reservation: self.clone(),
            stock: stock.clone(),
        })
    }

    /// Releases the held units of a reservation whose time ran out: the
    /// `reservation.expired` event.
    ///
    /// # Errors
    /// [`ReservationError::AlreadyResolved`] when it is not PENDING;
    /// [`ReservationError::Invariant`] when `now` is before `expires_at` (the caller's bug).
    pub fn expire(
        &mut self,
        stock: &mut Stock,
        now: OffsetDateTime,
    ) -> Result<DomainEvent, ReservationError> {
        self.check_resolvable(stock)?;
        if !self.is_due(now) {
            return Err(InvariantViolation::new(format!(
                "reservation {} does not expire until {}",
                self.id, self.expires_at
            ))
            .into());
        }
        stock.release(self.quantity, now)?;
        self.resolve(ReservationStatus::Expired, now);
        Ok(DomainEvent::ReservationExpired {
            reservation: self.clone(),
            stock: stock.clone(),
        })
    }

    /// Holds the units longer: `ttl` from `now`, the `reservation.extended` event (carrying
    /// `stock`, which does not change). How long a hold may last in all is the caller's rule
    /// (a customer's limit), checked against [`Reservation::created_at`].
    ///
    /// # Errors
    /// [`ReservationError::AlreadyResolved`]; [`ReservationError::Expired`] when `now` is at
    /// or past `expires_at`; [`ReservationError::NotExtended`] when `now + ttl` is not later
    /// than `expires_at`.
    pub fn extend(
        &mut self,
        stock: &Stock,
        ttl: ReservationTtl,
        now: OffsetDateTime,
    ) -> Result<DomainEvent, ReservationError> {
        self.check_resolvable(stock)?;
        if self.is_due(now) {
            return Err(ReservationError::Expired {
                expires_at: self.expires_at,
            });
        }
        let until = now + ttl.duration();
        if until <= self.expires_at {
            return Err(ReservationError::NotExtended {
                expires_at: self.expires_at,
            });
        }
        self.expires_at = until;
        self.updated_at = now;
        Ok(DomainEvent::ReservationExtended {
            reservation: self.clone(),
            stock: stock.clone(),
        })
    }

    /// True when `now` is at or past `expires_at`.
    pub fn is_due(&self, now: OffsetDateTime) -> bool {
        now >= self.expires_at
    }

    /// The reservation's id.
    pub fn id(&self) -> ReservationId {
        self.id
    }

    /// The product reserved.
    pub fn product_id(&self) -> ProductId {
        self.product_id
    }

    /// The store it is reserved in (where the customer collects).
    pub fn store_id(&self) -> &StoreId {
        &self.store_id
    }

    /// Who reserved.
    pub fn customer_id(&self) -> &CustomerId {
        &self.customer_id
    }

    /// How many units are held.
    pub fn quantity(&self) -> Quantity {
        self.quantity
    }

    /// Where it is in its life.
    pub fn status(&self) -> ReservationStatus {
        self.status
    }

    /// The cart it is a line of, if any.
    pub fn cart_id(&self) -> Option<CartId> {
        self.cart_id
    }

    /// When it stops holding units if not confirmed.
    pub fn expires_at(&self) -> OffsetDateTime {
        self.expires_at
    }

    /// When it was created.
    pub fn created_at(&self) -> OffsetDateTime {
        self.created_at
    }

    /// When it last changed (its resolution time once resolved).
    pub fn updated_at(&self) -> OffsetDateTime {
        self.updated_at
    }

    fn check_resolvable(&self, stock: &Stock) -> Result<(), ReservationError> {
        if self.status != ReservationStatus::Pending {
            return Err(ReservationError::AlreadyResolved {
                status: self.status,
            });
        }
        if stock.product_id() != self.product_id || stock.store_id() != &self.store_id {
            return Err(InvariantViolation::new(format!(
                "reservation {} does not hold stock of product {} in {}",
                self.id,
                stock.product_id(),
                stock.store_id()
            ))
            .into());
        }
        Ok(())
    }

    fn resolve(&mut self, status: ReservationStatus, now: OffsetDateTime) {
        debug_assert_eq!(self.status, ReservationStatus::Pending);
        self.status = status;
        self.updated_at = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AdjustmentReason, StockDelta};
    use time::Duration;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2025-10-26 17:20 UTC);

    fn stock_with(quantity: i64) -> Stock {
        Stock::open(
            ProductId::from_uuid(uuid::Uuid::nil()),
            StoreId::parse("BCN-001").unwrap(),
            StockDelta::new(quantity).unwrap(),
            AdjustmentReason::Restock,
            None,
            NOW,
        )
        .unwrap()
        .0
    }

    fn reserve(stock: &mut Stock, units: i64, ttl: i64) -> Reservation {
        let request = ReservationRequest {
            id: ReservationId::from_uuid(uuid::Uuid::from_u128(u128::from(stock.version()))),
            customer_id: CustomerId::parse("cust-456").unwrap(),
            quantity: Quantity::new(units).unwrap(),
            ttl: ReservationTtl::from_seconds(ttl).unwrap(),
            cart_id: None,
        };
        Reservation::place(stock, request, NOW).unwrap().0
    }

    #[test]
    fn placing_holds_units_and_sets_the_expiry() {
        let mut stock = stock_with(15);
        let reservation = reserve(&mut stock, 2, 600);
        assert_eq!((stock.quantity(), stock.reserved()), (15, 2));
        assert_eq!(reservation.status(), ReservationStatus::Pending);
        assert_eq!(reservation.expires_at(), NOW + Duration::seconds(600));
    }

    #[test]
    fn confirming_removes_the_units_from_the_store() {
        let mut stock = stock_with(15);
        let mut reservation = reserve(&mut stock, 2, 600);
        let event = reservation
            .confirm(&mut stock, NOW + Duration::seconds(10))
            .unwrap();
        assert_eq!((stock.quantity(), stock.reserved()), (13, 0));
        assert_eq!(reservation.status(), ReservationStatus::Confirmed);
        assert!(
            matches!(event, DomainEvent::ReservationConfirmed { .. }),
            "{event:?}"
        );
    }

    #[test]
    fn cancelling_gives_the_units_back() {
        let mut stock = stock_with(15);
        let mut reservation = reserve(&mut stock, 2, 600);
        reservation.cancel(&mut stock, NOW).unwrap();
        assert_eq!((stock.quantity(), stock.reserved()), (15, 0));
        assert_eq!(reservation.status(), ReservationStatus::Cancelled);
    }

    #[test]
    fn confirming_past_the_expiry_is_refused_even_while_still_pending() {
        let mut stock = stock_with(15);
        let mut reservation = reserve(&mut stock, 2, 60);
        let before = (stock.clone(), reservation.clone());
        let error = reservation
            .confirm(&mut stock, NOW + Duration::seconds(60))
            .unwrap_err();
        assert!(matches!(error, ReservationError::Expired { .. }));
        assert_eq!(
            (stock, reservation),
            before,
            "a refused confirm changes nothing"
        );
    }

    #[test]
    fn a_resolved_reservation_never_changes_again() {
        let mut stock = stock_with(15);
        let mut reservation = reserve(&mut stock, 2, 600);
        reservation.cancel(&mut stock, NOW).unwrap();
        let before = (stock.clone(), reservation.clone());
        let later = NOW + Duration::seconds(601);
        assert_eq!(
            reservation.confirm(&mut stock, NOW).unwrap_err(),
            ReservationError::AlreadyResolved {
                status: ReservationStatus::Cancelled
            }
        );
        assert!(reservation.cancel(&mut stock, NOW).is_err());
        assert!(reservation.expire(&mut stock, later).is_err());
        assert_eq!((stock, reservation), before);
    }

    #[test]
    fn expiring_before_the_expiry_is_refused() {
        let mut stock = stock_with(15);
        let mut reservation = reserve(&mut stock, 2, 60);
        let error = reservation
            .expire(&mut stock, NOW + Duration::seconds(59))
            .unwrap_err();
        assert!(matches!(error, ReservationError::Invariant(_)));
        reservation
            .expire(&mut stock, NOW + Duration::seconds(60))
            .unwrap();
        assert_eq!(stock.reserved(), 0);
        assert_eq!(reservation.status(), ReservationStatus::Expired);
    }

    #[test]
    fn resolving_against_another_pairs_stock_is_refused() {
        let mut stock = stock_with(15);
        let mut reservation = reserve(&mut stock, 2, 60);
        let mut other = Stock::open(
            ProductId::from_uuid(uuid::Uuid::max()),
            StoreId::parse("BCN-001").unwrap(),
            StockDelta::new(5).unwrap(),
            AdjustmentReason::Restock,
            None,
            NOW,
        )
        .unwrap()
        .0;
        assert!(matches!(
            reservation.confirm(&mut other, NOW),
            Err(ReservationError::Invariant(_))
        ));
    }

    #[test]
    fn a_stored_reservation_that_expires_before_it_was_made_is_corrupt() {
        let mut stock = stock_with(15);
        let placed = reserve(&mut stock, 2, 60);
        let record = ReservationRecord {
            id: placed.id(),
            product_id: placed.product_id(),
            store_id: placed.store_id().clone(),
            customer_id: placed.customer_id().clone(),
            quantity: placed.quantity(),
            status: placed.status(),
            expires_at: placed.expires_at(),
            created_at: placed.created_at(),
            updated_at: placed.updated_at(),
            cart_id: placed.cart_id(),
        };
        assert_eq!(Reservation::restore(record.clone()), Ok(placed));
        let corrupt = ReservationRecord {
            expires_at: record.created_at,
            ..record
        };
        assert!(Reservation::restore(corrupt).is_err());
    }

    #[test]
    fn statuses_parse_from_their_wire_names() {
        assert_eq!(
            "pending".parse::<ReservationStatus>().unwrap(),
            ReservationStatus::Pending
        );
        assert!("DONE".parse::<ReservationStatus>().is_err());
    }
}
