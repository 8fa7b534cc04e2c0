//! Exact vector top-k from memory: a long-lived process (a `Client`, the server) keeps a table version's vectors,
//! normalised, so each exact search is one pass of dot products instead of reading the column from disk.
//!
//! Bounded by `LAKEFEED_VECTOR_CACHE_MB` (default 4096; 0 turns it off). A column larger than the budget is not
//! cached and is searched by Lance's flat search as before. Entries are keyed by the table's version, so a
//! write makes the next search load the new version.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Float32Type};
use futures::TryStreamExt;
use lakefeed_core::Result;
use lancedb::query::{ExecutableQuery, QueryBase, Select};
use rayon::prelude::*;

use super::kernel;

/// A column's vectors, unit length (all zero for a null or zero vector), in scan order.
#[derive(Debug)]
pub(super) struct Vectors {
    dim: usize,
    values: Vec<f32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    store: String,
    table: String,
    version: u64,
    column: String,
}

#[derive(Default)]
struct Cache {
    entries: HashMap<Key, Arc<Vectors>>,
    bytes: usize,
}

fn cache() -> &'static Mutex<Cache> {
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

fn budget() -> usize {
    std::env::var("LAKEFEED_VECTOR_CACHE_MB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(4096)
        << 20
}

/// The column's vectors at the table's current version, loaded on first use; `None` when the column does not fit
/// the budget (or is not a fixed-size vector column). The handle is left checked out at that version, so scan
/// positions from [`Vectors::top_k`] name its rows.
pub(super) async fn vectors(
    store: &str,
    table: &lancedb::Table,
    column: &str,
) -> Result<Option<Arc<Vectors>>> {
    let err = |e| crate::store::lance_error::from_lance(table.name(), "search", e);
    let version = table.version().await.map_err(err)?;
    let key = Key {
        store: store.to_string(),
        table: table.name().to_string(),
        version,
        column: column.to_string(),
    };
    table.checkout(version).await.map_err(err)?;
    if let Some(v) = lock().entries.get(&key) {
        return Ok(Some(v.clone()));
    }
    let schema = table.schema().await.map_err(err)?;
    let Ok(field) = schema.field_with_name(column) else {
        return Ok(None);
    };
    let DataType::FixedSizeList(_, dim) = field.data_type() else {
        return Ok(None);
    };
    let dim = *dim as usize;
    let rows = table.count_rows(None).await.map_err(err)?;
    let bytes = rows * dim * 4;
    if bytes > budget() {
        return Ok(None);
    }
    let v = Arc::new(load(table, column, dim, rows).await?);
    let mut c = lock();
    // Keep only the newest entries within the budget.
    while c.bytes + bytes > budget() && !c.entries.is_empty() {
        let Some(k) = c.entries.keys().min_by_key(|k| k.version).cloned() else {
            break;
        };
        if let Some(old) = c.entries.remove(&k) {
            c.bytes -= old.values.len() * 4;
        }
    }
    c.bytes += bytes;
    c.entries.insert(key, v.clone());
    Ok(Some(v))
}

fn lock() -> std::sync::MutexGuard<'static, Cache> {
    cache().lock().unwrap_or_else(|p| p.into_inner())
}

async fn load(table: &lancedb::Table, column: &str, dim: usize, rows: usize) -> Result<Vectors> {
    let err = |e| crate::store::lance_error::from_lance(table.name(), "search", e);
    let mut stream = table
        .query()
        .select(Select::columns(&[column]))
        .execute()
        .await
        .map_err(err)?;
    let mut values = Vec::with_capacity(rows * dim);
    while let Some(batch) = stream.try_next().await.map_err(err)? {
        let list = batch.column(0).as_fixed_size_list();
        let inner = arrow::compute::cast(list.values(), &DataType::Float32)?;
        let inner = inner.as_primitive::<Float32Type>();
        for i in 0..list.len() {
            let start = values.len();
            if list.is_null(i) {
                values.resize(start + dim, 0.0);
                continue;
            }
            let off = list.value_offset(i) as usize;
            values.extend((0..dim).map(|k| inner.value(off + k)));
            let norm = values[start..].iter().map(|x| x * x).sum::<f32>().sqrt();
            if norm > 0.0 {
                values[start..].iter_mut().for_each(|x| *x /= norm);
            }
        }
    }
    Ok(Vectors { dim, values })
}

impl Vectors {
    /// Scan positions of the `k` rows most similar to `query` (best first), in parallel over the rows.
    pub(super) fn top_k(&self, query: &[f32], k: usize) -> Vec<u64> {
        let norm = query.iter().map(|x| x * x).sum::<f32>().sqrt();
        if self.dim != query.len() || k == 0 {
            return Vec::new();
        }
        let q: Vec<f32> = query
            .iter()
            .map(|x| x / norm.max(f32::MIN_POSITIVE))
            .collect();
        let rows_per_chunk = 16_384;
        let mut best: Vec<(f32, u64)> = self
            .values
            .par_chunks(rows_per_chunk * self.dim)
            .enumerate()
            .flat_map_iter(|(c, chunk)| {
                let mut local: Vec<(f32, u64)> = chunk
                    .chunks_exact(self.dim)
                    .enumerate()
                    .map(|(i, v)| (kernel::dot(v, &q), (c * rows_per_chunk + i) as u64))
                    .collect();
                let keep = k.min(local.len());
                if keep < local.len() {
                    local.select_nth_unstable_by(keep, |a, b| b.0.total_cmp(&a.0));
                    local.truncate(keep);
                }
                local
            })
            .collect();
        best.sort_by(|a, b| b.0.total_cmp(&a.0));
        best.truncate(k);
        best.into_iter().map(|(_, i)| i).collect()
    }
}
