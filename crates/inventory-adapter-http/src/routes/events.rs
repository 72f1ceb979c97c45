//! `GET /api/v1/events`: the outbox, replayed in commit order (store staff).

use actix_web::{HttpResponse, get, web};
use inventory_ports::RecordedEvent;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Role;
use crate::state::AppState;
use crate::{ApiError, Caller, ErrorBody, blocking};

/// An event of the log.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventResponse {
    /// Position in the log: strictly increasing in commit order, never reused.
    pub seq: u64,
    /// Stable id, the same on every delivery.
    pub event_id: String,
    /// `stock.updated`, `reservation.created`...
    pub event_type: String,
    /// `product`, `store`, `stock` or `reservation`.
    pub aggregate_type: String,
    /// Which one.
    pub aggregate_id: String,
    /// The store concerned, if any.
    pub store_id: Option<String>,
    /// The product concerned, if any.
    pub product_id: Option<String>,
    /// The event's data (see the README's event format).
    #[schema(value_type = Object)]
    pub payload: Value,
    /// When it happened.
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    /// The request that caused it.
    pub request_id: Option<String>,
}

impl From<RecordedEvent> for EventResponse {
    fn from(event: RecordedEvent) -> Self {
        Self {
            seq: event.seq,
            event_id: event.event_id.to_string(),
            payload: serde_json::from_str(&event.payload).unwrap_or(Value::String(event.payload)),
            event_type: event.event_type,
            aggregate_type: event.aggregate_type,
            aggregate_id: event.aggregate_id,
            store_id: event.store_id,
            product_id: event.product_id,
            occurred_at: event.occurred_at,
            request_id: event.request_id,
        }
    }
}

/// A page of the log and where to continue.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventPage {
    /// Events with `seq > after_seq`, in order.
    pub data: Vec<EventResponse>,
    /// Pass this as `after_seq` to read on.
    pub next_after_seq: u64,
}

/// Where to read from.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Return events after this sequence number (default 0: from the start).
    pub after_seq: Option<u64>,
    /// At most this many, 1 to 1 000 (default 100).
    pub limit: Option<u32>,
}

/// Replays the event log from the outbox, in commit order. Admins see every event; a vendor
/// sees its own store's events and the catalogue's (events of other stores carry their
/// customers' ids). `next_after_seq` continues after everything this page looked at, shown or
/// not.
#[utoipa::path(
    get,
    path = "/api/v1/events",
    tag = "events",
    params(EventQuery),
    responses(
        (status = 200, description = "A page of events", body = EventPage),
        (status = 400, description = "Invalid limit", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not store staff", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/events")]
pub async fn replay(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<EventQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require_staff()?;
    let after = query.after_seq.unwrap_or(0);
    let limit = query.limit.unwrap_or(100);
    let log = state.use_cases.events.clone();
    let events = blocking::run(move || log.after(after, limit)).await?;
    let next_after_seq = events.last().map_or(after, |e| e.seq);
    let visible = |event: &RecordedEvent| match (&caller.role, &caller.store_id) {
        (Role::Vendor, Some(own)) => event
            .store_id
            .as_deref()
            .is_none_or(|store| store == own.as_str()),
        _ => true,
    };
    Ok(HttpResponse::Ok().json(EventPage {
        data: events
            .into_iter()
            .filter(visible)
            .map(EventResponse::from)
            .collect(),
        next_after_seq,
    }))
}
