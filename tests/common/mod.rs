//! Helpers shared by the integration tests.

#![allow(dead_code)]

pub mod s3;
pub mod serve;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared fixtures (read-only).
pub fn fixtures() -> PathBuf {
    repo().join("../shared/fixtures")
}

/// The bytes of a query result's BYTEA cell (`\x` then hex digits).
pub fn bytea(cell: &serde_json::Value) -> Vec<u8> {
    let hex = cell
        .as_str()
        .expect("a BYTEA cell is a string")
        .trim_start_matches("\\x");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex digits"))
        .collect()
}

/// A fresh temporary directory.
pub fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// Runs the `lakefeed` binary with `--store store` and `args`.
pub fn lakefeed(store: &Path, args: &[&str]) -> Output {
    cli(Path::new(env!("CARGO_BIN_EXE_lakefeed")), store, args)
}

/// Runs a lakefeed CLI binary with `--store store` and `args`.
fn cli(exe: &Path, store: &Path, args: &[&str]) -> Output {
    Command::new(exe)
        .arg("--store")
        .arg(store)
        .args(args)
        .env_remove("LAKEFEED_STORE")
        .env("LAKEFEED_LOG", "warn")
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", exe.display()))
}

/// The `lakefeed_plus` example: the stock CLI with the example plugins linked in (cargo builds examples before
/// running tests, next to this test binary).
pub fn lakefeed_plus(store: &Path, args: &[&str]) -> Output {
    let exe = std::env::current_exe().expect("test binary path");
    let debug = exe
        .parent()
        .and_then(Path::parent)
        .expect("target profile folder");
    cli(&debug.join("examples/lakefeed_plus"), store, args)
}

/// stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts success and returns stdout.
pub fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "lakefeed failed ({:?}):\nstdout: {}\nstderr: {}",
        o.status.code(),
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

/// Asserts exit code 1 and returns stderr.
pub fn fails(o: Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(1),
        "expected exit 1:\nstdout: {}\nstderr: {}",
        stdout(&o),
        stderr(&o)
    );
    stderr(&o)
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("writing test file");
    p
}

/// The Python interpreter with the test packages (set up by scripts/setup.sh).
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("LAKEFEED_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
        .join(".cache/lakefeed/venv/bin/python");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

/// The query listing one column's values as text, sorted (for [`sorted_values`]).
pub fn values_sql(table: &str, col: &str) -> String {
    format!("SELECT CAST({col} AS VARCHAR) AS k FROM \"{table}\" ORDER BY k")
}

/// The values a [`values_sql`] query printed with `--output json`.
pub fn sorted_values(json: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(json).expect("json");
    v.as_array()
        .expect("rows")
        .iter()
        .map(|r| r["k"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Counts rows with `SELECT count(*)` through the CLI.
pub fn count(store: &Path, table: &str) -> i64 {
    let out = ok(lakefeed(
        store,
        &[
            "query",
            &format!("SELECT count(*) AS n FROM \"{table}\""),
            "--output",
            "json",
        ],
    ));
    let v: serde_json::Value = serde_json::from_str(&out).expect("json output");
    v[0]["n"].as_i64().expect("a count")
}
