//! Service benchmark (issue 13): a real `lakefeed serve` on loopback.
//!
//! - Ingest throughput of the FILE fixtures and of the column data (id, text, 384-d embedding) through the
//!   service, by Arrow IPC and by the seed's SQL INSERTs, against the same ingest into the local store.
//! - Streaming the column data back (`open_table(t).batches(n)`, a training loop) from the server and locally.
//! - Query latency p50/p99 under 1, 8 and 32 concurrent clients: lakefeed's Rust client, and the seed's own
//!   Python client (`deeplake.managed`) with the same query against the same server.
//!
//! `cargo bench --profile dev --bench service -- [ROWS] [INSERT_ROWS] [REPEATS] [QUERIES]` (defaults 1000000,
//! 20000, 3, 200): the INSERT path gets its own smaller row count (its SQL text is ~10 bytes a float).

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod common;
#[allow(dead_code)]
#[path = "../tests/common/serve.rs"]
mod serve;

use std::path::Path;
use std::time::Instant;

use lakefeed::arrow::array::RecordBatch;
use lakefeed::{Client, IngestData, IngestOptions, WritePath};
use serde_json::json;

use common::column_data;
use serve::Server;

const QUERY: &str = "SELECT id, text FROM media WHERE text LIKE $1 ORDER BY id LIMIT 10";

fn token() -> String {
    serve::token("bench", json!({}))
}

/// Where rows go in one measurement.
#[derive(Clone, Copy)]
enum Target {
    Local,
    Service(WritePath),
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Self::Local => "local store (embedded Lance)",
            Self::Service(WritePath::Arrow) => "lakefeed serve, Arrow IPC",
            Self::Service(_) => "lakefeed serve, SQL INSERTs (seed's REST API)",
        }
    }

    /// A client on a fresh table space.
    fn client(self, server: &Server, scratch: &Path, n: usize) -> Client {
        match self {
            Self::Local => Client::local(scratch.join(format!("local{n}"))).expect("store"),
            Self::Service(path) => {
                Client::managed_with(&token(), &format!("ws{n}"), Some(&server.url), path)
                    .expect("client")
            }
        }
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median seconds to ingest `data()` into a fresh table space, over `repeats`.
fn ingest_secs(
    target: Target,
    server: &Server,
    scratch: &Path,
    repeats: usize,
    data: &dyn Fn() -> IngestData,
    runs: &mut usize,
) -> (f64, u64, Client) {
    let mut secs = Vec::new();
    let mut rows = 0;
    let mut last = None;
    for _ in 0..repeats {
        *runs += 1;
        let c = target.client(server, scratch, *runs);
        let opts = IngestOptions {
            rows_per_commit: 100_000,
            bytes_per_commit: 512 << 20,
            ..Default::default()
        };
        let t = Instant::now();
        let r = c.ingest("media", data(), &opts).expect("ingest");
        secs.push(t.elapsed().as_secs_f64());
        rows = r.row_count;
        last = Some(c);
    }
    (median(secs), rows, last.expect("one repeat at least"))
}

/// Median seconds to stream every row of `media` in batches of 10,000 (a training loop's read).
fn scan_secs(c: &Client, repeats: usize) -> f64 {
    let secs = (0..repeats)
        .map(|_| {
            let t = Instant::now();
            let rows: usize = c
                .open_table("media")
                .expect("open")
                .batches(10_000)
                .expect("scan")
                .map(|b| b.expect("batch").num_rows())
                .sum();
            assert!(rows > 0);
            t.elapsed().as_secs_f64()
        })
        .collect();
    median(secs)
}

/// p50, p99 (ms) and queries per second with `clients` threads of `n` queries each.
fn latency(server: &Server, ws: &str, clients: usize, n: usize) -> (f64, f64, f64) {
    let start = Instant::now();
    let mut lat: Vec<f64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..clients)
            .map(|_| {
                s.spawn(move || {
                    let c = Client::managed(&token(), ws, Some(&server.url)).expect("client");
                    (0..n)
                        .map(|_| {
                            let t = Instant::now();
                            c.query(QUERY, &[json!("%segment%")]).expect("query");
                            t.elapsed().as_secs_f64() * 1000.0
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("client thread"))
            .collect()
    });
    let wall = start.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);
    let p = |q: f64| lat[((lat.len() as f64 * q) as usize).min(lat.len() - 1)];
    (p(0.5), p(0.99), lat.len() as f64 / wall)
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .filter_map(|a| a.parse().ok())
        .collect();
    let rows = args.first().copied().unwrap_or(1_000_000);
    let insert_rows = args.get(1).copied().unwrap_or(20_000);
    let repeats = args.get(2).copied().unwrap_or(3);
    let queries = args.get(3).copied().unwrap_or(200);
    let scratch = tempfile::tempdir().expect("temp dir");
    let server = Server::start(&scratch.path().join("root"), &["--max-body-mb", "256"]);
    let files = common::fixtures().join("files").display().to_string();
    let targets = [
        Target::Local,
        Target::Service(WritePath::Arrow),
        Target::Service(WritePath::Insert),
    ];
    let mut runs = 0;

    println!("\n### Ingest, FILE fixtures (`../shared/fixtures/files`, median of {repeats})\n");
    println!("| path | rows | s | ratio (time / local) |");
    println!("|---|---|---|---|");
    let mut local = 0.0;
    for t in targets {
        let (s, n, _) = ingest_secs(
            t,
            &server,
            scratch.path(),
            repeats,
            &|| IngestData::files([files.clone()]),
            &mut runs,
        );
        if matches!(t, Target::Local) {
            local = s;
        }
        println!("| {} | {n} | {s:.2} | {:.2} |", t.name(), s / local);
    }

    println!("\n### Ingest, column data (id, text, 384-d f32; median of {repeats})\n");
    println!("| path | rows | s | rows/s | MB/s | ratio (rows/s, local / this) |");
    println!("|---|---|---|---|---|---|");
    let mut local_rate = 0.0;
    let mut scans = Vec::new();
    for t in targets {
        let n = if matches!(t, Target::Service(WritePath::Insert)) {
            insert_rows
        } else {
            rows
        };
        let data: Vec<RecordBatch> = column_data(n);
        let mb = data
            .iter()
            .map(RecordBatch::get_array_memory_size)
            .sum::<usize>() as f64
            / 1e6;
        let (s, written, client) = ingest_secs(
            t,
            &server,
            scratch.path(),
            repeats,
            &|| IngestData::Batches(data.clone()),
            &mut runs,
        );
        assert_eq!(written, n as u64);
        let rate = n as f64 / s;
        if matches!(t, Target::Local) {
            local_rate = rate;
        }
        println!(
            "| {} | {n} | {s:.2} | {rate:.0} | {:.1} | {:.2} |",
            t.name(),
            mb / s,
            local_rate / rate
        );
        eprintln!("{}: {n} rows in {s:.2}s", t.name());
        if !matches!(t, Target::Service(WritePath::Insert)) {
            scans.push((t.name(), n, scan_secs(&client, repeats)));
        }
    }

    println!("\n### Scan, column data (`open_table(t).batches(10_000)`, median of {repeats})\n");
    println!("| path | rows | s | rows/s | ratio (time / local) |");
    println!("|---|---|---|---|---|");
    let local_scan = scans.first().map_or(f64::NAN, |s| s.2);
    for (name, n, s) in &scans {
        println!(
            "| {name} | {n} | {s:.2} | {:.0} | {:.2} |",
            *n as f64 / s,
            s / local_scan
        );
    }

    // Query latency on a small table (the FILE fixtures): the service's own cost, not the scan's.
    let ws = "latency";
    Client::managed(&token(), ws, Some(&server.url))
        .expect("client")
        .ingest(
            "media",
            IngestData::files([files.clone()]),
            &IngestOptions::default(),
        )
        .expect("ingest");
    println!("\n### Query latency (`{QUERY}`, {queries} queries per client)\n");
    println!("| client | concurrent clients | p50 ms | p99 ms | queries/s |");
    println!("|---|---|---|---|---|");
    for clients in [1, 8, 32] {
        let (p50, p99, qps) = latency(&server, ws, clients, queries);
        println!(
            "| lakefeed Client::managed (Rust, Arrow results) | {clients} | {p50:.1} | {p99:.1} | {qps:.0} |"
        );
        let seed = common::baseline(
            "service_seed.py",
            &[
                server.url.clone(),
                token(),
                ws.to_string(),
                QUERY.to_string(),
                "%segment%".to_string(),
                clients.to_string(),
                queries.to_string(),
            ],
        );
        let f = |k: &str| seed[k].as_f64().unwrap_or(f64::NAN);
        println!(
            "| seed's deeplake.managed.Client 4.5.5 (Python, JSON) | {clients} | {:.1} | {:.1} | {:.0} |",
            f("p50_ms"),
            f("p99_ms"),
            f("qps")
        );
    }
}
