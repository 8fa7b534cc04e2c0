//! Rows as the seed's SQL: batched, parameterised `INSERT … VALUES` statements for a service's query
//! endpoint, since its native dataset protocol is not public. Bytes travel as hex (`decode($n, 'hex')::IMAGE`),
//! vectors as `ARRAY[…]::FLOAT4[]` literals of our own formatted numbers, text and numbers as `$n` parameters;
//! a keyed append is `ON CONFLICT (key) DO NOTHING`, an upsert `DO UPDATE SET c = EXCLUDED.c`.

use std::fmt::Write as _;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float32Type};
use lakefeed_core::query::{json_value, quote_ident};
use lakefeed_core::{LogicalType, Result, WriteMode, WriteSpec};
use serde_json::Value;

/// Rows per statement at most.
pub(crate) const MAX_ROWS: usize = 1000;
/// Parameter and literal bytes per statement at most (about; a single larger row goes alone).
const MAX_BYTES: usize = 8 << 20;
/// Parameters per statement at most (PostgreSQL's protocol allows 65,535).
const MAX_PARAMS: usize = 30_000;

/// One statement and its parameters.
pub(crate) type Insert = (String, Vec<Value>);

/// The INSERT statements that write `batch` into `table` as `spec` says.
pub(crate) fn statements(
    table: &str,
    batch: &RecordBatch,
    spec: &WriteSpec,
) -> Result<Vec<Insert>> {
    let schema = batch.schema();
    let names: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| quote_ident(f.name()))
        .collect();
    let head = format!(
        "INSERT INTO {} ({}) VALUES ",
        quote_ident(table),
        names.join(", ")
    );
    let tail = conflict_clause(spec, &schema);
    let types: Vec<Option<LogicalType>> = schema
        .fields()
        .iter()
        .map(|f| LogicalType::of_field(f))
        .collect();
    let mut out = Vec::new();
    let (mut sql, mut params, mut rows, mut bytes) = (head.clone(), Vec::new(), 0usize, 0usize);
    for row in 0..batch.num_rows() {
        let full = rows >= MAX_ROWS
            || bytes >= MAX_BYTES
            || params.len() + batch.num_columns() > MAX_PARAMS;
        if rows > 0 && full {
            out.push((format!("{sql}{tail}"), std::mem::take(&mut params)));
            (sql, rows, bytes) = (head.clone(), 0, 0);
        }
        if rows > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for (c, col) in batch.columns().iter().enumerate() {
            if c > 0 {
                sql.push_str(", ");
            }
            bytes += cell(&mut sql, &mut params, col, row, types[c])?;
        }
        sql.push(')');
        rows += 1;
    }
    if rows > 0 {
        out.push((format!("{sql}{tail}"), params));
    }
    Ok(out)
}

/// Writes one value's SQL (a `$n` placeholder, or a literal for nulls and vectors); the bytes it adds.
fn cell(
    sql: &mut String,
    params: &mut Vec<Value>,
    col: &ArrayRef,
    row: usize,
    ltype: Option<LogicalType>,
) -> Result<usize> {
    if col.is_null(row) {
        sql.push_str("NULL");
        return Ok(4);
    }
    let mut param = |sql: &mut String, v: Value, wrap: (&str, &str)| {
        params.push(v);
        let _ = write!(sql, "{}${}{}", wrap.0, params.len(), wrap.1);
    };
    match col.data_type() {
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => {
            let bytes = match col.data_type() {
                DataType::Binary => col.as_binary::<i32>().value(row),
                DataType::LargeBinary => col.as_binary::<i64>().value(row),
                _ => col.as_binary_view().value(row),
            };
            let hex = lakefeed_core::query::hex(bytes);
            let n = hex.len();
            let ty = ltype.map_or_else(|| "BYTEA".to_string(), |t| t.sql_type().to_string());
            param(
                sql,
                Value::String(hex[2..].to_string()),
                ("decode(", &format!(", 'hex')::{ty}")),
            );
            Ok(n)
        }
        DataType::FixedSizeList(f, _) | DataType::List(f)
            if f.data_type() == &DataType::Float32 =>
        {
            let values = match col.data_type() {
                DataType::List(_) => col.as_list::<i32>().value(row),
                _ => col.as_fixed_size_list().value(row),
            };
            let start = sql.len();
            sql.push_str("ARRAY[");
            for (i, v) in values.as_primitive::<Float32Type>().iter().enumerate() {
                if i > 0 {
                    sql.push(',');
                }
                match v {
                    Some(x) if x.is_finite() => {
                        let _ = write!(sql, "{x:?}");
                    }
                    Some(x) => {
                        let _ = write!(sql, "CAST('{x}' AS FLOAT4)");
                    }
                    None => sql.push_str("NULL"),
                }
            }
            sql.push_str("]::FLOAT4[]");
            Ok(sql.len() - start)
        }
        _ => {
            let v = json_value(col, row)?;
            let n = v.to_string().len();
            let wrap = if ltype == Some(LogicalType::Json) {
                ("", "::JSONB")
            } else {
                ("", "")
            };
            param(sql, v, wrap);
            Ok(n)
        }
    }
}

/// `ON CONFLICT (key) DO NOTHING | DO UPDATE SET …` for a keyed write; nothing otherwise.
fn conflict_clause(spec: &WriteSpec, schema: &arrow::datatypes::Schema) -> String {
    if spec.key.is_empty() {
        return String::new();
    }
    let key: Vec<String> = spec.key.iter().map(|k| quote_ident(k)).collect();
    let set: Vec<String> = schema
        .fields()
        .iter()
        .filter(|f| !spec.key.contains(f.name()))
        .map(|f| format!("{0} = EXCLUDED.{0}", quote_ident(f.name())))
        .collect();
    if spec.mode == WriteMode::Upsert && !set.is_empty() {
        format!(
            " ON CONFLICT ({}) DO UPDATE SET {}",
            key.join(", "),
            set.join(", ")
        )
    } else {
        format!(" ON CONFLICT ({}) DO NOTHING", key.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{BinaryArray, FixedSizeListArray, Float32Array, StringArray};
    use arrow::datatypes::{Field, Schema};
    use serde_json::json;

    use super::*;

    #[test]
    fn rows_become_parameterised_values() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, true),
            LogicalType::Image.field("image", DataType::Binary),
            Field::new("v", lakefeed_core::types::vector_type(2), true),
        ]));
        let v = FixedSizeListArray::new(
            Arc::new(Field::new("item", DataType::Float32, true)),
            2,
            Arc::new(Float32Array::from(vec![0.5, 1.0, 2.0, 3.0])),
            None,
        );
        let b = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(vec![Some("a'; DROP TABLE x; --"), None])),
                Arc::new(BinaryArray::from(vec![
                    Some(&[0xffu8, 0][..]),
                    Some(&[][..]),
                ])),
                Arc::new(v),
            ],
        )
        .unwrap();
        let spec = WriteSpec {
            mode: WriteMode::Upsert,
            key: vec!["id".into()],
            unique: false,
        };
        let s = statements("t", &b, &spec).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(
            s[0].0,
            "INSERT INTO \"t\" (\"id\", \"image\", \"v\") VALUES \
             ($1, decode($2, 'hex')::IMAGE, ARRAY[0.5,1.0]::FLOAT4[]), \
             (NULL, decode($3, 'hex')::IMAGE, ARRAY[2.0,3.0]::FLOAT4[]) \
             ON CONFLICT (\"id\") DO UPDATE SET \"image\" = EXCLUDED.\"image\", \"v\" = EXCLUDED.\"v\""
        );
        assert_eq!(
            s[0].1,
            vec![json!("a'; DROP TABLE x; --"), json!("ff00"), json!("")]
        );
    }
}
