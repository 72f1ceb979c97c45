//! A cart: an online order's lines (two shirts from Madrid, shoes from Barcelona) reserved
//! together, all or nothing, and resolved together.
//!
//! ```text
//!             ┌──────────► CONFIRMED   (every line, or the chosen ones with the rest cancelled)
//! PENDING ────┼──────────► CANCELLED   (every line's units go back)
//!             └──────────► EXPIRED     (expires_at passed: every line's units go back)
//! ```
//!
//! Each line is a [`Reservation`] of its own (clients may read it by id) carrying the cart's
//! id; it is resolved only with its cart, so a cart never ends half confirmed by accident.
//! Lines for the same product and store are merged, and kept in (product, store) order: the
//! order in which their stock is read, and locked, so that two carts never wait on each other
//! in opposite orders.

use std::collections::BTreeMap;

use time::OffsetDateTime;

use crate::{
    CartId, CustomerId, DomainEvent, InvariantViolation, ProductId, Quantity, Reservation,
    ReservationError, ReservationId, ReservationRequest, ReservationStatus, ReservationTtl, Stock,
    StoreId, ValidationError,
};

/// The most lines one cart may hold (after merging).
pub const MAX_CART_LINES: usize = 50;

/// One line a customer asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartLine {
    /// The product.
    pub product_id: ProductId,
    /// The store it is collected from.
    pub store_id: StoreId,
    /// How many units.
    pub quantity: Quantity,
}

/// A line that could not be served, and what its store has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortfall {
    /// The product.
    pub product_id: ProductId,
    /// The store.
    pub store_id: StoreId,
    /// Units asked for (after merging).
    pub requested: u32,
    /// Units available there now.
    pub available: u32,
}

/// Why a cart could not be placed or resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CartError {
    /// Some lines cannot be served: nothing was reserved.
    #[error("{} line(s) of the cart cannot be served; nothing was reserved", .0.len())]
    Unavailable(Vec<Shortfall>),
    /// The cart was already confirmed, cancelled or expired.
    #[error("the cart is already {status}")]
    AlreadyResolved {
        /// Its final status.
        status: ReservationStatus,
    },
    /// The cart's time ran out before it was confirmed.
    #[error("the cart expired at {expires_at}")]
    Expired {
        /// When it expired.
        expires_at: OffsetDateTime,
    },
    /// A line chosen for confirmation is not a line of this cart.
    #[error("reservation {0} is not a line of this cart")]
    NotALine(ReservationId),
    /// A bug or corrupt stored data; never the client's fault.
    #[error(transparent)]
    Invariant(#[from] InvariantViolation),
}

impl From<ReservationError> for CartError {
    /// A line refusing while its cart is PENDING is a broken invariant: lines are resolved
    /// only with their cart.
    fn from(error: ReservationError) -> Self {
        match error {
            ReservationError::Invariant(violation) => Self::Invariant(violation),
            other => Self::Invariant(InvariantViolation::new(format!(
                "a line of a pending cart refused: {other}"
            ))),
        }
    }
}

/// Merges the lines asked for: one line per (product, store), quantities added, in
/// (product, store) order.
///
/// # Errors
/// A [`ValidationError`] naming `lines` when there are none or more than
/// [`MAX_CART_LINES`], or naming `quantity` when a merged line asks for more units than one
/// operation may move.
pub fn merge_lines(lines: &[CartLine]) -> Result<Vec<CartLine>, ValidationError> {
    if lines.is_empty() || lines.len() > MAX_CART_LINES {
        return Err(ValidationError::new(
            "lines",
            format!("must hold 1 to {MAX_CART_LINES} lines"),
        ));
    }
    let mut merged: BTreeMap<(ProductId, StoreId), i64> = BTreeMap::new();
    for line in lines {
        *merged
            .entry((line.product_id, line.store_id.clone()))
            .or_default() += i64::from(line.quantity.get());
    }
    merged
        .into_iter()
        .map(|((product_id, store_id), units)| {
            Ok(CartLine {
                product_id,
                store_id,
                quantity: Quantity::new(units)?,
            })
        })
        .collect()
}

/// What a customer asks to reserve as one cart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartRequest {
    /// The new cart's id.
    pub id: CartId,
    /// Who reserves.
    pub customer_id: CustomerId,
    /// How long to hold the units.
    pub ttl: ReservationTtl,
    /// The merged lines ([`merge_lines`]), each with the id its reservation gets.
    pub lines: Vec<(ReservationId, CartLine)>,
}

/// A cart and its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cart {
    id: CartId,
    customer_id: CustomerId,
    status: ReservationStatus,
    expires_at: OffsetDateTime,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    lines: Vec<Reservation>,
}

/// A cart as storage keeps it, to be checked by [`Cart::restore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartRecord {
    /// The cart's id.
    pub id: CartId,
    /// Who reserved.
    pub customer_id: CustomerId,
    /// Where it is in its life.
    pub status: ReservationStatus,
    /// When it stops holding units if not confirmed.
    pub expires_at: OffsetDateTime,
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
    /// Its lines, in (product, store) order.
    pub lines: Vec<Reservation>,
}

impl Cart {
    /// Reserves every line, or none: the lines' `reservation.created` events, then
    /// `cart.created`. `stocks[i]` is the stock of `request.lines[i]`.
    ///
    /// # Errors
    /// [`CartError::Unavailable`] listing every line its store cannot serve (no stock is
    /// changed); [`CartError::Invariant`] when the stocks do not match the lines.
    pub fn place(
        request: CartRequest,
        stocks: &mut [Stock],
        now: OffsetDateTime,
    ) -> Result<(Self, Vec<DomainEvent>), CartError> {
        if stocks.len() != request.lines.len() {
            return Err(InvariantViolation::new("a cart's lines and stocks differ").into());
        }
        let shortfalls: Vec<Shortfall> = request
            .lines
            .iter()
            .zip(stocks.iter())
            .filter(|((_, line), stock)| stock.available() < line.quantity.get())
            .map(|((_, line), stock)| Shortfall {
                product_id: line.product_id,
                store_id: line.store_id.clone(),
                requested: line.quantity.get(),
                available: stock.available(),
            })
            .collect();
        if !shortfalls.is_empty() {
            return Err(CartError::Unavailable(shortfalls));
        }
        let mut events = Vec::with_capacity(request.lines.len() + 1);
        let mut lines = Vec::with_capacity(request.lines.len());
        for ((line_id, line), stock) in request.lines.into_iter().zip(stocks.iter_mut()) {
            if stock.product_id() != line.product_id || stock.store_id() != &line.store_id {
                return Err(InvariantViolation::new("a cart line got another pair's stock").into());
            }
            let (reservation, event) = Reservation::place(
                stock,
                ReservationRequest {
                    id: line_id,
                    customer_id: request.customer_id.clone(),
                    quantity: line.quantity,
                    ttl: request.ttl,
                    cart_id: Some(request.id),
                },
                now,
            )?;
            lines.push(reservation);
            events.push(event);
        }
        let cart = Self {
            id: request.id,
            customer_id: request.customer_id,
            status: ReservationStatus::Pending,
            expires_at: now + request.ttl.duration(),
            created_at: now,
            updated_at: now,
            lines,
        };
        events.push(DomainEvent::CartCreated(cart.clone()));
        Ok((cart, events))
    }

    /// Rebuilds a cart read from storage.
    ///
    /// # Errors
    /// An [`InvariantViolation`] when it expires at or before its creation, or a line belongs
    /// to another cart or customer: the rows are corrupt.
    pub fn restore(record: CartRecord) -> Result<Self, InvariantViolation> {
        if record.expires_at <= record.created_at || record.updated_at < record.created_at {
            return Err(InvariantViolation::new(format!(
                "cart {} was created at {}, changed at {} and expires at {}",
                record.id, record.created_at, record.updated_at, record.expires_at
            )));
        }
        if let Some(stray) = record.lines.iter().find(|line| {
            line.cart_id() != Some(record.id) || line.customer_id() != &record.customer_id
        }) {
            return Err(InvariantViolation::new(format!(
                "reservation {} is stored as a line of cart {} but is not",
                stray.id(),
                record.id
            )));
        }
        Ok(Self {
            id: record.id,
            customer_id: record.customer_id,
            status: record.status,
            expires_at: record.expires_at,
            created_at: record.created_at,
            updated_at: record.updated_at,
            lines: record.lines,
        })
    }

    /// Confirms the cart: the `chosen` lines (every line when `None`) become sales and the
    /// others are cancelled, in one change. Events: each line's, then `cart.confirmed`.
    /// `stocks[i]` is the stock of line `i`.
    ///
    /// # Errors
    /// [`CartError::AlreadyResolved`], [`CartError::Expired`] (even before the expiry ran),
    /// [`CartError::NotALine`] for a chosen id that is not a line.
    pub fn confirm(
        &mut self,
        chosen: Option<&[ReservationId]>,
        stocks: &mut [Stock],
        now: OffsetDateTime,
    ) -> Result<Vec<DomainEvent>, CartError> {
        self.check_open(now)?;
        if let Some(chosen) = chosen
            && let Some(stray) = chosen
                .iter()
                .find(|id| !self.lines.iter().any(|line| line.id() == **id))
        {
            return Err(CartError::NotALine(*stray));
        }
        let keep = |line: &Reservation| chosen.is_none_or(|ids| ids.contains(&line.id()));
        let mut events = self.each_line(stocks, |line, stock| {
            if keep(line) {
                line.confirm(stock, now)
            } else {
                line.cancel(stock, now)
            }
        })?;
        self.resolve(ReservationStatus::Confirmed, now);
        events.push(DomainEvent::CartConfirmed(self.clone()));
        Ok(events)
    }

    /// Gives every line's units back: each line's `reservation.cancelled`, then
    /// `cart.cancelled`.
    ///
    /// # Errors
    /// [`CartError::AlreadyResolved`]; [`CartError::Expired`] once `expires_at` has passed
    /// (the release is then recorded once, as the expiry).
    pub fn cancel(
        &mut self,
        stocks: &mut [Stock],
        now: OffsetDateTime,
    ) -> Result<Vec<DomainEvent>, CartError> {
        self.check_open(now)?;
        let mut events = self.each_line(stocks, |line, stock| line.cancel(stock, now))?;
        self.resolve(ReservationStatus::Cancelled, now);
        events.push(DomainEvent::CartCancelled(self.clone()));
        Ok(events)
    }

    /// Releases a cart whose time ran out: each line's `reservation.expired`, then
    /// `cart.expired`.
    ///
    /// # Errors
    /// [`CartError::AlreadyResolved`]; [`CartError::Invariant`] before `expires_at` (the
    /// caller's bug).
    pub fn expire(
        &mut self,
        stocks: &mut [Stock],
        now: OffsetDateTime,
    ) -> Result<Vec<DomainEvent>, CartError> {
        if self.status != ReservationStatus::Pending {
            return Err(CartError::AlreadyResolved {
                status: self.status,
            });
        }
        if !self.is_due(now) {
            return Err(InvariantViolation::new(format!(
                "cart {} does not expire until {}",
                self.id, self.expires_at
            ))
            .into());
        }
        let mut events = self.each_line(stocks, |line, stock| line.expire(stock, now))?;
        self.resolve(ReservationStatus::Expired, now);
        events.push(DomainEvent::CartExpired(self.clone()));
        Ok(events)
    }

    fn check_open(&self, now: OffsetDateTime) -> Result<(), CartError> {
        if self.status != ReservationStatus::Pending {
            return Err(CartError::AlreadyResolved {
                status: self.status,
            });
        }
        if self.is_due(now) {
            return Err(CartError::Expired {
                expires_at: self.expires_at,
            });
        }
        Ok(())
    }

    /// Runs `rule` on every line with its stock, collecting the events.
    fn each_line(
        &mut self,
        stocks: &mut [Stock],
        mut rule: impl FnMut(&mut Reservation, &mut Stock) -> Result<DomainEvent, ReservationError>,
    ) -> Result<Vec<DomainEvent>, CartError> {
        if stocks.len() != self.lines.len() {
            return Err(InvariantViolation::new("a cart's lines and stocks differ").into());
        }
        let mut events = Vec::with_capacity(self.lines.len() + 1);
        for (line, stock) in self.lines.iter_mut().zip(stocks.iter_mut()) {
            events.push(rule(line, stock)?);
        }
        Ok(events)
    }

    fn resolve(&mut self, status: ReservationStatus, now: OffsetDateTime) {
        self.status = status;
        self.updated_at = now;
    }

    /// True when `now` is at or past `expires_at`.
    pub fn is_due(&self, now: OffsetDateTime) -> bool {
        now >= self.expires_at
    }

    /// The cart's id.
    pub fn id(&self) -> CartId {
        self.id
    }

    /// Who reserved.
    pub fn customer_id(&self) -> &CustomerId {
        &self.customer_id
    }

    /// Where it is in its life.
    pub fn status(&self) -> ReservationStatus {
        self.status
    }

    /// When it stops holding units if not confirmed.
    pub fn expires_at(&self) -> OffsetDateTime {
        self.expires_at
    }

    /// When it was created.
    pub fn created_at(&self) -> OffsetDateTime {
        self.created_at
    }

    /// When it last changed.
    pub fn updated_at(&self) -> OffsetDateTime {
        self.updated_at
    }

    /// Its lines, in (product, store) order.
    pub fn lines(&self) -> &[Reservation] {
        &self.lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AdjustmentReason, StockDelta};
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2025-10-26 17:00 UTC);

    fn product(n: u128) -> ProductId {
        ProductId::from_uuid(uuid::Uuid::from_u128(n))
    }

    fn stock(n: u128, store: &str, units: i64) -> Stock {
        Stock::open(
            product(n),
            StoreId::parse(store).unwrap(),
            StockDelta::new(units).unwrap(),
            AdjustmentReason::Restock,
            None,
            NOW,
        )
        .unwrap()
        .0
    }

    fn line(n: u128, store: &str, units: i64) -> CartLine {
        CartLine {
            product_id: product(n),
            store_id: StoreId::parse(store).unwrap(),
            quantity: Quantity::new(units).unwrap(),
        }
    }

    fn request(lines: Vec<CartLine>) -> CartRequest {
        CartRequest {
            id: CartId::from_uuid(uuid::Uuid::from_u128(900)),
            customer_id: CustomerId::parse("cust-1").unwrap(),
            ttl: ReservationTtl::from_seconds(600).unwrap(),
            lines: lines
                .into_iter()
                .enumerate()
                .map(|(i, line)| {
                    let id = ReservationId::from_uuid(uuid::Uuid::from_u128(1000 + i as u128));
                    (id, line)
                })
                .collect(),
        }
    }

    #[test]
    fn lines_of_one_pair_are_merged_and_ordered() {
        let merged = merge_lines(&[
            line(2, "MAD-001", 1),
            line(1, "BCN-001", 2),
            line(2, "MAD-001", 3),
        ])
        .unwrap();
        assert_eq!(merged, vec![line(1, "BCN-001", 2), line(2, "MAD-001", 4)]);
        assert!(merge_lines(&[]).is_err());
        let too_many: Vec<CartLine> = (0..=MAX_CART_LINES as u128)
            .map(|n| line(n, "MAD-001", 1))
            .collect();
        assert!(merge_lines(&too_many).is_err());
    }

    #[test]
    fn a_cart_whose_last_line_cannot_be_served_reserves_nothing() {
        let mut stocks = [stock(1, "MAD-001", 5), stock(2, "BCN-001", 1)];
        let before = stocks.clone();
        let refused = Cart::place(
            request(vec![line(1, "MAD-001", 2), line(2, "BCN-001", 3)]),
            &mut stocks,
            NOW,
        );
        assert_eq!(
            refused,
            Err(CartError::Unavailable(vec![Shortfall {
                product_id: product(2),
                store_id: StoreId::parse("BCN-001").unwrap(),
                requested: 3,
                available: 1,
            }]))
        );
        assert_eq!(stocks, before);
    }

    #[test]
    fn a_partial_confirmation_sells_the_chosen_lines_and_releases_the_rest() {
        let mut stocks = [stock(1, "MAD-001", 5), stock(2, "BCN-001", 4)];
        let (mut cart, events) = Cart::place(
            request(vec![line(1, "MAD-001", 2), line(2, "BCN-001", 3)]),
            &mut stocks,
            NOW,
        )
        .unwrap();
        assert_eq!(events.len(), 3);
        assert_eq!((stocks[0].reserved(), stocks[1].reserved()), (2, 3));
        let chosen = [cart.lines()[0].id()];
        let events = cart.confirm(Some(&chosen), &mut stocks, NOW).unwrap();
        assert!(matches!(events.last(), Some(DomainEvent::CartConfirmed(_))));
        assert_eq!((stocks[0].quantity(), stocks[0].reserved()), (3, 0));
        assert_eq!((stocks[1].quantity(), stocks[1].reserved()), (4, 0));
        assert_eq!(cart.lines()[0].status(), ReservationStatus::Confirmed);
        assert_eq!(cart.lines()[1].status(), ReservationStatus::Cancelled);
        assert_eq!(
            cart.cancel(&mut stocks, NOW),
            Err(CartError::AlreadyResolved {
                status: ReservationStatus::Confirmed
            })
        );
    }

    #[test]
    fn a_stranger_line_is_refused_and_a_due_cart_only_expires() {
        let mut stocks = [stock(1, "MAD-001", 5)];
        let (mut cart, _) =
            Cart::place(request(vec![line(1, "MAD-001", 2)]), &mut stocks, NOW).unwrap();
        let stranger = ReservationId::from_uuid(uuid::Uuid::from_u128(7));
        assert_eq!(
            cart.confirm(Some(&[stranger]), &mut stocks, NOW),
            Err(CartError::NotALine(stranger))
        );
        assert!(matches!(
            cart.expire(&mut stocks, NOW),
            Err(CartError::Invariant(_))
        ));
        let later = cart.expires_at();
        assert!(matches!(
            cart.confirm(None, &mut stocks, later),
            Err(CartError::Expired { .. })
        ));
        cart.expire(&mut stocks, later).unwrap();
        assert_eq!(stocks[0].reserved(), 0);
        assert_eq!(cart.lines()[0].status(), ReservationStatus::Expired);
    }
}
