//! The one blocking boundary: [`Store`], the blocking facade over a [`Backend`] that the CLI, the pipeline's
//! writer and the blocking [`crate::Client`] use. Each call runs on lakefeed's I/O runtime
//! ([`crate::runtime`]) and the caller only parks, never entering that runtime, so it may be called from any
//! thread, a tokio worker included (async code, such as the server, awaits the backend directly instead).

use std::future::Future;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use futures::StreamExt;
use lakefeed_core::{
    Batches, Capabilities, Error, QueryResult, Result, ScanSpec, Staged, TableStore, TableWriter,
    WriteSpec, Written,
};

use crate::backend::{Backend, Target};
pub use crate::runtime::block_on;
use crate::runtime::runtime;

/// A blocking handle on a [`Backend`]: its store's data plane, and SQL through its engine. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// Wraps a backend.
    pub fn new(backend: Backend) -> Self {
        Self { backend }
    }

    /// Opens what `target` names.
    pub fn open(target: &Target) -> Result<Self> {
        let target = target.clone();
        block_on(async move { Backend::open(&target).await }).map(Self::new)
    }

    /// The Lance store at `location` (a directory, created if needed, or an object-store URI).
    pub fn lance(location: impl Into<String>) -> Result<Self> {
        Self::open(&Target::lance(location))
    }

    /// The backend behind this handle, for async callers.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// Runs `f` on the store, blocking until it is done.
    fn call<T, F, Fut>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(Arc<dyn TableStore>) -> Fut,
        Fut: Future<Output = Result<T>> + Send + 'static,
    {
        block_on(f(self.backend.store().clone()))
    }

    /// Names of all tables, sorted.
    pub fn list_tables(&self) -> Result<Vec<String>> {
        self.call(|s| async move { s.list_tables().await })
    }

    /// The table's schema, or `None` when it does not exist.
    pub fn table_schema(&self, table: &str) -> Result<Option<SchemaRef>> {
        let table = table.to_string();
        self.call(|s| async move { s.table_schema(&table).await })
    }

    /// Creates an empty table.
    pub fn create_table(&self, table: &str, schema: SchemaRef) -> Result<()> {
        let table = table.to_string();
        self.call(|s| async move { s.create_table(&table, schema).await })
    }

    /// Appends batches as one commit.
    pub fn append(&self, table: &str, batches: Vec<RecordBatch>) -> Result<()> {
        let table = table.to_string();
        self.call(|s| async move { s.append(&table, batches).await })
    }

    /// A writer for one run into an existing table (see [`TableWriter`]).
    pub fn writer(
        &self,
        table: &str,
        schema: SchemaRef,
        spec: WriteSpec,
    ) -> Result<BlockingWriter> {
        self.open_writer(table, schema, spec, false)
    }

    /// A writer staging rows uncommitted for [`Store::commit_staged`] (see [`TableStore::stage_writer`]).
    pub fn stage_writer(
        &self,
        table: &str,
        schema: SchemaRef,
        spec: WriteSpec,
    ) -> Result<BlockingWriter> {
        self.open_writer(table, schema, spec, true)
    }

    fn open_writer(
        &self,
        table: &str,
        schema: SchemaRef,
        spec: WriteSpec,
        staged: bool,
    ) -> Result<BlockingWriter> {
        let table = table.to_string();
        let inner = self.call(|s| async move {
            if staged {
                s.stage_writer(&table, schema, spec).await
            } else {
                s.writer(&table, schema, spec).await
            }
        })?;
        Ok(BlockingWriter { inner: Some(inner) })
    }

    /// Commits staged parts of `table` in one transaction; returns the rows committed.
    pub fn commit_staged(&self, table: &str, parts: Vec<Staged>) -> Result<u64> {
        let table = table.to_string();
        self.call(|s| async move { s.commit_staged(&table, parts).await })
    }

    /// Adds nullable columns to a table.
    pub fn add_columns(&self, table: &str, columns: SchemaRef) -> Result<()> {
        let table = table.to_string();
        self.call(|s| async move { s.add_columns(&table, columns).await })
    }

    /// Drops a table.
    pub fn drop_table(&self, table: &str, if_exists: bool) -> Result<()> {
        let table = table.to_string();
        self.call(|s| async move { s.drop_table(&table, if_exists).await })
    }

    /// Deletes the rows matching a predicate; returns how many.
    pub fn delete_rows(&self, table: &str, predicate: &str) -> Result<u64> {
        let (table, predicate) = (table.to_string(), predicate.to_string());
        self.call(|s| async move { s.delete_rows(&table, &predicate).await })
    }

    /// Number of rows in the table.
    pub fn count_rows(&self, table: &str) -> Result<u64> {
        let table = table.to_string();
        self.call(|s| async move { s.count_rows(&table).await })
    }

    /// Streams the table's rows; at most two batches are read ahead of the consumer.
    pub fn scan(&self, table: &str, spec: ScanSpec) -> Result<Batches> {
        let table = table.to_string();
        let mut stream = self.call(|s| async move { s.scan(&table, spec).await })?;
        let (tx, mut rx) = tokio::sync::mpsc::channel(2);
        runtime()?.spawn(async move {
            while let Some(item) = stream.next().await {
                if tx.send(item).await.is_err() {
                    break;
                }
            }
        });
        Ok(Box::new(std::iter::from_fn(move || {
            futures::executor::block_on(rx.recv())
        })))
    }

    /// The rows at these positions (scan order, 0-based), in the order given (see [`TableStore::take`]).
    pub fn take(
        &self,
        table: &str,
        rows: Vec<u64>,
        columns: Option<Vec<String>>,
    ) -> Result<RecordBatch> {
        let table = table.to_string();
        self.call(|s| async move { s.take(&table, rows, columns).await })
    }

    /// Runs one SQL statement with `$1..$n` bound.
    pub fn query(&self, sql: &str, params: &[serde_json::Value]) -> Result<QueryResult> {
        let (backend, sql, params) = (self.backend.clone(), sql.to_string(), params.to_vec());
        block_on(async move { backend.query(&sql, &params).await })
    }

    /// Builds a search index on a column.
    pub fn create_index(&self, table: &str, column: &str) -> Result<()> {
        let (table, column) = (table.to_string(), column.to_string());
        self.call(|s| async move { s.create_index(&table, &column).await })
    }

    /// Compacts a table and folds new rows into its indexes.
    pub fn optimize(&self, table: &str) -> Result<()> {
        let table = table.to_string();
        self.call(|s| async move { s.optimize(&table).await })
    }

    /// Where the table's data lives.
    pub fn location(&self, table: &str) -> String {
        self.backend.store().location(table)
    }

    /// What the store can do.
    pub fn capabilities(&self) -> Capabilities {
        self.backend.store().capabilities()
    }
}

/// The blocking face of a [`TableWriter`].
pub struct BlockingWriter {
    inner: Option<Box<dyn TableWriter>>,
}

impl BlockingWriter {
    /// Writes batches (one commit, or staged for an overwrite).
    pub fn write(&mut self, batches: Vec<RecordBatch>) -> Result<Written> {
        let mut w = self.take()?;
        let (w, r) = block_on(async move {
            let r = w.write(batches).await;
            Ok((w, r))
        })?;
        self.inner = Some(w);
        r
    }

    /// Commits what is staged and releases the writer (it writes no more).
    pub fn finish(&mut self) -> Result<()> {
        let w = self.take()?;
        block_on(async move { w.finish().await })
    }

    /// Releases a staging writer and returns what it staged.
    pub fn finish_staged(&mut self) -> Result<Staged> {
        let w = self.take()?;
        block_on(async move { w.finish_staged().await })
    }

    fn take(&mut self) -> Result<Box<dyn TableWriter>> {
        self.inner
            .take()
            .ok_or_else(|| Error::Other("the table writer was lost by a failed call".into()))
    }
}

impl std::fmt::Debug for BlockingWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingWriter").finish_non_exhaustive()
    }
}
