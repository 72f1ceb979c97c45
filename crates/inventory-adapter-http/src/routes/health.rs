//! `GET /health`: is the database usable, is Redis reachable. `GET /livez`: is the process
//! serving at all (no dependency checked: for liveness probes and as the HTTP ceiling of the
//! benchmark).

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::blocking;
use crate::state::{AppState, RedisStatus};

/// The health report.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    /// `healthy`, `degraded` (Redis configured but unreachable: events are delayed, nothing is
    /// lost) or `unhealthy` (the database is unusable: 503).
    pub status: &'static str,
    /// `connected` or `unavailable`.
    pub database: &'static str,
    /// `connected`, `disconnected` or `not_configured`.
    pub redis: &'static str,
    /// When the check ran.
    #[serde(with = "time::serde::rfc3339")]
    pub timestamp: OffsetDateTime,
    /// The service's version.
    pub version: &'static str,
}

/// Checks the database (a read and a write round trip) and Redis.
#[utoipa::path(
    get,
    path = "/health",
    tag = "operations",
    responses(
        (status = 200, description = "Healthy or degraded", body = HealthResponse),
        (status = 503, description = "The database is unusable", body = HealthResponse),
    )
)]
#[get("/health")]
pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let store = state.store.clone();
    let database_ok = blocking::run(move || store.check_health()).await.is_ok();
    let redis = state.redis.status();
    let status = match (database_ok, redis) {
        (false, _) => "unhealthy",
        (true, RedisStatus::Disconnected) => "degraded",
        (true, _) => "healthy",
    };
    let body = HealthResponse {
        status,
        database: if database_ok {
            "connected"
        } else {
            "unavailable"
        },
        redis: redis.as_str(),
        timestamp: state.clock.now(),
        version: env!("CARGO_PKG_VERSION"),
    };
    if database_ok {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// Liveness: the process serves requests. Checks nothing else, so a slow database never gets
/// the process restarted.
#[utoipa::path(
    get,
    path = "/livez",
    tag = "operations",
    responses((status = 200, description = "The process is serving", body = Object))
)]
#[get("/livez")]
pub async fn livez() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "alive"}))
}
