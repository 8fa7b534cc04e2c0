//! The pipeline's two worker threads: the format's iterator (producer) and the stage thread that conforms
//! batches and derives side rows, each behind a bounded queue so a slow writer holds everything back.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, sync_channel};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use lakefeed_core::inputs::done_in;
use lakefeed_core::schema::conform;
use lakefeed_core::{Batches, Error, IngestContext, Result, SideStage};

/// Batches queued between threads; the sender blocks when the queue is full.
const QUEUE_DEPTH: usize = 2;

/// A conformed batch, the side rows derived from it (by stage index) and the inputs it completes.
pub(super) type Staged = (RecordBatch, Vec<(usize, RecordBatch)>, Vec<String>);

/// A side stage with the source columns it reads in this run.
pub(super) type ActiveStage = (Arc<dyn SideStage>, Vec<String>);

/// Runs the format's iterator on its own thread, sending batches through a bounded queue.
pub(super) fn spawn_producer(batches: Batches) -> Result<Receiver<Result<RecordBatch>>> {
    let (tx, rx) = sync_channel(QUEUE_DEPTH);
    spawn("lakefeed-normalize", move || {
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
    })?;
    Ok(rx)
}

/// Conforms batches to the table's schema and derives side rows (thumbnails, in parallel) on a thread of its own,
/// so batch k+1 is staged while batch k is written.
pub(super) fn spawn_stage(
    first: Option<RecordBatch>,
    rx: Receiver<Result<RecordBatch>>,
    table: String,
    schema: SchemaRef,
    stages: Vec<ActiveStage>,
    ctx: IngestContext,
) -> Result<Receiver<Result<Staged>>> {
    let (tx, out) = sync_channel(QUEUE_DEPTH);
    spawn("lakefeed-stage", move || {
        let one = |batch: RecordBatch| -> Result<Staged> {
            let done = done_in(&batch);
            let batch = conform(&batch, &schema)?;
            let mut side = Vec::new();
            for (i, (stage, columns)) in stages.iter().enumerate() {
                if let Some(rows) = stage.derive(&table, &batch, columns, &ctx)? {
                    side.push((i, rows));
                }
            }
            Ok((batch, side, done))
        };
        for item in first.map(Ok).into_iter().chain(rx) {
            let staged = item.and_then(|b| {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| one(b))).unwrap_or_else(
                    |p| {
                        Err(Error::Other(format!(
                            "a pipeline stage panicked: {}",
                            panic_text(&p)
                        )))
                    },
                )
            });
            let stop = staged.is_err();
            if tx.send(staged).is_err() || stop {
                return;
            }
        }
    })?;
    Ok(out)
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<()> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(f)
        .map(|_| ())
        .map_err(|e| Error::Other(format!("cannot start a pipeline thread: {e}")))
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}
