//! Manifests: a run builds every table; mistakes are reported with file:line and a suggestion; the JSON Schema
//! in schemas/ is the one the code generates.

use crate::common::{fails, lakefeed, ok, repo, tmp, write};

#[test]
fn demo_manifest_runs_and_reruns() {
    let d = tmp();
    let store = d.path().join("s");
    let m = repo().join("examples/demo.yaml");
    let out = ok(lakefeed(&store, &["run", m.to_str().unwrap()]));
    assert!(out.contains("docs: 12 rows"), "{out}");
    assert!(out.contains("media: "), "{out}");
    let first = crate::common::count(&store, "media");
    // The demo overwrites: a second run gives the same tables, not twice the rows.
    ok(lakefeed(&store, &["run", m.to_str().unwrap()]));
    assert_eq!(crate::common::count(&store, "media"), first);
    assert_eq!(crate::common::count(&store, "docs"), 12);
    let thumbs = crate::common::count(&store, "thumbnails");
    assert!(thumbs > 0 && thumbs % 4 == 0, "{thumbs}");
    ok(lakefeed(&store, &["validate", m.to_str().unwrap()]));
}

#[test]
fn mistakes_name_the_line_and_suggest() {
    let d = tmp();
    let store = d.path().join("s");
    let m = write(
        d.path(),
        "m.yaml",
        "version: 1\ntables:\n  - name: t\n    format: rows\n    optoins: {path: x.jsonl}\n",
    );
    let err = fails(lakefeed(&store, &["validate", m.to_str().unwrap()]));
    assert!(
        err.contains("m.yaml:5")
            && err.contains("optoins")
            && err.contains("did you mean 'options'"),
        "{err}"
    );
    let m = write(
        d.path(),
        "m2.yaml",
        "version: 1\ntables:\n  - name: t\n    format: cocoo\n    options: {}\n",
    );
    let err = fails(lakefeed(&store, &["run", m.to_str().unwrap()]));
    assert!(
        err.contains("m2.yaml:4")
            && err.contains("unknown format 'cocoo'")
            && err.contains("did you mean 'coco'"),
        "{err}"
    );
    let m = write(
        d.path(),
        "m3.yaml",
        "version: 1\ntables:\n  - name: t\n    format: rows\n    options: {path: ${LAKEFEED_NO_SUCH_VAR}}\n",
    );
    let err = fails(lakefeed(&store, &["run", m.to_str().unwrap()]));
    assert!(
        err.contains("line 5") && err.contains("LAKEFEED_NO_SUCH_VAR"),
        "{err}"
    );
    let m = write(
        d.path(),
        "m4.yaml",
        "version: 1\ntables:\n  - name: t\n    format: rows\n    options: {path: missing.jsonl}\n",
    );
    let err = fails(lakefeed(&store, &["validate", m.to_str().unwrap()]));
    assert!(
        err.contains("table 't'")
            && err.contains("File not found")
            && err.contains("missing.jsonl"),
        "{err}"
    );
    assert_eq!(ok(lakefeed(&store, &["tables"])), "");
}

#[test]
fn env_interpolation_and_relative_paths() {
    let d = tmp();
    let store = d.path().join("s");
    write(d.path(), "rows.jsonl", "{\"a\": 1}\n{\"a\": 2}\n");
    let m = write(
        d.path(),
        "m.yaml",
        "version: 1\ntables:\n  - name: ${LF_TABLE}\n    format: rows\n    options: {path: rows.jsonl}\n",
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lakefeed"))
        .args([
            "--store",
            store.to_str().unwrap(),
            "run",
            m.to_str().unwrap(),
        ])
        .env("LF_TABLE", "from_env")
        .current_dir("/")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(crate::common::count(&store, "from_env"), 2);
}

#[test]
fn manifest_schema_file_is_generated_from_the_code() {
    // What the product binary generates: its registry (built-in formats, no example plugins) decides `format`.
    let generated = ok(lakefeed(&tmp().path().join("s"), &["manifest-schema"]));
    let path = repo().join("schemas/manifest.schema.json");
    if std::env::var_os("LAKEFEED_UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "schemas/manifest.schema.json is stale: run `LAKEFEED_UPDATE_SCHEMAS=1 cargo test manifest_schema`"
    );
    let v: serde_json::Value = serde_json::from_str(&on_disk).unwrap();
    assert!(v["properties"]["tables"].is_object());
}

/// A manifest in `dir` named `name` with `tables` (YAML lines under `tables:`).
fn manifest(dir: &std::path::Path, name: &str, tables: &str) -> std::path::PathBuf {
    write(dir, name, &format!("version: 1\ntables:\n{tables}"))
}

/// The manifest as JSON, for the schema validator.
fn as_json(path: &std::path::Path) -> serde_json::Value {
    serde_saphyr::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn format_options_are_checked_with_line_and_column_and_by_the_schema() {
    let d = tmp();
    let store = d.path().join("s");
    // (tables, what lakefeed says, whether the JSON Schema flags it too)
    let cases = [
        (
            "  - name: t\n    format: coco\n    options:\n      imags_dir: x\n",
            vec![
                "m0.yaml:6:18",
                "has no option 'imags_dir'",
                "did you mean 'images_dir'",
            ],
            true,
        ),
        (
            "  - name: t\n    format: coco\n    options:\n      images_dir: x\n      max_images: two\n",
            vec![
                "m1.yaml:7:19",
                "option 'max_images' of format 'coco' must be integer or null, not string",
            ],
            true,
        ),
        (
            "  - name: t\n    format: coco\n    options:\n      max_images: 2\n",
            vec!["m2.yaml:4:13", "needs the option 'images_dir'"],
            true,
        ),
        (
            "  - name: t\n    format: lerobot-frame\n    options: {dataset_dir: x}\n",
            vec![
                "m3.yaml:4:13",
                "unknown format 'lerobot-frame'",
                "did you mean 'lerobot-frames'",
            ],
            true,
        ),
        (
            "  - name: t\n    format: rows\n    option: {path: x}\n",
            vec!["m4.yaml:5:5", "did you mean 'options'"],
            true,
        ),
        (
            "  - name: t\n    format: rows\n    options: {path: ${LAKEFEED_UNSET_VAR}}\n",
            vec!["m5.yaml:5:21", "LAKEFEED_UNSET_VAR is not set"],
            false,
        ),
        (
            "  - name: t\n    format: rows\n    options: {path: [x}\n",
            vec!["m6.yaml:5:"],
            false,
        ),
    ];
    let mut flagged = Vec::new();
    for (i, (tables, wants, schema_flags)) in cases.iter().enumerate() {
        let m = manifest(d.path(), &format!("m{i}.yaml"), tables);
        let err = fails(lakefeed(&store, &["validate", m.to_str().unwrap()]));
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        for w in wants {
            assert!(err.contains(w), "case {i}: '{w}' missing from: {err}");
        }
        if *schema_flags {
            flagged.push(m);
        }
    }
    for (m, errors) in flagged.iter().zip(schema_errors(&flagged)) {
        assert!(
            !errors.is_empty(),
            "{}: the schema flags it too",
            m.display()
        );
    }
    // Every example validates, with lakefeed and with the schema.
    let examples: Vec<_> = std::fs::read_dir(repo().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    for (path, errors) in examples.iter().zip(schema_errors(&examples)) {
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    }
}

/// Each manifest's errors against schemas/manifest.schema.json, by Python's `jsonschema` (an independent
/// validator; the Rust one would change the feature set of the engine's dependencies in test builds).
fn schema_errors(manifests: &[std::path::PathBuf]) -> Vec<Vec<String>> {
    const VALIDATE: &str = r#"
import json, sys
from jsonschema import Draft202012Validator
schema = json.load(open(sys.argv[1]))
v = Draft202012Validator(schema)
docs = json.load(sys.stdin)
print(json.dumps([[e.message for e in v.iter_errors(d)] for d in docs]))
"#;
    let docs: Vec<serde_json::Value> = manifests.iter().map(|m| as_json(m)).collect();
    let mut child = std::process::Command::new(crate::common::python())
        .arg("-c")
        .arg(VALIDATE)
        .arg(repo().join("schemas/manifest.schema.json"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python (run scripts/setup.sh)");
    serde_json::to_writer(child.stdin.take().unwrap(), &docs).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "jsonschema failed");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_failing_table_does_not_stop_the_others_unless_fail_fast() {
    let d = tmp();
    write(d.path(), "rows.jsonl", "{\"a\": 1}\n{\"a\": 2}\n");
    let m = manifest(
        d.path(),
        "m.yaml",
        "  - name: broken\n    format: rows\n    options: {path: missing.jsonl}\n  - name: good\n    format: rows\n    options: {path: rows.jsonl}\n",
    );
    let m = m.to_str().unwrap();
    let store = d.path().join("s");
    let out = lakefeed(&store, &["run", m]);
    let err = fails(out);
    assert!(
        err.contains("table 'broken'")
            && err.contains("missing.jsonl")
            && err.contains("1 table(s) failed: broken"),
        "{err}"
    );
    assert_eq!(crate::common::count(&store, "good"), 2);
    // --fail-fast checks every table first: nothing is written.
    let store = d.path().join("s2");
    fails(lakefeed(&store, &["run", m, "--fail-fast"]));
    assert_eq!(ok(lakefeed(&store, &["tables"])), "");
    // --only runs the named tables; an unknown one is named.
    let out = ok(lakefeed(&store, &["run", m, "--only", "good"]));
    assert!(
        out.contains("good: 2 rows") && !out.contains("broken"),
        "{out}"
    );
    let err = fails(lakefeed(&store, &["run", m, "--only", "god"]));
    assert!(err.contains("did you mean 'good'"), "{err}");
}

#[test]
fn the_mixed_example_ingests_four_kinds_in_one_run() {
    let d = tmp();
    let store = d.path().join("s");
    let m = repo().join("examples/mixed.yaml");
    let out = ok(lakefeed(&store, &["run", m.to_str().unwrap()]));
    for want in [
        "coco: 5 rows",
        "so101_frames: 1492 rows",
        "coco_captions: 6 rows",
        "images: ",
    ] {
        assert!(out.contains(want), "{want}: {out}");
    }
}
