//! The framing of an IPC stream's messages: a continuation marker, the metadata's length, the metadata (whose
//! body length says how much follows), then the body. Used to check a stream before reading it, and to cut one
//! that arrives in pieces into whole messages.

use lakefeed_core::{Error, Result};

use super::CONTINUATION;

/// What the start of some bytes says about the IPC message there.
enum Frame {
    /// At least this many bytes are needed to say more.
    Need(usize),
    /// A whole message is this many bytes (framing, metadata, body).
    Message { len: usize, compressed: bool },
    /// The end-of-stream marker, this many bytes.
    End(usize),
}

/// Reads the framing (`0xFFFFFFFF`, metadata length, metadata, body; or the legacy framing without the marker)
/// of the message that `bytes` starts with.
fn frame(bytes: &[u8]) -> Result<Frame> {
    let word = |at: usize| {
        bytes
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let Some(first) = word(0) else {
        return Ok(Frame::Need(4));
    };
    let (prefix, meta) = if first == CONTINUATION {
        match word(4) {
            Some(len) => (8, len as usize),
            None => return Ok(Frame::Need(8)),
        }
    } else {
        (4, first as usize)
    };
    if meta == 0 {
        return Ok(Frame::End(prefix));
    }
    let meta_end = prefix + meta;
    let Some(metadata) = bytes.get(prefix..meta_end) else {
        return Ok(Frame::Need(meta_end));
    };
    let bad = |why: String| Error::Other(format!("cannot read an Arrow IPC stream: {why}"));
    let msg = arrow::ipc::root_as_message(metadata)
        .map_err(|e| bad(format!("a message is not readable: {e}")))?;
    let compressed = msg
        .header_as_record_batch()
        .or_else(|| msg.header_as_dictionary_batch().and_then(|d| d.data()))
        .is_some_and(|b| b.compression().is_some());
    let len = usize::try_from(msg.bodyLength())
        .ok()
        .and_then(|body| meta_end.checked_add(body))
        .ok_or_else(|| bad("a message's body length is out of range".into()))?;
    Ok(Frame::Message { len, compressed })
}

/// Fails on any record or dictionary batch whose body is compressed, or on framing that runs past the end.
pub(super) fn refuse_compression(bytes: &[u8]) -> Result<()> {
    let bad = |why: &str| {
        Err(Error::Other(format!(
            "cannot read an Arrow IPC stream: {why}"
        )))
    };
    let mut at = 0;
    while at < bytes.len() {
        match frame(&bytes[at..])? {
            Frame::End(_) => break,
            Frame::Need(_) => return bad("the stream ends inside a message"),
            Frame::Message {
                compressed: true, ..
            } => {
                return bad("compressed messages are not accepted; send uncompressed IPC");
            }
            Frame::Message { len, .. } if len > bytes.len() - at => {
                return bad("a message runs past the end");
            }
            Frame::Message { len, .. } => at += len,
        }
    }
    Ok(())
}

/// The most a [`Framer`] reserves up front for one message, whatever its header claims.
const MAX_RESERVE: usize = 1 << 30;

/// Cuts an IPC stream that arrives in pieces (an HTTP body) into whole messages, each in one buffer of its own
/// size, so the decoder reads a batch's columns where they lie instead of growing a buffer piece by piece and
/// copying it at every growth.
#[derive(Debug, Default)]
pub struct Framer {
    pending: Vec<u8>,
    len: Option<usize>,
}

impl Framer {
    /// Takes the next piece of the stream; each message it completes is added to `whole`.
    pub fn push(&mut self, mut piece: &[u8], whole: &mut Vec<Vec<u8>>) -> Result<()> {
        loop {
            let (want, known) = match self.len {
                Some(len) => (len, true),
                None => match frame(&self.pending)? {
                    Frame::Need(n) => (n, false),
                    Frame::End(len) | Frame::Message { len, .. } => {
                        self.len = Some(len);
                        self.pending
                            .reserve_exact(len.min(MAX_RESERVE).saturating_sub(self.pending.len()));
                        (len, true)
                    }
                },
            };
            if known && self.pending.len() == want {
                whole.push(std::mem::take(&mut self.pending));
                self.len = None;
                continue;
            }
            if piece.is_empty() {
                return Ok(());
            }
            let n = (want - self.pending.len()).min(piece.len());
            self.pending.extend_from_slice(&piece[..n]);
            piece = &piece[n..];
        }
    }

    /// Fails if the stream stopped inside a message.
    pub fn finish(&self) -> Result<()> {
        if self.pending.is_empty() {
            Ok(())
        } else {
            Err(Error::Other(
                "cannot read an Arrow IPC stream: it ends inside a message".into(),
            ))
        }
    }
}
