//! Rows by position from a service, which has no such endpoint: one `LIMIT … OFFSET …` query per run of
//! consecutive positions, then the rows put in the order asked for.

use arrow::array::{RecordBatch, UInt32Array};
use arrow::compute::{concat_batches, take_record_batch};
use lakefeed_core::query::quote_ident;
use lakefeed_core::{Error, QueryEngine, Result};

use super::RemoteStore;

/// The rows at `rows` (scan order, 0-based) of `table`, in the order given.
pub(super) async fn take(
    store: &RemoteStore,
    table: &str,
    rows: &[u64],
    columns: Option<&[String]>,
) -> Result<RecordBatch> {
    let cols = columns.map_or_else(
        || "*".to_string(),
        |c| {
            c.iter()
                .map(|c| quote_ident(c))
                .collect::<Vec<_>>()
                .join(", ")
        },
    );
    let mut wanted = rows.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    let mut parts = Vec::new();
    let mut schema = None;
    for (start, len) in runs(&wanted) {
        let sql = format!(
            "SELECT {cols} FROM {} LIMIT {len} OFFSET {start}",
            quote_ident(table)
        );
        let result = store.query(&sql, &[]).await?;
        let got: usize = result.batches().iter().map(RecordBatch::num_rows).sum();
        if (got as u64) < len {
            return Err(Error::Table(format!(
                "row {} is out of range: '{table}' has {} rows",
                start + len - 1,
                start + got as u64
            )));
        }
        schema.get_or_insert_with(|| result.schema().clone());
        parts.extend(result.batches().iter().cloned());
    }
    let Some(schema) = schema else {
        return Err(Error::Table(format!("no rows of '{table}' were asked for")));
    };
    let all = concat_batches(&schema, &parts)?;
    let order: UInt32Array = rows
        .iter()
        .map(|r| wanted.binary_search(r).map(|i| i as u32).ok())
        .collect();
    Ok(take_record_batch(&all, &order)?)
}

/// Sorted, distinct positions as (first, count) runs of consecutive ones.
fn runs(sorted: &[u64]) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = Vec::new();
    for &r in sorted {
        match out.last_mut() {
            Some((start, len)) if *start + *len == r => *len += 1,
            _ => out.push((r, 1)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::runs;

    #[test]
    fn positions_group_into_runs() {
        assert_eq!(runs(&[0, 1, 2, 5, 7, 8]), vec![(0, 3), (5, 1), (7, 2)]);
        assert!(runs(&[]).is_empty());
    }
}
