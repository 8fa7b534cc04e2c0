//! Batching writes: rows are buffered until a commit's worth (rows or bytes), then side rows, source rows and
//! the inputs those rows complete are written, in that order, each as one commit (an overwrite stages its rows
//! and commits them at the end).

use std::collections::BTreeMap;
use std::time::Duration;

use arrow::array::RecordBatch;
use lakefeed_core::{Result, WriteMode};

use super::ledger;
use crate::options::IngestOptions;
use crate::store::{Store, Writer as TableWriter};

/// Where one run writes: the source table's writer and each active side stage's.
pub(super) struct Writer<'a> {
    pub store: &'a Store,
    pub table: &'a str,
    pub opts: &'a IngestOptions,
    pub total: Option<u64>,
    main: TableWriter,
    sides: Vec<TableWriter>,
    /// The table's generation, when inputs are recorded in the ledger.
    generation: Option<String>,
    /// Input key → path, for inputs listed by the format.
    paths: BTreeMap<String, String>,
    /// Source rows written so far.
    pub written: u64,
    present: u64,
    side_written: Vec<u64>,
    buf: Vec<RecordBatch>,
    buf_rows: usize,
    buf_bytes: usize,
    side_buf: Vec<(usize, RecordBatch)>,
    /// Inputs completed by the buffered rows.
    buf_done: Vec<String>,
    /// Overwrite: inputs completed, recorded once the overwrite is committed.
    all_done: Vec<String>,
}

impl<'a> Writer<'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: &'a Store,
        table: &'a str,
        opts: &'a IngestOptions,
        total: Option<u64>,
        main: TableWriter,
        sides: Vec<TableWriter>,
        generation: Option<String>,
        paths: BTreeMap<String, String>,
    ) -> Self {
        let n = sides.len();
        Self {
            store,
            table,
            opts,
            total,
            main,
            sides,
            generation,
            paths,
            written: 0,
            present: 0,
            side_written: vec![0; n],
            buf: Vec::new(),
            buf_rows: 0,
            buf_bytes: 0,
            side_buf: Vec::new(),
            buf_done: Vec::new(),
            all_done: Vec::new(),
        }
    }

    pub fn push(
        &mut self,
        batch: RecordBatch,
        side: Vec<(usize, RecordBatch)>,
        done: Vec<String>,
    ) -> Result<()> {
        self.side_buf.extend(side);
        self.buf_done.extend(done);
        if batch.num_rows() > 0 {
            self.buf_rows += batch.num_rows();
            self.buf_bytes += batch.get_array_memory_size();
            self.buf.push(batch);
        }
        if self.buf_rows >= self.opts.rows_per_commit
            || self.buf_bytes >= self.opts.bytes_per_commit
        {
            self.flush()?;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> Result<()> {
        // Side rows first: a crash between the commits leaves side rows that a re-run finds by key, never source
        // rows without theirs.
        for (i, side) in self.sides.iter_mut().enumerate() {
            let rows: Vec<RecordBatch> = self
                .side_buf
                .iter()
                .filter(|(j, _)| *j == i)
                .map(|(_, b)| b.clone())
                .collect();
            if !rows.is_empty() {
                let w = retrying(self.table, || side.write(rows.clone()))?;
                self.side_written[i] += w.rows;
            }
        }
        self.side_buf.clear();
        if self.buf_rows > 0 {
            let batches = std::mem::take(&mut self.buf);
            let w = retrying(self.table, || self.main.write(batches.clone()))?;
            self.written += w.rows;
            self.present += w.present;
            tracing::debug!(table = self.table, rows = self.written, "committed");
            if let Some(cb) = &self.opts.on_progress {
                cb(self.written + self.present, self.total);
            }
        }
        self.buf_rows = 0;
        self.buf_bytes = 0;
        let done = std::mem::take(&mut self.buf_done);
        if self.opts.mode == WriteMode::Overwrite {
            self.all_done.extend(done);
            Ok(())
        } else {
            self.record(done)
        }
    }

    /// Flushes, commits an overwrite, records its inputs, and says what was written.
    pub fn finish(mut self) -> Result<Counts> {
        self.flush()?;
        self.main.finish()?;
        for side in &mut self.sides {
            side.finish()?;
        }
        let done = std::mem::take(&mut self.all_done);
        self.record(done)?;
        if let (WriteMode::Overwrite, Some(generation)) = (self.opts.mode, &self.generation) {
            // Records of the table this overwrite replaced can never match again.
            ledger::forget_others(self.store, self.table, generation)?;
        }
        Ok(Counts {
            written: self.written,
            present: self.present,
            side_written: self.side_written,
        })
    }

    /// Records `done` inputs in the ledger (when the table has a generation).
    fn record(&self, done: Vec<String>) -> Result<()> {
        let Some(generation) = &self.generation else {
            return Ok(());
        };
        let inputs: BTreeMap<String, String> = done
            .into_iter()
            .map(|k| {
                let p = self.paths.get(&k).cloned().unwrap_or_default();
                (k, p)
            })
            .collect();
        ledger::record(self.store, self.table, generation, &inputs)
    }
}

/// What a run wrote: source rows, source rows left out as present, side rows by stage.
pub(super) struct Counts {
    pub written: u64,
    pub present: u64,
    pub side_written: Vec<u64>,
}

/// Attempts at one commit before a retryable error (a lost commit race) is given up on. Lance itself retries a
/// conflicting commit up to 20 times before it reports one, so this covers heavy contention.
pub(super) const COMMIT_ATTEMPTS: u32 = 8;

/// Sleeps before attempt `attempt + 1`: 100 ms doubling up to 2 s, with jitter so racing writers spread out.
pub(super) fn back_off(attempt: u32) {
    let base = (50u64 << attempt.min(5)).min(2000);
    let jitter = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()) % (base / 2 + 1));
    std::thread::sleep(Duration::from_millis(base + jitter));
}

/// Runs a commit, trying again (with back-off) while the error says a retry may succeed. A failed commit wrote
/// nothing, so trying again cannot duplicate rows.
pub(super) fn retrying<T>(table: &str, mut commit: impl FnMut() -> Result<T>) -> Result<T> {
    let mut attempt = 1;
    loop {
        match commit() {
            Err(e) if e.is_retryable() && attempt < COMMIT_ATTEMPTS => {
                tracing::debug!(table, attempt, error = %e.chain(), "retrying commit");
                back_off(attempt);
                attempt += 1;
            }
            other => return other,
        }
    }
}
