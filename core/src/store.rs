//! The data plane: where a pipeline's batches go and where training loops read them back. The engine ships the
//! Lance store (a directory or an object-store URI) and a managed service as a store; a third-party crate can
//! implement its own sink.
//!
//! A [`TableStore`] keeps tables, batches, writes, deletes, columns, indexes and scans, and names no SQL: SQL is
//! a [`QueryEngine`]'s, which runs over a store (the engine's DataFusion session over Lance) or forwards to a
//! service. Every method is async, so a store can be called from an async server or HTTP client without nesting
//! runtimes. The engine's blocking facade (`lakefeed::Store`) wraps any `TableStore` for the CLI and the
//! pipeline's writer thread.

use std::pin::Pin;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use futures_core::Stream;

use crate::error::Result;
use crate::query::QueryResult;

pub use crate::names::validate_table_name;

/// Batches streamed back from a store, pulled one at a time so memory stays bounded.
pub type BatchStream = Pin<Box<dyn Stream<Item = Result<RecordBatch>> + Send>>;

/// What a scan reads: a projection, a filter and a batch size.
#[derive(Debug, Clone, Default)]
pub struct ScanSpec {
    /// Only these columns (all when `None`).
    pub columns: Option<Vec<String>>,
    /// Only rows matching this SQL predicate.
    pub filter: Option<String>,
    /// Rows per batch at most (0: the store's default).
    pub batch_size: usize,
}

/// How a write treats the table and rows already in it.
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
    /// Add rows (the table is created if missing). On a keyed table a row whose key is present is not written.
    #[default]
    Append,
    /// Replace the table's rows with this run's, in one commit at the end: readers see the old rows or the new.
    Overwrite,
    /// Add rows, replacing those whose key matches. Needs a key.
    Upsert,
}

/// What a [`TableWriter`] does: the mode and the key columns (empty: not keyed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteSpec {
    /// Append, overwrite or upsert.
    pub mode: WriteMode,
    /// The columns whose values identify a row. Empty: every row is written.
    pub key: Vec<String>,
    /// The source never yields two rows with the same key in one run ([`crate::Format::keys_unique`]): the
    /// writer then keeps no set of the keys it wrote, so its memory does not grow with the rows.
    pub unique: bool,
}

/// What one [`TableWriter::write`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    /// Rows written (inserted or replaced).
    pub rows: u64,
    /// Rows left out because their key was already present (keyed appends).
    pub present: u64,
}

/// Rows a writer staged without committing them (one shard's part of a distributed run), to be committed with
/// the other shards' parts in one transaction by [`TableStore::commit_staged`]. Serialisable, so shards running
/// anywhere hand their parts to the committer as JSON.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Staged {
    /// The table the rows are for.
    pub table: String,
    /// Rows staged.
    pub rows: u64,
    /// Whether rows were left out by key when staged (the table must not change before the commit).
    pub keyed: bool,
    /// The table's version the rows were checked against; `None` when the table did not exist.
    pub base_version: Option<u64>,
    /// The store's own description of the staged data (for Lance: the data files' fragments and the schema).
    pub data: serde_json::Value,
}

/// Writes one run's batches into a table, as [`WriteSpec`] says. Each `write` of an append or upsert is one
/// commit; an overwrite stages its writes and commits them all at `finish`. Dropping a writer without `finish`
/// abandons an overwrite and leaves the table as it was.
#[async_trait::async_trait]
pub trait TableWriter: Send {
    /// Writes `batches` (all of the table's schema). A conflicting concurrent commit that could not be rebased
    /// is [`crate::Error::CommitConflict`] (`is_retryable()`), and nothing was written.
    async fn write(&mut self, batches: Vec<RecordBatch>) -> Result<Written>;

    /// Commits what is staged (overwrite) and releases the writer.
    async fn finish(self: Box<Self>) -> Result<()>;

    /// Releases a writer from [`TableStore::stage_writer`] and returns what it staged, uncommitted.
    async fn finish_staged(self: Box<Self>) -> Result<Staged> {
        Err(crate::Error::Other(
            "this writer commits as it writes; it stages nothing".into(),
        ))
    }
}

/// What a store can do, said up front so callers choose a plan before writing rather than fail half-way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// An overwrite is staged and swapped in with one commit: readers see the old rows or the new, never a mix.
    pub atomic_overwrite: bool,
    /// [`TableStore::scan`] streams batches as they are read (else the whole result is read first).
    pub streaming_scan: bool,
    /// Writes can be staged uncommitted and committed together (an overwrite's one commit).
    pub staged_commit: bool,
    /// [`TableStore::optimize`] compacts files and updates indexes (else it does nothing).
    pub optimize: bool,
}

/// A store of named tables: the data plane, with no SQL in it.
#[async_trait::async_trait]
pub trait TableStore: Send + Sync {
    /// What this store can do.
    fn capabilities(&self) -> Capabilities;

    /// Names of all tables, sorted.
    async fn list_tables(&self) -> Result<Vec<String>>;

    /// The table's schema, or `None` when it does not exist.
    async fn table_schema(&self, table: &str) -> Result<Option<SchemaRef>>;

    /// Creates an empty table with `schema`. [`crate::Error::TableExists`] if it exists.
    async fn create_table(&self, table: &str, schema: SchemaRef) -> Result<()>;

    /// Appends batches (all of the table's schema) as one atomic commit. A conflicting concurrent commit that
    /// could not be rebased is [`crate::Error::CommitConflict`] (`is_retryable()`).
    async fn append(&self, table: &str, batches: Vec<RecordBatch>) -> Result<()>;

    /// A writer for one run into `table`, which must exist. With `WriteMode::Overwrite`, `schema` becomes the
    /// table's schema at `finish`; otherwise it must be the table's.
    async fn writer(
        &self,
        table: &str,
        schema: SchemaRef,
        spec: WriteSpec,
    ) -> Result<Box<dyn TableWriter>>;

    /// Adds `columns` (all nullable) to the table in one commit; existing rows read null in them. A column that
    /// another writer added meanwhile is a TableError (re-read the schema and plan again).
    async fn add_columns(&self, table: &str, columns: SchemaRef) -> Result<()>;

    /// Drops a table; a missing table is fine when `if_exists`, else TableError.
    async fn drop_table(&self, table: &str, if_exists: bool) -> Result<()>;

    /// Deletes the rows matching a predicate (a SQL boolean expression over the table's columns, as in a scan's
    /// filter) in one commit, and returns how many it deleted. A missing table deletes nothing.
    async fn delete_rows(&self, table: &str, predicate: &str) -> Result<u64>;

    /// Number of rows in the table.
    async fn count_rows(&self, table: &str) -> Result<u64>;

    /// Streams the table's rows as batches, projected and filtered as `spec` says.
    async fn scan(&self, table: &str, spec: ScanSpec) -> Result<BatchStream>;

    /// The rows at these positions of the table's scan order (0-based), in the order given (a position may
    /// repeat), with only `columns` when given: random access for map-style training loaders. A position past
    /// the end is a TableError. Default: a store that cannot fetch rows by position says so.
    async fn take(
        &self,
        table: &str,
        rows: Vec<u64>,
        columns: Option<Vec<String>>,
    ) -> Result<RecordBatch> {
        let _ = (rows, columns);
        Err(crate::Error::Table(format!(
            "this store cannot fetch rows of '{table}' by position"
        )))
    }

    /// A writer that stages rows as uncommitted data for [`TableStore::commit_staged`] instead of committing them
    /// (one shard of a distributed run); finish it with [`TableWriter::finish_staged`]. `table` need not exist.
    /// Keyed rows whose key the table holds now are left out. Appends only. Default: this store cannot stage.
    async fn stage_writer(
        &self,
        table: &str,
        schema: SchemaRef,
        spec: WriteSpec,
    ) -> Result<Box<dyn TableWriter>> {
        let _ = (schema, spec);
        Err(crate::Error::Ingest(format!(
            "this store cannot stage rows of '{table}' for a later commit (sharded runs need a Lance store)"
        )))
    }

    /// Commits `parts` (staged by any number of writers, anywhere) into `table` as one transaction, creating the
    /// table when it does not exist; returns the rows committed. Parts already committed are recognised and not
    /// committed again (0 rows). A keyed part whose table changed since it was staged is a TableError.
    async fn commit_staged(&self, table: &str, parts: Vec<Staged>) -> Result<u64> {
        let _ = parts;
        Err(crate::Error::Ingest(format!(
            "this store cannot commit staged rows of '{table}'"
        )))
    }

    /// Builds a search index on a column: ANN for EMBEDDING, BM25 for TEXT.
    async fn create_index(&self, table: &str, column: &str) -> Result<()>;

    /// Compacts the table's small files and folds rows added since its indexes were built into them.
    async fn optimize(&self, table: &str) -> Result<()>;

    /// Where the table's data lives (a path or URL), as reported in ingest results.
    fn location(&self, table: &str) -> String;
}

/// Runs SQL statements: over a [`TableStore`] (the engine's DataFusion session over Lance) or by forwarding them
/// to a service. Kept apart from the store so the data plane never names SQL.
#[async_trait::async_trait]
pub trait QueryEngine: Send + Sync {
    /// Runs one statement with `$1..$n` parameters bound (never spliced into the text).
    async fn query(&self, sql: &str, params: &[serde_json::Value]) -> Result<QueryResult>;
}
