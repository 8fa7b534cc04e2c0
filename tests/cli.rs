//! The command line: ingest --rows, query with parameters and outputs, tables, drop, formats, exit codes.

use crate::common::*;

fn jsonl(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "{{\"id\": {i}, \"name\": \"row {i}\", \"score\": {}.5}}\n",
                i % 7
            )
        })
        .collect()
}

#[test]
fn ingest_rows_then_count_matches_lines() {
    let d = tmp();
    let store = d.path().join("s");
    let text = jsonl(2345);
    let lines = text.lines().count() as i64;
    let f = write(d.path(), "rows.jsonl", &text);
    let report = ok(lakefeed(
        &store,
        &["ingest", "t", "--rows", f.to_str().unwrap()],
    ));
    assert!(report.contains(&format!("t: {lines} rows")), "{report}");
    let out = ok(lakefeed(&store, &["query", "SELECT count(*) AS n FROM t"]));
    assert!(out.lines().any(|l| l.trim() == lines.to_string()), "{out}");
    assert_eq!(count(&store, "t"), lines);
}

#[test]
fn query_outputs_json_csv_and_binds_params() {
    let d = tmp();
    let store = d.path().join("s");
    let f = write(d.path(), "rows.jsonl", &jsonl(20));
    ok(lakefeed(
        &store,
        &["ingest", "t", "--rows", f.to_str().unwrap()],
    ));
    let out = ok(lakefeed(
        &store,
        &[
            "query",
            "SELECT id, name FROM t WHERE id >= $1 AND name <> $2 ORDER BY id LIMIT 3 OFFSET 1",
            "--param",
            "10",
            "--param",
            "row 12",
            "--output",
            "json",
        ],
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v,
        serde_json::json!([{"id": 11, "name": "row 11"}, {"id": 13, "name": "row 13"}, {"id": 14, "name": "row 14"}])
    );
    let csv = ok(lakefeed(
        &store,
        &[
            "query",
            "SELECT id, score FROM t WHERE id < 2 ORDER BY id",
            "--output",
            "csv",
        ],
    ));
    assert_eq!(csv, "id,score\n0,0.5\n1,1.5\n");
    // A parameter that looks like SQL is a value, never text spliced into the query.
    let out = ok(lakefeed(
        &store,
        &[
            "query",
            "SELECT count(*) AS n FROM t WHERE name = $1",
            "--param",
            "x' OR '1'='1",
            "--output",
            "json",
        ],
    ));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).unwrap()[0]["n"],
        0
    );
}

#[test]
fn appends_and_rejects_clashing_types() {
    let d = tmp();
    let store = d.path().join("s");
    let f = write(d.path(), "a.jsonl", &jsonl(10));
    ok(lakefeed(
        &store,
        &["ingest", "t", "--rows", f.to_str().unwrap()],
    ));
    ok(lakefeed(
        &store,
        &["ingest", "t", "--rows", f.to_str().unwrap()],
    ));
    assert_eq!(count(&store, "t"), 20);
    let clash = write(
        d.path(),
        "b.jsonl",
        "{\"id\": \"seven\", \"name\": \"x\"}\n",
    );
    let err = fails(lakefeed(
        &store,
        &["ingest", "t", "--rows", clash.to_str().unwrap()],
    ));
    assert!(
        err.contains("TableError") && err.contains("column 'id'"),
        "{err}"
    );
    assert_eq!(count(&store, "t"), 20);
    let overwrite = ok(lakefeed(
        &store,
        &[
            "ingest",
            "t",
            "--rows",
            clash.to_str().unwrap(),
            "--mode",
            "overwrite",
        ],
    ));
    assert!(overwrite.contains("t: 1 rows"), "{overwrite}");
}

#[test]
fn malformed_line_is_an_error_naming_the_line_and_writes_nothing() {
    let d = tmp();
    let store = d.path().join("s");
    let f = write(
        d.path(),
        "bad.jsonl",
        "{\"a\": 1}\n{\"a\": 2}\n{\"a\": 3,,}\n",
    );
    let err = fails(lakefeed(
        &store,
        &["ingest", "t", "--rows", f.to_str().unwrap()],
    ));
    assert!(
        err.contains("IngestError") && err.contains("bad.jsonl") && err.contains("line 3"),
        "{err}"
    );
    assert_eq!(ok(lakefeed(&store, &["tables"])), "");
}

#[test]
fn missing_file_unknown_table_bad_sql_and_param_count_fail_cleanly() {
    let d = tmp();
    let store = d.path().join("s");
    let err = fails(lakefeed(
        &store,
        &["ingest", "t", "--rows", "/no/such/file.jsonl"],
    ));
    assert!(err.contains("File not found: /no/such/file.jsonl"), "{err}");
    let err = fails(lakefeed(&store, &["query", "SELECT * FROM nope"]));
    assert!(err.contains("TableError") && err.contains("nope"), "{err}");
    let f = write(d.path(), "a.jsonl", &jsonl(3));
    ok(lakefeed(
        &store,
        &["ingest", "t", "--rows", f.to_str().unwrap()],
    ));
    let err = fails(lakefeed(&store, &["query", "SELEC id FROM t"]));
    assert!(err.contains("cannot parse SQL"), "{err}");
    let err = fails(lakefeed(
        &store,
        &[
            "query",
            "SELECT id FROM t WHERE id = $1 AND name = $2",
            "--param",
            "1",
        ],
    ));
    assert!(
        err.contains("2 parameters") && err.contains("1 was given"),
        "{err}"
    );
    let err = fails(lakefeed(
        &store,
        &["query", "SELECT id FROM t", "--param", "1"],
    ));
    assert!(err.contains("0 parameters"), "{err}");
    let err = fails(lakefeed(&store, &["query", "UPDATE t SET id = 'x'"]));
    assert!(err.contains("not supported"), "{err}");
    let err = fails(lakefeed(&store, &["query", "DROP TABLE t"]));
    assert!(err.contains("not supported"), "{err}");
    assert_eq!(count(&store, "t"), 3);
}

#[test]
fn usage_errors_exit_2() {
    let d = tmp();
    let o = lakefeed(d.path(), &["query"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = lakefeed(d.path(), &["frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn tables_drop_and_formats() {
    let d = tmp();
    let store = d.path().join("s");
    let f = write(d.path(), "a.jsonl", &jsonl(3));
    ok(lakefeed(
        &store,
        &["ingest", "b", "--rows", f.to_str().unwrap()],
    ));
    ok(lakefeed(
        &store,
        &["ingest", "a", "--rows", f.to_str().unwrap()],
    ));
    assert_eq!(ok(lakefeed(&store, &["tables"])), "a\nb\n");
    ok(lakefeed(&store, &["drop", "a"]));
    assert_eq!(ok(lakefeed(&store, &["tables"])), "b\n");
    let err = fails(lakefeed(&store, &["drop", "a"]));
    assert!(err.contains("TableError"), "{err}");
    ok(lakefeed(&store, &["drop", "a", "--if-exists"]));

    let list = ok(lakefeed(&store, &["formats"]));
    assert!(list.lines().any(|l| l.starts_with("rows ")), "{list}");
    assert!(
        !list.lines().any(|l| l.starts_with("ndjson-stats ")),
        "the product binary links no example plugin: {list}"
    );
    let one = ok(lakefeed(&store, &["formats", "rows"]));
    assert!(one.contains("\"path\""), "{one}");
    let err = fails(lakefeed(&store, &["formats", "row"]));
    assert!(err.contains("did you mean 'rows'"), "{err}");
}

#[test]
/// A plugin format, through a binary that links it (the `lakefeed_plus` example).
fn any_registered_format_via_format_and_opt() {
    let d = tmp();
    let store = d.path().join("s");
    let logs = repo().join("examples/logs");
    let out = ok(lakefeed_plus(
        &store,
        &[
            "ingest",
            "logs",
            "--format",
            "ndjson-stats",
            "--opt",
            &format!("dir={}", logs.display()),
        ],
    ));
    assert!(out.contains("logs: 2 rows"), "{out}");
    let rows = ok(lakefeed(
        &store,
        &[
            "query",
            "SELECT lines, bad_lines FROM logs ORDER BY path",
            "--output",
            "json",
        ],
    ));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&rows).unwrap(),
        serde_json::json!([{"lines": 3, "bad_lines": 1}, {"lines": 2, "bad_lines": 0}])
    );
    let err = fails(lakefeed_plus(
        &store,
        &[
            "ingest",
            "x",
            "--format",
            "ndjson-stats",
            "--opt",
            "dri=foo",
        ],
    ));
    assert!(err.contains("unknown field `dri`"), "{err}");
}

#[test]
fn schema_hints_and_csv_and_vectors() {
    let d = tmp();
    let store = d.path().join("s");
    let f = write(d.path(), "a.csv", "k,v,flag\n1,2.5,true\n2,,false\n3,4,\n");
    ok(lakefeed(
        &store,
        &[
            "ingest",
            "c",
            "--rows",
            f.to_str().unwrap(),
            "--schema",
            "k=INT32",
        ],
    ));
    let out = ok(lakefeed(
        &store,
        &[
            "query",
            "SELECT arrow_typeof(k) AS tk, arrow_typeof(v) AS tv, arrow_typeof(flag) AS tf FROM c LIMIT 1",
            "--output",
            "json",
        ],
    ));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).unwrap(),
        serde_json::json!([{"tk": "Int32", "tv": "Float64", "tf": "Boolean"}])
    );
    let v = write(d.path(), "v.jsonl", "{\"e\": null}\n{\"e\": [1, 2, 3]}\n");
    ok(lakefeed(
        &store,
        &["ingest", "v", "--rows", v.to_str().unwrap()],
    ));
    let out = ok(lakefeed(
        &store,
        &[
            "query",
            "SELECT e FROM v WHERE e IS NOT NULL",
            "--output",
            "json",
        ],
    ));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).unwrap(),
        serde_json::json!([{"e": [1.0, 2.0, 3.0]}])
    );
    let ragged = write(d.path(), "r.jsonl", "{\"e\": [1, 2]}\n{\"e\": [1, 2, 3]}\n");
    let err = fails(lakefeed(
        &store,
        &["ingest", "r", "--rows", ragged.to_str().unwrap()],
    ));
    assert!(
        err.contains("column 'e', row 1") && err.contains("ragged"),
        "{err}"
    );
}
