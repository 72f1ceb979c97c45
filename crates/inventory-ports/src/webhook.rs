//! Webhook endpoints and their delivery log: configuration an admin registers, not inventory
//! state. They are written without a domain event (like idempotency answers), and the webhook
//! worker reads the outbox after each endpoint's cursor to deliver what it asked for.

use std::fmt;

use inventory_domain::{EventId, StoreId, ValidationError};
use inventory_events::EventType;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{RecordedEvent, WebhookUrl};

/// The id of a webhook endpoint (UUID v7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WebhookId(Uuid);

impl WebhookId {
    /// Wraps a UUID.
    pub fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    /// Parses the text form of a UUID.
    ///
    /// # Errors
    /// A [`ValidationError`] on `webhook_id` when `text` is not a UUID.
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        Uuid::parse_str(text)
            .map(Self)
            .map_err(|_| ValidationError::new("webhook_id", "must be a UUID"))
    }

    /// The UUID.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for WebhookId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The signing secret of an endpoint (`whsec_` and base64 of 32 random bytes). Its `Debug`
/// does not show it, so it never reaches a log.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    /// The secret as stored and shown once at creation.
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The secret's text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(..)")
    }
}

/// A registered endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Its id.
    pub id: WebhookId,
    /// Where events are POSTed.
    pub url: WebhookUrl,
    /// The event types it receives (at least one).
    pub event_types: Vec<EventType>,
    /// Only events of this store, when set (events naming no store then never match).
    pub store_id: Option<StoreId>,
    /// The signing secret.
    pub secret: WebhookSecret,
    /// When it was registered.
    pub created_at: OffsetDateTime,
    /// Who registered it (the token's subject).
    pub created_by: Option<String>,
    /// The last outbox seq handled (delivered, dead or skipped by the filter).
    pub cursor: u64,
}

impl Webhook {
    /// Whether `event` is one this endpoint asked for.
    pub fn wants(&self, event: &RecordedEvent) -> bool {
        self.event_types
            .iter()
            .any(|wanted| wanted.as_str() == event.event_type)
            && self
                .store_id
                .as_ref()
                .is_none_or(|store| event.store_id.as_deref() == Some(store.as_str()))
    }
}

/// How one delivery attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The endpoint answered 2xx.
    Delivered,
    /// It did not; the attempt will be retried.
    Failed,
    /// It did not, and the retry window is spent: the event is given up on.
    Dead,
}

impl DeliveryOutcome {
    /// Every outcome.
    pub const ALL: [Self; 3] = [Self::Delivered, Self::Failed, Self::Dead];

    /// The stored and shown name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "DELIVERED",
            Self::Failed => "FAILED",
            Self::Dead => "DEAD",
        }
    }

    /// The outcome named `text`.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|outcome| outcome.as_str() == text)
    }
}

impl fmt::Display for DeliveryOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of an endpoint's delivery log: one attempt to deliver one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDelivery {
    /// The endpoint.
    pub webhook_id: WebhookId,
    /// The event's outbox seq.
    pub seq: u64,
    /// The event's id (the `webhook-id` header).
    pub event_id: EventId,
    /// 1 for the first attempt at this event.
    pub attempt: u32,
    /// The status the endpoint answered, if it answered.
    pub status_code: Option<u16>,
    /// Why the attempt failed without an answer (refused address, timeout, connection).
    pub error: Option<String>,
    /// How it ended.
    pub outcome: DeliveryOutcome,
    /// When.
    pub at: OffsetDateTime,
}

/// Stored event type lists: names joined by commas.
pub mod event_type_list {
    use inventory_events::EventType;

    /// The stored form of `types`.
    pub fn join(types: &[EventType]) -> String {
        types
            .iter()
            .map(|event_type| event_type.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The types of a stored list; `None` when a name is unknown (a corrupt row).
    pub fn split(text: &str) -> Option<Vec<EventType>> {
        text.split(',').map(|name| name.parse().ok()).collect()
    }
}
