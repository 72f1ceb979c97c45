//! (3c) Hot-SKU carts: every connection places carts of three one-unit lines over the same
//! three hot pairs (two products in MAD-001, one in BCN-001), each cart reserved all or
//! nothing in one transaction. Afterwards each pair's `reserved` must have grown by exactly the
//! number of 201 answers: every cart holds all its lines, and nothing is oversold.

use std::sync::Arc;

use anyhow::bail;
use serde_json::json;

use crate::load::{self, Call};
use crate::report::Row;
use crate::scenarios::Bench;

/// The pairs every cart reserves one unit of: (index into `Bench::cart_hot`, store).
const LINES: [(usize, &str); 3] = [(0, "MAD-001"), (1, "MAD-001"), (2, "BCN-001")];

/// (3c).
///
/// # Errors
/// When the load fails, a cart is refused, or a pair's `reserved` does not match the 201
/// answers (a cart holding part of its lines, or an oversell).
pub async fn hot(bench: &Bench) -> anyhow::Result<Row> {
    let before = reserved_per_line(bench).await?;
    let (products, admin) = (bench.cart_hot.clone(), bench.admin.clone());
    let result = load::run(
        &bench.targets,
        bench.connections,
        bench.warmup,
        bench.duration,
        Arc::new(move |rng| {
            let lines: Vec<_> = LINES
                .iter()
                .map(|(product, store)| {
                    json!({"product_id": products[*product], "store_id": store, "quantity": 1})
                })
                .collect();
            let body = json!({
                "customer_id": format!("bench-{}", rng.below(1_000_000)),
                "ttl": 600,
                "lines": lines,
            });
            Call::post("/api/v1/carts", body.to_string(), &admin)
        }),
    )
    .await?;
    let after = reserved_per_line(bench).await?;
    let created = result.count_all(201);
    for ((line, before), after) in LINES.iter().zip(before).zip(after) {
        if after - before != created {
            bail!(
                "ALL-OR-NOTHING CHECK FAILED: {line:?} reserved went from {before} to {after} but the server placed {created} carts"
            );
        }
    }
    if result.count(201) != result.requests {
        bail!("hot carts were refused: {:?}", result.statuses);
    }
    Ok(Row::measured(
        "3c",
        "Hot-SKU carts over HTTP (3 lines, 3 hot pairs, 2 stores)",
        Some(result.rps()),
        &result.latency,
        format!("each pair's reserved == 201 answers == {created}: all or nothing, no oversell"),
    ))
}

async fn reserved_per_line(bench: &Bench) -> anyhow::Result<Vec<u64>> {
    let mut reserved = Vec::with_capacity(LINES.len());
    for (product, store) in LINES {
        reserved.push(super::reservations::reserved(bench, &bench.cart_hot[product], store).await?);
    }
    Ok(reserved)
}
