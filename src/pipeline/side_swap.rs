//! Side rows of an overwrite (a table's thumbnails): written into a hidden staging table while the run goes on
//! and swapped in only once the source table's overwrite has committed, so a run that fails part-way leaves
//! both the old rows and their side rows as they were.

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use lakefeed_core::{Result, ScanSpec};

use crate::blocking::Store;
use crate::retry::Backoff;

/// A staging table for one side table's rows of an overwrite; dropped when this is dropped.
pub(super) struct SideSwap {
    store: Store,
    /// The staging table the run writes to.
    pub stage: String,
    /// The side table the rows go to.
    table: String,
    /// Which of the side table's rows the overwrite replaces (those of the source table).
    predicate: String,
}

impl SideSwap {
    /// Creates the staging table for `table`'s rows matching `predicate`.
    pub fn create(
        store: &Store,
        table: &str,
        schema: SchemaRef,
        predicate: String,
    ) -> Result<Self> {
        let stage = format!("_lakefeed_stage_{table}_{}", uuid::Uuid::new_v4().simple());
        store.create_table(&stage, schema)?;
        Ok(Self {
            store: store.clone(),
            stage,
            table: table.to_string(),
            predicate,
        })
    }

    /// Replaces the side table's rows of the source table with the staged ones, `rows_per_commit` a commit.
    /// Runs after the source table's overwrite has committed.
    pub fn swap_in(self, rows_per_commit: usize) -> Result<()> {
        Backoff::COMMITS.run(&self.table, || {
            self.store.delete_rows(&self.table, &self.predicate)
        })?;
        let mut buf: Vec<RecordBatch> = Vec::new();
        let mut rows = 0;
        for batch in self.store.scan(&self.stage, ScanSpec::default())? {
            let batch = batch?;
            rows += batch.num_rows();
            buf.push(batch);
            if rows >= rows_per_commit {
                self.append(std::mem::take(&mut buf))?;
                rows = 0;
            }
        }
        self.append(buf)
    }

    fn append(&self, batches: Vec<RecordBatch>) -> Result<()> {
        if batches.is_empty() {
            return Ok(());
        }
        Backoff::COMMITS.run(&self.table, || {
            self.store.append(&self.table, batches.clone())
        })
    }
}

impl Drop for SideSwap {
    fn drop(&mut self) {
        if let Err(e) = self.store.drop_table(&self.stage, true) {
            tracing::warn!(table = %self.stage, error = %e.chain(), "cannot drop a staging table");
        }
    }
}
