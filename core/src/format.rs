//! The `Format` trait and the link-time format registry.
//!
//! A format turns a source into a stream of Arrow batches; it never writes. Formats are found through
//! [`FormatDescriptor`]s submitted with `inventory`, so a third-party crate registers one by linking in:
//!
//! ```ignore
//! lakefeed_core::inventory::submit! {
//!     lakefeed_core::FormatDescriptor {
//!         name: "my-format",
//!         description: "One line on what it reads.",
//!         example: r#"{"path": "data/"}"#,
//!         options_schema: lakefeed_core::options_schema::<MyOptions>,
//!         build: |opts, env| Ok(Box::new(MyFormat::new(lakefeed_core::parse_options("my-format", opts)?, env)?)),
//!     }
//! }
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{Schema, SchemaRef};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::report::Recorder;
use crate::schema::Hints;
use crate::types::LogicalType;
use crate::util::did_you_mean;

/// A stream of batches from [`Format::normalize`]. Pulled one batch at a time, so memory stays bounded.
pub type Batches = Box<dyn Iterator<Item = Result<RecordBatch>> + Send>;

/// Batches over `len` items taken `run` at a time: `build` gets each index range (typically mapping it in
/// parallel) and returns `None` when none of its items gave a row, so no empty batch is sent.
pub fn batches_in_runs(
    len: usize,
    run: usize,
    mut build: impl FnMut(std::ops::Range<usize>) -> Option<Result<RecordBatch>> + Send + 'static,
) -> Batches {
    let mut start = 0;
    let run = run.max(1);
    Box::new(std::iter::from_fn(move || {
        while start < len {
            let end = (start + run).min(len);
            let range = start..end;
            start = end;
            if let Some(batch) = build(range) {
                return Some(batch);
            }
        }
        None
    }))
}

/// A source of rows. `schema()` is asked before `normalize()`.
pub trait Format: Send {
    /// The Arrow schema of every batch, with domain types in field metadata. `None` lets the pipeline take the
    /// first batch's schema.
    fn schema(&self) -> Option<SchemaRef> {
        None
    }

    /// The IMAGE columns that get thumbnails. Default: every IMAGE column of `schema`.
    fn image_columns(&self, schema: &Schema) -> Vec<String> {
        image_columns_of(schema)
    }

    /// An estimate of the rows this source yields, for progress reporting.
    fn estimated_rows(&self) -> Option<u64> {
        None
    }

    /// The columns that identify a row (its id). A table written by a format with a key is keyed: a re-run does
    /// not write a row whose key is already there. Default: none (every row is written).
    fn key(&self) -> Vec<String> {
        Vec::new()
    }

    /// True when no two rows of one run share a [`Format::key`] (ids built from the source's structure, such as
    /// dataset + episode + frame). Keyed writes then skip remembering every key written, keeping memory flat on
    /// large sources. Default: false.
    fn keys_unique(&self) -> bool {
        false
    }

    /// The independent inputs this source reads (its files), each with a key, when a re-run may leave some out.
    /// A format that returns any must [`crate::inputs::mark_done`] the batch holding each input's last row.
    /// Default: none (the source is read whole every time).
    fn inputs(&mut self) -> Result<Vec<crate::Input>> {
        Ok(Vec::new())
    }

    /// Leaves out the inputs whose keys are in `done` (their rows are all committed); asked before `normalize`.
    fn skip_inputs(&mut self, _done: &crate::inputs::DoneSet) {}

    /// Starts producing batches. Skipped inputs (a missing file inside a multi-file source) are recorded through
    /// `ctx`; a source that cannot be read at all is an error here, before any batch.
    fn normalize(self: Box<Self>, ctx: &IngestContext) -> Result<Batches>;
}

/// The IMAGE columns of `schema`, in order.
pub fn image_columns_of(schema: &Schema) -> Vec<String> {
    schema
        .fields()
        .iter()
        .filter(|f| LogicalType::of_field(f) == Some(LogicalType::Image))
        .map(|f| f.name().clone())
        .collect()
}

/// What a format's factory gets besides its options: where relative paths start, and the user's type hints.
#[derive(Debug, Clone)]
pub struct FormatEnv {
    /// Directory that relative paths in the options are resolved against (the manifest's folder, or the CWD).
    pub base_dir: PathBuf,
    /// The user's column type hints (`schema:` in a manifest, `--schema` on the command line). A format that
    /// infers types uses them during inference (so BINARY reads `"\\x0aff"` as hex bytes); the pipeline applies them
    /// to every format's schema afterwards as well.
    pub hints: Hints,
}

impl FormatEnv {
    /// An environment resolving relative paths against `base_dir`, with no hints.
    pub fn new(base_dir: impl Into<PathBuf>) -> Self {
        Self {
            base_dir: base_dir.into(),
            hints: Hints::new(),
        }
    }

    /// The same environment with `hints`.
    pub fn with_hints(mut self, hints: Hints) -> Self {
        self.hints = hints;
        self
    }

    /// `path` resolved against the base directory.
    pub fn resolve(&self, path: impl AsRef<Path>) -> PathBuf {
        let p = path.as_ref();
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }
    }
}

impl Default for FormatEnv {
    fn default() -> Self {
        Self::new(std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")))
    }
}

/// Handed to [`Format::normalize`]: where skips and warnings go.
#[derive(Debug, Clone, Default)]
pub struct IngestContext {
    recorder: Arc<Recorder>,
}

impl IngestContext {
    /// A context recording into `recorder`.
    pub fn new(recorder: Arc<Recorder>) -> Self {
        Self { recorder }
    }

    /// Records that `path` was skipped, and why. Logged as a warning too.
    pub fn skip(&self, path: impl Into<PathBuf>, reason: impl Into<String>) {
        self.recorder.skip(path.into(), reason.into());
    }

    /// Records a warning that does not skip an input (e.g. a thumbnail that failed).
    pub fn warn(&self, message: impl Into<String>) {
        self.recorder.warn(message.into());
    }

    /// The recorder behind this context.
    pub fn recorder(&self) -> &Arc<Recorder> {
        &self.recorder
    }
}

/// A registered format: submitted with `inventory::submit!`, found by name.
#[derive(Debug)]
pub struct FormatDescriptor {
    /// Stable lower-case name, as written in manifests and `--format`.
    pub name: &'static str,
    /// One line on what the format reads.
    pub description: &'static str,
    /// Example options as JSON, shown by `lakefeed formats NAME` and built by the registry test.
    pub example: &'static str,
    /// The JSON Schema of the options.
    pub options_schema: fn() -> serde_json::Value,
    /// Builds the format from options (a JSON object) and the environment.
    pub build: fn(serde_json::Value, &FormatEnv) -> Result<Box<dyn Format>>,
}

inventory::collect!(FormatDescriptor);

/// Every registered format, sorted by name.
pub fn formats() -> Vec<&'static FormatDescriptor> {
    let mut all: Vec<_> = inventory::iter::<FormatDescriptor>.into_iter().collect();
    all.sort_by_key(|d| d.name);
    all
}

/// The format registered as `name`, or an IngestError with a "did you mean".
pub fn find_format(name: &str) -> Result<&'static FormatDescriptor> {
    let all = formats();
    all.iter()
        .copied()
        .find(|d| d.name == name)
        .ok_or_else(|| Error::Ingest(unknown_format(name)))
}

/// "unknown format 'x', did you mean 'y'?; `lakefeed formats` lists them".
pub fn unknown_format(name: &str) -> String {
    format!(
        "unknown format '{name}'{}; `lakefeed formats` lists them",
        did_you_mean(name, formats().iter().map(|d| d.name))
    )
}

/// Builds the format `name` from `options`.
pub fn build_format(
    name: &str,
    options: serde_json::Value,
    env: &FormatEnv,
) -> Result<Box<dyn Format>> {
    (find_format(name)?.build)(options, env)
}

/// Deserializes a format's options, turning serde's message (unknown field, wrong type) into an IngestError that
/// names the format. Option structs use `#[serde(deny_unknown_fields)]`.
pub fn parse_options<T: DeserializeOwned>(format: &str, options: serde_json::Value) -> Result<T> {
    let options = if options.is_null() {
        serde_json::Value::Object(Default::default())
    } else {
        options
    };
    serde_json::from_value(options)
        .map_err(|e| Error::Ingest(format!("format '{format}': bad options: {e}")))
}

/// The JSON Schema of an options type, for [`FormatDescriptor::options_schema`].
pub fn options_schema<T: JsonSchema>() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(T)).unwrap_or_default()
}
