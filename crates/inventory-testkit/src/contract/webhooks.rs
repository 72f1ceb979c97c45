//! Webhook endpoints and their delivery log, through the real use cases: what the webhook
//! worker relies on from storage. An endpoint reads back as registered and starts after the
//! log; its cursor moves only from where it is (a replay wins over a worker that read it
//! before), together with the log line of the attempt that moved it; the log reads newest
//! first by page; deleting an endpoint removes its log.

use std::sync::Arc;

use inventory_application::{RegisterWebhook, UseCases};
use inventory_domain::EventId;
use inventory_events::EventType;
use inventory_ports::{
    DeliveryOutcome, InventoryError, ManualClock, Page, RequestContext, UrlPolicy, Webhook,
    WebhookDelivery, WebhookUrl,
};

use super::{TestDatabase, use_cases};
use crate::fixtures::{T0, stocked, store_id};

/// Registers an endpoint on loopback (allowed here: no address outside this machine).
fn register(use_cases: &UseCases, store: Option<&str>) -> Webhook {
    use_cases
        .webhooks
        .register(
            RegisterWebhook {
                url: WebhookUrl::parse("http://127.0.0.1:9/hooks").expect("a valid URL"),
                event_types: vec![EventType::StockUpdated, EventType::ProductCreated],
                store_id: store.map(store_id),
                created_by: Some("admin-1".into()),
            },
            &UrlPolicy {
                allow_private: true,
            },
            &RequestContext::default(),
        )
        .expect("register")
}

fn attempt(webhook: &Webhook, seq: u64, attempt: u32, outcome: DeliveryOutcome) -> WebhookDelivery {
    WebhookDelivery {
        webhook_id: webhook.id,
        seq,
        event_id: EventId::from_uuid(uuid::Uuid::now_v7()),
        attempt,
        status_code: (outcome != DeliveryOutcome::Failed).then_some(200),
        error: (outcome == DeliveryOutcome::Failed).then(|| "no answer: refused".to_owned()),
        outcome,
        at: T0,
    }
}

/// An endpoint reads back as registered, on this handle and another, with who registered
/// it and its secret; its cursor starts at the end of the log (it receives what follows).
pub fn a_webhook_reads_back_as_registered_and_starts_after_the_log(db: &dyn TestDatabase) {
    let clock = Arc::new(ManualClock::new(T0));
    let here = use_cases(db.store(), &clock);
    let there = use_cases(db.second_store(), &clock);
    stocked(&here, "SKU-HOOK-1", 5);
    let last = here.events.last_seq().expect("last seq");
    assert!(last >= 2);
    let webhook = register(&here, Some("MAD-001"));
    assert_eq!(webhook.cursor, last);
    assert_eq!(webhook.created_by.as_deref(), Some("admin-1"));
    assert!(webhook.secret.expose().starts_with("whsec_"));
    assert_eq!(there.webhooks.get(webhook.id).expect("get"), webhook);
    assert_eq!(there.webhooks.list().expect("list"), vec![webhook.clone()]);
    let other = register(&there, None);
    assert_eq!(
        here.webhooks.list().expect("list"),
        vec![webhook, other.clone()],
        "oldest first"
    );
    assert_eq!(other.store_id, None);
    assert_ne!(other.secret, here.webhooks.list().unwrap()[0].secret);
}

/// The cursor moves only from the value the mover read: an attempt that advances it is
/// logged with the move or not at all, and after a replay a worker's stale advance changes
/// nothing.
pub fn a_webhook_cursor_moves_only_from_where_it_is(db: &dyn TestDatabase) {
    let clock = Arc::new(ManualClock::new(T0));
    let here = use_cases(db.store(), &clock);
    let there = use_cases(db.second_store(), &clock);
    let webhook = register(&here, None);
    stocked(&here, "SKU-HOOK-2", 5);
    let start = webhook.cursor;
    assert!(
        !here
            .webhooks
            .skip(webhook.id, start + 1, start + 2)
            .unwrap()
    );
    assert!(here.webhooks.skip(webhook.id, start, start + 1).unwrap());
    let delivered = attempt(&webhook, start + 2, 1, DeliveryOutcome::Delivered);
    assert!(
        there
            .webhooks
            .record_attempt(delivered.clone(), Some((start + 1, start + 2)))
            .unwrap()
    );
    assert_eq!(here.webhooks.get(webhook.id).unwrap().cursor, start + 2);
    // A replay moves it back; an advance from the value read before loses and logs nothing.
    let replayed = there
        .webhooks
        .replay(webhook.id, 1, &RequestContext::default())
        .unwrap();
    assert_eq!(replayed.cursor, 0);
    let stale = attempt(&webhook, start + 3, 1, DeliveryOutcome::Delivered);
    assert!(
        !here
            .webhooks
            .record_attempt(stale, Some((start + 2, start + 3)))
            .unwrap()
    );
    // A failed attempt (no move) is logged while the cursor is before its event.
    let failed = attempt(&webhook, 1, 1, DeliveryOutcome::Failed);
    assert!(here.webhooks.record_attempt(failed.clone(), None).unwrap());
    let log = here
        .webhooks
        .deliveries(webhook.id, Page::default())
        .unwrap();
    assert_eq!(log.data, vec![failed, delivered], "newest first");
    assert_eq!(here.webhooks.get(webhook.id).unwrap().cursor, 0);
    // A replay never moves the cursor past the end of the log.
    let last = here.events.last_seq().unwrap();
    let ahead = here
        .webhooks
        .replay(webhook.id, last + 100, &RequestContext::default())
        .unwrap();
    assert_eq!(ahead.cursor, last);
}

/// The log reads newest first, by page, each endpoint its own.
pub fn a_delivery_log_reads_newest_first_by_page(db: &dyn TestDatabase) {
    let clock = Arc::new(ManualClock::new(T0));
    let here = use_cases(db.store(), &clock);
    stocked(&here, "SKU-HOOK-3", 5);
    let first = register(&here, None);
    let second = register(&here, None);
    here.webhooks
        .replay(first.id, 1, &RequestContext::default())
        .unwrap();
    let lines: Vec<WebhookDelivery> = (1..=5)
        .map(|n| attempt(&first, 1, n, DeliveryOutcome::Failed))
        .collect();
    for line in &lines {
        assert!(here.webhooks.record_attempt(line.clone(), None).unwrap());
    }
    let page = here
        .webhooks
        .deliveries(first.id, Page::new(Some(2), Some(1)).unwrap())
        .unwrap();
    assert_eq!(page.total, 5);
    assert_eq!(page.data, vec![lines[3].clone(), lines[2].clone()]);
    let empty = here
        .webhooks
        .deliveries(second.id, Page::default())
        .unwrap();
    assert_eq!((empty.total, empty.data.len()), (0, 0));
}

/// Deleting an endpoint removes it and its log; a worker's attempt for it is not kept.
pub fn deleting_a_webhook_removes_its_log(db: &dyn TestDatabase) {
    let clock = Arc::new(ManualClock::new(T0));
    let here = use_cases(db.store(), &clock);
    let there = use_cases(db.second_store(), &clock);
    stocked(&here, "SKU-HOOK-4", 5);
    let webhook = register(&here, None);
    here.webhooks
        .replay(webhook.id, 1, &RequestContext::default())
        .unwrap();
    assert!(
        here.webhooks
            .record_attempt(attempt(&webhook, 1, 1, DeliveryOutcome::Failed), None)
            .unwrap()
    );
    there
        .webhooks
        .delete(webhook.id, &RequestContext::default())
        .expect("delete");
    assert_eq!(
        here.webhooks.get(webhook.id),
        Err(InventoryError::WebhookNotFound(webhook.id))
    );
    assert_eq!(
        here.webhooks
            .deliveries(webhook.id, Page::default())
            .map(|_| ()),
        Err(InventoryError::WebhookNotFound(webhook.id))
    );
    assert_eq!(
        here.webhooks.delete(webhook.id, &RequestContext::default()),
        Err(InventoryError::WebhookNotFound(webhook.id))
    );
    let late = attempt(&webhook, 2, 1, DeliveryOutcome::Delivered);
    assert!(!here.webhooks.record_attempt(late, Some((0, 2))).unwrap());
    assert!(here.webhooks.list().unwrap().is_empty());
}
