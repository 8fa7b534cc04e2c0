//! An example third-party lakefeed format, written only against `lakefeed-core`'s public API.
//!
//! `ndjson-stats` reads a directory of `.ndjson`/`.jsonl` log files and yields one row per file: its path,
//! size, line count, how many lines are not valid JSON, and the sorted set of top-level keys seen.
//!
//! To ship your own format, copy this crate: implement [`Format`], describe your options with serde +
//! schemars, and submit a [`FormatDescriptor`]. Link the crate into a binary with `use your_crate as _;` and
//! call `lakefeed::cli::main()`: `lakefeed formats`, `--format your-name` and manifests then see it.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::sync::Arc;

use lakefeed_core::arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use lakefeed_core::arrow::datatypes::{DataType, Schema, SchemaRef};
use lakefeed_core::{
    Batches, Error, Format, FormatDescriptor, FormatEnv, IngestContext, LogicalType, Result,
};
use schemars::JsonSchema;
use serde::Deserialize;

/// Options: where the files are, and how many rows per batch.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// Directory holding `.ndjson` / `.jsonl` files (not recursive).
    pub dir: String,
    /// Files per batch.
    #[serde(default = "default_batch")]
    pub batch_size: usize,
}

fn default_batch() -> usize {
    64
}

/// The format: the sorted list of files to read.
#[derive(Debug)]
pub struct NdjsonStats {
    files: Vec<PathBuf>,
    batch_size: usize,
}

impl NdjsonStats {
    /// Lists the directory; a missing directory is an error before any row.
    pub fn new(options: Options, env: &FormatEnv) -> Result<Self> {
        let dir = env.resolve(&options.dir);
        let entries = std::fs::read_dir(&dir).map_err(|e| Error::from_io(&dir, &e))?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                matches!(
                    p.extension().and_then(|e| e.to_str()),
                    Some("ndjson" | "jsonl")
                )
            })
            .collect();
        files.sort();
        Ok(Self {
            files,
            batch_size: options.batch_size.max(1),
        })
    }
}

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        LogicalType::Text.field("path", DataType::Utf8),
        LogicalType::Int64.field("bytes", DataType::Int64),
        LogicalType::Int64.field("lines", DataType::Int64),
        LogicalType::Int64.field("bad_lines", DataType::Int64),
        LogicalType::Json.field("keys", DataType::Utf8),
    ]))
}

struct FileStats {
    path: String,
    bytes: i64,
    lines: i64,
    bad: i64,
    keys: String,
}

fn stats(path: &PathBuf) -> std::io::Result<FileStats> {
    let bytes = std::fs::metadata(path)?.len() as i64;
    let (mut lines, mut bad, mut keys) = (0, 0, BTreeSet::new());
    for line in BufReader::new(std::fs::File::open(path)?).lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        lines += 1;
        match serde_json::from_str::<serde_json::Value>(&line) {
            Ok(serde_json::Value::Object(m)) => keys.extend(m.into_iter().map(|(k, _)| k)),
            _ => bad += 1,
        }
    }
    let keys = serde_json::to_string(&keys).unwrap_or_default();
    Ok(FileStats {
        path: path.display().to_string(),
        bytes,
        lines,
        bad,
        keys,
    })
}

impl Format for NdjsonStats {
    fn schema(&self) -> Option<SchemaRef> {
        Some(schema())
    }

    fn estimated_rows(&self) -> Option<u64> {
        Some(self.files.len() as u64)
    }

    fn normalize(self: Box<Self>, ctx: &IngestContext) -> Result<Batches> {
        let ctx = ctx.clone();
        let batch_size = self.batch_size;
        let mut files = self.files.into_iter();
        Ok(Box::new(std::iter::from_fn(move || {
            let mut rows = Vec::new();
            while rows.len() < batch_size {
                let Some(path) = files.next() else { break };
                match stats(&path) {
                    Ok(s) => rows.push(s),
                    Err(e) => ctx.skip(&path, e.to_string()),
                }
            }
            if rows.is_empty() {
                return None;
            }
            let cols: Vec<ArrayRef> = vec![
                Arc::new(StringArray::from_iter_values(
                    rows.iter().map(|r| r.path.as_str()),
                )),
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.bytes))),
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.lines))),
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.bad))),
                Arc::new(StringArray::from_iter_values(
                    rows.iter().map(|r| r.keys.as_str()),
                )),
            ];
            Some(RecordBatch::try_new(schema(), cols).map_err(Error::from))
        })))
    }
}

fn build(options: serde_json::Value, env: &FormatEnv) -> Result<Box<dyn Format>> {
    let o: Options = lakefeed_core::parse_options("ndjson-stats", options)?;
    Ok(Box::new(NdjsonStats::new(o, env)?))
}

lakefeed_core::inventory::submit! {
    FormatDescriptor {
        name: "ndjson-stats",
        description: "Example plugin: one row per NDJSON file with size, line counts and the keys seen.",
        example: r#"{"dir": "examples/logs"}"#,
        options_schema: lakefeed_core::options_schema::<Options>,
        build,
    }
}
