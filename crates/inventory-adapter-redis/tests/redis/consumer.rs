//! The consumer API for other services, against a real Redis.

use std::time::Duration;

use inventory_adapter_redis::{Deduplicator, EventConsumer, EventReader, StartAt};
use inventory_application::Round;
use inventory_events::{EventPayload, EventType};
use inventory_testkit::redis_server::{shared_url, unique_stream};

use crate::support::{Inventory, cleanup, relay, settings};

async fn published_history(stream: &str) -> (Inventory, String) {
    let url = shared_url();
    let inventory = Inventory::new();
    inventory.make_history();
    let (mut relay, _) = relay(&inventory.use_cases, &settings(&url, stream), false);
    while relay.round().await.expect("round") != Round::Idle {}
    (inventory, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_follows_the_stream_from_a_sequence_number_with_typed_events() {
    let stream = unique_stream("reader");
    let (inventory, url) = published_history(&stream).await;
    let outbox = inventory.use_cases.events.after(0, 1000).expect("outbox");
    let mut reader = EventReader::new(
        &url,
        &stream,
        StartAt::AfterSeq(3),
        Duration::from_millis(200),
    )
    .expect("reader");
    let events: Vec<_> = reader
        .next(1000)
        .await
        .expect("read")
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("decodable");
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    let expected: Vec<u64> = outbox.iter().map(|e| e.seq).filter(|s| *s > 3).collect();
    assert_eq!(seqs, expected);
    let confirmed = events
        .iter()
        .find(|e| e.event_type == "reservation.confirmed")
        .expect("a confirmation");
    match confirmed.decode().expect("a payload this build reads") {
        (EventType::ReservationConfirmed, EventPayload::Reservation(body)) => {
            assert_eq!(body.reservation.status, "CONFIRMED");
            let stock = body.stock;
            assert_eq!((stock.quantity, stock.reserved, stock.available), (8, 0, 8));
        }
        other => panic!("not a confirmation: {other:?}"),
    }
    assert!(
        reader.next(10).await.expect("read").is_empty(),
        "nothing new: the block times out"
    );
    cleanup(&url, &stream);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_shares_the_work_and_a_dead_consumers_entries_are_claimed() {
    let stream = unique_stream("group");
    let (inventory, url) = published_history(&stream).await;
    let total = inventory.use_cases.events.last_seq().expect("last") as usize;
    let block = Duration::from_millis(100);
    let mut alive = EventConsumer::join(
        &url,
        &stream,
        "billing",
        "alive",
        StartAt::AfterSeq(0),
        block,
    )
    .await
    .expect("join");
    let mut dead = EventConsumer::join(
        &url,
        &stream,
        "billing",
        "dead",
        StartAt::AfterSeq(0),
        block,
    )
    .await
    .expect("join again");

    // The dead consumer takes three entries and never acknowledges them.
    let taken = dead.poll(3).await.expect("poll");
    assert_eq!(taken.len(), 3);
    let handled = alive.poll(1000).await.expect("poll");
    assert_eq!(
        handled.len(),
        total - 3,
        "a group delivers each entry to one consumer"
    );
    let ids: Vec<String> = handled.iter().map(|d| d.entry_id.clone()).collect();
    assert_eq!(alive.ack(&ids).await.expect("ack"), ids.len());
    assert!(
        alive.pending(1000).await.expect("pending").is_empty(),
        "acknowledged"
    );

    tokio::time::sleep(Duration::from_millis(150)).await;
    let claimed = alive
        .claim_stuck(Duration::from_millis(100), 100)
        .await
        .expect("claim");
    let claimed_ids: Vec<&str> = claimed.iter().map(|d| d.entry_id.as_str()).collect();
    let taken_ids: Vec<&str> = taken.iter().map(|d| d.entry_id.as_str()).collect();
    assert_eq!(
        claimed_ids, taken_ids,
        "the dead consumer's entries move to the live one"
    );

    let mut seen = Deduplicator::new(10_000);
    let firsts = handled
        .iter()
        .chain(&claimed)
        .chain(&claimed)
        .filter(|d| seen.first_time(d.event.as_ref().expect("event").seq))
        .count();
    assert_eq!(firsts, total, "re-deliveries are recognised by seq");
    cleanup(&url, &stream);
}
