//! Webhook endpoints and their delivery log in memory; `memory.rs` delegates the port's
//! methods here.

use std::collections::BTreeMap;
use std::sync::Arc;

use inventory_ports::{InventoryError, Page, Webhook, WebhookDelivery, WebhookId};

use super::{MemoryTx, page_of};

/// The endpoints and every endpoint's log, oldest line first.
#[derive(Clone, Default)]
pub(super) struct WebhookState {
    endpoints: BTreeMap<WebhookId, Webhook>,
    deliveries: BTreeMap<WebhookId, Vec<WebhookDelivery>>,
}

impl MemoryTx {
    fn webhooks(&self) -> &WebhookState {
        &self.state().webhooks
    }

    fn webhooks_mut(&mut self) -> &mut WebhookState {
        &mut Arc::make_mut(&mut self.committed.state).webhooks
    }

    pub(super) fn read_webhook(&self, id: WebhookId) -> Option<Webhook> {
        self.webhooks().endpoints.get(&id).cloned()
    }

    pub(super) fn read_webhooks(&self) -> Vec<Webhook> {
        self.webhooks().endpoints.values().cloned().collect()
    }

    pub(super) fn read_webhook_deliveries(
        &self,
        id: WebhookId,
        page: Page,
    ) -> (Vec<WebhookDelivery>, u64) {
        let newest_first = self
            .webhooks()
            .deliveries
            .get(&id)
            .map(|log| log.iter().rev().collect())
            .unwrap_or_default();
        page_of(newest_first, page)
    }

    pub(super) fn insert_webhook(&mut self, webhook: &Webhook) -> Result<(), InventoryError> {
        let state = self.webhooks_mut();
        if state.endpoints.contains_key(&webhook.id) {
            return Err(InventoryError::internal(
                "a webhook id was registered twice",
            ));
        }
        state.endpoints.insert(webhook.id, webhook.clone());
        Ok(())
    }

    pub(super) fn remove_webhook(&mut self, id: WebhookId) -> bool {
        let state = self.webhooks_mut();
        state.deliveries.remove(&id);
        state.endpoints.remove(&id).is_some()
    }

    pub(super) fn set_webhook_cursor(&mut self, id: WebhookId, from: u64, to: u64) -> bool {
        if self
            .read_webhook(id)
            .is_none_or(|webhook| webhook.cursor != from)
        {
            return false;
        }
        if let Some(webhook) = self.webhooks_mut().endpoints.get_mut(&id) {
            webhook.cursor = to;
        }
        true
    }

    pub(super) fn insert_webhook_delivery(
        &mut self,
        delivery: &WebhookDelivery,
    ) -> Result<(), InventoryError> {
        if self.read_webhook(delivery.webhook_id).is_none() {
            // The databases refuse it by foreign key.
            return Err(InventoryError::internal(
                "a delivery was logged for a webhook that does not exist",
            ));
        }
        self.webhooks_mut()
            .deliveries
            .entry(delivery.webhook_id)
            .or_default()
            .push(delivery.clone());
        Ok(())
    }
}
