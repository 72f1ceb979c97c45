//! # inventory-bench
//!
//! Measures the `inventory` server against its limits, side by side in one run, so every
//! figure that matters is a ratio against a baseline measured on the same (noisy, shared)
//! machine. See BENCHMARKS.md for the scenarios and the latest figures.
//!
//! ```text
//! cargo build --release --bin inventory --bin inventory-bench && target/release/inventory-bench
//! ```
//!
//! `--peers` adds the peers measured on the same machine (pgbench's hot-row ceiling, a Redis
//! Lua check-and-decrement) and our ratios against them; `--scale` replaces the run with the
//! scale tables and charts (see `scenarios::scale`).

mod load;
mod postgres;
mod report;
mod scenarios;
mod seed;
mod server;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use inventory_adapter_http::{Auth, Role};

use crate::report::{Report, Row};
use crate::scenarios::{
    Bench, availability, cache_check, carts, event_latency, expiry_lag, http_ceiling, mixed,
    redis_lua, reservations, scale, store_ceiling, stream_cap,
};
use crate::server::{Database, SECRET, Server, resources, sibling_binary};

/// Benchmark the inventory server.
#[derive(Debug, Parser)]
#[command(name = "inventory-bench", version, about)]
struct Args {
    /// Seconds of load per scenario.
    #[arg(long, default_value_t = 8)]
    duration: u64,
    /// Warm-up seconds before each load scenario.
    #[arg(long, default_value_t = 1)]
    warmup: u64,
    /// Concurrent connections per load scenario.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Products for the spread scenarios.
    #[arg(long, default_value_t = 1000)]
    products: usize,
    /// Redis for the event-latency scenario (skipped when unreachable).
    #[arg(long, env = "REDIS_URL", default_value = "redis://127.0.0.1:6379")]
    redis_url: String,
    /// Do not use Redis even when it is reachable.
    #[arg(long)]
    no_redis: bool,
    /// PostgreSQL for the PostgreSQL section (a schema is created in it and dropped; the
    /// section is skipped when it does not answer).
    #[arg(
        long,
        env = "INVENTORY_BENCH_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/test"
    )]
    postgres_url: String,
    /// Skip the PostgreSQL section.
    #[arg(long, conflicts_with = "only_postgres")]
    no_postgres: bool,
    /// Run only the PostgreSQL section.
    #[arg(long)]
    only_postgres: bool,
    /// Where the JSON results go.
    #[arg(long, default_value = "target/bench")]
    out: PathBuf,
    /// A run of seconds per scenario that only proves the bench still works: 1 s of load, no
    /// warm-up, 16 connections, 100 products, 500 expiring reservations, 1 s of paced events.
    /// Its figures mean nothing; its checks (no oversell, no lost event, every reservation
    /// released) fail the run as always. CI runs it.
    #[arg(long)]
    quick: bool,
    /// After the SQLite section, measure the peers on this machine: pgbench's hot-row ceiling
    /// (P0, even with --no-postgres, when PostgreSQL answers) and a Redis Lua
    /// check-and-decrement (R0, when Redis answers), with our ratios against them.
    #[arg(long)]
    peers: bool,
    /// Instead of the normal run, measure how cost grows with the data (10^3 to 10^6 pairs)
    /// and with the connections (1 to 256); writes scale.json, scale.md and SVG charts under
    /// --out. With --quick: 10^3 and 10^4 pairs, 1 000 expiring reservations, 1/4/16
    /// connections.
    #[arg(long, conflicts_with_all = ["only_postgres", "peers"])]
    scale: bool,
    /// The most (product, store) pairs --scale measures.
    #[arg(long, default_value_t = 1_000_000, requires = "scale")]
    scale_max: u64,
}

impl Args {
    /// The settings `--quick` replaces.
    fn quickened(mut self) -> Self {
        if self.quick {
            self.duration = 1;
            self.warmup = 0;
            self.connections = 16;
            self.products = 100;
        }
        self
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse().quickened();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("\nBENCHMARK FAILED: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let binary = sibling_binary()?;
    let folder = std::env::temp_dir().join(format!("inventory-bench-{}", std::process::id()));
    std::fs::create_dir_all(&folder)?;
    if args.scale {
        let result = measure_scale(&args, &binary, &folder).await;
        let _ = std::fs::remove_dir_all(&folder);
        let report = result?;
        println!("{}", report.markdown());
        for path in report.write(&args.out)? {
            eprintln!("written: {}", path.display());
        }
        return Ok(());
    }
    let result = measure(&args, &binary, &folder).await;
    let _ = std::fs::remove_dir_all(&folder);
    let report = result?;
    println!("{}", report.markdown());
    let written = report.write_json(&args.out)?;
    eprintln!("figures written to {}", written.display());
    Ok(())
}

async fn measure(
    args: &Args,
    binary: &std::path::Path,
    folder: &std::path::Path,
) -> anyhow::Result<Report> {
    let duration = Duration::from_secs(args.duration);
    let redis = (!args.no_redis && redis_reachable(&args.redis_url)).then(|| {
        (
            args.redis_url.clone(),
            format!("inventory:bench:{}", uuid::Uuid::new_v4().simple()),
        )
    });
    let admin: Arc<str> = Auth::new(SECRET)?
        .issue("bench", Role::Admin, None, Duration::from_secs(3600))?
        .into();
    let mut rows = Vec::new();
    if !args.only_postgres {
        rows.extend(sqlite_section(args, binary, folder, &admin, redis.clone()).await?);
    }
    if args.peers {
        rows.extend(peers_section(args, folder, redis.is_some()).await?);
    }
    if args.no_postgres {
        eprintln!("PostgreSQL section skipped (--no-postgres)");
    } else if postgres::reachable(&args.postgres_url) {
        rows.extend(
            postgres::measure(postgres::Section {
                url: &args.postgres_url,
                binary,
                folder,
                redis: redis.clone(),
                admin: admin.clone(),
                duration,
                warmup: Duration::from_secs(args.warmup),
                connections: args.connections,
                products: args.products,
                quick: args.quick,
                // The peers section ran it already: its row serves both.
                pgbench: !args.peers,
            })
            .await?,
        );
    } else {
        rows.push(Row::note(
            "P",
            "PostgreSQL section",
            format!("skipped: no PostgreSQL answers at {}", args.postgres_url),
        ));
    }
    if let Some((url, stream)) = &redis {
        delete_stream(url, stream);
    }

    let mut report = Report {
        ran_at: report::now(),
        machine: report::machine(),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        duration_seconds: duration.as_secs_f64(),
        connections: args.connections,
        rows,
        ratios: Vec::new(),
    };
    report.add_ratio(
        "3",
        "2",
        "durable hot-SKU reservations over HTTP vs one-per-transaction SQLite",
    );
    report.add_ratio("3", "1", "hot-SKU reservations vs the HTTP ceiling");
    report.add_ratio(
        "3c",
        "3",
        "3-line carts vs single reservations over HTTP, hot pairs (a cart holds 3 units)",
    );
    report.add_ratio(
        "5a",
        "1",
        "availability reads (hot product) vs the HTTP ceiling",
    );
    report.add_ratio(
        "5b",
        "1",
        "availability reads (random products) vs the HTTP ceiling",
    );
    report.add_ratio("6", "1", "mixed traffic vs the HTTP ceiling");
    report.add_ratio(
        "10",
        "5a",
        "availability with every live-stream place taken vs without streams",
    );
    report.add_ratio(
        "2b",
        "2",
        "group commit vs one transaction per reservation, in process",
    );
    report.add_ratio(
        "P2-3",
        "P0",
        "hot-SKU reservations over HTTP, 2 instances on PostgreSQL, vs pgbench's hot-row ceiling (goal: 5 or more)",
    );
    report.add_ratio(
        "P1-3",
        "P0",
        "the same with 1 instance vs pgbench's hot-row ceiling",
    );
    report.add_ratio(
        "P2-3",
        "P1-3",
        "hot-SKU reservations: 2 instances vs 1 on one PostgreSQL",
    );
    report.add_ratio("P2-4", "P1-4", "spread reservations: 2 instances vs 1");
    report.add_ratio("P2-6", "P1-6", "mixed traffic: 2 instances vs 1");
    report.add_ratio(
        "P1-3",
        "3",
        "hot-SKU reservations, 1 instance: PostgreSQL vs SQLite",
    );
    if args.peers {
        report.add_ratio(
            "3",
            "P0",
            "durable hot-SKU reservations over HTTP on SQLite vs pgbench's hot-row ceiling",
        );
        report.add_ratio(
            "3",
            "R0",
            "durable hot-SKU reservations over HTTP vs Redis's in-memory check-and-decrement",
        );
        report.add_ratio(
            "2b",
            "R0",
            "durable reservations in process (group commit) vs Redis's in-memory check-and-decrement",
        );
        report.add_ratio(
            "2b",
            "P0",
            "durable reservations in process (group commit) vs pgbench's hot-row ceiling",
        );
    }
    Ok(report)
}

/// The peers on this machine (`--peers`): (P0) pgbench's hot-row ceiling, whatever
/// `--no-postgres` says, and (R0) a Redis Lua check-and-decrement. Each is a note row saying
/// why when it cannot run.
async fn peers_section(
    args: &Args,
    folder: &std::path::Path,
    redis_answers: bool,
) -> anyhow::Result<Vec<Row>> {
    let duration = Duration::from_secs(args.duration);
    let mut rows = Vec::new();
    if postgres::reachable(&args.postgres_url) {
        rows.push(
            postgres::pgbench_row(&args.postgres_url, folder, duration, args.connections).await?,
        );
    } else {
        rows.push(Row::note(
            "P0",
            "pgbench hot-row ceiling",
            format!("skipped: no PostgreSQL answers at {}", args.postgres_url),
        ));
    }
    let lua = "Redis Lua check-and-decrement (EVALSHA), one key";
    if args.no_redis {
        rows.push(Row::note("R0", lua, "skipped: --no-redis".into()));
    } else if !redis_answers {
        rows.push(Row::note(
            "R0",
            lua,
            format!("skipped: no Redis answers at {}", args.redis_url),
        ));
    } else {
        eprintln!("(R0) Redis Lua check-and-decrement...");
        let (url, clients, warmup) = (
            args.redis_url.clone(),
            args.connections,
            Duration::from_secs(args.warmup),
        );
        rows.push(
            tokio::task::spawn_blocking(move || redis_lua::run(&url, clients, warmup, duration))
                .await??,
        );
    }
    Ok(rows)
}

/// `--scale`: the scale tables instead of the normal run.
async fn measure_scale(
    args: &Args,
    binary: &std::path::Path,
    folder: &std::path::Path,
) -> anyhow::Result<scale::ScaleReport> {
    let admin: Arc<str> = Auth::new(SECRET)?
        .issue("bench", Role::Admin, None, Duration::from_secs(3600))?
        .into();
    scale::run(&scale::Settings {
        binary,
        folder,
        admin,
        duration: Duration::from_secs(args.duration),
        warmup: Duration::from_secs(args.warmup),
        connections: args.connections,
        quick: args.quick,
        max_pairs: args.scale_max,
    })
    .await
}

/// The SQLite section: scenarios 1 to 9 against one server on a SQLite file.
async fn sqlite_section(
    args: &Args,
    binary: &std::path::Path,
    folder: &std::path::Path,
    admin: &Arc<str>,
    redis: Option<(String, String)>,
) -> anyhow::Result<Vec<Row>> {
    let duration = Duration::from_secs(args.duration);
    let db = folder.join("server.db");
    eprintln!("seeding {} products...", args.products);
    let mut config = inventory::SqliteConfig::file(&db);
    config.synchronous = inventory::Synchronous::Off;
    let seeded = seed::seed(config.into(), args.products)?;
    seed::flush(&db)?;
    let server = Server::start(
        binary,
        &Database::Sqlite(db.clone()),
        redis.as_ref().map(|(u, s)| (u.as_str(), s.as_str())),
    )?;
    let bench = Bench {
        address: server.address,
        targets: vec![server.address],
        admin: admin.clone(),
        hot: seeded.hot,
        cart_hot: Arc::new(seeded.cart_hot),
        products: Arc::new(seeded.products),
        expiring: seeded.expiring,
        paced: seeded.paced,
        duration,
        warmup: Duration::from_secs(args.warmup),
        connections: args.connections,
        redis: redis.clone(),
        quick: args.quick,
    };

    let mut rows = Vec::new();
    eprintln!("(1) HTTP ceiling...");
    rows.push(http_ceiling::run(&bench).await?);
    eprintln!("(2) store ceiling...");
    let store_folder = folder.to_path_buf();
    rows.push(
        tokio::task::spawn_blocking(move || store_ceiling::raw(&store_folder, duration)).await??,
    );
    let store_folder = folder.to_path_buf();
    rows.push(
        tokio::task::spawn_blocking(move || store_ceiling::use_cases(&store_folder, duration, 64))
            .await??,
    );
    eprintln!("(3) hot-SKU reservations...");
    rows.push(reservations::hot(&bench).await?);
    eprintln!("(3c) hot-SKU carts...");
    rows.push(carts::hot(&bench).await?);
    eprintln!("(4) spread reservations...");
    rows.push(reservations::spread(&bench).await?);
    eprintln!("(5) availability reads...");
    rows.extend(availability::run(&bench).await?);
    let (cache_db, cache_products, cache_redis) = (
        db.clone(),
        bench.products.clone(),
        redis.as_ref().map(|(u, _)| u.clone()),
    );
    rows.extend(
        tokio::task::spawn_blocking(move || {
            cache_check::run(&cache_db, &cache_products, cache_redis.as_deref())
        })
        .await??,
    );
    eprintln!("(6) mixed...");
    rows.push(mixed::run(&bench).await?);
    eprintln!("(7) event latency...");
    rows.extend(event_latency::run(&bench).await?);
    eprintln!("(8) expiry lag...");
    rows.push(expiry_lag::run(&bench, &db).await?);
    eprintln!("(10) availability with every live-stream place taken...");
    rows.push(stream_cap::run(&bench).await?);
    let (peak_mib, cpu_seconds) = resources(server.pid())?;
    rows.push(Row::note(
        "9",
        "Server resources over the whole run",
        format!("peak RSS {peak_mib:.1} MiB, {cpu_seconds:.1} CPU s"),
    ));
    Ok(rows)
}

fn redis_reachable(url: &str) -> bool {
    redis::Client::open(url)
        .and_then(|client| client.get_connection_with_timeout(Duration::from_secs(1)))
        .and_then(|mut connection| redis::cmd("PING").query::<String>(&mut connection))
        .is_ok()
}

fn delete_stream(url: &str, stream: &str) {
    if let Ok(mut connection) = redis::Client::open(url).and_then(|c| c.get_connection()) {
        let _: redis::RedisResult<()> = redis::cmd("DEL")
            .arg(stream)
            .arg(format!("{stream}:relay-lease"))
            .query(&mut connection);
    }
}
