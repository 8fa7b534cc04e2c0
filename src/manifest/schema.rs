//! The manifest's JSON Schema (`schemas/manifest.schema.json`, `lakefeed manifest-schema`), built from the code:
//! the document's own schema, with each table's `format` limited to the registered names and its `options`
//! checked against that format's options schema (one `if`/`then` per format), so an editor flags a misspelt
//! option of `coco` as `lakefeed validate` does.

use serde_json::{Map, Value, json};

use lakefeed_core::formats;

use super::Manifest;

/// The manifest's JSON Schema.
pub fn json_schema() -> Value {
    let mut root = serde_json::to_value(schemars::schema_for!(Manifest)).unwrap_or_default();
    let mut defs: Map<String, Value> = Map::new();
    let mut rules = Vec::new();
    let mut names = Vec::new();
    for d in formats() {
        names.push(Value::from(d.name));
        let options = hoist((d.options_schema)(), d.name, &mut defs);
        let def = format!("options.{}", d.name);
        defs.insert(def.clone(), options.clone());
        let mut then = json!({"properties": {"options": {"$ref": format!("#/$defs/{def}")}}});
        if options
            .get("required")
            .and_then(Value::as_array)
            .is_some_and(|r| !r.is_empty())
        {
            then["required"] = json!(["options"]);
        }
        rules.push(json!({
            "if": {"properties": {"format": {"const": d.name}}, "required": ["format"]},
            "then": then,
        }));
    }
    if let Some(table) = root.pointer_mut("/$defs/TableSpec") {
        table["properties"]["format"]["enum"] = Value::Array(names);
        table["allOf"] = Value::Array(rules);
    }
    if let Some(root_defs) = root.get_mut("$defs").and_then(Value::as_object_mut) {
        root_defs.extend(defs);
    }
    root
}

/// Moves a format's options schema's own `$defs` into `defs` under `{format}.{name}`, rewriting its `$ref`s;
/// returns the schema without its `$schema`, `title` and `$defs`.
fn hoist(mut schema: Value, format: &str, defs: &mut Map<String, Value>) -> Value {
    let own = schema
        .as_object_mut()
        .and_then(|o| {
            o.remove("$schema");
            o.remove("title");
            o.remove("$defs")
        })
        .and_then(|d| d.as_object().cloned())
        .unwrap_or_default();
    for (name, mut def) in own {
        rewrite_refs(&mut def, format);
        defs.insert(format!("{format}.{name}"), def);
    }
    rewrite_refs(&mut schema, format);
    schema
}

fn rewrite_refs(v: &mut Value, format: &str) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get_mut("$ref")
                && let Some(name) = r.strip_prefix("#/$defs/")
            {
                *r = format!("#/$defs/{format}.{name}");
            }
            o.values_mut().for_each(|x| rewrite_refs(x, format));
        }
        Value::Array(a) => a.iter_mut().for_each(|x| rewrite_refs(x, format)),
        _ => {}
    }
}
