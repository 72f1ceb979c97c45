//! `inventory token`: mints a token with the configured secret.

use anyhow::{Context, bail};
use inventory::StoreId;
use inventory_adapter_http::auth::parse_ttl;
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
             A server started without one makes up its own and logs an admin token instead."
        );
    };
    let auth = Auth::new(secret)?;
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
