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

/// The document as served: [`document`] with the server's input rules
/// ([`crate::openapi_rules`]), one operation id per operation, and each SSE event's shape.
pub fn document_json() -> serde_json::Value {
    served(document())
}

/// `document` as served (see [`document_json`]).
pub fn served(document: utoipa::openapi::OpenApi) -> serde_json::Value {
    let mut document = serde_json::to_value(document).expect("the document is JSON");
    crate::openapi_rules::apply(&mut document);
    name_operations(&mut document);
    describe_stream_events(&mut document);
    routes::imports::document_refusals(&mut document);
    document_idempotency_keys(&mut document);
    document
}

/// Every POST writes, and takes an `Idempotency-Key` (see [`crate::idempotency`]): the header,
/// the 422 for a key reused over another request, and the replay marker on success.
fn document_idempotency_keys(document: &mut serde_json::Value) {
    use crate::idempotency::{KEY_HEADER, REPLAYED_HEADER};
    let Some(paths) = document["paths"].as_object_mut() else {
        return;
    };
    for item in paths.values_mut() {
        let Some(operation) = item.get_mut("post") else {
            continue;
        };
        let parameter = serde_json::json!({
            "name": KEY_HEADER,
            "in": "header",
            "required": false,
            "description": "Makes the request safe to repeat: the first request with a key \
                            runs, and a repeat (same caller, same method, path and body) gets \
                            the stored answer, byte for byte, marked `Idempotent-Replayed: \
                            true`, without running again. Kept 24 hours by default.",
            "schema": {
                "type": "string",
                "minLength": 1,
                "maxLength": inventory_ports::IdempotencyKey::MAX_LEN,
                "pattern": "^[\\x21-\\x7E]+$"
            }
        });
        match operation["parameters"].as_array_mut() {
            Some(parameters) => parameters.push(parameter),
            None => operation["parameters"] = serde_json::json!([parameter]),
        }
        let Some(responses) = operation["responses"].as_object_mut() else {
            continue;
        };
        for (status, response) in responses.iter_mut() {
            if status.starts_with('2') {
                response["headers"][REPLAYED_HEADER] = serde_json::json!({
                    "description": "`true` when this is the stored answer to an earlier \
                                    request with the same Idempotency-Key",
                    "schema": { "type": "string", "enum": ["true"] }
                });
            }
        }
        const REUSED: &str = "IDEMPOTENCY_KEY_REUSED: the Idempotency-Key was used by a \
                              request with another method, path or body";
        match responses.get_mut("422") {
            Some(existing) => {
                let description = existing["description"].as_str().unwrap_or("").to_owned();
                existing["description"] = format!("{description}; {REUSED}").into();
            }
            None => {
                responses.insert(
                    "422".to_owned(),
                    serde_json::json!({
                        "description": REUSED,
                        "content": { "application/json": { "schema": {
                            "$ref": "#/components/schemas/ErrorBody"
                        } } }
                    }),
                );
            }
        }
    }
}

/// utoipa names an operation after its handler (`get`, `list`): prefix the tag, so that every
/// id is unique (`products_get`, `stores_get`).
fn name_operations(document: &mut serde_json::Value) {
    let Some(paths) = document["paths"].as_object_mut() else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for operation in item.values_mut() {
            let tag = operation["tags"][0].as_str().unwrap_or("api").to_owned();
            if let Some(id) = operation["operationId"].as_str()
                && !id.starts_with(&tag)
            {
                operation["operationId"] = format!("{tag}_{id}").into();
            }
        }
    }
}

/// A `text/event-stream` response is a sequence of events (`event`, `id`, `data`), the data
/// being JSON text; say so, rather than describing the data as if it were the body.
fn describe_stream_events(document: &mut serde_json::Value) {
    let content = &mut document["paths"]["/api/v1/stream"]["get"]["responses"]["200"]["content"];
    let Some(stream) = content.get_mut("text/event-stream") else {
        return;
    };
    let data = stream["schema"].take();
    stream["schema"] = serde_json::json!({
        "type": "object",
        "description": "One server-sent event: `event: availability` with `data` an \
                        AvailabilityChange as JSON text and `id` its seq; `event: reset` when \
                        the client is further behind than it may replay (reload, then follow).",
        "properties": {
            "event": { "type": "string", "enum": ["availability", "reset"] },
            "id": { "type": "string", "pattern": "^[0-9]+$" },
            "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": { "anyOf": [data, {
                    "type": "object",
                    "description": "The data of a reset.",
                    "properties": {
                        "reason": { "type": "string" },
                        "asked_after_seq": { "type": "integer", "minimum": 0 },
                        "resumes_after_seq": { "type": "integer", "minimum": 0 },
                    },
                }] },
            },
            "retry": { "type": "integer", "minimum": 0 },
        },
    });
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
        (name = "webhooks", description = "Endpoints that receive events as signed POSTs \
            (Standard Webhooks: headers webhook-id, webhook-timestamp and webhook-signature, \
            v1 = base64 HMAC-SHA256 over \"{id}.{timestamp}.{body}\" keyed by the secret's \
            bytes), in order per endpoint, retried with back-off until the retry window ends"),
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
            let methods = routes::known_paths::methods_of_item(item);
            let method_not_allowed = format!(
                "METHOD_NOT_ALLOWED: this path answers {} only (the Allow header)",
                methods.join(", ")
            );
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
                let has_parameters = operation
                    .parameters
                    .as_ref()
                    .is_some_and(|parameters| !parameters.is_empty());
                if has_parameters {
                    add(
                        operation,
                        "400",
                        "INVALID_QUERY or VALIDATION_FAILED: a parameter is malformed",
                        true,
                    );
                }
                add(operation, "405", &method_not_allowed, true);
                if is_api {
                    add(
                        operation,
                        "401",
                        "UNAUTHORIZED: an Authorization header was sent and its token is not valid",
                        true,
                    );
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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    #[test]
    fn every_operation_has_its_own_id() {
        let document = super::document_json();
        let mut seen = HashSet::new();
        for item in document["paths"].as_object().expect("paths").values() {
            for operation in item.as_object().expect("an item").values() {
                let id = operation["operationId"].as_str().expect("an id").to_owned();
                assert!(seen.insert(id.clone()), "{id} is used twice");
            }
        }
        assert!(seen.contains("stores_get") && seen.contains("products_get"));
    }
}
