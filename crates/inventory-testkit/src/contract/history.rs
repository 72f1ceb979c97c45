//! Movements, low-stock alerts, search and the reconciliation check, through the real use
//! cases on every adapter.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use inventory_domain::{
    MovementReason, ProductDetails, ProductName, ReferenceKind, ThresholdScope, UserId,
};
use inventory_ports::{ManualClock, MovementFilter, MovementOrder, NewEvent, Page, RequestContext};

use super::{TestDatabase, use_cases};
use crate::fixtures::{T0, adjust_command, details, reserve_command, stocked, store_id};

fn ctx() -> RequestContext {
    RequestContext::default().acting_as("admin:contract")
}

const NO_LAG_LIMIT: StdDuration = StdDuration::from_secs(100 * 365 * 86_400);

/// Every change of a pair is a movement: summed, they give its stock; each carries its
/// reason, reference and actor; pages follow a stable cursor both ways.
pub fn movements_add_up_to_the_stock_and_page_by_cursor(db: &dyn TestDatabase) {
    let clock = Arc::new(ManualClock::new(T0));
    let cases = use_cases(db.store(), &clock);
    let product = stocked(&cases, "SKU-MOVES", 10);
    let reservation = cases
        .reservations
        .reserve(reserve_command(product, "MAD-001", "cust-1", 3, 60), &ctx())
        .expect("reserve");
    cases
        .reservations
        .confirm(reservation.id(), &ctx())
        .expect("confirm");
    cases
        .stock
        .adjust(adjust_command(product, "MAD-001", -2), &ctx())
        .expect("sale");
    let filter = MovementFilter {
        product_id: Some(product),
        store_id: Some(store_id("MAD-001")),
        ..MovementFilter::default()
    };
    let oldest = cases
        .movements
        .list(filter.clone(), MovementOrder::OldestFirst, None, 500)
        .expect("history");
    let reasons: Vec<MovementReason> = oldest.data.iter().map(|m| m.movement.reason).collect();
    assert_eq!(
        reasons,
        [
            MovementReason::Adjusted(inventory_domain::AdjustmentReason::Restock),
            MovementReason::Reservation,
            MovementReason::Confirmation,
            MovementReason::Adjusted(inventory_domain::AdjustmentReason::Sale),
        ]
    );
    let stock = cases
        .stock
        .get(product, &store_id("MAD-001"))
        .expect("stock");
    let sum = |f: fn(&inventory_ports::RecordedMovement) -> i64| -> i64 {
        oldest.data.iter().map(f).sum()
    };
    assert_eq!(
        sum(|m| m.movement.quantity_change),
        i64::from(stock.quantity())
    );
    assert_eq!(
        sum(|m| m.movement.reserved_change),
        i64::from(stock.reserved())
    );
    let last = oldest.data.last().expect("movements");
    assert_eq!(
        (last.movement.quantity_after, last.movement.reserved_after),
        (stock.quantity(), stock.reserved())
    );
    assert_eq!(last.actor.as_deref(), Some("admin:contract"));
    let reserved = &oldest.data[1];
    assert_eq!(
        reserved.movement.reference.map(|r| (r.kind, r.id)),
        Some((ReferenceKind::Reservation, reservation.id().as_uuid()))
    );
    // Newest first, two at a time, by cursor: the same movements in reverse.
    let first = cases
        .movements
        .list(filter.clone(), MovementOrder::NewestFirst, None, 2)
        .expect("page 1");
    let second = cases
        .movements
        .list(
            filter.clone(),
            MovementOrder::NewestFirst,
            first.next_cursor,
            2,
        )
        .expect("page 2");
    let mut seqs: Vec<i64> = first
        .data
        .iter()
        .chain(&second.data)
        .map(|m| m.seq)
        .collect();
    seqs.reverse();
    assert_eq!(seqs, oldest.data.iter().map(|m| m.seq).collect::<Vec<_>>());
    let sales = cases
        .movements
        .list(
            MovementFilter {
                reason: Some(MovementReason::Adjusted(
                    inventory_domain::AdjustmentReason::Sale,
                )),
                ..filter
            },
            MovementOrder::NewestFirst,
            None,
            10,
        )
        .expect("sales");
    assert_eq!(sales.data.len(), 1);
    assert!(
        cases
            .reconciliation
            .check(NO_LAG_LIMIT)
            .expect("check")
            .is_clean()
    );
}

/// Walking a pair down and up across its threshold raises exactly one `stock.low` per
/// crossing down and one `stock.replenished` per crossing up, whatever moved it.
pub fn low_stock_alerts_once_per_crossing(db: &dyn TestDatabase) {
    let clock = Arc::new(ManualClock::new(T0));
    let cases = use_cases(db.store(), &clock);
    let product = stocked(&cases, "SKU-LOW", 10);
    let mad = store_id("MAD-001");
    cases
        .low_stock
        .set_threshold(ThresholdScope::Pair(product, mad.clone()), Some(5), &ctx())
        .expect("threshold");
    let before = cases.events.last_seq().expect("seq");
    // 10 -> 6 -> 5 (low) -> 4 -> 7 (replenished) -> 3 (low) -> 5 -> 8 (replenished), then a
    // reservation of 3 takes it to 5 (low) and its cancellation back to 8 (replenished).
    for delta in [-4, -1, -1, 3, -4, 2, 3] {
        cases
            .stock
            .adjust(adjust_command(product, "MAD-001", delta), &ctx())
            .expect("adjust");
    }
    let reservation = cases
        .reservations
        .reserve(reserve_command(product, "MAD-001", "cust-1", 3, 60), &ctx())
        .expect("reserve");
    assert_eq!(
        cases
            .low_stock
            .list(Some(mad.clone()), Page::default())
            .expect("low")
            .total,
        1
    );
    cases
        .reservations
        .cancel(reservation.id(), &ctx())
        .expect("cancel");
    let events = cases.events.after(before, 1000).expect("events");
    let count = |kind: &str| events.iter().filter(|e| e.event_type == kind).count();
    assert_eq!((count("stock.low"), count("stock.replenished")), (3, 3));
    assert_eq!(
        cases
            .low_stock
            .list(None, Page::default())
            .expect("low")
            .total,
        0
    );
    // A product default applies where the pair has none; raising it above the stock makes
    // the pair low at once, removing it replenishes it.
    let other = stocked(&cases, "SKU-LOW-2", 4);
    cases
        .low_stock
        .set_threshold(ThresholdScope::ProductDefault(other), Some(4), &ctx())
        .expect("default");
    let low = cases.low_stock.list(None, Page::default()).expect("low");
    assert_eq!(low.total, 1);
    assert_eq!(low.data[0].threshold, 4);
    cases
        .low_stock
        .set_threshold(ThresholdScope::ProductDefault(other), None, &ctx())
        .expect("removed");
    let events = cases.events.after(before, 1000).expect("events");
    assert_eq!(
        (
            count_of(&events, "stock.low"),
            count_of(&events, "stock.replenished")
        ),
        (4, 4)
    );
}

fn count_of(events: &[inventory_ports::RecordedEvent], kind: &str) -> usize {
    events.iter().filter(|e| e.event_type == kind).count()
}

/// Search finds a product by any part of its name or the start of its SKU, without case or
/// accents.
pub fn products_are_found_without_case_or_accents(db: &dyn TestDatabase) {
    let clock = Arc::new(ManualClock::new(T0));
    let cases = use_cases(db.store(), &clock);
    let mut created = Vec::new();
    for (sku, name) in [("JUG-001", "Camión de bomberos"), ("JUG-002", "Pelota")] {
        let product = cases
            .products
            .create(
                ProductDetails {
                    name: ProductName::parse(name).expect("name"),
                    ..details(sku)
                },
                &ctx(),
            )
            .expect("create");
        created.push(product);
    }
    let found = |q: &str| -> Vec<String> {
        cases
            .products
            .list(None, Some(q), Page::default())
            .expect("search")
            .data
            .iter()
            .map(|p| p.details.sku.to_string())
            .collect()
    };
    assert_eq!(found("camion"), ["JUG-001"]);
    assert_eq!(found("BOMBEROS"), ["JUG-001"]);
    assert_eq!(found("jug-00"), ["JUG-001", "JUG-002"]);
    assert_eq!(
        found("001"),
        Vec::<String>::new(),
        "a SKU matches by its start only"
    );
    assert_eq!(
        found("%"),
        Vec::<String>::new(),
        "a wildcard matches itself"
    );

    // A renamed product is found by its new name only.
    let ball = created.pop().expect("JUG-002");
    cases
        .products
        .update(
            ball.id,
            ProductDetails {
                name: ProductName::parse("Balón de fútbol").expect("name"),
                ..ball.details
            },
            &ctx(),
        )
        .expect("rename");
    assert_eq!(found("BALÓN DE"), ["JUG-002"]);
    assert_eq!(
        found("pelota"),
        Vec::<String>::new(),
        "the old name is gone"
    );
}

/// A reserved count that drifted from its pending reservations (written around the rules,
/// as a corrupt file would be) is found, and the repair sets it back, with its event and
/// movement, leaving the data clean.
pub fn the_check_finds_a_drifted_reserved_count_and_repairs_it(db: &dyn TestDatabase) {
    let clock = Arc::new(ManualClock::new(T0));
    let cases = use_cases(db.store(), &clock);
    let product = stocked(&cases, "SKU-DRIFT", 10);
    cases
        .reservations
        .reserve(reserve_command(product, "MAD-001", "cust-1", 3, 60), &ctx())
        .expect("reserve");
    assert!(
        cases
            .reconciliation
            .check(NO_LAG_LIMIT)
            .expect("check")
            .is_clean()
    );
    // Corrupt: a "repair" to 5 reserved that no reservation backs.
    let mut stock = cases
        .stock
        .get(product, &store_id("MAD-001"))
        .expect("stock");
    let corrupt = stock.repair_reserved(5, None, T0).expect("within quantity");
    let event = NewEvent::new(
        corrupt,
        inventory_domain::EventId::from_uuid(uuid::Uuid::new_v4()),
        T0,
        None,
    )
    .expect("encodes");
    db.store()
        .write(Box::new(move |tx| tx.record(&event)))
        .expect("corrupted");
    let report = cases.reconciliation.check(NO_LAG_LIMIT).expect("check");
    let codes: Vec<&str> = report.findings.iter().map(|f| f.code).collect();
    assert_eq!(codes, ["RESERVED_DRIFT", "MOVEMENT_DRIFT"]);
    assert!(report.findings[0].repairable);
    let repaired = cases
        .reconciliation
        .repair(
            NO_LAG_LIMIT,
            Some(UserId::parse("ops").expect("id")),
            &ctx(),
        )
        .expect("repair");
    assert_eq!(repaired.repaired.len(), 1);
    assert!(repaired.after.is_clean(), "{:?}", repaired.after);
    let stock = cases
        .stock
        .get(product, &store_id("MAD-001"))
        .expect("stock");
    assert_eq!((stock.quantity(), stock.reserved()), (10, 3));
    let history = cases
        .movements
        .list(
            MovementFilter {
                reason: Some(MovementReason::Repair),
                ..MovementFilter::default()
            },
            MovementOrder::NewestFirst,
            None,
            10,
        )
        .expect("history");
    let repair = history.data.first().expect("the repair's movement");
    assert_eq!(repair.movement.reserved_after, 3);
    assert_eq!(
        repair.movement.reference.map(|r| r.kind),
        Some(ReferenceKind::Check)
    );
}
