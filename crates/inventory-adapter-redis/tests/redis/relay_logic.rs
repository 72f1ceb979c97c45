//! The relay's bookkeeping with a mocked publisher: it marks exactly what the publisher
//! confirmed, and nothing when publishing fails.

use std::sync::Arc;

use inventory_adapter_redis::{ConnectionStatus, RedisSettings, Relay, Round};
use inventory_ports::{MockEventPublisher, PublishError};
use tokio::sync::Notify;

use crate::support::Inventory;

fn relay(inventory: &Inventory, publisher: MockEventPublisher) -> Relay<MockEventPublisher> {
    let mut settings = RedisSettings::new("redis://unused");
    settings.batch = 100;
    Relay::new(
        inventory.use_cases.events.clone(),
        publisher,
        None,
        Arc::new(Notify::new()),
        Arc::new(ConnectionStatus::default()),
        None,
        settings,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_marks_up_to_what_the_publisher_confirmed() {
    let inventory = Inventory::new();
    inventory.make_history();
    let total = inventory.use_cases.events.last_seq().expect("last");
    let mut publisher = MockEventPublisher::new();
    publisher
        .expect_last_published_seq()
        .times(1)
        .returning(|| Box::pin(async { Ok(0) }));
    publisher
        .expect_publish()
        .times(1)
        .withf(move |events| {
            events.len() as u64 == total && events.windows(2).all(|w| w[0].seq < w[1].seq)
        })
        .returning(|_| Box::pin(async { Ok(4) }));
    let mut relay = relay(&inventory, publisher);
    assert_eq!(
        relay.round().await.expect("round"),
        Round::Published(total as usize)
    );
    let pending = inventory
        .use_cases
        .events
        .unpublished(100)
        .expect("pending");
    assert_eq!(
        pending.first().map(|e| e.seq),
        Some(5),
        "only seqs up to 4 were marked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_publish_marks_nothing() {
    let inventory = Inventory::new();
    inventory.make_history();
    let mut publisher = MockEventPublisher::new();
    publisher
        .expect_last_published_seq()
        .returning(|| Box::pin(async { Ok(0) }));
    publisher
        .expect_publish()
        .returning(|_| Box::pin(async { Err(PublishError::Unavailable("down".into())) }));
    let mut relay = relay(&inventory, publisher);
    assert!(relay.round().await.is_err());
    let backlog = inventory.use_cases.events.backlog().expect("backlog");
    assert_eq!(
        backlog.events,
        inventory.use_cases.events.last_seq().expect("last")
    );
}
