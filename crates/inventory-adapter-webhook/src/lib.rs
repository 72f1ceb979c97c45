//! # inventory-adapter-webhook
//!
//! [`HttpWebhookSender`]: the [`WebhookSender`] port over HTTP with `ureq` (blocking; the
//! worker calls it on a blocking thread). Each delivery:
//!
//! - resolves the URL's host and checks every address against the [`UrlPolicy`] (a name that
//!   resolved to a public address at registration may not point inside the network now: DNS
//!   rebinding), then connects to the address it checked (plain `http` is pinned to it, with
//!   the URL's host in `Host`), so no second resolution can slip another address in;
//! - POSTs the JSON body with the Standard Webhooks headers, follows no redirect (a 3xx is a
//!   failed attempt), and gives up after [`HttpWebhookSender::TIMEOUT`].
//!
//! `https` needs a TLS stack in ureq (its `rustls` feature), which this build leaves out: an
//! `https` delivery fails with a clear error in the delivery log.

use std::time::Duration;

use inventory_ports::{SendError, UrlPolicy, WebhookRequest, WebhookSender};

/// Sends webhook requests with `ureq`.
pub struct HttpWebhookSender {
    agent: ureq::Agent,
    policy: UrlPolicy,
}

impl HttpWebhookSender {
    /// The longest a delivery may take, connection to answer.
    pub const TIMEOUT: Duration = Duration::from_secs(10);

    /// A sender reaching only what `policy` allows.
    pub fn new(policy: UrlPolicy) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Self::TIMEOUT))
            .max_redirects(0)
            .http_status_as_error(false)
            .user_agent("inventory-webhooks/1")
            .build()
            .into();
        Self { agent, policy }
    }
}

impl WebhookSender for HttpWebhookSender {
    fn send(&self, request: &WebhookRequest) -> Result<u16, SendError> {
        let addresses = self
            .policy
            .resolve(&request.url)
            .map_err(|refused| SendError::Refused(refused.0))?;
        let (target, host) = match addresses.first() {
            Some(address) if request.url.as_str().starts_with("http:") => (
                request.url.pinned_to(address.ip()),
                Some(request.url.host_header()),
            ),
            _ => (request.url.as_str().to_owned(), None),
        };
        let mut post = self
            .agent
            .post(&target)
            .header("content-type", "application/json")
            .header("webhook-id", &request.id)
            .header("webhook-timestamp", &request.timestamp.to_string())
            .header("webhook-signature", &request.signature);
        if let Some(host) = host {
            post = post.header("host", &host);
        }
        match post.send(&request.body) {
            Ok(response) => Ok(response.status().as_u16()),
            Err(error) => Err(SendError::Transport(error.to_string())),
        }
    }
}
