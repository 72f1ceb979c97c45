//! Low-stock thresholds and what is below them: `GET /api/v1/stock/low`, and the threshold
//! of a pair (`/stock/{product_id}/{store_id}/threshold`, its store's staff) or of a product
//! in every store (`/products/{product_id}/threshold`, admins).

use actix_web::{HttpRequest, HttpResponse, delete, get, put, web};
use inventory_domain::ThresholdScope;
use inventory_ports::{LowStockEntry, Page};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::common::{PageOf, product_id, request_context, run, staff_store_scope, store_id};
use super::stock::StockResponse;
use crate::access::{Action, authorize};
use crate::state::AppState;
use crate::{ApiError, Caller, ErrorBody};

/// A pair at or below its threshold.
#[derive(Debug, Serialize, ToSchema)]
pub struct LowStockResponse {
    /// The pair's stock.
    pub stock: StockResponse,
    /// Its threshold: it is low at or below it.
    pub threshold: u32,
}

impl From<LowStockEntry> for LowStockResponse {
    fn from(entry: LowStockEntry) -> Self {
        Self {
            stock: StockResponse::from(entry.stock),
            threshold: entry.threshold,
        }
    }
}

/// A threshold to set.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThresholdRequest {
    /// Available units at or below which the pair is low (0 to 1,000,000,000).
    #[schema(value_type = u32, minimum = 0, maximum = 1_000_000_000, example = 5)]
    #[serde(deserialize_with = "crate::request_parsing::whole_number::required")]
    pub threshold: i64,
}

/// A threshold as set.
#[derive(Debug, Serialize, ToSchema)]
pub struct ThresholdResponse {
    /// The product.
    pub product_id: String,
    /// The store, or null for the product's default in every store without its own.
    pub store_id: Option<String>,
    /// The threshold.
    pub threshold: u32,
}

/// Which low pairs to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LowStockQuery {
    /// Only this store's (vendors: their own, the default).
    pub store_id: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// Items to skip (default 0).
    pub offset: Option<i64>,
}

/// What is running out: the pairs at or below their low-stock threshold, by store.
#[utoipa::path(
    tag = "stock",
    params(LowStockQuery),
    responses(
        (status = 200, description = "A page of low pairs", body = PageOf<LowStockResponse>),
        (status = 400, description = "Invalid store or page", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "A customer, or a vendor asking for another store", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/stock/low")]
pub async fn list_low(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<LowStockQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Page::new(query.limit, query.offset)?;
    let store = staff_store_scope(&caller, query.store_id.as_deref())?;
    let low_stock = state.use_cases.low_stock.clone();
    let paged = run(move || low_stock.list(store, page)).await?;
    Ok(HttpResponse::Ok().json(PageOf::from_paged(paged, LowStockResponse::from)))
}

/// The threshold asked for, in range (the use case checks the upper bound too).
fn threshold(body: &ThresholdRequest) -> Result<u32, ApiError> {
    u32::try_from(body.threshold).map_err(|_| {
        inventory_domain::ValidationError::new("threshold", "must be between 0 and 1000000000")
            .into()
    })
}

async fn set(
    state: &AppState,
    request: &HttpRequest,
    scope: ThresholdScope,
    threshold: Option<u32>,
) -> Result<HttpResponse, ApiError> {
    let context = request_context(request);
    let low_stock = state.use_cases.low_stock.clone();
    let answer = ThresholdResponse {
        product_id: scope.product_id().to_string(),
        store_id: scope.store_id().map(ToString::to_string),
        threshold: threshold.unwrap_or_default(),
    };
    run(move || low_stock.set_threshold(scope, threshold, &context)).await?;
    Ok(match threshold {
        Some(_) => HttpResponse::Ok().json(answer),
        None => HttpResponse::NoContent().finish(),
    })
}

/// Sets a pair's low-stock threshold (its store's staff). Crossing it downwards emits
/// `stock.low` once, going back above it `stock.replenished` once; a new threshold that
/// makes the pair low (or not) emits the alert at once.
#[utoipa::path(
    tag = "stock",
    params(
        ("product_id" = String, Path, description = "Product UUID"),
        ("store_id" = String, Path, description = "Store code"),
    ),
    request_body = ThresholdRequest,
    responses(
        (status = 200, description = "Set", body = ThresholdResponse),
        (status = 400, description = "Invalid ids or body", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not staff of this store", body = ErrorBody),
        (status = 404, description = "PRODUCT_NOT_FOUND or STORE_NOT_FOUND", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[put("/stock/{product_id}/{store_id}/threshold")]
pub async fn set_pair(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Json<ThresholdRequest>,
) -> Result<HttpResponse, ApiError> {
    let product = product_id(&path.0)?;
    let store = store_id(&path.1)?;
    authorize(&caller, Action::ChangeStock { store: &store })?;
    let scope = ThresholdScope::Pair(product, store);
    set(&state, &request, scope, Some(threshold(&body)?)).await
}

/// Removes a pair's own threshold (its product's default, if any, applies again).
#[utoipa::path(
    tag = "stock",
    params(
        ("product_id" = String, Path, description = "Product UUID"),
        ("store_id" = String, Path, description = "Store code"),
    ),
    responses(
        (status = 204, description = "Removed (or there was none)"),
        (status = 400, description = "Invalid ids", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not staff of this store", body = ErrorBody),
        (status = 404, description = "PRODUCT_NOT_FOUND or STORE_NOT_FOUND", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[delete("/stock/{product_id}/{store_id}/threshold")]
pub async fn remove_pair(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let product = product_id(&path.0)?;
    let store = store_id(&path.1)?;
    authorize(&caller, Action::ChangeStock { store: &store })?;
    set(&state, &request, ThresholdScope::Pair(product, store), None).await
}

/// Sets a product's default low-stock threshold, for every store without its own (admin).
#[utoipa::path(
    tag = "products",
    params(("product_id" = String, Path, description = "Product UUID")),
    request_body = ThresholdRequest,
    responses(
        (status = 200, description = "Set", body = ThresholdResponse),
        (status = 400, description = "Invalid id or body", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "PRODUCT_NOT_FOUND", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[put("/products/{product_id}/threshold")]
pub async fn set_default(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    path: web::Path<String>,
    body: web::Json<ThresholdRequest>,
) -> Result<HttpResponse, ApiError> {
    let product = product_id(&path)?;
    authorize(&caller, Action::ManageCatalogue)?;
    let scope = ThresholdScope::ProductDefault(product);
    set(&state, &request, scope, Some(threshold(&body)?)).await
}

/// Removes a product's default threshold (admin).
#[utoipa::path(
    tag = "products",
    params(("product_id" = String, Path, description = "Product UUID")),
    responses(
        (status = 204, description = "Removed (or there was none)"),
        (status = 400, description = "Invalid id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "PRODUCT_NOT_FOUND", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[delete("/products/{product_id}/threshold")]
pub async fn remove_default(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let product = product_id(&path)?;
    authorize(&caller, Action::ManageCatalogue)?;
    let scope = ThresholdScope::ProductDefault(product);
    set(&state, &request, scope, None).await
}
