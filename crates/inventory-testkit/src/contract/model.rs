//! The real use cases on a storage adapter against the reference model: the model predicts
//! every answer, every event written to the outbox, and the stored state after every step.

use std::sync::Arc;

use inventory_application::{
    AdjustStock, CountStock, PlaceCart, ReserveStock, SendTransfer, StockChanged, UseCases,
};
use inventory_domain::{
    AdjustmentReason, CartError, CartId, CartLine, ChangedBy, CustomerId, ProductId, Quantity,
    Reservation, ReservationError, ReservationId, ReservationStatus, ReservationTtl, StockCount,
    StockDelta, StockError, StoreId, TransferError, TransferMode,
};
use inventory_events::{EventPayload, EventType};
use inventory_ports::{
    Clock, InventoryError, ManualClock, Page, RecordedEvent, RequestContext, ReservationFilter,
};
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestRunner};
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest};
use time::Duration;

use super::{TestDatabase, use_cases};
use crate::fixtures::{T0, details};
use crate::model::{
    MODEL_STORES, Model, ModelEvent, ModelMachine, ModelStatus, Op, Outcome, TransferModelStatus,
};

/// Opens a fresh database for one case.
pub type OpenDatabase<'a> = &'a (dyn Fn() -> Box<dyn TestDatabase> + Sync);

/// Runs random sequences of operations on the use cases over databases from `open` and on the
/// reference model, comparing after every step. Failures shrink, and are remembered in
/// `crates/inventory-testkit/src/contract/model.proptest-regressions` for every adapter.
///
/// # Panics
/// When the system and the model disagree.
pub fn use_cases_match_the_reference_model(open: OpenDatabase<'_>) {
    let config = Config {
        cases: 48,
        max_shrink_iters: 2048,
        source_file: Some(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src/contract/model.rs"
        )),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..Config::default()
    };
    let mut runner = TestRunner::new(config.clone());
    let result = runner.run(
        &ModelMachine::sequential_strategy(1..40),
        |(initial, transitions, seen)| {
            let database = open();
            DATABASE.with(|slot| *slot.borrow_mut() = Some(database));
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                UseCasesAgainstModel::test_sequential(config.clone(), initial, transitions, seen);
            }));
            DATABASE.with(|slot| slot.borrow_mut().take());
            outcome.map_err(|panic| {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                TestCaseError::fail(message)
            })
        },
    );
    if let Err(failure) = result {
        panic!("the use cases disagree with the reference model: {failure}");
    }
}

thread_local! {
    /// The database of the case being run: `StateMachineTest::init_test` takes no arguments.
    static DATABASE: std::cell::RefCell<Option<Box<dyn TestDatabase>>> = const { std::cell::RefCell::new(None) };
}

struct System {
    use_cases: UseCases,
    clock: Arc<ManualClock>,
    product: ProductId,
    reservations: Vec<ReservationId>,
    resolved: Vec<Option<Reservation>>,
    carts: Vec<CartId>,
    transfers: Vec<inventory_domain::TransferId>,
    events_seen: u64,
}

fn ctx() -> RequestContext {
    RequestContext::default()
}

impl System {
    fn apply(&mut self, op: &Op) -> Outcome {
        match *op {
            Op::Adjust { store, delta } => {
                let command = AdjustStock {
                    product_id: self.product,
                    store_id: store_id(store),
                    delta: StockDelta::new(delta).expect("non-zero"),
                    reason: if delta > 0 {
                        AdjustmentReason::Restock
                    } else {
                        AdjustmentReason::Sale
                    },
                    user_id: None,
                    on_behalf_of: None,
                };
                stock_outcome(self.use_cases.stock.adjust(command, &ctx()))
            }
            Op::Count {
                store,
                quantity,
                expected_version,
            } => {
                let command = CountStock {
                    product_id: self.product,
                    store_id: store_id(store),
                    quantity: StockCount::new(i64::from(quantity)).expect("in range"),
                    expected_version,
                    user_id: None,
                    on_behalf_of: None,
                };
                stock_outcome(self.use_cases.stock.count(command, &ctx()))
            }
            Op::Reserve {
                store,
                quantity,
                ttl_seconds,
            } => {
                let command = ReserveStock {
                    product_id: self.product,
                    store_id: store_id(store),
                    customer_id: CustomerId::parse("cust-456").expect("valid"),
                    quantity: Quantity::new(i64::from(quantity)).expect("positive"),
                    ttl: ReservationTtl::from_seconds(i64::from(ttl_seconds)).expect("in range"),
                    limits: None,
                };
                match self.use_cases.reservations.reserve(command, &ctx()) {
                    Ok(reservation) => {
                        self.reservations.push(reservation.id());
                        self.resolved.push(None);
                        Outcome::Reserved {
                            index: self.reservations.len() - 1,
                        }
                    }
                    Err(error) => error_outcome(error),
                }
            }
            Op::Confirm { reservation } => self.resolve(reservation, true),
            Op::Cancel { reservation } => self.resolve(reservation, false),
            Op::PlaceCart {
                quantities,
                ttl_seconds,
            } => {
                let command = PlaceCart {
                    customer_id: CustomerId::parse("cust-456").expect("valid"),
                    lines: (0..2)
                        .filter(|&store| quantities[store] > 0)
                        .map(|store| CartLine {
                            product_id: self.product,
                            store_id: store_id(store),
                            quantity: Quantity::new(i64::from(quantities[store]))
                                .expect("positive"),
                        })
                        .collect(),
                    ttl: ReservationTtl::from_seconds(i64::from(ttl_seconds)).expect("in range"),
                    limits: None,
                };
                match self.use_cases.carts.place(command, &ctx()) {
                    Ok(cart) => {
                        for line in cart.lines() {
                            self.reservations.push(line.id());
                            self.resolved.push(None);
                        }
                        self.carts.push(cart.id());
                        Outcome::CartPlaced {
                            index: self.carts.len() - 1,
                        }
                    }
                    Err(error) => error_outcome(error),
                }
            }
            Op::ConfirmCart {
                cart,
                first_line_only,
            } => {
                let id = self.carts[cart];
                let chosen = first_line_only.then(|| {
                    let first = self
                        .use_cases
                        .carts
                        .get(id)
                        .expect("the cart exists")
                        .lines()[0]
                        .id();
                    vec![first]
                });
                let result = self.use_cases.carts.confirm(id, chosen, &ctx());
                self.cart_resolved(result, Outcome::CartConfirmed)
            }
            Op::CancelCart { cart } => {
                let result = self.use_cases.carts.cancel(self.carts[cart], &ctx());
                self.cart_resolved(result, Outcome::CartCancelled)
            }
            Op::SendTransfer {
                from,
                quantity,
                shipped,
            } => {
                let command = SendTransfer {
                    product_id: self.product,
                    from_store: store_id(from),
                    to_store: store_id(1 - from),
                    quantity: Quantity::new(i64::from(quantity)).expect("positive"),
                    mode: if shipped {
                        TransferMode::Shipped
                    } else {
                        TransferMode::Immediate
                    },
                    by: ChangedBy::default(),
                };
                match self.use_cases.transfers.send(command, &ctx()) {
                    Ok(transfer) => {
                        self.transfers.push(transfer.id());
                        Outcome::TransferSent {
                            index: self.transfers.len() - 1,
                        }
                    }
                    Err(error) => error_outcome(error),
                }
            }
            Op::ReceiveTransfer { transfer } => {
                let id = self.transfers[transfer];
                match self
                    .use_cases
                    .transfers
                    .receive(id, ChangedBy::default(), &ctx())
                {
                    Ok(_) => Outcome::TransferReceived,
                    Err(error) => error_outcome(error),
                }
            }
            Op::CancelTransfer { transfer } => {
                let id = self.transfers[transfer];
                match self
                    .use_cases
                    .transfers
                    .cancel(id, ChangedBy::default(), &ctx())
                {
                    Ok(_) => Outcome::TransferCancelled,
                    Err(error) => error_outcome(error),
                }
            }
            Op::ExpireDue => {
                // A small batch, so the loop over batches is exercised too.
                let released = self
                    .use_cases
                    .reservations
                    .expire_due(self.clock.now(), 2)
                    .expect("expiry runs");
                Outcome::ExpiredCount(released)
            }
            Op::Advance { seconds } => {
                self.clock.advance(Duration::seconds(i64::from(seconds)));
                Outcome::TimeAdvanced
            }
        }
    }

    fn resolve(&mut self, index: usize, confirm: bool) -> Outcome {
        let id = self.reservations[index];
        let result = if confirm {
            self.use_cases.reservations.confirm(id, &ctx())
        } else {
            self.use_cases.reservations.cancel(id, &ctx())
        };
        match result {
            Ok(reservation) => {
                self.resolved[index] = Some(reservation);
                if confirm {
                    Outcome::Confirmed
                } else {
                    Outcome::Cancelled
                }
            }
            Err(error) => error_outcome(error),
        }
    }

    fn cart_resolved(
        &mut self,
        result: Result<inventory_domain::Cart, InventoryError>,
        done: Outcome,
    ) -> Outcome {
        match result {
            Ok(cart) => {
                for line in cart.lines() {
                    let index = self
                        .reservations
                        .iter()
                        .position(|known| *known == line.id())
                        .expect("a known line");
                    self.resolved[index] = Some(line.clone());
                }
                done
            }
            Err(error) => error_outcome(error),
        }
    }

    fn new_events(&mut self) -> Vec<RecordedEvent> {
        let events = self
            .use_cases
            .events
            .after(self.events_seen, 1000)
            .expect("read events");
        if let Some(last) = events.last() {
            self.events_seen = last.seq;
        }
        events
    }

    fn model_event(&self, event: &RecordedEvent) -> ModelEvent {
        let (kind, payload) = event.decode().expect("every event decodes");
        if let EventPayload::Transfer(body) = &payload {
            assert_eq!(event.store_id, None, "a transfer event names no store");
            let id = inventory_domain::TransferId::parse(&body.transfer.id).expect("an id");
            return ModelEvent {
                event_type: EventType::as_str(kind),
                store: 0,
                reservation: None,
                cart: None,
                transfer: Some(
                    self.transfers
                        .iter()
                        .position(|known| *known == id)
                        .expect("a known transfer"),
                ),
                quantity: 0,
                reserved: 0,
                version: 0,
            };
        }
        if let EventPayload::Cart(body) = &payload {
            assert_eq!(event.store_id, None, "a cart event names no store");
            let id = CartId::parse(&body.cart.id).expect("a cart id");
            return ModelEvent {
                event_type: EventType::as_str(kind),
                store: 0,
                reservation: None,
                transfer: None,
                cart: Some(
                    self.carts
                        .iter()
                        .position(|known| *known == id)
                        .expect("a known cart"),
                ),
                quantity: 0,
                reserved: 0,
                version: 0,
            };
        }
        let stock = payload.stock().expect("the model only moves stock").clone();
        let reservation = match &payload {
            EventPayload::Reservation(body) => {
                let id = ReservationId::parse(&body.reservation.id).expect("a reservation id");
                Some(
                    self.reservations
                        .iter()
                        .position(|known| *known == id)
                        .expect("a known reservation"),
                )
            }
            _ => None,
        };
        let store = event
            .store_id
            .as_deref()
            .expect("stock events name their store");
        assert_eq!(stock.store_id, store, "store_id column and payload agree");
        assert_eq!(
            event.product_id.as_deref(),
            Some(self.product.to_string().as_str()),
            "product_id column"
        );
        ModelEvent {
            event_type: EventType::as_str(kind),
            store: store_index(store),
            reservation,
            cart: None,
            transfer: None,
            quantity: stock.quantity,
            reserved: stock.reserved,
            version: stock.version,
        }
    }
}

fn store_id(index: usize) -> StoreId {
    StoreId::parse(MODEL_STORES[index]).expect("valid")
}

fn store_index(code: &str) -> usize {
    MODEL_STORES
        .iter()
        .position(|c| *c == code)
        .expect("a model store")
}

fn stock_outcome(result: Result<StockChanged, InventoryError>) -> Outcome {
    match result {
        Ok(changed) => Outcome::StockChanged {
            quantity: changed.stock.quantity(),
            reserved: changed.stock.reserved(),
            version: changed.stock.version(),
        },
        Err(error) => error_outcome(error),
    }
}

fn error_outcome(error: InventoryError) -> Outcome {
    match error {
        InventoryError::Stock(StockError::BelowReserved { .. }) => Outcome::BelowReserved,
        InventoryError::Stock(StockError::VersionConflict { current, .. }) => {
            Outcome::VersionConflict { current }
        }
        InventoryError::Stock(StockError::InsufficientStock {
            available,
            requested,
        }) => Outcome::InsufficientStock {
            available,
            requested,
        },
        InventoryError::Reservation(ReservationError::AlreadyResolved { status }) => {
            Outcome::AlreadyResolved(ModelStatus::from(status))
        }
        InventoryError::Reservation(ReservationError::Expired { .. }) => {
            Outcome::ReservationExpired
        }
        InventoryError::ReservationInCart(_) => Outcome::ReservationInCart,
        InventoryError::Cart(CartError::Unavailable(lines)) => Outcome::CartUnavailable(
            lines
                .iter()
                .map(|line| {
                    (
                        store_index(line.store_id.as_str()),
                        line.requested,
                        line.available,
                    )
                })
                .collect(),
        ),
        InventoryError::Cart(CartError::AlreadyResolved { status }) => {
            Outcome::CartAlreadyResolved(ModelStatus::from(status))
        }
        InventoryError::Cart(CartError::Expired { .. }) => Outcome::CartExpired,
        InventoryError::Transfer(TransferError::NotInTransit { status }) => {
            Outcome::TransferNotInTransit(TransferModelStatus::from(status))
        }
        other => panic!("unexpected error {other:?}"),
    }
}

struct UseCasesAgainstModel;

impl StateMachineTest for UseCasesAgainstModel {
    type SystemUnderTest = System;
    type Reference = ModelMachine;

    fn init_test(_model: &Model) -> System {
        let store = DATABASE.with(|slot| {
            slot.borrow()
                .as_ref()
                .expect("a database for this case")
                .store()
        });
        let clock = Arc::new(ManualClock::new(T0));
        let use_cases = use_cases(store, &clock);
        let product = use_cases
            .products
            .create(details("MODEL-1"), &ctx())
            .expect("create product")
            .id;
        let mut system = System {
            use_cases,
            clock,
            product,
            reservations: Vec::new(),
            resolved: Vec::new(),
            carts: Vec::new(),
            transfers: Vec::new(),
            events_seen: 0,
        };
        let setup = system.new_events();
        assert_eq!(setup.len(), 1, "product.created");
        system
    }

    fn apply(mut system: System, model: &Model, op: Op) -> System {
        let outcome = system.apply(&op);
        assert_eq!(outcome, model.last.outcome, "outcome of {op:?}");
        let events: Vec<ModelEvent> = system
            .new_events()
            .iter()
            .map(|e| system.model_event(e))
            .collect();
        assert_eq!(events, model.last.events, "events of {op:?}");
        for event in events
            .iter()
            .filter(|e| e.event_type == "reservation.expired")
        {
            let index = event.reservation.expect("a reservation event");
            let expired = system
                .use_cases
                .reservations
                .get(system.reservations[index])
                .expect("exists");
            system.resolved[index] = Some(expired);
        }
        system
    }

    fn check_invariants(system: &System, model: &Model) {
        // The stored data agrees with itself after every step: reserved == pending units and
        // quantity and reserved == the sum of the pair's movements, no hole in the outbox.
        let report = system
            .use_cases
            .reconciliation
            .check(std::time::Duration::from_secs(100 * 365 * 86_400))
            .expect("check");
        assert!(report.is_clean(), "the check found {:?}", report.findings);
        for (store, expected) in model.stock.iter().enumerate() {
            let stored = match system.use_cases.stock.get(system.product, &store_id(store)) {
                Ok(stock) => Some((stock.quantity(), stock.reserved(), stock.version())),
                Err(InventoryError::StockNotFound { .. }) => None,
                Err(other) => panic!("reading stock: {other:?}"),
            };
            assert_eq!(
                stored,
                expected.map(|p| (p.quantity, p.reserved, p.version)),
                "stock of store {store}"
            );
            let pending = system
                .use_cases
                .reservations
                .list(
                    ReservationFilter {
                        store_id: Some(store_id(store)),
                        status: Some(ReservationStatus::Pending),
                        ..ReservationFilter::default()
                    },
                    Page::new(Some(500), None).expect("valid"),
                )
                .expect("list");
            let pending_units: u32 = pending.data.iter().map(|r| r.quantity().get()).sum();
            assert_eq!(
                stored.map_or(0, |s| s.1),
                pending_units,
                "reserved == sum of PENDING"
            );
            let in_transit = system
                .use_cases
                .availability
                .of_product(system.product, Some(store_id(store)))
                .expect("availability")
                .stores[0]
                .in_transit;
            assert_eq!(
                in_transit,
                model.in_transit_to(store),
                "in transit to {store}"
            );
        }
        for (index, expected) in model.reservations.iter().enumerate() {
            let stored = system
                .use_cases
                .reservations
                .get(system.reservations[index])
                .expect("exists");
            assert_eq!(
                ModelStatus::from(stored.status()),
                expected.status,
                "reservation {index}"
            );
            assert_eq!(
                stored.expires_at(),
                T0 + Duration::seconds(expected.expires_at)
            );
            assert_eq!(
                (
                    store_index(stored.store_id().as_str()),
                    stored.quantity().get()
                ),
                (expected.store, expected.quantity),
                "store and units of reservation {index}"
            );
            if let Some(resolved) = &system.resolved[index] {
                assert_eq!(&stored, resolved, "resolved reservation {index} changed");
            }
        }
        for (index, expected) in model.carts.iter().enumerate() {
            let stored = system
                .use_cases
                .carts
                .get(system.carts[index])
                .expect("exists");
            assert_eq!(
                ModelStatus::from(stored.status()),
                expected.status,
                "cart {index}"
            );
            let lines: Vec<ReservationId> = expected
                .lines
                .iter()
                .map(|&line| system.reservations[line])
                .collect();
            let stored_lines: Vec<ReservationId> = stored.lines().iter().map(|l| l.id()).collect();
            assert_eq!(stored_lines, lines, "the lines of cart {index}");
        }
    }
}
