//! Row keys for keyed writes: the key of each row as a 128-bit digest, and filtering batches by them.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

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

/// A set of key digests. They are already uniform, so their low 64 bits are the hash (no SipHash per row).
pub(super) type KeySet = HashSet<KeyHash, BuildHasherDefault<DigestHasher>>;

/// Hashes a [`KeyHash`] to its low 64 bits.
#[derive(Default)]
pub(super) struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u128(&mut self, v: u128) {
        self.0 = v as u64;
    }
}

/// The rows of `batch` for which `keep` says yes (it sees each row's key in order; rows with no key are always
/// kept), their keys, and how many rows were dropped.
pub(super) fn keep_rows(
    batch: &RecordBatch,
    keys: &[Option<KeyHash>],
    mut keep: impl FnMut(KeyHash) -> bool,
) -> Result<(RecordBatch, Vec<Option<KeyHash>>, u64)> {
    let flags: Vec<bool> = keys.iter().map(|k| k.is_none_or(&mut keep)).collect();
    let kept_keys: Vec<Option<KeyHash>> = keys
        .iter()
        .zip(&flags)
        .filter(|(_, f)| **f)
        .map(|(k, _)| *k)
        .collect();
    let dropped = (keys.len() - kept_keys.len()) as u64;
    if dropped == 0 {
        return Ok((batch.clone(), kept_keys, 0));
    }
    let mask = BooleanArray::from(flags);
    Ok((filter_record_batch(batch, &mask)?, kept_keys, dropped))
}
