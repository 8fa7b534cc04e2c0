//! Batching writes: rows are buffered until a commit's worth (rows or bytes), then side rows, source rows and
//! the inputs those rows complete are written, in that order, each as one commit (an overwrite stages its rows
//! and commits them at the end).

use std::collections::BTreeMap;

use arrow::array::RecordBatch;
use lakefeed_core::{Result, Staged, WriteMode};

use super::ledger;
use super::side_swap::SideSwap;
use crate::blocking::{BlockingWriter, Store};
use crate::options::IngestOptions;
use crate::retry::Backoff;

/// Where one run writes: the source table's writer and each active side stage's.
pub(super) struct RunWriter<'a> {
    pub store: &'a Store,
    pub table: &'a str,
    pub opts: &'a IngestOptions,
    pub total: Option<u64>,
    main: BlockingWriter,
    sides: Vec<BlockingWriter>,
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
    /// Overwrite: the side rows' staging tables, swapped in once the overwrite is committed.
    pub swaps: Vec<SideSwap>,
    /// A shard: the inputs ledger's staging writer (its records are committed with the rows).
    ledger: Option<BlockingWriter>,
}

impl<'a> RunWriter<'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: &'a Store,
        table: &'a str,
        opts: &'a IngestOptions,
        total: Option<u64>,
        main: BlockingWriter,
        sides: Vec<BlockingWriter>,
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
            swaps: Vec::new(),
            ledger: None,
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
                let w = Backoff::COMMITS.run(self.table, || side.write(rows.clone()))?;
                self.side_written[i] += w.rows;
            }
        }
        self.side_buf.clear();
        if self.buf_rows > 0 {
            let batches = std::mem::take(&mut self.buf);
            let w = Backoff::COMMITS.run(self.table, || self.main.write(batches.clone()))?;
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

    /// Flushes, commits an overwrite, records its inputs, and says what was written. A shard commits nothing: it
    /// returns what its writers staged.
    pub fn finish(mut self) -> Result<Counts> {
        self.flush()?;
        if self.opts.shard.is_some() {
            let mut staged = Vec::new();
            for w in self.sides.iter_mut().chain(Some(&mut self.main)) {
                staged.push(w.finish_staged()?);
            }
            if let Some(ledger) = &mut self.ledger {
                staged.push(ledger.finish_staged()?);
            }
            return Ok(Counts {
                written: self.written,
                present: self.present,
                side_written: self.side_written,
                staged,
            });
        }
        for side in &mut self.sides {
            side.finish()?;
        }
        self.main.finish()?;
        for swap in std::mem::take(&mut self.swaps) {
            swap.swap_in(self.opts.rows_per_commit)?;
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
            staged: Vec::new(),
        })
    }

    /// Records `done` inputs in the ledger (when the table has a generation); a shard stages the records.
    fn record(&mut self, done: Vec<String>) -> Result<()> {
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
        if self.opts.shard.is_none() {
            return ledger::record(self.store, self.table, generation, &inputs);
        }
        if inputs.is_empty() {
            return Ok(());
        }
        let rows = ledger::rows(self.table, generation, &inputs)?;
        if self.ledger.is_none() {
            let spec = lakefeed_core::WriteSpec::default();
            self.ledger = Some(self.store.stage_writer(
                ledger::LEDGER_TABLE,
                ledger::schema(),
                spec,
            )?);
        }
        match &mut self.ledger {
            Some(w) => w.write(vec![rows]).map(|_| ()),
            None => Ok(()),
        }
    }
}

/// What a run wrote: source rows, source rows left out as present, side rows by stage, and a shard's staged
/// parts.
pub(super) struct Counts {
    pub written: u64,
    pub present: u64,
    pub side_written: Vec<u64>,
    pub staged: Vec<Staged>,
}
