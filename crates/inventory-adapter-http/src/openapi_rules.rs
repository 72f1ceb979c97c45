//! The input rules the server enforces, written into the OpenAPI document so that a request
//! the document allows is a request the server accepts, and a value it refuses is one the
//! document forbids (schemathesis checks both ways in CI).
//!
//! The handlers' annotations say what each field is; the rules of a kind of value (a store
//! code, a SKU, a label, a UUID) live in the domain and are restated here once, by field name,
//! from the domain's own constants. Applied to the document as JSON, after utoipa built it.

use inventory_application::EventLog;
use inventory_domain::{
    Address, Category, City, Country, Description, MAX_CART_LINES, MAX_PRICE_CENTS,
    MAX_STOCK_LEVEL, MAX_UNITS_PER_OPERATION, MovementReason, Phone, ProductName, ReservationTtl,
    StoreName, hidden_character_class,
};
use inventory_events::EventType;
use inventory_ports::Page;
use serde_json::{Map, Value, json};

/// Characters no text field takes: controls, and the invisible or direction-changing
/// characters the domain refuses (`hidden_character_class`), as a regex class body.
fn refused() -> String {
    format!(r"\u0000-\u001f\u007f-\u009f{}", hidden_character_class())
}

/// Unicode white space (what Rust's `trim` removes), as a regex class body.
const SPACE: &str =
    r"\u0009-\u000d\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";

/// Applies every rule to `document`.
pub fn apply(document: &mut Value) {
    if let Some(paths) = document["paths"].as_object_mut() {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (method, operation) in item.iter_mut() {
                // (`get_mut`, not indexing: indexing a missing key would add it as null.)
                for parameter in operation
                    .get_mut("parameters")
                    .and_then(Value::as_array_mut)
                    .into_iter()
                    .flatten()
                {
                    let (Some(name), Some(place)) =
                        (parameter["name"].as_str(), parameter["in"].as_str())
                    else {
                        continue;
                    };
                    if let Some(schema) = parameter_rule(path, name, place) {
                        parameter["schema"] = schema;
                    }
                }
                if method == "post" && path == "/api/v1/stores" {
                    // Creating a store needs its code; updating one must not change it.
                    operation["requestBody"]["content"]["application/json"]["schema"] =
                        json!({ "$ref": "#/components/schemas/NewStoreRequest" });
                }
            }
        }
    }
    let Some(schemas) = document["components"]["schemas"].as_object_mut() else {
        return;
    };
    if let Some(store) = schemas.get("StoreRequest").cloned() {
        let mut new_store = store;
        new_store["required"] = json!(["id", "name"]);
        new_store["properties"]["id"] = store_code();
        new_store["description"] = json!("A store to create.");
        schemas.insert("NewStoreRequest".into(), new_store);
        if let Some(update) = schemas.get_mut("StoreRequest") {
            // On update the code is the path's: a body may repeat it, never change it.
            update["description"] = json!("A store's new details (its code is the path's).");
            if let Some(properties) = update.get_mut("properties").and_then(Value::as_object_mut) {
                properties.remove("id");
            }
        }
    }
    for (name, schema) in schemas.iter_mut() {
        let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
            continue;
        };
        for (field, property) in properties.iter_mut() {
            let nullable = is_nullable(property);
            let rule = if name.ends_with("Request") {
                // A new store follows the store's rules.
                request_rule(name.trim_start_matches("New"), field)
            } else {
                response_rule(field)
            };
            if let Some(rule) = rule {
                replace_keeping_description(property, rule, nullable);
            }
        }
    }
    if let Some(adjust) = schemas.get_mut("AdjustStockRequest") {
        adjust["oneOf"] = adjustment_directions();
    }
    if let Some(detail) = schemas.get_mut("ErrorDetail") {
        // `details` is null when an error has no facts to add.
        detail["properties"]["details"]["type"] = json!(["object", "null"]);
    }
}

fn parameter_rule(path: &str, name: &str, place: &str) -> Option<Value> {
    Some(match (name, place) {
        ("limit", _) if path == "/api/v1/events" => events_limit(),
        ("product_id" | "reservation_id" | "cart_id" | "transfer_id" | "webhook_id", _) => uuid(),
        ("store_id", _) => store_code(),
        ("reason", "query") if path == "/api/v1/movements" => json!({
            "type": "string",
            "enum": MovementReason::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        }),
        ("order", "query") if path == "/api/v1/movements" => {
            json!({ "type": "string", "enum": ["newest", "oldest"] })
        }
        ("from" | "to", "query") if path == "/api/v1/movements" => {
            json!({ "type": "string", "format": "date-time" })
        }
        ("from_seq", "query") => json!({ "type": "integer", "minimum": 1, "maximum": i64::MAX }),
        ("sku", "path") => sku(),
        ("customer_id", "query") => opaque_id(),
        ("category", "query") => optional_label(Category::MAX_CHARS, 1),
        ("status", "query") if path == "/api/v1/transfers" => {
            json!({ "type": "string", "enum": ["IN_TRANSIT", "RECEIVED", "CANCELLED"] })
        }
        ("status", "query") => {
            json!({ "type": "string", "enum": ["PENDING", "CONFIRMED", "CANCELLED", "EXPIRED"] })
        }
        ("limit", _) => json!({ "type": "integer", "minimum": 1, "maximum": Page::MAX_LIMIT }),
        ("offset", _) => json!({ "type": "integer", "minimum": 0, "maximum": Page::MAX_OFFSET }),
        ("after_seq" | "Last-Event-ID", _) => {
            json!({ "type": "integer", "minimum": 0, "maximum": u64::MAX })
        }
        ("If-Match", "header") => {
            json!({ "type": "string", "pattern": r#"^(W/)?"?[0-9]{1,18}"?$"# })
        }
        _ => return None,
    })
}

/// The event replay's page size differs from the lists'.
fn events_limit() -> Value {
    json!({ "type": "integer", "minimum": 1, "maximum": EventLog::MAX_PAGE })
}

fn request_rule(schema: &str, field: &str) -> Option<Value> {
    Some(match (schema, field) {
        (_, "product_id") => uuid(),
        (_, "store_id") => store_code(),
        (_, "sku") => sku(),
        (_, "customer_id" | "user_id") => opaque_id(),
        ("ProductRequest", "name") => label(ProductName::MIN_CHARS, ProductName::MAX_CHARS),
        ("ProductRequest", "description") => optional_label(Description::MAX_CHARS, 1),
        ("ProductRequest", "category") => optional_label(Category::MAX_CHARS, 1),
        ("ProductRequest", "price") => price(),
        ("StoreRequest", "name") => label(StoreName::MIN_CHARS, StoreName::MAX_CHARS),
        ("StoreRequest", "address") => optional_label(Address::MAX_CHARS, 1),
        ("StoreRequest", "city") => optional_label(City::MAX_CHARS, 1),
        ("StoreRequest", "country") => optional_label(Country::MAX_CHARS, 1),
        ("StoreRequest", "phone") => optional_label(Phone::MAX_CHARS, Phone::MIN_CHARS),
        ("StoreRequest", "email") => email(),
        ("StoreRequest", "id") => store_code(),
        ("PlaceCartRequest", "lines") => json!({
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_CART_LINES,
            "items": { "$ref": "#/components/schemas/CartLineRequest" },
        }),
        ("ConfirmLinesRequest", "line_ids") => json!({
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_CART_LINES,
            "items": uuid(),
        }),
        (_, "from_store_id" | "to_store_id") => store_code(),
        ("TransferRequest", "mode") => {
            json!({ "type": "string", "enum": ["IMMEDIATE", "SHIPPED"] })
        }
        ("ReserveRequest" | "CartLineRequest" | "TransferRequest", "quantity") => {
            json!({ "type": "integer", "minimum": 1, "maximum": MAX_UNITS_PER_OPERATION })
        }
        ("ReserveRequest" | "PlaceCartRequest" | "ExtendRequest", "ttl") => json!({
            "type": "integer",
            "minimum": ReservationTtl::MIN_SECONDS,
            "maximum": ReservationTtl::MAX_SECONDS,
        }),
        ("AdjustStockRequest", "reason") => json!({ "type": "string", "enum": REASONS_ANY_WAY
            .iter()
            .chain(REASONS_ADDING)
            .chain(REASONS_REMOVING)
            .collect::<Vec<_>>() }),
        ("AdjustStockRequest", "quantity_change") => json!({
            "type": "integer",
            "minimum": -i64::from(MAX_UNITS_PER_OPERATION),
            "maximum": MAX_UNITS_PER_OPERATION,
            "not": { "const": 0 },
        }),
        ("CountStockRequest", "quantity") => {
            json!({ "type": "integer", "minimum": 0, "maximum": MAX_STOCK_LEVEL })
        }
        ("ThresholdRequest", "threshold") => {
            json!({ "type": "integer", "minimum": 0, "maximum": MAX_STOCK_LEVEL })
        }
        ("WebhookRequest", "event_types") => json!({
            "type": "array",
            "minItems": 1,
            "maxItems": 20,
            "items": {
                "type": "string",
                "enum": EventType::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
            },
        }),
        ("CountStockRequest", "expected_version") => {
            json!({ "type": "integer", "minimum": 0, "maximum": i64::MAX })
        }
        _ => return None,
    })
}

fn response_rule(field: &str) -> Option<Value> {
    match field {
        "product_id" | "reservation_id" | "event_id" | "cart_id" | "transfer_id" => Some(uuid()),
        _ => None,
    }
}

/// Reasons that add units, that remove them, and that go either way
/// (`AdjustmentReason::check_direction`).
const REASONS_ADDING: &[&str] = &["RESTOCK", "RETURN", "TRANSFER_IN"];
const REASONS_REMOVING: &[&str] = &["SALE", "DAMAGE", "LOSS", "TRANSFER_OUT"];
const REASONS_ANY_WAY: &[&str] = &["ADJUSTMENT"];

/// A change goes the way its reason allows.
fn adjustment_directions() -> Value {
    let most = i64::from(MAX_UNITS_PER_OPERATION);
    let case = |reasons: &[&str], minimum: i64, maximum: i64| {
        json!({ "properties": {
            "reason": { "enum": reasons },
            "quantity_change": { "minimum": minimum, "maximum": maximum },
        } })
    };
    json!([
        case(REASONS_ADDING, 1, most),
        case(REASONS_REMOVING, -most, -1),
        case(REASONS_ANY_WAY, -most, most),
    ])
}

fn is_nullable(property: &Value) -> bool {
    property["type"]
        .as_array()
        .is_some_and(|types| types.iter().any(|t| t == "null"))
}

/// Puts `rule` in place of `property`, keeping its description and example, and letting it be
/// null where it was nullable.
fn replace_keeping_description(property: &mut Value, rule: Value, nullable: bool) {
    let mut replaced = Map::new();
    for key in ["description", "example"] {
        if let Some(value) = property.get(key) {
            replaced.insert(key.into(), value.clone());
        }
    }
    let rule = if nullable {
        json!({ "anyOf": [rule, { "type": "null" }] })
    } else {
        rule
    };
    if let Value::Object(rule) = rule {
        replaced.extend(rule);
    }
    *property = Value::Object(replaced);
}

fn uuid() -> Value {
    json!({ "type": "string", "format": "uuid" })
}

/// `StoreId`: 3 to 50 letters, digits and `-`, starting with a letter or digit.
fn store_code() -> Value {
    json!({ "type": "string", "pattern": format!("^[{SPACE}]*[A-Za-z0-9][A-Za-z0-9-]{{2,49}}[{SPACE}]*$") })
}

/// `Sku`: 1 to 64 letters, digits, `-`, `_` and `.`, starting with a letter or digit.
fn sku() -> Value {
    json!({ "type": "string", "pattern": format!("^[{SPACE}]*[A-Za-z0-9][A-Za-z0-9._-]{{0,63}}[{SPACE}]*$") })
}

/// `CustomerId`, `UserId`: 1 to 128 characters, no spaces, controls or hidden characters.
fn opaque_id() -> Value {
    json!({ "type": "string", "pattern": format!("^[{SPACE}]*[^{SPACE}{refused}]{{1,128}}[{SPACE}]*$", refused = refused()) })
}

/// A label: `min` to `max` characters once trimmed, no controls or hidden characters. (The
/// server trims the spaces at either end; the length counts what is kept, so the document
/// states it for text without them.)
fn label(min: usize, max: usize) -> Value {
    json!({
        "type": "string",
        "minLength": min,
        "maxLength": max,
        "pattern": format!("^[^{SPACE}{refused}]([^{refused}]*[^{SPACE}{refused}])?$", refused = refused()),
    })
}

/// An optional label: absent, blank (the same as absent), or a label.
fn optional_label(max: usize, min: usize) -> Value {
    json!({ "anyOf": [blank(), label(min, max)] })
}

fn blank() -> Value {
    json!({ "type": "string", "pattern": format!("^[{SPACE}]*$") })
}

fn email() -> Value {
    json!({ "anyOf": [
        blank(),
        {
            "type": "string",
            "minLength": 3,
            "maxLength": 254,
            "pattern": format!("^[^@{SPACE}{refused}]+@[^@{SPACE}{refused}]+$", refused = refused()),
        },
    ] })
}

/// `Price`: euro with at most two decimals, up to the domain's maximum, as a string. (The
/// server also reads a JSON number the same way; the document names the string form only, the
/// one a client should send.)
fn price() -> Value {
    let max_euros = MAX_PRICE_CENTS / 100;
    let digits = max_euros.to_string().len() - 1;
    json!({
        "type": "string",
        "pattern": format!(r"^([0-9]{{1,{digits}}}(\.[0-9]{{1,2}})?|{max_euros}(\.00?)?)$"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document() -> Value {
        crate::openapi::document_json()
    }

    #[test]
    fn ids_are_uuids_and_ranges_are_the_servers() {
        let document = document();
        let get = &document["paths"]["/api/v1/products/{product_id}"]["get"];
        assert_eq!(get["parameters"][0]["schema"]["format"], "uuid");
        let reserve = &document["components"]["schemas"]["ReserveRequest"]["properties"];
        assert_eq!(reserve["quantity"]["maximum"], MAX_UNITS_PER_OPERATION);
        assert_eq!(reserve["ttl"]["anyOf"][0]["maximum"], 86_400);
        let details = &document["components"]["schemas"]["ErrorDetail"]["properties"]["details"];
        assert_eq!(details["type"], json!(["object", "null"]));
    }

    #[test]
    fn the_events_page_has_its_own_limit() {
        let document = document();
        let limit = document["paths"]["/api/v1/events"]["get"]["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .find(|p| p["name"] == "limit")
            .expect("limit")
            .clone();
        assert_eq!(limit["schema"]["maximum"], EventLog::MAX_PAGE);
    }
}
