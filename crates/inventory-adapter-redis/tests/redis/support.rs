//! A SQLite inventory with some history, and a relay over it.

use std::sync::Arc;
use std::time::Duration;

use inventory_adapter_redis::{RedisSettings, RelayLease, StreamPublisher, lazy_connection};
use inventory_adapter_sqlite::{SqliteConfig, SqliteStore, Synchronous};
use inventory_application::{
    BrokerStatus, NoObserver, OutboxRelay, Ports, RelaySettings, SoleRelay, UseCases,
};
use inventory_ports::{Clock, Leadership, RequestContext, SystemClock, UuidV7Ids};
use inventory_testkit::fixtures::{adjust_command, details, reserve_command};
use tokio::sync::Notify;

pub struct Inventory {
    pub use_cases: UseCases,
    pub path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Inventory {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("inventory.db");
        Self::open(dir, path)
    }

    fn open(dir: tempfile::TempDir, path: std::path::PathBuf) -> Self {
        let mut config = SqliteConfig::file(&path);
        config.synchronous = Synchronous::Off;
        let store = Arc::new(SqliteStore::open(&config).expect("open"));
        let use_cases = UseCases::new(Ports {
            store: store.clone(),
            clock: Arc::new(SystemClock) as Arc<dyn Clock>,
            ids: Arc::new(UuidV7Ids),
            read_cache: None,
        });
        Self {
            use_cases,
            path,
            _dir: dir,
        }
    }

    /// Another process's view of the same file.
    pub fn second_view(&self) -> UseCases {
        let mut config = SqliteConfig::file(&self.path);
        config.synchronous = Synchronous::Off;
        UseCases::new(Ports {
            store: Arc::new(SqliteStore::open(&config).expect("open")),
            clock: Arc::new(SystemClock),
            ids: Arc::new(UuidV7Ids),
            read_cache: None,
        })
    }

    /// A product, two restocks, a reservation confirmed, one cancelled, one left pending, a
    /// store created and updated: every kind of event but expiry.
    pub fn make_history(&self) {
        let ctx = RequestContext::with_request_id("req-history");
        let uc = &self.use_cases;
        let product = uc
            .products
            .create(details("HIST-1"), &ctx)
            .expect("product")
            .id;
        uc.stock
            .adjust(adjust_command(product, "MAD-001", 10), &ctx)
            .expect("restock");
        uc.stock
            .adjust(adjust_command(product, "BCN-001", 5), &ctx)
            .expect("restock");
        uc.stock
            .adjust(adjust_command(product, "BCN-001", 1), &ctx)
            .expect("restock again");
        let first = uc
            .reservations
            .reserve(reserve_command(product, "MAD-001", "cust-1", 2, 600), &ctx)
            .expect("reserve");
        uc.reservations.confirm(first.id(), &ctx).expect("confirm");
        let second = uc
            .reservations
            .reserve(reserve_command(product, "BCN-001", "cust-2", 1, 600), &ctx)
            .expect("reserve");
        uc.reservations.cancel(second.id(), &ctx).expect("cancel");
        uc.reservations
            .reserve(reserve_command(product, "MAD-001", "cust-3", 1, 600), &ctx)
            .expect("reserve");
        let store = inventory_testkit::fixtures::store("BIL-001");
        uc.stores
            .create(store.id.clone(), store.details.clone(), &ctx)
            .expect("store");
        let mut closed = store.details;
        closed.active = false;
        uc.stores
            .update(store.id, closed, &ctx)
            .expect("update store");
        uc.products
            .update(product, details("HIST-1B"), &ctx)
            .expect("update product");
        let short_lived = uc
            .products
            .create(details("HIST-2"), &ctx)
            .expect("product");
        uc.products
            .delete(short_lived.id, &ctx)
            .expect("delete product");
        // The last reservation is left pending; release it as the expiry worker would, an
        // hour from now (expiries carry no request id).
        let later = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
        assert_eq!(uc.reservations.expire_due(later, 10).expect("expire"), 1);
    }
}

pub fn settings(url: &str, stream: &str) -> RedisSettings {
    let mut settings = RedisSettings::new(url);
    settings.stream = stream.to_owned();
    settings.lease_ttl = Duration::from_millis(600);
    settings
}

/// Several batches for a small history, short backoffs.
pub fn relay_settings() -> RelaySettings {
    RelaySettings {
        batch: 7,
        min_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        ..RelaySettings::default()
    }
}

/// A relay of `use_cases`' outbox to `settings`' stream, with a lease when `with_lease`.
pub fn relay(
    use_cases: &UseCases,
    settings: &RedisSettings,
    with_lease: bool,
) -> (OutboxRelay<StreamPublisher>, Arc<BrokerStatus>) {
    let connection = lazy_connection(&settings.url, Duration::from_secs(2)).expect("url");
    let publisher = StreamPublisher::new(connection.clone(), &settings.stream, settings.max_len);
    let leadership: Box<dyn Leadership> = if with_lease {
        Box::new(RelayLease::new(
            connection,
            settings.lease_key(),
            settings.lease_ttl,
        ))
    } else {
        Box::new(SoleRelay)
    };
    let status = Arc::new(BrokerStatus::default());
    let relay = OutboxRelay::new(
        use_cases.events.clone(),
        publisher,
        leadership,
        Arc::new(Notify::new()),
        status.clone(),
        Arc::new(NoObserver),
        relay_settings(),
    );
    (relay, status)
}

/// Every entry of a stream: (entry id, fields).
pub fn stream_entries(
    url: &str,
    stream: &str,
) -> Vec<(String, std::collections::HashMap<String, String>)> {
    use redis::Commands;
    let mut connection = redis::Client::open(url)
        .expect("url")
        .get_connection()
        .expect("connect");
    let reply: redis::streams::StreamRangeReply = connection.xrange_all(stream).expect("XRANGE");
    reply
        .ids
        .into_iter()
        .map(|entry| {
            let fields = entry
                .map
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        redis::from_redis_value_ref::<String>(v).expect("text"),
                    )
                })
                .collect();
            (entry.id, fields)
        })
        .collect()
}

/// The sequence numbers of a stream's entries, in stream order.
pub fn stream_seqs(url: &str, stream: &str) -> Vec<u64> {
    stream_entries(url, stream)
        .iter()
        .map(|(id, _)| {
            id.trim_end_matches("-0")
                .parse()
                .expect("a <seq>-0 entry id")
        })
        .collect()
}

/// The sequence numbers the outbox holds, in order.
pub fn outbox_seqs(use_cases: &UseCases) -> Vec<u64> {
    let events = use_cases.events.after(0, 1000).expect("read the outbox");
    events.iter().map(|e| e.seq).collect()
}

/// Deletes a test's keys from the shared Redis.
pub fn cleanup(url: &str, stream: &str) {
    use redis::Commands;
    if let Ok(mut connection) = redis::Client::open(url).and_then(|c| c.get_connection()) {
        let _: redis::RedisResult<()> =
            connection.del(&[stream.to_owned(), format!("{stream}:relay-lease")]);
    }
}
