//! `huggingface`: both local layouts of the fixtures, and Hub ids over HTTP against a real server on
//! loopback that serves the fixture shards at the Hub's URL layout (listing API, tree, resolve).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use lakefeed::{Client, IngestData, IngestOptions};

use crate::common::{count, fails, fixtures, lakefeed, ok, tmp};

fn hf(name: &str) -> PathBuf {
    fixtures().join("huggingface").join(name)
}

/// Ingests `huggingface` with `opts` into `table`.
fn ingest(store: &Path, table: &str, opts: &[String]) -> Output {
    let mut args = vec![
        "ingest".to_string(),
        table.into(),
        "--format".into(),
        "huggingface".into(),
    ];
    for o in opts {
        args.push("--opt".into());
        args.push(o.clone());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    lakefeed(store, &args)
}

/// `(file_name, a digest of the image bytes)` of every row, sorted.
fn images(store: &Path, table: &str) -> Vec<(String, String)> {
    let client = Client::local(store).unwrap();
    let r = client
        .query(
            &format!("SELECT file_name, image FROM {table} ORDER BY file_name"),
            &[],
        )
        .unwrap();
    r.records()
        .unwrap()
        .iter()
        .map(|row| {
            let bytes = crate::common::bytea(&row["image"]);
            (
                row["file_name"].as_str().unwrap().to_string(),
                format!("{:x}", digest(&bytes)),
            )
        })
        .collect()
}

/// 128 bits of the bytes' BLAKE3 (only equality matters).
fn digest(bytes: &[u8]) -> u128 {
    let h = blake3::hash(bytes);
    u128::from_le_bytes(h.as_bytes()[..16].try_into().unwrap())
}

/// The same digest of each image's bytes in the parquet shards, read with pyarrow.
fn source_images() -> Vec<(String, String)> {
    let script = r#"
import glob, json, sys, pyarrow.parquet as pq
rows = []
for f in sorted(glob.glob(sys.argv[1] + "/data/*.parquet")):
    t = pq.read_table(f)
    for name, img in zip(t.column("file_name").to_pylist(), t.column("image").to_pylist()):
        rows.append([name, img["bytes"].hex()])
json.dump(sorted(rows), sys.stdout)
"#;
    let out = Command::new(crate::common::python())
        .args(["-c", script])
        .arg(hf("coco_mini_captions_hub_parquet"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<(String, String)> = serde_json::from_slice(&out.stdout).unwrap();
    rows.into_iter()
        .map(|(n, hex)| {
            let bytes: Vec<u8> = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            (n, format!("{:x}", digest(&bytes)))
        })
        .collect()
}

#[test]
fn both_local_layouts_ingest_with_image_bytes_and_class_names() {
    let d = tmp();
    let store = d.path().join("s");
    let hub = hf("coco_mini_captions_hub_parquet");
    let disk = hf("coco_mini_captions_save_to_disk");
    // The default split is train; `all` reads every split with a `split` column.
    ok(ingest(
        &store,
        "train_only",
        &[format!("name={}", hub.display())],
    ));
    assert_eq!(count(&store, "train_only"), 4);
    let out = ok(ingest(
        &store,
        "hub",
        &[format!("name={}", hub.display()), "split=all".into()],
    ));
    assert!(
        out.contains("hub: 6 rows") && out.contains("thumbnails: 24 rows"),
        "{out}"
    );
    ok(ingest(
        &store,
        "disk",
        &[format!("name={}", disk.display()), "split=all".into()],
    ));
    let client = Client::local(&store).unwrap();
    let per_split = client
        .query(
            "SELECT split, count(*) AS n FROM disk GROUP BY split ORDER BY split",
            &[],
        )
        .unwrap()
        .records()
        .unwrap();
    assert_eq!(per_split[0]["n"], 4);
    assert_eq!(per_split[1]["split"], "validation");
    assert_eq!(per_split[1]["n"], 2);

    // IMAGE bytes are the source bytes, in both layouts.
    let want = source_images();
    assert_eq!(want.len(), 6);
    assert_eq!(images(&store, "hub"), want);
    assert_eq!(images(&store, "disk"), want);

    // ClassLabel: CLASS_LABEL with its names in the field metadata; captions (a list of strings) as JSON.
    let schema = client.store().table_schema("disk").unwrap().unwrap();
    let format = schema.field_with_name("format").unwrap();
    assert_eq!(format.metadata()["lakefeed:type"], "CLASS_LABEL");
    assert_eq!(format.metadata()["class_names"], r#"["jpg"]"#);
    assert_eq!(
        schema.field_with_name("image").unwrap().metadata()["lakefeed:type"],
        "IMAGE"
    );
    let caps = client
        .query("SELECT captions FROM disk WHERE image_id = 790", &[])
        .unwrap()
        .records()
        .unwrap();
    let caps: Vec<String> = serde_json::from_str(caps[0]["captions"].as_str().unwrap()).unwrap();
    assert_eq!(caps.len(), 5);

    // A real third-party save_to_disk dataset; dotted features become plain column names.
    ok(ingest(
        &store,
        "tape",
        &[format!(
            "name={}",
            hf("pick_place_tape_save_to_disk").display()
        )],
    ));
    assert_eq!(count(&store, "tape"), 14954);
    let row = client
        .query(
            "SELECT observation_state, episode_index FROM tape WHERE index = 100",
            &[],
        )
        .unwrap()
        .records()
        .unwrap();
    assert!(
        row[0]["observation_state"]
            .as_array()
            .is_some_and(|v| !v.is_empty())
    );

    // Options: columns, max_rows; mistakes say what there is.
    ok(ingest(
        &store,
        "few",
        &[
            format!("name={}", hub.display()),
            "split=all".into(),
            "max_rows=5".into(),
            r#"columns=["file_name"]"#.into(),
        ],
    ));
    assert_eq!(count(&store, "few"), 5);
    let cols = client.store().table_schema("few").unwrap().unwrap();
    let names: Vec<&str> = cols.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["id", "split", "file_name"]);
    let err = fails(ingest(
        &store,
        "x",
        &[format!("name={}", hub.display()), "split=valdation".into()],
    ));
    assert!(err.contains("did you mean 'validation'"), "{err}");
    let err = fails(ingest(
        &store,
        "x",
        &[
            format!("name={}", hub.display()),
            r#"columns=["imag"]"#.into(),
        ],
    ));
    assert!(err.contains("did you mean 'image'"), "{err}");

    // The seed's data form.
    let data =
        IngestData::from_dict(serde_json::json!({"_huggingface": disk.display().to_string()}))
            .unwrap();
    let r = client
        .ingest("seed_form", data, &IngestOptions::default())
        .unwrap();
    assert_eq!(r.row_count, 4);
    let e = IngestData::from_dict(serde_json::json!({"_huggingface": 3})).unwrap_err();
    assert!(
        e.to_string()
            .contains("_huggingface value must be a string, got int"),
        "{e}"
    );

    // Re-running writes nothing new.
    let again = ok(ingest(
        &store,
        "hub",
        &[format!("name={}", hub.display()), "split=all".into()],
    ));
    assert!(again.contains("already present: 2 inputs"), "{again}");
    assert_eq!(count(&store, "hub"), 6);
}

/// A loopback server with the Hub's URL layout for one dataset, `lakefeed/coco-mini`.
struct FakeHub {
    port: u16,
    /// Requests per path.
    hits: Arc<Mutex<HashMap<String, usize>>>,
    /// Paths whose next response is cut off half-way (after a full Content-Length header).
    cut: Arc<Mutex<Vec<String>>>,
}

const TOKEN: &str = "hf_test_token";

impl FakeHub {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(Mutex::new(HashMap::new()));
        let cut = Arc::new(Mutex::new(Vec::new()));
        let (h, c) = (hits.clone(), cut.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (h, c) = (h.clone(), c.clone());
                std::thread::spawn(move || serve(stream, port, &h, &c));
            }
        });
        Self { port, hits, cut }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

const SHARD: &str = "/api/datasets/lakefeed/coco-mini/parquet/default";

fn route(path: &str, port: u16) -> Option<(&'static str, Vec<u8>)> {
    let hub = hf("coco_mini_captions_hub_parquet");
    let base = format!("http://127.0.0.1:{port}");
    let file = |p: &str| std::fs::read(hub.join(p)).ok();
    match path {
        "/api/datasets/lakefeed/coco-mini/parquet" => {
            let listing = serde_json::json!({"default": {
                "train": [format!("{base}{SHARD}/train/0.parquet")],
                "validation": [format!("{base}{SHARD}/validation/0.parquet")],
            }});
            Some(("application/json", listing.to_string().into_bytes()))
        }
        p if p == format!("{SHARD}/train/0.parquet") => Some((
            "application/octet-stream",
            file("data/train-00000-of-00001.parquet")?,
        )),
        p if p == format!("{SHARD}/validation/0.parquet") => Some((
            "application/octet-stream",
            file("data/validation-00000-of-00001.parquet")?,
        )),
        "/api/datasets/lakefeed/coco-mini/tree/v1?recursive=true" => {
            let tree = serde_json::json!([
                {"type": "directory", "path": "data"},
                {"type": "file", "path": "README.md"},
                {"type": "file", "path": "data/train-00000-of-00001.parquet"},
                {"type": "file", "path": "data/validation-00000-of-00001.parquet"},
            ]);
            Some(("application/json", tree.to_string().into_bytes()))
        }
        p => {
            let rest = p.strip_prefix("/datasets/lakefeed/coco-mini/resolve/v1/")?;
            Some(("application/octet-stream", file(rest)?))
        }
    }
}

fn serve(
    mut stream: TcpStream,
    port: u16,
    hits: &Mutex<HashMap<String, usize>>,
    cut: &Mutex<Vec<String>>,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut auth = None;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':')
            && k.eq_ignore_ascii_case("authorization")
        {
            auth = Some(v.trim().to_string());
        }
    }
    *hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    let respond = |stream: &mut TcpStream, status: &str, kind: &str, body: &[u8], send: usize| {
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(&body[..send]);
        let _ = stream.flush();
    };
    if auth.as_deref() != Some(&format!("Bearer {TOKEN}")) {
        let body = br#"{"error":"Invalid credentials in Authorization header"}"#;
        respond(
            &mut stream,
            "401 Unauthorized",
            "application/json",
            body,
            body.len(),
        );
        return;
    }
    match route(&path, port) {
        Some((kind, body)) => {
            let mut cut = cut.lock().unwrap();
            let send = match cut.iter().position(|p| *p == path) {
                Some(i) => {
                    cut.remove(i);
                    body.len() / 2
                }
                None => body.len(),
            };
            respond(&mut stream, "200 OK", kind, &body, send);
        }
        None => respond(
            &mut stream,
            "404 Not Found",
            "application/json",
            br#"{"error":"not found"}"#,
            21,
        ),
    }
    let _ = stream.shutdown(std::net::Shutdown::Both);
    let mut rest = Vec::new();
    let _ = reader.read_to_end(&mut rest);
}

/// Runs `lakefeed ingest T --format huggingface --opt name=lakefeed/coco-mini …` against the fake Hub.
fn hub_ingest(
    store: &Path,
    home: &Path,
    hub: &str,
    token: &str,
    offline: bool,
    opts: &[&str],
) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lakefeed"));
    cmd.arg("--store").arg(store);
    cmd.args([
        "ingest",
        "t",
        "--format",
        "huggingface",
        "--opt",
        "name=lakefeed/coco-mini",
    ]);
    for o in opts {
        cmd.args(["--opt", o]);
    }
    cmd.env("HF_ENDPOINT", hub)
        .env("HF_HOME", home)
        .env("HF_TOKEN", token);
    cmd.env("LAKEFEED_LOG", "warn").env_remove("LAKEFEED_STORE");
    if offline {
        cmd.env("HF_HUB_OFFLINE", "1");
    } else {
        cmd.env_remove("HF_HUB_OFFLINE");
    }
    cmd.output().unwrap()
}

/// The files under `dir`, relative, sorted.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = glob::glob(&format!("{}/**/*", dir.display()))
        .unwrap()
        .flatten()
        .filter(|p| p.is_file())
        .map(|p| p.strip_prefix(dir).unwrap().display().to_string())
        .collect();
    out.sort();
    out
}

#[test]
fn hub_ids_download_over_http_cache_and_work_offline() {
    let hub = FakeHub::start();
    let endpoint = hub.endpoint();
    let d = tmp();
    let home = d.path().join("hf-home");
    let store = d.path().join("s");

    // A wrong token: the server's 401 becomes an AuthError that says what to do.
    let err = fails(hub_ingest(&store, &home, &endpoint, "wrong", false, &[]));
    assert!(
        err.contains("AuthError") && err.contains("HF_TOKEN"),
        "{err}"
    );

    // A download cut off half-way fails and leaves nothing in the cache but the listing.
    let train = format!("{SHARD}/train/0.parquet");
    hub.cut.lock().unwrap().push(train.clone());
    let err = fails(hub_ingest(&store, &home, &endpoint, TOKEN, false, &[]));
    assert!(err.contains("interrupted"), "{err}");
    let cached = files_under(&home);
    assert!(
        cached.iter().all(|f| f.ends_with("lakefeed-listing.json")),
        "{cached:?}"
    );

    // Then it works: 4 train rows, and a second run downloads nothing again.
    let out = ok(hub_ingest(&store, &home, &endpoint, TOKEN, false, &[]));
    assert!(out.contains("t: 4 rows"), "{out}");
    assert_eq!(hub.hits(&train), 2);
    let store2 = d.path().join("s2");
    ok(hub_ingest(
        &store2,
        &home,
        &endpoint,
        TOKEN,
        false,
        &["split=all"],
    ));
    assert_eq!(count(&store2, "t"), 6);
    assert_eq!(hub.hits(&train), 2, "the cached shard is not fetched again");

    // Offline: from the cache, without the server being asked; an empty cache says so.
    let before = hub.hits("/api/datasets/lakefeed/coco-mini/parquet");
    let store3 = d.path().join("s3");
    ok(hub_ingest(
        &store3,
        &home,
        &endpoint,
        TOKEN,
        true,
        &["split=all"],
    ));
    assert_eq!(count(&store3, "t"), 6);
    assert_eq!(hub.hits("/api/datasets/lakefeed/coco-mini/parquet"), before);
    let err = fails(hub_ingest(
        &store3,
        &d.path().join("empty"),
        &endpoint,
        TOKEN,
        true,
        &[],
    ));
    assert!(err.contains("HF_HUB_OFFLINE"), "{err}");

    // A revision reads the repository's own files (tree + resolve), with its card.
    let store4 = d.path().join("s4");
    ok(hub_ingest(
        &store4,
        &home,
        &endpoint,
        TOKEN,
        false,
        &["revision=v1", "split=validation"],
    ));
    assert_eq!(count(&store4, "t"), 2);
    assert_eq!(
        hub.hits("/datasets/lakefeed/coco-mini/resolve/v1/README.md"),
        1
    );
}
