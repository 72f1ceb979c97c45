//! (5c, 5d) Would the design document's Redis availability cache help? One client, one
//! request at a time, no HTTP: (5c) the availability query on SQLite through the library,
//! (5d) a Redis `GET` of the same JSON document, which is what a cache hit would cost at
//! best. A cache can only pay off if (5d) is much cheaper than (5c); it would also serve stock
//! up to its TTL old, which the mission rules out.

use std::path::Path;
use std::time::Instant;

use hdrhistogram::Histogram;
use inventory::{Inventory, ProductId, SqliteConfig};

use crate::report::Row;

/// Lookups per measurement.
const LOOKUPS: usize = 20_000;

/// Runs both; the Redis row is skipped without Redis.
///
/// # Errors
/// When the database or Redis fails.
pub fn run(db: &Path, products: &[String], redis_url: Option<&str>) -> anyhow::Result<Vec<Row>> {
    let mut config = SqliteConfig::file(db);
    config.read_connections = 1;
    let inventory = Inventory::builder(config).open()?;
    let ids: Vec<ProductId> = products
        .iter()
        .map(|p| ProductId::parse(p))
        .collect::<Result<_, _>>()?;
    let mut sqlite = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut document = String::new();
    for n in 0..LOOKUPS {
        let begun = Instant::now();
        let availability = inventory
            .availability()
            .of_product(ids[n % ids.len()], None)?;
        sqlite.record(begun.elapsed().as_micros().max(1) as u64)?;
        if n == 0 {
            document = format!("{availability:?}");
        }
    }
    inventory.close();
    let mut rows = vec![Row::measured(
        "5c",
        "Cache check: availability from SQLite, in process",
        None,
        &sqlite,
        format!("{LOOKUPS} sequential lookups"),
    )];
    match redis_url {
        None => rows.push(Row::note(
            "5d",
            "Cache check: Redis GET of the document",
            "skipped: no Redis".into(),
        )),
        Some(url) => {
            let mut connection = redis::Client::open(url)?.get_connection()?;
            let key = format!("inventory:bench:cache:{}", uuid::Uuid::new_v4().simple());
            redis::cmd("SET")
                .arg(&key)
                .arg(&document)
                .exec(&mut connection)?;
            let mut redis_get = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
            for _ in 0..LOOKUPS {
                let begun = Instant::now();
                let _: String = redis::cmd("GET").arg(&key).query(&mut connection)?;
                redis_get.record(begun.elapsed().as_micros().max(1) as u64)?;
            }
            redis::cmd("DEL").arg(&key).exec(&mut connection)?;
            rows.push(Row::measured(
                "5d",
                "Cache check: Redis GET of the same document (a cache hit)",
                None,
                &redis_get,
                format!("{LOOKUPS} sequential GETs, {} bytes", document.len()),
            ));
        }
    }
    Ok(rows)
}
