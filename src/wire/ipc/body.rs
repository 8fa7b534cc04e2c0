//! A record batch's IPC message whose body is the batch's own buffers rather than a copy of them, so a server
//! hands the columns a scan decoded straight to the socket. It covers the types tables hold (fixed-width values,
//! booleans, strings and binaries, lists, fixed-size lists, structs); for any other type it gives `None` and the
//! caller uses Arrow's encoder, which copies.
//!
//! The layout is the IPC format's: a field node per array (length, null count), then its buffers in order, each
//! padded to the alignment; a validity buffer may be empty when the array has no nulls.

use arrow::array::{ArrayData, OffsetSizeTrait, RecordBatch};
use arrow::buffer::Buffer;
use arrow::datatypes::DataType;
use arrow::ipc::{self, MetadataVersion};
use flatbuffers::FlatBufferBuilder;

/// A batch's message: its metadata (a flatbuffer, still to be framed) and its body as pieces, padding included.
pub(super) struct Message {
    pub metadata: Vec<u8>,
    pub body: Vec<Buffer>,
}

/// `batch` as a message whose body borrows its buffers; `None` for a column type not covered here.
pub(super) fn record_batch(batch: &RecordBatch, align: usize) -> Option<Message> {
    let mut body = Body {
        padding: Buffer::from_vec(vec![0u8; align]),
        nodes: Vec::new(),
        buffers: Vec::new(),
        pieces: Vec::new(),
        len: 0,
    };
    for column in batch.columns() {
        body.array(&column.to_data())?;
    }
    let mut fbb = FlatBufferBuilder::new();
    let nodes = fbb.create_vector(&body.nodes);
    let buffers = fbb.create_vector(&body.buffers);
    let mut header = ipc::RecordBatchBuilder::new(&mut fbb);
    header.add_length(i64::try_from(batch.num_rows()).ok()?);
    header.add_nodes(nodes);
    header.add_buffers(buffers);
    let header = header.finish().as_union_value();
    let mut message = ipc::MessageBuilder::new(&mut fbb);
    message.add_version(MetadataVersion::V5);
    message.add_header_type(ipc::MessageHeader::RecordBatch);
    message.add_bodyLength(i64::try_from(body.len).ok()?);
    message.add_header(header);
    let message = message.finish();
    fbb.finish(message, None);
    Some(Message {
        metadata: fbb.finished_data().to_vec(),
        body: body.pieces,
    })
}

/// A body being laid out.
struct Body {
    /// `align` zero bytes, sliced for each buffer's padding.
    padding: Buffer,
    nodes: Vec<ipc::FieldNode>,
    buffers: Vec<ipc::Buffer>,
    pieces: Vec<Buffer>,
    len: usize,
}

impl Body {
    /// Adds one buffer and its padding.
    fn push(&mut self, data: Buffer) {
        let n = data.len();
        let align = self.padding.len();
        let padded = n.div_ceil(align) * align;
        self.buffers
            .push(ipc::Buffer::new(self.len as i64, n as i64));
        if n > 0 {
            self.pieces.push(data);
        }
        if padded > n {
            self.pieces
                .push(self.padding.slice_with_length(0, padded - n));
        }
        self.len += padded;
    }

    /// Adds an array: its node, its validity, its buffers and its children.
    fn array(&mut self, data: &ArrayData) -> Option<()> {
        let (offset, len) = (data.offset(), data.len());
        let values = data.buffers();
        let width = match data.data_type() {
            DataType::FixedSizeBinary(w) => usize::try_from(*w).ok(),
            t => t.primitive_width(),
        };
        self.nodes
            .push(ipc::FieldNode::new(len as i64, data.null_count() as i64));
        let validity = match data.nulls() {
            Some(nulls) if nulls.null_count() > 0 => nulls.inner().sliced(),
            _ => Buffer::from_vec(Vec::<u8>::new()),
        };
        // Every type covered here has a validity buffer, first.
        self.push(validity);
        if let Some(w) = width {
            self.push(values.first()?.slice_with_length(offset * w, len * w));
            return Some(());
        }
        match data.data_type() {
            DataType::Boolean => {
                self.push(values.first()?.bit_slice(offset, len));
            }
            DataType::Utf8 | DataType::Binary => {
                let (start, end) = self.offsets::<i32>(data)?;
                self.push(values.get(1)?.slice_with_length(start, end - start));
            }
            DataType::LargeUtf8 | DataType::LargeBinary => {
                let (start, end) = self.offsets::<i64>(data)?;
                self.push(values.get(1)?.slice_with_length(start, end - start));
            }
            DataType::List(_) => {
                let (start, end) = self.offsets::<i32>(data)?;
                self.array(&data.child_data().first()?.slice(start, end - start))?;
            }
            DataType::LargeList(_) => {
                let (start, end) = self.offsets::<i64>(data)?;
                self.array(&data.child_data().first()?.slice(start, end - start))?;
            }
            DataType::FixedSizeList(_, n) => {
                let n = usize::try_from(*n).ok()?;
                self.array(&data.child_data().first()?.slice(offset * n, len * n))?;
            }
            DataType::Struct(_) => {
                for child in data.child_data() {
                    self.array(child)?;
                }
            }
            _ => return None,
        }
        Some(())
    }

    /// Adds the offsets of a string, binary or list array, starting at 0 (a sliced array's are rebased, the only
    /// copy made); gives the range of values they cover.
    fn offsets<O: OffsetSizeTrait>(&mut self, data: &ArrayData) -> Option<(usize, usize)> {
        let buffer = data.buffers().first()?;
        if buffer.as_ptr().align_offset(std::mem::align_of::<O>()) != 0 {
            return None;
        }
        let all = buffer.typed_data::<O>();
        let Some(ours) = all.get(data.offset()..=data.offset() + data.len()) else {
            // An empty array may have no offsets at all; the format wants one.
            self.push(Buffer::from_vec(vec![O::usize_as(0)]));
            return Some((0, 0));
        };
        let (start, end) = (ours.first()?.as_usize(), ours.last()?.as_usize());
        let size = std::mem::size_of::<O>();
        let buffer = if start == 0 {
            buffer.slice_with_length(data.offset() * size, std::mem::size_of_val(ours))
        } else {
            let first = ours[0];
            Buffer::from_vec(ours.iter().map(|o| *o - first).collect::<Vec<O>>())
        };
        self.push(buffer);
        Some((start, end))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        ArrayRef, BinaryArray, BooleanArray, Decimal128Array, DictionaryArray,
        FixedSizeBinaryArray, FixedSizeListArray, Float32Array, Int32Array, Int64Array,
        LargeListArray, LargeStringArray, ListArray, StringArray, StructArray,
        TimestampMicrosecondArray,
    };
    use arrow::datatypes::{Field, Int32Type};

    use super::super::{decode, encode};
    use super::*;

    /// A batch of every covered type, with nulls in most columns.
    fn covered(rows: usize) -> RecordBatch {
        let n = |i: usize| i % 3 == 1;
        let ints: Vec<Option<i64>> = (0..rows).map(|i| (!n(i)).then_some(i as i64)).collect();
        let texts: Vec<Option<String>> = (0..rows)
            .map(|i| (!n(i)).then(|| "x".repeat(i % 5)))
            .collect();
        let floats = Float32Array::from_iter_values((0..rows * 4).map(|i| i as f32));
        let item = Arc::new(Field::new("item", DataType::Float32, true));
        let lists = ListArray::from_iter_primitive::<Int32Type, _, _>(
            (0..rows).map(|i| (!n(i)).then(|| (0..i % 4).map(|v| Some(v as i32)))),
        );
        let large = LargeListArray::from_iter_primitive::<Int32Type, _, _>(
            (0..rows).map(|i| Some((0..i % 3).map(|v| Some(v as i32)))),
        );
        let columns: Vec<(&str, ArrayRef)> = vec![
            ("int", Arc::new(Int64Array::from(ints))),
            ("text", Arc::new(StringArray::from(texts.clone()))),
            (
                "large_text",
                Arc::new(LargeStringArray::from(texts.clone())),
            ),
            (
                "bytes",
                Arc::new(BinaryArray::from_iter(
                    texts.iter().map(|t| t.as_deref().map(str::as_bytes)),
                )),
            ),
            (
                "flag",
                Arc::new(BooleanArray::from_iter(
                    (0..rows).map(|i| (!n(i)).then_some(i % 2 == 0)),
                )),
            ),
            ("list", Arc::new(lists)),
            ("large_list", Arc::new(large)),
            (
                "embedding",
                Arc::new(FixedSizeListArray::new(item, 4, Arc::new(floats), None)),
            ),
            (
                "hash",
                Arc::new(
                    FixedSizeBinaryArray::try_from_iter((0..rows).map(|i| [i as u8; 3])).unwrap(),
                ),
            ),
            (
                "at",
                Arc::new(TimestampMicrosecondArray::from_iter_values(
                    (0..rows).map(|i| i as i64),
                )),
            ),
            (
                "price",
                Arc::new(
                    Decimal128Array::from_iter_values((0..rows).map(|i| i as i128))
                        .with_precision_and_scale(10, 2)
                        .unwrap(),
                ),
            ),
            (
                "meta",
                Arc::new(StructArray::from(vec![
                    (
                        Arc::new(Field::new("a", DataType::Int32, true)),
                        Arc::new(Int32Array::from_iter(
                            (0..rows).map(|i| (!n(i)).then_some(i as i32)),
                        )) as ArrayRef,
                    ),
                    (
                        Arc::new(Field::new("b", DataType::Utf8, true)),
                        Arc::new(StringArray::from(texts)) as ArrayRef,
                    ),
                ])),
            ),
        ];
        RecordBatch::try_from_iter(columns).unwrap()
    }

    #[test]
    fn covered_types_are_sent_from_their_own_buffers_and_read_back_equal_at_any_slice() {
        let whole = covered(40);
        for (offset, len) in [(0, 40), (0, 0), (1, 5), (3, 17), (8, 16), (13, 27), (39, 1)] {
            let b = whole.slice(offset, len);
            assert!(
                record_batch(&b, 64).is_some(),
                "slice {offset}+{len} zero-copy"
            );
            let (_, got) = decode(&encode(&b.schema(), std::slice::from_ref(&b)).unwrap()).unwrap();
            assert_eq!(got, vec![b], "slice {offset}+{len}");
        }
        // The embedding's values are the pieces themselves, not copies.
        let m = record_batch(&whole, 64).unwrap();
        let floats = whole.column(7).to_data().child_data()[0].buffers()[0].as_ptr();
        assert!(m.body.iter().any(|p| p.as_ptr() == floats));
    }

    #[test]
    fn other_types_go_through_arrows_encoder() {
        let keys = DictionaryArray::<Int32Type>::from_iter(["a", "b", "a"]);
        let b = RecordBatch::try_from_iter([("d", Arc::new(keys) as ArrayRef)]).unwrap();
        assert!(record_batch(&b, 64).is_none());
        let (_, got) = decode(&encode(&b.schema(), std::slice::from_ref(&b)).unwrap()).unwrap();
        assert_eq!(got, vec![b]);
    }
}
