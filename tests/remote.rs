//! Ingest through `lakefeed serve` with `Client::managed`: the same formats, thumbnails, keyed writes and
//! re-run skips as the local store, by Arrow IPC and by the seed's SQL INSERTs; streamed batches; overwrites;
//! 32 clients at once.

use std::path::Path;

use lakefeed::{Client, IngestData, IngestOptions, WriteMode, WritePath};
use serde_json::{Value, json};

use crate::common::{fixtures, tmp};
use crate::server::{Server, token};

fn managed(server: &Server, ws: &str, path: WritePath) -> Client {
    Client::managed_with(&token("org1", json!({})), ws, Some(&server.url), path).unwrap()
}

/// Ingests the FILE fixtures into `media` and eight COCO images into `coco`; the row counts.
fn ingest_fixtures(c: &Client) -> (u64, u64) {
    let files = fixtures().join("files");
    let media = c
        .ingest(
            "media",
            IngestData::files([files.display().to_string()]),
            &IngestOptions::default(),
        )
        .unwrap();
    assert!(
        !media.report.skipped.is_empty(),
        "the broken fixtures are reported"
    );
    let coco = fixtures().join("coco");
    let data = IngestData::Format {
        name: "coco".into(),
        options: json!({"images_dir": coco.join("val2017"), "max_images": 8}),
    };
    let coco = c.ingest("coco", data, &IngestOptions::default()).unwrap();
    (media.row_count, coco.row_count)
}

/// Every row of `table`, ordered, as JSON (bytes as hex), with the column types.
fn rows(c: &Client, table: &str, order: &str, columns: &str) -> (Vec<String>, Vec<Vec<Value>>) {
    let r = c
        .query(
            &format!("SELECT {columns} FROM {table} ORDER BY {order}"),
            &[],
        )
        .unwrap();
    let types = r
        .schema()
        .fields()
        .iter()
        .map(|f| format!("{} {}", f.name(), f.data_type()))
        .collect();
    (types, r.rows().unwrap())
}

/// The table's columns in the local store's order (the seed's create sorts them by name).
fn columns_of(c: &Client, table: &str) -> String {
    let r = c
        .query(&format!("SELECT * FROM {table} LIMIT 0"), &[])
        .unwrap();
    let names: Vec<String> = r
        .schema()
        .fields()
        .iter()
        .map(|f| format!("\"{}\"", f.name()))
        .collect();
    names.join(", ")
}

type Rows = (Vec<String>, Vec<Vec<Value>>);

/// Asserts two tables are equal, naming the first differing cell (values cut short: cells hold whole files).
fn same_rows(what: &str, got: Rows, want: Rows) {
    assert_eq!(got.0, want.0, "{what}: columns");
    assert_eq!(got.1.len(), want.1.len(), "{what}: rows");
    for (r, (g, w)) in got.1.iter().zip(&want.1).enumerate() {
        for (c, (gv, wv)) in g.iter().zip(w).enumerate() {
            let short = |v: &Value| v.to_string().chars().take(120).collect::<String>();
            assert!(
                gv == wv,
                "{what}: row {r} ({}), column {c} {:?}: {} != {}",
                short(&w[0]),
                want.0.get(c),
                short(gv),
                short(wv)
            );
        }
    }
}

#[test]
fn files_and_coco_through_the_service_equal_a_local_ingest() {
    let d = tmp();
    let server = Server::start(&d.path().join("root"), &[]);
    let local = Client::local(d.path().join("local")).unwrap();
    let want = ingest_fixtures(&local);
    assert!(want.0 > 10 && want.1 == 8, "{want:?}");
    let tables = [
        ("media", "id"),
        ("coco", "coco_image_id"),
        ("thumbnails", "file_id, column_name, dimension"),
    ];
    for (ws, path) in [
        ("arrow", WritePath::Arrow),
        ("sql", WritePath::Insert),
        ("seed", WritePath::SeedApi),
    ] {
        let remote = managed(&server, ws, path);
        assert_eq!(ingest_fixtures(&remote), want, "{ws}");
        for (t, order) in tables {
            let cols = columns_of(&local, t);
            let (mut got, mut expected) = (
                rows(&remote, t, order, &cols),
                rows(&local, t, order, &cols),
            );
            if path == WritePath::SeedApi {
                // The seed's JSON results carry no types (they are inferred from the values): compare values.
                (got.0, expected.0) = (vec![], vec![]);
            }
            same_rows(&format!("{ws}: {t}"), got, expected);
        }
        // A re-run skips every input: nothing is written twice.
        let again = ingest_fixtures(&remote);
        assert_eq!(again, (0, 0), "{ws}");
        assert_eq!(remote.open_table("media").unwrap().count().unwrap(), want.0);
    }
    // Training batches stream from the server.
    let remote = managed(&server, "arrow", WritePath::Auto);
    let batches: Vec<_> = remote
        .open_table("media")
        .unwrap()
        .select(["id", "text"])
        .filter("text IS NOT NULL")
        .batches(5)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(
        batches
            .iter()
            .all(|b| b.num_rows() <= 5 && b.num_columns() == 2)
    );
    let texts = local
        .query(
            "SELECT count(*) AS n FROM media WHERE text IS NOT NULL",
            &[],
        )
        .unwrap()
        .rows()
        .unwrap();
    let n: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(json!(n), texts[0][0]);
    assert!(remote.list_tables().unwrap().contains(&"media".to_string()));
    remote.optimize("media").unwrap();
    // The Arrow endpoints check the token like the seed's: another workspace's token reads nothing.
    let elsewhere = token("org1", json!({"workspaces": ["other"]}));
    let c = Client::managed(&elsewhere, "arrow", Some(&server.url)).unwrap();
    let e = c.open_table("media").unwrap_err();
    assert_eq!(e.class(), lakefeed::ErrorClass::Auth, "{e}");
    let other_org = Client::managed(&token("org2", json!({})), "arrow", Some(&server.url)).unwrap();
    assert!(other_org.open_table("media").unwrap_err().is_not_found());
}

fn docs(n: usize, tag: &str) -> IngestData {
    IngestData::from_dict(json!({
        "id": (0..n).map(|i| format!("{tag}{i}")).collect::<Vec<_>>(),
        "n": (0..n).collect::<Vec<_>>(),
    }))
    .unwrap()
}

#[test]
fn overwrites_replace_in_one_commit_and_keys_upsert_through_the_service() {
    let d = tmp();
    let server = Server::start(&d.path().join("root"), &[]);
    let c = managed(&server, "ws", WritePath::Arrow);
    let keyed = |mode| IngestOptions {
        mode,
        key: Some(vec!["id".into()]),
        ..Default::default()
    };
    c.ingest("t", docs(50, "a"), &keyed(WriteMode::Append))
        .unwrap();
    c.ingest("t", docs(60, "a"), &keyed(WriteMode::Append))
        .unwrap();
    assert_eq!(c.open_table("t").unwrap().count().unwrap(), 60);
    c.ingest("t", docs(5, "b"), &keyed(WriteMode::Overwrite))
        .unwrap();
    let r = c.query("SELECT id FROM t ORDER BY id", &[]).unwrap();
    assert_eq!(r.rows().unwrap().len(), 5);
    // The staging table is gone, and was never listed.
    assert_eq!(c.list_tables().unwrap(), ["t"]);
    // A column the table lacks is added (PATCH with the new fields), earlier rows read null in it.
    let more = IngestData::from_dict(json!({"id": ["b9"], "n": [9], "tag": ["new"]})).unwrap();
    c.ingest("t", more, &keyed(WriteMode::Append)).unwrap();
    let r = c
        .query("SELECT count(tag) AS tagged, count(*) AS n FROM t", &[])
        .unwrap();
    assert_eq!(r.rows().unwrap(), vec![vec![json!(1), json!(6)]]);
    c.query("DELETE FROM t WHERE id = 'b9'", &[]).unwrap();
    for path in [WritePath::Arrow, WritePath::Insert] {
        let c = managed(&server, "ws", path);
        let data = IngestData::from_dict(json!({"id": ["b0", "z"], "n": [100, 7]})).unwrap();
        c.ingest("t", data, &keyed(WriteMode::Upsert)).unwrap();
        let r = c
            .query("SELECT n FROM t WHERE id IN ('b0', 'z') ORDER BY id", &[])
            .unwrap();
        assert_eq!(r.rows().unwrap(), vec![vec![json!(100)], vec![json!(7)]]);
    }
    // By SQL INSERTs, an overwrite is staged the same way (lakefeed serve has the replace endpoint).
    let sql = managed(&server, "ws", WritePath::Insert);
    sql.ingest("t", docs(2, "c"), &keyed(WriteMode::Overwrite))
        .unwrap();
    assert_eq!(sql.open_table("t").unwrap().count().unwrap(), 2);
    assert_eq!(sql.list_tables().unwrap(), ["t"]);
}

#[test]
fn thirty_two_clients_ingest_and_query_at_once() {
    const CLIENTS: usize = 32;
    const ROUNDS: usize = 3;
    const ROWS: usize = 20;
    let d = tmp();
    let server = Server::start(&d.path().join("root"), &[]);
    std::thread::scope(|s| {
        for t in 0..CLIENTS {
            let server = &server;
            s.spawn(move || {
                let path = if t % 2 == 0 {
                    WritePath::Arrow
                } else {
                    WritePath::Insert
                };
                let c = managed(server, "load", path);
                for round in 0..ROUNDS {
                    c.ingest(
                        "load",
                        docs(ROWS, &format!("{t}_{round}_")),
                        &IngestOptions::default(),
                    )
                    .unwrap();
                    let r = c
                        .query(
                            "SELECT count(*) AS n FROM load WHERE n < $1",
                            &[json!(ROWS)],
                        )
                        .unwrap();
                    let n = r.rows().unwrap()[0][0].as_u64().unwrap();
                    assert!(n >= ((round + 1) * ROWS) as u64, "{n}");
                }
            });
        }
    });
    let c = managed(&server, "load", WritePath::Auto);
    let r = c
        .query(
            "SELECT count(*) AS n, count(DISTINCT id) AS ids, sum(n) AS s FROM load",
            &[],
        )
        .unwrap();
    let total = CLIENTS * ROUNDS * ROWS;
    let sum = CLIENTS * ROUNDS * (ROWS * (ROWS - 1) / 2);
    assert_eq!(
        r.rows().unwrap(),
        vec![vec![json!(total), json!(total), json!(sum)]]
    );
}

/// A store directory `{root}/{org}/{ws}` holds what the service wrote: the same Lance tables a local client
/// reads.
#[test]
fn what_the_service_writes_is_a_local_store() {
    let d = tmp();
    let root = d.path().join("root");
    let server = Server::start(&root, &[]);
    let c = managed(&server, "ws", WritePath::Insert);
    c.ingest("t", docs(3, "x"), &IngestOptions::default())
        .unwrap();
    drop(server);
    let local = Client::local(Path::new(&root).join("org1").join("ws")).unwrap();
    assert_eq!(local.open_table("t").unwrap().count().unwrap(), 3);
}

/// INSERT and DELETE in the SQL dialect (what the seed's clients send): parameters bound, literals and
/// `decode(…, 'hex')`, vectors, `ON CONFLICT` as keyed append and upsert, INSERT … SELECT, clear refusals.
#[test]
fn insert_and_delete_statements_write_through_the_store() {
    let d = tmp();
    let c = Client::local(d.path()).unwrap();
    let data =
        IngestData::from_dict(json!({"id": ["a"], "img": [null], "v": [[0.0, 0.0]], "n": [0]}))
            .unwrap();
    let opts = IngestOptions {
        schema: lakefeed::schema::parse_hints([
            ("img", "IMAGE"),
            ("v", "EMBEDDING(2)"),
            ("n", "INT32"),
        ])
        .unwrap(),
        ..Default::default()
    };
    c.ingest("t", data, &opts).unwrap();
    let counts = |sql: &str, params: &[Value]| c.query(sql, params).unwrap().rows().unwrap();
    // The fast path (literals and parameters) and the planned path (an expression) store the same values.
    assert_eq!(
        counts(
            "INSERT INTO t (id, img, v, n) VALUES ($1, decode($2, 'hex')::IMAGE, ARRAY[0.5, -1]::FLOAT4[], 7), \
             ('c', NULL, ARRAY[1, 2]::FLOAT4[], $3) ON CONFLICT (id) DO NOTHING",
            &[json!("a"), json!("ff00"), json!(9)]
        ),
        vec![vec![json!(1), json!(1)]],
        "a is present: one inserted, one skipped"
    );
    counts(
        "INSERT INTO t (id, img, v, n) VALUES ('d', NULL, NULL, 2 + 3) ON CONFLICT (id) \
         DO UPDATE SET img = EXCLUDED.img, v = EXCLUDED.v, n = EXCLUDED.n",
        &[],
    );
    counts(
        "INSERT INTO t (id, img, v, n) VALUES ('a', decode('0102', 'hex'), ARRAY[3, 4]::FLOAT4[], 1) \
         ON CONFLICT (id) DO UPDATE SET img = EXCLUDED.img, v = EXCLUDED.v, n = EXCLUDED.n",
        &[],
    );
    counts(
        "INSERT INTO t (id, n) SELECT id || '2', n * 10 FROM t WHERE id = $1",
        &[json!("c")],
    );
    let rows = counts("SELECT id, img, v, n FROM t ORDER BY id", &[]);
    assert_eq!(
        rows,
        vec![
            vec![json!("a"), json!("\\x0102"), json!([3.0, 4.0]), json!(1)],
            vec![json!("c"), Value::Null, json!([1.0, 2.0]), json!(9)],
            vec![json!("c2"), Value::Null, Value::Null, json!(90)],
            vec![json!("d"), Value::Null, Value::Null, json!(5)],
        ]
    );
    assert_eq!(
        counts("DELETE FROM t WHERE n > 8", &[]),
        vec![vec![json!(2)]]
    );
    // ALTER TABLE … ADD COLUMN, with IF NOT EXISTS per column.
    counts(
        "ALTER TABLE t ADD COLUMN IF NOT EXISTS n INTEGER, ADD COLUMN tag TEXT",
        &[],
    );
    assert!(
        c.query("ALTER TABLE t ADD COLUMN tag TEXT", &[]).is_err(),
        "tag exists"
    );
    for bad in [
        "INSERT INTO t (id, v) VALUES ('e', ARRAY[1, 2, 3]::FLOAT4[])",
        "INSERT INTO t (id, nope) VALUES ('e', 1)",
        "INSERT INTO t (id, n) VALUES ('a', 1) ON CONFLICT (id) DO UPDATE SET n = 5",
        "INSERT INTO t (id, n) VALUES ('a', 1) ON CONFLICT (id) DO UPDATE SET n = EXCLUDED.n",
        "INSERT INTO t (id, n) VALUES ('e', 9223372036854775808)",
        "INSERT INTO t (id, n) VALUES ('e', 1e20)",
        "INSERT INTO missing VALUES ('e')",
        "ALTER TABLE t ADD COLUMN flag BOOLEAN NOT NULL DEFAULT false",
        "ALTER TABLE t ADD COLUMN a TEXT, ADD COLUMN a TEXT",
        "ALTER TABLE t DROP COLUMN n",
        "EXPLAIN ANALYZE INSERT INTO t (id) VALUES ('e')",
    ] {
        assert!(c.query(bad, &[]).is_err(), "{bad}");
    }
    assert_eq!(
        counts("SELECT count(*) FROM t", &[]),
        vec![vec![json!(2)]],
        "nothing written by the refusals"
    );
    let names = c.query("SELECT * FROM t LIMIT 0", &[]).unwrap().columns();
    assert_eq!(names, ["id", "img", "v", "n", "tag"]);
}

/// An overwrite's staging table exists only while it is written: one dropped without `finish` is removed, and
/// the table keeps its rows.
#[test]
fn an_abandoned_overwrite_leaves_no_staging_table() {
    use lakefeed::{TableStore, WriteSpec};
    let d = tmp();
    let root = d.path().join("root");
    let server = Server::start(&root, &[]);
    let c = managed(&server, "ws", WritePath::Arrow);
    c.ingest("t", docs(3, "a"), &IngestOptions::default())
        .unwrap();
    let stages = || -> Vec<String> {
        std::fs::read_dir(root.join("org1").join("ws"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("_lakefeed_stage"))
            .collect()
    };
    let url = server.url.clone();
    let staged = lakefeed::block_on(async move {
        let store =
            lakefeed::RemoteStore::connect(&token("org1", json!({})), "ws", Some(&url)).await?;
        let schema = store.table_schema("t").await?.expect("t");
        let spec = WriteSpec {
            mode: WriteMode::Overwrite,
            ..Default::default()
        };
        let mut w = store.writer("t", schema.clone(), spec).await?;
        w.write(vec![lakefeed::arrow::array::RecordBatch::new_empty(schema)])
            .await?;
        Ok(w)
    })
    .unwrap();
    assert_eq!(stages().len(), 1, "the overwrite writes into a stage");
    drop(staged);
    let gone = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(50));
        stages().is_empty()
    });
    assert!(gone, "the stage is dropped: {:?}", stages());
    assert_eq!(c.open_table("t").unwrap().count().unwrap(), 3);
}

/// A server's result limit stops a query (and an `INSERT … SELECT`) as soon as it is passed.
#[test]
fn the_result_limit_stops_big_queries() {
    let d = tmp();
    let server = Server::start(&d.path().join("root"), &["--max-result-rows", "2"]);
    let c = managed(&server, "ws", WritePath::Arrow);
    c.ingest("t", docs(3, "a"), &IngestOptions::default())
        .unwrap();
    let e = c.query("SELECT id FROM t", &[]).unwrap_err();
    assert!(e.to_string().contains("limit"), "{e}");
    assert_eq!(
        c.query("SELECT id FROM t LIMIT 2", &[])
            .unwrap()
            .row_count(),
        2
    );
    let e = c
        .query("INSERT INTO t (id, n) SELECT id || 'x', n FROM t", &[])
        .unwrap_err();
    assert!(e.to_string().contains("limit"), "{e}");
    // Streamed reads are not results held in memory: they have no such limit.
    assert_eq!(c.open_table("t").unwrap().batches(1).unwrap().count(), 3);
}

/// Only the seed's API (as against the managed service): tables created from SQL type names, columns added with
/// `ALTER TABLE`, schemas read from `information_schema.columns`, vectors appended to `float4[]` columns.
#[test]
fn the_seed_api_alone_ingests_appends_and_evolves() {
    let d = tmp();
    let server = Server::start(&d.path().join("root"), &[]);
    let c = managed(&server, "ws", WritePath::SeedApi);
    let vecs = |tag: &str, extra: bool| {
        let mut v =
            json!({"id": [format!("{tag}0"), format!("{tag}1")], "v": [[0.5, 1.0], [2.0, 3.0]]});
        if extra {
            v["tag"] = json!(["x", null]);
        }
        IngestData::from_dict(v).unwrap()
    };
    let keyed = IngestOptions {
        key: Some(vec!["id".into()]),
        ..Default::default()
    };
    c.ingest("t", vecs("a", false), &keyed).unwrap();
    c.ingest("t", vecs("a", false), &keyed).unwrap();
    c.ingest("t", vecs("b", true), &keyed).unwrap();
    let r = c
        .query("SELECT id, v, tag FROM t ORDER BY id", &[])
        .unwrap()
        .rows()
        .unwrap();
    assert_eq!(
        r,
        vec![
            vec![json!("a0"), json!([0.5, 1.0]), Value::Null],
            vec![json!("a1"), json!([2.0, 3.0]), Value::Null],
            vec![json!("b0"), json!([0.5, 1.0]), json!("x")],
            vec![json!("b1"), json!([2.0, 3.0]), Value::Null],
        ]
    );
    let cols = c
        .query(
            "SELECT column_name, data_type, udt_name FROM information_schema.columns \
             WHERE table_name = $1 ORDER BY ordinal_position",
            &[json!("t")],
        )
        .unwrap()
        .rows()
        .unwrap();
    assert_eq!(
        cols,
        vec![
            vec![json!("id"), json!("text"), json!("text")],
            vec![json!("v"), json!("ARRAY"), json!("_float4")],
            vec![json!("tag"), json!("text"), json!("text")],
        ]
    );
    let overwrite = IngestOptions {
        mode: WriteMode::Overwrite,
        ..Default::default()
    };
    let e = c.ingest("t", vecs("c", false), &overwrite).unwrap_err();
    assert!(e.to_string().contains("overwrite"), "{e}");
}

/// `lakefeed token` mints what `lakefeed serve --jwt-secret` accepts, limited to the workspaces it names.
#[test]
fn the_token_command_mints_tokens_the_server_accepts() {
    let d = tmp();
    let server = Server::start(&d.path().join("root"), &[]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lakefeed"))
        .args([
            "token",
            "--org",
            "team",
            "--workspace-only",
            "a",
            "--hours",
            "1",
        ])
        .env("LAKEFEED_JWT_SECRET", crate::common::serve::SECRET)
        .output()
        .unwrap();
    let token = crate::common::ok(out);
    let a = Client::managed(token.trim(), "a", Some(&server.url)).unwrap();
    a.ingest("t", docs(2, "x"), &IngestOptions::default())
        .unwrap();
    assert_eq!(a.list_tables().unwrap(), ["t"]);
    let b = Client::managed(token.trim(), "b", Some(&server.url)).unwrap();
    assert_eq!(
        b.list_tables().unwrap_err().class(),
        lakefeed::ErrorClass::Auth
    );
    let short = std::process::Command::new(env!("CARGO_BIN_EXE_lakefeed"))
        .args(["token", "--org", "team", "--jwt-secret", "short"])
        .output()
        .unwrap();
    assert!(crate::common::fails(short).contains("16 characters"));
}
