//! Pieces shared by the resource modules: running a use case, path parsing, pages, the
//! outcome counter.

use actix_web::HttpRequest;
use inventory_domain::{ProductId, ReservationId, StoreId};
use inventory_ports::{ErrorKind, InventoryError, Page, Paged};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{ApiError, Metrics, RequestId};

/// Runs a use case off the async threads ([`inventory_application::blocking`]) and turns its
/// error into the API's.
///
/// # Errors
/// The use case's error, as an [`ApiError`].
pub async fn run<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, InventoryError> + Send + 'static,
) -> Result<T, ApiError> {
    inventory_application::blocking(work)
        .await
        .map_err(ApiError::from)
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageOf<T> {
    /// The items.
    pub data: Vec<T>,
    /// How many items the whole list holds.
    pub total: u64,
    /// The page size.
    pub limit: u32,
    /// Items skipped before this page.
    pub offset: u64,
}

impl<T> PageOf<T> {
    /// Converts a use-case page.
    pub fn from_paged<U>(paged: Paged<U>, convert: impl FnMut(U) -> T) -> Self {
        let paged = paged.map(convert);
        Self {
            data: paged.data,
            total: paged.total,
            limit: paged.limit,
            offset: paged.offset,
        }
    }
}

/// `limit` and `offset` of a list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// Items to skip (default 0).
    pub offset: Option<i64>,
}

impl PageQuery {
    /// The validated page.
    ///
    /// # Errors
    /// 400 when out of range.
    pub fn page(&self) -> Result<Page, ApiError> {
        Ok(Page::new(self.limit, self.offset)?)
    }
}

/// A product id from the path.
///
/// # Errors
/// 400 naming `product_id` when it is not a UUID.
pub fn product_id(text: &str) -> Result<ProductId, ApiError> {
    Ok(ProductId::parse(text)?)
}

/// A store code from the path.
///
/// # Errors
/// 400 naming `store_id`.
pub fn store_id(text: &str) -> Result<StoreId, ApiError> {
    Ok(StoreId::parse(text)?)
}

/// A reservation id from the path.
///
/// # Errors
/// 400 naming `reservation_id`.
pub fn reservation_id(text: &str) -> Result<ReservationId, ApiError> {
    Ok(ReservationId::parse(text)?)
}

/// Seconds a PENDING hold has left before `expires_at`, rounded up (a 600 s TTL says 600,
/// not 599); 0 once resolved or due.
pub fn seconds_left(
    status: inventory_domain::ReservationStatus,
    expires_at: time::OffsetDateTime,
    now: time::OffsetDateTime,
) -> i64 {
    if status != inventory_domain::ReservationStatus::Pending {
        return 0;
    }
    let left = (expires_at - now).whole_milliseconds().max(0);
    i64::try_from((left + 999) / 1000).unwrap_or(i64::MAX)
}

/// The request's id and its verified caller, for the events and movements it causes.
pub fn request_context(request: &HttpRequest) -> inventory_ports::RequestContext {
    use actix_web::HttpMessage;
    inventory_ports::RequestContext {
        request_id: request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.0.clone()),
        idempotency: None,
        actor: request
            .extensions()
            .get::<crate::access::Actor>()
            .map(|actor| actor.0.clone()),
    }
}

/// Counts a stock-changing operation's outcome in `stock_operations_total`. The store label
/// is the parsed code (so `" mad-001 "` counts as `MAD-001`), or `unknown` when the request
/// named no valid, existing store: clients cannot create series at will.
pub fn count_stock_operation<T>(
    metrics: &Metrics,
    operation: &str,
    store: &str,
    result: &Result<T, ApiError>,
) {
    if let Err(ApiError::Inventory(error)) = result
        && crate::idempotency::is_replay(error)
    {
        // The stored answer to an operation counted when it ran, not another operation.
        return;
    }
    let Ok(store) = StoreId::parse(store) else {
        metrics.count_stock_operation(operation, "unknown", result_code(result), false);
        return;
    };
    let store = store.as_str();
    let (status, store_known) = match result {
        Ok(_) => ("ok", true),
        Err(ApiError::Inventory(error)) => (
            error.code(),
            !matches!(error.kind(), ErrorKind::NotFound | ErrorKind::Invalid),
        ),
        Err(error) => (error.code(), false),
    };
    metrics.count_stock_operation(operation, store, status, store_known);
}

fn result_code<T>(result: &Result<T, ApiError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(error) => error.code(),
    }
}

/// True when the error is a conflict of stock (the reservation was refused for want of units).
pub fn is_insufficient_stock(error: &ApiError) -> bool {
    matches!(
        error,
        ApiError::Inventory(InventoryError::Stock(
            inventory_domain::StockError::InsufficientStock { .. }
        ))
    )
}

/// The store a staff list is limited to: the one asked for (which the caller must be allowed
/// to read), else a vendor's own, else none for an admin (who may read every store).
///
/// # Errors
/// 400 for a malformed code; 403 for a customer, or a vendor asking for another store.
pub fn staff_store_scope(
    caller: &crate::Caller,
    asked: Option<&str>,
) -> Result<Option<StoreId>, ApiError> {
    use crate::access::{Action, authorize};
    let store = match (asked, caller) {
        (Some(store), _) => Some(store_id(store)?),
        (None, crate::Caller::Vendor { store, .. }) => Some(store.clone()),
        (None, _) => None,
    };
    match &store {
        Some(store) => authorize(caller, Action::ReadStock { store })?,
        None => authorize(caller, Action::ReadEventLog)?,
    }
    Ok(store)
}
