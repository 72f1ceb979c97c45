//! `GET /metrics` and `GET /api-docs/openapi.json`.

use actix_web::{HttpResponse, get, web};
use utoipa::OpenApi;

use crate::{ApiDoc, ApiError, Metrics};

/// Prometheus metrics in the text exposition format.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String))
)]
#[get("/metrics")]
pub async fn metrics(metrics: web::Data<Metrics>) -> Result<HttpResponse, ApiError> {
    let text = metrics
        .render()
        .map_err(|error| ApiError::Internal(format!("metrics: {error}")))?;
    Ok(HttpResponse::Ok()
        .content_type(prometheus::TEXT_FORMAT)
        .body(text))
}

/// The OpenAPI 3 document of this API, generated from the code.
#[utoipa::path(
    get,
    path = "/api-docs/openapi.json",
    tag = "operations",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json", body = Object))
)]
#[get("/api-docs/openapi.json")]
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
