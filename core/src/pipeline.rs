//! The pipeline (§4): a format's batches → (thumbnail stage) → sink, with back-pressure, batched commits,
//! progress and a run report. Formats never write; the sink never parses sources.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, sync_channel};
use std::time::Instant;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, Schema, SchemaRef};

use crate::error::{Error, Result};
use crate::format::{Format, IngestContext};
use crate::report::{Recorder, RunReport};
use crate::schema::{Hints, apply_hints, check_append, conform};
use crate::store::{TableStore, validate_table_name};
use crate::thumbnail::ThumbnailStage;

/// Called after each commit with (rows written so far, estimated total when known).
pub type ProgressFn = Arc<dyn Fn(u64, Option<u64>) + Send + Sync>;

/// How an ingest treats an existing table.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Deserialize,
    serde::Serialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum WriteMode {
    /// Append to the table (created if missing); the schemas must be compatible.
    #[default]
    Append,
    /// Drop the table first, then write.
    Overwrite,
}

/// A stage between normalize and the sink that derives rows for another table from each batch (the thumbnail
/// stage writes to `thumbnails`). It must not fail the ingest for bad data: record a warning instead.
pub trait SideStage: Send + Sync {
    /// The table the derived rows go to.
    fn table(&self) -> &str;
    /// The schema of the derived rows.
    fn schema(&self) -> SchemaRef;
    /// Derives rows from `batch` of `source_table`, looking at `columns`. `None` when there is nothing to write.
    fn derive(
        &self,
        source_table: &str,
        batch: &RecordBatch,
        columns: &[String],
        ctx: &IngestContext,
    ) -> Result<Option<RecordBatch>>;
}

/// Settings of one ingest.
#[derive(Clone)]
pub struct IngestOptions {
    /// User type hints; they win over the format's schema and inference.
    pub schema: Hints,
    /// Columns to index after writing.
    pub index: Vec<String>,
    /// Append (default) or overwrite.
    pub mode: WriteMode,
    /// Rows buffered per commit. Each commit is one atomic Lance version.
    pub rows_per_commit: usize,
    /// Bytes buffered per commit (large media rows commit sooner).
    pub bytes_per_commit: usize,
    /// Progress callback.
    pub on_progress: Option<ProgressFn>,
    /// Make thumbnails of the format's IMAGE columns into the `thumbnails` table (default on).
    pub thumbnails: bool,
}

impl std::fmt::Debug for IngestOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IngestOptions")
            .field("schema", &self.schema)
            .field("index", &self.index)
            .field("mode", &self.mode)
            .field("rows_per_commit", &self.rows_per_commit)
            .field("thumbnails", &self.thumbnails)
            .finish_non_exhaustive()
    }
}

impl Default for IngestOptions {
    fn default() -> Self {
        Self {
            schema: Hints::new(),
            index: Vec::new(),
            mode: WriteMode::Append,
            rows_per_commit: 2000,
            bytes_per_commit: 64 << 20,
            on_progress: None,
            thumbnails: true,
        }
    }
}

/// Batches queued between the producing format and the writer; the producer blocks when it is full.
const QUEUE_DEPTH: usize = 4;

/// Runs `format` into `table` of `store`.
pub fn run(
    store: &dyn TableStore,
    table: &str,
    format: Box<dyn Format>,
    opts: &IngestOptions,
) -> Result<RunReport> {
    validate_table_name(table)?;
    let started = Instant::now();
    let recorder = Arc::new(Recorder::default());
    let ctx = IngestContext::new(recorder.clone());
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
            return Ok(report(&recorder, started, table, 0, None));
        }
    };
    let target = apply_hints(&null_as_text(&source_schema), &opts.schema)?;
    // The format's choice, plus any column the user hinted as IMAGE.
    let mut image_columns = declared_images.unwrap_or_else(|| default_image_columns(&target));
    for (col, t) in &opts.schema {
        if *t == crate::types::LogicalType::Image && !image_columns.contains(col) {
            image_columns.push(col.clone());
        }
    }
    let (table_schema, created) = prepare_table(store, table, &target, opts.mode)?;
    let stages: Vec<Arc<dyn SideStage>> = if opts.thumbnails && !image_columns.is_empty() {
        vec![Arc::new(ThumbnailStage)]
    } else {
        Vec::new()
    };
    for stage in &stages {
        prepare_side_table(store, stage.as_ref())?;
        if opts.mode == WriteMode::Overwrite {
            store.delete_rows(
                stage.table(),
                &format!("table_name = '{}'", table.replace('\'', "''")),
            )?;
        }
    }
    let staged = spawn_stage(
        first,
        rx,
        table.to_string(),
        table_schema,
        image_columns,
        stages.clone(),
        ctx.clone(),
    )?;

    let mut writer = Writer {
        store,
        table,
        opts,
        total,
        stages: &stages,
        written: 0,
        side_written: 0,
        buf: Vec::new(),
        buf_rows: 0,
        buf_bytes: 0,
        side_buf: Vec::new(),
    };
    let result = (|| {
        for item in staged {
            let (batch, side) = item?;
            writer.push(batch, side)?;
        }
        writer.flush()
    })();
    if let Err(e) = result {
        if created && writer.written == 0 {
            let _ = store.drop_table(table, true);
        }
        return Err(e);
    }
    for col in &opts.index {
        store.create_index(table, col)?;
    }
    let side = stages
        .first()
        .map(|s| (s.table().to_string(), writer.side_written));
    Ok(report(&recorder, started, table, writer.written, side))
}

fn report(
    recorder: &Recorder,
    started: Instant,
    table: &str,
    rows: u64,
    side: Option<(String, u64)>,
) -> RunReport {
    let mut out = RunReport {
        rows: [(table.to_string(), rows)].into_iter().collect(),
        skipped: recorder.skips(),
        warnings: recorder.warnings(),
        thumbnails: side.as_ref().map_or(0, |(_, n)| *n),
        elapsed: started.elapsed(),
    };
    if let Some((t, n)) = side {
        out.rows.insert(t, n);
    }
    out
}

fn default_image_columns(schema: &Schema) -> Vec<String> {
    schema
        .fields()
        .iter()
        .filter(|f| {
            crate::types::LogicalType::of_field(f) == Some(crate::types::LogicalType::Image)
        })
        .map(|f| f.name().clone())
        .collect()
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

/// Runs the format's iterator on its own thread, sending batches through a bounded queue.
fn spawn_producer(batches: crate::format::Batches) -> Result<Receiver<Result<RecordBatch>>> {
    let (tx, rx) = sync_channel(QUEUE_DEPTH);
    std::thread::Builder::new()
        .name("lakefeed-normalize".into())
        .spawn(move || {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                for item in batches {
                    let stop = item.is_err();
                    if tx.send(item).is_err() || stop {
                        return;
                    }
                }
            }));
            if let Err(panic) = outcome {
                let _ = tx.send(Err(Error::Other(format!(
                    "a format panicked: {}",
                    panic_text(&panic)
                ))));
            }
        })
        .map_err(|e| Error::Other(format!("cannot start a pipeline thread: {e}")))?;
    Ok(rx)
}

/// A conformed batch and the side rows derived from it (by stage index).
type Staged = (RecordBatch, Vec<(usize, RecordBatch)>);

/// Conforms batches to the table's schema and derives side rows (thumbnails, in parallel) on a thread of its own,
/// so batch k+1 is thumbnailed while batch k is written.
#[allow(clippy::too_many_arguments)]
fn spawn_stage(
    first: Option<RecordBatch>,
    rx: Receiver<Result<RecordBatch>>,
    table: String,
    schema: SchemaRef,
    image_columns: Vec<String>,
    stages: Vec<Arc<dyn SideStage>>,
    ctx: IngestContext,
) -> Result<Receiver<Result<Staged>>> {
    let (tx, out) = sync_channel(QUEUE_DEPTH);
    std::thread::Builder::new()
        .name("lakefeed-stage".into())
        .spawn(move || {
            let one = |batch: RecordBatch| -> Result<Staged> {
                let batch = conform(&batch, &schema)?;
                let mut side = Vec::new();
                for (i, stage) in stages.iter().enumerate() {
                    if let Some(rows) = stage.derive(&table, &batch, &image_columns, &ctx)? {
                        side.push((i, rows));
                    }
                }
                Ok((batch, side))
            };
            let items = first.map(Ok).into_iter().chain(rx);
            for item in items {
                let staged = item.and_then(|b| {
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| one(b)))
                        .unwrap_or_else(|p| {
                            Err(Error::Other(format!(
                                "a pipeline stage panicked: {}",
                                panic_text(&p)
                            )))
                        })
                });
                let stop = staged.is_err();
                if tx.send(staged).is_err() || stop {
                    return;
                }
            }
        })
        .map_err(|e| Error::Other(format!("cannot start a pipeline thread: {e}")))?;
    Ok(out)
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Creates the table or checks the existing one; returns the schema batches must take and whether it was created.
fn prepare_table(
    store: &dyn TableStore,
    table: &str,
    target: &SchemaRef,
    mode: WriteMode,
) -> Result<(SchemaRef, bool)> {
    if mode == WriteMode::Overwrite {
        store.drop_table(table, true)?;
    }
    match store.table_schema(table)? {
        Some(existing) => {
            check_append(table, &existing, target)?;
            Ok((existing, false))
        }
        None => {
            store.create_table(table, target.clone())?;
            Ok((target.clone(), true))
        }
    }
}

fn prepare_side_table(store: &dyn TableStore, stage: &dyn SideStage) -> Result<()> {
    let schema = stage.schema();
    match store.table_schema(stage.table())? {
        Some(existing) => check_append(stage.table(), &existing, &schema),
        None => store.create_table(stage.table(), schema),
    }
}

struct Writer<'a> {
    store: &'a dyn TableStore,
    table: &'a str,
    opts: &'a IngestOptions,
    total: Option<u64>,
    stages: &'a [Arc<dyn SideStage>],
    written: u64,
    side_written: u64,
    buf: Vec<RecordBatch>,
    buf_rows: usize,
    buf_bytes: usize,
    side_buf: Vec<(usize, RecordBatch)>,
}

impl Writer<'_> {
    fn push(&mut self, batch: RecordBatch, side: Vec<(usize, RecordBatch)>) -> Result<()> {
        self.side_buf.extend(side);
        if batch.num_rows() == 0 {
            return Ok(());
        }
        self.buf_rows += batch.num_rows();
        self.buf_bytes += batch.get_array_memory_size();
        self.buf.push(batch);
        if self.buf_rows >= self.opts.rows_per_commit
            || self.buf_bytes >= self.opts.bytes_per_commit
        {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        // Side rows first: a crash between the two commits leaves thumbnails that a re-run rewrites, never source
        // rows without their thumbnails.
        for (i, stage) in self.stages.iter().enumerate() {
            let rows: Vec<RecordBatch> = self
                .side_buf
                .iter()
                .filter(|(j, _)| *j == i)
                .map(|(_, b)| b.clone())
                .collect();
            let n: usize = rows.iter().map(RecordBatch::num_rows).sum();
            if n > 0 {
                self.store.append(stage.table(), rows)?;
                self.side_written += n as u64;
            }
        }
        self.side_buf.clear();
        if self.buf_rows > 0 {
            self.store
                .append(self.table, std::mem::take(&mut self.buf))?;
            self.written += self.buf_rows as u64;
            tracing::debug!(table = self.table, rows = self.written, "committed");
            if let Some(cb) = &self.opts.on_progress {
                cb(self.written, self.total);
            }
        }
        self.buf_rows = 0;
        self.buf_bytes = 0;
        Ok(())
    }
}
