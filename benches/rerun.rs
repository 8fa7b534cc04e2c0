//! Re-runs (issue 9): ingest the fixture files (images, PDFs at 300 DPI, text, videos) into a fresh store, then run
//! the same ingest again. The second run finds every input already committed and reads none of them again (it
//! hashes the files); without that, a re-run redoes all the work (and, appending blindly as the seed does,
//! doubles the rows).
//!
//! `cargo bench --profile dev --bench rerun -- [REPEATS]` (default 3).

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod common;

use std::time::Instant;

use lakefeed::{Client, IngestData, IngestOptions};

fn main() {
    let repeats: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(3);
    let paths: Vec<String> = ["image", "pdf", "text", "video"]
        .iter()
        .map(|k| {
            common::fixtures()
                .join("files")
                .join(k)
                .display()
                .to_string()
        })
        .collect();
    let (mut first, mut second) = (Vec::new(), Vec::new());
    for r in 0..repeats {
        let dir = tempfile::tempdir().expect("temp dir");
        let client = Client::local(dir.path()).expect("store");
        let run = || {
            let t = Instant::now();
            let res = client
                .ingest(
                    "media",
                    IngestData::files(&paths),
                    &IngestOptions::default(),
                )
                .expect("ingest");
            (t.elapsed().as_secs_f64(), res)
        };
        let (t1, a) = run();
        let (t2, b) = run();
        assert!(a.row_count > 0 && b.row_count == 0, "{:?}", b.report);
        assert_eq!(b.report.already_present, 25);
        eprintln!(
            "run {r}: first {t1:.3}s ({} rows), re-run {t2:.4}s",
            a.row_count
        );
        first.push(t1);
        second.push(t2);
    }
    let med = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (t1, t2) = (med(first), med(second));
    println!(
        "\n### Re-running a completed ingest of the fixture files (25 files; medians of {repeats})\n"
    );
    println!("| run | seconds | share of the first run |");
    println!("|---|---|---|");
    println!("| first run (fresh store) | {t1:.3} | 100% |");
    println!(
        "| re-run, every input already present | {t2:.4} | {:.1}% |",
        100.0 * t2 / t1
    );
    println!(
        "| re-run without input records (the seed: all work again, rows doubled) | {t1:.3} | 100% |"
    );
}
