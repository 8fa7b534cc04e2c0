//! SQL over the Lance store: DataFusion with the PostgreSQL dialect over lancedb's table adapter.
//!
//! [`SqlEngine`] is the [`lakefeed_core::QueryEngine`] over a [`LanceStore`]: a statement is parsed once into a
//! [`Statement`] and dispatched: SELECT/EXPLAIN are planned and run by a [`Session`], the one place a DataFusion
//! session is built (it registers the search operators, their functions and types through
//! [`session_state`]); INSERT, DELETE and ALTER TABLE are run here ([`dml`]) through the store's data-plane
//! calls, and `CREATE INDEX … USING deeplake_index (col)` asks the store for the index. Parameters `$1..$n`
//! are bound as values in the logical plan, never spliced into the text.

mod catalog;
mod dml;
mod engine;
mod params;
pub mod search;
mod values;
mod write;

use std::sync::Arc;

use datafusion::dataframe::DataFrame;
use datafusion::error::DataFusionError;
use datafusion::execution::context::{SessionConfig, SessionContext};
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast::{CreateIndex, Statement as SqlStatement};
use futures::StreamExt;
use lakefeed_core::{Error, QueryResult, Result};
use lancedb::table::datafusion::BaseTableAdapter;

pub use engine::SqlEngine;
pub use params::to_scalar;
pub use write::{Conflict, Insert, NewColumn};

use crate::store::LanceStore;

/// A parsed statement, ready to dispatch.
#[derive(Debug)]
pub enum Statement {
    /// `CREATE INDEX … ON table (column)`: the store builds it.
    CreateIndex {
        /// The table.
        table: String,
        /// The one column.
        column: String,
        /// `IF NOT EXISTS`: keep an index the column already has.
        if_not_exists: bool,
    },
    /// `INSERT INTO t … VALUES/SELECT [ON CONFLICT …]`: the source is planned, the rows go to the store's writer.
    Insert(Insert),
    /// `ALTER TABLE t ADD COLUMN c TYPE, …`: columns added through the store.
    AddColumns {
        /// The table.
        table: String,
        /// The new columns.
        columns: Vec<NewColumn>,
    },
    /// `DELETE FROM t [WHERE …]`: rows deleted through the store.
    Delete {
        /// The table.
        table: String,
        /// The WHERE predicate (all rows when `None`).
        predicate: Option<String>,
    },
    /// Anything DataFusion plans (SELECT, EXPLAIN…).
    Plan(Box<DfStatement>),
}

/// A DataFusion error as a QueryError saying what failed; the engine's message is its cause.
pub(crate) fn df_error(what: &'static str) -> impl Fn(DataFusionError) -> Error {
    move |e| Error::Query {
        message: what.to_string(),
        source: Some(Box::new(e)),
    }
}

/// A session state with lakefeed's SQL extensions: the search operators `<#>` and `@>`, their functions and the
/// hybrid record type. Every session is built here.
pub fn session_state(config: SessionConfig) -> datafusion::execution::SessionState {
    let builder = datafusion::execution::SessionStateBuilder::new()
        .with_config(config)
        .with_default_features();
    search::register(builder).build()
}

/// A SQL session over the tables of one lancedb connection.
pub struct Session {
    ctx: SessionContext,
    conn: lancedb::Connection,
    /// A result with more rows is refused as soon as it passes this many (none: no limit).
    pub max_rows: Option<usize>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").finish_non_exhaustive()
    }
}

impl Session {
    /// A session over `conn`'s tables, with lakefeed's extensions registered.
    pub fn new(conn: lancedb::Connection) -> Self {
        let mut config = SessionConfig::new().with_information_schema(false);
        config.options_mut().sql_parser.dialect = datafusion::config::Dialect::PostgreSQL;
        let ctx = SessionContext::new_with_state(session_state(config));
        Self {
            ctx,
            conn,
            max_rows: None,
        }
    }

    /// A session over a Lance store's tables.
    pub fn for_store(store: &LanceStore) -> Self {
        Self::new(store.connection().clone())
    }

    /// The DataFusion context (to register more functions or tables).
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// Parses one statement.
    pub fn parse(&self, sql: &str) -> Result<Statement> {
        let mut stmt = self
            .ctx
            .state()
            .sql_to_statement(sql, &datafusion::config::Dialect::PostgreSQL)
            .map_err(df_error("cannot parse SQL"))?;
        let unsupported = |kind: &str| {
            Error::query(format!(
                "statement '{kind} …' is not supported; use SELECT, EXPLAIN, INSERT, DELETE, ALTER TABLE … ADD COLUMN or CREATE INDEX"
            ))
        };
        if let DfStatement::Statement(inner) = &mut stmt {
            write::stored_casts(inner);
        }
        match stmt {
            DfStatement::Statement(inner) => match *inner {
                SqlStatement::CreateIndex(ci) => create_index_target(&ci),
                SqlStatement::Insert(ins) => write::insert(ins),
                SqlStatement::Delete(del) => write::delete(&del),
                SqlStatement::AlterTable(at) => write::alter(&at),
                SqlStatement::Explain { statement, .. }
                    if !matches!(statement.as_ref(), SqlStatement::Query(_)) =>
                {
                    Err(Error::query("EXPLAIN takes a SELECT here"))
                }
                q @ (SqlStatement::Query(_) | SqlStatement::Explain { .. }) => Ok(Statement::Plan(
                    Box::new(DfStatement::Statement(Box::new(q))),
                )),
                other => Err(unsupported(&leading_words(&other.to_string()))),
            },
            DfStatement::Explain(e) if !matches!(e.statement.as_ref(), DfStatement::Statement(s) if matches!(s.as_ref(), SqlStatement::Query(_))) => {
                Err(Error::query("EXPLAIN takes a SELECT here"))
            }
            stmt @ DfStatement::Explain(_) => Ok(Statement::Plan(Box::new(stmt))),
            other => Err(unsupported(&leading_words(&other.to_string()))),
        }
    }

    /// Runs an INSERT's source (VALUES or a SELECT) with `params` bound.
    pub async fn run_source(
        &self,
        source: Box<datafusion::sql::sqlparser::ast::Query>,
        params: &[serde_json::Value],
    ) -> Result<QueryResult> {
        let stmt = DfStatement::Statement(Box::new(SqlStatement::Query(source)));
        self.run(Statement::Plan(Box::new(stmt)), params).await
    }

    /// Plans and runs a parsed SELECT-like statement with `params` bound.
    pub async fn run(&self, stmt: Statement, params: &[serde_json::Value]) -> Result<QueryResult> {
        let stmt = match stmt {
            Statement::Plan(stmt) => *stmt,
            Statement::CreateIndex { .. }
            | Statement::Insert(_)
            | Statement::Delete { .. }
            | Statement::AddColumns { .. } => {
                return Err(Error::query(
                    "CREATE INDEX, INSERT, DELETE and ALTER TABLE are run by the engine, not planned",
                ));
            }
        };
        let state = self.ctx.state();
        // `_rowid` (Lance's id of a row) is a column only of statements that name it, so `SELECT *` stays the
        // table's own columns.
        let names_row_id = mentions_row_id(&stmt);
        for table_ref in state
            .resolve_table_references(&stmt)
            .map_err(df_error("cannot read the table names"))?
        {
            if catalog::is_columns_view(&table_ref) {
                catalog::register_columns_view(&self.ctx, &self.conn, table_ref).await?;
                continue;
            }
            let name = table_ref.table().to_string();
            let table = self
                .conn
                .open_table(&name)
                .execute()
                .await
                .map_err(|e| crate::store::lance_error::from_lance(&name, "open", e))?;
            let mut adapter = BaseTableAdapter::try_new(table.base_table().clone())
                .await
                .map_err(|e| crate::store::lance_error::from_lance(&name, "open", e))?;
            if names_row_id {
                adapter = adapter
                    .with_system_columns(&[ROW_ID])
                    .map_err(|e| crate::store::lance_error::from_lance(&name, "open", e))?;
            }
            self.ctx
                .register_table(table_ref, Arc::new(adapter))
                .map_err(df_error("cannot register a table"))?;
        }
        // The tables registered above are in the catalog this state shares with the context.
        let plan = state
            .statement_to_plan(stmt)
            .await
            .map_err(df_error("cannot plan the statement"))?;
        let wanted = params::check_count(&plan, params.len())?;
        let mut df = DataFrame::new(state.clone(), plan);
        if wanted > 0 {
            let values = params.iter().map(to_scalar).collect::<Result<Vec<_>>>()?;
            df = df
                .with_param_values(values)
                .map_err(df_error("cannot bind the parameters"))?;
        }
        let plan = search::prepare(df.into_unoptimized_plan(), &self.conn).await?;
        let df = DataFrame::new(state, plan);
        let schema = df.schema().inner().clone();
        let mut stream = df
            .execute_stream()
            .await
            .map_err(df_error("the statement failed"))?;
        let (mut batches, mut rows) = (Vec::new(), 0);
        while let Some(b) = stream.next().await {
            let b = b.map_err(df_error("the statement failed"))?;
            rows += b.num_rows();
            if let Some(max) = self.max_rows.filter(|m| rows > *m) {
                return Err(Error::query(format!(
                    "the result has more than {max} rows, the server's limit; add a LIMIT"
                )));
            }
            batches.push(b);
        }
        Ok(QueryResult::new(schema, batches))
    }
}

fn leading_words(text: &str) -> String {
    text.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

fn create_index_target(ci: &CreateIndex) -> Result<Statement> {
    if let Some(using) = &ci.using {
        let u = using.to_string();
        if !u.eq_ignore_ascii_case("deeplake_index") {
            return Err(Error::query(format!(
                "index type '{u}' is not supported; use USING deeplake_index"
            )));
        }
    }
    let table = write::last_name(&ci.table_name);
    let [column] = ci.columns.as_slice() else {
        return Err(Error::query("CREATE INDEX takes exactly one column"));
    };
    Ok(Statement::CreateIndex {
        if_not_exists: ci.if_not_exists,
        table,
        column: unquote(&column.column.expr.to_string()),
    })
}

fn unquote(s: &str) -> String {
    s.trim_matches('"').to_string()
}

/// The system column a statement may select or filter on: a row's id in its table.
const ROW_ID: &str = "_rowid";

/// Whether a statement names [`ROW_ID`] (as a word of its text; a literal holding it only costs `SELECT *` one
/// more column).
fn mentions_row_id(stmt: &DfStatement) -> bool {
    let text = stmt.to_string().to_ascii_lowercase();
    text.match_indices(ROW_ID).any(|(i, _)| {
        let after = text[i + ROW_ID.len()..].chars().next();
        let before = text[..i].chars().next_back();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        !word(before) && !word(after)
    })
}
