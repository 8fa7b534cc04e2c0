//! Video memory (issue 9): peak RSS of `lakefeed ingest` on a 10-minute 720p video and on the same video ten
//! times over (about 100 minutes, several GB), next to one-pass `ffmpeg -f segment -c copy` on the same files.
//! Segments are streamed as they are cut, so lakefeed's peak must not grow with the file.
//!
//! `cargo bench --profile dev --bench video_memory -- [LOOPS]` (default 10). The videos are made once with ffmpeg
//! (testsrc2 + a tone, H.264 at 4 Mb/s + AAC) under the target directory and reused.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn make_videos(dir: &Path, loops: usize) -> (PathBuf, PathBuf) {
    std::fs::create_dir_all(dir).unwrap();
    let ten = dir.join("ten_minutes_720p.mp4");
    if !ten.exists() {
        eprintln!("making {} (once)", ten.display());
        let tmp = dir.join("ten.tmp.mp4");
        common::ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=1280x720:rate=30:duration=600",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=600",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-b:v",
            "4M",
            "-g",
            "60",
            "-c:a",
            "aac",
            "-shortest",
            tmp.to_str().unwrap(),
        ]);
        std::fs::rename(&tmp, &ten).unwrap();
    }
    let big = dir.join(format!("ten_minutes_x{loops}.mp4"));
    if !big.exists() {
        eprintln!("making {} (once)", big.display());
        let tmp = dir.join("big.tmp.mp4");
        let n = (loops - 1).to_string();
        common::ffmpeg(&[
            "-stream_loop",
            &n,
            "-i",
            ten.to_str().unwrap(),
            "-c",
            "copy",
            tmp.to_str().unwrap(),
        ]);
        std::fs::rename(&tmp, &big).unwrap();
    }
    (ten, big)
}

fn main() {
    let loops: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10);
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    let (ten, big) = make_videos(&Path::new(&target).join("bench-videos"), loops);
    println!(
        "\n### Video peak memory (streamed segments; {loops}× file = the 10-minute video {loops} times)\n"
    );
    println!(
        "| file | size | lakefeed ingest: peak RSS | wall s | `ffmpeg -f segment -c copy`: peak RSS | wall s |"
    );
    println!("|---|---|---|---|---|---|");
    for video in [&ten, &big] {
        let size = std::fs::metadata(video).unwrap().len() as f64 / (1u64 << 20) as f64;
        let store = tempfile::tempdir().unwrap();
        let (ours, ours_s) = common::peak(
            Command::new(env!("CARGO_BIN_EXE_lakefeed"))
                .arg("--store")
                .arg(store.path())
                .args(["ingest", "v"])
                .arg(video)
                .env("LAKEFEED_LOG", "warn"),
        );
        let segs = tempfile::tempdir().unwrap();
        let pattern = segs.path().join("s%05d.mp4");
        let (theirs, theirs_s) = common::peak(
            Command::new("ffmpeg")
                .args(["-v", "error"])
                .args(common::segment_args(video, &pattern)),
        );
        println!(
            "| {} | {size:.0} MiB | {ours:.0} MiB | {ours_s:.1} | {theirs:.0} MiB | {theirs_s:.1} |",
            video.file_name().unwrap().to_string_lossy()
        );
    }
}
