//! Every route, wired in one place: registering a handler here also puts its operation in
//! the OpenAPI document (utoipa-actix-web reads each handler's `#[utoipa::path]`).

pub mod carts;
pub mod common;
pub mod events;
pub mod health;
pub mod imports;
pub(crate) mod known_paths;
pub mod low_stock;
pub mod movements;
pub mod operations;
pub mod products;
pub mod reservations;
pub mod stock;
pub mod stores;
pub mod stream;
pub mod transfers;
pub mod webhooks;

use actix_web::{HttpRequest, HttpResponse, web};
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::ApiError;

/// Registers every route of the API, and its operation in the OpenAPI document.
pub fn configure(config: &mut ServiceConfig<'_>, fault_injection: bool) {
    crate::dashboard::configure(config);
    config
        .service(health::health)
        .service(health::livez)
        .service(operations::metrics)
        .service(operations::openapi)
        .service(operations::asyncapi)
        .service(
            scope("/api/v1")
                .service(stores::list)
                .service(stores::create)
                .service(stock::list_by_store)
                .service(stores::get)
                .service(stores::update)
                .service(products::list)
                .service(products::create)
                .service(products::get_by_sku)
                .service(products::product_availability)
                .service(products::get)
                .service(products::update)
                .service(products::remove)
                .service(low_stock::list_low)
                .service(low_stock::set_pair)
                .service(low_stock::remove_pair)
                .service(low_stock::set_default)
                .service(low_stock::remove_default)
                .service(movements::list_movements)
                .service(imports::import_stock)
                .service(stock::adjust)
                .service(stock::get)
                .service(stock::count)
                .service(reservations::list)
                .service(reservations::reserve)
                .service(reservations::get)
                .service(reservations::confirm)
                .service(reservations::cancel)
                .service(reservations::extend)
                .service(carts::place)
                .service(carts::get)
                .service(carts::confirm)
                .service(carts::confirm_lines)
                .service(carts::cancel)
                .service(transfers::list)
                .service(transfers::send)
                .service(transfers::get)
                .service(transfers::receive)
                .service(transfers::cancel)
                .service(webhooks::list)
                .service(webhooks::register)
                .service(webhooks::get)
                .service(webhooks::remove)
                .service(webhooks::deliveries)
                .service(webhooks::replay)
                .service(events::replay)
                .service(stream::stream),
        );
    if fault_injection {
        // Off unless the server is started with fault injection on, and not in the document.
        // A panicking handler answers 500 and the server keeps serving:
        config.route("/__fault/panic", web::get().to(panic_on_purpose));
        // A graceful stop lets an in-flight request finish:
        config.route("/__fault/slow", web::get().to(slow_on_purpose));
    }
}

async fn slow_on_purpose() -> &'static str {
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    "finished"
}

async fn panic_on_purpose() -> &'static str {
    panic!("fault injection: this handler panics on purpose")
}

/// The answer for requests no route matches: 405 with `Allow` for a documented path asked
/// with another method, 404 otherwise.
pub async fn not_found(
    request: HttpRequest,
    known: web::Data<known_paths::KnownPaths>,
) -> Result<HttpResponse, ApiError> {
    match known.methods_of(request.path()) {
        Some(allow) => Err(ApiError::MethodNotAllowed { allow }),
        None => Err(ApiError::RouteNotFound(request.path().to_owned())),
    }
}
