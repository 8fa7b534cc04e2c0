//! `lerobot-tasks`: one row per task (`task_index`, `task`), from `meta/tasks.jsonl` (v2) or
//! `meta/tasks.parquet` (v3, a pandas frame whose index holds the task text).

use std::fs::File;
use std::sync::Arc;

use lakefeed_core::arrow::array::{Array, ArrayRef, AsArray, Int64Array, RecordBatch, StringArray};
use lakefeed_core::arrow::datatypes::{DataType, Int64Type, Schema, SchemaRef};
use lakefeed_core::{Batches, Error, Format, IngestContext, LogicalType, Result};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::Deserialize;

use super::info::{Dataset, Layout};
use crate::source_files::load_jsonl;

/// The tasks table's columns.
pub fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        LogicalType::Int64.field("task_index", DataType::Int64),
        LogicalType::Text.field("task", DataType::Utf8),
    ]))
}

/// A dataset's tasks, read when the format is built (they are few).
#[derive(Debug)]
pub struct Tasks {
    tasks: Vec<(i64, String)>,
}

impl Tasks {
    /// Reads the tasks of `dataset`.
    pub fn read(dataset: &Dataset) -> Result<Self> {
        let tasks = match dataset.layout {
            Layout::V2 => read_jsonl(dataset)?,
            Layout::V3 => read_parquet(dataset)?,
        };
        Ok(Self { tasks })
    }
}

#[derive(Deserialize)]
struct TaskLine {
    task_index: i64,
    task: String,
}

fn read_jsonl(dataset: &Dataset) -> Result<Vec<(i64, String)>> {
    let lines: Vec<TaskLine> = load_jsonl(&dataset.path("meta/tasks.jsonl"))?;
    let mut out: Vec<(i64, String)> = lines.into_iter().map(|t| (t.task_index, t.task)).collect();
    out.sort_by_key(|(i, _)| *i);
    Ok(out)
}

/// v3's tasks.parquet: `task_index` and the task text, in a column named `task` or pandas' index column.
fn read_parquet(dataset: &Dataset) -> Result<Vec<(i64, String)>> {
    let path = dataset.path("meta/tasks.parquet");
    let file = File::open(&path).map_err(|e| Error::from_io(&path, &e))?;
    let bad = |why: String| Error::bad_source(&path, why);
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| bad(e.to_string()))?;
    let mut out = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| bad(e.to_string()))?;
        let index = batch
            .column_by_name("task_index")
            .and_then(|c| c.as_primitive_opt::<Int64Type>())
            .ok_or_else(|| bad("no INT64 column task_index".into()))?;
        let text =
            text_column(&batch).ok_or_else(|| bad("no text column holding the tasks".into()))?;
        for i in 0..batch.num_rows() {
            if index.is_valid(i) && text.is_valid(i) {
                out.push((index.value(i), text.value(i).to_string()));
            }
        }
    }
    out.sort_by_key(|(i, _)| *i);
    Ok(out)
}

/// The column holding the task text: `task` when present, else the first text column (pandas writes its index
/// as `__index_level_0__`).
fn text_column(batch: &RecordBatch) -> Option<&lakefeed_core::arrow::array::StringArray> {
    if let Some(c) = batch
        .column_by_name("task")
        .and_then(|c| c.as_string_opt::<i32>())
    {
        return Some(c);
    }
    batch
        .columns()
        .iter()
        .find_map(|c| c.as_string_opt::<i32>())
}

impl Format for Tasks {
    fn schema(&self) -> Option<SchemaRef> {
        Some(schema())
    }

    /// One row per task: re-runs are keyed by its index.
    fn key(&self) -> Vec<String> {
        vec!["task_index".to_string()]
    }

    fn estimated_rows(&self) -> Option<u64> {
        Some(self.tasks.len() as u64)
    }

    fn normalize(self: Box<Self>, _ctx: &IngestContext) -> Result<Batches> {
        if self.tasks.is_empty() {
            return Ok(Box::new(std::iter::empty()));
        }
        let cols: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from_iter_values(
                self.tasks.iter().map(|(i, _)| *i),
            )),
            Arc::new(StringArray::from_iter_values(
                self.tasks.iter().map(|(_, t)| t),
            )),
        ];
        let batch = RecordBatch::try_new(schema(), cols)?;
        Ok(Box::new(std::iter::once(Ok(batch))))
    }
}
