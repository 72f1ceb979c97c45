//! The SQL behind the port's [`ReadTx`] and [`WriteTx`], on a session already inside a
//! transaction (a read-only snapshot, or the writer's batch + savepoint).
//!
//! In a write transaction reads lock what they read, so it stays as read until the commit:
//! stock and reservations `FOR UPDATE`, products and stores `FOR KEY SHARE` (enough to keep
//! them from being deleted, without serialising every reservation of one product). Recorded
//! events wait in the writer's buffer: they get their seqs at commit (see `writer.rs`).

use std::cell::RefCell;

use inventory_domain::{
    DomainEvent, Product, ProductId, Reservation, ReservationId, Sku, Stock, Store, StoreId,
};
use inventory_ports::{
    Failure, InventoryError, NewEvent, Page, ProductFilter, ReadTx, RecordedEvent,
    ReservationFilter, StockFilter, StoreStock, WriteTx,
};
use postgres::Row;
use postgres::types::ToSql;
use time::OffsetDateTime;

use crate::errors::{Kind, OrInventory, classify, corrupt_in, to_inventory};
use crate::rows;
use crate::session::PgSession;

/// A session inside a transaction, seen through the port.
pub(crate) struct PgTx<'s> {
    session: RefCell<&'s mut PgSession>,
    /// `Some` in a write transaction: where recorded events wait for the commit.
    pending: Option<&'s mut Vec<NewEvent>>,
}

type Params<'p> = &'p [&'p (dyn ToSql + Sync)];

impl<'s> PgTx<'s> {
    /// A read-only view.
    pub(crate) fn reading(session: &'s mut PgSession) -> Self {
        Self {
            session: RefCell::new(session),
            pending: None,
        }
    }

    /// A write transaction's view, recording into `pending`.
    pub(crate) fn writing(session: &'s mut PgSession, pending: &'s mut Vec<NewEvent>) -> Self {
        Self {
            session: RefCell::new(session),
            pending: Some(pending),
        }
    }

    /// The locking clause of a read in a write transaction.
    fn lock(&self, clause: &'static str) -> &'static str {
        if self.pending.is_some() { clause } else { "" }
    }

    fn one<T>(
        &self,
        sql: &str,
        params: Params<'_>,
        map: fn(&Row) -> Result<T, InventoryError>,
    ) -> Result<Option<T>, InventoryError> {
        let row = self
            .session
            .borrow_mut()
            .query_opt(sql, params)
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
            .session
            .borrow_mut()
            .query(sql, params)
            .or_inventory()?;
        rows.iter().map(map).collect()
    }

    fn execute(&self, sql: &str, params: Params<'_>) -> Result<u64, postgres::Error> {
        self.session.borrow_mut().execute(sql, params)
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
        let total: i64 = self
            .session
            .borrow_mut()
            .query_one(
                &format!("SELECT COUNT(*) FROM {table} {filter_sql}"),
                &values,
            )
            .or_inventory()?
            .get(0);
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
        Ok((items, u64::try_from(total).map_err(corrupt_in("count"))?))
    }
}

impl ReadTx for PgTx<'_> {
    fn product(&self, id: ProductId) -> Result<Option<Product>, InventoryError> {
        let sql = format!(
            "SELECT {} FROM products WHERE id = $1 {}",
            rows::PRODUCT_COLUMNS,
            self.lock("FOR KEY SHARE")
        );
        self.one(&sql, &[&id.as_uuid()], rows::product)
    }

    fn product_by_sku(&self, sku: &Sku) -> Result<Option<Product>, InventoryError> {
        let sql = format!(
            "SELECT {} FROM products WHERE sku = $1 {}",
            rows::PRODUCT_COLUMNS,
            self.lock("FOR KEY SHARE")
        );
        self.one(&sql, &[&sku.as_str()], rows::product)
    }

    fn list_products(
        &self,
        filter: &ProductFilter,
        page: Page,
    ) -> Result<(Vec<Product>, u64), InventoryError> {
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
        let sql = format!(
            "SELECT {} FROM stores WHERE id = $1 {}",
            rows::STORE_COLUMNS,
            self.lock("FOR KEY SHARE")
        );
        self.one(&sql, &[&id.as_str()], rows::store)
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
        let sql = format!(
            "SELECT {} FROM stock WHERE product_id = $1 AND store_id = $2 {}",
            rows::STOCK_COLUMNS,
            self.lock("FOR UPDATE")
        );
        self.one(
            &sql,
            &[&product_id.as_uuid(), &store_id.as_str()],
            rows::stock,
        )
    }

    fn list_stock(
        &self,
        filter: &StockFilter,
        page: Page,
    ) -> Result<(Vec<Stock>, u64), InventoryError> {
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
        self.page_where(
            ("stock", rows::STOCK_COLUMNS, "product_id, store_id", lock),
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
        const SELECT: &str = "SELECT s.id, s.name, COALESCE(k.quantity, 0), COALESCE(k.reserved, 0) \
             FROM stores s LEFT JOIN stock k ON k.store_id = s.id AND k.product_id = $1";
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
        let sql = format!(
            "SELECT {} FROM reservations WHERE id = $1 {}",
            rows::RESERVATION_COLUMNS,
            self.lock("FOR UPDATE")
        );
        self.one(&sql, &[&id.as_uuid()], rows::reservation)
    }

    fn list_reservations(
        &self,
        filter: &ReservationFilter,
        page: Page,
    ) -> Result<(Vec<Reservation>, u64), InventoryError> {
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
        let row = self
            .session
            .borrow_mut()
            .query_one(
                "SELECT MIN(expires_at) FROM reservations WHERE status = 'PENDING'",
                &[],
            )
            .or_inventory()?;
        row.try_get(0).or_inventory()
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

    fn last_event_seq(&self) -> Result<u64, InventoryError> {
        let last: i64 = self
            .session
            .borrow_mut()
            .query_one("SELECT last_seq FROM outbox_head", &[])
            .or_inventory()?
            .get(0);
        u64::try_from(last).map_err(corrupt_in("outbox_head"))
    }
}

impl WriteTx for PgTx<'_> {
    fn record(&mut self, event: &NewEvent) -> Result<(), InventoryError> {
        self.store_change(event.change())?;
        self.pending
            .as_mut()
            .ok_or_else(|| InventoryError::internal("recording in a read transaction"))?
            .push(event.clone());
        Ok(())
    }

    fn claim_due_reservations(
        &mut self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Reservation>, InventoryError> {
        // SKIP LOCKED: another instance's expiry claims the ones this one holds, and the
        // other way round, so each is expired once.
        let sql = format!(
            "SELECT {} FROM reservations WHERE status = 'PENDING' AND expires_at <= $1 \
             ORDER BY expires_at, id LIMIT $2 FOR UPDATE SKIP LOCKED",
            rows::RESERVATION_COLUMNS
        );
        self.all(&sql, &[&now, &i64::from(limit)], rows::reservation)
    }
}

impl PgTx<'_> {
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
        Ok(())
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
        Ok(())
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

    /// Stores a stock record one change after the version stored: every change bumps the
    /// version by one, so the record must be at `version - 1`.
    fn update_stock(&self, stock: &Stock) -> Result<(), InventoryError> {
        // The version condition makes a lost update impossible to store even if two writers
        // ever changed the row at once; the table's CHECKs refuse an oversold row even if the
        // domain let one through.
        let read_version = stock.version().saturating_sub(1);
        let changed = self
            .execute(
                "UPDATE stock SET quantity = $3, reserved = $4, version = $5, updated_at = $6 \
                 WHERE product_id = $1 AND store_id = $2 AND version = $7",
                &[
                    &stock.product_id().as_uuid(),
                    &stock.store_id().as_str(),
                    &count(stock.quantity())?,
                    &count(stock.reserved())?,
                    &version(stock.version())?,
                    &stock.updated_at(),
                    &version(read_version)?,
                ],
            )
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
        self.execute(
            &format!(
                "INSERT INTO reservations ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                rows::RESERVATION_COLUMNS
            ),
            &[
                &reservation.id().as_uuid(),
                &reservation.product_id().as_uuid(),
                &reservation.store_id().as_str(),
                &reservation.customer_id().as_str(),
                &count(reservation.quantity().get())?,
                &reservation.status().as_str(),
                &reservation.expires_at(),
                &reservation.created_at(),
                &reservation.updated_at(),
            ],
        )
        .or_inventory()?;
        Ok(())
    }

    fn resolve_reservation(&self, reservation: &Reservation) -> Result<(), InventoryError> {
        let changed = self
            .execute(
                "UPDATE reservations SET status = $2, updated_at = $3 \
                 WHERE id = $1 AND status = 'PENDING'",
                &[
                    &reservation.id().as_uuid(),
                    &reservation.status().as_str(),
                    &reservation.updated_at(),
                ],
            )
            .or_inventory()?;
        if changed != 1 {
            return Err(InventoryError::internal(format!(
                "reservation {} is not PENDING in the database",
                reservation.id()
            )));
        }
        Ok(())
    }
}

/// A count as the `integer` column holds it.
fn count(value: u32) -> Result<i32, InventoryError> {
    i32::try_from(value).map_err(|error| {
        InventoryError::Internal(Failure::caused_by("a count does not fit the column", error))
    })
}

/// A version as the `bigint` column holds it.
fn version(value: u64) -> Result<i64, InventoryError> {
    i64::try_from(value).map_err(|error| {
        InventoryError::Internal(Failure::caused_by(
            "a version does not fit the column",
            error,
        ))
    })
}
