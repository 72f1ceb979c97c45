//! The one error type of the use cases, with a stable code for every variant.

use inventory_domain::{
    ProductId, ReservationError, ReservationId, ReservationStatus, Sku, StockError, StoreId,
    ValidationError,
};

/// Everything a use case can report. Each use case documents, under `# Errors`, which of these
/// it returns and when.
///
/// One enum for the whole API rather than one per operation: the HTTP adapter maps it to status
/// codes in one place, and [`InventoryError::code`] gives clients a stable string to match on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InventoryError {
    /// A value the caller sent is not valid.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// No product with this id.
    #[error("product {0} not found")]
    ProductNotFound(ProductId),
    /// No product with this SKU.
    #[error("no product has SKU {0}")]
    SkuNotFound(Sku),
    /// No store with this code.
    #[error("store {0} not found")]
    StoreNotFound(StoreId),
    /// The product has no stock record in the store.
    #[error("product {product_id} has no stock in store {store_id}")]
    StockNotFound {
        /// The product.
        product_id: ProductId,
        /// The store.
        store_id: StoreId,
    },
    /// No reservation with this id.
    #[error("reservation {0} not found")]
    ReservationNotFound(ReservationId),
    /// Another product already has this SKU.
    #[error("a product with SKU {0} already exists")]
    DuplicateSku(Sku),
    /// A store with this code already exists.
    #[error("store {0} already exists")]
    DuplicateStore(StoreId),
    /// The store is inactive and takes no reservations.
    #[error("store {0} is inactive")]
    StoreInactive(StoreId),
    /// The product still has units held by pending reservations.
    #[error("product {product_id} has {reserved} units held by pending reservations")]
    ProductHasReservations {
        /// The product.
        product_id: ProductId,
        /// Units held.
        reserved: u64,
    },
    /// A stock rule refused the change.
    #[error(transparent)]
    Stock(#[from] StockError),
    /// A reservation rule refused the change.
    #[error(transparent)]
    Reservation(ReservationError),
    /// The storage is busy or unreachable; the same request may succeed later.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// A bug or corrupted data; never the caller's fault.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The family of an error, which decides the HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 400: the request is malformed or a value is invalid.
    Invalid,
    /// 404: something the request names does not exist.
    NotFound,
    /// 409: the request conflicts with the current state.
    Conflict,
    /// 503: try again later.
    Unavailable,
    /// 500: a bug.
    Internal,
}

impl InventoryError {
    /// A stable, upper-case code that clients match on (`INSUFFICIENT_STOCK`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "VALIDATION_FAILED",
            Self::ProductNotFound(_) | Self::SkuNotFound(_) => "PRODUCT_NOT_FOUND",
            Self::StoreNotFound(_) => "STORE_NOT_FOUND",
            Self::StockNotFound { .. } => "STOCK_NOT_FOUND",
            Self::ReservationNotFound(_) => "RESERVATION_NOT_FOUND",
            Self::DuplicateSku(_) => "DUPLICATE_SKU",
            Self::DuplicateStore(_) => "DUPLICATE_STORE",
            Self::StoreInactive(_) => "STORE_INACTIVE",
            Self::ProductHasReservations { .. } => "PRODUCT_HAS_RESERVATIONS",
            Self::Stock(error) => match error {
                StockError::InsufficientStock { .. } => "INSUFFICIENT_STOCK",
                StockError::BelowReserved { .. } => "STOCK_BELOW_RESERVED",
                StockError::AboveLimit { .. } => "STOCK_LIMIT_EXCEEDED",
                StockError::VersionConflict { .. } => "VERSION_CONFLICT",
                StockError::InvariantBroken(_) => "INTERNAL_ERROR",
            },
            Self::Reservation(error) => match error {
                ReservationError::Stock(_) => "INSUFFICIENT_STOCK",
                ReservationError::AlreadyResolved { status } => match status {
                    ReservationStatus::Confirmed => "RESERVATION_ALREADY_CONFIRMED",
                    ReservationStatus::Cancelled => "RESERVATION_ALREADY_CANCELLED",
                    ReservationStatus::Expired | ReservationStatus::Pending => {
                        "RESERVATION_EXPIRED"
                    }
                },
                ReservationError::Expired { .. } => "RESERVATION_EXPIRED",
                ReservationError::NotYetDue(_) | ReservationError::WrongStock { .. } => {
                    "INTERNAL_ERROR"
                }
            },
            Self::Unavailable(_) => "SERVICE_UNAVAILABLE",
            Self::Internal(_) => "INTERNAL_ERROR",
        }
    }

    /// Which family the error belongs to.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Invalid(_) => ErrorKind::Invalid,
            Self::ProductNotFound(_)
            | Self::SkuNotFound(_)
            | Self::StoreNotFound(_)
            | Self::StockNotFound { .. }
            | Self::ReservationNotFound(_) => ErrorKind::NotFound,
            Self::Unavailable(_) => ErrorKind::Unavailable,
            Self::Internal(_)
            | Self::Stock(StockError::InvariantBroken(_))
            | Self::Reservation(
                ReservationError::NotYetDue(_) | ReservationError::WrongStock { .. },
            ) => ErrorKind::Internal,
            Self::DuplicateSku(_)
            | Self::DuplicateStore(_)
            | Self::StoreInactive(_)
            | Self::ProductHasReservations { .. }
            | Self::Stock(_)
            | Self::Reservation(_) => ErrorKind::Conflict,
        }
    }
}

impl From<ReservationError> for InventoryError {
    /// A stock refusal inside a reservation is reported as the stock error it is, so
    /// `INSUFFICIENT_STOCK` carries the same details whichever rule raised it.
    fn from(error: ReservationError) -> Self {
        match error {
            ReservationError::Stock(stock) => Self::Stock(stock),
            other => Self::Reservation(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insufficient_stock_is_a_conflict_with_its_own_code() {
        let error: InventoryError = ReservationError::Stock(StockError::InsufficientStock {
            available: 1,
            requested: 2,
        })
        .into();
        assert_eq!(error.code(), "INSUFFICIENT_STOCK");
        assert_eq!(error.kind(), ErrorKind::Conflict);
        assert!(matches!(error, InventoryError::Stock(_)));
    }

    #[test]
    fn a_broken_invariant_is_internal_not_the_callers_fault() {
        let error = InventoryError::Stock(StockError::InvariantBroken("x".into()));
        assert_eq!(error.kind(), ErrorKind::Internal);
    }

    #[test]
    fn resolved_reservations_have_precise_codes() {
        let code =
            |status| InventoryError::from(ReservationError::AlreadyResolved { status }).code();
        assert_eq!(
            code(ReservationStatus::Confirmed),
            "RESERVATION_ALREADY_CONFIRMED"
        );
        assert_eq!(
            code(ReservationStatus::Cancelled),
            "RESERVATION_ALREADY_CANCELLED"
        );
        assert_eq!(code(ReservationStatus::Expired), "RESERVATION_EXPIRED");
    }

    #[test]
    fn validation_errors_are_invalid_input() {
        let error = InventoryError::from(ValidationError::new("sku", "must not be empty"));
        assert_eq!(
            (error.code(), error.kind()),
            ("VALIDATION_FAILED", ErrorKind::Invalid)
        );
    }
}
