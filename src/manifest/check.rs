//! A table's `options:` checked against its format's options schema when the manifest is loaded, so a misspelt
//! option, a value of the wrong type and a missing required option are reported at `file:line:column` like any
//! YAML mistake, before anything runs.

use std::collections::BTreeMap;
use std::path::Path;

use lakefeed_core::{Error, Result, did_you_mean, find_format};
use serde_json::{Map, Value};
use serde_saphyr::{Location, Spanned};

/// Where a mistake is: `file:line:column`.
fn at(path: &Path, loc: &Location) -> String {
    format!("{}:{}:{}", path.display(), loc.line(), loc.column())
}

/// Checks the options of table `table` (format `format`, written at `format_at`).
pub(super) fn check_options(
    path: &Path,
    table: &str,
    format: &str,
    format_at: &Location,
    options: &BTreeMap<String, Spanned<Value>>,
) -> Result<()> {
    let schema = (find_format(format)?.options_schema)();
    let empty = Map::new();
    let props = schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let defs = schema
        .get("$defs")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    for (key, value) in options {
        let Some(prop) = props.get(key) else {
            return Err(Error::Ingest(format!(
                "{}: table '{table}': format '{format}' has no option '{key}'{}; `lakefeed formats {format}` lists them",
                at(path, &value.referenced),
                did_you_mean(key, props.keys().map(String::as_str))
            )));
        };
        if let Some(allowed) = kinds(prop, defs, 0) {
            let got = kind(&value.value);
            if !fits(got, &allowed) {
                return Err(Error::Ingest(format!(
                    "{}: table '{table}': option '{key}' of format '{format}' must be {}, not {got}",
                    at(path, &value.referenced),
                    allowed.join(" or ")
                )));
            }
        }
    }
    for required in schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if !options.contains_key(required) {
            return Err(Error::Ingest(format!(
                "{}: table '{table}': format '{format}' needs the option '{required}'",
                at(path, format_at)
            )));
        }
    }
    Ok(())
}

/// The JSON kinds a property allows, when its schema says (types, `$ref`s, `anyOf`/`oneOf`, enums).
fn kinds(prop: &Value, defs: &Map<String, Value>, depth: u8) -> Option<Vec<&'static str>> {
    if depth > 8 {
        return None;
    }
    if let Some(t) = prop.get("type") {
        let names: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => return None,
        };
        return Some(names.into_iter().filter_map(static_kind).collect());
    }
    if let Some(r) = prop.get("$ref").and_then(Value::as_str) {
        let name = r.strip_prefix("#/$defs/")?;
        return kinds(defs.get(name)?, defs, depth + 1);
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(options) = prop.get(key).and_then(Value::as_array) {
            let mut all = Vec::new();
            for o in options {
                all.extend(kinds(o, defs, depth + 1)?);
            }
            all.dedup();
            return Some(all);
        }
    }
    if let Some(values) = prop.get("enum").and_then(Value::as_array) {
        let mut all: Vec<&'static str> = values.iter().map(kind).collect();
        all.dedup();
        return Some(all);
    }
    prop.get("const").map(|c| vec![kind(c)])
}

fn static_kind(name: &str) -> Option<&'static str> {
    [
        "null", "boolean", "integer", "number", "string", "array", "object",
    ]
    .into_iter()
    .find(|k| *k == name)
}

/// A value's JSON kind, as JSON Schema names it.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn fits(got: &str, allowed: &[&str]) -> bool {
    allowed.contains(&got) || (got == "integer" && allowed.contains(&"number"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kinds_follow_refs_and_unions() {
        let defs = json!({"Mode": {"type": "string", "enum": ["a", "b"]},
                          "Caps": {"anyOf": [{"type": "string"}, {"type": "boolean"}]}});
        let defs = defs.as_object().unwrap();
        let k = |p: Value| kinds(&p, defs, 0);
        assert_eq!(
            k(json!({"type": ["string", "null"]})),
            Some(vec!["string", "null"])
        );
        assert_eq!(
            k(json!({"anyOf": [{"$ref": "#/$defs/Caps"}, {"type": "null"}]})),
            Some(vec!["string", "boolean", "null"])
        );
        assert_eq!(k(json!({"$ref": "#/$defs/Mode"})), Some(vec!["string"]));
        assert_eq!(k(json!({})), None);
        assert!(fits("integer", &["number"]));
        assert!(!fits("string", &["integer", "null"]));
    }
}
