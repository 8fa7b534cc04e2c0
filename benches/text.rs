//! Text chunking (issue 3): chunks of 1000 characters overlapping by 200, vs the seed's Python chunker
//! (reimplemented from its description in benches/py/text.py), on ~8 MB of the fixture texts.
//!
//! `cargo bench --profile dev --bench text`

#![allow(clippy::print_stdout)]

mod common;

use std::io::Read;

use lakefeed_formats::files::text::{Chunker, Decoder, decode};

fn main() {
    let dir = common::fixtures().join("files/text");
    let mut corpus = String::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    while corpus.len() < 8 << 20 {
        for f in &files {
            corpus.push_str(&decode(&std::fs::read(f).unwrap()));
            corpus.push_str("\n\n");
        }
    }
    let sample = std::env::temp_dir().join("lakefeed-bench-text.txt");
    std::fs::write(&sample, &corpus).unwrap();
    let chunker = Chunker::new(1000, 200).unwrap();
    let mut n = 0;
    let ours = common::median_secs(5, || n = chunker.chunks(&corpus).len());
    // The ingestion path: read in 1 MiB pieces, decoded and chunked as they arrive.
    let mut streamed = 0;
    let from_file = common::median_secs(5, || {
        let (mut file, mut buf) = (std::fs::File::open(&sample).unwrap(), vec![0; 1 << 20]);
        let (mut dec, mut stream, mut text) = (Decoder::default(), chunker.stream(), String::new());
        streamed = 0;
        loop {
            let n = file.read(&mut buf).unwrap();
            text.clear();
            if n == 0 {
                break;
            }
            dec.feed(&buf[..n], &mut text);
            stream.push(&text, &mut |_| streamed += 1);
        }
        dec.finish(&mut text);
        stream.push(&text, &mut |_| streamed += 1);
        stream.finish(&mut |_| streamed += 1);
    });
    assert_eq!(streamed, n, "streamed and whole-text chunking differ");
    let py = common::baseline("text.py", &[sample.display().to_string()]);
    let mb = corpus.len() as f64 / 1e6;
    common::table(
        &format!("Text chunking, {mb:.1} MB (seconds for the whole text)"),
        "s",
        ("lakefeed (semantic boundaries, linear time)", ours),
        &[
            (
                "lakefeed, streamed from the file (decode + chunk)",
                from_file,
            ),
            ("the seed's Python chunker", py["secs"].as_f64().unwrap()),
        ],
    );
    println!(
        "\nlakefeed: {n} chunks, {:.1} MB/s; seed chunker: {} chunks",
        mb / ours,
        py["chunks"]
    );
}
