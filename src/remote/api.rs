//! The HTTP side of the managed service: the seed's headers, the org id from the token's `OrgID`/`org_id`
//! claim or else `GET /me`, errors as the wire contract maps them ([`crate::wire::error_from_answer`]), and
//! retries with exponential back-off and jitter on 429/502/503/504 and broken connections. Async;
//! [`crate::ManagedClient`] and [`super::RemoteStore`] share it.

use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use lakefeed_core::{Error, Result};
use serde_json::Value;

use crate::retry::Backoff;
use crate::wire::messages::{Health, Me};
use crate::wire::routes::{self, Endpoint, Method};

/// The seed's default service.
pub const DEFAULT_API_URL: &str = "https://api.deeplake.ai";

/// Attempts at one request while the failure is retryable.
const ATTEMPTS: u32 = Backoff::REQUESTS.attempts;

/// The limit of a request whose answer is read whole, unless the call gives its own.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// What a request carries.
#[derive(Debug, Clone)]
pub(crate) enum Payload {
    /// Nothing.
    Empty,
    /// A JSON body.
    Json(Value),
    /// An Arrow IPC stream.
    Arrow(Bytes),
}

/// One workspace of a service, authenticated.
#[derive(Debug, Clone)]
pub(crate) struct Api {
    url: String,
    workspace: String,
    token: String,
    org_id: String,
    /// For requests read whole (each with its own timeout).
    http: reqwest::Client,
    /// For streamed responses (a read timeout, no overall one).
    http_stream: reqwest::Client,
}

impl Api {
    /// Connects to `workspace` at `api_url` (default: the seed's service); the org id comes from the token's
    /// claims, or else from `GET /me`.
    pub async fn connect(token: &str, workspace: &str, api_url: Option<&str>) -> Result<Self> {
        if token.trim().is_empty() {
            return Err(Error::Auth(
                "Token required: pass a token or set DEEPLAKE_API_KEY".into(),
            ));
        }
        // A request read whole gets its own time limit (a query's may be long, and the server sends nothing
        // until it is done). A streamed scan may rightly last hours: it has no overall limit, but a read that
        // waits five minutes fails.
        let client = |stream: bool| {
            let b = reqwest::Client::builder().connect_timeout(Duration::from_secs(10));
            let b = if stream {
                b.read_timeout(REQUEST_TIMEOUT)
            } else {
                b
            };
            b.build()
                .map_err(|e| Error::Other(format!("cannot make an HTTP client: {e}")))
        };
        let (http, http_stream) = (client(false)?, client(true)?);
        let mut api = Self {
            url: api_url
                .unwrap_or(DEFAULT_API_URL)
                .trim_end_matches('/')
                .to_string(),
            workspace: workspace.to_string(),
            token: token.trim().to_string(),
            org_id: String::new(),
            http,
            http_stream,
        };
        api.org_id = match org_claim(&api.token)? {
            Some(org) => org,
            None => api.org_from_me().await?,
        };
        Ok(api)
    }

    /// The org id in use.
    pub fn org_id(&self) -> &str {
        &self.org_id
    }

    /// The workspace in use.
    pub fn workspace(&self) -> &str {
        &self.workspace
    }

    /// The path of `endpoint` in this workspace, for `table` (ignored by endpoints without one).
    pub fn path(&self, endpoint: Endpoint, table: &str) -> String {
        endpoint.path(&self.workspace, table)
    }

    async fn org_from_me(&self) -> Result<String> {
        let me: Me = self
            .answer(routes::ME, routes::ME.pattern, Payload::Empty, Call::SAFE)
            .await?;
        me.organizations
            .first()
            .map(|o| o.as_str().map_or_else(|| o.to_string(), str::to_string))
            .ok_or_else(|| Error::Token("Token does not contain org_id claim".into()))
    }

    /// The features the server lists in `/health` (none when it lists none or does not answer).
    pub async fn features(&self) -> Vec<String> {
        let health = self
            .http
            .get(format!("{}{}", self.url, routes::HEALTH.pattern))
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        let Ok(resp) = health else { return Vec::new() };
        resp.json::<Health>()
            .await
            .map(|h| h.features)
            .unwrap_or_default()
    }

    /// A request to `endpoint` at `path` answered with JSON of shape `T`.
    pub async fn answer<T: serde::de::DeserializeOwned>(
        &self,
        endpoint: Endpoint,
        path: &str,
        payload: Payload,
        call: Call,
    ) -> Result<T> {
        let value = self.json(endpoint, path, payload, call).await?;
        serde_json::from_value(value).map_err(|e| Error::Http {
            status: 200,
            message: format!("{path}: the service's answer is not of the expected shape: {e}"),
        })
    }

    /// A request to `endpoint` at `path` answered with JSON (`null` for an empty body).
    pub async fn json(
        &self,
        endpoint: Endpoint,
        path: &str,
        payload: Payload,
        call: Call,
    ) -> Result<Value> {
        let bytes = self.bytes(endpoint, path, payload, call).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes).map_err(|e| Error::Http {
            status: 200,
            message: format!(
                "{path}: the service's answer is not JSON ({e}): {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
            ),
        })
    }

    /// A request to `endpoint` at `path` answered with bytes read whole, retried as [`Call`] says.
    pub async fn bytes(
        &self,
        endpoint: Endpoint,
        path: &str,
        payload: Payload,
        call: Call,
    ) -> Result<Bytes> {
        let idempotent = call.idempotent || endpoint.method.is_idempotent();
        let timeout = call.timeout.unwrap_or(REQUEST_TIMEOUT);
        self.retrying(path, idempotent, || async {
            let resp = self
                .once(endpoint.method, path, payload.clone(), Some(timeout))
                .await?;
            resp.bytes()
                .await
                .map_err(|e| Failed::maybe_applied(network(e)))
        })
        .await
    }

    /// A GET whose successful response is returned unread (for streamed bodies); only sending it is retried.
    pub async fn stream(&self, path: &str) -> Result<reqwest::Response> {
        self.retrying(path, true, || {
            self.once(Method::Get, path, Payload::Empty, None)
        })
        .await
    }

    /// Runs `f` until it succeeds, fails for good, or runs out of attempts. A failure is tried again when it
    /// is retryable and either the request is idempotent or it surely had no effect.
    async fn retrying<T, F, Fut>(&self, path: &str, idempotent: bool, mut f: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = std::result::Result<T, Failed>>,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match f().await {
                Ok(v) => return Ok(v),
                Err(Failed { error, unapplied })
                    if error.is_retryable() && (idempotent || unapplied) && attempt < ATTEMPTS =>
                {
                    tracing::debug!(path, attempt, error = %error, "retrying");
                    tokio::time::sleep(Backoff::REQUESTS.delay(attempt)).await;
                }
                // A write the server may have applied must not be sent again by anyone: not retryable.
                Err(Failed {
                    error,
                    unapplied: false,
                }) if error.is_retryable() && !idempotent => {
                    return Err(Error::Ingest(format!(
                        "{path}: the service may have applied this write before the failure, so it is not \
                         sent again (that could write rows twice); check the table: {}",
                        error.chain()
                    )));
                }
                Err(f) => return Err(f.error),
            }
        }
    }

    /// One request with the seed's headers; a status of 400 or more is the mapped error.
    async fn once(
        &self,
        method: Method,
        path: &str,
        payload: Payload,
        timeout: Option<Duration>,
    ) -> std::result::Result<reqwest::Response, Failed> {
        let http = if timeout.is_some() {
            &self.http
        } else {
            &self.http_stream
        };
        let method = reqwest::Method::from_bytes(method.as_str().as_bytes())
            .map_err(|e| Failed::maybe_applied(Error::Other(e.to_string())))?;
        let mut req = http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .header("X-Deeplake-Client", "lakefeed");
        if !self.org_id.is_empty() {
            req = req.header("X-Activeloop-Org-Id", &self.org_id);
        }
        req = match payload {
            Payload::Empty => req,
            Payload::Json(b) => req.json(&b),
            Payload::Arrow(b) => req
                .header(
                    reqwest::header::CONTENT_TYPE,
                    crate::wire::ipc::CONTENT_TYPE,
                )
                .body(b),
        };
        if let Some(t) = timeout {
            req = req.timeout(t);
        }
        let resp = req.send().await.map_err(|e| Failed {
            // No connection was made: the server never saw the request.
            unapplied: e.is_connect(),
            error: network(e),
        })?;
        let status = resp.status().as_u16();
        if status < 400 {
            return Ok(resp);
        }
        let text = resp
            .text()
            .await
            .map_err(|e| Failed::maybe_applied(network(e)))?;
        Err(Failed {
            // 429 and 503 say the request was not taken (lakefeed serve answers 503 to a lost commit race).
            unapplied: status == 429 || status == 503,
            error: crate::wire::error_from_answer(status, path, &text),
        })
    }
}

/// How a request may be retried, and its time limit.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Call {
    /// The request's time limit (default five minutes).
    pub timeout: Option<Duration>,
    /// Sending it twice does what sending it once does (a read, a keyed write), so it is retried after any
    /// retryable failure. Otherwise it is retried only when it surely had no effect: 429, 503, no connection.
    /// GET and DELETE are always idempotent.
    pub idempotent: bool,
}

impl Call {
    /// An idempotent request with the default time limit.
    pub const SAFE: Self = Self {
        timeout: None,
        idempotent: true,
    };
}

/// A failed attempt, and whether the server surely did not act on it.
struct Failed {
    error: Error,
    unapplied: bool,
}

impl Failed {
    fn maybe_applied(error: Error) -> Self {
        Self {
            error,
            unapplied: false,
        }
    }
}

fn network(e: reqwest::Error) -> Error {
    Error::Network(e.to_string())
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
