//! Top-k by search score (§7), answered by Lance's search instead of scoring every row in SQL:
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

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float32Type, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::{Session as CatalogSession, TableProvider};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, ScalarValue};
use datafusion::datasource::TableType;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{Expr, Limit, LogicalPlan, ScalarUDF, Sort, TableScan};
use datafusion::physical_plan::ExecutionPlan;
use futures::TryStreamExt;
use lakefeed_core::Result;
use lancedb::DistanceType;
use lancedb::index::IndexType;
use lancedb::index::scalar::FullTextSearchQuery;
use lancedb::query::{ExecutableQuery, QueryBase, Select};

use super::bm25::{BM25, Bm25Lookup, TextScores};
use super::cache;
use super::vector::COSINE;

/// Candidates asked of a vector index per row wanted; Lance re-ranks them on the full vectors.
const REFINE: u32 = 10;
/// IVF partitions searched at least (see `vector_index` in the local store).
const NPROBES: usize = 32;
/// What Lance is asked for.
#[derive(Debug, Clone)]
enum Search {
    /// The rows nearest to `query` in `column`, through the vector index or exactly.
    Vector {
        column: String,
        query: Vec<f32>,
        indexed: bool,
    },
    /// The best BM25 matches of `words` in `column`, from its full-text index; their scores go to `scores`.
    Text {
        column: String,
        words: String,
        scores: TextScores,
    },
}

impl Search {
    fn column(&self) -> &str {
        match self {
            Search::Vector { column, .. } | Search::Text { column, .. } => column,
        }
    }
}

/// A table scan answered by the table's search index: only the best `k` candidates.
#[derive(Debug)]
pub struct SearchProvider {
    /// The store's URI (part of the vector cache's key).
    store: String,
    table: lancedb::Table,
    schema: SchemaRef,
    search: Search,
    k: usize,
    filter: Option<Expr>,
}

#[async_trait]
impl TableProvider for SearchProvider {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        _state: &dyn CatalogSession,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        let batches = self
            .candidates()
            .await
            .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
        Ok(MemorySourceConfig::try_new_exec(
            &[batches],
            self.schema.clone(),
            projection.cloned(),
        )?)
    }
}

impl SearchProvider {
    async fn candidates(&self) -> Result<Vec<RecordBatch>> {
        let err = |e| crate::store::lance_error::from_lance(self.table.name(), "search", e);
        let names: Vec<String> = self
            .schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let base = self.table.query().select(Select::columns(&names));
        let base = match &self.filter {
            Some(f) => base.only_if_expr(f.clone()),
            None => base,
        };
        if let (
            Search::Vector {
                column,
                query,
                indexed: false,
            },
            None,
        ) = (&self.search, &self.filter)
            && let Some(vectors) = cache::vectors(&self.store, &self.table, column).await?
        {
            let offsets = vectors.top_k(query, self.k);
            let stream = self
                .table
                .take_offsets(offsets)
                .select(Select::columns(&names))
                .execute()
                .await
                .map_err(err)?;
            let batches: Vec<RecordBatch> = stream.try_collect().await.map_err(err)?;
            return self.table_columns(batches);
        }
        let stream = match &self.search {
            Search::Vector {
                column,
                query,
                indexed,
            } => {
                let q = base
                    .nearest_to(query.as_slice())
                    .map_err(err)?
                    .column(column)
                    .distance_type(DistanceType::Cosine)
                    .limit(self.k);
                let q = if *indexed {
                    q.refine_factor(REFINE)
                        .minimum_nprobes(NPROBES)
                        .map_err(err)?
                } else {
                    q.bypass_vector_index()
                };
                q.execute().await.map_err(err)?
            }
            Search::Text { column, words, .. } => {
                // Ask for the score by name (Lance warns when it is added implicitly).
                let mut with_score = names.clone();
                with_score.push("_score".into());
                let base = base.select(Select::columns(&with_score));
                let q = FullTextSearchQuery::new(words.clone())
                    .with_column(column.clone())
                    .map_err(|e| {
                        lakefeed_core::Error::query(format!("full-text search of '{column}': {e}"))
                    })?;
                base.full_text_search(q)
                    .limit(self.k)
                    .execute()
                    .await
                    .map_err(err)?
            }
        };
        let batches: Vec<RecordBatch> = stream.try_collect().await.map_err(err)?;
        if let Search::Text { column, scores, .. } = &self.search {
            record_scores(&batches, column, scores)?;
        }
        self.table_columns(batches)
    }

    /// The table's columns only (Lance adds _distance / _score), in the table's order.
    fn table_columns(&self, batches: Vec<RecordBatch>) -> Result<Vec<RecordBatch>> {
        batches
            .into_iter()
            .map(|b| {
                let cols = self
                    .schema
                    .fields()
                    .iter()
                    .map(|f| {
                        b.column_by_name(f.name()).cloned().ok_or_else(|| {
                            lakefeed_core::Error::query(format!(
                                "search result lacks column {}",
                                f.name()
                            ))
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok(RecordBatch::try_new(self.schema.clone(), cols)?)
            })
            .collect()
    }
}

/// The index's BM25 score of each candidate, by its text (a score depends only on the text, for one query).
fn record_scores(batches: &[RecordBatch], column: &str, scores: &TextScores) -> Result<()> {
    let mut map = scores.lock().unwrap_or_else(|p| p.into_inner());
    for b in batches {
        let (Some(text), Some(score)) = (b.column_by_name(column), b.column_by_name("_score"))
        else {
            return Err(lakefeed_core::Error::query(
                "full-text search results lack the text or its score",
            ));
        };
        let (Some(text), Some(score)) = (
            text.as_string_opt::<i32>(),
            score.as_primitive_opt::<Float32Type>(),
        ) else {
            return Err(lakefeed_core::Error::query(
                "unexpected full-text search result types",
            ));
        };
        for i in 0..b.num_rows() {
            if text.is_valid(i) {
                map.insert(text.value(i).to_string(), score.value(i));
            }
        }
    }
    Ok(())
}

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
    let column = found.search.column().to_string();
    let indexes = table
        .list_indices()
        .await
        .map_err(|e| crate::store::lance_error::from_lance(&found.table, "list indexes of", e))?;
    let on_column = |vector: bool| {
        indexes.iter().any(|i| {
            i.columns == [column.as_str()]
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
    match &mut found.search {
        Search::Vector { query, indexed, .. } => {
            // Anything Lance's search cannot take (another dimension, not a fixed-size vector column) stays with
            // the per-row function, which explains the problem.
            let fits = schema.field_with_name(&column).is_ok_and(|f| {
                matches!(f.data_type(), DataType::FixedSizeList(_, d) if *d as usize == query.len())
            });
            if !fits {
                return Ok(plan);
            }
            *indexed = on_column(true);
        }
        // Without a full-text index BM25 stays exact, from the column's statistics.
        Search::Text { .. } if !on_column(false) => return Ok(plan),
        Search::Text { .. } => {}
    }
    tracing::debug!(table = found.table, k = found.k, search = ?found.search, "top-k answered by Lance's search");
    let lookup = match &found.search {
        Search::Text { scores, .. } => {
            Some(Arc::new(ScalarUDF::from(Bm25Lookup::new(scores.clone()))))
        }
        Search::Vector { .. } => None,
    };
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
        let Some(lookup) = &lookup else {
            return Ok(node);
        };
        // The BM25 of a candidate is the index's score, looked up by its text.
        node.transform_data(|n| {
            n.map_expressions(|e| {
                e.transform_up(|x| match x {
                    Expr::ScalarFunction(f) if f.func.name() == BM25 => {
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

/// The search a score expression asks for: cosine similarity against a constant vector, or BM25 of constant words.
fn search_of(score: &Expr) -> Option<Search> {
    let Expr::ScalarFunction(f) = score else {
        return None;
    };
    let Expr::Column(col) = &f.args[0] else {
        return None;
    };
    match (f.func.name(), &f.args[1]) {
        (COSINE, Expr::Literal(v, _)) => Some(Search::Vector {
            column: col.name.clone(),
            query: super::vector::query_vector(v, &col.name).ok()?,
            indexed: false,
        }),
        (BM25, Expr::Literal(ScalarValue::Utf8(Some(words)), _)) => Some(Search::Text {
            column: col.name.clone(),
            words: words.clone(),
            scores: TextScores::default(),
        }),
        _ => None,
    }
}
