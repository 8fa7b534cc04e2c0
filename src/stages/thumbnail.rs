//! The thumbnail stage: for every IMAGE column a format names, thumbnails at 32, 64, 128 and 256 px go to
//! the shared `thumbnails` table. Rows are thumbnailed in parallel (rayon); a failure is a warning, never a
//! failed ingest.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BinaryBuilder, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Schema, SchemaRef};
use rayon::prelude::*;

use lakefeed_core::stage::sql_literal;
use lakefeed_core::{IngestContext, LogicalType, Result, SideStage};
use lakefeed_formats::media::{BOXES, Thumb, thumbnails};

use super::keys::{THUMBNAILS_TABLE, thumbnail_keys};

/// The schema of the `thumbnails` table.
pub fn thumbnails_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        LogicalType::Text.field("file_id", DataType::Utf8),
        LogicalType::Text.field("table_name", DataType::Utf8),
        LogicalType::Text.field("column_name", DataType::Utf8),
        LogicalType::Text.field("dimension", DataType::Utf8),
        LogicalType::Image.field("content", DataType::Binary),
    ]))
}

/// Makes thumbnails of IMAGE columns into the `thumbnails` table.
#[derive(Debug, Default, Clone, Copy)]
pub struct ThumbnailStage;

impl SideStage for ThumbnailStage {
    fn table(&self) -> &str {
        THUMBNAILS_TABLE
    }

    fn schema(&self) -> SchemaRef {
        thumbnails_schema()
    }

    fn columns(&self, _source: &Schema, image_columns: &[String]) -> Vec<String> {
        image_columns.to_vec()
    }

    /// One thumbnail per source row, column and size.
    fn key(&self) -> Vec<String> {
        ["file_id", "table_name", "column_name", "dimension"]
            .map(String::from)
            .to_vec()
    }

    fn rows_from(&self, source_table: &str) -> String {
        format!("table_name = {}", sql_literal(source_table))
    }

    fn derive(
        &self,
        source_table: &str,
        batch: &RecordBatch,
        columns: &[String],
        ctx: &IngestContext,
    ) -> Result<Option<RecordBatch>> {
        let ids = thumbnail_keys(batch);
        let mut made: Vec<(usize, &str, Vec<Thumb>)> = Vec::new();
        for col_name in columns {
            let Some(col) = batch.column_by_name(col_name) else {
                continue;
            };
            let Some(bytes) = binary_values(col) else {
                continue;
            };
            let results: Vec<(usize, std::result::Result<Vec<Thumb>, String>)> = bytes
                .par_iter()
                .enumerate()
                .filter_map(|(row, b)| b.map(|b| (row, thumbnails(b))))
                .collect();
            for (row, r) in results {
                match r {
                    Ok(t) => made.push((row, col_name, t)),
                    Err(e) => ctx.warn(format!(
                        "thumbnail of {source_table}.{col_name} row '{}' failed: {e}",
                        ids[row]
                    )),
                }
            }
        }
        if made.is_empty() {
            return Ok(None);
        }
        let n = made.len() * BOXES.len();
        let (mut fid, mut tn, mut cn, mut dim) = (
            StringBuilder::new(),
            StringBuilder::new(),
            StringBuilder::new(),
            StringBuilder::new(),
        );
        let mut content = BinaryBuilder::with_capacity(n, 0);
        for (row, col, thumbs) in made {
            for t in thumbs {
                fid.append_value(&ids[row]);
                tn.append_value(source_table);
                cn.append_value(col);
                dim.append_value(&t.dimension);
                content.append_value(&t.jpeg);
            }
        }
        let cols: Vec<ArrayRef> = vec![
            Arc::new(fid.finish()),
            Arc::new(tn.finish()),
            Arc::new(cn.finish()),
            Arc::new(dim.finish()),
            Arc::new(content.finish()),
        ];
        Ok(Some(RecordBatch::try_new(thumbnails_schema(), cols)?))
    }
}

fn binary_values(col: &ArrayRef) -> Option<Vec<Option<&[u8]>>> {
    match col.data_type() {
        DataType::Binary => Some(col.as_binary::<i32>().iter().collect()),
        DataType::LargeBinary => Some(col.as_binary::<i64>().iter().collect()),
        _ => None,
    }
}
