"""Baselines for the search benchmark (benches/search.rs): the same vectors and texts, searched with numpy
brute force, faiss (flat, and IVF at the nprobe that reaches recall@10 >= 0.95), bm25s and the lancedb package.

usage: search.py DIR N DIM QUERIES TEXT_QUERIES   (DIR holds vectors.f32, queries.f32, texts.txt, words.txt,
truth.json written by the Rust side). Prints JSON: per tool, latencies in ms (median, p99) and recall."""

import json
import sys
import tempfile
import time

import numpy as np


def stats(times):
    ms = np.array(times) * 1000.0
    return {"median_ms": float(np.median(ms)), "p99_ms": float(np.percentile(ms, 99))}


def recall(found, truth):
    hits = sum(len(set(f) & set(t)) for f, t in zip(found, truth))
    return hits / float(sum(len(t) for t in truth))


def vectors(d, n, dim, nq, truth):
    xb = np.fromfile(f"{d}/vectors.f32", dtype=np.float32).reshape(n, dim)
    xq = np.fromfile(f"{d}/queries.f32", dtype=np.float32).reshape(nq, dim)
    out = {}
    # numpy brute force: normalised matrix-vector product and a partial sort, as a user would write it.
    t = time.time()
    xn = xb / np.linalg.norm(xb, axis=1, keepdims=True)
    out["numpy_prepare_s"] = time.time() - t
    times, found = [], []
    for q in xq:
        t = time.time()
        s = xn @ (q / np.linalg.norm(q))
        top = np.argpartition(-s, 10)[:10]
        top = top[np.argsort(-s[top])]
        times.append(time.time() - t)
        found.append([int(i) for i in top])
    out["numpy"] = {**stats(times), "recall": recall(found, truth)}

    import faiss

    faiss.omp_set_num_threads(2)
    flat = faiss.IndexFlatIP(dim)
    flat.add(xn)
    qn = xq / np.linalg.norm(xq, axis=1, keepdims=True)
    times, found = [], []
    for q in qn:
        t = time.time()
        _, ids = flat.search(q[None, :], 10)
        times.append(time.time() - t)
        found.append([int(i) for i in ids[0]])
    out["faiss_flat"] = {**stats(times), "recall": recall(found, truth)}

    nlist = int(4 * np.sqrt(n))
    t = time.time()
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
    ivf.train(xn[np.random.default_rng(0).choice(n, min(n, 50 * nlist), replace=False)])
    ivf.add(xn)
    build = time.time() - t
    best = None
    for nprobe in [8, 16, 32, 64, 128, 256, 512, 1024, 2048, nlist]:
        ivf.nprobe = min(nprobe, nlist)
        times, found = [], []
        for q in qn:
            t = time.time()
            _, ids = ivf.search(q[None, :], 10)
            times.append(time.time() - t)
            found.append([int(i) for i in ids[0]])
        r = recall(found, truth)
        best = {**stats(times), "recall": r, "nprobe": ivf.nprobe, "nlist": nlist, "build_s": build}
        if r >= 0.95:
            break
    out["faiss_ivf"] = best
    return out


def texts(d, nq):
    docs = open(f"{d}/texts.txt").read().split("\n")
    queries = [q for q in open(f"{d}/words.txt").read().split("\n") if q][:nq]
    out = {}
    import bm25s

    t = time.time()
    tokens = bm25s.tokenize(docs, stopwords="en", show_progress=False)
    retriever = bm25s.BM25()
    retriever.index(tokens, show_progress=False)
    out["bm25s_index_s"] = time.time() - t
    times = []
    for q in queries:
        t = time.time()
        qt = bm25s.tokenize([q], stopwords="en", show_progress=False)
        retriever.retrieve(qt, k=10, show_progress=False)
        times.append(time.time() - t)
    out["bm25s"] = stats(times)

    import lancedb
    import pyarrow as pa

    with tempfile.TemporaryDirectory() as tmp:
        db = lancedb.connect(tmp)
        tbl = db.create_table("d", pa.table({"id": np.arange(len(docs)), "text": docs}))
        t = time.time()
        tbl.create_fts_index("text")
        out["lancedb_index_s"] = time.time() - t
        times = []
        for q in queries:
            t = time.time()
            tbl.search(q, query_type="fts").limit(10).to_arrow()
            times.append(time.time() - t)
        out["lancedb_fts"] = stats(times)
    return out


def main():
    d, n, dim, nq, ntq = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    truth = json.load(open(f"{d}/truth.json"))
    out = {"vectors": vectors(d, n, dim, nq, truth), "texts": texts(d, ntq)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
