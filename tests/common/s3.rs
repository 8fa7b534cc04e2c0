//! A real S3-compatible server on loopback for the object-storage tests: moto's server (`moto[server]`, installed
//! by scripts/setup.sh into the tools venv), chosen because it honours conditional PUTs (`If-None-Match: *`),
//! which Lance's commits on S3 rely on. Started once per test binary, on a free port, with one bucket; killed by
//! the kernel when the test process exits (its parent thread never ends). Each test takes its own prefix.

use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The bucket every test writes under.
pub const BUCKET: &str = "lakefeed-test";

/// The running server.
#[derive(Debug)]
pub struct S3 {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

/// The server, started on first use.
pub fn s3() -> &'static S3 {
    static SERVER: OnceLock<S3> = OnceLock::new();
    SERVER.get_or_init(start)
}

fn venv_bin(name: &str) -> PathBuf {
    crate::common::python()
        .parent()
        .map(|d| d.join(name))
        .unwrap_or_else(|| PathBuf::from(name))
}

fn start() -> S3 {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let (tx, rx) = std::sync::mpsc::channel();
    // The server's parent thread lives as long as the process, so PR_SET_PDEATHSIG fires only at exit.
    std::thread::spawn(move || {
        let mut cmd = Command::new(venv_bin("moto_server"));
        cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: prctl is async-signal-safe; it only asks the kernel to kill the child when this thread exits.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = cmd.spawn().expect("moto_server (run scripts/setup.sh)");
        tx.send(()).ok();
        let _ = child.wait();
        loop {
            std::thread::park();
        }
    });
    rx.recv().expect("moto_server started");
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto_server did not listen");
        std::thread::sleep(Duration::from_millis(100));
    }
    let s3 = S3 {
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    let made = Command::new(crate::common::python())
        .args([
            "-c",
            "import sys, boto3; boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', \
             aws_access_key_id='testing', aws_secret_access_key='testing').create_bucket(Bucket=sys.argv[2])",
            &s3.endpoint,
            BUCKET,
        ])
        .status()
        .expect("python with boto3");
    assert!(made.success(), "could not create the test bucket");
    s3
}

impl S3 {
    /// The environment a lakefeed process reaches the server with (the usual AWS_* variables).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ALLOW_HTTP", "true".into()),
        ]
    }

    /// The same as storage options, for the Rust API.
    pub fn options(&self) -> lakefeed::StorageOptions {
        [
            ("aws_endpoint", self.endpoint.as_str()),
            ("aws_access_key_id", "testing"),
            ("aws_secret_access_key", "testing"),
            ("aws_region", "us-east-1"),
            ("allow_http", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    /// A fresh store URI for one test: `s3://lakefeed-test/{name}-{random}`.
    pub fn store(&self, name: &str) -> String {
        format!("s3://{BUCKET}/{name}-{}", uuid::Uuid::new_v4().simple())
    }

    /// A `lakefeed` command over `store` with the server's environment.
    pub fn lakefeed(&self, store: &str) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_lakefeed"));
        c.arg("--store")
            .arg(store)
            .env_remove("LAKEFEED_STORE")
            .env("LAKEFEED_LOG", "warn")
            .envs(self.env());
        c
    }
}
