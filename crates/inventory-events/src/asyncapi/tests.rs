use serde_json::{Map, Value};

use super::*;
use crate::encode;
use crate::samples::every_event;

/// Checks `value` against `schema` as far as the document's schemas go: `$ref`, `oneOf`,
/// `type` (with `null`), `const`, `enum`, required and known properties of objects.
fn check(
    value: &Value,
    schema: &Value,
    schemas: &Map<String, Value>,
    at: &str,
) -> Result<(), String> {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .ok_or_else(|| format!("{at}: foreign $ref {reference}"))?;
        let target = schemas
            .get(name)
            .ok_or_else(|| format!("{at}: $ref to a missing schema {name}"))?;
        return check(value, target, schemas, at);
    }
    if let Some(branches) = schema.get("oneOf").and_then(Value::as_array) {
        let matching = branches
            .iter()
            .filter(|branch| check(value, branch, schemas, at).is_ok())
            .count();
        return if matching == 1 {
            Ok(())
        } else {
            Err(format!("{at}: {value} matches {matching} oneOf branches"))
        };
    }
    if let Some(constant) = schema.get("const")
        && value != constant
    {
        return Err(format!("{at}: {value} is not {constant}"));
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {options:?}"));
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() {
        let actual = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let fits = types.contains(&actual) || (actual == "integer" && types.contains(&"number"));
        if !fits {
            return Err(format!(
                "{at}: {value} is {actual}, the schema says {types:?}"
            ));
        }
    }
    if let Value::Object(fields) = value {
        let properties = schema.get("properties").and_then(Value::as_object);
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !fields.contains_key(name) {
                return Err(format!("{at}: required {name} is missing"));
            }
        }
        if let Some(properties) = properties {
            for (name, field) in fields {
                let field_schema = properties
                    .get(name)
                    .ok_or_else(|| format!("{at}: {name} is not in the schema"))?;
                check(field, field_schema, schemas, &format!("{at}.{name}"))?;
            }
        }
    }
    Ok(())
}

#[test]
fn every_encoded_payload_matches_the_schema_its_message_documents() {
    let document = document("inventory:events");
    let schemas = document["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .clone();
    let events = every_event();
    assert_eq!(events.len(), EventType::ALL.len(), "one sample per type");
    for event in events {
        let encoded = encode(&event).expect("encodes");
        let message = &document["components"]["messages"][message_key(encoded.event_type)];
        assert_eq!(
            message["name"],
            encoded.event_type.as_str(),
            "{} has a message",
            encoded.event_type
        );
        let fields = &message["payload"]["properties"];
        assert_eq!(fields["event_type"]["const"], encoded.event_type.as_str());
        assert_eq!(
            fields["schema_version"]["const"],
            encoded.schema_version.to_string()
        );
        let payload_schema = &fields["payload"]["contentSchema"];
        let payload: Value = serde_json::from_str(&encoded.payload).expect("JSON");
        check(
            &payload,
            payload_schema,
            &schemas,
            encoded.event_type.as_str(),
        )
        .unwrap_or_else(|problem| panic!("{problem}\n{payload:#}"));
    }
}

#[test]
fn the_checker_refuses_a_payload_the_schema_does_not_describe() {
    let schemas = schemas();
    let schema = serde_json::json!({ "$ref": "#/components/schemas/StockPayload" });
    let encoded = encode(&every_event()[6]).expect("encodes");
    let mut payload: Value = serde_json::from_str(&encoded.payload).expect("JSON");
    assert!(check(&payload, &schema, &schemas, "ok").is_ok());
    payload["stock"]["surprise"] = Value::Bool(true);
    assert!(check(&payload, &schema, &schemas, "extra").is_err());
    payload["stock"]
        .as_object_mut()
        .expect("object")
        .remove("surprise");
    payload["stock"]
        .as_object_mut()
        .expect("object")
        .remove("version");
    assert!(check(&payload, &schema, &schemas, "missing").is_err());
}

#[test]
fn every_reference_in_the_document_resolves() {
    fn walk(value: &Value, document: &Value, found: &mut usize) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get("$ref") {
                    let pointer = reference.strip_prefix('#').expect("a local reference");
                    assert!(
                        document.pointer(pointer).is_some(),
                        "{reference} does not resolve"
                    );
                    *found += 1;
                }
                map.values().for_each(|v| walk(v, document, found));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, document, found)),
            _ => {}
        }
    }
    let document = document("inventory:events");
    assert_eq!(document["asyncapi"], "3.0.0");
    let mut found = 0;
    walk(&document, &document, &mut found);
    assert!(
        found > 30,
        "the document refers to its parts ({found} references)"
    );
}

#[test]
fn the_design_documents_per_type_streams_are_mapped_to_ours() {
    let description = document("s")["info"]["description"]
        .as_str()
        .expect("text")
        .to_owned();
    assert!(description.contains("`timestamp` is our `occurred_at`"));
}
