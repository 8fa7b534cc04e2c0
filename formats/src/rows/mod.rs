//! `rows`: one row per record of a JSONL, CSV or Parquet file (column data from a file).

mod file;

use lakefeed_core::{FormatDescriptor, FormatEnv, Result, options_schema, parse_options};

pub use file::RowsFile;
use schemars::JsonSchema;
use serde::Deserialize;

/// Options of the `rows` format.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RowsOptions {
    /// The records file: `.jsonl`/`.ndjson` (one JSON object per line), `.csv` (header row) or `.parquet`.
    pub path: String,
}

fn build(options: serde_json::Value, env: &FormatEnv) -> Result<Box<dyn lakefeed_core::Format>> {
    let o: RowsOptions = parse_options("rows", options)?;
    Ok(Box::new(RowsFile::open(env.resolve(&o.path), &env.hints)?))
}

inventory::submit! {
    FormatDescriptor {
        name: "rows",
        description: "One row per record of a JSONL, CSV or Parquet file; column types inferred.",
        example: r#"{"path": "examples/rows.jsonl"}"#,
        options_schema: options_schema::<RowsOptions>,
        build,
    }
}
