//! LeRobot frames (issue 11): converting a synthetic v2.1 dataset with DROID's feature names (EPISODES × FRAMES,
//! one parquet file per episode) — frames per second and peak RSS of `lakefeed ingest --format lerobot-frames`
//! (read, unpack, write to the Lance store) against, in the same run, (a) the seed's own
//! `LeRobotFrames.normalize()` from `deeplake==4.5.5` (its pandas path; it only yields Python lists, it writes
//! nothing) and (b) pyarrow reading the same files and writing the same unpacked columns to one Parquet file.
//!
//! `cargo bench --profile dev --bench lerobot -- [EPISODES] [FRAMES] [RUNS]` (default 2000 300 3). The dataset is
//! made once under the target directory and reused. Each tool runs as its own process under GNU time.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod common;

use std::path::Path;
use std::process::Command;

/// Median wall seconds and the largest peak RSS (MiB) of `runs` runs of the command `make` builds.
fn measure(runs: usize, mut make: impl FnMut() -> Command) -> (f64, f64) {
    let mut secs = Vec::new();
    let mut rss: f64 = 0.0;
    for _ in 0..runs.max(1) {
        let (mib, s) = common::peak(&mut make());
        secs.push(s);
        rss = rss.max(mib);
    }
    secs.sort_by(f64::total_cmp);
    (secs[secs.len() / 2], rss)
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let episodes = args.first().copied().unwrap_or(2000);
    let frames = args.get(1).copied().unwrap_or(300);
    let runs = args.get(2).copied().unwrap_or(3);
    let dir = common::lerobot_dataset(episodes, frames);
    let total = (episodes * frames) as f64;
    let chunk_end = (episodes.saturating_sub(1) / 1000).to_string();
    let py = |script: &str| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("benches/py")
            .join(script)
    };

    let stores = tempfile::tempdir().unwrap();
    let mut run = 0;
    let ours = measure(runs, || {
        run += 1;
        let store = stores.path().join(run.to_string());
        let mut c = Command::new(env!("CARGO_BIN_EXE_lakefeed"));
        c.arg("--store")
            .arg(store)
            .args(["ingest", "droid_frames", "--format", "lerobot-frames"]);
        c.arg("--opt").arg(format!("dataset_dir={}", dir.display()));
        c.env("LAKEFEED_LOG", "warn");
        c
    });
    let out = tempfile::tempdir().unwrap();
    let pyarrow = measure(runs, || {
        let mut c = Command::new(common::python());
        c.arg(py("lerobot_pyarrow.py"))
            .arg(&dir)
            .arg(out.path().join("frames.parquet"));
        c
    });
    // The seed is slow: one run.
    let seed = measure(1, || {
        let mut c = Command::new(common::python());
        c.arg(py("lerobot_seed.py")).arg(&dir).arg(&chunk_end);
        c
    });

    println!(
        "\n### LeRobot frames: {episodes} episodes × {frames} frames ({total:.0} frames, v2.1, DROID names)\n"
    );
    println!(
        "| tool | wall s (median of {runs}) | frames/s | ratio (their time / ours) | peak RSS |"
    );
    println!("|---|---|---|---|---|");
    for (name, (s, rss)) in [
        ("lakefeed ingest --format lerobot-frames (into Lance)", ours),
        ("pyarrow read + unpack + write Parquet", pyarrow),
        (
            "deeplake 4.5.5 LeRobotFrames.normalize() (1 run, writes nothing)",
            seed,
        ),
    ] {
        println!(
            "| {name} | {s:.2} | {:.0} | {:.2}× | {rss:.0} MiB |",
            total / s,
            s / ours.0
        );
    }
}
