//! [`SqlEngine`]: the query engine over a Lance store. Statements that read are planned by a [`Session`];
//! those that write go through the store's data-plane calls, so keys, one-commit writes and locks are the
//! store's, whichever front sent the SQL.

use std::sync::Arc;

use arrow::datatypes::Schema;
use lakefeed_core::{QueryEngine, QueryResult, Result, TableStore};
use serde_json::Value;

use super::{Session, Statement, dml};
use crate::store::LanceStore;

/// SQL over one [`LanceStore`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SqlEngine {
    store: LanceStore,
    /// The most rows a query may return (a server's limit); the query stops as soon as it passes it.
    max_rows: Option<usize>,
}

impl SqlEngine {
    /// An engine over `store`'s tables, with no limit on a result's rows.
    pub fn new(store: LanceStore) -> Self {
        Self {
            store,
            max_rows: None,
        }
    }

    /// Limits the rows a query may return (and an `INSERT … SELECT` may read): past it the query stops with a
    /// QueryError rather than collect more.
    pub fn with_max_result_rows(mut self, rows: usize) -> Self {
        self.max_rows = Some(rows);
        self
    }

    /// The store the engine reads and writes.
    pub fn store(&self) -> &LanceStore {
        &self.store
    }
}

#[async_trait::async_trait]
impl QueryEngine for SqlEngine {
    async fn query(&self, sql: &str, params: &[Value]) -> Result<QueryResult> {
        let mut session = Session::for_store(&self.store);
        session.max_rows = self.max_rows;
        match session.parse(sql)? {
            Statement::CreateIndex {
                table,
                column,
                if_not_exists,
            } => {
                if !(if_not_exists && self.store.has_index(&table, &column).await?) {
                    self.store.create_index(&table, &column).await?;
                }
                Ok(QueryResult::new(Arc::new(Schema::empty()), vec![]))
            }
            Statement::Insert(ins) => dml::insert(&self.store, &session, ins, params).await,
            Statement::Delete { table, predicate } => {
                dml::delete(&self.store, &table, predicate, params).await
            }
            Statement::AddColumns { table, columns } => {
                dml::add_columns(&self.store, &table, &columns).await
            }
            plan => session.run(plan, params).await,
        }
    }
}
