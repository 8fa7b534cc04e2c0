"""Sharded runs from Python (`lakefeed.shards`): shards staged one by one, a commit refused while one is missing
(nothing visible), then committed: the rows of one unsharded run."""

from __future__ import annotations

from pathlib import Path

import pytest

import lakefeed
from lakefeed import Client, shards

from conftest import fixture


def test_shards_stage_then_commit_once(tmp_path: Path) -> None:
    m = tmp_path / "m.yaml"
    m.write_text(
        "version: 1\ntables:\n  - name: media\n    format: files\n"
        f"    options:\n      paths: [{fixture('files', 'image')}, {fixture('files', 'text')}]\n"
    )
    whole, split = str(tmp_path / "whole"), str(tmp_path / "split")
    shards.stage(str(m), 0, 1, whole)
    shards.commit(str(m), 1, whole)
    expected = sorted(r["id"] for r in Client(store=whole).query("SELECT id FROM media"))

    first = shards.stage(str(m), 0, 3, split)
    assert first["shard"] == 0 and first["of"] == 3
    shards.stage(str(m), 2, 3, split)
    with pytest.raises(lakefeed.IngestError, match=r"shard\(s\) 1 of 3"):
        shards.commit(str(m), 3, split)
    assert Client(store=split).list_tables() == []
    shards.stage(str(m), 1, 3, split)
    report = shards.commit(str(m), 3, split)
    assert report["rows"]["media"] == len(expected)
    assert sorted(r["id"] for r in Client(store=split).query("SELECT id FROM media")) == expected
