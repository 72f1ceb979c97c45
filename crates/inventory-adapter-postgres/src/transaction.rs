//! The SQL behind the port's [`ReadTx`] and [`WriteTx`], on a session already inside a
//! transaction (a read-only snapshot, or the writer's batch).
//!
//! In a write transaction reads lock what they read, so it stays as read until the commit:
//! stock and reservations `FOR UPDATE`, products and stores `FOR SHARE`. What they read is
//! cached for the rest of the batch, and changes of stock and reservations are written out
//! together (see `write_state.rs`). Recorded events wait for the commit, where they get their
//! seqs (see `writer.rs`).

use std::cell::RefCell;

use inventory_domain::{
    Cart, CartId, CartRecord, DomainEvent, Product, ProductId, Reservation, ReservationId,
    ReservationStatus, Sku, Stock, Store, StoreId, ThresholdScope, Transfer, TransferId,
};
use inventory_ports::{
    ConsistencyFacts, Failure, IdempotencyKey, InventoryError, LowStockEntry, MovementFilter,
    MovementOrder, NewEvent, Page, ProductFilter, ReadTx, RecordedEvent, RecordedMovement,
    ReservationFilter, StockFilter, StoreStock, StoredResponse, TransferFilter, Webhook,
    WebhookDelivery, WebhookId, WriteTx,
};
use postgres::Row;
use postgres::types::ToSql;
use time::OffsetDateTime;

use crate::errors::{Kind, OrInventory, classify, to_inventory};
use crate::rows;
use crate::session::PgSession;
use crate::write_state::{WriteState, count, version};

mod history;
pub(crate) use history::fold_unfolded_products;

/// A session inside a transaction, seen through the port.
pub(crate) struct PgTx<'s> {
    session: RefCell<&'s mut PgSession>,
    /// `Some` in a write transaction: the batch's cache and recorded events.
    state: Option<RefCell<&'s mut WriteState>>,
}

mod webhooks;

type Params<'p> = &'p [&'p (dyn ToSql + Sync)];

impl<'s> PgTx<'s> {
    /// A read-only view.
    pub(crate) fn reading(session: &'s mut PgSession) -> Self {
        Self {
            session: RefCell::new(session),
            state: None,
        }
    }

    /// A write transaction's view, caching and recording into `state`.
    pub(crate) fn writing(session: &'s mut PgSession, state: &'s mut WriteState) -> Self {
        Self {
            session: RefCell::new(session),
            state: Some(RefCell::new(state)),
        }
    }

    /// The locking clause of a read in a write transaction.
    fn lock(&self, clause: &'static str) -> &'static str {
        if self.state.is_some() { clause } else { "" }
    }

    /// Tells the batch that the database failed a statement (the transaction may be lost).
    fn failed<T>(&self, result: Result<T, postgres::Error>) -> Result<T, postgres::Error> {
        if result.is_err()
            && let Some(state) = &self.state
        {
            state.borrow_mut().database_failed();
        }
        result
    }

    /// Before SQL that must see the batch's cached changes, or that the database may refuse:
    /// writes the changes out and protects the request with a savepoint.
    fn enter_sql(&self) -> Result<(), InventoryError> {
        match &self.state {
            Some(state) => state.borrow_mut().enter_sql(&mut self.session.borrow_mut()),
            None => Ok(()),
        }
    }

    fn one<T>(
        &self,
        sql: &str,
        params: Params<'_>,
        map: fn(&Row) -> Result<T, InventoryError>,
    ) -> Result<Option<T>, InventoryError> {
        let row = self
            .failed(self.session.borrow_mut().query_opt(sql, params))
            .or_inventory()?;
        row.as_ref().map(map).transpose()
    }

    fn all<T>(
        &self,
        sql: &str,
        params: Params<'_>,
        map: fn(&Row) -> Result<T, InventoryError>,
    ) -> Result<Vec<T>, InventoryError> {
        let rows = self
            .failed(self.session.borrow_mut().query(sql, params))
            .or_inventory()?;
        rows.iter().map(map).collect()
    }

    fn scalar<T: for<'r> postgres::types::FromSql<'r>>(
        &self,
        sql: &str,
        params: Params<'_>,
    ) -> Result<T, InventoryError> {
        let row = self
            .failed(self.session.borrow_mut().query_one(sql, params))
            .or_inventory()?;
        row.try_get(0).or_inventory()
    }

    fn execute(&self, sql: &str, params: Params<'_>) -> Result<u64, postgres::Error> {
        self.failed(self.session.borrow_mut().execute(sql, params))
    }

    /// A page of `table` rows matching the `given` text-column conditions, in `order`, and how
    /// many match. Only the conditions given become SQL, so each can use its index.
    fn page_where<T>(
        &self,
        (table, columns, order, lock): (&str, &str, &str, &str),
        given: &[(&str, &(dyn ToSql + Sync))],
        page: Page,
        map: fn(&Row) -> Result<T, InventoryError>,
    ) -> Result<(Vec<T>, u64), InventoryError> {
        let filter_sql = if given.is_empty() {
            String::new()
        } else {
            let conditions: Vec<String> = given
                .iter()
                .enumerate()
                .map(|(i, (column, _))| format!("{column} = ${}", i + 1))
                .collect();
            format!("WHERE {}", conditions.join(" AND "))
        };
        let mut values: Vec<&(dyn ToSql + Sync)> = given.iter().map(|(_, value)| *value).collect();
        let total: i64 = self.scalar(
            &format!("SELECT COUNT(*) FROM {table} {filter_sql}"),
            &values,
        )?;
        let limit = i64::from(page.limit());
        let offset = i64::try_from(page.offset()).unwrap_or(i64::MAX);
        values.push(&limit);
        values.push(&offset);
        let sql = format!(
            "SELECT {columns} FROM {table} {filter_sql} ORDER BY {order} LIMIT ${} OFFSET ${} {lock}",
            given.len() + 1,
            given.len() + 2
        );
        let items = self.all(&sql, &values, map)?;
        Ok((
            items,
            u64::try_from(total).map_err(InventoryError::corrupt_in("count"))?,
        ))
    }
}

impl ReadTx for PgTx<'_> {
    fn product(&self, id: ProductId) -> Result<Option<Product>, InventoryError> {
        if let Some(state) = &self.state
            && let Some(product) = state.borrow().product(id)
        {
            return Ok(Some(product.clone()));
        }
        let product = self.locked_one(
            (rows::PRODUCT_COLUMNS, "products WHERE id = $1"),
            &[&id.as_uuid()],
            Lock::Share,
            rows::product,
            || format!("product {id}"),
        )?;
        self.cache_product(product.as_ref());
        Ok(product)
    }

    fn product_by_sku(&self, sku: &Sku) -> Result<Option<Product>, InventoryError> {
        let product = self.locked_one(
            (rows::PRODUCT_COLUMNS, "products WHERE sku = $1"),
            &[&sku.as_str()],
            Lock::Share,
            rows::product,
            || format!("product {sku}"),
        )?;
        self.cache_product(product.as_ref());
        Ok(product)
    }

    fn list_products(
        &self,
        filter: &ProductFilter,
        page: Page,
    ) -> Result<(Vec<Product>, u64), InventoryError> {
        if let Some(q) = &filter.q {
            return self.search_products(filter.category.as_ref(), q, page);
        }
        let category = filter.category.as_ref().map(|c| c.as_str().to_owned());
        let given: Vec<(&str, &(dyn ToSql + Sync))> = category
            .as_ref()
            .map(|category| ("category", category as &(dyn ToSql + Sync)))
            .into_iter()
            .collect();
        self.page_where(
            ("products", rows::PRODUCT_COLUMNS, "sku", ""),
            &given,
            page,
            rows::product,
        )
    }

    fn store(&self, id: &StoreId) -> Result<Option<Store>, InventoryError> {
        if let Some(state) = &self.state
            && let Some(store) = state.borrow().store(id)
        {
            return Ok(Some(store.clone()));
        }
        let store = self.locked_one(
            (rows::STORE_COLUMNS, "stores WHERE id = $1"),
            &[&id.as_str()],
            Lock::Share,
            rows::store,
            || format!("store {id}"),
        )?;
        if let (Some(state), Some(store)) = (&self.state, &store) {
            state.borrow_mut().store_read(store.clone());
        }
        Ok(store)
    }

    fn list_stores(&self, page: Page) -> Result<(Vec<Store>, u64), InventoryError> {
        self.page_where(
            ("stores", rows::STORE_COLUMNS, "id", ""),
            &[],
            page,
            rows::store,
        )
    }

    fn stock(
        &self,
        product_id: ProductId,
        store_id: &StoreId,
    ) -> Result<Option<Stock>, InventoryError> {
        if let Some(state) = &self.state
            && let Some(entry) = state.borrow().stock(&(product_id, store_id.clone()))
        {
            return Ok(Some(entry.current.clone()));
        }
        let stock = self.locked_one(
            (
                rows::STOCK_COLUMNS,
                "stock WHERE product_id = $1 AND store_id = $2",
            ),
            &[&product_id.as_uuid(), &store_id.as_str()],
            Lock::Update,
            rows::stock,
            || format!("the stock of {product_id} in {store_id}"),
        )?;
        if let (Some(state), Some(stock)) = (&self.state, &stock) {
            state.borrow_mut().stock_read(stock.clone());
        }
        Ok(stock)
    }

    fn list_stock(
        &self,
        filter: &StockFilter,
        page: Page,
    ) -> Result<(Vec<Stock>, u64), InventoryError> {
        self.enter_sql()?;
        if let (Some(state), Some(product)) = (&self.state, filter.product_id) {
            // Deleting a product lists its stock to sum what is reserved. Lock the product
            // itself first: another instance adding a stock row or a reservation for it holds
            // a share lock on it, so this waits for that to commit and then lists it, and no
            // one can add one until this commits.
            state.borrow_mut().rows_locked();
            self.one(
                "SELECT 1 FROM products WHERE id = $1 FOR UPDATE",
                &[&product.as_uuid()],
                |_| Ok(()),
            )?;
        }
        let product = filter.product_id.map(|id| id.as_uuid());
        let store = filter.store_id.as_ref().map(|id| id.as_str().to_owned());
        let mut given: Vec<(&str, &(dyn ToSql + Sync))> = Vec::new();
        if let Some(product) = &product {
            given.push(("product_id", product));
        }
        if let Some(store) = &store {
            given.push(("store_id", store));
        }
        // In a write transaction (deleting a product sums what is reserved) the rows listed
        // stay as read: locked, in key order, like every other lock of a stock row.
        let lock = self.lock("FOR UPDATE");
        let (stock, total) = self.page_where(
            ("stock", rows::STOCK_COLUMNS, "product_id, store_id", lock),
            &given,
            page,
            rows::stock,
        )?;
        if let Some(state) = &self.state {
            let mut state = state.borrow_mut();
            for stock in &stock {
                state.stock_read(stock.clone());
            }
        }
        Ok((stock, total))
    }

    fn stock_by_store(
        &self,
        product_id: ProductId,
        store_id: Option<&StoreId>,
    ) -> Result<Vec<StoreStock>, InventoryError> {
        const SELECT: &str = "SELECT s.id, s.name, COALESCE(k.quantity, 0), COALESCE(k.reserved, 0), \
             COALESCE((SELECT SUM(t.quantity) FROM transfers t WHERE t.product_id = $1 \
               AND t.to_store_id = s.id AND t.status = 'IN_TRANSIT'), 0)::bigint \
             FROM stores s LEFT JOIN stock k ON k.store_id = s.id AND k.product_id = $1";
        self.enter_sql()?;
        let product = product_id.as_uuid();
        match store_id {
            None => self.all(
                &format!("{SELECT} WHERE s.active ORDER BY s.id"),
                &[&product],
                rows::store_stock,
            ),
            Some(store) => self.all(
                &format!("{SELECT} WHERE s.id = $2"),
                &[&product, &store.as_str()],
                rows::store_stock,
            ),
        }
    }

    fn reservation(&self, id: ReservationId) -> Result<Option<Reservation>, InventoryError> {
        if let Some(state) = &self.state
            && let Some(entry) = state.borrow().reservation(id)
        {
            return Ok(Some(entry.current.clone()));
        }
        let reservation = self.locked_one(
            (rows::RESERVATION_COLUMNS, "reservations WHERE id = $1"),
            &[&id.as_uuid()],
            Lock::Update,
            rows::reservation,
            || format!("reservation {id}"),
        )?;
        if let (Some(state), Some(reservation)) = (&self.state, &reservation) {
            state.borrow_mut().reservation_read(reservation.clone());
        }
        Ok(reservation)
    }

    fn transfer(&self, id: TransferId) -> Result<Option<Transfer>, InventoryError> {
        self.enter_sql()?;
        self.locked_one(
            (rows::TRANSFER_COLUMNS, "transfers WHERE id = $1"),
            &[&id.as_uuid()],
            Lock::Update,
            rows::transfer,
            || format!("transfer {id}"),
        )
    }

    fn list_transfers(
        &self,
        filter: &TransferFilter,
        page: Page,
    ) -> Result<(Vec<Transfer>, u64), InventoryError> {
        const WHERE: &str = "WHERE ($1::text IS NULL OR from_store_id = $1 OR to_store_id = $1) \
             AND ($2::uuid IS NULL OR product_id = $2) AND ($3::text IS NULL OR status = $3)";
        self.enter_sql()?;
        let store = filter.store_id.as_ref().map(|id| id.as_str().to_owned());
        let product = filter.product_id.map(|id| id.as_uuid());
        let status = filter.status.map(|status| status.as_str().to_owned());
        let total: i64 = self.scalar(
            &format!("SELECT COUNT(*) FROM transfers {WHERE}"),
            &[&store, &product, &status],
        )?;
        let offset = i64::try_from(page.offset()).unwrap_or(i64::MAX);
        let transfers = self.all(
            &format!(
                "SELECT {} FROM transfers {WHERE} ORDER BY id DESC LIMIT $4 OFFSET $5",
                rows::TRANSFER_COLUMNS
            ),
            &[&store, &product, &status, &i64::from(page.limit()), &offset],
            rows::transfer,
        )?;
        Ok((transfers, u64::try_from(total).unwrap_or(0)))
    }

    fn cart(&self, id: CartId) -> Result<Option<Cart>, InventoryError> {
        // The cart row first, locked in a write: every change of a cart's lines takes its
        // cart's lock before theirs, so two changes of one cart wait for each other in order.
        let Some(record) = self.locked_one(
            (rows::CART_COLUMNS, "carts WHERE id = $1"),
            &[&id.as_uuid()],
            Lock::Update,
            rows::cart_row,
            || format!("cart {id}"),
        )?
        else {
            return Ok(None);
        };
        self.with_lines(record).map(Some)
    }

    fn list_reservations(
        &self,
        filter: &ReservationFilter,
        page: Page,
    ) -> Result<(Vec<Reservation>, u64), InventoryError> {
        self.enter_sql()?;
        let store = filter.store_id.as_ref().map(|id| id.as_str().to_owned());
        let customer = filter.customer_id.as_ref().map(|id| id.as_str().to_owned());
        let status = filter.status.map(|status| status.as_str().to_owned());
        let mut given: Vec<(&str, &(dyn ToSql + Sync))> = Vec::new();
        for (column, value) in [
            ("store_id", &store),
            ("customer_id", &customer),
            ("status", &status),
        ] {
            if let Some(value) = value {
                given.push((column, value));
            }
        }
        self.page_where(
            ("reservations", rows::RESERVATION_COLUMNS, "id DESC", ""),
            &given,
            page,
            rows::reservation,
        )
    }

    fn next_expiry(&self) -> Result<Option<OffsetDateTime>, InventoryError> {
        self.enter_sql()?;
        self.scalar(
            "SELECT MIN(expires_at) FROM reservations WHERE status = 'PENDING'",
            &[],
        )
    }

    fn customer_holds(
        &self,
        customer: &inventory_domain::CustomerId,
        product: ProductId,
    ) -> Result<inventory_domain::CustomerHolds, InventoryError> {
        if let Some(state) = &self.state {
            // The customer's holds stay as counted until the commit: every transaction
            // counting them takes this customer's lock first (a transaction-scoped advisory
            // lock, keyed by schema and customer).
            const WAIT_FOR_LOCK: &str = "SELECT 1 FROM (SELECT pg_advisory_xact_lock(\
                 hashtextextended(current_schema() || ':customer:' || $1, 0))) AS locked";
            const TRY_LOCK: &str = "SELECT pg_try_advisory_xact_lock(\
                 hashtextextended(current_schema() || ':customer:' || $1, 0))";
            let may_wait = state.borrow().may_wait();
            state.borrow_mut().rows_locked();
            if may_wait {
                self.one(WAIT_FOR_LOCK, &[&customer.as_str()], |_| Ok(()))?;
            } else if !self.scalar::<bool>(TRY_LOCK, &[&customer.as_str()])? {
                return Err(InventoryError::Unavailable(
                    Failure::new(format!(
                        "customer {customer} is reserving through another instance"
                    ))
                    .transient(),
                ));
            }
        }
        let row = self
            .failed(self.session.borrow_mut().query_one(
                "SELECT COUNT(*), COALESCE(SUM(quantity), 0), \
                 COUNT(*) FILTER (WHERE product_id = $2), \
                 COALESCE(SUM(quantity) FILTER (WHERE product_id = $2), 0) \
                 FROM reservations WHERE customer_id = $1 AND status = 'PENDING'",
                &[&customer.as_str(), &product.as_uuid()],
            ))
            .or_inventory()?;
        let count = |i: usize| row.try_get::<_, i64>(i).or_inventory();
        let mut holds =
            InventoryError::holds_from_counts([count(0)?, count(1)?, count(2)?, count(3)?])?;
        if let Some(state) = &self.state {
            // The batch's reservations not yet written out count as the batch sees them.
            state.borrow().adjust_holds(customer, product, &mut holds);
        }
        Ok(holds)
    }

    fn events_after(
        &self,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<RecordedEvent>, InventoryError> {
        // Seqs are assigned in commit order (writer.rs), so no lower seq can appear later.
        let after = i64::try_from(after_seq).unwrap_or(i64::MAX);
        let sql = format!(
            "SELECT {} FROM events WHERE seq > $1 ORDER BY seq LIMIT $2",
            rows::EVENT_COLUMNS
        );
        self.all(&sql, &[&after, &i64::from(limit)], rows::event)
    }

    fn store_events_after(
        &self,
        store: &StoreId,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<RecordedEvent>, InventoryError> {
        let after = i64::try_from(after_seq).unwrap_or(i64::MAX);
        let sql = format!(
            "SELECT {} FROM events WHERE seq > $1 \
             AND (store_id = $2 OR (store_id IS NULL AND aggregate_type = 'product')) \
             ORDER BY seq LIMIT $3",
            rows::EVENT_COLUMNS
        );
        self.all(
            &sql,
            &[&after, &store.as_str(), &i64::from(limit)],
            rows::event,
        )
    }

    fn last_event_seq(&self) -> Result<u64, InventoryError> {
        let last: i64 = self.scalar("SELECT last_seq FROM outbox_head", &[])?;
        u64::try_from(last).map_err(InventoryError::corrupt_in("outbox_head"))
    }

    fn stored_response(
        &self,
        key: &IdempotencyKey,
    ) -> Result<Option<StoredResponse>, InventoryError> {
        self.enter_sql()?;
        if let Some(state) = &self.state {
            // The answer stays as read until the commit: every transaction looking up this
            // key takes the key's lock first (transaction-scoped, keyed by schema, scope and
            // key), so a repeat waits for the first request instead of running beside it.
            const WAIT_FOR_LOCK: &str = "SELECT 1 FROM (SELECT pg_advisory_xact_lock(\
                 hashtextextended(current_schema() || ':key:' || $1 || ':' || $2, 0))) AS locked";
            const TRY_LOCK: &str = "SELECT pg_try_advisory_xact_lock(\
                 hashtextextended(current_schema() || ':key:' || $1 || ':' || $2, 0))";
            let may_wait = state.borrow().may_wait();
            state.borrow_mut().rows_locked();
            if may_wait {
                self.one(WAIT_FOR_LOCK, &[&key.scope(), &key.key()], |_| Ok(()))?;
            } else if !self.scalar::<bool>(TRY_LOCK, &[&key.scope(), &key.key()])? {
                return Err(InventoryError::Unavailable(
                    Failure::new("a request with this idempotency key is running").transient(),
                ));
            }
        }
        self.one(
            "SELECT fingerprint, status, body, created_at FROM idempotency_keys \
             WHERE scope = $1 AND key = $2",
            &[&key.scope(), &key.key()],
            rows::stored_response,
        )
    }

    fn list_movements(
        &self,
        filter: &MovementFilter,
        order: MovementOrder,
        cursor: Option<i64>,
        limit: u32,
    ) -> Result<Vec<RecordedMovement>, InventoryError> {
        self.movements(filter, order, cursor, limit)
    }

    fn low_stock_threshold(
        &self,
        product_id: ProductId,
        store_id: &StoreId,
    ) -> Result<Option<u32>, InventoryError> {
        self.threshold_of(product_id, store_id)
    }

    fn list_low_stock(
        &self,
        store_id: Option<&StoreId>,
        page: Page,
    ) -> Result<(Vec<LowStockEntry>, u64), InventoryError> {
        self.low_stock(store_id, page)
    }

    fn pending_units(
        &self,
        product_id: ProductId,
        store_id: &StoreId,
    ) -> Result<u64, InventoryError> {
        self.pending_units_of(product_id, store_id)
    }

    fn consistency(
        &self,
        overdue_before: OffsetDateTime,
    ) -> Result<ConsistencyFacts, InventoryError> {
        self.consistency_facts(overdue_before)
    }

    fn webhook(&self, id: WebhookId) -> Result<Option<Webhook>, InventoryError> {
        self.read_webhook(id)
    }

    fn list_webhooks(&self) -> Result<Vec<Webhook>, InventoryError> {
        self.read_webhooks()
    }

    fn webhook_deliveries(
        &self,
        id: WebhookId,
        page: Page,
    ) -> Result<(Vec<WebhookDelivery>, u64), InventoryError> {
        self.read_webhook_deliveries(id, page)
    }
}

impl WriteTx for PgTx<'_> {
    fn set_low_stock_threshold(
        &mut self,
        scope: &ThresholdScope,
        threshold: Option<u32>,
        set_by: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(), InventoryError> {
        self.set_threshold(scope, threshold, set_by, now)
    }

    fn record(&mut self, event: &NewEvent) -> Result<(), InventoryError> {
        self.store_change(event.change())?;
        self.state()?.push_event(event.clone());
        Ok(())
    }

    fn claim_due_reservations(
        &mut self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Reservation>, InventoryError> {
        self.enter_sql()?;
        // SKIP LOCKED: another instance's expiry claims the ones this one holds, and the
        // other way round, so each is expired once.
        let sql = format!(
            "SELECT {} FROM reservations WHERE status = 'PENDING' AND expires_at <= $1 \
             AND cart_id IS NULL ORDER BY expires_at, id LIMIT $2 FOR UPDATE SKIP LOCKED",
            rows::RESERVATION_COLUMNS
        );
        let claimed = self.all(&sql, &[&now, &i64::from(limit)], rows::reservation)?;
        if let Some(state) = &self.state {
            let mut state = state.borrow_mut();
            state.rows_locked();
            for reservation in &claimed {
                state.reservation_read(reservation.clone());
            }
        }
        Ok(claimed)
    }

    fn claim_due_carts(
        &mut self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Cart>, InventoryError> {
        self.enter_sql()?;
        // SKIP LOCKED: another instance's expiry claims the carts this one holds.
        let sql = format!(
            "SELECT {} FROM carts WHERE status = 'PENDING' AND expires_at <= $1 \
             ORDER BY expires_at, id LIMIT $2 FOR UPDATE SKIP LOCKED",
            rows::CART_COLUMNS
        );
        let claimed = self.all(&sql, &[&now, &i64::from(limit)], rows::cart_row)?;
        if let Some(state) = &self.state {
            state.borrow_mut().rows_locked();
        }
        claimed
            .into_iter()
            .map(|record| self.with_lines(record))
            .collect()
    }

    fn store_response(
        &mut self,
        key: &IdempotencyKey,
        response: &StoredResponse,
    ) -> Result<(), InventoryError> {
        self.enter_sql()?;
        self.execute(
            "INSERT INTO idempotency_keys (scope, key, fingerprint, status, body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &key.scope(),
                &key.key(),
                &response.fingerprint,
                &i32::from(response.status),
                &response.body,
                &response.created_at,
            ],
        )
        .or_inventory()
        .map(|_| ())
    }

    fn purge_responses(
        &mut self,
        before: OffsetDateTime,
        limit: u32,
    ) -> Result<u32, InventoryError> {
        self.enter_sql()?;
        let purged = self
            .execute(
                "DELETE FROM idempotency_keys WHERE ctid IN (SELECT ctid FROM idempotency_keys \
                 WHERE created_at < $1 ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
                &[&before, &i64::from(limit)],
            )
            .or_inventory()?;
        u32::try_from(purged).map_err(|e| InventoryError::corrupt("idempotency_keys", e))
    }

    fn create_webhook(&mut self, webhook: &Webhook) -> Result<(), InventoryError> {
        self.insert_webhook(webhook)
    }

    fn delete_webhook(&mut self, id: WebhookId) -> Result<bool, InventoryError> {
        self.remove_webhook(id)
    }

    fn move_webhook_cursor(
        &mut self,
        id: WebhookId,
        from: u64,
        to: u64,
    ) -> Result<bool, InventoryError> {
        self.set_webhook_cursor(id, from, to)
    }

    fn log_webhook_delivery(&mut self, delivery: &WebhookDelivery) -> Result<(), InventoryError> {
        self.insert_webhook_delivery(delivery)
    }
}

/// How a read in a write transaction locks its row.
#[derive(Clone, Copy)]
enum Lock {
    /// Stock and reservations: changed by the batch.
    Update,
    /// Products and stores: must stay as read until the commit.
    Share,
}

impl<'s> PgTx<'s> {
    /// The row `key` selects from `from_where`, with `columns`; in a write transaction, locked.
    ///
    /// Two instances' batches lock rows request after request; if batch A holds X and waits
    /// for Y while batch B holds Y and waits for X, they deadlock, and PostgreSQL breaks that
    /// only after `deadlock_timeout` (a second by default). So a request waits for a row
    /// only if the batch held no row lock when it started ([`WriteState::may_wait`]); any
    /// other reads `SKIP LOCKED`, and a row another transaction holds fails the request as
    /// transient (it runs again, in a later batch) instead of waiting.
    fn locked_one<T>(
        &self,
        (columns, from_where): (&str, &str),
        key: Params<'_>,
        lock: Lock,
        map: fn(&Row) -> Result<T, InventoryError>,
        what: impl FnOnce() -> String,
    ) -> Result<Option<T>, InventoryError> {
        let Some(state) = &self.state else {
            return self.one(&format!("SELECT {columns} FROM {from_where}"), key, map);
        };
        let may_wait = state.borrow().may_wait();
        let clause = match (lock, may_wait) {
            (Lock::Update, true) => "FOR UPDATE",
            (Lock::Update, false) => "FOR UPDATE SKIP LOCKED",
            (Lock::Share, true) => "FOR SHARE",
            (Lock::Share, false) => "FOR SHARE SKIP LOCKED",
        };
        state.borrow_mut().rows_locked();
        let row = self.one(
            &format!("SELECT {columns} FROM {from_where} {clause}"),
            key,
            map,
        )?;
        if row.is_none()
            && !may_wait
            && self
                .one(&format!("SELECT 1 FROM {from_where}"), key, |_| Ok(()))?
                .is_some()
        {
            return Err(InventoryError::Unavailable(
                Failure::new(format!("{} is being changed by another instance", what()))
                    .transient(),
            ));
        }
        Ok(row)
    }

    fn cache_product(&self, product: Option<&Product>) {
        if let (Some(state), Some(product)) = (&self.state, product) {
            state.borrow_mut().product_read(product.clone());
        }
    }

    fn state(&self) -> Result<std::cell::RefMut<'_, &'s mut WriteState>, InventoryError> {
        self.state
            .as_ref()
            .map(RefCell::borrow_mut)
            .ok_or_else(|| InventoryError::internal("writing in a read transaction"))
    }

    /// Writes the state `change` carries: stock and reservations into the batch's cache,
    /// everything else as SQL at once.
    fn store_change(&mut self, change: &DomainEvent) -> Result<(), InventoryError> {
        match change {
            DomainEvent::ProductCreated(product) => {
                self.enter_sql()?;
                self.insert_product(product)
            }
            DomainEvent::ProductUpdated(product) => {
                self.enter_sql()?;
                self.update_product(product)?;
                self.state()?.forget_product(product.id, false);
                Ok(())
            }
            DomainEvent::ProductDeleted(product) => {
                self.enter_sql()?;
                self.delete_product(product.id)?;
                self.state()?.forget_product(product.id, true);
                Ok(())
            }
            DomainEvent::StoreCreated(store) => {
                self.enter_sql()?;
                self.insert_store(store)
            }
            DomainEvent::StoreUpdated(store) => {
                self.enter_sql()?;
                self.update_store(store)?;
                self.state()?.forget_store(&store.id);
                Ok(())
            }
            DomainEvent::StockCreated { stock, .. } => {
                self.enter_sql()?;
                self.insert_stock(stock)?;
                self.state()?.stock_inserted(stock.clone());
                Ok(())
            }
            DomainEvent::StockUpdated { stock, .. } => self.change_stock(stock),
            // An alert stores nothing: whether a pair is low follows from its stock and
            // threshold.
            DomainEvent::StockLow(_) | DomainEvent::StockReplenished(_) => Ok(()),
            DomainEvent::ReservationCreated { reservation, stock } => {
                self.change_stock(stock)?;
                if self.state()?.reservation(reservation.id()).is_some() {
                    return Err(InventoryError::internal(format!(
                        "reservation {} already exists",
                        reservation.id()
                    )));
                }
                self.state()?.reservation_created(reservation.clone());
                Ok(())
            }
            DomainEvent::ReservationConfirmed { reservation, stock }
            | DomainEvent::ReservationCancelled { reservation, stock }
            | DomainEvent::ReservationExpired { reservation, stock } => {
                self.change_stock(stock)?;
                self.resolve_reservation(reservation)
            }
            DomainEvent::ReservationExtended { reservation, .. } => {
                self.extend_reservation(reservation)
            }
            DomainEvent::TransferCompleted(transfer) | DomainEvent::TransferShipped(transfer) => {
                self.enter_sql()?;
                self.execute(
                    &format!(
                        "INSERT INTO transfers ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                        rows::TRANSFER_COLUMNS
                    ),
                    &[
                        &transfer.id().as_uuid(),
                        &transfer.product_id().as_uuid(),
                        &transfer.from_store().as_str(),
                        &transfer.to_store().as_str(),
                        &count(transfer.quantity().get())?,
                        &transfer.mode().as_str(),
                        &transfer.status().as_str(),
                        &transfer.created_by().map(|id| id.as_str().to_owned()),
                        &transfer.created_at(),
                        &transfer.updated_at(),
                    ],
                )
                .or_inventory()
                .map(|_| ())
            }
            DomainEvent::TransferReceived(transfer) | DomainEvent::TransferCancelled(transfer) => self
                .update_one(
                    "UPDATE transfers SET status = $2, updated_at = $3 \
                     WHERE id = $1 AND status = 'IN_TRANSIT'",
                    &[
                        &transfer.id().as_uuid(),
                        &transfer.status().as_str(),
                        &transfer.updated_at(),
                    ],
                    || format!("transfer {} is not IN_TRANSIT in the database", transfer.id()),
                ),
            DomainEvent::CartCreated(cart) => {
                self.enter_sql()?;
                self.execute(
                    "INSERT INTO carts (id, customer_id, status, expires_at, created_at, \
                     updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
                    &[
                        &cart.id().as_uuid(),
                        &cart.customer_id().as_str(),
                        &cart.status().as_str(),
                        &cart.expires_at(),
                        &cart.created_at(),
                        &cart.updated_at(),
                    ],
                )
                .or_inventory()
                .map(|_| ())
            }
            DomainEvent::CartConfirmed(cart)
            | DomainEvent::CartCancelled(cart)
            | DomainEvent::CartExpired(cart) => self.update_one(
                "UPDATE carts SET status = $2, updated_at = $3 WHERE id = $1 AND status = 'PENDING'",
                &[
                    &cart.id().as_uuid(),
                    &cart.status().as_str(),
                    &cart.updated_at(),
                ],
                || format!("cart {} is not PENDING in the database", cart.id()),
            ),
        }
    }

    /// The cart `record` with its lines, each read (and locked, in a write) as
    /// [`ReadTx::reservation`] reads it, so the batch's cache stays the one truth.
    fn with_lines(&self, mut record: CartRecord) -> Result<Cart, InventoryError> {
        // The batch's cached lines are written out first, so the query sees them.
        self.enter_sql()?;
        let ids: Vec<uuid::Uuid> = self.all(
            "SELECT id FROM reservations WHERE cart_id = $1 ORDER BY product_id, store_id",
            &[&record.id.as_uuid()],
            |row| row.try_get(0).or_inventory(),
        )?;
        for id in ids {
            let id = ReservationId::from_uuid(id);
            let line = self.reservation(id)?.ok_or_else(|| {
                InventoryError::internal(format!("line {id} of cart {} vanished", record.id))
            })?;
            record.lines.push(line);
        }
        Cart::restore(record).map_err(InventoryError::corrupt_in("carts"))
    }

    /// A stock record one change after the version stored: every change bumps the version by
    /// one, so the record must be at `version - 1` (a lost update is refused).
    fn change_stock(&mut self, stock: &Stock) -> Result<(), InventoryError> {
        let Some(current) = self.stock(stock.product_id(), stock.store_id())? else {
            return Err(InventoryError::internal(format!(
                "the stock of {} in {} does not exist",
                stock.product_id(),
                stock.store_id()
            )));
        };
        if current.version() + 1 != stock.version() {
            return Err(InventoryError::internal(format!(
                "the stock of {} in {} is at version {}, not {}",
                stock.product_id(),
                stock.store_id(),
                current.version(),
                stock.version().saturating_sub(1)
            )));
        }
        self.state()?.stock_changed(stock.clone())
    }

    /// A PENDING reservation's new `expires_at`: written at once (the batch's write-out only
    /// inserts and resolves), and kept in the cache for the rest of the batch.
    fn extend_reservation(&mut self, reservation: &Reservation) -> Result<(), InventoryError> {
        match self.reservation(reservation.id())? {
            Some(current) if current.status() == ReservationStatus::Pending => {}
            _ => {
                return Err(InventoryError::internal(format!(
                    "reservation {} is not PENDING",
                    reservation.id()
                )));
            }
        }
        // `update_one` writes the cache out first, so a reservation made earlier in the batch
        // exists in the table.
        self.update_one(
            "UPDATE reservations SET expires_at = $2, updated_at = $3 \
             WHERE id = $1 AND status = 'PENDING'",
            &[
                &reservation.id().as_uuid(),
                &reservation.expires_at(),
                &reservation.updated_at(),
            ],
            || {
                format!(
                    "reservation {} is not PENDING in the database",
                    reservation.id()
                )
            },
        )?;
        self.state()?.reservation_changed(reservation.clone())
    }

    /// Writes the batch's cache out, then runs an UPDATE whose WHERE names one row in the
    /// state it must be in (PENDING, IN_TRANSIT): it must change exactly that row. Anything
    /// else is a second resolution, which the row locks rule out: a bug, reported as
    /// `not_as_read`.
    fn update_one(
        &self,
        sql: &str,
        params: Params<'_>,
        not_as_read: impl FnOnce() -> String,
    ) -> Result<(), InventoryError> {
        self.enter_sql()?;
        if self.execute(sql, params).or_inventory()? == 1 {
            Ok(())
        } else {
            Err(InventoryError::internal(not_as_read()))
        }
    }

    /// A reservation leaves PENDING, once.
    fn resolve_reservation(&mut self, reservation: &Reservation) -> Result<(), InventoryError> {
        match self.reservation(reservation.id())? {
            Some(current) if current.status() == ReservationStatus::Pending => {
                self.state()?.reservation_changed(reservation.clone())
            }
            Some(_) => Err(InventoryError::internal(format!(
                "reservation {} is not PENDING",
                reservation.id()
            ))),
            None => Err(InventoryError::internal(format!(
                "reservation {} does not exist",
                reservation.id()
            ))),
        }
    }

    fn insert_product(&self, product: &Product) -> Result<(), InventoryError> {
        let details = &product.details;
        self.execute(
            &format!(
                "INSERT INTO products ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                rows::PRODUCT_COLUMNS
            ),
            &[
                &product.id.as_uuid(),
                &details.sku.as_str(),
                &details.name.as_str(),
                &details.description.as_ref().map(|d| d.as_str()),
                &details.category.as_ref().map(|c| c.as_str()),
                &details.price.cents(),
                &product.created_at,
                &product.updated_at,
            ],
        )
        .map_err(|error| match classify(&error) {
            Kind::Unique(_) => InventoryError::DuplicateSku(details.sku.clone()),
            _ => to_inventory(error),
        })?;
        self.fold_product(product)
    }

    fn update_product(&self, product: &Product) -> Result<(), InventoryError> {
        let details = &product.details;
        let changed = self
            .execute(
                "UPDATE products SET sku = $2, name = $3, description = $4, category = $5, \
                 price_cents = $6, updated_at = $7 WHERE id = $1",
                &[
                    &product.id.as_uuid(),
                    &details.sku.as_str(),
                    &details.name.as_str(),
                    &details.description.as_ref().map(|d| d.as_str()),
                    &details.category.as_ref().map(|c| c.as_str()),
                    &details.price.cents(),
                    &product.updated_at,
                ],
            )
            .map_err(|error| match classify(&error) {
                Kind::Unique(_) => InventoryError::DuplicateSku(details.sku.clone()),
                _ => to_inventory(error),
            })?;
        if changed == 0 {
            return Err(InventoryError::ProductNotFound(product.id));
        }
        self.fold_product(product)
    }

    fn delete_product(&self, id: ProductId) -> Result<(), InventoryError> {
        let deleted = self
            .execute("DELETE FROM products WHERE id = $1", &[&id.as_uuid()])
            .or_inventory()?;
        if deleted == 0 {
            return Err(InventoryError::ProductNotFound(id));
        }
        Ok(())
    }

    fn insert_store(&self, store: &Store) -> Result<(), InventoryError> {
        let details = &store.details;
        self.execute(
            &format!(
                "INSERT INTO stores ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                rows::STORE_COLUMNS
            ),
            &[
                &store.id.as_str(),
                &details.name.as_str(),
                &details.address.as_ref().map(|v| v.as_str()),
                &details.city.as_ref().map(|v| v.as_str()),
                &details.country.as_ref().map(|v| v.as_str()),
                &details.phone.as_ref().map(|v| v.as_str()),
                &details.email.as_ref().map(|v| v.as_str()),
                &details.active,
                &store.created_at,
                &store.updated_at,
            ],
        )
        .map_err(|error| match classify(&error) {
            Kind::Unique(_) => InventoryError::DuplicateStore(store.id.clone()),
            _ => to_inventory(error),
        })?;
        Ok(())
    }

    fn update_store(&self, store: &Store) -> Result<(), InventoryError> {
        let details = &store.details;
        let changed = self
            .execute(
                "UPDATE stores SET name = $2, address = $3, city = $4, country = $5, phone = $6, \
                 email = $7, active = $8, updated_at = $9 WHERE id = $1",
                &[
                    &store.id.as_str(),
                    &details.name.as_str(),
                    &details.address.as_ref().map(|v| v.as_str()),
                    &details.city.as_ref().map(|v| v.as_str()),
                    &details.country.as_ref().map(|v| v.as_str()),
                    &details.phone.as_ref().map(|v| v.as_str()),
                    &details.email.as_ref().map(|v| v.as_str()),
                    &details.active,
                    &store.updated_at,
                ],
            )
            .or_inventory()?;
        if changed == 0 {
            return Err(InventoryError::StoreNotFound(store.id.clone()));
        }
        Ok(())
    }

    fn insert_stock(&self, stock: &Stock) -> Result<(), InventoryError> {
        if stock.version() != 1 {
            return Err(InventoryError::internal(format!(
                "a new stock record of {} in {} must be at version 1, not {}",
                stock.product_id(),
                stock.store_id(),
                stock.version()
            )));
        }
        self.execute(
            "INSERT INTO stock (product_id, store_id, quantity, reserved, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
            &[
                &stock.product_id().as_uuid(),
                &stock.store_id().as_str(),
                &count(stock.quantity())?,
                &count(stock.reserved())?,
                &version(stock.version())?,
                &stock.updated_at(),
            ],
        )
        .map_err(|error| match classify(&error) {
            Kind::ForeignKey(constraint) if constraint == "stock_product_fk" => {
                InventoryError::ProductNotFound(stock.product_id())
            }
            Kind::ForeignKey(constraint) if constraint == "stock_store_fk" => {
                InventoryError::StoreNotFound(stock.store_id().clone())
            }
            // Another instance created the pair's stock after this transaction looked: run
            // the change again, and it will find the row.
            Kind::Unique(_) => InventoryError::Unavailable(
                Failure::caused_by(
                    format!(
                        "the stock of {} in {} was created concurrently",
                        stock.product_id(),
                        stock.store_id()
                    ),
                    error,
                )
                .transient(),
            ),
            _ => to_inventory(error),
        })?;
        Ok(())
    }
}
