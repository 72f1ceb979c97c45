//! Who asked for a change: carried into every event the change emits.

use crate::Idempotency;

/// Facts about the request behind a change, written into its outbox events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    /// The `X-Request-Id` of the HTTP request, or whatever correlation id an embedding program
    /// uses; lets an operator follow one request from the access log to the event stream.
    pub request_id: Option<String>,
    /// The request's idempotency key, when it sent one: the change then runs at most once
    /// per key, and a repeat gets the stored answer ([`crate::InventoryError::Replayed`]).
    pub idempotency: Option<Idempotency>,
    /// Who acts, as the audit trail and the movement history record it: the role and the
    /// authenticated subject (`admin:alice`, `vendor:mad-01`, `customer:cust-1`), or the
    /// worker (`system:expiry`). Never a name the client chose.
    pub actor: Option<String>,
}

impl RequestContext {
    /// A context with a request id.
    pub fn with_request_id(request_id: impl Into<String>) -> Self {
        Self {
            request_id: Some(request_id.into()),
            idempotency: None,
            actor: None,
        }
    }

    /// This context, acting as `actor`.
    #[must_use]
    pub fn acting_as(mut self, actor: impl Into<String>) -> Self {
        self.actor = Some(actor.into());
        self
    }
}
