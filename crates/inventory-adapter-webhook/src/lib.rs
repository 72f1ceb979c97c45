//! # inventory-adapter-webhook
//!
//! [`HttpWebhookSender`]: the [`WebhookSender`] port over HTTP and HTTPS with `ureq` (blocking;
//! the worker calls it on a blocking thread; TLS by rustls with the Mozilla roots compiled in,
//! so no system store is needed). Each delivery:
//!
//! - checks the URL's host against the [`UrlPolicy`] first, for a clear refusal in the
//!   delivery log;
//! - connects only to addresses the policy allows: the agent's resolver ([`PolicyResolver`])
//!   checks every address it hands to the connector, so a name that resolved to a public
//!   address at registration cannot point inside the network now (DNS rebinding), for `http`
//!   and `https` alike, and TLS still verifies the certificate against the URL's host;
//! - POSTs the JSON body with the Standard Webhooks headers, follows no redirect (a 3xx is a
//!   failed attempt), and gives up after [`HttpWebhookSender::TIMEOUT`].

use std::io;
use std::time::Duration;

use inventory_ports::{SendError, UrlPolicy, WebhookRequest, WebhookSender};
use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

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
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(Self::TIMEOUT))
            .max_redirects(0)
            .http_status_as_error(false)
            .user_agent("inventory-webhooks/1")
            .build();
        let agent = ureq::Agent::with_parts(
            config,
            DefaultConnector::default(),
            PolicyResolver { policy },
        );
        Self { agent, policy }
    }
}

/// Resolves names as usual, then refuses the whole lookup if any address is one the policy
/// does not allow: the connector only ever sees allowed addresses.
#[derive(Debug)]
pub struct PolicyResolver {
    policy: UrlPolicy,
}

impl Resolver for PolicyResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let addresses = DefaultResolver::default().resolve(uri, config, timeout)?;
        for address in addresses.iter() {
            if let Err(refused) = self.policy.check_address(address.ip()) {
                return Err(ureq::Error::Io(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    refused.0,
                )));
            }
        }
        Ok(addresses)
    }
}

impl WebhookSender for HttpWebhookSender {
    fn send(&self, request: &WebhookRequest) -> Result<u16, SendError> {
        self.policy
            .resolve(&request.url)
            .map_err(|refused| SendError::Refused(refused.0))?;
        let post = self
            .agent
            .post(request.url.as_str())
            .header("content-type", "application/json")
            .header("webhook-id", &request.id)
            .header("webhook-timestamp", &request.timestamp.to_string())
            .header("webhook-signature", &request.signature);
        match post.send(&request.body) {
            Ok(response) => Ok(response.status().as_u16()),
            Err(ureq::Error::Io(error)) if error.kind() == io::ErrorKind::PermissionDenied => {
                Err(SendError::Refused(error.to_string()))
            }
            Err(error) => Err(SendError::Transport(error.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(policy: UrlPolicy, url: &str) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let config = ureq::Agent::config_builder().build();
        let uri: Uri = url.parse().expect("a URI");
        PolicyResolver { policy }.resolve(&uri, &config, NextTimeout::default())
    }

    #[test]
    fn the_resolver_hands_the_connector_no_address_the_policy_refuses() {
        for url in [
            "http://127.0.0.1:9/",
            "https://[::1]:9/",
            "https://localhost:9/",
        ] {
            match resolve(UrlPolicy::default(), url) {
                Err(ureq::Error::Io(error)) => {
                    assert_eq!(error.kind(), io::ErrorKind::PermissionDenied, "{url}");
                }
                other => panic!("{url} resolved to {other:?}"),
            }
        }
        let allowed = resolve(
            UrlPolicy {
                allow_private: true,
            },
            "https://127.0.0.1:9/",
        )
        .expect("allowed by the operator");
        assert_eq!(allowed[0].port(), 9);
    }
}
