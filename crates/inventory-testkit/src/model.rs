//! A reference model of stock, reservations and carts for one product in two stores, written
//! as plainly as possible (integers and vectors), and the random operations that drive it.
//! A cart has a line in each store it asks units of; its lines are reservations, in store
//! code order (BCN-001 before MAD-001), as the service orders a cart's lines.
//!
//! The domain's state-machine test and the SQLite use-case test both run the same operations
//! against the model and against the real thing, and compare after every step: the outcome,
//! the events emitted (type and stock snapshot), and the full state. The model is the
//! specification; keep it dumber than the code it checks.

use proptest::prelude::*;
use proptest_state_machine::ReferenceStateMachine;

/// The stores the model knows, by index.
pub const MODEL_STORES: [&str; 2] = ["MAD-001", "BCN-001"];

/// One random operation on the inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// `POST /stock`: move stock by a delta (RESTOCK when positive, SALE when negative).
    Adjust {
        /// Index into [`MODEL_STORES`].
        store: usize,
        /// Non-zero change.
        delta: i64,
    },
    /// `PUT /stock`: a physical count made against `expected_version`. Generated from the
    /// current version, sometimes one off; shrinking may make it stale, which is fine.
    Count {
        /// Index into [`MODEL_STORES`].
        store: usize,
        /// Units counted.
        quantity: u32,
        /// The version the count was made against (0: no stock yet).
        expected_version: u64,
    },
    /// `POST /reservations`.
    Reserve {
        /// Index into [`MODEL_STORES`].
        store: usize,
        /// Units to reserve.
        quantity: u32,
        /// Time to live in seconds.
        ttl_seconds: u32,
    },
    /// Confirm the reservation at this index (creation order).
    Confirm {
        /// Index into the reservations created so far.
        reservation: usize,
    },
    /// Cancel the reservation at this index.
    Cancel {
        /// Index into the reservations created so far.
        reservation: usize,
    },
    /// `POST /carts`: a line in each store whose quantity is not 0, all reserved or none.
    PlaceCart {
        /// Units asked per store index (0: no line there; never both 0).
        quantities: [u32; 2],
        /// Time to live in seconds.
        ttl_seconds: u32,
    },
    /// Confirm the cart at this index: every line, or only its first with the rest released.
    ConfirmCart {
        /// Index into the carts placed so far.
        cart: usize,
        /// Sell the first line only.
        first_line_only: bool,
    },
    /// Cancel the cart at this index.
    CancelCart {
        /// Index into the carts placed so far.
        cart: usize,
    },
    /// `POST /transfers`: units from one store to the other.
    SendTransfer {
        /// Index into [`MODEL_STORES`] of the source (the other store receives).
        from: usize,
        /// Units sent.
        quantity: u32,
        /// In transit until received, or moved at once.
        shipped: bool,
    },
    /// Receive the transfer at this index.
    ReceiveTransfer {
        /// Index into the transfers sent so far.
        transfer: usize,
    },
    /// Call the transfer at this index back.
    CancelTransfer {
        /// Index into the transfers sent so far.
        transfer: usize,
    },
    /// Run the expiry: release every PENDING reservation whose time has come, then every
    /// due cart with its lines.
    ExpireDue,
    /// Let time pass.
    Advance {
        /// Seconds that pass.
        seconds: u32,
    },
}

/// The stock of one pair in the model. Absent until the first adjustment or count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PairModel {
    /// Units in the store.
    pub quantity: u32,
    /// Units held by pending reservations.
    pub reserved: u32,
    /// One more with every change.
    pub version: u64,
    /// The quantity the last count set (0 before any count).
    pub counted_base: i64,
    /// Sum of the deltas since the last count.
    pub deltas_since_count: i64,
    /// Units confirmed since the last count.
    pub confirmed_since_count: i64,
}

/// The status of a reservation in the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelStatus {
    /// Holding units.
    Pending,
    /// Sold.
    Confirmed,
    /// Given back.
    Cancelled,
    /// Timed out.
    Expired,
}

impl From<inventory_domain::ReservationStatus> for ModelStatus {
    fn from(status: inventory_domain::ReservationStatus) -> Self {
        use inventory_domain::ReservationStatus;
        match status {
            ReservationStatus::Pending => Self::Pending,
            ReservationStatus::Confirmed => Self::Confirmed,
            ReservationStatus::Cancelled => Self::Cancelled,
            ReservationStatus::Expired => Self::Expired,
        }
    }
}

/// A reservation in the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReservationModel {
    /// Index into [`MODEL_STORES`].
    pub store: usize,
    /// Units held.
    pub quantity: u32,
    /// Where it is.
    pub status: ModelStatus,
    /// Seconds since the start of the run.
    pub expires_at: i64,
    /// The cart it is a line of, by index.
    pub cart: Option<usize>,
}

/// A cart in the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartModel {
    /// Its lines, as indexes into the reservations, in line order.
    pub lines: Vec<usize>,
    /// Where it is.
    pub status: ModelStatus,
    /// Seconds since the start of the run.
    pub expires_at: i64,
}

/// Where a transfer is, in the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferModelStatus {
    /// Shipped, not received.
    InTransit,
    /// At the destination.
    Received,
    /// Back at the source.
    Cancelled,
}

impl From<inventory_domain::TransferStatus> for TransferModelStatus {
    fn from(status: inventory_domain::TransferStatus) -> Self {
        use inventory_domain::TransferStatus;
        match status {
            TransferStatus::InTransit => Self::InTransit,
            TransferStatus::Received => Self::Received,
            TransferStatus::Cancelled => Self::Cancelled,
        }
    }
}

/// A transfer in the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferModel {
    /// Index into [`MODEL_STORES`] of the source; the other store is the destination.
    pub from: usize,
    /// Units moved.
    pub quantity: u32,
    /// Where it is.
    pub status: TransferModelStatus,
}

/// What an operation should answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The stock after a successful adjustment or count.
    StockChanged {
        /// Units after.
        quantity: u32,
        /// Reserved after.
        reserved: u32,
        /// Version after.
        version: u64,
    },
    /// An adjustment or count would leave fewer units than reserved (or than none).
    BelowReserved,
    /// A count against a version that is not the current one.
    VersionConflict {
        /// The current version (0 when there is no stock yet).
        current: u64,
    },
    /// A reservation was created; its index in creation order.
    Reserved {
        /// Index of the new reservation.
        index: usize,
    },
    /// Not enough units.
    InsufficientStock {
        /// Units available.
        available: u32,
        /// Units asked.
        requested: u32,
    },
    /// Confirmed.
    Confirmed,
    /// Cancelled.
    Cancelled,
    /// The reservation was resolved before; its status then.
    AlreadyResolved(ModelStatus),
    /// The reservation's time had run out.
    ReservationExpired,
    /// Reservations released by an expiry run.
    ExpiredCount(usize),
    /// Time passed.
    TimeAdvanced,
    /// A reservation that is a cart's line was asked to resolve on its own.
    ReservationInCart,
    /// A cart was placed; its index in creation order.
    CartPlaced {
        /// Index of the new cart.
        index: usize,
    },
    /// Lines that cannot be served: (store index, requested, available), in line order.
    CartUnavailable(Vec<(usize, u32, u32)>),
    /// The cart was confirmed.
    CartConfirmed,
    /// The cart was cancelled.
    CartCancelled,
    /// The cart was resolved before; its status then.
    CartAlreadyResolved(ModelStatus),
    /// The cart's time had run out.
    CartExpired,
    /// A transfer was sent; its index in creation order.
    TransferSent {
        /// Index of the new transfer.
        index: usize,
    },
    /// The transfer was received.
    TransferReceived,
    /// The transfer was called back.
    TransferCancelled,
    /// The transfer was received or cancelled before; its status then.
    TransferNotInTransit(TransferModelStatus),
}

/// One event the operation should emit: its type and the stock it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelEvent {
    /// `stock.created`, `reservation.expired`...
    pub event_type: &'static str,
    /// Index into [`MODEL_STORES`].
    pub store: usize,
    /// The reservation concerned, by index, for reservation events.
    pub reservation: Option<usize>,
    /// The cart concerned, by index, for cart events (which carry no stock: their store and
    /// counts are 0).
    pub cart: Option<usize>,
    /// The transfer concerned, by index, for transfer events (no stock either).
    pub transfer: Option<usize>,
    /// Units after.
    pub quantity: u32,
    /// Reserved after.
    pub reserved: u32,
    /// Version after.
    pub version: u64,
}

/// What the last operation should have produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// The answer.
    pub outcome: Outcome,
    /// The events, in order.
    pub events: Vec<ModelEvent>,
}

/// The whole model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    /// Seconds since the start of the run.
    pub now: i64,
    /// Stock per store index.
    pub stock: [Option<PairModel>; 2],
    /// Reservations in creation order.
    pub reservations: Vec<ReservationModel>,
    /// Carts in creation order.
    pub carts: Vec<CartModel>,
    /// Transfers in creation order.
    pub transfers: Vec<TransferModel>,
    /// What the last operation should have produced.
    pub last: Expected,
}

impl Default for Model {
    fn default() -> Self {
        Self {
            now: 0,
            stock: [None, None],
            reservations: Vec::new(),
            carts: Vec::new(),
            transfers: Vec::new(),
            last: Expected {
                outcome: Outcome::TimeAdvanced,
                events: Vec::new(),
            },
        }
    }
}

impl Model {
    /// Applies `op` and records what it should have produced in [`Model::last`].
    pub fn apply(&mut self, op: &Op) {
        let mut events = Vec::new();
        let outcome = match *op {
            Op::Adjust { store, delta } => self.adjust(store, delta, &mut events),
            Op::Count {
                store,
                quantity,
                expected_version,
            } => self.count(store, quantity, expected_version, &mut events),
            Op::Reserve {
                store,
                quantity,
                ttl_seconds,
            } => self.reserve(store, quantity, ttl_seconds, &mut events),
            Op::Confirm { reservation } => self.resolve(reservation, true, &mut events),
            Op::Cancel { reservation } => self.resolve(reservation, false, &mut events),
            Op::PlaceCart {
                quantities,
                ttl_seconds,
            } => self.place_cart(quantities, ttl_seconds, &mut events),
            Op::ConfirmCart {
                cart,
                first_line_only,
            } => self.resolve_cart(cart, Some(first_line_only), &mut events),
            Op::CancelCart { cart } => self.resolve_cart(cart, None, &mut events),
            Op::SendTransfer {
                from,
                quantity,
                shipped,
            } => self.send_transfer(from, quantity, shipped, &mut events),
            Op::ReceiveTransfer { transfer } => self.end_transfer(transfer, true, &mut events),
            Op::CancelTransfer { transfer } => self.end_transfer(transfer, false, &mut events),
            Op::ExpireDue => self.expire_due(&mut events),
            Op::Advance { seconds } => {
                self.now += i64::from(seconds);
                Outcome::TimeAdvanced
            }
        };
        self.last = Expected { outcome, events };
    }

    /// Units held by PENDING reservations of a store, summed from the reservations.
    pub fn pending_units(&self, store: usize) -> u32 {
        self.reservations
            .iter()
            .filter(|r| r.store == store && r.status == ModelStatus::Pending)
            .map(|r| r.quantity)
            .sum()
    }

    /// Checks the model against itself: the invariants the real system must also keep.
    ///
    /// # Panics
    /// When an invariant is broken (the model or the test is wrong).
    pub fn assert_invariants(&self) {
        for (store, pair) in self.stock.iter().enumerate() {
            let pending = self.pending_units(store);
            match pair {
                None => assert_eq!(pending, 0, "reservations on absent stock"),
                Some(pair) => {
                    assert!(pair.reserved <= pair.quantity, "{pair:?}");
                    assert_eq!(pair.reserved, pending, "reserved is the sum of PENDING");
                    assert_eq!(
                        i64::from(pair.quantity),
                        pair.counted_base + pair.deltas_since_count - pair.confirmed_since_count,
                        "quantity == last count + deltas - confirmed"
                    );
                }
            }
        }
    }

    fn adjust(&mut self, store: usize, delta: i64, events: &mut Vec<ModelEvent>) -> Outcome {
        let existed = self.stock[store].is_some();
        let mut pair = self.stock[store].unwrap_or_default();
        let resulting = i64::from(pair.quantity) + delta;
        if resulting < i64::from(pair.reserved) {
            return Outcome::BelowReserved;
        }
        pair.quantity = u32::try_from(resulting).expect("small numbers in the model");
        pair.deltas_since_count += delta;
        pair.version += 1;
        self.stock[store] = Some(pair);
        let event_type = if existed {
            "stock.updated"
        } else {
            "stock.created"
        };
        events.push(self.stock_event(event_type, store, None));
        self.stock_changed(store)
    }

    fn count(
        &mut self,
        store: usize,
        quantity: u32,
        expected_version: u64,
        events: &mut Vec<ModelEvent>,
    ) -> Outcome {
        let current = self.stock[store].map_or(0, |pair| pair.version);
        if expected_version != current {
            return Outcome::VersionConflict { current };
        }
        let existed = self.stock[store].is_some();
        let mut pair = self.stock[store].unwrap_or_default();
        if quantity < pair.reserved {
            return Outcome::BelowReserved;
        }
        pair.quantity = quantity;
        pair.counted_base = i64::from(quantity);
        pair.deltas_since_count = 0;
        pair.confirmed_since_count = 0;
        pair.version += 1;
        self.stock[store] = Some(pair);
        let event_type = if existed {
            "stock.updated"
        } else {
            "stock.created"
        };
        events.push(self.stock_event(event_type, store, None));
        self.stock_changed(store)
    }

    fn reserve(
        &mut self,
        store: usize,
        quantity: u32,
        ttl: u32,
        events: &mut Vec<ModelEvent>,
    ) -> Outcome {
        let available = self.stock[store].map_or(0, |pair| pair.quantity - pair.reserved);
        if quantity > available {
            return Outcome::InsufficientStock {
                available,
                requested: quantity,
            };
        }
        let pair = self.stock[store]
            .as_mut()
            .expect("available > 0 means the stock exists");
        pair.reserved += quantity;
        pair.version += 1;
        self.reservations.push(ReservationModel {
            store,
            quantity,
            status: ModelStatus::Pending,
            expires_at: self.now + i64::from(ttl),
            cart: None,
        });
        let index = self.reservations.len() - 1;
        events.push(self.stock_event("reservation.created", store, Some(index)));
        Outcome::Reserved { index }
    }

    fn resolve(&mut self, index: usize, confirm: bool, events: &mut Vec<ModelEvent>) -> Outcome {
        let reservation = self.reservations[index];
        if reservation.cart.is_some() {
            return Outcome::ReservationInCart;
        }
        if reservation.status != ModelStatus::Pending {
            return Outcome::AlreadyResolved(reservation.status);
        }
        if self.now >= reservation.expires_at {
            return Outcome::ReservationExpired;
        }
        let (status, event_type, outcome) = if confirm {
            (
                ModelStatus::Confirmed,
                "reservation.confirmed",
                Outcome::Confirmed,
            )
        } else {
            (
                ModelStatus::Cancelled,
                "reservation.cancelled",
                Outcome::Cancelled,
            )
        };
        self.release(index, status, event_type, events);
        outcome
    }

    /// A PENDING reservation leaves its units' hold: sold when `status` is Confirmed.
    fn release(
        &mut self,
        index: usize,
        status: ModelStatus,
        event_type: &'static str,
        events: &mut Vec<ModelEvent>,
    ) {
        let reservation = self.reservations[index];
        let pair = self.stock[reservation.store]
            .as_mut()
            .expect("a reservation's stock exists");
        pair.reserved -= reservation.quantity;
        pair.version += 1;
        if status == ModelStatus::Confirmed {
            pair.quantity -= reservation.quantity;
            pair.confirmed_since_count += i64::from(reservation.quantity);
        }
        self.reservations[index].status = status;
        events.push(self.stock_event(event_type, reservation.store, Some(index)));
    }

    /// The stores a cart asking `quantities` has lines in, in line order.
    fn cart_lines(quantities: [u32; 2]) -> Vec<usize> {
        // Line order is (product, store code): BCN-001 (index 1) before MAD-001 (index 0).
        [1, 0]
            .into_iter()
            .filter(|&store| quantities[store] > 0)
            .collect()
    }

    fn place_cart(
        &mut self,
        quantities: [u32; 2],
        ttl: u32,
        events: &mut Vec<ModelEvent>,
    ) -> Outcome {
        let stores = Self::cart_lines(quantities);
        let short: Vec<(usize, u32, u32)> = stores
            .iter()
            .map(|&store| {
                let available = self.stock[store].map_or(0, |pair| pair.quantity - pair.reserved);
                (store, quantities[store], available)
            })
            .filter(|&(_, requested, available)| requested > available)
            .collect();
        if !short.is_empty() {
            return Outcome::CartUnavailable(short);
        }
        let cart = self.carts.len();
        let expires_at = self.now + i64::from(ttl);
        let mut lines = Vec::new();
        for store in stores {
            let pair = self.stock[store].as_mut().expect("available stock exists");
            pair.reserved += quantities[store];
            pair.version += 1;
            self.reservations.push(ReservationModel {
                store,
                quantity: quantities[store],
                status: ModelStatus::Pending,
                expires_at,
                cart: Some(cart),
            });
            let index = self.reservations.len() - 1;
            lines.push(index);
            events.push(self.stock_event("reservation.created", store, Some(index)));
        }
        self.carts.push(CartModel {
            lines,
            status: ModelStatus::Pending,
            expires_at,
        });
        events.push(Self::cart_event("cart.created", cart));
        Outcome::CartPlaced { index: cart }
    }

    /// Confirms (`Some(first_line_only)`) or cancels (`None`) a cart.
    fn resolve_cart(
        &mut self,
        cart: usize,
        confirm: Option<bool>,
        events: &mut Vec<ModelEvent>,
    ) -> Outcome {
        let model = self.carts[cart].clone();
        if model.status != ModelStatus::Pending {
            return Outcome::CartAlreadyResolved(model.status);
        }
        if self.now >= model.expires_at {
            return Outcome::CartExpired;
        }
        for (position, &line) in model.lines.iter().enumerate() {
            let sold = confirm.is_some_and(|first_only| !first_only || position == 0);
            if sold {
                self.release(
                    line,
                    ModelStatus::Confirmed,
                    "reservation.confirmed",
                    events,
                );
            } else {
                self.release(
                    line,
                    ModelStatus::Cancelled,
                    "reservation.cancelled",
                    events,
                );
            }
        }
        let (status, event_type, outcome) = match confirm {
            Some(_) => (
                ModelStatus::Confirmed,
                "cart.confirmed",
                Outcome::CartConfirmed,
            ),
            None => (
                ModelStatus::Cancelled,
                "cart.cancelled",
                Outcome::CartCancelled,
            ),
        };
        self.carts[cart].status = status;
        events.push(Self::cart_event(event_type, cart));
        outcome
    }

    fn send_transfer(
        &mut self,
        from: usize,
        quantity: u32,
        shipped: bool,
        events: &mut Vec<ModelEvent>,
    ) -> Outcome {
        let available = self.stock[from].map_or(0, |pair| pair.quantity - pair.reserved);
        if quantity > available {
            return Outcome::InsufficientStock {
                available,
                requested: quantity,
            };
        }
        self.move_units(from, -i64::from(quantity), events);
        let index = self.transfers.len();
        let status = if shipped {
            TransferModelStatus::InTransit
        } else {
            self.move_units(1 - from, i64::from(quantity), events);
            TransferModelStatus::Received
        };
        self.transfers.push(TransferModel {
            from,
            quantity,
            status,
        });
        let event_type = if shipped {
            "transfer.shipped"
        } else {
            "transfer.completed"
        };
        events.push(Self::transfer_event(event_type, index));
        Outcome::TransferSent { index }
    }

    /// Receives (`arrive`) or calls back a transfer.
    fn end_transfer(
        &mut self,
        index: usize,
        arrive: bool,
        events: &mut Vec<ModelEvent>,
    ) -> Outcome {
        let transfer = self.transfers[index];
        if transfer.status != TransferModelStatus::InTransit {
            return Outcome::TransferNotInTransit(transfer.status);
        }
        let (store, status, event_type, outcome) = if arrive {
            (
                1 - transfer.from,
                TransferModelStatus::Received,
                "transfer.received",
                Outcome::TransferReceived,
            )
        } else {
            (
                transfer.from,
                TransferModelStatus::Cancelled,
                "transfer.cancelled",
                Outcome::TransferCancelled,
            )
        };
        self.move_units(store, i64::from(transfer.quantity), events);
        self.transfers[index].status = status;
        events.push(Self::transfer_event(event_type, index));
        outcome
    }

    /// A transfer's delta on one store (its stock record opened if it has none).
    fn move_units(&mut self, store: usize, delta: i64, events: &mut Vec<ModelEvent>) {
        let existed = self.stock[store].is_some();
        let mut pair = self.stock[store].unwrap_or_default();
        pair.quantity = u32::try_from(i64::from(pair.quantity) + delta).expect("checked");
        pair.deltas_since_count += delta;
        pair.version += 1;
        self.stock[store] = Some(pair);
        let event_type = if existed {
            "stock.updated"
        } else {
            "stock.created"
        };
        events.push(self.stock_event(event_type, store, None));
    }

    /// Units in transit to `store`.
    pub fn in_transit_to(&self, store: usize) -> u32 {
        self.transfers
            .iter()
            .filter(|t| 1 - t.from == store && t.status == TransferModelStatus::InTransit)
            .map(|t| t.quantity)
            .sum()
    }

    fn transfer_event(event_type: &'static str, transfer: usize) -> ModelEvent {
        ModelEvent {
            event_type,
            store: 0,
            reservation: None,
            cart: None,
            transfer: Some(transfer),
            quantity: 0,
            reserved: 0,
            version: 0,
        }
    }

    fn cart_event(event_type: &'static str, cart: usize) -> ModelEvent {
        ModelEvent {
            event_type,
            store: 0,
            reservation: None,
            transfer: None,
            cart: Some(cart),
            quantity: 0,
            reserved: 0,
            version: 0,
        }
    }

    fn expire_due(&mut self, events: &mut Vec<ModelEvent>) -> Outcome {
        let mut due: Vec<usize> = (0..self.reservations.len())
            .filter(|&i| {
                let r = self.reservations[i];
                r.status == ModelStatus::Pending && self.now >= r.expires_at && r.cart.is_none()
            })
            .collect();
        // The real expiry goes oldest deadline first; ties in creation order.
        due.sort_by_key(|&i| (self.reservations[i].expires_at, i));
        for &index in &due {
            let reservation = self.reservations[index];
            let pair = self.stock[reservation.store]
                .as_mut()
                .expect("a reservation's stock exists");
            pair.reserved -= reservation.quantity;
            pair.version += 1;
            self.reservations[index].status = ModelStatus::Expired;
            events.push(self.stock_event("reservation.expired", reservation.store, Some(index)));
        }
        // Then the due carts, oldest deadline first, each with its lines.
        let mut released = due.len();
        let mut due_carts: Vec<usize> = (0..self.carts.len())
            .filter(|&c| {
                self.carts[c].status == ModelStatus::Pending && self.now >= self.carts[c].expires_at
            })
            .collect();
        due_carts.sort_by_key(|&c| (self.carts[c].expires_at, c));
        for cart in due_carts {
            for line in self.carts[cart].lines.clone() {
                self.release(line, ModelStatus::Expired, "reservation.expired", events);
                released += 1;
            }
            self.carts[cart].status = ModelStatus::Expired;
            events.push(Self::cart_event("cart.expired", cart));
        }
        Outcome::ExpiredCount(released)
    }

    fn stock_changed(&self, store: usize) -> Outcome {
        let pair = self.stock[store].expect("just changed");
        Outcome::StockChanged {
            quantity: pair.quantity,
            reserved: pair.reserved,
            version: pair.version,
        }
    }

    fn stock_event(
        &self,
        event_type: &'static str,
        store: usize,
        reservation: Option<usize>,
    ) -> ModelEvent {
        let pair = self.stock[store].expect("an event follows a stock change");
        ModelEvent {
            event_type,
            store,
            reservation,
            cart: None,
            transfer: None,
            quantity: pair.quantity,
            reserved: pair.reserved,
            version: pair.version,
        }
    }
}

/// The proptest-state-machine reference: generates operations valid for the model's state.
#[derive(Debug, Clone, Copy)]
pub struct ModelMachine;

impl ReferenceStateMachine for ModelMachine {
    type State = Model;
    type Transition = Op;

    fn init_state() -> BoxedStrategy<Model> {
        Just(Model::default()).boxed()
    }

    fn transitions(state: &Model) -> BoxedStrategy<Op> {
        let store = 0..MODEL_STORES.len();
        let adjust = (store.clone(), -12i64..=20)
            .prop_filter("a delta is never zero", |(_, delta)| *delta != 0)
            .prop_map(|(store, delta)| Op::Adjust { store, delta });
        let versions = [0, 1].map(|store| state.stock[store].map_or(0, |pair| pair.version));
        let skew = prop_oneof![4 => Just(0i64), 1 => Just(-1i64), 1 => Just(1i64)];
        let count =
            (store.clone(), 0u32..=25, skew).prop_map(move |(store, quantity, skew)| Op::Count {
                store,
                quantity,
                expected_version: versions[store].saturating_add_signed(skew),
            });
        let reserve =
            (store.clone(), 1u32..=6, 1u32..=90).prop_map(|(store, quantity, ttl_seconds)| {
                Op::Reserve {
                    store,
                    quantity,
                    ttl_seconds,
                }
            });
        let advance = prop_oneof![3 => 0u32..=20, 1 => 20u32..=120]
            .prop_map(|seconds| Op::Advance { seconds });
        let place_cart = (0u32..=4, 0u32..=4, 1u32..=90)
            .prop_filter("a cart has a line", |(mad, bcn, _)| mad + bcn > 0)
            .prop_map(|(mad, bcn, ttl_seconds)| Op::PlaceCart {
                quantities: [mad, bcn],
                ttl_seconds,
            });
        let mut choices: Vec<(u32, BoxedStrategy<Op>)> = vec![
            (3, adjust.boxed()),
            (1, count.boxed()),
            (4, reserve.boxed()),
            (2, place_cart.boxed()),
            (2, advance.boxed()),
            (2, Just(Op::ExpireDue).boxed()),
            (
                2,
                (store.clone(), 1u32..=6, any::<bool>())
                    .prop_map(|(from, quantity, shipped)| Op::SendTransfer {
                        from,
                        quantity,
                        shipped,
                    })
                    .boxed(),
            ),
        ];
        if !state.transfers.is_empty() {
            let transfer = 0..state.transfers.len();
            choices.push((
                2,
                transfer
                    .clone()
                    .prop_map(|transfer| Op::ReceiveTransfer { transfer })
                    .boxed(),
            ));
            choices.push((
                1,
                transfer
                    .prop_map(|transfer| Op::CancelTransfer { transfer })
                    .boxed(),
            ));
        }
        if !state.reservations.is_empty() {
            let reservation = 0..state.reservations.len();
            choices.push((
                3,
                reservation
                    .clone()
                    .prop_map(|reservation| Op::Confirm { reservation })
                    .boxed(),
            ));
            choices.push((
                2,
                reservation
                    .prop_map(|reservation| Op::Cancel { reservation })
                    .boxed(),
            ));
        }
        if !state.carts.is_empty() {
            let cart = 0..state.carts.len();
            choices.push((
                2,
                (cart.clone(), any::<bool>())
                    .prop_map(|(cart, first_line_only)| Op::ConfirmCart {
                        cart,
                        first_line_only,
                    })
                    .boxed(),
            ));
            choices.push((1, cart.prop_map(|cart| Op::CancelCart { cart }).boxed()));
        }
        proptest::strategy::Union::new_weighted(choices).boxed()
    }

    fn preconditions(state: &Model, op: &Op) -> bool {
        // Shrinking may drop the Reserve an index pointed at.
        match op {
            Op::Confirm { reservation } | Op::Cancel { reservation } => {
                *reservation < state.reservations.len()
            }
            Op::ConfirmCart { cart, .. } | Op::CancelCart { cart } => *cart < state.carts.len(),
            Op::ReceiveTransfer { transfer } | Op::CancelTransfer { transfer } => {
                *transfer < state.transfers.len()
            }
            _ => true,
        }
    }

    fn apply(mut state: Model, op: &Op) -> Model {
        state.apply(op);
        state.assert_invariants();
        state
    }
}
