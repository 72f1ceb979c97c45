//! Carts: an order's lines reserved all or nothing in one transaction, and confirmed (wholly or
//! in part), cancelled or expired as a whole.

use inventory_domain::{
    Cart, CartError, CartId, CartLine, CartRequest, CustomerId, HoldLimits, Holds, MAX_CART_LINES,
    ReservationId, ReservationTtl, Shortfall, Stock, merge_lines,
};
use inventory_ports::{InventoryError, ReadTx, RequestContext};
use time::OffsetDateTime;

use crate::Ports;

/// Reserve several lines for a customer, all or nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceCart {
    /// Who reserves.
    pub customer_id: CustomerId,
    /// The lines; lines of one product and store are merged.
    pub lines: Vec<CartLine>,
    /// How long to hold the units.
    pub ttl: ReservationTtl,
    /// What the customer may hold at most, when it reserves for itself (every line counts).
    pub limits: Option<HoldLimits>,
}

/// Places, resolves and finds carts.
#[derive(Clone)]
pub struct Carts {
    ports: Ports,
}

/// A cart rule applied to a cart and its lines' stocks.
type CartRule = fn(
    &mut Cart,
    &mut [Stock],
    OffsetDateTime,
) -> Result<Vec<inventory_domain::DomainEvent>, CartError>;

impl Carts {
    pub(crate) fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// Reserves every line in one transaction (each line's `reservation.created`, then
    /// `cart.created`), or nothing. Stock rows are read, and locked, in (product, store)
    /// order, so concurrent carts never wait on each other in a cycle.
    ///
    /// # Errors
    /// - [`InventoryError::Invalid`]: no lines, too many, or a merged line too large;
    /// - [`InventoryError::ProductNotFound`], [`InventoryError::StoreNotFound`],
    ///   [`InventoryError::StoreInactive`];
    /// - [`InventoryError::Cart`] with [`CartError::Unavailable`] listing every line that
    ///   cannot be served and what its store has (nothing was reserved);
    /// - [`InventoryError::HoldLimit`] when `limits` are given and the cart would take the
    ///   customer past them.
    pub fn place(
        &self,
        command: PlaceCart,
        context: &RequestContext,
    ) -> Result<Cart, InventoryError> {
        if let Some(limits) = &command.limits {
            limits.check_ttl(command.ttl)?;
        }
        if command.lines.is_empty() || command.lines.len() > MAX_CART_LINES {
            merge_lines(&command.lines)?;
        }
        self.ports.change(context, move |change| {
            let read = change.read();
            // What the lines name exists before their quantities are added up: a cart of
            // unknown products is 404, whatever it asks for.
            check_lines(read, &command.lines)?;
            let lines = merge_lines(&command.lines)?;
            if let Some(limits) = &command.limits {
                check_limits(read, limits, &command.customer_id, &lines)?;
            }
            let mut stocks = Vec::with_capacity(lines.len());
            let mut missing = Vec::new();
            for line in &lines {
                match read.stock(line.product_id, &line.store_id)? {
                    Some(stock) => stocks.push(stock),
                    None => missing.push(Shortfall {
                        product_id: line.product_id,
                        store_id: line.store_id.clone(),
                        requested: line.quantity.get(),
                        available: 0,
                    }),
                }
            }
            if !missing.is_empty() {
                // Report every line that cannot be served, those with a record too.
                let short = lines
                    .iter()
                    .filter_map(|line| {
                        let stock = stocks.iter().find(|stock| {
                            stock.product_id() == line.product_id
                                && stock.store_id() == &line.store_id
                        })?;
                        (stock.available() < line.quantity.get()).then(|| Shortfall {
                            product_id: line.product_id,
                            store_id: line.store_id.clone(),
                            requested: line.quantity.get(),
                            available: stock.available(),
                        })
                    })
                    .chain(missing);
                let mut shortfalls: Vec<Shortfall> = short.collect();
                shortfalls
                    .sort_by(|a, b| (a.product_id, &a.store_id).cmp(&(b.product_id, &b.store_id)));
                return Err(CartError::Unavailable(shortfalls).into());
            }
            let request = CartRequest {
                id: CartId::from_uuid(change.new_id()),
                customer_id: command.customer_id.clone(),
                ttl: command.ttl,
                lines: lines
                    .iter()
                    .map(|line| (ReservationId::from_uuid(change.new_id()), line.clone()))
                    .collect(),
            };
            let (cart, events) = Cart::place(request, &mut stocks, change.now())?;
            change.record_all(events)?;
            Ok(cart)
        })
    }

    /// Confirms the cart: the `lines` chosen (every line when `None`) become sales and the
    /// others are released, in one transaction (`cart.confirmed` after the lines' events).
    ///
    /// # Errors
    /// [`InventoryError::Invalid`] naming `line_ids` when `lines` chooses none (to release
    /// every line, cancel the cart); [`InventoryError::CartNotFound`];
    /// [`InventoryError::Cart`] when it is resolved, expired, or a chosen id is not one of its
    /// lines.
    pub fn confirm(
        &self,
        id: CartId,
        lines: Option<Vec<ReservationId>>,
        context: &RequestContext,
    ) -> Result<Cart, InventoryError> {
        if lines.as_ref().is_some_and(Vec::is_empty) {
            return Err(inventory_domain::ValidationError::new(
                "line_ids",
                "must name at least one line (to release every line, cancel the cart)",
            )
            .into());
        }
        self.ports.change(context, move |change| {
            let (mut cart, mut stocks) = cart_with_stocks(change.read(), id)?;
            let events = cart.confirm(lines.as_deref(), &mut stocks, change.now())?;
            change.record_all(events)?;
            Ok(cart)
        })
    }

    /// Gives every line's units back (`cart.cancelled` after the lines' events).
    ///
    /// # Errors
    /// [`InventoryError::CartNotFound`]; [`InventoryError::Cart`] when it is resolved or
    /// expired.
    pub fn cancel(&self, id: CartId, context: &RequestContext) -> Result<Cart, InventoryError> {
        self.resolve(id, context, Cart::cancel)
    }

    /// The cart with this id, with its lines.
    ///
    /// # Errors
    /// [`InventoryError::CartNotFound`].
    pub fn get(&self, id: CartId) -> Result<Cart, InventoryError> {
        self.ports
            .query(move |tx| tx.cart(id)?.ok_or(InventoryError::CartNotFound(id)))
    }

    fn resolve(
        &self,
        id: CartId,
        context: &RequestContext,
        rule: CartRule,
    ) -> Result<Cart, InventoryError> {
        self.ports.change(context, move |change| {
            let (mut cart, mut stocks) = cart_with_stocks(change.read(), id)?;
            let events = rule(&mut cart, &mut stocks, change.now())?;
            change.record_all(events)?;
            Ok(cart)
        })
    }
}

/// Releases up to `batch` due carts per transaction until none is due; returns how many lines
/// were released. Each cart is claimed, and expired, once.
pub(crate) fn expire_due_carts(
    ports: &Ports,
    now: OffsetDateTime,
    batch: u32,
) -> Result<usize, InventoryError> {
    let mut released = 0;
    loop {
        let (carts, lines) =
            ports.change(&crate::reservations::expiry_context(), move |change| {
                let due = change.claim_due_carts(now, batch)?;
                let mut lines = 0;
                let claimed = due.len();
                for mut cart in due {
                    let mut stocks = stocks_of(change.read(), &cart)?;
                    let events = cart.expire(&mut stocks, now)?;
                    lines += cart.lines().len();
                    change.record_all(events)?;
                }
                Ok((claimed, lines))
            })?;
        released += lines;
        if carts < batch as usize {
            return Ok(released);
        }
    }
}

/// The cart (locked first) and its lines' stocks, in line order.
fn cart_with_stocks(tx: &dyn ReadTx, id: CartId) -> Result<(Cart, Vec<Stock>), InventoryError> {
    let cart = tx.cart(id)?.ok_or(InventoryError::CartNotFound(id))?;
    let stocks = stocks_of(tx, &cart)?;
    Ok((cart, stocks))
}

fn stocks_of(tx: &dyn ReadTx, cart: &Cart) -> Result<Vec<Stock>, InventoryError> {
    cart.lines()
        .iter()
        .map(|line| crate::reservations::stock_of(tx, line))
        .collect()
}

/// Every line's store exists and takes reservations, and every product exists.
fn check_lines(tx: &dyn ReadTx, lines: &[CartLine]) -> Result<(), InventoryError> {
    let mut stores: Vec<_> = lines.iter().map(|line| &line.store_id).collect();
    stores.sort();
    stores.dedup();
    for store_id in stores {
        let store = tx
            .store(store_id)?
            .ok_or_else(|| InventoryError::StoreNotFound(store_id.clone()))?;
        if !store.details.active {
            return Err(InventoryError::StoreInactive(store.id));
        }
    }
    for line in lines {
        if tx.product(line.product_id)?.is_none() {
            return Err(InventoryError::ProductNotFound(line.product_id));
        }
    }
    Ok(())
}

/// Each line counted as a reservation of its own, on top of what the customer holds and the
/// cart's earlier lines.
fn check_limits(
    tx: &dyn ReadTx,
    limits: &HoldLimits,
    customer: &CustomerId,
    lines: &[CartLine],
) -> Result<(), InventoryError> {
    for (index, line) in lines.iter().enumerate() {
        let mut holds = tx.customer_holds(customer, line.product_id)?;
        for earlier in &lines[..index] {
            let units = earlier.quantity.get();
            add(&mut holds.overall, units);
            if earlier.product_id == line.product_id {
                add(&mut holds.of_product, units);
            }
        }
        limits.check(&holds, line.quantity)?;
    }
    Ok(())
}

fn add(holds: &mut Holds, units: u32) {
    holds.reservations = holds.reservations.saturating_add(1);
    holds.units = holds.units.saturating_add(units);
}
