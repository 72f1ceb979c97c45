//! Reservations: the design document's flow 3, plus confirmation, cancellation and expiry.

use inventory_domain::{
    CustomerId, DomainEvent, HoldLimits, ProductId, Quantity, Reservation, ReservationError,
    ReservationId, ReservationRequest, ReservationTtl, Stock, StockError, StoreId, ValidationError,
};
use inventory_ports::{InventoryError, Page, Paged, ReadTx, RequestContext, ReservationFilter};
use time::OffsetDateTime;

use crate::Ports;

/// Hold units of a product in a store for a customer until confirmed, cancelled or expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReserveStock {
    /// The product.
    pub product_id: ProductId,
    /// The store where the customer collects.
    pub store_id: StoreId,
    /// Who reserves.
    pub customer_id: CustomerId,
    /// How many units.
    pub quantity: Quantity,
    /// How long to hold them.
    pub ttl: ReservationTtl,
    /// What the customer may hold at most, when it reserves for itself (staff reserving at
    /// the counter are not limited).
    pub limits: Option<HoldLimits>,
}

/// A rule that resolves a PENDING reservation against its stock.
type Resolution =
    fn(&mut Reservation, &mut Stock, OffsetDateTime) -> Result<DomainEvent, ReservationError>;

/// Places, resolves, expires and finds reservations.
#[derive(Clone)]
pub struct Reservations {
    ports: Ports,
}

impl Reservations {
    /// The most reservations [`Reservations::expire_due`] releases in one transaction.
    pub const MAX_EXPIRY_BATCH: u32 = 500;

    pub(crate) fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// Holds units for a customer (`reservation.created`). The check of available units and
    /// the hold happen in one transaction that keeps the stock row as read, so two customers
    /// can never both get the last unit.
    ///
    /// # Errors
    /// - [`InventoryError::ProductNotFound`], [`InventoryError::StoreNotFound`];
    /// - [`InventoryError::StoreInactive`];
    /// - [`InventoryError::Stock`] with [`StockError::InsufficientStock`] carrying the units
    ///   available and requested (0 available when the pair has no stock record);
    /// - [`InventoryError::HoldLimit`] when `limits` are given and the customer would hold
    ///   more, or longer, than they allow (counted in the same transaction: parallel requests
    ///   of one customer cannot pass a limit only one of them fits).
    pub fn reserve(
        &self,
        command: ReserveStock,
        context: &RequestContext,
    ) -> Result<Reservation, InventoryError> {
        if let Some(limits) = &command.limits {
            limits.check_ttl(command.ttl)?;
        }
        self.ports.change(context, move |change| {
            let command = command.clone();
            let read = change.read();
            let store = read
                .store(&command.store_id)?
                .ok_or_else(|| InventoryError::StoreNotFound(command.store_id.clone()))?;
            if !store.details.active {
                return Err(InventoryError::StoreInactive(store.id));
            }
            if read.product(command.product_id)?.is_none() {
                return Err(InventoryError::ProductNotFound(command.product_id));
            }
            if let Some(limits) = &command.limits {
                let holds = read.customer_holds(&command.customer_id, command.product_id)?;
                limits.check(&holds, command.quantity)?;
            }
            let mut stock = read.stock(command.product_id, &command.store_id)?.ok_or(
                StockError::InsufficientStock {
                    available: 0,
                    requested: command.quantity.get(),
                },
            )?;
            let request = ReservationRequest {
                id: ReservationId::from_uuid(change.new_id()),
                customer_id: command.customer_id,
                quantity: command.quantity,
                ttl: command.ttl,
                cart_id: None,
            };
            let (reservation, event) = Reservation::place(&mut stock, request, change.now())?;
            change.record(event)?;
            Ok(reservation)
        })
    }

    /// Turns a reservation into a sale (`reservation.confirmed`): the units leave the store.
    ///
    /// # Errors
    /// - [`InventoryError::ReservationNotFound`];
    /// - [`InventoryError::ReservationInCart`] for a cart's line (resolved with its cart);
    /// - [`InventoryError::Reservation`] when it is no longer PENDING, or its `expires_at`
    ///   has passed (even if the expiry has not run yet).
    pub fn confirm(
        &self,
        id: ReservationId,
        context: &RequestContext,
    ) -> Result<Reservation, InventoryError> {
        self.resolve(id, context, Reservation::confirm)
    }

    /// Gives a reservation's units back (`reservation.cancelled`).
    ///
    /// # Errors
    /// As [`Reservations::confirm`].
    pub fn cancel(
        &self,
        id: ReservationId,
        context: &RequestContext,
    ) -> Result<Reservation, InventoryError> {
        self.resolve(id, context, Reservation::cancel)
    }

    /// Holds a PENDING reservation's units longer: until `ttl` from now
    /// (`reservation.extended`). `max_hold`, when given (a customer extending its own), bounds
    /// how long the reservation may hold its units in all, counted from its creation, so
    /// repeated extensions cannot hold stock for ever.
    ///
    /// # Errors
    /// - [`InventoryError::ReservationNotFound`];
    /// - [`InventoryError::ReservationInCart`] for a cart's line;
    /// - [`InventoryError::Reservation`] when it is no longer PENDING, has expired, or would
    ///   not end later than it does now;
    /// - [`InventoryError::HoldLimit`] with `TtlTooLong` past `max_hold`.
    pub fn extend(
        &self,
        id: ReservationId,
        ttl: ReservationTtl,
        max_hold: Option<ReservationTtl>,
        context: &RequestContext,
    ) -> Result<Reservation, InventoryError> {
        self.ports.change(context, move |change| {
            let mut reservation = change
                .read()
                .reservation(id)?
                .ok_or(InventoryError::ReservationNotFound(id))?;
            if reservation.cart_id().is_some() {
                return Err(InventoryError::ReservationInCart(id));
            }
            let stock = stock_of(change.read(), &reservation)?;
            // The rule first (PENDING, not due, later than now), then the total hold: a
            // resolved reservation is refused as resolved, whatever its age.
            let event = reservation.extend(&stock, ttl, change.now())?;
            let allowed = max_hold.unwrap_or(ReservationTtl::MAX);
            let held = reservation.expires_at() - reservation.created_at();
            if held > allowed.duration() {
                return Err(inventory_domain::HoldLimitError::TtlTooLong {
                    allowed_seconds: u32::from(allowed),
                    requested_seconds: u32::try_from(held.whole_seconds()).unwrap_or(u32::MAX),
                }
                .into());
            }
            change.record(event)?;
            Ok(reservation)
        })
    }

    /// Releases every PENDING reservation whose `expires_at` is at or before `now`
    /// (`reservation.expired` each), in transactions of at most `batch` reservations so other
    /// writers are never held up for long, then every due cart (its lines, then
    /// `cart.expired`), `batch` carts per transaction. Returns how many reservations (lines
    /// included) it released. Several callers (in
    /// several processes) may run it at once: each reservation is claimed, and expired, once.
    ///
    /// # Errors
    /// [`InventoryError::Invalid`] when `batch` is 0 or above
    /// [`Reservations::MAX_EXPIRY_BATCH`]; storage failures (reservations released by earlier
    /// batches stay released).
    pub fn expire_due(&self, now: OffsetDateTime, batch: u32) -> Result<usize, InventoryError> {
        if !(1..=Self::MAX_EXPIRY_BATCH).contains(&batch) {
            return Err(ValidationError::new(
                "batch",
                format!("must be between 1 and {}", Self::MAX_EXPIRY_BATCH),
            )
            .into());
        }
        let mut released = 0;
        loop {
            let expired = self.ports.change(&expiry_context(), move |change| {
                let due = change.claim_due_reservations(now, batch)?;
                for mut reservation in due.iter().cloned() {
                    let mut stock = stock_of(change.read(), &reservation)?;
                    let event = reservation.expire(&mut stock, now)?;
                    change.record(event)?;
                }
                Ok(due.len())
            })?;
            released += expired;
            if expired < batch as usize {
                return Ok(released + crate::carts::expire_due_carts(&self.ports, now, batch)?);
            }
        }
    }

    /// When the next PENDING reservation expires, if any: the expiry worker sleeps until then.
    ///
    /// # Errors
    /// Storage failures only.
    pub fn next_expiry(&self) -> Result<Option<OffsetDateTime>, InventoryError> {
        self.ports.query(|tx| tx.next_expiry())
    }

    /// The reservation with this id.
    ///
    /// # Errors
    /// [`InventoryError::ReservationNotFound`].
    pub fn get(&self, id: ReservationId) -> Result<Reservation, InventoryError> {
        self.ports.query(move |tx| {
            tx.reservation(id)?
                .ok_or(InventoryError::ReservationNotFound(id))
        })
    }

    /// A page of reservations matching `filter`, newest first.
    ///
    /// # Errors
    /// Storage failures only.
    pub fn list(
        &self,
        filter: ReservationFilter,
        page: Page,
    ) -> Result<Paged<Reservation>, InventoryError> {
        self.ports.query(move |tx| {
            let (reservations, total) = tx.list_reservations(&filter, page)?;
            Ok(Paged::new(reservations, total, page))
        })
    }

    fn resolve(
        &self,
        id: ReservationId,
        context: &RequestContext,
        rule: Resolution,
    ) -> Result<Reservation, InventoryError> {
        self.ports.change(context, move |change| {
            let mut reservation = change
                .read()
                .reservation(id)?
                .ok_or(InventoryError::ReservationNotFound(id))?;
            if reservation.cart_id().is_some() {
                return Err(InventoryError::ReservationInCart(id));
            }
            let mut stock = stock_of(change.read(), &reservation)?;
            let event = rule(&mut reservation, &mut stock, change.now())?;
            change.record(event)?;
            Ok(reservation)
        })
    }
}

pub(crate) fn stock_of(
    tx: &dyn ReadTx,
    reservation: &Reservation,
) -> Result<Stock, InventoryError> {
    tx.stock(reservation.product_id(), reservation.store_id())?
        .ok_or_else(|| {
            InventoryError::internal(format!(
                "reservation {} holds stock that has no record",
                reservation.id()
            ))
        })
}

/// The context of the expiry worker's changes: the history says the system released them.
pub(crate) fn expiry_context() -> RequestContext {
    RequestContext::default().acting_as("system:expiry")
}
