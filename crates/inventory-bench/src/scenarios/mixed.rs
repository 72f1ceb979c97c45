//! (6) Mixed traffic: 80 % availability reads, 15 % reservations, 5 % restocks, random pairs.

use std::sync::Arc;

use crate::load::{self, Call};
use crate::report::Row;
use crate::scenarios::{Bench, STORES, reserve, restock};

/// Runs it.
///
/// # Errors
/// When the load fails.
pub async fn run(bench: &Bench) -> anyhow::Result<Row> {
    let (products, admin) = (bench.products.clone(), bench.admin.clone());
    let result = load::run(
        &bench.targets,
        bench.connections,
        bench.warmup,
        bench.duration,
        Arc::new(move |rng| {
            let product = &products[rng.below(products.len() as u64) as usize];
            let store = STORES[rng.below(4) as usize];
            match rng.below(100) {
                0..80 => Call::get(format!("/api/v1/products/{product}/availability")),
                80..95 => reserve(product, store, rng.below(1_000_000), 600, &admin),
                _ => restock(product, store, &admin),
            }
        }),
    )
    .await?;
    let ok = result.count(200) + result.count(201);
    Ok(Row::measured(
        "6",
        "Mixed: 80% reads, 15% reservations, 5% restocks",
        Some(result.rps()),
        &result.latency,
        format!("{ok} ok, {} other", result.requests - ok),
    ))
}
