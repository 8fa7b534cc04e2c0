//! The pipeline: a format's batches → side stages → sink, with back-pressure, batched commits, progress
//! and a run report. Formats never write; the sink never parses sources. The pipeline runs the side stages it
//! is given and knows none of them by name.

pub mod ledger;
mod side_swap;
mod threads;
mod writer;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use arrow::datatypes::{DataType, Schema, SchemaRef};
use lakefeed_core::format::image_columns_of;
use lakefeed_core::inputs::DoneSet;
use lakefeed_core::report::Recorder;
use lakefeed_core::schema::{apply_hints, plan_append};
use lakefeed_core::{
    Error, Format, IngestContext, LogicalType, Result, RunReport, SideStage, Staged, WriteSpec,
    validate_table_name,
};

use crate::blocking::Store;
use crate::options::{IngestOptions, WriteMode};
use crate::retry::Backoff;
use side_swap::SideSwap;
use threads::{ActiveStage, spawn_producer, spawn_stage};
use writer::{Counts, RunWriter};

/// Runs `format` into `table` of `store`, with `stages` beside it. As a shard (`opts.shard`), the rows are
/// staged, not committed: see [`run_staged`].
pub fn run(
    store: &Store,
    table: &str,
    format: Box<dyn Format>,
    opts: &IngestOptions,
    stages: &[Arc<dyn SideStage>],
) -> Result<RunReport> {
    run_staged(store, table, format, opts, stages).map(|(report, _)| report)
}

/// [`run`], returning what it staged when it runs as a shard (`opts.shard`): the shard's inputs only (a stable
/// 1/N of the source's), its rows, side rows and inputs-ledger records written as uncommitted data, one part per
/// table, for [`crate::shard::commit`]. Nothing is committed and no index is built.
pub fn run_staged(
    store: &Store,
    table: &str,
    mut format: Box<dyn Format>,
    opts: &IngestOptions,
    stages: &[Arc<dyn SideStage>],
) -> Result<(RunReport, Vec<Staged>)> {
    validate_table_name(table)?;
    if opts.mode == WriteMode::Overwrite && !store.capabilities().atomic_overwrite {
        return Err(Error::Ingest(format!(
            "cannot overwrite '{table}': this store has no one-commit replace (the seed's API has none; the \
             Lance store and lakefeed serve do); drop the table and append instead"
        )));
    }
    let started = Instant::now();
    let recorder = Arc::new(Recorder::default());
    let ctx = IngestContext::new(recorder.clone());
    let key = opts.key.clone().unwrap_or_else(|| format.key());
    let unique = format.keys_unique() && key == format.key();
    let mut inputs = format.inputs()?;
    let mut skip = DoneSet::new();
    if let Some(shard) = &opts.shard {
        if inputs.is_empty() && shard.index != 0 {
            tracing::info!(
                table,
                "the source lists no inputs to share out; shard 0 reads it whole"
            );
            return Ok((report(&recorder, started, table, 0, &[]), Vec::new()));
        }
        let (mine, others): (Vec<_>, Vec<_>) = inputs
            .into_iter()
            .enumerate()
            .partition(|(i, _)| shard.takes(*i));
        skip.extend(others.into_iter().map(|(_, i)| i.key));
        inputs = mine.into_iter().map(|(_, i)| i).collect();
        tracing::info!(
            table,
            shard = shard.index,
            of = shard.count,
            inputs = inputs.len(),
            "this shard's inputs"
        );
    }
    let existing = store.table_schema(table)?;
    // Inputs a run before this one committed whole are left out (an overwrite rewrites everything).
    let mut already_present = 0;
    if opts.mode != WriteMode::Overwrite
        && let Some(generation) = existing.as_deref().and_then(ledger::generation)
    {
        let keys: HashSet<&str> = inputs.iter().map(|i| i.key.as_str()).collect();
        let done = ledger::done(store, table, &generation, &keys)?;
        if !done.is_empty() {
            already_present = done.len() as u64;
            tracing::info!(
                table,
                inputs = done.len(),
                "inputs already present; not read again"
            );
            skip.extend(done);
        }
    }
    if !skip.is_empty() {
        format.skip_inputs(&skip);
    }
    let paths: BTreeMap<String, String> = inputs
        .into_iter()
        .map(|i| (i.key, i.path.display().to_string()))
        .collect();
    let declared = format.schema();
    let total = format.estimated_rows();
    let declared_images = declared.as_ref().map(|s| format.image_columns(s));
    let batches = format.normalize(&ctx)?;
    let rx = spawn_producer(batches)?;

    let first = rx.recv().ok().transpose()?;
    let source_schema = match (&declared, &first) {
        (Some(s), _) => s.clone(),
        (None, Some(b)) => b.schema(),
        (None, None) => {
            tracing::info!(
                table,
                "source yielded no rows and declared no schema; nothing to write"
            );
            let mut out = report(&recorder, started, table, 0, &[]);
            out.already_present = already_present;
            return Ok((out, Vec::new()));
        }
    };
    let target = apply_hints(&null_as_text(&source_schema), &opts.schema)?;
    // The format's choice, plus any column the user hinted as IMAGE.
    let mut image_columns = declared_images.unwrap_or_else(|| image_columns_of(&target));
    for (col, t) in &opts.schema {
        if *t == LogicalType::Image && !image_columns.contains(col) {
            image_columns.push(col.clone());
        }
    }
    let (table_schema, created) = match &opts.shard {
        Some(shard) => (prepare_staged(store, table, &target, shard)?, false),
        None => prepare_table(store, table, &target, opts.mode)?,
    };
    let active: Vec<ActiveStage> = stages
        .iter()
        .map(|s| (s.clone(), s.columns(&target, &image_columns)))
        .filter(|(_, cols)| !cols.is_empty())
        .collect();
    let (mut sides, mut swaps) = (Vec::new(), Vec::new());
    for (stage, _) in &active {
        let schema = match &opts.shard {
            Some(_) => unchanged(store, stage.table(), stage.schema())?,
            None => prepare_side_table(store, stage.as_ref())?,
        };
        let spec = WriteSpec {
            mode: WriteMode::Append,
            key: stage.key(),
            unique: false,
        };
        // An overwrite's side rows wait in a staging table until the source table's overwrite commits.
        let target = if opts.mode == WriteMode::Overwrite {
            let swap =
                SideSwap::create(store, stage.table(), schema.clone(), stage.rows_from(table))?;
            let name = swap.stage.clone();
            swaps.push(swap);
            name
        } else {
            stage.table().to_string()
        };
        sides.push(match &opts.shard {
            Some(_) => store.stage_writer(&target, schema, spec)?,
            None => store.writer(&target, schema, spec)?,
        });
    }
    let spec = WriteSpec {
        mode: opts.mode,
        key,
        unique,
    };
    let main = match &opts.shard {
        Some(_) => store.stage_writer(table, table_schema.clone(), spec)?,
        None => store.writer(table, table_schema.clone(), spec)?,
    };
    let generation = ledger::generation(&table_schema);
    let staged = spawn_stage(
        first,
        rx,
        table.to_string(),
        table_schema,
        active.clone(),
        ctx.clone(),
    )?;

    let mut writer = RunWriter::new(store, table, opts, total, main, sides, generation, paths);
    writer.swaps = swaps;
    let result = (|| {
        for item in staged {
            if opts
                .cancel
                .as_ref()
                .is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed))
            {
                return Err(Error::Other(format!(
                    "ingest into '{table}' cancelled; what was committed stays"
                )));
            }
            let (batch, side, done) = item?;
            writer.push(batch, side, done)?;
        }
        Ok(())
    })();
    let wrote_any = writer.written > 0;
    let counts = result.and_then(|()| writer.finish());
    let Counts {
        written,
        present,
        side_written,
        staged,
    } = match counts {
        Ok(c) => c,
        Err(e) => {
            if created && !wrote_any {
                let _ = store.drop_table(table, true);
            }
            return Err(e);
        }
    };
    if opts.shard.is_none() {
        for col in &opts.index {
            store.create_index(table, col)?;
        }
    }
    let side: Vec<(String, u64)> = active
        .iter()
        .zip(&side_written)
        .map(|((s, _), n)| (s.table().to_string(), *n))
        .collect();
    let mut out = report(&recorder, started, table, written, &side);
    out.already_present = already_present;
    out.rows_present = present;
    Ok((out, staged))
}

fn report(
    recorder: &Recorder,
    started: Instant,
    table: &str,
    rows: u64,
    side: &[(String, u64)],
) -> RunReport {
    let mut out = RunReport {
        rows: [(table.to_string(), rows)].into_iter().collect(),
        skipped: recorder.skips(),
        warnings: recorder.warnings(),
        elapsed: started.elapsed(),
        ..Default::default()
    };
    for (t, n) in side {
        *out.rows.entry(t.clone()).or_default() += n;
    }
    out
}

/// A column whose Arrow type is Null (no value seen) is stored as TEXT.
fn null_as_text(schema: &SchemaRef) -> SchemaRef {
    if !schema
        .fields()
        .iter()
        .any(|f| f.data_type() == &DataType::Null)
    {
        return schema.clone();
    }
    let fields: Vec<_> = schema
        .fields()
        .iter()
        .map(|f| {
            if f.data_type() == &DataType::Null {
                f.as_ref().clone().with_data_type(DataType::Utf8)
            } else {
                f.as_ref().clone()
            }
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// Creates the table (with a fresh generation), or checks the existing one and adds the columns it lacks; returns
/// the schema batches must take and whether the table was created. An overwrite takes `target` with a fresh
/// generation, whatever the table holds now (the writer replaces it at the end).
fn prepare_table(
    store: &Store,
    table: &str,
    target: &SchemaRef,
    mode: WriteMode,
) -> Result<(SchemaRef, bool)> {
    let fresh = ledger::new_generation(target);
    match store.table_schema(table)? {
        Some(_) if mode == WriteMode::Overwrite => Ok((fresh, false)),
        Some(existing) => Ok((evolve(store, table, existing, target)?, false)),
        None => match store.create_table(table, fresh.clone()) {
            Ok(()) => Ok((fresh, true)),
            // Another writer created it between the two calls: write to theirs.
            Err(Error::TableExists(_)) => prepare_table(store, table, target, mode),
            Err(e) => Err(e),
        },
    }
}

/// Adds the columns of `target` that `table` lacks (nullable) and returns the table's schema afterwards. When
/// another writer adds some of them first, the plan is made again from the table as it now is.
/// Adding columns is a commit that concurrent appends can pre-empt (a retryable conflict): it is tried again
/// with back-off, planning again each time. Other failures (a column someone else just added) are re-planned
/// up to three times.
fn evolve(store: &Store, table: &str, existing: SchemaRef, target: &Schema) -> Result<SchemaRef> {
    let mut existing = existing;
    let (mut conflicts, mut others) = (0, 0);
    loop {
        let added = plan_append(table, &existing, target)?;
        if added.is_empty() {
            return Ok(existing);
        }
        let names: Vec<&str> = added.iter().map(|f| f.name().as_str()).collect();
        tracing::info!(table, columns = ?names, "adding columns");
        match store.add_columns(table, Arc::new(Schema::new(added.clone()))) {
            Ok(()) => {}
            Err(e) if e.is_retryable() && conflicts + 1 < Backoff::COMMITS.attempts => {
                conflicts += 1;
                tracing::debug!(table, error = %e.chain(), "adding columns lost a commit race; retrying");
                std::thread::sleep(Backoff::COMMITS.delay(conflicts));
            }
            Err(e) if e.is_retryable() || others >= 2 => return Err(e),
            Err(e) => {
                others += 1;
                tracing::debug!(table, error = %e.chain(), "adding columns failed; planning again")
            }
        }
        existing = store
            .table_schema(table)?
            .ok_or_else(|| Error::TableNotFound(table.to_string()))?;
    }
}

/// A shard's table schema: the table's own when it exists (a shard commits nothing, so it cannot add columns),
/// else `target` with the run's generation (the same in every shard, so their parts agree).
fn prepare_staged(
    store: &Store,
    table: &str,
    target: &SchemaRef,
    shard: &crate::options::ShardRun,
) -> Result<SchemaRef> {
    match store.table_schema(table)? {
        Some(_) => unchanged(store, table, target.clone()),
        None => Ok(ledger::run_generation(target, &shard.run, table)),
    }
}

/// The schema of `table` when it holds every column of `target` (a shard cannot add columns), or `target`
/// when the table does not exist.
fn unchanged(store: &Store, table: &str, target: SchemaRef) -> Result<SchemaRef> {
    let Some(existing) = store.table_schema(table)? else {
        return Ok(target);
    };
    let added = plan_append(table, &existing, &target)?;
    if !added.is_empty() {
        let names: Vec<&str> = added.iter().map(|f| f.name().as_str()).collect();
        return Err(Error::Table(format!(
            "'{table}' lacks columns {names:?}, and a sharded run cannot add columns; run one unsharded ingest              (or `lakefeed ingest`) first, or drop the table"
        )));
    }
    Ok(existing)
}

/// Creates a side stage's table or evolves it; returns its schema.
fn prepare_side_table(store: &Store, stage: &dyn SideStage) -> Result<SchemaRef> {
    let schema = stage.schema();
    match store.table_schema(stage.table())? {
        Some(existing) => evolve(store, stage.table(), existing, &schema),
        None => match store.create_table(stage.table(), schema.clone()) {
            Ok(()) => Ok(schema),
            Err(Error::TableExists(_)) => prepare_side_table(store, stage),
            Err(e) => Err(e),
        },
    }
}
