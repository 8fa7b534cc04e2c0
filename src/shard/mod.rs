//! Distributed runs: one manifest split over N workers (Kubernetes Indexed Jobs, Slurm job arrays, Ray tasks,
//! or plain processes), committed once.
//!
//! Each shard ([`stage`]) takes a stable 1/N of every table's inputs, writes its rows (and side rows, and
//! inputs-ledger records) as uncommitted data files, and then writes a small record of what it staged under
//! `{store}/_lakefeed_runs/{run}/`. A shard that runs again (a crash, a preemption, a speculative duplicate)
//! replaces its own record, so its earlier files are never referenced. [`commit`] reads the records, refuses
//! while any shard is missing (unless told to commit what is there), commits each table's parts in one
//! transaction (side tables first, the ledger last), builds the manifest's indexes once, and removes the
//! records. Readers see all of a run or none of it, table by table. A commit that is run again after a crash
//! recognises the tables it already committed.

mod record;
mod spec;

use std::collections::BTreeMap;

use lakefeed_core::{Error, Result, RunReport, Staged};

use crate::blocking::Store;
use crate::manifest::Plan;
use crate::options::ShardRun;
use crate::pipeline::ledger::LEDGER_TABLE;
use crate::store::Location;
pub use record::ShardRecord;
pub use spec::{COUNT_ENV, Shard};

/// The environment variable naming the run, when it is not derived from the manifest.
pub const RUN_ENV: &str = "LAKEFEED_RUN_ID";

/// The run id every shard of `plan` split `count` ways agrees on: `run` when given (or `LAKEFEED_RUN_ID`), else
/// a digest of the manifest's text and the count. Running the same manifest again with the same count is the
/// same run (its shards replace their records) until it is committed.
pub fn run_id(plan: &Plan, count: u32, run: Option<&str>) -> Result<String> {
    if let Some(r) = run
        .map(str::to_string)
        .or_else(|| std::env::var(RUN_ENV).ok())
        .filter(|r| !r.trim().is_empty())
    {
        if !r
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(Error::Ingest(format!(
                "run id '{r}' may hold only letters, digits, '-', '_' and '.'"
            )));
        }
        return Ok(r);
    }
    let text = std::fs::read(&plan.path).map_err(|e| Error::from_io(&plan.path, &e))?;
    let mut bytes = text;
    bytes.extend_from_slice(format!("\nshards={count}").as_bytes());
    Ok(uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, &bytes).to_string())
}

/// Runs shard `shard` of `plan` into `store` (whose location is `loc`) as part of run `run`: stages every
/// table's share and writes the shard's record. Any table failing fails the shard, and no record is written
/// (the commit then reports the shard missing).
pub fn stage(
    plan: &Plan,
    store: &Store,
    loc: &Location,
    shard: Shard,
    run: &str,
) -> Result<ShardRecord> {
    let mut report = RunReport::default();
    let mut parts = Vec::new();
    for mut job in plan.jobs()? {
        job.ingest_options_mut().shard = Some(ShardRun {
            index: shard.index,
            count: shard.count,
            run: run.to_string(),
        });
        tracing::info!(table = job.table(), %shard, "staging");
        let (result, staged) = job.run_staged(store)?;
        report.merge(result.report);
        parts.extend(staged.into_iter().filter(|p| p.rows > 0));
    }
    let rec = ShardRecord {
        run: run.to_string(),
        shard: shard.index,
        of: shard.count,
        parts,
        report,
    };
    record::write(loc, &rec)?;
    Ok(rec)
}

/// Commits run `run` of `count` shards into `store` (see the module's notes) and builds `plan`'s indexes;
/// returns the run's report (rows are those committed now). With `allow_missing`, commits the shards that
/// finished even when others did not.
pub fn commit(
    plan: &Plan,
    store: &Store,
    loc: &Location,
    run: &str,
    count: u32,
    allow_missing: bool,
) -> Result<RunReport> {
    let records = record::read_all(loc, run, count)?;
    if records.is_empty() {
        return Err(Error::Ingest(format!(
            "nothing is staged for run {run} of {count} shards (it was committed already, or no shard has \
             finished)"
        )));
    }
    let missing: Vec<u32> = (0..count)
        .filter(|i| !records.iter().any(|r| r.shard == *i))
        .collect();
    if !missing.is_empty() && !allow_missing {
        return Err(Error::Ingest(format!(
            "shard(s) {} of {count} have not finished (no record under {}); nothing was committed. Run them \
             again, or commit what is there with --allow-missing",
            missing
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            record::dir_name(run)
        )));
    }
    let mut report = RunReport::default();
    let mut tables: BTreeMap<String, (usize, Vec<Staged>)> = BTreeMap::new();
    let mut order = 0;
    for rec in records {
        report.merge(rec.report);
        for part in rec.parts {
            let entry = tables.entry(part.table.clone()).or_insert_with(|| {
                order += 1;
                (
                    if part.table == LEDGER_TABLE {
                        usize::MAX
                    } else {
                        order
                    },
                    Vec::new(),
                )
            });
            entry.1.push(part);
        }
    }
    report.rows.clear();
    let mut by_order: Vec<(String, (usize, Vec<Staged>))> = tables.into_iter().collect();
    by_order.sort_by_key(|(_, (o, _))| *o);
    for (table, (_, parts)) in by_order {
        let rows = store.commit_staged(&table, parts)?;
        tracing::info!(table, rows, "committed");
        if table != LEDGER_TABLE {
            *report.rows.entry(table).or_default() += rows;
        }
    }
    for t in &plan.manifest.tables {
        for col in &t.index {
            if store.table_schema(&t.name.value)?.is_some() {
                store.create_index(&t.name.value, col)?;
            }
        }
    }
    record::remove_all(loc, run)?;
    Ok(report)
}
