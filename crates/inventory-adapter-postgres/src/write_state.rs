//! What a write batch has read and changed, kept in memory until it must reach the database.
//!
//! On a hot row every round trip inside the batch's transaction is time the row stays locked,
//! and one writer running each request's five or six statements one after the other is
//! PostgreSQL's hot-row ceiling again. So, within a batch:
//!
//! - rows read by key are cached, with their lock: stock and reservations `FOR UPDATE`,
//!   products and stores `FOR SHARE`. Nobody else can change a locked row before the batch
//!   commits, so the cached copy stays true; the next request of the batch reads it without
//!   a round trip;
//! - changes of stock and reservations (reserve, confirm, cancel, expire, adjust, count) are
//!   applied to the cache and written at once, one statement per table, when something must
//!   see them in the database: right before the commit, or before a query that reads those
//!   tables (a list, the expiry scan);
//! - everything else (products, stores, a new stock row, lists) runs as SQL straight away,
//!   inside a savepoint of the request, so that a refusal by the database (a taken SKU, a
//!   missing product) undoes that request alone.
//!
//! A request that fails is undone from the cache with its undo log (and rolled back to its
//! savepoint if it took one). A request that failed inside the database without a savepoint,
//! or after its own changes were written out, has spoiled the batch's transaction: the batch
//! is abandoned with a transient error, and every request of it runs again. When writing out a
//! batch's changes fails, the next batches run carefully (each request written out in its own
//! savepoint), so that a request the database refuses fails alone.

use std::collections::HashMap;

use inventory_domain::{
    CustomerHolds, CustomerId, Holds, Product, ProductId, Reservation, ReservationId,
    ReservationStatus, Stock, Store, StoreId,
};
use inventory_ports::{InventoryError, NewEvent};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::errors::OrInventory;
use crate::session::PgSession;

/// A stock row: what the batch says it is, and the version the database holds.
#[derive(Debug, Clone)]
pub(crate) struct StockEntry {
    pub(crate) current: Stock,
    pub(crate) stored_version: u64,
}

/// A reservation: what the batch says it is, and whether the database has it PENDING
/// (`None`: not in the database yet).
#[derive(Debug, Clone)]
pub(crate) struct ReservationEntry {
    pub(crate) current: Reservation,
    pub(crate) stored: Option<Stored>,
}

/// What the database holds of a reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stored {
    Pending,
    Resolved,
}

type StockKey = (ProductId, StoreId);

/// The previous state of one cache entry (`None`: it was not cached).
enum Undo {
    Stock(StockKey, Option<StockEntry>),
    Reservation(ReservationId, Option<ReservationEntry>),
    Product(ProductId, Option<Product>),
    Store(StoreId, Option<Store>),
}

/// The request running now.
#[derive(Default)]
struct Request {
    /// The batch held no row lock when it started: it may wait for one (see
    /// [`WriteState::may_wait`]).
    may_wait: bool,
    undo: Vec<Undo>,
    /// How many batch events there were when it started.
    events_before: usize,
    /// It changed stock or reservations in the cache.
    changed: bool,
    /// It took a savepoint.
    savepoint: bool,
    /// Its own changes were written out without a savepoint, or the database failed while
    /// no savepoint protected the transaction: a failure now spoils the batch.
    unprotected: bool,
}

/// The batch's cache, its recorded events, and the request in progress.
#[derive(Default)]
pub(crate) struct WriteState {
    stock: HashMap<StockKey, StockEntry>,
    reservations: HashMap<ReservationId, ReservationEntry>,
    products: HashMap<ProductId, Product>,
    stores: HashMap<StoreId, Store>,
    /// Events of the batch's requests, in order (the current request's last).
    events: Vec<NewEvent>,
    /// The batch has locked a row (a locking read ran), whatever became of the request.
    locked_rows: bool,
    request: Request,
}

impl WriteState {
    /// Forgets everything: a new batch starts.
    pub(crate) fn clear(&mut self) {
        *self = Self::default();
    }

    /// A request starts.
    pub(crate) fn start_request(&mut self) {
        self.request = Request {
            events_before: self.events.len(),
            may_wait: !self.locked_rows,
            ..Request::default()
        };
    }

    /// Whether the request may wait for a row another transaction holds. Only a request that
    /// started with the batch holding no row lock may: a transaction that waits then holds
    /// only what this request locked, and every request locks in the same order (product and
    /// store, then the reservation, then the stock), so waits cannot form a cycle between
    /// instances. Any other request reads with `SKIP LOCKED` and fails as transient on a
    /// busy row (see `transaction.rs`).
    pub(crate) fn may_wait(&self) -> bool {
        self.request.may_wait
    }

    /// A locking read ran.
    pub(crate) fn rows_locked(&mut self) {
        self.locked_rows = true;
    }

    /// The request succeeded: its changes belong to the batch.
    pub(crate) fn keep_request(&mut self) {
        self.request = Request::default();
    }

    /// The request failed: its cache changes and events are undone.
    pub(crate) fn undo_request(&mut self) {
        while let Some(undo) = self.request.undo.pop() {
            match undo {
                Undo::Stock(key, before) => restore(&mut self.stock, key, before),
                Undo::Reservation(id, before) => restore(&mut self.reservations, id, before),
                Undo::Product(id, before) => restore(&mut self.products, id, before),
                Undo::Store(id, before) => restore(&mut self.stores, id, before),
            }
        }
        self.events.truncate(self.request.events_before);
    }

    /// Whether the request took a savepoint.
    pub(crate) fn has_savepoint(&self) -> bool {
        self.request.savepoint
    }

    /// Whether a failure of the request spoils the batch (see the module documentation).
    pub(crate) fn is_unprotected(&self) -> bool {
        self.request.unprotected
    }

    /// The database failed a statement of this request: without a savepoint the
    /// transaction is lost.
    pub(crate) fn database_failed(&mut self) {
        if !self.request.savepoint {
            self.request.unprotected = true;
        }
    }

    /// Makes the database current and protects what follows: writes out the cached changes
    /// and, the first time in a request that has changed nothing yet, takes a savepoint.
    ///
    /// # Errors
    /// When writing out fails (the request is then unprotected).
    pub(crate) fn enter_sql(&mut self, session: &mut PgSession) -> Result<(), InventoryError> {
        let take_savepoint = !self.request.savepoint && !self.request.changed;
        if !self.request.savepoint && self.request.changed {
            // Too late for a savepoint: the request's own changes go out unprotected.
            self.request.unprotected = true;
        }
        if let Err(error) = self.write_out(session) {
            self.database_failed();
            return Err(error);
        }
        if take_savepoint {
            if let Err(error) = session.batch("SAVEPOINT request") {
                self.database_failed();
                return Err(crate::errors::to_inventory(error));
            }
            self.request.savepoint = true;
        }
        Ok(())
    }

    /// Records an event of the request.
    pub(crate) fn push_event(&mut self, event: NewEvent) {
        self.events.push(event);
    }

    /// The batch's events, taken for the commit.
    pub(crate) fn take_events(&mut self) -> Vec<NewEvent> {
        std::mem::take(&mut self.events)
    }

    /// Corrects what the database counts of `customer`'s holds with the batch's reservations
    /// that are not written out yet: new ones, and ones resolved since they were written.
    pub(crate) fn adjust_holds(
        &self,
        customer: &CustomerId,
        product: ProductId,
        holds: &mut CustomerHolds,
    ) {
        for entry in self.reservations.values() {
            let reservation = &entry.current;
            if reservation.customer_id() != customer {
                continue;
            }
            let counted = entry.stored == Some(Stored::Pending);
            let pending = is_pending(reservation);
            if counted == pending {
                continue;
            }
            let units = reservation.quantity().get();
            let change = |held: &mut Holds| {
                if pending {
                    held.reservations += 1;
                    held.units += units;
                } else {
                    held.reservations = held.reservations.saturating_sub(1);
                    held.units = held.units.saturating_sub(units);
                }
            };
            change(&mut holds.overall);
            if reservation.product_id() == product {
                change(&mut holds.of_product);
            }
        }
    }

    pub(crate) fn stock(&self, key: &StockKey) -> Option<&StockEntry> {
        self.stock.get(key)
    }

    pub(crate) fn reservation(&self, id: ReservationId) -> Option<&ReservationEntry> {
        self.reservations.get(&id)
    }

    pub(crate) fn product(&self, id: ProductId) -> Option<&Product> {
        self.products.get(&id)
    }

    pub(crate) fn store(&self, id: &StoreId) -> Option<&Store> {
        self.stores.get(id)
    }

    /// Caches a stock row read (and locked) from the database, unless the batch has it.
    pub(crate) fn stock_read(&mut self, stock: Stock) {
        let key = (stock.product_id(), stock.store_id().clone());
        if !self.stock.contains_key(&key) {
            let entry = StockEntry {
                stored_version: stock.version(),
                current: stock,
            };
            self.set_stock(key, Some(entry));
        }
    }

    /// Caches a reservation read (and locked) from the database, unless the batch has it.
    pub(crate) fn reservation_read(&mut self, reservation: Reservation) {
        let id = reservation.id();
        if !self.reservations.contains_key(&id) {
            let entry = ReservationEntry {
                stored: Some(stored_as(&reservation)),
                current: reservation,
            };
            self.set_reservation(id, Some(entry));
        }
    }

    pub(crate) fn product_read(&mut self, product: Product) {
        let before = self.products.insert(product.id, product.clone());
        self.request.undo.push(Undo::Product(product.id, before));
    }

    pub(crate) fn store_read(&mut self, store: Store) {
        let before = self.stores.insert(store.id.clone(), store.clone());
        self.request.undo.push(Undo::Store(store.id, before));
    }

    /// Forgets a product (changed or deleted in the database), with its stock and
    /// reservations when it was deleted.
    pub(crate) fn forget_product(&mut self, id: ProductId, with_rows: bool) {
        if let Some(before) = self.products.remove(&id) {
            self.request.undo.push(Undo::Product(id, Some(before)));
        }
        if with_rows {
            let stock: Vec<StockKey> = self
                .stock
                .keys()
                .filter(|(product, _)| *product == id)
                .cloned()
                .collect();
            for key in stock {
                self.set_stock(key, None);
            }
            let reservations: Vec<ReservationId> = self
                .reservations
                .iter()
                .filter(|(_, entry)| entry.current.product_id() == id)
                .map(|(id, _)| *id)
                .collect();
            for id in reservations {
                self.set_reservation(id, None);
            }
        }
    }

    /// Forgets a store changed in the database.
    pub(crate) fn forget_store(&mut self, id: &StoreId) {
        if let Some(before) = self.stores.remove(id) {
            self.request
                .undo
                .push(Undo::Store(id.clone(), Some(before)));
        }
    }

    /// A stock row inserted (by SQL, at once).
    pub(crate) fn stock_inserted(&mut self, stock: Stock) {
        let key = (stock.product_id(), stock.store_id().clone());
        let entry = StockEntry {
            stored_version: stock.version(),
            current: stock,
        };
        self.set_stock(key, Some(entry));
    }

    /// The new state of a cached stock row, written out later.
    pub(crate) fn stock_changed(&mut self, stock: Stock) -> Result<(), InventoryError> {
        let key = (stock.product_id(), stock.store_id().clone());
        let mut entry = self
            .stock
            .get(&key)
            .cloned()
            .ok_or_else(|| InventoryError::internal("a stock change of a row not read"))?;
        entry.current = stock;
        self.request.changed = true;
        self.set_stock(key, Some(entry));
        Ok(())
    }

    /// A new reservation, written out later.
    pub(crate) fn reservation_created(&mut self, reservation: Reservation) {
        self.request.changed = true;
        let entry = ReservationEntry {
            current: reservation,
            stored: None,
        };
        self.set_reservation(entry.current.id(), Some(entry));
    }

    /// The new state of a cached reservation, written out later.
    pub(crate) fn reservation_changed(
        &mut self,
        reservation: Reservation,
    ) -> Result<(), InventoryError> {
        let mut entry = self
            .reservations
            .get(&reservation.id())
            .cloned()
            .ok_or_else(|| InventoryError::internal("a change of a reservation not read"))?;
        entry.current = reservation;
        self.request.changed = true;
        self.set_reservation(entry.current.id(), Some(entry));
        Ok(())
    }

    fn set_stock(&mut self, key: StockKey, entry: Option<StockEntry>) {
        let before = match entry {
            Some(entry) => self.stock.insert(key.clone(), entry),
            None => self.stock.remove(&key),
        };
        self.request.undo.push(Undo::Stock(key, before));
    }

    fn set_reservation(&mut self, id: ReservationId, entry: Option<ReservationEntry>) {
        let before = match entry {
            Some(entry) => self.reservations.insert(id, entry),
            None => self.reservations.remove(&id),
        };
        self.request.undo.push(Undo::Reservation(id, before));
    }

    /// Writes every cached change to the database in one statement (one round trip): an
    /// UPDATE of the changed stock rows, an INSERT of the new reservations, an UPDATE of the
    /// resolved ones.
    ///
    /// # Errors
    /// When the database refuses, or a row is not as the cache says (a bug: the rows are
    /// locked).
    pub(crate) fn write_out(&mut self, session: &mut PgSession) -> Result<(), InventoryError> {
        let mut stock = StockColumns::default();
        for entry in self.stock.values() {
            if entry.current.version() != entry.stored_version {
                stock.push(entry)?;
            }
        }
        let mut added = ReservationColumns::default();
        let mut resolved = ResolvedColumns::default();
        for entry in self.reservations.values() {
            match entry.stored {
                None => added.push(&entry.current)?,
                Some(Stored::Pending) if !is_pending(&entry.current) => {
                    resolved.push(&entry.current);
                }
                Some(_) => {}
            }
        }
        if stock.product_id.is_empty() && added.id.is_empty() && resolved.id.is_empty() {
            return Ok(());
        }
        // The version condition makes a lost update impossible to store, the status
        // condition a second resolution; the tables' CHECKs refuse an oversold row whatever
        // the code did. A reservation created and resolved in the same batch is inserted as
        // it ends, so no part of the statement needs to see another's rows.
        let row = session
            .query_one(
                "WITH stock_changed AS ( \
                   UPDATE stock AS s SET quantity = u.quantity, reserved = u.reserved, \
                   version = u.version, updated_at = u.updated_at \
                   FROM unnest($1::uuid[], $2::text[], $3::integer[], $4::integer[], \
                   $5::bigint[], $6::timestamptz[], $7::bigint[]) \
                   AS u (product_id, store_id, quantity, reserved, version, updated_at, stored) \
                   WHERE s.product_id = u.product_id AND s.store_id = u.store_id \
                   AND s.version = u.stored RETURNING 1), \
                 reservations_added AS ( \
                   INSERT INTO reservations (id, product_id, store_id, customer_id, quantity, \
                   status, expires_at, created_at, updated_at, cart_id) \
                   SELECT * FROM unnest($8::uuid[], $9::uuid[], $10::text[], $11::text[], \
                   $12::integer[], $13::text[], $14::timestamptz[], $15::timestamptz[], \
                   $16::timestamptz[], $20::uuid[]) RETURNING 1), \
                 reservations_resolved AS ( \
                   UPDATE reservations AS r SET status = u.status, updated_at = u.updated_at \
                   FROM unnest($17::uuid[], $18::text[], $19::timestamptz[]) \
                   AS u (id, status, updated_at) \
                   WHERE r.id = u.id AND r.status = 'PENDING' RETURNING 1) \
                 SELECT (SELECT count(*) FROM stock_changed), \
                   (SELECT count(*) FROM reservations_added), \
                   (SELECT count(*) FROM reservations_resolved)",
                &[
                    &stock.product_id,
                    &stock.store_id,
                    &stock.quantity,
                    &stock.reserved,
                    &stock.version,
                    &stock.updated_at,
                    &stock.stored,
                    &added.id,
                    &added.product_id,
                    &added.store_id,
                    &added.customer_id,
                    &added.quantity,
                    &added.status,
                    &added.expires_at,
                    &added.created_at,
                    &added.updated_at,
                    &resolved.id,
                    &resolved.status,
                    &resolved.updated_at,
                    &added.cart_id,
                ],
            )
            .or_inventory()?;
        let written = |column: usize| -> Result<usize, InventoryError> {
            let count: i64 = row.try_get(column).or_inventory()?;
            Ok(usize::try_from(count).unwrap_or(usize::MAX))
        };
        if written(0)? != stock.product_id.len()
            || written(1)? != added.id.len()
            || written(2)? != resolved.id.len()
        {
            return Err(InventoryError::internal(
                "the database's stock or reservations were not as the batch read them",
            ));
        }
        for entry in self.stock.values_mut() {
            entry.stored_version = entry.current.version();
        }
        for entry in self.reservations.values_mut() {
            entry.stored = Some(stored_as(&entry.current));
        }
        Ok(())
    }
}

fn is_pending(reservation: &Reservation) -> bool {
    reservation.status() == ReservationStatus::Pending
}

fn stored_as(reservation: &Reservation) -> Stored {
    if is_pending(reservation) {
        Stored::Pending
    } else {
        Stored::Resolved
    }
}

fn restore<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, V>, key: K, before: Option<V>) {
    match before {
        Some(value) => map.insert(key, value),
        None => map.remove(&key),
    };
}

/// Changed stock rows, column by column, for an `UPDATE ... FROM unnest(...)`.
#[derive(Default)]
struct StockColumns {
    product_id: Vec<Uuid>,
    store_id: Vec<String>,
    quantity: Vec<i32>,
    reserved: Vec<i32>,
    version: Vec<i64>,
    updated_at: Vec<OffsetDateTime>,
    stored: Vec<i64>,
}

impl StockColumns {
    fn push(&mut self, entry: &StockEntry) -> Result<(), InventoryError> {
        let stock = &entry.current;
        self.product_id.push(stock.product_id().as_uuid());
        self.store_id.push(stock.store_id().as_str().to_owned());
        self.quantity.push(count(stock.quantity())?);
        self.reserved.push(count(stock.reserved())?);
        self.version.push(version(stock.version())?);
        self.updated_at.push(stock.updated_at());
        self.stored.push(version(entry.stored_version)?);
        Ok(())
    }
}

/// Resolved reservations, column by column.
#[derive(Default)]
struct ResolvedColumns {
    id: Vec<Uuid>,
    status: Vec<&'static str>,
    updated_at: Vec<OffsetDateTime>,
}

impl ResolvedColumns {
    fn push(&mut self, reservation: &Reservation) {
        self.id.push(reservation.id().as_uuid());
        self.status.push(reservation.status().as_str());
        self.updated_at.push(reservation.updated_at());
    }
}

/// New reservations, column by column, for one `INSERT ... SELECT FROM unnest(...)`.
#[derive(Default)]
struct ReservationColumns {
    id: Vec<Uuid>,
    product_id: Vec<Uuid>,
    store_id: Vec<String>,
    customer_id: Vec<String>,
    quantity: Vec<i32>,
    status: Vec<&'static str>,
    expires_at: Vec<OffsetDateTime>,
    created_at: Vec<OffsetDateTime>,
    updated_at: Vec<OffsetDateTime>,
    cart_id: Vec<Option<Uuid>>,
}

impl ReservationColumns {
    fn push(&mut self, reservation: &Reservation) -> Result<(), InventoryError> {
        self.id.push(reservation.id().as_uuid());
        self.product_id.push(reservation.product_id().as_uuid());
        self.store_id
            .push(reservation.store_id().as_str().to_owned());
        self.customer_id
            .push(reservation.customer_id().as_str().to_owned());
        self.quantity.push(count(reservation.quantity().get())?);
        self.status.push(reservation.status().as_str());
        self.expires_at.push(reservation.expires_at());
        self.created_at.push(reservation.created_at());
        self.updated_at.push(reservation.updated_at());
        self.cart_id
            .push(reservation.cart_id().map(|id| id.as_uuid()));
        Ok(())
    }
}

/// A count as the `integer` column holds it.
pub(crate) fn count(value: u32) -> Result<i32, InventoryError> {
    i32::try_from(value).map_err(|error| {
        InventoryError::Internal(inventory_ports::Failure::caused_by(
            "a count does not fit the column",
            error,
        ))
    })
}

/// A version as the `bigint` column holds it.
pub(crate) fn version(value: u64) -> Result<i64, InventoryError> {
    i64::try_from(value).map_err(|error| {
        InventoryError::Internal(inventory_ports::Failure::caused_by(
            "a version does not fit the column",
            error,
        ))
    })
}
