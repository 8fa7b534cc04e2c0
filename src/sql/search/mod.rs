//! Search in SQL: pg_deeplake's `<#>` (cosine similarity on EMBEDDING, BM25 on TEXT), `@>` (contains) and
//! the weighted hybrid record, on every table of the local store.
//!
//! [`register`] adds the operators to a session; [`prepare`] runs between binding parameters and executing:
//! it gathers the corpus statistics each BM25 call needs and puts them into the plan.

mod bm25;
mod cache;
mod kernel;
mod planner;
mod provider;
mod topk;
mod vector;

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{ScalarValue, TableReference};
use datafusion::execution::SessionStateBuilder;
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{Expr, LogicalPlan, ScalarUDF};
use lakefeed_core::Result;

use bm25::{BM25, BM25_NORM, Bm25, Bm25Source, Bm25Stats};
use planner::{HybridRecord, HybridType, SearchPlanner};

use super::df_error;

/// Adds the search operators, functions and the hybrid type to a session being built.
pub fn register(mut builder: SessionStateBuilder) -> SessionStateBuilder {
    let mut planners = builder.expr_planners().clone().unwrap_or_default();
    planners.insert(0, Arc::new(SearchPlanner::default()));
    let mut functions = builder.scalar_functions().clone().unwrap_or_default();
    functions.push(Arc::new(ScalarUDF::from(HybridRecord::default())));
    builder
        .with_expr_planners(planners)
        .with_scalar_functions(functions)
        .with_type_planner(Arc::new(HybridType))
}

/// One BM25 call of a query: the table and column searched, the words, normalised or not.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Search {
    table: String,
    column: String,
    words: String,
}

/// Readies a plan whose parameters are bound: a top-k by vector similarity is answered by the column's index
/// when it has one, and every BM25 call gets its corpus statistics.
pub async fn prepare(plan: LogicalPlan, conn: &lancedb::Connection) -> Result<LogicalPlan> {
    let plan = topk::rewrite(plan, conn).await?;
    with_bm25_statistics(plan, conn).await
}

/// Gathers the statistics of every BM25 call in `plan` and returns the plan with each call scored from them.
async fn with_bm25_statistics(
    plan: LogicalPlan,
    conn: &lancedb::Connection,
) -> Result<LogicalPlan> {
    let tables = scanned_tables(&plan);
    let mut wanted: Vec<Search> = Vec::new();
    plan.apply_with_subqueries(|node| {
        node.apply_expressions(|e| {
            e.apply(|x| {
                if let Some((search, _)) = bm25_call(x, &tables)?
                    && !wanted.contains(&search)
                {
                    wanted.push(search);
                }
                Ok(TreeNodeRecursion::Continue)
            })
        })
    })
    .map_err(df_error("cannot plan the search"))?;
    if wanted.is_empty() {
        return Ok(plan);
    }
    let mut stats: HashMap<Search, Arc<Bm25Stats>> = HashMap::new();
    for s in wanted {
        let table = conn
            .open_table(&s.table)
            .execute()
            .await
            .map_err(|e| crate::store::lance_error::from_lance(&s.table, "open", e))?;
        let st = Bm25Stats::gather(&table, &s.column, &s.words).await?;
        stats.insert(s, Arc::new(st));
    }
    plan.transform_up_with_subqueries(|node| {
        node.map_expressions(|e| {
            e.transform_up(|x| {
                let Some((search, normalised)) = bm25_call(&x, &tables)? else {
                    return Ok(Transformed::no(x));
                };
                let Expr::ScalarFunction(f) = &x else {
                    return Ok(Transformed::no(x));
                };
                let st = stats.get(&search).cloned().ok_or_else(|| {
                    datafusion::error::DataFusionError::Plan("BM25 statistics missing".into())
                })?;
                let udf = Arc::new(ScalarUDF::from(Bm25::new(
                    Bm25Source::Stats(st),
                    normalised,
                )));
                let scored =
                    Expr::ScalarFunction(ScalarFunction::new_udf(udf, vec![f.args[0].clone()]));
                Ok(Transformed::yes(scored))
            })
        })
    })
    .map(|t| t.data)
    .map_err(df_error("cannot plan the search"))
}

/// Table names the plan scans, by the name a column's qualifier uses (the table, or its alias).
fn scanned_tables(plan: &LogicalPlan) -> Vec<(String, String, Vec<String>)> {
    let mut out = Vec::new();
    let _ = plan.apply_with_subqueries(|node| {
        match node {
            LogicalPlan::TableScan(scan) => {
                let name = scan.table_name.table().to_string();
                out.push((name.clone(), name, columns_of(scan)));
            }
            LogicalPlan::SubqueryAlias(a) => {
                if let LogicalPlan::TableScan(scan) = a.input.as_ref() {
                    out.push((
                        a.alias.table().to_string(),
                        scan.table_name.table().to_string(),
                        columns_of(scan),
                    ));
                }
            }
            _ => {}
        }
        Ok(TreeNodeRecursion::Continue)
    });
    out
}

fn columns_of(scan: &datafusion::logical_expr::TableScan) -> Vec<String> {
    scan.source
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect()
}

/// When `e` is a BM25 placeholder call: what it searches and whether it is normalised.
fn bm25_call(
    e: &Expr,
    tables: &[(String, String, Vec<String>)],
) -> datafusion::error::Result<Option<(Search, bool)>> {
    let Expr::ScalarFunction(f) = e else {
        return Ok(None);
    };
    let normalised = match f.func.name() {
        BM25 => false,
        BM25_NORM => true,
        _ => return Ok(None),
    };
    let plan_err = |m: String| datafusion::error::DataFusionError::Plan(m);
    let Expr::Column(col) = &f.args[0] else {
        return Err(plan_err(format!(
            "'<#>' searches a table's TEXT column for words; '{}' is not a column",
            f.args[0].schema_name()
        )));
    };
    let words = match &f.args[1] {
        Expr::Literal(ScalarValue::Utf8(Some(w)) | ScalarValue::LargeUtf8(Some(w)), _) => w.clone(),
        other => {
            return Err(plan_err(format!(
                "'{} <#> …': the words must be a string, got {}",
                col.name,
                other.schema_name()
            )));
        }
    };
    let matches: Vec<&(String, String, Vec<String>)> = tables
        .iter()
        .filter(|(alias, _, cols)| {
            col.relation
                .as_ref()
                .is_none_or(|r: &TableReference| r.table() == alias)
                && cols.contains(&col.name)
        })
        .collect();
    let [(_, table, _)] = matches.as_slice() else {
        return Err(plan_err(format!(
            "cannot tell which table column '{}' searched with '<#>' belongs to; qualify it (table.column)",
            col.name
        )));
    };
    Ok(Some((
        Search {
            table: table.clone(),
            column: col.name.clone(),
            words,
        },
        normalised,
    )))
}
