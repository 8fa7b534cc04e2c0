//! Sharded runs from Python: one shard of a manifest staged by this process, and the commit of a run (what
//! `lakefeed.ray` fans out as Ray tasks; `lakefeed run --shard` and `lakefeed commit` do the same).

use std::collections::BTreeMap;
use std::path::PathBuf;

use lakefeed::manifest::Plan;
use lakefeed::shard::{self, Shard};
use lakefeed::store::Location;
use lakefeed::{Store, Target};
use lakefeed_core::{Error, Result};
use pyo3::prelude::*;

use crate::errors::OrRaise;
use crate::wait;

/// The store a run writes to: `store`, else `LAKEFEED_STORE`, else the manifest's, else `./lakefeed-data`.
fn open(
    plan: &Plan,
    store: Option<String>,
    options: BTreeMap<String, String>,
) -> Result<(Store, Location)> {
    let target = Target::choose(store.as_deref(), None, "", plan.store_location())
        .with_storage_options(options);
    let Target::Lance { location, options } = &target else {
        return Err(Error::Ingest(
            "a sharded run writes to a Lance store".into(),
        ));
    };
    Ok((
        Store::open(&target)?,
        Location::new(location, options.clone())?,
    ))
}

/// Stages shard `index` of `count` of the manifest at `manifest`; returns the shard's record as JSON.
#[pyfunction]
#[pyo3(signature = (manifest, index, count, *, store=None, storage_options=None, run_id=None))]
pub(crate) fn stage_shard(
    py: Python<'_>,
    manifest: PathBuf,
    index: u32,
    count: u32,
    store: Option<String>,
    storage_options: Option<BTreeMap<String, String>>,
    run_id: Option<String>,
) -> PyResult<String> {
    crate::client::refuse_in_forked_child()?;
    wait::run(py, None, None, move || {
        let plan = Plan::load(&manifest)?;
        let (store, loc) = open(&plan, store, storage_options.unwrap_or_default())?;
        let run = shard::run_id(&plan, count, run_id.as_deref())?;
        let rec = shard::stage(&plan, &store, &loc, Shard::new(index, count)?, &run)?;
        serde_json::to_string(&rec).map_err(|e| Error::Other(e.to_string()))
    })?
    .or_raise()
}

/// Commits run `run_id` (default: the manifest's) of `count` shards; returns `(run id, report as JSON)`.
#[pyfunction]
#[pyo3(signature = (manifest, count, *, store=None, storage_options=None, run_id=None, allow_missing=false))]
pub(crate) fn commit_run(
    py: Python<'_>,
    manifest: PathBuf,
    count: u32,
    store: Option<String>,
    storage_options: Option<BTreeMap<String, String>>,
    run_id: Option<String>,
    allow_missing: bool,
) -> PyResult<(String, String)> {
    crate::client::refuse_in_forked_child()?;
    wait::run(py, None, None, move || {
        let plan = Plan::load(&manifest)?;
        let (store, loc) = open(&plan, store, storage_options.unwrap_or_default())?;
        let run = shard::run_id(&plan, count, run_id.as_deref())?;
        let report = shard::commit(&plan, &store, &loc, &run, count, allow_missing)?;
        let json = serde_json::to_string(&report).map_err(|e| Error::Other(e.to_string()))?;
        Ok((run, json))
    })?
    .or_raise()
}

/// The Lance store at `store` (with `storage_options`).
async fn lance(store: String, options: BTreeMap<String, String>) -> Result<lakefeed::LanceStore> {
    lakefeed::LanceStore::open_with(store, options).await
}

/// `table`'s fragments at its latest version: `(version, [(fragment id, rows)])`.
#[pyfunction]
#[pyo3(signature = (store, table, *, storage_options=None))]
pub(crate) fn fragments(
    py: Python<'_>,
    store: String,
    table: String,
    storage_options: Option<BTreeMap<String, String>>,
) -> PyResult<(u64, Vec<(u64, u64)>)> {
    crate::client::refuse_in_forked_child()?;
    let f = wait::run(py, None, None, move || {
        lakefeed::block_on(async move {
            lance(store, storage_options.unwrap_or_default())
                .await?
                .fragments(&table)
                .await
        })
    })?
    .or_raise()?;
    Ok((f.version, f.fragments))
}

/// Fragment `id` of `table` at `version`, as a `pyarrow.Table` (with only `columns` when given).
#[pyfunction]
#[pyo3(signature = (store, table, version, id, *, columns=None, storage_options=None))]
pub(crate) fn read_fragment<'py>(
    py: Python<'py>,
    store: String,
    table: String,
    version: u64,
    id: u64,
    columns: Option<Vec<String>>,
    storage_options: Option<BTreeMap<String, String>>,
) -> PyResult<Bound<'py, PyAny>> {
    crate::client::refuse_in_forked_child()?;
    let result = wait::run(py, None, None, move || {
        lakefeed::block_on(async move {
            use futures::TryStreamExt;
            let s = lance(store, storage_options.unwrap_or_default()).await?;
            let batches: Vec<_> = s
                .scan_fragment(&table, version, id, columns)
                .await?
                .try_collect()
                .await?;
            let schema = match batches.first() {
                Some(b) => b.schema(),
                None => std::sync::Arc::new(arrow::datatypes::Schema::empty()),
            };
            Ok(lakefeed_core::QueryResult::new(schema, batches))
        })
    })?
    .or_raise()?;
    crate::arrow_py::table(py, &result)
}
