//! Rows to domain values. Stored values go back through the domain's constructors, so a
//! corrupt row is reported as such instead of producing an invalid value.

use inventory_domain::{
    Address, CartId, CartRecord, Category, City, Country, CustomerId, Description, Email, EventId,
    Phone, Price, Product, ProductDetails, ProductId, ProductName, Quantity, Reservation,
    ReservationId, ReservationRecord, ReservationStatus, Sku, Stock, Store, StoreDetails, StoreId,
    StoreName, Transfer, TransferId, TransferRecord, UserId,
};
use inventory_ports::{InventoryError, RecordedEvent, StoreStock, StoredResponse};
use postgres::Row;
use postgres::types::FromSql;

use crate::errors::OrInventory;

fn get<'r, T: FromSql<'r>>(row: &'r Row, index: usize) -> Result<T, InventoryError> {
    row.try_get(index).or_inventory()
}

/// Column list matching [`product`].
pub(crate) const PRODUCT_COLUMNS: &str =
    "id, sku, name, description, category, price_cents, created_at, updated_at";

pub(crate) fn product(row: &Row) -> Result<Product, InventoryError> {
    const TABLE: &str = "products";
    let text = |i: usize| get::<String>(row, i);
    let optional = |i: usize| get::<Option<String>>(row, i);
    Ok(Product {
        id: ProductId::from_uuid(get(row, 0)?),
        details: ProductDetails {
            sku: Sku::parse(&text(1)?).map_err(InventoryError::corrupt_in(TABLE))?,
            name: ProductName::parse(&text(2)?).map_err(InventoryError::corrupt_in(TABLE))?,
            description: Description::parse_optional(optional(3)?.as_deref())
                .map_err(InventoryError::corrupt_in(TABLE))?,
            category: Category::parse_optional(optional(4)?.as_deref())
                .map_err(InventoryError::corrupt_in(TABLE))?,
            price: Price::from_cents(get(row, 5)?).map_err(InventoryError::corrupt_in(TABLE))?,
        },
        created_at: get(row, 6)?,
        updated_at: get(row, 7)?,
    })
}

/// Column list matching [`store`].
pub(crate) const STORE_COLUMNS: &str =
    "id, name, address, city, country, phone, email, active, created_at, updated_at";

pub(crate) fn store(row: &Row) -> Result<Store, InventoryError> {
    const TABLE: &str = "stores";
    let text = |i: usize| get::<String>(row, i);
    let optional = |i: usize| get::<Option<String>>(row, i);
    Ok(Store {
        id: StoreId::parse(&text(0)?).map_err(InventoryError::corrupt_in(TABLE))?,
        details: StoreDetails {
            name: StoreName::parse(&text(1)?).map_err(InventoryError::corrupt_in(TABLE))?,
            address: Address::parse_optional(optional(2)?.as_deref())
                .map_err(InventoryError::corrupt_in(TABLE))?,
            city: City::parse_optional(optional(3)?.as_deref())
                .map_err(InventoryError::corrupt_in(TABLE))?,
            country: Country::parse_optional(optional(4)?.as_deref())
                .map_err(InventoryError::corrupt_in(TABLE))?,
            phone: Phone::parse_optional(optional(5)?.as_deref())
                .map_err(InventoryError::corrupt_in(TABLE))?,
            email: Email::parse_optional(optional(6)?.as_deref())
                .map_err(InventoryError::corrupt_in(TABLE))?,
            active: get(row, 7)?,
        },
        created_at: get(row, 8)?,
        updated_at: get(row, 9)?,
    })
}

/// Column list matching [`stock`].
pub(crate) const STOCK_COLUMNS: &str =
    "product_id, store_id, quantity, reserved, version, updated_at";

pub(crate) fn stock(row: &Row) -> Result<Stock, InventoryError> {
    const TABLE: &str = "stock";
    let count = |i: usize| -> Result<u32, InventoryError> {
        u32::try_from(get::<i32>(row, i)?).map_err(InventoryError::corrupt_in(TABLE))
    };
    Stock::restore(
        ProductId::from_uuid(get(row, 0)?),
        StoreId::parse(&get::<String>(row, 1)?).map_err(InventoryError::corrupt_in(TABLE))?,
        count(2)?,
        count(3)?,
        u64::try_from(get::<i64>(row, 4)?).map_err(InventoryError::corrupt_in(TABLE))?,
        get(row, 5)?,
    )
    .map_err(InventoryError::corrupt_in(TABLE))
}

/// Column list matching [`reservation`].
pub(crate) const RESERVATION_COLUMNS: &str = "id, product_id, store_id, customer_id, quantity, \
     status, expires_at, created_at, updated_at, cart_id";

pub(crate) fn reservation(row: &Row) -> Result<Reservation, InventoryError> {
    const TABLE: &str = "reservations";
    let text = |i: usize| get::<String>(row, i);
    Reservation::restore(ReservationRecord {
        id: ReservationId::from_uuid(get(row, 0)?),
        product_id: ProductId::from_uuid(get(row, 1)?),
        store_id: StoreId::parse(&text(2)?).map_err(InventoryError::corrupt_in(TABLE))?,
        customer_id: CustomerId::parse(&text(3)?).map_err(InventoryError::corrupt_in(TABLE))?,
        quantity: Quantity::new(i64::from(get::<i32>(row, 4)?))
            .map_err(InventoryError::corrupt_in(TABLE))?,
        status: text(5)?
            .parse::<ReservationStatus>()
            .map_err(InventoryError::corrupt_in(TABLE))?,
        expires_at: get(row, 6)?,
        created_at: get(row, 7)?,
        updated_at: get(row, 8)?,
        cart_id: get::<Option<uuid::Uuid>>(row, 9)?.map(CartId::from_uuid),
    })
    .map_err(InventoryError::corrupt_in(TABLE))
}

/// Column list matching [`cart_row`].
pub(crate) const CART_COLUMNS: &str = "id, customer_id, status, expires_at, created_at, updated_at";

/// A cart row, without its lines.
pub(crate) fn cart_row(row: &Row) -> Result<CartRecord, InventoryError> {
    const TABLE: &str = "carts";
    Ok(CartRecord {
        id: CartId::from_uuid(get(row, 0)?),
        customer_id: CustomerId::parse(&get::<String>(row, 1)?)
            .map_err(InventoryError::corrupt_in(TABLE))?,
        status: get::<String>(row, 2)?
            .parse::<ReservationStatus>()
            .map_err(InventoryError::corrupt_in(TABLE))?,
        expires_at: get(row, 3)?,
        created_at: get(row, 4)?,
        updated_at: get(row, 5)?,
        lines: Vec::new(),
    })
}

/// One line of availability: store id, name, quantity, reserved.
pub(crate) fn store_stock(row: &Row) -> Result<StoreStock, InventoryError> {
    const TABLE: &str = "stores";
    let count = |i: usize| -> Result<u32, InventoryError> {
        u32::try_from(get::<i32>(row, i)?).map_err(InventoryError::corrupt_in(TABLE))
    };
    Ok(StoreStock {
        store_id: StoreId::parse(&get::<String>(row, 0)?)
            .map_err(InventoryError::corrupt_in(TABLE))?,
        store_name: StoreName::parse(&get::<String>(row, 1)?)
            .map_err(InventoryError::corrupt_in(TABLE))?,
        quantity: count(2)?,
        reserved: count(3)?,
        in_transit: u32::try_from(get::<i64>(row, 4)?)
            .map_err(InventoryError::corrupt_in(TABLE))?,
    })
}

/// Column list matching [`transfer`].
pub(crate) const TRANSFER_COLUMNS: &str = "id, product_id, from_store_id, to_store_id, quantity, \
     mode, status, created_by, created_at, updated_at";

pub(crate) fn transfer(row: &Row) -> Result<Transfer, InventoryError> {
    const TABLE: &str = "transfers";
    let text = |i: usize| get::<String>(row, i);
    Transfer::restore(TransferRecord {
        id: TransferId::from_uuid(get(row, 0)?),
        product_id: ProductId::from_uuid(get(row, 1)?),
        from_store: StoreId::parse(&text(2)?).map_err(InventoryError::corrupt_in(TABLE))?,
        to_store: StoreId::parse(&text(3)?).map_err(InventoryError::corrupt_in(TABLE))?,
        quantity: Quantity::new(i64::from(get::<i32>(row, 4)?))
            .map_err(InventoryError::corrupt_in(TABLE))?,
        mode: text(5)?
            .parse()
            .map_err(InventoryError::corrupt_in(TABLE))?,
        status: text(6)?
            .parse()
            .map_err(InventoryError::corrupt_in(TABLE))?,
        created_by: get::<Option<String>>(row, 7)?
            .map(|id| UserId::parse(&id))
            .transpose()
            .map_err(InventoryError::corrupt_in(TABLE))?,
        created_at: get(row, 8)?,
        updated_at: get(row, 9)?,
    })
    .map_err(InventoryError::corrupt_in(TABLE))
}

/// Column list matching [`event`] (the payload read back as the text it was written as).
pub(crate) const EVENT_COLUMNS: &str = "seq, event_id, event_type, schema_version, \
     aggregate_type, aggregate_id, store_id, product_id, payload::text, occurred_at, request_id";

pub(crate) fn event(row: &Row) -> Result<RecordedEvent, InventoryError> {
    const TABLE: &str = "events";
    Ok(RecordedEvent {
        seq: u64::try_from(get::<i64>(row, 0)?).map_err(InventoryError::corrupt_in(TABLE))?,
        event_id: EventId::from_uuid(get(row, 1)?),
        event_type: get(row, 2)?,
        schema_version: u32::try_from(get::<i32>(row, 3)?)
            .map_err(InventoryError::corrupt_in(TABLE))?,
        aggregate_type: get(row, 4)?,
        aggregate_id: get(row, 5)?,
        store_id: get(row, 6)?,
        product_id: get(row, 7)?,
        payload: get(row, 8)?,
        occurred_at: get(row, 9)?,
        request_id: get(row, 10)?,
    })
}

/// A row of `idempotency_keys`: `fingerprint, status, body, created_at`.
pub(crate) fn stored_response(row: &Row) -> Result<StoredResponse, InventoryError> {
    Ok(StoredResponse {
        fingerprint: get(row, 0)?,
        status: u16::try_from(get::<i32>(row, 1)?)
            .map_err(InventoryError::corrupt_in("idempotency_keys"))?,
        body: get(row, 2)?,
        created_at: get(row, 3)?,
    })
}
