//! Rows to domain values. Stored text goes back through the domain's constructors, so a
//! corrupt row is reported as such instead of producing an invalid value.

use inventory_domain::{
    Address, CartId, CartRecord, Category, City, Country, CustomerId, Description, Email, Phone,
    Price, Product, ProductDetails, ProductId, ProductName, Quantity, Reservation, ReservationId,
    ReservationRecord, ReservationStatus, Sku, Stock, Store, StoreDetails, StoreId, StoreName,
    Transfer, TransferId, TransferRecord, UserId,
};
use inventory_ports::{InventoryError, RecordedEvent, StoredResponse};
use rusqlite::Row;

use crate::errors::OrInventory;
use crate::timestamp;

/// Column list matching [`product`].
pub(crate) const PRODUCT_COLUMNS: &str =
    "id, sku, name, description, category, price_cents, created_at, updated_at";

pub(crate) fn product(row: &Row<'_>) -> Result<Product, InventoryError> {
    const TABLE: &str = "products";
    let text = |i: usize| row.get::<_, String>(i).or_inventory();
    let optional = |i: usize| row.get::<_, Option<String>>(i).or_inventory();
    Ok(Product {
        id: ProductId::parse(&text(0)?).map_err(InventoryError::corrupt_in(TABLE))?,
        details: ProductDetails {
            sku: Sku::parse(&text(1)?).map_err(InventoryError::corrupt_in(TABLE))?,
            name: ProductName::parse(&text(2)?).map_err(InventoryError::corrupt_in(TABLE))?,
            description: Description::parse_optional(optional(3)?.as_deref())
                .map_err(InventoryError::corrupt_in(TABLE))?,
            category: Category::parse_optional(optional(4)?.as_deref())
                .map_err(InventoryError::corrupt_in(TABLE))?,
            price: Price::from_cents(row.get(5).or_inventory()?)
                .map_err(InventoryError::corrupt_in(TABLE))?,
        },
        created_at: timestamp::parse(&text(6)?).map_err(InventoryError::corrupt_in(TABLE))?,
        updated_at: timestamp::parse(&text(7)?).map_err(InventoryError::corrupt_in(TABLE))?,
    })
}

/// Column list matching [`store`].
pub(crate) const STORE_COLUMNS: &str =
    "id, name, address, city, country, phone, email, active, created_at, updated_at";

pub(crate) fn store(row: &Row<'_>) -> Result<Store, InventoryError> {
    const TABLE: &str = "stores";
    let text = |i: usize| row.get::<_, String>(i).or_inventory();
    let optional = |i: usize| row.get::<_, Option<String>>(i).or_inventory();
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
            active: row.get(7).or_inventory()?,
        },
        created_at: timestamp::parse(&text(8)?).map_err(InventoryError::corrupt_in(TABLE))?,
        updated_at: timestamp::parse(&text(9)?).map_err(InventoryError::corrupt_in(TABLE))?,
    })
}

/// Column list matching [`stock`].
pub(crate) const STOCK_COLUMNS: &str =
    "product_id, store_id, quantity, reserved, version, updated_at";

pub(crate) fn stock(row: &Row<'_>) -> Result<Stock, InventoryError> {
    const TABLE: &str = "stock";
    let version: i64 = row.get(4).or_inventory()?;
    Stock::restore(
        ProductId::parse(&row.get::<_, String>(0).or_inventory()?)
            .map_err(InventoryError::corrupt_in(TABLE))?,
        StoreId::parse(&row.get::<_, String>(1).or_inventory()?)
            .map_err(InventoryError::corrupt_in(TABLE))?,
        row.get(2).or_inventory()?,
        row.get(3).or_inventory()?,
        u64::try_from(version).map_err(InventoryError::corrupt_in(TABLE))?,
        timestamp::parse(&row.get::<_, String>(5).or_inventory()?)
            .map_err(InventoryError::corrupt_in(TABLE))?,
    )
    .map_err(InventoryError::corrupt_in(TABLE))
}

/// Column list matching [`reservation`].
pub(crate) const RESERVATION_COLUMNS: &str = "id, product_id, store_id, customer_id, quantity, \
     status, expires_at, created_at, updated_at, cart_id";

pub(crate) fn reservation(row: &Row<'_>) -> Result<Reservation, InventoryError> {
    const TABLE: &str = "reservations";
    let text = |i: usize| row.get::<_, String>(i).or_inventory();
    Reservation::restore(ReservationRecord {
        id: ReservationId::parse(&text(0)?).map_err(InventoryError::corrupt_in(TABLE))?,
        product_id: ProductId::parse(&text(1)?).map_err(InventoryError::corrupt_in(TABLE))?,
        store_id: StoreId::parse(&text(2)?).map_err(InventoryError::corrupt_in(TABLE))?,
        customer_id: CustomerId::parse(&text(3)?).map_err(InventoryError::corrupt_in(TABLE))?,
        quantity: Quantity::new(row.get(4).or_inventory()?)
            .map_err(InventoryError::corrupt_in(TABLE))?,
        status: text(5)?
            .parse::<ReservationStatus>()
            .map_err(InventoryError::corrupt_in(TABLE))?,
        expires_at: timestamp::parse(&text(6)?).map_err(InventoryError::corrupt_in(TABLE))?,
        created_at: timestamp::parse(&text(7)?).map_err(InventoryError::corrupt_in(TABLE))?,
        updated_at: timestamp::parse(&text(8)?).map_err(InventoryError::corrupt_in(TABLE))?,
        cart_id: row
            .get::<_, Option<String>>(9)
            .or_inventory()?
            .map(|id| CartId::parse(&id))
            .transpose()
            .map_err(InventoryError::corrupt_in(TABLE))?,
    })
    .map_err(InventoryError::corrupt_in(TABLE))
}

/// Column list matching [`transfer`].
pub(crate) const TRANSFER_COLUMNS: &str = "id, product_id, from_store_id, to_store_id, quantity, \
     mode, status, created_by, created_at, updated_at";

pub(crate) fn transfer(row: &Row<'_>) -> Result<Transfer, InventoryError> {
    const TABLE: &str = "transfers";
    let text = |i: usize| row.get::<_, String>(i).or_inventory();
    Transfer::restore(TransferRecord {
        id: TransferId::parse(&text(0)?).map_err(InventoryError::corrupt_in(TABLE))?,
        product_id: ProductId::parse(&text(1)?).map_err(InventoryError::corrupt_in(TABLE))?,
        from_store: StoreId::parse(&text(2)?).map_err(InventoryError::corrupt_in(TABLE))?,
        to_store: StoreId::parse(&text(3)?).map_err(InventoryError::corrupt_in(TABLE))?,
        quantity: Quantity::new(row.get(4).or_inventory()?)
            .map_err(InventoryError::corrupt_in(TABLE))?,
        mode: text(5)?
            .parse()
            .map_err(InventoryError::corrupt_in(TABLE))?,
        status: text(6)?
            .parse()
            .map_err(InventoryError::corrupt_in(TABLE))?,
        created_by: row
            .get::<_, Option<String>>(7)
            .or_inventory()?
            .map(|id| UserId::parse(&id))
            .transpose()
            .map_err(InventoryError::corrupt_in(TABLE))?,
        created_at: timestamp::parse(&text(8)?).map_err(InventoryError::corrupt_in(TABLE))?,
        updated_at: timestamp::parse(&text(9)?).map_err(InventoryError::corrupt_in(TABLE))?,
    })
    .map_err(InventoryError::corrupt_in(TABLE))
}

/// Column list matching [`cart_row`].
pub(crate) const CART_COLUMNS: &str = "id, customer_id, status, expires_at, created_at, updated_at";

/// A cart row, without its lines.
pub(crate) fn cart_row(row: &Row<'_>) -> Result<CartRecord, InventoryError> {
    const TABLE: &str = "carts";
    let text = |i: usize| row.get::<_, String>(i).or_inventory();
    Ok(CartRecord {
        id: CartId::parse(&text(0)?).map_err(InventoryError::corrupt_in(TABLE))?,
        customer_id: CustomerId::parse(&text(1)?).map_err(InventoryError::corrupt_in(TABLE))?,
        status: text(2)?
            .parse::<ReservationStatus>()
            .map_err(InventoryError::corrupt_in(TABLE))?,
        expires_at: timestamp::parse(&text(3)?).map_err(InventoryError::corrupt_in(TABLE))?,
        created_at: timestamp::parse(&text(4)?).map_err(InventoryError::corrupt_in(TABLE))?,
        updated_at: timestamp::parse(&text(5)?).map_err(InventoryError::corrupt_in(TABLE))?,
        lines: Vec::new(),
    })
}

/// Column list matching [`event`].
pub(crate) const EVENT_COLUMNS: &str = "seq, event_id, event_type, schema_version, \
     aggregate_type, aggregate_id, store_id, product_id, payload, occurred_at, request_id";

pub(crate) fn event(row: &Row<'_>) -> Result<RecordedEvent, InventoryError> {
    const TABLE: &str = "events";
    let text = |i: usize| row.get::<_, String>(i).or_inventory();
    let seq: i64 = row.get(0).or_inventory()?;
    Ok(RecordedEvent {
        seq: u64::try_from(seq).map_err(InventoryError::corrupt_in(TABLE))?,
        event_id: inventory_domain::EventId::parse(&text(1)?)
            .map_err(InventoryError::corrupt_in(TABLE))?,
        event_type: text(2)?,
        schema_version: row.get(3).or_inventory()?,
        aggregate_type: text(4)?,
        aggregate_id: text(5)?,
        store_id: row.get(6).or_inventory()?,
        product_id: row.get(7).or_inventory()?,
        payload: text(8)?,
        occurred_at: timestamp::parse(&text(9)?).map_err(InventoryError::corrupt_in(TABLE))?,
        request_id: row.get(10).or_inventory()?,
    })
}

/// A row of `idempotency_keys`: `fingerprint, status, body, created_at`.
pub(crate) fn stored_response(row: &Row<'_>) -> Result<StoredResponse, InventoryError> {
    const TABLE: &str = "idempotency_keys";
    Ok(StoredResponse {
        fingerprint: row.get(0).or_inventory()?,
        status: row.get(1).or_inventory()?,
        body: row.get(2).or_inventory()?,
        created_at: timestamp::parse(&row.get::<_, String>(3).or_inventory()?)
            .map_err(InventoryError::corrupt_in(TABLE))?,
    })
}
