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

/// Whole numbers in request bodies. JSON Schema (and so the OpenAPI document) counts `5.0` as
/// an integer, and some JSON encoders write whole numbers that way: read a number with a zero
/// fraction as that integer. Anything else that is not an integer is refused as before.
pub mod whole_number {
    use serde::{Deserialize, Deserializer, de::Error};
    use serde_json::Number;

    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Number, D::Error> {
        Number::deserialize(deserializer)
    }

    fn signed<E: Error>(number: &Number) -> Result<i64, E> {
        if let Some(value) = number.as_i64() {
            return Ok(value);
        }
        match number.as_f64() {
            // 2^63 is exactly representable; anything from it up does not fit.
            Some(value)
                if value.fract() == 0.0 && value >= -(2f64.powi(63)) && value < 2f64.powi(63) =>
            {
                Ok(value as i64)
            }
            _ => Err(E::custom(format!(
                "invalid number {number}, expected an integer"
            ))),
        }
    }

    fn unsigned<E: Error>(number: &Number) -> Result<u64, E> {
        if let Some(value) = number.as_u64() {
            return Ok(value);
        }
        match number.as_f64() {
            Some(value) if value.fract() == 0.0 && value >= 0.0 && value < 2f64.powi(64) => {
                Ok(value as u64)
            }
            _ => Err(E::custom(format!(
                "invalid number {number}, expected a non-negative integer"
            ))),
        }
    }

    /// A required signed integer.
    ///
    /// # Errors
    /// When the value is not a whole number that fits.
    pub fn required<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
        signed(&read(deserializer)?)
    }

    /// An optional signed integer (absent or null is `None`).
    ///
    /// # Errors
    /// As [`required`].
    pub fn optional<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
        Option::<Number>::deserialize(deserializer)?
            .map(|number| signed(&number))
            .transpose()
    }

    /// An optional unsigned integer (absent or null is `None`).
    ///
    /// # Errors
    /// When the value is not a whole number from 0 that fits.
    pub fn optional_unsigned<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<u64>, D::Error> {
        Option::<Number>::deserialize(deserializer)?
            .map(|number| unsigned(&number))
            .transpose()
    }

    #[cfg(test)]
    mod tests {
        use serde::Deserialize;

        #[derive(Deserialize)]
        struct Body {
            #[serde(deserialize_with = "super::required")]
            units: i64,
            #[serde(default, deserialize_with = "super::optional_unsigned")]
            version: Option<u64>,
        }

        fn read(json: &str) -> Result<Body, serde_json::Error> {
            serde_json::from_str(json)
        }

        #[test]
        fn whole_numbers_written_with_a_zero_fraction_are_integers() {
            let body = read(r#"{"units": -7608.0, "version": 3.0}"#).expect("whole numbers");
            assert_eq!((body.units, body.version), (-7608, Some(3)));
            assert_eq!(read(r#"{"units": 5}"#).expect("an integer").version, None);
        }

        #[test]
        fn fractions_strings_and_out_of_range_numbers_are_refused() {
            for refused in [
                r#"{"units": 1.5}"#,
                r#"{"units": "5"}"#,
                r#"{"units": 1e300}"#,
                r#"{"units": 1, "version": -1}"#,
                r#"{"units": 1, "version": 2.5}"#,
            ] {
                assert!(read(refused).is_err(), "{refused}");
            }
        }
    }
}
