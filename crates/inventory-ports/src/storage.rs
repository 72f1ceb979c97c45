//! The storage port: a unit of work over products, stores, stock, reservations and the outbox.
//!
//! A use case hands the store a closure; the store runs it inside one transaction and commits
//! the closure's changes and their outbox events together, or none of them. The closure
//! cannot `.await`, so no transaction (and no database lock) is held across an await point.
//!
//! ## The contract every adapter keeps
//!
//! The `# Errors` sections below say what each method returns when. Across all of them:
//!
//! - [`InventoryError::Unavailable`] means **retry**: the database is busy, locked by another
//!   process past the timeout, unreachable, or the store is closing. Nothing was kept, with
//!   one exception an adapter must say in its message: a connection lost during the commit
//!   itself leaves the outcome unknown, and a retry may find the change made. When its
//!   [`crate::Failure::is_transient`] is true (a deadlock, a serialization failure, a row
//!   another instance holds) nothing was kept and the same work may succeed if run again at
//!   once, and the use cases do so.
//! - A conflict variant ([`InventoryError::DuplicateSku`], [`InventoryError::DuplicateStore`])
//!   or a not-found variant is the **caller's** to report: the request cannot succeed as is.
//! - [`InventoryError::Internal`] is a **bug** or corrupt data: a stored row the domain
//!   refuses, a lost update, a second resolution of a reservation. Nothing was kept.
//!
//! The adapter-independent suite in `inventory-testkit` (`storage_contract_tests!`) checks
//! every promise here, for every adapter.

use std::sync::{Arc, Mutex};

use inventory_domain::{
    Cart, CartId, CustomerHolds, CustomerId, Product, ProductId, Reservation, ReservationId, Sku,
    Stock, Store, StoreId, StoreName, ThresholdScope, Transfer, TransferId,
};
use time::OffsetDateTime;

use crate::{
    ConsistencyFacts, IdempotencyKey, InventoryError, MovementFilter, MovementOrder, NewEvent,
    Page, ProductFilter, RecordedEvent, RecordedMovement, ReservationFilter, StockFilter,
    StoredResponse, TransferFilter, Webhook, WebhookDelivery, WebhookId,
};

/// Work done in a write transaction.
pub type WriteWork = Box<dyn FnOnce(&mut dyn WriteTx) -> Result<(), InventoryError> + Send>;

/// Work done in a read transaction (a consistent snapshot).
pub type ReadWork = Box<dyn FnOnce(&dyn ReadTx) -> Result<(), InventoryError> + Send>;

/// Called after every commit that wrote events, with the highest sequence number committed,
/// before the writers of that commit get their answer. Runs on the committing thread: it must
/// only signal someone (wake a relay), never block.
pub type CommitListener = Arc<dyn Fn(u64) + Send + Sync>;

/// The storage of the inventory.
///
/// Calls block the calling thread until the database answers; async callers run them on a
/// blocking pool.
pub trait InventoryStore: Send + Sync {
    /// Runs `work` in one write transaction and commits it durably before returning: when
    /// this returns `Ok`, the change survives a crash (and, with the default settings, a power
    /// cut).
    ///
    /// Isolation: every row `work` reads stays as read until it commits (no other writer, in
    /// this process or another, changes it in between), and `work` sees every transaction
    /// committed before it started.
    ///
    /// # Errors
    /// - the error `work` returned, unchanged; nothing `work` wrote is kept;
    /// - [`InventoryError::Unavailable`]: the database stayed locked or unreachable past the
    ///   timeout, or the store is closing. Nothing was kept; retry;
    /// - [`InventoryError::Internal`]: `work` panicked, or the commit failed (disk full, I/O
    ///   error). Nothing of `work` was kept.
    fn write(&self, work: WriteWork) -> Result<(), InventoryError>;

    /// Runs `work` on a consistent snapshot of committed data.
    ///
    /// # Errors
    /// The error `work` returned; [`InventoryError::Unavailable`] when no connection could be
    /// had in time; [`InventoryError::Internal`] when `work` panicked.
    fn read(&self, work: ReadWork) -> Result<(), InventoryError>;

    /// Registers `listener` to be told about every commit that wrote events, before the
    /// writers of that commit get their answer.
    fn on_commit(&self, listener: CommitListener);

    /// Checks that the database answers, for reads and for writes.
    ///
    /// # Errors
    /// [`InventoryError::Unavailable`] when it does not.
    fn check_health(&self) -> Result<(), InventoryError>;

    /// Closes the store now, whoever still holds it: queued writes finish, connections close.
    /// Later calls fail as [`InventoryError::Unavailable`]. Dropping the store does the same;
    /// this is for when handles may still be held elsewhere. Stores with nothing to close
    /// keep the default, which does nothing.
    fn close(&self) {}
}

/// Reads, inside a read or a write transaction.
///
/// Every method may also fail with [`InventoryError::Unavailable`] (retry) or
/// [`InventoryError::Internal`] (a stored row the domain refuses); the sections below name
/// only the others.
pub trait ReadTx {
    /// The product with this id, if any.
    ///
    /// # Errors
    /// Storage failures only.
    fn product(&self, id: ProductId) -> Result<Option<Product>, InventoryError>;

    /// The product with this SKU, if any.
    ///
    /// # Errors
    /// Storage failures only.
    fn product_by_sku(&self, sku: &Sku) -> Result<Option<Product>, InventoryError>;

    /// A page of the products matching `filter`, ordered by SKU, and how many match.
    ///
    /// # Errors
    /// Storage failures only.
    fn list_products(
        &self,
        filter: &ProductFilter,
        page: Page,
    ) -> Result<(Vec<Product>, u64), InventoryError>;

    /// The store with this code, if any.
    ///
    /// # Errors
    /// Storage failures only.
    fn store(&self, id: &StoreId) -> Result<Option<Store>, InventoryError>;

    /// A page of stores ordered by code, and how many there are.
    ///
    /// # Errors
    /// Storage failures only.
    fn list_stores(&self, page: Page) -> Result<(Vec<Store>, u64), InventoryError>;

    /// The stock of a product in a store, if the pair has a record.
    ///
    /// # Errors
    /// Storage failures only.
    fn stock(
        &self,
        product_id: ProductId,
        store_id: &StoreId,
    ) -> Result<Option<Stock>, InventoryError>;

    /// A page of the stock records matching `filter`, ordered by product then store, and how
    /// many match.
    ///
    /// # Errors
    /// Storage failures only.
    fn list_stock(
        &self,
        filter: &StockFilter,
        page: Page,
    ) -> Result<(Vec<Stock>, u64), InventoryError>;

    /// A product's stock in every active store (or only in `store_id`, active or not),
    /// ordered by store code, with zeros where the product has no stock record: the
    /// availability of the design document's flow 1, the hottest read, in one query.
    ///
    /// # Errors
    /// Storage failures only.
    fn stock_by_store(
        &self,
        product_id: ProductId,
        store_id: Option<&StoreId>,
    ) -> Result<Vec<StoreStock>, InventoryError>;

    /// The reservation with this id, if any.
    ///
    /// # Errors
    /// Storage failures only.
    fn reservation(&self, id: ReservationId) -> Result<Option<Reservation>, InventoryError>;

    /// The cart with this id, with its lines in (product, store) order, if any. In a write
    /// transaction the cart and its lines stay as read until the commit.
    ///
    /// # Errors
    /// Storage failures only.
    fn cart(&self, id: CartId) -> Result<Option<Cart>, InventoryError>;

    /// The transfer with this id, if any. In a write transaction it stays as read until the
    /// commit.
    ///
    /// # Errors
    /// Storage failures only.
    fn transfer(&self, id: TransferId) -> Result<Option<Transfer>, InventoryError>;

    /// A page of the transfers matching `filter`, newest first (by id, which is
    /// time-ordered), and how many match.
    ///
    /// # Errors
    /// Storage failures only.
    fn list_transfers(
        &self,
        filter: &TransferFilter,
        page: Page,
    ) -> Result<(Vec<Transfer>, u64), InventoryError>;

    /// A page of the reservations matching `filter`, newest first (by id, which is
    /// time-ordered), and how many match.
    ///
    /// # Errors
    /// Storage failures only.
    fn list_reservations(
        &self,
        filter: &ReservationFilter,
        page: Page,
    ) -> Result<(Vec<Reservation>, u64), InventoryError>;

    /// The earliest `expires_at` among PENDING reservations, if any: when the expiry worker
    /// should look next.
    ///
    /// # Errors
    /// Storage failures only.
    fn next_expiry(&self) -> Result<Option<OffsetDateTime>, InventoryError>;

    /// What `customer` holds: its PENDING reservations and their units, of `product` (in
    /// every store) and of everything.
    ///
    /// In a write transaction the answer stays true until the commit: a transaction asking
    /// for the same customer's holds meanwhile waits for this one to end (or fails as
    /// transient), so two concurrent reservations of one customer cannot both pass a limit
    /// that only one fits.
    ///
    /// # Errors
    /// Storage failures only.
    fn customer_holds(
        &self,
        customer: &CustomerId,
        product: ProductId,
    ) -> Result<CustomerHolds, InventoryError>;

    /// Up to `limit` outbox events with `seq > after_seq`, in sequence order.
    ///
    /// Never skips: an event this returns is never followed, in a later call, by an event
    /// with a lower seq. (A reader that remembers the last seq it saw therefore sees every
    /// event once, even while writers commit; an adapter whose sequence numbers are handed out
    /// before commit must hold back events above any transaction still in flight.)
    ///
    /// # Errors
    /// Storage failures only.
    fn events_after(
        &self,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<RecordedEvent>, InventoryError>;

    /// As [`ReadTx::events_after`], only the events of `store` and the catalogue's (product
    /// events; carts and transfers, which span stores and name none, are left out: each store
    /// follows them through its own stock and reservation events): what one store's staff
    /// may read, found without reading the others'.
    ///
    /// # Errors
    /// Storage failures only.
    fn store_events_after(
        &self,
        store: &StoreId,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<RecordedEvent>, InventoryError>;

    /// The highest sequence number committed (0 for an empty log): what
    /// [`ReadTx::events_after`] can return at most. Inside a write transaction, whether its
    /// own events count yet is the adapter's business; no use case asks.
    ///
    /// # Errors
    /// Storage failures only.
    fn last_event_seq(&self) -> Result<u64, InventoryError>;

    /// The answer stored for `key`, if any.
    ///
    /// In a write transaction the answer stays true until the commit: a transaction asking
    /// for the same key meanwhile waits for this one to end (or fails as transient), so a
    /// request and its repeat cannot both find no answer and both run.
    ///
    /// # Errors
    /// Storage failures only.
    fn stored_response(
        &self,
        key: &IdempotencyKey,
    ) -> Result<Option<StoredResponse>, InventoryError>;

    /// Up to `limit` movements matching `filter`, in `order`, strictly past `cursor` (a seq)
    /// in that direction.
    ///
    /// # Errors
    /// Storage failures only.
    fn list_movements(
        &self,
        filter: &MovementFilter,
        order: MovementOrder,
        cursor: Option<i64>,
        limit: u32,
    ) -> Result<Vec<RecordedMovement>, InventoryError>;

    /// The low-stock threshold in force for a pair: its own, else its product's default.
    ///
    /// # Errors
    /// Storage failures only.
    fn low_stock_threshold(
        &self,
        product_id: ProductId,
        store_id: &StoreId,
    ) -> Result<Option<u32>, InventoryError>;

    /// A page of the pairs at or below their threshold (in `store_id` only, when given),
    /// ordered by store, then product, and how many there are.
    ///
    /// # Errors
    /// Storage failures only.
    fn list_low_stock(
        &self,
        store_id: Option<&StoreId>,
        page: Page,
    ) -> Result<(Vec<LowStockEntry>, u64), InventoryError>;

    /// The units a pair's pending reservations hold (what its `reserved` must be).
    ///
    /// # Errors
    /// Storage failures only.
    fn pending_units(
        &self,
        product_id: ProductId,
        store_id: &StoreId,
    ) -> Result<u64, InventoryError>;

    /// The facts the reconciliation check compares, from this snapshot; `overdue` lists
    /// pending reservations due before `overdue_before`.
    ///
    /// # Errors
    /// Storage failures only.
    fn consistency(
        &self,
        overdue_before: OffsetDateTime,
    ) -> Result<ConsistencyFacts, InventoryError>;

    /// The webhook endpoint with this id, if any.
    ///
    /// # Errors
    /// Storage failures only.
    fn webhook(&self, id: WebhookId) -> Result<Option<Webhook>, InventoryError>;

    /// Every webhook endpoint, oldest first (by id, which is time-ordered). Endpoints are few
    /// (an admin registers each), so this is not paged.
    ///
    /// # Errors
    /// Storage failures only.
    fn list_webhooks(&self) -> Result<Vec<Webhook>, InventoryError>;

    /// A page of an endpoint's delivery log, newest first, and how many lines it has.
    ///
    /// # Errors
    /// Storage failures only (an unknown endpoint has an empty log).
    fn webhook_deliveries(
        &self,
        id: WebhookId,
        page: Page,
    ) -> Result<(Vec<WebhookDelivery>, u64), InventoryError>;
}

/// One line of [`ReadTx::list_low_stock`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowStockEntry {
    /// The pair's stock.
    pub stock: Stock,
    /// The threshold in force.
    pub threshold: u32,
}

/// One store's line of [`ReadTx::stock_by_store`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreStock {
    /// The store.
    pub store_id: StoreId,
    /// Its name.
    pub store_name: StoreName,
    /// Units in the store (0 without a stock record).
    pub quantity: u32,
    /// Units held by pending reservations.
    pub reserved: u32,
    /// Units of shipped transfers on their way to this store (in no store's quantity yet).
    pub in_transit: u32,
}

/// Writes, inside a write transaction. Reads see the transaction's own state changes; its
/// outbox rows are certain to be readable once it commits.
///
/// There is one way to change state: [`WriteTx::record`] a domain event. The event carries the
/// state after the change, and the adapter stores that state and the event's outbox row in the
/// same transaction, so a change can never be stored without its event.
pub trait WriteTx: ReadTx {
    /// Stores the state `event.change` carries and appends `event` to the outbox. The event
    /// gets its sequence number when the transaction commits: higher than every seq committed
    /// before it, and lower than every seq committed after (seq order is commit order, with no
    /// gaps).
    ///
    /// What each change stores:
    ///
    /// | change | state written |
    /// |---|---|
    /// | `ProductCreated` / `ProductUpdated` | insert / update the product |
    /// | `ProductDeleted` | delete the product with its stock and reservations (events stay) |
    /// | `StoreCreated` / `StoreUpdated` | insert / update the store |
    /// | `StockCreated` | insert the pair's stock record (version 1) |
    /// | `StockUpdated` | update the stock record, which must be at `version - 1` |
    /// | `ReservationCreated` | update the stock as above, insert the reservation |
    /// | `ReservationConfirmed` / `Cancelled` / `Expired` | update the stock as above, update the reservation, which must be PENDING |
    /// | `CartCreated` | insert the cart (its lines are the `ReservationCreated` recorded with it, carrying its id) |
    /// | `CartConfirmed` / `Cancelled` / `Expired` | update the cart, which must be PENDING (its lines are recorded as reservation changes) |
    /// | `TransferCompleted` / `TransferShipped` | insert the transfer (the stock it moved is recorded as stock changes) |
    /// | `TransferReceived` / `TransferCancelled` | update the transfer, which must be IN_TRANSIT |
    ///
    /// # Errors
    /// - [`InventoryError::DuplicateSku`]: a product's SKU belongs to another product;
    /// - [`InventoryError::DuplicateStore`]: a created store's code is taken;
    /// - [`InventoryError::ProductNotFound`] / [`InventoryError::StoreNotFound`]: an updated
    ///   or deleted product or store does not exist, or either end of a created stock record;
    /// - [`InventoryError::Internal`]: the stored stock is not at `version - 1` (a lost update,
    ///   which the isolation of [`InventoryStore::write`] rules out), the stock record does not
    ///   exist, the reservation or cart is not PENDING or the transfer not IN_TRANSIT (each
    ///   resolves once), or a row would
    ///   break the database's `0 <= reserved <= quantity` checks;
    /// - a created stock record that already exists: a transient
    ///   [`InventoryError::Unavailable`] where another process may have created it after this
    ///   transaction looked (the change, run again, finds it), [`InventoryError::Internal`]
    ///   where nobody else writes (a single-writer adapter).
    fn record(&mut self, event: &NewEvent) -> Result<(), InventoryError>;

    /// Up to `limit` PENDING reservations of no cart whose `expires_at` is at or before `now`,
    /// earliest deadline first (ties by id), claimed for this transaction: a transaction
    /// running at the same time in another process claims other ones, so each is expired once.
    ///
    /// # Errors
    /// Storage failures only.
    fn claim_due_reservations(
        &mut self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Reservation>, InventoryError>;

    /// Up to `limit` PENDING carts whose `expires_at` is at or before `now`, earliest first
    /// (ties by id), with their lines, claimed for this transaction as
    /// [`WriteTx::claim_due_reservations`] claims reservations (which never returns a cart's
    /// lines: they expire with their cart).
    ///
    /// # Errors
    /// Storage failures only.
    fn claim_due_carts(
        &mut self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Cart>, InventoryError>;

    /// Stores the answer to the request that carried `key`, with the transaction's changes.
    /// This is request bookkeeping, not inventory state: it has no event.
    ///
    /// # Errors
    /// [`InventoryError::Internal`] when `key` already has an answer (the lock
    /// [`ReadTx::stored_response`] takes rules that out).
    fn store_response(
        &mut self,
        key: &IdempotencyKey,
        response: &StoredResponse,
    ) -> Result<(), InventoryError>;

    /// Forgets up to `limit` stored answers created before `before`; returns how many.
    ///
    /// # Errors
    /// Storage failures only.
    fn purge_responses(
        &mut self,
        before: OffsetDateTime,
        limit: u32,
    ) -> Result<u32, InventoryError>;

    /// Sets (or with `None` removes) the low-stock threshold of `scope`, recording who set
    /// it. Configuration, not stock: the alerts it raises are recorded by the caller.
    ///
    /// # Errors
    /// [`InventoryError::ProductNotFound`] / [`InventoryError::StoreNotFound`] when the
    /// scope names a product or store that does not exist.
    fn set_low_stock_threshold(
        &mut self,
        scope: &ThresholdScope,
        threshold: Option<u32>,
        set_by: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(), InventoryError>;
    /// Registers a webhook endpoint. Configuration, not inventory state: no event.
    ///
    /// # Errors
    /// [`InventoryError::Internal`] when the id is taken.
    fn create_webhook(&mut self, webhook: &Webhook) -> Result<(), InventoryError>;

    /// Removes an endpoint and its delivery log; false when there was none.
    ///
    /// # Errors
    /// Storage failures only.
    fn delete_webhook(&mut self, id: WebhookId) -> Result<bool, InventoryError>;

    /// Moves an endpoint's cursor from `from` to `to`, only if it is still at `from` (a replay
    /// or a deletion meanwhile wins over the worker); true when it moved.
    ///
    /// # Errors
    /// Storage failures only.
    fn move_webhook_cursor(
        &mut self,
        id: WebhookId,
        from: u64,
        to: u64,
    ) -> Result<bool, InventoryError>;

    /// Appends a line to an endpoint's delivery log.
    ///
    /// # Errors
    /// Storage failures only.
    fn log_webhook_delivery(&mut self, delivery: &WebhookDelivery) -> Result<(), InventoryError>;
}

/// Typed helpers over the object-safe [`InventoryStore`] methods.
pub trait InventoryStoreExt {
    /// Runs `work` in a write transaction and returns its value once committed.
    ///
    /// # Errors
    /// As [`InventoryStore::write`].
    fn write_with<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut dyn WriteTx) -> Result<T, InventoryError> + Send + 'static,
    ) -> Result<T, InventoryError>;

    /// Runs `work` on a snapshot and returns its value.
    ///
    /// # Errors
    /// As [`InventoryStore::read`].
    fn read_with<T: Send + 'static>(
        &self,
        work: impl FnOnce(&dyn ReadTx) -> Result<T, InventoryError> + Send + 'static,
    ) -> Result<T, InventoryError>;
}

impl<S: InventoryStore + ?Sized> InventoryStoreExt for S {
    fn write_with<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut dyn WriteTx) -> Result<T, InventoryError> + Send + 'static,
    ) -> Result<T, InventoryError> {
        let slot = Arc::new(Mutex::new(None));
        let filled = Arc::clone(&slot);
        self.write(Box::new(move |tx| {
            let value = work(tx)?;
            *filled.lock().unwrap_or_else(|p| p.into_inner()) = Some(value);
            Ok(())
        }))?;
        take(&slot)
    }

    fn read_with<T: Send + 'static>(
        &self,
        work: impl FnOnce(&dyn ReadTx) -> Result<T, InventoryError> + Send + 'static,
    ) -> Result<T, InventoryError> {
        let slot = Arc::new(Mutex::new(None));
        let filled = Arc::clone(&slot);
        self.read(Box::new(move |tx| {
            let value = work(tx)?;
            *filled.lock().unwrap_or_else(|p| p.into_inner()) = Some(value);
            Ok(())
        }))?;
        take(&slot)
    }
}

fn take<T>(slot: &Mutex<Option<T>>) -> Result<T, InventoryError> {
    slot.lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
        .ok_or_else(|| {
            InventoryError::internal("the store reported success without running the work")
        })
}
