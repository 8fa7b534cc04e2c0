"""Sharded runs from Python: the same as ``lakefeed run MANIFEST --shard I/N`` on each worker and
``lakefeed commit MANIFEST --shards N`` once (``lakefeed.ray`` does both with Ray tasks).

>>> from lakefeed import shards
>>> shards.stage("ingest.yaml", index=3, count=8, store="s3://bucket/tables")   # on worker 3
>>> shards.commit("ingest.yaml", count=8, store="s3://bucket/tables")           # once every shard has run
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Optional

from . import _lakefeed

__all__ = ["stage", "commit"]


def _options(storage_options: Optional[Dict[str, str]]) -> Optional[Dict[str, str]]:
    return {str(k): str(v) for k, v in (storage_options or {}).items()} or None


def stage(
    manifest: str,
    index: int,
    count: int,
    store: Optional[str] = None,
    *,
    storage_options: Optional[Dict[str, str]] = None,
    run_id: Optional[str] = None,
) -> Dict[str, Any]:
    """Stages shard ``index`` (0-based) of ``count``: a stable 1/count of every table's inputs, written
    uncommitted into the store, with the shard's record. Returns the record (``parts`` staged, ``report``).
    ``store`` defaults to ``LAKEFEED_STORE``, then the manifest's ``store``."""
    record = _lakefeed.stage_shard(
        os.path.abspath(manifest), index, count,
        store=store, storage_options=_options(storage_options), run_id=run_id,
    )
    return json.loads(record)


def commit(
    manifest: str,
    count: int,
    store: Optional[str] = None,
    *,
    storage_options: Optional[Dict[str, str]] = None,
    run_id: Optional[str] = None,
    allow_missing: bool = False,
) -> Dict[str, Any]:
    """Commits every shard of the run in one transaction per table and builds the manifest's indexes. Raises
    ``IngestError`` naming the shards that have not finished (nothing is committed) unless ``allow_missing``.
    Returns the run's report with its ``run_id``."""
    run, report = _lakefeed.commit_run(
        os.path.abspath(manifest), count,
        store=store, storage_options=_options(storage_options), run_id=run_id, allow_missing=allow_missing,
    )
    out: Dict[str, Any] = json.loads(report)
    out["run_id"] = run
    return out
