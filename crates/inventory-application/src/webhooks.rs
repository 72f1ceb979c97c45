//! Webhook endpoints: registered by admins, delivered to by the webhook worker
//! ([`crate::workers::WebhookWorker`]). An endpoint is configuration, not inventory state:
//! it is written without a domain event, like an idempotency answer, with who registered it.

use inventory_domain::{StoreId, ValidationError};
use inventory_events::EventType;
use inventory_ports::{
    InventoryError, Page, Paged, RecordedEvent, RequestContext, UrlPolicy, Webhook,
    WebhookDelivery, WebhookId, WebhookUrl,
};

use crate::Ports;
use crate::webhook_signature::new_secret;

/// Register an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterWebhook {
    /// Where events are POSTed.
    pub url: WebhookUrl,
    /// The event types it receives (at least one).
    pub event_types: Vec<EventType>,
    /// Only this store's events, when set.
    pub store_id: Option<StoreId>,
    /// Who registers it (a token's subject), kept with it.
    pub created_by: Option<String>,
}

/// Registers, lists and removes webhook endpoints, and reads their delivery logs; the
/// worker's reads and writes too.
#[derive(Clone)]
pub struct Webhooks {
    ports: Ports,
}

impl Webhooks {
    /// The most endpoints that may be registered: each costs a delivery loop.
    pub const MAX_ENDPOINTS: usize = 100;

    /// How long a registration waits for the URL's host to resolve.
    pub const RESOLVE_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

    pub(crate) fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// Registers an endpoint that receives the events committed from now on (replay moves it
    /// back). Its address is checked against `policy` first (this resolves the host: call it
    /// off async threads). The answer carries the secret, which no later read shows.
    ///
    /// # Errors
    /// - [`InventoryError::Invalid`] on `event_types` when empty;
    /// - [`InventoryError::WebhookUrlRefused`] when the host does not resolve, or resolves to
    ///   an address `policy` refuses;
    /// - [`InventoryError::StoreNotFound`] for an unknown store filter;
    /// - [`InventoryError::Invalid`] on `url` when [`Webhooks::MAX_ENDPOINTS`] are registered.
    pub fn register(
        &self,
        command: RegisterWebhook,
        policy: &UrlPolicy,
        context: &RequestContext,
    ) -> Result<Webhook, InventoryError> {
        let mut event_types = command.event_types.clone();
        event_types.sort_by_key(|event_type| event_type.as_str());
        event_types.dedup();
        if event_types.is_empty() {
            return Err(
                ValidationError::new("event_types", "must name at least one event type").into(),
            );
        }
        // Outside the transaction, and bounded: a slow resolver must neither hold the write
        // lock nor the request (every delivery checks the addresses again anyway).
        policy
            .resolve_within(&command.url, Self::RESOLVE_WAIT)
            .map_err(|refused| InventoryError::WebhookUrlRefused(refused.0))?;
        let secret = new_secret()?;
        self.ports.change(context, move |change| {
            if let Some(store) = &command.store_id
                && change.read().store(store)?.is_none()
            {
                return Err(InventoryError::StoreNotFound(store.clone()));
            }
            if change.read().list_webhooks()?.len() >= Self::MAX_ENDPOINTS {
                return Err(ValidationError::new(
                    "url",
                    format!(
                        "at most {} endpoints may be registered",
                        Self::MAX_ENDPOINTS
                    ),
                )
                .into());
            }
            let webhook = Webhook {
                id: WebhookId::from_uuid(change.new_id()),
                url: command.url.clone(),
                event_types: event_types.clone(),
                store_id: command.store_id.clone(),
                secret: secret.clone(),
                created_at: change.now(),
                created_by: command.created_by.clone(),
                cursor: change.read().last_event_seq()?,
            };
            change.create_webhook(&webhook)?;
            Ok(webhook)
        })
    }

    /// The endpoint with this id.
    ///
    /// # Errors
    /// [`InventoryError::WebhookNotFound`].
    pub fn get(&self, id: WebhookId) -> Result<Webhook, InventoryError> {
        self.ports
            .query(move |tx| tx.webhook(id))?
            .ok_or(InventoryError::WebhookNotFound(id))
    }

    /// Every endpoint, oldest first.
    ///
    /// # Errors
    /// Storage failures only.
    pub fn list(&self) -> Result<Vec<Webhook>, InventoryError> {
        self.ports.query(|tx| tx.list_webhooks())
    }

    /// Removes an endpoint and its delivery log; deliveries to it stop.
    ///
    /// # Errors
    /// [`InventoryError::WebhookNotFound`].
    pub fn delete(&self, id: WebhookId, context: &RequestContext) -> Result<(), InventoryError> {
        self.ports.change(context, move |change| {
            if change.delete_webhook(id)? {
                Ok(())
            } else {
                Err(InventoryError::WebhookNotFound(id))
            }
        })
    }

    /// A page of an endpoint's delivery log, newest first.
    ///
    /// # Errors
    /// [`InventoryError::WebhookNotFound`].
    pub fn deliveries(
        &self,
        id: WebhookId,
        page: Page,
    ) -> Result<Paged<WebhookDelivery>, InventoryError> {
        self.ports.query(move |tx| {
            if tx.webhook(id)?.is_none() {
                return Err(InventoryError::WebhookNotFound(id));
            }
            let (items, total) = tx.webhook_deliveries(id, page)?;
            Ok(Paged::new(items, total, page))
        })
    }

    /// Sends the endpoint's events again from `from_seq` on (those it asked for), in order:
    /// its cursor moves to `from_seq - 1` (never past the end of the log). Returns the
    /// endpoint as it is now.
    ///
    /// # Errors
    /// [`InventoryError::Invalid`] on `from_seq` when 0; [`InventoryError::WebhookNotFound`].
    pub fn replay(
        &self,
        id: WebhookId,
        from_seq: u64,
        context: &RequestContext,
    ) -> Result<Webhook, InventoryError> {
        if from_seq == 0 {
            return Err(ValidationError::new("from_seq", "must be at least 1").into());
        }
        self.ports.change(context, move |change| {
            let mut webhook = change
                .read()
                .webhook(id)?
                .ok_or(InventoryError::WebhookNotFound(id))?;
            let to = (from_seq - 1).min(change.read().last_event_seq()?);
            if !change.move_webhook_cursor(id, webhook.cursor, to)? {
                return Err(InventoryError::internal(
                    "a webhook's cursor moved inside a write transaction",
                ));
            }
            webhook.cursor = to;
            Ok(webhook)
        })
    }

    /// Up to `limit` outbox events after `cursor`, in seq order (the worker's read).
    ///
    /// # Errors
    /// Storage failures only.
    pub fn events_after(
        &self,
        cursor: u64,
        limit: u32,
    ) -> Result<Vec<RecordedEvent>, InventoryError> {
        self.ports.query(move |tx| tx.events_after(cursor, limit))
    }

    /// Logs one delivery attempt and, when `advance` is given, moves the endpoint's cursor
    /// from `.0` to `.1` in the same transaction (the worker's write). False when the cursor
    /// had moved (a replay) or the endpoint is gone: then nothing is written.
    ///
    /// # Errors
    /// Storage failures only.
    pub fn record_attempt(
        &self,
        delivery: WebhookDelivery,
        advance: Option<(u64, u64)>,
    ) -> Result<bool, InventoryError> {
        self.ports
            .change(&RequestContext::default(), move |change| {
                let Some(webhook) = change.read().webhook(delivery.webhook_id)? else {
                    return Ok(false);
                };
                if let Some((from, to)) = advance {
                    if !change.move_webhook_cursor(webhook.id, from, to)? {
                        return Ok(false);
                    }
                } else if webhook.cursor >= delivery.seq {
                    // Replayed or moved past meanwhile: this attempt no longer counts.
                    return Ok(false);
                }
                change.log_webhook_delivery(&delivery)?;
                Ok(true)
            })
    }

    /// Moves an endpoint's cursor over events its filter skips (the worker's write); false
    /// when it had moved meanwhile or the endpoint is gone.
    ///
    /// # Errors
    /// Storage failures only.
    pub fn skip(&self, id: WebhookId, from: u64, to: u64) -> Result<bool, InventoryError> {
        self.ports
            .change(&RequestContext::default(), move |change| {
                change.move_webhook_cursor(id, from, to)
            })
    }
}
