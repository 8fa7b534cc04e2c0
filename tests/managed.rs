//! The managed-service client (`ManagedClient`) against a real `lakefeed serve` on loopback: every endpoint, the
//! error classes, the `/me` fallback and retries on 5xx (against a loopback server that fails twice first).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use lakefeed::{ErrorClass, ManagedClient};
use serde_json::json;

use crate::common::tmp;
use crate::server::{Server, seed_docs, token};

#[test]
fn the_rust_client_speaks_the_seeds_api_to_lakefeed_serve() {
    let d = tmp();
    let root = d.path().join("root");
    seed_docs(&root, "org1", "ws");
    let server = Server::start(&root, &[]);
    let c = ManagedClient::new(&token("org1", json!({})), "ws", Some(&server.url)).unwrap();
    assert_eq!(c.org_id(), "org1");
    assert_eq!(c.list_tables().unwrap(), ["docs"]);
    let rows = c
        .query("SELECT k, v FROM docs WHERE v > $1 ORDER BY k", &[json!(1)])
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["k"], "b");
    assert_eq!(rows[1]["k"], "c");
    c.create_table(
        "made",
        &[("n".into(), "BIGINT".into()), ("k".into(), "TEXT".into())],
    )
    .unwrap();
    let e = c.create_table("made", &[]).unwrap_err();
    assert_eq!(e.class(), ErrorClass::Table, "409 is a TableError: {e}");
    c.create_index("docs", "k").unwrap();
    c.drop_table("made", false).unwrap();
    c.drop_table("made", true).unwrap();
    let e = c.drop_table("made", false).unwrap_err();
    assert!(e.is_not_found(), "{e}");
    // Bad SQL is a QueryError through a service as locally (lakefeed serve names the class in its answer).
    let e = c.query("SELEC 1", &[]).unwrap_err();
    assert_eq!(e.class(), ErrorClass::Query, "{e}");
    assert!(!e.is_retryable());
    // 401 and 403 are AuthErrors.
    let expired = ManagedClient::new(
        &token("org1", json!({"exp": 1_000_000_000u64})),
        "ws",
        Some(&server.url),
    )
    .unwrap();
    assert_eq!(expired.list_tables().unwrap_err().class(), ErrorClass::Auth);
    let elsewhere = ManagedClient::new(
        &token("org1", json!({"workspaces": ["other"]})),
        "ws",
        Some(&server.url),
    )
    .unwrap();
    assert_eq!(
        elsewhere.list_tables().unwrap_err().class(),
        ErrorClass::Auth
    );
    // Not a JWT: a TokenError before any request.
    assert_eq!(
        ManagedClient::new("nope", "ws", Some(&server.url))
            .unwrap_err()
            .class(),
        ErrorClass::Token
    );
}

#[test]
fn the_org_comes_from_me_and_5xx_are_retried() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let queries = Arc::new(AtomicUsize::new(0));
    let (h, q) = (hits.clone(), queries.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            loop {
                let mut l = String::new();
                if reader.read_line(&mut l).unwrap_or(0) == 0 || l == "\r\n" {
                    break;
                }
            }
            let (status, body) = if line.contains("/me") {
                (
                    "200 OK",
                    r#"{"organizations": ["org-from-me"]}"#.to_string(),
                )
            } else if line.contains("/tables/query") {
                q.fetch_add(1, Ordering::SeqCst);
                ("502 Bad Gateway", r#"{"error": "upstream"}"#.to_string())
            } else if h.fetch_add(1, Ordering::SeqCst) < 2 {
                (
                    "503 Service Unavailable",
                    r#"{"error": "warming up"}"#.to_string(),
                )
            } else {
                ("200 OK", r#"{"tables": [{"table_name": "t"}]}"#.to_string())
            };
            let mut s = stream;
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    // A token without an org claim (signature irrelevant to the client): the org comes from GET /me.
    let claims = base64_url(r#"{"sub": "u1", "exp": 9999999999}"#);
    let c = ManagedClient::new(&format!("e30.{claims}.sig"), "ws", Some(&url)).unwrap();
    assert_eq!(c.org_id(), "org-from-me");
    assert_eq!(c.list_tables().unwrap(), ["t"]);
    assert_eq!(
        hits.load(Ordering::SeqCst),
        3,
        "two 503s retried, then success"
    );
    // A 502 may come after the statement ran: a write is not sent again (it could be applied twice), a read is.
    let e = c.query("INSERT INTO t VALUES (1)", &[]).unwrap_err();
    assert!(!e.is_retryable(), "nobody may send it again: {e}");
    assert!(e.to_string().contains("may have applied"), "{e}");
    assert_eq!(
        queries.load(Ordering::SeqCst),
        1,
        "the INSERT was sent once"
    );
    c.query("SELECT 1", &[]).unwrap_err();
    assert_eq!(
        queries.load(Ordering::SeqCst),
        5,
        "the SELECT was tried four times"
    );
}

fn base64_url(s: &str) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let b = s.as_bytes();
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, x| (acc << 8) | u32::from(*x)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[test]
fn the_cli_reaches_a_service_with_api_url() {
    let d = tmp();
    let root = d.path().join("root");
    seed_docs(&root, "org1", "ws");
    let server = Server::start(&root, &[]);
    let t = token("org1", json!({}));
    let cli = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_lakefeed"))
            .args(["--api-url", &server.url, "--workspace", "ws"])
            .args(args)
            .env("DEEPLAKE_API_KEY", &t)
            .env("LAKEFEED_LOG", "warn")
            .output()
            .unwrap()
    };
    assert_eq!(crate::common::ok(cli(&["tables"])), "docs\n");
    let out = crate::common::ok(cli(&[
        "query",
        "SELECT k, v FROM docs WHERE v = $1",
        "--param",
        "2",
        "--output",
        "json",
    ]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v, json!([{"k": "b", "v": 2}]));
    crate::common::ok(cli(&["index", "docs", "k"]));
    crate::common::ok(cli(&["drop", "docs"]));
    assert_eq!(crate::common::ok(cli(&["tables"])), "");
    crate::common::ok(cli(&["drop", "docs", "--if-exists"]));
    let err = crate::common::fails(cli(&["drop", "docs"]));
    assert!(
        err.contains("does not exist"),
        "the same error as locally: {err}"
    );
    // Ingest, run and optimize go through the service too.
    let rows = crate::common::write(
        d.path(),
        "rows.jsonl",
        "{\"id\": \"a\", \"n\": 1}\n{\"id\": \"b\", \"n\": 2}\n",
    );
    for _ in 0..2 {
        let rows = rows.display().to_string();
        crate::common::ok(cli(&["ingest", "nums", "--rows", &rows, "--key", "id"]));
    }
    let manifest = crate::common::write(
        d.path(),
        "m.yaml",
        &format!(
            "version: 1\ntables:\n  - name: more\n    format: rows\n    options:\n      path: {}\n",
            rows.display()
        ),
    );
    crate::common::ok(cli(&["run", &manifest.display().to_string()]));
    crate::common::ok(cli(&["optimize", "nums"]));
    assert_eq!(crate::common::ok(cli(&["tables"])), "more\nnums\n");
    let out = crate::common::ok(cli(&[
        "query",
        "SELECT sum(n) AS s FROM nums",
        "--output",
        "json",
    ]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v, json!([{"s": 3}]));
    let err = crate::common::fails(cli(&["serve"]));
    assert!(err.contains("drop --api-url"), "{err}");
}
