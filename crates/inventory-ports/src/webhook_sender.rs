//! The port the webhook worker POSTs through: one signed request to one endpoint.

use crate::WebhookUrl;

/// One delivery, ready to send: the body and the Standard Webhooks headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRequest {
    /// Where to POST.
    pub url: WebhookUrl,
    /// `webhook-id`: the event id, the same on every attempt (receivers de-duplicate on it).
    pub id: String,
    /// `webhook-timestamp`: unix seconds of this attempt.
    pub timestamp: i64,
    /// `webhook-signature`: `v1,<base64 HMAC-SHA256>` over `{id}.{timestamp}.{body}`.
    pub signature: String,
    /// The JSON body.
    pub body: String,
}

/// Why a request got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The host resolves to an address the policy refuses (checked at every delivery).
    #[error("address refused: {0}")]
    Refused(String),
    /// No answer: unresolvable host, connection refused, TLS, timeout.
    #[error("no answer: {0}")]
    Transport(String),
}

/// Sends webhook requests. Blocking: the worker calls it on a blocking thread.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait WebhookSender: Send + Sync {
    /// POSTs `request` (no redirects followed) and returns the status the endpoint answered.
    ///
    /// # Errors
    /// [`SendError`] when there was no answer.
    fn send(&self, request: &WebhookRequest) -> Result<u16, SendError>;
}
