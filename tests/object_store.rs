//! Tables on object storage, against a real S3-compatible server on loopback (`common::s3`): every kind of
//! write works there as on a local disk, and concurrent writers need no lock files.

use std::collections::BTreeSet;
use std::process::{Command, Output, Stdio};

use crate::common::s3::{S3, s3};
use crate::common::{fixtures, sorted_values, tmp, values_sql, write};

fn run(mut c: Command) -> Output {
    c.output().expect("running lakefeed")
}

fn ok(c: Command) -> String {
    crate::common::ok(run(c))
}

/// `lakefeed --store STORE ARGS…` against the loopback S3 server.
pub fn cli(s3: &S3, store: &str, args: &[&str]) -> Command {
    let mut c = s3.lakefeed(store);
    c.args(args);
    c
}

/// The sorted values of `col` in `table`, read through the CLI.
pub fn values(s3: &S3, store: &str, table: &str, col: &str) -> Vec<String> {
    let sql = values_sql(table, col);
    sorted_values(&ok(cli(s3, store, &["query", &sql, "--output", "json"])))
}

fn count(s3: &S3, store: &str, table: &str) -> usize {
    values(s3, store, table, "1").len()
}

fn fixture(kind: &str) -> String {
    fixtures()
        .join("files")
        .join(kind)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn an_s3_store_takes_every_kind_of_write() {
    let s3 = s3();
    let store = s3.store("writes");
    let (image, text, pdf) = (fixture("image"), fixture("text"), fixture("pdf"));
    let out = ok(cli(s3, &store, &["ingest", "media", &image, &text, &pdf]));
    assert!(out.contains("media: "), "{out}");
    let media = values(s3, &store, "media", "id");
    let thumbs = count(s3, &store, "thumbnails");
    assert!(media.len() > 10 && thumbs > 0, "{out}");
    // A keyed re-run finds every input present and writes nothing.
    let again = ok(cli(s3, &store, &["ingest", "media", &image, &text, &pdf]));
    assert!(again.contains("already present"), "{again}");
    assert_eq!(values(s3, &store, "media", "id"), media);
    assert_eq!(count(s3, &store, "thumbnails"), thumbs);

    // Column data: keyed appends, upserts and an atomic overwrite.
    let d = tmp();
    let rows = |name: &str, ids: &[i64], text: &str| {
        let body: String = ids
            .iter()
            .map(|i| format!("{{\"id\": {i}, \"text\": \"{text} {i}\"}}\n"))
            .collect();
        write(d.path(), name, &body).to_string_lossy().into_owned()
    };
    let a = rows("a.jsonl", &[1, 2, 3], "old");
    let b = rows("b.jsonl", &[3, 4], "new");
    ok(cli(
        s3,
        &store,
        &["ingest", "docs", "--rows", &a, "--key", "id"],
    ));
    ok(cli(
        s3,
        &store,
        &["ingest", "docs", "--rows", &a, "--key", "id"],
    ));
    assert_eq!(values(s3, &store, "docs", "id"), ["1", "2", "3"]);
    ok(cli(
        s3,
        &store,
        &[
            "ingest", "docs", "--rows", &b, "--key", "id", "--mode", "upsert",
        ],
    ));
    assert_eq!(
        values(s3, &store, "docs", "text"),
        ["new 3", "new 4", "old 1", "old 2"]
    );
    ok(cli(
        s3,
        &store,
        &["ingest", "docs", "--rows", &b, "--mode", "overwrite"],
    ));
    assert_eq!(values(s3, &store, "docs", "id"), ["3", "4"]);

    // A HuggingFace dataset (its images get thumbnails too).
    let hf = fixtures().join("huggingface/coco_mini_captions_hub_parquet");
    let name = format!("name={}", hf.display());
    ok(cli(
        s3,
        &store,
        &[
            "ingest",
            "captions",
            "--format",
            "huggingface",
            "--opt",
            &name,
        ],
    ));
    assert!(count(s3, &store, "captions") > 0);
    assert!(count(s3, &store, "thumbnails") > thumbs);

    // Indexes and search: BM25 over the text chunks, through the index.
    ok(cli(s3, &store, &["index", "media", "text"]));
    let sql = "SELECT id, text <#> 'iris setosa' AS score FROM media ORDER BY score DESC LIMIT 3";
    let hits: serde_json::Value =
        serde_json::from_str(&ok(cli(s3, &store, &["query", sql, "--output", "json"]))).unwrap();
    let top = hits[0]["score"].as_f64().unwrap_or_default();
    assert!(top > 0.0, "no BM25 hit for a word of iris.csv: {hits}");
    let tables = ok(cli(s3, &store, &["tables"]));
    assert_eq!(
        tables.lines().collect::<Vec<_>>(),
        ["captions", "docs", "media", "thumbnails"]
    );
    ok(cli(s3, &store, &["drop", "docs"]));
    assert!(!ok(cli(s3, &store, &["tables"])).contains("docs"));
}

/// Spawns `n` lakefeed processes at once, the i-th with `args(i)`, and waits for all.
fn race(s3: &S3, store: &str, n: usize, args: impl Fn(usize) -> Vec<String>) {
    let children: Vec<_> = (0..n)
        .map(|i| {
            let mut c = s3.lakefeed(store);
            c.args(args(i))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            c.spawn().expect("spawn")
        })
        .collect();
    for child in children {
        let o = child.wait_with_output().expect("wait");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
}

/// Four JSONL files `{prefix}{i}.jsonl`, the i-th with rows `{"id": k, "w": i}` for each k of `ids(i)`.
fn writers(dir: &std::path::Path, prefix: &str, ids: impl Fn(usize) -> Vec<usize>) -> Vec<String> {
    (0..4)
        .map(|i| {
            let body: String = ids(i)
                .into_iter()
                .map(|k| format!("{{\"id\": {k}, \"w\": {i}}}\n"))
                .collect();
            write(dir, &format!("{prefix}{i}.jsonl"), &body)
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

#[test]
fn racing_creators_and_keyed_writers_lose_no_row_and_duplicate_no_key() {
    let s3 = s3();
    let d = tmp();
    let local = d.path().join("local").to_string_lossy().into_owned();
    for store in [s3.store("race"), local] {
        // Four processes each create the same new table with their own rows: none replaces another's table.
        let files = writers(d.path(), "w", |i| (i * 1000..i * 1000 + 50).collect());
        race(s3, &store, 4, |i| {
            vec![
                "ingest".into(),
                "fresh".into(),
                "--rows".into(),
                files[i].clone(),
            ]
        });
        assert_eq!(count(s3, &store, "fresh"), 200, "{store}");

        // Four keyed writers with overlapping keys: every key once.
        let overlap = writers(d.path(), "o", |i| (i * 20..i * 20 + 60).collect());
        race(s3, &store, 4, |i| {
            [
                "ingest",
                "keyed",
                "--rows",
                &overlap[i],
                "--key",
                "id",
                "--schema",
                "id=INT64",
            ]
            .map(String::from)
            .to_vec()
        });
        let ids = values(s3, &store, "keyed", "id");
        let distinct: BTreeSet<_> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len(), "duplicate keys in {store}");
        assert_eq!(ids.len(), 120, "{store}");
    }
}

#[test]
fn serve_works_over_an_s3_root() {
    let s3 = s3();
    let root = s3.store("serve");
    let mut c = s3.lakefeed(&root);
    c.args(["serve", "--listen", "127.0.0.1:0", "--jwt-secret"])
        .arg(crate::common::serve::SECRET)
        .stdout(Stdio::piped());
    let mut child = c.spawn().expect("serve");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().expect("stdout")),
        &mut line,
    )
    .expect("address");
    let url = line.trim().trim_start_matches("listening on ").to_string();
    let token = crate::common::serve::token("org1", serde_json::json!({}));
    let client = lakefeed::Client::managed(&token, "default", Some(&url)).expect("client");
    let data = serde_json::json!({"id": [1, 2, 3], "text": ["a", "b", "c"]});
    let r = client
        .ingest(
            "t",
            lakefeed::IngestData::from_dict(data).unwrap(),
            &Default::default(),
        )
        .expect("ingest through serve");
    assert_eq!(r.row_count, 3);
    let q = client
        .query("SELECT count(*) AS n FROM t", &[])
        .expect("query");
    assert_eq!(q.rows().unwrap()[0][0], 3);
    assert_eq!(client.list_tables().unwrap(), ["t"]);
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let _ = child.wait();
    // The table lives under {root}/{org}/{workspace} in the bucket: readable directly.
    assert_eq!(count(s3, &format!("{root}/org1/default"), "t"), 3);
}
