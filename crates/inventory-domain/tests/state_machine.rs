//! The domain rules against the reference model: random sequences of restocks, counts,
//! reservations, confirmations, cancellations, expiries and clock advances. After every step
//! the outcome, the events and the whole state must be what the model predicts, and no
//! resolved reservation may have changed.

use inventory_domain::{
    AdjustmentReason, CustomerId, DomainEvent, ProductId, Quantity, Reservation, ReservationError,
    ReservationId, ReservationRequest, ReservationStatus, ReservationTtl, Stock, StockCount,
    StockDelta, StockError, StoreId,
};
use inventory_testkit::model::{
    MODEL_STORES, Model, ModelEvent, ModelMachine, ModelStatus, Op, Outcome,
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
                reservation.status() == ReservationStatus::Pending && reservation.is_due(self.now)
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
        (Outcome::ExpiredCount(due.len()), events)
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
    let stock = event
        .stock()
        .expect("the model only makes stock-moving events");
    ModelEvent {
        event_type: inventory_events::EventType::of(event).as_str(),
        store: store_index(stock.store_id()),
        reservation: event.reservation().map(|r| reservation_index(r.id())),
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
