//! `Idempotency-Key` on the POSTs that write: a client that repeats a request (a phone on a
//! bad network) gets the first answer again, byte for byte, instead of a second effect.
//!
//! A handler builds a [`KeyedAnswer`] before it runs its use case. Without the header it is
//! plain: the answer is rendered after the use case, as always. With it, the request context
//! carries the caller-scoped key, the request's fingerprint and the renderer, so the use case's
//! transaction stores the rendered answer with its effect (`inventory_application`'s
//! `unit_of_work`); the handler then answers with exactly those bytes. A repeat gets
//! [`InventoryError::Replayed`], which [`crate::ApiError`] turns into the stored answer with
//! [`REPLAYED_HEADER`]; the same key over another request gets 422 `IDEMPOTENCY_KEY_REUSED`.

use std::any::Any;
use std::sync::{Arc, Mutex};

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use inventory_ports::{
    Idempotency, IdempotencyKey, InventoryError, RequestContext, StoredResponse,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::routes::common::request_context;
use crate::{ApiError, Caller};

/// The request header carrying the client's key.
pub const KEY_HEADER: &str = "Idempotency-Key";

/// The response header marking a stored answer sent again (`true`).
pub const REPLAYED_HEADER: &str = "Idempotent-Replayed";

/// A status and a JSON body, as stored.
type Rendered = (u16, Vec<u8>);

/// How a handler renders its use case's result (`None`: the view would not serialize).
type Render<T> = Arc<dyn Fn(&T) -> Option<Rendered> + Send + Sync>;

/// What the committed attempt of a keyed request rendered, as stored.
type RenderedSlot = Arc<Mutex<Option<Rendered>>>;

/// What a handler answers with: rendered once, stored with the effect when the request is
/// keyed.
pub struct KeyedAnswer<T> {
    context: RequestContext,
    render: Render<T>,
    /// What the committed attempt rendered (a keyed request only).
    rendered: RenderedSlot,
}

impl<T: Any> KeyedAnswer<T> {
    /// The answer to `request`, whose parsed body is `body`: the status and JSON view `view`
    /// makes of the use case's result.
    ///
    /// # Errors
    /// 400 naming `Idempotency-Key` when the header is sent more than once, is not text, or
    /// is not 1 to 255 visible ASCII characters.
    pub fn new<V: Serialize>(
        request: &HttpRequest,
        caller: &Caller,
        body: &impl Serialize,
        view: impl Fn(&T) -> (StatusCode, V) + Send + Sync + 'static,
    ) -> Result<Self, ApiError> {
        let render: Render<T> = Arc::new(move |value| {
            let (status, view) = view(value);
            serde_json::to_vec(&view)
                .ok()
                .map(|body| (status.as_u16(), body))
        });
        let rendered: RenderedSlot = Arc::new(Mutex::new(None));
        let mut context = request_context(request);
        if let Some(key) = key_of(request, caller)? {
            let renderer = Arc::clone(&render);
            let slot = Arc::clone(&rendered);
            context.idempotency = Some(Idempotency {
                key,
                fingerprint: fingerprint(request, body),
                render: Arc::new(move |value: &dyn Any| {
                    // `None` fails the change: no answer is stored without its effect.
                    let answer = renderer(value.downcast_ref::<T>()?)?;
                    // A retried attempt renders again; the last one is the one committed.
                    *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(answer.clone());
                    Some(answer)
                }),
            });
        }
        Ok(Self {
            context,
            render,
            rendered,
        })
    }

    /// The context to run the use case with.
    pub fn context(&self) -> RequestContext {
        self.context.clone()
    }

    /// The response for the use case's `value`: the bytes its transaction stored when the
    /// request was keyed, rendered now otherwise. `extra` adds headers (`Location`).
    pub fn respond(&self, value: &T, extra: impl FnOnce(&mut HttpResponseBuilder)) -> HttpResponse {
        let stored = self
            .rendered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let Some((status, body)) = stored.or_else(|| (self.render)(value)) else {
            return actix_web::ResponseError::error_response(&ApiError::from(
                InventoryError::internal("a response could not be written as JSON"),
            ));
        };
        let mut builder = HttpResponse::build(status_of(status));
        builder.insert_header((CONTENT_TYPE, HeaderValue::from_static("application/json")));
        extra(&mut builder);
        builder.body(body)
    }
}

/// A stored status code as actix's (they are written from actix's, so always valid).
pub fn status_of(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::OK)
}

/// The stored answer to a repeated request, marked as a replay.
pub fn replay(stored: &StoredResponse) -> HttpResponse {
    HttpResponse::build(status_of(stored.status))
        .insert_header((CONTENT_TYPE, HeaderValue::from_static("application/json")))
        .insert_header((REPLAYED_HEADER, HeaderValue::from_static("true")))
        .body(stored.body.clone())
}

/// The caller's key, if the request sent one. Keys are scoped by role and subject, so an
/// admin and a customer both called `alice` never share one.
fn key_of(request: &HttpRequest, caller: &Caller) -> Result<Option<IdempotencyKey>, ApiError> {
    let mut values = request.headers().get_all(KEY_HEADER);
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let invalid = |message: &str| {
        ApiError::from(inventory_domain::ValidationError::new(
            KEY_HEADER,
            message.to_owned(),
        ))
    };
    if values.next().is_some() {
        return Err(invalid("must be sent once"));
    }
    let text = value
        .to_str()
        .map_err(|_| invalid("must hold visible ASCII characters only"))?;
    let scope = match caller {
        Caller::Admin { subject } => format!("admin:{subject}"),
        Caller::Vendor { subject, store } => format!("vendor:{store}:{subject}"),
        Caller::Customer { id } => format!("customer:{id}"),
    };
    Ok(Some(IdempotencyKey::new(scope, text)?))
}

/// What identifies the request's content: its method, path and body as parsed (so spacing
/// and key order in the JSON do not matter), hashed.
fn fingerprint(request: &HttpRequest, body: &impl Serialize) -> String {
    let mut hasher = Sha256::new();
    hasher.update(request.method().as_str().as_bytes());
    hasher.update(b" ");
    hasher.update(request.path().as_bytes());
    hasher.update(b"\n");
    hasher.update(serde_json::to_vec(body).unwrap_or_default());
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// True for the error a repeated keyed request gets: the stored answer, not a failure.
pub fn is_replay(error: &InventoryError) -> bool {
    matches!(error, InventoryError::Replayed(_))
}
