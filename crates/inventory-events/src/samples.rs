//! One domain event of every type, for the tests of this crate.

use inventory_domain::{
    AdjustmentReason, Cart, CartId, CartLine, CartRequest, ChangedBy, CustomerId, DomainEvent,
    LowStockAlert, Price, Product, ProductDetails, ProductId, ProductName, Quantity, Reservation,
    ReservationId, ReservationRequest, ReservationTtl, Sku, Stock, StockCount, StockDelta, Store,
    StoreDetails, StoreId, StoreName, Transfer, TransferId, TransferMode, TransferRequest,
};
use time::OffsetDateTime;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2025-10-26 17:20 UTC);

/// Every type of event, in [`crate::EventType::ALL`] order.
pub(crate) fn every_event() -> Vec<DomainEvent> {
    let details = ProductDetails {
        sku: Sku::parse("HP-PAV-15").unwrap(),
        name: ProductName::parse("Laptop HP Pavilion 15").unwrap(),
        description: None,
        category: None,
        price: Price::parse("899.99").unwrap(),
    };
    let (mut product, created) = Product::create(
        ProductId::from_uuid(uuid::Uuid::from_u128(1)),
        details.clone(),
        NOW,
    );
    let updated = product.update(details, NOW);
    let deleted = product.clone().delete();
    let store_details = StoreDetails {
        name: StoreName::parse("Madrid Centro").unwrap(),
        address: None,
        city: None,
        country: None,
        phone: None,
        email: None,
        active: true,
    };
    let (mut store, store_created) = Store::create(
        StoreId::parse("MAD-001").unwrap(),
        store_details.clone(),
        NOW,
    );
    let store_updated = store.update(store_details, NOW);
    let (mut stock, stock_created) = Stock::open(
        product.id,
        store.id.clone(),
        StockDelta::new(10).unwrap(),
        AdjustmentReason::Restock,
        None,
        NOW,
    )
    .unwrap();
    let stock_updated = stock
        .count(StockCount::new(12).unwrap(), 1, None, NOW)
        .unwrap();
    let alert = LowStockAlert {
        stock: stock.clone(),
        threshold: 12,
    };
    let (low, replenished) = (
        DomainEvent::StockLow(alert.clone()),
        DomainEvent::StockReplenished(alert),
    );
    let request = |n: u128| ReservationRequest {
        id: ReservationId::from_uuid(uuid::Uuid::from_u128(n)),
        customer_id: CustomerId::parse("cust-456").unwrap(),
        quantity: Quantity::new(1).unwrap(),
        ttl: ReservationTtl::from_seconds(60).unwrap(),
        cart_id: None,
    };
    let (mut confirmed, reserved) = Reservation::place(&mut stock, request(10), NOW).unwrap();
    let confirmation = confirmed.confirm(&mut stock, NOW).unwrap();
    let (mut cancelled, _) = Reservation::place(&mut stock, request(11), NOW).unwrap();
    let cancellation = cancelled.cancel(&mut stock, NOW).unwrap();
    let (mut extended, _) = Reservation::place(&mut stock, request(13), NOW).unwrap();
    let extension = extended
        .extend(&stock, ReservationTtl::from_seconds(120).unwrap(), NOW)
        .unwrap();
    extended.cancel(&mut stock, NOW).unwrap();
    let (mut expired, _) = Reservation::place(&mut stock, request(12), NOW).unwrap();
    let expiry = expired
        .expire(&mut stock, NOW + time::Duration::minutes(1))
        .unwrap();
    let cart = |n: u128, stock: &mut Stock| {
        let line = CartLine {
            product_id: stock.product_id(),
            store_id: stock.store_id().clone(),
            quantity: Quantity::new(1).unwrap(),
        };
        let request = CartRequest {
            id: CartId::from_uuid(uuid::Uuid::from_u128(n)),
            customer_id: CustomerId::parse("cust-456").unwrap(),
            ttl: ReservationTtl::from_seconds(60).unwrap(),
            lines: vec![(ReservationId::from_uuid(uuid::Uuid::from_u128(n + 1)), line)],
        };
        let (cart, mut events) = Cart::place(request, std::slice::from_mut(stock), NOW).unwrap();
        (cart, events.pop().unwrap())
    };
    let (mut sold, cart_created) = cart(20, &mut stock);
    let cart_confirmed = sold
        .confirm(None, std::slice::from_mut(&mut stock), NOW)
        .unwrap()
        .pop()
        .unwrap();
    let (mut dropped, _) = cart(22, &mut stock);
    let cart_cancelled = dropped
        .cancel(std::slice::from_mut(&mut stock), NOW)
        .unwrap()
        .pop()
        .unwrap();
    let (mut lapsed, _) = cart(24, &mut stock);
    let cart_expired = lapsed
        .expire(
            std::slice::from_mut(&mut stock),
            NOW + time::Duration::minutes(1),
        )
        .unwrap()
        .pop()
        .unwrap();
    let send = |n: u128, mode: TransferMode, stock: &mut Stock| {
        let request = TransferRequest {
            id: TransferId::from_uuid(uuid::Uuid::from_u128(n)),
            from_store: stock.store_id().clone(),
            to_store: StoreId::parse("ZZZ-999").unwrap(),
            quantity: Quantity::new(1).unwrap(),
            mode,
            by: ChangedBy::default(),
        };
        let (transfer, _, mut events) = Transfer::send(request, stock, None, NOW).unwrap();
        (transfer, events.pop().unwrap())
    };
    let (_, transfer_completed) = send(30, TransferMode::Immediate, &mut stock);
    let (mut shipped, transfer_shipped) = send(31, TransferMode::Shipped, &mut stock);
    let transfer_received = shipped
        .receive(None, ChangedBy::default(), NOW)
        .unwrap()
        .1
        .pop()
        .unwrap();
    let (mut called_back, _) = send(32, TransferMode::Shipped, &mut stock);
    let transfer_cancelled = called_back
        .cancel(&mut stock, ChangedBy::default(), NOW)
        .unwrap()
        .pop()
        .unwrap();
    vec![
        created,
        updated,
        deleted,
        store_created,
        store_updated,
        stock_created,
        stock_updated,
        reserved,
        confirmation,
        cancellation,
        expiry,
        extension,
        cart_created,
        cart_confirmed,
        cart_cancelled,
        cart_expired,
        transfer_completed,
        transfer_shipped,
        transfer_received,
        transfer_cancelled,
        low,
        replenished,
    ]
}
