//! `/api/v1/products`: the catalogue (reads public, writes admin) and availability.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use inventory_application::ProductAvailability;
use inventory_domain::{
    Category, Description, Price, Product, ProductDetails, ProductName, Sku, ValidationError,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::common::{PageOf, PageQuery, product_id, request_context, run, store_id};
use crate::access::{Action, authorize};
use crate::idempotency::KeyedAnswer;
use crate::state::AppState;
use crate::{ApiError, Caller, ErrorBody};

/// A product as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductResponse {
    /// UUID.
    pub id: String,
    /// Stock keeping unit, upper-case.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Exact price in euro, as a decimal string.
    #[schema(example = "899.99")]
    pub price: String,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<Product> for ProductResponse {
    fn from(product: Product) -> Self {
        let details = product.details;
        Self {
            id: product.id.to_string(),
            sku: details.sku.to_string(),
            name: details.name.to_string(),
            description: details.description.map(String::from),
            category: details.category.map(String::from),
            price: details.price.to_string(),
            created_at: product.created_at,
            updated_at: product.updated_at,
        }
    }
}

/// A product to create, or the full new state of one to update.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProductRequest {
    /// Unique SKU: letters, digits, `-`, `_`, `.`; stored upper-case.
    #[schema(example = "HP-PAV-15")]
    pub sku: String,
    /// 1 to 200 characters.
    #[schema(example = "Laptop HP Pavilion 15")]
    pub name: String,
    /// Up to 2 000 characters.
    pub description: Option<String>,
    /// Up to 100 characters.
    pub category: Option<String>,
    /// Euro with at most two decimals, as a string (`"899.99"`) or a JSON number.
    #[schema(value_type = String, example = "899.99")]
    pub price: Value,
}

impl ProductRequest {
    fn try_into_domain(self) -> Result<ProductDetails, ValidationError> {
        let price = match &self.price {
            Value::String(text) => Price::parse(text)?,
            // The shortest text that reads back as the same double is the literal the client
            // wrote, so no binary rounding reaches the price.
            Value::Number(number) => Price::parse(&number.to_string())?,
            _ => {
                return Err(ValidationError::new(
                    "price",
                    "must be a decimal string or a number",
                ));
            }
        };
        Ok(ProductDetails {
            sku: Sku::parse(&self.sku)?,
            name: ProductName::parse(&self.name)?,
            description: Description::parse_optional(self.description.as_deref())?,
            category: Category::parse_optional(self.category.as_deref())?,
            price,
        })
    }
}

/// Filters of the product list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductListQuery {
    /// Only products of this category (exact match).
    pub category: Option<String>,
    /// Only products whose name contains this text or whose SKU starts with it, compared
    /// without case or accents ("camion" finds "Camión"); at most 100 characters.
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// Items to skip (default 0).
    pub offset: Option<i64>,
}

/// Lists products by SKU, optionally of one category or matching a search (`q`).
#[utoipa::path(
    tag = "products",
    params(ProductListQuery),
    responses(
        (status = 200, description = "A page of products", body = PageOf<ProductResponse>),
        (status = 400, description = "Invalid limit, offset or category", body = ErrorBody),
    )
)]
#[get("/products")]
pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<ProductListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = PageQuery {
        limit: query.limit,
        offset: query.offset,
    }
    .page()?;
    let category = Category::parse_optional(query.category.as_deref())?;
    let products = state.use_cases.products.clone();
    let q = query.q.clone();
    let paged = run(move || products.list(category, q.as_deref(), page)).await?;
    Ok(HttpResponse::Ok().json(PageOf::from_paged(paged, ProductResponse::from)))
}

/// Creates a product (admin).
#[utoipa::path(
    tag = "products",
    request_body = ProductRequest,
    responses(
        (status = 201, description = "Created", body = ProductResponse),
        (status = 400, description = "Invalid product", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 409, description = "DUPLICATE_SKU", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/products")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    body: web::Json<ProductRequest>,
) -> Result<HttpResponse, ApiError> {
    authorize(&caller, Action::ManageCatalogue)?;
    let answer = KeyedAnswer::new(&request, &caller, &*body, |product: &Product| {
        (StatusCode::CREATED, ProductResponse::from(product.clone()))
    })?;
    let details = body.into_inner().try_into_domain()?;
    let context = answer.context();
    let products = state.use_cases.products.clone();
    let product = run(move || products.create(details, &context)).await?;
    Ok(answer.respond(&product, |response| {
        response.insert_header(("Location", format!("/api/v1/products/{}", product.id)));
    }))
}

/// Finds a product by SKU.
#[utoipa::path(
    tag = "products",
    params(("sku" = String, Path, description = "The SKU (case-insensitive)")),
    responses(
        (status = 200, description = "The product", body = ProductResponse),
        (status = 400, description = "Not a valid SKU", body = ErrorBody),
        (status = 404, description = "PRODUCT_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/products/sku/{sku}")]
pub async fn get_by_sku(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let sku = Sku::parse(&path)?;
    let products = state.use_cases.products.clone();
    let product = run(move || products.get_by_sku(&sku)).await?;
    Ok(HttpResponse::Ok().json(ProductResponse::from(product)))
}

/// Finds a product by id.
#[utoipa::path(
    tag = "products",
    params(("product_id" = String, Path, description = "Product UUID")),
    responses(
        (status = 200, description = "The product", body = ProductResponse),
        (status = 400, description = "Not a UUID", body = ErrorBody),
        (status = 404, description = "PRODUCT_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/products/{product_id}")]
pub async fn get(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = product_id(&path)?;
    let products = state.use_cases.products.clone();
    let product = run(move || products.get(id)).await?;
    Ok(HttpResponse::Ok().json(ProductResponse::from(product)))
}

/// Replaces a product's SKU, name, description, category and price (admin).
#[utoipa::path(
    tag = "products",
    params(("product_id" = String, Path, description = "Product UUID")),
    request_body = ProductRequest,
    responses(
        (status = 200, description = "Updated", body = ProductResponse),
        (status = 400, description = "Invalid product", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "PRODUCT_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "DUPLICATE_SKU", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[put("/products/{product_id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    path: web::Path<String>,
    body: web::Json<ProductRequest>,
) -> Result<HttpResponse, ApiError> {
    authorize(&caller, Action::ManageCatalogue)?;
    let id = product_id(&path)?;
    let details = body.into_inner().try_into_domain()?;
    let context = request_context(&request);
    let products = state.use_cases.products.clone();
    let product = run(move || products.update(id, details, &context)).await?;
    Ok(HttpResponse::Ok().json(ProductResponse::from(product)))
}

/// Deletes a product with its stock records (admin); refused while units are reserved.
#[utoipa::path(
    tag = "products",
    params(("product_id" = String, Path, description = "Product UUID")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "PRODUCT_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "PRODUCT_HAS_RESERVATIONS, or PRODUCT_IN_TRANSIT (units on their way between stores)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[delete("/products/{product_id}")]
pub async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    authorize(&caller, Action::ManageCatalogue)?;
    let id = product_id(&path)?;
    let context = request_context(&request);
    let products = state.use_cases.products.clone();
    run(move || products.delete(id, &context)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The design document's availability response.
#[derive(Debug, Serialize, ToSchema)]
pub struct AvailabilityResponse {
    /// The product.
    pub product_id: String,
    /// Its name.
    pub product_name: String,
    /// Units available over the stores listed.
    pub total_available: u64,
    /// Each active store (or the one asked for).
    pub stores: Vec<StoreAvailabilityResponse>,
}

/// One store's availability.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoreAvailabilityResponse {
    /// Store code.
    pub store_id: String,
    /// Store name.
    pub store_name: String,
    /// Units in the store.
    pub quantity: u32,
    /// Units held by pending reservations.
    pub reserved: u32,
    /// `quantity - reserved`.
    pub available: u32,
    /// Units of shipped transfers on their way to this store (in `quantity` once received).
    pub in_transit: u32,
}

impl From<ProductAvailability> for AvailabilityResponse {
    fn from(availability: ProductAvailability) -> Self {
        Self {
            product_id: availability.product_id.to_string(),
            product_name: availability.product_name.to_string(),
            total_available: availability.total_available,
            stores: availability
                .stores
                .into_iter()
                .map(|store| StoreAvailabilityResponse {
                    store_id: store.store_id.to_string(),
                    store_name: store.store_name.to_string(),
                    quantity: store.quantity,
                    reserved: store.reserved,
                    available: store.available,
                    in_transit: store.in_transit,
                })
                .collect(),
        }
    }
}

/// Filter of the availability query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AvailabilityQuery {
    /// Only this store (listed even when inactive).
    pub store_id: Option<String>,
}

/// How many units of a product can be reserved, in total and per store. Answered from the
/// in-process read model when nothing it shows changed since it was read (never older than
/// this instance's last commit; another instance's commit shows within the read model's
/// staleness bound, 100 ms by default), else read from the database.
#[utoipa::path(
    tag = "availability",
    params(("product_id" = String, Path, description = "Product UUID"), AvailabilityQuery),
    responses(
        (status = 200, description = "Availability", body = AvailabilityResponse),
        (status = 400, description = "Invalid product or store id", body = ErrorBody),
        (status = 404, description = "PRODUCT_NOT_FOUND or STORE_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/products/{product_id}/availability")]
pub async fn product_availability(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<AvailabilityQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = product_id(&path)?;
    let store = query.store_id.as_deref().map(store_id).transpose()?;
    // A hit is answered here, on the async thread: no hop to the blocking pool.
    if let Some(hit) = state.use_cases.availability.cached(id, store.as_ref()) {
        return Ok(HttpResponse::Ok().json(AvailabilityResponse::from(hit)));
    }
    let availability = state.use_cases.availability.clone();
    let result = run(move || availability.load(id, store)).await?;
    Ok(HttpResponse::Ok().json(AvailabilityResponse::from(result)))
}
