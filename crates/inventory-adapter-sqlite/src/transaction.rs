//! The SQL behind the port's [`ReadTx`] and [`WriteTx`], on a connection that is already
//! inside a transaction (a read snapshot, or the writer's `BEGIN IMMEDIATE` + savepoint).
//!
//! Writes come in as recorded events ([`WriteTx::record`]): each arm of `store_change` writes
//! the state one kind of event carries, and the event's outbox row follows in the same
//! savepoint.

use inventory_domain::{
    Cart, CartId, CartRecord, DomainEvent, Product, ProductId, Reservation, ReservationId, Sku,
    Stock, Store, StoreId, StoreName, ThresholdScope, Transfer, TransferId, UserId,
};
use inventory_ports::{
    ConsistencyFacts, IdempotencyKey, InventoryError, LowStockEntry, MovementFilter, MovementOrder,
    NewEvent, Page, ProductFilter, ReadTx, RecordedEvent, RecordedMovement, ReservationFilter,
    StockFilter, StoreStock, StoredResponse, TransferFilter, Webhook, WebhookDelivery, WebhookId,
    WriteTx,
};
use rusqlite::types::ToSql;
use rusqlite::{Connection, OptionalExtension, Params, Row, params};
use time::OffsetDateTime;

use crate::errors::{Kind, OrInventory, classify, to_inventory};
use crate::{rows, timestamp, webhooks};

mod history;
pub(crate) use history::fold_products;

/// A connection inside a transaction, seen through the port.
pub(crate) struct SqliteTx<'c> {
    conn: &'c Connection,
    /// The highest event sequence appended through this value, so the writer can tell
    /// listeners what a commit published.
    last_seq: Option<u64>,
}

impl<'c> SqliteTx<'c> {
    pub(crate) fn new(conn: &'c Connection) -> Self {
        Self {
            conn,
            last_seq: None,
        }
    }

    pub(crate) fn last_seq(&self) -> Option<u64> {
        self.last_seq
    }

    fn one<T>(
        &self,
        sql: &str,
        params: impl Params,
        map: fn(&Row<'_>) -> Result<T, InventoryError>,
    ) -> Result<Option<T>, InventoryError> {
        let mut statement = self.conn.prepare_cached(sql).or_inventory()?;
        let mut rows = statement.query(params).or_inventory()?;
        match rows.next().or_inventory()? {
            Some(row) => map(row).map(Some),
            None => Ok(None),
        }
    }

    fn all<T>(
        &self,
        sql: &str,
        params: impl Params,
        map: fn(&Row<'_>) -> Result<T, InventoryError>,
    ) -> Result<Vec<T>, InventoryError> {
        let mut statement = self.conn.prepare_cached(sql).or_inventory()?;
        let mut rows = statement.query(params).or_inventory()?;
        let mut items = Vec::new();
        while let Some(row) = rows.next().or_inventory()? {
            items.push(map(row)?);
        }
        Ok(items)
    }

    fn count(&self, sql: &str, params: impl Params) -> Result<u64, InventoryError> {
        let total: i64 = self
            .conn
            .prepare_cached(sql)
            .and_then(|mut statement| statement.query_row(params, |row| row.get(0)))
            .or_inventory()?;
        u64::try_from(total).map_err(|e| InventoryError::corrupt("count", e))
    }

    fn exists(&self, sql: &str, key: &str) -> Result<bool, InventoryError> {
        self.conn
            .query_row(sql, [key], |_| Ok(()))
            .optional()
            .or_inventory()
            .map(|found| found.is_some())
    }

    /// A page of `table` rows matching the `given` column conditions, in `order`, and how many
    /// match. Only the conditions given become SQL, so each can use its index.
    fn page_where<T>(
        &self,
        (table, columns, order): (&str, &str, &str),
        given: &[(&str, &str)],
        page: Page,
        map: fn(&Row<'_>) -> Result<T, InventoryError>,
    ) -> Result<(Vec<T>, u64), InventoryError> {
        let filter_sql = if given.is_empty() {
            String::new()
        } else {
            let conditions: Vec<String> = given
                .iter()
                .enumerate()
                .map(|(i, (column, _))| format!("{column} = ?{}", i + 1))
                .collect();
            format!("WHERE {}", conditions.join(" AND "))
        };
        let mut values: Vec<&dyn ToSql> =
            given.iter().map(|(_, value)| value as &dyn ToSql).collect();
        let total = self.count(
            &format!("SELECT COUNT(*) FROM {table} {filter_sql}"),
            values.as_slice(),
        )?;
        let limit = i64::from(page.limit());
        let offset = i64::try_from(page.offset()).unwrap_or(i64::MAX);
        values.push(&limit);
        values.push(&offset);
        let sql = format!(
            "SELECT {columns} FROM {table} {filter_sql} ORDER BY {order} LIMIT ?{} OFFSET ?{}",
            given.len() + 1,
            given.len() + 2
        );
        Ok((self.all(&sql, values.as_slice(), map)?, total))
    }

    /// After a foreign-key failure on a (product, store) pair: which end is missing.
    fn missing_end(&self, product_id: ProductId, store_id: &StoreId) -> InventoryError {
        match self.exists(
            "SELECT 1 FROM products WHERE id = ?1",
            &product_id.to_string(),
        ) {
            Ok(false) => InventoryError::ProductNotFound(product_id),
            Ok(true) => InventoryError::StoreNotFound(store_id.clone()),
            Err(error) => error,
        }
    }
}

impl ReadTx for SqliteTx<'_> {
    fn product(&self, id: ProductId) -> Result<Option<Product>, InventoryError> {
        let sql = format!(
            "SELECT {} FROM products WHERE id = ?1",
            rows::PRODUCT_COLUMNS
        );
        self.one(&sql, [id.to_string()], rows::product)
    }

    fn product_by_sku(&self, sku: &Sku) -> Result<Option<Product>, InventoryError> {
        let sql = format!(
            "SELECT {} FROM products WHERE sku = ?1",
            rows::PRODUCT_COLUMNS
        );
        self.one(&sql, [sku.as_str()], rows::product)
    }

    fn list_products(
        &self,
        filter: &ProductFilter,
        page: Page,
    ) -> Result<(Vec<Product>, u64), InventoryError> {
        if let Some(q) = &filter.q {
            return self.search_products(filter.category.as_ref(), q, page);
        }
        let given: Vec<(&str, &str)> = filter
            .category
            .as_ref()
            .map(|category| ("category", category.as_str()))
            .into_iter()
            .collect();
        self.page_where(
            ("products", rows::PRODUCT_COLUMNS, "sku"),
            &given,
            page,
            rows::product,
        )
    }

    fn store(&self, id: &StoreId) -> Result<Option<Store>, InventoryError> {
        let sql = format!("SELECT {} FROM stores WHERE id = ?1", rows::STORE_COLUMNS);
        self.one(&sql, [id.as_str()], rows::store)
    }

    fn list_stores(&self, page: Page) -> Result<(Vec<Store>, u64), InventoryError> {
        self.page_where(
            ("stores", rows::STORE_COLUMNS, "id"),
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
        let sql = format!(
            "SELECT {} FROM stock WHERE product_id = ?1 AND store_id = ?2",
            rows::STOCK_COLUMNS
        );
        self.one(
            &sql,
            params![product_id.to_string(), store_id.as_str()],
            rows::stock,
        )
    }

    fn list_stock(
        &self,
        filter: &StockFilter,
        page: Page,
    ) -> Result<(Vec<Stock>, u64), InventoryError> {
        let product = filter.product_id.map(|id| id.to_string());
        let given: Vec<(&str, &str)> = [
            ("product_id", product.as_deref()),
            ("store_id", filter.store_id.as_ref().map(StoreId::as_str)),
        ]
        .into_iter()
        .filter_map(|(column, value)| value.map(|value| (column, value)))
        .collect();
        self.page_where(
            ("stock", rows::STOCK_COLUMNS, "product_id, store_id"),
            &given,
            page,
            rows::stock,
        )
    }

    fn stock_by_store(
        &self,
        product_id: ProductId,
        store_id: Option<&StoreId>,
    ) -> Result<Vec<StoreStock>, InventoryError> {
        fn row(row: &Row<'_>) -> Result<StoreStock, InventoryError> {
            const TABLE: &str = "stores";
            Ok(StoreStock {
                store_id: StoreId::parse(&row.get::<_, String>(0).or_inventory()?)
                    .map_err(InventoryError::corrupt_in(TABLE))?,
                store_name: StoreName::parse(&row.get::<_, String>(1).or_inventory()?)
                    .map_err(InventoryError::corrupt_in(TABLE))?,
                quantity: row.get(2).or_inventory()?,
                reserved: row.get(3).or_inventory()?,
                in_transit: row.get(4).or_inventory()?,
            })
        }
        const SELECT: &str = "SELECT s.id, s.name, COALESCE(k.quantity, 0), COALESCE(k.reserved, 0), \
             COALESCE((SELECT SUM(t.quantity) FROM transfers t WHERE t.product_id = ?1 \
               AND t.to_store_id = s.id AND t.status = 'IN_TRANSIT'), 0) \
             FROM stores s LEFT JOIN stock k ON k.store_id = s.id AND k.product_id = ?1";
        let product = product_id.to_string();
        match store_id {
            None => self.all(
                &format!("{SELECT} WHERE s.active = 1 ORDER BY s.id"),
                [&product],
                row,
            ),
            Some(store) => self.all(
                &format!("{SELECT} WHERE s.id = ?2"),
                params![product, store.as_str()],
                row,
            ),
        }
    }

    fn reservation(&self, id: ReservationId) -> Result<Option<Reservation>, InventoryError> {
        let sql = format!(
            "SELECT {} FROM reservations WHERE id = ?1",
            rows::RESERVATION_COLUMNS
        );
        self.one(&sql, [id.to_string()], rows::reservation)
    }

    fn transfer(&self, id: TransferId) -> Result<Option<Transfer>, InventoryError> {
        let sql = format!(
            "SELECT {} FROM transfers WHERE id = ?1",
            rows::TRANSFER_COLUMNS
        );
        self.one(&sql, [id.to_string()], rows::transfer)
    }

    fn list_transfers(
        &self,
        filter: &TransferFilter,
        page: Page,
    ) -> Result<(Vec<Transfer>, u64), InventoryError> {
        const WHERE: &str = "WHERE (?1 IS NULL OR from_store_id = ?1 OR to_store_id = ?1) \
             AND (?2 IS NULL OR product_id = ?2) AND (?3 IS NULL OR status = ?3)";
        let store = filter.store_id.as_ref().map(|id| id.as_str().to_owned());
        let product = filter.product_id.map(|id| id.to_string());
        let status = filter.status.map(|status| status.as_str());
        let total = self.count(
            &format!("SELECT COUNT(*) FROM transfers {WHERE}"),
            params![store, product, status],
        )?;
        let sql = format!(
            "SELECT {} FROM transfers {WHERE} ORDER BY id DESC LIMIT ?4 OFFSET ?5",
            rows::TRANSFER_COLUMNS
        );
        let offset = i64::try_from(page.offset()).unwrap_or(i64::MAX);
        let transfers = self.all(
            &sql,
            params![store, product, status, i64::from(page.limit()), offset],
            rows::transfer,
        )?;
        Ok((transfers, total))
    }

    fn cart(&self, id: CartId) -> Result<Option<Cart>, InventoryError> {
        let sql = format!("SELECT {} FROM carts WHERE id = ?1", rows::CART_COLUMNS);
        self.one(&sql, [id.to_string()], rows::cart_row)?
            .map(|record| self.with_lines(record))
            .transpose()
    }

    fn list_reservations(
        &self,
        filter: &ReservationFilter,
        page: Page,
    ) -> Result<(Vec<Reservation>, u64), InventoryError> {
        let given: Vec<(&str, &str)> = [
            ("store_id", filter.store_id.as_ref().map(StoreId::as_str)),
            (
                "customer_id",
                filter.customer_id.as_ref().map(|c| c.as_str()),
            ),
            ("status", filter.status.map(|s| s.as_str())),
        ]
        .into_iter()
        .filter_map(|(column, value)| value.map(|value| (column, value)))
        .collect();
        self.page_where(
            ("reservations", rows::RESERVATION_COLUMNS, "id DESC"),
            &given,
            page,
            rows::reservation,
        )
    }

    fn next_expiry(&self) -> Result<Option<OffsetDateTime>, InventoryError> {
        let next: Option<String> = self
            .conn
            .prepare_cached("SELECT MIN(expires_at) FROM reservations WHERE status = 'PENDING'")
            .and_then(|mut statement| statement.query_row([], |row| row.get(0)))
            .or_inventory()?;
        next.map(|text| timestamp::parse(&text).map_err(InventoryError::corrupt_in("reservations")))
            .transpose()
    }

    fn customer_holds(
        &self,
        customer: &inventory_domain::CustomerId,
        product: ProductId,
    ) -> Result<inventory_domain::CustomerHolds, InventoryError> {
        // A write transaction holds SQLite's write lock: nobody else reserves meanwhile.
        let counts = self
            .conn
            .prepare_cached(
                "SELECT COUNT(*), COALESCE(SUM(quantity), 0), \
                 COALESCE(SUM(product_id = ?2), 0), \
                 COALESCE(SUM(CASE WHEN product_id = ?2 THEN quantity ELSE 0 END), 0) \
                 FROM reservations WHERE customer_id = ?1 AND status = 'PENDING'",
            )
            .and_then(|mut statement| {
                statement.query_row(params![customer.as_str(), product.to_string()], |row| {
                    Ok([
                        row.get::<_, i64>(0)?,
                        row.get::<_, i64>(1)?,
                        row.get::<_, i64>(2)?,
                        row.get::<_, i64>(3)?,
                    ])
                })
            })
            .or_inventory()?;
        InventoryError::holds_from_counts(counts)
    }

    fn events_after(
        &self,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<RecordedEvent>, InventoryError> {
        // Writers are serialised and seq is assigned inside the writing transaction, so seq
        // order is commit order: nothing can appear below a seq already visible.
        let after = i64::try_from(after_seq).unwrap_or(i64::MAX);
        let sql = format!(
            "SELECT {} FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            rows::EVENT_COLUMNS
        );
        self.all(&sql, params![after, i64::from(limit)], rows::event)
    }

    fn store_events_after(
        &self,
        store: &StoreId,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<RecordedEvent>, InventoryError> {
        let after = i64::try_from(after_seq).unwrap_or(i64::MAX);
        let sql = format!(
            "SELECT {} FROM events WHERE seq > ?1 \
             AND (store_id = ?2 OR (store_id IS NULL AND aggregate_type = 'product')) \
             ORDER BY seq LIMIT ?3",
            rows::EVENT_COLUMNS
        );
        self.all(
            &sql,
            params![after, store.as_str(), i64::from(limit)],
            rows::event,
        )
    }

    fn last_event_seq(&self) -> Result<u64, InventoryError> {
        // sqlite_sequence remembers the highest seq ever assigned, even after deletes.
        self.count(
            "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)",
            [],
        )
    }

    fn stored_response(
        &self,
        key: &IdempotencyKey,
    ) -> Result<Option<StoredResponse>, InventoryError> {
        // One writer at a time holds the write lock: a repeat waits in its queue.
        self.one(
            "SELECT fingerprint, status, body, created_at FROM idempotency_keys \
             WHERE scope = ?1 AND key = ?2",
            [key.scope(), key.key()],
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
        webhooks::webhook(self.conn, id)
    }

    fn list_webhooks(&self) -> Result<Vec<Webhook>, InventoryError> {
        webhooks::list_webhooks(self.conn)
    }

    fn webhook_deliveries(
        &self,
        id: WebhookId,
        page: Page,
    ) -> Result<(Vec<WebhookDelivery>, u64), InventoryError> {
        webhooks::webhook_deliveries(self.conn, id, page)
    }
}

impl WriteTx for SqliteTx<'_> {
    fn record(&mut self, event: &NewEvent) -> Result<(), InventoryError> {
        // Writers are serialised and AUTOINCREMENT assigns seq inside the writing transaction,
        // so seq order is commit order; a savepoint rolled back takes its seq back with it.
        self.store_change(event.change())?;
        let seq = self.append(event)?;
        self.insert_movement(event, seq)
    }

    fn set_low_stock_threshold(
        &mut self,
        scope: &ThresholdScope,
        threshold: Option<u32>,
        set_by: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(), InventoryError> {
        self.set_threshold(scope, threshold, set_by, now)
    }

    fn claim_due_reservations(
        &mut self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Reservation>, InventoryError> {
        // The writer holds the database's write lock: what it reads, nobody else claims.
        let sql = format!(
            "SELECT {} FROM reservations WHERE status = 'PENDING' AND expires_at <= ?1 \
             AND cart_id IS NULL ORDER BY expires_at, id LIMIT ?2",
            rows::RESERVATION_COLUMNS
        );
        self.all(
            &sql,
            params![timestamp::format(now), i64::from(limit)],
            rows::reservation,
        )
    }

    fn claim_due_carts(
        &mut self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Cart>, InventoryError> {
        // The writer holds the database's write lock: what it reads, nobody else claims.
        let sql = format!(
            "SELECT {} FROM carts WHERE status = 'PENDING' AND expires_at <= ?1 \
             ORDER BY expires_at, id LIMIT ?2",
            rows::CART_COLUMNS
        );
        self.all(
            &sql,
            params![timestamp::format(now), i64::from(limit)],
            rows::cart_row,
        )?
        .into_iter()
        .map(|record| self.with_lines(record))
        .collect()
    }

    fn store_response(
        &mut self,
        key: &IdempotencyKey,
        response: &StoredResponse,
    ) -> Result<(), InventoryError> {
        self.insert_response(key, response)
    }

    fn purge_responses(
        &mut self,
        before: OffsetDateTime,
        limit: u32,
    ) -> Result<u32, InventoryError> {
        let purged = self
            .conn
            .prepare_cached(
                "DELETE FROM idempotency_keys WHERE rowid IN (SELECT rowid FROM idempotency_keys \
                 WHERE created_at < ?1 ORDER BY created_at LIMIT ?2)",
            )
            .and_then(|mut statement| {
                statement.execute(params![timestamp::format(before), i64::from(limit)])
            })
            .or_inventory()?;
        u32::try_from(purged).map_err(|e| InventoryError::corrupt("idempotency_keys", e))
    }

    fn create_webhook(&mut self, webhook: &Webhook) -> Result<(), InventoryError> {
        webhooks::create_webhook(self.conn, webhook)
    }

    fn delete_webhook(&mut self, id: WebhookId) -> Result<bool, InventoryError> {
        webhooks::delete_webhook(self.conn, id)
    }

    fn move_webhook_cursor(
        &mut self,
        id: WebhookId,
        from: u64,
        to: u64,
    ) -> Result<bool, InventoryError> {
        webhooks::move_webhook_cursor(self.conn, id, from, to)
    }

    fn log_webhook_delivery(&mut self, delivery: &WebhookDelivery) -> Result<(), InventoryError> {
        webhooks::log_webhook_delivery(self.conn, delivery)
    }
}

impl SqliteTx<'_> {
    fn insert_response(
        &mut self,
        key: &IdempotencyKey,
        response: &StoredResponse,
    ) -> Result<(), InventoryError> {
        self.conn
            .prepare_cached(
                "INSERT INTO idempotency_keys (scope, key, fingerprint, status, body, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    key.scope(),
                    key.key(),
                    response.fingerprint,
                    response.status,
                    response.body,
                    timestamp::format(response.created_at),
                ])
            })
            .or_inventory()
            .map(|_| ())
    }

    /// Writes the state `change` carries.
    fn store_change(&mut self, change: &DomainEvent) -> Result<(), InventoryError> {
        match change {
            DomainEvent::ProductCreated(product) => self.insert_product(product),
            DomainEvent::ProductUpdated(product) => self.update_product(product),
            DomainEvent::ProductDeleted(product) => self.delete_product(product.id),
            DomainEvent::StoreCreated(store) => self.insert_store(store),
            DomainEvent::StoreUpdated(store) => self.update_store(store),
            DomainEvent::StockCreated { stock, .. } => self.insert_stock(stock),
            DomainEvent::StockUpdated { stock, .. } => self.update_stock(stock),
            // An alert stores nothing: whether a pair is low follows from its stock and
            // threshold.
            DomainEvent::StockLow(_) | DomainEvent::StockReplenished(_) => Ok(()),
            DomainEvent::ReservationCreated { reservation, stock } => {
                self.update_stock(stock)?;
                self.insert_reservation(reservation)
            }
            DomainEvent::ReservationConfirmed { reservation, stock }
            | DomainEvent::ReservationCancelled { reservation, stock }
            | DomainEvent::ReservationExpired { reservation, stock } => {
                self.update_stock(stock)?;
                self.resolve_reservation(reservation)
            }
            DomainEvent::TransferCompleted(transfer) | DomainEvent::TransferShipped(transfer) => {
                self.insert_transfer(transfer)
            }
            DomainEvent::TransferReceived(transfer) | DomainEvent::TransferCancelled(transfer) => {
                self.update_transfer(transfer)
            }
            DomainEvent::ReservationExtended { reservation, .. } => {
                self.extend_reservation(reservation)
            }
            DomainEvent::CartCreated(cart) => self.insert_cart(cart),
            DomainEvent::CartConfirmed(cart)
            | DomainEvent::CartCancelled(cart)
            | DomainEvent::CartExpired(cart) => self.resolve_cart(cart),
        }
    }

    fn insert_product(&self, product: &Product) -> Result<(), InventoryError> {
        self.conn
            .prepare_cached(&format!(
                "INSERT INTO products ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                rows::PRODUCT_COLUMNS
            ))
            .and_then(|mut statement| execute_product(&mut statement, product))
            .map_err(|error| match classify(&error) {
                Kind::Unique => InventoryError::DuplicateSku(product.details.sku.clone()),
                _ => to_inventory(error),
            })?;
        self.fold_product(product)
    }

    fn update_product(&self, product: &Product) -> Result<(), InventoryError> {
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE products SET sku = ?2, name = ?3, description = ?4, category = ?5, \
                 price_cents = ?6, updated_at = ?8 WHERE id = ?1",
            )
            .and_then(|mut statement| execute_product(&mut statement, product))
            .map_err(|error| match classify(&error) {
                Kind::Unique => InventoryError::DuplicateSku(product.details.sku.clone()),
                _ => to_inventory(error),
            })?;
        if changed == 0 {
            return Err(InventoryError::ProductNotFound(product.id));
        }
        self.fold_product(product)
    }

    fn delete_product(&self, id: ProductId) -> Result<(), InventoryError> {
        let deleted = self
            .conn
            .prepare_cached("DELETE FROM products WHERE id = ?1")
            .and_then(|mut statement| statement.execute([id.to_string()]))
            .or_inventory()?;
        if deleted == 0 {
            return Err(InventoryError::ProductNotFound(id));
        }
        Ok(())
    }

    fn insert_store(&self, store: &Store) -> Result<(), InventoryError> {
        self.conn
            .prepare_cached(&format!(
                "INSERT INTO stores ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                rows::STORE_COLUMNS
            ))
            .and_then(|mut statement| execute_store(&mut statement, store))
            .map_err(|error| match classify(&error) {
                Kind::Unique => InventoryError::DuplicateStore(store.id.clone()),
                _ => to_inventory(error),
            })?;
        Ok(())
    }

    fn update_store(&self, store: &Store) -> Result<(), InventoryError> {
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE stores SET name = ?2, address = ?3, city = ?4, country = ?5, phone = ?6, \
                 email = ?7, active = ?8, updated_at = ?10 WHERE id = ?1",
            )
            .and_then(|mut statement| execute_store(&mut statement, store))
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
        let updated_at = timestamp::format(stock.updated_at());
        self.conn
            .prepare_cached(
                "INSERT INTO stock (product_id, store_id, quantity, reserved, version, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    stock.product_id().to_string(),
                    stock.store_id().as_str(),
                    stock.quantity(),
                    stock.reserved(),
                    stock.version() as i64,
                    updated_at,
                ])
            })
            .map_err(|error| match classify(&error) {
                Kind::ForeignKey => self.missing_end(stock.product_id(), stock.store_id()),
                Kind::Unique => InventoryError::Internal(inventory_ports::Failure::caused_by(
                    format!(
                        "the stock of {} in {} already has a record",
                        stock.product_id(),
                        stock.store_id()
                    ),
                    error,
                )),
                _ => to_inventory(error),
            })?;
        Ok(())
    }

    /// Stores a stock record one change after the version stored: every change bumps the
    /// version by one, so the record must be at `version - 1`.
    fn update_stock(&self, stock: &Stock) -> Result<(), InventoryError> {
        // The version condition makes a lost update impossible to store even if two writers
        // ever ran at once; the table's CHECKs refuse an oversold row even if the domain let
        // one through.
        let read_version = stock.version().saturating_sub(1);
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE stock SET quantity = ?3, reserved = ?4, version = ?5, updated_at = ?6 \
                 WHERE product_id = ?1 AND store_id = ?2 AND version = ?7",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    stock.product_id().to_string(),
                    stock.store_id().as_str(),
                    stock.quantity(),
                    stock.reserved(),
                    stock.version() as i64,
                    timestamp::format(stock.updated_at()),
                    read_version as i64,
                ])
            })
            .or_inventory()?;
        if changed != 1 {
            return Err(InventoryError::internal(format!(
                "the stock of {} in {} is not at version {read_version}",
                stock.product_id(),
                stock.store_id()
            )));
        }
        Ok(())
    }

    fn insert_reservation(&self, reservation: &Reservation) -> Result<(), InventoryError> {
        self.conn
            .prepare_cached(&format!(
                "INSERT INTO reservations ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                rows::RESERVATION_COLUMNS
            ))
            .and_then(|mut statement| {
                statement.execute(params![
                    reservation.id().to_string(),
                    reservation.product_id().to_string(),
                    reservation.store_id().as_str(),
                    reservation.customer_id().as_str(),
                    reservation.quantity().get(),
                    reservation.status().as_str(),
                    timestamp::format(reservation.expires_at()),
                    timestamp::format(reservation.created_at()),
                    timestamp::format(reservation.updated_at()),
                    reservation.cart_id().map(|id| id.to_string()),
                ])
            })
            .or_inventory()?;
        Ok(())
    }

    fn extend_reservation(&self, reservation: &Reservation) -> Result<(), InventoryError> {
        self.update_one(
            "UPDATE reservations SET expires_at = ?2, updated_at = ?3 \
             WHERE id = ?1 AND status = 'PENDING'",
            params![
                reservation.id().to_string(),
                timestamp::format(reservation.expires_at()),
                timestamp::format(reservation.updated_at()),
            ],
            || {
                format!(
                    "reservation {} is not PENDING in the database",
                    reservation.id()
                )
            },
        )
    }

    fn insert_transfer(&self, transfer: &Transfer) -> Result<(), InventoryError> {
        self.conn
            .prepare_cached(&format!(
                "INSERT INTO transfers ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                rows::TRANSFER_COLUMNS
            ))
            .and_then(|mut statement| {
                statement.execute(params![
                    transfer.id().to_string(),
                    transfer.product_id().to_string(),
                    transfer.from_store().as_str(),
                    transfer.to_store().as_str(),
                    transfer.quantity().get(),
                    transfer.mode().as_str(),
                    transfer.status().as_str(),
                    transfer.created_by().map(UserId::as_str),
                    timestamp::format(transfer.created_at()),
                    timestamp::format(transfer.updated_at()),
                ])
            })
            .or_inventory()?;
        Ok(())
    }

    fn update_transfer(&self, transfer: &Transfer) -> Result<(), InventoryError> {
        self.update_one(
            "UPDATE transfers SET status = ?2, updated_at = ?3 \
             WHERE id = ?1 AND status = 'IN_TRANSIT'",
            params![
                transfer.id().to_string(),
                transfer.status().as_str(),
                timestamp::format(transfer.updated_at()),
            ],
            || {
                format!(
                    "transfer {} is not IN_TRANSIT in the database",
                    transfer.id()
                )
            },
        )
    }

    fn insert_cart(&self, cart: &Cart) -> Result<(), InventoryError> {
        self.conn
            .prepare_cached(&format!(
                "INSERT INTO carts ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                rows::CART_COLUMNS
            ))
            .and_then(|mut statement| {
                statement.execute(params![
                    cart.id().to_string(),
                    cart.customer_id().as_str(),
                    cart.status().as_str(),
                    timestamp::format(cart.expires_at()),
                    timestamp::format(cart.created_at()),
                    timestamp::format(cart.updated_at()),
                ])
            })
            .or_inventory()?;
        Ok(())
    }

    fn resolve_cart(&self, cart: &Cart) -> Result<(), InventoryError> {
        self.update_one(
            "UPDATE carts SET status = ?2, updated_at = ?3 WHERE id = ?1 AND status = 'PENDING'",
            params![
                cart.id().to_string(),
                cart.status().as_str(),
                timestamp::format(cart.updated_at()),
            ],
            || format!("cart {} is not PENDING in the database", cart.id()),
        )
    }

    /// The cart `record` with its lines read.
    fn with_lines(&self, mut record: CartRecord) -> Result<Cart, InventoryError> {
        let sql = format!(
            "SELECT {} FROM reservations WHERE cart_id = ?1 ORDER BY product_id, store_id",
            rows::RESERVATION_COLUMNS
        );
        record.lines = self.all(&sql, [record.id.to_string()], rows::reservation)?;
        Cart::restore(record).map_err(InventoryError::corrupt_in("carts"))
    }

    fn resolve_reservation(&self, reservation: &Reservation) -> Result<(), InventoryError> {
        self.update_one(
            "UPDATE reservations SET status = ?2, updated_at = ?3 \
             WHERE id = ?1 AND status = 'PENDING'",
            params![
                reservation.id().to_string(),
                reservation.status().as_str(),
                timestamp::format(reservation.updated_at()),
            ],
            || {
                format!(
                    "reservation {} is not PENDING in the database",
                    reservation.id()
                )
            },
        )
    }

    /// Runs an UPDATE whose WHERE names one row in the state it must be in (PENDING,
    /// IN_TRANSIT): it must change exactly that row. Anything else is a second resolution
    /// or a lost row, which the write lock rules out: a bug, reported as `not_as_read`.
    fn update_one(
        &self,
        sql: &str,
        params: impl Params,
        not_as_read: impl FnOnce() -> String,
    ) -> Result<(), InventoryError> {
        let changed = self
            .conn
            .prepare_cached(sql)
            .and_then(|mut statement| statement.execute(params))
            .or_inventory()?;
        if changed == 1 {
            Ok(())
        } else {
            Err(InventoryError::internal(not_as_read()))
        }
    }

    fn append(&mut self, event: &NewEvent) -> Result<u64, InventoryError> {
        let wire = event.wire();
        self.conn
            .prepare_cached(
                "INSERT INTO events (event_id, event_type, schema_version, aggregate_type, \
                 aggregate_id, store_id, product_id, payload, request_id, occurred_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    event.event_id().to_string(),
                    wire.event_type.as_str(),
                    wire.schema_version,
                    wire.aggregate_type().as_str(),
                    wire.aggregate_id,
                    wire.store_id,
                    wire.product_id,
                    wire.payload,
                    event.request_id(),
                    timestamp::format(event.occurred_at()),
                ])
            })
            .or_inventory()?;
        let seq = u64::try_from(self.conn.last_insert_rowid())
            .map_err(|e| InventoryError::corrupt("events", e))?;
        self.last_seq = Some(seq);
        Ok(seq)
    }
}

/// Runs an INSERT or UPDATE of a product whose parameters follow [`rows::PRODUCT_COLUMNS`]
/// (an UPDATE simply leaves out `?7`, the creation time).
fn execute_product(
    statement: &mut rusqlite::Statement<'_>,
    product: &Product,
) -> rusqlite::Result<usize> {
    let details = &product.details;
    statement.execute(params![
        product.id.to_string(),
        details.sku.as_str(),
        details.name.as_str(),
        details.description.as_ref().map(|d| d.as_str()),
        details.category.as_ref().map(|c| c.as_str()),
        details.price.cents(),
        timestamp::format(product.created_at),
        timestamp::format(product.updated_at),
    ])
}

/// Runs an INSERT or UPDATE of a store whose parameters follow [`rows::STORE_COLUMNS`] (an
/// UPDATE leaves out `?9`, the creation time).
fn execute_store(
    statement: &mut rusqlite::Statement<'_>,
    store: &Store,
) -> rusqlite::Result<usize> {
    let details = &store.details;
    statement.execute(params![
        store.id.as_str(),
        details.name.as_str(),
        details.address.as_ref().map(|v| v.as_str()),
        details.city.as_ref().map(|v| v.as_str()),
        details.country.as_ref().map(|v| v.as_str()),
        details.phone.as_ref().map(|v| v.as_str()),
        details.email.as_ref().map(|v| v.as_str()),
        details.active,
        timestamp::format(store.created_at),
        timestamp::format(store.updated_at),
    ])
}
