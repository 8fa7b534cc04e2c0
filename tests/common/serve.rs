//! A `lakefeed serve` process on loopback and tokens for it, shared by the tests (`crate::common::serve`) and the
//! service benchmark (`#[path]`-included).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use jsonwebtoken::{EncodingKey, Header, encode};
use serde_json::{Value, json};

/// The HS256 secret the server checks tokens with.
pub const SECRET: &str = "a-test-secret-of-some-length";

/// A `lakefeed serve` process, stopped with SIGTERM when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Server {
    /// Starts a server over the stores under `root`, checking tokens with [`SECRET`], with `extra` arguments.
    pub fn start(root: &Path, extra: &[&str]) -> Self {
        let args: Vec<&str> = ["--jwt-secret", SECRET]
            .into_iter()
            .chain(extra.iter().copied())
            .collect();
        Self::launch(root, &args)
    }

    /// Starts `lakefeed --store root serve --listen 127.0.0.1:0 ARGS…` and waits for its address.
    pub fn launch(root: &Path, args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lakefeed"))
            .arg("--store")
            .arg(root)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .env("LAKEFEED_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .expect("lakefeed serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the server's address");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("no address: {line}"))
            .to_string();
        Self { child, url }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// A token for `org` (the seed's `OrgID` claim), valid for an hour, with any `extra` claims.
pub fn token(org: &str, extra: Value) -> String {
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    let mut claims = json!({"OrgID": org, "exp": exp, "UserID": "tester"});
    if let (Some(c), Some(e)) = (claims.as_object_mut(), extra.as_object()) {
        c.extend(e.clone());
    }
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}
