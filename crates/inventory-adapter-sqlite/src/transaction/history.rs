//! The SQL of movements, low-stock thresholds, product search columns and the
//! reconciliation facts.

use inventory_domain::{
    Category, MovementReason, MovementReference, Product, ProductId, ReservationId, StockMovement,
    StoreId, ThresholdScope, fold_for_search,
};
use inventory_ports::{
    ConsistencyFacts, InventoryError, LowStockEntry, MovementFilter, MovementOrder, NewEvent, Page,
    PairDrift, RecordedMovement, SeqGap, like_escaped,
};
use rusqlite::types::ToSql;
use rusqlite::{Connection, Row, params};
use time::OffsetDateTime;

use super::SqliteTx;
use crate::errors::{Kind, OrInventory, classify, to_inventory};
use crate::{rows, timestamp};

const MOVEMENT_COLUMNS: &str = "seq, product_id, store_id, quantity_change, reserved_change, \
     quantity_after, reserved_after, reason, reference_kind, reference_id, actor, occurred_at";

impl SqliteTx<'_> {
    /// Writes the movement `event` made (if any), under the seq its outbox row just got.
    pub(super) fn insert_movement(&self, event: &NewEvent, seq: u64) -> Result<(), InventoryError> {
        let Some(movement) = event.movement() else {
            return Ok(());
        };
        let seq = i64::try_from(seq).map_err(|e| InventoryError::corrupt("events", e))?;
        self.conn
            .prepare_cached(&format!(
                "INSERT INTO movements ({MOVEMENT_COLUMNS}) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
            ))
            .and_then(|mut statement| {
                statement.execute(params![
                    seq,
                    movement.product_id.to_string(),
                    movement.store_id.as_str(),
                    movement.quantity_change,
                    movement.reserved_change,
                    movement.quantity_after,
                    movement.reserved_after,
                    movement.reason.as_str(),
                    movement.reference.map(|r| r.kind.as_str()),
                    movement.reference.map(|r| r.id.to_string()),
                    event.actor(),
                    timestamp::format(event.occurred_at()),
                ])
            })
            .or_inventory()?;
        Ok(())
    }

    /// Keeps a product's folded name and SKU (what search compares) beside them, from the
    /// product being written (no read of the row back).
    pub(super) fn fold_product(&self, product: &Product) -> Result<(), InventoryError> {
        self.conn
            .prepare_cached(FOLD_PRODUCT)
            .and_then(|mut update| {
                update.execute(params![
                    product.id.to_string(),
                    fold_for_search(product.details.name.as_str()),
                    fold_for_search(product.details.sku.as_str()),
                ])
            })
            .or_inventory()
            .map(|_| ())
    }

    pub(super) fn movements(
        &self,
        filter: &MovementFilter,
        order: MovementOrder,
        cursor: Option<i64>,
        limit: u32,
    ) -> Result<Vec<RecordedMovement>, InventoryError> {
        let product = filter.product_id.map(|id| id.to_string());
        let from = filter.from.map(timestamp::format);
        let to = filter.to.map(timestamp::format);
        let (after, direction) = match order {
            MovementOrder::NewestFirst => ("seq < ?", "DESC"),
            MovementOrder::OldestFirst => ("seq > ?", "ASC"),
        };
        let store = filter.store_id.as_ref().map(StoreId::as_str);
        let reason = filter.reason.map(MovementReason::as_str);
        let optional: [(&str, Option<&dyn ToSql>); 7] = [
            ("product_id = ?", product.as_ref().map(|v| v as &dyn ToSql)),
            ("store_id = ?", store.as_ref().map(|v| v as &dyn ToSql)),
            ("reason = ?", reason.as_ref().map(|v| v as &dyn ToSql)),
            ("actor = ?", filter.actor.as_ref().map(|v| v as &dyn ToSql)),
            ("occurred_at >= ?", from.as_ref().map(|v| v as &dyn ToSql)),
            ("occurred_at < ?", to.as_ref().map(|v| v as &dyn ToSql)),
            (after, cursor.as_ref().map(|v| v as &dyn ToSql)),
        ];
        // Only the conditions given become SQL; SQLite numbers bare `?`s in order.
        let (conditions, mut values): (Vec<&str>, Vec<&dyn ToSql>) = optional
            .into_iter()
            .filter_map(|(condition, value)| value.map(|value| (condition, value)))
            .unzip();
        let limit = i64::from(limit);
        values.push(&limit);
        let filter_sql = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let sql = format!(
            "SELECT {MOVEMENT_COLUMNS} FROM movements {filter_sql} \
             ORDER BY seq {direction} LIMIT ?"
        );
        self.all(&sql, values.as_slice(), movement)
    }

    /// Products whose folded name contains `q` or whose folded SKU starts with it (`q` is
    /// folded already), by SKU.
    pub(super) fn search_products(
        &self,
        category: Option<&Category>,
        q: &str,
        page: Page,
    ) -> Result<(Vec<Product>, u64), InventoryError> {
        let escaped = like_escaped(q);
        let contains = format!("%{escaped}%");
        let prefix = format!("{escaped}%");
        let category = category.map(Category::as_str);
        const MATCHING: &str = "FROM products WHERE (?1 IS NULL OR category = ?1)              AND (search_name LIKE ?2 ESCAPE '\\' OR search_sku LIKE ?3 ESCAPE '\\')";
        let total = self.count(
            &format!("SELECT COUNT(*) {MATCHING}"),
            params![category, contains, prefix],
        )?;
        let sql = format!(
            "SELECT {} {MATCHING} ORDER BY sku LIMIT ?4 OFFSET ?5",
            rows::PRODUCT_COLUMNS
        );
        let products = self.all(
            &sql,
            params![
                category,
                contains,
                prefix,
                i64::from(page.limit()),
                i64::try_from(page.offset()).unwrap_or(i64::MAX)
            ],
            rows::product,
        )?;
        Ok((products, total))
    }

    pub(super) fn threshold_of(
        &self,
        product_id: ProductId,
        store_id: &StoreId,
    ) -> Result<Option<u32>, InventoryError> {
        // The pair's own threshold sorts before the product's default ('').
        self.one(
            "SELECT threshold FROM stock_thresholds \
             WHERE product_id = ?1 AND store_id IN (?2, '') ORDER BY store_id DESC LIMIT 1",
            params![product_id.to_string(), store_id.as_str()],
            |row| row.get(0).or_inventory(),
        )
    }

    pub(super) fn low_stock(
        &self,
        store_id: Option<&StoreId>,
        page: Page,
    ) -> Result<(Vec<LowStockEntry>, u64), InventoryError> {
        const LOW: &str = "FROM stock s \
             JOIN stock_thresholds t ON t.product_id = s.product_id \
              AND t.store_id = (SELECT store_id FROM stock_thresholds \
                                WHERE product_id = s.product_id AND store_id IN (s.store_id, '') \
                                ORDER BY store_id DESC LIMIT 1) \
             WHERE s.quantity - s.reserved <= t.threshold AND (?1 IS NULL OR s.store_id = ?1)";
        let store = store_id.map(StoreId::as_str);
        let total = self.count(&format!("SELECT COUNT(*) {LOW}"), params![store])?;
        let sql = format!(
            "SELECT s.product_id, s.store_id, s.quantity, s.reserved, s.version, s.updated_at, \
             t.threshold {LOW} ORDER BY s.store_id, s.product_id LIMIT ?2 OFFSET ?3"
        );
        let entries = self.all(
            &sql,
            params![
                store,
                i64::from(page.limit()),
                i64::try_from(page.offset()).unwrap_or(i64::MAX)
            ],
            |row| {
                Ok(LowStockEntry {
                    stock: rows::stock(row)?,
                    threshold: row.get(6).or_inventory()?,
                })
            },
        )?;
        Ok((entries, total))
    }

    pub(super) fn pending_units_of(
        &self,
        product_id: ProductId,
        store_id: &StoreId,
    ) -> Result<u64, InventoryError> {
        self.count(
            "SELECT COALESCE(SUM(quantity), 0) FROM reservations \
             WHERE product_id = ?1 AND store_id = ?2 AND status = 'PENDING'",
            params![product_id.to_string(), store_id.as_str()],
        )
    }

    pub(super) fn set_threshold(
        &self,
        scope: &ThresholdScope,
        threshold: Option<u32>,
        set_by: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(), InventoryError> {
        let product = scope.product_id();
        let store = scope.store_id().map_or("", StoreId::as_str);
        if let Some(store_id) = scope.store_id()
            && !self.exists("SELECT 1 FROM stores WHERE id = ?1", store_id.as_str())?
        {
            return Err(InventoryError::StoreNotFound(store_id.clone()));
        }
        let result = match threshold {
            Some(threshold) => self.conn.execute(
                "INSERT INTO stock_thresholds (product_id, store_id, threshold, set_by, set_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (product_id, store_id) DO UPDATE SET \
                 threshold = excluded.threshold, set_by = excluded.set_by, \
                 set_at = excluded.set_at",
                params![
                    product.to_string(),
                    store,
                    threshold,
                    set_by,
                    timestamp::format(now)
                ],
            ),
            None => self.conn.execute(
                "DELETE FROM stock_thresholds WHERE product_id = ?1 AND store_id = ?2",
                params![product.to_string(), store],
            ),
        };
        result.map(|_| ()).map_err(|error| match classify(&error) {
            Kind::ForeignKey => InventoryError::ProductNotFound(product),
            _ => to_inventory(error),
        })
    }

    pub(super) fn consistency_facts(
        &self,
        overdue_before: OffsetDateTime,
    ) -> Result<ConsistencyFacts, InventoryError> {
        let reserved_drift = self.all(
            "SELECT product_id, store_id, quantity, reserved, quantity, held FROM ( \
               SELECT s.product_id, s.store_id, s.quantity, s.reserved, \
                 (SELECT COALESCE(SUM(r.quantity), 0) FROM reservations r \
                  WHERE r.product_id = s.product_id AND r.store_id = s.store_id \
                  AND r.status = 'PENDING') AS held \
               FROM stock s) WHERE reserved <> held ORDER BY product_id, store_id",
            [],
            drift,
        )?;
        let movement_drift = self.all(
            "SELECT s.product_id, s.store_id, s.quantity, s.reserved, \
               COALESCE(m.quantity, 0), COALESCE(m.reserved, 0) FROM stock s \
             LEFT JOIN (SELECT product_id, store_id, SUM(quantity_change) AS quantity, \
               SUM(reserved_change) AS reserved FROM movements GROUP BY product_id, store_id) m \
               ON m.product_id = s.product_id AND m.store_id = s.store_id \
             WHERE s.quantity <> COALESCE(m.quantity, 0) OR s.reserved <> COALESCE(m.reserved, 0) \
             ORDER BY s.product_id, s.store_id",
            [],
            drift,
        )?;
        let overdue = self.all(
            "SELECT id FROM reservations WHERE status = 'PENDING' AND expires_at < ?1 \
             ORDER BY expires_at LIMIT 100",
            [timestamp::format(overdue_before)],
            |row| {
                ReservationId::parse(&row.get::<_, String>(0).or_inventory()?)
                    .map_err(InventoryError::corrupt_in("reservations"))
            },
        )?;
        let seq_gaps = self.all(
            "SELECT seq, next FROM (SELECT seq, LEAD(seq) OVER (ORDER BY seq) AS next \
             FROM events) WHERE next <> seq + 1 ORDER BY seq",
            [],
            |row| {
                let seq = |i: usize| {
                    row.get::<_, i64>(i).or_inventory().and_then(|v| {
                        u64::try_from(v).map_err(|e| InventoryError::corrupt("events", e))
                    })
                };
                Ok(SeqGap {
                    after: seq(0)?,
                    next: seq(1)?,
                })
            },
        )?;
        let broken_rows = self.all(
            "SELECT 'stock ' || product_id || ':' || store_id FROM stock \
               WHERE reserved < 0 OR quantity < 0 OR reserved > quantity \
               OR quantity > 1000000000 OR version < 1 \
             UNION ALL SELECT 'reservation ' || id FROM reservations \
               WHERE quantity <= 0 OR status NOT IN ('PENDING', 'CONFIRMED', 'CANCELLED', 'EXPIRED') \
             UNION ALL SELECT 'transfer ' || id FROM transfers \
               WHERE quantity <= 0 OR from_store_id = to_store_id",
            [],
            |row| row.get(0).or_inventory(),
        )?;
        Ok(ConsistencyFacts {
            reserved_drift,
            movement_drift,
            overdue,
            seq_gaps,
            broken_rows,
        })
    }
}

const FOLD_PRODUCT: &str = "UPDATE products SET search_name = ?2, search_sku = ?3 WHERE id = ?1";

/// Folds the name and SKU of every product not folded yet (rows written before search
/// existed), once at start-up; returns how many. Writes fold their own product
/// (`fold_product`).
pub(crate) fn fold_products(conn: &Connection) -> Result<usize, InventoryError> {
    let unfolded: Vec<(String, String, String)> = conn
        .prepare_cached("SELECT id, name, sku FROM products WHERE search_name IS NULL")
        .and_then(|mut select| {
            select
                .query_map([], |row: &Row<'_>| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })?
                .collect()
        })
        .or_inventory()?;
    let mut update = conn.prepare_cached(FOLD_PRODUCT).or_inventory()?;
    for (id, name, sku) in &unfolded {
        update
            .execute(params![id, fold_for_search(name), fold_for_search(sku)])
            .or_inventory()?;
    }
    Ok(unfolded.len())
}

fn drift(row: &Row<'_>) -> Result<PairDrift, InventoryError> {
    const TABLE: &str = "stock";
    Ok(PairDrift {
        product_id: ProductId::parse(&row.get::<_, String>(0).or_inventory()?)
            .map_err(InventoryError::corrupt_in(TABLE))?,
        store_id: StoreId::parse(&row.get::<_, String>(1).or_inventory()?)
            .map_err(InventoryError::corrupt_in(TABLE))?,
        quantity: row.get(2).or_inventory()?,
        reserved: row.get(3).or_inventory()?,
        expected_quantity: row.get(4).or_inventory()?,
        expected_reserved: row.get(5).or_inventory()?,
    })
}

fn movement(row: &Row<'_>) -> Result<RecordedMovement, InventoryError> {
    const TABLE: &str = "movements";
    let corrupt = InventoryError::corrupt_in(TABLE);
    let text = |i: usize| row.get::<_, String>(i).or_inventory();
    let reference = match (
        row.get::<_, Option<String>>(8).or_inventory()?,
        row.get::<_, Option<String>>(9).or_inventory()?,
    ) {
        (Some(kind), Some(id)) => Some(MovementReference {
            kind: kind.parse().map_err(InventoryError::corrupt_in(TABLE))?,
            id: id.parse().map_err(InventoryError::corrupt_in(TABLE))?,
        }),
        _ => None,
    };
    Ok(RecordedMovement {
        seq: row.get(0).or_inventory()?,
        movement: StockMovement {
            product_id: ProductId::parse(&text(1)?).map_err(&corrupt)?,
            store_id: StoreId::parse(&text(2)?).map_err(InventoryError::corrupt_in(TABLE))?,
            quantity_change: row.get(3).or_inventory()?,
            reserved_change: row.get(4).or_inventory()?,
            quantity_after: row.get(5).or_inventory()?,
            reserved_after: row.get(6).or_inventory()?,
            reason: text(7)?
                .parse()
                .map_err(InventoryError::corrupt_in(TABLE))?,
            reference,
        },
        actor: row.get(10).or_inventory()?,
        occurred_at: timestamp::parse(&text(11)?).map_err(InventoryError::corrupt_in(TABLE))?,
    })
}
