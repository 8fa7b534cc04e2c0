//! Writing one run into a Lance table: plain appends, keyed appends that skip rows whose key is present,
//! upserts, and overwrites committed at once.
//!
//! Keyed appends stay linear in the rows written: the writer remembers the keys it committed itself, and asks the
//! table only about fragments it did not write (looking up the first key column, through its BTree index when
//! there is one). Two writers of one table cannot both find a key absent and both write it: each commit names
//! the keys it inserts and Lance refuses one that races another on a key (`keyed_commit`), with no lock file,
//! so the same holds on object storage.

use std::collections::HashSet;
use std::sync::Arc;

use arrow::array::{RecordBatch, RecordBatchIterator};
use arrow::datatypes::SchemaRef;
use lakefeed_core::{Error, Result, TableWriter, WriteMode, WriteSpec, Written};
use lance::Dataset;
use lance::dataset::transaction::{Operation, Transaction, TransactionBuilder};
use lance::dataset::{CommitBuilder, InsertBuilder, WriteMode as LanceMode, WriteParams};
use lance::table::format::Fragment;

use super::keyed_commit::{
    ATTEMPTS, Keyed, backoff, drop_own, files_of, fragments_of, insert_keyed, latest, probe,
    unprobed, without,
};
use super::keys::{KeyHash, KeySet, keep_rows, row_keys};
use super::lance_error::{from_lance, from_lance_core};
use super::location::Location;

/// One run's writer into a Lance table.
pub(super) struct LanceWriter {
    table: String,
    loc: Location,
    spec: WriteSpec,
    schema: SchemaRef,
    lancedb: lancedb::Table,
    /// Keys this writer committed (or found present): never asked about again.
    own_keys: KeySet,
    /// Data files this writer committed: their fragments hold only keys in `own_keys`.
    own_files: HashSet<String>,
    /// Overwrite: the dataset it replaces, and the fragments written so far.
    base: Option<Arc<Dataset>>,
    staged: Option<Transaction>,
}

impl LanceWriter {
    pub(super) async fn new(
        table: &str,
        loc: Location,
        lancedb: lancedb::Table,
        schema: SchemaRef,
        spec: WriteSpec,
    ) -> Result<Self> {
        if spec.mode == WriteMode::Upsert && spec.key.is_empty() {
            return Err(Error::Ingest(format!(
                "upsert into '{table}' needs a key: name one (`key:` in a manifest, `--key`)"
            )));
        }
        for k in &spec.key {
            if schema.field_with_name(k).is_err() {
                return Err(Error::Table(format!(
                    "key column '{k}' is not a column of table '{table}'"
                )));
            }
        }
        let base = if spec.mode == WriteMode::Overwrite {
            Some(Arc::new(loc.dataset(table).await?))
        } else {
            None
        };
        if spec.mode == WriteMode::Upsert {
            primary_key(&lancedb, &spec.key).await;
        }
        if spec.mode == WriteMode::Append && !spec.key.is_empty() {
            // Best effort: without the index a probe scans the key column, which is still correct.
            if let Err(e) = key_index(&lancedb, &spec.key[0]).await {
                tracing::warn!(table, error = %e, "could not bring the key index up to date");
            }
        }
        Ok(Self {
            table: table.to_string(),
            loc,
            spec,
            schema,
            lancedb,
            own_keys: KeySet::default(),
            own_files: HashSet::new(),
            base,
            staged: None,
        })
    }

    fn keyed(&self) -> bool {
        !self.spec.key.is_empty()
    }

    /// Drops rows whose key this run already wrote, and repeats within `batches` (the first one stays).
    fn drop_own(&self, batches: Vec<RecordBatch>) -> Result<(Vec<Keyed>, u64)> {
        drop_own(&self.spec, &self.own_keys, batches)
    }

    async fn append_plain(&self, batches: Vec<RecordBatch>) -> Result<Written> {
        let rows = batches.iter().map(|b| b.num_rows() as u64).sum();
        self.lancedb
            .add(batches)
            .execute()
            .await
            .map_err(|e| from_lance(&self.table, "append to", e))?;
        Ok(Written { rows, present: 0 })
    }

    async fn append_keyed(&mut self, batches: Vec<RecordBatch>) -> Result<Written> {
        let (mut pending, mut present) = self.drop_own(batches)?;
        if pending.is_empty() {
            return Ok(Written { rows: 0, present });
        }
        let new_keys: Vec<KeyHash> = pending
            .iter()
            .flat_map(|(_, keys)| keys.iter().flatten().copied())
            .collect();
        let mut ds = Arc::new(self.loc.dataset(&self.table).await?);
        self.check_own_files(&ds);
        let mut probed = HashSet::new();
        let mut staged: Option<Vec<Fragment>> = None;
        let mut attempt = 0;
        let rows = loop {
            // Rows whose key landed in a fragment this writer has not looked at yet are left out.
            let others = unprobed(&ds, &mut probed, &self.own_files);
            let found = probe(&self.table, &self.spec.key, &ds, others, &pending).await?;
            if !found.is_empty() {
                pending = without(pending, &found, &mut present)?;
                // Files written for the rows before are left unreferenced (a cleanup removes them).
                staged = None;
            }
            if pending.is_empty() {
                break 0;
            }
            let fragments = match staged.take() {
                Some(f) => f,
                None => {
                    let batches = pending.iter().map(|(b, _)| b.clone()).collect();
                    let txn = InsertBuilder::new(ds.clone())
                        .with_params(&append_params())
                        .execute_uncommitted(batches)
                        .await
                        .map_err(|e| from_lance_core(&self.table, "append to", e))?;
                    fragments_of(txn)
                }
            };
            let keys: Vec<KeyHash> = pending
                .iter()
                .flat_map(|(_, k)| k.iter().flatten().copied())
                .collect();
            let txn = insert_keyed(&ds, &self.spec.key, fragments.clone(), &keys);
            match CommitBuilder::new(ds.clone()).execute(txn).await {
                Ok(_) => {
                    self.own_files.extend(files_of(&fragments));
                    break pending.iter().map(|(b, _)| b.num_rows() as u64).sum();
                }
                Err(e) => {
                    let e = from_lance_core(&self.table, "append to", e);
                    attempt += 1;
                    if !e.is_retryable() || attempt >= ATTEMPTS {
                        return Err(e);
                    }
                    tracing::debug!(
                        table = self.table,
                        attempt,
                        "a keyed commit raced another; probing again"
                    );
                    tokio::time::sleep(backoff(attempt)).await;
                    staged = Some(fragments);
                    ds = latest(&ds, &self.table).await?;
                }
            }
        };
        if !self.spec.unique {
            self.own_keys.extend(new_keys);
        }
        Ok(Written { rows, present })
    }

    /// Forgets what this writer wrote when any of its files is gone (another process overwrote or compacted the
    /// table): its keys are then looked up like everyone else's.
    fn check_own_files(&mut self, ds: &Dataset) {
        if self.own_files.is_empty() {
            return;
        }
        let fragments = ds.get_fragments();
        let present: HashSet<&str> = fragments
            .iter()
            .flat_map(|f| f.metadata().files.iter().map(|d| d.path.as_str()))
            .collect();
        if !self.own_files.iter().all(|f| present.contains(f.as_str())) {
            tracing::debug!(table = self.table, "own files replaced; probing every key");
            self.own_files.clear();
            self.own_keys.clear();
        }
    }

    async fn upsert(&mut self, batches: Vec<RecordBatch>) -> Result<Written> {
        // Within one write the last row of a key wins, as it would had the rows come one by one.
        let mut seen = HashSet::new();
        let mut rev = Vec::new();
        for b in batches.iter().rev() {
            let keys: Vec<_> = row_keys(b, &self.spec.key)?.into_iter().rev().collect();
            let rb = arrow::compute::take_record_batch(
                b,
                &arrow::array::UInt32Array::from_iter_values((0..b.num_rows() as u32).rev()),
            )?;
            let (kept, _, _) = keep_rows(&rb, &keys, |k| seen.insert(k))?;
            rev.push(kept);
        }
        let rows: u64 = rev.iter().map(|b| b.num_rows() as u64).sum();
        if rows == 0 {
            return Ok(Written::default());
        }
        // A stale handle would turn updates into inserts (lancedb#3377): read the latest version first.
        self.lancedb
            .checkout_latest()
            .await
            .map_err(|e| from_lance(&self.table, "read", e))?;
        let key: Vec<&str> = self.spec.key.iter().map(String::as_str).collect();
        let mut merge = self.lancedb.merge_insert(&key);
        // Without the key index the merge names the keys it inserts, so Lance refuses a concurrent upsert that
        // inserted one of them (retried by the merge) instead of committing it twice.
        merge
            .when_matched_update_all(None)
            .when_not_matched_insert_all()
            .use_index(false);
        let reader = RecordBatchIterator::new(rev.into_iter().map(Ok), self.schema.clone());
        merge
            .execute(Box::new(reader))
            .await
            .map_err(|e| from_lance(&self.table, "upsert into", e))?;
        Ok(Written { rows, present: 0 })
    }

    async fn stage(&mut self, batches: Vec<RecordBatch>) -> Result<Written> {
        let (batches, present) = if self.keyed() {
            let (c, n) = self.drop_own(batches)?;
            for (_, keys) in c.iter().filter(|_| !self.spec.unique) {
                self.own_keys.extend(keys.iter().flatten().copied());
            }
            (c.into_iter().map(|(b, _)| b).collect::<Vec<_>>(), n)
        } else {
            (batches, 0)
        };
        let rows: u64 = batches.iter().map(|b| b.num_rows() as u64).sum();
        if rows == 0 {
            return Ok(Written { rows, present });
        }
        let txn = self.write_uncommitted(batches).await?;
        match (&mut self.staged, txn.operation) {
            (
                Some(Transaction {
                    operation: Operation::Overwrite { fragments, .. },
                    ..
                }),
                Operation::Overwrite {
                    fragments: more, ..
                },
            ) => fragments.extend(more),
            (staged, operation) => *staged = Some(Transaction { operation, ..txn }),
        }
        Ok(Written { rows, present })
    }

    async fn write_uncommitted(&self, batches: Vec<RecordBatch>) -> Result<Transaction> {
        let base = self
            .base
            .clone()
            .ok_or_else(|| Error::Other("overwrite without its base table".into()))?;
        InsertBuilder::new(base)
            .with_params(&WriteParams {
                mode: LanceMode::Overwrite,
                ..Default::default()
            })
            .execute_uncommitted(batches)
            .await
            .map_err(|e| from_lance_core(&self.table, "overwrite", e))
    }
}

#[async_trait::async_trait]
impl TableWriter for LanceWriter {
    async fn write(&mut self, batches: Vec<RecordBatch>) -> Result<Written> {
        let batches: Vec<RecordBatch> = batches.into_iter().filter(|b| b.num_rows() > 0).collect();
        if batches.is_empty() {
            return Ok(Written::default());
        }
        match (self.spec.mode, self.keyed()) {
            (WriteMode::Overwrite, _) => self.stage(batches).await,
            (WriteMode::Upsert, _) => self.upsert(batches).await,
            (WriteMode::Append, true) => self.append_keyed(batches).await,
            (WriteMode::Append, false) => self.append_plain(batches).await,
        }
    }

    async fn finish(mut self: Box<Self>) -> Result<()> {
        if self.spec.mode == WriteMode::Append && self.keyed() {
            // The rows just written may take the table past the size that gets a key index (the thumbnails
            // table of a large first ingest, whose index the viewer's lookups use too).
            let done = match self.lancedb.checkout_latest().await {
                Ok(()) => key_index(&self.lancedb, &self.spec.key[0]).await,
                Err(e) => Err(e),
            };
            if let Err(e) = done {
                tracing::warn!(table = self.table, error = %e, "could not bring the key index up to date");
            }
        }
        if self.spec.mode != WriteMode::Overwrite {
            return Ok(());
        }
        let base = self
            .base
            .clone()
            .ok_or_else(|| Error::Other("overwrite without its base table".into()))?;
        let staged = match self.staged.take() {
            Some(t) => t,
            // No rows: the table is replaced by an empty one of the new schema.
            None => {
                self.write_uncommitted(vec![RecordBatch::new_empty(self.schema.clone())])
                    .await?
            }
        };
        let txn = TransactionBuilder::new(base.version().version, staged.operation).build();
        CommitBuilder::new(base)
            .execute(txn)
            .await
            .map_err(|e| from_lance_core(&self.table, "overwrite", e))?;
        tracing::debug!(table = self.table, "overwrite committed");
        Ok(())
    }
}

/// Records a single-column key as the table's (unenforced) primary key, once: upserts then name the keys they
/// insert and Lance refuses two concurrent upserts inserting one key. Lance supports only single-column keys of
/// integer, text or binary type there; other keys are upserted without that check.
async fn primary_key(t: &lancedb::Table, key: &[String]) {
    let Ok(schema) = t.schema().await else { return };
    let set = schema.fields().iter().any(|f| {
        f.metadata()
            .contains_key(lance_core::datatypes::LANCE_UNENFORCED_PRIMARY_KEY)
    });
    if set || key.len() != 1 {
        return;
    }
    if let Err(e) = t.set_unenforced_primary_key([key[0].as_str()]).await {
        tracing::debug!(table = t.name(), error = %e, "no primary key recorded");
    }
}

/// Tables smaller than this are probed without an index (a scan of the key column is cheap).
const INDEX_FROM_ROWS: usize = 100_000;

/// Keeps a BTree index on the first key column of a large table, so probes stay cheap: built once the table
/// reaches [`INDEX_FROM_ROWS`] rows, and brought up to date when a quarter of the rows (at least
/// `INDEX_FROM_ROWS`) are not covered. Cost: one pass over the new rows, once per that many rows.
async fn key_index(t: &lancedb::Table, column: &str) -> lancedb::Result<()> {
    let rows = t.count_rows(None).await?;
    if rows < INDEX_FROM_ROWS {
        return Ok(());
    }
    let existing = t.list_indices().await?.into_iter().find(|i| {
        i.columns == [column]
            && matches!(
                i.index_type,
                lancedb::index::IndexType::BTree | lancedb::index::IndexType::Bitmap
            )
    });
    let Some(index) = existing else {
        tracing::info!(table = t.name(), column, rows, "building the key index");
        return t
            .create_index(&[column], lancedb::index::Index::BTree(Default::default()))
            .execute()
            .await;
    };
    let Some(stats) = t.index_stats(&index.name).await? else {
        return Ok(());
    };
    if stats.num_unindexed_rows >= INDEX_FROM_ROWS.max(stats.num_indexed_rows / 4) {
        tracing::info!(
            table = t.name(),
            column,
            stats.num_unindexed_rows,
            "updating the key index"
        );
        let mut options = lancedb::table::OptimizeOptions::default();
        options.index_names = Some(vec![index.name]);
        t.optimize(lancedb::table::OptimizeAction::Index(options))
            .await?;
    }
    Ok(())
}

fn append_params() -> WriteParams {
    WriteParams {
        mode: LanceMode::Append,
        ..Default::default()
    }
}
