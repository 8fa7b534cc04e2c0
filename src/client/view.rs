//! A view of one table for training loops: `open_table(t).query("SELECT cols WHERE …").batches(n)`.
//!
//! A view that only picks columns and filters rows streams from the store with bounded memory; anything more
//! (expressions, ORDER BY, LIMIT, search operators, parameters) runs as SQL and is handed out in batches.

use arrow::array::RecordBatch;
use lakefeed_core::query::quote_ident;
use lakefeed_core::{Batches, Error, QueryResult, Result, ScanSpec};
use serde_json::Value;
use sqlparser::ast::{
    Ident, ObjectName, ObjectNamePart, SelectItem, SetExpr, Statement, TableFactor, TableWithJoins,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use crate::blocking::Store;

/// A filtered, projected view of a table.
#[derive(Debug, Clone)]
pub struct TableView {
    store: Store,
    table: String,
    /// The statement, with `FROM table` added when it had none.
    sql: String,
    params: Vec<Value>,
    /// Set when the view is plain columns and a filter: streamed from the store.
    scan: Option<ScanSpec>,
}

impl TableView {
    /// Parses `sql` (`SELECT cols [WHERE …]`, FROM optional) as a view of `table`.
    pub(super) fn new(store: Store, table: &str, sql: &str, params: &[Value]) -> Result<Self> {
        let bad = |why: String| Error::query(format!("view of '{table}': {why}"));
        let sql = sql.replace("{table}", &quote_ident(table));
        let mut stmts = Parser::parse_sql(&PostgreSqlDialect {}, &sql)
            .map_err(|e| bad(format!("cannot parse '{sql}': {e}")))?;
        let [Statement::Query(query)] = stmts.as_mut_slice() else {
            return Err(bad("give one SELECT statement".into()));
        };
        let plain_query =
            query.order_by.is_none() && query.limit_clause.is_none() && query.fetch.is_none();
        let SetExpr::Select(select) = query.body.as_mut() else {
            return Err(bad("give a SELECT, not a set operation".into()));
        };
        if select.from.is_empty() {
            select.from.push(TableWithJoins {
                relation: TableFactor::Table {
                    name: ObjectName(vec![ObjectNamePart::Identifier(Ident::with_quote(
                        '"', table,
                    ))]),
                    alias: None,
                    args: None,
                    with_hints: vec![],
                    version: None,
                    with_ordinality: false,
                    partitions: vec![],
                    json_path: None,
                    sample: None,
                    index_hints: vec![],
                },
                joins: vec![],
            });
        }
        let columns: Option<Vec<String>> = select
            .projection
            .iter()
            .map(|item| match item {
                SelectItem::UnnamedExpr(sqlparser::ast::Expr::Identifier(id)) => {
                    Some(Some(id.value.clone()))
                }
                SelectItem::Wildcard(_) => Some(None),
                _ => None,
            })
            .collect::<Option<Vec<Option<String>>>>()
            .map(|cols| cols.into_iter().flatten().collect());
        let filter = select.selection.as_ref().map(ToString::to_string);
        let search_ops = filter
            .as_deref()
            .is_some_and(|f| f.contains("<#>") || f.contains("@>"));
        let scannable = plain_query
            && params.is_empty()
            && !search_ops
            && select.from.len() == 1
            && select.distinct.is_none()
            && select.having.is_none()
            && matches!(&select.group_by, sqlparser::ast::GroupByExpr::Expressions(e, _) if e.is_empty());
        let scan = match (scannable, columns) {
            (true, Some(cols)) => Some(ScanSpec {
                columns: (!cols.is_empty()).then_some(cols),
                filter,
                batch_size: 0,
            }),
            _ => None,
        };
        let sql = stmts[0].to_string().replace("{table}", &quote_ident(table));
        Ok(Self {
            store,
            table: table.to_string(),
            sql,
            params: params.to_vec(),
            scan,
        })
    }

    /// The view's rows in batches of at most `n`: streamed when it only picks columns and filters rows.
    pub fn batches(&self, n: usize) -> Result<Batches> {
        let n = n.max(1);
        if let Some(spec) = &self.scan {
            let spec = ScanSpec {
                batch_size: n,
                ..spec.clone()
            };
            return self.store.scan(&self.table, spec);
        }
        let result = self.execute()?;
        let mut out: Vec<Result<RecordBatch>> = Vec::new();
        for b in result.into_batches() {
            let mut start = 0;
            while start < b.num_rows() {
                let len = n.min(b.num_rows() - start);
                out.push(Ok(b.slice(start, len)));
                start += len;
            }
        }
        Ok(Box::new(out.into_iter()))
    }

    /// Runs the view as SQL and collects its rows.
    pub fn execute(&self) -> Result<QueryResult> {
        self.store.query(&self.sql, &self.params)
    }

    /// True when [`TableView::batches`] streams from the store (plain columns and a filter).
    pub fn streams(&self) -> bool {
        self.scan.is_some()
    }
}
