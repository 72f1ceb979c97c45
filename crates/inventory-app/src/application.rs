//! The server: the database, the HTTP API, the library's workers and the live feed, started
//! and stopped together.

use std::future::Future;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use inventory::{Inventory, WorkerSettings};
use inventory_adapter_http::{
    AppState, Auth, HttpSettings, LiveFeed, Metrics, Role, StreamLimits, build_server,
};
use tokio::sync::watch;

use crate::events::{self, RelayHealth};
use crate::settings::Settings;

/// A built server, bound to its port, not yet running.
pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
    inventory: Arc<Inventory>,
    metrics: Arc<Metrics>,
    workers: WorkerSettings,
    live: LiveFeed,
    /// Ends live streams: first, so the graceful stop does not wait for them.
    stop_streams: watch::Sender<bool>,
    redis_status: Arc<RedisStatusCell>,
}

/// The Redis status for `/health`, filled in when the relay starts (the server is built
/// before the async runtime starts the workers).
#[derive(Default)]
struct RedisStatusCell(std::sync::OnceLock<Arc<inventory::BrokerStatus>>);

impl inventory_adapter_http::RedisProbe for RedisStatusCell {
    fn status(&self) -> inventory_adapter_http::RedisStatus {
        match self.0.get() {
            None => inventory_adapter_http::RedisStatus::NotConfigured,
            Some(status) => RelayHealth(status.clone()).status(),
        }
    }
}

impl Application {
    /// Opens (creating and migrating) the database and binds the listener, so the port is
    /// known before serving starts (tests bind port 0).
    ///
    /// # Errors
    /// When the database cannot be opened, the address cannot be bound, or the JWT secret is
    /// too weak.
    pub fn build(settings: &Settings) -> anyhow::Result<Self> {
        let auth = Arc::new(auth(settings)?);
        let inventory = Arc::new(open_inventory(settings)?);
        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("cannot listen on {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let metrics = Arc::new(Metrics::new()?);
        let (stop_streams, streams_stopped) = watch::channel(false);
        let live = LiveFeed::new(streams_stopped).with_limits(StreamLimits::new(
            settings.max_streams,
            settings.max_streams_per_client,
        ));
        let redis_status = Arc::new(RedisStatusCell::default());
        let state = AppState {
            hold_limits: settings.hold_limits()?,
            trust_forwarded_for: settings.trust_forwarded_for,
            webhook_policy: settings.webhook_policy(),
            use_cases: inventory.use_cases().clone(),
            clock: inventory.clock(),
            redis: redis_status.clone(),
            metrics: metrics.clone(),
            live: live.clone(),
        };
        let http = HttpSettings {
            cors_origins: settings.cors_origins.clone(),
            max_body_bytes: settings.max_body_bytes,
            max_import_bytes: settings.max_import_bytes,
            client_timeout: Duration::from_secs(settings.client_timeout),
            workers: settings
                .workers
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
            shutdown_timeout: Duration::from_secs(settings.shutdown_timeout),
            fault_injection: settings.fault_injection,
            event_stream: settings.redis_stream.clone(),
        };
        let server = build_server(listener, state, auth, &http)?;
        let database = settings.storage()?.describe();
        tracing::info!(address = %settings.bind, port, %database, "inventory server listening");
        let workers = WorkerSettings {
            expiry_batch: settings.expiry_batch,
            idempotency_retention: settings.idempotency_retention()?,
            redis: settings.redis(),
            relay: settings.relay(),
            webhooks: settings.webhooks()?,
            webhook_policy: settings.webhook_policy(),
            observer: metrics.clone(),
            after_publish: None,
        };
        Ok(Self {
            port,
            server,
            inventory,
            metrics,
            workers,
            live,
            stop_streams,
            redis_status,
        })
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Runs `hook` after every publish of the relay, with the highest seq now in Redis: the
    /// binary's test-only fault (die right after publishing) is installed through it.
    #[must_use]
    pub fn after_publish(mut self, hook: Arc<dyn Fn(u64) + Send + Sync>) -> Self {
        self.workers.after_publish = Some(hook);
        self
    }

    /// Serves until `shutdown` completes, then stops gracefully: no new connections,
    /// in-flight requests finish, workers stop, the database closes.
    ///
    /// # Errors
    /// When the workers cannot start or the server fails while running.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        // The relay and the expiry worker stop last, after in-flight requests have finished,
        // so the events those requests commit are still published.
        let workers = self.inventory.start(self.workers.clone())?;
        if let Some(status) = workers.broker_status() {
            let _ = self.redis_status.0.set(status);
        }
        let feeders = events::feed_live(
            &self.inventory,
            self.workers.redis.as_ref(),
            &self.live,
            &self.metrics,
        );
        let handle = self.server.handle();
        let mut server = tokio::spawn(self.server);
        let ended_on_its_own = tokio::select! {
            () = shutdown => None,
            result = &mut server => Some(result),
        };
        let stopped_by_signal = ended_on_its_own.is_none();
        // In order: live streams end (a graceful stop would wait for them), in-flight requests
        // finish, then the workers stop (the relay publishes what those requests committed),
        // then the database closes.
        let _ = self.stop_streams.send(true);
        let served = match ended_on_its_own {
            Some(result) => result,
            None => {
                tracing::info!("shutting down: finishing in-flight requests");
                handle.stop(true).await;
                server.await
            }
        };
        workers.stop().await;
        for feeder in feeders {
            let _ = feeder.await;
        }
        // Worker threads may still be letting go of their handles: close regardless, on the
        // blocking pool (it waits for queued writes and a final checkpoint).
        let inventory = self.inventory.clone();
        tokio::task::spawn_blocking(move || inventory.close()).await?;
        served??;
        if !stopped_by_signal {
            anyhow::bail!("the HTTP server stopped on its own");
        }
        tracing::info!("shut down cleanly");
        Ok(())
    }
}

/// Opens the database the settings name.
///
/// # Errors
/// When it cannot be opened or migrated.
pub fn open_inventory(settings: &Settings) -> anyhow::Result<Inventory> {
    let storage = settings.storage()?;
    let described = storage.describe();
    Inventory::builder(storage)
        .read_cache(settings.read_cache())
        .open()
        .with_context(|| format!("cannot open the database {described}"))
}

/// The token keys: from the configured secret or, for a newcomer's first run on this machine
/// only, a secret made up for this run (and a short-lived admin token printed once to the
/// terminal, never into the logs).
fn auth(settings: &Settings) -> anyhow::Result<Auth> {
    let max_lifetime = settings.token_max_lifetime()?;
    if let Some(secret) = &settings.jwt_secret {
        return Ok(Auth::new(secret)?.with_max_lifetime(max_lifetime));
    }
    if matches!(settings.storage()?, inventory::StorageConfig::Postgres(_)) {
        // Instances behind one load balancer must accept each other's tokens: a secret made
        // up by each would make every other request a 401.
        anyhow::bail!(
            "INVENTORY_JWT_SECRET is required with PostgreSQL: every instance on the database \
             must sign and check tokens with the same secret"
        );
    }
    if !listens_on_loopback_only(&settings.bind) {
        anyhow::bail!(
            "INVENTORY_JWT_SECRET is required to listen on {} (reachable from other hosts): \
             set it to 32 or more random bytes, e.g. `openssl rand -hex 32`",
            settings.bind
        );
    }
    let secret = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let auth = Auth::new(&secret)?.with_max_lifetime(max_lifetime);
    let lifetime = DEMO_TOKEN_LIFETIME.min(max_lifetime);
    let token = auth.issue("admin", Role::Admin, None, lifetime)?;
    tracing::warn!(
        "INVENTORY_JWT_SECRET is not set: tokens are signed with a secret made up for this run \
         and stop working when it ends; an admin token was printed to the terminal"
    );
    eprintln!(
        "\nNo INVENTORY_JWT_SECRET: this run signs tokens with a secret of its own.\n\
         Admin token, valid for {} minutes:\n\n{token}\n",
        lifetime.as_secs() / 60
    );
    Ok(auth)
}

/// How long the demo admin token of a run without a secret lives.
const DEMO_TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// Whether every address `bind` names is a loopback one (only this machine can connect).
fn listens_on_loopback_only(bind: &str) -> bool {
    use std::net::ToSocketAddrs;
    bind.to_socket_addrs()
        .map(|mut addresses| addresses.all(|address| address.ip().is_loopback()))
        .unwrap_or(false)
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed when this is called,
/// not when the future is first polled: call it before the server says it listens, so a
/// SIGTERM sent right after still stops it gracefully (the fault suite sends one at once).
/// Call it inside a tokio runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(interrupt), Ok(terminate)) => Some((interrupt, terminate)),
            (Err(error), _) | (_, Err(error)) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops the server");
                None
            }
        }
    };
    async move {
        #[cfg(unix)]
        match signals {
            Some((mut interrupt, mut terminate)) => {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
            }
            None => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("stop signal received");
    }
}
