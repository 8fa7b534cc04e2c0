//! The embedded default store: one Lance table per sub-directory of the store directory, through `lancedb`.
//! Every append is one atomic Lance commit, so a crash leaves whole commits only.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, SchemaRef};
use futures::StreamExt;
use lancedb::index::Index;
use lancedb::index::scalar::FtsIndexBuilder;
use lancedb::index::vector::IvfFlatIndexBuilder;
use lancedb::query::{ExecutableQuery, QueryBase, QueryExecutionOptions, Select};
use lancedb::{Connection, DistanceType, Table};
use tokio::runtime::Runtime;

use super::{TableStore, validate_table_name};
use crate::error::{Error, Result};
use crate::format::Batches;
use crate::query::QueryResult;
use crate::sql;

/// Lance tables under a local directory.
pub struct LocalStore {
    root: PathBuf,
    conn: Connection,
    rt: Arc<Runtime>,
}

impl std::fmt::Debug for LocalStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalStore")
            .field("root", &self.root)
            .finish()
    }
}

impl LocalStore {
    /// Opens (creating if needed) the store directory `root`.
    pub fn open(root: impl AsRef<Path>) -> Result<Self> {
        let root = root.as_ref();
        std::fs::create_dir_all(root).map_err(|e| {
            Error::Store(format!(
                "cannot create store directory {}: {e}",
                root.display()
            ))
        })?;
        let root = root
            .canonicalize()
            .map_err(|e| Error::Store(format!("{}: {e}", root.display())))?;
        let rt = Arc::new(
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .thread_name("lakefeed-store")
                .build()
                .map_err(|e| Error::Other(format!("cannot start async runtime: {e}")))?,
        );
        let uri = root.to_string_lossy().to_string();
        let conn = rt.block_on(lancedb::connect(&uri).execute())?;
        Ok(Self { root, conn, rt })
    }

    /// The store directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn open_table(&self, table: &str) -> Result<Table> {
        validate_table_name(table)?;
        self.rt
            .block_on(self.conn.open_table(table).execute())
            .map_err(|e| match e {
                lancedb::Error::TableNotFound { .. } => Error::TableNotFound(table.to_string()),
                other => other.into(),
            })
    }
}

impl TableStore for LocalStore {
    fn list_tables(&self) -> Result<Vec<String>> {
        let mut names = self.rt.block_on(self.conn.table_names().execute())?;
        names.sort();
        Ok(names)
    }

    fn table_schema(&self, table: &str) -> Result<Option<SchemaRef>> {
        match self.open_table(table) {
            Ok(t) => Ok(Some(self.rt.block_on(t.schema())?)),
            Err(Error::TableNotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn create_table(&self, table: &str, schema: SchemaRef) -> Result<()> {
        validate_table_name(table)?;
        self.rt
            .block_on(self.conn.create_empty_table(table, schema).execute())
            .map_err(|e| match e {
                lancedb::Error::TableAlreadyExists { name } => {
                    Error::Table(format!("table '{name}' already exists"))
                }
                other => other.into(),
            })?;
        Ok(())
    }

    fn append(&self, table: &str, batches: Vec<RecordBatch>) -> Result<()> {
        if batches.iter().all(|b| b.num_rows() == 0) {
            return Ok(());
        }
        let t = self.open_table(table)?;
        self.rt.block_on(t.add(batches).execute())?;
        Ok(())
    }

    fn drop_table(&self, table: &str, if_exists: bool) -> Result<()> {
        validate_table_name(table)?;
        let exists = self.list_tables()?.iter().any(|t| t == table);
        if !exists {
            return if if_exists {
                Ok(())
            } else {
                Err(Error::TableNotFound(table.to_string()))
            };
        }
        self.rt.block_on(self.conn.drop_table(table, &[]))?;
        Ok(())
    }

    fn delete_rows(&self, table: &str, predicate: &str) -> Result<()> {
        match self.open_table(table) {
            Ok(t) => {
                self.rt.block_on(t.delete(predicate))?;
                Ok(())
            }
            Err(Error::TableNotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn count_rows(&self, table: &str) -> Result<u64> {
        let t = self.open_table(table)?;
        Ok(self.rt.block_on(t.count_rows(None))? as u64)
    }

    fn scan(
        &self,
        table: &str,
        columns: Option<&[String]>,
        filter: Option<&str>,
        batch_size: usize,
    ) -> Result<Batches> {
        let t = self.open_table(table)?;
        let mut q = t.query();
        if let Some(cols) = columns {
            q = q.select(Select::columns(cols));
        }
        if let Some(f) = filter {
            q = q.only_if(f);
        }
        let mut opts = QueryExecutionOptions::default();
        opts.max_batch_length = batch_size.clamp(1, u32::MAX as usize) as u32;
        let mut stream = self.rt.block_on(q.execute_with_options(opts))?;
        let rt = self.rt.clone();
        Ok(Box::new(std::iter::from_fn(move || {
            rt.block_on(stream.next()).map(|r| r.map_err(Error::from))
        })))
    }

    fn query(&self, sql_text: &str, params: &[serde_json::Value]) -> Result<QueryResult> {
        if let sql::Parsed::CreateIndex { table, column } =
            sql::parse(&datafusion::prelude::SessionContext::new(), sql_text)?
        {
            self.create_index(&table, &column)?;
            return Ok(QueryResult::new(
                Arc::new(arrow::datatypes::Schema::empty()),
                vec![],
            ));
        }
        self.rt.block_on(sql::run(&self.conn, sql_text, params))
    }

    fn create_index(&self, table: &str, column: &str) -> Result<()> {
        let t = self.open_table(table)?;
        let schema = self.rt.block_on(t.schema())?;
        let field = schema
            .field_with_name(column)
            .map_err(|_| Error::Table(format!("table '{table}' has no column '{column}'")))?;
        let rows = self.rt.block_on(t.count_rows(None))?;
        let index = match field.data_type() {
            DataType::FixedSizeList(_, _) => {
                let partitions = ((rows as f64).sqrt() as u32).clamp(1, 256);
                Index::IvfFlat(
                    IvfFlatIndexBuilder::default()
                        .distance_type(DistanceType::Cosine)
                        .num_partitions(partitions),
                )
            }
            DataType::Utf8 | DataType::LargeUtf8 => Index::FTS(FtsIndexBuilder::default()),
            _ => Index::BTree(Default::default()),
        };
        self.rt
            .block_on(t.create_index(&[column], index).replace(true).execute())
            .map_err(|e| Error::Table(format!("cannot index '{table}.{column}': {e}")))
    }

    fn location(&self, table: &str) -> String {
        self.root
            .join(format!("{table}.lance"))
            .to_string_lossy()
            .to_string()
    }
}
