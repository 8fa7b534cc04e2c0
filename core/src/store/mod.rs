//! Where tables live (§8). A [`TableStore`] is a blocking interface; the local store wraps Lance tables.

mod local;
mod names;

pub use local::LocalStore;
pub use names::validate_table_name;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;

use crate::error::Result;
use crate::format::Batches;
use crate::query::QueryResult;

/// A store of named tables. Every method blocks; call from outside an async runtime.
pub trait TableStore: Send + Sync {
    /// Names of all tables, sorted.
    fn list_tables(&self) -> Result<Vec<String>>;

    /// The table's schema, or `None` when it does not exist.
    fn table_schema(&self, table: &str) -> Result<Option<SchemaRef>>;

    /// Creates an empty table with `schema`. TableError if it exists.
    fn create_table(&self, table: &str, schema: SchemaRef) -> Result<()>;

    /// Appends batches (all of the table's schema) as one atomic commit.
    fn append(&self, table: &str, batches: Vec<RecordBatch>) -> Result<()>;

    /// Drops a table; a missing table is fine when `if_exists`, else TableError.
    fn drop_table(&self, table: &str, if_exists: bool) -> Result<()>;

    /// Deletes the rows matching a SQL predicate (one commit). A missing table is fine.
    fn delete_rows(&self, table: &str, predicate: &str) -> Result<()>;

    /// Number of rows in the table.
    fn count_rows(&self, table: &str) -> Result<u64>;

    /// Streams the table's rows as batches of at most `batch_size`, optionally projected and filtered
    /// (`filter` is a SQL predicate).
    fn scan(
        &self,
        table: &str,
        columns: Option<&[String]>,
        filter: Option<&str>,
        batch_size: usize,
    ) -> Result<Batches>;

    /// Runs SQL with `$1..$n` parameters bound (never spliced into the text).
    fn query(&self, sql: &str, params: &[serde_json::Value]) -> Result<QueryResult>;

    /// Builds a search index on a column: ANN for EMBEDDING, BM25 for TEXT.
    fn create_index(&self, table: &str, column: &str) -> Result<()>;

    /// Where the table's data lives (a path or URL), as reported in ingest results.
    fn location(&self, table: &str) -> String;
}
