//! `lerobot-frames`: one row per frame, streamed from the dataset's data parquet files (the `parquet` crate's
//! Arrow reader, whole columns at a time). Vector features are unpacked into one FLOAT column per element,
//! named `{short}_{name}` from the feature's `names` (`observation.state` → `state_x`, …), or kept whole.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;

use lakefeed_core::arrow::array::{
    Array, ArrayRef, AsArray, Float32Array, RecordBatch, StringBuilder,
};
use lakefeed_core::arrow::compute::cast;
use lakefeed_core::arrow::datatypes::{DataType, Field, Int64Type, Schema, SchemaRef};
use lakefeed_core::inputs::{DoneSet, file_input, retain_flagged, still_to_do};
use lakefeed_core::{
    Batches, Error, Format, IngestContext, Input, LogicalType, Result, column_name,
};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::info::Dataset;
use super::layout::{DataFile, Gaps, Present};
use crate::ordered::{Job, Msg, Ordered, Rebatch, Sink};

/// Rows read from a data file at a time.
const READ_ROWS: usize = 8192;
/// Rows of small data files gathered into one batch (fewer, larger batches through the pipeline).
const BATCH_ROWS: usize = 32_768;
/// Bytes gathered into one batch at most.
const BATCH_BYTES: usize = 16 << 20;
/// Bytes of a file's rows held back before they are passed on (a file failing within them is skipped whole).
const HOLD_BYTES: usize = 32 << 20;

/// The frames of a dataset's selected data files.
#[derive(Debug)]
pub struct Frames {
    dataset: Dataset,
    files: Vec<DataFile>,
    /// Where the metadata and the files disagree (missing files are reported as skipped: the files win).
    gaps: Gaps,
    /// Episodes to keep (all when `None`).
    episodes: Option<BTreeSet<i64>>,
    keep_vectors: bool,
    /// Identifies the dataset in row ids: a digest of its info.json.
    dataset_id: String,
    schema: Option<SchemaRef>,
    keys: Vec<Option<String>>,
}

impl Frames {
    /// Frames of the present data files, keeping only `episodes` when given; vectors unpacked unless
    /// `keep_vectors`.
    pub fn new(
        dataset: Dataset,
        present: Present,
        episodes: Option<BTreeSet<i64>>,
        keep_vectors: bool,
    ) -> Result<Self> {
        let dataset_id = dataset_id(&dataset)?;
        let gaps = present.gaps();
        let files = present.files;
        let schema = match files.first() {
            Some(f) => Some(output_schema(
                &dataset,
                read_schema(&f.path)?.as_ref(),
                keep_vectors,
            )?),
            None => None,
        };
        let keys = vec![None; files.len()];
        Ok(Self {
            dataset,
            files,
            gaps,
            episodes,
            keep_vectors,
            dataset_id,
            schema,
            keys,
        })
    }
}

/// Identifies a dataset in row ids: 16 hex digits of a digest of its info.json.
pub(super) fn dataset_id(dataset: &Dataset) -> Result<String> {
    let path = dataset.path("meta/info.json");
    let bytes = std::fs::read(&path).map_err(|e| Error::from_io(&path, &e))?;
    Ok(blake3::hash(&bytes).to_hex()[..16].to_string())
}

fn read_schema(path: &PathBuf) -> Result<SchemaRef> {
    let file = File::open(path).map_err(|e| Error::from_io(path, &e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| Error::bad_source(path, e.to_string()))?;
    Ok(builder.schema().clone())
}

/// The names of a vector feature's elements: `names` as a flat list, a nested list, or a dict of lists.
fn element_names(feature: Option<&serde_json::Value>, len: usize) -> Vec<String> {
    let mut names = Vec::new();
    fn collect(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(items) => items.iter().for_each(|i| collect(i, out)),
            serde_json::Value::Object(map) => map.values().for_each(|i| collect(i, out)),
            _ => {}
        }
    }
    if let Some(n) = feature.and_then(|f| f.get("names")) {
        collect(n, &mut names);
    }
    if names.len() == len {
        names.iter().map(|n| column_name(n)).collect()
    } else {
        (0..len).map(|i| i.to_string()).collect()
    }
}

/// `observation.state` → `state`.
fn short(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// The length of a vector column (fixed-size lists declare it; variable lists take the feature's shape).
fn vector_len(dataset: &Dataset, name: &str, dt: &DataType) -> Option<usize> {
    match dt {
        DataType::FixedSizeList(_, n) => Some(*n as usize),
        DataType::List(_) | DataType::LargeList(_) => dataset
            .info
            .features
            .get(name)
            .and_then(|f| f.get("shape"))
            .and_then(|s| s.get(0))
            .and_then(serde_json::Value::as_u64)
            .map(|n| n as usize),
        _ => None,
    }
}

/// The table's columns: `id`, then every data column, vectors unpacked into FLOAT columns (or kept as
/// EMBEDDING-typed fixed-size lists).
fn output_schema(dataset: &Dataset, data: &Schema, keep_vectors: bool) -> Result<SchemaRef> {
    let mut fields = vec![LogicalType::Text.field("id", DataType::Utf8)];
    for f in data.fields() {
        match vector_len(dataset, f.name(), f.data_type()) {
            Some(n) if keep_vectors => fields.push(LogicalType::Embedding(Some(n as i32)).field(
                &column_name(f.name()),
                lakefeed_core::types::vector_type(n as i32),
            )),
            Some(n) => {
                let names = element_names(dataset.info.features.get(f.name()), n);
                for e in names {
                    fields.push(Field::new(
                        format!("{}_{e}", short(f.name())),
                        DataType::Float32,
                        true,
                    ));
                }
            }
            // `next.done` → `next_done`: table columns cannot hold dots.
            None => fields.push(
                f.as_ref()
                    .clone()
                    .with_name(column_name(f.name()))
                    .with_nullable(true),
            ),
        }
    }
    Ok(Arc::new(Schema::new(fields)))
}

impl Frames {
    /// One data batch as table rows.
    fn convert(&self, schema: &SchemaRef, batch: &RecordBatch) -> Result<Option<RecordBatch>> {
        let batch = match &self.episodes {
            Some(keep) => {
                let ep = episode_column(batch)?;
                let mask: lakefeed_core::arrow::array::BooleanArray = ep
                    .iter()
                    .map(|e| Some(e.is_some_and(|e| keep.contains(&e))))
                    .collect();
                lakefeed_core::arrow::compute::filter_record_batch(batch, &mask)?
            }
            None => batch.clone(),
        };
        if batch.num_rows() == 0 {
            return Ok(None);
        }
        let ep = episode_column(&batch)?;
        let frame = batch
            .column_by_name("frame_index")
            .and_then(|c| c.as_primitive_opt::<Int64Type>());
        let mut ids = StringBuilder::with_capacity(batch.num_rows(), batch.num_rows() * 32);
        for i in 0..batch.num_rows() {
            let f = frame.map_or(i as i64, |f| f.value(i));
            // `{dataset}_{episode}_{frame}`: deterministic, unique in the dataset, cheap to make.
            let _ = write!(ids, "{}_{}_{f}", self.dataset_id, ep.value(i));
            ids.append_value("");
        }
        let ids = ids.finish();
        let mut cols: Vec<ArrayRef> = vec![Arc::new(ids)];
        for f in batch.schema().fields() {
            let col = batch.column_by_name(f.name()).cloned().unwrap_or_else(|| {
                lakefeed_core::arrow::array::new_null_array(f.data_type(), batch.num_rows())
            });
            match vector_len(&self.dataset, f.name(), f.data_type()) {
                Some(n) if self.keep_vectors => {
                    cols.push(cast(&col, &lakefeed_core::types::vector_type(n as i32))?)
                }
                Some(n) => cols.extend(unpack(&col, n, f.name())?),
                None => cols.push(col),
            }
        }
        let out = RecordBatch::try_new(schema.clone(), cols).map_err(|e| {
            Error::bad_source(
                self.dataset.dir.clone(),
                format!("data files disagree on columns: {e}"),
            )
        })?;
        Ok(Some(out))
    }
}

fn episode_column(batch: &RecordBatch) -> Result<&lakefeed_core::arrow::array::Int64Array> {
    batch
        .column_by_name("episode_index")
        .and_then(|c| c.as_primitive_opt::<Int64Type>())
        .ok_or_else(|| {
            Error::Ingest("a LeRobot data file has no INT64 episode_index column".into())
        })
}

/// A list column of `n` numbers per row as `n` FLOAT columns (a row of another length is an error naming it).
fn unpack(col: &ArrayRef, n: usize, name: &str) -> Result<Vec<ArrayRef>> {
    let (values, offsets): (ArrayRef, Vec<usize>) = match col.data_type() {
        DataType::FixedSizeList(..) => {
            let l = col.as_fixed_size_list();
            (
                l.values().clone(),
                (0..=l.len()).map(|i| i * n + l.offset() * n).collect(),
            )
        }
        DataType::List(_) => {
            let l = col.as_list::<i32>();
            (
                l.values().clone(),
                l.value_offsets().iter().map(|o| *o as usize).collect(),
            )
        }
        DataType::LargeList(_) => {
            let l = col.as_list::<i64>();
            (
                l.values().clone(),
                l.value_offsets().iter().map(|o| *o as usize).collect(),
            )
        }
        other => {
            return Err(Error::Ingest(format!(
                "feature '{name}' is {other}, not a vector"
            )));
        }
    };
    let values = cast(&values, &DataType::Float32)?;
    let values = values.as_primitive::<lakefeed_core::arrow::datatypes::Float32Type>();
    let rows = offsets.len() - 1;
    for r in (0..rows).filter(|r| col.is_valid(*r)) {
        let got = offsets[r + 1] - offsets[r];
        if got != n {
            return Err(Error::Ingest(format!(
                "feature '{name}' has {got} values in a row; info.json says {n}"
            )));
        }
    }
    let v = values.values();
    let starts = &offsets[..rows];
    let columns = (0..n).map(|k| -> ArrayRef {
        if col.null_count() == 0 && values.null_count() == 0 {
            Arc::new(Float32Array::from_iter_values(
                starts.iter().map(|s| v[s + k]),
            ))
        } else {
            Arc::new(Float32Array::from_iter((0..rows).map(|r| {
                let at = starts[r] + k;
                (col.is_valid(r) && values.is_valid(at)).then(|| v[at])
            })))
        }
    });
    Ok(columns.collect())
}

impl Format for Frames {
    fn schema(&self) -> Option<SchemaRef> {
        self.schema.clone()
    }

    /// Row ids are deterministic (dataset, episode, frame).
    fn key(&self) -> Vec<String> {
        vec!["id".to_string()]
    }

    /// Each id is made once per run.
    fn keys_unique(&self) -> bool {
        true
    }

    /// One input per data file: its path, size and time, and the options that shape its rows.
    fn inputs(&mut self) -> Result<Vec<Input>> {
        let shaping = (
            self.keep_vectors,
            self.episodes.clone(),
            self.dataset_id.clone(),
        );
        let mut out = Vec::new();
        for (f, key) in self.files.iter().zip(self.keys.iter_mut()) {
            let input = file_input(&f.path, &shaping);
            *key = Some(input.key.clone());
            out.push(input);
        }
        Ok(out)
    }

    fn skip_inputs(&mut self, done: &DoneSet) {
        let keep = still_to_do(&self.keys, done);
        retain_flagged(&mut self.files, &keep);
        retain_flagged(&mut self.keys, &keep);
    }

    /// Data files are read in parallel (a few at a time, one thread each) and their rows come out in file order;
    /// a file that cannot be read is skipped with its reason.
    fn normalize(self: Box<Self>, ctx: &IngestContext) -> Result<Batches> {
        self.gaps.report(ctx, "");
        let Some(schema) = self.schema.clone() else {
            return Ok(Box::new(std::iter::empty()));
        };
        let me = Arc::new(*self);
        let jobs: Vec<(PathBuf, Option<String>, Job)> = me
            .files
            .iter()
            .zip(&me.keys)
            .map(|(f, key)| {
                let (me, schema, path) = (me.clone(), schema.clone(), f.path.clone());
                let job: Job = Box::new(move |sink: &Sink| me.read_file(&path, &schema, sink));
                (f.path.clone(), key.clone(), job)
            })
            .collect();
        let window = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .max(2);
        let parts = Ordered::new(jobs, window, HOLD_BYTES, schema.clone(), ctx.clone());
        Ok(Box::new(Rebatch::new(
            parts,
            schema,
            BATCH_ROWS,
            BATCH_BYTES,
        )))
    }
}

impl Frames {
    /// Sends one data file's rows as parts, or the reason it cannot be read.
    fn read_file(&self, path: &std::path::Path, schema: &SchemaRef, sink: &Sink) {
        let reader = File::open(path).map_err(|e| e.to_string()).and_then(|h| {
            ParquetRecordBatchReaderBuilder::try_new(h)
                .and_then(|b| b.with_batch_size(READ_ROWS).build())
                .map_err(|e| format!("unreadable parquet: {e}"))
        });
        let reader = match reader {
            Ok(r) => r,
            Err(e) => {
                let _ = sink.send(Msg::Skip(e));
                return;
            }
        };
        for batch in reader {
            let rows = batch
                .map_err(|e| format!("unreadable parquet: {e}"))
                .and_then(|b| self.convert(schema, &b).map_err(|e| e.to_string()));
            match rows {
                Ok(Some(rows)) => {
                    if sink.send(Msg::Part(rows)).is_err() {
                        return;
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    let _ = sink.send(Msg::Skip(e));
                    return;
                }
            }
        }
    }
}
