//! The domain rules against the reference model: random sequences of restocks, counts,
//! reservations, carts, confirmations, cancellations, expiries and clock advances. After every step
//! the outcome, the events and the whole state must be what the model predicts, and no
//! resolved reservation may have changed.

use inventory_domain::{
    AdjustmentReason, Cart, CartError, CartId, CartLine, CartRequest, ChangedBy, CustomerId,
    DomainEvent, ProductId, Quantity, Reservation, ReservationError, ReservationId,
    ReservationRequest, ReservationStatus, ReservationTtl, Shortfall, Stock, StockCount,
    StockDelta, StockError, StoreId, Transfer, TransferError, TransferId, TransferMode,
    TransferRequest, merge_lines,
};
use inventory_testkit::model::{
    MODEL_STORES, Model, ModelEvent, ModelMachine, ModelStatus, Op, Outcome, TransferModelStatus,
};
use proptest::test_runner::{Config, FileFailurePersistence};
use proptest_state_machine::{StateMachineTest, prop_state_machine};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const START: OffsetDateTime = datetime!(2025-10-26 17:00 UTC);

/// The system under test: domain objects held in memory, moved only by their rule methods.
struct DomainInventory {
    now: OffsetDateTime,
    product: ProductId,
    stock: [Option<Stock>; 2],
    reservations: Vec<Reservation>,
    /// Each resolved reservation as it was when it resolved; it must never change again.
    resolved: Vec<Option<Reservation>>,
    /// Carts in creation order; their lines are also kept, as they are, in `reservations`.
    carts: Vec<Cart>,
    /// Transfers in creation order.
    transfers: Vec<Transfer>,
}

impl DomainInventory {
    fn apply(&mut self, op: &Op) -> (Outcome, Vec<DomainEvent>) {
        match *op {
            Op::Adjust { store, delta } => self.adjust(store, delta),
            Op::Count {
                store,
                quantity,
                expected_version,
            } => self.count(store, quantity, expected_version),
            Op::Reserve {
                store,
                quantity,
                ttl_seconds,
            } => self.reserve(store, quantity, ttl_seconds),
            Op::Confirm { reservation } => self.resolve(reservation, true),
            Op::Cancel { reservation } => self.resolve(reservation, false),
            Op::PlaceCart {
                quantities,
                ttl_seconds,
            } => self.place_cart(quantities, ttl_seconds),
            Op::ConfirmCart {
                cart,
                first_line_only,
            } => self.resolve_cart(cart, Some(first_line_only)),
            Op::CancelCart { cart } => self.resolve_cart(cart, None),
            Op::SendTransfer {
                from,
                quantity,
                shipped,
            } => self.send_transfer(from, quantity, shipped),
            Op::ReceiveTransfer { transfer } => self.end_transfer(transfer, true),
            Op::CancelTransfer { transfer } => self.end_transfer(transfer, false),
            Op::ExpireDue => self.expire_due(),
            Op::Advance { seconds } => {
                self.now += Duration::seconds(i64::from(seconds));
                (Outcome::TimeAdvanced, vec![])
            }
        }
    }

    fn adjust(&mut self, store: usize, delta: i64) -> (Outcome, Vec<DomainEvent>) {
        let delta = StockDelta::new(delta).expect("the model never asks for a zero delta");
        let reason = if delta.get() > 0 {
            AdjustmentReason::Restock
        } else {
            AdjustmentReason::Sale
        };
        let result = match &mut self.stock[store] {
            Some(stock) => stock.adjust(delta, reason, None, self.now),
            slot @ None => {
                Stock::open(self.product, store_id(store), delta, reason, None, self.now).map(
                    |(stock, event)| {
                        *slot = Some(stock);
                        event
                    },
                )
            }
        };
        self.stock_result(store, result)
    }

    fn count(
        &mut self,
        store: usize,
        quantity: u32,
        expected_version: u64,
    ) -> (Outcome, Vec<DomainEvent>) {
        let count = StockCount::new(i64::from(quantity)).expect("the model counts within range");
        let result = match &mut self.stock[store] {
            Some(stock) => stock.count(count, expected_version, None, self.now),
            slot @ None if expected_version == 0 => {
                let (stock, event) =
                    Stock::open_with_count(self.product, store_id(store), count, None, self.now);
                *slot = Some(stock);
                Ok(event)
            }
            None => Err(StockError::VersionConflict {
                expected: expected_version,
                current: 0,
            }),
        };
        self.stock_result(store, result)
    }

    fn stock_result(
        &self,
        store: usize,
        result: Result<DomainEvent, StockError>,
    ) -> (Outcome, Vec<DomainEvent>) {
        match result {
            Ok(event) => {
                let stock = self.stock[store].as_ref().expect("changed stock exists");
                let outcome = Outcome::StockChanged {
                    quantity: stock.quantity(),
                    reserved: stock.reserved(),
                    version: stock.version(),
                };
                (outcome, vec![event])
            }
            Err(StockError::BelowReserved { .. }) => (Outcome::BelowReserved, vec![]),
            Err(StockError::VersionConflict { current, .. }) => {
                (Outcome::VersionConflict { current }, vec![])
            }
            Err(other) => panic!("unexpected stock error {other:?}"),
        }
    }

    fn reserve(
        &mut self,
        store: usize,
        quantity: u32,
        ttl_seconds: u32,
    ) -> (Outcome, Vec<DomainEvent>) {
        let Some(stock) = &mut self.stock[store] else {
            return (
                Outcome::InsufficientStock {
                    available: 0,
                    requested: quantity,
                },
                vec![],
            );
        };
        let index = self.reservations.len();
        let request = ReservationRequest {
            id: reservation_id(index),
            customer_id: CustomerId::parse("cust-456").expect("valid"),
            quantity: Quantity::new(i64::from(quantity)).expect("the model reserves at least 1"),
            ttl: ReservationTtl::from_seconds(i64::from(ttl_seconds))
                .expect("the model's ttl is in range"),
            cart_id: None,
        };
        match Reservation::place(stock, request, self.now) {
            Ok((reservation, event)) => {
                self.reservations.push(reservation);
                self.resolved.push(None);
                (Outcome::Reserved { index }, vec![event])
            }
            Err(error) => (reservation_error(error), vec![]),
        }
    }

    fn resolve(&mut self, index: usize, confirm: bool) -> (Outcome, Vec<DomainEvent>) {
        if self.reservations[index].cart_id().is_some() {
            // The use case's rule: a line resolves only with its cart.
            return (Outcome::ReservationInCart, vec![]);
        }
        let reservation = &mut self.reservations[index];
        let store = store_index(reservation.store_id());
        let stock = self.stock[store]
            .as_mut()
            .expect("a reservation's stock exists");
        let result = if confirm {
            reservation.confirm(stock, self.now)
        } else {
            reservation.cancel(stock, self.now)
        };
        match result {
            Ok(event) => {
                self.resolved[index] = Some(reservation.clone());
                let outcome = if confirm {
                    Outcome::Confirmed
                } else {
                    Outcome::Cancelled
                };
                (outcome, vec![event])
            }
            Err(error) => (reservation_error(error), vec![]),
        }
    }

    fn expire_due(&mut self) -> (Outcome, Vec<DomainEvent>) {
        let mut due: Vec<usize> = (0..self.reservations.len())
            .filter(|&i| {
                let reservation = &self.reservations[i];
                reservation.status() == ReservationStatus::Pending
                    && reservation.is_due(self.now)
                    && reservation.cart_id().is_none()
            })
            .collect();
        due.sort_by_key(|&i| (self.reservations[i].expires_at(), self.reservations[i].id()));
        let mut events = Vec::new();
        for &index in &due {
            let reservation = &mut self.reservations[index];
            let store = store_index(reservation.store_id());
            let stock = self.stock[store]
                .as_mut()
                .expect("a reservation's stock exists");
            events.push(
                reservation
                    .expire(stock, self.now)
                    .expect("due and pending"),
            );
            self.resolved[index] = Some(reservation.clone());
        }
        let mut released = due.len();
        let mut due_carts: Vec<usize> = (0..self.carts.len())
            .filter(|&c| {
                self.carts[c].status() == ReservationStatus::Pending
                    && self.carts[c].is_due(self.now)
            })
            .collect();
        due_carts.sort_by_key(|&c| (self.carts[c].expires_at(), self.carts[c].id()));
        for cart in due_carts {
            let now = self.now;
            let mut stocks = self.stocks_of(cart);
            let cart_events = self.carts[cart]
                .expire(&mut stocks, now)
                .expect("due and pending");
            released += stocks.len();
            self.cart_changed(cart, stocks);
            events.extend(cart_events);
        }
        (Outcome::ExpiredCount(released), events)
    }

    fn place_cart(
        &mut self,
        quantities: [u32; 2],
        ttl_seconds: u32,
    ) -> (Outcome, Vec<DomainEvent>) {
        let asked: Vec<CartLine> = (0..2)
            .filter(|&store| quantities[store] > 0)
            .map(|store| CartLine {
                product_id: self.product,
                store_id: store_id(store),
                quantity: Quantity::new(i64::from(quantities[store])).expect("at least 1"),
            })
            .collect();
        let lines = merge_lines(&asked).expect("the model's carts are valid");
        // The use case's rule: a line whose pair has no stock record cannot be served.
        if lines
            .iter()
            .any(|line| self.stock[store_index(&line.store_id)].is_none())
        {
            let short = lines
                .iter()
                .filter_map(|line| {
                    let available = self.stock[store_index(&line.store_id)]
                        .as_ref()
                        .map_or(0, Stock::available);
                    (available < line.quantity.get()).then(|| Shortfall {
                        product_id: line.product_id,
                        store_id: line.store_id.clone(),
                        requested: line.quantity.get(),
                        available,
                    })
                })
                .collect();
            return (cart_error(CartError::Unavailable(short)), vec![]);
        }
        let mut stocks: Vec<Stock> = lines
            .iter()
            .map(|line| {
                self.stock[store_index(&line.store_id)]
                    .clone()
                    .expect("checked")
            })
            .collect();
        let first = self.reservations.len();
        let index = self.carts.len();
        let request = CartRequest {
            id: CartId::from_uuid(uuid::Uuid::from_u128(index as u128 + 1)),
            customer_id: CustomerId::parse("cust-456").expect("valid"),
            ttl: ReservationTtl::from_seconds(i64::from(ttl_seconds)).expect("in range"),
            lines: lines
                .into_iter()
                .enumerate()
                .map(|(i, line)| (reservation_id(first + i), line))
                .collect(),
        };
        match Cart::place(request, &mut stocks, self.now) {
            Ok((cart, events)) => {
                for line in cart.lines() {
                    self.reservations.push(line.clone());
                    self.resolved.push(None);
                }
                self.carts.push(cart);
                for stock in stocks {
                    let store = store_index(stock.store_id());
                    self.stock[store] = Some(stock);
                }
                (Outcome::CartPlaced { index }, events)
            }
            Err(error) => (cart_error(error), vec![]),
        }
    }

    fn resolve_cart(&mut self, cart: usize, confirm: Option<bool>) -> (Outcome, Vec<DomainEvent>) {
        let now = self.now;
        let mut stocks = self.stocks_of(cart);
        let first_line = [self.carts[cart].lines()[0].id()];
        let result = match confirm {
            Some(first_only) => {
                let chosen = first_only.then_some(first_line.as_slice());
                self.carts[cart].confirm(chosen, &mut stocks, now)
            }
            None => self.carts[cart].cancel(&mut stocks, now),
        };
        match result {
            Ok(events) => {
                self.cart_changed(cart, stocks);
                let outcome = if confirm.is_some() {
                    Outcome::CartConfirmed
                } else {
                    Outcome::CartCancelled
                };
                (outcome, events)
            }
            Err(error) => (cart_error(error), vec![]),
        }
    }

    fn send_transfer(
        &mut self,
        from: usize,
        quantity: u32,
        shipped: bool,
    ) -> (Outcome, Vec<DomainEvent>) {
        let quantity = Quantity::new(i64::from(quantity)).expect("at least 1");
        // The use case's rule: no stock record at the source is no units to send.
        let Some(mut source) = self.stock[from].clone() else {
            return (
                Outcome::InsufficientStock {
                    available: 0,
                    requested: quantity.get(),
                },
                vec![],
            );
        };
        let index = self.transfers.len();
        let request = TransferRequest {
            id: TransferId::from_uuid(uuid::Uuid::from_u128(index as u128 + 1)),
            from_store: store_id(from),
            to_store: store_id(1 - from),
            quantity,
            mode: if shipped {
                TransferMode::Shipped
            } else {
                TransferMode::Immediate
            },
            by: ChangedBy::default(),
        };
        let destination = self.stock[1 - from].clone();
        match Transfer::send(request, &mut source, destination, self.now) {
            Ok((transfer, arrived, events)) => {
                self.stock[from] = Some(source);
                if let Some(arrived) = arrived {
                    self.stock[1 - from] = Some(arrived);
                }
                self.transfers.push(transfer);
                (Outcome::TransferSent { index }, events)
            }
            Err(TransferError::Stock(StockError::InsufficientStock {
                available,
                requested,
            })) => (
                Outcome::InsufficientStock {
                    available,
                    requested,
                },
                vec![],
            ),
            Err(other) => panic!("unexpected transfer error {other:?}"),
        }
    }

    fn end_transfer(&mut self, index: usize, arrive: bool) -> (Outcome, Vec<DomainEvent>) {
        let now = self.now;
        let transfer = &mut self.transfers[index];
        let result = if arrive {
            let store = store_index(transfer.to_store());
            let destination = self.stock[store].clone();
            transfer
                .receive(destination, ChangedBy::default(), now)
                .map(|(stock, events)| {
                    self.stock[store] = Some(stock);
                    (Outcome::TransferReceived, events)
                })
        } else {
            let store = store_index(transfer.from_store());
            let source = self.stock[store].as_mut().expect("a source has stock");
            transfer
                .cancel(source, ChangedBy::default(), now)
                .map(|events| (Outcome::TransferCancelled, events))
        };
        match result {
            Ok(done) => done,
            Err(TransferError::NotInTransit { status }) => (
                Outcome::TransferNotInTransit(TransferModelStatus::from(status)),
                vec![],
            ),
            Err(other) => panic!("unexpected transfer error {other:?}"),
        }
    }

    /// The stocks of a cart's lines, in line order.
    fn stocks_of(&self, cart: usize) -> Vec<Stock> {
        self.carts[cart]
            .lines()
            .iter()
            .map(|line| {
                self.stock[store_index(line.store_id())]
                    .clone()
                    .expect("a line's stock exists")
            })
            .collect()
    }

    /// Stores what a cart rule changed: the stocks, and its lines' copies.
    fn cart_changed(&mut self, cart: usize, stocks: Vec<Stock>) {
        for stock in stocks {
            let store = store_index(stock.store_id());
            self.stock[store] = Some(stock);
        }
        for line in self.carts[cart].lines() {
            let index = reservation_index(line.id());
            self.reservations[index] = line.clone();
            if line.status() != ReservationStatus::Pending {
                self.resolved[index] = Some(line.clone());
            }
        }
    }
}

fn cart_error(error: CartError) -> Outcome {
    match error {
        CartError::Unavailable(lines) => Outcome::CartUnavailable(
            lines
                .iter()
                .map(|line| (store_index(&line.store_id), line.requested, line.available))
                .collect(),
        ),
        CartError::AlreadyResolved { status } => {
            Outcome::CartAlreadyResolved(ModelStatus::from(status))
        }
        CartError::Expired { .. } => Outcome::CartExpired,
        other => panic!("unexpected cart error {other:?}"),
    }
}

fn store_id(index: usize) -> StoreId {
    StoreId::parse(MODEL_STORES[index]).expect("model stores are valid")
}

fn store_index(store: &StoreId) -> usize {
    MODEL_STORES
        .iter()
        .position(|code| *code == store.as_str())
        .expect("only model stores are used")
}

/// Reservation ids grow with their index, so id order is creation order (as UUID v7 is).
fn reservation_id(index: usize) -> ReservationId {
    ReservationId::from_uuid(uuid::Uuid::from_u128(index as u128 + 1))
}

fn reservation_index(id: ReservationId) -> usize {
    (id.as_uuid().as_u128() - 1) as usize
}

fn reservation_error(error: ReservationError) -> Outcome {
    match error {
        ReservationError::Stock(StockError::InsufficientStock {
            available,
            requested,
        }) => Outcome::InsufficientStock {
            available,
            requested,
        },
        ReservationError::AlreadyResolved { status } => {
            Outcome::AlreadyResolved(ModelStatus::from(status))
        }
        ReservationError::Expired { .. } => Outcome::ReservationExpired,
        other => panic!("unexpected reservation error {other:?}"),
    }
}

fn model_event(event: &DomainEvent) -> ModelEvent {
    if let Some(transfer) = event.transfer() {
        return ModelEvent {
            event_type: inventory_events::EventType::of(event).as_str(),
            store: 0,
            reservation: None,
            cart: None,
            transfer: Some((transfer.id().as_uuid().as_u128() - 1) as usize),
            quantity: 0,
            reserved: 0,
            version: 0,
        };
    }
    if let Some(cart) = event.cart() {
        return ModelEvent {
            event_type: inventory_events::EventType::of(event).as_str(),
            store: 0,
            reservation: None,
            transfer: None,
            cart: Some((cart.id().as_uuid().as_u128() - 1) as usize),
            quantity: 0,
            reserved: 0,
            version: 0,
        };
    }
    let stock = event
        .stock()
        .expect("the model only makes stock-moving events");
    ModelEvent {
        event_type: inventory_events::EventType::of(event).as_str(),
        store: store_index(stock.store_id()),
        reservation: event.reservation().map(|r| reservation_index(r.id())),
        cart: None,
        transfer: None,
        quantity: stock.quantity(),
        reserved: stock.reserved(),
        version: stock.version(),
    }
}

struct DomainAgainstModel;

impl StateMachineTest for DomainAgainstModel {
    type SystemUnderTest = DomainInventory;
    type Reference = ModelMachine;

    fn init_test(_model: &Model) -> DomainInventory {
        DomainInventory {
            now: START,
            product: ProductId::from_uuid(uuid::Uuid::from_u128(0xABC)),
            stock: [None, None],
            reservations: Vec::new(),
            resolved: Vec::new(),
            carts: Vec::new(),
            transfers: Vec::new(),
        }
    }

    fn apply(mut system: DomainInventory, model: &Model, op: Op) -> DomainInventory {
        let (outcome, events) = system.apply(&op);
        assert_eq!(outcome, model.last.outcome, "outcome of {op:?}");
        let events: Vec<ModelEvent> = events.iter().map(model_event).collect();
        assert_eq!(events, model.last.events, "events of {op:?}");
        system
    }

    fn check_invariants(system: &DomainInventory, model: &Model) {
        assert_eq!(system.now, START + Duration::seconds(model.now));
        for (store, expected) in model.stock.iter().enumerate() {
            let actual = system.stock[store]
                .as_ref()
                .map(|s| (s.quantity(), s.reserved(), s.version()));
            assert_eq!(
                actual,
                expected.map(|p| (p.quantity, p.reserved, p.version)),
                "stock of store {store}"
            );
            if let Some(stock) = &system.stock[store] {
                assert!(stock.reserved() <= stock.quantity());
                let pending: u32 = system
                    .reservations
                    .iter()
                    .filter(|r| {
                        r.status() == ReservationStatus::Pending
                            && store_index(r.store_id()) == store
                    })
                    .map(|r| r.quantity().get())
                    .sum();
                assert_eq!(
                    stock.reserved(),
                    pending,
                    "reserved == sum of PENDING quantities"
                );
            }
        }
        assert_eq!(system.reservations.len(), model.reservations.len());
        for (index, (actual, expected)) in system
            .reservations
            .iter()
            .zip(&model.reservations)
            .enumerate()
        {
            assert_eq!(
                ModelStatus::from(actual.status()),
                expected.status,
                "status of reservation {index}"
            );
            assert_eq!(
                actual.expires_at(),
                START + Duration::seconds(expected.expires_at)
            );
            assert_eq!(actual.quantity().get(), expected.quantity);
            if let Some(resolved) = &system.resolved[index] {
                assert_eq!(actual, resolved, "resolved reservation {index} changed");
            }
        }
    }
}

prop_state_machine! {
    #![proptest_config(Config {
        cases: 256,
        max_shrink_iters: 8192,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..Config::default()
    })]

    #[test]
    fn domain_rules_match_the_reference_model(sequential 1..60 => DomainAgainstModel);
}
