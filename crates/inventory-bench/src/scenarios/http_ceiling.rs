//! (1) The HTTP ceiling: `GET /livez`, which touches nothing but the framework. What actix-web
//! and this load generator can do on this machine.

use std::sync::Arc;

use crate::load::{self, Call};
use crate::report::Row;
use crate::scenarios::Bench;

/// Runs it.
///
/// # Errors
/// When the load fails.
pub async fn run(bench: &Bench) -> anyhow::Result<Row> {
    let result = load::run(
        &bench.targets,
        bench.connections,
        bench.warmup,
        bench.duration,
        Arc::new(|_| Call::get("/livez")),
    )
    .await?;
    Ok(Row::measured(
        "1",
        "HTTP ceiling: GET /livez",
        Some(result.rps()),
        &result.latency,
        format!("{} × 200", result.count(200)),
    ))
}
