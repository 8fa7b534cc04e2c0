//! Top-k by search score, answered by Lance's search instead of scoring every row in SQL:
//! - `ORDER BY emb <#> v DESC LIMIT k`: the vector index's best candidates when the column has one, else Lance's
//!   exact flat search (its distance kernels and a top-k heap);
//! - `ORDER BY text <#> 'words' DESC LIMIT k` on a column with a full-text index: the index's best matches, with
//!   its BM25 scores (equal to the exact ones for indexed rows; rows appended since are scored with the index's
//!   statistics until `optimize`). Without an index BM25 stays exact.
//!
//! The scan of the table is replaced by a [`SearchProvider`] that asks Lance for the candidates (the WHERE
//! clause applied before the search). The rest of the plan stays: every candidate's score is computed again
//! exactly by the same functions as without an index, so the returned scores are exact and the result has the
//! same columns either way.

use std::sync::Arc;

use arrow::datatypes::{DataType, SchemaRef};
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Column, ScalarValue};
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{Expr, Limit, LogicalPlan, ScalarUDF, Sort, TableScan};
use lakefeed_core::Result;
use lancedb::index::IndexType;

use super::bm25::{BM25, BM25_NORM, Bm25, Bm25Source, TextScores};
use super::provider::{Search, SearchProvider, TextLeg, VectorLeg};
use super::vector::COSINE;

/// A top-k that an index may answer: where the scan is, what to search, how many rows.
struct Candidate {
    table: String,
    search: Search,
    k: usize,
    filter: Option<Expr>,
}

/// Replaces the scan under `ORDER BY emb <#> v DESC LIMIT k` with Lance's nearest-neighbour search, and the scan
/// under `ORDER BY text <#> 'words' DESC LIMIT k` with its full-text search when the column has a full-text index.
pub async fn rewrite(plan: LogicalPlan, conn: &lancedb::Connection) -> Result<LogicalPlan> {
    let Some(mut found) = find(&plan) else {
        return Ok(plan);
    };
    let table = conn
        .open_table(&found.table)
        .execute()
        .await
        .map_err(|e| crate::store::lance_error::from_lance(&found.table, "open", e))?;
    let indexes = table
        .list_indices()
        .await
        .map_err(|e| crate::store::lance_error::from_lance(&found.table, "list indexes of", e))?;
    let has_index = |column: &str, vector: bool| {
        indexes.iter().any(|i| {
            i.columns == [column]
                && if vector {
                    is_vector_index(&i.index_type)
                } else {
                    matches!(i.index_type, IndexType::FTS)
                }
        })
    };
    let schema = table.schema().await.map_err(|e| {
        crate::store::lance_error::from_lance(&found.table, "read the schema of", e)
    })?;
    // Anything Lance's vector search cannot take (another dimension, not a fixed-size vector column) stays with
    // the per-row function, which explains the problem.
    let fits = |v: &VectorLeg| {
        schema.field_with_name(&v.column).is_ok_and(|f| {
            matches!(f.data_type(), DataType::FixedSizeList(_, d) if *d as usize == v.query.len())
        })
    };
    let usable = match &mut found.search {
        Search::Vector(v) => {
            v.indexed = has_index(&v.column, true);
            fits(v)
        }
        // Without a full-text index BM25 stays exact, from the column's statistics.
        Search::Text(t) => has_index(&t.column, false),
        Search::Hybrid(v, t) => {
            v.indexed = has_index(&v.column, true);
            fits(v) && has_index(&t.column, false)
        }
    };
    if !usable {
        return Ok(plan);
    }
    tracing::debug!(table = found.table, k = found.k, search = ?found.search, "top-k answered by Lance's search");
    // The BM25 of a candidate is the index's score, looked up by its text.
    let lookup = match &found.search {
        Search::Text(t) => Some((BM25, Bm25::new(Bm25Source::Index(t.scores.clone()), false))),
        Search::Hybrid(_, t) => Some((
            BM25_NORM,
            Bm25::new(Bm25Source::Index(t.scores.clone()), true),
        )),
        Search::Vector(_) => None,
    }
    .map(|(name, f)| (name, Arc::new(ScalarUDF::from(f))));
    // A statement that selects `_rowid` scans it too (see `mentions_row_id`).
    let schema = with_row_id(schema, &plan, &found.table);
    let provider = Arc::new(SearchProvider {
        store: conn.uri().to_string(),
        table,
        schema,
        search: found.search,
        k: found.k,
        filter: found.filter,
    });
    let source = provider_as_source(provider);
    plan.transform_up(|node| {
        let node = match node {
            LogicalPlan::TableScan(scan) if scan.table_name.table() == found.table => {
                Transformed::yes(LogicalPlan::TableScan(TableScan {
                    source: source.clone(),
                    ..scan
                }))
            }
            other => Transformed::no(other),
        };
        let Some((name, lookup)) = &lookup else {
            return Ok(node);
        };
        node.transform_data(|n| {
            n.map_expressions(|e| {
                e.transform_up(|x| match x {
                    Expr::ScalarFunction(f) if f.func.name() == *name => {
                        Ok(Transformed::yes(Expr::ScalarFunction(
                            ScalarFunction::new_udf(lookup.clone(), vec![f.args[0].clone()]),
                        )))
                    }
                    other => Ok(Transformed::no(other)),
                })
            })
        })
    })
    .map(|t| t.data)
    .map_err(super::super::df_error("cannot plan the index search"))
}

fn is_vector_index(t: &IndexType) -> bool {
    matches!(
        t,
        IndexType::IvfFlat
            | IndexType::IvfSq
            | IndexType::IvfPq
            | IndexType::IvfRq
            | IndexType::IvfHnswPq
            | IndexType::IvfHnswSq
            | IndexType::IvfHnswFlat
    )
}

/// The plan's shape: Limit → (Projection) → Sort(score DESC) → (Projection) → (Filter) → TableScan, with one
/// scan in the whole plan.
fn find(plan: &LogicalPlan) -> Option<Candidate> {
    let LogicalPlan::Limit(limit) = plan else {
        return None;
    };
    let k = limit_rows(limit)?;
    let mut node = limit.input.as_ref();
    while let LogicalPlan::Projection(p) = node {
        node = p.input.as_ref();
    }
    let LogicalPlan::Sort(Sort { expr, input, .. }) = node else {
        return None;
    };
    let first = expr.first()?;
    if first.asc {
        return None;
    }
    let mut score = first.expr.clone();
    let mut node = input.as_ref();
    if let LogicalPlan::Projection(p) = node {
        if let Expr::Column(c) = &score {
            score = p
                .expr
                .iter()
                .find(|e| e.schema_name().to_string() == c.name || alias_of(e) == Some(&c.name))
                .map(|e| unalias(e.clone()))?;
        }
        node = p.input.as_ref();
    }
    let mut filter = None;
    if let LogicalPlan::Filter(f) = node {
        // Lance evaluates the WHERE itself: it knows DataFusion's functions, not lakefeed's.
        if uses_our_functions(&f.predicate) {
            return None;
        }
        filter = Some(unqualify(f.predicate.clone()));
        node = f.input.as_ref();
    }
    let LogicalPlan::TableScan(scan) = node else {
        return None;
    };
    // Binding parameters names the expression with an alias.
    let search = search_of(&unalias(score))?;
    Some(Candidate {
        table: scan.table_name.table().to_string(),
        search,
        k,
        filter,
    })
}

/// Whether `e` calls one of lakefeed's search functions (`<#>` in a WHERE).
fn uses_our_functions(e: &Expr) -> bool {
    e.exists(|x| Ok(matches!(x, Expr::ScalarFunction(f) if f.func.name().starts_with("lakefeed_"))))
        .unwrap_or(true)
}

fn limit_rows(limit: &Limit) -> Option<usize> {
    let n = |e: &Option<Box<Expr>>| match e.as_deref() {
        None => Some(0),
        Some(Expr::Literal(ScalarValue::Int64(Some(v)), _)) => usize::try_from(*v).ok(),
        _ => None,
    };
    let skip = n(&limit.skip)?;
    let fetch = match limit.fetch.as_deref() {
        Some(Expr::Literal(ScalarValue::Int64(Some(v)), _)) => usize::try_from(*v).ok()?,
        _ => return None,
    };
    Some(skip + fetch)
}

fn alias_of(e: &Expr) -> Option<&String> {
    match e {
        Expr::Alias(a) => Some(&a.name),
        _ => None,
    }
}

fn unalias(e: Expr) -> Expr {
    match e {
        Expr::Alias(a) => *a.expr,
        other => other,
    }
}

/// The predicate with bare column names, as Lance reads it.
fn unqualify(e: Expr) -> Expr {
    e.transform_up(|x| match x {
        Expr::Column(c) => Ok(Transformed::yes(Expr::Column(Column::new_unqualified(
            c.name,
        )))),
        other => Ok(Transformed::no(other)),
    })
    .map(|t| t.data)
    .unwrap_or_else(|e| Expr::Literal(ScalarValue::Utf8(Some(e.to_string())), None))
}

/// The search a score expression asks for: cosine similarity against a constant vector, BM25 of constant
/// words, or the hybrid of both (the expression holds one of each, the BM25 normalised).
fn search_of(score: &Expr) -> Option<Search> {
    match (vector_leg(score), text_leg(score, BM25)) {
        (Some(v), None) => return Some(Search::Vector(v)),
        (None, Some(t)) => return Some(Search::Text(t)),
        _ => {}
    }
    let mut vectors = Vec::new();
    let mut texts = Vec::new();
    score
        .apply(|e| {
            vectors.extend(vector_leg(e));
            texts.extend(text_leg(e, BM25_NORM));
            Ok(TreeNodeRecursion::Continue)
        })
        .ok()?;
    match (vectors.as_slice(), texts.as_slice()) {
        ([v], [t]) => Some(Search::Hybrid(v.clone(), t.clone())),
        _ => None,
    }
}

/// `lakefeed_cosine(column, constant vector, …)`.
fn vector_leg(e: &Expr) -> Option<VectorLeg> {
    let Expr::ScalarFunction(f) = e else {
        return None;
    };
    match (f.func.name(), f.args.as_slice()) {
        (COSINE, [Expr::Column(col), Expr::Literal(v, _), ..]) => Some(VectorLeg {
            column: col.name.clone(),
            query: super::vector::query_vector(v, &col.name).ok()?,
            indexed: false,
        }),
        _ => None,
    }
}

/// `name(column, 'words')`, `name` a BM25 placeholder.
fn text_leg(e: &Expr, name: &str) -> Option<TextLeg> {
    let Expr::ScalarFunction(f) = e else {
        return None;
    };
    match f.args.as_slice() {
        [
            Expr::Column(col),
            Expr::Literal(ScalarValue::Utf8(Some(words)), _),
        ] if f.func.name() == name => Some(TextLeg {
            column: col.name.clone(),
            words: words.clone(),
            scores: TextScores::default(),
        }),
        _ => None,
    }
}

/// `schema` with the `_rowid` field appended when the plan's scan of `table` has it.
fn with_row_id(schema: SchemaRef, plan: &LogicalPlan, table: &str) -> SchemaRef {
    let mut field = None;
    let _ = plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node
            && scan.table_name.table() == table
            && let Ok(f) = scan.source.schema().field_with_name("_rowid")
        {
            field = Some(f.clone());
            return Ok(TreeNodeRecursion::Stop);
        }
        Ok(TreeNodeRecursion::Continue)
    });
    match field {
        Some(f) if schema.column_with_name("_rowid").is_none() => {
            let mut fields = schema.fields().to_vec();
            fields.push(Arc::new(f));
            Arc::new(arrow::datatypes::Schema::new_with_metadata(fields, schema.metadata().clone()))
        }
        _ => schema,
    }
}
