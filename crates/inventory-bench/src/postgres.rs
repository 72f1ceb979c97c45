//! The PostgreSQL section: pgbench's hot-row ceiling (P0), then the HTTP scenarios against one
//! and two server instances sharing one PostgreSQL schema (P1-…, P2-…), each with the same
//! checks as on SQLite (the hot-SKU scenario fails loudly on an oversell).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use inventory::{PostgresConfig, StorageConfig};

use crate::report::Row;
use crate::scenarios::{Bench, availability, mixed, pgbench_ceiling, reservations};
use crate::seed;
use crate::server::{Database, Server};

/// What the section needs from the run.
pub struct Section<'a> {
    /// The PostgreSQL database (a schema is created in it and dropped).
    pub url: &'a str,
    /// The `inventory` binary.
    pub binary: &'a Path,
    /// A scratch folder.
    pub folder: &'a Path,
    /// Redis URL and a stream name, when Redis answers.
    pub redis: Option<(String, String)>,
    /// An admin token.
    pub admin: Arc<str>,
    /// Load per scenario.
    pub duration: Duration,
    /// Warm-up before measuring.
    pub warmup: Duration,
    /// Concurrent connections.
    pub connections: usize,
    /// Products to seed.
    pub products: usize,
    /// `--quick` (see [`Bench::quick`]).
    pub quick: bool,
    /// Run pgbench's hot-row ceiling (P0) first; false when the peers section already has.
    pub pgbench: bool,
}

/// Runs the section.
///
/// # Errors
/// When PostgreSQL, pgbench or a server fails, or a check fails.
pub async fn measure(section: Section<'_>) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    if section.pgbench {
        rows.push(
            pgbench_row(
                section.url,
                section.folder,
                section.duration,
                section.connections,
            )
            .await?,
        );
    }

    let schema = Schema::create(section.url, "inventory_bench")?;
    eprintln!("seeding {} products in PostgreSQL...", section.products);
    let storage =
        StorageConfig::Postgres(PostgresConfig::new(section.url).in_schema(schema.name()));
    let products = section.products;
    let seeded = tokio::task::spawn_blocking(move || seed::seed(storage, products)).await??;
    let database = Database::Postgres {
        url: section.url.to_owned(),
        schema: schema.name().to_owned(),
    };
    for instances in [1, 2] {
        let servers = (0..instances)
            .map(|_| {
                Server::start(
                    section.binary,
                    &database,
                    section
                        .redis
                        .as_ref()
                        .map(|(u, s)| (u.as_str(), s.as_str())),
                )
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let targets: Vec<SocketAddr> = servers.iter().map(|server| server.address).collect();
        let bench = Bench {
            address: targets[0],
            targets,
            hot: seeded.hot.clone(),
            cart_hot: Arc::new(seeded.cart_hot.clone()),
            products: Arc::new(seeded.products.clone()),
            expiring: seeded.expiring.clone(),
            paced: seeded.paced.clone(),
            redis: section.redis.clone(),
            admin: section.admin.clone(),
            duration: section.duration,
            warmup: section.warmup,
            connections: section.connections,
            quick: section.quick,
        };
        let on = |row: Row| on_postgres(row, instances);
        eprintln!("(P{instances}) hot-SKU reservations, {instances} instance(s)...");
        rows.push(on(reservations::hot(&bench).await?));
        eprintln!("(P{instances}) spread reservations...");
        rows.push(on(reservations::spread(&bench).await?));
        eprintln!("(P{instances}) availability reads...");
        rows.extend(availability::run(&bench).await?.into_iter().map(on));
        eprintln!("(P{instances}) mixed...");
        rows.push(on(mixed::run(&bench).await?));
        drop(servers);
    }
    drop(schema);
    Ok(rows)
}

/// (P0), pgbench's hot-row ceiling, on a blocking thread.
///
/// # Errors
/// When pgbench fails or its check fails.
pub async fn pgbench_row(
    url: &str,
    folder: &Path,
    duration: Duration,
    clients: usize,
) -> anyhow::Result<Row> {
    eprintln!("(P0) pgbench hot-row ceiling...");
    let (url, folder) = (url.to_owned(), folder.to_path_buf());
    tokio::task::spawn_blocking(move || pgbench_ceiling::run(&url, &folder, duration, clients))
        .await?
}

/// `3` → `P2-3`, "… on PostgreSQL, 2 instances".
fn on_postgres(mut row: Row, instances: usize) -> Row {
    row.id = format!("P{instances}-{}", row.id);
    let plural = if instances == 1 { "" } else { "s" };
    row.scenario = format!(
        "{} — PostgreSQL, {instances} instance{plural}",
        row.scenario
    );
    row
}

/// A schema of the benchmark's own, dropped when this is dropped.
pub struct Schema {
    url: String,
    name: String,
}

impl Schema {
    /// Creates `<prefix>_<random>`.
    ///
    /// # Errors
    /// When PostgreSQL refuses.
    pub fn create(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        run_sql(url, None, &format!("CREATE SCHEMA {name}"))?;
        Ok(Self {
            url: url.to_owned(),
            name,
        })
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs statements in it.
    ///
    /// # Errors
    /// When PostgreSQL refuses.
    pub fn execute(&self, sql: &str) -> anyhow::Result<()> {
        run_sql(&self.url, Some(&self.name), sql)
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Err(error) = run_sql(
            &self.url,
            None,
            &format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name),
        ) {
            eprintln!("could not drop schema {}: {error:#}", self.name);
        }
    }
}

/// The one number `sql` selects, in `schema`.
///
/// # Errors
/// When PostgreSQL refuses or returns no row.
pub fn query_i64(url: &str, schema: &str, sql: &str) -> anyhow::Result<i64> {
    let (url, schema, sql) = (url.to_owned(), schema.to_owned(), sql.to_owned());
    on_plain_thread(move || {
        let mut client = connect(&url, Some(&schema))?;
        let row = client.query_one(sql.as_str(), &[])?;
        Ok(row.try_get(0)?)
    })
}

fn run_sql(url: &str, schema: Option<&str>, sql: &str) -> anyhow::Result<()> {
    let (url, schema, sql) = (url.to_owned(), schema.map(str::to_owned), sql.to_owned());
    on_plain_thread(move || {
        connect(&url, schema.as_deref())?.batch_execute(&sql)?;
        Ok(())
    })
}

fn connect(url: &str, schema: Option<&str>) -> anyhow::Result<postgres::Client> {
    let mut config: postgres::Config = url.parse().context("the PostgreSQL URL")?;
    config.connect_timeout(Duration::from_secs(5));
    let mut client = config.connect(postgres::NoTls)?;
    if let Some(schema) = schema {
        client.batch_execute(&format!("SET search_path = {schema}"))?;
    }
    Ok(client)
}

/// The synchronous client runs a runtime of its own, which tokio forbids on its threads.
fn on_plain_thread<T: Send + 'static>(
    work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    std::thread::spawn(work)
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Whether PostgreSQL answers at `url`.
pub fn reachable(url: &str) -> bool {
    run_sql(url, None, "SELECT 1").is_ok()
}
