//! The OpenAPI document, generated from the handlers' annotations (served at
//! `/api-docs/openapi.json`; no UI is bundled, since UI crates download assets at build time).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{events, health, operations, products, reservations, stock, stores, stream};

/// The API's OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Inventory API",
        description = "Real-time stock and reservations for a chain of stores. Errors share one \
                       shape: {\"error\": {\"code\", \"message\", \"details\", \"request_id\"}}.",
    ),
    paths(
        health::health,
        health::livez,
        operations::metrics,
        operations::openapi,
        stores::list,
        stores::get,
        stores::create,
        stores::update,
        stock::list_by_store,
        products::list,
        products::create,
        products::get_by_sku,
        products::get,
        products::update,
        products::remove,
        products::product_availability,
        stock::adjust,
        stock::get,
        stock::count,
        reservations::reserve,
        reservations::list,
        reservations::get,
        reservations::confirm,
        reservations::cancel,
        events::replay,
        stream::stream,
    ),
    components(schemas(crate::ErrorBody, crate::error::ErrorDetail)),
    modifiers(&BearerAuth),
    tags(
        (name = "products", description = "The catalogue"),
        (name = "stores", description = "The chain's stores"),
        (name = "stock", description = "Stock levels per store"),
        (name = "availability", description = "What customers can reserve"),
        (name = "reservations", description = "Holding units until confirmed, cancelled or expired"),
        (name = "events", description = "The event log"),
        (name = "operations", description = "Health, metrics, this document"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("JWT")
                        .build(),
                ),
            );
    }
}
