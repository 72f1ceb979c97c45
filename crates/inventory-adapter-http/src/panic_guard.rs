//! Middleware: a handler that panics answers 500 with our error body, and the worker thread
//! keeps serving. (actix-web would otherwise drop the connection.)
//!
//! The request cannot be kept for building the response: routing needs it unshared. So a
//! panic becomes an error, which the request-span middleware stamps and actix renders.

use std::panic::AssertUnwindSafe;

use actix_web::Error;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use futures_util::FutureExt;

use crate::ApiError;

/// The middleware.
pub async fn catch_panics(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    // The async block also catches a panic raised synchronously inside `next.call`.
    match AssertUnwindSafe(async move { next.call(request).await })
        .catch_unwind()
        .await
    {
        Ok(response) => response.map(ServiceResponse::map_into_boxed_body),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(ApiError::Internal(format!("handler panicked: {message}")).into())
        }
    }
}
