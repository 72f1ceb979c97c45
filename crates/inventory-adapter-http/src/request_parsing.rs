//! How request bodies, paths and queries are read, and what a client hears when they cannot
//! be: 413 for a body over the limit, 415 for a body that is not JSON, 400 naming the problem
//! (with line and column) for malformed JSON, missing fields and wrong types.

use actix_web::error::{JsonPayloadError, PayloadError};
use actix_web::web;
use serde_json::{Value, json};

use crate::ApiError;

/// The JSON body settings: a size limit and our errors.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .content_type_required(true)
        .error_handler(move |error, _request| json_error(&error, limit).into())
}

fn json_error(error: &JsonPayloadError, limit: usize) -> ApiError {
    match error {
        JsonPayloadError::OverflowKnownLength { .. }
        | JsonPayloadError::Overflow { .. }
        | JsonPayloadError::Payload(PayloadError::Overflow) => ApiError::PayloadTooLarge { limit },
        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType,
        JsonPayloadError::Payload(error) if crate::request_limits::is_body_timeout(error) => {
            ApiError::RequestTimeout
        }
        JsonPayloadError::Deserialize(error) => {
            let code = match error.classify() {
                serde_json::error::Category::Data => "INVALID_BODY",
                _ => "MALFORMED_JSON",
            };
            ApiError::BadRequest {
                code,
                message: format!("the request body could not be read: {error}"),
                details: Some(position(error.line(), error.column())),
            }
        }
        other => ApiError::bad_request(
            "INVALID_BODY",
            format!("the request body could not be read: {other}"),
        ),
    }
}

fn position(line: usize, column: usize) -> Value {
    json!({ "line": line, "column": column })
}

/// Path parameters that do not parse (they are all read as text, so this is rare).
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|error, _| {
        ApiError::bad_request("INVALID_PATH", format!("invalid path parameter: {error}")).into()
    })
}

/// Query strings that do not parse (`limit=abc`).
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error, _| {
        ApiError::bad_request("INVALID_QUERY", format!("invalid query string: {error}")).into()
    })
}
