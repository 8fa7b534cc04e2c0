//! Tables and their rows: the list with row counts, column types and indexes; a page of rows read with the
//! store's own paging (a take of the page's offsets, or a filtered scan that stops after the page); one row
//! opened; facet counts of label-like columns.

use std::collections::HashSet;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use futures::TryStreamExt;
use lakefeed_core::{Error, LogicalType, Result};
use lancedb::index::IndexType;
use lancedb::query::{ExecutableQuery, Select};
use serde::Deserialize;
use serde_json::{Value, json};

use super::super::error::Answer;
use super::ViewerShared;
use super::access::{TableRef, Ws};
use super::cells::{self, CellKey};
use super::episode::frames_table;
use super::rows::{
    ROW_ID, add_thumbnails, checked_where, ident, idents, image_column, is_blob, page_columns,
    rows_json, thumbnail_key_columns, type_name,
};
use crate::store::lance_error::from_lance;

/// The most rows a page may ask for.
const MAX_PAGE: usize = 500;
/// A TEXT column is label-like when its first rows hold at most this many values, and the whole table too.
const MAX_FACET_VALUES: usize = 30;
/// Rows sampled to pick label-like TEXT columns.
const FACET_SAMPLE: usize = 2000;

/// `GET /view/api/ws/{ws}/tables`: every table with its row count, columns (name, logical type) and indexes.
pub(super) async fn tables(t: TableRef) -> Answer {
    let mut out = Vec::new();
    for name in t.ws.backend.store().list_tables().await? {
        out.push(describe(&t.ws, &name).await?);
    }
    Ok(Json(json!({ "tables": out })).into_response())
}

async fn describe(ws: &Ws, name: &str) -> Result<Value> {
    let table = ws.lance.open_table(name).await?;
    let err = |e| from_lance(name, "read", e);
    let schema = table.schema().await.map_err(err)?;
    let rows = table.count_rows(None).await.map_err(err)?;
    let indexes: Vec<Value> = table
        .list_indices()
        .await
        .map_err(err)?
        .into_iter()
        .filter_map(|i| {
            let kind = match i.index_type {
                IndexType::FTS => "fts",
                IndexType::IvfFlat
                | IndexType::IvfSq
                | IndexType::IvfPq
                | IndexType::IvfRq
                | IndexType::IvfHnswPq
                | IndexType::IvfHnswSq
                | IndexType::IvfHnswFlat => "vector",
                _ => "scalar",
            };
            i.columns
                .first()
                .map(|c| json!({"column": c, "kind": kind}))
        })
        .collect();
    let columns: Vec<Value> = schema
        .fields()
        .iter()
        .map(|f| {
            let mut c = json!({"name": f.name(), "type": type_name(f)});
            if let Some(names) = f.metadata().get("class_names") {
                c["class_names"] = serde_json::from_str(names).unwrap_or(Value::Null);
            }
            c
        })
        .collect();
    Ok(json!({
        "name": name,
        "rows": rows,
        "columns": columns,
        "indexes": indexes,
        "image_column": image_column(&schema),
        "episodes": frames_table(ws, name).await?.is_some(),
    }))
}

/// A page's parameters.
#[derive(Debug, Deserialize)]
pub(super) struct PageParams {
    #[serde(default)]
    offset: usize,
    limit: Option<usize>,
    #[serde(rename = "where")]
    filter: Option<String>,
    /// Thumbnail size in px (32, 64, 128 or 256) of the image column, when wanted.
    thumbs: Option<u32>,
}

/// `GET …/tables/{table}/rows?offset&limit&where&thumbs`: one page of rows (no bytes, no vectors), each with
/// its `_rowid` and, with `thumbs`, its thumbnail. Without a WHERE the page is a take of its offsets; with one,
/// a SQL scan that stops after the page.
pub(super) async fn rows(t: TableRef, Query(p): Query<PageParams>) -> Answer {
    let table = t.ws.lance.open_table(&t.table).await?;
    let err = |e| from_lance(&t.table, "read", e);
    let schema = table.schema().await.map_err(err)?;
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
    let limit = p.limit.unwrap_or(60).min(MAX_PAGE);
    let (batches, total) = match checked_where(p.filter.as_deref())? {
        None => {
            let total = table.count_rows(None).await.map_err(err)?;
            let end = (p.offset + limit).min(total);
            let offsets: Vec<u64> = (p.offset.min(end)..end).map(|o| o as u64).collect();
            let batches = if offsets.is_empty() {
                Vec::new()
            } else {
                table
                    .take_offsets(offsets)
                    .select(Select::columns(&read))
                    .with_row_id()
                    .execute()
                    .await
                    .map_err(err)?
                    .try_collect()
                    .await
                    .map_err(err)?
            };
            (batches, Some(total))
        }
        Some(filter) => {
            let sql = format!(
                "SELECT {ROW_ID}, {} FROM {} WHERE {filter} LIMIT {limit} OFFSET {}",
                idents(&read),
                ident(&t.table),
                p.offset
            );
            (t.ws.backend.query(&sql, &[]).await?.batches().to_vec(), None)
        }
    };
    let mut rows = rows_json(&batches, &shown)?;
    if let Some((size, column)) = thumbs {
        add_thumbnails(&t.ws, &t.table, &column, size, &batches, &mut rows).await?;
    }
    Ok(Json(json!({"rows": rows, "offset": p.offset, "total": total})).into_response())
}

/// A filter's parameters.
#[derive(Debug, Deserialize)]
pub(super) struct FilterParams {
    #[serde(rename = "where")]
    filter: Option<String>,
}

/// `GET …/tables/{table}/count?where`: how many rows match.
pub(super) async fn count(t: TableRef, Query(p): Query<FilterParams>) -> Answer {
    let n = match checked_where(p.filter.as_deref())? {
        None => {
            let table = t.ws.lance.open_table(&t.table).await?;
            table
                .count_rows(None)
                .await
                .map_err(|e| from_lance(&t.table, "count", e))? as u64
        }
        Some(filter) => {
            let sql = format!("SELECT count(*) AS n FROM {} WHERE {filter}", ident(&t.table));
            let r = t.ws.backend.query(&sql, &[]).await?;
            r.rows()?
                .first()
                .and_then(|row| row.first())
                .and_then(Value::as_u64)
                .unwrap_or_default()
        }
    };
    Ok(Json(json!({ "count": n })).into_response())
}

/// `GET …/tables/{table}/rows/{rowid}`: one row, every column: values as JSON, bytes as `{"bytes", "mime"}`
/// (fetched from the cell's URL; they are kept for it).
pub(super) async fn row(
    State(s): State<ViewerShared>,
    t: TableRef,
    Path(p): Path<std::collections::HashMap<String, String>>,
) -> Answer {
    let rowid = cells::parse_row_id(p.get("rowid"))?;
    let table = t.ws.lance.open_table(&t.table).await?;
    let err = |e| from_lance(&t.table, "read", e);
    let version = table.version().await.map_err(err)?;
    let batches: Vec<_> = table
        .take_row_ids(vec![rowid])
        .with_row_id()
        .execute()
        .await
        .map_err(err)?
        .try_collect()
        .await
        .map_err(err)?;
    let Some(b) = batches.iter().find(|b| b.num_rows() > 0) else {
        return Err(Error::Table(format!("'{}' has no row {rowid}", t.table)).into());
    };
    let schema = b.schema();
    let mut cells_out = serde_json::Map::new();
    for (i, f) in schema.fields().iter().enumerate() {
        if f.name() == ROW_ID {
            continue;
        }
        let col = b.column(i);
        let value = if !is_blob(f) {
            lakefeed_core::query::json_value(col, 0)?
        } else if let Some(bytes) = cells::blob(col, 0) {
            let key = CellKey::new(&t.ws, &t.table, version, rowid, f.name());
            let meta = json!({"bytes": bytes.len(), "mime": cells::sniff(&bytes)});
            s.cells.put(key, bytes);
            meta
        } else {
            Value::Null
        };
        cells_out.insert(f.name().clone(), value);
    }
    let columns: Vec<Value> = schema
        .fields()
        .iter()
        .filter(|f| f.name() != ROW_ID)
        .map(|f| json!({"name": f.name(), "type": type_name(f)}))
        .collect();
    Ok(Json(json!({
        "_rowid": rowid.to_string(),
        "columns": columns,
        "cells": cells_out,
        "episode": frames_table(&t.ws, &t.table).await?.is_some(),
    }))
    .into_response())
}

/// `GET …/tables/{table}/facets?where`: value counts of the label-like columns (CLASS_LABEL, and TEXT columns
/// with few values that are not full-text indexed), under the WHERE.
pub(super) async fn facets(t: TableRef, Query(p): Query<FilterParams>) -> Answer {
    let filter = checked_where(p.filter.as_deref())?;
    let table = t.ws.lance.open_table(&t.table).await?;
    let err = |e| from_lance(&t.table, "read", e);
    let schema = table.schema().await.map_err(err)?;
    let text_indexed: HashSet<String> = table
        .list_indices()
        .await
        .map_err(err)?
        .into_iter()
        .filter(|i| i.index_type == IndexType::FTS)
        .flat_map(|i| i.columns)
        .collect();
    let mut labels = Vec::new();
    let mut texts = Vec::new();
    for f in schema.fields() {
        match LogicalType::of_field(f) {
            Some(LogicalType::ClassLabel) => labels.push(f.clone()),
            Some(LogicalType::Text) if !text_indexed.contains(f.name()) && !id_like(f.name()) => {
                texts.push(f.clone())
            }
            _ => {}
        }
    }
    let few = few_valued(&t, &texts).await?;
    let mut out = Vec::new();
    for f in labels.iter().chain(texts.iter().filter(|f| few.contains(f.name()))) {
        let sql = format!(
            "SELECT {c} AS value, count(*) AS n FROM {tb}{w} GROUP BY {c} ORDER BY n DESC, value LIMIT {}",
            MAX_FACET_VALUES + 1,
            c = ident(f.name()),
            tb = ident(&t.table),
            w = filter.as_ref().map(|w| format!(" WHERE {w}")).unwrap_or_default(),
        );
        let values = t.ws.backend.query(&sql, &[]).await?.rows()?;
        if values.len() > MAX_FACET_VALUES {
            continue;
        }
        let mut facet = json!({
            "column": f.name(),
            "type": type_name(f),
            "values": values.into_iter().map(|r| json!({"value": r[0], "count": r[1]})).collect::<Vec<_>>(),
        });
        if let Some(names) = f.metadata().get("class_names") {
            facet["class_names"] = serde_json::from_str(names).unwrap_or(Value::Null);
        }
        out.push(facet);
    }
    Ok(Json(json!({ "facets": out })).into_response())
}

/// Whether a column's name says it holds ids (`id`, `file_id`, `sampleId`): never a facet.
fn id_like(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "id" || n.ends_with("_id") || n.ends_with("id") && name.ends_with("Id")
}

/// The TEXT columns whose first rows hold few distinct values, each seen twice on average at least.
async fn few_valued(t: &TableRef, texts: &[std::sync::Arc<arrow::datatypes::Field>]) -> Result<HashSet<String>> {
    if texts.is_empty() {
        return Ok(HashSet::new());
    }
    let names: Vec<String> = texts.iter().map(|f| f.name().clone()).collect();
    let counts = names
        .iter()
        .map(|n| format!("count(DISTINCT {})", ident(n)))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT count(*), {counts} FROM (SELECT {} FROM {} LIMIT {FACET_SAMPLE})",
        idents(&names),
        ident(&t.table)
    );
    let rows = t.ws.backend.query(&sql, &[]).await?.rows()?;
    let Some(row) = rows.first() else {
        return Ok(HashSet::new());
    };
    let sampled = row.first().and_then(Value::as_u64).unwrap_or_default();
    Ok(names
        .into_iter()
        .zip(&row[1..])
        .filter(|(_, n)| {
            n.as_u64()
                .is_some_and(|n| n > 0 && n as usize <= MAX_FACET_VALUES && 2 * n <= sampled)
        })
        .map(|(name, _)| name)
        .collect())
}
