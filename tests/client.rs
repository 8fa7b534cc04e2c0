//! The Rust client: column ingest with inference and hints, fluent queries, open_table batches, progress.

use std::sync::{Arc, Mutex};

use lakefeed::arrow::array::{Array, AsArray};
use lakefeed::arrow::datatypes::DataType;
use lakefeed::{Client, ErrorClass, IngestData, IngestOptions, LogicalType, schema::parse_hints};
use serde_json::{Value, json};

use crate::common::tmp;

fn docs(n: usize) -> IngestData {
    IngestData::Columns(vec![
        (
            "text".into(),
            (0..n).map(|i| json!(format!("doc {i}"))).collect(),
        ),
        (
            "embedding".into(),
            (0..n).map(|i| json!([i as f64, 1.0, 0.5])).collect(),
        ),
        // Nulls first must not freeze the column as TEXT.
        (
            "rank".into(),
            (0..n)
                .map(|i| if i < n / 2 { Value::Null } else { json!(i) })
                .collect(),
        ),
    ])
}

#[test]
fn ingest_columns_infers_types_and_reports_like_the_seed() {
    let d = tmp();
    let client = Client::local(d.path()).unwrap();
    let calls = Arc::new(Mutex::new(Vec::new()));
    let seen = calls.clone();
    let opts = IngestOptions {
        rows_per_commit: 1000,
        on_progress: Some(Arc::new(move |w, t| seen.lock().unwrap().push((w, t)))),
        ..Default::default()
    };
    let r = client.ingest("docs", docs(2500), &opts).unwrap();
    assert_eq!((r.table_name.as_str(), r.row_count), ("docs", 2500));
    assert!(r.dataset_path.ends_with("docs.lance"), "{}", r.dataset_path);
    assert_eq!(
        *calls.lock().unwrap(),
        vec![(1000, Some(2500)), (2000, Some(2500)), (2500, Some(2500))]
    );

    let schema = client.store().table_schema("docs").unwrap().unwrap();
    assert_eq!(
        schema.field_with_name("rank").unwrap().data_type(),
        &DataType::Int64
    );
    let emb = schema.field_with_name("embedding").unwrap();
    assert_eq!(
        LogicalType::of_field(emb),
        Some(LogicalType::Embedding(Some(3)))
    );
    assert_eq!(
        emb.metadata().get("lakefeed:type").map(String::as_str),
        Some("EMBEDDING(3)")
    );
}

#[test]
fn hints_win_over_inference() {
    let d = tmp();
    let client = Client::local(d.path()).unwrap();
    let opts = IngestOptions {
        schema: parse_hints([("n", "INT32"), ("img", "IMAGE"), ("f", "FLOAT32")]).unwrap(),
        ..Default::default()
    };
    let data = IngestData::Columns(vec![
        ("n".into(), vec![json!(1), json!(2)]),
        ("img".into(), vec![json!("\\x89504e47"), Value::Null]),
        ("f".into(), vec![json!(0.25), json!(1)]),
    ]);
    client.ingest("h", data, &opts).unwrap();
    let s = client.store().table_schema("h").unwrap().unwrap();
    assert_eq!(
        s.field_with_name("n").unwrap().data_type(),
        &DataType::Int32
    );
    assert_eq!(
        s.field_with_name("f").unwrap().data_type(),
        &DataType::Float32
    );
    assert_eq!(
        LogicalType::of_field(s.field_with_name("img").unwrap()),
        Some(LogicalType::Image)
    );
    let b = client
        .open_table("h")
        .unwrap()
        .select(["img"])
        .batches(10)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(
        b.column(0).as_binary::<i32>().value(0),
        &[0x89, 0x50, 0x4e, 0x47]
    );
}

#[test]
fn fluent_query_and_open_table_batches() {
    let d = tmp();
    let client = Client::local(d.path()).unwrap();
    client
        .ingest("docs", docs(300), &IngestOptions::default())
        .unwrap();
    let r = client
        .table("docs")
        .select(["text", "rank"])
        .where_("rank >= $1", [json!(200)])
        .where_("text <> $1", [json!("doc 201")])
        .order_by("rank DESC")
        .limit(2)
        .offset(1)
        .execute()
        .unwrap();
    assert_eq!(
        r.records().unwrap(),
        vec![
            json!({"text": "doc 298", "rank": 298})
                .as_object()
                .unwrap()
                .clone(),
            json!({"text": "doc 297", "rank": 297})
                .as_object()
                .unwrap()
                .clone(),
        ]
    );
    let agg = client
        .query(
            "SELECT count(*) AS n, max(rank) AS m FROM docs WHERE rank IS NULL",
            &[],
        )
        .unwrap();
    assert_eq!(agg.rows().unwrap(), vec![vec![json!(150), Value::Null]]);

    let t = client
        .open_table("docs")
        .unwrap()
        .select(["rank"])
        .filter("rank < 160");
    let mut rows = 0;
    for b in t.batches(4).unwrap() {
        let b = b.unwrap();
        assert!(b.num_rows() <= 4);
        assert_eq!(b.num_columns(), 1);
        rows += b.num_rows();
    }
    assert_eq!(rows, 10);
    assert_eq!(t.count().unwrap(), 300);
    let n = t
        .query("SELECT count(*) AS n FROM {table}", &[])
        .unwrap()
        .execute()
        .unwrap();
    assert_eq!(n.rows().unwrap()[0][0], json!(300));

    // A view for a training loop: plain columns and a filter stream from the store, FROM left out.
    let view = t.query("SELECT rank WHERE rank >= 290", &[]).unwrap();
    assert!(view.streams());
    let mut seen = Vec::new();
    for b in view.batches(3).unwrap() {
        let b = b.unwrap();
        assert!(b.num_rows() <= 3 && b.num_columns() == 1);
        seen.push(b.num_rows());
    }
    assert_eq!(seen.iter().sum::<usize>(), 10);
    // Anything more runs as SQL and is handed out in batches all the same.
    let view = t
        .query(
            "SELECT rank * 2 AS r WHERE rank >= $1 ORDER BY r DESC LIMIT 4",
            &[json!(290)],
        )
        .unwrap();
    assert!(!view.streams());
    let batches: Vec<_> = view.batches(3).unwrap().map(|b| b.unwrap()).collect();
    assert_eq!(
        batches.iter().map(|b| b.num_rows()).collect::<Vec<_>>(),
        [3, 1]
    );
}

#[test]
fn errors_carry_the_seed_classes() {
    let d = tmp();
    let client = Client::local(d.path()).unwrap();
    let e = client.open_table("missing").unwrap_err();
    assert_eq!(e.class(), ErrorClass::Table);
    assert!(e.is_not_found());
    assert!(client.drop_table("missing", true).is_ok());
    assert_eq!(
        client.drop_table("missing", false).unwrap_err().class(),
        ErrorClass::Table
    );
    let e = client
        .ingest("x", IngestData::Columns(vec![]), &IngestOptions::default())
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::Ingest);
    let e = client
        .ingest(
            "x",
            IngestData::Columns(vec![("a".into(), vec![json!(1)]), ("b".into(), vec![])]),
            &IngestOptions::default(),
        )
        .unwrap_err();
    assert!(e.to_string().contains("same length"), "{e}");
    let e = client
        .ingest("../evil", docs(1), &IngestOptions::default())
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::Table);
    let e = client.query("SELECT 1 FROM missing", &[]).unwrap_err();
    assert_eq!(e.class(), ErrorClass::Table);
    assert!(client.list_tables().unwrap().is_empty());
}

#[test]
fn indexes_build_on_vectors_and_text() {
    let d = tmp();
    let client = Client::local(d.path()).unwrap();
    let opts = IngestOptions {
        index: vec!["embedding".into(), "text".into()],
        ..Default::default()
    };
    client.ingest("docs", docs(400), &opts).unwrap();
    client
        .query(
            "CREATE INDEX IF NOT EXISTS idx_docs_rank ON docs USING deeplake_index (rank)",
            &[],
        )
        .unwrap();
    let err = client.create_index("docs", "nope").unwrap_err();
    assert_eq!(err.class(), ErrorClass::Table);
    let r = client
        .query("SELECT text FROM docs WHERE text = 'doc 7'", &[])
        .unwrap();
    assert_eq!(r.row_count(), 1);
    let col = r.batches()[0].column(0).clone();
    assert_eq!(col.as_string::<i32>().value(0), "doc 7");
    assert_eq!(col.len(), 1);
}
