//! SQL over the local store: DataFusion with the PostgreSQL dialect over lancedb's table adapter (§7).
//!
//! Parameters `$1..$n` are bound as values in the logical plan, never spliced into the text.
//! `CREATE INDEX … USING deeplake_index (col)` is dispatched to the store before planning.

mod params;

use std::sync::Arc;

use datafusion::dataframe::DataFrame;
use datafusion::execution::context::{SessionConfig, SessionContext};
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast::{CreateIndex, Statement};
use lancedb::table::datafusion::BaseTableAdapter;

use crate::error::{Error, Result};
use crate::query::QueryResult;

pub use params::to_scalar;

/// What a SQL text asks for.
pub(crate) enum Parsed {
    /// `CREATE INDEX … ON table (column)`.
    CreateIndex { table: String, column: String },
    /// Anything DataFusion plans (SELECT, EXPLAIN…).
    Plan(Box<DfStatement>),
}

fn session() -> SessionContext {
    let mut config = SessionConfig::new().with_information_schema(false);
    config.options_mut().sql_parser.dialect = datafusion::config::Dialect::PostgreSQL;
    SessionContext::new_with_config(config)
}

/// Parses one statement, recognising index creation.
pub(crate) fn parse(ctx: &SessionContext, sql: &str) -> Result<Parsed> {
    let state = ctx.state();
    let stmt = state
        .sql_to_statement(sql, &datafusion::config::Dialect::PostgreSQL)
        .map_err(|e| Error::Query(format!("cannot parse SQL: {e}")))?;
    let unsupported = |text: String| {
        let kind = text
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        Error::Query(format!(
            "statement '{kind} …' is not supported; use SELECT, EXPLAIN or CREATE INDEX"
        ))
    };
    match &stmt {
        DfStatement::Statement(inner) => match inner.as_ref() {
            Statement::CreateIndex(ci) => create_index_target(ci),
            Statement::Query(_) | Statement::Explain { .. } => Ok(Parsed::Plan(Box::new(stmt))),
            other => Err(unsupported(other.to_string())),
        },
        DfStatement::Explain(_) => Ok(Parsed::Plan(Box::new(stmt))),
        other => Err(unsupported(other.to_string())),
    }
}

fn create_index_target(ci: &CreateIndex) -> Result<Parsed> {
    if let Some(using) = &ci.using {
        let u = using.to_string();
        if !u.eq_ignore_ascii_case("deeplake_index") {
            return Err(Error::Query(format!(
                "index type '{u}' is not supported; use USING deeplake_index"
            )));
        }
    }
    let table = ci
        .table_name
        .0
        .last()
        .map(|p| unquote(&p.to_string()))
        .unwrap_or_default();
    let [column] = ci.columns.as_slice() else {
        return Err(Error::Query("CREATE INDEX takes exactly one column".into()));
    };
    Ok(Parsed::CreateIndex {
        table,
        column: unquote(&column.column.expr.to_string()),
    })
}

fn unquote(s: &str) -> String {
    s.trim_matches('"').to_string()
}

/// Runs a SELECT-like statement against the tables of `conn`.
pub(crate) async fn run(
    conn: &lancedb::Connection,
    sql: &str,
    params: &[serde_json::Value],
) -> Result<QueryResult> {
    let ctx = session();
    let stmt = match parse(&ctx, sql)? {
        Parsed::Plan(stmt) => *stmt,
        Parsed::CreateIndex { .. } => {
            return Err(Error::Query("CREATE INDEX is handled by the store".into()));
        }
    };
    let state = ctx.state();
    for table_ref in state.resolve_table_references(&stmt)? {
        let name = table_ref.table().to_string();
        let table = conn
            .open_table(&name)
            .execute()
            .await
            .map_err(|e| match e {
                lancedb::Error::TableNotFound { .. } => Error::TableNotFound(name.clone()),
                other => Error::from(other),
            })?;
        let adapter = BaseTableAdapter::try_new(table.base_table().clone()).await?;
        ctx.register_table(table_ref, Arc::new(adapter))?;
    }
    let plan = ctx.state().statement_to_plan(stmt).await?;
    let wanted = params::check_count(&plan, params.len())?;
    let mut df = DataFrame::new(ctx.state(), plan);
    if wanted > 0 {
        let values = params.iter().map(to_scalar).collect::<Result<Vec<_>>>()?;
        df = df.with_param_values(values)?;
    }
    let schema = df.schema().inner().clone();
    let batches = df.collect().await?;
    Ok(QueryResult::new(schema, batches))
}
