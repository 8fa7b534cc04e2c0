//! Object storage and sharded runs (issue 21), against an S3-compatible server on loopback (moto's, as in the
//! tests), in one run:
//! (a) the 1M-row column data (id, text, 384-d embedding) ingested into S3 and into the local store, and pylance
//!     writing the same rows to the same S3 server (the tool a user would otherwise use);
//! (b) the shared fixtures manifest (`examples/fixtures.yaml`) run into S3 and into the local store;
//! (c) the synthetic LeRobot set (DROID's features) run as N = 1, 2, 4 shard processes at once into S3, then
//!     committed: wall time, each shard's time, the commit's, and the object-store requests each step made
//!     (counted from the server's request log).
//!
//! `cargo bench --profile dev --bench object_store -- [ROWS] [EPISODES] [FRAMES] [RUNS]` (defaults 1000000 500 300 3).

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use lakefeed::{Client, IngestData, IngestOptions, Target};

/// moto's server with its request log in a file.
struct Moto {
    endpoint: String,
    log: PathBuf,
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl Moto {
    fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("requests.log");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("port")
            .port();
        let bin = PathBuf::from(common::python()).with_file_name("moto_server");
        let child = Command::new(bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log"))
            .spawn()
            .expect("moto_server (scripts/setup.sh installs it)");
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let endpoint = format!("http://127.0.0.1:{port}");
        let ok = Command::new(common::python())
            .args([
                "-c",
                "import sys, boto3; boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', \
                 aws_access_key_id='k', aws_secret_access_key='s').create_bucket(Bucket='bench')",
                &endpoint,
            ])
            .status()
            .expect("python");
        assert!(ok.success());
        Self {
            endpoint,
            log,
            child,
            _dir: dir,
        }
    }

    fn env(&self) -> [(&'static str, String); 5] {
        [
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "k".into()),
            ("AWS_SECRET_ACCESS_KEY", "s".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ALLOW_HTTP", "true".into()),
        ]
    }

    fn options(&self) -> lakefeed::StorageOptions {
        self.env()
            .into_iter()
            .map(|(k, v)| (k.trim_start_matches("AWS_").to_lowercase(), v))
            .map(|(k, v)| {
                (
                    if k == "endpoint_url" {
                        "aws_endpoint".into()
                    } else {
                        k
                    },
                    v,
                )
            })
            .collect()
    }

    /// Requests served so far, by method.
    fn requests(&self) -> std::collections::BTreeMap<String, u64> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let mut out = std::collections::BTreeMap::new();
        for line in text.lines() {
            for m in ["\"GET ", "\"PUT ", "\"POST ", "\"HEAD ", "\"DELETE "] {
                if line.contains(m) {
                    *out.entry(m.trim_matches(['"', ' ']).to_string())
                        .or_default() += 1;
                }
            }
        }
        out
    }

    fn total(&self) -> u64 {
        self.requests().values().sum()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn ingest_secs(target: &Target, data: &[lakefeed::arrow::array::RecordBatch]) -> f64 {
    let client = Client::open(target).expect("store");
    let opts = IngestOptions {
        rows_per_commit: 100_000,
        bytes_per_commit: 512 << 20,
        ..Default::default()
    };
    let t = Instant::now();
    client
        .ingest("bench", IngestData::Batches(data.to_vec()), &opts)
        .expect("ingest");
    t.elapsed().as_secs_f64()
}

fn lakefeed(moto: &Moto, store: &str, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lakefeed"));
    c.arg("--store")
        .arg(store)
        .args(args)
        .envs(moto.env())
        .env("LAKEFEED_LOG", "warn");
    c
}

fn timed(mut c: Command) -> f64 {
    let t = Instant::now();
    let o = c.output().expect("lakefeed");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    t.elapsed().as_secs_f64()
}

/// CPU seconds (user + system) used by this process's waited-for children so far.
fn children_cpu() -> f64 {
    // SAFETY: getrusage fills the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut u) };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    t(u.ru_utime) + t(u.ru_stime)
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let rows = args.first().copied().unwrap_or(1_000_000);
    let episodes = args.get(1).copied().unwrap_or(500);
    let frames = args.get(2).copied().unwrap_or(300);
    let runs = args.get(3).copied().unwrap_or(3);
    let moto = Moto::start();
    let mut out = std::io::stdout().lock();

    // (a) Column data (ROWS = 0 leaves it out).
    let data = common::column_data(rows);
    let (mut local, mut s3, mut pylance) = (Vec::new(), Vec::new(), Vec::new());
    for r in 0..runs * usize::from(rows > 0) {
        let dir = tempfile::tempdir().unwrap();
        local.push(ingest_secs(
            &Target::lance(dir.path().to_string_lossy()),
            &data,
        ));
        let target =
            Target::lance(format!("s3://bench/cols{r}")).with_storage_options(moto.options());
        s3.push(ingest_secs(&target, &data));
        let py = common::baseline(
            "s3_pylance.py",
            &[
                rows.to_string(),
                moto.endpoint.clone(),
                format!("s3://bench/pylance{r}"),
            ],
        );
        pylance.push(py["write"].as_f64().expect("seconds"));
    }
    if rows > 0 {
        let (local, s3, pylance) = (median(local), median(s3), median(pylance));
        writeln!(out, "| {rows} rows (id, text, 384-d) | seconds (median of {runs}) | rows/s | vs lakefeed → S3 |").unwrap();
        writeln!(out, "|---|---|---|---|").unwrap();
        for (name, s) in [
            ("lakefeed → local store", local),
            ("lakefeed → S3 (moto)", s3),
            ("pylance write_dataset → S3 (moto)", pylance),
        ] {
            writeln!(
                out,
                "| {name} | {s:.2} | {:.0} | {:.2}× |",
                rows as f64 / s,
                s / s3
            )
            .unwrap();
        }
    }

    // (b) The fixtures manifest.
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/fixtures.yaml");
    let m = manifest.to_str().unwrap();
    let (mut local, mut s3) = (Vec::new(), Vec::new());
    for r in 0..runs {
        let dir = tempfile::tempdir().unwrap();
        local.push(timed(lakefeed(
            &moto,
            &dir.path().to_string_lossy(),
            &["run", m],
        )));
        s3.push(timed(lakefeed(
            &moto,
            &format!("s3://bench/fixtures{r}"),
            &["run", m],
        )));
    }
    let (local, s3) = (median(local), median(s3));
    writeln!(
        out,
        "\n| fixtures manifest | seconds (median of {runs}) | S3 / local |\n|---|---|---|"
    )
    .unwrap();
    writeln!(
        out,
        "| local store | {local:.2} | |\n| S3 (moto) | {s3:.2} | {:.2}× |",
        s3 / local
    )
    .unwrap();

    // (c) Sharded LeRobot runs.
    let dataset = common::lerobot_dataset(episodes, frames);
    let d = tempfile::tempdir().unwrap();
    let manifest = d.path().join("droid.yaml");
    std::fs::write(
        &manifest,
        format!(
            "version: 1\ntables:\n  - name: droid_frames\n    format: lerobot-frames\n    options:\n      dataset_dir: {}\n      chunk_start: 0\n      chunk_end: {}\n",
            dataset.display(),
            episodes.saturating_sub(1) / 1000
        ),
    )
    .unwrap();
    let m = manifest.to_str().unwrap();
    writeln!(
        out,
        "\n| LeRobot {episodes}×{frames} frames | wall s | shard s (each) | CPU s (all shards) | commit s | requests: shards | requests: commit | frames/s |\n|---|---|---|---|---|---|---|---|"
    )
    .unwrap();
    for n in [1u32, 2, 4] {
        let store = format!("s3://bench/droid{n}");
        let before = moto.total();
        let cpu = children_cpu();
        let t = Instant::now();
        let shards: Vec<_> = (0..n)
            .map(|i| {
                let mut c = lakefeed(&moto, &store, &["run", m, "--shard", &format!("{i}/{n}")]);
                c.stdout(Stdio::null()).stderr(Stdio::piped());
                (Instant::now(), c.spawn().expect("shard"))
            })
            .collect();
        let each: Vec<f64> = shards
            .into_iter()
            .map(|(start, c)| {
                let o = c.wait_with_output().expect("shard");
                assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
                start.elapsed().as_secs_f64()
            })
            .collect();
        let cpu = children_cpu() - cpu;
        let mid = moto.total();
        let commit = timed(lakefeed(
            &moto,
            &store,
            &["commit", m, "--shards", &n.to_string()],
        ));
        let wall = t.elapsed().as_secs_f64();
        let each: Vec<String> = each.iter().map(|s| format!("{s:.1}")).collect();
        writeln!(
            out,
            "| N = {n} | {wall:.1} | {} | {cpu:.1} | {commit:.2} | {} | {} | {:.0} |",
            each.join(", "),
            mid - before,
            moto.total() - mid,
            (episodes * frames) as f64 / wall
        )
        .unwrap();
    }
    writeln!(
        out,
        "\nrequests by method over the whole run: {:?}",
        moto.requests()
    )
    .unwrap();
}
