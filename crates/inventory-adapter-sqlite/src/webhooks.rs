//! The SQL of webhook endpoints and their delivery log (`webhooks`, `webhook_deliveries`):
//! configuration, written without events. `transaction.rs` delegates the port's methods here.

use inventory_domain::{EventId, StoreId};
use inventory_ports::{
    DeliveryOutcome, InventoryError, Page, Webhook, WebhookDelivery, WebhookId, WebhookSecret,
    WebhookUrl, event_type_list,
};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::errors::OrInventory;
use crate::timestamp;

const WEBHOOK_COLUMNS: &str =
    "id, url, event_types, store_id, secret, created_at, created_by, cursor";
const DELIVERY_COLUMNS: &str =
    "webhook_id, seq, event_id, attempt, status_code, error, outcome, at";

pub(crate) fn webhook(conn: &Connection, id: WebhookId) -> Result<Option<Webhook>, InventoryError> {
    let sql = format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE id = ?1");
    let mut statement = conn.prepare_cached(&sql).or_inventory()?;
    statement
        .query_row([id.to_string()], |row| Ok(webhook_row(row)))
        .optional()
        .or_inventory()?
        .transpose()
}

pub(crate) fn list_webhooks(conn: &Connection) -> Result<Vec<Webhook>, InventoryError> {
    let sql = format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks ORDER BY id");
    let mut statement = conn.prepare_cached(&sql).or_inventory()?;
    let mut rows = statement.query([]).or_inventory()?;
    let mut webhooks = Vec::new();
    while let Some(row) = rows.next().or_inventory()? {
        webhooks.push(webhook_row(row)?);
    }
    Ok(webhooks)
}

pub(crate) fn webhook_deliveries(
    conn: &Connection,
    id: WebhookId,
    page: Page,
) -> Result<(Vec<WebhookDelivery>, u64), InventoryError> {
    let total: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM webhook_deliveries WHERE webhook_id = ?1")
        .and_then(|mut statement| statement.query_row([id.to_string()], |row| row.get(0)))
        .or_inventory()?;
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = ?1 \
         ORDER BY id DESC LIMIT ?2 OFFSET ?3"
    );
    let mut statement = conn.prepare_cached(&sql).or_inventory()?;
    let mut rows = statement
        .query(params![
            id.to_string(),
            i64::from(page.limit()),
            i64::try_from(page.offset()).unwrap_or(i64::MAX)
        ])
        .or_inventory()?;
    let mut deliveries = Vec::new();
    while let Some(row) = rows.next().or_inventory()? {
        deliveries.push(delivery_row(row)?);
    }
    let total = u64::try_from(total).map_err(InventoryError::corrupt_in("webhook_deliveries"))?;
    Ok((deliveries, total))
}

pub(crate) fn create_webhook(conn: &Connection, webhook: &Webhook) -> Result<(), InventoryError> {
    conn.prepare_cached(
        "INSERT INTO webhooks (id, url, event_types, store_id, secret, created_at, created_by, \
         cursor) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .and_then(|mut statement| {
        statement.execute(params![
            webhook.id.to_string(),
            webhook.url.as_str(),
            event_type_list::join(&webhook.event_types),
            webhook.store_id.as_ref().map(StoreId::as_str),
            webhook.secret.expose(),
            timestamp::format(webhook.created_at),
            webhook.created_by,
            seq_value(webhook.cursor)?,
        ])
    })
    .or_inventory()
    .map(|_| ())
}

pub(crate) fn delete_webhook(conn: &Connection, id: WebhookId) -> Result<bool, InventoryError> {
    // The log goes with it (ON DELETE CASCADE).
    conn.prepare_cached("DELETE FROM webhooks WHERE id = ?1")
        .and_then(|mut statement| statement.execute([id.to_string()]))
        .or_inventory()
        .map(|deleted| deleted > 0)
}

pub(crate) fn move_webhook_cursor(
    conn: &Connection,
    id: WebhookId,
    from: u64,
    to: u64,
) -> Result<bool, InventoryError> {
    conn.prepare_cached("UPDATE webhooks SET cursor = ?3 WHERE id = ?1 AND cursor = ?2")
        .and_then(|mut statement| {
            statement.execute(params![id.to_string(), seq_value(from)?, seq_value(to)?])
        })
        .or_inventory()
        .map(|moved| moved > 0)
}

pub(crate) fn log_webhook_delivery(
    conn: &Connection,
    delivery: &WebhookDelivery,
) -> Result<(), InventoryError> {
    conn.prepare_cached(
        "INSERT INTO webhook_deliveries (webhook_id, seq, event_id, attempt, status_code, \
         error, outcome, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .and_then(|mut statement| {
        statement.execute(params![
            delivery.webhook_id.to_string(),
            seq_value(delivery.seq)?,
            delivery.event_id.to_string(),
            delivery.attempt,
            delivery.status_code,
            delivery.error,
            delivery.outcome.as_str(),
            timestamp::format(delivery.at),
        ])
    })
    .or_inventory()
    .map(|_| ())
}

fn seq_value(seq: u64) -> Result<i64, rusqlite::Error> {
    i64::try_from(seq).map_err(|error| rusqlite::Error::ToSqlConversionFailure(Box::new(error)))
}

fn webhook_row(row: &Row<'_>) -> Result<Webhook, InventoryError> {
    const TABLE: &str = "webhooks";
    let text = |i: usize| row.get::<_, String>(i).or_inventory();
    let corrupt = || InventoryError::internal("a stored webhooks row is corrupt");
    Ok(Webhook {
        id: WebhookId::parse(&text(0)?).map_err(InventoryError::corrupt_in(TABLE))?,
        url: WebhookUrl::parse(&text(1)?).map_err(InventoryError::corrupt_in(TABLE))?,
        event_types: event_type_list::split(&text(2)?).ok_or_else(corrupt)?,
        store_id: row
            .get::<_, Option<String>>(3)
            .or_inventory()?
            .map(|store| StoreId::parse(&store))
            .transpose()
            .map_err(InventoryError::corrupt_in(TABLE))?,
        secret: WebhookSecret::new(text(4)?),
        created_at: timestamp::parse(&text(5)?).map_err(InventoryError::corrupt_in(TABLE))?,
        created_by: row.get(6).or_inventory()?,
        cursor: u64::try_from(row.get::<_, i64>(7).or_inventory()?)
            .map_err(InventoryError::corrupt_in(TABLE))?,
    })
}

fn delivery_row(row: &Row<'_>) -> Result<WebhookDelivery, InventoryError> {
    const TABLE: &str = "webhook_deliveries";
    let text = |i: usize| row.get::<_, String>(i).or_inventory();
    Ok(WebhookDelivery {
        webhook_id: WebhookId::parse(&text(0)?).map_err(InventoryError::corrupt_in(TABLE))?,
        seq: u64::try_from(row.get::<_, i64>(1).or_inventory()?)
            .map_err(InventoryError::corrupt_in(TABLE))?,
        event_id: EventId::parse(&text(2)?).map_err(InventoryError::corrupt_in(TABLE))?,
        attempt: row.get(3).or_inventory()?,
        status_code: row.get(4).or_inventory()?,
        error: row.get(5).or_inventory()?,
        outcome: DeliveryOutcome::parse(&text(6)?).ok_or_else(|| {
            InventoryError::internal("a stored webhook_deliveries row is corrupt")
        })?,
        at: timestamp::parse(&text(7)?).map_err(InventoryError::corrupt_in(TABLE))?,
    })
}
