//! (10) Ordinary reads with every live-stream place taken: the server's streams are capped
//! (1 000 per instance by default, 8 per client), so a crowd of open streams cannot slow the
//! API down. Opens streams as 125 different customers until the cap refuses one, checks that
//! the next is refused with 503 and `Retry-After`, then loads `GET /api/v1/products/{hot}/
//! availability` while all of them stay open.

use std::time::Duration;

use anyhow::{Context, bail};
use inventory_adapter_http::{Auth, Role};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::report::Row;
use crate::scenarios::{Bench, availability};
use crate::server::SECRET;

/// Streams each customer opens (the default per-client cap).
const PER_CUSTOMER: usize = inventory_adapter_http::StreamLimits::DEFAULT_PER_CLIENT;

/// Runs it.
///
/// # Errors
/// When a stream cannot be opened below the cap, the cap does not refuse, or the load fails.
pub async fn run(bench: &Bench) -> anyhow::Result<Row> {
    let auth = Auth::new(SECRET)?;
    let mut open = Vec::new();
    let refused = 'opening: loop {
        let customer = format!("watcher-{}", open.len() / PER_CUSTOMER);
        let token = auth.issue(&customer, Role::Customer, None, Duration::from_secs(600))?;
        for _ in 0..PER_CUSTOMER {
            let (status, head, connection) = open_stream(bench, &token).await?;
            match status {
                200 => open.push(connection),
                503 => break 'opening head,
                other => bail!("a stream answered {other}: {head}"),
            }
            if open.len() > 100_000 {
                bail!("no cap on live streams");
            }
        }
    };
    if !refused.to_ascii_lowercase().contains("retry-after") {
        bail!("a refused stream has no Retry-After: {refused}");
    }
    let result = availability::hot_product(bench).await?;
    let streams = open.len();
    drop(open);
    Ok(Row::measured(
        "10",
        "Availability with every live-stream place taken",
        Some(result.rps()),
        &result.latency,
        format!(
            "{streams} streams open, the next refused with 503; {} × 200",
            result.count(200)
        ),
    ))
}

/// Opens a stream as `token`: the status, the response head, and the connection.
async fn open_stream(bench: &Bench, token: &str) -> anyhow::Result<(u16, String, TcpStream)> {
    let mut connection = TcpStream::connect(bench.address).await?;
    connection
        .write_all(
            format!(
                "GET /api/v1/stream HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n\r\n"
            )
            .as_bytes(),
        )
        .await?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        connection
            .read_exact(&mut byte)
            .await
            .context("reading a stream's head")?;
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
        .context("a status")?;
    Ok((status, head, connection))
}
