//! lakefeed's endpoints beyond the seed's (advertised in `/health` as `arrow-ipc`): tables and query results
//! as Arrow IPC streams, batch writes with the pipeline's write modes, added columns, optimize, and the
//! one-commit replace an overwrite ends with. The client uses them when a server lists the feature.

use std::sync::Arc;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lakefeed_core::{Error, QueryResult, ScanSpec, WriteMode, WriteSpec, validate_table_name};
use serde::Deserialize;
use serde_json::json;

use super::routes::{
    Answer, ApiError, QueryRequest, Shared, blocking, body, caller_in, raw_body, run_query,
};
use crate::ipc::{self, CONTENT_TYPE, Encoder};
use crate::store::Store;

/// The caller's store for `ws`, with `table`'s name checked.
async fn store_for(
    s: &Shared,
    headers: &HeaderMap,
    ws: String,
    table: &str,
) -> Result<Store, ApiError> {
    let c = caller_in(s, headers, &ws)?;
    validate_table_name(table)?;
    let st = s.clone();
    blocking(move || st.store(&c, &ws)).await
}

fn arrow_response(bytes: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], bytes).into_response()
}

fn decode(raw: Result<Bytes, BytesRejection>) -> Result<ipc::Decoded, ApiError> {
    let bytes = raw_body(raw)?;
    ipc::decode(&bytes)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "INVALID_REQUEST", e.to_string()))
}

/// `POST /workspaces/{ws}/arrow/query`: the seed's query body; the result as an Arrow IPC stream.
pub(super) async fn query(
    State(s): State<Shared>,
    Path(ws): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Answer {
    let c = caller_in(&s, &headers, &ws)?;
    let req: QueryRequest = body(raw)?;
    let result: QueryResult = run_query(&s, c, ws, req).await?;
    Ok(arrow_response(ipc::encode(
        result.schema(),
        result.batches(),
    )?))
}

/// What a read selects.
#[derive(Debug, Deserialize)]
pub(super) struct ReadParams {
    /// Comma-separated columns (all when absent).
    columns: Option<String>,
    /// A SQL predicate on the table's columns.
    filter: Option<String>,
    #[serde(default)]
    batch_size: usize,
    /// At most this many rows (0: only the schema).
    limit: Option<usize>,
}

fn list(s: Option<&str>) -> Vec<String> {
    s.map(|s| {
        s.split(',')
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect()
    })
    .unwrap_or_default()
}

/// `GET /workspaces/{ws}/arrow/tables/{table}`: the table's rows, streamed a batch at a time.
pub(super) async fn read(
    State(s): State<Shared>,
    Path((ws, table)): Path<(String, String)>,
    Query(p): Query<ReadParams>,
    headers: HeaderMap,
) -> Answer {
    let store = store_for(&s, &headers, ws, &table).await?;
    let columns = p.columns.is_some().then(|| list(p.columns.as_deref()));
    let (st, t, cols) = (store.clone(), table.clone(), columns.clone());
    let schema = blocking(move || {
        let schema = st
            .table_schema(&t)?
            .ok_or_else(|| Error::TableNotFound(t.clone()))?;
        match &cols {
            None => Ok(schema),
            Some(cols) => {
                let idx = cols
                    .iter()
                    .map(|c| {
                        schema
                            .index_of(c)
                            .map_err(|_| Error::Table(format!("table '{t}' has no column '{c}'")))
                    })
                    .collect::<lakefeed_core::Result<Vec<_>>>()?;
                Ok(Arc::new(schema.project(&idx)?))
            }
        }
    })
    .await?;
    let (mut enc, head) = Encoder::new(&schema)?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(2);
    let spec = ScanSpec {
        columns,
        filter: p.filter,
        batch_size: p.batch_size,
    };
    let mut left = p.limit.unwrap_or(usize::MAX);
    tokio::task::spawn_blocking(move || {
        let send = |b: lakefeed_core::Result<Vec<u8>>| {
            let item = b.map(Bytes::from).map_err(std::io::Error::other);
            tx.blocking_send(item).is_ok()
        };
        if !send(Ok(head)) {
            return;
        }
        if left > 0 {
            let batches = match store.scan(&table, spec) {
                Ok(b) => b,
                Err(e) => {
                    send(Err(e));
                    return;
                }
            };
            for b in batches {
                let piece = b.and_then(|b| {
                    let b = b.slice(0, b.num_rows().min(left));
                    left -= b.num_rows();
                    enc.batch(&arrow::array::RecordBatch::try_new(
                        schema.clone(),
                        b.columns().to_vec(),
                    )?)
                });
                let failed = piece.is_err();
                if !send(piece) || failed || left == 0 {
                    break;
                }
            }
        }
        send(enc.finish());
    });
    let stream = futures::stream::unfold(rx, |mut rx| async { rx.recv().await.map(|x| (x, rx)) });
    Ok((
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        Body::from_stream(stream),
    )
        .into_response())
}

/// `PUT /workspaces/{ws}/arrow/tables/{table}`: creates the table with the stream's schema (field metadata,
/// hence lakefeed's types, kept) and appends its batches. 409 when it exists.
pub(super) async fn create(
    State(s): State<Shared>,
    Path((ws, table)): Path<(String, String)>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Answer {
    let store = store_for(&s, &headers, ws, &table).await?;
    let (schema, batches) = decode(raw)?;
    blocking(move || {
        store.create_table(&table, schema)?;
        store.append(&table, batches)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(json!({"status": "created"}))).into_response())
}

/// How a batch write treats rows already present.
#[derive(Debug, Deserialize)]
pub(super) struct WriteParams {
    #[serde(default)]
    mode: WriteMode,
    /// Comma-separated key columns.
    key: Option<String>,
    #[serde(default)]
    unique: bool,
}

/// `POST /workspaces/{ws}/arrow/tables/{table}`: writes the stream's batches in one commit, as the pipeline's
/// writer does (append, keyed append, upsert); `{"inserted", "skipped"}`. An overwrite goes through a staging
/// table and `replace`.
pub(super) async fn write(
    State(s): State<Shared>,
    Path((ws, table)): Path<(String, String)>,
    Query(p): Query<WriteParams>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Answer {
    if p.mode == WriteMode::Overwrite {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "an overwrite is written to a staging table, then committed with POST …/tables/{table}/replace",
        ));
    }
    let store = store_for(&s, &headers, ws, &table).await?;
    let (schema, batches) = decode(raw)?;
    let spec = WriteSpec {
        mode: p.mode,
        key: list(p.key.as_deref()),
        unique: p.unique,
    };
    let written = blocking(move || {
        let mut w = store.writer(&table, schema, spec)?;
        let written = w.write(batches)?;
        w.finish()?;
        Ok(written)
    })
    .await?;
    Ok(Json(json!({"inserted": written.rows, "skipped": written.present})).into_response())
}

/// `PATCH /workspaces/{ws}/arrow/tables/{table}`: adds the stream's (schema-only) columns, all null.
pub(super) async fn add_columns(
    State(s): State<Shared>,
    Path((ws, table)): Path<(String, String)>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Answer {
    let store = store_for(&s, &headers, ws, &table).await?;
    let (schema, _) = decode(raw)?;
    blocking(move || store.add_columns(&table, schema)).await?;
    Ok(Json(json!({"status": "altered"})).into_response())
}

/// `POST /workspaces/{ws}/tables/{table}/optimize`: compaction and index refresh.
pub(super) async fn optimize(
    State(s): State<Shared>,
    Path((ws, table)): Path<(String, String)>,
    headers: HeaderMap,
) -> Answer {
    let store = store_for(&s, &headers, ws, &table).await?;
    blocking(move || store.optimize(&table)).await?;
    Ok(Json(json!({"status": "optimized"})).into_response())
}

#[derive(Debug, Deserialize)]
pub(super) struct Replace {
    /// The staging table whose rows become the table's.
    from: String,
}

/// `POST /workspaces/{ws}/tables/{table}/replace` `{"from": stage}`: the table's rows become the staging
/// table's in one commit (readers see the old rows or the new), streamed batch by batch; the stage is dropped.
pub(super) async fn replace(
    State(s): State<Shared>,
    Path((ws, table)): Path<(String, String)>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Answer {
    let store = store_for(&s, &headers, ws, &table).await?;
    let req: Replace = body(raw)?;
    validate_table_name(&req.from)?;
    blocking(move || {
        let schema = store
            .table_schema(&req.from)?
            .ok_or_else(|| Error::TableNotFound(req.from.clone()))?;
        if store.table_schema(&table)?.is_none() {
            store.create_table(&table, schema.clone())?;
        }
        let spec = WriteSpec {
            mode: WriteMode::Overwrite,
            ..Default::default()
        };
        let mut w = store.writer(&table, schema, spec)?;
        for b in store.scan(&req.from, ScanSpec::default())? {
            w.write(vec![b?])?;
        }
        w.finish()?;
        store.drop_table(&req.from, true)
    })
    .await?;
    Ok(Json(json!({"status": "replaced"})).into_response())
}
