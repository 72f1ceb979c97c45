//! The relay's logic with a mocked publisher: it publishes what follows the broker's
//! position, remembers the position it reached, asks the broker again after a failure, and
//! refuses a broker that is ahead of the outbox.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use inventory_application::{
    BrokerStatus, NoObserver, OutboxRelay, RelayError, RelaySettings, Round, SoleRelay, UseCases,
};
use inventory_ports::{BrokerPosition, MockEventPublisher, PublishError};
use inventory_testkit::fixtures::reserve_command;
use tokio::sync::Notify;

use crate::support::{ctx, fresh, stocked};

fn relay(use_cases: &UseCases, publisher: MockEventPublisher) -> OutboxRelay<MockEventPublisher> {
    OutboxRelay::new(
        use_cases.events.clone(),
        publisher,
        Box::new(SoleRelay),
        Arc::new(Notify::new()),
        Arc::new(BrokerStatus::default()),
        Arc::new(NoObserver),
        RelaySettings {
            batch: 3,
            ..RelaySettings::default()
        },
    )
}

/// Five events: product.created, stock.created, three reservation.created.
fn history() -> UseCases {
    let (use_cases, _, _) = fresh();
    let product = stocked(&use_cases, "RELAY-1", 10);
    for n in 0..3 {
        use_cases
            .reservations
            .reserve(
                reserve_command(product, "MAD-001", &format!("cust-{n}"), 1, 60),
                &ctx(),
            )
            .expect("reserve");
    }
    use_cases
}

#[tokio::test]
async fn the_relay_publishes_from_the_brokers_position_in_batches_and_remembers_where_it_is() {
    let use_cases = history();
    let mut publisher = MockEventPublisher::new();
    let first_event = use_cases.events.after(0, 1).expect("read")[0].event_id;
    publisher.expect_position().times(1).returning(move || {
        Box::pin(async move {
            Ok(BrokerPosition {
                seq: 1,
                event_id: Some(first_event),
            })
        })
    });
    let published = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = Arc::clone(&published);
    publisher
        .expect_publish()
        .times(2)
        .returning(move |after, events| {
            let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
            let last = *seqs.last().expect("a batch");
            sink.lock().expect("lock").push((after, seqs));
            Box::pin(async move { Ok(last) })
        });
    let hooked = Arc::new(AtomicU64::new(0));
    let seen = Arc::clone(&hooked);
    let mut relay = relay(&use_cases, publisher)
        .after_publish(move |up_to| seen.store(up_to, Ordering::SeqCst));
    assert_eq!(relay.round().await.expect("round"), Round::Published(3));
    assert_eq!(
        hooked.load(Ordering::SeqCst),
        4,
        "the hook hears the broker's new top"
    );
    assert_eq!(relay.round().await.expect("round"), Round::Published(1));
    assert_eq!(relay.round().await.expect("round"), Round::Idle);
    assert_eq!(
        *published.lock().expect("lock"),
        vec![(1, vec![2, 3, 4]), (4, vec![5])],
        "what followed the broker's seq 1, in order, each batch after the last"
    );
}

#[tokio::test]
async fn after_a_failed_publish_the_broker_is_asked_again() {
    let use_cases = history();
    let mut publisher = MockEventPublisher::new();
    let asked = Arc::new(AtomicU64::new(0));
    let count = Arc::clone(&asked);
    publisher.expect_position().returning(move || {
        count.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Ok(BrokerPosition::default()) })
    });
    let mut first = true;
    publisher.expect_publish().returning(move |_, events| {
        let last = events.last().map_or(0, |e| e.seq);
        let fail = std::mem::take(&mut first);
        Box::pin(async move {
            if fail {
                Err(PublishError::Unavailable("down".into()))
            } else {
                Ok(last)
            }
        })
    });
    let mut relay = relay(&use_cases, publisher);
    assert!(matches!(
        relay.round().await,
        Err(RelayError::Publish(PublishError::Unavailable(_)))
    ));
    assert_eq!(relay.round().await.expect("round"), Round::Published(3));
    assert_eq!(
        asked.load(Ordering::SeqCst),
        2,
        "once at start, once after the failure"
    );
}

#[tokio::test]
async fn a_broker_ahead_of_the_outbox_is_refused_not_skipped() {
    let use_cases = history();
    let mut publisher = MockEventPublisher::new();
    publisher.expect_position().returning(|| {
        Box::pin(async {
            Ok(BrokerPosition {
                seq: 99,
                event_id: None,
            })
        })
    });
    publisher.expect_publish().never();
    let mut relay = relay(&use_cases, publisher);
    assert!(matches!(
        relay.round().await,
        Err(RelayError::BrokerAhead {
            broker_top: 99,
            outbox_last: 5
        })
    ));
}

#[tokio::test]
async fn a_broker_holding_another_event_at_the_same_seq_is_refused() {
    let use_cases = history();
    let mut publisher = MockEventPublisher::new();
    publisher.expect_position().returning(|| {
        Box::pin(async {
            Ok(BrokerPosition {
                seq: 3,
                event_id: Some(inventory_domain::EventId::from_uuid(uuid::Uuid::from_u128(
                    9,
                ))),
            })
        })
    });
    publisher.expect_publish().never();
    let mut relay = relay(&use_cases, publisher);
    assert!(matches!(
        relay.round().await,
        Err(RelayError::BrokerMismatch { seq: 3, .. })
    ));
}

#[tokio::test]
async fn a_broker_that_moved_is_asked_again_and_published_from_where_it_is() {
    let use_cases = history();
    let mut publisher = MockEventPublisher::new();
    let positions = Arc::new(std::sync::Mutex::new(vec![0, 5]));
    let next = Arc::clone(&positions);
    publisher.expect_position().times(2).returning(move || {
        let seq = next.lock().expect("lock").remove(0);
        Box::pin(async move {
            Ok(BrokerPosition {
                seq,
                event_id: None,
            })
        })
    });
    // Another relay published everything between our position and our publish.
    publisher
        .expect_publish()
        .times(1)
        .returning(|_, _| Box::pin(async { Err(PublishError::Moved) }));
    let mut relay = relay(&use_cases, publisher);
    assert_eq!(relay.round().await.expect("round"), Round::Published(0));
    assert_eq!(
        relay.round().await.expect("round"),
        Round::Idle,
        "nothing after 5"
    );
    assert!(positions.lock().expect("lock").is_empty(), "asked twice");
}
