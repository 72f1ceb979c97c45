//! A store wrapper that makes one `record` call fail, after the calls before it in the same
//! transaction succeeded: a transaction that fails half-way, for any adapter.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use inventory_domain::{
    Product, ProductId, Reservation, ReservationId, Sku, Stock, Store, StoreId,
};
use inventory_ports::{
    CommitListener, ConsistencyFacts, IdempotencyKey, InventoryError, InventoryStore,
    LowStockEntry, MovementFilter, MovementOrder, NewEvent, Page, ProductFilter, ReadTx, ReadWork,
    RecordedEvent, RecordedMovement, ReservationFilter, StockFilter, StoreStock, StoredResponse,
    Webhook, WebhookDelivery, WebhookId, WriteTx, WriteWork,
};
use time::OffsetDateTime;

/// Fails [`WriteTx::record`] calls it sees (counting from 1 over every transaction) with an
/// injected error; everything else goes to the store it wraps.
pub struct FaultyStore {
    inner: Arc<dyn InventoryStore>,
    faults: Arc<Faults>,
}

struct Faults {
    /// Counts records down to the first that fails.
    until_failure: AtomicI64,
    /// How many records fail from there.
    failures: AtomicI64,
    error: InventoryError,
}

impl FaultyStore {
    /// Wraps `inner`; the `n`-th record fails with [`FaultyStore::injected`].
    pub fn failing_record(inner: Arc<dyn InventoryStore>, n: i64) -> Self {
        Self::failing_records(inner, n, 1, Self::injected())
    }

    /// Wraps `inner`; `times` records from the `n`-th on fail with `error`.
    pub fn failing_records(
        inner: Arc<dyn InventoryStore>,
        n: i64,
        times: i64,
        error: InventoryError,
    ) -> Self {
        Self {
            inner,
            faults: Arc::new(Faults {
                until_failure: AtomicI64::new(n),
                failures: AtomicI64::new(times),
                error,
            }),
        }
    }

    /// The error the failing record returns.
    pub fn injected() -> InventoryError {
        InventoryError::unavailable("injected: the disk went away")
    }
}

impl InventoryStore for FaultyStore {
    fn write(&self, work: WriteWork) -> Result<(), InventoryError> {
        let faults = Arc::clone(&self.faults);
        self.inner.write(Box::new(move |tx| {
            work(&mut FaultyTx {
                inner: tx,
                faults: &faults,
            })
        }))
    }

    fn read(&self, work: ReadWork) -> Result<(), InventoryError> {
        self.inner.read(work)
    }

    fn on_commit(&self, listener: CommitListener) {
        self.inner.on_commit(listener);
    }

    fn check_health(&self) -> Result<(), InventoryError> {
        self.inner.check_health()
    }
}

struct FaultyTx<'a> {
    inner: &'a mut dyn WriteTx,
    faults: &'a Faults,
}

impl ReadTx for FaultyTx<'_> {
    fn product(&self, id: ProductId) -> Result<Option<Product>, InventoryError> {
        self.inner.product(id)
    }
    fn product_by_sku(&self, sku: &Sku) -> Result<Option<Product>, InventoryError> {
        self.inner.product_by_sku(sku)
    }
    fn list_products(
        &self,
        filter: &ProductFilter,
        page: Page,
    ) -> Result<(Vec<Product>, u64), InventoryError> {
        self.inner.list_products(filter, page)
    }
    fn store(&self, id: &StoreId) -> Result<Option<Store>, InventoryError> {
        self.inner.store(id)
    }
    fn list_stores(&self, page: Page) -> Result<(Vec<Store>, u64), InventoryError> {
        self.inner.list_stores(page)
    }
    fn stock(
        &self,
        product_id: ProductId,
        store_id: &StoreId,
    ) -> Result<Option<Stock>, InventoryError> {
        self.inner.stock(product_id, store_id)
    }
    fn list_stock(
        &self,
        filter: &StockFilter,
        page: Page,
    ) -> Result<(Vec<Stock>, u64), InventoryError> {
        self.inner.list_stock(filter, page)
    }
    fn stock_by_store(
        &self,
        product_id: ProductId,
        store_id: Option<&StoreId>,
    ) -> Result<Vec<StoreStock>, InventoryError> {
        self.inner.stock_by_store(product_id, store_id)
    }
    fn reservation(&self, id: ReservationId) -> Result<Option<Reservation>, InventoryError> {
        self.inner.reservation(id)
    }
    fn transfer(
        &self,
        id: inventory_domain::TransferId,
    ) -> Result<Option<inventory_domain::Transfer>, InventoryError> {
        self.inner.transfer(id)
    }
    fn list_transfers(
        &self,
        filter: &inventory_ports::TransferFilter,
        page: Page,
    ) -> Result<(Vec<inventory_domain::Transfer>, u64), InventoryError> {
        self.inner.list_transfers(filter, page)
    }
    fn cart(
        &self,
        id: inventory_domain::CartId,
    ) -> Result<Option<inventory_domain::Cart>, InventoryError> {
        self.inner.cart(id)
    }
    fn list_reservations(
        &self,
        filter: &ReservationFilter,
        page: Page,
    ) -> Result<(Vec<Reservation>, u64), InventoryError> {
        self.inner.list_reservations(filter, page)
    }
    fn next_expiry(&self) -> Result<Option<OffsetDateTime>, InventoryError> {
        self.inner.next_expiry()
    }
    fn customer_holds(
        &self,
        customer: &inventory_domain::CustomerId,
        product: ProductId,
    ) -> Result<inventory_domain::CustomerHolds, InventoryError> {
        self.inner.customer_holds(customer, product)
    }
    fn events_after(
        &self,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<RecordedEvent>, InventoryError> {
        self.inner.events_after(after_seq, limit)
    }
    fn store_events_after(
        &self,
        store: &StoreId,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<RecordedEvent>, InventoryError> {
        self.inner.store_events_after(store, after_seq, limit)
    }
    fn last_event_seq(&self) -> Result<u64, InventoryError> {
        self.inner.last_event_seq()
    }
    fn stored_response(
        &self,
        key: &IdempotencyKey,
    ) -> Result<Option<StoredResponse>, InventoryError> {
        self.inner.stored_response(key)
    }
    fn list_movements(
        &self,
        filter: &MovementFilter,
        order: MovementOrder,
        cursor: Option<i64>,
        limit: u32,
    ) -> Result<Vec<RecordedMovement>, InventoryError> {
        self.inner.list_movements(filter, order, cursor, limit)
    }
    fn low_stock_threshold(
        &self,
        product_id: ProductId,
        store_id: &StoreId,
    ) -> Result<Option<u32>, InventoryError> {
        self.inner.low_stock_threshold(product_id, store_id)
    }
    fn list_low_stock(
        &self,
        store_id: Option<&StoreId>,
        page: Page,
    ) -> Result<(Vec<LowStockEntry>, u64), InventoryError> {
        self.inner.list_low_stock(store_id, page)
    }
    fn pending_units(
        &self,
        product_id: ProductId,
        store_id: &StoreId,
    ) -> Result<u64, InventoryError> {
        self.inner.pending_units(product_id, store_id)
    }
    fn consistency(
        &self,
        overdue_before: OffsetDateTime,
    ) -> Result<ConsistencyFacts, InventoryError> {
        self.inner.consistency(overdue_before)
    }

    fn webhook(&self, id: WebhookId) -> Result<Option<Webhook>, InventoryError> {
        self.inner.webhook(id)
    }

    fn list_webhooks(&self) -> Result<Vec<Webhook>, InventoryError> {
        self.inner.list_webhooks()
    }

    fn webhook_deliveries(
        &self,
        id: WebhookId,
        page: Page,
    ) -> Result<(Vec<WebhookDelivery>, u64), InventoryError> {
        self.inner.webhook_deliveries(id, page)
    }
}

impl WriteTx for FaultyTx<'_> {
    fn record(&mut self, event: &NewEvent) -> Result<(), InventoryError> {
        let faults = self.faults;
        if faults.until_failure.fetch_sub(1, Ordering::SeqCst) <= 1
            && faults.failures.fetch_sub(1, Ordering::SeqCst) >= 1
        {
            return Err(faults.error.clone());
        }
        self.inner.record(event)
    }

    fn claim_due_reservations(
        &mut self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Reservation>, InventoryError> {
        self.inner.claim_due_reservations(now, limit)
    }

    fn claim_due_carts(
        &mut self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<inventory_domain::Cart>, InventoryError> {
        self.inner.claim_due_carts(now, limit)
    }

    fn store_response(
        &mut self,
        key: &IdempotencyKey,
        response: &StoredResponse,
    ) -> Result<(), InventoryError> {
        self.inner.store_response(key, response)
    }

    fn purge_responses(
        &mut self,
        before: OffsetDateTime,
        limit: u32,
    ) -> Result<u32, InventoryError> {
        self.inner.purge_responses(before, limit)
    }
    fn set_low_stock_threshold(
        &mut self,
        scope: &inventory_domain::ThresholdScope,
        threshold: Option<u32>,
        set_by: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(), InventoryError> {
        self.inner
            .set_low_stock_threshold(scope, threshold, set_by, now)
    }

    fn create_webhook(&mut self, webhook: &Webhook) -> Result<(), InventoryError> {
        self.inner.create_webhook(webhook)
    }

    fn delete_webhook(&mut self, id: WebhookId) -> Result<bool, InventoryError> {
        self.inner.delete_webhook(id)
    }

    fn move_webhook_cursor(
        &mut self,
        id: WebhookId,
        from: u64,
        to: u64,
    ) -> Result<bool, InventoryError> {
        self.inner.move_webhook_cursor(id, from, to)
    }

    fn log_webhook_delivery(&mut self, delivery: &WebhookDelivery) -> Result<(), InventoryError> {
        self.inner.log_webhook_delivery(delivery)
    }
}
