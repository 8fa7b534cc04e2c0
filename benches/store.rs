//! Store benchmark (issue 2): ingest N rows of (id, text, 384-d embedding) through the pipeline into the local
//! Lance store and scan them back, against Python writing the same rows with pyarrow → Parquet and with the
//! lancedb package, in the same run. Prints a Markdown table of medians and ratios.
//!
//! `cargo bench --profile dev --bench store -- [ROWS] [REPEATS]` (defaults 1000000 and 3).

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod common;

use std::process::Command;
use std::time::Instant;

use lakefeed::arrow::array::RecordBatch;
use lakefeed::{Client, IngestData, IngestOptions};

use common::{BATCH, DIM, column_data as batches};

/// Ingests `data` into a fresh store (commits of 100k rows), keyed by `key`; returns the seconds it took and the
/// store (kept until dropped).
fn timed_ingest(
    data: &[RecordBatch],
    key: Option<Vec<String>>,
) -> (f64, tempfile::TempDir, Client) {
    let dir = tempfile::tempdir().expect("temp dir");
    let client = Client::local(dir.path()).expect("store");
    let t = Instant::now();
    let opts = IngestOptions {
        rows_per_commit: 100_000,
        bytes_per_commit: 512 << 20,
        key,
        ..Default::default()
    };
    let res = client
        .ingest("bench", IngestData::Batches(data.to_vec()), &opts)
        .expect("ingest");
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(
        res.row_count,
        data.iter().map(|b| b.num_rows() as u64).sum::<u64>()
    );
    (secs, dir, client)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let rows: usize = args
        .first()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let repeats: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(3);
    let data = batches(rows);
    let (mut write, mut scan, mut keyed) = (Vec::new(), Vec::new(), Vec::new());
    for r in 0..repeats {
        // Keyed writes (issue 9): the same rows keyed by `id`, each commit checking for present keys.
        let (secs, _dir, _client) = timed_ingest(&data, Some(vec!["id".into()]));
        keyed.push(secs);
        let (secs, _dir, client) = timed_ingest(&data, None);
        write.push(secs);
        let t = Instant::now();
        let mut n = 0;
        for b in client
            .open_table("bench")
            .expect("open")
            .batches(BATCH)
            .expect("scan")
        {
            n += b.expect("batch").num_rows();
        }
        scan.push(t.elapsed().as_secs_f64());
        assert_eq!(n, rows);
        eprintln!(
            "lakefeed run {r}: write {:.2}s (keyed {:.2}s) scan {:.2}s",
            write[r], keyed[r], scan[r]
        );
    }
    let py = std::env::var("LAKEFEED_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/store_baseline.py");
    let out = Command::new(&py)
        .args([script, &rows.to_string(), &repeats.to_string()])
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "baseline failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let base: serde_json::Value = serde_json::from_slice(&out.stdout).expect("baseline json");
    let (w, s, k) = (median(write), median(scan), median(keyed));
    println!(
        "| {rows} rows × (id, text, {DIM}-d f32) | write s | scan s | write ratio | scan ratio |"
    );
    println!("|---|---|---|---|---|");
    println!("| lakefeed (pipeline → Lance) | {w:.2} | {s:.2} | 1.00 | 1.00 |");
    println!(
        "| lakefeed, keyed by id (no duplicates on re-runs) | {k:.2} | | {:.2}× (keyed / plain: {:.2}) | |",
        w / k,
        k / w
    );
    for (name, key) in [
        ("pyarrow → Parquet (zstd)", "parquet"),
        ("python lancedb 0.40", "lancedb"),
    ] {
        let bw = base[key]["write"].as_f64().unwrap_or(f64::NAN);
        let bs = base[key]["scan"].as_f64().unwrap_or(f64::NAN);
        println!(
            "| {name} | {bw:.2} | {bs:.2} | {:.2}× | {:.2}× |",
            bw / w,
            bs / s
        );
    }
    println!(
        "\nratio = baseline time / lakefeed time (above 1: lakefeed is faster). Medians of {repeats} runs."
    );
}
