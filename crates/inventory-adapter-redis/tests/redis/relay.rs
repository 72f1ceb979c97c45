//! The relay against a real Redis.

use std::time::Duration;

use inventory_adapter_redis::{StreamPublisher, lazy_connection};
use inventory_application::{OutboxRelay, RelayError, Round};
use inventory_ports::{EventPublisher, PublishError};
use inventory_testkit::fixtures::{adjust_command, details};
use inventory_testkit::redis_server::{RedisProcess, shared_url, unique_stream};

use crate::support::{
    Inventory, cleanup, outbox_seqs, relay, settings, stream_entries, stream_seqs,
};

async fn drain(relay: &mut OutboxRelay<StreamPublisher>) -> usize {
    let mut published = 0;
    loop {
        match relay.round().await.expect("a relay round") {
            Round::Published(n) => published += n,
            Round::Idle => return published,
            Round::Follower => panic!("a relay without a lease always leads"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_committed_change_is_in_the_stream_once_in_commit_order_with_every_field() {
    let url = shared_url();
    let stream = unique_stream("relay-fields");
    let inventory = Inventory::new();
    inventory.make_history();
    let (mut relay, status) = relay(&inventory.use_cases, &settings(&url, &stream), false);
    drain(&mut relay).await;
    assert_eq!(status.is_connected(), Some(true));

    let outbox = inventory.use_cases.events.after(0, 1000).expect("outbox");
    let entries = stream_entries(&url, &stream);
    assert_eq!(entries.len(), outbox.len(), "one entry per event");
    let types: std::collections::BTreeSet<&str> =
        outbox.iter().map(|e| e.event_type.as_str()).collect();
    for expected in [
        "product.created",
        "product.updated",
        "store.created",
        "store.updated",
        "stock.created",
        "stock.updated",
        "reservation.created",
        "reservation.confirmed",
        "reservation.cancelled",
    ] {
        assert!(types.contains(expected), "the history has a {expected}");
    }
    for (event, (id, fields)) in outbox.iter().zip(&entries) {
        assert_eq!(
            id,
            &format!("{}-0", event.seq),
            "entry ids are seqs, in commit order"
        );
        let field = |name: &str| fields.get(name).map(String::as_str);
        assert_eq!(field("event_id"), Some(event.event_id.to_string().as_str()));
        assert_eq!(field("seq"), Some(event.seq.to_string().as_str()));
        assert_eq!(field("event_type"), Some(event.event_type.as_str()));
        assert_eq!(field("schema_version"), Some("1"));
        assert_eq!(field("aggregate_type"), Some(event.aggregate_type.as_str()));
        assert_eq!(field("aggregate_id"), Some(event.aggregate_id.as_str()));
        assert_eq!(field("store_id"), event.store_id.as_deref());
        assert_eq!(field("product_id"), event.product_id.as_deref());
        assert_eq!(field("payload"), Some(event.payload.as_str()));
        let expected_request = (event.event_type != "reservation.expired").then_some("req-history");
        assert_eq!(
            field("request_id"),
            expected_request,
            "request_id of {}",
            event.event_type
        );
        let occurred = time::OffsetDateTime::parse(
            field("occurred_at").expect("occurred_at"),
            &time::format_description::well_known::Rfc3339,
        )
        .expect("RFC 3339");
        assert_eq!(occurred, event.occurred_at);
    }
    // A second pass publishes nothing new.
    assert_eq!(drain(&mut relay).await, 0);
    assert_eq!(stream_entries(&url, &stream).len(), outbox.len());
    cleanup(&url, &stream);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_that_died_after_publishing_repeats_nothing_and_skips_nothing() {
    let url = shared_url();
    let stream = unique_stream("relay-crash");
    let inventory = Inventory::new();
    inventory.make_history();
    let settings = settings(&url, &stream);
    // The dead relay: it published the first 7 events and died.
    let connection = lazy_connection(&url, Duration::from_secs(2)).expect("url");
    let publisher = StreamPublisher::new(connection, &stream, settings.max_len);
    let first = inventory.use_cases.events.after(0, 7).expect("pending");
    publisher.publish(0, first).await.expect("XADD");

    // More changes while it was dead.
    let product = inventory
        .use_cases
        .products
        .create(details("AFTER-1"), &Default::default())
        .expect("p")
        .id;
    inventory
        .use_cases
        .stock
        .adjust(adjust_command(product, "SEV-001", 3), &Default::default())
        .expect("restock");

    let (mut fresh, _) = relay(&inventory.use_cases, &settings, false);
    drain(&mut fresh).await;
    let seqs: Vec<u64> = stream_seqs(&url, &stream);
    let expected = outbox_seqs(&inventory.use_cases);
    assert_eq!(seqs, expected, "each event once, in order, none missing");
    cleanup(&url, &stream);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_redis_is_down_events_wait_and_then_drain_in_order() {
    let mut redis = RedisProcess::start();
    let stream = unique_stream("relay-outage");
    let inventory = Inventory::new();
    let (mut relay, status) = relay(&inventory.use_cases, &settings(&redis.url(), &stream), true);
    inventory.make_history();
    drain(&mut relay).await;
    redis.stop();

    let product = inventory
        .use_cases
        .products
        .create(details("DOWN-1"), &Default::default())
        .expect("writes go on")
        .id;
    for _ in 0..20 {
        inventory
            .use_cases
            .stock
            .adjust(adjust_command(product, "MAD-001", 1), &Default::default())
            .expect("writes go on");
    }
    let error = relay.round().await.expect_err("Redis is down");
    assert!(
        matches!(error, RelayError::Publish(PublishError::Unavailable(_))),
        "{error}"
    );
    assert_eq!(status.is_connected(), Some(false), "health blames Redis");

    redis.restart(); // empty: Redis here keeps nothing on disk
    let mut rounds = 0;
    loop {
        rounds += 1;
        assert!(rounds < 100, "the relay recovers");
        match relay.round().await {
            Ok(Round::Idle) => break,
            Ok(_) => {}
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    assert_eq!(status.is_connected(), Some(true));
    let seqs: Vec<u64> = stream_seqs(&redis.url(), &stream);
    assert_eq!(
        seqs,
        outbox_seqs(&inventory.use_cases),
        "the emptied stream gets every event again, in order, once each"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_relay_publishes_at_a_time_and_another_takes_over_when_it_dies() {
    let url = shared_url();
    let stream = unique_stream("relay-lease");
    let inventory = Inventory::new();
    let other_process = inventory.second_view();
    let settings = settings(&url, &stream);
    let (mut first, _) = relay(&inventory.use_cases, &settings, true);
    let (mut second, _) = relay(&other_process, &settings, true);
    inventory.make_history();

    assert!(matches!(
        first.round().await.expect("round"),
        Round::Published(_)
    ));
    assert_eq!(
        second.round().await.expect("round"),
        Round::Follower,
        "the lease is taken"
    );
    while first.round().await.expect("round") != Round::Idle {}

    // The first relay dies without releasing its lease; the second waits out the TTL.
    drop(first);
    let product = other_process
        .products
        .create(details("TAKEOVER"), &Default::default())
        .expect("p")
        .id;
    other_process
        .stock
        .adjust(adjust_command(product, "VAL-001", 2), &Default::default())
        .expect("restock");
    let started = std::time::Instant::now();
    loop {
        match second.round().await.expect("round") {
            Round::Follower => {
                assert!(
                    started.elapsed() < Duration::from_secs(5),
                    "takes over after the lease TTL"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Round::Published(_) => {}
            Round::Idle => break,
        }
    }
    let seqs: Vec<u64> = stream_seqs(&url, &stream);
    let expected = outbox_seqs(&inventory.use_cases);
    assert_eq!(seqs, expected);
    cleanup(&url, &stream);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_ahead_of_the_outbox_is_refused_rather_than_silently_skipped() {
    let url = shared_url();
    let stream = unique_stream("relay-ahead");
    let old = Inventory::new();
    old.make_history();
    let (mut old_relay, _) = relay(&old.use_cases, &settings(&url, &stream), false);
    drain(&mut old_relay).await;

    // A new, empty database pointed at the same stream.
    let new = Inventory::new();
    new.use_cases
        .products
        .create(details("NEW-1"), &Default::default())
        .expect("p");
    let (mut new_relay, _) = relay(&new.use_cases, &settings(&url, &stream), false);
    let error = new_relay.round().await.expect_err("refused");
    assert!(matches!(error, RelayError::BrokerAhead { .. }), "{error}");
    let entries = stream_entries(&url, &stream);
    assert_eq!(
        entries.len(),
        outbox_seqs(&old.use_cases).len(),
        "nothing of the new database was published"
    );
    cleanup(&url, &stream);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_emptied_between_rounds_is_noticed_and_published_in_full() {
    let url = shared_url();
    let stream = unique_stream("relay-emptied");
    let inventory = Inventory::new();
    inventory.make_history();
    let (mut relay, _) = relay(&inventory.use_cases, &settings(&url, &stream), false);
    drain(&mut relay).await;
    // Redis loses the stream without the relay seeing any error (a restart between rounds).
    cleanup(&url, &stream);
    let product = inventory
        .use_cases
        .products
        .create(details("EMPTIED-1"), &Default::default())
        .expect("p")
        .id;
    inventory
        .use_cases
        .stock
        .adjust(adjust_command(product, "MAD-001", 2), &Default::default())
        .expect("restock");
    drain(&mut relay).await;
    assert_eq!(
        stream_seqs(&url, &stream),
        outbox_seqs(&inventory.use_cases),
        "every event again, in order, once each"
    );
    cleanup(&url, &stream);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_with_another_databases_events_at_the_same_seqs_is_refused() {
    let url = shared_url();
    let stream = unique_stream("relay-mixed");
    let old = Inventory::new();
    old.make_history();
    let (mut old_relay, _) = relay(&old.use_cases, &settings(&url, &stream), false);
    drain(&mut old_relay).await;
    let published = stream_entries(&url, &stream).len();

    // Another database with at least as many events: the seqs fit, the events do not.
    let other = Inventory::new();
    other.make_history();
    let (mut other_relay, _) = relay(&other.use_cases, &settings(&url, &stream), false);
    let error = other_relay.round().await.expect_err("refused");
    assert!(
        matches!(error, RelayError::BrokerMismatch { .. }),
        "{error}"
    );
    assert_eq!(
        stream_entries(&url, &stream).len(),
        published,
        "nothing mixed in"
    );
    cleanup(&url, &stream);
}
