//! Side stages: steps between a format and the sink that derive rows for another table from each batch
//! (thumbnails are one). The pipeline runs the list it is given; a third-party crate can write its own.

use arrow::array::RecordBatch;
use arrow::datatypes::{Schema, SchemaRef};

use crate::error::Result;
use crate::format::IngestContext;

/// Derives rows for [`SideStage::table`] from each batch written to a source table. It must not fail the
/// ingest for bad data: record a warning through the context instead.
pub trait SideStage: Send + Sync {
    /// The table the derived rows go to.
    fn table(&self) -> &str;

    /// The schema of the derived rows.
    fn schema(&self) -> SchemaRef;

    /// The columns of `source` this stage reads, given the IMAGE columns the format named. Empty means the stage
    /// has nothing to do for this source and is left out of the run.
    fn columns(&self, source: &Schema, image_columns: &[String]) -> Vec<String>;

    /// The columns identifying a derived row, so a re-run does not write it twice. The first is the most
    /// selective (it is the one looked up). Default: none.
    fn key(&self) -> Vec<String> {
        Vec::new()
    }

    /// A SQL predicate selecting the rows this stage derived from `source_table` (deleted when that table is
    /// overwritten).
    fn rows_from(&self, source_table: &str) -> String;

    /// Derives rows from `batch` of `source_table`, reading `columns`. `None` when there is nothing to write.
    fn derive(
        &self,
        source_table: &str,
        batch: &RecordBatch,
        columns: &[String],
        ctx: &IngestContext,
    ) -> Result<Option<RecordBatch>>;
}

/// A SQL string literal: `'…'` with quotes doubled.
pub fn sql_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}
