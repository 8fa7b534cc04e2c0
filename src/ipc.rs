//! Arrow IPC streams: how batches travel between `lakefeed serve` and its client (§8, beyond the seed's JSON).
//!
//! A stream is the schema message then one message per batch, so a reader can start before the writer ends
//! and memory holds one batch at a time on each side.

use std::io::Cursor;

use arrow::array::RecordBatch;
use arrow::datatypes::{Schema, SchemaRef};
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;
use lakefeed_core::{Error, Result};

/// The media type of an Arrow IPC stream.
pub const CONTENT_TYPE: &str = "application/vnd.apache.arrow.stream";

/// The feature `/health` lists when a server has the Arrow endpoints.
pub const FEATURE: &str = "arrow-ipc";

fn ipc_error(what: &'static str) -> impl Fn(arrow::error::ArrowError) -> Error {
    move |e| Error::Other(format!("{what} an Arrow IPC stream: {e}"))
}

/// Writes a stream piece by piece: [`Encoder::new`] gives the schema message, each [`Encoder::batch`] one more.
pub struct Encoder {
    writer: StreamWriter<Vec<u8>>,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder").finish_non_exhaustive()
    }
}

impl Encoder {
    /// Starts a stream of `schema`; the bytes are the schema message.
    pub fn new(schema: &Schema) -> Result<(Self, Vec<u8>)> {
        let mut writer =
            StreamWriter::try_new(Vec::new(), schema).map_err(ipc_error("cannot start"))?;
        let head = std::mem::take(writer.get_mut());
        Ok((Self { writer }, head))
    }

    /// One batch's message.
    pub fn batch(&mut self, batch: &RecordBatch) -> Result<Vec<u8>> {
        self.writer
            .write(batch)
            .map_err(ipc_error("cannot write a batch to"))?;
        Ok(std::mem::take(self.writer.get_mut()))
    }

    /// The end-of-stream marker.
    pub fn finish(mut self) -> Result<Vec<u8>> {
        self.writer.finish().map_err(ipc_error("cannot finish"))?;
        Ok(std::mem::take(self.writer.get_mut()))
    }
}

/// A stream read whole: its schema and batches.
pub type Decoded = (SchemaRef, Vec<RecordBatch>);

/// A whole stream of `batches` in `schema`.
pub fn encode(schema: &Schema, batches: &[RecordBatch]) -> Result<Vec<u8>> {
    let (mut enc, mut out) = Encoder::new(schema)?;
    for b in batches {
        out.extend(enc.batch(b)?);
    }
    out.extend(enc.finish()?);
    Ok(out)
}

/// Reads a whole stream held in memory.
pub fn decode(bytes: &[u8]) -> Result<Decoded> {
    let reader =
        StreamReader::try_new(Cursor::new(bytes), None).map_err(ipc_error("cannot read"))?;
    let schema = reader.schema();
    let batches = reader
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(ipc_error("cannot read a batch of"))?;
    Ok((schema, batches))
}
