//! Text files: decoded as they are read (UTF-8 with invalid bytes replaced, UTF-16 when a BOM says so) and
//! chunked by [`Chunker`] as the text arrives, so memory stays bounded whatever the file's size.

use std::io::Read;
use std::path::Path;

pub use super::chunker::{ChunkStream, Chunker};
use super::table::Row;
use crate::ordered::{Msg, Sink};

/// Bytes read at a time.
const READ_BYTES: usize = 1 << 20;
/// Rows handed on at a time.
const ROWS_PER_PART: usize = 256;

/// The encoding a file's first bytes select.
#[derive(Debug, Clone, Copy)]
enum Encoding {
    Utf8,
    Utf16 { little_endian: bool },
}

/// An incremental decoder: bytes in, text out, a character split across reads kept for the next one.
#[derive(Debug, Default)]
pub struct Decoder {
    encoding: Option<Encoding>,
    pending: Vec<u8>,
}

impl Decoder {
    /// Decodes the next bytes, appending to `out`.
    pub fn feed(&mut self, bytes: &[u8], out: &mut String) {
        if self.pending.is_empty() {
            // The usual case: nothing carried over, so decode the caller's bytes without copying them.
            let used = self.decode(bytes, false, out);
            self.pending.extend_from_slice(&bytes[used..]);
        } else {
            let mut input = std::mem::take(&mut self.pending);
            input.extend_from_slice(bytes);
            let used = self.decode(&input, false, out);
            input.drain(..used);
            self.pending = input;
        }
    }

    /// Decodes what is left at the end of the input.
    pub fn finish(mut self, out: &mut String) {
        let input = std::mem::take(&mut self.pending);
        self.decode(&input, true, out);
    }

    /// Decodes what it can of `input`; returns the bytes used (the rest is an incomplete character, or too
    /// little to tell the encoding).
    fn decode(&mut self, input: &[u8], last: bool, out: &mut String) -> usize {
        let (encoding, bom) = match self.encoding {
            Some(e) => (e, 0),
            None if input.len() < 3 && !last => return 0,
            None => {
                let utf16 = |little_endian| (Encoding::Utf16 { little_endian }, 2);
                let (e, bom) = match input {
                    [0xFF, 0xFE, ..] => utf16(true),
                    [0xFE, 0xFF, ..] => utf16(false),
                    [0xEF, 0xBB, 0xBF, ..] => (Encoding::Utf8, 3),
                    _ => (Encoding::Utf8, 0),
                };
                self.encoding = Some(e);
                (e, bom)
            }
        };
        let body = &input[bom..];
        bom + match encoding {
            Encoding::Utf8 => utf8_lossy(body, last, out),
            Encoding::Utf16 { little_endian } => utf16_lossy(body, little_endian, last, out),
        }
    }
}

/// Appends the UTF-8 in `bytes`, each invalid sequence as U+FFFD (as `String::from_utf8_lossy` does); an
/// incomplete character at the end is left unless `last`. Returns the bytes used.
fn utf8_lossy(bytes: &[u8], last: bool, out: &mut String) -> usize {
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        let bad = chunk.invalid();
        if bad.is_empty() {
            continue;
        }
        let at_end = bad.as_ptr_range().end == bytes.as_ptr_range().end;
        let incomplete = std::str::from_utf8(bad).is_err_and(|e| e.error_len().is_none());
        if at_end && incomplete && !last {
            return bytes.len() - bad.len();
        }
        out.push(char::REPLACEMENT_CHARACTER);
    }
    bytes.len()
}

/// Appends the UTF-16 in `bytes`, unpaired surrogates (and an odd last byte) as U+FFFD; a trailing odd byte or
/// high surrogate is left unless `last`. Returns the bytes used.
fn utf16_lossy(bytes: &[u8], little_endian: bool, last: bool, out: &mut String) -> usize {
    let unit = |c: &[u8]| {
        if little_endian {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    };
    let mut units = bytes.len() / 2;
    if !last && units > 0 && (0xD800..0xDC00).contains(&unit(&bytes[2 * units - 2..])) {
        units -= 1;
    }
    out.extend(
        char::decode_utf16(bytes[..2 * units].chunks_exact(2).map(unit))
            .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER)),
    );
    if last && bytes.len() % 2 == 1 {
        out.push(char::REPLACEMENT_CHARACTER);
        return bytes.len();
    }
    2 * units
}

/// Decodes a whole text file's bytes.
pub fn decode(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut d = Decoder::default();
    d.feed(bytes, &mut out);
    d.finish(&mut out);
    out
}

/// Reads, decodes and chunks one text file, handing on rows in parts; a read error skips the file.
pub fn process(path: &Path, chunker: Chunker, emit: &mut dyn FnMut(Vec<Row>) -> bool, sink: &Sink) {
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            let _ = sink.send(Msg::Skip(format!("unreadable: {e}")));
            return;
        }
    };
    let mut rows = ChunkRows::default();
    let (mut decoder, mut stream) = (Decoder::default(), chunker.stream());
    let (mut buf, mut text) = (vec![0u8; READ_BYTES], String::new());
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let _ = sink.send(Msg::Skip(format!("read failed: {e}")));
                return;
            }
        };
        text.clear();
        decoder.feed(&buf[..n], &mut text);
        stream.push(&text, &mut |c| rows.add(c));
        if rows.rows.len() >= ROWS_PER_PART && !emit(std::mem::take(&mut rows.rows)) {
            return;
        }
    }
    text.clear();
    decoder.finish(&mut text);
    stream.push(&text, &mut |c| rows.add(c));
    stream.finish(&mut |c| rows.add(c));
    if !rows.rows.is_empty() {
        emit(rows.rows);
    }
}

/// Rows of chunks not yet handed on, and the next chunk's index.
#[derive(Default)]
struct ChunkRows {
    rows: Vec<Row>,
    next: i64,
}

impl ChunkRows {
    fn add(&mut self, chunk: &str) {
        self.rows.push(Row {
            chunk_index: Some(self.next),
            text: Some(chunk.to_string()),
            ..Default::default()
        });
        self.next += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_boms_and_bad_utf8() {
        assert_eq!(decode(&[0xFF, 0xFE, b'h', 0, b'i', 0]), "hi");
        assert_eq!(decode(&[0xFE, 0xFF, 0, b'h', 0, b'i']), "hi");
        assert_eq!(decode(&[0xEF, 0xBB, 0xBF, b'o', b'k']), "ok");
        assert_eq!(decode(&[b'a', 0xFF, b'b']), "a\u{FFFD}b");
        assert_eq!(decode(b"ok"), "ok");
        assert_eq!(decode(&[0xFF, 0xFE, b'h', 0, b'i']), "h\u{FFFD}");
    }

    #[test]
    fn decoding_in_pieces_matches_decoding_whole() {
        let text = "añ€𝄞 text ".repeat(50);
        let mut utf16le = vec![0xFF, 0xFE];
        utf16le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let mut utf16be = vec![0xFE, 0xFF];
        utf16be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        let mut bad = text.as_bytes().to_vec();
        bad.insert(7, 0xC3); // a lead byte with no continuation
        for bytes in [text.as_bytes().to_vec(), utf16le, utf16be, bad] {
            let whole = String::from_utf8_lossy(&bytes).into_owned();
            let expected = decode(&bytes);
            if !matches!(bytes[..2], [0xFF, 0xFE] | [0xFE, 0xFF]) {
                assert_eq!(expected, whole);
            } else {
                assert_eq!(expected, text);
            }
            for piece in [1, 2, 3, 5, 7] {
                let (mut d, mut out) = (Decoder::default(), String::new());
                for p in bytes.chunks(piece) {
                    d.feed(p, &mut out);
                }
                d.finish(&mut out);
                assert_eq!(out, expected, "piece {piece}");
            }
        }
    }
}
