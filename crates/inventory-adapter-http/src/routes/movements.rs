//! `GET /api/v1/movements`: why a pair's stock is what it is, one movement per change of its
//! quantity or reserved units. Staff only; vendors see their own store's.

use actix_web::{HttpResponse, get, web};
use inventory_domain::{MovementReason, ValidationError};
use inventory_ports::{MovementFilter, MovementOrder, RecordedMovement};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::{IntoParams, ToSchema};

use super::common::{product_id, run, staff_store_scope};
use crate::state::AppState;
use crate::{ApiError, Caller, ErrorBody};

/// What a movement belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct MovementReferenceResponse {
    /// `reservation`, `transfer`, `import` or `check`.
    pub kind: String,
    /// Its id.
    pub id: String,
}

/// One change of a pair's stock.
#[derive(Debug, Serialize, ToSchema)]
pub struct MovementResponse {
    /// The seq of the event that made it (the page cursor); negative for the opening balance
    /// of stock that existed before the history began.
    pub seq: i64,
    /// The product.
    pub product_id: String,
    /// The store.
    pub store_id: String,
    /// How the quantity moved.
    pub quantity_change: i64,
    /// How the reserved units moved.
    pub reserved_change: i64,
    /// The quantity after it.
    pub quantity_after: u32,
    /// The reserved units after it.
    pub reserved_after: u32,
    /// `quantity_after - reserved_after`.
    pub available_after: u32,
    /// RESTOCK, SALE, RETURN, ADJUSTMENT, DAMAGE, LOSS, TRANSFER_IN, TRANSFER_OUT, COUNT,
    /// RESERVATION, CONFIRMATION, CANCELLATION, EXPIRY, OPENING_BALANCE or REPAIR.
    #[schema(example = "SALE")]
    pub reason: String,
    /// The reservation, transfer, import or check run that made it.
    pub reference: Option<MovementReferenceResponse>,
    /// Who acted: `admin:<sub>`, `vendor:<sub>`, `customer:<id>` or `system:expiry`.
    #[schema(example = "vendor:mad-01")]
    pub actor: Option<String>,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
}

impl From<RecordedMovement> for MovementResponse {
    fn from(recorded: RecordedMovement) -> Self {
        let movement = recorded.movement;
        Self {
            seq: recorded.seq,
            product_id: movement.product_id.to_string(),
            store_id: movement.store_id.to_string(),
            quantity_change: movement.quantity_change,
            reserved_change: movement.reserved_change,
            quantity_after: movement.quantity_after,
            reserved_after: movement.reserved_after,
            available_after: movement.quantity_after - movement.reserved_after,
            reason: movement.reason.as_str().to_owned(),
            reference: movement.reference.map(|r| MovementReferenceResponse {
                kind: r.kind.as_str().to_owned(),
                id: r.id.to_string(),
            }),
            actor: recorded.actor,
            occurred_at: recorded.occurred_at,
        }
    }
}

/// A page of history.
#[derive(Debug, Serialize, ToSchema)]
pub struct MovementPageResponse {
    /// The movements, in the order asked for.
    pub data: Vec<MovementResponse>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<i64>,
}

/// Filters and paging of the history.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MovementQuery {
    /// Only this product's (UUID).
    pub product_id: Option<String>,
    /// Only this store's (vendors: their own, the default).
    pub store_id: Option<String>,
    /// Only this reason (`SALE`, `RESERVATION`, `EXPIRY`...).
    pub reason: Option<String>,
    /// Only this actor (`vendor:mad-01`).
    #[param(max_length = 300)]
    pub actor: Option<String>,
    /// Only movements at or after this time (RFC 3339).
    pub from: Option<String>,
    /// Only movements before this time (RFC 3339).
    pub to: Option<String>,
    /// `newest` (default) or `oldest` first.
    pub order: Option<String>,
    /// The `next_cursor` of the page before.
    pub cursor: Option<i64>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

fn instant(field: &'static str, text: Option<&str>) -> Result<Option<OffsetDateTime>, ApiError> {
    text.map(|text| {
        OffsetDateTime::parse(text, &Rfc3339)
            .map_err(|_| ValidationError::new(field, "must be an RFC 3339 time").into())
    })
    .transpose()
}

/// The movement history: every change of a pair's quantity or reserved units, with its
/// reason, reference, actor and time, newest first unless asked otherwise.
#[utoipa::path(
    tag = "stock",
    params(MovementQuery),
    responses(
        (status = 200, description = "A page of movements", body = MovementPageResponse),
        (status = 400, description = "An invalid filter, order, cursor or limit", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "A customer, or a vendor asking for another store", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/movements")]
pub async fn list_movements(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<MovementQuery>,
) -> Result<HttpResponse, ApiError> {
    let store = staff_store_scope(&caller, query.store_id.as_deref())?;
    let reason = query
        .reason
        .as_deref()
        .map(|text| {
            text.parse::<MovementReason>()
                .map_err(|_| ValidationError::new("reason", "is not a movement reason").into())
        })
        .transpose()
        .map_err(|error: ApiError| error)?;
    let order = match query.order.as_deref() {
        None | Some("newest") => MovementOrder::NewestFirst,
        Some("oldest") => MovementOrder::OldestFirst,
        Some(_) => return Err(ValidationError::new("order", "must be newest or oldest").into()),
    };
    let limit = match query.limit {
        None => 50,
        Some(limit) => u32::try_from(limit)
            .ok()
            .filter(|limit| (1..=500).contains(limit))
            .ok_or_else(|| ValidationError::new("limit", "must be between 1 and 500"))?,
    };
    let filter = MovementFilter {
        product_id: query.product_id.as_deref().map(product_id).transpose()?,
        store_id: store,
        reason,
        actor: query.actor.clone(),
        from: instant("from", query.from.as_deref())?,
        to: instant("to", query.to.as_deref())?,
    };
    if query
        .actor
        .as_ref()
        .is_some_and(|actor| actor.chars().count() > 300)
    {
        return Err(ValidationError::new("actor", "must be at most 300 characters").into());
    }
    let cursor = query.cursor;
    let movements = state.use_cases.movements.clone();
    let page = run(move || movements.list(filter, order, cursor, limit)).await?;
    Ok(HttpResponse::Ok().json(MovementPageResponse {
        data: page.data.into_iter().map(MovementResponse::from).collect(),
        next_cursor: page.next_cursor,
    }))
}
