//! The scenarios, one file each. They share a [`Bench`]: the server's address, a token, the
//! seeded products.

pub mod availability;
pub mod cache_check;
pub mod carts;
pub mod event_latency;
pub mod expiry_lag;
pub mod http_ceiling;
pub mod mixed;
pub mod pgbench_ceiling;
pub mod plot;
pub mod redis_lua;
pub mod reservations;
pub mod scale;
pub mod store_ceiling;
pub mod stream_cap;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::load::Call;

/// What every scenario needs.
#[derive(Clone)]
pub struct Bench {
    /// The server (the first instance when there are several): setup calls and checks go
    /// here.
    pub address: SocketAddr,
    /// Every instance: load is spread over them.
    pub targets: Vec<SocketAddr>,
    /// An admin token (admins may reserve for any customer).
    pub admin: Arc<str>,
    /// The hot product: millions of units in MAD-001.
    pub hot: String,
    /// Three hot products of the cart scenario: millions of units in MAD-001 and BCN-001.
    pub cart_hot: Arc<Vec<String>>,
    /// The products stocked in the four stores (`--products`, 1 000 by default).
    pub products: Arc<Vec<String>>,
    /// A product whose reservations are left to expire.
    pub expiring: String,
    /// A product the event-latency writer restocks.
    pub paced: String,
    /// Load per scenario.
    pub duration: Duration,
    /// Warm-up before measuring.
    pub warmup: Duration,
    /// Concurrent connections.
    pub connections: usize,
    /// Redis URL and stream, when Redis is reachable.
    pub redis: Option<(String, String)>,
    /// `--quick`: the fixed-size scenarios shrink too (expiry, event latency), so the whole
    /// run takes seconds per scenario and only its checks matter.
    pub quick: bool,
}

/// The four stores.
pub const STORES: [&str; 4] = ["MAD-001", "BCN-001", "VAL-001", "SEV-001"];

/// A reservation of one unit.
pub fn reserve(product: &str, store: &str, customer: u64, ttl: u64, admin: &Arc<str>) -> Call {
    Call::post(
        "/api/v1/reservations",
        json!({"product_id": product, "store_id": store, "quantity": 1, "customer_id": format!("bench-{customer}"), "ttl": ttl}).to_string(),
        admin,
    )
}

/// A restock of one unit.
pub fn restock(product: &str, store: &str, admin: &Arc<str>) -> Call {
    Call::post(
        "/api/v1/stock",
        json!({"product_id": product, "store_id": store, "quantity_change": 1, "reason": "RESTOCK"}).to_string(),
        admin,
    )
}

/// Percentiles (ms) of a list of millisecond samples, for scenarios measured by hand.
pub fn histogram_ms(samples: &[f64]) -> hdrhistogram::Histogram<u64> {
    let mut histogram =
        hdrhistogram::Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).expect("bounds");
    for sample in samples {
        let _ = histogram.record((sample * 1000.0).max(1.0) as u64);
    }
    histogram
}
