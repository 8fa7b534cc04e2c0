//! Type inference and Arrow array building for column data given as JSON-like values.
//!
//! Inference looks past nulls: a column's type is decided by all its non-null values, and a column that stays
//! all-null is TEXT. Hints (user > format > inference) pick the type when given.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryBuilder, BooleanBuilder, FixedSizeListBuilder, Float32Builder, Float64Builder,
    Int32Builder, Int64Builder, StringBuilder,
};
use arrow::datatypes::{DataType, Field};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::types::LogicalType;

/// What the non-null values seen so far in a column imply.
#[derive(Debug, Clone, Default)]
pub struct Inference {
    kind: Option<Seen>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Seen {
    Bool,
    Int,
    Float,
    Text,
    Vector(usize),
    Json,
}

impl Seen {
    fn name(self) -> String {
        match self {
            Self::Bool => "bool".into(),
            Self::Int => "integer".into(),
            Self::Float => "float".into(),
            Self::Text => "string".into(),
            Self::Vector(n) => format!("list of {n} numbers"),
            Self::Json => "object".into(),
        }
    }
}

fn seen_of(v: &Value) -> Option<Seen> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(_) => Seen::Bool,
        Value::Number(n) if n.is_i64() || n.is_u64() => Seen::Int,
        Value::Number(_) => Seen::Float,
        Value::String(_) => Seen::Text,
        Value::Array(items) if items.iter().all(Value::is_number) => Seen::Vector(items.len()),
        Value::Array(_) | Value::Object(_) => Seen::Json,
    })
}

impl Inference {
    /// Takes one more value of column `column` at `row` (0-based), failing on ragged vectors or mixed types.
    pub fn observe(&mut self, column: &str, row: usize, v: &Value) -> Result<()> {
        let Some(seen) = seen_of(v) else {
            return Ok(());
        };
        self.kind = Some(match (self.kind, seen) {
            (None, s) => s,
            (Some(a), b) if a == b => a,
            (Some(Seen::Int), Seen::Float) | (Some(Seen::Float), Seen::Int) => Seen::Float,
            (Some(Seen::Vector(a)), Seen::Vector(b)) => {
                return Err(Error::Ingest(format!(
                    "column '{column}', row {row}: ragged embedding: {b} values where earlier rows have {a}"
                )));
            }
            (Some(a), b) => {
                return Err(Error::Ingest(format!(
                    "column '{column}', row {row}: mixed types: {} where earlier rows hold {}",
                    b.name(),
                    a.name()
                )));
            }
        });
        Ok(())
    }

    /// The inferred logical type (TEXT for a column that stayed all-null).
    pub fn logical_type(&self) -> LogicalType {
        match self.kind {
            None | Some(Seen::Text) => LogicalType::Text,
            Some(Seen::Bool) => LogicalType::Bool,
            Some(Seen::Int) => LogicalType::Int64,
            Some(Seen::Float) => LogicalType::Float64,
            Some(Seen::Vector(n)) => LogicalType::Embedding(Some(n as i32)),
            Some(Seen::Json) => LogicalType::Json,
        }
    }

    /// The vector length seen, if the column holds lists of numbers.
    pub fn vector_len(&self) -> Option<i32> {
        match self.kind {
            Some(Seen::Vector(n)) => Some(n as i32),
            _ => None,
        }
    }
}

/// Resolves a hint or an inference into a concrete (logical type, Arrow type) pair for `column`.
pub fn resolve(
    column: &str,
    hint: Option<LogicalType>,
    inferred: &Inference,
) -> Result<(LogicalType, DataType)> {
    let t = hint.unwrap_or_else(|| inferred.logical_type());
    let t = match t {
        LogicalType::Embedding(None) => match inferred.vector_len() {
            Some(n) => LogicalType::Embedding(Some(n)),
            None => {
                return Err(Error::Ingest(format!(
                    "column '{column}' is EMBEDDING but holds no vectors to take the length from; write EMBEDDING(n)"
                )));
            }
        },
        LogicalType::File => {
            return Err(Error::Ingest(format!(
                "column '{column}': FILE is a directive for file paths, not a stored type"
            )));
        }
        t => t,
    };
    let dt = t
        .arrow_type()
        .ok_or_else(|| Error::Ingest(format!("column '{column}': {t} has no stored type")))?;
    Ok((t, dt))
}

/// Builds the Arrow array of one column from its values, converting each to `(ltype, dt)`.
/// `first_row` numbers rows in error messages.
pub fn build_array(
    column: &str,
    ltype: LogicalType,
    dt: &DataType,
    values: &[&Value],
    first_row: usize,
) -> Result<ArrayRef> {
    let bad = |i: usize, v: &Value| {
        Error::Ingest(format!(
            "column '{column}', row {}: cannot read {v} as {ltype}",
            first_row + i
        ))
    };
    Ok(match dt {
        DataType::Utf8 => {
            let mut b = StringBuilder::with_capacity(values.len(), values.len() * 16);
            for v in values {
                match v {
                    Value::Null => b.append_null(),
                    Value::String(s) => b.append_value(s),
                    other => b.append_value(other.to_string()),
                }
            }
            Arc::new(b.finish())
        }
        DataType::Boolean => {
            let mut b = BooleanBuilder::with_capacity(values.len());
            for (i, v) in values.iter().enumerate() {
                match v {
                    Value::Null => b.append_null(),
                    Value::Bool(x) => b.append_value(*x),
                    Value::String(s) if s.eq_ignore_ascii_case("true") => b.append_value(true),
                    Value::String(s) if s.eq_ignore_ascii_case("false") => b.append_value(false),
                    other => return Err(bad(i, other)),
                }
            }
            Arc::new(b.finish())
        }
        DataType::Int32 | DataType::Int64 => {
            let mut out = Vec::with_capacity(values.len());
            for (i, v) in values.iter().enumerate() {
                out.push(match v {
                    Value::Null => None,
                    other => Some(as_i64(other).ok_or_else(|| bad(i, other))?),
                });
            }
            if *dt == DataType::Int32 {
                let mut b = Int32Builder::with_capacity(out.len());
                for (i, x) in out.into_iter().enumerate() {
                    b.append_option(
                        x.map(|x| i32::try_from(x).map_err(|_| bad(i, values[i])))
                            .transpose()?,
                    );
                }
                Arc::new(b.finish())
            } else {
                let mut b = Int64Builder::with_capacity(out.len());
                out.into_iter().for_each(|x| b.append_option(x));
                Arc::new(b.finish())
            }
        }
        DataType::Float32 => {
            let mut b = Float32Builder::with_capacity(values.len());
            for (i, v) in values.iter().enumerate() {
                b.append_option(opt_f64(v).map_err(|_| bad(i, v))?.map(|x| x as f32));
            }
            Arc::new(b.finish())
        }
        DataType::Float64 => {
            let mut b = Float64Builder::with_capacity(values.len());
            for (i, v) in values.iter().enumerate() {
                b.append_option(opt_f64(v).map_err(|_| bad(i, v))?);
            }
            Arc::new(b.finish())
        }
        DataType::Binary => {
            let mut b = BinaryBuilder::with_capacity(values.len(), 0);
            for (i, v) in values.iter().enumerate() {
                match v {
                    Value::Null => b.append_null(),
                    Value::String(s) => b.append_value(bytes_of_text(s).ok_or_else(|| bad(i, v))?),
                    Value::Array(items) => {
                        let bytes: Option<Vec<u8>> = items
                            .iter()
                            .map(|x| x.as_u64().and_then(|n| u8::try_from(n).ok()))
                            .collect();
                        b.append_value(bytes.ok_or_else(|| bad(i, v))?);
                    }
                    other => return Err(bad(i, other)),
                }
            }
            Arc::new(b.finish())
        }
        DataType::FixedSizeList(_, n) => {
            let n = *n;
            let mut b = FixedSizeListBuilder::with_capacity(Float32Builder::new(), n, values.len())
                .with_field(Arc::new(Field::new("item", DataType::Float32, true)));
            for (i, v) in values.iter().enumerate() {
                match v {
                    Value::Null => {
                        (0..n).for_each(|_| b.values().append_null());
                        b.append(false);
                    }
                    Value::Array(items) if items.len() == n as usize => {
                        for x in items {
                            b.values()
                                .append_value(x.as_f64().ok_or_else(|| bad(i, v))? as f32);
                        }
                        b.append(true);
                    }
                    Value::Array(items) => {
                        return Err(Error::Ingest(format!(
                            "column '{column}', row {}: ragged embedding: {} values where the column has {n}",
                            first_row + i,
                            items.len()
                        )));
                    }
                    other => return Err(bad(i, other)),
                }
            }
            Arc::new(b.finish())
        }
        other => {
            return Err(Error::Ingest(format!(
                "column '{column}': cannot build {other} from JSON values"
            )));
        }
    })
}

fn as_i64(v: &Value) -> Option<i64> {
    match v {
        // A whole float within i64's range (2^63 itself is not: `as` would saturate it silently).
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= -(2f64.powi(63)) && *f < 2f64.powi(63))
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

fn opt_f64(v: &Value) -> std::result::Result<Option<f64>, ()> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => n.as_f64().map(Some).ok_or(()),
        Value::String(s) => s.trim().parse().map(Some).map_err(|_| ()),
        _ => Err(()),
    }
}

/// Bytes written as text: PostgreSQL's `\x` hex form (`"\\x89504e47"`), else the text's UTF-8 bytes. `None`
/// when `\x` is not followed by pairs of hex digits.
pub fn bytes_of_text(s: &str) -> Option<Vec<u8>> {
    match s.strip_prefix("\\x") {
        Some(hex) if hex.len() % 2 == 0 => (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
            .collect(),
        Some(_) => None,
        None => Some(s.as_bytes().to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn infer(vals: &[Value]) -> Result<LogicalType> {
        let mut inf = Inference::default();
        for (i, v) in vals.iter().enumerate() {
            inf.observe("c", i, v)?;
        }
        Ok(inf.logical_type())
    }

    #[test]
    fn infers_past_nulls() {
        assert_eq!(
            infer(&[json!(null), json!(null), json!(3)]).unwrap(),
            LogicalType::Int64
        );
        assert_eq!(infer(&[json!(null)]).unwrap(), LogicalType::Text);
        assert_eq!(
            infer(&[json!(1), json!(2.5)]).unwrap(),
            LogicalType::Float64
        );
        assert_eq!(
            infer(&[json!(null), json!([0.1, 0.2])]).unwrap(),
            LogicalType::Embedding(Some(2))
        );
        assert_eq!(infer(&[json!(true)]).unwrap(), LogicalType::Bool);
        assert_eq!(infer(&[json!({"a": 1})]).unwrap(), LogicalType::Json);
    }

    #[test]
    fn integers_out_of_range_are_errors_not_clamped() {
        let int = |v: Value| build_array("c", LogicalType::Int64, &DataType::Int64, &[&v], 0);
        assert!(int(json!(1e20)).is_err());
        assert!(int(json!(9_223_372_036_854_775_808.0_f64)).is_err());
        assert!(int(json!(-4.0)).is_ok());
    }

    #[test]
    fn ragged_and_mixed_name_the_row() {
        let e = infer(&[json!([1, 2]), json!([1, 2, 3])])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("column 'c', row 1") && e.contains("ragged"),
            "{e}"
        );
        let e = infer(&[json!("a"), json!(null), json!(5)])
            .unwrap_err()
            .to_string();
        assert!(e.contains("row 2") && e.contains("mixed types"), "{e}");
    }

    #[test]
    fn builds_vectors_and_hex_bytes() {
        let vals = [json!([1.0, 2.0]), json!(null)];
        let refs: Vec<&Value> = vals.iter().collect();
        let (t, dt) = resolve("e", None, &{
            let mut i = Inference::default();
            i.observe("e", 0, &vals[0]).unwrap();
            i
        })
        .unwrap();
        let a = build_array("e", t, &dt, &refs, 0).unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(a.null_count(), 1);
        let b = build_array(
            "b",
            LogicalType::Binary,
            &DataType::Binary,
            &[&json!("\\x0aff")],
            0,
        )
        .unwrap();
        let b = b
            .as_any()
            .downcast_ref::<arrow::array::BinaryArray>()
            .unwrap();
        assert_eq!(b.value(0), &[0x0a, 0xff]);
    }
}
