//! Row keys for keyed writes: the key of each row as a 128-bit digest, and filtering batches by them.

use arrow::array::{Array, AsArray, BooleanArray, RecordBatch};
use arrow::compute::filter_record_batch;
use arrow::datatypes::DataType;
use arrow::util::display::array_value_to_string;
use lakefeed_core::{Error, Result};

/// A row's key: a digest of its key columns' values. 128 bits, so two different keys collide with probability
/// about n²/2¹²⁹, far below any disk's error rate.
pub(super) type KeyHash = u128;

/// The key digests of `batch`'s rows; `None` for a row with a null key column (it cannot be matched, so it is
/// always written).
pub(super) fn row_keys(batch: &RecordBatch, key: &[String]) -> Result<Vec<Option<KeyHash>>> {
    let cols = key
        .iter()
        .map(|k| {
            batch.column_by_name(k).ok_or_else(|| {
                Error::Table(format!("key column '{k}' is not in the rows being written"))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut out = Vec::with_capacity(batch.num_rows());
    let mut text = String::new();
    for row in 0..batch.num_rows() {
        if cols.iter().any(|c| c.is_null(row)) {
            out.push(None);
            continue;
        }
        let mut h = blake3::Hasher::new();
        for c in &cols {
            match c.data_type() {
                DataType::Utf8 => h.update(c.as_string::<i32>().value(row).as_bytes()),
                DataType::LargeUtf8 => h.update(c.as_string::<i64>().value(row).as_bytes()),
                _ => {
                    text.clear();
                    text.push_str(&array_value_to_string(c, row)?);
                    h.update(text.as_bytes())
                }
            };
            h.update(&[0x1f]);
        }
        let d = h.finalize();
        let mut b = [0u8; 16];
        b.copy_from_slice(&d.as_bytes()[..16]);
        out.push(Some(u128::from_le_bytes(b)));
    }
    Ok(out)
}

/// Keeps the rows of `batch` for which `keep` says yes (it sees each row's key in order; rows with no key are
/// always kept). Returns the kept rows and how many were dropped.
pub(super) fn keep_rows(
    batch: &RecordBatch,
    keys: &[Option<KeyHash>],
    mut keep: impl FnMut(KeyHash) -> bool,
) -> Result<(RecordBatch, u64)> {
    let mask: BooleanArray = keys.iter().map(|k| Some(k.is_none_or(&mut keep))).collect();
    let dropped = mask.false_count() as u64;
    if dropped == 0 {
        return Ok((batch.clone(), 0));
    }
    Ok((filter_record_batch(batch, &mask)?, dropped))
}
