//! HuggingFace `features` → lakefeed columns. The features come from `dataset_info.json` or the `huggingface`
//! schema metadata that `datasets` writes into every parquet and Arrow file.
//!
//! - `Image` (struct {bytes, path}) → IMAGE holding the bytes (thumbnails follow);
//! - `ClassLabel` → CLASS_LABEL, its names kept in the field's metadata (`class_names`, a JSON array);
//! - `Sequence`/`List` of floats → EMBEDDING: fixed-size when the feature declares a length, else a list;
//! - `Value` types → their own types;
//! - anything else (nested structs, lists of strings, audio, …) → JSON text.

use std::collections::HashMap;
use std::sync::Arc;

use lakefeed_core::arrow::array::{Array, ArrayRef, AsArray, BinaryArray, StringArray};
use lakefeed_core::arrow::compute::cast;
use lakefeed_core::arrow::datatypes::{DataType, Field, Schema};
use lakefeed_core::query::json_value;
use lakefeed_core::{LogicalType, Result};
use serde_json::Value;

/// Field-metadata key holding a CLASS_LABEL column's names (a JSON array, index = label).
pub const CLASS_NAMES_KEY: &str = "class_names";

/// How one source column becomes a table column.
#[derive(Debug, Clone, PartialEq)]
pub enum Mapping {
    /// Passed through (cast to `to` when it differs).
    Keep(DataType),
    /// An image struct's `bytes`.
    Image,
    /// Class indices, with their names.
    ClassLabel(Vec<String>),
    /// A fixed-length float vector.
    Vector(i32),
    /// A variable-length float list.
    FloatList,
    /// Any value as JSON text.
    Json,
}

impl Mapping {
    /// The table field for source column `name`.
    pub fn field(&self, name: &str) -> Field {
        match self {
            Self::Keep(dt) => {
                let t = LogicalType::from_arrow(dt).unwrap_or(LogicalType::Json);
                t.field(name, dt.clone())
            }
            Self::Image => LogicalType::Image.field(name, DataType::Binary),
            Self::ClassLabel(names) => {
                let f = LogicalType::ClassLabel.field(name, DataType::Int32);
                let mut meta = f.metadata().clone();
                meta.insert(
                    CLASS_NAMES_KEY.to_string(),
                    Value::from(names.clone()).to_string(),
                );
                f.with_metadata(meta)
            }
            Self::Vector(n) => {
                LogicalType::Embedding(Some(*n)).field(name, lakefeed_core::types::vector_type(*n))
            }
            Self::FloatList => LogicalType::Embedding(None).field(
                name,
                DataType::List(Arc::new(Field::new("item", DataType::Float32, true))),
            ),
            Self::Json => LogicalType::Json.field(name, DataType::Utf8),
        }
    }

    /// Converts a source column.
    pub fn convert(&self, col: &ArrayRef) -> Result<ArrayRef> {
        Ok(match self {
            Self::Keep(dt) if col.data_type() == dt => col.clone(),
            Self::Keep(dt) => cast(col, dt)?,
            Self::Image => image_bytes(col)?,
            Self::ClassLabel(_) => cast(col, &DataType::Int32)?,
            Self::Vector(n) => cast(col, &lakefeed_core::types::vector_type(*n))?,
            Self::FloatList => cast(
                col,
                &DataType::List(Arc::new(Field::new("item", DataType::Float32, true))),
            )?,
            Self::Json => {
                let texts: Vec<Option<String>> = (0..col.len())
                    .map(|i| json_value(col, i).map(|v| (!v.is_null()).then(|| v.to_string())))
                    .collect::<Result<_>>()?;
                Arc::new(StringArray::from(texts))
            }
        })
    }
}

/// The `bytes` of an image struct column (null where there are none).
fn image_bytes(col: &ArrayRef) -> Result<ArrayRef> {
    let Some(s) = col.as_struct_opt() else {
        return Ok(cast(col, &DataType::Binary)?);
    };
    let Some(bytes) = s.column_by_name("bytes") else {
        return Ok(Arc::new(BinaryArray::from(vec![None::<&[u8]>; col.len()])));
    };
    let bytes = cast(bytes, &DataType::Binary)?;
    let b = bytes.as_binary::<i32>();
    let out: BinaryArray = (0..col.len())
        .map(|i| (s.is_valid(i) && b.is_valid(i)).then(|| b.value(i)))
        .collect();
    Ok(Arc::new(out))
}

/// The features recorded in an Arrow schema's `huggingface` metadata, if any.
pub fn from_schema_metadata(
    meta: &HashMap<String, String>,
) -> Option<serde_json::Map<String, Value>> {
    let v: Value = serde_json::from_str(meta.get("huggingface")?).ok()?;
    v.get("info")?.get("features")?.as_object().cloned()
}

fn is_float(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::Float16 | DataType::Float32 | DataType::Float64
    )
}

/// How a column of `dt` with the HF feature `feature` (if known) is stored.
pub fn mapping(dt: &DataType, feature: Option<&Value>) -> Mapping {
    let kind = feature.and_then(|f| f.get("_type")).and_then(Value::as_str);
    match kind {
        Some("Image") => return Mapping::Image,
        Some("ClassLabel") => {
            let names = feature
                .and_then(|f| f.get("names"))
                .and_then(Value::as_array)
                .map(|n| {
                    n.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            return Mapping::ClassLabel(names);
        }
        _ => {}
    }
    let declared = feature
        .and_then(|f| f.get("length"))
        .and_then(Value::as_i64)
        .filter(|n| *n > 0);
    match dt {
        DataType::Utf8
        | DataType::Int32
        | DataType::Int64
        | DataType::Float32
        | DataType::Float64 => Mapping::Keep(dt.clone()),
        DataType::Boolean | DataType::Binary => Mapping::Keep(dt.clone()),
        DataType::LargeUtf8 | DataType::Utf8View => Mapping::Keep(DataType::Utf8),
        DataType::LargeBinary | DataType::BinaryView => Mapping::Keep(DataType::Binary),
        DataType::Int8 | DataType::Int16 | DataType::UInt8 | DataType::UInt16 => {
            Mapping::Keep(DataType::Int32)
        }
        DataType::UInt32 | DataType::UInt64 => Mapping::Keep(DataType::Int64),
        DataType::Float16 => Mapping::Keep(DataType::Float32),
        DataType::FixedSizeList(item, n) if is_float(item.data_type()) => Mapping::Vector(*n),
        DataType::List(item) | DataType::LargeList(item) if is_float(item.data_type()) => {
            match declared {
                Some(n) => Mapping::Vector(n as i32),
                None => Mapping::FloatList,
            }
        }
        // An image stored without its feature (e.g. features lost): a struct {bytes, path}.
        DataType::Struct(fields)
            if fields.iter().any(|f| f.name() == "bytes")
                && fields.iter().any(|f| f.name() == "path") =>
        {
            Mapping::Image
        }
        _ => Mapping::Json,
    }
}

/// The mapping of every column of `schema`, using `features` where they name the column.
pub fn mappings(
    schema: &Schema,
    features: Option<&serde_json::Map<String, Value>>,
) -> Vec<(String, Mapping)> {
    schema
        .fields()
        .iter()
        .map(|f| {
            let feature = features.and_then(|m| m.get(f.name()));
            (f.name().clone(), mapping(f.data_type(), feature))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn features_map_to_lakefeed_types() {
        let f = |v: Value| mapping(&DataType::Int64, Some(&v));
        assert_eq!(
            f(json!({"_type": "ClassLabel", "names": ["cat", "dog"]})),
            Mapping::ClassLabel(vec!["cat".into(), "dog".into()])
        );
        let list = DataType::List(Arc::new(Field::new("item", DataType::Float64, true)));
        let seq = json!({"_type": "Sequence", "feature": {"dtype": "float32"}, "length": 4});
        assert_eq!(mapping(&list, Some(&seq)), Mapping::Vector(4));
        assert_eq!(mapping(&list, None), Mapping::FloatList);
        let strings = DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)));
        assert_eq!(mapping(&strings, None), Mapping::Json);
        assert_eq!(
            mapping(&DataType::LargeUtf8, None),
            Mapping::Keep(DataType::Utf8)
        );
        let field = Mapping::ClassLabel(vec!["jpg".into()]).field("format");
        assert_eq!(field.metadata()[CLASS_NAMES_KEY], r#"["jpg"]"#);
    }
}
