//! The table scan that answers a top-k with Lance's searches: the nearest vectors (index, in-memory exact, or
//! Lance's flat search), the best full-text matches (index), or, for the hybrid, the union of both pools.

use std::collections::HashSet;
use std::sync::Arc;

use arrow::array::{Array, AsArray, BooleanArray, RecordBatch};
use arrow::compute::filter_record_batch;
use arrow::datatypes::{Float32Type, SchemaRef, UInt64Type};
use async_trait::async_trait;
use datafusion::catalog::{Session as CatalogSession, TableProvider};
use datafusion::datasource::TableType;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use futures::TryStreamExt;
use lakefeed_core::{Error, Result};
use lancedb::DistanceType;
use lancedb::index::scalar::FullTextSearchQuery;
use lancedb::query::{ExecutableQuery, QueryBase, Select};

use super::bm25::TextScores;
use super::cache;

/// Candidates asked of a vector index per row wanted; Lance re-ranks them on the full vectors.
const REFINE: u32 = 10;
/// IVF partitions searched at least (see `vector_index` in the local store).
const NPROBES: usize = 32;
/// Hybrid: each leg's pool of candidates, per row wanted.
const HYBRID_POOL: usize = 4;
/// Lance's row id column.
const ROW_ID: &str = "_rowid";
/// Hybrid: full-text matches whose scores are known (a candidate of the vector leg beyond them counts 0).
const HYBRID_SCORED: usize = 1000;

/// The nearest rows to `query` in `column`.
#[derive(Debug, Clone)]
pub(super) struct VectorLeg {
    pub column: String,
    pub query: Vec<f32>,
    /// Through the column's vector index (else exact).
    pub indexed: bool,
}

/// The best BM25 matches of `words` in `column`, from its full-text index; their scores go to `scores`.
#[derive(Debug, Clone)]
pub(super) struct TextLeg {
    pub column: String,
    pub words: String,
    pub scores: TextScores,
}

/// What Lance is asked for.
#[derive(Debug, Clone)]
pub(super) enum Search {
    Vector(VectorLeg),
    Text(TextLeg),
    /// Both legs; the candidates are the union of their pools.
    Hybrid(VectorLeg, TextLeg),
}

/// A table scan answered by Lance's search: only the best candidates for `k` rows.
#[derive(Debug)]
pub struct SearchProvider {
    /// The store's URI (part of the vector cache's key).
    pub(super) store: String,
    pub(super) table: lancedb::Table,
    pub(super) schema: SchemaRef,
    pub(super) search: Search,
    pub(super) k: usize,
    pub(super) filter: Option<Expr>,
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
        let batches = match &self.search {
            Search::Vector(v) => self.vector_rows(v, self.k, self.row_id()).await?,
            Search::Text(t) => self.text_rows(t, self.k, self.k, self.row_id()).await?,
            Search::Hybrid(v, t) => {
                let pool = self.k * HYBRID_POOL;
                let mut rows = self.vector_rows(v, pool, true).await?;
                rows.extend(
                    self.text_rows(t, pool, HYBRID_SCORED.max(pool), true)
                        .await?,
                );
                distinct_rows(rows)?
            }
        };
        self.table_columns(batches)
    }

    fn err(&self) -> impl Fn(lancedb::Error) -> Error + '_ {
        |e| crate::store::lance_error::from_lance(self.table.name(), "search", e)
    }

    /// Whether the statement selects `_rowid` (Lance adds it when asked, it is not selected by name).
    fn row_id(&self) -> bool {
        self.schema.column_with_name(ROW_ID).is_some()
    }

    fn names(&self, extra: &[&str]) -> Vec<String> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .filter(|n| n != ROW_ID)
            .chain(extra.iter().map(|s| s.to_string()))
            .collect()
    }

    /// The `limit` rows nearest to the leg's vector: from memory when the table's vectors are cached (no WHERE),
    /// else through Lance (the index, or its exact flat search).
    async fn vector_rows(
        &self,
        leg: &VectorLeg,
        limit: usize,
        row_id: bool,
    ) -> Result<Vec<RecordBatch>> {
        let err = self.err();
        let names = Select::columns(&self.names(&[]));
        if !leg.indexed
            && self.filter.is_none()
            && let Some(vectors) = cache::vectors(&self.store, &self.table, &leg.column).await?
        {
            let take = self
                .table
                .take_offsets(vectors.top_k(&leg.query, limit))
                .select(names);
            let take = if row_id { take.with_row_id() } else { take };
            let stream = take.execute().await.map_err(&err)?;
            return stream.try_collect().await.map_err(&err);
        }
        let base = self.table.query().select(names);
        let base = if row_id { base.with_row_id() } else { base };
        let base = match &self.filter {
            Some(f) => base.only_if_expr(f.clone()),
            None => base,
        };
        let q = base
            .nearest_to(leg.query.as_slice())
            .map_err(&err)?
            .column(&leg.column)
            .distance_type(DistanceType::Cosine)
            .limit(limit);
        let q = if leg.indexed {
            q.refine_factor(REFINE)
                .minimum_nprobes(NPROBES)
                .map_err(&err)?
        } else {
            q.bypass_vector_index()
        };
        q.execute()
            .await
            .map_err(&err)?
            .try_collect()
            .await
            .map_err(&err)
    }

    /// The `limit` best full-text matches, recording the scores of the best `scored` (at least `limit`).
    async fn text_rows(
        &self,
        leg: &TextLeg,
        limit: usize,
        scored: usize,
        row_id: bool,
    ) -> Result<Vec<RecordBatch>> {
        let err = self.err();
        // Ask for the score by name (Lance warns when it is added implicitly).
        let base = self
            .table
            .query()
            .select(Select::columns(&self.names(&["_score"])));
        let base = if row_id { base.with_row_id() } else { base };
        let base = match &self.filter {
            Some(f) => base.only_if_expr(f.clone()),
            None => base,
        };
        let q = FullTextSearchQuery::new(leg.words.clone())
            .with_column(leg.column.clone())
            .map_err(|e| Error::query(format!("full-text search of '{}': {e}", leg.column)))?;
        let batches: Vec<RecordBatch> = base
            .full_text_search(q)
            .limit(scored.max(limit))
            .execute()
            .await
            .map_err(&err)?
            .try_collect()
            .await
            .map_err(&err)?;
        record_scores(&batches, &leg.column, &leg.scores)?;
        // Results come best first: keep the first `limit` rows.
        let mut left = limit;
        Ok(batches
            .into_iter()
            .filter_map(|b| {
                let n = b.num_rows().min(left);
                left -= n;
                (n > 0).then(|| b.slice(0, n))
            })
            .collect())
    }

    /// The table's columns only (Lance adds _distance / _score / _rowid), in the table's order.
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
                            Error::query(format!("search result lacks column {}", f.name()))
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok(RecordBatch::try_new(self.schema.clone(), cols)?)
            })
            .collect()
    }
}

/// Rows of both hybrid legs, each row once (by `_rowid`).
fn distinct_rows(batches: Vec<RecordBatch>) -> Result<Vec<RecordBatch>> {
    let mut seen = HashSet::new();
    batches
        .into_iter()
        .map(|b| {
            let ids = b
                .column_by_name("_rowid")
                .and_then(|c| c.as_primitive_opt::<UInt64Type>())
                .ok_or_else(|| Error::query("hybrid search results lack _rowid"))?;
            let keep: BooleanArray = ids
                .iter()
                .map(|id| Some(id.is_none_or(|id| seen.insert(id))))
                .collect();
            // Both legs select the same columns, but only the text leg has _score: keep the table's.
            Ok(filter_record_batch(&b, &keep)?)
        })
        .collect()
}

/// The index's BM25 score of each match, by its text (a score depends only on the text, for one query), and
/// the highest.
fn record_scores(batches: &[RecordBatch], column: &str, scores: &TextScores) -> Result<()> {
    let mut map = scores.lock().unwrap_or_else(|p| p.into_inner());
    for b in batches {
        let (Some(text), Some(score)) = (b.column_by_name(column), b.column_by_name("_score"))
        else {
            return Err(Error::query(
                "full-text search results lack the text or its score",
            ));
        };
        let (Some(text), Some(score)) = (
            text.as_string_opt::<i32>(),
            score.as_primitive_opt::<Float32Type>(),
        ) else {
            return Err(Error::query("unexpected full-text search result types"));
        };
        for i in 0..b.num_rows() {
            if text.is_valid(i) {
                map.max = map.max.max(score.value(i));
                map.by_text
                    .insert(text.value(i).to_string(), score.value(i));
            }
        }
    }
    Ok(())
}
