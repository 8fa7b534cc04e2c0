//! Batching writes: rows are buffered until a commit's worth (rows or bytes), then side rows and source rows
//! are appended, each as one commit.

use std::time::Duration;

use arrow::array::RecordBatch;
use lakefeed_core::Result;

use super::threads::ActiveStage;
use crate::options::IngestOptions;
use crate::store::Store;

pub(super) struct Writer<'a> {
    pub store: &'a Store,
    pub table: &'a str,
    pub opts: &'a IngestOptions,
    pub total: Option<u64>,
    pub stages: &'a [ActiveStage],
    /// Source rows committed so far.
    pub written: u64,
    /// Side rows committed so far, by stage index.
    pub side_written: Vec<u64>,
    buf: Vec<RecordBatch>,
    buf_rows: usize,
    buf_bytes: usize,
    side_buf: Vec<(usize, RecordBatch)>,
}

impl<'a> Writer<'a> {
    pub fn new(
        store: &'a Store,
        table: &'a str,
        opts: &'a IngestOptions,
        total: Option<u64>,
        stages: &'a [ActiveStage],
    ) -> Self {
        Self {
            store,
            table,
            opts,
            total,
            stages,
            written: 0,
            side_written: vec![0; stages.len()],
            buf: Vec::new(),
            buf_rows: 0,
            buf_bytes: 0,
            side_buf: Vec::new(),
        }
    }

    pub fn push(&mut self, batch: RecordBatch, side: Vec<(usize, RecordBatch)>) -> Result<()> {
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

    pub fn flush(&mut self) -> Result<()> {
        // Side rows first: a crash between the two commits leaves side rows that a re-run rewrites, never source
        // rows without theirs.
        for (i, (stage, _)) in self.stages.iter().enumerate() {
            let rows: Vec<RecordBatch> = self
                .side_buf
                .iter()
                .filter(|(j, _)| *j == i)
                .map(|(_, b)| b.clone())
                .collect();
            let n: usize = rows.iter().map(RecordBatch::num_rows).sum();
            if n > 0 {
                append_retrying(self.store, stage.table(), rows)?;
                self.side_written[i] += n as u64;
            }
        }
        self.side_buf.clear();
        if self.buf_rows > 0 {
            append_retrying(self.store, self.table, std::mem::take(&mut self.buf))?;
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

/// Attempts at one commit before a retryable error (a lost commit race) is given up on.
const COMMIT_ATTEMPTS: u32 = 5;

/// Appends as one commit, trying again (with back-off) while the error says a retry may succeed. A failed
/// append wrote nothing, so trying again cannot duplicate rows.
fn append_retrying(store: &Store, table: &str, batches: Vec<RecordBatch>) -> Result<()> {
    let mut attempt = 1;
    loop {
        match store.append(table, batches.clone()) {
            Err(e) if e.is_retryable() && attempt < COMMIT_ATTEMPTS => {
                tracing::debug!(table, attempt, error = %e.chain(), "retrying commit");
                std::thread::sleep(Duration::from_millis(50 << attempt));
                attempt += 1;
            }
            other => return other,
        }
    }
}
