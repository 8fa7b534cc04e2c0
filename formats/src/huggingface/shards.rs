//! Reading one shard (parquet or Arrow IPC stream) as table rows, batch by batch.

use std::fs::File;
use std::io::BufReader;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use lakefeed_core::arrow::array::{ArrayRef, RecordBatch, StringArray, StringBuilder};
use lakefeed_core::arrow::datatypes::SchemaRef;
use lakefeed_core::arrow::ipc::reader::StreamReader;
use lakefeed_core::{Error, Result};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::features::Mapping;
use super::local::{Shard, ShardKind};
use crate::ordered::{Msg, Sink};

/// Rows read at a time.
const READ_ROWS: usize = 1024;

/// The Arrow schema of a shard (with its `huggingface` metadata).
pub fn schema_of(shard: &Shard) -> Result<SchemaRef> {
    let file = File::open(&shard.path).map_err(|e| Error::from_io(&shard.path, &e))?;
    match shard.kind {
        ShardKind::Parquet => ParquetRecordBatchReaderBuilder::try_new(file)
            .map(|b| b.schema().clone())
            .map_err(|e| Error::bad_source(&shard.path, format!("unreadable parquet: {e}"))),
        ShardKind::ArrowStream => StreamReader::try_new(BufReader::new(file), None)
            .map(|r| r.schema())
            .map_err(|e| Error::bad_source(&shard.path, format!("unreadable Arrow stream: {e}"))),
    }
}

/// What converting a shard's rows needs.
pub struct Reader<'a> {
    /// Identifies the dataset in row ids.
    pub dataset_id: &'a str,
    /// The selected source columns and how each is stored.
    pub mappings: &'a [(String, Mapping)],
    /// The table's columns.
    pub schema: &'a SchemaRef,
    /// Add the `split` column.
    pub with_split: bool,
    /// Rows still wanted (`max_rows`), shared by the shards.
    pub budget: Option<&'a AtomicU64>,
}

impl Reader<'_> {
    /// Sends the shard's rows as parts, or the reason it cannot be read.
    pub fn read(&self, shard: &Shard, sink: &Sink) {
        if let Err(e) = self.try_read(shard, sink) {
            let _ = sink.send(Msg::Skip(e));
        }
    }

    fn try_read(&self, shard: &Shard, sink: &Sink) -> std::result::Result<(), String> {
        let file = File::open(&shard.path).map_err(|e| format!("unreadable: {e}"))?;
        let batches: Box<dyn Iterator<Item = std::result::Result<RecordBatch, String>>> =
            match shard.kind {
                ShardKind::Parquet => {
                    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
                        .map_err(|e| format!("unreadable parquet: {e}"))?;
                    let names: Vec<&str> = self.mappings.iter().map(|(n, _)| n.as_str()).collect();
                    let roots: Vec<usize> = builder
                        .schema()
                        .fields()
                        .iter()
                        .enumerate()
                        .filter(|(_, f)| names.contains(&f.name().as_str()))
                        .map(|(i, _)| i)
                        .collect();
                    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
                    let reader = builder
                        .with_projection(mask)
                        .with_batch_size(READ_ROWS)
                        .build()
                        .map_err(|e| format!("unreadable parquet: {e}"))?;
                    Box::new(reader.map(|b| b.map_err(|e| format!("unreadable parquet: {e}"))))
                }
                ShardKind::ArrowStream => {
                    let reader = StreamReader::try_new(BufReader::new(file), None)
                        .map_err(|e| format!("unreadable Arrow stream: {e}"))?;
                    Box::new(reader.map(|b| b.map_err(|e| format!("unreadable Arrow stream: {e}"))))
                }
            };
        let mut row = 0usize;
        for batch in batches {
            let mut batch = batch?;
            if let Some(budget) = self.budget {
                let want = take_budget(budget, batch.num_rows() as u64) as usize;
                if want == 0 {
                    return Ok(());
                }
                batch = batch.slice(0, want);
            }
            let rows = self
                .convert(shard, row, &batch)
                .map_err(|e| e.to_string())?;
            row += batch.num_rows();
            if sink.send(Msg::Part(rows)).is_err() {
                return Ok(());
            }
        }
        Ok(())
    }

    /// A source batch (rows from `first` on in the shard) as table rows.
    fn convert(&self, shard: &Shard, first: usize, batch: &RecordBatch) -> Result<RecordBatch> {
        let n = batch.num_rows();
        let mut ids = StringBuilder::with_capacity(n, n * 32);
        for r in first..first + n {
            ids.append_value(format!(
                "{}_{}_{}_{r}",
                self.dataset_id, shard.split, shard.index
            ));
        }
        let mut cols: Vec<ArrayRef> = vec![Arc::new(ids.finish())];
        if self.with_split {
            cols.push(Arc::new(StringArray::from(vec![shard.split.as_str(); n])));
        }
        for (name, m) in self.mappings {
            let col = batch.column_by_name(name).ok_or_else(|| {
                Error::bad_source(
                    &shard.path,
                    format!("has no column '{name}' (shards disagree)"),
                )
            })?;
            cols.push(m.convert(col)?);
        }
        RecordBatch::try_new(self.schema.clone(), cols)
            .map_err(|e| Error::bad_source(&shard.path, format!("shards disagree on columns: {e}")))
    }
}

/// Takes up to `want` rows from the shared budget; returns how many were granted.
fn take_budget(budget: &AtomicU64, want: u64) -> u64 {
    let mut left = budget.load(Ordering::Relaxed);
    loop {
        let grant = left.min(want);
        match budget.compare_exchange(left, left - grant, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return grant,
            Err(now) => left = now,
        }
    }
}
