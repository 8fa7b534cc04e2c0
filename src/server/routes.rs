//! The endpoints, their JSON shapes (the seed's wire contract) and the error mapping.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use lakefeed_core::arrow::datatypes::{Field, Schema};
use lakefeed_core::{Error, ErrorClass, QueryResult, validate_table_name};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AppState, Caller, arrow};

pub(super) type Shared = Arc<AppState>;

pub(super) fn router(state: Shared) -> Router {
    let limit = state.config.max_body_bytes;
    Router::new()
        .route("/health", get(health))
        .route("/me", get(me))
        .route("/workspaces", get(workspaces))
        .route(
            "/workspaces/{ws}/tables",
            get(list_tables).post(create_table),
        )
        .route("/workspaces/{ws}/tables/query", post(query))
        .route("/workspaces/{ws}/tables/{table}", delete(drop_table))
        .route(
            "/workspaces/{ws}/tables/{table}/optimize",
            post(arrow::optimize),
        )
        .route(
            "/workspaces/{ws}/tables/{table}/replace",
            post(arrow::replace),
        )
        .route("/workspaces/{ws}/arrow/query", post(arrow::query))
        .route(
            "/workspaces/{ws}/arrow/tables/{table}",
            get(arrow::read)
                .put(arrow::create)
                .post(arrow::write)
                .patch(arrow::add_columns),
        )
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn(log_requests))
        .with_state(state)
}

/// One log line per request, with its id, status and time; the id is also the `x-request-id` header.
async fn log_requests(req: Request, next: Next) -> Response {
    let id = uuid::Uuid::new_v4().to_string();
    let (method, path) = (req.method().clone(), req.uri().path().to_string());
    let started = Instant::now();
    let mut resp = next.run(req).await;
    if let Some(e) = resp.extensions_mut().remove::<ErrorBody>() {
        if resp.status().is_server_error() {
            tracing::error!(request_id = %id, error = %e.message, "request failed");
        }
        let body = json!({"error": e.message, "code": e.code, "request_id": id});
        resp = (resp.status(), Json(body)).into_response();
    }
    let status = resp.status().as_u16();
    tracing::info!(request_id = %id, %method, %path, status, ms = started.elapsed().as_millis() as u64, "request");
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}

/// An error response: the seed's status codes and `{"error", "code"}` body.
pub(super) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    pub(super) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let root = e.root();
        let (status, code) = match root {
            // A commit race the client may simply try again (503 is one the seed's clients retry).
            _ if e.is_retryable() => (StatusCode::SERVICE_UNAVAILABLE, "RETRY"),
            Error::TableNotFound(_) => (StatusCode::NOT_FOUND, "NOT_FOUND"),
            Error::TableExists(_) => (StatusCode::CONFLICT, "ALREADY_EXISTS"),
            _ => match e.class() {
                ErrorClass::Auth | ErrorClass::Token => (StatusCode::UNAUTHORIZED, "UNAUTHORIZED"),
                ErrorClass::Workspace => (StatusCode::FORBIDDEN, "FORBIDDEN"),
                ErrorClass::Query | ErrorClass::Ingest => {
                    (StatusCode::BAD_REQUEST, "INVALID_REQUEST")
                }
                ErrorClass::Table => (StatusCode::BAD_REQUEST, "TABLE_ERROR"),
                _ => (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL"),
            },
        };
        Self::new(status, code, e.chain())
    }
}

/// An error's body parts, left on the response for the middleware to render with the request id.
#[derive(Clone)]
struct ErrorBody {
    code: &'static str,
    message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = self.status.into_response();
        resp.extensions_mut().insert(ErrorBody {
            code: self.code,
            message: self.message,
        });
        resp
    }
}

pub(super) type Answer = Result<Response, ApiError>;

fn caller(state: &AppState, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "UNAUTHORIZED",
                "Token required: send Authorization: Bearer <token>",
            )
        })?;
    Ok(state.config.verifier.verify(token.trim())?)
}

/// The caller, allowed into workspace `ws`.
pub(super) fn caller_in(
    state: &AppState,
    headers: &HeaderMap,
    ws: &str,
) -> Result<Caller, ApiError> {
    let c = caller(state, headers)?;
    if !c.may_use(ws) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            format!("Forbidden: this token cannot use workspace '{ws}'"),
        ));
    }
    Ok(c)
}

/// Runs blocking store work off the async threads.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> lakefeed_core::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                format!("a worker failed: {e}"),
            )
        })?
        .map_err(ApiError::from)
}

/// The request body, or a clear 4xx when it is too large or unreadable.
pub(super) fn raw_body(raw: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    raw.map_err(|r| {
        let status = r.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "TOO_LARGE"
        } else {
            "INVALID_REQUEST"
        };
        ApiError::new(status, code, format!("request body: {}", r.body_text()))
    })
}

/// A JSON body, or a clear 4xx: too large, or not JSON of the expected shape.
pub(super) fn body<T: for<'de> Deserialize<'de>>(
    raw: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    let bytes = raw_body(raw)?;
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            format!("malformed JSON body: {e}"),
        )
    })
}

async fn health() -> Json<Value> {
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "features": [crate::ipc::FEATURE],
    }))
}

async fn me(State(s): State<Shared>, headers: HeaderMap) -> Answer {
    let c = caller(&s, &headers)?;
    Ok(Json(json!({"id": c.user, "organizations": [c.org]})).into_response())
}

async fn workspaces(State(s): State<Shared>, headers: HeaderMap) -> Answer {
    let c = caller(&s, &headers)?;
    validate_table_name(&c.org)
        .map_err(|_| Error::Auth(format!("the token's org id '{}' is not usable", c.org)))?;
    let dir = s.config.root.join(&c.org);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.retain(|n| c.may_use(n));
    names.sort();
    let data: Vec<Value> = names
        .iter()
        .map(|n| json!({"id": n, "org_id": c.org, "name": n}))
        .collect();
    Ok(Json(json!({"data": data})).into_response())
}

async fn list_tables(
    State(s): State<Shared>,
    Path(ws): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let c = caller_in(&s, &headers, &ws)?;
    let st = s.clone();
    let names = blocking(move || st.store(&c, &ws)?.list_tables()).await?;
    let tables: Vec<Value> = names.iter().map(|n| json!({"table_name": n})).collect();
    Ok(Json(json!({"tables": tables})).into_response())
}

#[derive(Deserialize)]
struct CreateTable {
    table_name: String,
    #[serde(default)]
    table_schema: serde_json::Map<String, Value>,
}

/// A column of a create request: its SQL or lakefeed type name → a field.
fn column(name: &str, ty: &Value) -> Result<Field, ApiError> {
    let ty = ty.as_str().ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            format!("column '{name}': the type must be a string"),
        )
    })?;
    crate::sql::sql_field(name, ty)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "INVALID_REQUEST", e.to_string()))
}

async fn create_table(
    State(s): State<Shared>,
    Path(ws): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Answer {
    let c = caller_in(&s, &headers, &ws)?;
    let req: CreateTable = body(raw)?;
    validate_table_name(&req.table_name)?;
    let fields = req
        .table_schema
        .iter()
        .map(|(n, t)| column(n, t))
        .collect::<Result<Vec<_>, _>>()?;
    let st = s.clone();
    blocking(move || {
        let store = st.store(&c, &ws)?;
        if store.table_schema(&req.table_name)?.is_some() {
            return Err(Error::TableExists(req.table_name.clone()));
        }
        store.create_table(&req.table_name, Arc::new(Schema::new(fields)))
    })
    .await?;
    Ok((StatusCode::CREATED, Json(json!({"status": "created"}))).into_response())
}

async fn drop_table(
    State(s): State<Shared>,
    Path((ws, table)): Path<(String, String)>,
    headers: HeaderMap,
) -> Answer {
    let c = caller_in(&s, &headers, &ws)?;
    validate_table_name(&table)?;
    let st = s.clone();
    blocking(move || {
        let store = st.store(&c, &ws)?;
        if store.table_schema(&table)?.is_none() {
            return Err(Error::TableNotFound(table));
        }
        store.drop_table(&table, false)
    })
    .await?;
    Ok(Json(json!({"status": "dropped"})).into_response())
}

/// A query request: the seed's JSON.
#[derive(Deserialize)]
pub(super) struct QueryRequest {
    query: String,
    #[serde(default)]
    params: Vec<Value>,
    #[serde(default)]
    timeout_ms: Option<u64>,
}

/// Runs a query in the caller's workspace within the time and row limits (the store stops a result past
/// `max_result_rows`). At the time limit the query's future is dropped, which stops its work.
pub(super) async fn run_query(
    s: &Shared,
    c: Caller,
    ws: String,
    req: QueryRequest,
) -> Result<QueryResult, ApiError> {
    let limit = s.config.query_timeout;
    let timeout = req
        .timeout_ms
        .map_or(limit, |t| Duration::from_millis(t).min(limit));
    let st = s.clone();
    let store = blocking(move || st.store(&c, &ws)).await?;
    let work = async move { store.inner().query(&req.query, &req.params).await };
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::GATEWAY_TIMEOUT,
                "TIMEOUT",
                format!(
                    "the query ran over {} ms and was stopped",
                    timeout.as_millis()
                ),
            )
        })?
        .map_err(ApiError::from)
}

async fn query(
    State(s): State<Shared>,
    Path(ws): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Answer {
    let c = caller_in(&s, &headers, &ws)?;
    let req: QueryRequest = body(raw)?;
    let result = run_query(&s, c, ws, req).await?;
    let (columns, n) = (result.columns(), result.row_count());
    let rows = result.rows().map_err(ApiError::from)?;
    Ok(Json(json!({"columns": columns, "rows": rows, "row_count": n})).into_response())
}
