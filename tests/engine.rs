//! The engine's seams: one ingest path whichever way a job is given, errors that keep their kind under context,
//! the store driven from inside a tokio runtime, and side stages as a list the pipeline knows nothing about.

use std::sync::Arc;

use futures::TryStreamExt;
use lakefeed::arrow::array::{AsArray, RecordBatch, StringArray};
use lakefeed::arrow::datatypes::{DataType, Schema, SchemaRef};
use lakefeed::manifest::Plan;
use lakefeed::schema::parse_hints;
use lakefeed::stage::sql_literal;
use lakefeed::{
    Client, ErrorClass, IngestContext, IngestData, IngestJob, IngestOptions, LanceStore,
    LogicalType, QueryEngine, Result, ScanSpec, SideStage, TableStore, WriteMode,
};
use serde_json::{Value, json};

use crate::common::{bytea, lakefeed, ok, tmp, write};

/// The `b` column of `table` as bytes, in `id` order.
fn bytes_column(store: &std::path::Path, table: &str) -> Vec<Vec<u8>> {
    let out = ok(lakefeed(
        store,
        &[
            "query",
            &format!("SELECT b FROM {table} ORDER BY id"),
            "--output",
            "json",
        ],
    ));
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
    rows.iter()
        .map(|r| {
            if r["b"].is_null() {
                Vec::new()
            } else {
                bytea(&r["b"])
            }
        })
        .collect()
}

#[test]
fn binary_hints_mean_the_same_from_the_cli_a_manifest_and_the_client() {
    let d = tmp();
    let store = d.path().join("s");
    let rows = write(
        d.path(),
        "r.jsonl",
        "{\"id\": 1, \"b\": \"\\\\x0aff\"}\n{\"id\": 2, \"b\": \"plain\"}\n{\"id\": 3, \"b\": null}\n",
    );
    ok(lakefeed(
        &store,
        &[
            "ingest",
            "cli",
            "--rows",
            rows.to_str().unwrap(),
            "--schema",
            "b=BINARY",
        ],
    ));
    let m = write(
        d.path(),
        "m.yaml",
        "version: 1\ntables:\n  - name: manifest\n    format: rows\n    options: {path: r.jsonl}\n    schema: {b: BINARY}\n",
    );
    ok(lakefeed(&store, &["run", m.to_str().unwrap()]));
    let client = Client::local(&store).unwrap();
    let opts = IngestOptions {
        schema: parse_hints([("b", "BINARY")]).unwrap(),
        ..Default::default()
    };
    client
        .ingest("client", IngestData::rows_file(&rows), &opts)
        .unwrap();
    // Column data typed as text and hinted afterwards reads hex the same way.
    let columns = IngestData::Columns(vec![
        ("id".into(), vec![json!(1), json!(2), json!(3)]),
        (
            "b".into(),
            vec![json!("\\x0aff"), json!("plain"), Value::Null],
        ),
    ]);
    client.ingest("columns", columns, &opts).unwrap();

    let want = vec![vec![0x0a, 0xff], b"plain".to_vec(), Vec::new()];
    for table in ["cli", "manifest", "client", "columns"] {
        assert_eq!(bytes_column(&store, table), want, "table {table}");
        let schema = client.store().table_schema(table).unwrap().unwrap();
        let b = schema.field_with_name("b").unwrap();
        assert_eq!(b.data_type(), &DataType::Binary, "table {table}");
        assert_eq!(LogicalType::of_field(b), Some(LogicalType::Binary));
    }
}

#[test]
fn a_wrapped_file_not_found_keeps_its_class() {
    let d = tmp();
    let m = write(
        d.path(),
        "m.yaml",
        "version: 1\ntables:\n  - name: t\n    format: rows\n    options: {path: missing.jsonl}\n",
    );
    let e = Plan::load(&m).unwrap().build_all().unwrap_err();
    assert!(e.is_not_found(), "{}", e.chain());
    assert_eq!(e.class(), ErrorClass::Ingest);
    assert!(!e.is_retryable());
    assert!(e.to_string().contains("m.yaml:3: table 't'"), "{e}");
    let cause = std::error::Error::source(&e).expect("the cause is kept");
    assert!(cause.to_string().starts_with("File not found: "), "{cause}");
    assert!(cause.to_string().ends_with("missing.jsonl"), "{cause}");
    // The CLI prints the class once, then the whole chain.
    let err = crate::common::fails(lakefeed(&d.path().join("s"), &["run", m.to_str().unwrap()]));
    assert!(
        err.starts_with("error: IngestError: ") && err.matches("IngestError").count() == 1,
        "{err}"
    );
}

#[test]
fn sql_errors_are_query_errors_not_managed_service_errors() {
    let d = tmp();
    let client = Client::local(d.path()).unwrap();
    for sql in ["SELEC 1", "SELECT nope()", "SELECT $1"] {
        let e = client.query(sql, &[]).unwrap_err();
        assert_eq!(e.class(), ErrorClass::Query, "{sql}: {}", e.chain());
    }
}

fn batch(texts: &[&str]) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![
        LogicalType::Text.field("text", DataType::Utf8),
    ]));
    RecordBatch::try_new(schema, vec![Arc::new(StringArray::from(texts.to_vec()))]).unwrap()
}

/// The store's async API from inside a runtime, and the blocking client from inside one: no nested runtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_works_from_inside_a_tokio_runtime() {
    let d = tmp();
    let store = LanceStore::open_dir(d.path()).await.unwrap();
    let b = batch(&["a", "b", "c"]);
    store.create_table("t", b.schema()).await.unwrap();
    store.append("t", vec![b]).await.unwrap();
    assert_eq!(store.count_rows("t").await.unwrap(), 3);
    let engine = lakefeed::SqlEngine::new(store.clone());
    let r = engine
        .query(
            "SELECT count(*) AS n FROM t WHERE text <> $1",
            &[json!("a")],
        )
        .await
        .unwrap();
    assert_eq!(r.rows().unwrap(), vec![vec![json!(2)]]);
    let spec = ScanSpec {
        batch_size: 2,
        ..Default::default()
    };
    let batches: Vec<RecordBatch> = store
        .scan("t", spec)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 3);
    assert!(store.table_schema("nope").await.unwrap().is_none());
    // The same store through a `file://` URI, and what it says it can do.
    let by_uri = LanceStore::open(format!("file://{}", d.path().display()))
        .await
        .unwrap();
    assert_eq!(by_uri.list_tables().await.unwrap(), vec!["t".to_string()]);
    let caps = by_uri.capabilities();
    assert!(caps.atomic_overwrite && caps.streaming_scan && caps.staged_commit && caps.optimize);
    // DELETE through the data plane says how many rows went.
    assert_eq!(store.delete_rows("t", "text = 'c'").await.unwrap(), 1);
    assert_eq!(store.delete_rows("missing", "true").await.unwrap(), 0);

    // The blocking client parks this worker thread; the work runs on lakefeed's own runtime.
    let client = Client::local(d.path()).unwrap();
    assert_eq!(client.list_tables().unwrap(), vec!["t".to_string()]);
    let n: usize = client
        .open_table("t")
        .unwrap()
        .batches(1)
        .unwrap()
        .map(|b| b.unwrap().num_rows())
        .sum();
    assert_eq!(n, 2, "one of the three rows was deleted");
}

#[tokio::test(flavor = "current_thread")]
async fn the_blocking_client_works_on_a_single_threaded_runtime() {
    let d = tmp();
    let client = Client::local(d.path()).unwrap();
    client
        .ingest(
            "t",
            IngestData::Batches(vec![batch(&["x"])]),
            &IngestOptions::default(),
        )
        .unwrap();
    assert_eq!(client.open_table("t").unwrap().count().unwrap(), 1);
}

/// A side stage of the test's own: one row per source batch, with the batch's row count.
struct BatchSizes;

impl SideStage for BatchSizes {
    fn table(&self) -> &str {
        "batch_sizes"
    }

    fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(vec![
            LogicalType::Text.field("source", DataType::Utf8),
            LogicalType::Int64.field("rows", DataType::Int64),
        ]))
    }

    fn columns(&self, source: &Schema, _images: &[String]) -> Vec<String> {
        source
            .fields()
            .iter()
            .filter(|f| f.name() == "text")
            .map(|f| f.name().clone())
            .collect()
    }

    fn rows_from(&self, source_table: &str) -> String {
        format!("source = {}", sql_literal(source_table))
    }

    fn derive(
        &self,
        source_table: &str,
        batch: &RecordBatch,
        _columns: &[String],
        _ctx: &IngestContext,
    ) -> Result<Option<RecordBatch>> {
        let cols: Vec<lakefeed::arrow::array::ArrayRef> = vec![
            Arc::new(StringArray::from(vec![source_table])),
            Arc::new(lakefeed::arrow::array::Int64Array::from(vec![
                batch.num_rows() as i64,
            ])),
        ];
        Ok(Some(RecordBatch::try_new(self.schema(), cols)?))
    }
}

#[test]
fn side_stages_are_a_list_and_overwrite_clears_their_rows() {
    let d = tmp();
    let client = Client::local(d.path()).unwrap();
    let job = |mode| {
        IngestJob::new(
            "src",
            IngestData::Batches(vec![batch(&["a", "b"]), batch(&["c"])]),
        )
        .options(IngestOptions {
            mode,
            ..Default::default()
        })
        .stages(vec![Arc::new(BatchSizes)])
    };
    let r = client.run(job(WriteMode::Append)).unwrap();
    assert_eq!(r.report.rows_in("src"), 3);
    assert_eq!(r.report.rows_in("batch_sizes"), 2);
    client.run(job(WriteMode::Overwrite)).unwrap();
    let out = client
        .query("SELECT sum(rows) AS n, count(*) AS c FROM batch_sizes", &[])
        .unwrap();
    assert_eq!(out.rows().unwrap(), vec![vec![json!(3), json!(2)]]);
    // A stage with no columns to read for a source is left out of the run.
    let other = IngestData::Columns(vec![("n".into(), vec![json!(1)])]);
    let r = client
        .run(IngestJob::new("other", other).stages(vec![Arc::new(BatchSizes)]))
        .unwrap();
    assert_eq!(r.report.rows_in("batch_sizes"), 0);
    let texts = client.query("SELECT source FROM batch_sizes", &[]).unwrap();
    let col = texts.batches()[0]
        .column(0)
        .as_string::<i32>()
        .value(0)
        .to_string();
    assert_eq!(col, "src");
}

#[test]
fn eight_processes_appending_to_one_new_table_end_with_exact_totals() {
    let d = tmp();
    let store = d.path().join("s");
    let files: Vec<std::path::PathBuf> = (0..8)
        .map(|k| {
            let lines: String = (0..50)
                .map(|i| format!("{{\"id\": {}, \"writer\": {k}}}\n", k * 1000 + i))
                .collect();
            write(d.path(), &format!("w{k}.jsonl"), &lines)
        })
        .collect();
    let children: Vec<std::process::Child> = files
        .iter()
        .map(|f| {
            std::process::Command::new(env!("CARGO_BIN_EXE_lakefeed"))
                .args(["--store", store.to_str().unwrap(), "ingest", "t", "--rows"])
                .arg(f)
                .env("LAKEFEED_LOG", "warn")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = ok(lakefeed(
        &store,
        &[
            "query",
            "SELECT count(*) AS n, count(DISTINCT id) AS ids, count(DISTINCT writer) AS w FROM t",
            "--output",
            "json",
        ],
    ));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v[0]["n"].clone(), v[0]["ids"].clone(), v[0]["w"].clone()),
        (json!(400), json!(400), json!(8))
    );
}
