//! # inventory-adapter-http
//!
//! The HTTP API v1 of the inventory on actix-web: how stores (tills, tablets) and customers
//! (web, mobile) use the use cases of `inventory-application`.
//!
//! ## Layout
//!
//! - [`routes`]: one module per resource (DTOs and handlers together), registered in
//!   [`routes::configure`], which also puts each operation in the OpenAPI document (one
//!   registry). Handlers parse request DTOs into domain values (a bad value is a 400 naming
//!   the field), ask [`access::authorize`], and run the use case off the async threads
//!   ([`routes::common::run`]).
//! - [`access`]: bearer JWTs, the [`Caller`], and the one access policy.
//! - [`ApiError`]: every error's status and JSON shape, in one place.
//! - Middlewares: [`request_span`] (request id, access log, error bodies), [`metrics`],
//!   [`panic_guard`], CORS; [`request_parsing`] for body/path/query errors.
//! - [`openapi`]: the OpenAPI document; `inventory-events` provides the AsyncAPI one.
//!
//! [`build_server`] puts it together on a bound listener.

pub mod access;
pub mod dashboard;
mod error;
pub mod idempotency;
pub mod live;
pub mod metrics;
pub mod openapi;
mod openapi_rules;
pub mod panic_guard;
pub mod request_limits;
pub mod request_parsing;
pub mod request_span;
pub mod routes;
pub mod state;
pub mod stream_limits;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use utoipa_actix_web::AppExt;

pub use access::{Auth, Caller, Role};
pub use error::{ApiError, ErrorBody};
pub use live::{LiveFeed, follow_outbox};
pub use metrics::Metrics;
pub use request_span::RequestId;
pub use state::{AppState, NoRedis, RedisProbe, RedisStatus};
pub use stream_limits::{StreamLimits, StreamPermit};

/// How the HTTP server behaves.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Origins allowed by CORS; `*` allows any.
    pub cors_origins: Vec<String>,
    /// The largest JSON body accepted, in bytes.
    pub max_body_bytes: usize,
    /// The largest stock import body accepted (`POST /stock/import`), in bytes.
    pub max_import_bytes: usize,
    /// How long a client has to send its request's headers, and then its body.
    pub client_timeout: Duration,
    /// Worker threads (at least 1).
    pub workers: usize,
    /// How long a graceful stop waits for in-flight requests.
    pub shutdown_timeout: Duration,
    /// Adds `/__fault/panic`, a handler that panics, for tests. Never on in production.
    pub fault_injection: bool,
    /// The Redis stream the AsyncAPI document names.
    pub event_stream: String,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            cors_origins: Vec::new(),
            max_body_bytes: 64 * 1024,
            max_import_bytes: 16 * 1024 * 1024,
            client_timeout: Duration::from_secs(10),
            workers: 2,
            shutdown_timeout: Duration::from_secs(10),
            fault_injection: false,
            event_stream: "inventory:events".into(),
        }
    }
}

/// Builds the server on `listener` (already bound, so callers know the port). The server does
/// not handle signals: the caller stops it through its handle.
///
/// # Errors
/// When the listener cannot be used.
pub fn build_server(
    listener: TcpListener,
    state: AppState,
    auth: Arc<Auth>,
    settings: &HttpSettings,
) -> std::io::Result<Server> {
    let metrics = web::Data::from(state.metrics.clone());
    let auth = web::Data::from(auth);
    let known_stores = web::Data::new(access::KnownStores::new(state.use_cases.stores.clone()));
    let state = web::Data::new(state);
    let document = openapi::document();
    let known_paths = web::Data::new(routes::known_paths::KnownPaths::from_document(&document));
    let documents = web::Data::new(routes::operations::ApiDocuments {
        openapi: openapi::served(document).to_string(),
        asyncapi: inventory_events::asyncapi::document(&settings.event_stream).to_string(),
    });
    let settings_for_workers = settings.clone();
    let server = HttpServer::new(move || {
        let settings = &settings_for_workers;
        App::new()
            .into_utoipa_app()
            .configure(|config| routes::configure(config, settings.fault_injection))
            .into_app()
            .app_data(state.clone())
            .app_data(documents.clone())
            .app_data(metrics.clone())
            .app_data(auth.clone())
            .app_data(known_stores.clone())
            .app_data(known_paths.clone())
            .app_data(request_parsing::json_config(settings.max_body_bytes))
            .app_data(web::Data::new(routes::imports::ImportLimits {
                max_body_bytes: settings.max_import_bytes,
            }))
            .app_data(web::Data::new(request_limits::RequestLimits {
                body_timeout: settings.client_timeout,
            }))
            .app_data(request_parsing::path_config())
            .app_data(request_parsing::query_config())
            .default_service(web::to(routes::not_found))
            // The last wrap runs first: the request span (so that every answer, a CORS refusal
            // too, has a request id and our error shape), metrics, CORS (so that a browser can
            // read every refusal), request limits, and the panic guard around the handler.
            .wrap(from_fn(panic_guard::catch_panics))
            .wrap(from_fn(request_limits::enforce))
            .wrap(cors(&settings.cors_origins))
            .wrap(from_fn(metrics::track_requests))
            .wrap(from_fn(request_span::request_span))
    })
    .workers(settings.workers.max(1))
    // Headers slower than this get actix's own (empty) 408; a slow body gets ours.
    .client_request_timeout(settings.client_timeout)
    // A client that closes its side is gone: end the connection at once, so that a live
    // stream's place comes back now, not when a keep-alive write fails up to 30 s later.
    .h1_allow_half_closed(false)
    .shutdown_timeout(settings.shutdown_timeout.as_secs())
    .disable_signals()
    .listen(listener)?
    .run();
    Ok(server)
}

fn cors(origins: &[String]) -> Cors {
    let cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "DELETE", "OPTIONS"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::IF_MATCH,
            header::HeaderName::from_static("x-request-id"),
            header::HeaderName::from_static("last-event-id"),
        ])
        .expose_headers([
            header::HeaderName::from_static("x-request-id"),
            header::ETAG,
            header::LOCATION,
        ])
        .max_age(3600);
    if origins.iter().any(|origin| origin == "*") {
        cors.allow_any_origin().send_wildcard()
    } else {
        origins
            .iter()
            .fold(cors, |cors, origin| cors.allowed_origin(origin))
    }
}
