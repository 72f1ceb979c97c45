//! (3) Hot-SKU reservations: every connection reserves one unit of the same (product, store).
//! Afterwards `reserved` must equal the number of 201 answers: no oversell, no lost
//! reservation. (4) Spread reservations: random pairs among 1 000 products × 4 stores.

use std::sync::Arc;

use anyhow::bail;

use crate::load::{self, Call};
use crate::report::Row;
use crate::scenarios::{Bench, STORES, reserve};

/// (3).
///
/// # Errors
/// When the load fails, or `reserved` does not match the 201 answers (an oversell or a lost
/// reservation).
pub async fn hot(bench: &Bench) -> anyhow::Result<Row> {
    let before = reserved(bench, &bench.hot, "MAD-001").await?;
    let (hot, admin) = (bench.hot.clone(), bench.admin.clone());
    let result = load::run(
        &bench.targets,
        bench.connections,
        bench.warmup,
        bench.duration,
        Arc::new(move |rng| reserve(&hot, "MAD-001", rng.below(1_000_000), 600, &admin)),
    )
    .await?;
    // Warm-up reservations count too: compare with every 201 the server gave.
    let after = reserved(bench, &bench.hot, "MAD-001").await?;
    let created = result.count_all(201);
    if after - before != created {
        bail!(
            "OVERSELL CHECK FAILED: reserved went from {before} to {after} but the server answered 201 {created} times"
        );
    }
    if result.count(201) != result.requests {
        bail!("hot-SKU reservations were refused: {:?}", result.statuses);
    }
    Ok(Row::measured(
        "3",
        "Hot-SKU reservations over HTTP (one pair)",
        Some(result.rps()),
        &result.latency,
        format!("reserved == 201 answers == {created}: no oversell"),
    ))
}

/// (4).
///
/// # Errors
/// When the load fails.
pub async fn spread(bench: &Bench) -> anyhow::Result<Row> {
    let (products, admin) = (bench.products.clone(), bench.admin.clone());
    let result = load::run(
        &bench.targets,
        bench.connections,
        bench.warmup,
        bench.duration,
        Arc::new(move |rng| {
            let product = &products[rng.below(products.len() as u64) as usize];
            let store = STORES[rng.below(4) as usize];
            reserve(product, store, rng.below(1_000_000), 600, &admin)
        }),
    )
    .await?;
    // Reserved (201) or refused for want of units (409) are the only honest answers: anything
    // else (an unknown product, a refused token, a server error) would be charted as
    // throughput.
    let unexpected: Vec<_> = result
        .statuses
        .iter()
        .filter(|(status, _)| !matches!(status, 201 | 409))
        .collect();
    anyhow::ensure!(
        unexpected.is_empty() && result.count(201) > 0,
        "spread reservations answered {:?}",
        result.statuses
    );
    let products = bench.products.len();
    Ok(Row::measured(
        "4",
        &format!("Spread reservations ({products} products × 4 stores)"),
        Some(result.rps()),
        &result.latency,
        format!(
            "{} × 201, {} other",
            result.count(201),
            result.requests - result.count(201)
        ),
    ))
}

/// The units `product` has reserved in `store`, read over HTTP.
pub(crate) async fn reserved(bench: &Bench, product: &str, store: &str) -> anyhow::Result<u64> {
    let mut call = Call::get(format!("/api/v1/stock/{product}/{store}"));
    call.token = Some(bench.admin.clone());
    let (status, body) = load::call_json(bench.address, &call).await?;
    anyhow::ensure!(status == 200, "GET stock answered {status}: {body}");
    body["reserved"]
        .as_u64()
        .ok_or_else(|| anyhow::anyhow!("no reserved in {body}"))
}
