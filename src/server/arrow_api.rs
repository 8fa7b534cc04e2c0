//! lakefeed's endpoints beyond the seed's (advertised in `/health` as `arrow-ipc`): tables and query results
//! as Arrow IPC streams, batch writes with the pipeline's write modes, added columns, optimize, and the
//! one-commit replace an overwrite ends with. The client uses them when a server lists the feature.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::buffer::Buffer;
use arrow::datatypes::SchemaRef;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use futures::StreamExt;
use lakefeed_core::{BatchStream, Error, ScanSpec, WriteMode, WriteSpec, validate_table_name};

use super::error::{Answer, ApiError};
use super::extract::{ArrowBody, JsonBody, TableIn, Workspace};
use super::router::Endpoints;
use super::seed_api::run_query;
use super::state::Shared;
use crate::wire::ErrorCode;
use crate::wire::ipc::{self, CONTENT_TYPE, Encoder};
use crate::wire::messages::{
    QueryRequest, ReadParams, Replace, Status, WriteParams, Written, names,
};
use crate::wire::routes;

/// The Arrow routes.
pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .endpoint(routes::ARROW_QUERY, query)
        .endpoint(routes::ARROW_READ, read)
        .endpoint(routes::ARROW_CREATE, create)
        .endpoint(routes::ARROW_WRITE, write)
        .endpoint(routes::ARROW_ADD_COLUMNS, add_columns)
        .endpoint(routes::OPTIMIZE, optimize)
        .endpoint(routes::REPLACE, replace)
}

fn arrow_response(body: impl Into<Body>) -> Response {
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], body.into()).into_response()
}

/// `POST /workspaces/{ws}/arrow/query`: the seed's query body; the result as an Arrow IPC stream.
async fn query(
    State(s): State<Shared>,
    w: Workspace,
    JsonBody(req): JsonBody<QueryRequest>,
) -> Answer {
    let result = run_query(&s, &w.backend, req).await?;
    Ok(arrow_response(ipc::encode(
        result.schema(),
        result.batches(),
    )?))
}

/// `schema` cut to `columns` (all when `None`), each named column checked.
fn project(schema: SchemaRef, columns: Option<&[String]>, table: &str) -> Result<SchemaRef, Error> {
    let Some(columns) = columns else {
        return Ok(schema);
    };
    let idx = columns
        .iter()
        .map(|c| {
            schema
                .index_of(c)
                .map_err(|_| Error::Table(format!("table '{table}' has no column '{c}'")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Arc::new(schema.project(&idx)?))
}

/// A read in progress: the schema message, then each batch's (up to the row limit), then the end marker, each
/// as the pieces to send.
struct Reading {
    head: Option<Vec<u8>>,
    batches: Option<BatchStream>,
    encoder: Option<Encoder>,
    schema: SchemaRef,
    left: usize,
}

impl Reading {
    async fn next(&mut self) -> Option<lakefeed_core::Result<Vec<Buffer>>> {
        if let Some(head) = self.head.take() {
            return Some(Ok(vec![Buffer::from_vec(head)]));
        }
        if self.left > 0
            && let Some(batches) = self.batches.as_mut()
        {
            match batches.next().await {
                Some(Ok(b)) => {
                    let b = b.slice(0, b.num_rows().min(self.left));
                    self.left -= b.num_rows();
                    let encoder = self.encoder.as_mut()?;
                    let piece = RecordBatch::try_new(self.schema.clone(), b.columns().to_vec())
                        .map_err(Error::from)
                        .and_then(|b| encoder.batch(&b));
                    if piece.is_err() {
                        self.stop();
                    }
                    return Some(piece);
                }
                Some(Err(e)) => {
                    self.stop();
                    return Some(Err(e));
                }
                None => self.batches = None,
            }
        }
        self.batches = None;
        self.encoder
            .take()
            .map(|e| Ok(vec![Buffer::from_vec(e.finish())]))
    }

    fn stop(&mut self) {
        self.batches = None;
        self.encoder = None;
    }
}

/// An Arrow buffer as a body piece, sent from where it lies.
struct Piece(Buffer);

impl AsRef<[u8]> for Piece {
    fn as_ref(&self) -> &[u8] {
        self.0.as_slice()
    }
}

/// `GET /workspaces/{ws}/arrow/tables/{table}`: the table's rows, streamed a batch at a time as they are read.
async fn read(t: TableIn, Query(p): Query<ReadParams>) -> Answer {
    let store = t.backend.store();
    let schema = store
        .table_schema(&t.table)
        .await?
        .ok_or_else(|| Error::TableNotFound(t.table.clone()))?;
    let columns = p.columns.is_some().then(|| names(p.columns.as_deref()));
    let schema = project(schema, columns.as_deref(), &t.table)?;
    let (encoder, head) = Encoder::new(&schema)?;
    let left = p.limit.unwrap_or(usize::MAX);
    let batches = if left > 0 {
        let spec = ScanSpec {
            columns,
            filter: p.filter,
            batch_size: p.batch_size,
        };
        Some(store.scan(&t.table, spec).await?)
    } else {
        None
    };
    let reading = Reading {
        head: Some(head),
        batches,
        encoder: Some(encoder),
        schema,
        left,
    };
    // Read and encode in a task of their own, up to two batches (a header and a body each) ahead of the socket,
    // so the scan goes on while the last batch is being sent. The task ends when the client goes away.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let mut reading = reading;
    tokio::spawn(async move {
        while let Some(pieces) = reading.next().await {
            let pieces = match pieces {
                Ok(pieces) => pieces
                    .into_iter()
                    .map(|p| Ok(Bytes::from_owner(Piece(p))))
                    .collect(),
                Err(e) => vec![Err(std::io::Error::other(e))],
            };
            for piece in pieces {
                if tx.send(piece).await.is_err() {
                    return;
                }
            }
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async { rx.recv().await.map(|p| (p, rx)) });
    Ok(arrow_response(Body::from_stream(stream)))
}

/// `PUT /workspaces/{ws}/arrow/tables/{table}`: creates the table with the stream's schema (field metadata,
/// hence lakefeed's types, kept) and appends its batches. 409 when it exists.
async fn create(t: TableIn, ArrowBody((schema, batches)): ArrowBody) -> Answer {
    let store = t.backend.store();
    store.create_table(&t.table, schema).await?;
    store.append(&t.table, batches).await?;
    Ok((StatusCode::CREATED, Json(Status::new("created"))).into_response())
}

/// `POST /workspaces/{ws}/arrow/tables/{table}`: writes the stream's batches in one commit, as the pipeline's
/// writer does (append, keyed append, upsert). An overwrite goes through a staging table and `replace`.
async fn write(
    t: TableIn,
    Query(p): Query<WriteParams>,
    ArrowBody((schema, batches)): ArrowBody,
) -> Answer {
    if p.mode == WriteMode::Overwrite {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "an overwrite is written to a staging table, then committed with POST …/tables/{table}/replace",
        ));
    }
    let spec = WriteSpec {
        mode: p.mode,
        key: names(p.key.as_deref()),
        unique: p.unique,
    };
    let mut w = t.backend.store().writer(&t.table, schema, spec).await?;
    let written = w.write(batches).await?;
    w.finish().await?;
    Ok(Json(Written {
        inserted: written.rows,
        skipped: written.present,
    })
    .into_response())
}

/// `PATCH /workspaces/{ws}/arrow/tables/{table}`: adds the stream's (schema-only) columns, all null.
async fn add_columns(t: TableIn, ArrowBody((schema, _)): ArrowBody) -> Answer {
    t.backend.store().add_columns(&t.table, schema).await?;
    Ok(Json(Status::new("altered")).into_response())
}

/// `POST /workspaces/{ws}/tables/{table}/optimize`: compaction and index refresh.
async fn optimize(t: TableIn) -> Answer {
    t.backend.store().optimize(&t.table).await?;
    Ok(Json(Status::new("optimized")).into_response())
}

/// `POST /workspaces/{ws}/tables/{table}/replace` `{"from": stage}`: the table's rows become the staging
/// table's in one commit (readers see the old rows or the new), streamed batch by batch; the stage is dropped.
async fn replace(t: TableIn, JsonBody(req): JsonBody<Replace>) -> Answer {
    validate_table_name(&req.from)?;
    let store = t.backend.store();
    let schema = store
        .table_schema(&req.from)
        .await?
        .ok_or_else(|| Error::TableNotFound(req.from.clone()))?;
    if store.table_schema(&t.table).await?.is_none() {
        store.create_table(&t.table, schema.clone()).await?;
    }
    let spec = WriteSpec {
        mode: WriteMode::Overwrite,
        ..Default::default()
    };
    let mut w = store.writer(&t.table, schema, spec).await?;
    let mut staged = store.scan(&req.from, ScanSpec::default()).await?;
    while let Some(b) = staged.next().await {
        w.write(vec![b?]).await?;
    }
    w.finish().await?;
    store.drop_table(&req.from, true).await?;
    Ok(Json(Status::new("replaced")).into_response())
}
