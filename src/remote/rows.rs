//! The seed's JSON shapes as Arrow: query rows (types inferred from the values) and SQL column types.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema};
use lakefeed_core::{Columns, Error, Format, IngestContext, LogicalType, QueryResult, Result};
use serde_json::Value;

/// A service's JSON `columns` and `rows` as a result, each column's type inferred from its values.
pub fn json_result(columns: Vec<String>, rows: Vec<Vec<Value>>) -> Result<QueryResult> {
    let mut cols: Vec<(String, Vec<Value>)> =
        columns.into_iter().map(|c| (c, Vec::new())).collect();
    for row in rows {
        for (i, v) in row.into_iter().enumerate() {
            if let Some(c) = cols.get_mut(i) {
                c.1.push(v);
            }
        }
    }
    if cols.is_empty() {
        return Ok(QueryResult::new(Arc::new(Schema::empty()), Vec::new()));
    }
    let format = Box::new(Columns::new(cols, &Default::default())?);
    let schema = format.schema().unwrap_or_else(|| Arc::new(Schema::empty()));
    let ctx = IngestContext::new(Arc::new(Default::default()));
    let batches = format.normalize(&ctx)?.collect::<Result<Vec<_>>>()?;
    Ok(QueryResult::new(schema, batches))
}

/// The field a column of SQL type `ty` (PostgreSQL's names, or lakefeed's: `IMAGE`, `EMBEDDING(384)`…) is
/// stored as.
pub fn sql_field(name: &str, ty: &str) -> Result<Field> {
    let logical = match ty.trim().to_ascii_uppercase().as_str() {
        "BIGINT" | "INT8" => LogicalType::Int64,
        "INTEGER" | "INT4" | "INT" | "SMALLINT" => LogicalType::Int32,
        "REAL" | "FLOAT4" => LogicalType::Float32,
        "DOUBLE PRECISION" | "FLOAT8" => LogicalType::Float64,
        "BOOLEAN" => LogicalType::Bool,
        "BYTEA" => LogicalType::Binary,
        "FLOAT4[]" | "REAL[]" | "ARRAY" => LogicalType::Embedding(None),
        "JSONB" => LogicalType::Json,
        "VARCHAR" | "CHARACTER VARYING" => LogicalType::Text,
        other => other
            .parse()
            .map_err(|e: Error| Error::Table(format!("column '{name}': {e}")))?,
    };
    let dt = logical
        .arrow_type()
        .unwrap_or_else(|| DataType::List(Arc::new(Field::new("item", DataType::Float32, true))));
    Ok(logical.field(name, dt))
}
