//! Video segmenting (issue 3): 10 s stream-copied segments + a 320×180 thumbnail each, in one demux pass, vs
//! the seed's path (ffprobe, then one `ffmpeg -ss S -t 10 -c copy` process and one thumbnail process per
//! segment) and vs one-pass `ffmpeg -f segment -c copy` (no thumbnails), on a 120 s 720p H.264+AAC video.
//!
//! `cargo bench --profile dev --bench video`

#![allow(clippy::print_stdout)]

mod common;

use std::path::Path;
use std::process::Command;

fn seed_path(video: &Path, out: &Path) {
    let probe = Command::new("ffprobe")
        .args(["-v", "quiet", "-print_format", "json", "-show_format"])
        .arg(video)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&probe.stdout).unwrap();
    let duration: f64 = v["format"]["duration"].as_str().unwrap().parse().unwrap();
    let n = (duration / 10.0).ceil() as usize;
    for i in 0..n {
        let start = 10.0 * i as f64;
        let dur = (duration - start).min(10.0);
        let seg = out.join(format!("seg_{i}.mp4"));
        let thumb = out.join(format!("thumb_{i}.jpg"));
        let v = video.to_str().unwrap();
        common::ffmpeg(&[
            "-ss",
            &start.to_string(),
            "-t",
            &dur.to_string(),
            "-i",
            v,
            "-c",
            "copy",
            seg.to_str().unwrap(),
        ]);
        common::ffmpeg(&[
            "-ss",
            &(start + dur / 2.0).to_string(),
            "-i",
            v,
            "-vframes",
            "1",
            "-s",
            "320x180",
            thumb.to_str().unwrap(),
        ]);
        std::fs::read(&seg).unwrap();
    }
}

fn main() {
    let video = std::env::temp_dir().join("lakefeed-bench-120s.mp4");
    if !video.exists() {
        common::ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=duration=120:size=1280x720:rate=30",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=120",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-g",
            "60",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
            video.to_str().unwrap(),
        ]);
    }
    let env = lakefeed::FormatEnv::default();
    let ours = common::median_secs(5, || {
        let f =
            lakefeed::build_format("files", serde_json::json!({"paths": [video]}), &env).unwrap();
        let rows: usize = f
            .normalize(&lakefeed::IngestContext::default())
            .unwrap()
            .map(|b| b.unwrap().num_rows())
            .sum();
        assert_eq!(rows, 12);
    });
    let scratch = tempfile::tempdir().unwrap();
    let seed = common::median_secs(3, || seed_path(&video, scratch.path()));
    let pattern = scratch.path().join("seg%03d.mp4");
    let one_pass = common::median_secs(5, || {
        let args = common::segment_args(&video, &pattern);
        common::ffmpeg(&args.iter().map(String::as_str).collect::<Vec<_>>())
    });
    common::table(
        "Video, 120 s 720p H.264 + AAC into 10 s segments (seconds per video)",
        "s",
        (
            "lakefeed (one demux pass, in-process, with thumbnails)",
            ours,
        ),
        &[
            ("seed path: ffprobe + 2 ffmpeg processes per segment", seed),
            (
                "ffmpeg -f segment -c copy (one pass, no thumbnails)",
                one_pass,
            ),
        ],
    );
}
