//! # inventory-bench
//!
//! Measures the `inventory` server against its limits, side by side in one run, so every
//! figure that matters is a ratio against a baseline measured on the same (noisy, shared)
//! machine. See BENCHMARKS.md for the scenarios and the latest figures.
//!
//! ```text
//! cargo build --release --bin inventory --bin inventory-bench && target/release/inventory-bench
//! ```

mod load;
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
    Bench, availability, cache_check, event_latency, expiry_lag, http_ceiling, mixed, reservations,
    store_ceiling,
};
use crate::server::{SECRET, Server, resources, sibling_binary};

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
    /// Where the JSON results go.
    #[arg(long, default_value = "target/bench")]
    out: PathBuf,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
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
    let db = folder.join("server.db");
    eprintln!("seeding {} products...", args.products);
    let seeded = seed::seed(&db, args.products)?;
    let redis = (!args.no_redis && redis_reachable(&args.redis_url)).then(|| {
        (
            args.redis_url.clone(),
            format!("inventory:bench:{}", uuid::Uuid::new_v4().simple()),
        )
    });
    let server = Server::start(
        binary,
        &db,
        redis.as_ref().map(|(u, s)| (u.as_str(), s.as_str())),
    )?;
    let admin: Arc<str> = Auth::new(SECRET)?
        .issue("bench", Role::Admin, None, Duration::from_secs(3600))?
        .into();
    let bench = Bench {
        address: server.address,
        admin,
        hot: seeded.hot,
        products: Arc::new(seeded.products),
        expiring: seeded.expiring,
        paced: seeded.paced,
        duration,
        warmup: Duration::from_secs(args.warmup),
        connections: args.connections,
        redis: redis.clone(),
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
    let (peak_mib, cpu_seconds) = resources(server.pid())?;
    rows.push(Row::note(
        "9",
        "Server resources over the whole run",
        format!("peak RSS {peak_mib:.1} MiB, {cpu_seconds:.1} CPU s"),
    ));
    drop(server);
    if let Some((url, stream)) = &redis {
        delete_stream(url, stream);
    }

    let mut report = Report {
        ran_at: time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_default(),
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
        "2b",
        "2",
        "group commit vs one transaction per reservation, in process",
    );
    Ok(report)
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
