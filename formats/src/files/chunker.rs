//! Text chunking in one linear pass: chunks of at most `size` characters, consecutive chunks overlapping
//! by about `overlap` characters. Each chunk ends at the last boundary of the strongest kind in the back half of
//! its window: a paragraph (a blank line), then a sentence end, then a line break, then a word break. When the
//! back half has none, the strongest in the front half is used, and only a window without any whitespace is cut
//! hard at `size` characters. Cuts fall between characters, never inside one. Chunks are trimmed, so none is
//! blank.
//!
//! Each chunk costs O(`size`), and every two chunks move the start forward by at least a quarter of `size`, so
//! a text of n characters takes O(n). [`ChunkStream`] does the same over text that arrives in pieces, holding at most
//! one window, so a file of any size is chunked in bounded memory.

use lakefeed_core::{Error, Result};

/// Kinds of boundary, weakest first.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Level {
    Word,
    Line,
    Sentence,
    Paragraph,
}

/// Whitespace looked at past the window's end, to see whether a cut there is a line or paragraph break.
const LOOKAHEAD_CHARS: usize = 16;

/// Where one chunk ends and the next starts, as byte offsets.
struct Cut {
    end: usize,
    next: usize,
}

/// Chunking settings, checked.
#[derive(Debug, Clone, Copy)]
pub struct Chunker {
    size: usize,
    overlap: usize,
}

impl Chunker {
    /// A chunker for chunks of at most `size` characters overlapping by about `overlap`.
    pub fn new(size: usize, overlap: usize) -> Result<Self> {
        if size == 0 || overlap >= size {
            return Err(Error::Ingest(format!(
                "chunk_size ({size}) must be positive and chunk_overlap ({overlap}) smaller than it"
            )));
        }
        Ok(Self { size, overlap })
    }

    /// The chunks of a whole text, in order.
    pub fn chunks<'t>(&self, text: &'t str) -> Vec<&'t str> {
        let mut out = Vec::new();
        let mut start = 0;
        while let Some(cut) = self.next_cut(text, &mut start, true) {
            out.push(text[start..cut.end].trim_end());
            start = cut.next;
        }
        out
    }

    /// A stream for text that arrives in pieces.
    pub fn stream(&self) -> ChunkStream {
        ChunkStream {
            chunker: *self,
            buf: String::new(),
            start: 0,
        }
    }

    /// Skips whitespace at `start`, then finds the cut of the chunk starting there. `None` when the text is done
    /// or, if it is not `last`, when more text is needed to decide.
    fn next_cut(&self, text: &str, start: &mut usize, last: bool) -> Option<Cut> {
        *start += text[*start..]
            .find(|c: char| !c.is_whitespace())
            .unwrap_or(text.len() - *start);
        let start = *start;
        if start == text.len() {
            return None;
        }
        // The window: `half` after ceil(size/2) characters, `end` after `size`.
        let half = start + skip_chars(&text[start..], self.size.div_ceil(2));
        let end = half + skip_chars(&text[half..], self.size / 2);
        if end == text.len() {
            // The rest fits in one chunk.
            return last.then_some(Cut {
                end: text.len(),
                next: text.len(),
            });
        }
        let ahead = &text[end..];
        let run = ahead
            .char_indices()
            .take(LOOKAHEAD_CHARS)
            .find(|(_, c)| !c.is_whitespace())
            .map_or(skip_chars(ahead, LOOKAHEAD_CHARS), |(i, _)| i);
        if !last && end + run == text.len() {
            return None;
        }
        let cut = best_boundary(text, start, half, end, end + run).unwrap_or(end);
        Some(Cut {
            end: cut,
            next: self.overlap_start(text, start, cut),
        })
    }

    /// Where the next chunk starts: about `overlap` characters before `cut`, moved forward to a word's start, and
    /// past the middle of the chunk that just ended so the start always advances.
    fn overlap_start(&self, text: &str, start: usize, cut: usize) -> usize {
        if self.overlap == 0 {
            return cut;
        }
        let back = start + back_chars(&text[start..cut], self.overlap);
        let floor = ceil_boundary(text, start + (cut - start) / 2);
        let mut p = back.max(floor);
        if p <= start || p >= cut {
            return cut;
        }
        let mid_word = !text[..p].ends_with(char::is_whitespace)
            && !text[p..].starts_with(char::is_whitespace);
        if mid_word && let Some(ws) = text[p..cut].find(char::is_whitespace) {
            p += ws;
        }
        p
    }
}

/// The byte length of the first `n` characters of `s` (all of it when shorter). Counts whole runs at a time
/// (ASCII runs by length), not character by character.
fn skip_chars(s: &str, n: usize) -> usize {
    let (mut pos, mut left) = (0, n);
    while left > 0 && pos < s.len() {
        // `left` bytes hold at most `left` characters; rounding up to a boundary adds none.
        let to = ceil_boundary(s, (pos + left).min(s.len()));
        left -= count_chars(&s[pos..to]);
        pos = to;
    }
    pos
}

/// Where the last `n` characters of `s` start (0 when it is shorter).
fn back_chars(s: &str, n: usize) -> usize {
    let (mut pos, mut left) = (s.len(), n);
    while left > 0 && pos > 0 {
        let mut from = ceil_boundary(s, pos.saturating_sub(left));
        if from == pos {
            // `pos - left` fell inside the character just before `pos`: take that one character.
            from = floor_boundary(s, pos - 1);
        }
        left -= count_chars(&s[from..pos]);
        pos = from;
    }
    pos
}

/// The characters in `s`: its length when it is ASCII, else a (vectorised) count.
fn count_chars(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// The first character boundary at or after `i`.
fn ceil_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// The last character boundary at or before `i`.
fn floor_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The cut for the window `text[start..end]`: the last boundary of the strongest level at or after `half`, else
/// the last of the strongest level before it. Scanning starts at `scan_end`, which may run past `end` into
/// whitespace, so a run that `end` falls in is classified whole. A boundary is the start of a whitespace run, or
/// the point just after a CJK sentence mark.
fn best_boundary(
    text: &str,
    start: usize,
    half: usize,
    end: usize,
    scan_end: usize,
) -> Option<usize> {
    // The last boundary of each level, in the back half and in the front half of the window.
    let mut back: [Option<usize>; 4] = [None; 4];
    let mut front: [Option<usize>; 4] = [None; 4];
    let mut record = |level: Level, at: usize, back: &mut [Option<usize>; 4]| {
        let side = if at >= half { back } else { &mut front };
        if at > start && at <= end && side[level as usize].is_none() {
            side[level as usize] = Some(at);
        }
    };
    let mut run: Option<usize> = None; // newlines in the whitespace run being scanned
    let bytes = text.as_bytes();
    // Below the back half's first newline no paragraph can start, so a sentence end found there is final.
    let first_newline = bytes[half..scan_end]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(scan_end, |i| half + i);
    let mut p = scan_end;
    while p > start {
        p -= 1;
        // Bytes, not decoded characters: ASCII is classified as is, and only the lead byte of any other
        // character is decoded.
        let c = match bytes[p] {
            b if b.is_ascii() => char::from(b),
            b if b & 0xC0 == 0x80 => continue,
            _ => text[p..].chars().next().unwrap_or_default(),
        };
        if p < half && back.iter().any(Option::is_some) {
            break;
        }
        if c.is_whitespace() {
            run = Some(run.unwrap_or(0) + usize::from(c == '\n'));
            continue;
        }
        let after = p + c.len_utf8();
        if let Some(newlines) = run.take() {
            let level = if newlines >= 2 {
                Level::Paragraph
            } else if ends_sentence(text, p, c) {
                Level::Sentence
            } else if newlines == 1 {
                Level::Line
            } else {
                Level::Word
            };
            record(level, after, &mut back);
        } else if matches!(c, '。' | '！' | '？') {
            record(Level::Sentence, after, &mut back);
        }
        let settled = back[Level::Paragraph as usize].is_some()
            || (p <= first_newline && back[Level::Sentence as usize].is_some());
        if settled {
            break;
        }
    }
    let strongest = |side: &[Option<usize>; 4]| side.iter().rev().find_map(|b| *b);
    strongest(&back).or_else(|| strongest(&front))
}

/// Whether `c` at byte `p`, followed by whitespace, ends a sentence: `.`, `?`, `!`, `…` or a CJK full stop, or a
/// closing quote or bracket right after one.
fn ends_sentence(text: &str, p: usize, c: char) -> bool {
    let terminal = |c: char| matches!(c, '.' | '?' | '!' | '…' | '。' | '！' | '？');
    terminal(c)
        || (matches!(c, '"' | '\'' | ')' | ']' | '”' | '’' | '»')
            && text[..p].chars().next_back().is_some_and(terminal))
}

/// Chunks text that arrives in pieces; holds only the text not yet chunked.
#[derive(Debug)]
pub struct ChunkStream {
    chunker: Chunker,
    buf: String,
    start: usize,
}

impl ChunkStream {
    /// Adds text and hands over every chunk that is now decided.
    pub fn push(&mut self, piece: &str, out: &mut impl FnMut(&str)) {
        self.buf.push_str(piece);
        self.drain(false, out);
        // Keep the character before the next start: it decides whether a closing quote there ends a sentence.
        let keep = self.buf[..self.start]
            .char_indices()
            .next_back()
            .map_or(0, |(i, _)| i);
        self.buf.drain(..keep);
        self.start -= keep;
    }

    /// Ends the text and hands over the remaining chunks.
    pub fn finish(mut self, out: &mut impl FnMut(&str)) {
        self.drain(true, out);
    }

    fn drain(&mut self, last: bool, out: &mut impl FnMut(&str)) {
        while let Some(cut) = self.chunker.next_cut(&self.buf, &mut self.start, last) {
            out(self.buf[self.start..cut.end].trim_end());
            self.start = cut.next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offset(text: &str, chunk: &str) -> usize {
        chunk.as_ptr() as usize - text.as_ptr() as usize
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
            assert_eq!(ch.trim(), *ch);
            assert!(!ch.is_empty());
        }
        for w in chunks.windows(2) {
            let end0 = offset(&text, w[0]) + w[0].len();
            let start1 = offset(&text, w[1]);
            let shared = text[start1..end0].chars().count();
            assert!((30..=60).contains(&shared), "overlap of {shared}");
        }
        assert!(c.chunks("   \n\n  ").is_empty());
        assert!(Chunker::new(100, 100).is_err());
        assert!(Chunker::new(0, 0).is_err());
    }

    #[test]
    fn prefers_paragraph_then_sentence_then_line_then_word() {
        let c = Chunker::new(40, 0).unwrap();
        let cases = [
            // A paragraph break in the back half wins over a later sentence end.
            (
                "aaaa aaaa aaaa aaaa aaaa.\n\nbbbb. cccc dddd eeee ffff",
                "aaaa aaaa aaaa aaaa aaaa.",
            ),
            // A sentence end wins over a later line break and word breaks.
            (
                "aaaa aaaa aaaa aaaa aa? bbbb\ncccc dddd eeee",
                "aaaa aaaa aaaa aaaa aa?",
            ),
            // A line break wins over later word breaks.
            (
                "aaaa aaaa aaaa aaaa aaaa bb\ncccc dddd eeee ffff",
                "aaaa aaaa aaaa aaaa aaaa bb",
            ),
            (
                "aaaa aaaa aaaa aaaa aaaa bbbb cccc dddd eeee",
                "aaaa aaaa aaaa aaaa aaaa bbbb cccc dddd",
            ),
            // A break too early (front half) loses to a weaker one later.
            (
                "aa.\n\nbbbb bbbb bbbb bbbb bbbb cccc dddd eeee",
                "aa.\n\nbbbb bbbb bbbb bbbb bbbb cccc dddd",
            ),
        ];
        for (text, first) in cases {
            assert_eq!(c.chunks(text)[0], first, "{text:?}");
        }
        // The window ending inside a blank line is a paragraph break.
        let t = format!("{}\n\n{}", "w ".repeat(20).trim_end(), "x ".repeat(30));
        assert_eq!(c.chunks(&t)[0], "w ".repeat(20).trim_end());
        // Nothing in the back half: the front half's last word break.
        assert_eq!(c.chunks(&format!("aaaa {}", "b".repeat(60)))[0], "aaaa");
        // No whitespace at all: hard cuts at the size, between characters.
        let counts: Vec<usize> = c
            .chunks(&"漢".repeat(100))
            .iter()
            .map(|c| c.chars().count())
            .collect();
        assert_eq!(counts, [40, 40, 20]);
        // CJK full stops are sentence ends without a following space.
        assert!(c.chunks(&"漢字漢字。".repeat(20))[0].ends_with('。'));
    }

    #[test]
    fn stream_gives_the_same_chunks_for_any_piece_size() {
        let text =
            "Line one is here.\nAnd a second line, longer than that…\n\n  Ünïcödé “quoted.” \
                    Paragraph two! Words words words words words words.\r\n\r\n"
                .repeat(40);
        for (size, overlap) in [(1000, 200), (100, 20), (37, 11), (5, 0)] {
            let c = Chunker::new(size, overlap).unwrap();
            let whole: Vec<String> = c.chunks(&text).into_iter().map(String::from).collect();
            for piece in [1, 3, 64, 4096] {
                let mut got = Vec::new();
                let mut s = c.stream();
                let chars: Vec<char> = text.chars().collect();
                for p in chars.chunks(piece) {
                    s.push(&p.iter().collect::<String>(), &mut |c| {
                        got.push(c.to_string())
                    });
                }
                s.finish(&mut |c| got.push(c.to_string()));
                assert_eq!(got, whole, "size {size} overlap {overlap} piece {piece}");
            }
        }
    }

    #[test]
    fn covers_every_word() {
        let text = std::iter::repeat_n(
            "alpha beta. gamma\ndelta\n\nepsilon zeta! eta theta iota ",
            300,
        )
        .enumerate()
        .map(|(i, s)| format!("{s}{i} "))
        .collect::<String>();
        let chunks = Chunker::new(200, 50).unwrap().chunks(&text);
        let mut pos = 0;
        for w in text.split_whitespace() {
            let at = text[pos..].find(w).unwrap() + pos;
            assert!(
                chunks.iter().any(|c| {
                    let o = offset(&text, c);
                    o <= at && at + w.len() <= o + c.len()
                }),
                "word {w} at {at} is in no chunk"
            );
            pos = at + w.len();
        }
    }

    /// Random texts over an alphabet of boundary-prone pieces (multi-byte characters, every kind of whitespace
    /// and sentence mark): no panic, every chunk within the size, trimmed and non-blank, chunks in order and
    /// covering every non-whitespace character, and the stream agreeing with the whole text.
    #[test]
    fn random_texts_keep_every_rule() {
        const PIECES: &[&str] = &[
            "a", "bc", "word", "é", "漢", "𝄞", " ", "  ", "\n", "\n\n", "\r\n", "\t", "\u{3000}",
            ".", ". ", "? ", "!\n", "。", "”", "…", "\u{a0}",
        ];
        let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for round in 0..20000 {
            let len = next(600);
            let text: String = (0..len).map(|_| PIECES[next(PIECES.len())]).collect();
            let size = 1 + next(60);
            let overlap = next(size);
            let c = Chunker::new(size, overlap).unwrap();
            let chunks = c.chunks(&text);
            let mut covered = vec![false; text.len()];
            let mut last_start = None;
            for ch in &chunks {
                assert!(
                    ch.chars().count() <= size,
                    "round {round}: {ch:?} over {size}"
                );
                assert!(!ch.is_empty() && ch.trim() == *ch, "round {round}: {ch:?}");
                let o = offset(&text, ch);
                assert!(last_start < Some(o), "round {round}: chunks out of order");
                last_start = Some(o);
                covered[o..o + ch.len()].iter_mut().for_each(|b| *b = true);
            }
            for (i, ch) in text.char_indices() {
                assert!(
                    ch.is_whitespace() || covered[i],
                    "round {round}: {ch:?} at {i} in no chunk (size {size}, overlap {overlap})"
                );
            }
            let mut streamed = Vec::new();
            let mut stream = c.stream();
            let chars: Vec<char> = text.chars().collect();
            for piece in chars.chunks(1 + next(50)) {
                stream.push(&piece.iter().collect::<String>(), &mut |c| {
                    streamed.push(c.to_string())
                });
            }
            stream.finish(&mut |c| streamed.push(c.to_string()));
            assert_eq!(streamed, chunks, "round {round}");
        }
    }
}
