"""Training loaders: Arrow batches, PyTorch DataLoader workers forked and spawned after the parent already used
the client (every row once; forked workers read through a fresh reader process), shuffling, pickling, and what
a plain forked child gets."""

from __future__ import annotations

import multiprocessing
import pickle

import numpy as np
import pyarrow as pa
import pytest

from lakefeed import Client, ManagedServiceError, TableError

N, DIM = 1000, 8


@pytest.fixture
def table(store: str) -> Client:
    client = Client(store=store)
    emb = np.arange(N * DIM, dtype=np.float32).reshape(N, DIM)
    client.ingest("train", {"idx": np.arange(N), "embedding": emb, "label": [f"l{i % 7}" for i in range(N)]})
    return client


def test_arrow_batches_and_rows_by_position(table: Client) -> None:
    ds = table.open_table("train")
    batches = list(ds.to_batches(300))
    assert all(isinstance(b, pa.RecordBatch) for b in batches)
    assert [b.num_rows for b in batches] == [300, 300, 300, 100]
    taken = ds.take([999, 0, 5, 5])
    assert taken.column("idx").to_pylist() == [999, 0, 5, 5]
    assert np.array_equal(ds[-1]["embedding"], np.arange((N - 1) * DIM, N * DIM, dtype=np.float32))
    assert list(ds["label"][:3]) == ["l0", "l1", "l2"]
    with pytest.raises(IndexError):
        ds[N]
    with pytest.raises(TableError):
        table.open_table("missing")


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_dataloader_workers_fork_and_spawn(table: Client, start_method: str) -> None:
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader

    ds = table.open_table("train")
    assert len(list(ds.batches(100))) == 10  # the parent's engine is busy before workers start
    loader = DataLoader(
        ds.pytorch(),
        batch_size=32,
        shuffle=True,
        num_workers=2,
        multiprocessing_context=start_method,
    )
    for _epoch in range(2):  # new workers each epoch, forked from a parent whose engine has run meanwhile
        seen = []
        for batch in loader:
            assert batch["embedding"].shape[1:] == (DIM,) and batch["embedding"].dtype == torch.float32
            assert torch.equal(batch["embedding"][:, 0], batch["idx"].float() * DIM)
            seen.extend(batch["idx"].tolist())
        assert sorted(seen) == list(range(N)) and seen != list(range(N))
        assert len(list(ds.batches(500))) == 2


def _query_in_child(client: Client, out) -> None:
    try:
        client.list_tables()
        out.put("ran")
    except ManagedServiceError as e:
        out.put(str(e))


def test_a_forked_child_gets_an_error_not_a_crash(table: Client) -> None:
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    child = ctx.Process(target=_query_in_child, args=(table, out))
    child.start()
    child.join(60)
    assert child.exitcode == 0 and "spawn" in out.get(timeout=5)
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    child = ctx.Process(target=_query_in_child, args=(table, out))
    child.start()
    child.join(120)
    assert child.exitcode == 0 and out.get(timeout=5) == "ran"


def test_datasets_and_clients_pickle(table: Client) -> None:
    ds = table.open_table("train")
    again = pickle.loads(pickle.dumps(ds))
    assert len(again) == N and again[10]["idx"] == 10
    pytest.importorskip("torch")
    torch_ds = pickle.loads(pickle.dumps(ds.pytorch()))
    assert torch_ds[3]["label"] == "l3"


def test_a_views_rows_stream_to_dataloader_workers(table: Client) -> None:
    pytest.importorskip("torch")
    from torch.utils.data import DataLoader

    view = table.open_table("train").query("SELECT idx, embedding WHERE idx < 300")
    assert len(view) == 300
    loader = DataLoader(view.pytorch(batch_size=64), batch_size=50, num_workers=2, multiprocessing_context="spawn")
    seen = sorted(i for batch in loader for i in batch["idx"].tolist())
    assert seen == list(range(300))


def test_changed_rows_collate_as_plain_dicts(table: Client) -> None:
    torch = pytest.importorskip("torch")
    from torch.utils.data._utils.collate import default_collate

    rows = table.open_table("train").pytorch().__getitems__([3, 1, 2])
    assert torch.equal(default_collate(rows)["idx"], torch.tensor([3, 1, 2]))
    rows[0]["idx"] = 100
    assert torch.equal(default_collate(rows)["idx"], torch.tensor([100, 1, 2]))
