//! # inventory
//!
//! The inventory service as a library: products, the stock of every product in every store,
//! and customers' reservations that expire if not confirmed, with the same rules, the same
//! database and the same event log as the HTTP service. Every change commits together with
//! its event; the expiry worker releases reservations on time and the relay publishes every
//! event to Redis.
//!
//! ```
//! use inventory::{
//!     AdjustStock, AdjustmentReason, CustomerId, Inventory, Price, ProductDetails,
//!     ProductName, Quantity, RequestContext, ReservationTtl, ReserveStock, Sku, StockDelta,
//!     StoreId, WorkerSettings,
//! };
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! # runtime.block_on(async {
//! // A file in production (`Inventory::open("inventory.db")`); memory here.
//! let inventory = Inventory::in_memory()?;
//! // The expiry worker, and with `redis: Some(RedisSettings::new(url))` the outbox relay.
//! let workers = inventory.start(WorkerSettings::default())?;
//!
//! let ctx = RequestContext::default();
//! let laptop = inventory.products().create(
//!     ProductDetails {
//!         sku: Sku::parse("HP-PAV-15")?,
//!         name: ProductName::parse("Laptop HP Pavilion 15")?,
//!         description: None,
//!         category: None,
//!         price: Price::parse("899.99")?,
//!     },
//!     &ctx,
//! )?;
//! let madrid = StoreId::parse("MAD-001")?;
//! inventory.stock().adjust(
//!     AdjustStock {
//!         product_id: laptop.id,
//!         store_id: madrid.clone(),
//!         delta: StockDelta::new(10)?,
//!         reason: AdjustmentReason::Restock,
//!         user_id: None,
//!         on_behalf_of: None,
//!     },
//!     &ctx,
//! )?;
//! let reservation = inventory.reservations().reserve(
//!     ReserveStock {
//!         product_id: laptop.id,
//!         store_id: madrid,
//!         customer_id: CustomerId::parse("cust-456")?,
//!         quantity: Quantity::new(1)?,
//!         ttl: ReservationTtl::default(),
//!         limits: None,
//!     },
//!     &ctx,
//! )?;
//! inventory.reservations().confirm(reservation.id(), &ctx)?;
//! assert_eq!(inventory.availability().of_product(laptop.id, None)?.total_available, 9);
//!
//! // Stop the workers (the relay publishes what is left), then close the database.
//! workers.stop().await;
//! inventory.close();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })
//! # }
//! ```
//!
//! ## What you get
//!
//! - [`Inventory`]: opens (or creates and migrates) a SQLite file, a private in-memory
//!   database, or a PostgreSQL database shared by several instances
//!   ([`Inventory::open_url`], [`StorageConfig`]), and exposes the use cases: [`Inventory::products`], [`Inventory::stores`],
//!   [`Inventory::stock`], [`Inventory::availability`], [`Inventory::reservations`],
//!   [`Inventory::events`].
//! - Every call is synchronous and commits durably before it returns. From async code, run
//!   it on a blocking thread ([`blocking`] does that on tokio).
//! - [`Inventory::start`] runs the background work on the current tokio runtime: the expiry
//!   worker, and with Redis configured the outbox relay. [`Workers::stop`] stops them.
//! - Every change writes its event to the outbox in the same transaction; read them in order
//!   with [`EventLog::after`], or be told about commits with [`Inventory::on_commit`]. The
//!   wire format of events is [`events`].
//! - The four stores of the chain (MAD-001, BCN-001, VAL-001, SEV-001) exist from the start.
//! - Several processes may open the same database at once (the HTTP server and a batch job
//!   on one SQLite file, or many server instances on one PostgreSQL): no unit is ever sold
//!   twice, and events keep their commit order.

mod copy;
mod storage;

use std::path::Path;
use std::sync::Arc;

use inventory_adapter_redis::{RelayLease, StreamPublisher, lazy_connection};
use inventory_adapter_webhook::HttpWebhookSender;
use inventory_application::{
    ExpiryWorker, KeyPurgeWorker, OutboxRelay, Ports, SoleRelay, WebhookWorker,
};
use inventory_ports::InventoryStore;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

pub use copy::{CopyError, CopyReport};
pub use inventory_adapter_postgres::PostgresConfig;
pub use inventory_adapter_redis::RedisSettings;
pub use inventory_adapter_sqlite::{Location, SCHEMA_VERSION, SqliteConfig, Synchronous};
pub use inventory_application::{
    AdjustStock, AvailabilityCache, AvailabilityQuery, Backoff, BrokerStatus, CacheFollower,
    CacheStats, Carts, Catalogue, CheckReport, CountStock, EventLog, Finding, Health,
    IdempotencyKeys, ImportFormat, ImportMode, ImportReport, ImportSource, Listing, LowStock,
    MovementHistory, MovementPage, NoObserver, OpenRows, PlaceCart, ProductAvailability,
    ProductImport, ProductImports, ReadCacheSettings, Reconciliation, RelaySettings, RepairReport,
    Reservations, ReserveStock, RowOutcome, RowResult, SendTransfer, StockChanged, StockImport,
    StockImports, StockKeeping, StoreAvailability, StoreDirectory, Transfers, UseCases,
    WebhookSettings, Webhooks, WorkerObserver, blocking, pause_or_stop,
};
pub use inventory_domain::{
    Address, AdjustmentReason, Allowance, Cart, CartError, CartId, CartLine, Category, ChangedBy,
    City, Country, CustomerHolds, CustomerId, Description, Email, EventId, HoldLimitError,
    HoldLimits, HoldScope, Holds, InvariantViolation, MAX_CART_LINES, MAX_PRICE_CENTS,
    MAX_STOCK_LEVEL, MAX_UNITS_PER_OPERATION, OffsetDateTime, Phone, Price, Product,
    ProductDetails, ProductId, ProductName, Quantity, Reservation, ReservationError, ReservationId,
    ReservationStatus, ReservationTtl, Shortfall, Sku, Stock, StockChange, StockCount, StockDelta,
    StockError, Store, StoreDetails, StoreId, StoreName, Transfer, TransferError, TransferId,
    TransferMode, TransferStatus, UserId, ValidationError,
};
pub use inventory_domain::{
    LowStockAlert, MovementReason, MovementReference, ReferenceKind, StockMovement, ThresholdScope,
    fold_for_search,
};
pub use inventory_ports::{
    Clock, ErrorChain, ErrorKind, Failure, IdGenerator, Idempotency, IdempotencyKey,
    InventoryError, LowStockEntry, ManualClock, MovementFilter, MovementOrder, Page, Paged,
    RecordedEvent, RecordedMovement, RequestContext, ReservationFilter, StoredResponse,
    SystemClock, TransferFilter, UrlPolicy, UuidV7Ids, Webhook, WebhookDelivery, WebhookId,
    WebhookUrl,
};
pub use storage::StorageConfig;

/// The event wire format: types, versioned payloads, decoding, the AsyncAPI document's types.
pub mod events {
    pub use inventory_events::{
        AggregateType, AvailabilityChange, CartPayload, CartState, DecodeError, EventEnvelope,
        EventPayload, EventType, ProductPayload, ProductState, ReservationPayload,
        ReservationState, STREAM_FIELDS, StockChangeState, StockPayload, StockState, StorePayload,
        StoreState, StreamField, TransferPayload, TransferState,
    };
}

/// Why an inventory could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The database was written by a newer version of the service; this one will not touch it.
    #[error(
        "the database schema is version {found} but this build supports up to {supported}: \
         upgrade the service or open another file"
    )]
    SchemaTooNew {
        /// The database's schema version.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// The database could not be opened or migrated (the source says why).
    #[error("the database could not be opened")]
    Storage(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The settings name no database this build can open.
    #[error("{0}")]
    Invalid(String),
}

impl From<inventory_adapter_postgres::OpenError> for OpenError {
    fn from(error: inventory_adapter_postgres::OpenError) -> Self {
        match error {
            inventory_adapter_postgres::OpenError::SchemaTooNew { found, supported } => {
                Self::SchemaTooNew { found, supported }
            }
            other => Self::Storage(Box::new(other)),
        }
    }
}

impl From<inventory_adapter_sqlite::OpenError> for OpenError {
    fn from(error: inventory_adapter_sqlite::OpenError) -> Self {
        match error {
            inventory_adapter_sqlite::OpenError::SchemaTooNew { found, supported } => {
                Self::SchemaTooNew { found, supported }
            }
            other => Self::Storage(Box::new(other)),
        }
    }
}

/// Why the workers could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// [`Inventory::start`] was called outside a tokio runtime.
    #[error("the workers run on tokio: call Inventory::start inside a tokio runtime")]
    NoRuntime,
    /// The Redis URL is malformed.
    #[error("the Redis URL is not valid")]
    Redis(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// An open inventory: a database and the use cases over it.
///
/// Cheap to share behind an `Arc`; the use cases it hands out are cheap to clone. Dropping the
/// last handle finishes queued writes and closes the database cleanly.
pub struct Inventory {
    use_cases: UseCases,
    clock: Arc<dyn Clock>,
    store: Arc<dyn InventoryStore>,
}

impl Inventory {
    /// Opens the inventory file at `path`, creating and migrating it if needed, with
    /// durable commits (`synchronous=FULL`).
    ///
    /// # Errors
    /// [`OpenError`] when the file cannot be opened or was written by a newer build.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, OpenError> {
        Self::builder(SqliteConfig::file(path.as_ref())).open()
    }

    /// Opens the inventory a URL names (`postgres://…`, `sqlite://PATH` or a path; see
    /// [`StorageConfig::from_url`]), creating and migrating it if needed.
    ///
    /// # Errors
    /// [`OpenError`] when the URL names no database, or it cannot be reached, opened or
    /// migrated.
    pub fn open_url(url: &str) -> Result<Self, OpenError> {
        Self::builder(StorageConfig::from_url(url)?).open()
    }

    /// A private inventory in memory, gone when dropped: for tests and demos.
    ///
    /// # Errors
    /// [`OpenError`] when SQLite cannot start.
    pub fn in_memory() -> Result<Self, OpenError> {
        Self::builder(SqliteConfig::memory()).open()
    }

    /// Starts configuring an inventory: database settings, clock and id generator.
    pub fn builder(config: impl Into<StorageConfig>) -> InventoryBuilder {
        InventoryBuilder {
            config: config.into(),
            clock: Arc::new(SystemClock),
            ids: Arc::new(UuidV7Ids),
            read_cache: ReadCacheSettings::default(),
        }
    }

    /// Products: create, update, delete, get by id or SKU, list.
    pub fn products(&self) -> &Catalogue {
        &self.use_cases.products
    }

    /// Stores: create, update, get, list.
    pub fn stores(&self) -> &StoreDirectory {
        &self.use_cases.stores
    }

    /// Stock levels: adjust by a delta, set a count, get, list.
    pub fn stock(&self) -> &StockKeeping {
        &self.use_cases.stock
    }

    /// Availability of a product across stores.
    pub fn availability(&self) -> &AvailabilityQuery {
        &self.use_cases.availability
    }

    /// Reservations: reserve, confirm, cancel, expire, get, list.
    pub fn reservations(&self) -> &Reservations {
        &self.use_cases.reservations
    }

    /// Carts: several lines reserved all or nothing, confirmed (wholly or in part),
    /// cancelled or expired as a whole.
    pub fn carts(&self) -> &Carts {
        &self.use_cases.carts
    }

    /// Transfers between stores: send (at once or shipped), receive, cancel, get, list.
    pub fn transfers(&self) -> &Transfers {
        &self.use_cases.transfers
    }

    /// The movement history: every change of a pair's quantity or reserved units.
    pub fn movements(&self) -> &MovementHistory {
        &self.use_cases.movements
    }

    /// Low-stock thresholds, and the pairs at or below them.
    pub fn low_stock(&self) -> &LowStock {
        &self.use_cases.low_stock
    }

    /// The reconciliation check (`inventory check`): does the stored data agree with itself?
    /// Safe to run beside the live service; its repairs are changes like any other.
    pub fn reconciliation(&self) -> &Reconciliation {
        &self.use_cases.reconciliation
    }

    /// Bulk stock imports from CSV or JSON lines: all or nothing, row by row, or a dry run.
    pub fn imports(&self) -> &StockImports {
        &self.use_cases.imports
    }

    /// Bulk product imports from CSV or JSON lines (new products only).
    pub fn product_imports(&self) -> &ProductImports {
        &self.use_cases.product_imports
    }

    /// The event log (outbox), in commit order.
    pub fn events(&self) -> &EventLog {
        &self.use_cases.events
    }

    /// Webhook endpoints: register, list, remove, delivery logs, replay. The worker
    /// [`Inventory::start`] runs delivers to them.
    pub fn webhooks(&self) -> &Webhooks {
        &self.use_cases.webhooks
    }

    /// Whether the database answers.
    pub fn health(&self) -> &Health {
        &self.use_cases.health
    }

    /// All use cases, to hand to something that needs several (an HTTP adapter).
    pub fn use_cases(&self) -> &UseCases {
        &self.use_cases
    }

    /// The clock the use cases read.
    pub fn clock(&self) -> Arc<dyn Clock> {
        Arc::clone(&self.clock)
    }

    /// Calls `listener` after every commit that wrote events, with the highest sequence
    /// number committed, before that commit's writers are answered. It runs on the committing
    /// thread: signal, don't work.
    pub fn on_commit(&self, listener: impl Fn(u64) + Send + Sync + 'static) {
        self.store.on_commit(Arc::new(listener));
    }

    /// Starts the background work on the current tokio runtime: the expiry worker, the purge of
    /// old idempotency answers, the availability read model's follower, the webhook worker,
    /// and with
    /// `settings.redis` the outbox relay (woken by every commit). Stop them with
    /// [`Workers::stop`] before [`Inventory::close`].
    ///
    /// # Errors
    /// [`StartError::NoRuntime`] outside a tokio runtime; [`StartError::Redis`] for a
    /// malformed Redis URL.
    pub fn start(&self, settings: WorkerSettings) -> Result<Workers, StartError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| StartError::NoRuntime)?;
        let (stop, stopped) = watch::channel(false);
        let expiry = ExpiryWorker::new(
            self.use_cases.reservations.clone(),
            self.clock(),
            Arc::clone(&settings.observer),
            settings.expiry_batch,
        );
        let purge = KeyPurgeWorker::new(
            self.use_cases.idempotency_keys.clone(),
            self.clock(),
            settings.idempotency_retention,
        );
        let follower = CacheFollower::new(self.use_cases.availability.clone());
        let mut tasks = vec![
            runtime.spawn(expiry.run(stopped.clone())),
            runtime.spawn(purge.run(stopped.clone())),
            runtime.spawn(follower.run(stopped.clone())),
        ];
        let mut broker = None;
        // With Redis, one process delivers webhooks at a time (a lease beside the relay's);
        // without it, this process is alone.
        let mut webhook_leadership: Box<dyn inventory_ports::Leadership> = Box::new(SoleRelay);
        if let Some(redis) = &settings.redis {
            let connection = lazy_connection(&redis.url, std::time::Duration::from_secs(2))
                .map_err(|error| StartError::Redis(Box::new(error)))?;
            webhook_leadership = Box::new(RelayLease::new(
                connection.clone(),
                format!("{}:webhook-lease", redis.stream),
                redis.lease_ttl,
            ));
            let publisher = StreamPublisher::new(connection.clone(), &redis.stream, redis.max_len);
            let lease = RelayLease::new(connection, redis.lease_key(), redis.lease_ttl);
            let wake = Arc::new(Notify::new());
            let waker = Arc::clone(&wake);
            self.on_commit(move |_| waker.notify_one());
            let status = Arc::new(BrokerStatus::default());
            let relay_settings = RelaySettings {
                // A follower looks at a third of the lease's lifetime, so it takes over within
                // the lifetime of a dead leader's lease.
                follower_interval: redis.lease_ttl / 3,
                ..settings.relay
            };
            let mut relay = OutboxRelay::new(
                self.use_cases.events.clone(),
                publisher,
                Box::new(lease),
                wake,
                Arc::clone(&status),
                Arc::clone(&settings.observer),
                relay_settings,
            );
            if let Some(hook) = settings.after_publish.clone() {
                relay = relay.after_publish(move |up_to| hook(up_to));
            }
            tasks.push(runtime.spawn(relay.run(stopped.clone())));
            broker = Some(status);
            tracing::info!(stream = %redis.stream, "events are published to Redis");
        }
        let wake_webhooks = Arc::new(Notify::new());
        let waker = Arc::clone(&wake_webhooks);
        self.on_commit(move |_| waker.notify_one());
        let webhooks = WebhookWorker::new(
            self.use_cases.webhooks.clone(),
            Arc::new(HttpWebhookSender::new(settings.webhook_policy)),
            self.clock(),
            webhook_leadership,
            wake_webhooks,
            Arc::clone(&settings.observer),
            settings.webhooks,
        );
        tasks.push(runtime.spawn(webhooks.run(stopped)));
        Ok(Workers {
            stop,
            tasks,
            broker,
        })
    }

    /// Closes the database now, whoever still holds a handle: queued writes finish,
    /// connections close, the WAL is checkpointed. Use cases handed out earlier fail as
    /// unavailable afterwards. Dropping the last handle does the same.
    pub fn close(&self) {
        self.store.close();
    }
}

/// Configures an [`Inventory`] before opening it.
pub struct InventoryBuilder {
    config: StorageConfig,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    read_cache: ReadCacheSettings,
}

impl InventoryBuilder {
    /// Uses `clock` instead of the system clock (a [`ManualClock`] in tests).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Uses `ids` instead of UUID v7.
    pub fn ids(mut self, ids: Arc<dyn IdGenerator>) -> Self {
        self.ids = ids;
        self
    }

    /// Sizes the availability read model ([`AvailabilityCache`]; default 10 000 products,
    /// 100 ms for other processes' commits; [`ReadCacheSettings::off`] reads the database
    /// every time). It serves from memory only while [`Inventory::start`]'s follower runs.
    pub fn read_cache(mut self, settings: ReadCacheSettings) -> Self {
        self.read_cache = settings;
        self
    }

    /// Opens the database and wires the use cases.
    ///
    /// # Errors
    /// [`OpenError`] when the database cannot be opened or migrated.
    pub fn open(self) -> Result<Inventory, OpenError> {
        let store = self.config.open()?;
        let use_cases = UseCases::new(Ports {
            store: Arc::clone(&store),
            clock: Arc::clone(&self.clock),
            ids: self.ids,
            read_cache: (self.read_cache.entries > 0)
                .then(|| Arc::new(AvailabilityCache::new(self.read_cache))),
        });
        Ok(Inventory {
            use_cases,
            clock: self.clock,
            store,
        })
    }
}

/// What [`Inventory::start`] runs.
#[derive(Clone)]
pub struct WorkerSettings {
    /// Most reservations the expiry worker releases per transaction (1 to
    /// [`Reservations::MAX_EXPIRY_BATCH`]).
    pub expiry_batch: u32,
    /// How long the answers to requests with an idempotency key are kept before the purge
    /// worker forgets them (default: [`IdempotencyKeys::DEFAULT_RETENTION`], 24 h).
    pub idempotency_retention: std::time::Duration,
    /// Where the relay publishes events; `None`: no relay (events stay in the outbox, readable
    /// with [`EventLog::after`]).
    pub redis: Option<RedisSettings>,
    /// How the relay paces itself.
    pub relay: RelaySettings,
    /// How the webhook worker retries and paces itself.
    pub webhooks: WebhookSettings,
    /// Which addresses webhooks may reach (registration and every delivery).
    pub webhook_policy: UrlPolicy,
    /// Told about the workers' progress (metrics).
    pub observer: Arc<dyn WorkerObserver>,
    /// Runs after every publish with the highest seq now in Redis: a test hook (the fault
    /// tests stop the process there). `None` in production.
    pub after_publish: Option<Arc<dyn Fn(u64) + Send + Sync>>,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            expiry_batch: 200,
            idempotency_retention: IdempotencyKeys::DEFAULT_RETENTION,
            redis: None,
            relay: RelaySettings::default(),
            webhooks: WebhookSettings::default(),
            webhook_policy: UrlPolicy::default(),
            observer: Arc::new(NoObserver),
            after_publish: None,
        }
    }
}

/// The running background work of an [`Inventory`].
pub struct Workers {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    broker: Option<Arc<BrokerStatus>>,
}

impl Workers {
    /// Whether Redis answers, as the relay last found it (`None` without Redis).
    pub fn broker_status(&self) -> Option<Arc<BrokerStatus>> {
        self.broker.clone()
    }

    /// Stops the workers and waits for them: the relay first publishes what is left (for a
    /// few seconds at most) and gives up its lease.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            if let Err(error) = task.await {
                tracing::error!(%error, "a worker ended abnormally");
            }
        }
    }
}
