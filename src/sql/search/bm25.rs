//! `text <#> 'words'`: BM25 relevance, exact, with the full-text index's tokenizer and Lance's constants.
//!
//! BM25 needs corpus statistics (document count, average length, how many documents hold each term), so a
//! per-row function alone cannot compute it. Before a query runs, [`Bm25Stats::gather`] reads the column once
//! and the placeholder call is replaced by a [`Bm25`] function holding the statistics; each row is then scored
//! from its own text. Tokens come from the same analyzer the full-text index uses (lower-cased, stemmed, stop
//! words removed, ASCII-folded), so indexed and unindexed searches agree.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, AsArray, Float32Array};
use arrow::datatypes::DataType;
use datafusion::common::exec_err;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use futures::TryStreamExt;
use lakefeed_core::{Error, Result};
use lance_index::scalar::inverted::tokenizer::document_tokenizer::LanceTokenizer;
use lance_tokenizer::TokenStream;
use lancedb::query::{ExecutableQuery, QueryBase, Select};

/// Lance's BM25 constants (`lance-index` scorer): k1, b, and the (k1 + 1) factor kept.
const K1: f32 = 1.2;
const B: f32 = 0.75;

fn tokenizer() -> Result<Box<dyn LanceTokenizer>> {
    crate::store::fts_index_params()
        .build()
        .map_err(|e| Error::query(format!("cannot build the text tokenizer: {e}")))
}

/// Document tokens, as the index counts them.
fn doc_tokens(t: &mut Box<dyn LanceTokenizer>, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut s = t.token_stream_for_doc(text);
    while s.advance() {
        out.push(s.token().text.clone());
    }
    out
}

/// The distinct terms of a query.
fn query_terms(t: &mut Box<dyn LanceTokenizer>, query: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut s = t.token_stream_for_search(query);
    while s.advance() {
        let text = s.token().text.clone();
        if !out.contains(&text) {
            out.push(text);
        }
    }
    out
}

/// Corpus statistics for one (column, query).
#[derive(Debug)]
pub struct Bm25Stats {
    terms: Vec<String>,
    idf: Vec<f32>,
    avgdl: f32,
    /// The highest score over the column (for hybrid normalisation); 0 when nothing matches.
    pub max: f32,
}

impl Bm25Stats {
    /// Reads `column` of `table` once: document count, average length, document frequency of each query term,
    /// and the highest score.
    pub async fn gather(table: &lancedb::Table, column: &str, query: &str) -> Result<Self> {
        let mut tok = tokenizer()?;
        let terms = query_terms(&mut tok, query);
        let index: HashMap<&str, usize> = terms
            .iter()
            .enumerate()
            .map(|(i, t)| (t.as_str(), i))
            .collect();
        let mut stream = table
            .query()
            .select(Select::columns(&[column]))
            .execute()
            .await
            .map_err(|e| crate::store::lance_error::from_lance(table.name(), "search", e))?;
        let (mut docs, mut tokens) = (0u64, 0u64);
        let mut df = vec![0u64; terms.len()];
        // Length and term counts of the documents holding a query term (the others score 0).
        let mut hits: Vec<(u32, Vec<u32>)> = Vec::new();
        while let Some(batch) = stream
            .try_next()
            .await
            .map_err(|e| crate::store::lance_error::from_lance(table.name(), "search", e))?
        {
            let col = batch.column(0);
            let Some(text) = col.as_string_opt::<i32>() else {
                return Err(Error::query(format!(
                    "'{column} <#> …' with words needs a TEXT column; '{column}' is {}",
                    col.data_type()
                )));
            };
            for doc in text.iter().flatten() {
                let toks = doc_tokens(&mut tok, doc);
                docs += 1;
                tokens += toks.len() as u64;
                let mut tf = vec![0u32; terms.len()];
                for t in &toks {
                    if let Some(&i) = index.get(t.as_str()) {
                        tf[i] += 1;
                    }
                }
                if tf.iter().any(|&n| n > 0) {
                    for (d, &n) in df.iter_mut().zip(&tf) {
                        *d += u64::from(n > 0);
                    }
                    hits.push((toks.len() as u32, tf));
                }
            }
        }
        let avgdl = if docs == 0 {
            1.0
        } else {
            tokens as f32 / docs as f32
        };
        let idf = df.iter().map(|&n| idf(n, docs)).collect();
        let mut stats = Self {
            terms,
            idf,
            avgdl,
            max: 0.0,
        };
        stats.max = hits
            .iter()
            .map(|(dl, tf)| stats.score_counts(*dl, tf))
            .fold(0.0, f32::max);
        Ok(stats)
    }

    fn score_counts(&self, dl: u32, tf: &[u32]) -> f32 {
        let norm = K1 * (1.0 - B + B * dl as f32 / self.avgdl);
        tf.iter()
            .zip(&self.idf)
            .filter(|(n, _)| **n > 0)
            .map(|(&n, idf)| idf * (K1 + 1.0) * n as f32 / (n as f32 + norm))
            .fold(0.0, |a, b| a + b)
    }

    fn score(&self, tok: &mut Box<dyn LanceTokenizer>, text: &str) -> f32 {
        let toks = doc_tokens(tok, text);
        let tf: Vec<u32> = self
            .terms
            .iter()
            .map(|t| toks.iter().filter(|x| *x == t).count() as u32)
            .collect();
        self.score_counts(toks.len() as u32, &tf)
    }
}

/// Scores the first argument's texts with `score` (0 for null text).
fn score_texts(
    args: &ScalarFunctionArgs,
    mut score: impl FnMut(&str) -> f32,
) -> datafusion::error::Result<ColumnarValue> {
    let text = match &args.args[0] {
        ColumnarValue::Array(a) => a.clone(),
        ColumnarValue::Scalar(s) => s.to_array_of_size(1)?,
    };
    let Some(text) = text.as_string_opt::<i32>() else {
        return exec_err!("BM25 needs a TEXT column, not {}", text.data_type());
    };
    let out: Float32Array = text
        .iter()
        .map(|t| Some(t.map_or(0.0, &mut score)))
        .collect();
    Ok(ColumnarValue::Array(Arc::new(out)))
}

/// Lance's idf: ln((N − n + 0.5)/(n + 0.5) + 1).
fn idf(n: u64, docs: u64) -> f32 {
    let (n, docs) = (n as f32, docs as f32);
    ((docs - n + 0.5) / (n + 0.5) + 1.0).ln()
}

/// The placeholder names: `lakefeed_bm25(text, query)` and, for hybrid search, `lakefeed_bm25_norm(text, query)`
/// (the score divided by the column's highest, in [0, 1]). Replaced before the query runs.
pub const BM25: &str = "lakefeed_bm25";
/// See [`BM25`].
pub const BM25_NORM: &str = "lakefeed_bm25_norm";

/// A BM25 call before its statistics are gathered; running it is an error.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Bm25Placeholder {
    name: &'static str,
    signature: Signature,
}

impl Bm25Placeholder {
    /// The placeholder `name` ([`BM25`] or [`BM25_NORM`]).
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            signature: Signature::any(2, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for Bm25Placeholder {
    fn name(&self) -> &str {
        self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(DataType::Float32)
    }
    fn invoke_with_args(
        &self,
        _args: ScalarFunctionArgs,
    ) -> datafusion::error::Result<ColumnarValue> {
        exec_err!("BM25 ('text <#> words') is only available over a table column")
    }
}

/// The scores of one full-text search, by document text, and the highest.
#[derive(Debug, Default)]
pub struct ScoreMap {
    /// Score by document text.
    pub by_text: HashMap<String, f32>,
    /// The highest score seen.
    pub max: f32,
}

/// A full-text search's scores, filled by the search and read by [`Bm25`].
pub type TextScores = Arc<std::sync::Mutex<ScoreMap>>;

/// Where a scored BM25 call gets its scores.
#[derive(Debug, Clone)]
pub enum Bm25Source {
    /// Exact: each row's text scored with the column's statistics.
    Stats(Arc<Bm25Stats>),
    /// The full-text index's score of a candidate, looked up by its text (0 when the search did not score it).
    /// The index search fills it before rows are projected.
    Index(TextScores),
}

impl Bm25Source {
    /// The pointer that identifies the per-query state (DataFusion compares functions).
    fn id(&self) -> usize {
        match self {
            Bm25Source::Stats(s) => Arc::as_ptr(s) as *const () as usize,
            Bm25Source::Index(s) => Arc::as_ptr(s) as *const () as usize,
        }
    }
}

/// A BM25 call with its scores: `lakefeed_bm25_scored(text)`, divided by the highest score when `normalised`
/// (`lakefeed_bm25_norm_scored`, the hybrid's text part).
#[derive(Debug)]
pub struct Bm25 {
    source: Bm25Source,
    normalised: bool,
    signature: Signature,
}

impl Bm25 {
    /// Scores from `source`, divided by the highest when `normalised`.
    pub fn new(source: Bm25Source, normalised: bool) -> Self {
        Self {
            source,
            normalised,
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

impl PartialEq for Bm25 {
    fn eq(&self, other: &Self) -> bool {
        self.source.id() == other.source.id() && self.normalised == other.normalised
    }
}
impl Eq for Bm25 {}
impl std::hash::Hash for Bm25 {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.source.id().hash(state);
        self.normalised.hash(state);
    }
}

impl ScalarUDFImpl for Bm25 {
    fn name(&self) -> &str {
        if self.normalised {
            "lakefeed_bm25_norm_scored"
        } else {
            "lakefeed_bm25_scored"
        }
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(DataType::Float32)
    }
    fn invoke_with_args(
        &self,
        args: ScalarFunctionArgs,
    ) -> datafusion::error::Result<ColumnarValue> {
        let scale = |max: f32| {
            if self.normalised && max > 0.0 {
                1.0 / max
            } else {
                1.0
            }
        };
        match &self.source {
            Bm25Source::Stats(stats) => {
                let mut tok = tokenizer()
                    .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
                let scale = scale(stats.max);
                score_texts(&args, |t| stats.score(&mut tok, t) * scale)
            }
            Bm25Source::Index(scores) => {
                let scores = scores.lock().unwrap_or_else(|p| p.into_inner());
                let scale = scale(scores.max);
                score_texts(&args, |t| {
                    scores.by_text.get(t).copied().unwrap_or(0.0) * scale
                })
            }
        }
    }
}
