//! Every setting of the server, from flags and environment variables (flags win).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use inventory::Synchronous;
use inventory_adapter_http::StreamLimits;

/// The inventory service: real-time stock and reservations for a chain of stores.
#[derive(Debug, Parser)]
#[command(name = "inventory", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Settings shared by every command.
    #[command(flatten)]
    pub settings: Settings,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default).
    Serve,
    /// Create or migrate the database, then exit.
    Migrate,
    /// Add a demo catalogue stocked across the four stores (skips products that exist).
    SeedDemo,
    /// Print a signed token for calling the API.
    Token(TokenArgs),
    /// Exit 0 when the server listening on `--bind` answers its health check (for container
    /// health checks).
    Healthcheck,
    /// Copy this inventory (`--db` or `--database-url`) into an empty database, such as a new
    /// PostgreSQL one, by replaying its event log: same state, same events, same seqs. Stop
    /// the service first.
    Copy(CopyArgs),
    /// Read the event stream in Redis.
    #[command(subcommand)]
    Events(EventsCommand),
    /// Move units between stores: send, receive, cancel, list.
    #[command(subcommand)]
    Transfer(TransferCommand),
    /// Place, confirm (wholly or in part), cancel or show a customer's cart.
    #[command(subcommand)]
    Cart(CartCommand),
    /// Extend a pending reservation.
    #[command(subcommand)]
    Reservation(ReservationCommand),
    /// Check that the stored data agrees with itself (reserved units, movements, expiries,
    /// the outbox's seq, row rules), beside the running service. Exits 1 on any finding.
    Check(CheckArgs),
    /// Import stock levels from a CSV or JSON-lines file, streamed, with a progress bar.
    Import(ImportArgs),
}

/// Arguments of `inventory check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Repair what can be repaired safely (a reserved count that drifted from its pending
    /// reservations, overdue reservations), each with its event and movement.
    #[arg(long)]
    pub repair: bool,
    /// How long past its expiry a pending reservation may wait for the expiry worker before
    /// it counts as a finding: 90s, 15m, 1h.
    #[arg(long, default_value = "60s")]
    pub max_lag: String,
}

/// `inventory events ...`
#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Print events as they arrive in the Redis stream, one JSON object per line.
    Tail {
        /// Start after this sequence number (0: from the oldest entry kept); by default only
        /// new events.
        #[arg(long)]
        from_seq: Option<u64>,
    },
}

/// Arguments of `inventory token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// admin, vendor or customer.
    #[arg(long)]
    pub role: String,
    /// The vendor's store (vendors only).
    #[arg(long = "store")]
    pub store: Option<String>,
    /// The token's subject: the customer id, the vendor's user id (default: the role).
    #[arg(long)]
    pub sub: Option<String>,
    /// How long the token is valid: 90s, 15m, 1h, 7d.
    #[arg(long, default_value = "1h")]
    pub ttl: String,
}

/// Arguments of `inventory copy`.
#[derive(Debug, Args)]
pub struct CopyArgs {
    /// The destination: `postgres://…`, `sqlite://PATH` or a path (created and migrated if
    /// missing; it must hold no events).
    #[arg(long)]
    pub to: String,
    /// PostgreSQL only: the destination's schema.
    #[arg(long)]
    pub to_schema: Option<String>,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// For people.
    Human,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Settings shared by every command. Each flag can also be set by the environment variable
/// shown in `--help`.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address the HTTP server listens on.
    #[arg(
        long,
        env = "INVENTORY_BIND",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub bind: String,
    /// SQLite database file (created and migrated if missing).
    #[arg(
        long,
        env = "INVENTORY_DB",
        default_value = "./inventory.db",
        global = true
    )]
    pub db: PathBuf,
    /// The database: `postgres://user:password@host:port/db` for PostgreSQL (several instances
    /// on one database), or `sqlite://PATH`; unset: the SQLite file `--db`.
    #[arg(
        long,
        env = "INVENTORY_DATABASE_URL",
        hide_env_values = true,
        global = true
    )]
    pub database_url: Option<String>,
    /// PostgreSQL only: the schema the inventory's tables live in (created if missing), so
    /// that it can share a database; unset: the user's default schema.
    #[arg(long, env = "INVENTORY_DATABASE_SCHEMA", global = true)]
    pub database_schema: Option<String>,
    /// SQLite `synchronous`: FULL (each commit survives power loss), NORMAL (survives a crash
    /// of the process), OFF (tests only).
    #[arg(long, env = "INVENTORY_SYNCHRONOUS", default_value = "FULL", value_parser = parse_synchronous, global = true)]
    pub synchronous: Synchronous,
    /// Milliseconds a SQLite write waits for another process's write lock before it is
    /// answered 503 (with `Retry-After`); in-process writers queue and never wait on it.
    #[arg(
        long,
        env = "INVENTORY_LOCK_TIMEOUT_MS",
        default_value_t = 5000,
        value_parser = clap::value_parser!(u64).range(1..=600_000),
        global = true
    )]
    pub lock_timeout_ms: u64,
    /// Products the availability read model keeps in memory (about 1 KiB each); 0 reads
    /// the database on every availability request.
    #[arg(
        long,
        env = "INVENTORY_READ_CACHE_ENTRIES",
        default_value_t = 10_000,
        value_parser = clap::value_parser!(u64).range(0..=1_000_000),
        global = true
    )]
    pub read_cache_entries: u64,
    /// Milliseconds after another process's or instance's commit during which availability
    /// may still show the state before it (this process's own commits show at once).
    #[arg(
        long,
        env = "INVENTORY_READ_CACHE_STALENESS_MS",
        default_value_t = 100,
        value_parser = clap::value_parser!(u64).range(1..=60_000),
        global = true
    )]
    pub read_cache_staleness_ms: u64,
    /// Secret that signs and verifies tokens (at least 16 bytes). When unset, the server makes
    /// one up for the run and logs an admin token.
    #[arg(
        long,
        env = "INVENTORY_JWT_SECRET",
        hide_env_values = true,
        global = true
    )]
    pub jwt_secret: Option<String>,
    /// The longest a token may live (`exp - iat`): longer ones are refused, and `inventory
    /// token` will not mint one.
    #[arg(
        long,
        env = "INVENTORY_TOKEN_MAX_LIFETIME",
        default_value = "24h",
        global = true
    )]
    pub token_max_lifetime: String,
    /// PENDING reservations a customer may hold of one product (reserving for itself).
    #[arg(
        long,
        env = "INVENTORY_CUSTOMER_MAX_RESERVATIONS_PER_PRODUCT",
        default_value_t = inventory::HoldLimits::default().per_product.reservations,
        global = true
    )]
    pub customer_max_reservations_per_product: u32,
    /// Units a customer may hold of one product.
    #[arg(
        long,
        env = "INVENTORY_CUSTOMER_MAX_UNITS_PER_PRODUCT",
        default_value_t = inventory::HoldLimits::default().per_product.units,
        global = true
    )]
    pub customer_max_units_per_product: u32,
    /// PENDING reservations a customer may hold in all.
    #[arg(
        long,
        env = "INVENTORY_CUSTOMER_MAX_RESERVATIONS",
        default_value_t = inventory::HoldLimits::default().overall.reservations,
        global = true
    )]
    pub customer_max_reservations: u32,
    /// Units a customer may hold in all.
    #[arg(
        long,
        env = "INVENTORY_CUSTOMER_MAX_UNITS",
        default_value_t = inventory::HoldLimits::default().overall.units,
        global = true
    )]
    pub customer_max_units: u32,
    /// How long a customer's own reservation may hold its units (staff may set up to 24h).
    #[arg(
        long,
        env = "INVENTORY_CUSTOMER_MAX_TTL",
        default_value = "15m",
        global = true
    )]
    pub customer_max_ttl: String,
    /// Live streams (`/api/v1/stream`) this instance keeps open at most; more get 503.
    #[arg(
        long,
        env = "INVENTORY_MAX_STREAMS",
        default_value_t = StreamLimits::DEFAULT_TOTAL,
        global = true
    )]
    pub max_streams: usize,
    /// Live streams one client (a token's subject, or an anonymous address) keeps open at
    /// most; more get 429.
    #[arg(
        long,
        env = "INVENTORY_MAX_STREAMS_PER_CLIENT",
        default_value_t = StreamLimits::DEFAULT_PER_CLIENT,
        global = true
    )]
    pub max_streams_per_client: usize,
    /// Behind a proxy that sets `X-Forwarded-For` (and strips what clients send): take an
    /// anonymous client's address from it. Off, every client behind a proxy is the proxy.
    #[arg(long, env = "INVENTORY_TRUST_FORWARDED_FOR", global = true)]
    pub trust_forwarded_for: bool,
    /// Comma-separated origins allowed by CORS (`*` for any; none by default).
    #[arg(
        long,
        env = "INVENTORY_CORS_ORIGINS",
        value_delimiter = ',',
        global = true
    )]
    pub cors_origins: Vec<String>,
    /// Largest JSON request body accepted, in bytes.
    #[arg(long, env = "INVENTORY_MAX_BODY_BYTES", default_value_t = 64 * 1024, global = true)]
    pub max_body_bytes: usize,
    /// Largest stock import body accepted (`POST /stock/import`), in bytes.
    #[arg(
        long,
        env = "INVENTORY_MAX_IMPORT_BYTES",
        default_value_t = 16 * 1024 * 1024,
        global = true
    )]
    pub max_import_bytes: usize,
    /// Seconds a client has to send a request's headers, and then its body; a slower client is
    /// answered 408 and cut off, so it cannot hold a connection.
    #[arg(
        long,
        env = "INVENTORY_CLIENT_TIMEOUT",
        default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(1..=3600),
        global = true
    )]
    pub client_timeout: u64,
    /// HTTP worker threads (default: the number of CPUs).
    #[arg(long, env = "INVENTORY_WORKERS", global = true)]
    pub workers: Option<usize>,
    /// Log format.
    #[arg(
        long,
        env = "INVENTORY_LOG_FORMAT",
        value_enum,
        default_value = "human",
        global = true
    )]
    pub log_format: LogFormat,
    /// Log filter, e.g. `info` or `info,inventory_adapter_http=debug`.
    #[arg(long, env = "INVENTORY_LOG", default_value = "info", global = true)]
    pub log: String,
    /// Seconds a graceful shutdown waits for in-flight requests.
    #[arg(
        long,
        env = "INVENTORY_SHUTDOWN_TIMEOUT",
        default_value_t = 10,
        global = true
    )]
    pub shutdown_timeout: u64,
    /// How long the answer to a request with an `Idempotency-Key` is kept (a repeat within it
    /// gets the answer again instead of running twice); `30s`, `15m`, `24h`, `7d`.
    #[arg(
        long,
        env = "INVENTORY_IDEMPOTENCY_RETENTION",
        default_value = "24h",
        global = true
    )]
    pub idempotency_retention: String,
    /// Lets webhooks reach loopback, private, link-local and other non-public addresses
    /// (receivers on the operator's own network; tests). Off: only public addresses.
    #[arg(
        long,
        env = "INVENTORY_WEBHOOK_ALLOW_PRIVATE",
        default_value_t = false,
        global = true
    )]
    pub webhook_allow_private: bool,
    /// How long a failing webhook delivery is retried before it is given up (DEAD); `30s`,
    /// `15m`, `24h`, `7d`.
    #[arg(
        long,
        env = "INVENTORY_WEBHOOK_RETRY_FOR",
        default_value = "24h",
        global = true
    )]
    pub webhook_retry_for: String,
    /// Milliseconds the first webhook retry waits at most (full jitter); each further retry
    /// up to twice as long.
    #[arg(
        long,
        env = "INVENTORY_WEBHOOK_RETRY_BASE_MS",
        default_value_t = 5_000,
        global = true
    )]
    pub webhook_retry_base_ms: u64,
    /// Milliseconds between two webhook attempts at most.
    #[arg(
        long,
        env = "INVENTORY_WEBHOOK_RETRY_CAP_MS",
        default_value_t = 3_600_000,
        global = true
    )]
    pub webhook_retry_cap_ms: u64,
    /// Most reservations the expiry worker releases per transaction (1 to 500).
    #[arg(
        long,
        env = "INVENTORY_EXPIRY_BATCH",
        default_value_t = 200,
        global = true
    )]
    pub expiry_batch: u32,
    /// Redis to publish events to (e.g. `redis://127.0.0.1:6379`). Unset: SQLite only; events
    /// stay in the outbox and `/api/v1/events` serves them.
    #[arg(long, env = "REDIS_URL", global = true)]
    pub redis_url: Option<String>,
    /// The Redis stream events are published to.
    #[arg(
        long,
        env = "INVENTORY_REDIS_STREAM",
        default_value = "inventory:events",
        global = true
    )]
    pub redis_stream: String,
    /// Roughly how many entries the stream keeps (`XADD MAXLEN ~`).
    #[arg(
        long,
        env = "INVENTORY_REDIS_MAXLEN",
        default_value_t = 1_000_000,
        global = true
    )]
    pub redis_max_len: u64,
    /// Milliseconds between the relay's looks at the outbox when no local commit wakes it
    /// (commits of other processes sharing the database).
    #[arg(
        long,
        env = "INVENTORY_RELAY_POLL_MS",
        default_value_t = 100,
        global = true
    )]
    pub relay_poll_ms: u64,
    /// Milliseconds the relay lease lasts: another process's relay takes over within this time
    /// when the publishing one dies.
    #[arg(
        long,
        env = "INVENTORY_RELAY_LEASE_MS",
        default_value_t = 5000,
        global = true
    )]
    pub relay_lease_ms: u64,
    /// Test-only fault: the process exits right after the relay's first XADD. Never in
    /// production.
    #[arg(long, env = "INVENTORY_FAULT_RELAY_CRASH", hide = true, global = true)]
    pub fault_relay_crash: bool,
    /// Adds a test-only route that panics (`GET /__fault/panic`). Never in production.
    #[arg(long, env = "INVENTORY_FAULT_INJECTION", hide = true, global = true)]
    pub fault_injection: bool,
}

fn parse_synchronous(text: &str) -> Result<Synchronous, String> {
    text.parse()
}

impl Settings {
    /// Treats empty values as unset: `INVENTORY_JWT_SECRET=` (what `docker compose` passes for
    /// an unset variable) means "make one up", `REDIS_URL=` means "no Redis".
    pub fn normalized(mut self) -> Self {
        // Empty means unset; whitespace is kept, and refused as a secret.
        self.jwt_secret = self.jwt_secret.filter(|secret| !secret.is_empty());
        self.redis_url = self.redis_url.filter(|url| !url.trim().is_empty());
        self.database_url = self.database_url.filter(|url| !url.trim().is_empty());
        self.database_schema = self
            .database_schema
            .filter(|schema| !schema.trim().is_empty());
        self.cors_origins.retain(|origin| !origin.trim().is_empty());
        self
    }

    /// The Redis settings, when Redis is configured.
    pub fn redis(&self) -> Option<inventory::RedisSettings> {
        let mut redis = inventory::RedisSettings::new(self.redis_url.clone()?);
        redis.stream.clone_from(&self.redis_stream);
        redis.max_len = self.redis_max_len;
        redis.lease_ttl = std::time::Duration::from_millis(self.relay_lease_ms.max(100));
        Some(redis)
    }

    /// Where the data is: `--database-url` when given, else the SQLite file `--db`.
    ///
    /// # Errors
    /// When the URL names no database this build can open.
    pub fn storage(&self) -> Result<inventory::StorageConfig, inventory::OpenError> {
        match &self.database_url {
            Some(url) => {
                let mut storage = inventory::StorageConfig::from_url(url)?;
                match &mut storage {
                    inventory::StorageConfig::Sqlite(config) => {
                        config.synchronous = self.synchronous;
                        config.busy_timeout = self.lock_timeout();
                    }
                    inventory::StorageConfig::Postgres(config) => {
                        config.schema.clone_from(&self.database_schema);
                    }
                }
                if self.database_schema.is_some()
                    && !matches!(storage, inventory::StorageConfig::Postgres(_))
                {
                    return Err(inventory::OpenError::Invalid(
                        "--database-schema applies to PostgreSQL only".into(),
                    ));
                }
                Ok(storage)
            }
            None if self.database_schema.is_some() => Err(inventory::OpenError::Invalid(
                "--database-schema applies to PostgreSQL only (set --database-url)".into(),
            )),
            None => {
                let mut config = inventory::SqliteConfig::file(&self.db);
                config.synchronous = self.synchronous;
                config.busy_timeout = self.lock_timeout();
                Ok(config.into())
            }
        }
    }

    /// The availability read model's size and staleness bound.
    pub fn read_cache(&self) -> inventory::ReadCacheSettings {
        inventory::ReadCacheSettings {
            entries: usize::try_from(self.read_cache_entries).unwrap_or(usize::MAX),
            staleness: std::time::Duration::from_millis(self.read_cache_staleness_ms),
        }
    }

    /// How long a SQLite write waits for another process's lock.
    fn lock_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.lock_timeout_ms)
    }

    /// The longest a token may live.
    ///
    /// # Errors
    /// When the setting is not a duration such as `24h`.
    pub fn token_max_lifetime(&self) -> anyhow::Result<std::time::Duration> {
        crate::token::parse_ttl(&self.token_max_lifetime)
            .map_err(|message| anyhow::anyhow!("INVENTORY_TOKEN_MAX_LIFETIME: {message}"))
    }

    /// How long idempotency answers are kept.
    ///
    /// # Errors
    /// When the text is not a positive duration.
    pub fn idempotency_retention(&self) -> anyhow::Result<std::time::Duration> {
        crate::token::parse_ttl(&self.idempotency_retention)
            .map_err(|message| anyhow::anyhow!("INVENTORY_IDEMPOTENCY_RETENTION: {message}"))
    }

    /// What a customer reserving for itself may hold at most.
    ///
    /// # Errors
    /// When the maximum TTL is not a duration of 1 s to 24 h.
    pub fn hold_limits(&self) -> anyhow::Result<inventory::HoldLimits> {
        let ttl = crate::token::parse_ttl(&self.customer_max_ttl)
            .map_err(|message| anyhow::anyhow!("INVENTORY_CUSTOMER_MAX_TTL: {message}"))?;
        let seconds = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
        Ok(inventory::HoldLimits {
            per_product: inventory::Allowance {
                reservations: self.customer_max_reservations_per_product,
                units: self.customer_max_units_per_product,
            },
            overall: inventory::Allowance {
                reservations: self.customer_max_reservations,
                units: self.customer_max_units,
            },
            max_ttl: inventory::ReservationTtl::from_seconds(seconds)
                .map_err(|error| anyhow::anyhow!("INVENTORY_CUSTOMER_MAX_TTL: {error}"))?,
        })
    }

    /// How the webhook worker retries.
    ///
    /// # Errors
    /// When the retry window is not a positive duration.
    pub fn webhooks(&self) -> anyhow::Result<inventory::WebhookSettings> {
        let retry_for = crate::token::parse_ttl(&self.webhook_retry_for)
            .map_err(|message| anyhow::anyhow!("INVENTORY_WEBHOOK_RETRY_FOR: {message}"))?;
        Ok(inventory::WebhookSettings {
            retry_base: std::time::Duration::from_millis(self.webhook_retry_base_ms),
            retry_cap: std::time::Duration::from_millis(self.webhook_retry_cap_ms.max(1)),
            retry_for,
            ..inventory::WebhookSettings::default()
        })
    }

    /// Which addresses webhooks may reach.
    pub fn webhook_policy(&self) -> inventory::UrlPolicy {
        inventory::UrlPolicy {
            allow_private: self.webhook_allow_private,
        }
    }

    /// How the outbox relay paces itself.
    pub fn relay(&self) -> inventory::RelaySettings {
        inventory::RelaySettings {
            poll_interval: std::time::Duration::from_millis(self.relay_poll_ms.max(1)),
            ..inventory::RelaySettings::default()
        }
    }

    /// Settings for tests: defaults, a database path, a port chosen by the OS.
    pub fn for_tests(db: PathBuf) -> Self {
        let limits = inventory::HoldLimits::default();
        Self {
            bind: "127.0.0.1:0".into(),
            db,
            database_url: None,
            database_schema: None,
            synchronous: Synchronous::Normal,
            jwt_secret: None,
            token_max_lifetime: "24h".into(),
            customer_max_reservations_per_product: limits.per_product.reservations,
            customer_max_units_per_product: limits.per_product.units,
            customer_max_reservations: limits.overall.reservations,
            customer_max_units: limits.overall.units,
            customer_max_ttl: "15m".into(),
            max_streams: StreamLimits::DEFAULT_TOTAL,
            max_streams_per_client: StreamLimits::DEFAULT_PER_CLIENT,
            trust_forwarded_for: false,
            cors_origins: Vec::new(),
            max_body_bytes: 64 * 1024,
            max_import_bytes: 16 * 1024 * 1024,
            client_timeout: 10,
            lock_timeout_ms: 5000,
            read_cache_entries: 10_000,
            read_cache_staleness_ms: 100,
            workers: Some(2),
            log_format: LogFormat::Human,
            log: "warn".into(),
            shutdown_timeout: 5,
            expiry_batch: 200,
            idempotency_retention: "24h".into(),
            webhook_allow_private: false,
            webhook_retry_for: "24h".into(),
            webhook_retry_base_ms: 5_000,
            webhook_retry_cap_ms: 3_600_000,
            fault_injection: false,
            redis_url: None,
            redis_stream: "inventory:events".into(),
            redis_max_len: 1_000_000,
            relay_poll_ms: 100,
            relay_lease_ms: 5000,
            fault_relay_crash: false,
        }
    }
}

/// `inventory transfer ...`
#[derive(Debug, Subcommand)]
pub enum TransferCommand {
    /// Send units of a product from one store to another (at once, or `--shipped`).
    Send {
        /// The product's SKU.
        #[arg(long)]
        sku: String,
        /// The store the units leave.
        #[arg(long)]
        from: String,
        /// The store they go to.
        #[arg(long)]
        to: String,
        /// Units to send (only units nobody holds can leave).
        #[arg(long)]
        quantity: i64,
        /// In transit until `inventory transfer receive`, instead of moved at once.
        #[arg(long)]
        shipped: bool,
        /// Who sends them, for the audit trail.
        #[arg(long, default_value = "cli")]
        by: String,
    },
    /// The destination receives a shipped transfer.
    Receive {
        /// The transfer's id.
        id: String,
        /// Who receives them, for the audit trail.
        #[arg(long, default_value = "cli")]
        by: String,
    },
    /// Call a shipped transfer back to its source.
    Cancel {
        /// The transfer's id.
        id: String,
        /// Who calls it back, for the audit trail.
        #[arg(long, default_value = "cli")]
        by: String,
    },
    /// List transfers, newest first.
    List {
        /// Only those from or to this store.
        #[arg(long)]
        store: Option<String>,
    },
}

/// `inventory cart ...`
#[derive(Debug, Subcommand)]
pub enum CartCommand {
    /// Reserve every line for a customer, or none.
    Place {
        /// For whom.
        #[arg(long)]
        customer: String,
        /// A line, `SKU@STORE=QUANTITY`; repeat for each line.
        #[arg(long = "line", required = true)]
        lines: Vec<String>,
        /// Seconds to hold the units.
        #[arg(long, default_value_t = 600)]
        ttl: i64,
    },
    /// Confirm a cart: every line, or only the `--line` reservation ids given.
    Confirm {
        /// The cart's id.
        id: String,
        /// A line to sell (its reservation id); the others are released.
        #[arg(long = "line")]
        lines: Vec<String>,
    },
    /// Release every line of a cart.
    Cancel {
        /// The cart's id.
        id: String,
    },
    /// Show a cart and its lines.
    Show {
        /// The cart's id.
        id: String,
    },
}

/// `inventory reservation ...`
#[derive(Debug, Subcommand)]
pub enum ReservationCommand {
    /// Hold a PENDING reservation's units until `--ttl` seconds from now.
    Extend {
        /// The reservation's id.
        id: String,
        /// Seconds from now.
        #[arg(long)]
        ttl: i64,
    },
}

/// `inventory import FILE`
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file: CSV with a header row (`sku,store_id,quantity,quantity_change,reason`) or
    /// JSON lines.
    pub file: PathBuf,
    /// How the file is written (default: from its extension, `.csv` or `.jsonl`/`.ndjson`).
    #[arg(long, value_enum)]
    pub format: Option<ImportFileFormat>,
    /// `all`: every row or none (default); `per-row`: each valid row, the others reported.
    #[arg(long, value_enum, default_value_t = ImportModeArg::All)]
    pub mode: ImportModeArg,
    /// Validate and report; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The key that makes a re-run replay instead of applying twice (default: the SHA-256 of
    /// the file's bytes).
    #[arg(long)]
    pub idempotency_key: Option<String>,
    /// Who imports, for the audit trail.
    #[arg(long, default_value = "cli")]
    pub by: String,
    /// Import new products instead of stock: CSV with a header row
    /// (`sku,name,price,description,category`) or JSON lines; existing SKUs are refused.
    #[arg(long)]
    pub products: bool,
}

/// How an import file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFileFormat {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// How an import applies its valid rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportModeArg {
    /// Every row or none.
    All,
    /// Each valid row; the others are reported.
    PerRow,
}
