//! The `files` table's columns (the union over the kinds present) and building batches of rows for one file.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use lakefeed_core::arrow::array::{
    ArrayRef, BinaryBuilder, Float64Builder, Int64Builder, RecordBatch, StringBuilder,
};
use lakefeed_core::arrow::datatypes::{DataType, Schema, SchemaRef};
use lakefeed_core::ids::{IdSpace, row_id, stable_id};
use lakefeed_core::{LogicalType, Result};

use super::kind::Kind;

/// Every column a kind can produce, in table order, with its type.
const COLUMNS: &[(&str, LogicalType)] = &[
    ("id", LogicalType::Text),
    ("file_id", LogicalType::Text),
    ("chunk_index", LogicalType::Int64),
    ("page_index", LogicalType::Int64),
    ("start_time", LogicalType::Float64),
    ("end_time", LogicalType::Float64),
    ("text", LogicalType::Text),
    ("filename", LogicalType::Text),
    ("image", LogicalType::Image),
    ("video_data", LogicalType::Video),
    ("thumbnail", LogicalType::Image),
    ("data", LogicalType::Binary),
];

/// The columns of one kind.
pub fn kind_columns(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Video => &[
            "id",
            "file_id",
            "chunk_index",
            "start_time",
            "end_time",
            "video_data",
            "thumbnail",
            "text",
        ],
        Kind::Image => &["id", "file_id", "image", "filename", "text"],
        Kind::Pdf => &["id", "file_id", "page_index", "image", "text"],
        Kind::Text => &["id", "file_id", "chunk_index", "text"],
        Kind::Other => &["id", "file_id", "data", "filename"],
    }
}

/// The union schema of the given kinds, declared up front so no batch can freeze it.
pub fn schema_for(kinds: &BTreeSet<Kind>) -> SchemaRef {
    let wanted: BTreeSet<&str> = kinds
        .iter()
        .flat_map(|k| kind_columns(*k).iter().copied())
        .collect();
    let fields: Vec<_> = COLUMNS
        .iter()
        .filter(|(name, _)| wanted.contains(name))
        .map(|(name, t)| t.field(name, t.arrow_type().unwrap_or(DataType::Binary)))
        .collect();
    Arc::new(Schema::new(fields))
}

/// One row of any kind; unset fields are null.
#[derive(Debug, Default, Clone)]
pub struct Row {
    /// Chunk (or segment) index, also the `n` of the id for video and text.
    pub chunk_index: Option<i64>,
    /// Page index, the `n` of the id for PDFs.
    pub page_index: Option<i64>,
    /// Segment start, seconds.
    pub start_time: Option<f64>,
    /// Segment end, seconds.
    pub end_time: Option<f64>,
    /// Text of the row.
    pub text: Option<String>,
    /// The file's name.
    pub filename: Option<String>,
    /// Image bytes (images, PDF pages).
    pub image: Option<Vec<u8>>,
    /// A standalone video segment.
    pub video_data: Option<Vec<u8>>,
    /// A video segment's JPEG thumbnail.
    pub thumbnail: Option<Vec<u8>>,
    /// Bytes of other files.
    pub data: Option<Vec<u8>>,
}

/// Builds a batch of `rows` of the file `file_id`, with `schema`'s columns.
pub fn batch(schema: &SchemaRef, file_id: &str, rows: &[Row]) -> Result<RecordBatch> {
    let cols: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|f| -> ArrayRef {
            match f.name().as_str() {
                "id" => text(rows.iter().map(|r| {
                    let n = r.chunk_index.or(r.page_index).unwrap_or(0);
                    Some(row_id(file_id, usize::try_from(n).unwrap_or(0)))
                })),
                "file_id" => text(rows.iter().map(|_| Some(file_id.to_string()))),
                "chunk_index" => int(rows.iter().map(|r| r.chunk_index)),
                "page_index" => int(rows.iter().map(|r| r.page_index)),
                "start_time" => float(rows.iter().map(|r| r.start_time)),
                "end_time" => float(rows.iter().map(|r| r.end_time)),
                "text" => text(rows.iter().map(|r| r.text.clone())),
                "filename" => text(rows.iter().map(|r| r.filename.clone())),
                "image" => bytes(rows.iter().map(|r| r.image.as_deref())),
                "video_data" => bytes(rows.iter().map(|r| r.video_data.as_deref())),
                "thumbnail" => bytes(rows.iter().map(|r| r.thumbnail.as_deref())),
                _ => bytes(rows.iter().map(|r| r.data.as_deref())),
            }
        })
        .collect();
    Ok(RecordBatch::try_new(schema.clone(), cols)?)
}

fn text(v: impl Iterator<Item = Option<String>>) -> ArrayRef {
    let mut b = StringBuilder::new();
    v.for_each(|x| b.append_option(x));
    Arc::new(b.finish())
}

fn int(v: impl Iterator<Item = Option<i64>>) -> ArrayRef {
    let mut b = Int64Builder::new();
    v.for_each(|x| b.append_option(x));
    Arc::new(b.finish())
}

fn float(v: impl Iterator<Item = Option<f64>>) -> ArrayRef {
    let mut b = Float64Builder::new();
    v.for_each(|x| b.append_option(x));
    Arc::new(b.finish())
}

fn bytes<'a>(v: impl Iterator<Item = Option<&'a [u8]>>) -> ArrayRef {
    let mut b = BinaryBuilder::new();
    v.for_each(|x| b.append_option(x));
    Arc::new(b.finish())
}

/// The deterministic id of a file: a UUIDv5 of its content's BLAKE3 digest and its file name, so re-ingesting
/// the same file gives the same ids wherever it lives. Reads the file in 1 MiB blocks.
pub fn file_id(path: &Path) -> std::io::Result<String> {
    let mut hasher = blake3::Hasher::new();
    let mut f = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    let mut key = hasher.finalize().as_bytes().to_vec();
    key.extend_from_slice(
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
            .as_bytes(),
    );
    Ok(stable_id(IdSpace::FILES, &key))
}
