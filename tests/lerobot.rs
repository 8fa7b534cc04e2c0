//! LeRobot datasets: every layout of the shared fixtures reads, and bad datasets say why.

use crate::common::{fails, fixtures, lakefeed, ok, tmp, write};

fn tasks_of(dir: &std::path::Path) -> Vec<(i64, String)> {
    let d = tmp();
    let store = d.path().join("s");
    let out = ok(lakefeed(
        &store,
        &[
            "ingest",
            "tasks",
            "--format",
            "lerobot-tasks",
            "--opt",
            &format!("dataset_dir={}", dir.display()),
        ],
    ));
    assert!(out.contains("tasks: "), "{out}");
    let json = ok(lakefeed(
        &store,
        &[
            "query",
            "SELECT task_index, task FROM tasks ORDER BY task_index",
            "--output",
            "json",
        ],
    ));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    rows.iter()
        .map(|r| {
            (
                r["task_index"].as_i64().unwrap(),
                r["task"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn tasks_read_from_every_layout() {
    let f = fixtures();
    let cases = [
        (
            "lerobot-v21/g1_pick_bottle_partial",
            "Pick up the yellow bottle on the table.",
        ),
        (
            "lerobot-v30/open50_episode0_partial",
            "lingzu teleoperation",
        ),
        (
            "lerobot-v30/so101_record_test_no_videos",
            "Pick the orange cube and place it in the box",
        ),
    ];
    for (dir, task) in cases {
        assert_eq!(tasks_of(&f.join(dir)), vec![(0, task.to_string())], "{dir}");
    }
}

#[test]
fn unsupported_layouts_and_missing_datasets_say_why() {
    let d = tmp();
    let store = d.path().join("s");
    std::fs::create_dir_all(d.path().join("old/meta")).unwrap();
    write(
        &d.path().join("old/meta"),
        "info.json",
        r#"{"codebase_version": "v1.6"}"#,
    );
    let ingest = |dir: &std::path::Path| {
        lakefeed(
            &store,
            &[
                "ingest",
                "t",
                "--format",
                "lerobot-tasks",
                "--opt",
                &format!("dataset_dir={}", dir.display()),
            ],
        )
    };
    let err = fails(ingest(&d.path().join("old")));
    assert!(
        err.contains("info.json")
            && err.contains("'v1.6' is not supported")
            && err.contains("v3.0"),
        "{err}"
    );
    let err = fails(ingest(&d.path().join("missing")));
    assert!(
        err.contains("missing") && err.contains("not found"),
        "{err}"
    );
}

/// Ingests `lerobot-frames` of `dir` with extra `--opt`s; returns the CLI output.
fn frames(store: &std::path::Path, dir: &std::path::Path, opts: &[&str]) -> String {
    let mut args = vec![
        "ingest".to_string(),
        "frames".into(),
        "--format".into(),
        "lerobot-frames".into(),
        "--opt".into(),
        format!("dataset_dir={}", dir.display()),
    ];
    for o in opts {
        args.push("--opt".into());
        args.push((*o).to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(lakefeed(store, &args))
}

fn per_episode(store: &std::path::Path) -> Vec<(i64, i64)> {
    let json = ok(lakefeed(
        store,
        &[
            "query",
            "SELECT episode_index AS e, count(*) AS n, count(DISTINCT id) AS ids FROM frames GROUP BY episode_index ORDER BY e",
            "--output",
            "json",
        ],
    ));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    for r in &rows {
        assert_eq!(r["n"], r["ids"], "ids are unique per frame: {r}");
    }
    rows.iter()
        .map(|r| (r["e"].as_i64().unwrap(), r["n"].as_i64().unwrap()))
        .collect()
}

#[test]
fn frames_of_every_layout_match_the_episode_lengths() {
    let f = fixtures();
    // v2.1, a partial download: episodes 29 and 30 are on disk; the other 98 are reported, not fatal.
    let d = tmp();
    let store = d.path().join("s");
    let dir = f.join("lerobot-v21/g1_pick_bottle_partial");
    let out = frames(&store, &dir, &["chunk_start=0", "chunk_end=0"]);
    assert!(out.contains("frames: 498 rows"), "{out}");
    assert_eq!(out.matches("not on disk").count(), 98, "{out}");
    assert_eq!(per_episode(&store), [(29, 221), (30, 277)]);
    let cols = ok(lakefeed(
        &store,
        &["query", "SELECT * FROM frames LIMIT 1", "--output", "json"],
    ));
    let row: Vec<serde_json::Map<String, serde_json::Value>> = serde_json::from_str(&cols).unwrap();
    let state = row[0].keys().filter(|k| k.starts_with("state_")).count();
    assert_eq!(
        state,
        26,
        "26 state names from the nested list: {:?}",
        row[0].keys()
    );
    // Running it again writes nothing new.
    let again = frames(&store, &dir, &["chunk_start=0", "chunk_end=0"]);
    assert!(again.contains("already present: 2 inputs"), "{again}");
    assert_eq!(per_episode(&store), [(29, 221), (30, 277)]);

    // v3.0: four episodes packed in one data file; names with dots become SQL-friendly columns.
    let d = tmp();
    let store = d.path().join("s");
    frames(
        &store,
        &f.join("lerobot-v30/so101_record_test_no_videos"),
        &[],
    );
    assert_eq!(
        per_episode(&store),
        [(0, 373), (1, 374), (2, 372), (3, 373)]
    );
    let out = ok(lakefeed(
        &store,
        &[
            "query",
            "SELECT count(action_shoulder_pan_pos) AS n FROM frames",
            "--output",
            "csv",
        ],
    ));
    assert!(out.contains("1492"), "{out}");
    // One episode picked.
    let d = tmp();
    let store = d.path().join("s");
    frames(
        &store,
        &f.join("lerobot-v30/so101_record_test_no_videos"),
        &["episodes=[2]"],
    );
    assert_eq!(per_episode(&store), [(2, 372)]);
    // Vectors kept whole: one EMBEDDING column per feature, named without dots.
    let d = tmp();
    let store = d.path().join("s");
    frames(
        &store,
        &f.join("lerobot-v30/so101_record_test_no_videos"),
        &["keep_vectors=true"],
    );
    let out = ok(lakefeed(
        &store,
        &[
            "query",
            "SELECT observation_state, action FROM frames WHERE episode_index = 1 AND frame_index = 0",
            "--output",
            "json",
        ],
    ));
    let row: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(
        row[0]["observation_state"].as_array().map(Vec::len),
        Some(6),
        "{out}"
    );
    assert_eq!(row[0]["action"].as_array().map(Vec::len), Some(6), "{out}");

    // v3.0 with variable-length lists: the shape in info.json gives the element count.
    let d = tmp();
    let store = d.path().join("s");
    frames(&store, &f.join("lerobot-v30/open50_episode0_partial"), &[]);
    assert_eq!(per_episode(&store), [(0, 427)]);
    let out = ok(lakefeed(
        &store,
        &[
            "query",
            "SELECT count(actions_right_hand_joint_10_pos) AS n FROM frames",
            "--output",
            "csv",
        ],
    ));
    assert!(out.contains("427"), "{out}");
}

#[test]
fn droid_feature_names_give_the_seeds_columns() {
    let d = tmp();
    let ds = d.path().join("droid");
    std::fs::create_dir_all(ds.join("meta")).unwrap();
    std::fs::create_dir_all(ds.join("data/chunk-000")).unwrap();
    let state = ["x", "y", "z", "roll", "pitch", "yaw", "pad", "gripper"];
    let action = ["x", "y", "z", "roll", "pitch", "yaw", "gripper"];
    let info = serde_json::json!({
        "codebase_version": "v2.1", "fps": 15, "chunks_size": 1000,
        "data_path": "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet",
        "features": {
            "observation.state": {"dtype": "float32", "shape": [8], "names": state},
            "action": {"dtype": "float32", "shape": [7], "names": {"motors": action}},
        }
    });
    write(&ds.join("meta"), "info.json", &info.to_string());
    write(
        &ds.join("meta"),
        "episodes.jsonl",
        "{\"episode_index\": 0, \"tasks\": [\"t\"], \"length\": 5}\n",
    );
    let script = format!(
        r#"
import pyarrow as pa, pyarrow.parquet as pq
n = 5
state = pa.FixedSizeListArray.from_arrays(pa.array([float(i) for i in range(8 * n)], pa.float32()), 8)
action = pa.FixedSizeListArray.from_arrays(pa.array([float(i) for i in range(7 * n)], pa.float32()), 7)
t = pa.table({{"observation.state": state, "action": action,
    "timestamp": pa.array([i / 15 for i in range(n)], pa.float32()),
    "frame_index": list(range(n)), "episode_index": [0] * n, "index": list(range(n)), "task_index": [0] * n}})
pq.write_table(t, "{}")
"#,
        ds.join("data/chunk-000/episode_000000.parquet").display()
    );
    let out = std::process::Command::new(crate::common::python())
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let store = d.path().join("s");
    frames(&store, &ds, &[]);
    let json = ok(lakefeed(
        &store,
        &[
            "query",
            "SELECT * FROM frames ORDER BY frame_index",
            "--output",
            "json",
        ],
    ));
    let rows: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_str(&json).unwrap();
    assert_eq!(rows.len(), 5);
    let cols: Vec<&String> = rows[0].keys().collect();
    let want: Vec<String> = state
        .iter()
        .map(|n| format!("state_{n}"))
        .chain(action.iter().map(|n| format!("action_{n}")))
        .collect();
    for w in &want {
        assert!(cols.contains(&w), "{w} missing from {cols:?}");
    }
    // Values land in the right columns: row 1's state is 8..16, its action 7..14.
    assert_eq!(rows[1]["state_x"], serde_json::json!(8.0));
    assert_eq!(rows[1]["state_gripper"], serde_json::json!(15.0));
    assert_eq!(rows[1]["action_gripper"], serde_json::json!(13.0));
}

#[test]
fn one_command_and_one_manifest_convert_a_whole_dataset() {
    let f = fixtures();
    let d = tmp();
    let store = d.path().join("s");
    let dir = f.join("lerobot-v30/so101_record_test_no_videos");
    let dir = dir.to_str().unwrap();
    let out = ok(lakefeed(
        &store,
        &["ingest", "--format", "lerobot", dir, "--prefix", "droid"],
    ));
    for want in [
        "droid_tasks: 1 rows",
        "droid_frames: 1492 rows",
        "droid_episodes: 4 rows",
    ] {
        assert!(out.contains(want), "{want}: {out}");
    }
    // Options go to the members that take them; one none takes is named.
    let d2 = tmp();
    let store2 = d2.path().join("s");
    let out = ok(lakefeed(
        &store2,
        &[
            "ingest",
            "--format",
            "lerobot",
            dir,
            "--prefix",
            "one",
            "--opt",
            "episodes=[1]",
        ],
    ));
    assert!(
        out.contains("one_frames: 374 rows") && out.contains("one_episodes: 1 rows"),
        "{out}"
    );
    let err = fails(lakefeed(
        &store2,
        &[
            "ingest",
            "--format",
            "lerobot",
            dir,
            "--prefix",
            "x",
            "--opt",
            "chunk_strat=0",
        ],
    ));
    assert!(err.contains("did you mean 'chunk_start'"), "{err}");
    let err = fails(lakefeed(
        &store2,
        &["ingest", "--format", "lerobot-frames", dir, "--prefix", "x"],
    ));
    assert!(err.contains("format group"), "{err}");

    let manifest = crate::common::repo().join("examples/lerobot.yaml");
    let out = ok(lakefeed(&store, &["run", manifest.to_str().unwrap()]));
    for want in [
        "g1_tasks: 1 rows",
        "g1_frames: 498 rows",
        "g1_episodes: 2 rows",
    ] {
        assert!(out.contains(want), "{want}: {out}");
    }
}
