//! The seed's endpoints: health, the caller, workspaces, tables (list, create, drop) and SQL queries.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Json, Router};
use lakefeed_core::arrow::datatypes::{Field, Schema};
use lakefeed_core::{Error, QueryResult, validate_table_name};
use serde_json::Value;

use super::error::{Answer, ApiError};
use super::extract::{Authed, JsonBody, TableIn, Workspace};
use super::router::Endpoints;
use super::state::Shared;
use crate::backend::Backend;
use crate::wire::ErrorCode;
use crate::wire::messages::{
    CreateTable, Health, Me, QueryRequest, QueryResponse, Status, TableInfo, Tables, WorkspaceInfo,
    Workspaces,
};
use crate::wire::routes;

/// The seed's routes.
pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .endpoint(routes::HEALTH, health)
        .endpoint(routes::ME, me)
        .endpoint(routes::WORKSPACES, workspaces)
        .endpoint(routes::LIST_TABLES, list_tables)
        .endpoint(routes::CREATE_TABLE, create_table)
        .endpoint(routes::DROP_TABLE, drop_table)
        .endpoint(routes::QUERY, query)
}

async fn health() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        features: vec![crate::wire::ipc::FEATURE.into()],
    })
}

async fn me(Authed(c): Authed) -> Json<Me> {
    Json(Me {
        id: c.user,
        organizations: vec![Value::String(c.org)],
    })
}

async fn workspaces(State(s): State<Shared>, Authed(c): Authed) -> Answer {
    validate_table_name(&c.org)
        .map_err(|_| Error::Auth(format!("the token's org id '{}' is not usable", c.org)))?;
    let mut names = s.config.root.list_dirs(&c.org).await?;
    names.retain(|n| c.may_use(n));
    names.sort();
    let data = names
        .into_iter()
        .map(|n| WorkspaceInfo {
            id: n.clone(),
            org_id: c.org.clone(),
            name: n,
        })
        .collect();
    Ok(Json(Workspaces { data }).into_response())
}

async fn list_tables(w: Workspace) -> Answer {
    let names = w.backend.store().list_tables().await?;
    let tables = names
        .into_iter()
        .map(|table_name| TableInfo { table_name })
        .collect();
    Ok(Json(Tables { tables }).into_response())
}

/// A column of a create request: its SQL or lakefeed type name → a field.
fn column(name: &str, ty: &Value) -> Result<Field, ApiError> {
    let ty = ty.as_str().ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidRequest,
            format!("column '{name}': the type must be a string"),
        )
    })?;
    crate::wire::sql_field(name, ty)
        .map_err(|e| ApiError::new(ErrorCode::InvalidRequest, e.to_string()))
}

async fn create_table(w: Workspace, JsonBody(req): JsonBody<CreateTable>) -> Answer {
    validate_table_name(&req.table_name)?;
    let fields = req
        .table_schema
        .iter()
        .map(|(n, t)| column(n, t))
        .collect::<Result<Vec<_>, _>>()?;
    let store = w.backend.store();
    if store.table_schema(&req.table_name).await?.is_some() {
        return Err(Error::TableExists(req.table_name).into());
    }
    store
        .create_table(&req.table_name, Arc::new(Schema::new(fields)))
        .await?;
    Ok((StatusCode::CREATED, Json(Status::new("created"))).into_response())
}

async fn drop_table(t: TableIn) -> Answer {
    t.backend.store().drop_table(&t.table, false).await?;
    Ok(Json(Status::new("dropped")).into_response())
}

/// Runs a query within the time limit (the engine stops a result past the row limit). At the time limit the
/// query's future is dropped, which stops its work.
pub(super) async fn run_query(
    s: &Shared,
    backend: &Backend,
    req: QueryRequest,
) -> Result<QueryResult, ApiError> {
    let limit = s.config.query_timeout;
    let timeout = req
        .timeout_ms
        .map_or(limit, |t| Duration::from_millis(t).min(limit));
    tokio::time::timeout(timeout, backend.query(&req.query, &req.params))
        .await
        .map_err(|_| {
            ApiError::new(
                ErrorCode::Timeout,
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
    w: Workspace,
    JsonBody(req): JsonBody<QueryRequest>,
) -> Answer {
    let result = run_query(&s, &w.backend, req).await?;
    let (columns, row_count) = (result.columns(), result.row_count());
    let rows = result.rows()?;
    Ok(Json(QueryResponse {
        columns,
        rows,
        row_count,
    })
    .into_response())
}
