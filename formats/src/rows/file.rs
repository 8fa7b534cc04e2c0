//! A file of records (JSONL, CSV, Parquet) as a format.
//!
//! JSONL and CSV are read twice: once to check every record and infer types over all of them (so a first run of
//! nulls cannot freeze a column), then again to build batches. Memory stays bounded by the batch size.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{Field, Schema, SchemaRef};
use serde_json::{Map, Value};

use lakefeed_core::arrow;
use lakefeed_core::columns::BATCH_ROWS;
use lakefeed_core::infer::{Inference, build_array, resolve};
use lakefeed_core::{Batches, Error, Format, Hints, IngestContext, LogicalType, Result};

/// A file of records: `.jsonl`/`.ndjson`/`.json` (one object per line), `.csv` (header row), or `.parquet`.
#[derive(Debug)]
pub struct RowsFile {
    path: PathBuf,
    kind: RowsKind,
    schema: SchemaRef,
    rows: u64,
}

#[derive(Debug, Clone, Copy)]
enum RowsKind {
    Jsonl,
    Csv,
    Parquet,
}

impl RowsFile {
    /// Opens and checks `path`, inferring its schema (hints win). Every record is read once here, so a
    /// malformed line is an error before any row is written.
    pub fn open(path: impl AsRef<Path>, hints: &Hints) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        if !path.is_file() {
            return Err(Error::FileNotFound { path });
        }
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let kind = match ext.as_str() {
            "jsonl" | "ndjson" | "json" => RowsKind::Jsonl,
            "csv" => RowsKind::Csv,
            "parquet" | "pq" => RowsKind::Parquet,
            other => {
                return Err(Error::bad_source(
                    &path,
                    format!("unknown record file type '.{other}': use .jsonl, .csv or .parquet"),
                ));
            }
        };
        let (schema, rows) = match kind {
            RowsKind::Jsonl => scan_records(&path, hints, jsonl_records(&path)?)?,
            RowsKind::Csv => scan_records(&path, hints, csv_records(&path)?)?,
            RowsKind::Parquet => {
                let b = parquet_builder(&path)?;
                let rows = b.metadata().file_metadata().num_rows() as u64;
                (b.schema().clone(), rows)
            }
        };
        Ok(Self {
            path,
            kind,
            schema,
            rows,
        })
    }
}

impl Format for RowsFile {
    fn schema(&self) -> Option<SchemaRef> {
        Some(self.schema.clone())
    }

    fn estimated_rows(&self) -> Option<u64> {
        Some(self.rows)
    }

    fn normalize(self: Box<Self>, _ctx: &IngestContext) -> Result<Batches> {
        let schema = self.schema.clone();
        match self.kind {
            RowsKind::Jsonl => Ok(batch_records(schema, jsonl_records(&self.path)?)),
            RowsKind::Csv => Ok(batch_records(schema, csv_records(&self.path)?)),
            RowsKind::Parquet => {
                let path = self.path.clone();
                let reader = parquet_builder(&self.path)?
                    .with_batch_size(BATCH_ROWS)
                    .build()
                    .map_err(|e| Error::bad_source(&path, e))?;
                Ok(Box::new(
                    reader.map(move |r| r.map_err(|e| Error::bad_source(&path, e))),
                ))
            }
        }
    }
}

type Records = Box<dyn Iterator<Item = Result<Map<String, Value>>> + Send>;

fn jsonl_records(path: &Path) -> Result<Records> {
    let file = File::open(path).map_err(|e| Error::from_io(path, &e))?;
    let path = path.to_path_buf();
    let lines = BufReader::new(file).lines().enumerate();
    Ok(Box::new(lines.filter_map(move |(i, line)| {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                return Some(Err(Error::bad_source(
                    &path,
                    format!("line {}: {e}", i + 1),
                )));
            }
        };
        if line.trim().is_empty() {
            return None;
        }
        Some(match serde_json::from_str::<Value>(&line) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(other) => Err(Error::bad_source(
                &path,
                format!(
                    "line {}: expected a JSON object, found {}",
                    i + 1,
                    kind_of(&other)
                ),
            )),
            Err(e) => Err(Error::bad_source(
                &path,
                format!("line {}, column {}: {e}", i + 1, e.column()),
            )),
        })
    })))
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// CSV cells become JSON values: integers, floats and booleans when they read as such, empty cells null.
fn csv_records(path: &Path) -> Result<Records> {
    let file = File::open(path).map_err(|e| Error::from_io(path, &e))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(BufReader::new(file));
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| Error::bad_source(path, e))?
        .iter()
        .map(str::to_string)
        .collect();
    let path = path.to_path_buf();
    Ok(Box::new(reader.into_records().map(move |rec| {
        let rec = rec.map_err(|e| Error::bad_source(&path, e))?;
        Ok(headers
            .iter()
            .zip(rec.iter())
            .map(|(h, cell)| (h.clone(), csv_cell(cell)))
            .collect())
    })))
}

fn csv_cell(cell: &str) -> Value {
    let t = cell.trim();
    if t.is_empty() {
        Value::Null
    } else if let Ok(i) = t.parse::<i64>() {
        Value::from(i)
    } else if let Some(f) = t.parse::<f64>().ok().filter(|f| f.is_finite()) {
        Value::from(f)
    } else if t.eq_ignore_ascii_case("true") || t.eq_ignore_ascii_case("false") {
        Value::Bool(t.eq_ignore_ascii_case("true"))
    } else {
        Value::String(cell.to_string())
    }
}

/// Reads every record once: checks it and infers column types. Returns the schema and the row count.
fn scan_records(path: &Path, hints: &Hints, records: Records) -> Result<(SchemaRef, u64)> {
    let mut names: Vec<String> = Vec::new();
    let mut infs: Vec<Inference> = Vec::new();
    let mut rows = 0u64;
    for (row, rec) in records.enumerate() {
        for (k, v) in rec? {
            let i = match names.iter().position(|n| *n == k) {
                Some(i) => i,
                None => {
                    names.push(k.clone());
                    infs.push(Inference::default());
                    names.len() - 1
                }
            };
            infs[i]
                .observe(&k, row, &v)
                .map_err(|e| Error::bad_source(path, e))?;
        }
        rows += 1;
    }
    if rows == 0 {
        return Err(Error::bad_source(path, "no records"));
    }
    let fields: Vec<Field> = names
        .iter()
        .zip(&infs)
        .map(|(n, inf)| resolve(n, hints.get(n).copied(), inf).map(|(t, dt)| t.field(n, dt)))
        .collect::<Result<_>>()?;
    Ok((Arc::new(Schema::new(fields)), rows))
}

fn batch_records(schema: SchemaRef, records: Records) -> Batches {
    let mut records = records.peekable();
    let mut first_row = 0usize;
    Box::new(std::iter::from_fn(move || {
        records.peek()?;
        let chunk: Result<Vec<Map<String, Value>>> = records.by_ref().take(BATCH_ROWS).collect();
        let out = chunk.and_then(|chunk| {
            let cols = schema
                .fields()
                .iter()
                .map(|f| {
                    let vals: Vec<&Value> = chunk
                        .iter()
                        .map(|r| r.get(f.name()).unwrap_or(&Value::Null))
                        .collect();
                    let t = LogicalType::of_field(f).unwrap_or(LogicalType::Text);
                    build_array(f.name(), t, f.data_type(), &vals, first_row)
                })
                .collect::<Result<Vec<_>>>()?;
            first_row += chunk.len();
            Ok(RecordBatch::try_new(schema.clone(), cols)?)
        });
        Some(out)
    }))
}

fn parquet_builder(
    path: &Path,
) -> Result<parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder<File>> {
    let file = File::open(path).map_err(|e| Error::from_io(path, &e))?;
    parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| Error::bad_source(path, e))
}
