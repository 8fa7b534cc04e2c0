//! Search from the viewer, as SQL through the engine (so it returns what the same SQL returns elsewhere): BM25
//! over a full-text indexed TEXT column, "more like this" by a row's EMBEDDING (cosine), and the weighted hybrid
//! when both are asked for. The answer carries the statement it ran.

use axum::Json;
use axum::extract::Query;
use axum::response::IntoResponse;
use futures::TryStreamExt;
use lakefeed_core::query::json_value;
use lakefeed_core::{Error, LogicalType, Result};
use lancedb::index::IndexType;
use lancedb::query::{ExecutableQuery, Select};
use serde::Deserialize;
use serde_json::{Value, json};

use super::super::error::Answer;
use super::access::TableRef;
use super::rows::{
    ROW_ID, add_thumbnails, checked_where, ident, idents, image_column, page_columns, rows_json,
    thumbnail_key_columns,
};
use crate::store::lance_error::from_lance;

/// The most results a search returns.
const MAX_RESULTS: usize = 200;

/// A search's parameters.
#[derive(Debug, Deserialize)]
pub(super) struct SearchParams {
    /// Words to match (BM25).
    text: Option<String>,
    /// The full-text indexed column to match them in (the first such column by default).
    column: Option<String>,
    /// A row whose vector to search near ("more like this").
    like: Option<u64>,
    /// The EMBEDDING column to search (the first by default).
    vector: Option<String>,
    #[serde(rename = "where")]
    filter: Option<String>,
    limit: Option<usize>,
    thumbs: Option<u32>,
}

/// `GET …/tables/{table}/search?text&column&like&vector&where&limit&thumbs`: the best rows, best first, each with
/// its `score`, and the SQL that found them.
pub(super) async fn search(t: TableRef, Query(p): Query<SearchParams>) -> Answer {
    let table = t.ws.lance.open_table(&t.table).await?;
    let err = |e| from_lance(&t.table, "read", e);
    let schema = table.schema().await.map_err(err)?;
    let text = p.text.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let text_column = match (text, p.column) {
        (None, _) => None,
        (Some(_), Some(c)) => Some(c),
        (Some(_), None) => Some(
            table
                .list_indices()
                .await
                .map_err(err)?
                .into_iter()
                .find(|i| i.index_type == IndexType::FTS)
                .and_then(|i| i.columns.into_iter().next())
                .ok_or_else(|| {
                    Error::query(format!(
                        "table '{}' has no full-text index to search; create one with `lakefeed index {} COLUMN`",
                        t.table, t.table
                    ))
                })?,
        ),
    };
    let vector = match p.like {
        None => None,
        Some(rowid) => {
            let column = match p.vector {
                Some(c) => c,
                None => schema
                    .fields()
                    .iter()
                    .find(|f| matches!(LogicalType::of_field(f), Some(LogicalType::Embedding(_))))
                    .map(|f| f.name().clone())
                    .ok_or_else(|| {
                        Error::query(format!("table '{}' has no EMBEDDING column", t.table))
                    })?,
            };
            let batches: Vec<_> = table
                .take_row_ids(vec![rowid])
                .select(Select::columns(&[column.as_str()]))
                .execute()
                .await
                .map_err(err)?
                .try_collect()
                .await
                .map_err(err)?;
            let v = batches
                .iter()
                .find(|b| b.num_rows() > 0)
                .map(|b| json_value(b.column(0), 0))
                .transpose()?
                .filter(|v| v.is_array())
                .ok_or_else(|| {
                    Error::query(format!("row {rowid} of '{}' has no vector in '{column}'", t.table))
                })?;
            Some((column, v))
        }
    };
    let (score, params) = match (&vector, &text_column) {
        (Some((vc, v)), Some(tc)) => (
            format!(
                "({}, {})::deeplake_hybrid_record <#> deeplake_hybrid_record($1, $2, 0.5, 0.5)",
                ident(vc),
                ident(tc)
            ),
            vec![v.clone(), Value::from(text.unwrap_or_default())],
        ),
        (Some((vc, v)), None) => (format!("{} <#> $1", ident(vc)), vec![v.clone()]),
        (None, Some(tc)) => (
            format!("{} <#> $1", ident(tc)),
            vec![Value::from(text.unwrap_or_default())],
        ),
        (None, None) => return Err(Error::query("search for words, or rows like a row").into()),
    };
    let shown = page_columns(&schema);
    let thumbs = p.thumbs.zip(image_column(&schema));
    let mut read = shown.clone();
    if thumbs.is_some() {
        for k in thumbnail_key_columns(&schema) {
            if !read.contains(&k) {
                read.push(k);
            }
        }
    }
    let filter = checked_where(p.filter.as_deref())?
        .map(|w| format!(" WHERE {w}"))
        .unwrap_or_default();
    let limit = p.limit.unwrap_or(30).clamp(1, MAX_RESULTS);
    let sql = format!(
        "SELECT {ROW_ID}, {}, {score} AS _score FROM {}{filter} ORDER BY _score DESC LIMIT {limit}",
        idents(&read),
        ident(&t.table),
    );
    let result = t.ws.backend.query(&sql, &params).await?;
    let batches = result.batches().to_vec();
    let mut rows = rows_json(&batches, &shown)?;
    let scores = scores(&batches)?;
    for (row, s) in rows.iter_mut().zip(scores) {
        row["score"] = s;
    }
    if let Some((size, column)) = thumbs {
        add_thumbnails(&t.ws, &t.table, &column, size, &batches, &mut rows).await?;
    }
    Ok(Json(json!({"rows": rows, "sql": sql})).into_response())
}

/// Each row's `_score`, as JSON numbers.
fn scores(batches: &[arrow::array::RecordBatch]) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    for b in batches {
        let col = b
            .column_by_name("_score")
            .ok_or_else(|| Error::query("search results lack their score"))?;
        for r in 0..b.num_rows() {
            out.push(json_value(col, r)?);
        }
    }
    Ok(out)
}
