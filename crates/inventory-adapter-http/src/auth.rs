//! Bearer JWT authentication (HS256) and the authorisation rules of the API.
//!
//! A token carries `sub` (who), `role` (`admin`, `vendor` or `customer`), `store_id` (vendors
//! only: the store they work in), `iat` and `exp`. Reads of stores, products and availability
//! need no token; everything else does, and each handler asks [`Caller`] whether the caller
//! may do what it asks.

use std::future::{Ready, ready};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use inventory_domain::{CustomerId, Reservation, StoreId};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ApiError;

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
    #[error("jwt: {0}")]
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
            exp: now + ttl.as_secs(),
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
        let store_id =
            match (claims.role, claims.store_id.as_deref()) {
                (Role::Vendor, Some(store)) => Some(StoreId::parse(store).map_err(|_| {
                    unauthorized("INVALID_TOKEN", "the token's store_id is not valid")
                })?),
                (Role::Vendor, None) => {
                    return Err(unauthorized(
                        "INVALID_TOKEN",
                        "a vendor token must name its store",
                    ));
                }
                _ => None,
            };
        Ok(Caller {
            subject: claims.sub,
            role: claims.role,
            store_id,
        })
    }
}

fn unauthorized(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::Unauthorized {
        code,
        message: message.into(),
    }
}

/// The authenticated caller of a request. Extracting it fails with 401 when the request has
/// no valid bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token's `sub`.
    pub subject: String,
    /// The token's role.
    pub role: Role,
    /// A vendor's store.
    pub store_id: Option<StoreId>,
}

impl Caller {
    /// Only admins.
    ///
    /// # Errors
    /// 403 for anyone else.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        match self.role {
            Role::Admin => Ok(()),
            _ => Err(ApiError::forbidden("only an admin may do this")),
        }
    }

    /// Admins and vendors (store staff).
    ///
    /// # Errors
    /// 403 for customers.
    pub fn require_staff(&self) -> Result<(), ApiError> {
        match self.role {
            Role::Admin | Role::Vendor => Ok(()),
            Role::Customer => Err(ApiError::forbidden("only store staff may do this")),
        }
    }

    /// Admins, and vendors of `store`: who may change a store's stock.
    ///
    /// # Errors
    /// 403 for customers and for vendors of another store.
    pub fn require_store(&self, store: &StoreId) -> Result<(), ApiError> {
        match self.role {
            Role::Admin => Ok(()),
            Role::Vendor if self.store_id.as_ref() == Some(store) => Ok(()),
            Role::Vendor => Err(ApiError::forbidden(format!(
                "a vendor of {} may not act on store {store}",
                self.store_id.as_ref().map_or("no store", |s| s.as_str())
            ))),
            Role::Customer => Err(ApiError::forbidden("customers may not change stock")),
        }
    }

    /// Who may reserve for `customer` in `store`: the customer itself, a vendor of that store
    /// (at the counter), an admin.
    ///
    /// # Errors
    /// 403 otherwise.
    pub fn require_may_reserve(
        &self,
        customer: &CustomerId,
        store: &StoreId,
    ) -> Result<(), ApiError> {
        match self.role {
            Role::Customer if self.subject == customer.as_str() => Ok(()),
            Role::Customer => Err(ApiError::forbidden(
                "a customer may only reserve for itself",
            )),
            _ => self.require_store(store),
        }
    }

    /// Who may see, confirm or cancel `reservation`: its customer, a vendor of its store, an
    /// admin.
    ///
    /// # Errors
    /// 403 otherwise.
    pub fn require_reservation(&self, reservation: &Reservation) -> Result<(), ApiError> {
        match self.role {
            Role::Customer if self.subject == reservation.customer_id().as_str() => Ok(()),
            Role::Customer => Err(ApiError::forbidden(
                "this reservation belongs to another customer",
            )),
            _ => self.require_store(reservation.store_id()),
        }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(request))
    }
}

fn authenticate(request: &HttpRequest) -> Result<Caller, ApiError> {
    let auth = request
        .app_data::<web::Data<Auth>>()
        .ok_or_else(|| ApiError::Internal("no Auth in the app data".into()))?;
    let value = request
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| unauthorized("UNAUTHORIZED", "this request needs a bearer token"))?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            unauthorized(
                "INVALID_TOKEN",
                "the Authorization header must be `Bearer <token>`",
            )
        })?;
    auth.verify(token)
}

/// Reads a duration written as `90s`, `15m`, `1h` or `7d` (a bare number is seconds).
///
/// # Errors
/// A message when the text is not such a duration or is zero.
pub fn parse_ttl(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit())
        .map_or((text, "s"), |at| text.split_at(at));
    let amount: u64 = number
        .parse()
        .map_err(|_| format!("not a duration: {text:?}"))?;
    let seconds = match unit {
        "s" => amount,
        "m" => amount * 60,
        "h" => amount * 3600,
        "d" => amount * 86_400,
        _ => return Err(format!("unknown unit in {text:?}: use s, m, h or d")),
    };
    if seconds == 0 {
        return Err("a duration must be positive".into());
    }
    Ok(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "a-test-secret-of-enough-length";

    #[test]
    fn an_issued_token_verifies_to_its_claims() {
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
        let caller = auth.verify(&token).unwrap();
        assert_eq!(caller.role, Role::Vendor);
        assert_eq!(caller.store_id, Some(store));
        assert_eq!(caller.subject, "vendor-789");
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
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(matches!(
            Auth::new("short"),
            Err(TokenError::WeakSecret { .. })
        ));
    }

    #[test]
    fn a_vendor_acts_only_on_its_own_store() {
        let madrid = StoreId::parse("MAD-001").unwrap();
        let barcelona = StoreId::parse("BCN-001").unwrap();
        let vendor = Caller {
            subject: "v".into(),
            role: Role::Vendor,
            store_id: Some(barcelona.clone()),
        };
        assert!(vendor.require_store(&barcelona).is_ok());
        assert_eq!(
            vendor.require_store(&madrid).unwrap_err().code(),
            "FORBIDDEN"
        );
    }

    #[test]
    fn ttls_are_read_with_units() {
        assert_eq!(parse_ttl("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_ttl("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_ttl("7d").unwrap(), Duration::from_secs(604_800));
        assert!(parse_ttl("0s").is_err());
        assert!(parse_ttl("1w").is_err());
        assert!(parse_ttl("h").is_err());
    }
}
