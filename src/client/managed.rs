//! A client of the managed service's REST API (the seed's wire contract, §8), for the real service and for
//! `lakefeed serve`: the org id from the token's `OrgID`/`org_id` claim or else `GET /me`, the seed's headers,
//! its endpoints and error mapping (401/403 → AuthError, 404, 409 → TableError, others → ManagedServiceError
//! with the body's `error`), retries with exponential back-off and jitter on 429/502/503/504 and broken
//! connections, and a timeout per request.

use std::time::Duration;

use base64::Engine as _;
use lakefeed_core::{Error, Result};
use serde_json::{Map, Value, json};

use crate::store::block_on;

/// The seed's default service.
pub const DEFAULT_API_URL: &str = "https://api.deeplake.ai";

/// Attempts at one request while the failure is retryable.
const ATTEMPTS: u32 = 4;

/// A blocking client of one workspace of the managed service.
#[derive(Debug, Clone)]
pub struct ManagedClient {
    api_url: String,
    workspace: String,
    token: String,
    org_id: String,
    http: reqwest::Client,
    /// Timeout of a query (`timeout_ms` is sent when it differs from the seed's 60 s).
    pub query_timeout: Duration,
}

impl ManagedClient {
    /// A client for `workspace` at `api_url` (default: the seed's service). The org id comes from the token's
    /// claims, or else from `GET /me`.
    pub fn new(token: &str, workspace: &str, api_url: Option<&str>) -> Result<Self> {
        if token.trim().is_empty() {
            return Err(Error::Auth(
                "Token required: pass a token or set DEEPLAKE_API_KEY".into(),
            ));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| Error::Other(format!("cannot make an HTTP client: {e}")))?;
        let mut client = Self {
            api_url: api_url
                .unwrap_or(DEFAULT_API_URL)
                .trim_end_matches('/')
                .to_string(),
            workspace: workspace.to_string(),
            token: token.trim().to_string(),
            org_id: String::new(),
            http,
            query_timeout: Duration::from_secs(60),
        };
        client.org_id = match org_claim(&client.token)? {
            Some(org) => org,
            None => client.org_from_me()?,
        };
        Ok(client)
    }

    /// From the environment: `DEEPLAKE_API_KEY`, `DEEPLAKE_WORKSPACE` (default `default`), `DEEPLAKE_API_URL`.
    pub fn from_env() -> Result<Self> {
        let token = std::env::var("DEEPLAKE_API_KEY").unwrap_or_default();
        let ws = std::env::var("DEEPLAKE_WORKSPACE").unwrap_or_else(|_| "default".into());
        let url = std::env::var("DEEPLAKE_API_URL").ok();
        Self::new(&token, &ws, url.as_deref())
    }

    /// The org id in use.
    pub fn org_id(&self) -> &str {
        &self.org_id
    }

    fn org_from_me(&self) -> Result<String> {
        let me = self.call(reqwest::Method::GET, "/me", None, None)?;
        me.get("organizations")
            .and_then(Value::as_array)
            .and_then(|o| o.first())
            .map(|o| o.as_str().map_or_else(|| o.to_string(), str::to_string))
            .ok_or_else(|| Error::Token("Token does not contain org_id claim".into()))
    }

    /// Runs SQL with `$1..$n` parameters; rows as column → value maps.
    pub fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Map<String, Value>>> {
        let (columns, rows) = self.query_rows(sql, params)?;
        Ok(rows
            .into_iter()
            .map(|cells| columns.iter().cloned().zip(cells).collect())
            .collect())
    }

    /// Runs SQL with `$1..$n` parameters; the column names in order and the rows as value lists.
    pub fn query_rows(
        &self,
        sql: &str,
        params: &[Value],
    ) -> Result<(Vec<String>, Vec<Vec<Value>>)> {
        let mut body = json!({"query": sql});
        if !params.is_empty() {
            body["params"] = Value::Array(params.to_vec());
        }
        if self.query_timeout != Duration::from_secs(60) {
            body["timeout_ms"] = json!(self.query_timeout.as_millis() as u64);
        }
        let path = format!("/workspaces/{}/tables/query", self.workspace);
        let resp = self.call(
            reqwest::Method::POST,
            &path,
            Some(body),
            Some(self.query_timeout + Duration::from_secs(5)),
        )?;
        let columns: Vec<String> = resp
            .get("columns")
            .and_then(Value::as_array)
            .map(|c| {
                c.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let rows = resp
            .get("rows")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|r| r.as_array().cloned().unwrap_or_default())
            .collect();
        Ok((columns, rows))
    }

    /// The workspace's table names.
    pub fn list_tables(&self) -> Result<Vec<String>> {
        let path = format!("/workspaces/{}/tables", self.workspace);
        let resp = self.call(reqwest::Method::GET, &path, None, None)?;
        Ok(resp
            .get("tables")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|t| {
                t.get("table_name")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .collect())
    }

    /// Creates a table with `schema` (column → SQL type, sent sorted by name as the seed does). An existing
    /// table is a TableError.
    pub fn create_table(&self, table: &str, schema: &[(String, String)]) -> Result<()> {
        let mut cols: Vec<&(String, String)> = schema.iter().collect();
        cols.sort();
        let mut body = json!({"table_name": table});
        if !cols.is_empty() {
            let s: Map<String, Value> = cols.iter().map(|(c, t)| (c.clone(), json!(t))).collect();
            body["table_schema"] = Value::Object(s);
        }
        let path = format!("/workspaces/{}/tables", self.workspace);
        self.call(reqwest::Method::POST, &path, Some(body), None)
            .map(|_| ())
    }

    /// Drops a table; a missing one is fine with `if_exists`.
    pub fn drop_table(&self, table: &str, if_exists: bool) -> Result<()> {
        let path = format!("/workspaces/{}/tables/{table}", self.workspace);
        match self.call(reqwest::Method::DELETE, &path, None, None) {
            Err(e) if if_exists && e.is_not_found() => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// A search index on a column (`CREATE INDEX IF NOT EXISTS … USING deeplake_index`).
    pub fn create_index(&self, table: &str, column: &str) -> Result<()> {
        let q = |s: &str| s.replace('"', "\"\"");
        let sql = format!(
            "CREATE INDEX IF NOT EXISTS \"{}\" ON \"{}\" USING deeplake_index (\"{}\")",
            q(&format!("idx_{table}_{column}")),
            q(table),
            q(column)
        );
        self.query(&sql, &[]).map(|_| ())
    }

    /// One request with the seed's headers, retried with back-off while the failure is retryable.
    fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        timeout: Option<Duration>,
    ) -> Result<Value> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.once(method.clone(), path, body.clone(), timeout) {
                Err(e) if e.is_retryable() && attempt < ATTEMPTS => {
                    tracing::debug!(path, attempt, error = %e, "retrying");
                    std::thread::sleep(back_off(attempt));
                }
                other => return other,
            }
        }
    }

    fn once(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        timeout: Option<Duration>,
    ) -> Result<Value> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.api_url))
            .bearer_auth(&self.token)
            .header("X-Deeplake-Client", "lakefeed");
        if !self.org_id.is_empty() {
            req = req.header("X-Activeloop-Org-Id", &self.org_id);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        if let Some(t) = timeout {
            req = req.timeout(t);
        }
        let path = path.to_string();
        block_on(async move {
            let resp = req
                .send()
                .await
                .map_err(|e| Error::Network(e.to_string()))?;
            let status = resp.status().as_u16();
            let text = resp
                .text()
                .await
                .map_err(|e| Error::Network(e.to_string()))?;
            let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            if status < 400 {
                return Ok(json);
            }
            let message = json
                .get("error")
                .and_then(Value::as_str)
                .map_or_else(|| text.chars().take(300).collect(), str::to_string);
            Err(match status {
                401 => Error::Http {
                    status,
                    message: format!("Unauthorized: invalid or expired token ({message})"),
                },
                403 => Error::Http {
                    status,
                    message: format!("Forbidden: insufficient permissions ({message})"),
                },
                404 => Error::Http {
                    status,
                    message: format!("Not found: {path} ({message})"),
                },
                409 => Error::Table(message),
                _ => Error::Http {
                    status,
                    message: format!("API request failed: HTTP {status}: {message}"),
                },
            })
        })
    }
}

/// Exponential back-off with jitter: 200 ms × 2^(attempt-1) plus up to 100 ms.
fn back_off(attempt: u32) -> Duration {
    let jitter = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() % 100);
    Duration::from_millis(200 * (1 << (attempt - 1).min(6)) + u64::from(jitter))
}

/// The org id in a JWT's payload (`OrgID`, else `org_id`); not verified (the service does that).
fn org_claim(token: &str) -> Result<Option<String>> {
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(Error::Token(
            "Invalid token format: expected JWT with 3 parts".into(),
        ));
    }
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(parts[1].trim_end_matches('='))
        .map_err(|e| Error::Token(format!("Failed to decode token payload: {e}")))?;
    let claims: Value = serde_json::from_slice(&payload)
        .map_err(|e| Error::Token(format!("Failed to decode token payload: {e}")))?;
    Ok(["OrgID", "org_id"]
        .iter()
        .find_map(|k| claims.get(*k).and_then(Value::as_str).map(str::to_string)))
}
