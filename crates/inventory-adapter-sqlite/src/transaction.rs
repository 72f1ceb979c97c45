//! The SQL behind the port's [`ReadTx`] and [`WriteTx`], on a connection that is already
//! inside a transaction (a read snapshot, or the writer's `BEGIN IMMEDIATE` + savepoint).

use inventory_domain::{
    Category, Product, ProductId, Reservation, ReservationId, Sku, Stock, Store, StoreId, StoreName,
};
use inventory_ports::{
    InventoryError, NewEvent, OutboxBacklog, Page, ReadTx, RecordedEvent, ReservationFilter,
    StoreStockRow, WriteTx,
};
use rusqlite::types::ToSql;
use rusqlite::{Connection, OptionalExtension, Params, Row, params};
use time::OffsetDateTime;

use crate::errors::{Failure, OrInventory, classify, corrupt, corrupt_in, to_inventory};
use crate::{rows, timestamp};

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
            .query_row(sql, params, |row| row.get(0))
            .or_inventory()?;
        u64::try_from(total).map_err(|e| corrupt("count", e))
    }

    fn exists(&self, sql: &str, key: &str) -> Result<bool, InventoryError> {
        self.conn
            .query_row(sql, [key], |_| Ok(()))
            .optional()
            .or_inventory()
            .map(|found| found.is_some())
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

fn page_params(page: Page) -> (i64, i64) {
    (i64::from(page.limit()), page.offset() as i64)
}

fn optional_str<T: AsRef<str>>(value: &Option<T>) -> Option<&str> {
    value.as_ref().map(AsRef::as_ref)
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
        category: Option<&Category>,
        page: Page,
    ) -> Result<(Vec<Product>, u64), InventoryError> {
        let (limit, offset) = page_params(page);
        match category {
            None => {
                let sql = format!(
                    "SELECT {} FROM products ORDER BY sku LIMIT ?1 OFFSET ?2",
                    rows::PRODUCT_COLUMNS
                );
                let products = self.all(&sql, params![limit, offset], rows::product)?;
                Ok((products, self.count("SELECT COUNT(*) FROM products", [])?))
            }
            Some(category) => {
                let sql = format!(
                    "SELECT {} FROM products WHERE category = ?1 ORDER BY sku LIMIT ?2 OFFSET ?3",
                    rows::PRODUCT_COLUMNS
                );
                let products = self.all(
                    &sql,
                    params![category.as_str(), limit, offset],
                    rows::product,
                )?;
                let total = self.count(
                    "SELECT COUNT(*) FROM products WHERE category = ?1",
                    [category.as_str()],
                )?;
                Ok((products, total))
            }
        }
    }

    fn store(&self, id: &StoreId) -> Result<Option<Store>, InventoryError> {
        let sql = format!("SELECT {} FROM stores WHERE id = ?1", rows::STORE_COLUMNS);
        self.one(&sql, [id.as_str()], rows::store)
    }

    fn list_stores(&self, page: Page) -> Result<(Vec<Store>, u64), InventoryError> {
        let (limit, offset) = page_params(page);
        let sql = format!(
            "SELECT {} FROM stores ORDER BY id LIMIT ?1 OFFSET ?2",
            rows::STORE_COLUMNS
        );
        let stores = self.all(&sql, params![limit, offset], rows::store)?;
        Ok((stores, self.count("SELECT COUNT(*) FROM stores", [])?))
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

    fn list_stock_of_store(
        &self,
        store_id: &StoreId,
        page: Page,
    ) -> Result<(Vec<Stock>, u64), InventoryError> {
        let (limit, offset) = page_params(page);
        let sql = format!(
            "SELECT {} FROM stock WHERE store_id = ?1 ORDER BY product_id LIMIT ?2 OFFSET ?3",
            rows::STOCK_COLUMNS
        );
        let stock = self.all(&sql, params![store_id.as_str(), limit, offset], rows::stock)?;
        let total = self.count(
            "SELECT COUNT(*) FROM stock WHERE store_id = ?1",
            [store_id.as_str()],
        )?;
        Ok((stock, total))
    }

    fn list_stock_of_product(
        &self,
        product_id: ProductId,
        page: Page,
    ) -> Result<(Vec<Stock>, u64), InventoryError> {
        let (limit, offset) = page_params(page);
        let sql = format!(
            "SELECT {} FROM stock WHERE product_id = ?1 ORDER BY store_id LIMIT ?2 OFFSET ?3",
            rows::STOCK_COLUMNS
        );
        let product = product_id.to_string();
        let stock = self.all(&sql, params![product, limit, offset], rows::stock)?;
        let total = self.count(
            "SELECT COUNT(*) FROM stock WHERE product_id = ?1",
            [&product],
        )?;
        Ok((stock, total))
    }

    fn reserved_units_of_product(&self, product_id: ProductId) -> Result<u64, InventoryError> {
        self.count(
            "SELECT COALESCE(SUM(reserved), 0) FROM stock WHERE product_id = ?1",
            [product_id.to_string()],
        )
    }

    fn store_stock_of_product(
        &self,
        product_id: ProductId,
        store_id: Option<&StoreId>,
    ) -> Result<Vec<StoreStockRow>, InventoryError> {
        fn row(row: &Row<'_>) -> Result<StoreStockRow, InventoryError> {
            const TABLE: &str = "stores";
            Ok(StoreStockRow {
                store_id: StoreId::parse(&row.get::<_, String>(0).or_inventory()?)
                    .map_err(corrupt_in(TABLE))?,
                store_name: StoreName::parse(&row.get::<_, String>(1).or_inventory()?)
                    .map_err(corrupt_in(TABLE))?,
                quantity: row.get(2).or_inventory()?,
                reserved: row.get(3).or_inventory()?,
            })
        }
        const SELECT: &str = "SELECT s.id, s.name, COALESCE(k.quantity, 0), COALESCE(k.reserved, 0) \
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

    fn list_reservations(
        &self,
        filter: &ReservationFilter,
        page: Page,
    ) -> Result<(Vec<Reservation>, u64), InventoryError> {
        // Only the filters given become conditions, so each can use its index.
        let status = filter.status.map(|s| s.as_str());
        let given: Vec<(&str, &str)> = [
            ("store_id", optional_str(&filter.store_id)),
            ("customer_id", optional_str(&filter.customer_id)),
            ("status", status),
        ]
        .into_iter()
        .filter_map(|(column, value)| value.map(|value| (column, value)))
        .collect();
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
            &format!("SELECT COUNT(*) FROM reservations {filter_sql}"),
            values.as_slice(),
        )?;
        let (limit, offset) = page_params(page);
        let sql = format!(
            "SELECT {} FROM reservations {filter_sql} ORDER BY id DESC LIMIT ?{} OFFSET ?{}",
            rows::RESERVATION_COLUMNS,
            given.len() + 1,
            given.len() + 2
        );
        values.push(&limit);
        values.push(&offset);
        let reservations = self.all(&sql, values.as_slice(), rows::reservation)?;
        Ok((reservations, total))
    }

    fn due_reservations(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Reservation>, InventoryError> {
        let sql = format!(
            "SELECT {} FROM reservations WHERE status = 'PENDING' AND expires_at <= ?1 \
             ORDER BY expires_at, id LIMIT ?2",
            rows::RESERVATION_COLUMNS
        );
        self.all(
            &sql,
            params![timestamp::format(now), i64::from(limit)],
            rows::reservation,
        )
    }

    fn next_expiry(&self) -> Result<Option<OffsetDateTime>, InventoryError> {
        let next: Option<String> = self
            .conn
            .query_row(
                "SELECT MIN(expires_at) FROM reservations WHERE status = 'PENDING'",
                [],
                |row| row.get(0),
            )
            .or_inventory()?;
        next.map(|text| timestamp::parse(&text).map_err(|e| corrupt("reservations", e)))
            .transpose()
    }

    fn events_after(
        &self,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<RecordedEvent>, InventoryError> {
        let after = i64::try_from(after_seq).unwrap_or(i64::MAX);
        self.events_where(
            "seq > ?1 ORDER BY seq LIMIT ?2",
            params![after, i64::from(limit)],
        )
    }

    fn last_event_seq(&self) -> Result<u64, InventoryError> {
        // sqlite_sequence remembers the highest seq ever assigned, even after deletes.
        self.count(
            "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)",
            [],
        )
    }

    fn unpublished_events(&self, limit: u32) -> Result<Vec<RecordedEvent>, InventoryError> {
        self.events_where(
            "published_at IS NULL ORDER BY seq LIMIT ?1",
            [i64::from(limit)],
        )
    }

    fn outbox_backlog(&self) -> Result<OutboxBacklog, InventoryError> {
        let (events, oldest): (i64, Option<String>) = self
            .conn
            .query_row(
                "SELECT COUNT(*), MIN(occurred_at) FROM events WHERE published_at IS NULL",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .or_inventory()?;
        Ok(OutboxBacklog {
            events: u64::try_from(events).map_err(corrupt_in("events"))?,
            oldest: oldest
                .map(|text| timestamp::parse(&text).map_err(corrupt_in("events")))
                .transpose()?,
        })
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

impl SqliteTx<'_> {
    fn events_where(
        &self,
        condition: &str,
        params: impl Params,
    ) -> Result<Vec<RecordedEvent>, InventoryError> {
        let sql = format!(
            "SELECT {} FROM events WHERE {condition}",
            rows::EVENT_COLUMNS
        );
        self.all(&sql, params, rows::event)
    }
}

impl WriteTx for SqliteTx<'_> {
    fn insert_product(&mut self, product: &Product) -> Result<(), InventoryError> {
        self.conn
            .prepare_cached(&format!(
                "INSERT INTO products ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                rows::PRODUCT_COLUMNS
            ))
            .and_then(|mut statement| execute_product(&mut statement, product))
            .map_err(|error| match classify(&error) {
                Failure::Unique => InventoryError::DuplicateSku(product.details.sku.clone()),
                _ => to_inventory(error),
            })?;
        Ok(())
    }

    fn update_product(&mut self, product: &Product) -> Result<(), InventoryError> {
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE products SET sku = ?2, name = ?3, description = ?4, category = ?5, \
                 price_cents = ?6, updated_at = ?8 WHERE id = ?1",
            )
            .and_then(|mut statement| execute_product(&mut statement, product))
            .map_err(|error| match classify(&error) {
                Failure::Unique => InventoryError::DuplicateSku(product.details.sku.clone()),
                _ => to_inventory(error),
            })?;
        if changed == 0 {
            return Err(InventoryError::ProductNotFound(product.id));
        }
        Ok(())
    }

    fn delete_product(&mut self, id: ProductId) -> Result<(), InventoryError> {
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

    fn insert_store(&mut self, store: &Store) -> Result<(), InventoryError> {
        self.conn
            .prepare_cached(&format!(
                "INSERT INTO stores ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                rows::STORE_COLUMNS
            ))
            .and_then(|mut statement| execute_store(&mut statement, store))
            .map_err(|error| match classify(&error) {
                Failure::Unique => InventoryError::DuplicateStore(store.id.clone()),
                _ => to_inventory(error),
            })?;
        Ok(())
    }

    fn update_store(&mut self, store: &Store) -> Result<(), InventoryError> {
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

    fn insert_stock(&mut self, stock: &Stock) -> Result<(), InventoryError> {
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
                Failure::ForeignKey => self.missing_end(stock.product_id(), stock.store_id()),
                _ => to_inventory(error),
            })?;
        Ok(())
    }

    fn update_stock(&mut self, stock: &Stock, read_version: u64) -> Result<(), InventoryError> {
        // The version condition makes a lost update impossible to store even if two writers
        // ever ran at once; the table's CHECKs refuse an oversold row even if the domain let
        // one through.
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
            return Err(InventoryError::Internal(format!(
                "stock of {} in {} changed since version {read_version}",
                stock.product_id(),
                stock.store_id()
            )));
        }
        Ok(())
    }

    fn insert_reservation(&mut self, reservation: &Reservation) -> Result<(), InventoryError> {
        self.conn
            .prepare_cached(&format!(
                "INSERT INTO reservations ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
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
                ])
            })
            .or_inventory()?;
        Ok(())
    }

    fn resolve_reservation(&mut self, reservation: &Reservation) -> Result<(), InventoryError> {
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE reservations SET status = ?2, updated_at = ?3 \
                 WHERE id = ?1 AND status = 'PENDING'",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    reservation.id().to_string(),
                    reservation.status().as_str(),
                    timestamp::format(reservation.updated_at()),
                ])
            })
            .or_inventory()?;
        if changed != 1 {
            return Err(InventoryError::Internal(format!(
                "reservation {} is not PENDING in the database",
                reservation.id()
            )));
        }
        Ok(())
    }

    fn append_event(&mut self, event: &NewEvent) -> Result<u64, InventoryError> {
        self.conn
            .prepare_cached(
                "INSERT INTO events (event_id, event_type, aggregate_type, aggregate_id, store_id, \
                 product_id, payload, request_id, occurred_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    event.event_id.to_string(),
                    event.event_type,
                    event.aggregate_type,
                    event.aggregate_id,
                    event.store_id.as_ref().map(StoreId::as_str),
                    event.product_id.map(|id| id.to_string()),
                    event.payload,
                    event.request_id,
                    timestamp::format(event.occurred_at),
                ])
            })
            .or_inventory()?;
        let seq = u64::try_from(self.conn.last_insert_rowid()).map_err(|e| corrupt("events", e))?;
        self.last_seq = Some(seq);
        Ok(seq)
    }

    fn mark_published(
        &mut self,
        up_to_seq: u64,
        at: OffsetDateTime,
    ) -> Result<u64, InventoryError> {
        let marked = self
            .conn
            .prepare_cached(
                "UPDATE events SET published_at = ?2 WHERE seq <= ?1 AND published_at IS NULL",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    i64::try_from(up_to_seq).unwrap_or(i64::MAX),
                    timestamp::format(at)
                ])
            })
            .or_inventory()?;
        Ok(marked as u64)
    }
}
