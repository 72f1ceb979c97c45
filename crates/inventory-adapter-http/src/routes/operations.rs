//! `GET /metrics`, `GET /api-docs/openapi.json` and `GET /api-docs/asyncapi.json`.

use actix_web::{HttpResponse, get, web};

use crate::{ApiError, AppState, Metrics};

/// The documents this server describes itself with, rendered once at start.
pub struct ApiDocuments {
    /// The OpenAPI document of the HTTP API.
    pub openapi: String,
    /// The AsyncAPI document of the Redis stream and the live stream.
    pub asyncapi: String,
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String))
)]
#[get("/metrics")]
pub async fn metrics(
    metrics: web::Data<Metrics>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    metrics.observe_availability_cache(state.use_cases.availability.cache_stats());
    let text = metrics
        .render()
        .map_err(|error| ApiError::Internal(format!("metrics: {error}")))?;
    Ok(HttpResponse::Ok()
        .content_type(prometheus::TEXT_FORMAT)
        .body(text))
}

/// The OpenAPI 3 document of this API, generated from the code.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json", body = Object))
)]
#[get("/api-docs/openapi.json")]
pub async fn openapi(documents: web::Data<ApiDocuments>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(documents.openapi.clone())
}

/// The AsyncAPI 3 document of the events: the Redis stream's entries (every event type, its
/// versioned payload) and the live availability stream.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "The AsyncAPI document", content_type = "application/json", body = Object))
)]
#[get("/api-docs/asyncapi.json")]
pub async fn asyncapi(documents: web::Data<ApiDocuments>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(documents.asyncapi.clone())
}
