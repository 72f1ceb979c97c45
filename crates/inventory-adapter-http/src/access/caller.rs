//! The authenticated caller of a request. Extracting it fails with 401 when the request has no
//! valid bearer token, or a vendor token names a store that does not exist.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use inventory_domain::{CustomerId, StoreId};

use futures_util::future::LocalBoxFuture;

use crate::ApiError;
use crate::access::token::unauthorized;
use crate::access::{Auth, KnownStores, Role};

/// The verified caller's [`Caller::actor`], kept in the request's extensions for
/// [`crate::routes::common::request_context`].
#[derive(Debug, Clone)]
pub struct Actor(pub String);

/// Who is calling. Each role carries exactly what it needs: a vendor always has its store, a
/// customer its customer id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// An operator: may do everything.
    Admin {
        /// The token's `sub`.
        subject: String,
    },
    /// Staff of one store.
    Vendor {
        /// The token's `sub`: the vendor's user id.
        subject: String,
        /// The store the vendor works in.
        store: StoreId,
    },
    /// A customer, acting for itself.
    Customer {
        /// The token's `sub`.
        id: CustomerId,
    },
}

impl Caller {
    /// The token's `sub`: who acted, for the audit trail.
    pub fn subject(&self) -> &str {
        match self {
            Self::Admin { subject } | Self::Vendor { subject, .. } => subject,
            Self::Customer { id } => id.as_str(),
        }
    }

    /// Who acts, as the movement history and the audit trail record it: `admin:<sub>`,
    /// `vendor:<sub>`, `customer:<id>`, always from the verified token.
    pub fn actor(&self) -> String {
        let role = match self {
            Self::Admin { .. } => "admin",
            Self::Vendor { .. } => "vendor",
            Self::Customer { .. } => "customer",
        };
        format!("{role}:{}", self.subject())
    }

    /// The caller's role.
    pub fn role(&self) -> Role {
        match self {
            Self::Admin { .. } => Role::Admin,
            Self::Vendor { .. } => Role::Vendor,
            Self::Customer { .. } => Role::Customer,
        }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verified = authenticate(request);
        if let Ok(caller) = &verified {
            // The changes this request makes are recorded as this caller's.
            use actix_web::HttpMessage;
            request.extensions_mut().insert(Actor(caller.actor()));
        }
        let stores = request.app_data::<web::Data<KnownStores>>().cloned();
        Box::pin(async move {
            let caller = verified?;
            if let Caller::Vendor { store, .. } = &caller {
                stores
                    .ok_or_else(|| ApiError::Internal("no KnownStores in the app data".into()))?
                    .require(store)
                    .await?;
            }
            Ok(caller)
        })
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
