//! Transfers, through the real use cases: a transfer never leaves a store with more reserved
//! than it has, shipped units are in transit until received or called back, and transfers
//! racing reservations on two handles never oversell or lose a unit.

use std::sync::Arc;
use std::thread;

use inventory_application::{SendTransfer, UseCases};
use inventory_domain::{
    ChangedBy, ProductId, Quantity, StockError, StoreId, TransferError, TransferMode,
    TransferStatus,
};
use inventory_ports::{InventoryError, ManualClock, Page, RequestContext, TransferFilter};

use super::service::{all_events, count_of};
use super::{TestDatabase, use_cases};
use crate::fixtures::{T0, adjust_command, reserve_command, stocked, store_id};

fn ctx() -> RequestContext {
    RequestContext::default()
}

fn send(product: ProductId, from: &str, to: &str, units: i64, mode: TransferMode) -> SendTransfer {
    SendTransfer {
        product_id: product,
        from_store: store_id(from),
        to_store: store_id(to),
        quantity: Quantity::new(units).expect("a valid quantity"),
        mode,
        by: ChangedBy::default(),
    }
}

fn levels(cases: &UseCases, product: ProductId, store: &str) -> (u32, u32) {
    match cases.stock.get(product, &store_id(store)) {
        Ok(stock) => (stock.quantity(), stock.reserved()),
        Err(InventoryError::StockNotFound { .. }) => (0, 0),
        Err(other) => panic!("reading stock: {other:?}"),
    }
}

fn in_transit_to(cases: &UseCases, product: ProductId, store: &str) -> u32 {
    cases
        .availability
        .of_product(product, Some(StoreId::parse(store).expect("a store")))
        .expect("availability")
        .stores[0]
        .in_transit
}

/// Only units not reserved leave the source; a refused transfer changes nothing and writes
/// no event; an immediate one moves the units in one change.
pub fn a_transfer_never_leaves_a_store_with_more_reserved_than_it_has(db: &dyn TestDatabase) {
    let clock = Arc::new(ManualClock::new(T0));
    let cases = use_cases(db.store(), &clock);
    let product = stocked(&cases, "SKU-TRANSFER-1", 5);
    cases
        .reservations
        .reserve(
            reserve_command(product, "MAD-001", "cust-1", 3, 600),
            &ctx(),
        )
        .expect("reserve");
    let events_before = all_events(&*db.store()).len();
    let refused = cases.transfers.send(
        send(product, "MAD-001", "BCN-001", 3, TransferMode::Immediate),
        &ctx(),
    );
    assert_eq!(
        refused.map(|_| ()),
        Err(InventoryError::Stock(StockError::InsufficientStock {
            available: 2,
            requested: 3
        }))
    );
    assert_eq!(levels(&cases, product, "MAD-001"), (5, 3));
    assert_eq!(all_events(&*db.store()).len(), events_before, "no event");
    assert_eq!(
        cases
            .transfers
            .send(
                send(product, "MAD-001", "MAD-001", 1, TransferMode::Immediate),
                &ctx()
            )
            .map(|_| ()),
        Err(InventoryError::Transfer(TransferError::SameStore))
    );
    let moved = cases
        .transfers
        .send(
            send(product, "MAD-001", "BCN-001", 2, TransferMode::Immediate),
            &ctx(),
        )
        .expect("two units can go");
    assert_eq!(moved.status(), TransferStatus::Received);
    assert_eq!(levels(&cases, product, "MAD-001"), (3, 3));
    assert_eq!(levels(&cases, product, "BCN-001"), (2, 0));
    let events = all_events(&*db.store());
    let last: Vec<&str> = events[events.len() - 3..]
        .iter()
        .map(|e| e.event_type.as_str())
        .collect();
    assert_eq!(
        last,
        ["stock.updated", "stock.created", "transfer.completed"]
    );
    assert_eq!(cases.transfers.get(moved.id()), Ok(moved));
}

/// A shipped transfer's units leave the source at once and show as in transit at the
/// destination until received; a cancelled one brings them back; each resolves once.
pub fn a_shipped_transfer_is_in_transit_until_received_or_cancelled(db: &dyn TestDatabase) {
    let clock = Arc::new(ManualClock::new(T0));
    let cases = use_cases(db.store(), &clock);
    let product = stocked(&cases, "SKU-TRANSFER-2", 10);
    let shipped = cases
        .transfers
        .send(
            send(product, "MAD-001", "VAL-001", 4, TransferMode::Shipped),
            &ctx(),
        )
        .expect("shipped");
    assert_eq!(shipped.status(), TransferStatus::InTransit);
    assert_eq!(levels(&cases, product, "MAD-001"), (6, 0));
    assert_eq!(levels(&cases, product, "VAL-001"), (0, 0));
    assert_eq!(in_transit_to(&cases, product, "VAL-001"), 4);
    assert_eq!(in_transit_to(&cases, product, "MAD-001"), 0);
    let received = cases
        .transfers
        .receive(shipped.id(), ChangedBy::default(), &ctx())
        .expect("received");
    assert_eq!(received.status(), TransferStatus::Received);
    assert_eq!(levels(&cases, product, "VAL-001"), (4, 0));
    assert_eq!(in_transit_to(&cases, product, "VAL-001"), 0);
    assert_eq!(
        cases
            .transfers
            .cancel(shipped.id(), ChangedBy::default(), &ctx())
            .map(|_| ()),
        Err(InventoryError::Transfer(TransferError::NotInTransit {
            status: TransferStatus::Received
        }))
    );
    let called_back = cases
        .transfers
        .send(
            send(product, "MAD-001", "SEV-001", 1, TransferMode::Shipped),
            &ctx(),
        )
        .expect("shipped");
    cases
        .transfers
        .cancel(called_back.id(), ChangedBy::default(), &ctx())
        .expect("cancelled");
    assert_eq!(
        levels(&cases, product, "MAD-001"),
        (6, 0),
        "the unit is back"
    );
    assert_eq!(in_transit_to(&cases, product, "SEV-001"), 0);
    assert_eq!(
        cases
            .transfers
            .receive(called_back.id(), ChangedBy::default(), &ctx())
            .map(|_| ()),
        Err(InventoryError::Transfer(TransferError::NotInTransit {
            status: TransferStatus::Cancelled
        }))
    );
    let page = Page::new(Some(10), None).expect("page");
    let from_madrid = cases
        .transfers
        .list(
            TransferFilter {
                store_id: Some(store_id("MAD-001")),
                ..TransferFilter::default()
            },
            page,
        )
        .expect("list");
    assert_eq!(from_madrid.total, 2);
    assert_eq!(from_madrid.data[0].id(), called_back.id(), "newest first");
    let to_valencia = cases
        .transfers
        .list(
            TransferFilter {
                store_id: Some(store_id("VAL-001")),
                status: Some(TransferStatus::Received),
                ..TransferFilter::default()
            },
            page,
        )
        .expect("list");
    assert_eq!(to_valencia.total, 1);
    // Units on their way would vanish with their product: its deletion waits for them.
    let on_the_road = cases
        .transfers
        .send(
            send(product, "MAD-001", "BCN-001", 1, TransferMode::Shipped),
            &ctx(),
        )
        .expect("shipped");
    assert_eq!(
        cases.products.delete(product, &ctx()),
        Err(InventoryError::ProductInTransit {
            product_id: product,
            transfers: 1
        })
    );
    cases
        .transfers
        .receive(on_the_road.id(), ChangedBy::default(), &ctx())
        .expect("received");
    let events = all_events(&*db.store());
    assert_eq!(count_of(&events, "transfer.shipped"), 3);
    assert_eq!(count_of(&events, "transfer.received"), 2);
    assert_eq!(count_of(&events, "transfer.cancelled"), 1);
    cases
        .products
        .delete(product, &ctx())
        .expect("nothing on the road any more");
}

/// Eight threads, half on a second handle, send units both ways between two stores while
/// eight reserve in both: no store ever has more reserved than it holds, `reserved` equals
/// the PENDING units, and no unit is created or lost.
pub fn concurrent_transfers_and_reservations_never_oversell(db: &dyn TestDatabase) {
    let clock = Arc::new(ManualClock::new(T0));
    let sides = [
        use_cases(db.store(), &clock),
        use_cases(db.second_store(), &clock),
    ];
    let product = stocked(&sides[0], "SKU-TRANSFER-HOT", 30);
    sides[0]
        .stock
        .adjust(adjust_command(product, "BCN-001", 30), &ctx())
        .expect("restock");
    let sent = std::sync::atomic::AtomicUsize::new(0);
    thread::scope(|scope| {
        for worker in 0..16 {
            let side = &sides[worker % 2];
            let sent = &sent;
            scope.spawn(move || {
                for attempt in 0..10 {
                    let (from, to) = if (worker + attempt) % 2 == 0 {
                        ("MAD-001", "BCN-001")
                    } else {
                        ("BCN-001", "MAD-001")
                    };
                    let result = if worker < 8 {
                        let mode = if attempt % 3 == 0 {
                            TransferMode::Shipped
                        } else {
                            TransferMode::Immediate
                        };
                        side.transfers
                            .send(send(product, from, to, 2, mode), &ctx())
                            .map(|_| {
                                sent.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            })
                    } else {
                        let customer = format!("cust-{worker}-{attempt}");
                        side.reservations
                            .reserve(reserve_command(product, from, &customer, 1, 600), &ctx())
                            .map(|_| ())
                    };
                    match result {
                        Ok(()) | Err(InventoryError::Stock(_)) => {}
                        Err(error) if error.code() == "SERVICE_UNAVAILABLE" => {}
                        Err(other) => panic!("unexpected error: {other:?}"),
                    }
                }
            });
        }
    });
    let mut total = 0;
    for store in ["MAD-001", "BCN-001"] {
        let (quantity, reserved) = levels(&sides[0], product, store);
        assert!(
            reserved <= quantity,
            "{store}: {reserved} reserved of {quantity}"
        );
        let pending: u32 = sides[1]
            .reservations
            .list(
                inventory_ports::ReservationFilter {
                    store_id: Some(store_id(store)),
                    status: Some(inventory_domain::ReservationStatus::Pending),
                    ..Default::default()
                },
                Page::new(Some(500), None).expect("page"),
            )
            .expect("list")
            .data
            .iter()
            .map(|r| r.quantity().get())
            .sum();
        assert_eq!(reserved, pending, "{store}: reserved == PENDING units");
        total += quantity + in_transit_to(&sides[0], product, store);
    }
    assert_eq!(total, 60, "no unit created or lost");
    assert!(
        sent.load(std::sync::atomic::Ordering::SeqCst) > 0,
        "transfers went through while reservations raced them"
    );
    super::assert_consistent(&sides[0]);
}
