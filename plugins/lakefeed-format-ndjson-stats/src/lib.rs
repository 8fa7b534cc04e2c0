//! An example third-party lakefeed format, written only against `lakefeed-core`'s public API.
//!
//! `ndjson-stats` reads a directory of `.ndjson`/`.jsonl` log files and yields one row per file: its path,
//! size, line count, how many lines are not valid JSON, and the sorted set of top-level keys seen.
//!
//! To ship your own format, copy this crate: it depends on `lakefeed-core` alone. Implement [`Format`], describe
//! your options with serde + schemars (re-exported by `lakefeed-core`), and submit a [`FormatDescriptor`]. Link
//! the crate into a binary with `use your_crate as _;` and
//! call `lakefeed::cli::main()`: `lakefeed formats`, `--format your-name` and manifests then see it.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::sync::Arc;

use lakefeed_core::arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use lakefeed_core::arrow::datatypes::{DataType, Schema, SchemaRef};
use lakefeed_core::schemars::JsonSchema;
use lakefeed_core::serde::Deserialize;
use lakefeed_core::serde_json;
use lakefeed_core::{
    Batches, Error, Format, FormatDescriptor, FormatEnv, IngestContext, LogicalType, Result,
};

/// Options: where the files are, and how many rows per batch.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(crate = "lakefeed_core::serde", deny_unknown_fields)]
#[schemars(crate = "lakefeed_core::schemars")]
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

#[cfg(test)]
mod tests {
    //! The format as the engine drives it: found in the registry, built from options, normalized into batches.
    use lakefeed_core::arrow::array::AsArray;
    use lakefeed_core::arrow::datatypes::Int64Type;
    use lakefeed_core::{ErrorClass, IngestContext, build_format, find_format};

    use super::*;

    #[test]
    fn counts_lines_bad_lines_and_keys_per_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.ndjson"),
            "{\"x\": 1}\nnot json\n\n{\"y\": 2, \"x\": 3}\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("b.jsonl"), "{\"z\": null}\n").unwrap();
        std::fs::write(dir.path().join("c.txt"), "ignored").unwrap();
        let format = build_format(
            "ndjson-stats",
            serde_json::json!({"dir": dir.path(), "batch_size": 1}),
            &FormatEnv::default(),
        )
        .unwrap();
        assert_eq!(format.estimated_rows(), Some(2));
        let ctx = IngestContext::default();
        let batches: Vec<RecordBatch> = format
            .normalize(&ctx)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(batches.len(), 2, "one file per batch");
        let ints = |b: &RecordBatch, c: &str| {
            b.column_by_name(c)
                .unwrap()
                .as_primitive::<Int64Type>()
                .value(0)
        };
        let text = |b: &RecordBatch, c: &str| {
            b.column_by_name(c)
                .unwrap()
                .as_string::<i32>()
                .value(0)
                .to_string()
        };
        assert!(text(&batches[0], "path").ends_with("a.ndjson"));
        assert_eq!(
            (ints(&batches[0], "lines"), ints(&batches[0], "bad_lines")),
            (3, 1)
        );
        assert_eq!(text(&batches[0], "keys"), r#"["x","y"]"#);
        assert_eq!(
            (ints(&batches[1], "lines"), ints(&batches[1], "bad_lines")),
            (1, 0)
        );
        assert_eq!(
            LogicalType::of_field(batches[0].schema().field(4)),
            Some(LogicalType::Json)
        );
    }

    #[test]
    fn missing_dir_and_unknown_options_are_ingest_errors() {
        let e = build_format(
            "ndjson-stats",
            serde_json::json!({"dir": "/no/such/dir"}),
            &FormatEnv::default(),
        )
        .err()
        .unwrap();
        assert!(e.is_not_found() && e.class() == ErrorClass::Ingest, "{e}");
        let e = build_format(
            "ndjson-stats",
            serde_json::json!({"dri": "x"}),
            &FormatEnv::default(),
        )
        .err()
        .unwrap();
        assert!(e.to_string().contains("unknown field `dri`"), "{e}");
        assert!(!find_format("ndjson-stats").unwrap().description.is_empty());
    }
}
