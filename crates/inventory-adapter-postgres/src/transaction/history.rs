//! The SQL of movements, low-stock thresholds, product search and the reconciliation facts.

use inventory_domain::{
    Category, MovementReason, MovementReference, Product, ProductId, ReservationId, StockMovement,
    StoreId, ThresholdScope, fold_for_search,
};
use inventory_ports::{
    ConsistencyFacts, InventoryError, LowStockEntry, MovementFilter, MovementOrder, Page,
    PairDrift, RecordedMovement, SeqGap, like_escaped,
};
use postgres::Row;
use postgres::types::ToSql;
use time::OffsetDateTime;
use uuid::Uuid;

use super::PgTx;
use crate::errors::{Kind, OrInventory, classify, to_inventory};
use crate::rows;
use crate::session::PgSession;

const MOVEMENT_COLUMNS: &str = "seq, product_id, store_id, quantity_change, reserved_change, \
     quantity_after, reserved_after, reason, reference_kind, reference_id, actor, occurred_at";

impl PgTx<'_> {
    /// Keeps a product's folded name and SKU (what search compares) beside them.
    pub(super) fn fold_product(&self, product: &Product) -> Result<(), InventoryError> {
        self.execute(
            "UPDATE products SET search_name = $2, search_sku = $3 WHERE id = $1",
            &[
                &product.id.as_uuid(),
                &fold_for_search(product.details.name.as_str()),
                &fold_for_search(product.details.sku.as_str()),
            ],
        )
        .or_inventory()
        .map(|_| ())
    }

    pub(super) fn search_products(
        &self,
        category: Option<&Category>,
        q: &str,
        page: Page,
    ) -> Result<(Vec<Product>, u64), InventoryError> {
        let escaped = like_escaped(q);
        let contains = format!("%{escaped}%");
        let prefix = format!("{escaped}%");
        let category = category.map(|c| c.as_str().to_owned());
        const MATCHING: &str = "FROM products WHERE ($1::text IS NULL OR category = $1) \
             AND (search_name LIKE $2 OR search_sku LIKE $3)";
        let total: i64 = self.scalar(
            &format!("SELECT COUNT(*) {MATCHING}"),
            &[&category, &contains, &prefix],
        )?;
        let limit = i64::from(page.limit());
        let offset = i64::try_from(page.offset()).unwrap_or(i64::MAX);
        let products = self.all(
            &format!(
                "SELECT {} {MATCHING} ORDER BY sku LIMIT $4 OFFSET $5",
                rows::PRODUCT_COLUMNS
            ),
            &[&category, &contains, &prefix, &limit, &offset],
            rows::product,
        )?;
        Ok((
            products,
            u64::try_from(total).map_err(InventoryError::corrupt_in("count"))?,
        ))
    }

    pub(super) fn movements(
        &self,
        filter: &MovementFilter,
        order: MovementOrder,
        cursor: Option<i64>,
        limit: u32,
    ) -> Result<Vec<RecordedMovement>, InventoryError> {
        let product = filter.product_id.map(|id| id.as_uuid());
        let store = filter.store_id.as_ref().map(|id| id.as_str().to_owned());
        let reason = filter.reason.map(MovementReason::as_str);
        let (after, direction) = match order {
            MovementOrder::NewestFirst => ("seq <", "DESC"),
            MovementOrder::OldestFirst => ("seq >", "ASC"),
        };
        let optional: [(&str, Option<&(dyn ToSql + Sync)>); 7] = [
            ("product_id =", product.as_ref().map(|v| v as _)),
            ("store_id =", store.as_ref().map(|v| v as _)),
            ("reason =", reason.as_ref().map(|v| v as _)),
            ("actor =", filter.actor.as_ref().map(|v| v as _)),
            ("occurred_at >=", filter.from.as_ref().map(|v| v as _)),
            ("occurred_at <", filter.to.as_ref().map(|v| v as _)),
            (after, cursor.as_ref().map(|v| v as _)),
        ];
        let (conditions, mut values): (Vec<&str>, Vec<&(dyn ToSql + Sync)>) = optional
            .into_iter()
            .filter_map(|(condition, value)| value.map(|value| (condition, value)))
            .unzip();
        let conditions: Vec<String> = conditions
            .iter()
            .enumerate()
            .map(|(i, condition)| format!("{condition} ${}", i + 1))
            .collect();
        let filter_sql = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let limit = i64::from(limit);
        values.push(&limit);
        let sql = format!(
            "SELECT {MOVEMENT_COLUMNS} FROM movements {filter_sql} ORDER BY seq {direction} \
             LIMIT ${}",
            values.len()
        );
        self.all(&sql, &values, movement)
    }

    pub(super) fn threshold_of(
        &self,
        product_id: ProductId,
        store_id: &StoreId,
    ) -> Result<Option<u32>, InventoryError> {
        // The pair's own threshold sorts before the product's default ('').
        self.one(
            "SELECT threshold FROM stock_thresholds \
             WHERE product_id = $1 AND store_id IN ($2, '') ORDER BY store_id DESC LIMIT 1",
            &[&product_id.as_uuid(), &store_id.as_str()],
            |row| {
                let threshold: i32 = row.try_get(0).or_inventory()?;
                u32::try_from(threshold).map_err(InventoryError::corrupt_in("stock_thresholds"))
            },
        )
    }

    pub(super) fn low_stock(
        &self,
        store_id: Option<&StoreId>,
        page: Page,
    ) -> Result<(Vec<LowStockEntry>, u64), InventoryError> {
        const LOW: &str = "FROM stock s \
             CROSS JOIN LATERAL (SELECT threshold FROM stock_thresholds \
               WHERE product_id = s.product_id AND store_id IN (s.store_id, '') \
               ORDER BY store_id DESC LIMIT 1) t \
             WHERE s.quantity - s.reserved <= t.threshold \
               AND ($1::text IS NULL OR s.store_id = $1)";
        let store = store_id.map(|id| id.as_str().to_owned());
        let total: i64 = self.scalar(&format!("SELECT COUNT(*) {LOW}"), &[&store])?;
        let limit = i64::from(page.limit());
        let offset = i64::try_from(page.offset()).unwrap_or(i64::MAX);
        let entries = self.all(
            &format!(
                "SELECT s.product_id, s.store_id, s.quantity, s.reserved, s.version, \
                 s.updated_at, t.threshold {LOW} ORDER BY s.store_id, s.product_id \
                 LIMIT $2 OFFSET $3"
            ),
            &[&store, &limit, &offset],
            |row| {
                let threshold: i32 = row.try_get(6).or_inventory()?;
                Ok(LowStockEntry {
                    stock: rows::stock(row)?,
                    threshold: u32::try_from(threshold)
                        .map_err(InventoryError::corrupt_in("stock_thresholds"))?,
                })
            },
        )?;
        Ok((
            entries,
            u64::try_from(total).map_err(InventoryError::corrupt_in("count"))?,
        ))
    }

    pub(super) fn pending_units_of(
        &self,
        product_id: ProductId,
        store_id: &StoreId,
    ) -> Result<u64, InventoryError> {
        // In a write, the batch's reservations are written out first so the sum sees them.
        self.enter_sql()?;
        let held: i64 = self.scalar(
            "SELECT COALESCE(SUM(quantity), 0)::bigint FROM reservations \
             WHERE product_id = $1 AND store_id = $2 AND status = 'PENDING'",
            &[&product_id.as_uuid(), &store_id.as_str()],
        )?;
        u64::try_from(held).map_err(InventoryError::corrupt_in("reservations"))
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
            && self
                .one(
                    "SELECT 1 FROM stores WHERE id = $1",
                    &[&store_id.as_str()],
                    |_| Ok(()),
                )?
                .is_none()
        {
            return Err(InventoryError::StoreNotFound(store_id.clone()));
        }
        let result = match threshold {
            Some(threshold) => self.execute(
                "INSERT INTO stock_thresholds (product_id, store_id, threshold, set_by, set_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (product_id, store_id) DO UPDATE SET \
                 threshold = excluded.threshold, set_by = excluded.set_by, \
                 set_at = excluded.set_at",
                &[
                    &product.as_uuid(),
                    &store,
                    &i32::try_from(threshold).unwrap_or(i32::MAX),
                    &set_by,
                    &now,
                ],
            ),
            None => self.execute(
                "DELETE FROM stock_thresholds WHERE product_id = $1 AND store_id = $2",
                &[&product.as_uuid(), &store],
            ),
        };
        result.map(|_| ()).map_err(|error| match classify(&error) {
            Kind::ForeignKey(_) => InventoryError::ProductNotFound(product),
            _ => to_inventory(error),
        })
    }

    pub(super) fn consistency_facts(
        &self,
        overdue_before: OffsetDateTime,
    ) -> Result<ConsistencyFacts, InventoryError> {
        let reserved_drift = self.all(
            "SELECT product_id, store_id, quantity::bigint, reserved::bigint, quantity::bigint, \
               held FROM ( \
               SELECT s.product_id, s.store_id, s.quantity, s.reserved, \
                 (SELECT COALESCE(SUM(r.quantity), 0)::bigint FROM reservations r \
                  WHERE r.product_id = s.product_id AND r.store_id = s.store_id \
                  AND r.status = 'PENDING') AS held \
               FROM stock s) pairs WHERE reserved <> held ORDER BY product_id, store_id",
            &[],
            drift,
        )?;
        let movement_drift = self.all(
            "SELECT s.product_id, s.store_id, s.quantity::bigint, s.reserved::bigint, \
               COALESCE(m.quantity, 0)::bigint, COALESCE(m.reserved, 0)::bigint FROM stock s \
             LEFT JOIN (SELECT product_id, store_id, SUM(quantity_change) AS quantity, \
               SUM(reserved_change) AS reserved FROM movements GROUP BY product_id, store_id) m \
               ON m.product_id = s.product_id AND m.store_id = s.store_id \
             WHERE s.quantity <> COALESCE(m.quantity, 0) \
               OR s.reserved <> COALESCE(m.reserved, 0) \
             ORDER BY s.product_id, s.store_id",
            &[],
            drift,
        )?;
        let overdue = self.all(
            "SELECT id FROM reservations WHERE status = 'PENDING' AND expires_at < $1 \
             ORDER BY expires_at LIMIT 100",
            &[&overdue_before],
            |row| {
                let id: Uuid = row.try_get(0).or_inventory()?;
                Ok(ReservationId::from_uuid(id))
            },
        )?;
        let seq_gaps = self.all(
            "SELECT seq, next FROM (SELECT seq, LEAD(seq) OVER (ORDER BY seq) AS next \
             FROM events) seqs WHERE next <> seq + 1 ORDER BY seq",
            &[],
            |row| {
                let seq = |i: usize| {
                    row.try_get::<_, i64>(i).or_inventory().and_then(|v| {
                        u64::try_from(v).map_err(InventoryError::corrupt_in("events"))
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
               WHERE quantity <= 0 \
               OR status NOT IN ('PENDING', 'CONFIRMED', 'CANCELLED', 'EXPIRED') \
             UNION ALL SELECT 'transfer ' || id FROM transfers \
               WHERE quantity <= 0 OR from_store_id = to_store_id",
            &[],
            |row| row.try_get(0).or_inventory(),
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

/// Folds the name and SKU of every product not folded yet (rows written before search
/// existed); returns how many.
pub(crate) fn fold_unfolded_products(session: &mut PgSession) -> Result<usize, postgres::Error> {
    let unfolded = session.query(
        "SELECT id, name, sku FROM products WHERE search_name IS NULL",
        &[],
    )?;
    for row in &unfolded {
        let (id, name, sku): (Uuid, String, String) = (row.get(0), row.get(1), row.get(2));
        session.execute(
            "UPDATE products SET search_name = $2, search_sku = $3 WHERE id = $1",
            &[&id, &fold_for_search(&name), &fold_for_search(&sku)],
        )?;
    }
    Ok(unfolded.len())
}

fn drift(row: &Row) -> Result<PairDrift, InventoryError> {
    let product: Uuid = row.try_get(0).or_inventory()?;
    let store: String = row.try_get(1).or_inventory()?;
    Ok(PairDrift {
        product_id: ProductId::from_uuid(product),
        store_id: StoreId::parse(&store).map_err(InventoryError::corrupt_in("stock"))?,
        quantity: row.try_get(2).or_inventory()?,
        reserved: row.try_get(3).or_inventory()?,
        expected_quantity: row.try_get(4).or_inventory()?,
        expected_reserved: row.try_get(5).or_inventory()?,
    })
}

fn movement(row: &Row) -> Result<RecordedMovement, InventoryError> {
    const TABLE: &str = "movements";
    let product: Uuid = row.try_get(1).or_inventory()?;
    let store: String = row.try_get(2).or_inventory()?;
    let reason: String = row.try_get(7).or_inventory()?;
    let reference = match (
        row.try_get::<_, Option<String>>(8).or_inventory()?,
        row.try_get::<_, Option<Uuid>>(9).or_inventory()?,
    ) {
        (Some(kind), Some(id)) => Some(MovementReference {
            kind: kind.parse().map_err(InventoryError::corrupt_in(TABLE))?,
            id,
        }),
        _ => None,
    };
    let count = |i: usize| -> Result<u32, InventoryError> {
        u32::try_from(row.try_get::<_, i32>(i).or_inventory()?)
            .map_err(InventoryError::corrupt_in(TABLE))
    };
    Ok(RecordedMovement {
        seq: row.try_get(0).or_inventory()?,
        movement: StockMovement {
            product_id: ProductId::from_uuid(product),
            store_id: StoreId::parse(&store).map_err(InventoryError::corrupt_in(TABLE))?,
            quantity_change: row.try_get(3).or_inventory()?,
            reserved_change: row.try_get(4).or_inventory()?,
            quantity_after: count(5)?,
            reserved_after: count(6)?,
            reason: reason.parse().map_err(InventoryError::corrupt_in(TABLE))?,
            reference,
        },
        actor: row.try_get(10).or_inventory()?,
        occurred_at: row.try_get(11).or_inventory()?,
    })
}
