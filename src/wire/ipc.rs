//! Arrow IPC streams: how batches travel between `lakefeed serve` and its client (beyond the seed's JSON).
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

/// Reads a whole stream held in memory. Compressed messages are refused: a compressed buffer states its own
/// decompressed size, which the reader would allocate before checking it against anything.
pub fn decode(bytes: &[u8]) -> Result<Decoded> {
    refuse_compression(bytes)?;
    let reader =
        StreamReader::try_new(Cursor::new(bytes), None).map_err(ipc_error("cannot read"))?;
    let schema = reader.schema();
    let batches = reader
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(ipc_error("cannot read a batch of"))?;
    Ok((schema, batches))
}

/// Walks a stream's message framing (`0xFFFFFFFF`, metadata length, metadata, body) and fails on any record or
/// dictionary batch whose body is compressed, or on framing that runs past the end.
fn refuse_compression(bytes: &[u8]) -> Result<()> {
    let bad = |why: &str| Error::Other(format!("cannot read an Arrow IPC stream: {why}"));
    let word = |at: usize| -> Result<u32> {
        bytes
            .get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_le_bytes)
            .ok_or_else(|| bad("the stream ends inside a message header"))
    };
    let mut at = 0;
    while at < bytes.len() {
        let mut len = word(at)?;
        at += 4;
        if len == u32::MAX {
            len = word(at)?;
            at += 4;
        }
        if len == 0 {
            break;
        }
        let end = at
            .checked_add(len as usize)
            .filter(|e| *e <= bytes.len())
            .ok_or_else(|| bad("a message's metadata runs past the end"))?;
        let msg = arrow::ipc::root_as_message(&bytes[at..end])
            .map_err(|e| bad(&format!("a message is not readable: {e}")))?;
        let compressed = msg
            .header_as_record_batch()
            .or_else(|| msg.header_as_dictionary_batch().and_then(|d| d.data()))
            .is_some_and(|b| b.compression().is_some());
        if compressed {
            return Err(bad(
                "compressed messages are not accepted; send uncompressed IPC",
            ));
        }
        let body = usize::try_from(msg.bodyLength()).map_err(|_| bad("a negative body length"))?;
        at = end
            .checked_add(body)
            .filter(|e| *e <= bytes.len())
            .ok_or_else(|| bad("a message's body runs past the end"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int64Array, RecordBatch};
    use arrow::datatypes::{DataType, Field, Schema};
    use arrow::ipc::CompressionType;
    use arrow::ipc::writer::{IpcWriteOptions, StreamWriter};

    use super::*;

    fn batch() -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, true)]));
        RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(vec![1, 2, 3]))]).unwrap()
    }

    #[test]
    fn plain_streams_round_trip_and_compressed_or_cut_ones_are_refused() {
        let b = batch();
        let bytes = encode(&b.schema(), &[b.clone(), b.clone()]).unwrap();
        let (_, got) = decode(&bytes).unwrap();
        assert_eq!(got, vec![b.clone(), b.clone()]);
        assert!(decode(&bytes[..bytes.len() - 20]).is_err());
        let opts = IpcWriteOptions::default()
            .try_with_compression(Some(CompressionType::ZSTD))
            .unwrap();
        let mut w = StreamWriter::try_new_with_options(Vec::new(), &b.schema(), opts).unwrap();
        w.write(&b).unwrap();
        w.finish().unwrap();
        let e = decode(&w.into_inner().unwrap()).unwrap_err();
        assert!(e.to_string().contains("compressed"), "{e}");
    }
}
