"""Object storage and Ray: a Client over an S3 store, a manifest fanned out as Ray tasks on a local Ray cluster
(`ray.init(num_cpus=2)`) into S3 equal to one unsharded local run, and a table read back as a Ray dataset."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from lakefeed import Client

from conftest import ROOT, fixture, lakefeed_bin

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[None]:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def manifest(tmp_path: Path) -> Path:
    text = f"""version: 1
tables:
  - name: media
    format: files
    options:
      paths: [{fixture("files", "image")}, {fixture("files", "text")}]
  - name: g1_frames
    format: lerobot-frames
    options:
      dataset_dir: {fixture("lerobot-v21", "g1_pick_bottle_partial")}
"""
    path = tmp_path / "m.yaml"
    path.write_text(text)
    return path


def ids(client: Client, table: str) -> list:
    return sorted(r["id"] for r in client.query(f"SELECT id FROM {table}"))


def test_a_client_writes_and_reads_an_s3_store(s3: dict) -> None:
    uri = f"s3://lakefeed-py/client-{uuid.uuid4().hex}"
    client = Client(store=uri, storage_options=s3)
    client.ingest("t", {"id": [1, 2, 3], "text": ["a", "b", "c"]})
    assert client.list_tables() == ["t"]
    assert [r["text"] for r in client.query("SELECT text FROM t ORDER BY id")] == ["a", "b", "c"]
    assert len(client.open_table("t")) == 3


def test_the_ray_recipe_runs_as_written(tmp_path: Path, s3: dict) -> None:
    """examples/ray/ingest.py with its own local cluster, into S3: the rows of one local run."""
    m = manifest(tmp_path)
    local = tmp_path / "local"
    subprocess.run([lakefeed_bin(), "--store", str(local), "run", str(m)], check=True,
                   env={**os.environ, "LAKEFEED_LOG": "warn"})
    uri = f"s3://lakefeed-py/recipe-{uuid.uuid4().hex}"
    opts = [f"--storage-option={k}={v}" for k, v in s3.items()]
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled", "LAKEFEED_LOG": "warn"}
    env.pop("RAY_ADDRESS", None)
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "ray" / "ingest.py"), str(m), "--workers", "2",
         "--store", uri, "--num-cpus", "2", *opts],
        check=True, capture_output=True, text=True, env=env,
    )
    report = json.loads(out.stdout[out.stdout.index("{"):])
    assert len(report["shards"]) == 2
    remote, reference = Client(store=uri, storage_options=s3), Client(store=str(local))
    assert ids(remote, "media") == ids(reference, "media")
    assert len(remote.open_table("g1_frames")) == len(reference.open_table("g1_frames"))


def test_ray_run_equals_one_local_run_and_reads_back(tmp_path: Path, s3: dict, ray_cluster: None) -> None:
    import lakefeed.ray

    m = manifest(tmp_path)
    subprocess.run([lakefeed_bin(), "--store", str(tmp_path / "local"), "run", str(m)], check=True,
                   env={**os.environ, "LAKEFEED_LOG": "warn"})
    local = Client(store=str(tmp_path / "local"))
    uri = f"s3://lakefeed-py/ray-{uuid.uuid4().hex}"
    report = lakefeed.ray.run(str(m), num_workers=3, store=uri, storage_options=s3)
    assert len(report["shards"]) == 3
    assert report["rows"]["media"] == len(ids(local, "media"))
    remote = Client(store=uri, storage_options=s3)
    for table in ("media", "g1_frames", "thumbnails"):
        assert len(remote.open_table(table)) == len(local.open_table(table)), table
    assert ids(remote, "media") == ids(local, "media")
    assert ids(remote, "g1_frames") == ids(local, "g1_frames")

    ds = lakefeed.ray.read_table(uri, "g1_frames", columns=["id", "episode_index"], storage_options=s3)
    rows = ds.take_all()
    assert sorted(r["id"] for r in rows) == ids(local, "g1_frames")
    assert set(rows[0]) == {"id", "episode_index"}
