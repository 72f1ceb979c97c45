//! `/api/v1/stock`: stock levels. Vendors change their own store's, admins any; store staff
//! read them (customers read availability instead).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use inventory_application::{AdjustStock, CountStock, StockChanged};
use inventory_domain::{AdjustmentReason, Stock, StockCount, StockDelta, UserId, ValidationError};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::common::{
    PageOf, PageQuery, count_stock_operation, product_id, request_context, run, store_id,
};
use crate::access::{Action, authorize};
use crate::idempotency::KeyedAnswer;
use crate::state::AppState;
use crate::{ApiError, Caller, ErrorBody};

/// A stock level.
#[derive(Debug, Serialize, ToSchema)]
pub struct StockResponse {
    /// The product.
    pub product_id: String,
    /// The store.
    pub store_id: String,
    /// Units in the store.
    pub quantity: u32,
    /// Units held by pending reservations.
    pub reserved: u32,
    /// `quantity - reserved`.
    pub available: u32,
    /// Goes up with every change; send it back as `expected_version` (or `If-Match`) with a
    /// physical count.
    pub version: u64,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<Stock> for StockResponse {
    fn from(stock: Stock) -> Self {
        Self {
            product_id: stock.product_id().to_string(),
            store_id: stock.store_id().to_string(),
            quantity: stock.quantity(),
            reserved: stock.reserved(),
            available: stock.available(),
            version: stock.version(),
            updated_at: stock.updated_at(),
        }
    }
}

fn stock_response(status: actix_web::http::StatusCode, stock: Stock) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::ETAG, format!("\"{}\"", stock.version())))
        .json(StockResponse::from(stock))
}

/// 201 when the change created the pair's stock record, 200 otherwise.
fn changed_response(changed: StockChanged) -> HttpResponse {
    stock_response(changed_status(&changed), changed.stock)
}

fn changed_status(changed: &StockChanged) -> actix_web::http::StatusCode {
    if changed.created {
        actix_web::http::StatusCode::CREATED
    } else {
        actix_web::http::StatusCode::OK
    }
}

/// The design document's stock change: a delta with a reason.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AdjustStockRequest {
    /// Product UUID.
    pub product_id: String,
    /// Store code.
    #[schema(example = "MAD-001")]
    pub store_id: String,
    /// Units added (positive) or removed (negative); never 0.
    #[schema(example = 20)]
    #[serde(deserialize_with = "crate::request_parsing::whole_number::required")]
    pub quantity_change: i64,
    /// RESTOCK, RETURN, TRANSFER_IN (add); SALE, DAMAGE, LOSS, TRANSFER_OUT (remove);
    /// ADJUSTMENT (either way).
    #[schema(example = "RESTOCK")]
    pub reason: String,
    /// Admins only: the user the change is recorded on behalf of (kept apart from who made
    /// it, which is always the token's `sub`).
    #[schema(example = "clerk-17")]
    pub user_id: Option<String>,
}

/// Moves a stock level by a delta. Creates the stock record on the first change of a pair.
#[utoipa::path(
    tag = "stock",
    request_body = AdjustStockRequest,
    responses(
        (status = 200, description = "Updated", body = StockResponse),
        (status = 201, description = "Created the pair's stock record", body = StockResponse),
        (status = 400, description = "Invalid change", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not staff of this store", body = ErrorBody),
        (status = 404, description = "PRODUCT_NOT_FOUND or STORE_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "STOCK_BELOW_RESERVED or STOCK_LIMIT_EXCEEDED", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/stock")]
pub async fn adjust(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    body: web::Json<AdjustStockRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let result = adjust_stock(&state, &caller, &request, &body).await;
    count_stock_operation(&state.metrics, "adjust", &body.store_id, &result);
    result
}

async fn adjust_stock(
    state: &AppState,
    caller: &Caller,
    request: &HttpRequest,
    body: &AdjustStockRequest,
) -> Result<HttpResponse, ApiError> {
    let command = AdjustStock {
        product_id: product_id(&body.product_id)?,
        store_id: store_id(&body.store_id)?,
        delta: StockDelta::new(body.quantity_change)?,
        reason: body.reason.parse::<AdjustmentReason>()?,
        user_id: Some(UserId::parse(caller.subject())?),
        on_behalf_of: on_behalf_of(caller, body.user_id.as_deref())?,
    };
    authorize(
        caller,
        Action::ChangeStock {
            store: &command.store_id,
        },
    )?;
    let answer = KeyedAnswer::new(request, caller, body, |changed: &StockChanged| {
        (
            changed_status(changed),
            StockResponse::from(changed.stock.clone()),
        )
    })?;
    let context = answer.context();
    let stock = state.use_cases.stock.clone();
    let changed = run(move || stock.adjust(command, &context)).await?;
    Ok(answer.respond(&changed, |response| {
        response.insert_header((header::ETAG, format!("\"{}\"", changed.stock.version())));
    }))
}

/// A physical count.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CountStockRequest {
    /// Units counted.
    #[serde(deserialize_with = "crate::request_parsing::whole_number::required")]
    pub quantity: i64,
    /// The version the count was made against (from a GET); 0 when the pair has no stock
    /// record yet. May be given as an `If-Match` header instead.
    #[serde(
        default,
        deserialize_with = "crate::request_parsing::whole_number::optional_unsigned"
    )]
    pub expected_version: Option<u64>,
    /// Admins only: the user the count is recorded on behalf of (kept apart from who counted,
    /// which is always the token's `sub`).
    pub user_id: Option<String>,
}

/// Sets a stock level to a physical count: a compare-and-set on `expected_version`.
#[utoipa::path(
    tag = "stock",
    params(
        ("product_id" = String, Path, description = "Product UUID"),
        ("store_id" = String, Path, description = "Store code"),
        ("If-Match" = Option<String>, Header, description = "The expected version, as an alternative to `expected_version`"),
    ),
    request_body = CountStockRequest,
    responses(
        (status = 200, description = "Counted", body = StockResponse),
        (status = 201, description = "Counted, creating the stock record", body = StockResponse),
        (status = 400, description = "Invalid count", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not staff of this store", body = ErrorBody),
        (status = 404, description = "PRODUCT_NOT_FOUND or STORE_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "VERSION_CONFLICT (with current_version) or STOCK_BELOW_RESERVED", body = ErrorBody),
        (status = 428, description = "No expected version given", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[put("/stock/{product_id}/{store_id}")]
pub async fn count(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Json<CountStockRequest>,
) -> Result<HttpResponse, ApiError> {
    let (product, store) = path.into_inner();
    let result = count_stock(
        &state,
        &caller,
        &request,
        (&product, &store),
        body.into_inner(),
    )
    .await;
    count_stock_operation(&state.metrics, "count", &store, &result);
    result
}

async fn count_stock(
    state: &AppState,
    caller: &Caller,
    request: &HttpRequest,
    (product, store): (&str, &str),
    body: CountStockRequest,
) -> Result<HttpResponse, ApiError> {
    let expected_version = match (body.expected_version, if_match_version(request)?) {
        (Some(body), Some(header)) if body != header => {
            return Err(ValidationError::new(
                "expected_version",
                "differs from the If-Match header",
            )
            .into());
        }
        (Some(version), _) | (None, Some(version)) => version,
        (None, None) => {
            return Err(ApiError::PreconditionRequired(
                "a count needs the version it was made against: send expected_version or If-Match"
                    .into(),
            ));
        }
    };
    let command = CountStock {
        product_id: product_id(product)?,
        store_id: store_id(store)?,
        quantity: StockCount::new(body.quantity)?,
        expected_version,
        user_id: Some(UserId::parse(caller.subject())?),
        on_behalf_of: on_behalf_of(caller, body.user_id.as_deref())?,
    };
    authorize(
        caller,
        Action::ChangeStock {
            store: &command.store_id,
        },
    )?;
    let context = request_context(request);
    let stock = state.use_cases.stock.clone();
    let changed = run(move || stock.count(command, &context)).await?;
    Ok(changed_response(changed))
}

/// `If-Match: "3"` (or `3`, or `W/"3"`) as a version.
fn if_match_version(request: &HttpRequest) -> Result<Option<u64>, ApiError> {
    let Some(value) = request.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|v| v.parse().ok())
        .map(Some)
        .ok_or_else(|| {
            ValidationError::new("If-Match", "must be a stock version such as \"3\"").into()
        })
}

/// One stock level (store staff).
#[utoipa::path(
    tag = "stock",
    params(
        ("product_id" = String, Path, description = "Product UUID"),
        ("store_id" = String, Path, description = "Store code"),
    ),
    responses(
        (status = 200, description = "The stock level (ETag: its version)", body = StockResponse),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not store staff", body = ErrorBody),
        (status = 404, description = "PRODUCT_NOT_FOUND, STORE_NOT_FOUND or STOCK_NOT_FOUND", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/stock/{product_id}/{store_id}")]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let product = product_id(&path.0)?;
    let store = store_id(&path.1)?;
    authorize(&caller, Action::ReadStock { store: &store })?;
    let stock = state.use_cases.stock.clone();
    let level = run(move || stock.get(product, &store)).await?;
    Ok(stock_response(actix_web::http::StatusCode::OK, level))
}

/// A store's stock levels, by product (store staff).
#[utoipa::path(
    tag = "stock",
    params(("store_id" = String, Path, description = "Store code"), PageQuery),
    responses(
        (status = 200, description = "A page of stock levels", body = PageOf<StockResponse>),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not store staff", body = ErrorBody),
        (status = 404, description = "STORE_NOT_FOUND", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/stores/{store_id}/stock")]
pub async fn list_by_store(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let store = store_id(&path)?;
    authorize(&caller, Action::ReadStock { store: &store })?;
    let page = query.page()?;
    let stock = state.use_cases.stock.clone();
    let paged = run(move || stock.list_by_store(&store, page)).await?;
    Ok(HttpResponse::Ok().json(PageOf::from_paged(paged, StockResponse::from)))
}

/// The body's `user_id`: whom an admin records a change for. Anyone else naming a user other
/// than themselves is refused; naming themselves changes nothing.
fn on_behalf_of(caller: &Caller, named: Option<&str>) -> Result<Option<UserId>, ApiError> {
    let Some(named) = named.filter(|named| *named != caller.subject()) else {
        return Ok(None);
    };
    authorize(caller, Action::ActOnBehalfOf)?;
    Ok(Some(UserId::parse(named)?))
}
