//! Middleware: limits on what a request may look like, answered in our JSON error shape.
//!
//! - A URI longer than [`MAX_URI_BYTES`] is a 414, a header block larger than
//!   [`MAX_HEADER_BYTES`] a 431. actix-web's own limits (its parser's buffer) are larger and
//!   answer without a body; ours come first, so any request a client could reasonably send
//!   hears why it was refused.
//! - A body must arrive within the client timeout, counted from the end of the headers: a
//!   client that trickles a body is answered 408 and the connection is closed, instead of
//!   holding a worker's connection for as long as it likes. (Slow headers are actix-web's
//!   `client_request_timeout`, set to the same value.)
//!
//! One case is beyond the application's reach: a chunked body that no handler reads to its
//! end (a GET, a refusal before the body). actix-web answers, then discards what follows until
//! the body ends, and a client that trickles it keeps the connection open. It costs a socket,
//! no worker; a proxy in front bounds it (`client_body_timeout` in `deploy/nginx-cluster.conf`).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::{Bytes, Data};
use actix_web::{Error, HttpMessage};
use futures_util::Stream;

use crate::ApiError;

/// The longest request target (path and query) accepted, in bytes.
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// The largest header block accepted (names and values), in bytes.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// The limits, shared with the middleware through app data.
#[derive(Debug, Clone, Copy)]
pub struct RequestLimits {
    /// How long a request's body may take to arrive.
    pub body_timeout: Duration,
}

/// The middleware.
pub async fn enforce(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let uri_bytes = request
        .uri()
        .path_and_query()
        .map_or(0, |target| target.as_str().len());
    if uri_bytes > MAX_URI_BYTES {
        return Err(ApiError::UriTooLong {
            limit: MAX_URI_BYTES,
        }
        .into());
    }
    let header_bytes: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if header_bytes > MAX_HEADER_BYTES {
        return Err(ApiError::HeadersTooLarge {
            limit: MAX_HEADER_BYTES,
        }
        .into());
    }
    let has_body = request.headers().contains_key(header::TRANSFER_ENCODING)
        || request
            .headers()
            .get(header::CONTENT_LENGTH)
            .is_some_and(|length| length.as_bytes() != b"0");
    if has_body && let Some(limits) = request.app_data::<Data<RequestLimits>>() {
        let deadline = tokio::time::sleep(limits.body_timeout);
        let body = request.take_payload();
        request.set_payload(Payload::Stream {
            payload: Box::pin(BodyWithDeadline {
                body,
                deadline: Box::pin(deadline),
                expired: false,
            }),
        });
    }
    next.call(request)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}

/// A request body that fails with a time-out error once its deadline passes.
struct BodyWithDeadline {
    body: Payload,
    deadline: Pin<Box<tokio::time::Sleep>>,
    expired: bool,
}

/// Whether a body could not be read because it arrived too slowly.
pub fn is_body_timeout(error: &PayloadError) -> bool {
    matches!(error, PayloadError::Io(io) if io.kind() == io::ErrorKind::TimedOut)
}

impl Stream for BodyWithDeadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.expired {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = Pin::new(&mut self.body).poll_next(context) {
            return Poll::Ready(item);
        }
        if self.deadline.as_mut().poll(context).is_ready() {
            self.expired = true;
            return Poll::Ready(Some(Err(PayloadError::Io(io::Error::new(
                io::ErrorKind::TimedOut,
                "the request body did not arrive in time",
            )))));
        }
        Poll::Pending
    }
}
