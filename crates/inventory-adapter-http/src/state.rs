//! What every handler can reach.

use std::sync::Arc;

use inventory_application::UseCases;
use inventory_domain::HoldLimits;
use inventory_ports::Clock;

use crate::Metrics;
use crate::live::LiveFeed;

/// Whether the optional Redis connection is up, as `/health` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedisStatus {
    /// The server runs on SQLite alone.
    NotConfigured,
    /// Events are reaching Redis.
    Connected,
    /// Redis is configured but unreachable: events wait in the outbox.
    Disconnected,
}

impl RedisStatus {
    /// As written in `/health`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotConfigured => "not_configured",
            Self::Connected => "connected",
            Self::Disconnected => "disconnected",
        }
    }
}

/// Tells `/health` about Redis.
pub trait RedisProbe: Send + Sync {
    /// The current status.
    fn status(&self) -> RedisStatus;
}

/// The probe of a server without Redis.
pub struct NoRedis;

impl RedisProbe for NoRedis {
    fn status(&self) -> RedisStatus {
        RedisStatus::NotConfigured
    }
}

/// Shared by all handlers (in `web::Data`).
#[derive(Clone)]
pub struct AppState {
    /// The use cases (health checks included).
    pub use_cases: UseCases,
    /// For `expires_in_seconds` and health timestamps.
    pub clock: Arc<dyn Clock>,
    /// Redis status for `/health`.
    pub redis: Arc<dyn RedisProbe>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Committed events, for live streams.
    pub live: LiveFeed,
    /// What a customer reserving for itself may hold at most.
    pub hold_limits: HoldLimits,
    /// Whether the client's address is the first `X-Forwarded-For` entry (behind a proxy
    /// that sets it) rather than the connection's peer.
    pub trust_forwarded_for: bool,
    /// Which addresses a registered webhook may point to.
    pub webhook_policy: inventory_ports::UrlPolicy,
}
