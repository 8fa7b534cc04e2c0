//! Text chunking (issue 3): chunks of 1000 characters overlapping by 200, vs the seed's Python chunker
//! (reimplemented from its description in benches/py/text.py), on ~8 MB of the fixture texts.
//!
//! `cargo bench --profile dev --bench text`

#![allow(clippy::print_stdout)]

mod common;

use lakefeed_formats::files::text::{Chunker, decode};

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
    let py = common::baseline("text.py", &[sample.display().to_string()]);
    let mb = corpus.len() as f64 / 1e6;
    common::table(
        &format!("Text chunking, {mb:.1} MB (seconds for the whole text)"),
        "s",
        ("lakefeed (text-splitter, semantic boundaries)", ours),
        &[("the seed's Python chunker", py["secs"].as_f64().unwrap())],
    );
    println!(
        "\nlakefeed: {n} chunks, {:.1} MB/s; seed chunker: {} chunks",
        mb / ours,
        py["chunks"]
    );
}
