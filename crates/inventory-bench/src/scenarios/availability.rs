//! (5) Availability reads, straight from SQLite on every request: (5a) one hot product, (5b)
//! random products.

use std::sync::Arc;

use crate::load::{self, Call};
use crate::report::Row;
use crate::scenarios::Bench;

/// (5a) and (5b).
///
/// # Errors
/// When the load fails.
pub async fn run(bench: &Bench) -> anyhow::Result<Vec<Row>> {
    let hot = hot_product(bench).await?;
    let random = random_products(bench).await?;
    Ok(vec![
        Row::measured(
            "5a",
            "Availability, one hot product",
            Some(hot.rps()),
            &hot.latency,
            format!("{} × 200", hot.count(200)),
        ),
        Row::measured(
            "5b",
            "Availability, random products",
            Some(random.rps()),
            &random.latency,
            format!("{} × 200", random.count(200)),
        ),
    ])
}

/// The load of (5a): availability of the hot product, again and again.
///
/// # Errors
/// When the load fails.
pub async fn hot_product(bench: &Bench) -> anyhow::Result<load::LoadResult> {
    let path = format!("/api/v1/products/{}/availability", bench.hot);
    load::run(
        &bench.targets,
        bench.connections,
        bench.warmup,
        bench.duration,
        Arc::new(move |_| Call::get(path.clone())),
    )
    .await
}

/// The load of (5b): availability of a random product among [`Bench::products`] each time.
///
/// # Errors
/// When the load fails.
pub async fn random_products(bench: &Bench) -> anyhow::Result<load::LoadResult> {
    let products = bench.products.clone();
    load::run(
        &bench.targets,
        bench.connections,
        bench.warmup,
        bench.duration,
        Arc::new(move |rng| {
            Call::get(format!(
                "/api/v1/products/{}/availability",
                products[rng.below(products.len() as u64) as usize]
            ))
        }),
    )
    .await
}
