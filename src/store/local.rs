//! The embedded default store: one Lance table per sub-directory of the store directory, through `lancedb`.
//! Every append is one atomic Lance commit, so a crash leaves whole commits only.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, Schema, SchemaRef};
use futures::StreamExt;
use lakefeed_core::{
    BatchStream, Error, QueryResult, Result, ScanSpec, TableStore, TableWriter, WriteSpec,
    validate_table_name,
};

/// Where keyed writers' lock files live, beside the tables.
const LOCK_DIR: &str = "_lakefeed_locks";
use lancedb::index::Index;
use lancedb::index::vector::IvfSqIndexBuilder;
use lancedb::query::{ExecutableQuery, QueryBase, QueryExecutionOptions, Select};
use lancedb::table::{NewColumnTransform, OptimizeAction};
use lancedb::{Connection, DistanceType, Table};

use super::lance_error::{from_lance, from_lance_store};
use super::lock::lock;
use super::writer::LanceWriter;
use crate::sql::{Session, Statement};

/// Lance tables under a local directory.
#[derive(Clone)]
pub struct LocalStore {
    root: PathBuf,
    conn: Connection,
    /// The most rows a query may return (a server's limit); the query stops as soon as it passes it.
    max_result_rows: Option<usize>,
}

impl std::fmt::Debug for LocalStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalStore")
            .field("root", &self.root)
            .finish()
    }
}

impl LocalStore {
    /// Opens (creating if needed) the store directory `root`. Must run inside a tokio runtime.
    pub async fn open(root: impl AsRef<Path>) -> Result<Self> {
        let root = root.as_ref();
        std::fs::create_dir_all(root).map_err(|e| {
            Error::store(
                format!("cannot create store directory {}", root.display()),
                e,
            )
        })?;
        let root = root
            .canonicalize()
            .map_err(|e| Error::store(root.display().to_string(), e))?;
        let uri = root.to_string_lossy().to_string();
        let conn = lancedb::connect(&uri)
            .execute()
            .await
            .map_err(|e| from_lance_store(&format!("open {uri}"), e))?;
        Ok(Self {
            root,
            conn,
            max_result_rows: None,
        })
    }

    /// Limits the rows a query may return (and an `INSERT … SELECT` may read): past it the query stops with a
    /// QueryError rather than collect more.
    pub fn with_max_result_rows(mut self, rows: usize) -> Self {
        self.max_result_rows = Some(rows);
        self
    }

    /// The store directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The lancedb connection (for SQL sessions over this store).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Whether `column` of `table` has an index.
    async fn has_index(&self, table: &str, column: &str) -> Result<bool> {
        let t = self.open_table(table).await?;
        let indexes = t
            .list_indices()
            .await
            .map_err(|e| from_lance(table, "list indexes of", e))?;
        Ok(indexes.iter().any(|i| i.columns == [column]))
    }

    /// The lock file serialising creation and keyed commits of `table` across processes.
    fn lock_path(&self, table: &str) -> PathBuf {
        self.root.join(LOCK_DIR).join(format!("{table}.lock"))
    }

    pub(super) async fn open_table(&self, table: &str) -> Result<Table> {
        validate_table_name(table)?;
        self.conn
            .open_table(table)
            .execute()
            .await
            .map_err(|e| from_lance(table, "open", e))
    }
}

#[async_trait::async_trait]
impl TableStore for LocalStore {
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
        let _lock = lock(&self.lock_path(table)).await?;
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

    async fn delete_rows(&self, table: &str, predicate: &str) -> Result<()> {
        match self.open_table(table).await {
            Ok(t) => {
                t.delete(predicate)
                    .await
                    .map_err(|e| from_lance(table, "delete rows of", e))?;
                Ok(())
            }
            Err(Error::TableNotFound(_)) => Ok(()),
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

    async fn query(&self, sql: &str, params: &[serde_json::Value]) -> Result<QueryResult> {
        let mut session = Session::new(self.conn.clone());
        session.max_rows = self.max_result_rows;
        match session.parse(sql)? {
            Statement::CreateIndex {
                table,
                column,
                if_not_exists,
            } => {
                if !(if_not_exists && self.has_index(&table, &column).await?) {
                    self.create_index(&table, &column).await?;
                }
                Ok(QueryResult::new(Arc::new(Schema::empty()), vec![]))
            }
            Statement::Insert(ins) => super::dml::insert(self, &session, ins, params).await,
            Statement::Delete { table, predicate } => {
                super::dml::delete(self, &table, predicate, params).await
            }
            Statement::AddColumns { table, columns } => {
                super::dml::add_columns(self, &table, &columns).await
            }
            plan => session.run(plan, params).await,
        }
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
            DataType::Utf8 | DataType::LargeUtf8 => {
                Index::FTS(crate::sql::search::fts_index_params())
            }
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
        self.root
            .join(format!("{table}.lance"))
            .to_string_lossy()
            .to_string()
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

/// Rows per IVF partition of a vector index.
const ROWS_PER_PARTITION: u64 = 25_000;

/// The vector index for a table of `rows` rows, so users never pick parameters: IVF partitions of about 25k rows
/// holding 8-bit scalar-quantised vectors. Queries probe up to 32 partitions (all of them up to 800k rows) and
/// re-rank the best candidates on the full vectors, so recall stays high even on data with no cluster structure
/// (random vectors), where HNSW and PQ lose most of it (measured: recall@10 0.43 and 0.23 on 100k random 384-d
/// vectors, against 1.00 for this index).
fn vector_index(rows: u64) -> Index {
    let partitions = rows.div_ceil(ROWS_PER_PARTITION).clamp(1, 256) as u32;
    Index::IvfSq(
        IvfSqIndexBuilder::default()
            .distance_type(DistanceType::Cosine)
            .num_partitions(partitions),
    )
}
