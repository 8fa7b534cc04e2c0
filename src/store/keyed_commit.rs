//! Committing keyed rows without locks, on a local disk or an object store alike.
//!
//! The rows are committed as a Lance `Update` that only adds fragments and carries the exact set of the keys it
//! inserts (`inserted_rows_filter`). Lance's conflict check then fails the commit, retryably, when any commit
//! since the version the writer probed inserted one of those keys, or added rows without saying which keys
//! (a plain append). The writer then probes the fragments committed meanwhile, drops the rows found there, and
//! commits again. Two writers racing on one key: exactly one commit holds it. The commit itself is a conditional
//! put of the next manifest (`If-None-Match` on S3, an atomic link on a local disk), so no lock file is needed.

use std::collections::HashSet;
use std::sync::Arc;

use arrow::array::{Array, RecordBatch};
use datafusion::common::{Column, ScalarValue};
use datafusion::logical_expr::Expr;
use futures::TryStreamExt;
use lakefeed_core::{Error, Result, WriteSpec};
use lance::Dataset;
use lance::dataset::transaction::{Operation, Transaction, TransactionBuilder, UpdateMode};
use lance::table::format::Fragment;
use lance::table::format::key_existence::{FilterType, KeyExistenceFilter};

use super::keys::{KeyHash, KeySet, keep_rows, row_keys};
use super::lance_error::from_lance_core;

/// Rows and their keys.
pub(super) type Keyed = (RecordBatch, Vec<Option<KeyHash>>);

/// Drops rows whose key is in `own` (this run wrote it), and repeats within `batches` (the first one stays).
/// Returns the rows kept with their keys, and how many were dropped.
pub(super) fn drop_own(
    spec: &WriteSpec,
    own: &KeySet,
    batches: Vec<RecordBatch>,
) -> Result<(Vec<Keyed>, u64)> {
    let mut pending = KeySet::default();
    let mut out = Vec::with_capacity(batches.len());
    let mut dropped = 0;
    for b in batches {
        let keys = row_keys(&b, &spec.key)?;
        let (kept, keys, n) = keep_rows(&b, &keys, |k| {
            spec.unique || (!own.contains(&k) && pending.insert(k))
        })?;
        dropped += n;
        if kept.num_rows() > 0 {
            out.push((kept, keys));
        }
    }
    Ok((out, dropped))
}

/// `pending` without the rows whose key is in `found`; adds how many were dropped to `present`.
pub(super) fn without(
    pending: Vec<Keyed>,
    found: &KeySet,
    present: &mut u64,
) -> Result<Vec<Keyed>> {
    let mut left = Vec::new();
    for (b, keys) in &pending {
        let (kept, keys, n) = keep_rows(b, keys, |k| !found.contains(&k))?;
        *present += n;
        if kept.num_rows() > 0 {
            left.push((kept, keys));
        }
    }
    Ok(left)
}

/// The transaction adding `fragments` (written uncommitted against `ds`) whose rows have `keys`, read at
/// `ds`'s version.
pub(super) fn insert_keyed(
    ds: &Dataset,
    key_columns: &[String],
    fragments: Vec<Fragment>,
    keys: &[KeyHash],
) -> Transaction {
    let schema = ds.schema();
    let field_ids = key_columns
        .iter()
        .filter_map(|c| schema.field(c).map(|f| f.id))
        .collect();
    let hashes: HashSet<u64> = keys.iter().map(|k| fold(*k)).collect();
    let operation = Operation::Update {
        removed_fragment_ids: Vec::new(),
        updated_fragments: Vec::new(),
        new_fragments: fragments,
        fields_modified: Vec::new(),
        compacted_sstables: Vec::new(),
        // Every field, so no index is extended over the new fragments (their rows are not in any index yet).
        fields_for_preserving_frag_bitmap: schema.fields_pre_order().map(|f| f.id as u32).collect(),
        update_mode: Some(UpdateMode::RewriteRows),
        inserted_rows_filter: Some(KeyExistenceFilter {
            field_ids,
            filter: FilterType::ExactSet(hashes),
        }),
        updated_fragment_offsets: None,
    };
    TransactionBuilder::new(ds.version().version, operation).build()
}

/// A 128-bit key digest as the 64 bits Lance's exact key sets hold.
fn fold(k: KeyHash) -> u64 {
    (k as u64) ^ ((k >> 64) as u64)
}

/// The fragments of `ds` not yet probed and not written by this writer; marks them probed.
pub(super) fn unprobed(
    ds: &Dataset,
    probed: &mut HashSet<u64>,
    own_files: &HashSet<String>,
) -> Vec<Fragment> {
    ds.get_fragments()
        .into_iter()
        .map(|f| f.metadata().clone())
        .filter(|f| !f.files.iter().any(|d| own_files.contains(&d.path)))
        .filter(|f| probed.insert(f.id))
        .collect()
}

/// How long to wait before attempt `n` (1-based) after a lost race: 20 ms doubling to 1 s, with jitter.
pub(super) fn backoff(n: u32) -> std::time::Duration {
    let base = 20u64 << n.min(6);
    let jitter = u64::from(uuid::Uuid::new_v4().as_bytes()[0]) % (base / 2 + 1);
    std::time::Duration::from_millis((base + jitter).min(1_000))
}

/// Attempts at a keyed commit before giving up with the conflict.
pub(super) const ATTEMPTS: u32 = 20;

/// The data files of `fragments` (their paths are unique, so they name the fragments).
pub(super) fn files_of(fragments: &[Fragment]) -> Vec<String> {
    fragments
        .iter()
        .flat_map(|f| f.files.iter().map(|d| d.path.clone()))
        .collect()
}

/// The fragments an uncommitted append or overwrite wrote.
pub(super) fn fragments_of(txn: Transaction) -> Vec<Fragment> {
    match txn.operation {
        Operation::Append { fragments } | Operation::Overwrite { fragments, .. } => fragments,
        _ => Vec::new(),
    }
}

/// The keys among `candidates` already in `others` (fragments of `ds`), looked up by the first key column.
pub(super) async fn probe(
    table: &str,
    key: &[String],
    ds: &Dataset,
    others: Vec<Fragment>,
    candidates: &[Keyed],
) -> Result<KeySet> {
    let mut found = KeySet::default();
    if others.is_empty() {
        return Ok(found);
    }
    let first = &key[0];
    let mut values = Vec::new();
    let mut seen = HashSet::new();
    for (b, _) in candidates {
        let col = b
            .column_by_name(first)
            .ok_or_else(|| Error::Table(format!("key column '{first}' is missing")))?;
        for row in 0..col.len() {
            if col.is_valid(row) {
                let v = ScalarValue::try_from_array(col, row)
                    .map_err(|e| Error::Table(format!("key column '{first}': {e}")))?;
                if seen.insert(v.clone()) {
                    values.push(Expr::Literal(v, None));
                }
            }
        }
    }
    if values.is_empty() {
        return Ok(found);
    }
    let filter = Expr::Column(Column::new_unqualified(first)).in_list(values, false);
    let mut scan = ds.scan();
    scan.with_fragments(others);
    scan.project(key)
        .map_err(|e| from_lance_core(table, "look up keys in", e))?;
    scan.filter_expr(filter);
    let mut stream = scan
        .try_into_stream()
        .await
        .map_err(|e| from_lance_core(table, "look up keys in", e))?;
    while let Some(b) = stream
        .try_next()
        .await
        .map_err(|e| from_lance_core(table, "look up keys in", e))?
    {
        found.extend(row_keys(&b, key)?.into_iter().flatten());
    }
    Ok(found)
}

/// Opens the latest version again after a lost race.
pub(super) async fn latest(ds: &Arc<Dataset>, table: &str) -> Result<Arc<Dataset>> {
    let mut d = ds.as_ref().clone();
    d.checkout_latest()
        .await
        .map_err(|e| from_lance_core(table, "read", e))?;
    Ok(Arc::new(d))
}
