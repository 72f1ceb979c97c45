//! `GET /api/v1/stream`: live availability as Server-Sent Events (see [`crate::live`]).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::run;
use super::common::{product_id, store_id};
use crate::live::{StreamFilter, Subscription};
use crate::state::AppState;
use crate::{ApiError, ErrorBody};

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

/// Streams availability changes as they commit: `event: availability`, `id:` the event's
/// sequence number, `data:` an `AvailabilityChange` JSON object. Reconnecting with
/// `Last-Event-ID` resumes with no gap. Public: it carries no customer data.
#[utoipa::path(
    tag = "availability",
    params(
        StreamQuery,
        ("Last-Event-ID" = Option<u64>, Header, description = "Resume after this event"),
    ),
    responses(
        (status = 200, description = "text/event-stream of availability changes", content_type = "text/event-stream", body = inventory_events::AvailabilityChange),
        (status = 400, description = "Invalid filter or Last-Event-ID", body = ErrorBody),
        (status = 503, description = "Too many live streams open", body = ErrorBody),
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
    if state.live.subscribers() >= crate::LiveFeed::MAX_STREAMS {
        return Err(ApiError::Unavailable(
            "too many live streams are open; retry later".into(),
        ));
    }
    let events = state.use_cases.events.clone();
    let last_seq = run(move || events.last_seq()).await?;
    // A position beyond the log (a restored database, a made-up id) starts at its end, not in
    // a silence that never ends.
    let after_seq = last_event_id
        .or(query.after_seq)
        .map_or(last_seq, |seq| seq.min(last_seq));
    let subscription = Subscription::open(
        &state.live,
        state.use_cases.events.clone(),
        filter,
        after_seq,
        state.metrics.clone(),
    );
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
