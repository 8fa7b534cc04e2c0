//! A managed service as a store and a query engine: the seed's REST API ([`crate::wire`]) for everything it
//! has (tables, SQL, indexes), and rows written as batched, parameterised INSERTs through its query endpoint.
//! When the server lists the `arrow-ipc` feature in `/health` (as `lakefeed serve` does), batches, schemas,
//! scans and query results travel as Arrow IPC instead: exact types, no text round trip, and streamed scans for
//! training loops.
//!
//! [`RemoteStore`] implements [`TableStore`] and [`QueryEngine`] (statements are forwarded), so the same
//! pipeline (formats, thumbnails, keyed writes, the inputs ledger, the run report) ingests into a service as
//! into the local store.

mod api;
mod insert;
mod rows;
mod scan;
mod take;
mod writer;

use std::sync::Arc;
use std::time::Duration;

use arrow::array::RecordBatch;
use arrow::datatypes::{Schema, SchemaRef};
use bytes::Bytes;
use lakefeed_core::query::quote_ident;
use lakefeed_core::{
    BatchStream, Capabilities, Error, LogicalType, QueryEngine, QueryResult, Result, ScanSpec,
    TableStore, TableWriter, WriteMode, WriteSpec, validate_table_name,
};
use serde_json::{Value, json};

pub use crate::wire::WritePath;
pub use api::DEFAULT_API_URL;
pub(crate) use api::{Api, Call, Payload};
pub use rows::json_result;

use crate::wire::messages::{self, CreateTable, QueryRequest, QueryResponse, ReadParams, Tables};
use crate::wire::routes::{self, Endpoint};
use crate::wire::{ipc, pg_type, sql_field};
use writer::RemoteWriter;

/// One workspace of a managed service as a [`TableStore`] and [`QueryEngine`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct RemoteStore {
    api: Arc<Api>,
    /// The server has the Arrow endpoints.
    arrow: bool,
    /// Rows go as Arrow (else as INSERTs).
    arrow_writes: bool,
    /// A query's time limit (`timeout_ms` is sent when it differs from the seed's 60 s).
    query_timeout: Duration,
}

impl RemoteStore {
    /// Connects to `workspace` at `api_url` (default: the seed's service) with a JWT `token`, and asks the
    /// server which features it has.
    pub async fn connect(token: &str, workspace: &str, api_url: Option<&str>) -> Result<Self> {
        let api = Api::connect(token, workspace, api_url).await?;
        let arrow = api.features().await.iter().any(|f| f == ipc::FEATURE);
        Ok(Self {
            api: Arc::new(api),
            arrow,
            arrow_writes: arrow,
            query_timeout: Duration::from_secs(60),
        })
    }

    /// Chooses how rows are written.
    pub fn with_write_path(mut self, path: WritePath) -> Result<Self> {
        self.arrow_writes = match path {
            WritePath::Auto => self.arrow,
            WritePath::Insert => false,
            WritePath::SeedApi => {
                self.arrow = false;
                false
            }
            WritePath::Arrow if self.arrow => true,
            WritePath::Arrow => {
                return Err(Error::Other(
                    "the server does not advertise Arrow IPC (is it lakefeed serve?)".into(),
                ));
            }
        };
        Ok(self)
    }

    /// Sets a query's time limit.
    pub fn with_query_timeout(mut self, timeout: Duration) -> Self {
        self.query_timeout = timeout;
        self
    }

    /// The org id in use.
    pub fn org_id(&self) -> &str {
        self.api.org_id()
    }

    pub(crate) fn api(&self) -> &Api {
        &self.api
    }

    /// Whether the server has lakefeed's Arrow endpoints.
    pub fn has_arrow(&self) -> bool {
        self.arrow
    }

    fn query_body(&self, sql: &str, params: &[Value]) -> Result<Value> {
        let body = QueryRequest {
            query: sql.to_string(),
            params: params.to_vec(),
            timeout_ms: (self.query_timeout != Duration::from_secs(60))
                .then_some(self.query_timeout.as_millis() as u64),
        };
        messages::to_json(&body)
    }

    /// The seed's query call: `(columns, rows)` as JSON. `idempotent`: running it twice does what running it
    /// once does (then it is retried after any retryable failure).
    pub(crate) async fn query_json(
        &self,
        sql: &str,
        params: &[Value],
        idempotent: bool,
    ) -> Result<(Vec<String>, Vec<Vec<Value>>)> {
        let call = Call {
            timeout: Some(self.query_timeout + Duration::from_secs(5)),
            idempotent,
        };
        let resp: QueryResponse = self
            .api
            .answer(
                routes::QUERY,
                &self.path(routes::QUERY, ""),
                Payload::Json(self.query_body(sql, params)?),
                call,
            )
            .await?;
        Ok((resp.columns, resp.rows))
    }

    /// The path of `endpoint` in this store's workspace, for `table`.
    fn path(&self, endpoint: Endpoint, table: &str) -> String {
        self.api.path(endpoint, table)
    }
}

/// Whether SQL only reads: its first word is SELECT, SHOW or VALUES, or EXPLAIN without ANALYZE (which runs
/// the statement).
pub(crate) fn reads_only(sql: &str) -> bool {
    let mut words = sql
        .split(|c: char| c.is_whitespace() || c == '(')
        .filter(|w| !w.is_empty());
    let first = words.next().unwrap_or_default();
    if first.eq_ignore_ascii_case("EXPLAIN") {
        return !words
            .next()
            .is_some_and(|w| w.eq_ignore_ascii_case("ANALYZE"));
    }
    ["SELECT", "SHOW", "VALUES"]
        .iter()
        .any(|w| first.eq_ignore_ascii_case(w))
}

#[async_trait::async_trait]
impl TableStore for RemoteStore {
    fn capabilities(&self) -> Capabilities {
        // lakefeed serve's Arrow endpoints stream scans and swap a staged overwrite in with one commit; the
        // seed's API alone has neither.
        Capabilities {
            atomic_overwrite: self.arrow,
            streaming_scan: self.arrow,
            staged_commit: self.arrow,
            optimize: self.arrow,
        }
    }

    async fn list_tables(&self) -> Result<Vec<String>> {
        let resp: Tables = self
            .api
            .answer(
                routes::LIST_TABLES,
                &self.path(routes::LIST_TABLES, ""),
                Payload::Empty,
                Call::SAFE,
            )
            .await?;
        let mut names: Vec<String> = resp.tables.into_iter().map(|t| t.table_name).collect();
        names.sort();
        Ok(names)
    }

    async fn table_schema(&self, table: &str) -> Result<Option<SchemaRef>> {
        validate_table_name(table)?;
        if self.arrow {
            let only_schema = ReadParams {
                limit: Some(0),
                ..Default::default()
            };
            let path = self.path(routes::ARROW_READ, table) + &only_schema.query_string();
            return match self
                .api
                .bytes(routes::ARROW_READ, &path, Payload::Empty, Call::SAFE)
                .await
            {
                Ok(bytes) => Ok(Some(ipc::decode(&bytes)?.0)),
                Err(e) if e.is_not_found() => Ok(None),
                Err(e) => Err(e),
            };
        }
        let (_, rows) = self
            .query_json(
                "SELECT column_name, data_type, udt_name FROM information_schema.columns \
                 WHERE table_name = $1 ORDER BY ordinal_position",
                &[json!(table)],
                true,
            )
            .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        let fields = rows
            .iter()
            .map(|r| {
                let s = |i: usize| r.get(i).and_then(Value::as_str).unwrap_or_default();
                sql_field(s(0), &pg_type(s(1), s(2)))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(Arc::new(Schema::new(fields))))
    }

    async fn create_table(&self, table: &str, schema: SchemaRef) -> Result<()> {
        validate_table_name(table)?;
        let created = if self.arrow {
            let body = Bytes::from(ipc::encode(&schema, &[])?);
            self.api
                .json(
                    routes::ARROW_CREATE,
                    &self.path(routes::ARROW_CREATE, table),
                    Payload::Arrow(body),
                    Call::default(),
                )
                .await
        } else {
            // The seed's create: column → SQL type, sorted by name.
            let mut cols: Vec<(String, String)> = schema
                .fields()
                .iter()
                .map(|f| {
                    let t = LogicalType::of_field(f).map_or("TEXT", LogicalType::sql_type);
                    (f.name().clone(), t.to_string())
                })
                .collect();
            cols.sort();
            let body = CreateTable {
                table_name: table.to_string(),
                table_schema: cols.into_iter().map(|(c, t)| (c, json!(t))).collect(),
            };
            let path = self.path(routes::CREATE_TABLE, "");
            self.api
                .json(
                    routes::CREATE_TABLE,
                    &path,
                    Payload::Json(messages::to_json(&body)?),
                    Call::default(),
                )
                .await
        };
        match created {
            Ok(_) => Ok(()),
            // A 409 (or another TableError) for a table that is there now: someone created it first.
            Err(Error::Table(m)) => match self.table_schema(table).await {
                Ok(Some(_)) => Err(Error::TableExists(table.to_string())),
                _ => Err(Error::Table(m)),
            },
            Err(e) => Err(e),
        }
    }

    async fn append(&self, table: &str, batches: Vec<RecordBatch>) -> Result<()> {
        self.write_rows(table, &batches, &WriteSpec::default())
            .await
            .map(|_| ())
    }

    async fn writer(
        &self,
        table: &str,
        schema: SchemaRef,
        spec: WriteSpec,
    ) -> Result<Box<dyn TableWriter>> {
        validate_table_name(table)?;
        if spec.mode == WriteMode::Overwrite && !self.arrow {
            return Err(Error::Ingest(
                "an overwrite through a service needs lakefeed serve (its staged, one-commit replace); \
                 the seed's API has no atomic replace: drop the table and append instead"
                    .into(),
            ));
        }
        Ok(Box::new(RemoteWriter {
            store: self.clone(),
            table: table.to_string(),
            schema,
            spec,
            stage: None,
        }))
    }

    async fn add_columns(&self, table: &str, columns: SchemaRef) -> Result<()> {
        if columns.fields().is_empty() {
            return Ok(());
        }
        if self.arrow {
            let body = Bytes::from(ipc::encode(&columns, &[])?);
            return self
                .api
                .json(
                    routes::ARROW_ADD_COLUMNS,
                    &self.path(routes::ARROW_ADD_COLUMNS, table),
                    Payload::Arrow(body),
                    Call::default(),
                )
                .await
                .map(|_| ());
        }
        for f in columns.fields() {
            let t = LogicalType::of_field(f).map_or("TEXT", LogicalType::sql_type);
            let sql = format!(
                "ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} {t}",
                quote_ident(table),
                quote_ident(f.name())
            );
            // IF NOT EXISTS: sending it twice is harmless.
            self.query_json(&sql, &[], true).await?;
        }
        Ok(())
    }

    async fn drop_table(&self, table: &str, if_exists: bool) -> Result<()> {
        validate_table_name(table)?;
        let path = self.path(routes::DROP_TABLE, table);
        match self
            .api
            .json(routes::DROP_TABLE, &path, Payload::Empty, Call::SAFE)
            .await
        {
            Err(e) if if_exists && e.is_not_found() => Ok(()),
            other => other.map(|_| ()),
        }
    }

    async fn delete_rows(&self, table: &str, predicate: &str) -> Result<u64> {
        let sql = format!("DELETE FROM {} WHERE {predicate}", quote_ident(table));
        match self.query_json(&sql, &[], true).await {
            Err(e) if e.is_not_found() => Ok(0),
            // The service answers a DELETE with its count (lakefeed serve: one row, `deleted`); a service
            // that gives none deleted an unknown number, reported as 0.
            other => Ok(other?
                .1
                .first()
                .and_then(|r| r.first())
                .and_then(Value::as_u64)
                .unwrap_or(0)),
        }
    }

    async fn count_rows(&self, table: &str) -> Result<u64> {
        let sql = format!("SELECT count(*) AS n FROM {}", quote_ident(table));
        let (_, rows) = self.query_json(&sql, &[], true).await?;
        rows.first()
            .and_then(|r| r.first())
            .and_then(Value::as_u64)
            .ok_or_else(|| Error::Other(format!("the service gave no row count for '{table}'")))
    }

    async fn scan(&self, table: &str, spec: ScanSpec) -> Result<BatchStream> {
        validate_table_name(table)?;
        if self.arrow {
            return scan::arrow(&self.api, &self.path(routes::ARROW_READ, table), &spec).await;
        }
        let cols = spec.columns.as_ref().map_or_else(
            || "*".to_string(),
            |c| {
                c.iter()
                    .map(|c| quote_ident(c))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        );
        let mut sql = format!("SELECT {cols} FROM {}", quote_ident(table));
        if let Some(f) = &spec.filter {
            sql.push_str(&format!(" WHERE {f}"));
        }
        let result = self.query(&sql, &[]).await?;
        Ok(scan::in_batches(result, spec.batch_size))
    }

    async fn take(
        &self,
        table: &str,
        rows: Vec<u64>,
        columns: Option<Vec<String>>,
    ) -> Result<RecordBatch> {
        validate_table_name(table)?;
        take::take(self, table, &rows, columns.as_deref()).await
    }

    async fn create_index(&self, table: &str, column: &str) -> Result<()> {
        let sql = format!(
            "CREATE INDEX IF NOT EXISTS {} ON {} USING deeplake_index ({})",
            quote_ident(&format!("idx_{table}_{column}")),
            quote_ident(table),
            quote_ident(column)
        );
        self.query_json(&sql, &[], true).await.map(|_| ())
    }

    async fn optimize(&self, table: &str) -> Result<()> {
        validate_table_name(table)?;
        if !self.arrow {
            tracing::info!(
                table,
                "the service maintains its tables itself; nothing to optimize"
            );
            return Ok(());
        }
        let path = self.path(routes::OPTIMIZE, table);
        self.api
            .json(routes::OPTIMIZE, &path, Payload::Empty, Call::SAFE)
            .await
            .map(|_| ())
    }

    fn location(&self, table: &str) -> String {
        format!("al://{}/{table}", self.api.workspace())
    }
}

#[async_trait::async_trait]
impl QueryEngine for RemoteStore {
    async fn query(&self, sql: &str, params: &[Value]) -> Result<QueryResult> {
        if self.arrow {
            let bytes = self
                .api
                .bytes(
                    routes::ARROW_QUERY,
                    &self.path(routes::ARROW_QUERY, ""),
                    Payload::Json(self.query_body(sql, params)?),
                    Call {
                        timeout: Some(self.query_timeout + Duration::from_secs(5)),
                        idempotent: reads_only(sql),
                    },
                )
                .await?;
            let (schema, batches) = ipc::decode(&bytes)?;
            return Ok(QueryResult::new(schema, batches));
        }
        let (columns, rows) = self.query_json(sql, params, reads_only(sql)).await?;
        json_result(columns, rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_reads_are_read_only() {
        assert!(reads_only("  select 1"));
        assert!(reads_only("(SELECT 1) UNION (SELECT 2)"));
        assert!(!reads_only("INSERT INTO t VALUES (1)"));
        assert!(reads_only("EXPLAIN SELECT 1"));
        assert!(!reads_only("explain analyze INSERT INTO t VALUES (1)"));
        assert!(!reads_only(
            "WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x"
        ));
    }
}
