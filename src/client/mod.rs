//! The blocking client: ingest, query, list, drop and open tables.

mod builder;
#[cfg(feature = "remote")]
mod managed;
mod view;

use std::path::PathBuf;

use lakefeed_core::{Batches, Error, QueryResult, Result, ScanSpec};
use serde_json::Value;

pub use builder::QueryBuilder;
#[cfg(feature = "remote")]
pub use managed::{DEFAULT_API_URL, ManagedClient};
pub use view::TableView;

use crate::backend::{Backend, Service, Target, WritePath};
use crate::blocking::Store;
use crate::job::{IngestData, IngestJob, IngestResult};
use crate::options::IngestOptions;

/// A handle on a store. Cheap to clone; every method blocks, from any thread (see [`Store`]).
#[derive(Clone)]
pub struct Client {
    store: Store,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").finish_non_exhaustive()
    }
}

impl Client {
    /// A client over the local store in `path`.
    pub fn local(path: impl Into<PathBuf>) -> Result<Self> {
        Self::open(&Target::lance(path.into().to_string_lossy()))
    }

    /// A client over what `target` names (a Lance store, or a service).
    pub fn open(target: &Target) -> Result<Self> {
        Ok(Self {
            store: Store::open(target)?,
        })
    }

    /// A client of one workspace of a managed service (the seed's API, or `lakefeed serve`) with a JWT
    /// `token`; `api_url` defaults to the seed's service. Everything works as on the local store (ingest with
    /// every format and the thumbnail stage, keyed writes, SQL, indexes, `open_table(t).batches(n)`).
    pub fn managed(token: &str, workspace: &str, api_url: Option<&str>) -> Result<Self> {
        Self::managed_with(token, workspace, api_url, WritePath::Auto)
    }

    /// [`Client::managed`], choosing how rows are written (SQL INSERTs, or Arrow IPC to `lakefeed serve`).
    pub fn managed_with(
        token: &str,
        workspace: &str,
        api_url: Option<&str>,
        path: WritePath,
    ) -> Result<Self> {
        Self::open(&Target::Service(Service {
            token: token.to_string(),
            workspace: workspace.to_string(),
            api_url: api_url.map(str::to_string),
            write_path: path,
        }))
    }

    /// From the environment: a managed service when `DEEPLAKE_API_KEY` is set (workspace
    /// `DEEPLAKE_WORKSPACE`, default `default`; `DEEPLAKE_API_URL`, default the seed's), else the local store
    /// named by `LAKEFEED_STORE` (default `./lakefeed-data`).
    pub fn from_env() -> Result<Self> {
        Self::open(&Target::from_env())
    }

    /// A client over any backend (a store and its query engine).
    pub fn with_backend(backend: Backend) -> Self {
        Self {
            store: Store::new(backend),
        }
    }

    /// The store behind this client.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Ingests data into `table` (created if missing, appended to otherwise).
    pub fn ingest(
        &self,
        table: &str,
        data: IngestData,
        opts: &IngestOptions,
    ) -> Result<IngestResult> {
        self.run(IngestJob::new(table, data).options(opts.clone()))
    }

    /// Runs a prepared ingest job into this client's store.
    pub fn run(&self, job: IngestJob) -> Result<IngestResult> {
        job.run(&self.store)
    }

    /// Runs SQL with `$1..$n` parameters.
    pub fn query(&self, sql: &str, params: &[Value]) -> Result<QueryResult> {
        self.store.query(sql, params)
    }

    /// Starts a fluent query on `table`.
    pub fn table(&self, table: &str) -> TableQuery<'_> {
        TableQuery {
            client: self,
            builder: QueryBuilder::new(table),
        }
    }

    /// Table names, sorted.
    pub fn list_tables(&self) -> Result<Vec<String>> {
        self.store.list_tables()
    }

    /// Drops a table; with `if_exists` a missing table is not an error.
    pub fn drop_table(&self, table: &str, if_exists: bool) -> Result<()> {
        self.store.drop_table(table, if_exists)?;
        crate::pipeline::ledger::forget(&self.store, table)
    }

    /// Builds a search index on `column` (ANN for EMBEDDING, BM25 for TEXT).
    pub fn create_index(&self, table: &str, column: &str) -> Result<()> {
        self.store.create_index(table, column)
    }

    /// Compacts a table and folds rows added since its indexes were built into them (`lakefeed optimize`).
    pub fn optimize(&self, table: &str) -> Result<()> {
        self.store.optimize(table)
    }

    /// Opens a table for batch iteration (training loops).
    pub fn open_table(&self, table: &str) -> Result<OpenTable> {
        if self.store.table_schema(table)?.is_none() {
            return Err(Error::TableNotFound(table.to_string()));
        }
        Ok(OpenTable {
            store: self.store.clone(),
            table: table.to_string(),
            columns: None,
            filter: None,
        })
    }
}

/// A fluent query in progress; see [`QueryBuilder`].
#[derive(Debug)]
pub struct TableQuery<'a> {
    client: &'a Client,
    builder: QueryBuilder,
}

impl TableQuery<'_> {
    /// Columns or expressions to select.
    pub fn select<S: AsRef<str>>(mut self, columns: impl IntoIterator<Item = S>) -> Self {
        self.builder = self.builder.select(columns);
        self
    }

    /// Adds a condition; `$1` in `cond` is this call's first parameter.
    pub fn where_(mut self, cond: &str, params: impl IntoIterator<Item = Value>) -> Self {
        self.builder = self.builder.where_(cond, params);
        self
    }

    /// Adds an ORDER BY term.
    pub fn order_by(mut self, term: &str) -> Self {
        self.builder = self.builder.order_by(term);
        self
    }

    /// LIMIT n.
    pub fn limit(mut self, n: u64) -> Self {
        self.builder = self.builder.limit(n);
        self
    }

    /// OFFSET n.
    pub fn offset(mut self, n: u64) -> Self {
        self.builder = self.builder.offset(n);
        self
    }

    /// Runs the query.
    pub fn execute(self) -> Result<QueryResult> {
        let (sql, params) = self.builder.build()?;
        self.client.query(&sql, &params)
    }
}

/// An open table: stream its rows as Arrow batches, projected and filtered.
#[derive(Clone)]
pub struct OpenTable {
    store: Store,
    table: String,
    columns: Option<Vec<String>>,
    filter: Option<String>,
}

impl std::fmt::Debug for OpenTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenTable")
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}

impl OpenTable {
    /// Only these columns.
    pub fn select<S: AsRef<str>>(mut self, columns: impl IntoIterator<Item = S>) -> Self {
        self.columns = Some(
            columns
                .into_iter()
                .map(|c| c.as_ref().to_string())
                .collect(),
        );
        self
    }

    /// Only rows matching a SQL predicate, e.g. `"episode_index < 100"`.
    pub fn filter(mut self, predicate: &str) -> Self {
        self.filter = Some(predicate.to_string());
        self
    }

    /// Rows in batches of at most `n`.
    pub fn batches(&self, n: usize) -> Result<Batches> {
        self.store.scan(
            &self.table,
            ScanSpec {
                columns: self.columns.clone(),
                filter: self.filter.clone(),
                batch_size: n.max(1),
            },
        )
    }

    /// The rows at these positions (scan order, 0-based, a position may repeat), in the order given, with the
    /// selected columns: random access for map-style loaders (PyTorch's `DataLoader` with `shuffle=True`).
    /// Positions count the whole table, so a filtered table refuses them.
    pub fn take(&self, rows: Vec<u64>) -> Result<arrow::array::RecordBatch> {
        if let Some(f) = &self.filter {
            return Err(Error::Table(format!(
                "rows of '{}' by position: the filter '{f}' leaves positions undefined; take from the whole table",
                self.table
            )));
        }
        self.store.take(&self.table, rows, self.columns.clone())
    }

    /// Number of rows in the table.
    pub fn count(&self) -> Result<u64> {
        self.store.count_rows(&self.table)
    }

    /// A view of this table: `SELECT cols [WHERE …]`, FROM optional (`{table}` stands for this table's quoted
    /// name). `.batches(n)` streams it for a training loop; `.execute()` collects it.
    pub fn query(&self, sql: &str, params: &[Value]) -> Result<TableView> {
        TableView::new(self.store.clone(), &self.table, sql, params)
    }
}
