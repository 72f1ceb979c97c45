//! The OpenAPI document, generated from the handlers' annotations as the routes register them
//! (served at `/api-docs/openapi.json`; no UI is bundled, since UI crates download assets at
//! build time).

use actix_web::App;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::routes;

/// The OpenAPI document of the API: the routes of [`routes::configure`] with their operations,
/// plus the bearer scheme and the errors every operation of a kind can answer.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut document) = App::new()
        .into_utoipa_app()
        .openapi(Base::openapi())
        .configure(|config| routes::configure(config, false))
        .split_for_parts();
    BearerAuth.modify(&mut document);
    CommonErrors.modify(&mut document);
    document
}

/// What the document says besides its operations.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Inventory API",
        description = "Real-time stock and reservations for a chain of stores. Errors share one \
                       shape: {\"error\": {\"code\", \"message\", \"details\", \"request_id\"}}. \
                       The events are described by the AsyncAPI document at \
                       /api-docs/asyncapi.json.",
    ),
    components(schemas(crate::ErrorBody, crate::error::ErrorDetail)),
    tags(
        (name = "products", description = "The catalogue"),
        (name = "stores", description = "The chain's stores"),
        (name = "stock", description = "Stock levels per store"),
        (name = "availability", description = "What customers can reserve"),
        (name = "reservations", description = "Holding units until confirmed, cancelled or expired"),
        (name = "events", description = "The event log"),
        (name = "operations", description = "Health, metrics, the OpenAPI and AsyncAPI documents"),
    )
)]
struct Base;

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

/// Adds the errors every operation of a kind can answer, so the document lists them all
/// without repeating them on each handler: 500 and 503 everywhere; 400, 413 and 415 where a
/// JSON body is read; 400 where a path parameter is parsed.
struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::Operation;
        use utoipa::openapi::{Ref, ResponseBuilder};

        fn add(operation: &mut Operation, status: &str, description: &str, body: bool) {
            if operation.responses.responses.contains_key(status) {
                return;
            }
            let mut response = ResponseBuilder::new().description(description);
            if body {
                response = response.content(
                    "application/json",
                    utoipa::openapi::ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                );
            }
            operation
                .responses
                .responses
                .insert(status.to_owned(), response.build().into());
        }

        for (path, item) in openapi.paths.paths.iter_mut() {
            let has_path_parameter = path.contains('{');
            let is_api = path.starts_with("/api/");
            for operation in [
                item.get.as_mut(),
                item.put.as_mut(),
                item.post.as_mut(),
                item.delete.as_mut(),
            ]
            .into_iter()
            .flatten()
            {
                if is_api {
                    add(
                        operation,
                        "500",
                        "INTERNAL_ERROR: a bug; the details are logged, not sent",
                        true,
                    );
                    add(
                        operation,
                        "503",
                        "SERVICE_UNAVAILABLE: the database is busy or unreachable; retry",
                        true,
                    );
                }
                if operation.request_body.is_some() {
                    add(
                        operation,
                        "400",
                        "MALFORMED_JSON, INVALID_BODY or VALIDATION_FAILED (details.field)",
                        true,
                    );
                    add(operation, "413", "PAYLOAD_TOO_LARGE", true);
                    add(
                        operation,
                        "415",
                        "UNSUPPORTED_MEDIA_TYPE: the body must be application/json",
                        true,
                    );
                }
                if has_path_parameter && is_api {
                    add(
                        operation,
                        "400",
                        "VALIDATION_FAILED: a path parameter is malformed",
                        true,
                    );
                }
            }
        }
    }
}
