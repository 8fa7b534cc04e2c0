"""Benchmarks of the Python package (issue 20), each against what a user would otherwise run, in the same run.

  a  `Client.ingest` from Python vs the same ingest by the CLI (whole processes, fresh stores)
  b  the fixture files through `Client.ingest` vs the SDK's own `_normalize_files` (deeplake 4.5.5) + a pylance write
  c  reading ROWS×384 back: `open_table().to_batches()`/`.batches()` and a DataLoader vs pylance `to_batches` and
     `lance.torch`
  d  ingesting a ROWS×384 float32 pandas DataFrame: peak RSS against the frame's own size (and pylance's write)

usage: python_package.py LAKEFEED_BIN FIXTURES PART… [--rows N] [--rounds R]
Prints Markdown tables (medians; ratio = their time / ours, above 1 means lakefeed is faster)."""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List

HERE = Path(__file__).resolve().parent


def median_time(fn: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run_timed(cmd: List[str], env: Dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env={**os.environ, **(env or {})})
    return time.perf_counter() - start


def fixture_files(fixtures: Path) -> List[str]:
    """Every fixture file but the deliberately broken ones: videos, images, PDFs, text."""
    out = []
    for kind in ("video", "image", "pdf", "text"):
        out.extend(str(p) for p in sorted((fixtures / "files" / kind).iterdir()) if p.is_file())
    return out


def part_a(lakefeed: str, fixtures: Path, rows: int, rounds: int, tmp: Path) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = fixture_files(fixtures)
    parquet = tmp / "rows.parquet"
    rng = np.random.default_rng(0)
    pq.write_table(
        pa.table({"id": np.arange(rows), "score": rng.random(rows), "text": [f"row {i}" for i in range(rows)]}),
        parquet,
    )
    workloads = {
        f"{len(files)} fixture files (FILE schema)": (
            ["ingest", "t", *files],
            f"Client(store=s).ingest('t', {{'path': {files!r}}}, schema={{'path': 'FILE'}})",
        ),
        f"{rows:,}-row Parquet (rows format)": (
            ["ingest", "t", "--rows", str(parquet)],
            f"Client(store=s).ingest('t', format=formats.get('rows')(path={str(parquet)!r}))",
        ),
    }
    startup = statistics.median(run_timed([lakefeed, "--version"]) for _ in range(rounds))
    print(f"the CLI's own start-up (`lakefeed --version`): {startup:.3f} s\n")
    print(
        "| workload | CLI process (s) | Python process (s) | of which `import lakefeed` | `Client.ingest` call (s) "
        "| call / (CLI − start-up) |\n|---|---|---|---|---|---|"
    )
    for name, (cli_args, py_call) in workloads.items():
        cli, py, imports, calls = [], [], [], []
        for r in range(rounds):
            store = tmp / f"a{r}"
            cli.append(run_timed([lakefeed, "--store", str(store / "cli"), *cli_args]))
            script = (
                "import json, sys, time\nt0 = time.perf_counter()\nfrom lakefeed import Client, formats\n"
                f"t1 = time.perf_counter()\ns = sys.argv[1]\n{py_call}\n"
                "print(json.dumps([t1 - t0, time.perf_counter() - t1]))\n"
            )
            start = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-c", script, str(store / "py")], check=True, capture_output=True, text=True
            )
            py.append(time.perf_counter() - start)
            imp, call = json.loads(out.stdout.strip().splitlines()[-1])
            imports.append(imp)
            calls.append(call)
            shutil.rmtree(store)
        c, p, i, k = (statistics.median(x) for x in (cli, py, imports, calls))
        print(f"| {name} | {c:.3f} | {p:.3f} | {i:.3f} | {k:.3f} | {k / (c - startup):.3f} |")


def part_b(fixtures: Path, rounds: int, tmp: Path) -> None:
    import lance
    import pyarrow as pa
    from deeplake.managed.client import Client as SeedClient

    from lakefeed import Client

    files = fixture_files(fixtures)
    seed = SeedClient.__new__(SeedClient)  # only its normalisation is used: no service, no token

    def ours() -> int:
        store = tempfile.mkdtemp(dir=tmp)
        r = Client(store=store).ingest("files", {"path": files}, schema={"path": "FILE"}, thumbnails=False)
        shutil.rmtree(store)
        return r["row_count"]

    def theirs() -> int:
        # The SDK's batches differ by file kind (video, image, page, text columns): one table of their union.
        out = tempfile.mkdtemp(dir=tmp)
        tables = [pa.Table.from_pydict(b) for b in seed._normalize_files(files, 1000, 200)]
        table = pa.concat_tables(tables, promote_options="default")
        lance.write_dataset(table, f"{out}/files.lance")
        shutil.rmtree(out)
        return table.num_rows

    print(f"rows: lakefeed {ours()}, the SDK {theirs()}\n")
    a, b = median_time(ours, rounds), median_time(theirs, rounds)
    print("| tool | s | ratio |\n|---|---|---|")
    print(f"| lakefeed `Client.ingest` (no thumbnails) | {a:.3f} | 1.00 |")
    print(f"| deeplake 4.5.5 `_normalize_files` + `lance.write_dataset` | {b:.3f} | {b / a:.2f}× |")


def part_c(rows: int, rounds: int, tmp: Path) -> None:
    import lance
    import numpy as np
    import torch
    import lance.torch.data as lance_torch_data
    from lance.torch.data import LanceDataset
    from torch.utils.data import DataLoader

    from lakefeed import Client

    store = tmp / "c"
    client = Client(store=str(store))
    rng = np.random.default_rng(0)
    for start in range(0, rows, 100_000):
        n = min(100_000, rows - start)
        client.ingest("emb", {"idx": np.arange(start, start + n), "embedding": rng.random((n, 384), dtype=np.float32)})
    ds = client.open_table("emb")
    path = str(store / "emb.lance")
    bs = 1024

    def count(it) -> int:
        return sum(b.num_rows for b in it)

    results = [
        ("Arrow batches: `to_batches(1024)`", lambda: count(ds.to_batches(bs)),
         "pylance `to_batches(batch_size=1024)`", lambda: count(lance.dataset(path).to_batches(batch_size=bs))),
        ("numpy batches: `batches(1024)`", lambda: sum(len(b["idx"]) for b in ds.batches(bs)),
         "pylance `to_batches` + `to_numpy`", lambda: sum(
             len(b.column(0).to_numpy()) + 0 * b.column(1).flatten().to_numpy().size
             for b in lance.dataset(path).to_batches(batch_size=bs))),
    ]
    print(f"{rows:,} rows × 384 float32 (+ an int64 id)\n")
    print("| read | lakefeed (s) | baseline | baseline (s) | ratio |\n|---|---|---|---|---|")
    for name, ours, bname, theirs in results:
        assert ours() == theirs() == rows
        a, b = median_time(ours, rounds), median_time(theirs, rounds)
        print(f"| {name} | {a:.2f} | {bname} | {b:.2f} | {b / a:.2f}× |")

    def loader_ours(shuffle: bool, workers: int) -> int:
        n = 0
        loader = DataLoader(
            ds.pytorch(), batch_size=256, shuffle=shuffle, num_workers=workers,
            multiprocessing_context="spawn" if workers else None,
        )
        for batch in loader:
            n += batch["embedding"].shape[0]
        return n

    # lance.torch's default conversion asks for torch.uint64, which Debian's torch 1.13 lacks; the same function
    # with that check off converts exactly as before. lance is not fork-safe (it says so), hence spawn for both.
    to_tensor = functools.partial(lance_torch_data._to_tensor, uint64_as_int64=False)

    def loader_lance(workers: int) -> int:
        n = 0
        data = LanceDataset(path, batch_size=256, columns=["idx", "embedding"], to_tensor_fn=to_tensor)
        loader = DataLoader(
            data, batch_size=None, num_workers=workers, multiprocessing_context="spawn" if workers else None
        )
        for batch in loader:
            n += batch["embedding"].shape[0]
        return n

    torch.set_num_threads(1)
    for workers in (0, 2):
        assert loader_ours(False, workers) == loader_lance(workers) == rows
        a = median_time(lambda: loader_ours(False, workers), rounds)
        s = median_time(lambda: loader_ours(True, workers), 1)  # one run: random reads of the whole table are slow
        b = median_time(lambda: loader_lance(workers), rounds)
        label = f"DataLoader, {workers} workers{' (spawn)' if workers else ''}, batches of 256"
        print(f"| {label}, in order | {a:.2f} | `lance.torch` LanceDataset | {b:.2f} | {b / a:.2f}× |")
        print(f"| {label}, shuffled (one run) | {s:.2f} | (no map-style shuffle in `lance.torch`) | | |")


def part_d(rows: int, tmp: Path) -> None:
    script = HERE / "python_package_frame.py"
    out = {}
    for tool in ("lakefeed", "pylance"):
        res = subprocess.run(
            [sys.executable, str(script), tool, str(rows), str(tmp / f"d-{tool}")],
            check=True, capture_output=True, text=True,
        )
        out[tool] = json.loads(res.stdout)
    frame = out["lakefeed"]["frame_mb"]
    print(f"A {rows:,} × 384 float32 DataFrame ({frame:.0f} MB); peak RSS of the whole process (ru_maxrss)\n")
    print("| tool | s | peak RSS (MB) | peak / frame |\n|---|---|---|---|")
    for tool, label in (("lakefeed", "lakefeed `Client.ingest(df)`"), ("pylance", "pylance `lance.write_dataset(df)`")):
        o = out[tool]
        print(f"| {label} | {o['seconds']:.2f} | {o['peak_mb']:.0f} | {o['peak_mb'] / frame:.2f} |")
    print(f"\nthe interpreter with numpy, pandas and pyarrow imported, before the frame: {out['lakefeed']['base_mb']:.0f} MB")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("lakefeed")
    p.add_argument("fixtures", type=Path)
    p.add_argument("parts", nargs="+", choices=["a", "b", "c", "d"])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for part in args.parts:
            print(f"\n### ({part})\n")
            if part == "a":
                part_a(args.lakefeed, args.fixtures, args.rows, args.rounds, tmp)
            elif part == "b":
                part_b(args.fixtures, args.rounds, tmp)
            elif part == "c":
                part_c(args.rows, args.rounds, tmp)
            else:
                part_d(args.rows, tmp)
            sys.stdout.flush()


if __name__ == "__main__":
    main()
