//! `GET /api/v1/stream`: live availability as Server-Sent Events (see [`crate::live`]).

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::run;
use super::common::{product_id, store_id};
use crate::live::{StreamFilter, Subscription};
use crate::state::AppState;
use crate::{ApiError, Caller, ErrorBody};

/// Which changes to stream, and from where.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// Only this product.
    pub product_id: Option<String>,
    /// Only this store.
    pub store_id: Option<String>,
    /// Start after this event (a browser reconnecting sends `Last-Event-ID` instead); by
    /// default only changes from now on.
    pub after_seq: Option<u64>,
}

/// How far back an anonymous client may ask to be replayed, in events. Anyone can open a
/// stream; replaying the whole log to anyone would let one client make the server read all of
/// it, again and again. A client further behind starts at the end of the log after an
/// `event: reset` (it reloads what it shows). Clients with a valid token replay from anywhere.
pub const ANONYMOUS_REPLAY: u64 = 1000;

/// Streams availability changes as they commit: `event: availability`, `id:` the event's
/// sequence number, `data:` an `AvailabilityChange` JSON object. The stream opens with `id:`
/// set to where it starts (no data: no event fires), so reconnecting with `Last-Event-ID`
/// resumes with no gap even before the first event; an anonymous client at most 1 000 events back (further
/// back, an `event: reset` says to reload, and the stream follows from now). Public: it
/// carries no customer data. Open streams are capped per client and per instance.
#[utoipa::path(
    tag = "availability",
    params(
        StreamQuery,
        ("Last-Event-ID" = Option<u64>, Header, description = "Resume after this event"),
    ),
    responses(
        (status = 200, description = "text/event-stream of availability changes", content_type = "text/event-stream", body = inventory_events::AvailabilityChange),
        (status = 400, description = "Invalid filter or Last-Event-ID", body = ErrorBody),
        (status = 401, description = "An Authorization header with no valid token", body = ErrorBody),
        (status = 429, description = "TOO_MANY_STREAMS: this client has its share open (Retry-After)", body = ErrorBody),
        (status = 503, description = "TOO_MANY_STREAMS: the instance is full (Retry-After)", body = ErrorBody),
    )
)]
#[get("/stream")]
pub async fn stream(
    state: web::Data<AppState>,
    request: HttpRequest,
    query: web::Query<StreamQuery>,
) -> Result<HttpResponse, ApiError> {
    let filter = StreamFilter {
        product_id: query
            .product_id
            .as_deref()
            .map(product_id)
            .transpose()?
            .map(|p| p.to_string()),
        store_id: query
            .store_id
            .as_deref()
            .map(store_id)
            .transpose()?
            .map(|s| s.to_string()),
    };
    let last_event_id = match request.headers().get("last-event-id") {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "INVALID_HEADER",
                        "Last-Event-ID must be an event sequence number",
                    )
                })?,
        ),
    };
    // Anonymous unless the request carries a token, which must then be valid.
    let caller = if request.headers().contains_key(header::AUTHORIZATION) {
        Some(Caller::extract(&request).await?)
    } else {
        None
    };
    let client = match &caller {
        Some(caller) => format!("{:?}:{}", caller.role(), caller.subject()),
        None => client_address(&request, state.trust_forwarded_for),
    };
    let permit = state.live.limits().acquire(client)?;
    let events = state.use_cases.events.clone();
    let last_seq = run(move || events.last_seq()).await?;
    // A position beyond the log (a restored database, a made-up id) starts at its end, not in
    // a silence that never ends.
    let asked = last_event_id
        .or(query.after_seq)
        .map(|seq| seq.min(last_seq));
    let too_far = caller.is_none()
        && asked.is_some_and(|seq| last_seq.saturating_sub(seq) > ANONYMOUS_REPLAY);
    let after_seq = match asked {
        Some(seq) if !too_far => seq,
        _ => last_seq,
    };
    let mut subscription = Subscription::open(
        &state.live,
        state.use_cases.events.clone(),
        filter,
        after_seq,
        state.metrics.clone(),
        permit,
    );
    if too_far {
        subscription.announce_reset(asked.unwrap_or_default());
    }
    let chunks = futures_util::stream::unfold(subscription, |mut subscription| async move {
        subscription
            .next_chunk()
            .await
            .map(|chunk| (Ok::<_, actix_web::Error>(chunk), subscription))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(chunks))
}

/// An anonymous client's address: the connection's peer, or behind a trusted proxy the first
/// `X-Forwarded-For` entry.
fn client_address(request: &HttpRequest, trust_forwarded_for: bool) -> String {
    let forwarded = trust_forwarded_for
        .then(|| request.headers().get("x-forwarded-for"))
        .flatten()
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(',').next())
        .map(str::trim)
        .filter(|first| !first.is_empty());
    match forwarded {
        Some(first) => format!("address:{first}"),
        None => format!(
            "address:{}",
            request
                .peer_addr()
                .map_or_else(|| "unknown".to_owned(), |peer| peer.ip().to_string())
        ),
    }
}
