//! Bearer JWTs (HS256): `sub` (who), `role` (`admin`, `vendor` or `customer`), `store_id`
//! (vendors only: the store they work in), `iat` and `exp`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use inventory_domain::{CustomerId, StoreId};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ApiError;
use crate::access::Caller;

/// What a caller is allowed to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// May do everything.
    Admin,
    /// Works in one store: changes its stock, resolves its reservations.
    Vendor,
    /// Reserves for itself and sees only its own reservations.
    Customer,
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Self::Admin),
            "vendor" => Ok(Self::Vendor),
            "customer" => Ok(Self::Customer),
            other => Err(format!(
                "unknown role {other:?}: use admin, vendor or customer"
            )),
        }
    }
}

/// The claims of our tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Who: a customer id, a vendor's user id, an operator.
    pub sub: String,
    /// What they may do.
    pub role: Role,
    /// The vendor's store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<String>,
    /// Issued at, seconds since the epoch.
    pub iat: u64,
    /// Expires at, seconds since the epoch.
    pub exp: u64,
}

/// Why a token could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The secret is too short to be safe.
    #[error("the JWT secret must be at least {min} bytes long")]
    WeakSecret {
        /// The minimum length.
        min: usize,
    },
    /// A vendor token needs a store, other roles must not have one.
    #[error("{0}")]
    InvalidClaims(String),
    /// The JWT library failed.
    #[error("the token could not be signed")]
    Jwt(#[from] jsonwebtoken::errors::Error),
}

/// Signs and verifies tokens with one shared secret.
pub struct Auth {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl Auth {
    /// The shortest secret accepted, in bytes.
    pub const MIN_SECRET_BYTES: usize = 16;

    /// Keys from a shared secret.
    ///
    /// # Errors
    /// [`TokenError::WeakSecret`] for a secret shorter than [`Auth::MIN_SECRET_BYTES`].
    pub fn new(secret: &str) -> Result<Self, TokenError> {
        if secret.len() < Self::MIN_SECRET_BYTES {
            return Err(TokenError::WeakSecret {
                min: Self::MIN_SECRET_BYTES,
            });
        }
        let mut validation = Validation::new(Algorithm::HS256);
        // Clocks of one deployment agree to well within this; the library's default is 60 s.
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Ok(Self {
            encoding: EncodingKey::from_secret(secret.as_bytes())?,
            decoding: DecodingKey::from_secret(secret.as_bytes())?,
            validation,
        })
    }

    /// Signs a token for `subject` valid for `ttl`.
    ///
    /// # Errors
    /// [`TokenError::InvalidClaims`] when a vendor has no store or another role has one.
    pub fn issue(
        &self,
        subject: &str,
        role: Role,
        store_id: Option<&StoreId>,
        ttl: Duration,
    ) -> Result<String, TokenError> {
        match (role, store_id) {
            (Role::Vendor, None) => {
                return Err(TokenError::InvalidClaims(
                    "a vendor token needs a store".into(),
                ));
            }
            (Role::Admin | Role::Customer, Some(_)) => {
                return Err(TokenError::InvalidClaims(
                    "only vendor tokens carry a store".into(),
                ));
            }
            _ => {}
        }
        if subject.trim().is_empty() {
            return Err(TokenError::InvalidClaims(
                "the subject must not be empty".into(),
            ));
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let claims = Claims {
            sub: subject.to_owned(),
            role,
            store_id: store_id.map(|s| s.as_str().to_owned()),
            iat: now,
            exp: now.saturating_add(ttl.as_secs()),
        };
        Ok(encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// Checks a token and returns who it speaks for.
    ///
    /// # Errors
    /// [`ApiError::Unauthorized`] with `TOKEN_EXPIRED` or `INVALID_TOKEN`.
    pub fn verify(&self, token: &str) -> Result<Caller, ApiError> {
        let claims = decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|error| match error.kind() {
                ErrorKind::ExpiredSignature => {
                    unauthorized("TOKEN_EXPIRED", "the token has expired")
                }
                ErrorKind::InvalidSignature => {
                    unauthorized("INVALID_TOKEN", "the token's signature is not valid")
                }
                _ => unauthorized("INVALID_TOKEN", format!("the token is not valid: {error}")),
            })?
            .claims;
        match (claims.role, claims.store_id.as_deref()) {
            (Role::Admin, None) => Ok(Caller::Admin {
                subject: claims.sub,
            }),
            (Role::Vendor, Some(store)) => Ok(Caller::Vendor {
                store: StoreId::parse(store).map_err(|_| {
                    unauthorized("INVALID_TOKEN", "the token's store_id is not valid")
                })?,
                subject: claims.sub,
            }),
            (Role::Vendor, None) => Err(unauthorized(
                "INVALID_TOKEN",
                "a vendor token must name its store",
            )),
            (Role::Customer, None) => Ok(Caller::Customer {
                id: CustomerId::parse(&claims.sub).map_err(|_| {
                    unauthorized("INVALID_TOKEN", "the token's sub is not a customer id")
                })?,
            }),
            (Role::Admin | Role::Customer, Some(_)) => Err(unauthorized(
                "INVALID_TOKEN",
                "only vendor tokens carry a store",
            )),
        }
    }
}

/// A 401 with a code and message.
pub(crate) fn unauthorized(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::Unauthorized {
        code,
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "a-test-secret-of-enough-length";

    #[test]
    fn an_issued_token_verifies_to_its_caller() {
        let auth = Auth::new(SECRET).unwrap();
        let store = StoreId::parse("MAD-001").unwrap();
        let token = auth
            .issue(
                "vendor-789",
                Role::Vendor,
                Some(&store),
                Duration::from_secs(60),
            )
            .unwrap();
        assert_eq!(
            auth.verify(&token).unwrap(),
            Caller::Vendor {
                subject: "vendor-789".into(),
                store
            }
        );
    }

    #[test]
    fn a_token_signed_with_another_secret_is_invalid() {
        let other = Auth::new("another-secret-of-enough-length").unwrap();
        let token = other
            .issue("admin", Role::Admin, None, Duration::from_secs(60))
            .unwrap();
        let error = Auth::new(SECRET).unwrap().verify(&token).unwrap_err();
        assert_eq!(error.code(), "INVALID_TOKEN");
    }

    #[test]
    fn an_expired_token_is_reported_as_expired() {
        let auth = Auth::new(SECRET).unwrap();
        let claims = Claims {
            sub: "admin".into(),
            role: Role::Admin,
            store_id: None,
            iat: 1,
            exp: 2,
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &auth.encoding).unwrap();
        assert_eq!(auth.verify(&token).unwrap_err().code(), "TOKEN_EXPIRED");
    }

    #[test]
    fn vendor_tokens_need_a_store_and_others_must_not_have_one() {
        let auth = Auth::new(SECRET).unwrap();
        let store = StoreId::parse("MAD-001").unwrap();
        let minute = Duration::from_secs(60);
        assert!(auth.issue("v", Role::Vendor, None, minute).is_err());
        assert!(
            auth.issue("c", Role::Customer, Some(&store), minute)
                .is_err()
        );
        let forged = |role, store_id: Option<&str>| {
            let claims = Claims {
                sub: "someone".into(),
                role,
                store_id: store_id.map(str::to_owned),
                iat: 1,
                exp: u64::MAX / 2,
            };
            encode(&Header::new(Algorithm::HS256), &claims, &auth.encoding).unwrap()
        };
        for token in [
            forged(Role::Vendor, None),
            forged(Role::Customer, Some("MAD-001")),
            forged(Role::Admin, Some("MAD-001")),
        ] {
            assert_eq!(auth.verify(&token).unwrap_err().code(), "INVALID_TOKEN");
        }
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(matches!(
            Auth::new("short"),
            Err(TokenError::WeakSecret { .. })
        ));
    }
}
