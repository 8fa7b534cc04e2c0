//! Arrow IPC streams: how batches travel between `lakefeed serve` and its client (beyond the seed's JSON).
//!
//! A stream is the schema message then one message per batch, so a reader can start before the writer ends
//! and memory holds one batch at a time on each side.

mod body;
mod frame;

use std::io::Cursor;

use arrow::array::RecordBatch;
use arrow::buffer::Buffer;
use arrow::datatypes::{Schema, SchemaRef};
use arrow::ipc::MetadataVersion;
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::{
    CompressionContext, DictionaryTracker, EncodedData, IpcDataGenerator, IpcWriteOptions,
    write_message,
};
use lakefeed_core::{Error, Result};

pub use frame::Framer;
use frame::refuse_compression;

/// The media type of an Arrow IPC stream.
pub const CONTENT_TYPE: &str = "application/vnd.apache.arrow.stream";

/// The word that opens each message's length in the current framing.
const CONTINUATION: u32 = u32::MAX;

/// Where each message's body and buffers start (Arrow's recommended 64 bytes).
const ALIGNMENT: usize = 64;

/// The feature `/health` lists when a server has the Arrow endpoints.
pub const FEATURE: &str = "arrow-ipc";

fn ipc_error(what: &'static str) -> impl Fn(arrow::error::ArrowError) -> Error {
    move |e| Error::Other(format!("{what} an Arrow IPC stream: {e}"))
}

/// Writes a stream piece by piece: [`Encoder::new`] gives the schema message, each [`Encoder::batch`] one more.
///
/// A batch comes out in pieces (a message header, then the columns' own buffers where it can), so a server
/// hands the columns to the socket without copying them into a stream buffer first.
pub struct Encoder {
    data: IpcDataGenerator,
    dictionaries: DictionaryTracker,
    options: IpcWriteOptions,
    compression: CompressionContext,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder").finish_non_exhaustive()
    }
}

impl Encoder {
    /// Starts a stream of `schema`; the bytes are the schema message.
    pub fn new(schema: &Schema) -> Result<(Self, Vec<u8>)> {
        let mut enc = Self {
            data: IpcDataGenerator::default(),
            dictionaries: DictionaryTracker::new(false),
            options: IpcWriteOptions::try_new(ALIGNMENT, false, MetadataVersion::V5)
                .map_err(ipc_error("cannot start"))?,
            compression: CompressionContext::default(),
        };
        let message = enc.data.schema_to_bytes_with_dictionary_tracker(
            schema,
            &mut enc.dictionaries,
            &enc.options,
        );
        let mut head = enc.head(message.ipc_message)?.to_vec();
        head.extend(message.arrow_data);
        Ok((enc, head))
    }

    /// One batch's messages (its new dictionaries first), as pieces to send in order. The columns' buffers are
    /// the pieces themselves where the types allow (see `body`), else copies Arrow's encoder made.
    pub fn batch(&mut self, batch: &RecordBatch) -> Result<Vec<Buffer>> {
        if let Some(message) = body::record_batch(batch, ALIGNMENT) {
            let mut pieces = vec![self.head(message.metadata)?];
            pieces.extend(message.body);
            return Ok(pieces);
        }
        let (dictionaries, message) = self
            .data
            .encode(
                batch,
                &mut self.dictionaries,
                &self.options,
                &mut self.compression,
            )
            .map_err(ipc_error("cannot write a batch to"))?;
        let mut pieces = Vec::new();
        for m in dictionaries.into_iter().chain([message]) {
            pieces.push(self.head(m.ipc_message)?);
            let mut body = m.arrow_data;
            body.resize(body.len().div_ceil(ALIGNMENT) * ALIGNMENT, 0);
            pieces.push(Buffer::from_vec(body));
        }
        Ok(pieces)
    }

    /// A message's framed header: the continuation marker, the metadata's length, the metadata, padding.
    fn head(&self, metadata: Vec<u8>) -> Result<Buffer> {
        let mut head = Vec::with_capacity(metadata.len() + 2 * ALIGNMENT);
        let header = EncodedData {
            ipc_message: metadata,
            arrow_data: Vec::new(),
        };
        write_message(&mut head, header, &self.options).map_err(ipc_error("cannot write"))?;
        Ok(Buffer::from_vec(head))
    }

    /// The end-of-stream marker.
    pub fn finish(self) -> Vec<u8> {
        [CONTINUATION, 0]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect()
    }
}

/// A stream read whole: its schema and batches.
pub type Decoded = (SchemaRef, Vec<RecordBatch>);

/// A whole stream of `batches` in `schema`.
pub fn encode(schema: &Schema, batches: &[RecordBatch]) -> Result<Vec<u8>> {
    let (mut enc, mut out) = Encoder::new(schema)?;
    for b in batches {
        for piece in enc.batch(b)? {
            out.extend_from_slice(&piece);
        }
    }
    out.extend(enc.finish());
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

    #[test]
    fn a_stream_cut_anywhere_is_framed_into_its_whole_messages() {
        let b = batch();
        let bytes = encode(&b.schema(), &[b.clone(), b.clone()]).unwrap();
        let whole = |step: usize| {
            let mut framer = Framer::default();
            let mut messages = Vec::new();
            for piece in bytes.chunks(step) {
                framer.push(piece, &mut messages).unwrap();
            }
            framer.finish().unwrap();
            messages
        };
        let expected = whole(bytes.len());
        assert_eq!(expected.len(), 4, "schema, two batches, end marker");
        assert_eq!(expected.concat(), bytes);
        for step in 1..bytes.len() {
            assert_eq!(whole(step), expected, "pieces of {step} bytes");
        }
        let mut decoder = arrow::ipc::reader::StreamDecoder::new();
        let got: Vec<RecordBatch> = expected
            .into_iter()
            .filter_map(|m| {
                decoder
                    .decode(&mut arrow::buffer::Buffer::from_vec(m))
                    .unwrap()
            })
            .collect();
        assert_eq!(got, vec![b.clone(), b]);
        decoder.finish().unwrap();

        let mut framer = Framer::default();
        framer
            .push(&bytes[..bytes.len() - 20], &mut Vec::new())
            .unwrap();
        assert!(framer.finish().is_err());
    }
}
