//! Shared by the benchmarks: timing, medians, running the Python baselines, printing Markdown rows.

#![allow(dead_code, clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use lakefeed::LogicalType;
use lakefeed::arrow::array::{
    ArrayRef, FixedSizeListArray, Float32Array, RecordBatch, StringArray,
};
use lakefeed::arrow::datatypes::{DataType, Field, Schema};

/// Median of `runs` timings of `f`, in seconds.
pub fn median_secs(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut v: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The Python with the baseline packages (scripts/setup.sh makes it).
pub fn python() -> String {
    std::env::var("LAKEFEED_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Runs `benches/py/<script>` with `args`; returns its JSON output.
pub fn baseline(script: &str, args: &[String]) -> serde_json::Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("benches/py")
        .join(script);
    let out = Command::new(python())
        .arg(&path)
        .args(args)
        .output()
        .expect("running python");
    assert!(
        out.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{script}: bad JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// The shared fixtures folder.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures")
}

/// Prints a Markdown table: one row per (name, seconds), with the ratio baseline/ours against `ours`.
pub fn table(title: &str, unit: &str, ours: (&str, f64), others: &[(&str, f64)]) {
    println!("\n### {title}\n");
    println!("| tool | {unit} | ratio (their time / ours) |");
    println!("|---|---|---|");
    println!("| {} | {:.4} | 1.00 |", ours.0, ours.1);
    for (name, t) in others {
        println!("| {name} | {t:.4} | {:.2}× |", t / ours.1);
    }
}

/// Runs `f` on a rayon pool of `threads` threads.
pub fn with_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool")
        .install(f)
}

/// `ffmpeg` arguments cutting `video` into 10 s stream-copied segments named by `pattern` (one pass).
pub fn segment_args(video: &std::path::Path, pattern: &std::path::Path) -> Vec<String> {
    let mut args = vec!["-i".to_string(), video.display().to_string()];
    args.extend(
        [
            "-c",
            "copy",
            "-f",
            "segment",
            "-segment_time",
            "10",
            "-reset_timestamps",
            "1",
        ]
        .map(String::from),
    );
    args.push(pattern.display().to_string());
    args
}

/// Runs `ffmpeg -v error -y ARGS`, asserting success.
pub fn ffmpeg(args: &[&str]) {
    let ok = Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args)
        .status()
        .expect("ffmpeg")
        .success();
    assert!(ok, "ffmpeg {args:?}");
}

/// Runs `cmd` under GNU time; returns (peak RSS in MiB, wall seconds).
pub fn peak(cmd: &mut Command) -> (f64, f64) {
    let t = std::time::Instant::now();
    let mut timed = Command::new("/usr/bin/time");
    timed.arg("-f").arg("PEAK_KB %M").arg(cmd.get_program());
    timed.args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            timed.env(k, v);
        }
    }
    let out = timed.output().expect("/usr/bin/time");
    assert!(
        out.status.success(),
        "{:?} failed: {}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    let kb: f64 = err
        .lines()
        .find_map(|l| l.strip_prefix("PEAK_KB "))
        .and_then(|v| v.trim().parse().ok())
        .expect("peak RSS from /usr/bin/time");
    (kb / 1024.0, t.elapsed().as_secs_f64())
}

/// The column data's vector length.
pub const DIM: usize = 384;
/// Rows per batch of the column data.
pub const BATCH: usize = 10_000;

/// `rows` rows of (id, text, 384-d embedding) in batches of [`BATCH`], about 1.6 KB a row.
pub fn column_data(rows: usize) -> Vec<RecordBatch> {
    let schema = Arc::new(Schema::new(vec![
        LogicalType::Text.field("id", DataType::Utf8),
        LogicalType::Text.field("text", DataType::Utf8),
        LogicalType::Embedding(Some(DIM as i32))
            .field("embedding", lakefeed::types::vector_type(DIM as i32)),
    ]));
    (0..rows)
        .step_by(BATCH)
        .map(|start| {
            let end = (start + BATCH).min(rows);
            let ids = StringArray::from_iter_values((start..end).map(|i| format!("row_{i}")));
            let texts = StringArray::from_iter_values(
                (start..end).map(|i| format!("document number {i} about robots")),
            );
            let vals: Vec<f32> = (start..end)
                .flat_map(|i| (0..DIM).map(move |k| ((i * 31 + k * 7) % 1000) as f32 / 1000.0))
                .collect();
            let emb = FixedSizeListArray::try_new(
                Arc::new(Field::new("item", DataType::Float32, true)),
                DIM as i32,
                Arc::new(Float32Array::from(vals)),
                None,
            )
            .expect("vector column");
            let cols: Vec<ArrayRef> = vec![Arc::new(ids), Arc::new(texts), Arc::new(emb)];
            RecordBatch::try_new(schema.clone(), cols).expect("batch")
        })
        .collect()
}

/// The synthetic LeRobot v2.1 set with DROID's features (EPISODES × FRAMES), made once under the target directory.
pub fn lerobot_dataset(episodes: usize, frames: usize) -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    let dir = Path::new(&target).join(format!("bench-lerobot/droid_{episodes}x{frames}"));
    if !dir.join("meta/episodes.jsonl").exists() {
        eprintln!("making {} (once)", dir.display());
        let tmp = dir.with_extension("tmp");
        let _ = std::fs::remove_dir_all(&tmp);
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/py/lerobot_make.py");
        let ok = Command::new(python())
            .arg(script)
            .arg(&tmp)
            .args([episodes.to_string(), frames.to_string()])
            .status()
            .expect("python")
            .success();
        assert!(ok, "making the dataset");
        std::fs::rename(&tmp, &dir).expect("dataset in place");
    }
    dir
}
