//! Bearer JWTs (HS256): `sub` (who), `role` (`admin`, `vendor` or `customer`), `store_id`
//! (vendors only: the store they work in), `iat`, `exp` and optionally `nbf`.
//!
//! Verification is strict: the signature, `exp` and `nbf` (5 s of leeway), an `iat` not in the
//! future, a lifetime (`exp - iat`) within the configured maximum, a non-empty `sub`, and the
//! role's shape (a vendor names a store, nobody else does). Every failure is one generic 401:
//! a client learns that its token was refused, never why in the library's words.

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
    /// Not valid before, seconds since the epoch (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
}

/// Why a token could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The secret is too short to be safe, or made of whitespace.
    #[error("the JWT secret must be at least {min} bytes long, and not whitespace")]
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
    max_lifetime: Duration,
}

/// Seconds of clock difference tolerated on `exp`, `nbf` and `iat`: clocks of one deployment
/// agree to well within this (the library's default is 60 s).
const LEEWAY_SECONDS: u64 = 5;

/// The one message of every refused token.
const REFUSED: &str = "the bearer token is not valid or has expired";

impl Auth {
    /// The shortest secret accepted, in bytes (256 bits, HS256's key size).
    pub const MIN_SECRET_BYTES: usize = 32;

    /// The longest a token may live (`exp - iat`) unless configured otherwise.
    pub const DEFAULT_MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

    /// Keys from a shared secret; tokens live at most [`Auth::DEFAULT_MAX_LIFETIME`].
    ///
    /// # Errors
    /// [`TokenError::WeakSecret`] for a secret shorter than [`Auth::MIN_SECRET_BYTES`] (not
    /// counting surrounding whitespace).
    pub fn new(secret: &str) -> Result<Self, TokenError> {
        if secret.trim().len() < Self::MIN_SECRET_BYTES {
            return Err(TokenError::WeakSecret {
                min: Self::MIN_SECRET_BYTES,
            });
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        Ok(Self {
            encoding: EncodingKey::from_secret(secret.as_bytes())?,
            decoding: DecodingKey::from_secret(secret.as_bytes())?,
            validation,
            max_lifetime: Self::DEFAULT_MAX_LIFETIME,
        })
    }

    /// The same keys, with tokens living at most `max_lifetime`.
    #[must_use]
    pub fn with_max_lifetime(mut self, max_lifetime: Duration) -> Self {
        self.max_lifetime = max_lifetime;
        self
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
        if ttl > self.max_lifetime {
            return Err(TokenError::InvalidClaims(format!(
                "a token may live at most {} s",
                self.max_lifetime.as_secs()
            )));
        }
        let now = now_seconds();
        let claims = Claims {
            sub: subject.to_owned(),
            role,
            store_id: store_id.map(|s| s.as_str().to_owned()),
            iat: now,
            exp: now.saturating_add(ttl.as_secs()),
            nbf: None,
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
                ErrorKind::ExpiredSignature => refused("TOKEN_EXPIRED"),
                _ => refused("INVALID_TOKEN"),
            })?
            .claims;
        let invalid = || refused("INVALID_TOKEN");
        let lifetime = claims.exp.saturating_sub(claims.iat);
        if claims.sub.trim().is_empty()
            || claims.iat > now_seconds().saturating_add(LEEWAY_SECONDS)
            || lifetime > self.max_lifetime.as_secs().saturating_add(LEEWAY_SECONDS)
        {
            return Err(invalid());
        }
        match (claims.role, claims.store_id.as_deref()) {
            (Role::Admin, None) => Ok(Caller::Admin {
                subject: claims.sub,
            }),
            (Role::Vendor, Some(store)) => Ok(Caller::Vendor {
                store: StoreId::parse(store).map_err(|_| invalid())?,
                subject: claims.sub,
            }),
            (Role::Customer, None) => Ok(Caller::Customer {
                id: CustomerId::parse(&claims.sub).map_err(|_| invalid())?,
            }),
            (Role::Vendor, None) | (Role::Admin | Role::Customer, Some(_)) => Err(invalid()),
        }
    }
}

/// Seconds since the epoch.
fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The 401 of a refused token: a stable code, one message.
pub(crate) fn refused(code: &'static str) -> ApiError {
    unauthorized(code, REFUSED)
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

    const SECRET: &str = "a-test-secret-of-enough-length-0123";

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
        let other = Auth::new("another-secret-of-enough-length-0123").unwrap();
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
            nbf: None,
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
            let now = now_seconds();
            let claims = Claims {
                sub: "someone".into(),
                role,
                store_id: store_id.map(str::to_owned),
                iat: now,
                exp: now + 60,
                nbf: None,
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
    fn short_or_blank_secrets_are_refused() {
        for secret in ["short", "a-secret-of-31-bytes-0123456789", &" ".repeat(40)] {
            assert!(
                matches!(Auth::new(secret), Err(TokenError::WeakSecret { .. })),
                "{secret:?}"
            );
        }
        assert!(Auth::new("a-secret-of-32-bytes-0123456789a").is_ok());
    }

    /// A token with these claims, signed with [`SECRET`].
    fn signed(claims: &Claims) -> String {
        let auth = Auth::new(SECRET).unwrap();
        encode(&Header::new(Algorithm::HS256), claims, &auth.encoding).unwrap()
    }

    fn admin_claims() -> Claims {
        let now = now_seconds();
        Claims {
            sub: "admin".into(),
            role: Role::Admin,
            store_id: None,
            iat: now,
            exp: now + 60,
            nbf: None,
        }
    }

    #[test]
    fn tokens_not_yet_valid_issued_in_the_future_or_living_too_long_are_refused() {
        let auth = Auth::new(SECRET).unwrap();
        let now = now_seconds();
        assert!(auth.verify(&signed(&admin_claims())).is_ok());
        let refused_claims = [
            Claims {
                nbf: Some(now + 600),
                ..admin_claims()
            },
            Claims {
                iat: now + 600,
                exp: now + 1200,
                ..admin_claims()
            },
            Claims {
                exp: now + 25 * 3600,
                ..admin_claims()
            },
            Claims {
                sub: "  ".into(),
                ..admin_claims()
            },
        ];
        for claims in refused_claims {
            let error = auth.verify(&signed(&claims)).unwrap_err();
            assert_eq!(error.code(), "INVALID_TOKEN", "{claims:?}");
        }
        let shorter = Auth::new(SECRET)
            .unwrap()
            .with_max_lifetime(Duration::from_secs(30));
        assert_eq!(
            shorter.verify(&signed(&admin_claims())).unwrap_err().code(),
            "INVALID_TOKEN",
            "a minute is too long when 30 s is the limit"
        );
        assert!(
            shorter
                .issue("admin", Role::Admin, None, Duration::from_secs(60))
                .is_err(),
            "nor is one issued"
        );
    }

    #[test]
    fn every_refusal_has_the_same_message_and_no_library_text() {
        let auth = Auth::new(SECRET).unwrap();
        let expired = Claims {
            iat: 1,
            exp: 2,
            ..admin_claims()
        };
        let errors = [
            auth.verify("not-a-jwt").unwrap_err(),
            auth.verify(&signed(&expired)).unwrap_err(),
            auth.verify(&format!("{}x", signed(&admin_claims())))
                .unwrap_err(),
        ];
        for error in errors {
            assert_eq!(error.to_string(), REFUSED, "{error:?}");
        }
    }
}
