//! The one error type of the HTTP API and its JSON shape:
//!
//! ```json
//! {"error": {"code": "INSUFFICIENT_STOCK", "message": "...", "details": {...}, "request_id": "..."}}
//! ```
//!
//! Every error a client can see goes through here, so the status codes live in one place.
//! A 500 says "internal error" and a 503 "temporarily unavailable" to the client, never the
//! database's or a library's words; the log gets the whole cause chain. A client mistake is
//! never a 500.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use inventory_domain::{CartError, HoldLimitError, ReservationError, StockError, TransferError};
use inventory_ports::{ErrorChain, ErrorKind, InventoryError};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

/// An error answered to a client.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// A use case refused or failed.
    #[error(transparent)]
    Inventory(#[from] InventoryError),
    /// The request could not be read: malformed JSON, a bad path or query parameter.
    #[error("{message}")]
    BadRequest {
        /// Stable code.
        code: &'static str,
        /// What is wrong, naming the field or position when known.
        message: String,
        /// Extra facts (`field`, `line`, `column`).
        details: Option<Value>,
    },
    /// No usable credentials.
    #[error("{message}")]
    Unauthorized {
        /// `UNAUTHORIZED`, `INVALID_TOKEN` or `TOKEN_EXPIRED`.
        code: &'static str,
        /// Why.
        message: String,
    },
    /// Valid credentials that do not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// No route for this path.
    #[error("no route for {0}")]
    RouteNotFound(String),
    /// The route exists, not with this method.
    #[error("this path does not answer this method")]
    MethodNotAllowed {
        /// The methods it answers (the `Allow` header).
        allow: Vec<&'static str>,
    },
    /// The body is larger than allowed.
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// Staff reserved without saying for which customer: a well-formed request that only a
    /// customer (whose token names them) may send without `customer_id`.
    #[error("customer_id is required when staff reserve")]
    CustomerRequired,
    /// The request target is longer than allowed.
    #[error("the request URI is longer than {limit} bytes")]
    UriTooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// The headers are larger than allowed.
    #[error("the request headers are larger than {limit} bytes")]
    HeadersTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body did not arrive within the client timeout.
    #[error("the request body did not arrive in time")]
    RequestTimeout,
    /// The body is not JSON.
    #[error("the request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    /// An import's body is neither CSV nor JSON lines.
    #[error("an import's body must be text/csv or application/x-ndjson")]
    ImportMediaType,
    /// A precondition header is required (a count without a version).
    #[error("{0}")]
    PreconditionRequired(String),
    /// No live stream can be opened now: the client has its share open (429), or the instance
    /// is full (503).
    #[error("{}", if *per_client {
        "this client has as many live streams open as allowed; close one or retry later"
    } else {
        "too many live streams are open; retry later"
    })]
    TooManyStreams {
        /// The client's own share is used up.
        per_client: bool,
    },
    /// A bug; the detail is logged, never sent.
    #[error("internal error")]
    Internal(String),
}

/// The JSON body of every error (for the OpenAPI document).
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The inside of [`ErrorBody`].
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, upper-case code to match on (`INSUFFICIENT_STOCK`).
    pub code: String,
    /// A sentence for people.
    pub message: String,
    /// Facts about the error: `available` and `requested` for `INSUFFICIENT_STOCK`,
    /// `current_version` for `VERSION_CONFLICT`, `field` for `VALIDATION_FAILED`...
    #[schema(value_type = Object)]
    pub details: Option<Value>,
    /// The request's `X-Request-Id`, to quote when reporting a problem.
    pub request_id: Option<String>,
}

impl ApiError {
    /// A 400 with a code and message.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
            details: None,
        }
    }

    /// A 403.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Inventory(error) => error.code(),
            Self::BadRequest { code, .. } | Self::Unauthorized { code, .. } => code,
            Self::Forbidden(_) => "FORBIDDEN",
            Self::RouteNotFound(_) => "ROUTE_NOT_FOUND",
            Self::MethodNotAllowed { .. } => "METHOD_NOT_ALLOWED",
            Self::PayloadTooLarge { .. } => "PAYLOAD_TOO_LARGE",
            Self::CustomerRequired => "CUSTOMER_REQUIRED",
            Self::UriTooLong { .. } => "URI_TOO_LONG",
            Self::HeadersTooLarge { .. } => "HEADERS_TOO_LARGE",
            Self::RequestTimeout => "REQUEST_TIMEOUT",
            Self::UnsupportedMediaType | Self::ImportMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Self::PreconditionRequired(_) => "PRECONDITION_REQUIRED",
            Self::TooManyStreams { .. } => "TOO_MANY_STREAMS",
            Self::Internal(_) => "INTERNAL_ERROR",
        }
    }

    /// Facts a client can act on, per error.
    fn details(&self) -> Option<Value> {
        match self {
            Self::BadRequest { details, .. } => details.clone(),
            Self::PayloadTooLarge { limit }
            | Self::UriTooLong { limit }
            | Self::HeadersTooLarge { limit } => Some(json!({ "limit_bytes": limit })),
            Self::CustomerRequired => Some(json!({ "field": "customer_id" })),
            Self::MethodNotAllowed { allow } if !allow.is_empty() => {
                Some(json!({ "allowed_methods": allow }))
            }
            Self::Inventory(error) => inventory_details(error),
            _ => None,
        }
    }

    /// The full JSON response, stamped with the request id.
    pub fn to_response(&self, request_id: Option<&str>) -> HttpResponse {
        if let Self::Inventory(InventoryError::Replayed(stored)) = self {
            return crate::idempotency::replay(stored);
        }
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(code = self.code(), error = %ErrorChain(self), request_id, "request failed");
        }
        let message = match self {
            // Never leak internals: the cause is in the log.
            Self::Inventory(error) => match error.kind() {
                ErrorKind::Internal => "internal error".to_owned(),
                ErrorKind::Unavailable => {
                    "the service is temporarily unavailable; retry in a moment".to_owned()
                }
                _ => error.to_string(),
            },
            other => other.to_string(),
        };
        let mut response = HttpResponse::build(status);
        if status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        if status == StatusCode::REQUEST_TIMEOUT {
            // The rest of the body is not waited for: the connection ends with this answer.
            response.force_close();
        }
        if let Self::MethodNotAllowed { allow } = self
            && !allow.is_empty()
            && let Ok(value) = HeaderValue::from_str(&allow.join(", "))
        {
            response.insert_header((header::ALLOW, value));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::TOO_MANY_REQUESTS {
            // When to come back: a stream's place, or a busy database, frees up in seconds.
            let seconds = match self {
                Self::TooManyStreams { .. } => crate::StreamLimits::RETRY_AFTER_SECONDS,
                _ => 1,
            };
            response.insert_header((header::RETRY_AFTER, HeaderValue::from(seconds)));
        }
        response.json(json!({
            "error": {
                "code": self.code(),
                "message": message,
                "details": self.details(),
                "request_id": request_id,
            }
        }))
    }
}

fn inventory_details(error: &InventoryError) -> Option<Value> {
    match error {
        InventoryError::Invalid(validation) => Some(json!({ "field": validation.field })),
        InventoryError::Stock(stock)
        | InventoryError::Reservation(ReservationError::Stock(stock)) => match stock {
            StockError::InsufficientStock {
                available,
                requested,
            } => Some(json!({ "available": available, "requested": requested })),
            StockError::BelowReserved {
                resulting_quantity,
                reserved,
            } => Some(json!({ "resulting_quantity": resulting_quantity, "reserved": reserved })),
            StockError::AboveLimit {
                resulting_quantity,
                limit,
            } => Some(json!({ "resulting_quantity": resulting_quantity, "limit": limit })),
            StockError::VersionConflict { expected, current } => {
                Some(json!({ "expected_version": expected, "current_version": current }))
            }
            StockError::Invariant(_) => None,
        },
        InventoryError::Reservation(ReservationError::AlreadyResolved { status })
        | InventoryError::Cart(CartError::AlreadyResolved { status }) => {
            Some(json!({ "status": status.as_str() }))
        }
        InventoryError::Reservation(
            ReservationError::Expired { expires_at } | ReservationError::NotExtended { expires_at },
        )
        | InventoryError::Cart(CartError::Expired { expires_at }) => Some(json!({
            "expires_at": expires_at.format(&time::format_description::well_known::Rfc3339).ok()
        })),
        InventoryError::ProductHasReservations { reserved, .. } => {
            Some(json!({ "reserved": reserved }))
        }
        InventoryError::ProductInTransit { transfers, .. } => {
            Some(json!({ "transfers_in_transit": transfers }))
        }
        InventoryError::Cart(CartError::Unavailable(shortfalls)) => Some(json!({
            "lines": shortfalls.iter().map(|line| json!({
                "product_id": line.product_id.to_string(),
                "store_id": line.store_id.as_str(),
                "requested": line.requested,
                "available": line.available,
            })).collect::<Vec<_>>()
        })),
        InventoryError::Transfer(TransferError::NotInTransit { status }) => {
            Some(json!({ "status": status.as_str() }))
        }
        InventoryError::Cart(CartError::NotALine(id)) => Some(json!({ "line_id": id.to_string() })),
        InventoryError::HoldLimit(limit) => Some(match limit {
            HoldLimitError::TooManyReservations { scope, allowed } => {
                json!({ "scope": scope.as_str(), "allowed_reservations": allowed })
            }
            HoldLimitError::TooManyUnits {
                scope,
                allowed,
                held,
                requested,
            } => json!({
                "scope": scope.as_str(), "allowed_units": allowed, "held": held, "requested": requested
            }),
            HoldLimitError::TtlTooLong {
                allowed_seconds,
                requested_seconds,
            } => json!({ "allowed_ttl": allowed_seconds, "requested_ttl": requested_seconds }),
        }),
        _ => None,
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Inventory(InventoryError::Replayed(stored)) => {
                crate::idempotency::status_of(stored.status)
            }
            Self::Inventory(error) => match error.kind() {
                ErrorKind::Invalid => StatusCode::BAD_REQUEST,
                ErrorKind::NotFound => StatusCode::NOT_FOUND,
                ErrorKind::Conflict => StatusCode::CONFLICT,
                ErrorKind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
                ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
                ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            },
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::RouteNotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::CustomerRequired => StatusCode::UNPROCESSABLE_ENTITY,
            Self::UriTooLong { .. } => StatusCode::URI_TOO_LONG,
            Self::HeadersTooLarge { .. } => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::UnsupportedMediaType | Self::ImportMediaType => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            Self::PreconditionRequired(_) => StatusCode::PRECONDITION_REQUIRED,
            Self::TooManyStreams { per_client: true } => StatusCode::TOO_MANY_REQUESTS,
            Self::TooManyStreams { per_client: false } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Without the request id: the request-id middleware replaces this body with one that
    /// carries it.
    fn error_response(&self) -> HttpResponse {
        self.to_response(None)
    }
}

impl From<inventory_domain::ValidationError> for ApiError {
    fn from(error: inventory_domain::ValidationError) -> Self {
        Self::Inventory(error.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_mistake_is_never_a_500() {
        let errors = [
            ApiError::from(InventoryError::Stock(StockError::InsufficientStock {
                available: 1,
                requested: 2,
            })),
            ApiError::bad_request("MALFORMED_JSON", "x"),
            ApiError::from(inventory_domain::ValidationError::new("sku", "bad")),
            ApiError::UnsupportedMediaType,
        ];
        for error in errors {
            assert!(error.status_code().is_client_error(), "{error:?}");
        }
    }

    fn body_of(error: &ApiError) -> String {
        let body = error.to_response(Some("r1")).into_body();
        let bytes = actix_web::body::to_bytes(body);
        let bytes = futures_util::FutureExt::now_or_never(bytes)
            .expect("ready")
            .expect("body");
        String::from_utf8(bytes.to_vec()).expect("utf8")
    }

    #[test]
    fn internal_details_are_not_sent() {
        let cause = std::io::Error::other("secret path /var/db");
        let error = ApiError::from(InventoryError::Internal(
            inventory_ports::Failure::caused_by("a database statement failed", cause),
        ));
        let text = body_of(&error);
        assert!(
            !text.contains("secret") && !text.contains("database"),
            "{text}"
        );
        assert!(
            text.contains("INTERNAL_ERROR") && text.contains("r1"),
            "{text}"
        );
    }

    #[test]
    fn an_unavailable_database_is_a_503_that_says_nothing_of_the_database() {
        let cause = std::io::Error::other("database is locked");
        let error = ApiError::from(InventoryError::Unavailable(
            inventory_ports::Failure::caused_by(
                "the database is locked by another connection",
                cause,
            ),
        ));
        assert_eq!(error.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        let text = body_of(&error);
        assert!(!text.to_lowercase().contains("database"), "{text}");
        assert!(!text.contains("locked"), "{text}");
        assert!(text.contains("SERVICE_UNAVAILABLE"), "{text}");
    }

    #[test]
    fn insufficient_stock_carries_both_numbers() {
        let error = ApiError::from(InventoryError::Stock(StockError::InsufficientStock {
            available: 3,
            requested: 5,
        }));
        assert_eq!(
            error.details(),
            Some(json!({"available": 3, "requested": 5}))
        );
        assert_eq!(error.status_code(), StatusCode::CONFLICT);
    }
}
