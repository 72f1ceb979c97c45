//! The reference adapter: the storage port in memory, as plainly as possible (maps behind a
//! lock, a transaction works on a copy and commits by swapping it in). It is the executable
//! reading of the port's contract: it passes the same suite as every real adapter, and use
//! case tests run on it when the database is not what they are about.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, RwLock};

use inventory_domain::{
    Address, Cart, CartId, CartRecord, City, Country, DomainEvent, Email, Phone, Product,
    ProductId, Reservation, ReservationId, ReservationStatus, Sku, Stock, Store, StoreDetails,
    StoreId, StoreName, ThresholdScope, Transfer, TransferId, TransferStatus,
};
use inventory_ports::{
    CommitListener, ConsistencyFacts, IdempotencyKey, InventoryError, InventoryStore,
    LowStockEntry, MovementFilter, MovementOrder, NewEvent, Page, ProductFilter, ReadTx, ReadWork,
    RecordedEvent, RecordedMovement, ReservationFilter, StockFilter, StoreStock, StoredResponse,
    TransferFilter, Webhook, WebhookDelivery, WebhookId, WriteTx, WriteWork,
};
use time::OffsetDateTime;
use time::macros::datetime;

mod history;
mod webhooks;

/// The inventory in memory.
pub struct MemoryStore {
    /// Held for a whole write transaction: writers are serialised, as the port promises.
    writer: Mutex<()>,
    /// What is committed: the state and the outbox, swapped together by a commit, so a
    /// snapshot always sees a state and exactly the events that led to it.
    committed: RwLock<Snapshot>,
    listeners: RwLock<Vec<CommitListener>>,
}

/// One committed version of everything; cheap to copy (two `Arc`s).
#[derive(Clone, Default)]
struct Snapshot {
    state: Arc<State>,
    events: Arc<Vec<RecordedEvent>>,
    movements: Arc<Vec<RecordedMovement>>,
}

#[derive(Clone, Default)]
struct State {
    products: BTreeMap<ProductId, Product>,
    stores: BTreeMap<StoreId, Store>,
    stock: BTreeMap<(ProductId, StoreId), Stock>,
    reservations: BTreeMap<ReservationId, Reservation>,
    responses: BTreeMap<IdempotencyKey, StoredResponse>,
    /// Carts as last recorded; their lines are read from `reservations`.
    carts: BTreeMap<CartId, Cart>,
    transfers: BTreeMap<TransferId, Transfer>,
    /// Low-stock thresholds: a pair's own (`Some(store)`) or its product's default.
    thresholds: BTreeMap<(ProductId, Option<StoreId>), u32>,
    webhooks: webhooks::WebhookState,
}

impl State {
    fn cart(&self, stored: &Cart) -> Result<Cart, InventoryError> {
        let mut lines: Vec<Reservation> = self
            .reservations
            .values()
            .filter(|line| line.cart_id() == Some(stored.id()))
            .cloned()
            .collect();
        lines.sort_by(|a, b| (a.product_id(), a.store_id()).cmp(&(b.product_id(), b.store_id())));
        Cart::restore(CartRecord {
            id: stored.id(),
            customer_id: stored.customer_id().clone(),
            status: stored.status(),
            expires_at: stored.expires_at(),
            created_at: stored.created_at(),
            updated_at: stored.updated_at(),
            lines,
        })
        .map_err(InventoryError::corrupt_in("carts"))
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// A new inventory holding the chain's four stores (as a migrated database does).
    pub fn new() -> Self {
        let mut state = State::default();
        for store in chain_stores() {
            state.stores.insert(store.id.clone(), store);
        }
        Self {
            writer: Mutex::new(()),
            committed: RwLock::new(Snapshot {
                state: Arc::new(state),
                events: Arc::default(),
                movements: Arc::default(),
            }),
            listeners: RwLock::new(Vec::new()),
        }
    }

    fn snapshot(&self) -> Snapshot {
        read(&self.committed).clone()
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|p| p.into_inner())
}

/// Replaces `key`'s entry with `value` if the stored one is still open (PENDING, IN_TRANSIT):
/// each resolves once. A closed or missing entry is a bug, reported as `not_open`.
fn replace_open<K: Ord, V: Clone>(
    map: &mut BTreeMap<K, V>,
    key: K,
    value: &V,
    open: impl Fn(&V) -> bool,
    not_open: impl FnOnce() -> String,
) -> Result<(), InventoryError> {
    if !map.get(&key).is_some_and(open) {
        return Err(InventoryError::internal(not_open()));
    }
    map.insert(key, value.clone());
    Ok(())
}

/// The stores migration 0002 seeds.
fn chain_stores() -> Vec<Store> {
    let at = datetime!(2025-10-26 00:00 UTC);
    [
        (
            "MAD-001",
            "Madrid Centro",
            "Calle Gran Vía 1",
            "Madrid",
            "+34 910 000 001",
        ),
        (
            "BCN-001",
            "Barcelona Plaza Catalunya",
            "Plaça de Catalunya 1",
            "Barcelona",
            "+34 930 000 001",
        ),
        (
            "VAL-001",
            "Valencia Norte",
            "Avenida de Valencia 1",
            "Valencia",
            "+34 960 000 001",
        ),
        (
            "SEV-001",
            "Sevilla Centro",
            "Calle Sierpes 1",
            "Sevilla",
            "+34 950 000 001",
        ),
    ]
    .into_iter()
    .map(|(code, name, address, city, phone)| Store {
        id: StoreId::parse(code).expect("a store code"),
        details: StoreDetails {
            name: StoreName::parse(name).expect("a name"),
            address: Some(Address::parse(address).expect("an address")),
            city: Some(City::parse(city).expect("a city")),
            country: Some(Country::parse("España").expect("a country")),
            phone: Some(Phone::parse(phone).expect("a phone")),
            email: Some(
                Email::parse(&format!("{}@tiendas.example", code.to_lowercase()))
                    .expect("an email"),
            ),
            active: true,
        },
        created_at: at,
        updated_at: at,
    })
    .collect()
}

impl InventoryStore for MemoryStore {
    fn write(&self, work: WriteWork) -> Result<(), InventoryError> {
        let _serialised = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let mut tx = MemoryTx {
            committed: self.snapshot(),
            appended: Vec::new(),
            moved: Vec::new(),
        };
        catch_unwind(AssertUnwindSafe(|| work(&mut tx)))
            .unwrap_or_else(|_| Err(InventoryError::internal("a write request panicked")))?;
        let MemoryTx {
            committed: Snapshot { state, .. },
            appended,
            moved,
        } = tx;
        let last = appended.last().map(|event| event.seq);
        {
            let mut committed = write(&self.committed);
            committed.state = state;
            Arc::make_mut(&mut committed.events).extend(appended);
            Arc::make_mut(&mut committed.movements).extend(moved);
        }
        if let Some(last) = last {
            for listener in read(&self.listeners).iter() {
                listener(last);
            }
        }
        Ok(())
    }

    fn read(&self, work: ReadWork) -> Result<(), InventoryError> {
        let tx = MemoryTx {
            committed: self.snapshot(),
            appended: Vec::new(),
            moved: Vec::new(),
        };
        catch_unwind(AssertUnwindSafe(|| work(&tx)))
            .unwrap_or_else(|_| Err(InventoryError::internal("a read panicked")))
    }

    fn on_commit(&self, listener: CommitListener) {
        write(&self.listeners).push(listener);
    }

    fn check_health(&self) -> Result<(), InventoryError> {
        Ok(())
    }
}

/// A transaction: the snapshot it started from (its state copied on its first change) and
/// the events it appended.
struct MemoryTx {
    committed: Snapshot,
    appended: Vec<RecordedEvent>,
    /// The movements of `appended`.
    moved: Vec<RecordedMovement>,
}

impl MemoryTx {
    fn state(&self) -> &State {
        &self.committed.state
    }

    /// Up to `limit` committed events after `after_seq` that `keep` keeps, in seq order.
    fn events_where(
        &self,
        after_seq: u64,
        limit: u32,
        keep: impl Fn(&RecordedEvent) -> bool,
    ) -> Vec<RecordedEvent> {
        self.committed
            .events
            .iter()
            .filter(|event| event.seq > after_seq && keep(event))
            .take(limit as usize)
            .cloned()
            .collect()
    }
}

fn page_of<T: Clone>(items: Vec<&T>, page: Page) -> (Vec<T>, u64) {
    let total = items.len() as u64;
    let start = usize::try_from(page.offset()).unwrap_or(usize::MAX);
    let taken = items
        .into_iter()
        .skip(start)
        .take(page.limit() as usize)
        .cloned()
        .collect();
    (taken, total)
}

impl ReadTx for MemoryTx {
    fn product(&self, id: ProductId) -> Result<Option<Product>, InventoryError> {
        Ok(self.state().products.get(&id).cloned())
    }

    fn product_by_sku(&self, sku: &Sku) -> Result<Option<Product>, InventoryError> {
        Ok(self
            .state()
            .products
            .values()
            .find(|p| &p.details.sku == sku)
            .cloned())
    }

    fn list_products(
        &self,
        filter: &ProductFilter,
        page: Page,
    ) -> Result<(Vec<Product>, u64), InventoryError> {
        let mut products: Vec<&Product> = self
            .state()
            .products
            .values()
            .filter(|p| filter.category.is_none() || p.details.category == filter.category)
            .filter(|p| filter.q.as_deref().is_none_or(|q| history::matches(p, q)))
            .collect();
        products.sort_by(|a, b| a.details.sku.cmp(&b.details.sku));
        Ok(page_of(products, page))
    }

    fn store(&self, id: &StoreId) -> Result<Option<Store>, InventoryError> {
        Ok(self.state().stores.get(id).cloned())
    }

    fn list_stores(&self, page: Page) -> Result<(Vec<Store>, u64), InventoryError> {
        Ok(page_of(self.state().stores.values().collect(), page))
    }

    fn stock(
        &self,
        product_id: ProductId,
        store_id: &StoreId,
    ) -> Result<Option<Stock>, InventoryError> {
        Ok(self
            .state()
            .stock
            .get(&(product_id, store_id.clone()))
            .cloned())
    }

    fn list_stock(
        &self,
        filter: &StockFilter,
        page: Page,
    ) -> Result<(Vec<Stock>, u64), InventoryError> {
        let stock = self
            .state()
            .stock
            .values()
            .filter(|s| filter.product_id.is_none_or(|p| p == s.product_id()))
            .filter(|s| filter.store_id.as_ref().is_none_or(|id| id == s.store_id()))
            .collect();
        Ok(page_of(stock, page))
    }

    fn stock_by_store(
        &self,
        product_id: ProductId,
        store_id: Option<&StoreId>,
    ) -> Result<Vec<StoreStock>, InventoryError> {
        let state = self.state();
        Ok(state
            .stores
            .values()
            .filter(|store| match store_id {
                Some(asked) => &store.id == asked,
                None => store.details.active,
            })
            .map(|store| {
                let stock = state.stock.get(&(product_id, store.id.clone()));
                StoreStock {
                    store_id: store.id.clone(),
                    store_name: store.details.name.clone(),
                    quantity: stock.map_or(0, Stock::quantity),
                    reserved: stock.map_or(0, Stock::reserved),
                    in_transit: state
                        .transfers
                        .values()
                        .filter(|t| {
                            t.product_id() == product_id
                                && t.to_store() == &store.id
                                && t.status() == TransferStatus::InTransit
                        })
                        .map(|t| t.quantity().get())
                        .sum(),
                }
            })
            .collect())
    }

    fn reservation(&self, id: ReservationId) -> Result<Option<Reservation>, InventoryError> {
        Ok(self.state().reservations.get(&id).cloned())
    }

    fn transfer(&self, id: TransferId) -> Result<Option<Transfer>, InventoryError> {
        Ok(self.state().transfers.get(&id).cloned())
    }

    fn list_transfers(
        &self,
        filter: &TransferFilter,
        page: Page,
    ) -> Result<(Vec<Transfer>, u64), InventoryError> {
        let matching: Vec<Transfer> = self
            .state()
            .transfers
            .values()
            .rev()
            .filter(|t| {
                filter
                    .store_id
                    .as_ref()
                    .is_none_or(|id| id == t.from_store() || id == t.to_store())
            })
            .filter(|t| filter.product_id.is_none_or(|id| id == t.product_id()))
            .filter(|t| filter.status.is_none_or(|status| status == t.status()))
            .cloned()
            .collect();
        let total = matching.len() as u64;
        let offset = usize::try_from(page.offset()).unwrap_or(usize::MAX);
        let items = matching
            .into_iter()
            .skip(offset)
            .take(page.limit() as usize)
            .collect();
        Ok((items, total))
    }

    fn cart(&self, id: CartId) -> Result<Option<Cart>, InventoryError> {
        let state = self.state();
        state
            .carts
            .get(&id)
            .map(|stored| state.cart(stored))
            .transpose()
    }

    fn list_reservations(
        &self,
        filter: &ReservationFilter,
        page: Page,
    ) -> Result<(Vec<Reservation>, u64), InventoryError> {
        let reservations = self
            .state()
            .reservations
            .values()
            .rev()
            .filter(|r| filter.store_id.as_ref().is_none_or(|id| id == r.store_id()))
            .filter(|r| {
                filter
                    .customer_id
                    .as_ref()
                    .is_none_or(|id| id == r.customer_id())
            })
            .filter(|r| filter.status.is_none_or(|status| status == r.status()))
            .collect();
        Ok(page_of(reservations, page))
    }

    fn next_expiry(&self) -> Result<Option<OffsetDateTime>, InventoryError> {
        Ok(self
            .state()
            .reservations
            .values()
            .filter(|r| r.status() == ReservationStatus::Pending)
            .map(Reservation::expires_at)
            .min())
    }

    fn customer_holds(
        &self,
        customer: &inventory_domain::CustomerId,
        product: ProductId,
    ) -> Result<inventory_domain::CustomerHolds, InventoryError> {
        // Writes are serialised by the store's lock: the answer stays true in a write.
        let mut holds = inventory_domain::CustomerHolds::default();
        for reservation in self
            .state()
            .reservations
            .values()
            .filter(|r| r.status() == ReservationStatus::Pending && r.customer_id() == customer)
        {
            let units = reservation.quantity().get();
            holds.overall.reservations += 1;
            holds.overall.units += units;
            if reservation.product_id() == product {
                holds.of_product.reservations += 1;
                holds.of_product.units += units;
            }
        }
        Ok(holds)
    }

    fn events_after(
        &self,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<RecordedEvent>, InventoryError> {
        Ok(self.events_where(after_seq, limit, |_| true))
    }

    fn store_events_after(
        &self,
        store: &StoreId,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<RecordedEvent>, InventoryError> {
        Ok(
            self.events_where(after_seq, limit, |event| match event.store_id.as_deref() {
                Some(own) => own == store.as_str(),
                None => event.aggregate_type == "product",
            }),
        )
    }

    fn last_event_seq(&self) -> Result<u64, InventoryError> {
        Ok(self.committed.events.last().map_or(0, |event| event.seq))
    }

    fn stored_response(
        &self,
        key: &IdempotencyKey,
    ) -> Result<Option<StoredResponse>, InventoryError> {
        // Writers are serialised: a repeat waits for the writer lock.
        Ok(self.state().responses.get(key).cloned())
    }

    fn list_movements(
        &self,
        filter: &MovementFilter,
        order: MovementOrder,
        cursor: Option<i64>,
        limit: u32,
    ) -> Result<Vec<RecordedMovement>, InventoryError> {
        Ok(self.movements(filter, order, cursor, limit))
    }

    fn low_stock_threshold(
        &self,
        product_id: ProductId,
        store_id: &StoreId,
    ) -> Result<Option<u32>, InventoryError> {
        Ok(self.threshold_of(product_id, store_id))
    }

    fn list_low_stock(
        &self,
        store_id: Option<&StoreId>,
        page: Page,
    ) -> Result<(Vec<LowStockEntry>, u64), InventoryError> {
        Ok(self.low_stock(store_id, page))
    }

    fn pending_units(
        &self,
        product_id: ProductId,
        store_id: &StoreId,
    ) -> Result<u64, InventoryError> {
        Ok(self.pending_units_of(product_id, store_id))
    }

    fn consistency(
        &self,
        overdue_before: OffsetDateTime,
    ) -> Result<ConsistencyFacts, InventoryError> {
        Ok(self.consistency_facts(overdue_before))
    }

    fn webhook(&self, id: WebhookId) -> Result<Option<Webhook>, InventoryError> {
        Ok(self.read_webhook(id))
    }

    fn list_webhooks(&self) -> Result<Vec<Webhook>, InventoryError> {
        Ok(self.read_webhooks())
    }

    fn webhook_deliveries(
        &self,
        id: WebhookId,
        page: Page,
    ) -> Result<(Vec<WebhookDelivery>, u64), InventoryError> {
        Ok(self.read_webhook_deliveries(id, page))
    }
}

impl WriteTx for MemoryTx {
    fn record(&mut self, event: &NewEvent) -> Result<(), InventoryError> {
        self.store_change(event.change())?;
        // Writers are serialised: the next seq is the one this event gets at commit.
        let seq = self
            .appended
            .last()
            .or(self.committed.events.last())
            .map_or(0, |e| e.seq)
            + 1;
        self.appended.push(event.recorded(seq));
        if let Some(movement) = event.movement() {
            self.moved.push(RecordedMovement {
                seq: i64::try_from(seq).unwrap_or(i64::MAX),
                movement: movement.clone(),
                actor: event.actor().map(str::to_owned),
                occurred_at: event.occurred_at(),
            });
        }
        Ok(())
    }

    fn set_low_stock_threshold(
        &mut self,
        scope: &ThresholdScope,
        threshold: Option<u32>,
        _set_by: Option<&str>,
        _now: OffsetDateTime,
    ) -> Result<(), InventoryError> {
        self.set_threshold(scope, threshold)
    }

    fn claim_due_reservations(
        &mut self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Reservation>, InventoryError> {
        let mut due: Vec<Reservation> = self
            .state()
            .reservations
            .values()
            .filter(|r| {
                r.status() == ReservationStatus::Pending
                    && r.expires_at() <= now
                    && r.cart_id().is_none()
            })
            .cloned()
            .collect();
        due.sort_by_key(|r| (r.expires_at(), r.id()));
        due.truncate(limit as usize);
        Ok(due)
    }

    fn claim_due_carts(
        &mut self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Cart>, InventoryError> {
        let state = self.state();
        let mut due: Vec<&Cart> = state
            .carts
            .values()
            .filter(|cart| cart.status() == ReservationStatus::Pending && cart.expires_at() <= now)
            .collect();
        due.sort_by_key(|cart| (cart.expires_at(), cart.id()));
        due.truncate(limit as usize);
        due.into_iter().map(|cart| state.cart(cart)).collect()
    }

    fn store_response(
        &mut self,
        key: &IdempotencyKey,
        response: &StoredResponse,
    ) -> Result<(), InventoryError> {
        let state = Arc::make_mut(&mut self.committed.state);
        if state.responses.contains_key(key) {
            return Err(InventoryError::internal(
                "an idempotency key was answered twice",
            ));
        }
        state.responses.insert(key.clone(), response.clone());
        Ok(())
    }

    fn purge_responses(
        &mut self,
        before: OffsetDateTime,
        limit: u32,
    ) -> Result<u32, InventoryError> {
        let state = Arc::make_mut(&mut self.committed.state);
        let mut old: Vec<(OffsetDateTime, IdempotencyKey)> = state
            .responses
            .iter()
            .filter(|(_, response)| response.created_at < before)
            .map(|(key, response)| (response.created_at, key.clone()))
            .collect();
        old.sort();
        old.truncate(limit as usize);
        for (_, key) in &old {
            state.responses.remove(key);
        }
        Ok(u32::try_from(old.len()).unwrap_or(u32::MAX))
    }

    fn create_webhook(&mut self, webhook: &Webhook) -> Result<(), InventoryError> {
        self.insert_webhook(webhook)
    }

    fn delete_webhook(&mut self, id: WebhookId) -> Result<bool, InventoryError> {
        Ok(self.remove_webhook(id))
    }

    fn move_webhook_cursor(
        &mut self,
        id: WebhookId,
        from: u64,
        to: u64,
    ) -> Result<bool, InventoryError> {
        Ok(self.set_webhook_cursor(id, from, to))
    }

    fn log_webhook_delivery(&mut self, delivery: &WebhookDelivery) -> Result<(), InventoryError> {
        self.insert_webhook_delivery(delivery)
    }
}

impl MemoryTx {
    fn store_change(&mut self, change: &DomainEvent) -> Result<(), InventoryError> {
        let state = Arc::make_mut(&mut self.committed.state);
        match change {
            DomainEvent::ProductCreated(product) | DomainEvent::ProductUpdated(product) => {
                let exists = state.products.contains_key(&product.id);
                if matches!(change, DomainEvent::ProductUpdated(_)) && !exists {
                    return Err(InventoryError::ProductNotFound(product.id));
                }
                let taken = state.products.values().any(|other| {
                    other.id != product.id && other.details.sku == product.details.sku
                });
                if taken || (matches!(change, DomainEvent::ProductCreated(_)) && exists) {
                    return Err(InventoryError::DuplicateSku(product.details.sku.clone()));
                }
                state.products.insert(product.id, product.clone());
            }
            DomainEvent::ProductDeleted(product) => {
                if state.products.remove(&product.id).is_none() {
                    return Err(InventoryError::ProductNotFound(product.id));
                }
                state.stock.retain(|(id, _), _| *id != product.id);
                state
                    .reservations
                    .retain(|_, r| r.product_id() != product.id);
                state.transfers.retain(|_, t| t.product_id() != product.id);
                state.thresholds.retain(|(id, _), _| *id != product.id);
            }
            DomainEvent::StoreCreated(store) => {
                if state.stores.contains_key(&store.id) {
                    return Err(InventoryError::DuplicateStore(store.id.clone()));
                }
                state.stores.insert(store.id.clone(), store.clone());
            }
            DomainEvent::StoreUpdated(store) => {
                if !state.stores.contains_key(&store.id) {
                    return Err(InventoryError::StoreNotFound(store.id.clone()));
                }
                state.stores.insert(store.id.clone(), store.clone());
            }
            DomainEvent::StockCreated { stock, .. } => {
                if !state.products.contains_key(&stock.product_id()) {
                    return Err(InventoryError::ProductNotFound(stock.product_id()));
                }
                if !state.stores.contains_key(stock.store_id()) {
                    return Err(InventoryError::StoreNotFound(stock.store_id().clone()));
                }
                let key = (stock.product_id(), stock.store_id().clone());
                if stock.version() != 1 || state.stock.contains_key(&key) {
                    return Err(InventoryError::internal(format!(
                        "stock of {} in {} cannot be created at version {}",
                        key.0,
                        key.1,
                        stock.version()
                    )));
                }
                state.stock.insert(key, stock.clone());
            }
            DomainEvent::StockUpdated { stock, .. } => Self::update_stock(state, stock)?,
            DomainEvent::StockLow(_) | DomainEvent::StockReplenished(_) => {}
            DomainEvent::ReservationCreated { reservation, stock } => {
                Self::update_stock(state, stock)?;
                if state.reservations.contains_key(&reservation.id()) {
                    return Err(InventoryError::internal(format!(
                        "reservation {} already exists",
                        reservation.id()
                    )));
                }
                state
                    .reservations
                    .insert(reservation.id(), reservation.clone());
            }
            DomainEvent::ReservationConfirmed { reservation, stock }
            | DomainEvent::ReservationCancelled { reservation, stock }
            | DomainEvent::ReservationExpired { reservation, stock }
            | DomainEvent::ReservationExtended { reservation, stock } => {
                // An extension carries its stock unchanged; the others moved it.
                if !matches!(change, DomainEvent::ReservationExtended { .. }) {
                    Self::update_stock(state, stock)?;
                }
                replace_open(
                    &mut state.reservations,
                    reservation.id(),
                    reservation,
                    |stored| stored.status() == ReservationStatus::Pending,
                    || format!("reservation {} is not PENDING", reservation.id()),
                )?;
            }
            DomainEvent::TransferCompleted(transfer) | DomainEvent::TransferShipped(transfer) => {
                if state.transfers.contains_key(&transfer.id()) {
                    return Err(InventoryError::internal("a transfer was recorded twice"));
                }
                state.transfers.insert(transfer.id(), transfer.clone());
            }
            DomainEvent::TransferReceived(transfer) | DomainEvent::TransferCancelled(transfer) => {
                replace_open(
                    &mut state.transfers,
                    transfer.id(),
                    transfer,
                    |stored| stored.status() == TransferStatus::InTransit,
                    || format!("transfer {} is not IN_TRANSIT", transfer.id()),
                )?;
            }
            DomainEvent::CartCreated(cart) => {
                if state.carts.contains_key(&cart.id()) {
                    return Err(InventoryError::internal(format!(
                        "cart {} already exists",
                        cart.id()
                    )));
                }
                state.carts.insert(cart.id(), cart.clone());
            }
            DomainEvent::CartConfirmed(cart)
            | DomainEvent::CartCancelled(cart)
            | DomainEvent::CartExpired(cart) => {
                replace_open(
                    &mut state.carts,
                    cart.id(),
                    cart,
                    |stored| stored.status() == ReservationStatus::Pending,
                    || format!("cart {} is not PENDING", cart.id()),
                )?;
            }
        }
        Ok(())
    }

    fn update_stock(state: &mut State, stock: &Stock) -> Result<(), InventoryError> {
        let key = (stock.product_id(), stock.store_id().clone());
        match state.stock.get(&key) {
            Some(stored) if stored.version() + 1 == stock.version() => {
                state.stock.insert(key, stock.clone());
                Ok(())
            }
            _ => Err(InventoryError::internal(format!(
                "the stock of {} in {} is not at version {}",
                key.0,
                key.1,
                stock.version().saturating_sub(1)
            ))),
        }
    }
}
