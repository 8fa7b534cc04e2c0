//! Query results: Arrow batches for Rust callers, JSON rows for the CLI and the REST API.

use std::fmt::Write as _;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{DataType, SchemaRef};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use serde_json::{Map, Number, Value};

use crate::error::Result;

/// The result of a query: Arrow batches for Rust callers, JSON rows for the CLI and the REST API.
#[derive(Debug, Clone)]
pub struct QueryResult {
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
}

impl QueryResult {
    /// A result from its schema and batches.
    pub fn new(schema: SchemaRef, batches: Vec<RecordBatch>) -> Self {
        Self { schema, batches }
    }

    /// The result's schema.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// The result as Arrow batches.
    pub fn batches(&self) -> &[RecordBatch] {
        &self.batches
    }

    /// Consumes the result, giving its batches.
    pub fn into_batches(self) -> Vec<RecordBatch> {
        self.batches
    }

    /// Number of rows.
    pub fn row_count(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// Column names, in order.
    pub fn columns(&self) -> Vec<String> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    /// Rows as arrays of JSON values, in column order (the REST API's `rows`).
    pub fn rows(&self) -> Result<Vec<Vec<Value>>> {
        let mut out = Vec::with_capacity(self.row_count());
        for b in &self.batches {
            for r in 0..b.num_rows() {
                out.push(
                    b.columns()
                        .iter()
                        .map(|c| json_value(c, r))
                        .collect::<Result<_>>()?,
                );
            }
        }
        Ok(out)
    }

    /// Rows as JSON objects keyed by column name.
    pub fn records(&self) -> Result<Vec<Map<String, Value>>> {
        let names = self.columns();
        Ok(self
            .rows()?
            .into_iter()
            .map(|row| names.iter().cloned().zip(row).collect())
            .collect())
    }
}

/// One cell as JSON. Bytes become PostgreSQL's `\x…` hex text; vectors become arrays.
pub fn json_value(col: &ArrayRef, row: usize) -> Result<Value> {
    if col.is_null(row) {
        return Ok(Value::Null);
    }
    Ok(match col.data_type() {
        DataType::Boolean => Value::Bool(col.as_boolean().value(row)),
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32 => {
            let c = arrow::compute::cast(&col.slice(row, 1), &DataType::Int64)?;
            Value::from(c.as_primitive::<arrow::datatypes::Int64Type>().value(0))
        }
        DataType::UInt64 => Value::from(
            col.as_primitive::<arrow::datatypes::UInt64Type>()
                .value(row),
        ),
        DataType::Float16 | DataType::Float32 | DataType::Float64 => {
            let c = arrow::compute::cast(&col.slice(row, 1), &DataType::Float64)?;
            let f = c.as_primitive::<arrow::datatypes::Float64Type>().value(0);
            Number::from_f64(f)
                .map(Value::Number)
                .unwrap_or(Value::String(f.to_string()))
        }
        DataType::Utf8 => Value::String(col.as_string::<i32>().value(row).to_string()),
        DataType::LargeUtf8 => Value::String(col.as_string::<i64>().value(row).to_string()),
        DataType::Utf8View => Value::String(col.as_string_view().value(row).to_string()),
        DataType::Binary => Value::String(hex(col.as_binary::<i32>().value(row))),
        DataType::LargeBinary => Value::String(hex(col.as_binary::<i64>().value(row))),
        DataType::BinaryView => Value::String(hex(col.as_binary_view().value(row))),
        DataType::FixedSizeList(_, _) => list_json(&col.as_fixed_size_list().value(row))?,
        DataType::List(_) => list_json(&col.as_list::<i32>().value(row))?,
        DataType::LargeList(_) => list_json(&col.as_list::<i64>().value(row))?,
        DataType::Struct(fields) => {
            let s = col.as_struct();
            let mut m = Map::new();
            for (i, f) in fields.iter().enumerate() {
                m.insert(f.name().clone(), json_value(s.column(i), row)?);
            }
            Value::Object(m)
        }
        _ => {
            let f = ArrayFormatter::try_new(col.as_ref(), &FormatOptions::default())?;
            Value::String(f.value(row).to_string())
        }
    })
}

fn list_json(values: &ArrayRef) -> Result<Value> {
    (0..values.len())
        .map(|i| json_value(values, i))
        .collect::<Result<Vec<_>>>()
        .map(Value::Array)
}

/// PostgreSQL's bytea hex form: `\x` then two lower-case hex digits a byte.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 + bytes.len() * 2);
    s.push_str("\\x");
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Quotes an SQL identifier with double quotes, doubling any inside.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_postgres_bytea() {
        assert_eq!(hex(&[0, 0xab]), "\\x00ab");
    }
}
