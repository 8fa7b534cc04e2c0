//! Search in SQL: `<#>` on vectors (cosine) and on text (BM25), `@>`, the weighted hybrid, with answers
//! computed here from the definitions.

use std::collections::HashMap;

use lakefeed::{Client, IngestData, IngestOptions};
use serde_json::{Value, json};

use crate::common::tmp;

/// A small deterministic generator (no rand dependency in tests).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as f32 / (1u64 << 31) as f32) * 2.0 - 1.0
    }
}

const WORDS: [&str; 8] = [
    "robot", "gripper", "lidar", "camera", "wheel", "bottle", "cube", "arm",
];

/// `n` rows of (id, text, emb): texts of 3–12 words from WORDS, 16-d vectors.
fn corpus(client: &Client, table: &str, n: usize) -> (Vec<String>, Vec<Vec<f32>>) {
    let mut g = Lcg(7);
    let (mut texts, mut embs) = (Vec::new(), Vec::new());
    for i in 0..n {
        let len = 3 + (i * 7 % 10);
        let words: Vec<&str> = (0..len)
            .map(|_| WORDS[((g.next() + 1.0) * 4.0) as usize % WORDS.len()])
            .collect();
        texts.push(words.join(" "));
        embs.push((0..16).map(|_| g.next()).collect());
    }
    let cols = vec![
        ("id".to_string(), (0..n).map(|i| json!(i)).collect()),
        ("text".to_string(), texts.iter().map(|t| json!(t)).collect()),
        ("emb".to_string(), embs.iter().map(|e| json!(e)).collect()),
    ];
    let opts = IngestOptions {
        schema: lakefeed::schema::parse_hints([("emb", "EMBEDDING(16)")]).unwrap(),
        ..Default::default()
    };
    client
        .ingest(table, IngestData::Columns(cols), &opts)
        .unwrap();
    (texts, embs)
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum();
    let n = |v: &[f32]| v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    dot / (n(a) * n(b))
}

/// BM25 from its definition with Lance's constants (k1 = 1.2, b = 0.75, the (k1 + 1) factor kept).
fn bm25(texts: &[String], query: &[&str]) -> Vec<f64> {
    let docs: Vec<Vec<&str>> = texts.iter().map(|t| t.split(' ').collect()).collect();
    let n = docs.len() as f64;
    let avgdl = docs.iter().map(Vec::len).sum::<usize>() as f64 / n;
    docs.iter()
        .map(|d| {
            query
                .iter()
                .map(|q| {
                    let df = docs.iter().filter(|x| x.contains(q)).count() as f64;
                    let idf = ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
                    let tf = d.iter().filter(|w| *w == q).count() as f64;
                    idf * 2.2 * tf / (tf + 1.2 * (1.0 - 0.75 + 0.75 * d.len() as f64 / avgdl))
                })
                .sum()
        })
        .collect()
}

fn rows(client: &Client, sql: &str, params: &[Value]) -> Vec<serde_json::Map<String, Value>> {
    client.query(sql, params).unwrap().records().unwrap()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn cosine_top_k_equals_brute_force() {
    let d = tmp();
    let client = Client::local(d.path()).unwrap();
    let (_, embs) = corpus(&client, "t", 300);
    let q: Vec<f32> = embs[17].iter().map(|x| x * 0.5 + 0.1).collect();
    let mut expected: Vec<(usize, f64)> = embs.iter().map(|e| cosine(e, &q)).enumerate().collect();
    expected.sort_by(|a, b| b.1.total_cmp(&a.1));
    let sql = "SELECT id, emb <#> $1 AS score FROM t ORDER BY score DESC LIMIT 10";
    let got = rows(&client, sql, &[json!(q)]);
    assert_eq!(got.len(), 10);
    for (row, (id, score)) in got.iter().zip(&expected) {
        assert_eq!(row["id"].as_u64(), Some(*id as u64));
        assert!(
            (f(&row["score"]) - score).abs() < 1e-5,
            "{row:?} vs {score}"
        );
    }
    // A row written after that search (which cached the vectors) is found by the next one (odd: the filtered
    // query below keeps even ids).
    let cols = vec![
        ("id".to_string(), vec![json!(5001)]),
        ("text".to_string(), vec![json!("late")]),
        ("emb".to_string(), vec![json!(q)]),
    ];
    client
        .ingest("t", IngestData::Columns(cols), &IngestOptions::default())
        .unwrap();
    let got = rows(&client, sql, &[json!(q)]);
    assert_eq!(got[0]["id"].as_u64(), Some(5001), "{got:?}");
    assert_eq!(got[1]["id"].as_u64(), Some(expected[0].0 as u64));
    // A vector literal, WHERE and OFFSET compose.
    let lit: Vec<String> = q.iter().map(|x| x.to_string()).collect();
    let sql = format!(
        "SELECT id FROM t WHERE id % 2 = 0 ORDER BY emb <#> ARRAY[{}]::FLOAT4[] DESC LIMIT 3 OFFSET 1",
        lit.join(", ")
    );
    let even: Vec<u64> = expected
        .iter()
        .filter(|(id, _)| id % 2 == 0)
        .skip(1)
        .take(3)
        .map(|(id, _)| *id as u64)
        .collect();
    let got: Vec<u64> = rows(&client, &sql, &[])
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect();
    assert_eq!(got, even);
    // Search operators in the WHERE of a top-k (evaluated by lakefeed, not pushed to Lance).
    for filter in ["text @> 'lidar'", "(text <#> 'lidar') > 0"] {
        let sql = format!("SELECT id FROM t WHERE {filter} ORDER BY emb <#> $1 DESC LIMIT 3");
        let got = rows(&client, &sql, &[json!(q)]);
        assert_eq!(got.len(), 3, "{filter}");
    }
}

#[test]
fn bm25_scores_follow_the_definition_with_and_without_an_index() {
    let d = tmp();
    let client = Client::local(d.path()).unwrap();
    let (texts, _) = corpus(&client, "t", 200);
    let expected = bm25(&texts, &["lidar", "gripper"]);
    let sql = "SELECT id, text <#> $1 AS score FROM t ORDER BY id";
    let check = |label: &str| {
        let got = rows(&client, sql, &[json!("Lidar GRIPPER")]);
        assert_eq!(got.len(), texts.len());
        for (row, want) in got.iter().zip(&expected) {
            let s = f(&row["score"]);
            assert!(
                (s - want).abs() < 1e-4 * want.max(1.0),
                "{label}: {row:?} vs {want}"
            );
        }
        got
    };
    let before = check("no index");
    client.create_index("t", "text").unwrap();
    let after = check("indexed");
    assert_eq!(
        before, after,
        "same SQL, same columns and values either way"
    );
}

#[test]
fn bm25_agrees_with_the_full_text_index() {
    let d = tmp();
    let client = Client::local(d.path()).unwrap();
    let (texts, _) = corpus(&client, "t", 200);
    for _ in 0..2 {
        client
            .query(
                "CREATE INDEX IF NOT EXISTS t_text ON t USING deeplake_index (text)",
                &[],
            )
            .unwrap();
    }
    let ours: HashMap<u64, f64> = rows(
        &client,
        "SELECT id, text <#> 'camera wheel' AS s FROM t",
        &[],
    )
    .iter()
    .map(|r| (r["id"].as_u64().unwrap(), f(&r["s"])))
    .collect();
    let lance = lance_fts(d.path(), "t", "camera wheel");
    assert!(!lance.is_empty());
    assert_eq!(
        lance.len(),
        ours.values().filter(|s| **s > 0.0).count(),
        "the index and the exact search match the same rows"
    );
    for (id, s) in lance {
        let mine = ours[&id];
        assert!(
            (mine - s).abs() < 1e-3 * s.max(1.0),
            "row {id}: {mine} vs index {s}"
        );
    }
    assert_eq!(texts.len(), ours.len());
}

/// Lance's own indexed full-text search: id → _score.
fn lance_fts(store: &std::path::Path, table: &str, words: &str) -> HashMap<u64, f64> {
    use lakefeed::arrow::array::AsArray;
    use lakefeed::arrow::datatypes::{Float32Type, Int64Type};
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use futures::TryStreamExt;
        use lancedb::index::scalar::FullTextSearchQuery;
        use lancedb::query::{ExecutableQuery, QueryBase, Select};
        let conn = lancedb::connect(store.to_str().unwrap())
            .execute()
            .await
            .unwrap();
        let t = conn.open_table(table).execute().await.unwrap();
        let q = FullTextSearchQuery::new(words.into())
            .with_column("text".into())
            .unwrap();
        let batches: Vec<_> = t
            .query()
            .full_text_search(q)
            .select(Select::columns(&["id"]))
            .limit(10_000)
            .execute()
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        let mut out = HashMap::new();
        for b in batches {
            let ids = b.column_by_name("id").unwrap().as_primitive::<Int64Type>();
            let sc = b
                .column_by_name("_score")
                .unwrap()
                .as_primitive::<Float32Type>();
            for i in 0..b.num_rows() {
                out.insert(ids.value(i) as u64, f64::from(sc.value(i)));
            }
        }
        out
    })
}

#[test]
fn hybrid_follows_the_weighted_formula_and_contains_is_a_substring_test() {
    let d = tmp();
    let client = Client::local(d.path()).unwrap();
    let (texts, embs) = corpus(&client, "t", 120);
    let q: Vec<f32> = embs[3].clone();
    let bm = bm25(&texts, &["cube"]);
    let max = bm.iter().cloned().fold(0.0, f64::max);
    let mut expected: Vec<(usize, f64)> = embs
        .iter()
        .zip(&bm)
        .map(|(e, b)| 0.7 * cosine(e, &q) + 0.3 * b / max)
        .enumerate()
        .collect();
    expected.sort_by(|a, b| b.1.total_cmp(&a.1));
    let sql = "SELECT id, (emb, text)::deeplake_hybrid_record <#> deeplake_hybrid_record($1, $2, 0.7, 0.3) AS h \
               FROM t ORDER BY h DESC LIMIT 8";
    let check = |label: &str, tolerance: f64| {
        let got = rows(&client, sql, &[json!(q), json!("cube")]);
        assert_eq!(got.len(), 8, "{label}");
        for (row, (id, h)) in got.iter().zip(&expected) {
            assert_eq!(row["id"].as_u64(), Some(*id as u64), "{label}: {got:?}");
            assert!(
                (f(&row["h"]) - h).abs() < tolerance,
                "{label}: {row:?} vs {h}"
            );
        }
    };
    check("exact", 1e-4);
    // With a full-text index the top-k comes from both searches' candidate pools, scored the same way.
    client.create_index("t", "text").unwrap();
    check("from the indexes", 1e-3);

    let want: Vec<u64> = texts
        .iter()
        .enumerate()
        .filter(|(_, t)| t.contains("era whe"))
        .map(|(i, _)| i as u64)
        .collect();
    let got: Vec<u64> = rows(
        &client,
        "SELECT id FROM t WHERE text @> $1 ORDER BY id",
        &[json!("era whe")],
    )
    .iter()
    .map(|r| r["id"].as_u64().unwrap())
    .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);
}

#[test]
fn bad_search_input_gets_one_clear_error_each() {
    let d = tmp();
    let client = Client::local(d.path()).unwrap();
    corpus(&client, "t", 10);
    let err = |sql: &str, params: &[Value]| client.query(sql, params).unwrap_err().chain();
    let e = err("SELECT emb <#> $1 FROM t", &[json!([1.0, 2.0])]);
    assert!(
        e.contains("'emb' holds 16-dimensional vectors") && e.contains("2 dimensions"),
        "{e}"
    );
    let e = err("SELECT id <#> 'robot' FROM t", &[]);
    assert!(
        e.contains("'id' is Int64") && e.contains("EMBEDDING"),
        "{e}"
    );
    let e = err("SELECT nope <#> 'robot' FROM t", &[]);
    assert!(e.contains("nope"), "{e}");
    let e = err(
        "SELECT (emb, text)::deeplake_hybrid_record <#> deeplake_hybrid_record($1, 'x', 'a', 0.3) FROM t",
        &[json!(vec![0.0f32; 16])],
    );
    assert!(e.contains("vector_weight must be a number"), "{e}");
    let e = err("SELECT text <#> 3 FROM t", &[]);
    assert!(e.contains("must be a string"), "{e}");
}

#[test]
fn indexed_vector_search_has_recall_at_10_of_at_least_095() {
    use lakefeed::arrow::array::{
        ArrayRef, FixedSizeListArray, Float32Array, Int64Array, RecordBatch,
    };
    use lakefeed::arrow::datatypes::{DataType, Field, Schema};
    use std::sync::Arc;
    const N: usize = 100_000;
    const DIM: usize = 384;
    let d = tmp();
    let client = Client::local(d.path()).unwrap();
    let mut g = Lcg(42);
    let data: Vec<f32> = (0..N * DIM).map(|_| g.next()).collect();
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        lakefeed::LogicalType::Embedding(Some(DIM as i32))
            .field("emb", lakefeed::types::vector_type(DIM as i32)),
    ]));
    let batches: Vec<RecordBatch> = (0..N)
        .step_by(10_000)
        .map(|s| {
            let ids: ArrayRef = Arc::new(Int64Array::from_iter_values(
                (s..s + 10_000).map(|i| i as i64),
            ));
            let vals = Float32Array::from(data[s * DIM..(s + 10_000) * DIM].to_vec());
            let emb: ArrayRef = Arc::new(
                FixedSizeListArray::try_new(
                    Arc::new(Field::new("item", DataType::Float32, true)),
                    DIM as i32,
                    Arc::new(vals),
                    None,
                )
                .unwrap(),
            );
            RecordBatch::try_new(schema.clone(), vec![ids, emb]).unwrap()
        })
        .collect();
    let opts = IngestOptions {
        rows_per_commit: 50_000,
        ..Default::default()
    };
    client
        .ingest("v", IngestData::Batches(batches), &opts)
        .unwrap();
    client.create_index("v", "emb").unwrap();
    let (mut hits, mut total) = (0, 0);
    for _ in 0..10 {
        let q: Vec<f32> = (0..DIM).map(|_| g.next()).collect();
        let mut exact: Vec<(usize, f64)> = (0..N)
            .map(|i| (i, cosine(&data[i * DIM..(i + 1) * DIM], &q)))
            .collect();
        exact.select_nth_unstable_by(10, |a, b| b.1.total_cmp(&a.1));
        let truth: Vec<u64> = exact[..10].iter().map(|(i, _)| *i as u64).collect();
        let got = rows(
            &client,
            "SELECT id, emb <#> $1 AS s FROM v ORDER BY s DESC LIMIT 10",
            &[json!(q)],
        );
        total += 10;
        hits += got
            .iter()
            .filter(|r| truth.contains(&r["id"].as_u64().unwrap()))
            .count();
        // The scores returned are exact cosine similarities.
        for r in &got {
            let i = r["id"].as_u64().unwrap() as usize;
            let want = cosine(&data[i * DIM..(i + 1) * DIM], &q);
            assert!((f(&r["s"]) - want).abs() < 1e-5);
        }
    }
    let recall = hits as f64 / total as f64;
    assert!(recall >= 0.95, "recall@10 = {recall}");
}

#[test]
fn rows_appended_after_the_index_are_found_and_optimize_folds_them_in() {
    let d = tmp();
    let client = Client::local(d.path()).unwrap();
    let (_, embs) = corpus(&client, "t", 300);
    client.create_index("t", "emb").unwrap();
    // A new row identical to the query: it must come first, before and after optimize.
    let q = embs[5].iter().map(|x| -x).collect::<Vec<f32>>();
    let cols = vec![
        ("id".to_string(), vec![json!(1000)]),
        ("text".to_string(), vec![json!("new robot")]),
        ("emb".to_string(), vec![json!(q)]),
    ];
    client
        .ingest("t", IngestData::Columns(cols), &IngestOptions::default())
        .unwrap();
    let sql = "SELECT id, emb <#> $1 AS s FROM t ORDER BY s DESC LIMIT 1";
    let top = |label: &str| {
        let r = rows(&client, sql, &[json!(q)]);
        assert_eq!(r[0]["id"].as_u64(), Some(1000), "{label}: {r:?}");
        assert!((f(&r[0]["s"]) - 1.0).abs() < 1e-5);
    };
    top("appended after the index");
    client.optimize("t").unwrap();
    top("after optimize");
    let out = crate::common::ok(crate::common::lakefeed(d.path(), &["optimize", "t"]));
    assert!(out.is_empty(), "{out}");
}
