//! Where a webhook may point: an `http` or `https` URL whose host resolves only to public
//! addresses, unless the operator allows private ones. A service that POSTs to any address an
//! admin types is a way into the private network behind it (server-side request forgery), so
//! the address is checked when the endpoint is registered and again before every delivery (a
//! name may resolve elsewhere later: DNS rebinding).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, ToSocketAddrs};

use inventory_domain::ValidationError;

use crate::InventoryError;

/// The longest URL accepted.
pub const MAX_WEBHOOK_URL_LEN: usize = 2048;

/// A syntactically valid `http` or `https` URL with a host and no credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(url::Url);

/// Why a webhook URL or address is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UrlRefused(pub String);

impl WebhookUrl {
    /// Parses `text`.
    ///
    /// # Errors
    /// [`InventoryError::Invalid`] on `url` when it is too long; [`InventoryError::WebhookUrlRefused`]
    /// when it is not an absolute URL or the policy refuses it;
    /// [`InventoryError::WebhookUrlRefused`] for a scheme other than `http` or `https`,
    /// credentials in the URL, or no host.
    pub fn parse(text: &str) -> Result<Self, InventoryError> {
        if text.len() > MAX_WEBHOOK_URL_LEN {
            return Err(ValidationError::new(
                "url",
                format!("must be at most {MAX_WEBHOOK_URL_LEN} characters"),
            )
            .into());
        }
        // Not a URL at all is refused like a URL the policy refuses (422): any text is a
        // string the document allows, and only parsing can tell.
        let url = url::Url::parse(text).map_err(|_| {
            InventoryError::WebhookUrlRefused("the url must be an absolute http(s) URL".into())
        })?;
        Self::accept(url).map_err(|refused| InventoryError::WebhookUrlRefused(refused.0))
    }

    fn accept(url: url::Url) -> Result<Self, UrlRefused> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(UrlRefused("only http and https URLs are accepted".into()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(UrlRefused(
                "a URL must not carry credentials: authenticate with the signature".into(),
            ));
        }
        if url.host().is_none() {
            return Err(UrlRefused("the URL has no host".into()));
        }
        Ok(Self(url))
    }

    /// The URL's text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The host as written (a name, or an address without IPv6 brackets).
    pub fn host(&self) -> String {
        match self.0.host() {
            Some(url::Host::Ipv6(address)) => address.to_string(),
            Some(host) => host.to_string(),
            None => String::new(),
        }
    }

    /// The port, explicit or the scheme's.
    pub fn port(&self) -> u16 {
        self.0.port_or_known_default().unwrap_or(80)
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which addresses webhooks may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UrlPolicy {
    /// Allow loopback, private, link-local and other non-public addresses
    /// (`INVENTORY_WEBHOOK_ALLOW_PRIVATE`): for receivers on the operator's own network, and
    /// tests. Off by default.
    pub allow_private: bool,
}

impl UrlPolicy {
    /// Whether a delivery may connect to `address`.
    ///
    /// # Errors
    /// [`UrlRefused`] naming the kind of address.
    pub fn check_address(&self, address: IpAddr) -> Result<(), UrlRefused> {
        if self.allow_private {
            return Ok(());
        }
        match non_public(address) {
            None => Ok(()),
            Some(kind) => Err(UrlRefused(format!(
                "{address} is a {kind} address; webhooks reach public addresses only"
            ))),
        }
    }

    /// Resolves the URL's host and checks every address it resolves to; returns them, or
    /// gives up after `wait` (a registration must not hang on a slow resolver).
    ///
    /// # Errors
    /// [`UrlRefused`] when the host does not resolve in time or any address is refused.
    pub fn resolve_within(
        &self,
        url: &WebhookUrl,
        wait: std::time::Duration,
    ) -> Result<Vec<std::net::SocketAddr>, UrlRefused> {
        // The system resolver cannot be cancelled: it answers on a thread of its own, and a
        // lookup still running after `wait` is abandoned to finish alone.
        let (answer, answered) = std::sync::mpsc::channel();
        let (policy, asked) = (*self, url.clone());
        std::thread::spawn(move || {
            let _ = answer.send(policy.resolve(&asked));
        });
        answered.recv_timeout(wait).unwrap_or_else(|_| {
            Err(UrlRefused(format!(
                "the host {} did not resolve within {} ms",
                url.host(),
                wait.as_millis()
            )))
        })
    }

    /// As [`UrlPolicy::resolve_within`], waiting as long as the system resolver takes.
    ///
    /// # Errors
    /// [`UrlRefused`] when the host does not resolve or any address is refused.
    pub fn resolve(&self, url: &WebhookUrl) -> Result<Vec<std::net::SocketAddr>, UrlRefused> {
        let addresses: Vec<_> = (url.host().as_str(), url.port())
            .to_socket_addrs()
            .map_err(|_| UrlRefused(format!("the host {} does not resolve", url.host())))?
            .collect();
        if addresses.is_empty() {
            return Err(UrlRefused(format!(
                "the host {} does not resolve",
                url.host()
            )));
        }
        for address in &addresses {
            self.check_address(address.ip())?;
        }
        Ok(addresses)
    }
}

/// The kind of a non-public address, `None` for a public one.
fn non_public(address: IpAddr) -> Option<&'static str> {
    match address {
        IpAddr::V4(v4) => non_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => non_public_v4(v4),
            None => non_public_v6(v6),
        },
    }
}

fn non_public_v4(address: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = address.octets();
    if address.is_loopback() {
        Some("loopback")
    } else if address.is_unspecified() || a == 0 {
        Some("unspecified")
    } else if address.is_private() || (a == 100 && (64..128).contains(&b)) {
        Some("private")
    } else if address.is_link_local() {
        Some("link-local")
    } else if address.is_multicast() {
        Some("multicast")
    } else if address.is_broadcast() || a >= 240 {
        Some("reserved")
    } else if address.is_documentation() || (a == 198 && (b == 18 || b == 19)) {
        Some("documentation or benchmarking")
    } else if a == 192 && b == 0 && c == 0 {
        Some("protocol assignment")
    } else {
        None
    }
}

fn non_public_v6(address: Ipv6Addr) -> Option<&'static str> {
    let first = address.segments()[0];
    if address.is_loopback() {
        Some("loopback")
    } else if address.is_unspecified() {
        Some("unspecified")
    } else if address.is_multicast() {
        Some("multicast")
    } else if first & 0xfe00 == 0xfc00 {
        Some("private")
    } else if first & 0xffc0 == 0xfe80 {
        Some("link-local")
    } else if first == 0x2001 && address.segments()[1] == 0x0db8 {
        Some("documentation")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> bool {
        UrlPolicy::default()
            .check_address(text.parse().unwrap())
            .is_err()
    }

    #[test]
    fn non_public_addresses_are_refused_by_default() {
        for address in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "224.0.0.1",
            "100.64.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "ff02::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(refused(address), "{address} should be refused");
        }
        for address in ["93.184.216.34", "8.8.8.8", "2606:4700::1111"] {
            assert!(!refused(address), "{address} should be allowed");
        }
    }

    #[test]
    fn the_operator_may_allow_private_addresses() {
        let policy = UrlPolicy {
            allow_private: true,
        };
        assert!(policy.check_address("127.0.0.1".parse().unwrap()).is_ok());
    }

    #[test]
    fn only_http_urls_without_credentials_are_accepted() {
        let code = |text| WebhookUrl::parse(text).map(|_| ()).map_err(|e| e.code());
        assert_eq!(code("https://example.com/hook"), Ok(()));
        assert_eq!(code("ftp://example.com/"), Err("WEBHOOK_URL_REFUSED"));
        assert_eq!(
            code("https://user:pw@example.com/"),
            Err("WEBHOOK_URL_REFUSED")
        );
        assert_eq!(code("not a url"), Err("WEBHOOK_URL_REFUSED"));
        let v6 = WebhookUrl::parse("http://[::1]:8080/x").unwrap();
        assert_eq!((v6.host().as_str(), v6.port()), ("::1", 8080));
    }
}
