//! Processing files in parallel while yielding their rows in input order, with bounded memory.
//!
//! Up to `window` files are worked on at once, each on its own thread sending its parts through a small bounded
//! channel. The consumer drains the first file's channel before the next one's, so order is kept and a slow
//! consumer blocks the workers (back-pressure). A file's parts are held back until the file finishes, so a file
//! that fails part-way is skipped whole; only a file whose parts exceed `hold_bytes` is streamed before it ends.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use lakefeed_core::arrow::array::RecordBatch;
use lakefeed_core::arrow::datatypes::SchemaRef;
use lakefeed_core::inputs::{done_in, mark_done};
use lakefeed_core::{IngestContext, Result};

/// What a worker sends for its file: a part (some rows), or the reason the file must be skipped.
pub enum Msg {
    /// Rows of the file, in order.
    Part(RecordBatch),
    /// The file cannot be used; its rows so far are dropped when still held.
    Skip(String),
    /// Something the report should mention that does not skip the file.
    Warn(String),
}

/// Where a worker sends its parts. Sending blocks while the consumer is behind.
pub type Sink = SyncSender<Msg>;

/// Work on one file: send its parts in order, or a `Skip`.
pub type Job = Box<dyn FnOnce(&Sink) + Send>;

/// Parts a worker may queue before it blocks.
const CHANNEL_DEPTH: usize = 2;

/// A file being worked on.
struct Running {
    path: PathBuf,
    /// The input key marked on the file's last part when it ends well.
    key: Option<String>,
    rx: Receiver<Msg>,
    /// Rows already passed on before the file ended (only for files larger than the hold limit).
    streamed: usize,
}

/// An iterator over the parts of all files, in file order.
pub struct Ordered {
    jobs: VecDeque<(PathBuf, Option<String>, Job)>,
    /// The schema of an empty part that only marks a file done.
    schema: SchemaRef,
    running: VecDeque<Running>,
    window: usize,
    hold_bytes: usize,
    ready: VecDeque<RecordBatch>,
    ctx: IngestContext,
}

impl Ordered {
    /// Starts up to `window` jobs at once. A job's key, when given, marks its file's last part (or an empty part)
    /// as completing that input.
    pub fn new(
        jobs: Vec<(PathBuf, Option<String>, Job)>,
        window: usize,
        hold_bytes: usize,
        schema: SchemaRef,
        ctx: IngestContext,
    ) -> Self {
        let mut me = Self {
            jobs: jobs.into(),
            schema,
            running: VecDeque::new(),
            window: window.max(1),
            hold_bytes,
            ready: VecDeque::new(),
            ctx,
        };
        me.fill();
        me
    }

    fn fill(&mut self) {
        while self.running.len() < self.window {
            let Some((path, key, job)) = self.jobs.pop_front() else {
                break;
            };
            let (tx, rx) = sync_channel(CHANNEL_DEPTH);
            let name = format!(
                "lakefeed-file-{}",
                path.file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default()
            );
            let worker_path = path.clone();
            let spawned = std::thread::Builder::new().name(name).spawn(move || {
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&tx)));
                if outcome.is_err() {
                    let _ = tx.send(Msg::Skip(format!(
                        "internal error while reading {}",
                        worker_path.display()
                    )));
                }
            });
            if let Err(e) = spawned {
                self.ctx
                    .skip(&path, format!("cannot start a worker thread: {e}"));
                continue;
            }
            self.running.push_back(Running {
                path,
                key,
                rx,
                streamed: 0,
            });
        }
    }

    /// Drains the oldest running file into `ready`.
    fn drain_one(&mut self) {
        let Some(mut file) = self.running.pop_front() else {
            return;
        };
        let mut held: Vec<RecordBatch> = Vec::new();
        let mut held_bytes = 0usize;
        let mut ended_well = true;
        while let Ok(msg) = file.rx.recv() {
            match msg {
                Msg::Part(b) => {
                    held_bytes += b.get_array_memory_size();
                    held.push(b);
                    if held_bytes > self.hold_bytes {
                        file.streamed += held.iter().map(RecordBatch::num_rows).sum::<usize>();
                        self.ready.extend(held);
                        // Hand rows on now: the caller pulls them before we read more of this file.
                        self.running.push_front(file);
                        return;
                    }
                }
                Msg::Warn(w) => self.ctx.warn(w),
                Msg::Skip(reason) => {
                    let reason = match file.streamed {
                        0 => reason,
                        n => format!("{reason} (after {n} rows were already passed on)"),
                    };
                    self.ctx.skip(&file.path, reason);
                    held.clear();
                    ended_well = false;
                    break;
                }
            }
        }
        if let (true, Some(key)) = (ended_well, file.key.take()) {
            let last = held
                .pop()
                .unwrap_or_else(|| RecordBatch::new_empty(self.schema.clone()));
            held.push(mark_done(last, &[key]));
        }
        self.ready.extend(held);
        self.fill();
    }
}

impl Iterator for Ordered {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(b) = self.ready.pop_front() {
                return Some(Ok(b));
            }
            if self.running.is_empty() {
                return None;
            }
            self.drain_one();
        }
    }
}

/// Gathers the parts of an [`Ordered`] into batches of up to `max_rows` rows or `max_bytes` bytes, keeping the
/// marks of the inputs they complete.
pub struct Rebatch {
    parts: Ordered,
    schema: SchemaRef,
    pending: Vec<RecordBatch>,
    rows: usize,
    bytes: usize,
    max_rows: usize,
    max_bytes: usize,
}

impl Rebatch {
    /// Batches of `parts` up to `max_rows` rows or `max_bytes` bytes.
    pub fn new(parts: Ordered, schema: SchemaRef, max_rows: usize, max_bytes: usize) -> Self {
        Self {
            parts,
            schema,
            pending: Vec::new(),
            rows: 0,
            bytes: 0,
            max_rows,
            max_bytes,
        }
    }

    /// The pending parts as one batch, still marking the inputs they complete.
    fn take(&mut self) -> Result<RecordBatch> {
        let parts = std::mem::take(&mut self.pending);
        (self.rows, self.bytes) = (0, 0);
        let done: Vec<String> = parts.iter().flat_map(done_in).collect();
        let batch = lakefeed_core::arrow::compute::concat_batches(&self.schema, &parts)?;
        Ok(mark_done(batch, &done))
    }
}

impl Iterator for Rebatch {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.rows >= self.max_rows || self.bytes >= self.max_bytes {
                return Some(self.take());
            }
            match self.parts.next() {
                // A part with no rows only marks an input done.
                Some(Ok(b)) if b.num_rows() == 0 && !self.pending.is_empty() => {
                    let last = self.pending.pop().map(|p| mark_done(p, &done_in(&b)));
                    self.pending.extend(last);
                }
                Some(Ok(b)) => {
                    self.rows += b.num_rows();
                    self.bytes += b.get_array_memory_size();
                    self.pending.push(b);
                }
                Some(Err(e)) => return Some(Err(e)),
                None if self.pending.is_empty() => return None,
                None => return Some(self.take()),
            }
        }
    }
}
