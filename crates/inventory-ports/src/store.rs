//! The storage port: a unit of work over products, stores, stock, reservations and the outbox.
//!
//! A use case hands the store a closure; the store runs it inside one transaction and commits
//! the closure's changes and its outbox events together, or none of them. The closure cannot
//! `.await`, so no transaction (and no SQLite write lock) is ever held across an await point.

use std::sync::{Arc, Mutex};

use inventory_domain::{
    Category, CustomerId, Product, ProductId, Reservation, ReservationId, ReservationStatus, Sku,
    Stock, Store, StoreId, StoreName,
};
use time::OffsetDateTime;

use crate::{InventoryError, NewEvent, Page, RecordedEvent};

/// Work done in a write transaction.
pub type WriteWork = Box<dyn FnOnce(&mut dyn WriteTx) -> Result<(), InventoryError> + Send>;

/// Work done in a read transaction (a consistent snapshot).
pub type ReadWork = Box<dyn FnOnce(&dyn ReadTx) -> Result<(), InventoryError> + Send>;

/// Called after every commit that wrote events, with the highest sequence number committed.
/// Runs on the committing thread: it must only signal someone (wake a relay), never block.
pub type CommitListener = Arc<dyn Fn(u64) + Send + Sync>;

/// The storage of the inventory.
///
/// Calls block the calling thread until the database answers; async callers run them on a
/// blocking pool.
pub trait InventoryStore: Send + Sync {
    /// Runs `work` in one write transaction and commits it durably before returning.
    ///
    /// Writers are serialised: `work` sees every transaction committed before it and nothing
    /// commits between its reads and its writes. When `work` returns an error, or panics,
    /// nothing it wrote is kept.
    ///
    /// # Errors
    /// - the error `work` returned, unchanged;
    /// - [`InventoryError::Unavailable`] when the database stayed locked by another process
    ///   past the busy timeout, or the store is shutting down;
    /// - [`InventoryError::Internal`] when `work` panicked or the commit failed (disk full,
    ///   I/O error): nothing of `work` was kept.
    fn write(&self, work: WriteWork) -> Result<(), InventoryError>;

    /// Runs `work` on a consistent snapshot of the committed data.
    ///
    /// # Errors
    /// The error `work` returned, or [`InventoryError::Unavailable`] when no connection could
    /// be had in time.
    fn read(&self, work: ReadWork) -> Result<(), InventoryError>;

    /// Registers `listener` to be told about every commit that wrote events, before the
    /// writers of that commit get their answer.
    fn on_commit(&self, listener: CommitListener);

    /// Checks that the database answers a query.
    ///
    /// # Errors
    /// [`InventoryError::Unavailable`] when it does not.
    fn check_health(&self) -> Result<(), InventoryError>;
}

/// One store's row in a product's availability: every active store appears, with zeros where
/// the product has no stock record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreStockRow {
    /// The store.
    pub store_id: StoreId,
    /// The store's name.
    pub store_name: StoreName,
    /// Units in the store.
    pub quantity: u32,
    /// Units held by pending reservations.
    pub reserved: u32,
}

/// Which reservations to list; every field narrows the list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReservationFilter {
    /// Only this store's.
    pub store_id: Option<StoreId>,
    /// Only this customer's.
    pub customer_id: Option<CustomerId>,
    /// Only those with this status.
    pub status: Option<ReservationStatus>,
}

/// Reads, inside a read or a write transaction.
///
/// Every method may also fail with [`InventoryError::Unavailable`] or
/// [`InventoryError::Internal`] for storage failures; the lists below name only the others.
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

    /// A page of products ordered by SKU, optionally of one category, and how many match.
    ///
    /// # Errors
    /// Storage failures only.
    fn list_products(
        &self,
        category: Option<&Category>,
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

    /// The stock of a product in a store, if it has a record.
    ///
    /// # Errors
    /// Storage failures only.
    fn stock(
        &self,
        product_id: ProductId,
        store_id: &StoreId,
    ) -> Result<Option<Stock>, InventoryError>;

    /// A page of a store's stock records ordered by product id, and how many there are.
    ///
    /// # Errors
    /// Storage failures only.
    fn list_stock_of_store(
        &self,
        store_id: &StoreId,
        page: Page,
    ) -> Result<(Vec<Stock>, u64), InventoryError>;

    /// A page of a product's stock records ordered by store, and how many there are.
    ///
    /// # Errors
    /// Storage failures only.
    fn list_stock_of_product(
        &self,
        product_id: ProductId,
        page: Page,
    ) -> Result<(Vec<Stock>, u64), InventoryError>;

    /// Units of the product held by pending reservations, summed over every store.
    ///
    /// # Errors
    /// Storage failures only.
    fn reserved_units_of_product(&self, product_id: ProductId) -> Result<u64, InventoryError>;

    /// Every active store (or only `store_id`, active or not) with the product's stock there,
    /// ordered by store code.
    ///
    /// # Errors
    /// Storage failures only.
    fn store_stock_of_product(
        &self,
        product_id: ProductId,
        store_id: Option<&StoreId>,
    ) -> Result<Vec<StoreStockRow>, InventoryError>;

    /// The reservation with this id, if any.
    ///
    /// # Errors
    /// Storage failures only.
    fn reservation(&self, id: ReservationId) -> Result<Option<Reservation>, InventoryError>;

    /// A page of reservations matching `filter`, newest first, and how many match.
    ///
    /// # Errors
    /// Storage failures only.
    fn list_reservations(
        &self,
        filter: &ReservationFilter,
        page: Page,
    ) -> Result<(Vec<Reservation>, u64), InventoryError>;

    /// Up to `limit` PENDING reservations with `expires_at <= now`, earliest deadline first
    /// (ties by id).
    ///
    /// # Errors
    /// Storage failures only.
    fn due_reservations(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Reservation>, InventoryError>;

    /// The earliest `expires_at` among PENDING reservations, if any.
    ///
    /// # Errors
    /// Storage failures only.
    fn next_expiry(&self) -> Result<Option<OffsetDateTime>, InventoryError>;

    /// Up to `limit` outbox events with `seq > after_seq`, in sequence order.
    ///
    /// # Errors
    /// Storage failures only.
    fn events_after(
        &self,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<RecordedEvent>, InventoryError>;

    /// The highest sequence number ever written to the outbox (0 for none).
    ///
    /// # Errors
    /// Storage failures only.
    fn last_event_seq(&self) -> Result<u64, InventoryError>;

    /// Up to `limit` events not yet published, in sequence order.
    ///
    /// # Errors
    /// Storage failures only.
    fn unpublished_events(&self, limit: u32) -> Result<Vec<RecordedEvent>, InventoryError>;

    /// How many events wait to be published, and when the oldest of them happened.
    ///
    /// # Errors
    /// Storage failures only.
    fn outbox_backlog(&self) -> Result<OutboxBacklog, InventoryError>;
}

/// Events waiting in the outbox for the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboxBacklog {
    /// Unpublished events.
    pub events: u64,
    /// When the oldest unpublished event happened.
    pub oldest: Option<OffsetDateTime>,
}

/// Writes, inside a write transaction. Reads see the transaction's own writes.
pub trait WriteTx: ReadTx {
    /// Adds a product.
    ///
    /// # Errors
    /// [`InventoryError::DuplicateSku`] when another product has its SKU.
    fn insert_product(&mut self, product: &Product) -> Result<(), InventoryError>;

    /// Replaces a product's stored fields.
    ///
    /// # Errors
    /// [`InventoryError::DuplicateSku`] when another product has its new SKU;
    /// [`InventoryError::ProductNotFound`] when it does not exist.
    fn update_product(&mut self, product: &Product) -> Result<(), InventoryError>;

    /// Deletes a product with its stock records and reservations (its events stay).
    ///
    /// # Errors
    /// [`InventoryError::ProductNotFound`] when it does not exist.
    fn delete_product(&mut self, id: ProductId) -> Result<(), InventoryError>;

    /// Adds a store.
    ///
    /// # Errors
    /// [`InventoryError::DuplicateStore`] when its code is taken.
    fn insert_store(&mut self, store: &Store) -> Result<(), InventoryError>;

    /// Replaces a store's stored fields.
    ///
    /// # Errors
    /// [`InventoryError::StoreNotFound`] when it does not exist.
    fn update_store(&mut self, store: &Store) -> Result<(), InventoryError>;

    /// Adds the first stock record of a (product, store) pair.
    ///
    /// # Errors
    /// [`InventoryError::ProductNotFound`] or [`InventoryError::StoreNotFound`] when either
    /// does not exist; [`InventoryError::Internal`] when the pair already has a record.
    fn insert_stock(&mut self, stock: &Stock) -> Result<(), InventoryError>;

    /// Stores a changed stock record that was read at `read_version`.
    ///
    /// # Errors
    /// [`InventoryError::Internal`] when the stored version is not `read_version` (a lost
    /// update, which serialised writers make impossible) or the values break the database's
    /// `0 <= reserved <= quantity` checks.
    fn update_stock(&mut self, stock: &Stock, read_version: u64) -> Result<(), InventoryError>;

    /// Adds a reservation.
    ///
    /// # Errors
    /// [`InventoryError::Internal`] when its id is taken or its stock record does not exist.
    fn insert_reservation(&mut self, reservation: &Reservation) -> Result<(), InventoryError>;

    /// Stores the resolution of a reservation that is PENDING in the database.
    ///
    /// # Errors
    /// [`InventoryError::Internal`] when the stored reservation is not PENDING: a reservation
    /// resolves once, and the database refuses a second resolution even if code asks for one.
    fn resolve_reservation(&mut self, reservation: &Reservation) -> Result<(), InventoryError>;

    /// Appends an event to the outbox and returns its sequence number.
    ///
    /// # Errors
    /// Storage failures only.
    fn append_event(&mut self, event: &NewEvent) -> Result<u64, InventoryError>;

    /// Marks every unpublished event with `seq <= up_to_seq` as published at `at`; returns how
    /// many it marked. Marking twice is harmless.
    ///
    /// # Errors
    /// Storage failures only.
    fn mark_published(&mut self, up_to_seq: u64, at: OffsetDateTime)
    -> Result<u64, InventoryError>;
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
            InventoryError::Internal("the store reported success without running the work".into())
        })
}
