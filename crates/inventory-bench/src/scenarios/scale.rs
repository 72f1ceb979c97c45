//! `--scale`: how cost grows, instead of the normal run. The normal run measures one size
//! (1 000 products) at one concurrency (64 connections); whether reservations, reads, startup,
//! memory, the file and the expiry worker stay flat as the catalogue grows, and how the hot
//! SKU behaves with more or fewer clients, needs the same scenarios at several sizes.
//!
//! - Table A, for 10³ to 10⁶ (product, store) pairs (`pairs / 4` products in the four
//!   stores), each on a fresh SQLite file seeded through the library's bulk imports: seeding
//!   time, server startup (spawn to its first `GET /health` 200), hot-SKU reservations (with
//!   scenario 3's oversell check), spread reservations over every pair, availability reads of
//!   random products, the file's size (main file + WAL) and the server's peak RSS after that
//!   load, and the expiry worker's lag with [`EXPIRING`] reservations due at the same instant.
//! - Table B, at 10³ pairs: hot-SKU reservations with 1 to 256 connections.
//!
//! Written to `<out>/scale.json`, `<out>/scale.md` (also printed) and two SVG charts,
//! `<out>/scale-pairs.svg` and `<out>/scale-connections.svg`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use inventory::{
    Clock, CustomerId, Inventory, ManualClock, OffsetDateTime, ProductId, Quantity, RequestContext,
    ReservationTtl, ReserveStock, SqliteConfig, StoreId, Synchronous,
};
use plotters::style::{BLUE, GREEN, RED, RGBColor};
use serde::Serialize;

use crate::load::{self, Call};
use crate::scenarios::plot::{self, Chart, Series};
use crate::scenarios::{Bench, availability, expiry_lag, histogram_ms, reservations};
use crate::seed;
use crate::server::{Database, Server, resources};

/// Table A's sizes, in (product, store) pairs.
pub const SIZES: [u64; 4] = [1_000, 10_000, 100_000, 1_000_000];

/// Table A's sizes with `--quick`.
pub const QUICK_SIZES: [u64; 2] = [1_000, 10_000];

/// Table B's connection counts.
pub const CONNECTIONS: [usize; 5] = [1, 4, 16, 64, 256];

/// Table B's connection counts with `--quick`.
pub const QUICK_CONNECTIONS: [usize; 3] = [1, 4, 16];

/// Table B's size: the normal run's (1 000 products... here 250 products × 4 stores).
pub const TABLE_B_PAIRS: u64 = 1_000;

/// Reservations left to expire together at each size.
pub const EXPIRING: u64 = 100_000;

/// The same with `--quick`.
pub const QUICK_EXPIRING: u64 = 1_000;

/// Threads creating the expiring reservations through the library (its writer commits them
/// in groups).
const CREATORS: usize = 64;

/// How long after the server answers the reservations should fall due, at least: the
/// worker must be waiting for them, not catching up.
const LEAD: Duration = Duration::from_secs(2);

/// What the mode needs from the run.
pub struct Settings<'a> {
    /// The `inventory` binary.
    pub binary: &'a Path,
    /// The run's temporary folder (each size's database is made, then removed, there).
    pub folder: &'a Path,
    /// An admin token.
    pub admin: Arc<str>,
    /// Load per measurement.
    pub duration: Duration,
    /// Warm-up before each measurement.
    pub warmup: Duration,
    /// Table A's connections.
    pub connections: usize,
    /// `--quick`: two sizes, 1 000 expiring reservations, 1/4/16 connections.
    pub quick: bool,
    /// `--scale-max`: the largest size measured.
    pub max_pairs: u64,
}

/// One size's figures (a row of table A).
#[derive(Debug, Clone, Serialize)]
pub struct SizeFigures {
    /// (product, store) pairs stocked.
    pub pairs: u64,
    /// Products (`pairs / 4`).
    pub products: u64,
    /// Seconds to seed the file through the bulk imports (and list the ids back).
    pub seed_seconds: f64,
    /// Spawn of the server to its first `GET /health` 200.
    pub startup_ms: f64,
    /// Hot-SKU reservations per second.
    pub hot_per_second: f64,
    /// Their p99.
    pub hot_p99_ms: f64,
    /// Scenario 3's check.
    pub hot_note: String,
    /// Reservations per second on random pairs among all of them.
    pub spread_per_second: f64,
    /// Their p99.
    pub spread_p99_ms: f64,
    /// Availability reads per second, random products.
    pub read_per_second: f64,
    /// Their p99.
    pub read_p99_ms: f64,
    /// Main file + WAL after the load, MiB.
    pub db_mib: f64,
    /// The server's peak resident memory after the load, MiB.
    pub peak_rss_mib: f64,
    /// Reservations left to expire together.
    pub expiring: u64,
    /// Their `expires_at` minus the moment the restarted server answered: positive when the
    /// worker was up before they fell due (as intended), negative when creating them took
    /// longer than planned and the lags include a late start.
    pub expiry_lead_ms: f64,
    /// Lag (released − expires_at) p50.
    pub expiry_p50_ms: f64,
    /// p99.
    pub expiry_p99_ms: f64,
    /// The last one released.
    pub expiry_max_ms: f64,
    /// Peak RSS of the server that released them, MiB.
    pub expiry_peak_rss_mib: f64,
}

/// One connection count's figures (a row of table B).
#[derive(Debug, Clone, Serialize)]
pub struct ConnectionFigures {
    /// Concurrent connections.
    pub connections: usize,
    /// Hot-SKU reservations per second.
    pub per_second: f64,
    /// p50.
    pub p50_ms: f64,
    /// p99.
    pub p99_ms: f64,
    /// p99.9.
    pub p999_ms: f64,
    /// Scenario 3's check.
    pub note: String,
}

/// The whole scale run.
#[derive(Debug, Serialize)]
pub struct ScaleReport {
    /// When it ran (UTC).
    pub ran_at: String,
    /// The machine.
    pub machine: String,
    /// The command line.
    pub command: String,
    /// Seconds of load per measurement.
    pub duration_seconds: f64,
    /// Seconds of warm-up before each.
    pub warmup_seconds: f64,
    /// Table A's connections.
    pub connections: usize,
    /// Table A.
    pub sizes: Vec<SizeFigures>,
    /// Table B (at [`TABLE_B_PAIRS`]).
    pub by_connections: Vec<ConnectionFigures>,
}

/// Runs both tables.
///
/// # Errors
/// When seeding, a server or a load fails, or a check fails (an oversell, a reservation
/// never released).
pub async fn run(settings: &Settings<'_>) -> anyhow::Result<ScaleReport> {
    let sizes: Vec<u64> = if settings.quick {
        QUICK_SIZES.to_vec()
    } else {
        SIZES.to_vec()
    }
    .into_iter()
    .filter(|pairs| *pairs <= settings.max_pairs)
    .collect();
    anyhow::ensure!(
        !sizes.is_empty(),
        "--scale-max {} leaves no size to measure (the smallest is {})",
        settings.max_pairs,
        SIZES[0]
    );
    let mut figures = Vec::new();
    for pairs in sizes {
        figures.push(measure_size(settings, pairs).await?);
    }
    let by_connections = measure_connections(settings).await?;
    Ok(ScaleReport {
        ran_at: crate::report::now(),
        machine: crate::report::machine(),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        duration_seconds: settings.duration.as_secs_f64(),
        warmup_seconds: settings.warmup.as_secs_f64(),
        connections: settings.connections,
        sizes: figures,
        by_connections,
    })
}

/// A row of table A.
async fn measure_size(settings: &Settings<'_>, pairs: u64) -> anyhow::Result<SizeFigures> {
    let db = settings.folder.join(format!("scale-{pairs}.db"));
    eprintln!("[{pairs} pairs] seeding through the bulk imports...");
    let (seeded, seed_seconds) = seed_file(&db, pairs).await?;
    let (server, startup) = start(settings.binary, &db).await?;
    let bench = bench_on(settings, &server, &seeded, settings.connections);
    eprintln!("[{pairs} pairs] hot-SKU reservations...");
    let hot = reservations::hot(&bench).await?;
    eprintln!("[{pairs} pairs] spread reservations...");
    let spread = reservations::spread(&bench).await?;
    eprintln!("[{pairs} pairs] availability reads...");
    let reads = availability::random_products(&bench).await?;
    anyhow::ensure!(
        reads.count(200) == reads.requests,
        "availability reads were refused: {:?}",
        reads.statuses
    );
    let db_mib = size_on_disk(&db)?;
    let (peak_rss_mib, _) = resources(server.pid())?;
    drop(server);

    let expiring = if settings.quick {
        QUICK_EXPIRING
    } else {
        EXPIRING
    };
    eprintln!("[{pairs} pairs] expiry lag, {expiring} reservations due together...");
    let expiry = expire_together(settings, &db, &seeded, expiring, startup).await?;
    remove_database(&db);
    let read_p99_ms = reads.latency.value_at_quantile(0.99) as f64 / 1000.0;
    Ok(SizeFigures {
        pairs,
        products: seeded.products.len() as u64,
        seed_seconds,
        startup_ms: startup.as_secs_f64() * 1000.0,
        hot_per_second: hot.per_second.unwrap_or_default(),
        hot_p99_ms: hot.p99_ms.unwrap_or_default(),
        hot_note: hot.note,
        spread_per_second: spread.per_second.unwrap_or_default(),
        spread_p99_ms: spread.p99_ms.unwrap_or_default(),
        read_per_second: reads.rps(),
        read_p99_ms,
        db_mib,
        peak_rss_mib,
        expiring,
        expiry_lead_ms: expiry.lead_ms,
        expiry_p50_ms: expiry.p50_ms,
        expiry_p99_ms: expiry.p99_ms,
        expiry_max_ms: expiry.max_ms,
        expiry_peak_rss_mib: expiry.peak_rss_mib,
    })
}

/// Table B: the hot SKU at [`TABLE_B_PAIRS`] with each connection count, on one server.
async fn measure_connections(settings: &Settings<'_>) -> anyhow::Result<Vec<ConnectionFigures>> {
    let db = settings.folder.join("scale-connections.db");
    eprintln!("[connections] seeding {TABLE_B_PAIRS} pairs...");
    let (seeded, _) = seed_file(&db, TABLE_B_PAIRS).await?;
    let (server, _) = start(settings.binary, &db).await?;
    let counts: &[usize] = if settings.quick {
        &QUICK_CONNECTIONS
    } else {
        &CONNECTIONS
    };
    let mut figures = Vec::new();
    for &connections in counts {
        eprintln!("[connections] hot-SKU reservations, {connections} connection(s)...");
        let bench = bench_on(settings, &server, &seeded, connections);
        let row = reservations::hot(&bench).await?;
        figures.push(ConnectionFigures {
            connections,
            per_second: row.per_second.unwrap_or_default(),
            p50_ms: row.p50_ms.unwrap_or_default(),
            p99_ms: row.p99_ms.unwrap_or_default(),
            p999_ms: row.p999_ms.unwrap_or_default(),
            note: row.note,
        });
    }
    drop(server);
    remove_database(&db);
    Ok(figures)
}

/// Seeds a fresh file with `pairs` pairs; the ids and the seconds it took.
async fn seed_file(db: &Path, pairs: u64) -> anyhow::Result<(seed::BulkSeeded, f64)> {
    remove_database(db);
    let mut config = SqliteConfig::file(db);
    // Seeding is setup, not what is measured: as the normal run's seed.
    config.synchronous = Synchronous::Off;
    let begun = Instant::now();
    let seeded = tokio::task::spawn_blocking(move || seed::bulk(config.into(), pairs)).await??;
    let seconds = begun.elapsed().as_secs_f64();
    seed::flush(db)?;
    Ok((seeded, seconds))
}

/// The scenarios' view of one server.
fn bench_on(
    settings: &Settings<'_>,
    server: &Server,
    seeded: &seed::BulkSeeded,
    connections: usize,
) -> Bench {
    Bench {
        address: server.address,
        targets: vec![server.address],
        admin: settings.admin.clone(),
        hot: seeded.hot.clone(),
        cart_hot: Arc::new(Vec::new()),
        products: Arc::new(seeded.products.clone()),
        expiring: seeded.expiring.clone(),
        paced: seeded.hot.clone(),
        duration: settings.duration,
        warmup: settings.warmup,
        connections,
        redis: None,
        quick: settings.quick,
    }
}

/// Starts a server on `db` (no Redis: nothing here reads events from it); it and the time
/// from its spawn to its first `GET /health` 200 (the database read and written once).
async fn start(binary: &Path, db: &Path) -> anyhow::Result<(Server, Duration)> {
    let begun = Instant::now();
    let (binary, database) = (binary.to_owned(), Database::Sqlite(db.to_owned()));
    let server =
        tokio::task::spawn_blocking(move || Server::start(&binary, &database, None)).await??;
    let deadline = begun + Duration::from_secs(60);
    loop {
        let answer = load::call_json(server.address, &Call::get("/health")).await;
        if matches!(answer, Ok((200, _))) {
            return Ok((server, begun.elapsed()));
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the server on {} did not answer /health within 60 s: {answer:?}",
            db.display()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The main file and its WAL, MiB.
fn size_on_disk(db: &Path) -> anyhow::Result<f64> {
    let mut bytes = std::fs::metadata(db)
        .with_context(|| format!("{}", db.display()))?
        .len();
    if let Ok(wal) = std::fs::metadata(with_suffix(db, "-wal")) {
        bytes += wal.len();
    }
    Ok(bytes as f64 / 1024.0 / 1024.0)
}

/// `scale-1000.db` + `-wal` → `scale-1000.db-wal`.
fn with_suffix(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Removes a database and its companions (a million pairs take hundreds of MiB).
fn remove_database(db: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(db, suffix));
    }
}

/// What the expiry measurement found.
struct Expiry {
    lead_ms: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    peak_rss_mib: f64,
}

/// Creates `count` reservations due at one instant with the server stopped, starts it, waits
/// until every one is released, and reads each one's lag from its `reservation.expired`
/// event, as scenario 8 does.
async fn expire_together(
    settings: &Settings<'_>,
    db: &Path,
    seeded: &seed::BulkSeeded,
    count: u64,
    startup: Duration,
) -> anyhow::Result<Expiry> {
    let (path, hot, expiring, quick) = (
        db.to_owned(),
        seeded.hot.clone(),
        seeded.expiring.clone(),
        settings.quick,
    );
    let (due, first_seq) = tokio::task::spawn_blocking(move || {
        create_due_together(&path, &hot, &expiring, count, startup, quick)
    })
    .await??;
    seed::flush(db)?;
    let (server, _) = start(settings.binary, db).await?;
    let lead = due - OffsetDateTime::now_utc();
    let lead_ms = lead.as_seconds_f64() * 1000.0;
    if lead.is_negative() {
        eprintln!(
            "warning: the reservations fell due {:.0} ms before the server answered; their lags include its start",
            -lead_ms
        );
    }
    let mut config = SqliteConfig::file(db);
    config.read_connections = 2;
    let inventory = Arc::new(Inventory::builder(config).open()?);
    let patience = Duration::from_secs(60)
        + Duration::try_from(lead).unwrap_or_default()
        + Duration::from_millis(count);
    let outcome = async {
        expiry_lag::wait_until_released(&inventory, patience).await?;
        let lags = expiry_lag::lags_after(&inventory, first_seq)?;
        anyhow::ensure!(
            lags.len() as u64 == count,
            "EXPIRY CHECK FAILED: {} expiries for {count} reservations",
            lags.len()
        );
        let (peak_rss_mib, _) = resources(server.pid())?;
        Ok((lags, peak_rss_mib))
    }
    .await;
    inventory.close();
    drop(server);
    let (lags, peak_rss_mib) = outcome?;
    let lags = histogram_ms(&lags);
    let ms = |micros: u64| micros as f64 / 1000.0;
    Ok(Expiry {
        lead_ms,
        p50_ms: ms(lags.value_at_quantile(0.50)),
        p99_ms: ms(lags.value_at_quantile(0.99)),
        max_ms: ms(lags.max()),
        peak_rss_mib,
    })
}

/// Through the library, the server stopped: `count` reservations of `expiring` in
/// [`expiry_lag::STORE`], all with one `expires_at`. The clock is stopped at the start, so
/// every reservation has the same `created_at` and, with one TTL, the same `expires_at`.
/// The TTL is chosen after a short pilot on the hot pair (reservations held a day, which
/// never expire during the run) measured how fast this machine creates them: the time
/// creating should take, half again, the server's startup twice, and [`LEAD`].
///
/// Returns their `expires_at` and the last event before them.
fn create_due_together(
    db: &Path,
    hot: &str,
    expiring: &str,
    count: u64,
    startup: Duration,
    quick: bool,
) -> anyhow::Result<(OffsetDateTime, u64)> {
    let clock = Arc::new(ManualClock::new(OffsetDateTime::now_utc()));
    let stopped_at = clock.now();
    let mut config = SqliteConfig::file(db);
    config.synchronous = Synchronous::Off;
    let inventory = Arc::new(Inventory::builder(config).clock(clock).open()?);
    let first_seq = inventory.events().last_seq()?;

    let pilot = if quick {
        Duration::from_millis(300)
    } else {
        Duration::from_secs(1)
    };
    let begun = Instant::now();
    let piloted = reserve_from_threads(
        &inventory,
        hot,
        "MAD-001",
        ReservationTtl::MAX,
        Until::Elapsed(begun + pilot),
    )?;
    let rate = piloted as f64 / begun.elapsed().as_secs_f64();
    let creating = count as f64 / rate.max(1.0);
    let since_stopped = (OffsetDateTime::now_utc() - stopped_at).as_seconds_f64();
    let ttl = since_stopped + creating * 1.5 + startup.as_secs_f64() * 2.0 + LEAD.as_secs_f64();
    let ttl = ReservationTtl::from_seconds(ttl.ceil() as i64)?;
    reserve_from_threads(
        &inventory,
        expiring,
        expiry_lag::STORE,
        ttl,
        Until::Count(count),
    )?;
    inventory.close();
    Ok((stopped_at + ttl.duration(), first_seq))
}

/// When [`reserve_from_threads`] stops.
#[derive(Clone, Copy)]
enum Until {
    /// After this many reservations in all.
    Count(u64),
    /// At this instant.
    Elapsed(Instant),
}

/// [`CREATORS`] threads reserving one unit each time; how many they made.
fn reserve_from_threads(
    inventory: &Arc<Inventory>,
    product: &str,
    store: &str,
    ttl: ReservationTtl,
    until: Until,
) -> anyhow::Result<u64> {
    let product = ProductId::parse(product)?;
    let store = StoreId::parse(store)?;
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..CREATORS as u64)
            .map(|index| {
                let (inventory, store) = (inventory.clone(), store.clone());
                scope.spawn(move || -> anyhow::Result<u64> {
                    let command = ReserveStock {
                        product_id: product,
                        store_id: store,
                        customer_id: CustomerId::parse(&format!("bench-{index}"))?,
                        quantity: Quantity::new(1)?,
                        ttl,
                        limits: None,
                    };
                    let context = RequestContext::default();
                    let mut made = 0;
                    loop {
                        let more = match until {
                            Until::Count(count) => {
                                let threads = CREATORS as u64;
                                made < count / threads + u64::from(index < count % threads)
                            }
                            Until::Elapsed(end) => Instant::now() < end,
                        };
                        if !more {
                            return Ok(made);
                        }
                        inventory
                            .reservations()
                            .reserve(command.clone(), &context)?;
                        made += 1;
                    }
                })
            })
            .collect();
        workers.into_iter().try_fold(0, |sum, worker| {
            let made = worker
                .join()
                .map_err(|_| anyhow::anyhow!("a reserving thread panicked"))??;
            anyhow::Ok(sum + made)
        })
    })
}

impl ScaleReport {
    /// Both tables, in Markdown.
    pub fn markdown(&self) -> String {
        let expiring = self.sizes.first().map_or(0, |size| size.expiring);
        let mut out = format!(
            "Machine: {}\nRan: {} · {:.0} s per measurement after {:.0} s of warm-up\n\n",
            self.machine, self.ran_at, self.duration_seconds, self.warmup_seconds
        );
        out.push_str(&format!(
            "Table A: cost against size ({} connections; expiry: {} reservations due at one instant)\n\n",
            self.connections,
            thousands(expiring)
        ));
        out.push_str(
            "| pairs | products | seed s | startup ms | hot res/s | hot p99 ms | spread res/s | spread p99 ms | reads/s | reads p99 ms | DB MiB | peak RSS MiB | expiry lag p50 ms | p99 ms | max ms |\n",
        );
        out.push_str(
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        let mut late = false;
        for size in &self.sizes {
            let mark = if size.expiry_lead_ms < 0.0 {
                late = true;
                "*"
            } else {
                ""
            };
            out.push_str(&format!(
                "| {} | {} | {:.1} | {:.0} | {:.0} | {:.2} | {:.0} | {:.2} | {:.0} | {:.2} | {:.1} | {:.1} | {:.0}{mark} | {:.0}{mark} | {:.0}{mark} |\n",
                thousands(size.pairs),
                thousands(size.products),
                size.seed_seconds,
                size.startup_ms,
                size.hot_per_second,
                size.hot_p99_ms,
                size.spread_per_second,
                size.spread_p99_ms,
                size.read_per_second,
                size.read_p99_ms,
                size.db_mib,
                size.peak_rss_mib,
                size.expiry_p50_ms,
                size.expiry_p99_ms,
                size.expiry_max_ms,
            ));
        }
        if late {
            out.push_str(
                "\n\\* the reservations fell due before the restarted server answered: those lags include its start.\n",
            );
        }
        out.push_str(&format!(
            "\nTable B: hot-SKU reservations against connections ({} pairs)\n\n",
            thousands(TABLE_B_PAIRS)
        ));
        out.push_str("| connections | hot res/s | p50 ms | p99 ms | p99.9 ms | notes |\n");
        out.push_str("|---:|---:|---:|---:|---:|---|\n");
        for row in &self.by_connections {
            out.push_str(&format!(
                "| {} | {:.0} | {:.2} | {:.2} | {:.2} | {} |\n",
                row.connections, row.per_second, row.p50_ms, row.p99_ms, row.p999_ms, row.note
            ));
        }
        out
    }

    /// Writes `scale.json`, `scale.md` and the two charts under `folder`; their paths.
    ///
    /// # Errors
    /// When the folder cannot be written or a chart cannot be drawn.
    pub fn write(&self, folder: &Path) -> anyhow::Result<Vec<PathBuf>> {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("cannot create {}", folder.display()))?;
        let mut written = Vec::new();
        let mut write = |name: &str, contents: String| -> anyhow::Result<()> {
            let path = folder.join(name);
            std::fs::write(&path, contents)
                .with_context(|| format!("cannot write {}", path.display()))?;
            written.push(path);
            Ok(())
        };
        write("scale.json", serde_json::to_string_pretty(self)?)?;
        write("scale.md", self.markdown())?;
        write("scale-pairs.svg", plot::svg(&self.pairs_chart())?)?;
        write(
            "scale-connections.svg",
            plot::svg(&self.connections_chart())?,
        )?;
        Ok(written)
    }

    /// Chart (a): reservations/s and p99 against pairs.
    fn pairs_chart(&self) -> Chart {
        let line = |name: &str, color: RGBColor, value: fn(&SizeFigures) -> f64| Series {
            name: name.into(),
            points: self
                .sizes
                .iter()
                .map(|size| (size.pairs as f64, value(size)))
                .collect(),
            color,
        };
        Chart {
            title: format!(
                "Reservations against size ({} connections)",
                self.connections
            ),
            x_label: "(product, store) pairs (log)".into(),
            left_label: "reservations/s (solid)".into(),
            right_label: "p99 ms (dashed)".into(),
            left: vec![
                line("hot SKU res/s", BLUE, |s| s.hot_per_second),
                line("spread res/s", GREEN, |s| s.spread_per_second),
            ],
            right: vec![
                line("hot SKU p99 ms", BLUE, |s| s.hot_p99_ms),
                line("spread p99 ms", GREEN, |s| s.spread_p99_ms),
            ],
        }
    }

    /// Chart (b): hot-SKU reservations/s and p99 against connections.
    fn connections_chart(&self) -> Chart {
        let line = |name: &str, color: RGBColor, value: fn(&ConnectionFigures) -> f64| Series {
            name: name.into(),
            points: self
                .by_connections
                .iter()
                .map(|row| (row.connections as f64, value(row)))
                .collect(),
            color,
        };
        Chart {
            title: format!(
                "Hot-SKU reservations against connections ({} pairs)",
                thousands(TABLE_B_PAIRS)
            ),
            x_label: "connections (log)".into(),
            left_label: "reservations/s (solid)".into(),
            right_label: "p99 ms (dashed)".into(),
            left: vec![line("hot SKU res/s", BLUE, |r| r.per_second)],
            right: vec![line("hot SKU p99 ms", RED, |r| r.p99_ms)],
        }
    }
}

/// `1000000` → `1 000 000`, as BENCHMARKS.md writes numbers.
fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_spaced() {
        assert_eq!(thousands(1_000), "1 000");
        assert_eq!(thousands(1_000_000), "1 000 000");
        assert_eq!(thousands(250), "250");
    }
}
