//! Search (issue 10): top-10 latency over N random 384-d vectors, exact and indexed, against numpy brute force and
//! faiss (flat, and IVF at the nprobe reaching recall@10 ≥ 0.95) on the same vectors; BM25 top-10 over N
//! synthetic text chunks (Zipf-distributed words), exact and from the full-text index, against bm25s and the
//! lancedb Python package. lakefeed runs every query as SQL through `Client::query`.
//!
//! `cargo bench --profile dev --bench search -- [N] [QUERIES]` (defaults 1000000 and 100).

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod common;

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use lakefeed::arrow::array::{
    ArrayRef, FixedSizeListArray, Float32Array, Int64Array, RecordBatch, StringArray,
};
use lakefeed::arrow::datatypes::{DataType, Field, Schema};
use lakefeed::{Client, IngestData, IngestOptions, LogicalType};
use serde_json::json;

const DIM: usize = 384;
const BATCH: usize = 50_000;
const VOCAB: usize = 30_000;
/// Exact BM25 reads and tokenises the whole column per query: a few queries are enough for its median.
const EXACT_TEXT_QUERIES: usize = 3;

struct Lcg(u64);

impl Lcg {
    fn next_u32(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 32) as u32
    }
    fn unit(&mut self) -> f32 {
        self.next_u32() as f32 / u32::MAX as f32
    }
}

fn stats(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    let p = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    (p(0.5), p(0.99))
}

fn write_f32(path: &std::path::Path, values: &[f32]) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for v in values {
        f.write_all(&v.to_le_bytes()).unwrap();
    }
}

/// Runs `sql` once per parameter; returns latencies (ms) and the ids of each result.
fn timed(client: &Client, sql: &str, params: &[serde_json::Value]) -> (Vec<f64>, Vec<Vec<u64>>) {
    let (mut ms, mut ids) = (Vec::new(), Vec::new());
    for p in params {
        let t = Instant::now();
        let r = client.query(sql, std::slice::from_ref(p)).expect("query");
        ms.push(t.elapsed().as_secs_f64() * 1e3);
        ids.push(
            r.records()
                .unwrap()
                .iter()
                .map(|row| row["id"].as_u64().unwrap())
                .collect(),
        );
    }
    (ms, ids)
}

fn recall(found: &[Vec<u64>], truth: &[Vec<u64>]) -> f64 {
    let hits: usize = found
        .iter()
        .zip(truth)
        .map(|(f, t)| f.iter().filter(|i| t.contains(i)).count())
        .sum();
    hits as f64 / truth.iter().map(Vec::len).sum::<usize>() as f64
}

fn vector_batches(data: &[f32], n: usize) -> Vec<RecordBatch> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        LogicalType::Embedding(Some(DIM as i32))
            .field("emb", lakefeed::types::vector_type(DIM as i32)),
    ]));
    (0..n)
        .step_by(BATCH)
        .map(|s| {
            let e = (s + BATCH).min(n);
            let ids: ArrayRef = Arc::new(Int64Array::from_iter_values((s..e).map(|i| i as i64)));
            let vals = Float32Array::from(data[s * DIM..e * DIM].to_vec());
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
        .collect()
}

/// A pronounceable word per rank, so both tokenizers see plain words.
fn word(rank: usize) -> String {
    const SYL: [&str; 16] = [
        "ba", "ke", "di", "mo", "lu", "ra", "ne", "si", "to", "vu", "za", "pe", "go", "hi", "fa",
        "ju",
    ];
    let mut r = rank;
    let mut w = String::new();
    for _ in 0..4 {
        w.push_str(SYL[r % 16]);
        r /= 16;
    }
    w
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(1_000_000);
    let nq = args.get(1).copied().unwrap_or(100);
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    let dir = std::path::Path::new(&target).join("bench-search");
    std::fs::create_dir_all(&dir).unwrap();
    let mut g = Lcg(2026);

    // Vectors.
    let data: Vec<f32> = (0..n * DIM).map(|_| g.unit() * 2.0 - 1.0).collect();
    let queries: Vec<Vec<f32>> = (0..nq)
        .map(|_| (0..DIM).map(|_| g.unit() * 2.0 - 1.0).collect())
        .collect();
    write_f32(&dir.join("vectors.f32"), &data);
    write_f32(&dir.join("queries.f32"), &queries.concat());
    let store = tempfile::tempdir().unwrap();
    let client = Client::local(store.path()).unwrap();
    let opts = IngestOptions {
        rows_per_commit: 200_000,
        bytes_per_commit: 1 << 30,
        ..Default::default()
    };
    client
        .ingest("v", IngestData::Batches(vector_batches(&data, n)), &opts)
        .unwrap();
    drop(data);
    let sql = "SELECT id, emb <#> $1 AS score FROM v ORDER BY score DESC LIMIT 10";
    let params: Vec<_> = queries.iter().map(|q| json!(q)).collect();
    let (exact_ms, truth) = timed(&client, sql, &params);
    let t = Instant::now();
    client.create_index("v", "emb").unwrap();
    let index_s = t.elapsed().as_secs_f64();
    let (indexed_ms, found) = timed(&client, sql, &params);
    let indexed_recall = recall(&found, &truth);
    std::fs::write(
        dir.join("truth.json"),
        serde_json::to_string(&truth).unwrap(),
    )
    .unwrap();
    eprintln!("vectors done: index {index_s:.1}s, recall {indexed_recall:.3}");
    if std::env::var_os("LAKEFEED_BENCH_VECTORS_ONLY").is_some() {
        let (em, ep) = stats(exact_ms);
        let (im, ip) = stats(indexed_ms);
        println!("exact median {em:.1} p99 {ep:.1}; indexed median {im:.1} p99 {ip:.1}");
        return;
    }

    // Texts: Zipf-distributed words, 15–45 per chunk.
    let cum: Vec<f64> = (0..VOCAB)
        .scan(0.0, |acc, r| {
            *acc += 1.0 / (r as f64 + 1.0);
            Some(*acc)
        })
        .collect();
    let total = cum[VOCAB - 1];
    let pick = |g: &mut Lcg| {
        let u = f64::from(g.unit()) * total;
        cum.partition_point(|c| *c < u).min(VOCAB - 1)
    };
    let texts: Vec<String> = (0..n)
        .map(|_| {
            let len = 15 + (g.next_u32() % 31) as usize;
            (0..len)
                .map(|_| word(pick(&mut g)))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    std::fs::write(dir.join("texts.txt"), texts.join("\n")).unwrap();
    let text_queries: Vec<String> = (0..nq)
        .map(|_| {
            format!(
                "{} {}",
                word(50 + g.next_u32() as usize % 2000),
                word(50 + g.next_u32() as usize % 2000)
            )
        })
        .collect();
    std::fs::write(dir.join("words.txt"), text_queries.join("\n")).unwrap();
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        LogicalType::Text.field("text", DataType::Utf8),
    ]));
    let batches: Vec<RecordBatch> = (0..n)
        .step_by(BATCH)
        .map(|s| {
            let e = (s + BATCH).min(n);
            let ids: ArrayRef = Arc::new(Int64Array::from_iter_values((s..e).map(|i| i as i64)));
            let tx: ArrayRef = Arc::new(StringArray::from_iter_values(&texts[s..e]));
            RecordBatch::try_new(schema.clone(), vec![ids, tx]).unwrap()
        })
        .collect();
    drop(texts);
    client
        .ingest("d", IngestData::Batches(batches), &opts)
        .unwrap();
    let tsql = "SELECT id, text <#> $1 AS score FROM d ORDER BY score DESC LIMIT 10";
    let tparams: Vec<_> = text_queries.iter().map(|q| json!(q)).collect();
    let (text_exact_ms, _) = timed(&client, tsql, &tparams[..EXACT_TEXT_QUERIES.min(nq)]);
    let t = Instant::now();
    client.create_index("d", "text").unwrap();
    let fts_s = t.elapsed().as_secs_f64();
    let (text_indexed_ms, _) = timed(&client, tsql, &tparams);
    eprintln!("texts done: FTS index {fts_s:.1}s");

    let py = common::baseline(
        "search.py",
        &[
            dir.display().to_string(),
            n.to_string(),
            DIM.to_string(),
            nq.to_string(),
            nq.to_string(),
        ],
    );
    let v = &py["vectors"];
    let (em, ep) = stats(exact_ms);
    let (im, ip) = stats(indexed_ms);
    println!("\n### Vector top-10 over {n} random {DIM}-d vectors ({nq} queries)\n");
    println!("| tool | median ms | p99 ms | recall@10 | median vs lakefeed exact |");
    println!("|---|---|---|---|---|");
    println!("| lakefeed SQL, exact (no index) | {em:.1} | {ep:.1} | 1.000 | 1.00 |");
    println!(
        "| lakefeed SQL, IVF_SQ index (built in {index_s:.1} s) | {im:.1} | {ip:.1} | {indexed_recall:.3} | {:.2} |",
        im / em
    );
    for (name, key) in [
        ("numpy brute force", "numpy"),
        ("faiss IndexFlatIP", "faiss_flat"),
        ("faiss IVF-Flat", "faiss_ivf"),
    ] {
        let r = &v[key];
        let med = r["median_ms"].as_f64().unwrap_or(f64::NAN);
        let extra = if key == "faiss_ivf" {
            format!(
                " (nlist {}, nprobe {}, built in {:.1} s)",
                r["nlist"],
                r["nprobe"],
                r["build_s"].as_f64().unwrap_or(0.0)
            )
        } else {
            String::new()
        };
        println!(
            "| {name}{extra} | {med:.1} | {:.1} | {:.3} | {:.2} |",
            r["p99_ms"].as_f64().unwrap_or(f64::NAN),
            r["recall"].as_f64().unwrap_or(f64::NAN),
            med / em
        );
    }
    let t = &py["texts"];
    let (tm, tp) = stats(text_exact_ms);
    let (xm, xp) = stats(text_indexed_ms);
    println!(
        "\n### BM25 top-10 over {n} text chunks ({nq} two-word queries; exact: {EXACT_TEXT_QUERIES})\n"
    );
    println!("| tool | median ms | p99 ms | index build s |");
    println!("|---|---|---|---|");
    println!("| lakefeed SQL, exact (no index: statistics + scoring pass) | {tm:.1} | {tp:.1} | |");
    println!("| lakefeed SQL, full-text index | {xm:.1} | {xp:.1} | {fts_s:.1} |");
    for (name, key, build) in [
        ("bm25s", "bm25s", "bm25s_index_s"),
        (
            "lancedb 0.40 (Python) FTS",
            "lancedb_fts",
            "lancedb_index_s",
        ),
    ] {
        println!(
            "| {name} | {:.1} | {:.1} | {:.1} |",
            t[key]["median_ms"].as_f64().unwrap_or(f64::NAN),
            t[key]["p99_ms"].as_f64().unwrap_or(f64::NAN),
            t[build].as_f64().unwrap_or(f64::NAN)
        );
    }
}
