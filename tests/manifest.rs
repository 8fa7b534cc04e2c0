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
    let generated =
        serde_json::to_string_pretty(&lakefeed::manifest::json_schema()).unwrap() + "\n";
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
