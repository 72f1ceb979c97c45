//! The SQL of webhook endpoints and their delivery log (`webhooks`, `webhook_deliveries`):
//! configuration, written without events, at once (not through the batch's cache). The port's
//! methods in `transaction.rs` delegate here.

use inventory_domain::{EventId, StoreId};
use inventory_ports::{
    DeliveryOutcome, InventoryError, Page, Webhook, WebhookDelivery, WebhookId, WebhookSecret,
    WebhookUrl, event_type_list,
};
use postgres::Row;

use super::PgTx;
use crate::errors::OrInventory;

const WEBHOOK_COLUMNS: &str =
    "id, url, event_types, store_id, secret, created_at, created_by, cursor";
const DELIVERY_COLUMNS: &str =
    "webhook_id, seq, event_id, attempt, status_code, error, outcome, at";

impl PgTx<'_> {
    pub(super) fn read_webhook(&self, id: WebhookId) -> Result<Option<Webhook>, InventoryError> {
        self.enter_sql()?;
        self.one(
            &format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE id = $1"),
            &[&id.as_uuid()],
            webhook_row,
        )
    }

    pub(super) fn read_webhooks(&self) -> Result<Vec<Webhook>, InventoryError> {
        self.enter_sql()?;
        self.all(
            &format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks ORDER BY id"),
            &[],
            webhook_row,
        )
    }

    pub(super) fn read_webhook_deliveries(
        &self,
        id: WebhookId,
        page: Page,
    ) -> Result<(Vec<WebhookDelivery>, u64), InventoryError> {
        self.enter_sql()?;
        let total: i64 = self.scalar(
            "SELECT COUNT(*) FROM webhook_deliveries WHERE webhook_id = $1",
            &[&id.as_uuid()],
        )?;
        let deliveries = self.all(
            &format!(
                "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = $1 \
                 ORDER BY id DESC LIMIT $2 OFFSET $3"
            ),
            &[
                &id.as_uuid(),
                &i64::from(page.limit()),
                &i64::try_from(page.offset()).unwrap_or(i64::MAX),
            ],
            delivery_row,
        )?;
        let total =
            u64::try_from(total).map_err(InventoryError::corrupt_in("webhook_deliveries"))?;
        Ok((deliveries, total))
    }

    pub(super) fn insert_webhook(&self, webhook: &Webhook) -> Result<(), InventoryError> {
        self.enter_sql()?;
        self.execute(
            "INSERT INTO webhooks (id, url, event_types, store_id, secret, created_at, \
             created_by, cursor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &webhook.id.as_uuid(),
                &webhook.url.as_str(),
                &event_type_list::join(&webhook.event_types),
                &webhook.store_id.as_ref().map(StoreId::as_str),
                &webhook.secret.expose(),
                &webhook.created_at,
                &webhook.created_by,
                &seq_value(webhook.cursor)?,
            ],
        )
        .or_inventory()
        .map(|_| ())
    }

    pub(super) fn remove_webhook(&self, id: WebhookId) -> Result<bool, InventoryError> {
        self.enter_sql()?;
        // The log goes with it (ON DELETE CASCADE).
        self.execute("DELETE FROM webhooks WHERE id = $1", &[&id.as_uuid()])
            .or_inventory()
            .map(|deleted| deleted > 0)
    }

    pub(super) fn set_webhook_cursor(
        &self,
        id: WebhookId,
        from: u64,
        to: u64,
    ) -> Result<bool, InventoryError> {
        self.enter_sql()?;
        self.execute(
            "UPDATE webhooks SET cursor = $3 WHERE id = $1 AND cursor = $2",
            &[&id.as_uuid(), &seq_value(from)?, &seq_value(to)?],
        )
        .or_inventory()
        .map(|moved| moved > 0)
    }

    pub(super) fn insert_webhook_delivery(
        &self,
        delivery: &WebhookDelivery,
    ) -> Result<(), InventoryError> {
        self.enter_sql()?;
        self.execute(
            "INSERT INTO webhook_deliveries (webhook_id, seq, event_id, attempt, status_code, \
             error, outcome, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &delivery.webhook_id.as_uuid(),
                &seq_value(delivery.seq)?,
                &delivery.event_id.as_uuid(),
                &i32::try_from(delivery.attempt).unwrap_or(i32::MAX),
                &delivery.status_code.map(i32::from),
                &delivery.error,
                &delivery.outcome.as_str(),
                &delivery.at,
            ],
        )
        .or_inventory()
        .map(|_| ())
    }
}

fn seq_value(seq: u64) -> Result<i64, InventoryError> {
    i64::try_from(seq).map_err(|_| InventoryError::internal("a sequence number beyond i64"))
}

fn get<'r, T: postgres::types::FromSql<'r>>(
    row: &'r Row,
    index: usize,
) -> Result<T, InventoryError> {
    row.try_get(index).or_inventory()
}

fn webhook_row(row: &Row) -> Result<Webhook, InventoryError> {
    const TABLE: &str = "webhooks";
    let corrupt = || InventoryError::internal("a stored webhooks row is corrupt");
    Ok(Webhook {
        id: WebhookId::from_uuid(get(row, 0)?),
        url: WebhookUrl::parse(&get::<String>(row, 1)?)
            .map_err(InventoryError::corrupt_in(TABLE))?,
        event_types: event_type_list::split(&get::<String>(row, 2)?).ok_or_else(corrupt)?,
        store_id: get::<Option<String>>(row, 3)?
            .map(|store| StoreId::parse(&store))
            .transpose()
            .map_err(InventoryError::corrupt_in(TABLE))?,
        secret: WebhookSecret::new(get::<String>(row, 4)?),
        created_at: get(row, 5)?,
        created_by: get(row, 6)?,
        cursor: u64::try_from(get::<i64>(row, 7)?).map_err(InventoryError::corrupt_in(TABLE))?,
    })
}

fn delivery_row(row: &Row) -> Result<WebhookDelivery, InventoryError> {
    const TABLE: &str = "webhook_deliveries";
    Ok(WebhookDelivery {
        webhook_id: WebhookId::from_uuid(get(row, 0)?),
        seq: u64::try_from(get::<i64>(row, 1)?).map_err(InventoryError::corrupt_in(TABLE))?,
        event_id: EventId::from_uuid(get(row, 2)?),
        attempt: u32::try_from(get::<i32>(row, 3)?).map_err(InventoryError::corrupt_in(TABLE))?,
        status_code: get::<Option<i32>>(row, 4)?
            .map(u16::try_from)
            .transpose()
            .map_err(InventoryError::corrupt_in(TABLE))?,
        error: get(row, 5)?,
        outcome: DeliveryOutcome::parse(&get::<String>(row, 6)?).ok_or_else(|| {
            InventoryError::internal("a stored webhook_deliveries row is corrupt")
        })?,
        at: get(row, 7)?,
    })
}
