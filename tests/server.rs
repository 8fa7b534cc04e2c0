//! `lakefeed serve`: a real server on loopback, driven by the seed's own Python client (`deeplake==4.5.5`,
//! `deeplake.managed.Client`) and by raw HTTP for the error paths.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use jsonwebtoken::{EncodingKey, Header, encode};
use serde_json::{Value, json};

pub use crate::common::serve::{Server, token};
use crate::common::{lakefeed, ok, python, tmp, write};

/// Runs a Python script with `args`; returns its JSON output.
fn py(script: &str, args: &[&str]) -> Value {
    let out = Command::new(python())
        .args(["-c", script])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// A workspace store under `root` with a `docs` table (through the CLI, as a local ingest).
pub fn seed_docs(root: &Path, org: &str, ws: &str) -> PathBuf {
    let store = root.join(org).join(ws);
    let d = tmp();
    let rows = write(
        d.path(),
        "docs.jsonl",
        "{\"k\": \"a\", \"v\": 1, \"text\": \"red apples\"}\n{\"k\": \"b\", \"v\": 2, \"text\": \"green pears\"}\n{\"k\": \"c\", \"v\": 3, \"text\": \"red cherries\"}\n",
    );
    ok(lakefeed(
        &store,
        &["ingest", "docs", "--rows", rows.to_str().unwrap()],
    ));
    store
}

const SEED_CLIENT: &str = r#"
import json, sys
from deeplake.managed import Client
from deeplake.managed.errors import AuthError, TableError, ManagedServiceError
url, token, ws = sys.argv[1:4]
c = Client(token=token, workspace_id=ws, api_url=url)
out = {"org": c.org_id, "tables": c.list_tables()}
out["query"] = c.query("SELECT k, v FROM docs WHERE k = $1", ("b",))
out["injection"] = c.query("SELECT k FROM docs WHERE k = $1", ("b' OR '1'='1",))
out["fluent"] = c.table("docs").select("k", "v").where("v >= $1", 2).order_by("k").limit(5)()
c.create_index("docs", "text")
c.create_index("docs", "text")
out["search"] = c.query("SELECT k FROM docs WHERE text @> $1 ORDER BY k", ("red",))
c.drop_table("docs")
c.drop_table("docs")  # if_exists: a 404 is fine
out["after_drop"] = c.list_tables()
try:
    c.drop_table("docs", if_exists=False)
    out["drop_missing"] = "no error"
except ManagedServiceError as e:
    out["drop_missing"] = type(e).__name__
print(json.dumps(out))
"#;

#[test]
fn the_seeds_python_client_works_against_lakefeed_serve() {
    let d = tmp();
    let root = d.path().join("root");
    seed_docs(&root, "org1", "ws");
    let server = Server::start(&root, &[]);
    let t = token("org1", json!({}));
    let out = py(SEED_CLIENT, &[&server.url, &t, "ws"]);
    assert_eq!(out["org"], "org1");
    assert_eq!(out["tables"], json!(["docs"]));
    assert_eq!(out["query"], json!([{"k": "b", "v": 2}]));
    assert_eq!(
        out["injection"],
        json!([]),
        "parameters are bound, not spliced"
    );
    assert_eq!(
        out["fluent"],
        json!([{"k": "b", "v": 2}, {"k": "c", "v": 3}])
    );
    assert_eq!(out["search"], json!([{"k": "a"}, {"k": "c"}]));
    assert_eq!(out["after_drop"], json!([]));
    assert_eq!(out["drop_missing"], "ManagedServiceError");
}

const RAW: &str = r#"
import json, sys, requests
url, good, other_ws, other_org, expired, forged = sys.argv[1:7]
def call(method, path, token=good, **kw):
    h = {"Authorization": f"Bearer {token}"} if token else {}
    r = requests.request(method, url + path, headers=h, timeout=30, **kw)
    try:
        body = r.json()
    except Exception:
        body = r.text
    return [r.status_code, body, r.headers.get("x-request-id")]
out = {
  "health": call("GET", "/health", token=None),
  "no_token": call("GET", "/workspaces/ws/tables", token=None),
  "expired": call("GET", "/workspaces/ws/tables", token=expired),
  "forged": call("GET", "/workspaces/ws/tables", token=forged),
  "other_ws": call("GET", "/workspaces/ws/tables", token=other_ws),
  "other_ws_query": call("POST", "/workspaces/ws/tables/query", token=other_ws, json={"query": "SELECT * FROM docs"}),
  "other_ws_drop": call("DELETE", "/workspaces/ws/tables/docs", token=other_ws),
  "other_org_list": call("GET", "/workspaces/ws/tables", token=other_org),
  "other_org_query": call("POST", "/workspaces/ws/tables/query", token=other_org, json={"query": "SELECT * FROM docs"}),
  "malformed": call("POST", "/workspaces/ws/tables/query", data=b"{not json"),
  "oversized": call("POST", "/workspaces/ws/tables/query", json={"query": "SELECT 1", "pad": "x" * (2 << 20)}),
  "bad_table": call("POST", "/workspaces/ws/tables", json={"table_name": "docs\"; DROP TABLE docs; --", "table_schema": {}}),
  "bad_ws": call("GET", "/workspaces/..%2Fother/tables"),
  "injection_path": call("DELETE", "/workspaces/ws/tables/docs%22%3B%20DROP"),
  "exists": call("POST", "/workspaces/ws/tables", json={"table_name": "docs", "table_schema": {"k": "TEXT"}}),
  "create": call("POST", "/workspaces/ws/tables", json={"table_name": "made", "table_schema": {"k": "TEXT", "n": "BIGINT", "e": "FLOAT4[]"}}),
  "bad_sql": call("POST", "/workspaces/ws/tables/query", json={"query": "SELEC 1"}),
  "missing_table": call("DELETE", "/workspaces/ws/tables/nope"),
  "me": call("GET", "/me"),
  "after": call("GET", "/workspaces/ws/tables"),
}
print(json.dumps(out))
"#;

#[test]
fn auth_tenancy_and_bad_requests_get_clear_errors_and_write_nothing() {
    let d = tmp();
    let root = d.path().join("root");
    seed_docs(&root, "org1", "ws");
    seed_docs(&root, "org1", "ws2");
    let server = Server::start(&root, &["--max-body-mb", "1"]);
    let good = token("org1", json!({"workspaces": ["ws"]}));
    let other_ws = token("org1", json!({"workspaces": ["ws2"]}));
    let other_org = token("org2", json!({}));
    let expired = token("org1", json!({"exp": 1_000_000_000u64}));
    let mut forged = token("org1", json!({}));
    forged.push('x');
    let out = py(
        RAW,
        &[&server.url, &good, &other_ws, &other_org, &expired, &forged],
    );
    let status = |k: &str| {
        out[k][0]
            .as_u64()
            .unwrap_or_else(|| panic!("{k}: {}", out[k]))
    };
    let error = |k: &str| out[k][1]["error"].as_str().unwrap_or_default().to_string();
    assert_eq!(status("health"), 200);
    assert_eq!(status("no_token"), 401);
    assert_eq!(status("expired"), 401);
    assert!(error("expired").contains("expired"), "{}", out["expired"]);
    assert_eq!(status("forged"), 401);
    for k in ["other_ws", "other_ws_query", "other_ws_drop"] {
        assert_eq!(status(k), 403, "{k}: {}", out[k]);
    }
    // Another org has its own, empty, workspace of the same name.
    assert_eq!(out["other_org_list"][1], json!({"tables": []}));
    assert_eq!(status("other_org_query"), 404, "{}", out["other_org_query"]);
    assert_eq!(status("malformed"), 400);
    assert!(
        error("malformed").contains("malformed JSON"),
        "{}",
        out["malformed"]
    );
    assert_eq!(status("oversized"), 413, "{}", out["oversized"]);
    for k in ["bad_table", "injection_path", "bad_sql"] {
        assert_eq!(status(k), 400, "{k}: {}", out[k]);
    }
    assert!(
        matches!(status("bad_ws"), 400 | 403 | 404),
        "{}",
        out["bad_ws"]
    );
    assert_eq!(status("exists"), 409);
    assert_eq!(status("create"), 201, "{}", out["create"]);
    assert_eq!(status("missing_table"), 404);
    assert!(out["missing_table"][1]["request_id"].is_string());
    assert!(out["me"][2].is_string(), "every response has a request id");
    assert_eq!(out["me"][1]["organizations"], json!(["org1"]));
    // Nothing was written or dropped by the refused requests.
    assert_eq!(
        out["after"][1],
        json!({"tables": [{"table_name": "docs"}, {"table_name": "made"}]})
    );
    assert_eq!(crate::common::count(&root.join("org1/ws"), "docs"), 3);
    assert_eq!(crate::common::count(&root.join("org1/ws2"), "docs"), 3);
}

/// A key pair made with the openssl CLI: (private PKCS#8 PEM, public PEM).
fn key_pair(dir: &Path, kind: &str) -> (Vec<u8>, PathBuf) {
    let private = dir.join(format!("{kind}.key"));
    let public = dir.join(format!("{kind}.pub.pem"));
    let algorithm: &[&str] = if kind == "ec" {
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]
    } else {
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
    };
    let made = Command::new("openssl")
        .arg("genpkey")
        .args(algorithm)
        .arg("-out")
        .arg(&private)
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success();
    assert!(made, "openssl genpkey");
    let exported = Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(&private)
        .arg("-out")
        .arg(&public)
        .status()
        .unwrap()
        .success();
    assert!(exported, "openssl pkey -pubout");
    (std::fs::read(&private).unwrap(), public)
}

#[test]
fn public_key_tokens_rs256_and_es256_are_verified() {
    use jsonwebtoken::Algorithm;
    let d = tmp();
    let root = d.path().join("root");
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    let claims = json!({"OrgID": "org9", "exp": exp});
    for (kind, alg) in [("ec", Algorithm::ES256), ("rsa", Algorithm::RS256)] {
        let (private, public) = key_pair(d.path(), kind);
        let key = if kind == "ec" {
            EncodingKey::from_ec_pem(&private).unwrap()
        } else {
            EncodingKey::from_rsa_pem(&private).unwrap()
        };
        let good = encode(&Header::new(alg), &claims, &key).unwrap();
        let public = public.display().to_string();
        let server = Server::launch(&root, &["--jwt-public-key", &public]);
        let hs = token("org9", json!({}));
        let out = py(
            r#"
import json, sys, requests
url = sys.argv[1]
print(json.dumps([requests.get(url + "/me", headers={"Authorization": "Bearer " + t}, timeout=30).status_code
                  for t in sys.argv[2:]]))
"#,
            &[&server.url, &good, &hs],
        );
        assert_eq!(
            out,
            json!([200, 401]),
            "{kind}: its own token passes, an HS256 one does not"
        );
    }
}
