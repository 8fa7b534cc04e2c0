//! The Lance store: one Lance table per table name, under a local directory or an object-store URI, through
//! `lancedb`. Every append is one atomic Lance commit, so a crash leaves whole commits only.

use std::path::Path;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, SchemaRef};
use futures::StreamExt;
use lakefeed_core::{
    BatchStream, Capabilities, Error, Result, ScanSpec, Staged, TableStore, TableWriter, WriteSpec,
    validate_table_name,
};
use lance::dataset::transaction::Transaction;
use lance::dataset::{CommitBuilder, InsertBuilder, WriteMode as LanceMode, WriteParams};
use lancedb::index::Index;
use lancedb::query::{ExecutableQuery, QueryBase, QueryExecutionOptions, Select};
use lancedb::table::{NewColumnTransform, OptimizeAction};
use lancedb::{Connection, Table};

use super::index::{fts_index_params, vector_index};
use super::lance_error::{from_lance, from_lance_core, from_lance_store};
use super::location::{Location, StorageOptions};
use super::staged::{self, StagedWriter};
use super::writer::LanceWriter;

/// Lance tables under one location: a local directory, or an object-store URI (`s3://bucket/prefix`, …).
#[derive(Clone)]
pub struct LanceStore {
    loc: Location,
    conn: Connection,
}

impl std::fmt::Debug for LanceStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LanceStore")
            .field("uri", &self.loc.uri())
            .finish()
    }
}

impl LanceStore {
    /// Opens the store at `location`: a directory (created if needed; `file://` may lead) or an object-store
    /// URI, with the environment's credentials. Must run inside a tokio runtime.
    pub async fn open(location: impl AsRef<str>) -> Result<Self> {
        Self::open_with(location, StorageOptions::new()).await
    }

    /// [`LanceStore::open`] with storage options (`aws_endpoint`, `aws_region`, `allow_http`, …), which win
    /// over the environment.
    pub async fn open_with(location: impl AsRef<str>, options: StorageOptions) -> Result<Self> {
        Self::at(Location::new(location.as_ref(), options)?).await
    }

    /// Opens the store at `loc`.
    pub async fn at(loc: Location) -> Result<Self> {
        let conn = lancedb::connect(loc.uri())
            .storage_options(loc.options().clone())
            .execute()
            .await
            .map_err(|e| from_lance_store(&format!("open {}", loc.uri()), e))?;
        Ok(Self { loc, conn })
    }

    /// Opens the local store in directory `dir` (created if needed).
    pub async fn open_dir(dir: impl AsRef<Path>) -> Result<Self> {
        Self::open(dir.as_ref().to_string_lossy()).await
    }

    /// The store's location: its absolute directory, or its URI.
    pub fn uri(&self) -> &str {
        self.loc.uri()
    }

    /// Where the store lives and the options it is reached with.
    pub fn store_location(&self) -> &Location {
        &self.loc
    }

    /// The store's directory, when it is local.
    pub fn local_dir(&self) -> Option<&Path> {
        self.loc.local_dir()
    }

    /// The lancedb connection (for SQL sessions over this store).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Whether `column` of `table` has an index.
    pub async fn has_index(&self, table: &str, column: &str) -> Result<bool> {
        let t = self.open_table(table).await?;
        let indexes = t
            .list_indices()
            .await
            .map_err(|e| from_lance(table, "list indexes of", e))?;
        Ok(indexes.iter().any(|i| i.columns == [column]))
    }

    /// Opens one table through the connection.
    pub async fn open_table(&self, table: &str) -> Result<Table> {
        validate_table_name(table)?;
        self.conn
            .open_table(table)
            .execute()
            .await
            .map_err(|e| from_lance(table, "open", e))
    }
}

#[async_trait::async_trait]
impl TableStore for LanceStore {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            atomic_overwrite: true,
            streaming_scan: true,
            staged_commit: true,
            optimize: true,
        }
    }

    async fn list_tables(&self) -> Result<Vec<String>> {
        table_names(&self.conn).await
    }

    async fn table_schema(&self, table: &str) -> Result<Option<SchemaRef>> {
        match self.open_table(table).await {
            Ok(t) => Ok(Some(
                t.schema()
                    .await
                    .map_err(|e| from_lance(table, "read the schema of", e))?,
            )),
            Err(Error::TableNotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn create_table(&self, table: &str, schema: SchemaRef) -> Result<()> {
        validate_table_name(table)?;
        create(&self.loc, table, schema).await
    }

    async fn append(&self, table: &str, batches: Vec<RecordBatch>) -> Result<()> {
        if batches.iter().all(|b| b.num_rows() == 0) {
            return Ok(());
        }
        let t = self.open_table(table).await?;
        t.add(batches)
            .execute()
            .await
            .map_err(|e| from_lance(table, "append to", e))?;
        Ok(())
    }

    async fn writer(
        &self,
        table: &str,
        schema: SchemaRef,
        spec: WriteSpec,
    ) -> Result<Box<dyn TableWriter>> {
        let t = self.open_table(table).await?;
        let w = LanceWriter::new(table, self.loc.clone(), t, schema, spec).await?;
        Ok(Box::new(w))
    }

    async fn stage_writer(
        &self,
        table: &str,
        schema: SchemaRef,
        spec: WriteSpec,
    ) -> Result<Box<dyn TableWriter>> {
        validate_table_name(table)?;
        let w = StagedWriter::new(table, self.loc.clone(), schema, spec).await?;
        Ok(Box::new(w))
    }

    async fn commit_staged(&self, table: &str, parts: Vec<Staged>) -> Result<u64> {
        validate_table_name(table)?;
        staged::commit(&self.loc, table, parts).await
    }

    async fn add_columns(&self, table: &str, columns: SchemaRef) -> Result<()> {
        if columns.fields().is_empty() {
            return Ok(());
        }
        let t = self.open_table(table).await?;
        t.add_columns()
            .transform(NewColumnTransform::AllNulls(columns))
            .execute()
            .await
            .map_err(|e| from_lance(table, "add columns to", e))?;
        Ok(())
    }

    async fn drop_table(&self, table: &str, if_exists: bool) -> Result<()> {
        validate_table_name(table)?;
        let exists = self.table_schema(table).await?.is_some();
        if !exists {
            return if if_exists {
                Ok(())
            } else {
                Err(Error::TableNotFound(table.to_string()))
            };
        }
        self.conn
            .drop_table(table, &[])
            .await
            .map_err(|e| from_lance(table, "drop", e))
    }

    async fn delete_rows(&self, table: &str, predicate: &str) -> Result<u64> {
        match self.open_table(table).await {
            Ok(t) => Ok(t
                .delete(predicate)
                .await
                .map_err(|e| from_lance(table, "delete rows of", e))?
                .num_deleted_rows),
            Err(Error::TableNotFound(_)) => Ok(0),
            Err(e) => Err(e),
        }
    }

    async fn count_rows(&self, table: &str) -> Result<u64> {
        let t = self.open_table(table).await?;
        let n = t
            .count_rows(None)
            .await
            .map_err(|e| from_lance(table, "count rows of", e))?;
        Ok(n as u64)
    }

    async fn take(
        &self,
        table: &str,
        rows: Vec<u64>,
        columns: Option<Vec<String>>,
    ) -> Result<RecordBatch> {
        let t = self.open_table(table).await?;
        let ds = match t.dataset() {
            Some(d) => d.get().await.map_err(|e| from_lance(table, "open", e))?,
            None => {
                return Err(Error::Table(format!(
                    "'{table}' is not a local Lance table"
                )));
            }
        };
        let schema = match &columns {
            Some(cols) => ds
                .schema()
                .project(cols)
                .map_err(|e| Error::Table(format!("'{table}': {e}")))?,
            None => ds.schema().clone(),
        };
        let n = ds
            .count_rows(None)
            .await
            .map_err(|e| from_lance_core(table, "count rows of", e))? as u64;
        if let Some(bad) = rows.iter().find(|&&r| r >= n) {
            return Err(Error::Table(format!(
                "row {bad} is out of range: '{table}' has {n} rows"
            )));
        }
        ds.take(&rows, schema)
            .await
            .map_err(|e| from_lance_core(table, "take rows of", e))
    }

    async fn scan(&self, table: &str, spec: ScanSpec) -> Result<BatchStream> {
        let t = self.open_table(table).await?;
        let mut q = t.query();
        if let Some(cols) = &spec.columns {
            q = q.select(Select::columns(cols));
        }
        if let Some(f) = &spec.filter {
            q = q.only_if(f);
        }
        let mut opts = QueryExecutionOptions::default();
        if spec.batch_size > 0 {
            opts.max_batch_length = spec.batch_size.clamp(1, u32::MAX as usize) as u32;
        }
        let stream = q
            .execute_with_options(opts)
            .await
            .map_err(|e| from_lance(table, "scan", e))?;
        let table = table.to_string();
        Ok(Box::pin(stream.map(move |r| {
            r.map_err(|e| from_lance(&table, "scan", e))
        })))
    }

    async fn create_index(&self, table: &str, column: &str) -> Result<()> {
        let t = self.open_table(table).await?;
        let schema = t
            .schema()
            .await
            .map_err(|e| from_lance(table, "read the schema of", e))?;
        let field = schema
            .field_with_name(column)
            .map_err(|_| Error::Table(format!("table '{table}' has no column '{column}'")))?;
        let rows = t
            .count_rows(None)
            .await
            .map_err(|e| from_lance(table, "count rows of", e))?;
        let index = match field.data_type() {
            DataType::FixedSizeList(_, _) => vector_index(rows as u64),
            DataType::Utf8 | DataType::LargeUtf8 => Index::FTS(fts_index_params()),
            _ => Index::BTree(Default::default()),
        };
        t.create_index(&[column], index)
            .replace(true)
            .execute()
            .await
            .map_err(|e| from_lance(table, &format!("index column '{column}' of"), e))
    }

    async fn optimize(&self, table: &str) -> Result<()> {
        let t = self.open_table(table).await?;
        for action in [
            OptimizeAction::Compact {
                options: Default::default(),
                remap_options: None,
            },
            OptimizeAction::Index(Default::default()),
        ] {
            t.optimize(action)
                .await
                .map_err(|e| from_lance(table, "optimize", e))?;
        }
        Ok(())
    }

    fn location(&self, table: &str) -> String {
        self.loc.table_uri(table)
    }
}

/// Creates `table` empty, or fails with [`Error::TableExists`] when another process created it first, on a local
/// disk or an object store alike and without a lock file: the first version's manifest is written with a
/// conditional put, and the commit is a strict overwrite (no retries), which Lance refuses to rebase onto a table
/// that appeared meanwhile (a plain create would land as an overwrite of the other process's table).
async fn create(loc: &Location, table: &str, schema: SchemaRef) -> Result<()> {
    let uri = loc.table_uri(table);
    let params = WriteParams {
        mode: LanceMode::Create,
        store_params: Some(loc.store_params()),
        ..Default::default()
    };
    let txn = match InsertBuilder::new(uri.as_str())
        .with_params(&params)
        .execute_uncommitted(vec![RecordBatch::new_empty(schema)])
        .await
    {
        Ok(t) => t,
        Err(lance_core::Error::DatasetAlreadyExists { .. }) => {
            return Err(Error::TableExists(table.to_string()));
        }
        Err(e) => return Err(from_lance_core(table, "create", e)),
    };
    create_with(loc, table, txn).await
}

/// Commits `txn` (an overwrite read at version 0) as the first version of `table`, strictly: when the table
/// exists by then, nothing is committed and the error is [`Error::TableExists`].
pub(super) async fn create_with(loc: &Location, table: &str, txn: Transaction) -> Result<()> {
    let uri = loc.table_uri(table);
    let committed = CommitBuilder::new(uri.as_str())
        .with_store_params(loc.store_params())
        .enable_v2_manifest_paths(true)
        .with_max_retries(0)
        .execute(txn)
        .await;
    match committed {
        Ok(_) => Ok(()),
        Err(e) => match loc.dataset(table).await {
            Ok(_) => Err(Error::TableExists(table.to_string())),
            Err(_) => Err(from_lance_core(table, "create", e)),
        },
    }
}

/// The users' tables of a connection, sorted; lakefeed's own bookkeeping (the inputs ledger, staging tables)
/// is not listed, nor is a table a sharded run has staged files for but not committed yet (it has no version).
pub(crate) async fn table_names(conn: &Connection) -> Result<Vec<String>> {
    let mut names = conn
        .table_names()
        .execute()
        .await
        .map_err(|e| from_lance_store("list tables", e))?;
    names.retain(|n| !n.starts_with("_lakefeed"));
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        match conn.open_table(&name).execute().await {
            Err(lancedb::Error::TableNotFound { .. }) => {}
            _ => out.push(name),
        }
    }
    out.sort();
    Ok(out)
}
