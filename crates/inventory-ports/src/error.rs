//! The one error type of the use cases, with a stable code for every variant.

use std::borrow::Cow;
use std::error::Error;
use std::fmt;
use std::sync::Arc;

use crate::StoredResponse;
use inventory_domain::{
    CartError, CartId, HoldLimitError, InvariantViolation, ProductId, ReservationError,
    ReservationId, ReservationStatus, Sku, StockError, StoreId, TransferError, TransferId,
    TransferStatus, ValidationError,
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
    /// No cart with this id.
    #[error("cart {0} not found")]
    CartNotFound(CartId),
    /// The reservation is a line of a cart: it is confirmed or cancelled with its cart.
    #[error("reservation {0} is a line of a cart; confirm or cancel the cart")]
    ReservationInCart(ReservationId),
    /// A cart rule refused the change.
    #[error(transparent)]
    Cart(CartError),
    /// No transfer with this id.
    #[error("transfer {0} not found")]
    TransferNotFound(TransferId),
    /// A transfer rule refused the change.
    #[error(transparent)]
    Transfer(TransferError),
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
    /// Units of the product are on their way between stores: deleting it would lose them.
    #[error("product {product_id} has {transfers} transfers in transit")]
    ProductInTransit {
        /// The product.
        product_id: ProductId,
        /// Transfers still in transit.
        transfers: u64,
    },
    /// A stock rule refused the change.
    #[error(transparent)]
    Stock(StockError),
    /// A reservation rule refused the change.
    #[error(transparent)]
    Reservation(ReservationError),
    /// A customer would hold more, or longer, than allowed.
    #[error(transparent)]
    HoldLimit(#[from] HoldLimitError),
    /// The request's idempotency key already has an answer: the change did not run again.
    /// The stored answer is what the first request got.
    #[error("this idempotency key was already used by a request that succeeded")]
    Replayed(Box<StoredResponse>),
    /// The request's idempotency key was used by a request with other content.
    #[error("this idempotency key was already used by a different request")]
    IdempotencyKeyReused,
    /// No webhook endpoint with this id.
    #[error("webhook {0} not found")]
    WebhookNotFound(crate::WebhookId),
    /// A webhook URL the policy refuses: not http(s), credentials in it, or a host that is not
    /// public (unless the operator allows private addresses) or does not resolve.
    #[error("webhook URL refused: {0}")]
    WebhookUrlRefused(String),
    /// The storage is busy or unreachable; the same request may succeed later.
    /// Its display says only that; the [`Failure`] is its source (log it with [`ErrorChain`]).
    #[error("storage unavailable")]
    Unavailable(#[source] Failure),
    /// A bug or corrupted data; never the caller's fault. Its display says only that; the
    /// [`Failure`] is its source.
    #[error("internal error")]
    Internal(#[source] Failure),
}

/// What failed underneath a use case: a sentence of ours, and the library error that caused
/// it, kept as the error's source so logs show the whole chain. Clients see neither.
#[derive(Debug, Clone)]
pub struct Failure {
    what: Cow<'static, str>,
    source: Option<Arc<dyn Error + Send + Sync + 'static>>,
    transient: bool,
}

impl Failure {
    /// A failure described in our words, with no underlying error.
    pub fn new(what: impl Into<Cow<'static, str>>) -> Self {
        Self {
            what: what.into(),
            source: None,
            transient: false,
        }
    }

    /// A failure caused by `source` (a database or network error).
    pub fn caused_by(
        what: impl Into<Cow<'static, str>>,
        source: impl Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            what: what.into(),
            source: Some(Arc::new(source)),
            transient: false,
        }
    }

    /// Marks the failure as transient: the database gave up on this attempt (a deadlock, a
    /// serialization failure), and the same work run again at once may well succeed.
    #[must_use]
    pub fn transient(mut self) -> Self {
        self.transient = true;
        self
    }

    /// True when running the same work again at once may succeed.
    pub fn is_transient(&self) -> bool {
        self.transient
    }

    /// Our description, without the cause.
    pub fn what(&self) -> &str {
        &self.what
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.what)
    }
}

impl Error for Failure {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn Error + 'static))
    }
}

impl PartialEq for Failure {
    fn eq(&self, other: &Self) -> bool {
        self.what == other.what
            && self.transient == other.transient
            && self.source.as_ref().map(ToString::to_string)
                == other.source.as_ref().map(ToString::to_string)
    }
}

impl Eq for Failure {}

/// Formats an error with every cause in its chain (`a: b: c`), for logs.
pub struct ErrorChain<'a>(pub &'a (dyn Error + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(error) = cause {
            write!(f, ": {error}")?;
            cause = error.source();
        }
        Ok(())
    }
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
    /// 422: well-formed, but asks for more than the caller may have.
    Unprocessable,
    /// 503: try again later.
    Unavailable,
    /// 500: a bug.
    Internal,
}

impl InventoryError {
    /// A stored value that the domain refuses: a storage adapter found a corrupt row.
    pub fn corrupt(table: &str, error: impl Error + Send + Sync + 'static) -> Self {
        Self::Internal(Failure::caused_by(
            format!("a stored {table} row is corrupt"),
            error,
        ))
    }

    /// [`InventoryError::corrupt`] as a `map_err` argument.
    pub fn corrupt_in<E: Error + Send + Sync + 'static>(table: &'static str) -> impl Fn(E) -> Self {
        move |error| Self::corrupt(table, error)
    }

    /// A customer's holds from the four counts a storage adapter reads: PENDING reservations
    /// and units overall, then of the product.
    ///
    /// # Errors
    /// A corrupt-row error when a count does not fit.
    pub fn holds_from_counts(
        [reservations, units, product_reservations, product_units]: [i64; 4],
    ) -> Result<inventory_domain::CustomerHolds, Self> {
        let count = |value: i64| u32::try_from(value).map_err(Self::corrupt_in("reservations"));
        Ok(inventory_domain::CustomerHolds {
            of_product: inventory_domain::Holds {
                reservations: count(product_reservations)?,
                units: count(product_units)?,
            },
            overall: inventory_domain::Holds {
                reservations: count(reservations)?,
                units: count(units)?,
            },
        })
    }

    /// An internal error described in our words.
    pub fn internal(what: impl Into<Cow<'static, str>>) -> Self {
        Self::Internal(Failure::new(what))
    }

    /// An unavailable error described in our words.
    pub fn unavailable(what: impl Into<Cow<'static, str>>) -> Self {
        Self::Unavailable(Failure::new(what))
    }

    /// True for an attempt the database gave up on (a deadlock, a serialization failure): the
    /// same work run again at once may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(failure) if failure.is_transient())
    }

    /// A stable, upper-case code that clients match on (`INSUFFICIENT_STOCK`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "VALIDATION_FAILED",
            Self::ProductNotFound(_) | Self::SkuNotFound(_) => "PRODUCT_NOT_FOUND",
            Self::StoreNotFound(_) => "STORE_NOT_FOUND",
            Self::StockNotFound { .. } => "STOCK_NOT_FOUND",
            Self::ReservationNotFound(_) => "RESERVATION_NOT_FOUND",
            Self::CartNotFound(_) => "CART_NOT_FOUND",
            Self::TransferNotFound(_) => "TRANSFER_NOT_FOUND",
            Self::Transfer(error) => match error {
                TransferError::SameStore => "TRANSFER_SAME_STORE",
                TransferError::NotInTransit { status } => match status {
                    TransferStatus::Cancelled => "TRANSFER_ALREADY_CANCELLED",
                    TransferStatus::Received | TransferStatus::InTransit => {
                        "TRANSFER_ALREADY_RECEIVED"
                    }
                },
                TransferError::Stock(_) | TransferError::Invariant(_) => "INTERNAL_ERROR",
            },
            Self::ReservationInCart(_) => "RESERVATION_IN_CART",
            Self::Cart(error) => match error {
                CartError::Unavailable(_) => "INSUFFICIENT_STOCK",
                CartError::AlreadyResolved { status } => match status {
                    ReservationStatus::Confirmed => "CART_ALREADY_CONFIRMED",
                    ReservationStatus::Cancelled => "CART_ALREADY_CANCELLED",
                    ReservationStatus::Expired | ReservationStatus::Pending => "CART_EXPIRED",
                },
                CartError::Expired { .. } => "CART_EXPIRED",
                CartError::NotALine(_) => "NOT_A_CART_LINE",
                CartError::Invariant(_) => "INTERNAL_ERROR",
            },
            Self::DuplicateSku(_) => "DUPLICATE_SKU",
            Self::DuplicateStore(_) => "DUPLICATE_STORE",
            Self::StoreInactive(_) => "STORE_INACTIVE",
            Self::ProductHasReservations { .. } => "PRODUCT_HAS_RESERVATIONS",
            Self::ProductInTransit { .. } => "PRODUCT_IN_TRANSIT",
            Self::Stock(error) => match error {
                StockError::InsufficientStock { .. } => "INSUFFICIENT_STOCK",
                StockError::BelowReserved { .. } => "STOCK_BELOW_RESERVED",
                StockError::AboveLimit { .. } => "STOCK_LIMIT_EXCEEDED",
                StockError::VersionConflict { .. } => "VERSION_CONFLICT",
                StockError::Invariant(_) => "INTERNAL_ERROR",
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
                ReservationError::NotExtended { .. } => "RESERVATION_NOT_EXTENDED",
                ReservationError::Invariant(_) => "INTERNAL_ERROR",
            },
            Self::HoldLimit(HoldLimitError::TtlTooLong { .. }) => "TTL_TOO_LONG",
            Self::HoldLimit(_) => "HOLD_LIMIT_EXCEEDED",
            Self::Replayed(_) => "IDEMPOTENT_REPLAY",
            Self::WebhookNotFound(_) => "WEBHOOK_NOT_FOUND",
            Self::WebhookUrlRefused(_) => "WEBHOOK_URL_REFUSED",
            Self::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            Self::Unavailable(_) => "SERVICE_UNAVAILABLE",
            Self::Internal(_) => "INTERNAL_ERROR",
        }
    }

    /// Which family the error belongs to.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Invalid(_) => ErrorKind::Invalid,
            Self::HoldLimit(HoldLimitError::TtlTooLong { .. })
            | Self::IdempotencyKeyReused
            | Self::WebhookUrlRefused(_) => ErrorKind::Unprocessable,
            Self::ProductNotFound(_)
            | Self::SkuNotFound(_)
            | Self::StoreNotFound(_)
            | Self::StockNotFound { .. }
            | Self::ReservationNotFound(_)
            | Self::CartNotFound(_)
            | Self::TransferNotFound(_)
            | Self::WebhookNotFound(_) => ErrorKind::NotFound,
            Self::Transfer(TransferError::SameStore) => ErrorKind::Unprocessable,
            Self::Transfer(TransferError::Stock(_) | TransferError::Invariant(_)) => {
                ErrorKind::Internal
            }
            Self::Cart(CartError::NotALine(_)) => ErrorKind::Unprocessable,
            Self::Cart(CartError::Invariant(_)) => ErrorKind::Internal,
            Self::Unavailable(_) => ErrorKind::Unavailable,
            Self::Internal(_)
            | Self::Stock(StockError::Invariant(_))
            | Self::Reservation(ReservationError::Invariant(_)) => ErrorKind::Internal,
            Self::DuplicateSku(_)
            | Self::DuplicateStore(_)
            | Self::StoreInactive(_)
            | Self::ProductHasReservations { .. }
            | Self::ProductInTransit { .. }
            | Self::Stock(_)
            | Self::Reservation(_)
            | Self::HoldLimit(_)
            | Self::Replayed(_)
            | Self::ReservationInCart(_)
            | Self::Cart(_)
            | Self::Transfer(_) => ErrorKind::Conflict,
        }
    }
}

impl From<InvariantViolation> for InventoryError {
    fn from(violation: InvariantViolation) -> Self {
        Self::Internal(Failure::caused_by(
            "a rule of the model was broken",
            violation,
        ))
    }
}

impl From<StockError> for InventoryError {
    /// A broken invariant is a bug, reported as internal; the rest are the caller's conflicts.
    fn from(error: StockError) -> Self {
        match error {
            StockError::Invariant(violation) => violation.into(),
            refusal => Self::Stock(refusal),
        }
    }
}

impl From<TransferError> for InventoryError {
    /// A stock refusal is reported as the stock error it is (`INSUFFICIENT_STOCK`,
    /// `STOCK_LIMIT_EXCEEDED`); a broken invariant is a bug.
    fn from(error: TransferError) -> Self {
        match error {
            TransferError::Stock(stock) => stock.into(),
            TransferError::Invariant(violation) => violation.into(),
            refusal => Self::Transfer(refusal),
        }
    }
}

impl From<CartError> for InventoryError {
    /// A broken invariant is a bug, reported as internal; the rest are the caller's.
    fn from(error: CartError) -> Self {
        match error {
            CartError::Invariant(violation) => violation.into(),
            refusal => Self::Cart(refusal),
        }
    }
}

impl From<ReservationError> for InventoryError {
    /// A stock refusal inside a reservation is reported as the stock error it is, so
    /// `INSUFFICIENT_STOCK` carries the same details whichever rule raised it.
    fn from(error: ReservationError) -> Self {
        match error {
            ReservationError::Stock(stock) => stock.into(),
            ReservationError::Invariant(violation) => violation.into(),
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

    #[test]
    fn a_failure_keeps_its_cause_for_the_logs() {
        let cause = std::io::Error::other("disk I/O error at page 7");
        let error = InventoryError::Unavailable(Failure::caused_by("the database is busy", cause));
        assert_eq!(
            error.to_string(),
            "storage unavailable",
            "no cause in the display"
        );
        assert_eq!(
            ErrorChain(&error).to_string(),
            "storage unavailable: the database is busy: disk I/O error at page 7"
        );
        assert_eq!(error.kind(), ErrorKind::Unavailable);
    }
}
