//! Text files: decoded (UTF-8 with replacement, UTF-16 with BOM) and split into overlapping chunks (§5.1).
//!
//! Chunking uses the `text-splitter` crate: chunks of at most `chunk_size` characters, consecutive chunks
//! overlapping by up to `chunk_overlap` characters, cut at the largest semantic unit that fits (blank-line
//! paragraphs, then line breaks and sentences, then words, then graphemes), never inside a character. Chunks are
//! trimmed; whitespace-only chunks are dropped.

use lakefeed_core::{Error, Result};
use text_splitter::{ChunkConfig, TextSplitter};

/// Decodes file bytes: a UTF-16 BOM selects UTF-16 (LE or BE); otherwise UTF-8 with invalid bytes replaced
/// (a UTF-8 BOM is dropped).
pub fn decode(bytes: &[u8]) -> String {
    let utf16 = |le: bool| {
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16_lossy(&units)
    };
    match bytes {
        [0xFF, 0xFE, ..] => utf16(true),
        [0xFE, 0xFF, ..] => utf16(false),
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8_lossy(rest).into_owned(),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// A configured splitter.
pub struct Chunker {
    splitter: TextSplitter<text_splitter::Characters>,
}

impl Chunker {
    /// A chunker for chunks of at most `size` characters overlapping by `overlap`.
    pub fn new(size: usize, overlap: usize) -> Result<Self> {
        let config = ChunkConfig::new(size.max(1))
            .with_overlap(overlap)
            .map_err(|e| {
                Error::Ingest(format!(
                    "chunk_overlap ({overlap}) must be smaller than chunk_size ({size}): {e}"
                ))
            })?;
        Ok(Self {
            splitter: TextSplitter::new(config),
        })
    }

    /// The non-blank chunks of `text`, in order.
    pub fn chunks<'t>(&self, text: &'t str) -> Vec<&'t str> {
        self.splitter
            .chunks(text)
            .filter(|c| !c.trim().is_empty())
            .collect()
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
    }

    #[test]
    fn chunks_respect_size_overlap_and_characters() {
        let text = "Ünïcode sentence number one. ".repeat(200)
            + "\n\n"
            + &"Second paragraph here. ".repeat(50);
        let c = Chunker::new(300, 60).unwrap();
        let chunks = c.chunks(&text);
        assert!(chunks.len() > 5);
        for ch in &chunks {
            assert!(ch.chars().count() <= 300, "{}", ch.chars().count());
            assert!(!ch.trim().is_empty());
        }
        // Consecutive chunks overlap, except where a paragraph break separates them.
        let start = |ch: &str| ch.as_ptr() as usize - text.as_ptr() as usize;
        for w in chunks.windows(2) {
            let (end0, start1) = (start(w[0]) + w[0].len(), start(w[1]));
            assert!(
                start1 < end0 || text[end0..start1].contains("\n\n"),
                "no overlap inside a paragraph"
            );
        }
        assert!(c.chunks("   \n\n  ").is_empty());
        assert!(Chunker::new(100, 100).is_err());
    }
}
