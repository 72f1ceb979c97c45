//! # inventory-domain
//!
//! The rules of the inventory, with no IO: what a product, a store, a stock level and a
//! reservation are, which changes are allowed, and which events each change produces.
//!
//! Everything else in the workspace stands on this crate and nothing here knows about SQLite,
//! Redis, HTTP or async runtimes; that is what lets the rules be property-tested on their own.
//!
//! ## Layout
//!
//! - Values that cannot be invalid: [`identifiers`](StoreId) (`StoreId`, `Sku`, `ProductId`...),
//!   [`Quantity`], [`StockDelta`], [`StockCount`], [`Price`], [`ReservationTtl`] and the
//!   text labels ([`ProductName`]...). Each has a fallible constructor returning a
//!   [`ValidationError`] that names the field.
//! - Aggregates with their rules: [`Product`], [`Store`], [`Stock`] (adjust, count) and
//!   [`Reservation`] (place, confirm, cancel, expire). Each rule method returns the
//!   [`DomainEvent`] it produced, or an error and no change.
//!
//! ## The invariants
//!
//! - `0 <= reserved <= quantity <= MAX_STOCK_LEVEL` for every [`Stock`]; its fields are private
//!   and every method re-checks the invariant in debug builds.
//! - A [`Reservation`] resolves once: PENDING becomes CONFIRMED, CANCELLED or EXPIRED and then
//!   never changes. One past its `expires_at` cannot be confirmed or cancelled.
//!
//! ```
//! use inventory_domain::*;
//! use time::macros::datetime;
//!
//! let now = datetime!(2025-10-26 17:20 UTC);
//! let product = ProductId::parse("0192f0c1-7c4e-7b35-9f1e-6d1c6b8a9e01")?;
//! let store = StoreId::parse("BCN-001")?;
//! let (mut stock, _created) = Stock::open(
//!     product, store, StockDelta::new(15)?, AdjustmentReason::Restock, None, now,
//! )?;
//! let request = ReservationRequest {
//!     id: ReservationId::parse("0192f0c1-7c4e-7b35-9f1e-6d1c6b8a9e02")?,
//!     customer_id: CustomerId::parse("cust-456")?,
//!     quantity: Quantity::new(2)?,
//!     ttl: ReservationTtl::default(),
//!     cart_id: None,
//! };
//! let (mut reservation, _event) = Reservation::place(&mut stock, request, now)?;
//! assert_eq!(stock.available(), 13);
//! reservation.confirm(&mut stock, now)?;
//! assert_eq!((stock.quantity(), stock.reserved()), (13, 0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod adjustment_reason;
mod cart;
mod error;
mod event;
mod hold_limits;
mod identifiers;
mod invariant;
mod labels;
mod low_stock;
mod movement;
mod price;
mod product;
mod quantity;
mod reservation;
mod search;
mod stock;
mod store;
mod text;
mod transfer;
pub use text::hidden_character_class;
mod ttl;

pub use adjustment_reason::AdjustmentReason;
pub use cart::{
    Cart, CartError, CartLine, CartRecord, CartRequest, MAX_CART_LINES, Shortfall, merge_lines,
};
pub use error::ValidationError;
pub use event::DomainEvent;
pub use hold_limits::{Allowance, CustomerHolds, HoldLimitError, HoldLimits, HoldScope, Holds};
pub use identifiers::{
    CartId, CustomerId, EventId, ProductId, ReservationId, Sku, StoreId, TransferId, UserId,
};
pub use invariant::InvariantViolation;
pub use labels::{
    Address, Category, City, Country, Description, Email, Phone, ProductName, StoreName,
};
pub use low_stock::{LowStockAlert, LowStockThreshold, ThresholdScope, alert_for};
pub use movement::{
    MovementReason, MovementReference, ReferenceKind, StockMovement, UnknownMovementReason,
};
pub use price::{MAX_PRICE_CENTS, Price};
pub use product::{Product, ProductDetails};
pub use quantity::{MAX_STOCK_LEVEL, MAX_UNITS_PER_OPERATION, Quantity, StockCount, StockDelta};
pub use reservation::{
    Reservation, ReservationError, ReservationRecord, ReservationRequest, ReservationStatus,
};
pub use search::fold_for_search;
pub use stock::{ChangedBy, Stock, StockChange, StockError};
pub use store::{Store, StoreDetails};
pub use transfer::{
    Transfer, TransferError, TransferMode, TransferRecord, TransferRequest, TransferStatus,
};
pub use ttl::ReservationTtl;

/// Re-exported so callers can name the timestamp type without adding `time` themselves.
pub use time::OffsetDateTime;
