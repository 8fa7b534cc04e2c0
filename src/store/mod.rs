//! Stores (§8) and the one blocking boundary.
//!
//! [`TableStore`] is async (lakefeed-core); [`LocalStore`] implements it over Lance tables. [`Store`] is the
//! blocking facade the CLI, the pipeline's writer and the blocking [`crate::Client`] use. It runs each call on
//! lakefeed's own I/O runtime and waits for it without entering that runtime, so it may be called from any
//! thread, including a tokio worker (async code should prefer the async trait, or `spawn_blocking`).

mod dml;
mod keys;
pub(crate) mod lance_error;
mod local;
mod lock;
mod values;
mod writer;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use futures::StreamExt;
use lakefeed_core::{
    Batches, Error, QueryResult, Result, ScanSpec, TableStore, TableWriter, WriteSpec, Written,
};
use serde_json::Value;

pub use local::LocalStore;
pub(crate) use local::table_names;

/// Environment variable naming the local store directory.
pub const STORE_ENV: &str = "LAKEFEED_STORE";
/// The local store directory when neither `--store` nor `LAKEFEED_STORE` is set.
pub const DEFAULT_STORE: &str = "./lakefeed-data";

/// Where a local store lives: the first of `explicit` (`--store`), `LAKEFEED_STORE`, the manifest's `store`,
/// and `./lakefeed-data`. The one place this is decided.
pub fn store_dir(explicit: Option<&Path>, from_manifest: Option<PathBuf>) -> PathBuf {
    explicit
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os(STORE_ENV).map(PathBuf::from))
        .or(from_manifest)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_STORE))
}

/// The name of the I/O runtime's worker threads.
const IO_THREAD: &str = "lakefeed-io";

/// The runtime every blocking call runs on: created once per process, two or more worker threads.
fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<std::result::Result<tokio::runtime::Runtime, String>> =
        OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get().max(2)))
                .thread_name(IO_THREAD)
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| Error::Other(format!("cannot start the I/O runtime: {e}")))
}

/// Runs `fut` on lakefeed's I/O runtime and waits for its result. Safe from any thread but that runtime's own
/// workers (waiting there could wait on itself, so it is refused): the caller's thread only parks, it never
/// enters a runtime.
pub fn block_on<T: Send + 'static>(
    fut: impl Future<Output = Result<T>> + Send + 'static,
) -> Result<T> {
    if std::thread::current().name() == Some(IO_THREAD) {
        return Err(Error::Other(
            "a blocking store call from a task on lakefeed's own I/O runtime would wait on itself; \
             use the async TableStore there"
                .into(),
        ));
    }
    let handle = runtime()?.spawn(fut);
    futures::executor::block_on(handle)
        .map_err(|e| Error::Other(format!("a store task failed: {e}")))?
}

/// Runs a clean-up from `Drop`: waits for it (so it is done before the process can exit), or, on the I/O
/// runtime's own threads where waiting could deadlock, starts it there.
pub(crate) fn clean_up(fut: impl Future<Output = ()> + Send + 'static) {
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => return tracing::warn!(error = %e, "cannot run a clean-up"),
    };
    let on_io_thread = std::thread::current().name() == Some(IO_THREAD);
    let in_async = tokio::runtime::Handle::try_current().is_ok();
    let task = rt.spawn(fut);
    if !on_io_thread && !in_async {
        let _ = futures::executor::block_on(task);
    }
}

/// A blocking handle on any [`TableStore`]. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<dyn TableStore>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// Wraps an async store.
    pub fn new(inner: Arc<dyn TableStore>) -> Self {
        Self { inner }
    }

    /// The local store in `dir` (created if needed).
    pub fn local(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        let store = block_on(async move { LocalStore::open(dir).await })?;
        Ok(Self::new(Arc::new(store)))
    }

    /// The async store behind this handle, for async callers.
    pub fn inner(&self) -> &Arc<dyn TableStore> {
        &self.inner
    }

    /// Runs `f` on the store, blocking until it is done.
    fn call<T, F, Fut>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(Arc<dyn TableStore>) -> Fut,
        Fut: Future<Output = Result<T>> + Send + 'static,
    {
        block_on(f(self.inner.clone()))
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
    pub fn writer(&self, table: &str, schema: SchemaRef, spec: WriteSpec) -> Result<Writer> {
        let table = table.to_string();
        let inner = self.call(|s| async move { s.writer(&table, schema, spec).await })?;
        Ok(Writer { inner: Some(inner) })
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

    /// Deletes the rows matching a SQL predicate.
    pub fn delete_rows(&self, table: &str, predicate: &str) -> Result<()> {
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

    /// Runs SQL with `$1..$n` bound.
    pub fn query(&self, sql: &str, params: &[Value]) -> Result<QueryResult> {
        let (sql, params) = (sql.to_string(), params.to_vec());
        self.call(|s| async move { s.query(&sql, &params).await })
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
        self.inner.location(table)
    }
}

/// The blocking face of a [`TableWriter`].
pub struct Writer {
    inner: Option<Box<dyn TableWriter>>,
}

impl Writer {
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

    fn take(&mut self) -> Result<Box<dyn TableWriter>> {
        self.inner
            .take()
            .ok_or_else(|| Error::Other("the table writer was lost by a failed call".into()))
    }
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocking_calls_from_the_io_runtime_are_refused_not_deadlocked() {
        let inner = block_on(async { Ok(block_on(async { Ok(1) })) }).unwrap();
        let e = inner.unwrap_err();
        assert!(e.to_string().contains("own I/O runtime"), "{e}");
        assert_eq!(block_on(async { Ok(2) }).unwrap(), 2);
    }
}
