//! LeRobot datasets (§5.5): every layout of the shared fixtures reads, and bad datasets say why.

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
