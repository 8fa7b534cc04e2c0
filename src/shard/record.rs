//! Shard records: what one shard staged, as a JSON object under `{store}/_lakefeed_runs/{run}/`, written in one
//! put (atomic on object stores and on a local disk), so a record is whole or absent.

use lakefeed_core::{Error, Result, RunReport, Staged};
use serde::{Deserialize, Serialize};

use crate::runtime::block_on;
use crate::store::Location;

/// The folder (under the store) holding every run's records.
pub const RUNS_DIR: &str = "_lakefeed_runs";

/// What one shard staged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShardRecord {
    /// The run.
    pub run: String,
    /// The shard, 0-based …
    pub shard: u32,
    /// … of this many.
    pub of: u32,
    /// The staged parts, one per table written.
    pub parts: Vec<Staged>,
    /// The shard's run report (rows staged).
    pub report: RunReport,
}

/// The run's folder, relative to the store.
pub fn dir_name(run: &str) -> String {
    format!("{RUNS_DIR}/{run}")
}

fn file_name(run: &str, shard: u32, of: u32) -> String {
    format!("{}/shard-{shard:05}-of-{of:05}.json", dir_name(run))
}

/// Writes (or replaces) `rec`.
pub fn write(loc: &Location, rec: &ShardRecord) -> Result<()> {
    let name = file_name(&rec.run, rec.shard, rec.of);
    let body = serde_json::to_vec(rec).map_err(|e| Error::Other(format!("shard record: {e}")))?;
    let loc = loc.clone();
    block_on(async move {
        let (store, path) = loc.object(&name).await?;
        store
            .put(&path, &body)
            .await
            .map_err(|e| Error::store(format!("write {}/{name}", loc.uri()), e))?;
        Ok(())
    })
}

/// The records of `run` made for `count` shards, by shard.
pub fn read_all(loc: &Location, run: &str, count: u32) -> Result<Vec<ShardRecord>> {
    let loc = loc.clone();
    let (run, dir) = (run.to_string(), dir_name(run));
    block_on(async move {
        let mut out = Vec::new();
        for shard in 0..count {
            let name = file_name(&run, shard, count);
            let (store, path) = loc.object(&name).await?;
            let bytes = match store.read_one_all(&path).await {
                Ok(b) => b,
                Err(lance_core::Error::NotFound { .. }) => continue,
                Err(e) => return Err(Error::store(format!("read {}/{name}", loc.uri()), e)),
            };
            let rec: ShardRecord = serde_json::from_slice(&bytes).map_err(|e| {
                Error::Ingest(format!("{}/{name} is not a shard record: {e}", loc.uri()))
            })?;
            out.push(rec);
        }
        tracing::debug!(dir, records = out.len(), "shard records read");
        Ok(out)
    })
}

/// Removes every record of `run` (it was committed).
pub fn remove_all(loc: &Location, run: &str) -> Result<()> {
    let loc = loc.clone();
    let dir = dir_name(run);
    block_on(async move {
        let (store, path) = loc.object(&dir).await?;
        store
            .remove_dir_all(path)
            .await
            .map_err(|e| Error::store(format!("remove {}/{dir}", loc.uri()), e))
    })
}
