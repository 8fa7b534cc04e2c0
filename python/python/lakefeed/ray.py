"""Ray: one manifest fanned out as Ray tasks and committed once, and tables read back as Ray datasets.

>>> import ray, lakefeed.ray
>>> ray.init()
>>> report = lakefeed.ray.run("ingest.yaml", num_workers=64, store="s3://bucket/tables")
>>> ds = lakefeed.ray.read_table("s3://bucket/tables", "frames")   # one read task per fragment

Each task runs one shard (``lakefeed run --shard I/N``): it stages a stable 1/N of every table's inputs as
uncommitted data files in the store. Ray retries a task that fails; the retry replaces the shard's record, so
nothing is committed twice. The driver then commits every shard in one transaction per table and builds the
manifest's indexes. The manifest, and the paths it names, must be readable at the same path on every node (a
shared file system), or name object-store data.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional

from . import _lakefeed, shards

__all__ = ["run", "read_table"]


def _stage(
    manifest: str,
    index: int,
    count: int,
    store: Optional[str],
    storage_options: Optional[Dict[str, str]],
    run_id: Optional[str],
) -> Dict[str, Any]:
    """One shard, in a Ray worker (a fresh process, never a fork of the driver)."""
    return shards.stage(manifest, index, count, store, storage_options=storage_options, run_id=run_id)


def run(
    manifest: str,
    num_workers: int,
    store: Optional[str] = None,
    *,
    storage_options: Optional[Dict[str, str]] = None,
    run_id: Optional[str] = None,
    num_cpus: float = 1,
    max_retries: int = 3,
) -> Dict[str, Any]:
    """Runs ``manifest`` as ``num_workers`` Ray tasks (one shard each, ``num_cpus`` each, retried up to
    ``max_retries`` times) and commits them on the driver. Returns the run report: ``rows`` committed per table,
    ``skipped``, ``warnings``, ``already_present``, ``rows_present``, plus ``run_id`` and each shard's report
    under ``shards``. ``store`` defaults to ``LAKEFEED_STORE``, then the manifest's ``store``."""
    import ray

    if num_workers < 1:
        raise ValueError("num_workers must be at least 1")
    manifest = os.path.abspath(manifest)
    store = store or os.environ.get("LAKEFEED_STORE") or None
    options = {str(k): str(v) for k, v in (storage_options or {}).items()} or None
    task = ray.remote(num_cpus=num_cpus, max_retries=max_retries, retry_exceptions=True)(_stage)
    refs = [task.remote(manifest, i, num_workers, store, options, run_id) for i in range(num_workers)]
    records: List[Dict[str, Any]] = ray.get(refs)
    out = shards.commit(manifest, num_workers, store, storage_options=options, run_id=run_id)
    out["shards"] = [r["report"] for r in sorted(records, key=lambda r: r["shard"])]
    return out


def read_table(
    store: str,
    table: str,
    *,
    columns: Optional[List[str]] = None,
    storage_options: Optional[Dict[str, str]] = None,
) -> Any:
    """``table`` of the store at ``store`` as a ``ray.data.Dataset``: one read task per fragment, every task
    reading the same version of the table (the latest when this is called)."""
    import ray.data
    from ray.data.block import BlockMetadata
    from ray.data.datasource import Datasource, ReadTask

    options = {str(k): str(v) for k, v in (storage_options or {}).items()} or None
    version, fragments = _lakefeed.fragments(store, table, storage_options=options)

    class _Fragments(Datasource):  # type: ignore[misc]
        def estimate_inmemory_data_size(self) -> Optional[int]:
            return None

        def get_read_tasks(self, parallelism: int, per_task_row_limit: Optional[int] = None, data_context: Any = None) -> List[ReadTask]:
            tasks = []
            for fid, rows in fragments:

                def read(fid: int = fid) -> Any:
                    yield _lakefeed.read_fragment(
                        store, table, version, fid, columns=columns, storage_options=options
                    )

                meta = BlockMetadata(num_rows=rows, size_bytes=None, exec_stats=None, input_files=None)
                tasks.append(ReadTask(read, meta, per_task_row_limit=per_task_row_limit))
            return tasks

    return ray.data.read_datasource(_Fragments(), override_num_blocks=max(len(fragments), 1))
