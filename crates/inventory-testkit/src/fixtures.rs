//! Small builders for test data, so tests say what matters and nothing else.

use inventory_application::{AdjustStock, ReserveStock, UseCases};
use inventory_domain::{
    AdjustmentReason, CustomerId, DomainEvent, EventId, Price, Product, ProductDetails, ProductId,
    ProductName, Quantity, Reservation, ReservationId, ReservationRequest, ReservationTtl, Sku,
    Stock, StockDelta, Store, StoreDetails, StoreId, StoreName,
};
use inventory_ports::{NewEvent, RequestContext};
use time::OffsetDateTime;
use time::macros::datetime;

/// A fixed instant tests start from.
pub const T0: OffsetDateTime = datetime!(2025-10-26 17:00 UTC);

/// A product id from a small number.
pub fn product_id(n: u128) -> ProductId {
    ProductId::from_uuid(uuid::Uuid::from_u128(n))
}

/// A reservation id from a small number.
pub fn reservation_id(n: u128) -> ReservationId {
    ReservationId::from_uuid(uuid::Uuid::from_u128(n))
}

/// A store code.
///
/// # Panics
/// When `code` is not a valid store code.
pub fn store_id(code: &str) -> StoreId {
    StoreId::parse(code).expect("a valid store code")
}

/// Product details with this SKU and otherwise plain values.
///
/// # Panics
/// When `sku` is not a valid SKU.
pub fn details(sku: &str) -> ProductDetails {
    ProductDetails {
        sku: Sku::parse(sku).expect("a valid SKU"),
        name: ProductName::parse(&format!("Product {sku}")).expect("a valid name"),
        description: None,
        category: None,
        price: Price::from_cents(1999).expect("a valid price"),
    }
}

/// A product with id `n` and this SKU, created at [`T0`].
pub fn product(n: u128, sku: &str) -> Product {
    Product::create(product_id(n), details(sku), T0).0
}

/// An active store with this code, created at [`T0`].
pub fn store(code: &str) -> Store {
    Store::create(
        store_id(code),
        StoreDetails {
            name: StoreName::parse(&format!("Store {code}")).expect("a valid name"),
            address: None,
            city: None,
            country: None,
            phone: None,
            email: None,
            active: true,
        },
        T0,
    )
    .0
}

/// A stock record holding `quantity` units, opened at [`T0`] (version 1), with its
/// `stock.created` event.
///
/// # Panics
/// When `quantity` is not a valid first delta.
pub fn open_stock(product: ProductId, store: &str, quantity: i64) -> (Stock, DomainEvent) {
    Stock::open(
        product,
        store_id(store),
        StockDelta::new(quantity).expect("a positive quantity"),
        AdjustmentReason::Restock,
        None,
        T0,
    )
    .expect("opening stock")
}

/// Places reservation `id` of `units` on `stock` at `now` with a `ttl_seconds` time to live,
/// for customer `cust-<id>`; returns it with its `reservation.created` event.
///
/// # Panics
/// When the stock cannot hold the units.
pub fn place(
    id: u128,
    stock: &mut Stock,
    units: i64,
    ttl_seconds: i64,
    now: OffsetDateTime,
) -> (Reservation, DomainEvent) {
    Reservation::place(
        stock,
        ReservationRequest {
            id: reservation_id(id),
            customer_id: CustomerId::parse(&format!("cust-{id}")).expect("a valid customer"),
            quantity: Quantity::new(units).expect("a valid quantity"),
            ttl: ReservationTtl::from_seconds(ttl_seconds).expect("a valid ttl"),
            cart_id: None,
        },
        now,
    )
    .expect("placing a reservation")
}

/// The outbox record of `change`: a fresh event id, at [`T0`], no request id.
///
/// # Panics
/// When the change cannot be encoded (a bug).
pub fn new_event(change: DomainEvent) -> NewEvent {
    NewEvent::new(change, EventId::from_uuid(uuid::Uuid::new_v4()), T0, None)
        .expect("an event encodes")
}

/// A delta command: RESTOCK when `units` is positive, SALE when negative.
///
/// # Panics
/// When `units` is zero or out of range, or `store` is not a store code.
pub fn adjust_command(product: ProductId, store: &str, units: i64) -> AdjustStock {
    AdjustStock {
        product_id: product,
        store_id: store_id(store),
        delta: StockDelta::new(units).expect("a valid delta"),
        reason: if units > 0 {
            AdjustmentReason::Restock
        } else {
            AdjustmentReason::Sale
        },
        user_id: None,
        on_behalf_of: None,
    }
}

/// A reservation command for `customer`.
///
/// # Panics
/// When a value is out of range.
pub fn reserve_command(
    product: ProductId,
    store: &str,
    customer: &str,
    units: i64,
    ttl_seconds: i64,
) -> ReserveStock {
    ReserveStock {
        product_id: product,
        store_id: store_id(store),
        customer_id: CustomerId::parse(customer).expect("a valid customer"),
        quantity: Quantity::new(units).expect("a valid quantity"),
        ttl: ReservationTtl::from_seconds(ttl_seconds).expect("a valid ttl"),
        limits: None,
    }
}

/// A product `sku`, created through `use_cases`, with `units` restocked in Madrid.
///
/// # Panics
/// When the use cases refuse (a duplicate SKU, an invalid quantity).
pub fn stocked(use_cases: &UseCases, sku: &str, units: i64) -> ProductId {
    let context = RequestContext::default();
    let product = use_cases
        .products
        .create(details(sku), &context)
        .expect("create product")
        .id;
    use_cases
        .stock
        .adjust(adjust_command(product, "MAD-001", units), &context)
        .expect("restock");
    product
}
