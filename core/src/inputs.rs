//! Inputs: the independent parts of a source (files), each with a key that says what its rows are. A
//! re-run looks the keys up and leaves out the inputs whose rows are all committed, without decoding them again.
//!
//! A format that lists its inputs ([`crate::Format::inputs`]) marks, on the batch holding an input's last row,
//! that the input is complete ([`mark_done`]). The pipeline records it once that batch is committed.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{RecordBatch, RecordBatchOptions};
use arrow::datatypes::Schema;
use serde::Serialize;

use crate::ids::{IdSpace, stable_id};

/// Schema metadata naming the inputs a batch completes (a JSON array of keys).
const DONE_META: &str = "lakefeed:inputs_done";

/// One input of a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// Changes when the input's content, or an option that shapes its rows, changes.
    pub key: String,
    /// Where it is read from, for the report.
    pub path: PathBuf,
}

/// The key of an input: its content id and the options that shape its rows (serialised to JSON).
pub fn input_key(content_id: &str, shaping: &impl Serialize) -> String {
    let opts = serde_json::to_string(shaping).unwrap_or_default();
    stable_id(
        IdSpace::named("input"),
        format!("{content_id}\n{opts}").as_bytes(),
    )
}

/// What identifies a file's current content cheaply: its path, size and modification time (`missing` when it
/// cannot be read), for [`input_key`].
pub fn file_stamp(path: &std::path::Path) -> String {
    match std::fs::metadata(path) {
        Ok(m) => {
            let time = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            format!("{}:{}:{time}", path.display(), m.len())
        }
        Err(_) => format!("{}:missing", path.display()),
    }
}

/// A file as an input: keyed by its [`file_stamp`] and the options that shape its rows.
pub fn file_input(path: &std::path::Path, shaping: &impl Serialize) -> Input {
    Input {
        key: input_key(&file_stamp(path), shaping),
        path: path.to_path_buf(),
    }
}

/// `batch` marked as completing `keys` (in addition to any it already completes). A batch may have no rows: an
/// input that yields none is still marked.
pub fn mark_done(batch: RecordBatch, keys: &[String]) -> RecordBatch {
    if keys.is_empty() {
        return batch;
    }
    let mut all = done_in(&batch);
    all.extend(keys.iter().cloned());
    let mut meta = batch.schema().metadata().clone();
    meta.insert(
        DONE_META.to_string(),
        serde_json::to_string(&all).unwrap_or_default(),
    );
    let schema = Arc::new(Schema::new_with_metadata(
        batch.schema().fields().clone(),
        meta,
    ));
    let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    // Same columns, new metadata only: cannot fail.
    RecordBatch::try_new_with_options(schema, batch.columns().to_vec(), &options).unwrap_or(batch)
}

/// The inputs `batch` completes.
pub fn done_in(batch: &RecordBatch) -> Vec<String> {
    batch
        .schema()
        .metadata()
        .get(DONE_META)
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default()
}

/// Keys already complete, handed to [`crate::Format::skip_inputs`].
pub type DoneSet = HashSet<String>;

/// For [`crate::Format::skip_inputs`]: which of a format's inputs (by their keys, in order) are still to do.
pub fn still_to_do(keys: &[Option<String>], done: &DoneSet) -> Vec<bool> {
    keys.iter()
        .map(|k| !k.as_ref().is_some_and(|k| done.contains(k)))
        .collect()
}

/// Keeps the items of `items` whose flag in `keep` (same order) is true; items past its end are kept.
pub fn retain_flagged<T>(items: &mut Vec<T>, keep: &[bool]) {
    let mut flags = keep.iter();
    items.retain(|_| *flags.next().unwrap_or(&true));
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Int32Array;
    use arrow::datatypes::{DataType, Field};

    #[test]
    fn marks_survive_and_accumulate() {
        let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Int32, true)]));
        let b = RecordBatch::try_new(schema, vec![Arc::new(Int32Array::from(vec![1]))]).unwrap();
        assert!(done_in(&b).is_empty());
        let b = mark_done(mark_done(b, &["x".into()]), &["y".into()]);
        assert_eq!(done_in(&b), vec!["x".to_string(), "y".to_string()]);
        assert_ne!(input_key("c", &1), input_key("c", &2));
        assert_eq!(input_key("c", &1), input_key("c", &1));
    }
}
