//! The seed's JSON query rows as Arrow (types inferred from the values).

use std::sync::Arc;

use arrow::datatypes::Schema;
use lakefeed_core::{Columns, Format, IngestContext, QueryResult, Result};
use serde_json::Value;

/// A service's JSON `columns` and `rows` as a result, each column's type inferred from its values.
pub fn json_result(columns: Vec<String>, rows: Vec<Vec<Value>>) -> Result<QueryResult> {
    let mut cols: Vec<(String, Vec<Value>)> =
        columns.into_iter().map(|c| (c, Vec::new())).collect();
    for row in rows {
        for (i, v) in row.into_iter().enumerate() {
            if let Some(c) = cols.get_mut(i) {
                c.1.push(v);
            }
        }
    }
    if cols.is_empty() {
        return Ok(QueryResult::new(Arc::new(Schema::empty()), Vec::new()));
    }
    let format = Box::new(Columns::new(cols, &Default::default())?);
    let schema = format.schema().unwrap_or_else(|| Arc::new(Schema::empty()));
    let ctx = IngestContext::new(Arc::new(Default::default()));
    let batches = format.normalize(&ctx)?.collect::<Result<Vec<_>>>()?;
    Ok(QueryResult::new(schema, batches))
}
