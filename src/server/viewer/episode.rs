//! A LeRobot episode, for the page that plays its cameras in sync over its charts: the episode row's VIDEO
//! columns, and from the frames table (`{prefix}_frames` beside `{prefix}_episodes`) the episode's frame times
//! and every numeric series (`state_*`, `action_*`, vectors kept whole), grouped by their prefix.

use std::collections::HashMap;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Float64Type};
use axum::Json;
use axum::extract::Path;
use axum::response::IntoResponse;
use futures::TryStreamExt;
use lakefeed_core::{Error, LogicalType, Result, TableStore};
use lancedb::query::{ExecutableQuery, Select};
use serde_json::{Value, json};

use super::super::error::Answer;
use super::access::{TableRef, Ws};
use super::cells::parse_row_id;
use super::rows::{ident, idents};
use crate::store::lance_error::from_lance;

/// The frames table of an episodes table, when both are there.
pub(super) async fn frames_table(ws: &Ws, table: &str) -> Result<Option<String>> {
    let Some(prefix) = table.strip_suffix("_episodes") else {
        return Ok(None);
    };
    let frames = format!("{prefix}_frames");
    Ok(ws.lance.table_schema(&frames).await?.map(|_| frames))
}

/// Whether a frames column is a series to chart: a float, or a float vector.
fn is_series(f: &Field) -> bool {
    match f.data_type() {
        DataType::Float16 | DataType::Float32 | DataType::Float64 => f.name() != "timestamp",
        _ => matches!(LogicalType::of_field(f), Some(LogicalType::Embedding(_))),
    }
}

/// `(group, series name)` of a column: `state_x` → `("state", "x")`; a vector `state` → `("state", "state")`.
fn group_of(name: &str) -> (String, String) {
    match name.split_once('_') {
        Some((g, rest)) if !rest.is_empty() => (g.to_string(), rest.to_string()),
        _ => (name.to_string(), name.to_string()),
    }
}

/// `GET …/tables/{table}/rows/{rowid}/episode`: the episode's videos and time series.
pub(super) async fn episode(t: TableRef, Path(p): Path<HashMap<String, String>>) -> Answer {
    let rowid = parse_row_id(p.get("rowid"))?;
    let frames = frames_table(&t.ws, &t.table)
        .await?
        .ok_or_else(|| Error::Table(format!("'{}' is not a LeRobot episodes table with its frames", t.table)))?;
    let table = t.ws.lance.open_table(&t.table).await?;
    let err = |e| from_lance(&t.table, "read", e);
    let schema = table.schema().await.map_err(err)?;
    let videos: Vec<String> = schema
        .fields()
        .iter()
        .filter(|f| LogicalType::of_field(f) == Some(LogicalType::Video))
        .map(|f| f.name().clone())
        .collect();
    let batches: Vec<RecordBatch> = table
        .take_row_ids(vec![rowid])
        .select(Select::columns(&["episode_index"]))
        .execute()
        .await
        .map_err(err)?
        .try_collect()
        .await
        .map_err(err)?;
    let index = batches
        .iter()
        .find(|b| b.num_rows() > 0)
        .map(|b| lakefeed_core::query::json_value(b.column(0), 0))
        .transpose()?
        .filter(|v| v.is_i64())
        .ok_or_else(|| Error::Table(format!("row {rowid} of '{}' has no episode_index", t.table)))?;
    let frame_schema = t
        .ws
        .lance
        .table_schema(&frames)
        .await?
        .ok_or_else(|| Error::TableNotFound(frames.clone()))?;
    let series: Vec<String> = frame_schema
        .fields()
        .iter()
        .filter(|f| is_series(f))
        .map(|f| f.name().clone())
        .collect();
    let has = |c: &str| frame_schema.column_with_name(c).is_some();
    let time = if has("timestamp") { "timestamp" } else { "frame_index" };
    let order = if has("frame_index") { "frame_index" } else { time };
    let mut read = vec![time.to_string()];
    read.extend(series.iter().cloned());
    let sql = format!(
        "SELECT {} FROM {} WHERE episode_index = $1 ORDER BY {}",
        idents(&read),
        ident(&frames),
        ident(order)
    );
    let result = t.ws.backend.query(&sql, &[index.clone()]).await?;
    let batches = result.batches();
    let times = floats(batches, time)?;
    let mut groups: Vec<(String, Vec<Value>)> = Vec::new();
    for name in &series {
        let (group, label) = group_of(name);
        let values = columns_of(batches, name)?;
        let slot = match groups.iter().position(|(g, _)| *g == group) {
            Some(i) => i,
            None => {
                groups.push((group, Vec::new()));
                groups.len() - 1
            }
        };
        for (i, v) in values.into_iter().enumerate() {
            let label = if v.len_hint > 1 { format!("{label}[{i}]") } else { label.clone() };
            groups[slot].1.push(json!({"name": label, "values": v.values}));
        }
    }
    Ok(Json(json!({
        "episode_index": index,
        "videos": videos,
        "frames_table": frames,
        "time": times,
        "groups": groups.into_iter().map(|(name, series)| json!({"name": name, "series": series})).collect::<Vec<_>>(),
    }))
    .into_response())
}

/// One charted line.
struct Line {
    values: Vec<Option<f64>>,
    /// How many lines the column gave (more than one for a vector).
    len_hint: usize,
}

/// Column `name` of `batches` as floats.
fn floats(batches: &[RecordBatch], name: &str) -> Result<Vec<Option<f64>>> {
    let mut out = Vec::new();
    for b in batches {
        let col = b
            .column_by_name(name)
            .ok_or_else(|| Error::query(format!("frames lack '{name}'")))?;
        let c = cast(col, &DataType::Float64)?;
        out.extend(c.as_primitive::<Float64Type>().iter());
    }
    Ok(out)
}

/// Column `name` as lines: one for a number, one per element for a vector.
fn columns_of(batches: &[RecordBatch], name: &str) -> Result<Vec<Line>> {
    let first = batches.iter().find_map(|b| b.column_by_name(name).cloned());
    let Some(first) = first else {
        return Ok(Vec::new());
    };
    let width = match first.data_type() {
        DataType::FixedSizeList(_, n) => *n as usize,
        DataType::List(_) => first.as_list::<i32>().iter().flatten().map(|a| a.len()).max().unwrap_or(0),
        _ => {
            return Ok(vec![Line {
                values: floats(batches, name)?,
                len_hint: 1,
            }]);
        }
    };
    let mut lines: Vec<Line> = (0..width)
        .map(|_| Line {
            values: Vec::new(),
            len_hint: width,
        })
        .collect();
    for b in batches {
        let Some(col) = b.column_by_name(name) else { continue };
        for r in 0..col.len() {
            let row = match col.data_type() {
                DataType::FixedSizeList(_, _) => col.as_fixed_size_list().value(r),
                _ => col.as_list::<i32>().value(r),
            };
            let row = cast(&row, &DataType::Float64)?;
            let row = row.as_primitive::<Float64Type>();
            for (i, line) in lines.iter_mut().enumerate() {
                line.values.push(
                    (i < row.len() && row.is_valid(i) && !col.is_null(r)).then(|| row.value(i)),
                );
            }
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_by_prefix() {
        assert_eq!(group_of("state_kLeftElbow"), ("state".into(), "kLeftElbow".into()));
        assert_eq!(group_of("action"), ("action".into(), "action".into()));
    }
}
