//! Settings of one ingest: how it writes, what it indexes, how it reports progress.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use lakefeed_core::Hints;
pub use lakefeed_core::WriteMode;

/// Called after each commit with (rows written so far, estimated total when known).
pub type ProgressFn = Arc<dyn Fn(u64, Option<u64>) + Send + Sync>;

/// Settings of one ingest.
#[derive(Clone)]
pub struct IngestOptions {
    /// User type hints; they win over the format's schema and inference, and reach the format's factory.
    pub schema: Hints,
    /// Columns to index after writing.
    pub index: Vec<String>,
    /// Append (default), overwrite or upsert.
    pub mode: WriteMode,
    /// The columns that identify a row. `None`: the format's own key (`id` for formats that declare row ids;
    /// none for column data). `Some(vec![])` writes every row unkeyed.
    pub key: Option<Vec<String>>,
    /// Rows buffered per commit. Each commit is one atomic Lance version.
    pub rows_per_commit: usize,
    /// Bytes buffered per commit (large media rows commit sooner).
    pub bytes_per_commit: usize,
    /// Progress callback.
    pub on_progress: Option<ProgressFn>,
    /// Make thumbnails of the format's IMAGE columns into the `thumbnails` table (default on).
    pub thumbnails: bool,
    /// Set from another thread to stop the run before its next batch: what is committed stays (a re-run with
    /// the same key finishes the job), the rows not yet committed are dropped, and the run returns an error.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Run as one shard of a distributed run: take this shard's inputs only, and stage the rows uncommitted
    /// (committed later with the other shards', see [`crate::shard`]).
    pub shard: Option<ShardRun>,
}

/// One shard of a distributed run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardRun {
    /// Which shard (0-based) …
    pub index: u32,
    /// … of how many.
    pub count: u32,
    /// The run's id: every shard of one run names the same.
    pub run: String,
}

impl ShardRun {
    /// Whether the input at `position` of a source's input list is this shard's (round robin, so the shards
    /// get equal counts and the choice is the same on every machine).
    pub fn takes(&self, position: usize) -> bool {
        position % self.count.max(1) as usize == self.index as usize
    }
}

impl std::fmt::Debug for IngestOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IngestOptions")
            .field("schema", &self.schema)
            .field("index", &self.index)
            .field("mode", &self.mode)
            .field("key", &self.key)
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
            key: None,
            rows_per_commit: 100_000,
            bytes_per_commit: 32 << 20,
            on_progress: None,
            thumbnails: true,
            cancel: None,
            shard: None,
        }
    }
}
