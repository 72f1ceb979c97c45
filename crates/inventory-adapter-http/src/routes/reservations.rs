//! `/api/v1/reservations`: the design document's flow 3. Customers reserve for themselves
//! and see only their own reservations; vendors act on their store's; admins on all.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use inventory_application::ReserveStock;
use inventory_domain::{CustomerId, Quantity, Reservation, ReservationTtl};
use inventory_ports::ReservationFilter;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::common::{
    PageOf, PageQuery, count_stock_operation, is_insufficient_stock, product_id, reservation_id,
    run, store_id,
};
use crate::access::{Action, authorize, scope_reservations};
use crate::idempotency::KeyedAnswer;
use crate::state::AppState;
use crate::{ApiError, Caller, ErrorBody};

/// A reservation as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReservationResponse {
    /// Reservation UUID.
    pub reservation_id: String,
    /// PENDING, CONFIRMED, CANCELLED or EXPIRED.
    #[schema(example = "PENDING")]
    pub status: String,
    /// When a PENDING reservation stops holding its units.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Seconds left before it expires (0 once resolved or due).
    pub expires_in_seconds: i64,
    /// The product.
    pub product_id: String,
    /// The store where the customer collects.
    pub store_id: String,
    /// Who reserved.
    pub customer_id: String,
    /// Units held.
    pub quantity: u32,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// The cart it is a line of (confirmed or cancelled with its cart); absent for a
    /// reservation of its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cart_id: Option<String>,
}

impl ReservationResponse {
    pub(crate) fn new(reservation: Reservation, now: OffsetDateTime) -> Self {
        let expires_in_seconds =
            super::common::seconds_left(reservation.status(), reservation.expires_at(), now);
        Self {
            reservation_id: reservation.id().to_string(),
            status: reservation.status().to_string(),
            expires_at: reservation.expires_at(),
            expires_in_seconds,
            product_id: reservation.product_id().to_string(),
            store_id: reservation.store_id().to_string(),
            customer_id: reservation.customer_id().to_string(),
            quantity: reservation.quantity().get(),
            created_at: reservation.created_at(),
            updated_at: reservation.updated_at(),
            cart_id: reservation.cart_id().map(|id| id.to_string()),
        }
    }
}

/// The design document's reservation request.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReserveRequest {
    /// Product UUID.
    pub product_id: String,
    /// Store where the customer collects.
    #[schema(example = "BCN-001")]
    pub store_id: String,
    /// Units, at least 1.
    #[schema(example = 1)]
    #[serde(deserialize_with = "crate::request_parsing::whole_number::required")]
    pub quantity: i64,
    /// For whom; a customer's own `sub` when absent (required for staff).
    #[schema(example = "cust-456")]
    pub customer_id: Option<String>,
    /// Seconds to hold the units: 1 to 86 400, default 600.
    #[schema(example = 600)]
    #[serde(
        default,
        deserialize_with = "crate::request_parsing::whole_number::optional"
    )]
    pub ttl: Option<i64>,
}

/// Holds units for a customer until confirmed, cancelled or expired.
#[utoipa::path(
    tag = "reservations",
    request_body = ReserveRequest,
    responses(
        (status = 201, description = "Reserved", body = ReservationResponse),
        (status = 400, description = "Invalid request (quantity, ttl, ids)", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Reserving for someone else, or in another vendor's store", body = ErrorBody),
        (status = 404, description = "PRODUCT_NOT_FOUND or STORE_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INSUFFICIENT_STOCK (details: available, requested), STORE_INACTIVE, or HOLD_LIMIT_EXCEEDED (a customer holds as much as allowed)", body = ErrorBody),
        (status = 422, description = "TTL_TOO_LONG: longer than a customer may hold (details: allowed_ttl); CUSTOMER_REQUIRED: staff must name the customer", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/reservations")]
pub async fn reserve(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    body: web::Json<ReserveRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let result = place(&state, &caller, &request, &body).await;
    count_stock_operation(&state.metrics, "reserve", &body.store_id, &result);
    let outcome = match &result {
        Ok(_) => Some("created"),
        Err(error) if is_insufficient_stock(error) => Some("rejected"),
        Err(_) => None,
    };
    if let Some(outcome) = outcome {
        state
            .metrics
            .reservations
            .with_label_values(&[outcome])
            .inc();
    }
    result
}

async fn place(
    state: &AppState,
    caller: &Caller,
    request: &HttpRequest,
    body: &ReserveRequest,
) -> Result<HttpResponse, ApiError> {
    let customer = match (&body.customer_id, caller) {
        (Some(customer), _) => CustomerId::parse(customer)?,
        (None, Caller::Customer { id }) => id.clone(),
        (None, _) => return Err(ApiError::CustomerRequired),
    };
    let command = ReserveStock {
        product_id: product_id(&body.product_id)?,
        store_id: store_id(&body.store_id)?,
        customer_id: customer,
        quantity: Quantity::new(body.quantity)?,
        ttl: body
            .ttl
            .map(ReservationTtl::from_seconds)
            .transpose()?
            .unwrap_or_default(),
        // Customers reserving for themselves are limited; staff at the counter are not.
        limits: matches!(caller, Caller::Customer { .. }).then_some(state.hold_limits),
    };
    authorize(
        caller,
        Action::Reserve {
            customer: &command.customer_id,
            store: &command.store_id,
        },
    )?;
    let answer = reservation_answer(state, caller, request, body, StatusCode::CREATED)?;
    let context = answer.context();
    let reservations = state.use_cases.reservations.clone();
    let reservation = run(move || reservations.reserve(command, &context)).await?;
    Ok(answer.respond(&reservation, |response| {
        response.insert_header((
            "Location",
            format!("/api/v1/reservations/{}", reservation.id()),
        ));
    }))
}

/// A reservation as the answer to a write, stored with it when the request is keyed.
fn reservation_answer(
    state: &AppState,
    caller: &Caller,
    request: &HttpRequest,
    body: &impl Serialize,
    status: StatusCode,
) -> Result<KeyedAnswer<Reservation>, ApiError> {
    let clock = std::sync::Arc::clone(&state.clock);
    KeyedAnswer::new(request, caller, body, move |reservation: &Reservation| {
        (
            status,
            ReservationResponse::new(reservation.clone(), clock.now()),
        )
    })
}

/// One reservation.
#[utoipa::path(
    tag = "reservations",
    params(("reservation_id" = String, Path, description = "Reservation UUID")),
    responses(
        (status = 200, description = "The reservation", body = ReservationResponse),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Another customer's, or another store's", body = ErrorBody),
        (status = 404, description = "RESERVATION_NOT_FOUND", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/reservations/{reservation_id}")]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = reservation_id(&path)?;
    let reservations = state.use_cases.reservations.clone();
    let reservation = run(move || reservations.get(id)).await?;
    authorize(&caller, handling(&reservation))?;
    Ok(HttpResponse::Ok().json(ReservationResponse::new(reservation, state.clock.now())))
}

/// Turns a PENDING reservation into a sale: the units leave the store.
#[utoipa::path(
    tag = "reservations",
    params(("reservation_id" = String, Path, description = "Reservation UUID")),
    responses(
        (status = 200, description = "Confirmed", body = ReservationResponse),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Another customer's, or another store's", body = ErrorBody),
        (status = 404, description = "RESERVATION_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "RESERVATION_EXPIRED, RESERVATION_ALREADY_CONFIRMED, RESERVATION_ALREADY_CANCELLED, or RESERVATION_IN_CART (a cart's line: confirm or cancel the cart)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/reservations/{reservation_id}/confirm")]
pub async fn confirm(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    resolve(&state, &caller, &request, &path, Resolution::Confirm).await
}

/// Gives a PENDING reservation's units back.
#[utoipa::path(
    tag = "reservations",
    params(("reservation_id" = String, Path, description = "Reservation UUID")),
    responses(
        (status = 200, description = "Cancelled", body = ReservationResponse),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Another customer's, or another store's", body = ErrorBody),
        (status = 404, description = "RESERVATION_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "RESERVATION_EXPIRED, RESERVATION_ALREADY_CONFIRMED, RESERVATION_ALREADY_CANCELLED, or RESERVATION_IN_CART (a cart's line: confirm or cancel the cart)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/reservations/{reservation_id}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    resolve(&state, &caller, &request, &path, Resolution::Cancel).await
}

/// How much longer to hold a reservation's units.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ExtendRequest {
    /// Seconds from now: the reservation then expires at now + ttl, which must be later than
    /// it expires now. A customer's reservation may hold its units at most the customer
    /// maximum (15 minutes by default) from its creation; staff, a day.
    #[schema(example = 300)]
    #[serde(deserialize_with = "crate::request_parsing::whole_number::required")]
    pub ttl: i64,
}

/// Holds a PENDING reservation's units longer.
#[utoipa::path(
    tag = "reservations",
    params(("reservation_id" = String, Path, description = "Reservation UUID")),
    request_body = ExtendRequest,
    responses(
        (status = 200, description = "Extended: the new expires_at", body = ReservationResponse),
        (status = 400, description = "Invalid ttl or id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Another customer's, or another store's", body = ErrorBody),
        (status = 404, description = "RESERVATION_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "RESERVATION_EXPIRED, RESERVATION_ALREADY_CONFIRMED, RESERVATION_ALREADY_CANCELLED, RESERVATION_IN_CART, or RESERVATION_NOT_EXTENDED (it would not end later; details: expires_at)", body = ErrorBody),
        (status = 422, description = "TTL_TOO_LONG: the reservation would hold its units longer in all than allowed (details: allowed_ttl)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/reservations/{reservation_id}/extend")]
pub async fn extend(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    path: web::Path<String>,
    body: web::Json<ExtendRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = reservation_id(&path)?;
    let ttl = ReservationTtl::from_seconds(body.ttl)?;
    let reservations = state.use_cases.reservations.clone();
    let current = run({
        let reservations = reservations.clone();
        move || reservations.get(id)
    })
    .await?;
    authorize(&caller, handling(&current))?;
    // Customers are held to their maximum hold; staff at the counter to the day.
    let max_hold = matches!(caller, Caller::Customer { .. }).then_some(state.hold_limits.max_ttl);
    let answer = reservation_answer(&state, &caller, &request, &*body, StatusCode::OK)?;
    let context = answer.context();
    let extended = run(move || reservations.extend(id, ttl, max_hold, &context)).await?;
    Ok(answer.respond(&extended, |_| {}))
}

/// Seeing, confirming or cancelling `reservation`.
fn handling(reservation: &Reservation) -> Action<'_> {
    Action::HandleReservation {
        customer: reservation.customer_id(),
        store: reservation.store_id(),
    }
}

#[derive(Clone, Copy)]
enum Resolution {
    Confirm,
    Cancel,
}

async fn resolve(
    state: &AppState,
    caller: &Caller,
    request: &HttpRequest,
    path: &str,
    resolution: Resolution,
) -> Result<HttpResponse, ApiError> {
    let id = reservation_id(path)?;
    let reservations = state.use_cases.reservations.clone();
    // Store and customer never change, so checking them before resolving is not a race.
    let current = run({
        let reservations = reservations.clone();
        move || reservations.get(id)
    })
    .await?;
    authorize(caller, handling(&current))?;
    let answer = reservation_answer(state, caller, request, &(), StatusCode::OK)?;
    let context = answer.context();
    let (operation, outcome) = match resolution {
        Resolution::Confirm => ("confirm", "confirmed"),
        Resolution::Cancel => ("cancel", "cancelled"),
    };
    let result = run(move || match resolution {
        Resolution::Confirm => reservations.confirm(id, &context),
        Resolution::Cancel => reservations.cancel(id, &context),
    })
    .await;
    count_stock_operation(
        &state.metrics,
        operation,
        current.store_id().as_str(),
        &result,
    );
    let reservation = result?;
    state
        .metrics
        .reservations
        .with_label_values(&[outcome])
        .inc();
    Ok(answer.respond(&reservation, |_| {}))
}

/// Filters of the reservation list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReservationListQuery {
    /// Only this store's (a vendor sees only its own store's).
    pub store_id: Option<String>,
    /// Only this customer's (a customer sees only its own).
    pub customer_id: Option<String>,
    /// Only this status.
    pub status: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// Items to skip (default 0).
    pub offset: Option<i64>,
}

/// Lists reservations, newest first. A customer's list is always its own; a vendor's always
/// its store's.
#[utoipa::path(
    tag = "reservations",
    params(ReservationListQuery),
    responses(
        (status = 200, description = "A page of reservations", body = PageOf<ReservationResponse>),
        (status = 400, description = "Invalid filter", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Asking for someone else's reservations", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/reservations")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ReservationListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = PageQuery {
        limit: query.limit,
        offset: query.offset,
    }
    .page()?;
    let filter = scope_reservations(
        &caller,
        ReservationFilter {
            store_id: query.store_id.as_deref().map(store_id).transpose()?,
            customer_id: query
                .customer_id
                .as_deref()
                .map(CustomerId::parse)
                .transpose()?,
            status: query.status.as_deref().map(str::parse).transpose()?,
        },
    )?;
    let reservations = state.use_cases.reservations.clone();
    let paged = run(move || reservations.list(filter, page)).await?;
    let now = state.clock.now();
    Ok(HttpResponse::Ok().json(PageOf::from_paged(paged, |r| {
        ReservationResponse::new(r, now)
    })))
}
