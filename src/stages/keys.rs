//! How thumbnails are found: the shared table they live in and the key of a source row's thumbnails (what the
//! thumbnail stage writes and the viewer looks up).

use arrow::array::{Array, AsArray, RecordBatch};
use lakefeed_core::ids::{IdSpace, stable_id};

/// The shared table thumbnails go to.
pub const THUMBNAILS_TABLE: &str = "thumbnails";

/// The `file_id`s a batch's rows' thumbnails are keyed by: the row's `id` when the table has one, else a UUIDv5
/// of the row's binary values (all of them, in the table's order), so it stays the same across re-runs.
pub fn thumbnail_keys(batch: &RecordBatch) -> Vec<String> {
    if let Some(id) = batch
        .column_by_name("id")
        .and_then(|c| c.as_string_opt::<i32>())
    {
        return (0..batch.num_rows())
            .map(|i| {
                if id.is_null(i) {
                    String::new()
                } else {
                    id.value(i).to_string()
                }
            })
            .collect();
    }
    (0..batch.num_rows())
        .map(|i| {
            let key: Vec<u8> = batch
                .columns()
                .iter()
                .filter_map(|c| {
                    c.as_binary_opt::<i32>()
                        .filter(|b| !b.is_null(i))
                        .map(|b| b.value(i).to_vec())
                })
                .flatten()
                .collect();
            stable_id(IdSpace::ROW_BYTES, &key)
        })
        .collect()
}

