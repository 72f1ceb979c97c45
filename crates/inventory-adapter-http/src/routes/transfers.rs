//! `/api/v1/transfers`: units moved from one store to another, at once or shipped. Vendors
//! send from their own store and receive into their own store; admins do both anywhere.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use inventory_application::SendTransfer;
use inventory_domain::{
    ChangedBy, Quantity, Transfer, TransferId, TransferMode, TransferStatus, UserId,
};
use inventory_ports::TransferFilter;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::common::{PageOf, count_stock_operation, product_id, run, staff_store_scope, store_id};
use crate::access::{Action, authorize};
use crate::idempotency::KeyedAnswer;
use crate::state::AppState;
use crate::{ApiError, Caller, ErrorBody};

/// A transfer as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransferResponse {
    /// Transfer UUID.
    pub transfer_id: String,
    /// The product moved.
    pub product_id: String,
    /// The store the units left.
    #[schema(example = "BCN-001")]
    pub from_store_id: String,
    /// The store they go to.
    #[schema(example = "MAD-001")]
    pub to_store_id: String,
    /// Units moved.
    pub quantity: u32,
    /// IMMEDIATE or SHIPPED.
    #[schema(example = "SHIPPED")]
    pub mode: String,
    /// IN_TRANSIT, RECEIVED or CANCELLED (an immediate transfer is RECEIVED at once).
    #[schema(example = "IN_TRANSIT")]
    pub status: String,
    /// Who sent the units.
    pub created_by: Option<String>,
    /// When they were sent.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<&Transfer> for TransferResponse {
    fn from(transfer: &Transfer) -> Self {
        Self {
            transfer_id: transfer.id().to_string(),
            product_id: transfer.product_id().to_string(),
            from_store_id: transfer.from_store().to_string(),
            to_store_id: transfer.to_store().to_string(),
            quantity: transfer.quantity().get(),
            mode: transfer.mode().to_string(),
            status: transfer.status().to_string(),
            created_by: transfer.created_by().map(ToString::to_string),
            created_at: transfer.created_at(),
            updated_at: transfer.updated_at(),
        }
    }
}

/// Units to move from one store to another.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TransferRequest {
    /// Product UUID.
    pub product_id: String,
    /// The store the units leave (a vendor's own).
    #[schema(example = "BCN-001")]
    pub from_store_id: String,
    /// The store they go to.
    #[schema(example = "MAD-001")]
    pub to_store_id: String,
    /// Units, at least 1; only units not reserved at the source can leave.
    #[schema(example = 5)]
    #[serde(deserialize_with = "crate::request_parsing::whole_number::required")]
    pub quantity: i64,
    /// IMMEDIATE (default: both stores change in one transaction) or SHIPPED (in transit
    /// until the destination receives it).
    #[schema(example = "SHIPPED")]
    pub mode: Option<String>,
}

/// Filters of the transfer list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TransferListQuery {
    /// Only transfers from or to this store (a vendor sees only its own store's).
    pub store_id: Option<String>,
    /// Only this product's.
    pub product_id: Option<String>,
    /// Only this status: IN_TRANSIT, RECEIVED or CANCELLED.
    pub status: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// Items to skip (default 0).
    pub offset: Option<i64>,
}

/// Sends units of a product from one store to another.
#[utoipa::path(
    tag = "transfers",
    request_body = TransferRequest,
    responses(
        (status = 201, description = "Sent: RECEIVED at once (IMMEDIATE) or IN_TRANSIT (SHIPPED)", body = TransferResponse),
        (status = 400, description = "Invalid request (ids, quantity, mode)", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not staff of the source store", body = ErrorBody),
        (status = 404, description = "PRODUCT_NOT_FOUND or STORE_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "INSUFFICIENT_STOCK: fewer units available (not reserved) at the source; STOCK_LIMIT_EXCEEDED at the destination", body = ErrorBody),
        (status = 422, description = "TRANSFER_SAME_STORE", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/transfers")]
pub async fn send(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    body: web::Json<TransferRequest>,
) -> Result<HttpResponse, ApiError> {
    let command = SendTransfer {
        product_id: product_id(&body.product_id)?,
        from_store: store_id(&body.from_store_id)?,
        to_store: store_id(&body.to_store_id)?,
        quantity: Quantity::new(body.quantity)?,
        mode: body
            .mode
            .as_deref()
            .map(|text| exactly(TransferMode::ALL, text, "mode"))
            .transpose()?
            .unwrap_or(TransferMode::Immediate),
        by: changed_by(&caller)?,
    };
    authorize(
        &caller,
        Action::ChangeStock {
            store: &command.from_store,
        },
    )?;
    let answer = transfer_answer(&request, &caller, &*body, StatusCode::CREATED)?;
    let context = answer.context();
    let transfers = state.use_cases.transfers.clone();
    let result = run(move || transfers.send(command, &context)).await;
    count_stock_operation(&state.metrics, "transfer", &body.from_store_id, &result);
    let transfer = result?;
    Ok(answer.respond(&transfer, |response| {
        response.insert_header(("Location", format!("/api/v1/transfers/{}", transfer.id())));
    }))
}

/// One transfer.
#[utoipa::path(
    tag = "transfers",
    params(("transfer_id" = String, Path, description = "Transfer UUID")),
    responses(
        (status = 200, description = "The transfer", body = TransferResponse),
        (status = 400, description = "Not a UUID", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not staff of either store", body = ErrorBody),
        (status = 404, description = "TRANSFER_NOT_FOUND", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/transfers/{transfer_id}")]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let transfer = find(&state, &path).await?;
    if authorize(
        &caller,
        Action::ReadStock {
            store: transfer.from_store(),
        },
    )
    .is_err()
    {
        authorize(
            &caller,
            Action::ReadStock {
                store: transfer.to_store(),
            },
        )?;
    }
    Ok(HttpResponse::Ok().json(TransferResponse::from(&transfer)))
}

/// Transfers from or to a store, newest first.
#[utoipa::path(
    tag = "transfers",
    params(TransferListQuery),
    responses(
        (status = 200, description = "A page of transfers", body = PageOf<TransferResponse>),
        (status = 400, description = "Invalid filter or page", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "A vendor asking for another store's, or a customer", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/transfers")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<TransferListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = inventory_ports::Page::new(query.limit, query.offset)?;
    let store = staff_store_scope(&caller, query.store_id.as_deref())?;
    let filter = TransferFilter {
        store_id: store,
        product_id: query.product_id.as_deref().map(product_id).transpose()?,
        status: query
            .status
            .as_deref()
            .map(|text| exactly(TransferStatus::ALL, text, "status"))
            .transpose()?,
    };
    let transfers = state.use_cases.transfers.clone();
    let paged = run(move || transfers.list(filter, page)).await?;
    Ok(HttpResponse::Ok().json(PageOf::from_paged(paged, |t| TransferResponse::from(&t))))
}

/// The destination receives a shipped transfer: its stock goes up.
#[utoipa::path(
    tag = "transfers",
    params(("transfer_id" = String, Path, description = "Transfer UUID")),
    responses(
        (status = 200, description = "Received", body = TransferResponse),
        (status = 400, description = "Not a UUID", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not staff of the destination store", body = ErrorBody),
        (status = 404, description = "TRANSFER_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "TRANSFER_ALREADY_RECEIVED, TRANSFER_ALREADY_CANCELLED, or STOCK_LIMIT_EXCEEDED", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/transfers/{transfer_id}/receive")]
pub async fn receive(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    act(&state, &caller, &request, &path, Step::Receive).await
}

/// Calls a shipped transfer back: the units return to the source.
#[utoipa::path(
    tag = "transfers",
    params(("transfer_id" = String, Path, description = "Transfer UUID")),
    responses(
        (status = 200, description = "Cancelled", body = TransferResponse),
        (status = 400, description = "Not a UUID", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not staff of the source store", body = ErrorBody),
        (status = 404, description = "TRANSFER_NOT_FOUND", body = ErrorBody),
        (status = 409, description = "TRANSFER_ALREADY_RECEIVED, TRANSFER_ALREADY_CANCELLED, or STOCK_LIMIT_EXCEEDED", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/transfers/{transfer_id}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    act(&state, &caller, &request, &path, Step::Cancel).await
}

#[derive(Clone, Copy)]
enum Step {
    /// By the destination's staff.
    Receive,
    /// By the source's staff.
    Cancel,
}

/// Receives or cancels the transfer at `path`, as staff of the store that step belongs to.
async fn act(
    state: &AppState,
    caller: &Caller,
    request: &HttpRequest,
    path: &str,
    step: Step,
) -> Result<HttpResponse, ApiError> {
    let transfer = find(state, path).await?;
    let store = match step {
        Step::Receive => transfer.to_store(),
        Step::Cancel => transfer.from_store(),
    };
    authorize(caller, Action::ChangeStock { store })?;
    let by = changed_by(caller)?;
    let answer = transfer_answer(request, caller, &(), StatusCode::OK)?;
    let context = answer.context();
    let transfers = state.use_cases.transfers.clone();
    let id = transfer.id();
    let done = run(move || match step {
        Step::Receive => transfers.receive(id, by, &context),
        Step::Cancel => transfers.cancel(id, by, &context),
    })
    .await?;
    Ok(answer.respond(&done, |_| {}))
}

/// The transfer at `path`. Its stores never change, so checking them before acting is not a
/// race.
async fn find(state: &AppState, path: &str) -> Result<Transfer, ApiError> {
    let id = TransferId::parse(path)?;
    let transfers = state.use_cases.transfers.clone();
    run(move || transfers.get(id)).await
}

/// The value whose wire name is `text`, exactly as the document spells it.
fn exactly<T: Copy + std::fmt::Display>(
    values: &[T],
    text: &str,
    field: &'static str,
) -> Result<T, ApiError> {
    values
        .iter()
        .copied()
        .find(|value| value.to_string() == text)
        .ok_or_else(|| {
            let names: Vec<String> = values.iter().map(ToString::to_string).collect();
            inventory_domain::ValidationError::new(
                field,
                format!("must be one of {}", names.join(", ")),
            )
            .into()
        })
}

/// The token's subject, recorded on the stock changes a transfer makes.
fn changed_by(caller: &Caller) -> Result<ChangedBy, ApiError> {
    Ok(ChangedBy {
        user_id: Some(UserId::parse(caller.subject())?),
        on_behalf_of: None,
    })
}

/// A transfer as the answer to a write, stored with it when the request is keyed.
fn transfer_answer(
    request: &HttpRequest,
    caller: &Caller,
    body: &impl Serialize,
    status: StatusCode,
) -> Result<KeyedAnswer<Transfer>, ApiError> {
    KeyedAnswer::new(request, caller, body, move |transfer: &Transfer| {
        (status, TransferResponse::from(transfer))
    })
}
