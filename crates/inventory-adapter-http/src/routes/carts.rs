//! `/api/v1/carts`: an order's lines reserved all or nothing, confirmed (wholly or in part),
//! cancelled or expired as a whole. Customers act on their own carts; vendors on carts whose
//! every line is in their store; admins on all.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use inventory_application::PlaceCart;
use inventory_domain::{
    Cart, CartId, CartLine, CustomerId, Quantity, ReservationId, ReservationTtl,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::common::{count_stock_operation, product_id, run, seconds_left, store_id};
use super::reservations::ReservationResponse;
use crate::access::{Action, authorize};
use crate::idempotency::KeyedAnswer;
use crate::state::AppState;
use crate::{ApiError, Caller, ErrorBody};

/// A cart as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CartResponse {
    /// Cart UUID.
    pub cart_id: String,
    /// PENDING, CONFIRMED, CANCELLED or EXPIRED.
    #[schema(example = "PENDING")]
    pub status: String,
    /// When a PENDING cart stops holding its units.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Seconds left before it expires (0 once resolved or due).
    pub expires_in_seconds: i64,
    /// Who reserved.
    pub customer_id: String,
    /// Its lines: one reservation per product and store, in (product, store) order. A
    /// confirmed cart's chosen lines are CONFIRMED and the others CANCELLED.
    pub lines: Vec<ReservationResponse>,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl CartResponse {
    fn new(cart: &Cart, now: OffsetDateTime) -> Self {
        let expires_in_seconds = seconds_left(cart.status(), cart.expires_at(), now);
        Self {
            cart_id: cart.id().to_string(),
            status: cart.status().to_string(),
            expires_at: cart.expires_at(),
            expires_in_seconds,
            customer_id: cart.customer_id().to_string(),
            lines: cart
                .lines()
                .iter()
                .map(|line| ReservationResponse::new(line.clone(), now))
                .collect(),
            created_at: cart.created_at(),
            updated_at: cart.updated_at(),
        }
    }
}

/// One line of a cart to place.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CartLineRequest {
    /// Product UUID.
    pub product_id: String,
    /// Store where the customer collects this line.
    #[schema(example = "MAD-001")]
    pub store_id: String,
    /// Units, at least 1.
    #[schema(example = 2)]
    #[serde(deserialize_with = "crate::request_parsing::whole_number::required")]
    pub quantity: i64,
}

/// A cart to place: every line is reserved, or none.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PlaceCartRequest {
    /// 1 to 50 lines; lines of one product and store are merged.
    pub lines: Vec<CartLineRequest>,
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

/// The lines of a cart to confirm; the others are released.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConfirmLinesRequest {
    /// Reservation UUIDs of the lines to sell (at least one).
    pub line_ids: Vec<String>,
}

/// Reserves every line of an order in one transaction, or none.
#[utoipa::path(
    tag = "carts",
    request_body = PlaceCartRequest,
    responses(
        (status = 201, description = "Every line reserved", body = CartResponse),
        (status = 400, description = "Invalid request (no lines, too many, quantity, ttl, ids)", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Reserving for someone else, or in another vendor's store", body = ErrorBody),
        (status = 404, description = "PRODUCT_NOT_FOUND or STORE_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INSUFFICIENT_STOCK (details.lines: every line that cannot be served, with requested and available; nothing was reserved), STORE_INACTIVE, or HOLD_LIMIT_EXCEEDED", body = ErrorBody),
        (status = 422, description = "TTL_TOO_LONG; CUSTOMER_REQUIRED: staff must name the customer", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/carts")]
pub async fn place(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    body: web::Json<PlaceCartRequest>,
) -> Result<HttpResponse, ApiError> {
    let customer = match (&body.customer_id, &caller) {
        (Some(customer), _) => CustomerId::parse(customer)?,
        (None, Caller::Customer { id }) => id.clone(),
        (None, _) => return Err(ApiError::CustomerRequired),
    };
    let lines = body
        .lines
        .iter()
        .map(|line| {
            Ok(CartLine {
                product_id: product_id(&line.product_id)?,
                store_id: store_id(&line.store_id)?,
                quantity: Quantity::new(line.quantity)?,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    for line in &lines {
        authorize(
            &caller,
            Action::Reserve {
                customer: &customer,
                store: &line.store_id,
            },
        )?;
    }
    let command = PlaceCart {
        customer_id: customer,
        lines,
        ttl: body
            .ttl
            .map(ReservationTtl::from_seconds)
            .transpose()?
            .unwrap_or_default(),
        limits: matches!(caller, Caller::Customer { .. }).then_some(state.hold_limits),
    };
    let answer = cart_answer(&state, &caller, &request, &*body, StatusCode::CREATED)?;
    let context = answer.context();
    let carts = state.use_cases.carts.clone();
    let result = run(move || carts.place(command, &context)).await;
    let store = body.lines.first().map_or("", |line| line.store_id.as_str());
    count_stock_operation(&state.metrics, "cart", store, &result);
    let cart = result?;
    Ok(answer.respond(&cart, |response| {
        response.insert_header(("Location", format!("/api/v1/carts/{}", cart.id())));
    }))
}

/// One cart, with its lines.
#[utoipa::path(
    tag = "carts",
    params(("cart_id" = String, Path, description = "Cart UUID")),
    responses(
        (status = 200, description = "The cart", body = CartResponse),
        (status = 400, description = "Not a UUID", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Another customer's, or a cart with lines in another store", body = ErrorBody),
        (status = 404, description = "CART_NOT_FOUND", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/carts/{cart_id}")]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let cart = readable_cart(&state, &caller, &path).await?;
    Ok(HttpResponse::Ok().json(CartResponse::new(&cart, state.clock.now())))
}

/// Sells every line of a PENDING cart.
#[utoipa::path(
    tag = "carts",
    params(("cart_id" = String, Path, description = "Cart UUID")),
    responses(
        (status = 200, description = "Confirmed", body = CartResponse),
        (status = 400, description = "Not a UUID", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Another customer's, or a cart with lines in another store", body = ErrorBody),
        (status = 404, description = "CART_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "CART_EXPIRED, CART_ALREADY_CONFIRMED or CART_ALREADY_CANCELLED", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/carts/{cart_id}/confirm")]
pub async fn confirm(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    resolve(&state, &caller, &request, &path, None, &()).await
}

/// Sells the chosen lines of a PENDING cart and releases the others, in one transaction.
#[utoipa::path(
    tag = "carts",
    params(("cart_id" = String, Path, description = "Cart UUID")),
    request_body = ConfirmLinesRequest,
    responses(
        (status = 200, description = "Confirmed: the chosen lines CONFIRMED, the others CANCELLED", body = CartResponse),
        (status = 400, description = "Not a UUID, or no line chosen", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Another customer's, or a cart with lines in another store", body = ErrorBody),
        (status = 404, description = "CART_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "CART_EXPIRED, CART_ALREADY_CONFIRMED or CART_ALREADY_CANCELLED", body = ErrorBody),
        (status = 422, description = "NOT_A_CART_LINE: a chosen id is not a line of this cart (details.line_id)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/carts/{cart_id}/confirm-lines")]
pub async fn confirm_lines(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    path: web::Path<String>,
    body: web::Json<ConfirmLinesRequest>,
) -> Result<HttpResponse, ApiError> {
    let chosen = body
        .line_ids
        .iter()
        .map(|id| ReservationId::parse(id).map_err(ApiError::from))
        .collect::<Result<Vec<_>, _>>()?;
    resolve(&state, &caller, &request, &path, Some(chosen), &*body).await
}

/// Releases every line of a PENDING cart.
#[utoipa::path(
    tag = "carts",
    params(("cart_id" = String, Path, description = "Cart UUID")),
    responses(
        (status = 200, description = "Cancelled", body = CartResponse),
        (status = 400, description = "Not a UUID", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Another customer's, or a cart with lines in another store", body = ErrorBody),
        (status = 404, description = "CART_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "CART_EXPIRED, CART_ALREADY_CONFIRMED or CART_ALREADY_CANCELLED", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/carts/{cart_id}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let cart = readable_cart(&state, &caller, &path).await?;
    let answer = cart_answer(&state, &caller, &request, &(), StatusCode::OK)?;
    let context = answer.context();
    let carts = state.use_cases.carts.clone();
    let id = cart.id();
    let cancelled = run(move || carts.cancel(id, &context)).await?;
    Ok(answer.respond(&cancelled, |_| {}))
}

async fn resolve(
    state: &AppState,
    caller: &Caller,
    request: &HttpRequest,
    path: &str,
    chosen: Option<Vec<ReservationId>>,
    body: &impl Serialize,
) -> Result<HttpResponse, ApiError> {
    let cart = readable_cart(state, caller, path).await?;
    let answer = cart_answer(state, caller, request, body, StatusCode::OK)?;
    let context = answer.context();
    let carts = state.use_cases.carts.clone();
    let id = cart.id();
    let confirmed = run(move || carts.confirm(id, chosen, &context)).await?;
    Ok(answer.respond(&confirmed, |_| {}))
}

/// The cart at `path`, if `caller` may handle it: its customer, a vendor of the store of
/// every line, or an admin. Customer and lines never change, so checking before resolving is
/// not a race.
async fn readable_cart(state: &AppState, caller: &Caller, path: &str) -> Result<Cart, ApiError> {
    let id = CartId::parse(path)?;
    let carts = state.use_cases.carts.clone();
    let cart = run(move || carts.get(id)).await?;
    for line in cart.lines() {
        authorize(
            caller,
            Action::HandleReservation {
                customer: cart.customer_id(),
                store: line.store_id(),
            },
        )?;
    }
    Ok(cart)
}

/// A cart as the answer to a write, stored with it when the request is keyed.
fn cart_answer(
    state: &AppState,
    caller: &Caller,
    request: &HttpRequest,
    body: &impl Serialize,
    status: StatusCode,
) -> Result<KeyedAnswer<Cart>, ApiError> {
    let clock = std::sync::Arc::clone(&state.clock);
    KeyedAnswer::new(request, caller, body, move |cart: &Cart| {
        (status, CartResponse::new(cart, clock.now()))
    })
}
