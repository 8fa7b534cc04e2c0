//! A cell's bytes (an image, a mask, a video segment, a PDF page): served with the type its first bytes show
//! (an allow-list of images, video and PDF; anything else is a download, never a page), HTTP range requests
//! (so a video seeks), and a small cache of recent cells, so a video's many range requests read the row once.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use arrow::array::{Array, ArrayRef, AsArray};
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::TryStreamExt;
use lakefeed_core::{Error, Result};
use lancedb::query::{ExecutableQuery, Select};

use super::super::error::Answer;
use super::ViewerShared;
use super::access::{TableRef, Ws};
use crate::store::lance_error::from_lance;

/// The most bytes the cache keeps.
const CACHE_BYTES: usize = 256 << 20;

/// Which cell: the store, table, table version, row and column.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct CellKey(String, String, u64, u64, String);

impl CellKey {
    pub(super) fn new(ws: &Ws, table: &str, version: u64, rowid: u64, column: &str) -> Self {
        Self(ws.lance.uri().to_string(), table.into(), version, rowid, column.into())
    }
}

/// Recently read cells, oldest first, up to [`CACHE_BYTES`].
#[derive(Default)]
pub(super) struct Cache(Mutex<VecDeque<(CellKey, Bytes)>>);

impl Cache {
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<(CellKey, Bytes)>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Keeps `bytes` for `key`, dropping the oldest cells past the limit.
    pub(super) fn put(&self, key: CellKey, bytes: Bytes) {
        if bytes.len() > CACHE_BYTES / 4 {
            return;
        }
        let mut q = self.lock();
        q.retain(|(k, _)| *k != key);
        q.push_back((key, bytes));
        let mut total: usize = q.iter().map(|(_, b)| b.len()).sum();
        while total > CACHE_BYTES {
            let Some((_, b)) = q.pop_front() else { break };
            total -= b.len();
        }
    }

    fn get(&self, key: &CellKey) -> Option<Bytes> {
        self.lock().iter().find(|(k, _)| k == key).map(|(_, b)| b.clone())
    }
}

/// A path's row id.
pub(super) fn parse_row_id(text: Option<&String>) -> Result<u64> {
    text.and_then(|t| t.parse().ok())
        .ok_or_else(|| Error::query("a row id is a whole number"))
}

/// Row `row` of a byte column, when not null.
pub(super) fn blob(col: &ArrayRef, row: usize) -> Option<Bytes> {
    if col.is_null(row) {
        return None;
    }
    let bytes = if let Some(b) = col.as_binary_opt::<i32>() {
        b.value(row)
    } else if let Some(b) = col.as_binary_opt::<i64>() {
        b.value(row)
    } else {
        col.as_binary_view_opt()?.value(row)
    };
    Some(Bytes::copy_from_slice(bytes))
}

/// The media type the bytes' signature shows, from the types a page may show; else a download.
pub(super) fn sniff(b: &[u8]) -> &'static str {
    let at = |i: usize, sig: &[u8]| b.len() >= i + sig.len() && &b[i..i + sig.len()] == sig;
    if at(0, b"\xFF\xD8\xFF") {
        "image/jpeg"
    } else if at(0, b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if at(0, b"GIF87a") || at(0, b"GIF89a") {
        "image/gif"
    } else if at(0, b"RIFF") && at(8, b"WEBP") {
        "image/webp"
    } else if at(0, b"BM") {
        "image/bmp"
    } else if at(4, b"ftyp") {
        if at(8, b"qt  ") { "video/quicktime" } else { "video/mp4" }
    } else if at(0, b"\x1A\x45\xDF\xA3") {
        "video/webm"
    } else if at(0, b"%PDF-") {
        "application/pdf"
    } else {
        "application/octet-stream"
    }
}

/// The byte range a `Range` header asks for, within `len` bytes: `Ok(None)` for the whole, `Err` when it cannot
/// be served (416). One range only; a list is answered with the whole.
fn range(headers: &HeaderMap, len: usize) -> std::result::Result<Option<(usize, usize)>, ()> {
    let Some(spec) = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("bytes="))
    else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let (start, end) = spec.split_once('-').ok_or(())?;
    let (start, end) = match (start.trim(), end.trim()) {
        ("", n) => {
            let n: usize = n.parse().map_err(|_| ())?;
            (len.saturating_sub(n), len.checked_sub(1).ok_or(())?)
        }
        (s, "") => (s.parse().map_err(|_| ())?, len.checked_sub(1).ok_or(())?),
        (s, e) => (
            s.parse().map_err(|_| ())?,
            e.parse::<usize>().map_err(|_| ())?.min(len.saturating_sub(1)),
        ),
    };
    if start > end || start >= len {
        return Err(());
    }
    Ok(Some((start, end)))
}

/// `GET …/rows/{rowid}/cells/{column}`: the cell's bytes, with ranges.
pub(super) async fn cell(
    State(s): State<ViewerShared>,
    t: TableRef,
    Path(p): Path<HashMap<String, String>>,
    headers: HeaderMap,
) -> Answer {
    let rowid = parse_row_id(p.get("rowid"))?;
    let column = p.get("column").cloned().unwrap_or_default();
    let table = t.ws.lance.open_table(&t.table).await?;
    let err = |e| from_lance(&t.table, "read", e);
    let version = table.version().await.map_err(err)?;
    let key = CellKey::new(&t.ws, &t.table, version, rowid, &column);
    let bytes = match s.cells.get(&key) {
        Some(b) => b,
        None => {
            let schema = table.schema().await.map_err(err)?;
            if schema.column_with_name(&column).is_none() {
                return Err(Error::Table(format!("table '{}' has no column '{column}'", t.table)).into());
            }
            let batches: Vec<_> = table
                .take_row_ids(vec![rowid])
                .select(Select::columns(&[column.as_str()]))
                .execute()
                .await
                .map_err(err)?
                .try_collect()
                .await
                .map_err(err)?;
            let b = batches
                .iter()
                .find(|b| b.num_rows() > 0)
                .and_then(|b| blob(b.column(0), 0))
                .ok_or_else(|| {
                    Error::Table(format!("'{}' row {rowid} has no bytes in '{column}'", t.table))
                })?;
            s.cells.put(key, b.clone());
            b
        }
    };
    let mime = sniff(&bytes);
    let len = bytes.len();
    let mut resp = match range(&headers, len) {
        Ok(None) => Response::new(Body::from(bytes)),
        Ok(Some((a, b))) => {
            let mut r = Response::new(Body::from(bytes.slice(a..=b)));
            *r.status_mut() = StatusCode::PARTIAL_CONTENT;
            r.headers_mut().insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&format!("bytes {a}-{b}/{len}")).map_err(|e| Error::Other(e.to_string()))?,
            );
            r
        }
        Err(()) => {
            let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            r.headers_mut().insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&format!("bytes */{len}")).map_err(|e| Error::Other(e.to_string()))?,
            );
            return Ok(r);
        }
    };
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=300"));
    if mime == "application/octet-stream" {
        h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment"));
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranged(v: &str, len: usize) -> std::result::Result<Option<(usize, usize)>, ()> {
        let mut h = HeaderMap::new();
        h.insert(header::RANGE, HeaderValue::from_str(v).unwrap());
        range(&h, len)
    }

    #[test]
    fn ranges() {
        assert_eq!(range(&HeaderMap::new(), 10), Ok(None));
        assert_eq!(ranged("bytes=0-", 10), Ok(Some((0, 9))));
        assert_eq!(ranged("bytes=2-4", 10), Ok(Some((2, 4))));
        assert_eq!(ranged("bytes=5-100", 10), Ok(Some((5, 9))));
        assert_eq!(ranged("bytes=-3", 10), Ok(Some((7, 9))));
        assert_eq!(ranged("bytes=10-", 10), Err(()));
        assert_eq!(ranged("bytes=4-2", 10), Err(()));
        assert_eq!(ranged("bytes=x-2", 10), Err(()));
        assert_eq!(ranged("bytes=0-1,3-4", 10), Ok(None));
    }

    #[test]
    fn sniffs_only_what_a_page_may_show() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest"), "image/jpeg");
        assert_eq!(sniff(b"\x00\x00\x00\x18ftypisom"), "video/mp4");
        assert_eq!(sniff(b"%PDF-1.7"), "application/pdf");
        assert_eq!(sniff(b"<html><script>alert(1)</script>"), "application/octet-stream");
        assert_eq!(sniff(b""), "application/octet-stream");
    }
}
