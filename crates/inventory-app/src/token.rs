//! `inventory token`: mints a token with the configured secret.

use std::time::Duration;

use anyhow::{Context, bail};
use inventory::StoreId;
use inventory_adapter_http::{Auth, Role};

use crate::settings::{Settings, TokenArgs};

/// A signed token for the arguments.
///
/// # Errors
/// When no secret is configured, or an argument is invalid.
pub fn mint(settings: &Settings, args: &TokenArgs) -> anyhow::Result<String> {
    let Some(secret) = &settings.jwt_secret else {
        bail!(
            "no secret to sign with: set INVENTORY_JWT_SECRET (or --jwt-secret) to the server's secret. \
             A server started without one makes up its own and prints a 15-minute admin token to its terminal instead."
        );
    };
    let auth = Auth::new(secret)?.with_max_lifetime(settings.token_max_lifetime()?);
    let role: Role = args.role.parse().map_err(anyhow::Error::msg)?;
    let store = args
        .store
        .as_deref()
        .map(StoreId::parse)
        .transpose()
        .context("--store")?;
    let ttl = parse_ttl(&args.ttl)
        .map_err(anyhow::Error::msg)
        .context("--ttl")?;
    let subject = args
        .sub
        .clone()
        .unwrap_or_else(|| args.role.to_ascii_lowercase());
    Ok(auth.issue(&subject, role, store.as_ref(), ttl)?)
}

/// Reads a duration written as `90s`, `15m`, `1h` or `7d` (a bare number is seconds).
///
/// # Errors
/// A message when the text is not such a duration, is zero, or is too long to represent.
pub fn parse_ttl(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit())
        .map_or((text, "s"), |at| text.split_at(at));
    let amount: u64 = number
        .parse()
        .map_err(|_| format!("not a duration: {text:?}"))?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("unknown unit in {text:?}: use s, m, h or d")),
    };
    let seconds = amount
        .checked_mul(scale)
        .ok_or_else(|| format!("{text:?} is too long"))?;
    if seconds == 0 {
        return Err("a duration must be positive".into());
    }
    Ok(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_are_read_with_units() {
        assert_eq!(parse_ttl("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_ttl("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_ttl("7d").unwrap(), Duration::from_secs(604_800));
        assert!(parse_ttl("0s").is_err());
        assert!(parse_ttl("1w").is_err());
        assert!(parse_ttl("h").is_err());
        assert!(parse_ttl("99999999999999999d").is_err(), "no overflow");
    }
}
