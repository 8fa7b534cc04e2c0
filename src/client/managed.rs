//! The seed's client shape over the managed service's REST API ([`crate::wire`]): rows as JSON maps, tables created from
//! SQL type names. It works against the real service and `lakefeed serve`; [`crate::Client::managed`] is the
//! full client (ingest, Arrow results, training batches) over the same wire contract.

use std::time::Duration;

use lakefeed_core::{Result, TableStore};
use serde_json::{Map, Value, json};

use crate::remote::{Api, Call, Payload, RemoteStore, WritePath};
use crate::runtime::block_on;
use crate::wire::messages::{self, CreateTable};
use crate::wire::routes;

pub use crate::remote::DEFAULT_API_URL;

/// A blocking client of one workspace of the managed service, speaking only the seed's JSON.
#[derive(Debug, Clone)]
pub struct ManagedClient {
    store: RemoteStore,
}

impl ManagedClient {
    /// A client for `workspace` at `api_url` (default: the seed's service). The org id comes from the token's
    /// claims, or else from `GET /me`.
    pub fn new(token: &str, workspace: &str, api_url: Option<&str>) -> Result<Self> {
        let (token, ws, url) = (
            token.to_string(),
            workspace.to_string(),
            api_url.map(str::to_string),
        );
        let store =
            block_on(async move { RemoteStore::connect(&token, &ws, url.as_deref()).await })?;
        Ok(Self {
            store: store.with_write_path(WritePath::Insert)?,
        })
    }

    /// From the environment: `DEEPLAKE_API_KEY`, `DEEPLAKE_WORKSPACE` (default `default`), `DEEPLAKE_API_URL`.
    pub fn from_env() -> Result<Self> {
        let token = std::env::var("DEEPLAKE_API_KEY").unwrap_or_default();
        let ws = std::env::var("DEEPLAKE_WORKSPACE").unwrap_or_else(|_| "default".into());
        let url = std::env::var("DEEPLAKE_API_URL").ok();
        Self::new(&token, &ws, url.as_deref())
    }

    /// A query's time limit (`timeout_ms` is sent when it differs from the seed's 60 s).
    pub fn with_query_timeout(mut self, timeout: Duration) -> Self {
        self.store = self.store.with_query_timeout(timeout);
        self
    }

    /// The org id in use.
    pub fn org_id(&self) -> &str {
        self.store.org_id()
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
        let (s, sql, params) = (self.store.clone(), sql.to_string(), params.to_vec());
        block_on(async move {
            let idempotent = crate::remote::reads_only(&sql);
            s.query_json(&sql, &params, idempotent).await
        })
    }

    /// The workspace's table names.
    pub fn list_tables(&self) -> Result<Vec<String>> {
        let s = self.store.clone();
        block_on(async move { s.list_tables().await })
    }

    /// Creates a table with `schema` (column → SQL type, sent sorted by name as the seed does). An existing
    /// table is a TableError.
    pub fn create_table(&self, table: &str, schema: &[(String, String)]) -> Result<()> {
        let mut cols: Vec<&(String, String)> = schema.iter().collect();
        cols.sort();
        let body = messages::to_json(&CreateTable {
            table_name: table.to_string(),
            table_schema: cols.iter().map(|(c, t)| (c.clone(), json!(t))).collect(),
        })?;
        let api: Api = self.store.api().clone();
        block_on(async move {
            let path = api.path(routes::CREATE_TABLE, "");
            api.json(
                routes::CREATE_TABLE,
                &path,
                Payload::Json(body),
                Call::default(),
            )
            .await
            .map(|_| ())
        })
    }

    /// Drops a table; a missing one is fine with `if_exists`.
    pub fn drop_table(&self, table: &str, if_exists: bool) -> Result<()> {
        let (s, t) = (self.store.clone(), table.to_string());
        block_on(async move { s.drop_table(&t, if_exists).await })
    }

    /// A search index on a column (`CREATE INDEX IF NOT EXISTS … USING deeplake_index`).
    pub fn create_index(&self, table: &str, column: &str) -> Result<()> {
        let (s, t, c) = (self.store.clone(), table.to_string(), column.to_string());
        block_on(async move { s.create_index(&t, &c).await })
    }
}
