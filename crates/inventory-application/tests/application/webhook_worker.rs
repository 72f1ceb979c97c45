//! The webhook worker's logic with a mocked sender, on the in-memory store: every wanted
//! event once, in seq order, after failures; a retry waits for its back-off; an event given up
//! after the retry window (DEAD) lets the next one through; the filter skips other types and
//! stores and the cursor still moves past them. Time is tokio's paused clock, moved by hand.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use inventory_application::webhook_signature::sign;
use inventory_application::{
    NoObserver, RegisterWebhook, SoleRelay, UseCases, WebhookSettings, WebhookWorker,
};
use inventory_events::EventType;
use inventory_ports::{
    Clock, DeliveryOutcome, MockWebhookSender, Page, SendError, UrlPolicy, Webhook, WebhookRequest,
    WebhookUrl,
};
use inventory_testkit::fixtures::{adjust_command, reserve_command};
use tokio::sync::Notify;

use crate::support::{ctx, fresh, stocked};

const SETTINGS: WebhookSettings = WebhookSettings {
    retry_base: Duration::from_millis(10),
    retry_cap: Duration::from_millis(40),
    retry_for: Duration::from_secs(3600),
    poll_interval: Duration::from_millis(100),
    batch: 2,
};

fn register(use_cases: &UseCases, types: Vec<EventType>, store: Option<&str>) -> Webhook {
    let webhook = use_cases
        .webhooks
        .register(
            RegisterWebhook {
                url: WebhookUrl::parse("http://127.0.0.1:9/hook").unwrap(),
                event_types: types,
                store_id: store.map(|code| inventory_domain::StoreId::parse(code).unwrap()),
                created_by: None,
            },
            &UrlPolicy {
                allow_private: true,
            },
            &ctx(),
        )
        .expect("register");
    // From the start of the log, so the history below is delivered.
    use_cases
        .webhooks
        .replay(webhook.id, 1, &ctx())
        .expect("replay")
}

fn worker(
    use_cases: &UseCases,
    sender: MockWebhookSender,
    settings: WebhookSettings,
) -> WebhookWorker {
    let clock: Arc<dyn Clock> = Arc::new(inventory_ports::SystemClock);
    WebhookWorker::new(
        use_cases.webhooks.clone(),
        Arc::new(sender),
        clock,
        Box::new(SoleRelay),
        Arc::new(Notify::new()),
        Arc::new(NoObserver),
        settings,
    )
}

/// Every request a scripted sender got, with the status it answered.
type Seen = Arc<Mutex<Vec<(WebhookRequest, u16)>>>;

/// A sender answering `statuses` in turn (then 200), remembering every request.
fn scripted(statuses: Vec<u16>) -> (MockWebhookSender, Seen) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let script = Mutex::new(statuses.into_iter());
    let mut sender = MockWebhookSender::new();
    sender.expect_send().returning(move |request| {
        let status = script.lock().unwrap().next().unwrap_or(200);
        log.lock().unwrap().push((request.clone(), status));
        Ok(status)
    });
    (sender, seen)
}

/// Rounds until the endpoint's cursor reaches the end of the log, moving time on by the
/// longest back-off between rounds; at most `rounds`.
async fn until_caught_up(
    worker: &mut WebhookWorker,
    use_cases: &UseCases,
    id: inventory_ports::WebhookId,
    rounds: usize,
) {
    let last = use_cases.events.last_seq().unwrap();
    for _ in 0..rounds {
        worker.round().await.expect("round");
        if use_cases.webhooks.get(id).unwrap().cursor == last {
            return;
        }
        tokio::time::advance(SETTINGS.retry_cap).await;
    }
    panic!("the endpoint did not catch up in {rounds} rounds");
}

#[tokio::test(start_paused = true)]
async fn every_wanted_event_arrives_once_in_seq_order_after_failures_with_a_valid_signature() {
    let (use_cases, _, _) = fresh();
    let webhook = register(
        &use_cases,
        vec![
            EventType::ProductCreated,
            EventType::StockCreated,
            EventType::StockUpdated,
        ],
        None,
    );
    let product = stocked(&use_cases, "HOOK-1", 10);
    use_cases
        .stock
        .adjust(adjust_command(product, "MAD-001", 5), &ctx())
        .unwrap();
    use_cases
        .stock
        .adjust(adjust_command(product, "BCN-001", 3), &ctx())
        .unwrap();
    let (sender, seen) = scripted(vec![500, 502, 200, 404]);
    let mut worker = worker(&use_cases, sender, SETTINGS);
    until_caught_up(&mut worker, &use_cases, webhook.id, 20).await;

    let expected: Vec<(u64, String)> = use_cases
        .events
        .after(0, 100)
        .unwrap()
        .into_iter()
        .map(|event| (event.seq, event.event_id.to_string()))
        .collect();
    assert_eq!(expected.len(), 4);
    let seen = seen.lock().unwrap();
    let delivered: Vec<String> = seen
        .iter()
        .filter(|(_, status)| *status == 200)
        .map(|(request, _)| request.id.clone())
        .collect();
    let in_order: Vec<String> = expected.iter().map(|(_, id)| id.clone()).collect();
    assert_eq!(delivered, in_order, "each once, in seq order");
    assert_eq!(
        seen.len(),
        7,
        "two failures on the first event, one on the second"
    );
    for (request, _) in seen.iter() {
        assert_eq!(
            request.signature,
            sign(
                &webhook.secret,
                &request.id,
                request.timestamp,
                &request.body
            )
            .unwrap()
        );
        let body: serde_json::Value = serde_json::from_str(&request.body).unwrap();
        assert_eq!(body["event_id"], request.id.as_str());
    }
    let log = use_cases
        .webhooks
        .deliveries(webhook.id, Page::new(Some(100), None).unwrap())
        .unwrap();
    let outcomes: Vec<(u64, u32, DeliveryOutcome, Option<u16>)> = log
        .data
        .iter()
        .rev()
        .map(|line| (line.seq, line.attempt, line.outcome, line.status_code))
        .collect();
    let (first, second) = (expected[0].0, expected[1].0);
    assert_eq!(
        &outcomes[..5],
        &[
            (first, 1, DeliveryOutcome::Failed, Some(500)),
            (first, 2, DeliveryOutcome::Failed, Some(502)),
            (first, 3, DeliveryOutcome::Delivered, Some(200)),
            (second, 1, DeliveryOutcome::Failed, Some(404)),
            (second, 2, DeliveryOutcome::Delivered, Some(200)),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_retry_waits_for_its_back_off() {
    let (use_cases, _, _) = fresh();
    let webhook = register(&use_cases, vec![EventType::ProductCreated], None);
    stocked(&use_cases, "HOOK-2", 1);
    let (sender, seen) = scripted(vec![500]);
    let settings = WebhookSettings {
        retry_base: Duration::from_secs(60),
        retry_cap: Duration::from_secs(60),
        ..SETTINGS
    };
    let mut worker = worker(&use_cases, sender, settings);
    let due = worker.round().await.unwrap().expect("a retry is due later");
    // Full jitter: at most the base after the first failure.
    assert!(due <= tokio::time::Instant::now() + Duration::from_secs(60));
    if due > tokio::time::Instant::now() {
        worker.round().await.unwrap();
        assert_eq!(
            seen.lock().unwrap().len(),
            1,
            "nothing sent before the back-off ends"
        );
    }
    tokio::time::advance(Duration::from_secs(60)).await;
    worker.round().await.unwrap();
    assert_eq!(seen.lock().unwrap().len(), 2);
    assert_eq!(
        use_cases.webhooks.get(webhook.id).unwrap().cursor,
        use_cases.events.last_seq().unwrap()
    );
}

#[tokio::test(start_paused = true)]
async fn an_event_failing_past_the_retry_window_is_dead_and_the_next_one_follows() {
    let (use_cases, _, _) = fresh();
    let webhook = register(&use_cases, vec![EventType::ProductCreated], None);
    stocked(&use_cases, "HOOK-3", 1);
    stocked(&use_cases, "HOOK-4", 1);
    let products: Vec<String> = use_cases
        .events
        .after(0, 100)
        .unwrap()
        .into_iter()
        .filter(|event| event.event_type == "product.created")
        .map(|event| event.event_id.to_string())
        .collect();
    let doomed = products[0].clone();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let mut sender = MockWebhookSender::new();
    sender
        .expect_send()
        .returning(move |request: &WebhookRequest| {
            log.lock().unwrap().push(request.id.clone());
            if request.id == doomed {
                Err(SendError::Transport("connection refused".into()))
            } else {
                Ok(204)
            }
        });
    let settings = WebhookSettings {
        retry_for: Duration::from_millis(100),
        ..SETTINGS
    };
    let mut worker = worker(&use_cases, sender, settings);
    until_caught_up(&mut worker, &use_cases, webhook.id, 20).await;
    let lines = use_cases
        .webhooks
        .deliveries(webhook.id, Page::new(Some(100), None).unwrap())
        .unwrap()
        .data;
    let newest = &lines[0];
    assert_eq!(newest.outcome, DeliveryOutcome::Delivered);
    assert_eq!(newest.event_id.to_string(), products[1]);
    let dead = &lines[1];
    assert_eq!(dead.outcome, DeliveryOutcome::Dead);
    assert_eq!(dead.error.as_deref(), Some("no answer: connection refused"));
    assert!(
        lines[2..]
            .iter()
            .all(|line| line.outcome == DeliveryOutcome::Failed)
    );
    assert_eq!(seen.lock().unwrap().last(), Some(&products[1]));
}

#[tokio::test(start_paused = true)]
async fn the_filter_skips_other_types_and_stores_and_the_cursor_moves_past_them() {
    let (use_cases, _, _) = fresh();
    let webhook = register(
        &use_cases,
        vec![EventType::ReservationCreated],
        Some("BCN-001"),
    );
    let product = stocked(&use_cases, "HOOK-5", 10);
    use_cases
        .stock
        .adjust(adjust_command(product, "BCN-001", 5), &ctx())
        .unwrap();
    use_cases
        .reservations
        .reserve(reserve_command(product, "MAD-001", "cust-1", 1, 60), &ctx())
        .unwrap();
    let wanted = use_cases
        .reservations
        .reserve(reserve_command(product, "BCN-001", "cust-2", 1, 60), &ctx())
        .unwrap();
    use_cases
        .stock
        .adjust(adjust_command(product, "BCN-001", 1), &ctx())
        .unwrap();
    let (sender, seen) = scripted(Vec::new());
    let mut worker = worker(&use_cases, sender, SETTINGS);
    until_caught_up(&mut worker, &use_cases, webhook.id, 5).await;
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "only BCN-001's reservation.created");
    let body: serde_json::Value = serde_json::from_str(&seen[0].0.body).unwrap();
    assert_eq!(body["event_type"], "reservation.created");
    assert_eq!(body["store_id"], "BCN-001");
    assert_eq!(body["aggregate_id"], wanted.id().to_string().as_str());
}
