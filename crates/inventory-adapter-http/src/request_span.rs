//! Middleware: every request gets an id (`X-Request-Id`, echoed or generated), a tracing span
//! carrying it, an access-log line, and its id in any error body. Responses that are errors
//! but not ours (an error status the framework or the CORS middleware produced itself) are
//! given our JSON error shape. It is the outermost middleware, so every answer goes through it.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, ResponseError};
use tracing::Instrument;

use crate::ApiError;

/// The id of the request being served, in the request's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request id accepted from a client; longer ones are replaced.
const MAX_REQUEST_ID_LEN: usize = 128;

/// The middleware.
pub async fn request_span(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|value| !value.is_empty() && value.len() <= MAX_REQUEST_ID_LEN)
        .filter(|value| value.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned);
    request.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.path(),
    );
    let started = Instant::now();
    // For an error with no response to read the path from. (Not a clone of the request: the
    // router needs it unshared.)
    let request_path = request.path().to_owned();
    let response = match next.call(request).instrument(span.clone()).await {
        Ok(response) => response.map_into_boxed_body(),
        Err(error) => {
            // No request to build a response with (see panic_guard): hand actix an error that
            // renders our body, request id included.
            // An error of ours keeps its status; any other keeps the status it would have had.
            let error = StampedError {
                error: error.as_error::<ApiError>().cloned().unwrap_or_else(|| {
                    foreign_status(error.as_response_error().status_code(), &request_path)
                }),
                request_id: id,
            };
            span.in_scope(|| {
                tracing::warn!(
                    status = error.error.status_code().as_u16(),
                    duration_ms = started.elapsed().as_secs_f64() * 1000.0,
                    "request completed"
                );
            });
            return Err(error.into());
        }
    };
    let mut response = with_error_body(response, &id);
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    let status = response.status().as_u16();
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(status, duration_ms, "request completed");
        } else {
            tracing::info!(status, duration_ms, "request completed");
        }
    });
    Ok(response)
}

/// An error that renders with the request id, in the body and the `X-Request-Id` header.
#[derive(Debug)]
struct StampedError {
    error: ApiError,
    request_id: String,
}

impl std::fmt::Display for StampedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl ResponseError for StampedError {
    fn status_code(&self) -> StatusCode {
        self.error.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = self.error.to_response(Some(&self.request_id));
        if let Ok(value) = HeaderValue::from_str(&self.request_id) {
            response.headers_mut().insert(REQUEST_ID, value);
        }
        response
    }
}

/// Rebuilds an error response so its body carries the request id, and gives foreign error
/// responses our JSON shape. The headers other middleware set (CORS, `Allow`,
/// `Retry-After`) are kept.
fn with_error_body(
    response: ServiceResponse<BoxBody>,
    request_id: &str,
) -> ServiceResponse<BoxBody> {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let ours = response
        .response()
        .error()
        .and_then(|error| error.as_error::<ApiError>())
        .cloned();
    let error = match ours {
        Some(error) => error,
        None if is_json(&response) => return response,
        None => match response.response().error() {
            Some(cause) => foreign_error(status, cause, response.request().path()),
            None => foreign_status(status, response.request().path()),
        },
    };
    let (request, original) = response.into_parts();
    let mut rebuilt = error.to_response(Some(request_id));
    for (name, value) in original.headers() {
        if name != header::CONTENT_TYPE
            && name != header::CONTENT_LENGTH
            && !rebuilt.headers().contains_key(name)
        {
            rebuilt.headers_mut().append(name.clone(), value.clone());
        }
    }
    ServiceResponse::new(request, rebuilt)
}

fn is_json(response: &ServiceResponse<BoxBody>) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// Our error for an error another part of the stack raised.
fn foreign_error(status: StatusCode, cause: &Error, path: &str) -> ApiError {
    match cause.as_error::<actix_cors::CorsError>() {
        // A browser's request from an origin (or with a method or header) CORS does not allow.
        Some(refusal) => ApiError::bad_request("CORS_REFUSED", refusal.to_string()),
        None => foreign_status(status, path),
    }
}

/// Our error for a bare error status.
fn foreign_status(status: StatusCode, path: &str) -> ApiError {
    match status {
        StatusCode::NOT_FOUND => ApiError::RouteNotFound(path.to_owned()),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed { allow: Vec::new() },
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType,
        status if status.is_client_error() => ApiError::bad_request(
            "BAD_REQUEST",
            status
                .canonical_reason()
                .unwrap_or("bad request")
                .to_owned(),
        ),
        status => ApiError::Internal(format!("unexpected {status} from the framework")),
    }
}
