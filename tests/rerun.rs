//! Re-runs, crashes and concurrent writers: keyed tables never duplicate, committed inputs are not read
//! again, a killed run resumes to exactly the rows of an uninterrupted one, an overwrite is one commit.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use lakefeed::arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use lakefeed::arrow::datatypes::{DataType, Field, Schema};
use lakefeed::{Client, IngestData, IngestOptions, WriteMode};

use crate::common::{count, lakefeed, ok, repo, sorted_values, stderr, stdout, tmp, values_sql};

/// The sorted values of one column, read through the CLI.
fn ids(store: &Path, table: &str, col: &str) -> Vec<String> {
    let sql = values_sql(table, col);
    sorted_values(&ok(lakefeed(store, &["query", &sql, "--output", "json"])))
}

fn fixtures_manifest() -> String {
    repo()
        .join("examples/fixtures.yaml")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn fixtures_ingested_twice_give_the_same_rows_and_the_second_run_reads_nothing() {
    let d = tmp();
    let store = d.path().join("s");
    let m = fixtures_manifest();
    let first = ok(lakefeed(&store, &["run", &m]));
    let media = ids(&store, "media", "id");
    let coco = ids(&store, "coco", "coco_image_id");
    let thumbs = count(&store, "thumbnails");
    assert!(media.len() > 20 && coco.len() > 50 && thumbs > 0, "{first}");
    assert_eq!(
        media.iter().collect::<BTreeSet<_>>().len(),
        media.len(),
        "duplicate ids after one run"
    );

    let second = ok(lakefeed(&store, &["run", &m]));
    assert_eq!(ids(&store, "media", "id"), media);
    assert_eq!(ids(&store, "coco", "coco_image_id"), coco);
    assert_eq!(count(&store, "thumbnails"), thumbs);
    // Every input (25 files, one per COCO image) was recognised without being read.
    let inputs = 25 + coco.len();
    assert!(
        second.contains(&format!("already present: {inputs} inputs")),
        "{second}"
    );
    assert!(
        second.contains("media: 0 rows") && second.contains("coco: 0 rows"),
        "{second}"
    );
}

#[test]
fn a_few_kill_trials_resume_to_the_uninterrupted_ids() {
    let out = Command::new("bash")
        .arg(repo().join("scripts/crash-trials.sh"))
        .arg("4")
        .env("LAKEFEED_BIN", env!("CARGO_BIN_EXE_lakefeed"))
        .output()
        .expect("running crash-trials.sh");
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn docs(ids: &[i64], text: &str) -> IngestData {
    let schema = Arc::new(Schema::new(vec![
        Field::new("doc_id", DataType::Int64, true),
        Field::new("text", DataType::Utf8, true),
    ]));
    let cols: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(ids.to_vec())),
        Arc::new(StringArray::from(vec![text; ids.len()])),
    ];
    IngestData::Batches(vec![RecordBatch::try_new(schema, cols).unwrap()])
}

#[test]
fn a_user_key_skips_present_rows_and_upsert_replaces_them() {
    let d = tmp();
    let client = Client::local(d.path()).unwrap();
    let keyed = |mode| IngestOptions {
        key: Some(vec!["doc_id".into()]),
        mode,
        ..Default::default()
    };
    let r = client
        .ingest("d", docs(&[1, 2, 3], "old"), &keyed(WriteMode::Append))
        .unwrap();
    assert_eq!(r.row_count, 3);
    // 2 and 3 are present; 4 is new; 4 repeated within the input lands once.
    let r = client
        .ingest("d", docs(&[2, 3, 4, 4], "new"), &keyed(WriteMode::Append))
        .unwrap();
    assert_eq!((r.row_count, r.report.rows_present), (1, 3));
    let res = client
        .query("SELECT doc_id, text FROM d ORDER BY doc_id", &[])
        .unwrap();
    let rows = res.records().unwrap();
    let texts: Vec<&str> = rows.iter().map(|r| r["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["old", "old", "old", "new"]);

    let r = client
        .ingest("d", docs(&[3, 5], "up"), &keyed(WriteMode::Upsert))
        .unwrap();
    assert_eq!(r.row_count, 2);
    let rows = client
        .query("SELECT doc_id, text FROM d ORDER BY doc_id", &[])
        .unwrap()
        .records()
        .unwrap();
    let got: Vec<(i64, &str)> = rows
        .iter()
        .map(|r| (r["doc_id"].as_i64().unwrap(), r["text"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        [(1, "old"), (2, "old"), (3, "up"), (4, "new"), (5, "up")]
    );

    // Without a key, column data appends every row; upsert without one is refused.
    let r = client
        .ingest("d", docs(&[1], "again"), &IngestOptions::default())
        .unwrap();
    assert_eq!(r.row_count, 1);
    let e = client
        .ingest(
            "d",
            docs(&[1], "x"),
            &IngestOptions {
                mode: WriteMode::Upsert,
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(e.to_string().contains("needs a key"), "{e}");
}

#[test]
fn the_cli_takes_a_key_and_upsert_mode() {
    let d = tmp();
    let store = d.path().join("s");
    let f = crate::common::write(
        d.path(),
        "a.jsonl",
        "{\"k\": \"a\", \"v\": 1}\n{\"k\": \"b\", \"v\": 2}\n",
    );
    let g = crate::common::write(
        d.path(),
        "b.jsonl",
        "{\"k\": \"b\", \"v\": 20}\n{\"k\": \"c\", \"v\": 30}\n",
    );
    let (f, g) = (f.to_str().unwrap(), g.to_str().unwrap());
    ok(lakefeed(
        &store,
        &["ingest", "t", "--rows", f, "--key", "k"],
    ));
    let out = ok(lakefeed(
        &store,
        &["ingest", "t", "--rows", g, "--key", "k"],
    ));
    assert!(
        out.contains("t: 1 rows") && out.contains("already present: 1 rows"),
        "{out}"
    );
    ok(lakefeed(
        &store,
        &["ingest", "t", "--rows", g, "--key", "k", "--mode", "upsert"],
    ));
    assert_eq!(ids(&store, "t", "v"), ["1", "20", "30"]);
}

#[test]
fn overwrite_is_one_commit_under_a_reader_in_another_process() {
    let d = tmp();
    let store = d.path().join("s");
    let client = Client::local(&store).unwrap();
    let opts = IngestOptions {
        mode: WriteMode::Overwrite,
        // Many commits' worth of rows: before, readers could see the table part-written.
        rows_per_commit: 50,
        ..Default::default()
    };
    let many: Vec<i64> = (0..500).collect();
    client.ingest("t", docs(&many, "v0"), &opts).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let reader = {
        let (stop, done, store) = (stop.clone(), done.clone(), store.clone());
        std::thread::spawn(move || {
            let mut reads = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let o = lakefeed(
                    &store,
                    &["query", "SELECT count(*) AS n FROM t", "--output", "csv"],
                );
                reads.push((o.status.success(), stdout(&o), stderr(&o)));
                done.fetch_add(1, Ordering::Relaxed);
            }
            reads
        })
    };
    // Overwrite until the other process has read a dozen times meanwhile.
    let mut i = 0;
    while done.load(Ordering::Relaxed) < 12 && i < 500 {
        i += 1;
        client
            .ingest("t", docs(&many, &format!("v{i}")), &opts)
            .unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    let reads = reader.join().unwrap();
    assert!(reads.len() >= 3, "only {} reads", reads.len());
    for (ok, out, err) in &reads {
        assert!(*ok, "a read failed during an overwrite: {err}");
        assert_eq!(out.lines().nth(1), Some("500"), "a read saw {out:?}");
    }
    assert_eq!(count(&store, "t"), 500);
}

#[test]
fn two_processes_ingesting_one_directory_together_write_each_row_once() {
    let d = tmp();
    let store = d.path().join("s");
    let dirs = ["image", "text", "pdf"].map(|k| {
        crate::common::fixtures()
            .join("files")
            .join(k)
            .to_string_lossy()
            .into_owned()
    });
    let spawn = || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_lakefeed"));
        c.arg("--store")
            .arg(&store)
            .args(["ingest", "t"])
            .args(&dirs)
            .env("LAKEFEED_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c.spawn().expect("spawn")
    };
    let (a, b) = (spawn(), spawn());
    for child in [a, b] {
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let got = ids(&store, "t", "id");
    let distinct: BTreeSet<_> = got.iter().collect();
    assert_eq!(distinct.len(), got.len(), "duplicate ids");
    // The same as one process alone.
    let alone = d.path().join("alone");
    ok(lakefeed(
        &alone,
        &["ingest", "t", &dirs[0], &dirs[1], &dirs[2]],
    ));
    assert_eq!(ids(&alone, "t", "id"), got);
    let thumbs = ids(&store, "thumbnails", "file_id || column_name || dimension");
    assert_eq!(
        thumbs.iter().collect::<BTreeSet<_>>().len(),
        thumbs.len(),
        "duplicate thumbnails"
    );
}

#[test]
fn a_large_keyed_table_gets_a_key_index_and_still_finds_present_rows() {
    let d = tmp();
    let client = Client::local(d.path()).unwrap();
    let opts = IngestOptions {
        key: Some(vec!["doc_id".into()]),
        rows_per_commit: 50_000,
        ..Default::default()
    };
    let first: Vec<i64> = (0..120_000).collect();
    client.ingest("big", docs(&first, "a"), &opts).unwrap();
    // The table is now large enough for the writer to index `doc_id` before probing.
    let next: Vec<i64> = (119_990..120_010).collect();
    let r = client.ingest("big", docs(&next, "b"), &opts).unwrap();
    assert_eq!((r.row_count, r.report.rows_present), (10, 10));
    let idx = client
        .query("SELECT count(*) AS n FROM big", &[])
        .unwrap()
        .records()
        .unwrap();
    assert_eq!(idx[0]["n"], 120_010);
    let dir = d.path().join("big.lance/_indices");
    assert!(
        dir.read_dir()
            .map(|mut e| e.next().is_some())
            .unwrap_or(false),
        "no index under {}",
        dir.display()
    );
}

#[test]
fn concurrent_writers_bringing_different_new_columns_all_land() {
    let d = tmp();
    let store = d.path().join("s");
    let base = crate::common::write(d.path(), "base.jsonl", "{\"a\": 1}\n");
    ok(lakefeed(
        &store,
        &["ingest", "t", "--rows", base.to_str().unwrap()],
    ));
    let children: Vec<_> = (0..4)
        .map(|k| {
            let lines: String = (0..25)
                .map(|i| format!("{{\"a\": {i}, \"c{k}\": \"w{k}\"}}\n"))
                .collect();
            let f = crate::common::write(d.path(), &format!("w{k}.jsonl"), &lines);
            Command::new(env!("CARGO_BIN_EXE_lakefeed"))
                .arg("--store")
                .arg(&store)
                .args(["ingest", "t", "--rows"])
                .arg(f)
                .env("LAKEFEED_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_eq!(count(&store, "t"), 101);
    for k in 0..4 {
        let got = ids(&store, "t", &format!("c{k}"));
        assert_eq!(
            got.iter().filter(|v| *v == &format!("w{k}")).count(),
            25,
            "column c{k}"
        );
    }
}
