//! Settings of one ingest: how it writes, what it indexes, how it reports progress.

use std::sync::Arc;

use lakefeed_core::Hints;

/// Called after each commit with (rows written so far, estimated total when known).
pub type ProgressFn = Arc<dyn Fn(u64, Option<u64>) + Send + Sync>;

/// How an ingest treats an existing table.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Deserialize,
    serde::Serialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum WriteMode {
    /// Append to the table (created if missing); the schemas must be compatible.
    #[default]
    Append,
    /// Drop the table first, then write.
    Overwrite,
}

/// Settings of one ingest.
#[derive(Clone)]
pub struct IngestOptions {
    /// User type hints; they win over the format's schema and inference, and reach the format's factory.
    pub schema: Hints,
    /// Columns to index after writing.
    pub index: Vec<String>,
    /// Append (default) or overwrite.
    pub mode: WriteMode,
    /// Rows buffered per commit. Each commit is one atomic Lance version.
    pub rows_per_commit: usize,
    /// Bytes buffered per commit (large media rows commit sooner).
    pub bytes_per_commit: usize,
    /// Progress callback.
    pub on_progress: Option<ProgressFn>,
    /// Make thumbnails of the format's IMAGE columns into the `thumbnails` table (default on).
    pub thumbnails: bool,
}

impl std::fmt::Debug for IngestOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IngestOptions")
            .field("schema", &self.schema)
            .field("index", &self.index)
            .field("mode", &self.mode)
            .field("rows_per_commit", &self.rows_per_commit)
            .field("thumbnails", &self.thumbnails)
            .finish_non_exhaustive()
    }
}

impl Default for IngestOptions {
    fn default() -> Self {
        Self {
            schema: Hints::new(),
            index: Vec::new(),
            mode: WriteMode::Append,
            rows_per_commit: 2000,
            bytes_per_commit: 64 << 20,
            on_progress: None,
            thumbnails: true,
        }
    }
}
