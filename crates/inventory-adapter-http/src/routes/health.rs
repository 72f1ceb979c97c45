//! `GET /health`: is the database usable, is Redis reachable. `GET /livez`: is the process
//! serving at all (no dependency checked: for liveness probes and as the HTTP ceiling of the
//! benchmark).

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::common::run;
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
    tag = "operations",
    responses(
        (status = 200, description = "Healthy or degraded", body = HealthResponse),
        (status = 503, description = "The database is unusable", body = HealthResponse),
    )
)]
#[get("/health")]
pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let health = state.use_cases.health.clone();
    let checked = run(move || health.check()).await;
    if let Err(error) = &checked {
        tracing::warn!(error = %inventory_ports::ErrorChain(error), "health: the database does not answer");
    }
    let database_ok = checked.is_ok();
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
    tag = "operations",
    responses((status = 200, description = "The process is serving", body = Object))
)]
#[get("/livez")]
pub async fn livez() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "alive"}))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use actix_web::{App, test, web};
    use inventory_application::{Ports, UseCases};
    use inventory_ports::{InventoryStore, SystemClock, UuidV7Ids};
    use inventory_testkit::memory::MemoryStore;
    use inventory_testkit::unavailable::UnavailableStore;

    use super::*;
    use crate::state::{RedisProbe, RedisStatus};
    use crate::{LiveFeed, Metrics};

    struct RedisDown;

    impl RedisProbe for RedisDown {
        fn status(&self) -> RedisStatus {
            RedisStatus::Disconnected
        }
    }

    fn state(store: Arc<dyn InventoryStore>, redis: Arc<dyn RedisProbe>) -> AppState {
        AppState {
            hold_limits: inventory_domain::HoldLimits::default(),
            trust_forwarded_for: false,
            webhook_policy: inventory_ports::UrlPolicy::default(),
            use_cases: UseCases::new(Ports {
                store,
                clock: Arc::new(SystemClock),
                ids: Arc::new(UuidV7Ids),
                read_cache: None,
            }),
            clock: Arc::new(SystemClock),
            redis,
            metrics: Arc::new(Metrics::new().expect("metrics")),
            live: LiveFeed::new(tokio::sync::watch::channel(false).1),
        }
    }

    async fn check(state: AppState) -> (u16, serde_json::Value) {
        let app =
            test::init_service(App::new().app_data(web::Data::new(state)).service(health)).await;
        let response =
            test::call_service(&app, test::TestRequest::get().uri("/health").to_request()).await;
        let status = response.status().as_u16();
        (status, test::read_body_json(response).await)
    }

    #[actix_web::test]
    async fn an_unusable_database_is_503_unhealthy() {
        let (status, body) =
            check(state(Arc::new(UnavailableStore), Arc::new(crate::NoRedis))).await;
        assert_eq!(status, 503);
        assert_eq!(body["status"], "unhealthy");
        assert_eq!(body["database"], "unavailable");
    }

    #[actix_web::test]
    async fn redis_down_is_200_degraded() {
        let (status, body) = check(state(Arc::new(MemoryStore::new()), Arc::new(RedisDown))).await;
        assert_eq!(status, 200);
        assert_eq!(body["status"], "degraded");
        assert_eq!(body["redis"], "disconnected");
        assert_eq!(body["database"], "connected");
    }
}
