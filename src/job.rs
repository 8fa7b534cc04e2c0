//! One ingest, assembled in one place: a source, the options (hints, index, write mode, stages) and
//! where relative paths start. The CLI (`--rows`, `--format`, paths), manifests and [`crate::Client::ingest`]
//! all build an [`IngestJob`] and run it into a [`Store`], so a hint or an option means the same thing
//! whichever way it was given.

use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::RecordBatch;
use lakefeed_core::{
    Columns, Format, FormatEnv, InMemory, Result, ResultExt, RunReport, SideStage, Staged,
    build_format,
};
use serde::Serialize;
use serde_json::Value;

use crate::blocking::Store;
use crate::options::IngestOptions;
use crate::stages::default_stages;

/// What to ingest.
pub enum IngestData {
    /// Named columns of equal length; types inferred or hinted.
    Columns(Vec<(String, Vec<Value>)>),
    /// Arrow batches sharing one schema.
    Batches(Vec<RecordBatch>),
    /// A registered format by name, with its options (a JSON object).
    Format {
        /// The format's registered name.
        name: String,
        /// Its options.
        options: Value,
    },
    /// A format the caller built itself.
    Built(Box<dyn Format>),
}

impl std::fmt::Debug for IngestData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Columns(c) => f.debug_tuple("Columns").field(&c.len()).finish(),
            Self::Batches(b) => f.debug_tuple("Batches").field(&b.len()).finish(),
            Self::Format { name, options } => f
                .debug_struct("Format")
                .field("name", name)
                .field("options", options)
                .finish(),
            Self::Built(_) => f.write_str("Built(..)"),
        }
    }
}

impl IngestData {
    /// The rows of a JSONL, CSV or Parquet file (the `rows` format).
    pub fn rows_file(path: impl Into<PathBuf>) -> Self {
        Self::Format {
            name: "rows".into(),
            options: serde_json::json!({ "path": path.into() }),
        }
    }

    /// A HuggingFace dataset (a local directory or a Hub id): the `huggingface` format with `name`.
    pub fn huggingface(name: impl Into<String>) -> Self {
        Self::Format {
            name: "huggingface".into(),
            options: serde_json::json!({ "name": name.into() }),
        }
    }

    /// The seed's `data` dict: `{"_huggingface": "name"}` reads that dataset; otherwise each key is a column
    /// and its value the column's values.
    pub fn from_dict(data: Value) -> Result<Self> {
        let Value::Object(map) = data else {
            return Err(lakefeed_core::Error::Ingest(format!(
                "data must be a dict, got {}",
                json_kind(&data)
            )));
        };
        if map.is_empty() {
            return Err(lakefeed_core::Error::Ingest(
                "data must not be empty".into(),
            ));
        }
        if let Some(v) = map.get("_huggingface") {
            return match v {
                Value::String(name) => Ok(Self::huggingface(name.clone())),
                other => Err(lakefeed_core::Error::Ingest(format!(
                    "_huggingface value must be a string, got {}",
                    json_kind(other)
                ))),
            };
        }
        let cols = map
            .into_iter()
            .map(|(k, v)| match v {
                Value::Array(values) => Ok((k, values)),
                other => Err(lakefeed_core::Error::Ingest(format!(
                    "column '{k}' must be a list of values, got {}",
                    json_kind(&other)
                ))),
            })
            .collect::<Result<_>>()?;
        Ok(Self::Columns(cols))
    }

    /// Files, directories and globs by kind (the `files` format).
    pub fn files<S: AsRef<str>>(paths: impl IntoIterator<Item = S>) -> Self {
        let paths: Vec<String> = paths.into_iter().map(|p| p.as_ref().to_string()).collect();
        Self::Format {
            name: "files".into(),
            options: serde_json::json!({ "paths": paths }),
        }
    }
}

/// A JSON value's kind, as the seed's messages name Python types.
fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "None",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// What an ingest returns, as the seed does, plus the run report.
#[derive(Debug, Clone, Serialize)]
pub struct IngestResult {
    /// The table written.
    pub table_name: String,
    /// Rows written to it by this ingest.
    pub row_count: u64,
    /// Where the table lives.
    pub dataset_path: String,
    /// The full run report.
    pub report: RunReport,
}

/// One ingest: a table, a source, options, the base directory and the side stages.
pub struct IngestJob {
    table: String,
    data: IngestData,
    options: IngestOptions,
    base_dir: Option<PathBuf>,
    stages: Option<Vec<Arc<dyn SideStage>>>,
    context: Option<String>,
}

impl std::fmt::Debug for IngestJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IngestJob")
            .field("table", &self.table)
            .field("data", &self.data)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl IngestJob {
    /// Ingests `data` into `table` with default options.
    pub fn new(table: impl Into<String>, data: IngestData) -> Self {
        Self {
            table: table.into(),
            data,
            options: IngestOptions::default(),
            base_dir: None,
            stages: None,
            context: None,
        }
    }

    /// With these options (hints, index, mode, commit sizes, progress, thumbnails).
    pub fn options(mut self, options: IngestOptions) -> Self {
        self.options = options;
        self
    }

    /// Resolves relative paths in the format's options against `dir` (default: the working directory).
    pub fn base_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.base_dir = Some(dir.into());
        self
    }

    /// Runs these side stages instead of the default ones (thumbnails when `options.thumbnails`).
    pub fn stages(mut self, stages: Vec<Arc<dyn SideStage>>) -> Self {
        self.stages = Some(stages);
        self
    }

    /// Where this job comes from (e.g. `"m.yaml:7: table 'docs'"`), added to its errors.
    pub fn context(mut self, context: impl Into<String>) -> Self {
        self.context = Some(context.into());
        self
    }

    /// The table written.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The job's options.
    pub fn ingest_options(&self) -> &IngestOptions {
        &self.options
    }

    /// The built format's row estimate (after [`IngestJob::build`]), for progress bars.
    pub fn estimated_rows(&self) -> Option<u64> {
        match &self.data {
            IngestData::Built(f) => f.estimated_rows(),
            _ => None,
        }
    }

    /// The job's options, to change (e.g. to attach a progress bar).
    pub fn ingest_options_mut(&mut self) -> &mut IngestOptions {
        &mut self.options
    }

    fn env(&self) -> FormatEnv {
        let env = match &self.base_dir {
            Some(d) => FormatEnv::new(d),
            None => FormatEnv::default(),
        };
        env.with_hints(self.options.schema.clone())
    }

    fn located<T>(&self, r: Result<T>) -> Result<T> {
        match &self.context {
            Some(c) => r.context(c.clone()),
            None => r,
        }
    }

    /// Builds the job's format without running it: checks options, hints and that sources exist. A format named
    /// with options stays in the job after an error (fix the files and build again); column data and batches are
    /// consumed either way.
    pub fn build(&mut self) -> Result<()> {
        let format = self.take_format()?;
        self.data = IngestData::Built(format);
        Ok(())
    }

    /// The job's format, built now unless it was already.
    fn take_format(&mut self) -> Result<Box<dyn Format>> {
        if let IngestData::Format { name, options } = &self.data {
            let built = build_format(name, options.clone(), &self.env());
            return self.located(built);
        }
        let data = std::mem::replace(&mut self.data, IngestData::Batches(Vec::new()));
        let format = self.make_format(data);
        self.located(format)
    }

    fn make_format(&self, data: IngestData) -> Result<Box<dyn Format>> {
        Ok(match data {
            IngestData::Columns(cols) => Box::new(Columns::new(cols, &self.options.schema)?),
            IngestData::Batches(b) => Box::new(InMemory::new(b)?),
            IngestData::Format { name, options } => build_format(&name, options, &self.env())?,
            IngestData::Built(f) => f,
        })
    }

    /// Runs the job into `store`.
    pub fn run(self, store: &Store) -> Result<IngestResult> {
        self.run_staged(store).map(|(result, _)| result)
    }

    /// Runs the job into `store`; as a shard (`options.shard`) it stages its rows and returns the parts for
    /// [`crate::shard::commit`] (see [`crate::pipeline::run_staged`]).
    pub fn run_staged(mut self, store: &Store) -> Result<(IngestResult, Vec<Staged>)> {
        let format = self.take_format()?;
        let stages = self
            .stages
            .take()
            .unwrap_or_else(|| default_stages(self.options.thumbnails));
        let ran = crate::pipeline::run_staged(store, &self.table, format, &self.options, &stages);
        let (report, staged) = self.located(ran)?;
        let result = IngestResult {
            table_name: self.table.clone(),
            row_count: report.rows_in(&self.table),
            dataset_path: store.location(&self.table),
            report,
        };
        Ok((result, staged))
    }
}
