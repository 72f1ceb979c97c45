//! `/api/v1/stores`: the chain's stores (reads public, writes admin).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use inventory_domain::{
    Address, City, Country, Email, Phone, Store, StoreDetails, StoreId, StoreName, ValidationError,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::common::{PageOf, PageQuery, request_context, run, store_id};
use crate::access::{Action, authorize};
use crate::idempotency::KeyedAnswer;
use crate::state::AppState;
use crate::{ApiError, Caller, ErrorBody};

/// A store as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoreResponse {
    /// Store code.
    #[schema(example = "MAD-001")]
    pub id: String,
    /// Name.
    #[schema(example = "Madrid Centro")]
    pub name: String,
    /// Street address.
    pub address: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Whether it takes reservations.
    pub active: bool,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<Store> for StoreResponse {
    fn from(store: Store) -> Self {
        let d = store.details;
        Self {
            id: store.id.to_string(),
            name: d.name.to_string(),
            address: d.address.map(String::from),
            city: d.city.map(String::from),
            country: d.country.map(String::from),
            phone: d.phone.map(String::from),
            email: d.email.map(String::from),
            active: d.active,
            created_at: store.created_at,
            updated_at: store.updated_at,
        }
    }
}

/// A store's details: the body of an update, and of a create with its `id`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StoreRequest {
    /// Store code, for creation only (`VAL-002`).
    pub id: Option<String>,
    /// Name.
    pub name: String,
    /// Street address.
    pub address: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Whether it takes reservations (on creation: default true; on update: unchanged when
    /// absent).
    pub active: Option<bool>,
}

impl StoreRequest {
    /// The details, `active` defaulting to `active_if_absent`.
    fn details(&self, active_if_absent: bool) -> Result<StoreDetails, ValidationError> {
        Ok(StoreDetails {
            name: StoreName::parse(&self.name)?,
            address: Address::parse_optional(self.address.as_deref())?,
            city: City::parse_optional(self.city.as_deref())?,
            country: Country::parse_optional(self.country.as_deref())?,
            phone: Phone::parse_optional(self.phone.as_deref())?,
            email: Email::parse_optional(self.email.as_deref())?,
            active: self.active.unwrap_or(active_if_absent),
        })
    }
}

/// Lists stores by code.
#[utoipa::path(
    tag = "stores",
    params(PageQuery),
    responses((status = 200, description = "A page of stores", body = PageOf<StoreResponse>))
)]
#[get("/stores")]
pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = query.page()?;
    let stores = state.use_cases.stores.clone();
    let paged = run(move || stores.list(page)).await?;
    Ok(HttpResponse::Ok().json(PageOf::from_paged(paged, StoreResponse::from)))
}

/// Finds a store.
#[utoipa::path(
    tag = "stores",
    params(("store_id" = String, Path, description = "Store code")),
    responses(
        (status = 200, description = "The store", body = StoreResponse),
        (status = 404, description = "STORE_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/stores/{store_id}")]
pub async fn get(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = store_id(&path)?;
    let stores = state.use_cases.stores.clone();
    let store = run(move || stores.get(&id)).await?;
    Ok(HttpResponse::Ok().json(StoreResponse::from(store)))
}

/// Opens a store (admin).
#[utoipa::path(
    tag = "stores",
    request_body = StoreRequest,
    responses(
        (status = 201, description = "Created", body = StoreResponse),
        (status = 400, description = "Invalid store", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 409, description = "DUPLICATE_STORE", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/stores")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    body: web::Json<StoreRequest>,
) -> Result<HttpResponse, ApiError> {
    authorize(&caller, Action::ManageCatalogue)?;
    let id: StoreId = match &body.id {
        Some(id) => store_id(id)?,
        None => return Err(ValidationError::new("id", "is required to create a store").into()),
    };
    let details = body.details(true)?;
    let answer = KeyedAnswer::new(&request, &caller, &*body, |store: &Store| {
        (StatusCode::CREATED, StoreResponse::from(store.clone()))
    })?;
    let context = answer.context();
    let stores = state.use_cases.stores.clone();
    let store = run(move || stores.create(id, details, &context)).await?;
    Ok(answer.respond(&store, |response| {
        response.insert_header(("Location", format!("/api/v1/stores/{}", store.id)));
    }))
}

/// Replaces a store's details, including `active` (admin).
#[utoipa::path(
    tag = "stores",
    params(("store_id" = String, Path, description = "Store code")),
    request_body = StoreRequest,
    responses(
        (status = 200, description = "Updated", body = StoreResponse),
        (status = 400, description = "Invalid store", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "STORE_NOT_FOUND", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[put("/stores/{store_id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    path: web::Path<String>,
    body: web::Json<StoreRequest>,
) -> Result<HttpResponse, ApiError> {
    authorize(&caller, Action::ManageCatalogue)?;
    let id = store_id(&path)?;
    if let Some(body_id) = &body.id
        && store_id(body_id)? != id
    {
        return Err(ValidationError::new("id", "a store's code cannot change").into());
    }
    // An update that does not mention `active` keeps it: leaving it out must not reopen a
    // closed store.
    let stores = state.use_cases.stores.clone();
    let current = run({
        let (stores, id) = (stores.clone(), id.clone());
        move || stores.get(&id)
    })
    .await?;
    let details = body.details(current.details.active)?;
    let context = request_context(&request);
    let store = run(move || stores.update(id, details, &context)).await?;
    Ok(HttpResponse::Ok().json(StoreResponse::from(store)))
}
