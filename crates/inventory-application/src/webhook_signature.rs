//! Standard Webhooks signatures (standardwebhooks.com): a secret `whsec_` + base64 of 32
//! random bytes; each request signed with HMAC-SHA256, keyed by those bytes, over
//! `{webhook-id}.{webhook-timestamp}.{body}`, sent as `webhook-signature: v1,<base64>`.
//! Receivers verify with any Standard Webhooks library.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use inventory_ports::{Failure, InventoryError, WebhookSecret};
use sha2::Sha256;

/// The prefix of every secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// A new secret: `whsec_` and base64 of 32 bytes from the operating system's generator.
///
/// # Errors
/// [`InventoryError::Internal`] when the operating system has no randomness to give.
pub fn new_secret() -> Result<WebhookSecret, InventoryError> {
    let mut key = [0_u8; 32];
    getrandom::fill(&mut key).map_err(|error| {
        InventoryError::Internal(Failure::new(format!(
            "no randomness for a webhook secret: {error}"
        )))
    })?;
    Ok(WebhookSecret::new(format!(
        "{SECRET_PREFIX}{}",
        STANDARD.encode(key)
    )))
}

/// The `webhook-signature` value of a request: `v1,` and base64 of the HMAC-SHA256 of
/// `{id}.{timestamp}.{body}` keyed by the secret's bytes.
///
/// # Errors
/// [`InventoryError::Internal`] when the stored secret is not `whsec_` + base64.
pub fn sign(
    secret: &WebhookSecret,
    id: &str,
    timestamp: i64,
    body: &str,
) -> Result<String, InventoryError> {
    let key = secret
        .expose()
        .strip_prefix(SECRET_PREFIX)
        .and_then(|encoded| STANDARD.decode(encoded).ok())
        .ok_or_else(|| InventoryError::internal("a stored webhook secret is corrupt"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key)
        .map_err(|_| InventoryError::internal("a webhook secret cannot key an HMAC"))?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_webhooks_reference_vector() {
        // The example of the Standard Webhooks specification and its reference libraries.
        let secret = WebhookSecret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        let signature = sign(
            &secret,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            r#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn secrets_are_new_each_time_and_32_bytes() {
        let (a, b) = (new_secret().unwrap(), new_secret().unwrap());
        assert_ne!(a, b);
        let key = STANDARD
            .decode(a.expose().strip_prefix(SECRET_PREFIX).unwrap())
            .unwrap();
        assert_eq!(key.len(), 32);
    }
}
