//! The Lance store: one Lance table per table name, under a local directory or an object-store URI, through
//! `lancedb`. Every append is one atomic Lance commit, so a crash leaves whole commits only.

use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, SchemaRef};
use futures::StreamExt;
use lakefeed_core::{
    BatchStream, Capabilities, Error, Result, ScanSpec, TableStore, TableWriter, WriteSpec,
    validate_table_name,
};
use lancedb::index::Index;
use lancedb::query::{ExecutableQuery, QueryBase, QueryExecutionOptions, Select};
use lancedb::table::{NewColumnTransform, OptimizeAction};
use lancedb::{Connection, Table};

use super::index::{fts_index_params, vector_index};
use super::lance_error::{from_lance, from_lance_core, from_lance_store};
use super::lock::lock;
use super::writer::LanceWriter;

/// Where keyed writers' lock files live, beside the tables of a local store.
const LOCK_DIR: &str = "_lakefeed_locks";

/// Lance tables under one location: a local directory, or an object-store URI (`s3://bucket/prefix`, …).
#[derive(Clone)]
pub struct LanceStore {
    /// The location as lancedb was given it: an absolute directory, or the URI as written.
    uri: String,
    /// The directory, for a local store: its lock files serialise creates and keyed commits across processes.
    local: Option<PathBuf>,
    conn: Connection,
}

impl std::fmt::Debug for LanceStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LanceStore")
            .field("uri", &self.uri)
            .finish()
    }
}

/// Whether `location` names an object store (a URI with a scheme other than `file`) rather than a directory.
fn is_object_store(location: &str) -> bool {
    location
        .split_once("://")
        .is_some_and(|(scheme, _)| scheme != "file" && !scheme.contains(['/', '\\']))
}

impl LanceStore {
    /// Opens the store at `location`: a directory (created if needed; `file://` may lead) or an object-store
    /// URI. Must run inside a tokio runtime.
    pub async fn open(location: impl AsRef<str>) -> Result<Self> {
        let location = location.as_ref();
        let (uri, local) = if is_object_store(location) {
            (location.trim_end_matches('/').to_string(), None)
        } else {
            let dir = Path::new(location.strip_prefix("file://").unwrap_or(location));
            std::fs::create_dir_all(dir).map_err(|e| {
                Error::store(
                    format!("cannot create store directory {}", dir.display()),
                    e,
                )
            })?;
            let dir = dir
                .canonicalize()
                .map_err(|e| Error::store(dir.display().to_string(), e))?;
            (dir.to_string_lossy().to_string(), Some(dir))
        };
        let conn = lancedb::connect(&uri)
            .execute()
            .await
            .map_err(|e| from_lance_store(&format!("open {uri}"), e))?;
        Ok(Self { uri, local, conn })
    }

    /// Opens the local store in directory `dir` (created if needed).
    pub async fn open_dir(dir: impl AsRef<Path>) -> Result<Self> {
        Self::open(dir.as_ref().to_string_lossy()).await
    }

    /// The store's location: its absolute directory, or its URI.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The store's directory, when it is local.
    pub fn local_dir(&self) -> Option<&Path> {
        self.local.as_deref()
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

    /// The lock file serialising creation and keyed commits of `table` across processes (a local store's).
    fn lock_path(&self, table: &str) -> Option<PathBuf> {
        self.local
            .as_ref()
            .map(|d| d.join(LOCK_DIR).join(format!("{table}.lock")))
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
        let _lock = lock(self.lock_path(table).as_deref()).await?;
        if self.table_schema(table).await?.is_some() {
            return Err(Error::TableExists(table.to_string()));
        }
        self.conn
            .create_empty_table(table, schema)
            .execute()
            .await
            .map_err(|e| from_lance(table, "create", e))?;
        Ok(())
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
        let w = LanceWriter::new(
            table,
            self.location(table),
            self.lock_path(table),
            t,
            schema,
            spec,
        )
        .await?;
        Ok(Box::new(w))
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
        format!("{}/{table}.lance", self.uri)
    }
}

/// The users' tables of a connection, sorted; lakefeed's own bookkeeping (the inputs ledger, staging tables)
/// is not listed.
pub(crate) async fn table_names(conn: &Connection) -> Result<Vec<String>> {
    let mut names = conn
        .table_names()
        .execute()
        .await
        .map_err(|e| from_lance_store("list tables", e))?;
    names.retain(|n| !n.starts_with("_lakefeed"));
    names.sort();
    Ok(names)
}
