//! What the viewer's row answers share: which columns a page shows, rows as JSON (each with its `_rowid`),
//! the thumbnails of a page's rows, and SQL pieces (quoted names, a checked WHERE expression).

use std::collections::HashMap;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema, UInt64Type};
use base64::Engine;
use futures::TryStreamExt;
use lakefeed_core::query::json_value;
use lakefeed_core::stage::sql_literal;
use lakefeed_core::{Error, LogicalType, Result};
use lancedb::query::{ExecutableQuery, QueryBase, Select};
use serde_json::{Map, Value, json};

use super::access::Ws;
use crate::stages::{THUMBNAILS_TABLE, thumbnail_keys};
use crate::store::lance_error::from_lance;

/// Lance's id of a row, which the viewer addresses rows by.
pub(super) const ROW_ID: &str = "_rowid";

/// Whether a column holds bytes (images, video, masks…): read only when a row is opened.
pub(super) fn is_blob(f: &Field) -> bool {
    matches!(
        f.data_type(),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView
    )
}

/// Whether a column holds vectors: shown only when a row is opened.
fn is_vector(f: &Field) -> bool {
    matches!(
        f.data_type(),
        DataType::FixedSizeList(_, _) | DataType::List(_) | DataType::LargeList(_)
    )
}

/// A column's logical type name (`IMAGE`, `EMBEDDING(384)`, …).
pub(super) fn type_name(f: &Field) -> String {
    LogicalType::of_field(f).map_or_else(|| f.data_type().to_string(), |t| t.name())
}

/// The columns a page of rows shows: all but bytes and vectors.
pub(super) fn page_columns(schema: &Schema) -> Vec<String> {
    schema
        .fields()
        .iter()
        .filter(|f| !is_blob(f) && !is_vector(f))
        .map(|f| f.name().clone())
        .collect()
}

/// The first IMAGE column, whose thumbnails a grid shows.
pub(super) fn image_column(schema: &Schema) -> Option<String> {
    schema
        .fields()
        .iter()
        .find(|f| LogicalType::of_field(f) == Some(LogicalType::Image))
        .map(|f| f.name().clone())
}

/// The columns a page reads to find its rows' thumbnails: `id`, else every byte column (the key hashes them).
pub(super) fn thumbnail_key_columns(schema: &Schema) -> Vec<String> {
    if schema.column_with_name("id").is_some() {
        return vec!["id".into()];
    }
    schema
        .fields()
        .iter()
        .filter(|f| f.data_type() == &DataType::Binary)
        .map(|f| f.name().clone())
        .collect()
}

/// `name` as a quoted SQL identifier.
pub(super) fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A comma-separated list of quoted identifiers.
pub(super) fn idents(names: &[String]) -> String {
    names.iter().map(|n| ident(n)).collect::<Vec<_>>().join(", ")
}

/// A WHERE text checked to be one SQL expression and nothing after it, so it can stand in a statement.
pub(super) fn checked_where(text: Option<&str>) -> Result<Option<String>> {
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;
    use datafusion::sql::sqlparser::tokenizer::Token;
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let bad = |e: String| Error::query(format!("WHERE {text}: {e}"));
    let mut parser = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(text)
        .map_err(|e| bad(e.to_string()))?;
    let expr = parser.parse_expr().map_err(|e| bad(e.to_string()))?;
    let next = parser.peek_token();
    if next.token != Token::EOF {
        return Err(bad(format!("unexpected '{}' after the condition", next.token)));
    }
    Ok(Some(expr.to_string()))
}

/// Rows as JSON: `{"_rowid": "…", "cells": {column: value}}` with the `shown` columns' values.
pub(super) fn rows_json(batches: &[RecordBatch], shown: &[String]) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    for b in batches {
        let ids = b
            .column_by_name(ROW_ID)
            .and_then(|c| c.as_primitive_opt::<UInt64Type>())
            .ok_or_else(|| Error::query("the rows read lack _rowid"))?;
        for r in 0..b.num_rows() {
            let mut cells = Map::new();
            for name in shown {
                if let Some(col) = b.column_by_name(name) {
                    cells.insert(name.clone(), json_value(col, r)?);
                }
            }
            out.push(json!({"_rowid": ids.value(r).to_string(), "cells": cells}));
        }
    }
    Ok(out)
}

/// Adds `"thumb"` (a `data:` URL of the JPEG thumbnail of `column` at `size` px) to each row of `rows` that has
/// one; `batches` are the rows' batches, holding the key columns.
pub(super) async fn add_thumbnails(
    ws: &Ws,
    table: &str,
    column: &str,
    size: u32,
    batches: &[RecordBatch],
    rows: &mut [Value],
) -> Result<()> {
    let keys: Vec<String> = batches.iter().flat_map(thumbnail_keys).collect();
    if keys.is_empty() {
        return Ok(());
    }
    let list = keys
        .iter()
        .map(|k| sql_literal(k))
        .collect::<Vec<_>>()
        .join(", ");
    let filter = format!(
        "table_name = {} AND column_name = {} AND dimension = {} AND file_id IN ({list})",
        sql_literal(table),
        sql_literal(column),
        sql_literal(&format!("{size}x{size}")),
    );
    let thumbs = match ws.lance.open_table(THUMBNAILS_TABLE).await {
        Ok(t) => t,
        Err(Error::TableNotFound(_)) => return Ok(()),
        Err(e) => return Err(e),
    };
    let err = |e| from_lance(THUMBNAILS_TABLE, "read", e);
    let found: Vec<RecordBatch> = thumbs
        .query()
        .only_if(filter)
        .select(Select::columns(&["file_id", "content"]))
        .execute()
        .await
        .map_err(err)?
        .try_collect()
        .await
        .map_err(err)?;
    let mut by_key = HashMap::new();
    for b in &found {
        let (Some(ids), Some(content)) = (
            b.column_by_name("file_id").and_then(|c| c.as_string_opt::<i32>()),
            b.column_by_name("content").and_then(|c| c.as_binary_opt::<i32>()),
        ) else {
            continue;
        };
        for i in 0..b.num_rows() {
            if ids.is_valid(i) && content.is_valid(i) {
                let url = format!(
                    "data:image/jpeg;base64,{}",
                    base64::engine::general_purpose::STANDARD.encode(content.value(i))
                );
                by_key.insert(ids.value(i).to_string(), url);
            }
        }
    }
    for (row, key) in rows.iter_mut().zip(&keys) {
        if let Some(url) = by_key.remove(key) {
            row["thumb"] = Value::String(url);
        }
    }
    Ok(())
}
