//! The way back: an event's payload to the domain change it records. Every payload carries the
//! whole state after its change, so a log replayed change by change, in seq order, rebuilds
//! the state it was written from: that is how `inventory copy` moves an inventory to another
//! database with its events, their ids and their seqs unchanged. Encoding a restored change
//! gives back the very payload it came from (tested below), so nothing is lost on the way.

use inventory_domain::{
    Address, Cart, CartId, CartRecord, Category, City, Country, CustomerId, Description,
    DomainEvent, Email, LowStockAlert, Phone, Price, Product, ProductDetails, ProductId,
    ProductName, Quantity, Reservation, ReservationId, ReservationRecord, Sku, Stock, StockChange,
    Store, StoreDetails, StoreId, StoreName, Transfer, TransferId, TransferRecord, UserId,
};

use crate::payload::{
    CartState, EventPayload, LowStockPayload, ProductState, ReservationState, StockChangeState,
    StockState, StoreState, TransferState,
};
use crate::{DecodeError, EventType, decode};

/// The change an outbox record stores.
///
/// # Errors
/// [`DecodeError`] when the type or version is unknown, or the payload does not describe a
/// valid state (a field the domain refuses).
pub fn restore(
    event_type: &str,
    schema_version: u32,
    payload: &str,
) -> Result<DomainEvent, DecodeError> {
    let (kind, body) = decode(event_type, schema_version, payload)?;
    let malformed = |reason: String| DecodeError::Malformed {
        event_type: kind,
        reason,
    };
    let change = match (kind, body) {
        (EventType::ProductCreated, EventPayload::Product(p)) => {
            DomainEvent::ProductCreated(product(&p.product).map_err(malformed)?)
        }
        (EventType::ProductUpdated, EventPayload::Product(p)) => {
            DomainEvent::ProductUpdated(product(&p.product).map_err(malformed)?)
        }
        (EventType::ProductDeleted, EventPayload::Product(p)) => {
            DomainEvent::ProductDeleted(product(&p.product).map_err(malformed)?)
        }
        (EventType::StoreCreated, EventPayload::Store(p)) => {
            DomainEvent::StoreCreated(store(&p.store).map_err(malformed)?)
        }
        (EventType::StoreUpdated, EventPayload::Store(p)) => {
            DomainEvent::StoreUpdated(store(&p.store).map_err(malformed)?)
        }
        (EventType::StockCreated, EventPayload::Stock(p)) => DomainEvent::StockCreated {
            stock: stock(&p.stock).map_err(malformed)?,
            change: stock_change(&p.change).map_err(malformed)?,
        },
        (EventType::StockUpdated, EventPayload::Stock(p)) => DomainEvent::StockUpdated {
            stock: stock(&p.stock).map_err(malformed)?,
            change: stock_change(&p.change).map_err(malformed)?,
        },
        (EventType::StockLow, EventPayload::LowStock(p)) => {
            DomainEvent::StockLow(low_stock(&p).map_err(malformed)?)
        }
        (EventType::StockReplenished, EventPayload::LowStock(p)) => {
            DomainEvent::StockReplenished(low_stock(&p).map_err(malformed)?)
        }
        (kind, EventPayload::Reservation(p)) => {
            let reservation = reservation(&p.reservation).map_err(malformed)?;
            let stock = stock(&p.stock).map_err(malformed)?;
            match kind {
                EventType::ReservationCreated => {
                    DomainEvent::ReservationCreated { reservation, stock }
                }
                EventType::ReservationConfirmed => {
                    DomainEvent::ReservationConfirmed { reservation, stock }
                }
                EventType::ReservationCancelled => {
                    DomainEvent::ReservationCancelled { reservation, stock }
                }
                EventType::ReservationExpired => {
                    DomainEvent::ReservationExpired { reservation, stock }
                }
                EventType::ReservationExtended => {
                    DomainEvent::ReservationExtended { reservation, stock }
                }
                _ => return Err(malformed("a reservation payload for another type".into())),
            }
        }
        (kind, EventPayload::Cart(p)) => {
            let cart = cart(&p.cart).map_err(malformed)?;
            match kind {
                EventType::CartCreated => DomainEvent::CartCreated(cart),
                EventType::CartConfirmed => DomainEvent::CartConfirmed(cart),
                EventType::CartCancelled => DomainEvent::CartCancelled(cart),
                EventType::CartExpired => DomainEvent::CartExpired(cart),
                _ => return Err(malformed("a cart payload for another type".into())),
            }
        }
        (kind, EventPayload::Transfer(p)) => {
            let transfer = transfer(&p.transfer).map_err(malformed)?;
            match kind {
                EventType::TransferCompleted => DomainEvent::TransferCompleted(transfer),
                EventType::TransferShipped => DomainEvent::TransferShipped(transfer),
                EventType::TransferReceived => DomainEvent::TransferReceived(transfer),
                EventType::TransferCancelled => DomainEvent::TransferCancelled(transfer),
                _ => return Err(malformed("a transfer payload for another type".into())),
            }
        }
        _ => return Err(malformed("the payload does not fit the type".into())),
    };
    Ok(change)
}

fn text<T, E: std::fmt::Display>(parsed: Result<T, E>) -> Result<T, String> {
    parsed.map_err(|error| error.to_string())
}

fn product(state: &ProductState) -> Result<Product, String> {
    Ok(Product {
        id: text(ProductId::parse(&state.id))?,
        details: ProductDetails {
            sku: text(Sku::parse(&state.sku))?,
            name: text(ProductName::parse(&state.name))?,
            description: text(Description::parse_optional(state.description.as_deref()))?,
            category: text(Category::parse_optional(state.category.as_deref()))?,
            price: text(Price::parse(&state.price))?,
        },
        created_at: state.created_at,
        updated_at: state.updated_at,
    })
}

fn store(state: &StoreState) -> Result<Store, String> {
    Ok(Store {
        id: text(StoreId::parse(&state.id))?,
        details: StoreDetails {
            name: text(StoreName::parse(&state.name))?,
            address: text(Address::parse_optional(state.address.as_deref()))?,
            city: text(City::parse_optional(state.city.as_deref()))?,
            country: text(Country::parse_optional(state.country.as_deref()))?,
            phone: text(Phone::parse_optional(state.phone.as_deref()))?,
            email: text(Email::parse_optional(state.email.as_deref()))?,
            active: state.active,
        },
        created_at: state.created_at,
        updated_at: state.updated_at,
    })
}

fn stock(state: &StockState) -> Result<Stock, String> {
    text(Stock::restore(
        text(ProductId::parse(&state.product_id))?,
        text(StoreId::parse(&state.store_id))?,
        state.quantity,
        state.reserved,
        state.version,
        state.updated_at,
    ))
}

fn stock_change(state: &StockChangeState) -> Result<StockChange, String> {
    let user = |user: &Option<String>| text(user.as_deref().map(UserId::parse).transpose());
    Ok(match state {
        StockChangeState::Adjustment {
            quantity_change,
            reason,
            user_id,
            on_behalf_of,
        } => StockChange::Adjustment {
            quantity_change: *quantity_change,
            reason: text(reason.parse())?,
            user_id: user(user_id)?,
            on_behalf_of: user(on_behalf_of)?,
        },
        StockChangeState::Count {
            previous_quantity,
            user_id,
            on_behalf_of,
        } => StockChange::Count {
            previous_quantity: *previous_quantity,
            user_id: user(user_id)?,
            on_behalf_of: user(on_behalf_of)?,
        },
        StockChangeState::Repair {
            previous_reserved,
            user_id,
        } => StockChange::Repair {
            previous_reserved: *previous_reserved,
            user_id: user(user_id)?,
        },
    })
}

fn low_stock(state: &LowStockPayload) -> Result<LowStockAlert, String> {
    Ok(LowStockAlert {
        stock: stock(&state.stock)?,
        threshold: state.threshold,
    })
}

fn reservation(state: &ReservationState) -> Result<Reservation, String> {
    text(Reservation::restore(ReservationRecord {
        id: text(ReservationId::parse(&state.id))?,
        product_id: text(ProductId::parse(&state.product_id))?,
        store_id: text(StoreId::parse(&state.store_id))?,
        customer_id: text(CustomerId::parse(&state.customer_id))?,
        quantity: text(Quantity::new(i64::from(state.quantity)))?,
        status: text(state.status.parse())?,
        expires_at: state.expires_at,
        created_at: state.created_at,
        updated_at: state.updated_at,
        cart_id: text(state.cart_id.as_deref().map(CartId::parse).transpose())?,
    }))
}

fn transfer(state: &TransferState) -> Result<Transfer, String> {
    text(Transfer::restore(TransferRecord {
        id: text(TransferId::parse(&state.id))?,
        product_id: text(ProductId::parse(&state.product_id))?,
        from_store: text(StoreId::parse(&state.from_store_id))?,
        to_store: text(StoreId::parse(&state.to_store_id))?,
        quantity: text(Quantity::new(i64::from(state.quantity)))?,
        mode: text(state.mode.parse())?,
        status: text(state.status.parse())?,
        created_by: text(state.created_by.as_deref().map(UserId::parse).transpose())?,
        created_at: state.created_at,
        updated_at: state.updated_at,
    }))
}

fn cart(state: &CartState) -> Result<Cart, String> {
    text(Cart::restore(CartRecord {
        id: text(CartId::parse(&state.id))?,
        customer_id: text(CustomerId::parse(&state.customer_id))?,
        status: text(state.status.parse())?,
        expires_at: state.expires_at,
        created_at: state.created_at,
        updated_at: state.updated_at,
        lines: state
            .lines
            .iter()
            .map(reservation)
            .collect::<Result<_, _>>()?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode;
    use crate::samples::every_event;

    #[test]
    fn every_change_restored_encodes_to_the_same_payload() {
        for change in every_event() {
            let encoded = encode(&change).expect("encodes");
            let restored = restore(
                encoded.event_type.as_str(),
                encoded.schema_version,
                &encoded.payload,
            )
            .expect("restores");
            assert_eq!(restored, change, "{}", encoded.event_type.as_str());
            assert_eq!(encode(&restored).expect("encodes"), encoded);
        }
    }

    /// Every optional field set, each to a value of its own: a restore that dropped one, or
    /// swapped two of the same type (`user_id` and `on_behalf_of`), changes the event.
    #[test]
    fn every_optional_field_is_restored_into_its_own_place() {
        use inventory_domain::{
            Address, AdjustmentReason, Category, ChangedBy, City, Country, Description, Email,
            Phone, Price, Product, ProductDetails, ProductId, ProductName, Sku, Stock, StockCount,
            StockDelta, Store, StoreDetails, StoreId, StoreName, UserId,
        };
        let now = time::macros::datetime!(2025-10-26 17:20 UTC);
        let (_, product) = Product::create(
            ProductId::from_uuid(uuid::Uuid::from_u128(7)),
            ProductDetails {
                sku: Sku::parse("TV-55").unwrap(),
                name: ProductName::parse("Samsung TV 55").unwrap(),
                description: Some(Description::parse("4K, 55 inches").unwrap()),
                category: Some(Category::parse("electronics").unwrap()),
                price: Price::parse("499.00").unwrap(),
            },
            now,
        );
        let (_, store) = Store::create(
            StoreId::parse("VAL-002").unwrap(),
            StoreDetails {
                name: StoreName::parse("Valencia Sur").unwrap(),
                address: Some(Address::parse("Avenida del Puerto 1").unwrap()),
                city: Some(City::parse("Valencia").unwrap()),
                country: Some(Country::parse("Spain").unwrap()),
                phone: Some(Phone::parse("+34 960 000 000").unwrap()),
                email: Some(Email::parse("valencia@example.com").unwrap()),
                active: false,
            },
            now,
        );
        let by = ChangedBy {
            user_id: Some(UserId::parse("clerk-17").unwrap()),
            on_behalf_of: Some(UserId::parse("manager-3").unwrap()),
        };
        let (mut stock, opened) = Stock::open(
            ProductId::from_uuid(uuid::Uuid::from_u128(7)),
            StoreId::parse("VAL-002").unwrap(),
            StockDelta::new(5).unwrap(),
            AdjustmentReason::Restock,
            by.clone(),
            now,
        )
        .unwrap();
        let counted = stock
            .count(StockCount::new(4).unwrap(), 1, by, now)
            .unwrap();
        for change in [product, store, opened, counted] {
            let encoded = encode(&change).expect("encodes");
            let restored = restore(
                encoded.event_type.as_str(),
                encoded.schema_version,
                &encoded.payload,
            )
            .expect("restores");
            assert_eq!(restored, change, "{}", encoded.event_type.as_str());
        }
    }

    #[test]
    fn a_payload_the_domain_refuses_is_malformed() {
        let restocked = every_event()
            .into_iter()
            .map(|change| encode(&change).expect("encodes"))
            .find(|encoded| encoded.payload.contains("\"RESTOCK\""))
            .expect("a restock");
        let kind = restocked.event_type.as_str();
        let oversold = restocked
            .payload
            .replace("\"reserved\":0", "\"reserved\":9999999");
        assert_ne!(oversold, restocked.payload);
        assert!(matches!(
            restore(kind, 1, &oversold),
            Err(DecodeError::Malformed { .. })
        ));
        assert!(matches!(
            restore(kind, 1, &restocked.payload.replace("RESTOCK", "LOST")),
            Err(DecodeError::Malformed { .. })
        ));
    }
}
