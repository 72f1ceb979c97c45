//! The payloads, version 1: plain data in the shape consumers code against.
//!
//! | event types | payload |
//! |---|---|
//! | `product.*` | [`ProductPayload`]: `{"product": {...}}` |
//! | `store.*` | [`StorePayload`]: `{"store": {...}}` |
//! | `stock.*` | [`StockPayload`]: `{"stock": {...}, "change": {"kind": "adjustment" \| "count", ...}}` |
//! | `stock.low`, `stock.replenished` | [`LowStockPayload`]: `{"stock": {...}, "threshold": 5}` |
//! | `reservation.*` | [`ReservationPayload`]: `{"reservation": {...}, "stock": {...}}`, the stock after the change |
//! | `transfer.*` | [`TransferPayload`]: `{"transfer": {...}}`; the stores' own `stock.*` events (TRANSFER_OUT, TRANSFER_IN) come just before |
//! | `cart.*` | [`CartPayload`]: `{"cart": {..., "lines": [reservation, ...]}}`; each line's own `reservation.*` event, with its stock, comes just before |
//!
//! The types hold strings and numbers rather than the domain's validated values: a consumer
//! in another service reads them without the domain crate, and the encoder is the only writer.

use inventory_domain::{
    Cart, LowStockAlert, Product, Reservation, Stock, StockChange, Store, Transfer,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[cfg(feature = "schema")]
use utoipa::ToSchema;

/// A product as events show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(ToSchema))]
pub struct ProductState {
    /// Product id (UUID).
    pub id: String,
    /// SKU, upper-case.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Price in euro, exact decimal text (`"899.99"`).
    pub price: String,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A store as events show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(ToSchema))]
pub struct StoreState {
    /// Store code (`MAD-001`).
    pub id: String,
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
    /// Contact email.
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

/// A stock level after a change, with `available` spelled out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(ToSchema))]
pub struct StockState {
    /// Product id.
    pub product_id: String,
    /// Store code.
    pub store_id: String,
    /// Units in the store.
    pub quantity: u32,
    /// Units held by pending reservations.
    pub reserved: u32,
    /// `quantity - reserved`.
    pub available: u32,
    /// The stock's version after the change.
    pub version: u64,
    /// When it changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// What moved a stock level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StockChangeState {
    /// A delta (`POST /stock`).
    Adjustment {
        /// The signed change.
        quantity_change: i64,
        /// RESTOCK, SALE, RETURN...
        reason: String,
        /// Who moved it (the authenticated user), when known.
        user_id: Option<String>,
        /// For whom an operator moved it; absent when nobody.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        on_behalf_of: Option<String>,
    },
    /// A physical count (`PUT /stock/...`).
    Count {
        /// The quantity before the count.
        previous_quantity: u32,
        /// Who counted (the authenticated user), when known.
        user_id: Option<String>,
        /// For whom an operator recorded the count; absent when nobody.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        on_behalf_of: Option<String>,
    },
    /// The reconciliation check set the reserved units to what pending reservations hold.
    Repair {
        /// The reserved units before the repair.
        previous_reserved: u32,
        /// Who ran the repair, when known.
        user_id: Option<String>,
    },
}

/// A reservation as events show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(ToSchema))]
pub struct ReservationState {
    /// Reservation id.
    pub id: String,
    /// Product id.
    pub product_id: String,
    /// Store code.
    pub store_id: String,
    /// Who reserved.
    pub customer_id: String,
    /// Units held.
    pub quantity: u32,
    /// PENDING, CONFIRMED, CANCELLED or EXPIRED.
    pub status: String,
    /// When it stops (or stopped) holding units.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// The cart it is a line of; absent for a reservation on its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cart_id: Option<String>,
}

/// A cart as events show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(ToSchema))]
pub struct CartState {
    /// Cart id.
    pub id: String,
    /// Who reserved.
    pub customer_id: String,
    /// PENDING, CONFIRMED, CANCELLED or EXPIRED.
    pub status: String,
    /// When it stops (or stopped) holding units.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Its lines: one reservation per product and store.
    pub lines: Vec<ReservationState>,
}

/// A transfer as events show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(ToSchema))]
pub struct TransferState {
    /// Transfer id.
    pub id: String,
    /// Product id.
    pub product_id: String,
    /// The store the units left.
    pub from_store_id: String,
    /// The store they go to.
    pub to_store_id: String,
    /// Units moved.
    pub quantity: u32,
    /// IMMEDIATE or SHIPPED.
    pub mode: String,
    /// IN_TRANSIT, RECEIVED or CANCELLED.
    pub status: String,
    /// Who sent them, when known.
    pub created_by: Option<String>,
    /// When they were sent.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// Payload of `transfer.completed`, `.shipped`, `.received`, `.cancelled`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(ToSchema))]
pub struct TransferPayload {
    /// The transfer after the change.
    pub transfer: TransferState,
}

/// Payload of `cart.created`, `.confirmed`, `.cancelled`, `.expired`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(ToSchema))]
pub struct CartPayload {
    /// The cart after the change, with its lines.
    pub cart: CartState,
}

/// Payload of `product.created`, `product.updated`, `product.deleted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(ToSchema))]
pub struct ProductPayload {
    /// The product after the change (as it was, for a deletion).
    pub product: ProductState,
}

/// Payload of `store.created`, `store.updated`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(ToSchema))]
pub struct StorePayload {
    /// The store after the change.
    pub store: StoreState,
}

/// Payload of `stock.created`, `stock.updated`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(ToSchema))]
pub struct StockPayload {
    /// The stock after the change.
    pub stock: StockState,
    /// What moved it.
    pub change: StockChangeState,
}

/// Payload of `stock.low` and `stock.replenished`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(ToSchema))]
pub struct LowStockPayload {
    /// The stock after the change that crossed the threshold.
    pub stock: StockState,
    /// The threshold in force: the pair is low at or below it.
    pub threshold: u32,
}

impl From<&LowStockAlert> for LowStockPayload {
    fn from(alert: &LowStockAlert) -> Self {
        Self {
            stock: StockState::from(&alert.stock),
            threshold: alert.threshold,
        }
    }
}

/// Payload of `reservation.created`, `.confirmed`, `.cancelled`, `.expired`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(ToSchema))]
pub struct ReservationPayload {
    /// The reservation after the change.
    pub reservation: ReservationState,
    /// Its stock after the change.
    pub stock: StockState,
}

/// A decoded payload, by aggregate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventPayload {
    /// `product.*`
    Product(ProductPayload),
    /// `store.*`
    Store(StorePayload),
    /// `stock.created`, `stock.updated`
    Stock(StockPayload),
    /// `stock.low`, `stock.replenished`
    LowStock(LowStockPayload),
    /// `reservation.*`
    Reservation(ReservationPayload),
    /// `cart.*`
    Cart(CartPayload),
    /// `transfer.*`
    Transfer(TransferPayload),
}

impl EventPayload {
    /// The stock after the change, for events that moved stock (what availability follows).
    pub fn stock(&self) -> Option<&StockState> {
        match self {
            Self::Stock(payload) => Some(&payload.stock),
            Self::LowStock(payload) => Some(&payload.stock),
            Self::Reservation(payload) => Some(&payload.stock),
            Self::Product(_) | Self::Store(_) | Self::Cart(_) | Self::Transfer(_) => None,
        }
    }
}

impl From<&Product> for ProductState {
    fn from(product: &Product) -> Self {
        let details = &product.details;
        Self {
            id: product.id.to_string(),
            sku: details.sku.to_string(),
            name: details.name.to_string(),
            description: details.description.as_ref().map(ToString::to_string),
            category: details.category.as_ref().map(ToString::to_string),
            price: details.price.to_string(),
            created_at: product.created_at,
            updated_at: product.updated_at,
        }
    }
}

impl From<&Store> for StoreState {
    fn from(store: &Store) -> Self {
        let details = &store.details;
        Self {
            id: store.id.to_string(),
            name: details.name.to_string(),
            address: details.address.as_ref().map(ToString::to_string),
            city: details.city.as_ref().map(ToString::to_string),
            country: details.country.as_ref().map(ToString::to_string),
            phone: details.phone.as_ref().map(ToString::to_string),
            email: details
                .email
                .as_ref()
                .map(|email| email.as_str().to_owned()),
            active: details.active,
            created_at: store.created_at,
            updated_at: store.updated_at,
        }
    }
}

impl From<&Stock> for StockState {
    fn from(stock: &Stock) -> Self {
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

impl From<&StockChange> for StockChangeState {
    fn from(change: &StockChange) -> Self {
        match change {
            StockChange::Adjustment {
                quantity_change,
                reason,
                user_id,
                on_behalf_of,
            } => Self::Adjustment {
                quantity_change: *quantity_change,
                reason: reason.as_str().to_owned(),
                user_id: user_id.as_ref().map(ToString::to_string),
                on_behalf_of: on_behalf_of.as_ref().map(ToString::to_string),
            },
            StockChange::Count {
                previous_quantity,
                user_id,
                on_behalf_of,
            } => Self::Count {
                previous_quantity: *previous_quantity,
                user_id: user_id.as_ref().map(ToString::to_string),
                on_behalf_of: on_behalf_of.as_ref().map(ToString::to_string),
            },
            StockChange::Repair {
                previous_reserved,
                user_id,
            } => Self::Repair {
                previous_reserved: *previous_reserved,
                user_id: user_id.as_ref().map(ToString::to_string),
            },
        }
    }
}

impl From<&Reservation> for ReservationState {
    fn from(reservation: &Reservation) -> Self {
        Self {
            id: reservation.id().to_string(),
            product_id: reservation.product_id().to_string(),
            store_id: reservation.store_id().to_string(),
            customer_id: reservation.customer_id().to_string(),
            quantity: reservation.quantity().get(),
            status: reservation.status().as_str().to_owned(),
            expires_at: reservation.expires_at(),
            created_at: reservation.created_at(),
            updated_at: reservation.updated_at(),
            cart_id: reservation.cart_id().map(|id| id.to_string()),
        }
    }
}

impl From<&Transfer> for TransferState {
    fn from(transfer: &Transfer) -> Self {
        Self {
            id: transfer.id().to_string(),
            product_id: transfer.product_id().to_string(),
            from_store_id: transfer.from_store().to_string(),
            to_store_id: transfer.to_store().to_string(),
            quantity: transfer.quantity().get(),
            mode: transfer.mode().as_str().to_owned(),
            status: transfer.status().as_str().to_owned(),
            created_by: transfer.created_by().map(ToString::to_string),
            created_at: transfer.created_at(),
            updated_at: transfer.updated_at(),
        }
    }
}

impl From<&Cart> for CartState {
    fn from(cart: &Cart) -> Self {
        Self {
            id: cart.id().to_string(),
            customer_id: cart.customer_id().to_string(),
            status: cart.status().as_str().to_owned(),
            expires_at: cart.expires_at(),
            created_at: cart.created_at(),
            updated_at: cart.updated_at(),
            lines: cart.lines().iter().map(ReservationState::from).collect(),
        }
    }
}
