//! `lerobot-episodes`: every fixture converts, each episode's video decodes to exactly its frames (counted
//! with ffprobe, and compared pixel for pixel with the source's frames through PyAV), and a v3.0 dataset generated here, with several
//! episodes per file and keyframes not aligned to episode starts, cuts exactly.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{bytea, fixtures, lakefeed, ok, tmp};

/// Ingests `lerobot-episodes` of `dir` into `episodes`; returns the CLI output.
fn episodes(store: &Path, dir: &Path) -> String {
    ok(lakefeed(
        store,
        &[
            "ingest",
            "episodes",
            "--format",
            "lerobot-episodes",
            "--opt",
            &format!("dataset_dir={}", dir.display()),
            "--opt",
            "chunk_start=0",
            "--opt",
            "chunk_end=0",
        ],
    ))
}

/// (episode_index, task, length, the video of `column` or None) of every row, in episode order.
fn rows(store: &Path, column: &str) -> Vec<(i64, String, i64, Option<Vec<u8>>)> {
    let sql = format!(
        "SELECT episode_index, task, length, {column} AS v FROM episodes ORDER BY episode_index"
    );
    let json = ok(lakefeed(store, &["query", &sql, "--output", "json"]));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    rows.iter()
        .map(|r| {
            let video = (!r["v"].is_null()).then(|| bytea(&r["v"]));
            (
                r["episode_index"].as_i64().unwrap(),
                r["task"].as_str().unwrap().to_string(),
                r["length"].as_i64().unwrap(),
                video,
            )
        })
        .collect()
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("the tool runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Frames the system's ffprobe decodes from `file`.
fn ffprobe_frames(file: &Path) -> u64 {
    let out = run(Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-count_frames"])
        .args(["-show_entries", "stream=nb_read_frames", "-of", "csv=p=0"])
        .arg(file));
    out.trim().parse().unwrap()
}

/// What PyAV shows of a video: frames, first frame's time, duration, per-frame pixel MD5s.
struct Shown {
    frames: usize,
    first_time: f64,
    duration: f64,
    md5: Vec<String>,
}

fn shown(file: &Path) -> Shown {
    let helper = crate::common::repo().join("tests/helpers/video_frames.py");
    let out = run(Command::new(crate::common::python()).arg(helper).arg(file));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let v = &v[file.to_str().unwrap()];
    Shown {
        frames: v["frames"].as_u64().unwrap() as usize,
        first_time: v["first_time"].as_f64().unwrap(),
        duration: v["duration"].as_f64().unwrap(),
        md5: v["md5"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap().to_string())
            .collect(),
    }
}

/// Writes `bytes` to a file in `dir` and checks it shows exactly `source.md5[start..start + length]`, from time
/// zero, lasting `length / fps` seconds. `ffprobe` (FFmpeg 5.1 here) counts frames too, except for AV1: its
/// libdav1d wrapper ignores the edit list's discarded frames (fixed in FFmpeg 6).
fn check_cut(
    dir: &Path,
    name: &str,
    bytes: &[u8],
    source: &Shown,
    start: usize,
    length: usize,
    fps: f64,
) {
    let file = dir.join(name);
    std::fs::write(&file, bytes).unwrap();
    let got = shown(&file);
    assert_eq!(got.frames, length, "{name}: frames shown");
    assert_eq!(got.first_time, 0.0, "{name}: starts at zero");
    let want = length as f64 / fps;
    assert!(
        (got.duration - want).abs() < 0.5 / fps,
        "{name}: {} s, want {want} s",
        got.duration
    );
    assert_eq!(
        got.md5,
        source.md5[start..start + length],
        "{name}: the frames are the source's frames {start}..{}",
        start + length
    );
    if !name.starts_with("wrist") {
        assert_eq!(
            ffprobe_frames(&file),
            length as u64,
            "{name}: ffprobe's count"
        );
    }
}

#[test]
fn episodes_of_every_fixture_hold_exactly_their_frames() {
    let f = fixtures();
    let d = tmp();

    // v2.1: one video file per episode, stored whole; the 98 episodes without data are left out and reported.
    let store = d.path().join("v21");
    let dir = f.join("lerobot-v21/g1_pick_bottle_partial");
    let out = episodes(&store, &dir);
    assert!(out.contains("episodes: 2 rows"), "{out}");
    assert!(
        out.contains("98 of the 100 selected episodes have no data file here"),
        "{out}"
    );
    let got = rows(&store, "cam_high_video");
    assert_eq!(
        got.iter().map(|r| (r.0, r.2)).collect::<Vec<_>>(),
        [(29, 221), (30, 277)]
    );
    for (ep, task, length, video) in &got {
        assert_eq!(task, "Pick up the yellow bottle on the table.");
        let src = dir.join(format!(
            "videos/chunk-000/observation.images.cam_high/episode_{ep:06}.mp4"
        ));
        let video = video.as_ref().expect("the video is stored");
        assert_eq!(
            video,
            &std::fs::read(&src).unwrap(),
            "episode {ep}: the source file, whole"
        );
        assert_eq!(ffprobe_frames(&src), *length as u64);
    }

    // v3.0: episode 0 cut out of the shared file (its to_timestamp is the last frame's time, not the end).
    let store = d.path().join("v30");
    let dir = f.join("lerobot-v30/open50_episode0_partial");
    let out = episodes(&store, &dir);
    assert!(out.contains("episodes: 1 rows"), "{out}");
    let got = rows(&store, "image_video");
    assert_eq!((got[0].0, got[0].2), (0, 427));
    let source = shown(&dir.join("videos/image/chunk-000/file-000.mp4"));
    check_cut(
        d.path(),
        "open50-0.mp4",
        got[0].3.as_ref().unwrap(),
        &source,
        0,
        427,
        30.0,
    );

    // v3.0 without its videos: the rows are there with empty videos, and the report names the missing files.
    let store = d.path().join("so101");
    let out = episodes(&store, &f.join("lerobot-v30/so101_record_test_no_videos"));
    assert!(out.contains("episodes: 4 rows"), "{out}");
    for cam in ["front", "top"] {
        let line = out
            .lines()
            .find(|l| l.contains(&format!("observation.images.{cam}/chunk-000/file-000.mp4")))
            .unwrap_or_else(|| panic!("{cam} is reported: {out}"));
        assert!(line.contains("not on disk"), "{line}");
    }
    let got = rows(&store, "front_video");
    assert_eq!(
        got.iter()
            .map(|r| (r.0, r.2, r.3.is_none()))
            .collect::<Vec<_>>(),
        [
            (0, 373, true),
            (1, 374, true),
            (2, 372, true),
            (3, 373, true)
        ]
    );
    assert_eq!(got[0].1, "Pick the orange cube and place it in the box");
}

/// Episode lengths of the generated dataset: four episodes packed in one data file and one video per camera.
const LENGTHS: [usize; 4] = [37, 50, 23, 45];
const FPS: f64 = 30.0;

/// Writes a v3.0 dataset: `front` is H.264 with B-frames and a keyframe every 16 frames, `wrist` AV1 (as LeRobot
/// writes) with one every 13; neither aligns with the episode starts (0, 37, 87, 110).
fn generate_v3(root: &Path) -> PathBuf {
    let ds = root.join("gen_v3");
    let total: usize = LENGTHS.iter().sum();
    for (cam, codec) in [
        ("front", vec!["-c:v", "libx264", "-g", "16", "-bf", "2"]),
        (
            "wrist",
            vec!["-c:v", "libsvtav1", "-preset", "12", "-g", "13"],
        ),
    ] {
        let dir = ds.join(format!("videos/observation.images.{cam}/chunk-000"));
        std::fs::create_dir_all(&dir).unwrap();
        run(Command::new("ffmpeg")
            .args([
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "testsrc2=size=160x120:rate=30",
            ])
            .args(["-frames:v", &total.to_string(), "-pix_fmt", "yuv420p"])
            .args(codec)
            .arg(dir.join("file-000.mp4")));
    }
    let script = format!(
        r#"
import json, os, pyarrow as pa, pyarrow.parquet as pq
root, lengths, fps = {root:?}, {lengths:?}, {FPS}
for d in ["meta/episodes/chunk-000", "data/chunk-000"]:
    os.makedirs(os.path.join(root, d), exist_ok=True)
cams = ["observation.images.front", "observation.images.wrist"]
info = {{"codebase_version": "v3.0", "fps": fps, "chunks_size": 1000, "total_episodes": len(lengths),
    "data_path": "data/chunk-{{chunk_index:03d}}/file-{{file_index:03d}}.parquet",
    "video_path": "videos/{{video_key}}/chunk-{{chunk_index:03d}}/file-{{file_index:03d}}.mp4",
    "features": {{"observation.state": {{"dtype": "float32", "shape": [2], "names": ["a", "b"]}},
                 **{{c: {{"dtype": "video", "shape": [120, 160, 3]}} for c in cams}}}}}}
json.dump(info, open(os.path.join(root, "meta/info.json"), "w"))
pq.write_table(pa.table({{"task_index": [0, 1], "__index_level_0__": ["pick", "place"]}}),
    os.path.join(root, "meta/tasks.parquet"))
starts = [sum(lengths[:i]) for i in range(len(lengths))]
eps = {{"episode_index": list(range(len(lengths))), "length": lengths,
    "tasks": [["pick"], ["pick", "place"], ["place"], ["pick"]],
    "data/chunk_index": [0] * len(lengths), "data/file_index": [0] * len(lengths),
    "dataset_from_index": starts, "dataset_to_index": [s + n for s, n in zip(starts, lengths)]}}
for c in cams:
    eps[f"videos/{{c}}/chunk_index"] = [0] * len(lengths)
    eps[f"videos/{{c}}/file_index"] = [0] * len(lengths)
    eps[f"videos/{{c}}/from_timestamp"] = [s / fps for s in starts]
    eps[f"videos/{{c}}/to_timestamp"] = [(s + n) / fps for s, n in zip(starts, lengths)]
pq.write_table(pa.table(eps), os.path.join(root, "meta/episodes/chunk-000/file-000.parquet"))
ep = [e for e, n in enumerate(lengths) for _ in range(n)]
fr = [f for n in lengths for f in range(n)]
state = pa.FixedSizeListArray.from_arrays(pa.array([float(i) for i in range(2 * len(ep))], pa.float32()), 2)
pq.write_table(pa.table({{"observation.state": state, "timestamp": pa.array([f / fps for f in fr], pa.float32()),
    "frame_index": fr, "episode_index": ep, "index": list(range(len(ep))), "task_index": [0] * len(ep)}}),
    os.path.join(root, "data/chunk-000/file-000.parquet"))
"#,
        root = ds.display().to_string(),
        lengths = LENGTHS.to_vec(),
    );
    run(Command::new(crate::common::python()).args(["-c", &script]));
    ds
}

#[test]
fn a_generated_v3_dataset_cuts_exact_episodes_at_unaligned_keyframes() {
    let d = tmp();
    let ds = generate_v3(d.path());
    let store = d.path().join("s");
    let out = episodes(&store, &ds);
    assert!(out.contains("episodes: 4 rows"), "{out}");
    assert!(!out.contains("warning"), "no frame count disagrees: {out}");
    for cam in ["front", "wrist"] {
        let source = shown(&ds.join(format!(
            "videos/observation.images.{cam}/chunk-000/file-000.mp4"
        )));
        let got = rows(&store, &format!("{cam}_video"));
        assert_eq!(got.len(), LENGTHS.len());
        let mut start = 0;
        for ((ep, _, length, video), want) in got.iter().zip(LENGTHS) {
            assert_eq!(*length as usize, want);
            let name = format!("{cam}-{ep}.mp4");
            check_cut(
                d.path(),
                &name,
                video.as_ref().unwrap(),
                &source,
                start,
                want,
                FPS,
            );
            start += want;
        }
    }
    let tasks: Vec<String> = rows(&store, "front_video")
        .into_iter()
        .map(|r| r.1)
        .collect();
    assert_eq!(tasks, ["pick", "pick; place", "place", "pick"]);

    // Frames: one data file, exact per-episode counts.
    let json = ok(lakefeed(
        &store,
        &[
            "ingest",
            "frames",
            "--format",
            "lerobot-frames",
            "--opt",
            &format!("dataset_dir={}", ds.display()),
        ],
    ));
    assert!(json.contains("frames: 155 rows"), "{json}");

    // The same conversion again leaves the same rows.
    let again = episodes(&store, &ds);
    assert!(again.contains("already present: 4 inputs"), "{again}");
    assert_eq!(rows(&store, "front_video").len(), 4);

    // A camera whose file is still a Git LFS pointer: its videos are empty and the report says why.
    let wrist = ds.join("videos/observation.images.wrist/chunk-000/file-000.mp4");
    std::fs::write(
        &wrist,
        "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 123456\n",
    )
    .unwrap();
    let store = d.path().join("lfs");
    let out = episodes(&store, &ds);
    let line = out
        .lines()
        .find(|l| l.contains("file-000.mp4") && l.contains("wrist"));
    assert!(line.is_some_and(|l| l.contains("Git LFS pointer")), "{out}");
    let got = rows(&store, "wrist_video");
    assert!(
        got.iter().all(|r| r.3.is_none()),
        "no pointer stored as video"
    );
    assert!(rows(&store, "front_video").iter().all(|r| r.3.is_some()));
}
