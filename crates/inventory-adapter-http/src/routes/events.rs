//! `GET /api/v1/events`: the outbox, replayed in commit order (store staff).

use actix_web::{HttpResponse, get, web};
use inventory_events::EventEnvelope;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::common::run;
use crate::access::{Action, authorize, event_visible};
use crate::state::AppState;
use crate::{ApiError, Caller, ErrorBody};

/// A page of the log and where to continue.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventPage {
    /// Events with `seq > after_seq`, in order.
    pub data: Vec<EventEnvelope>,
    /// Pass this as `after_seq` to read on.
    pub next_after_seq: u64,
    /// The log's last sequence number when this page was read (every store's: the live
    /// stream's ids show it to anyone anyway). `after_seq = last_seq - n` starts a reader
    /// near the end, as the dashboard's activity feed does.
    pub last_seq: u64,
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
/// customers' ids), and its `next_after_seq` follows what it may read only.
#[utoipa::path(
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
    authorize(&caller, Action::ReadEventLog)?;
    let after = query.after_seq.unwrap_or(0);
    let limit = query.limit.unwrap_or(100);
    let log = state.use_cases.events.clone();
    let store = match &caller {
        Caller::Vendor { store, .. } => Some(store.clone()),
        _ => None,
    };
    let (events, last_seq) = run(move || {
        let events = match store {
            Some(store) => log.store_after(store, after, limit)?,
            None => log.after(after, limit)?,
        };
        Ok((events, log.last_seq()?))
    })
    .await?;
    let next_after_seq = events.last().map_or(after, |e| e.seq);
    Ok(HttpResponse::Ok().json(EventPage {
        data: events
            .into_iter()
            // The query already narrowed a vendor's; the policy stays the one judge.
            .filter(|event| event_visible(&caller, event.store_id.as_deref()))
            .map(EventEnvelope::from)
            .collect(),
        next_after_seq,
        last_seq,
    }))
}
