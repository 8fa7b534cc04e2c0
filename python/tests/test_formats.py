"""Formats from Python: an SDK-style custom format (dicts of lists, an IMAGE column that gets thumbnails), an
exception raised inside `normalize()`, Arrow and pandas sources, and lakefeed's registered formats with the SDK's
constructors."""

from __future__ import annotations

import traceback
from typing import Dict, Iterator, List

import numpy as np
import pyarrow as pa
import pytest

from conftest import ROOT, fixture
from lakefeed import Client, IngestError
from lakefeed.managed.formats import Coco, CocoPanoptic, Format, LeRobotEpisodes, LeRobotFrames, LeRobotTasks

FILES = ROOT / "examples" / "files"


class Photos(Format):
    """A custom format as the SDK's formats.md writes one."""

    def __init__(self, paths: List[str], batch_size: int = 2) -> None:
        self.paths = paths
        self.batch_size = batch_size

    def schema(self) -> Dict[str, str]:
        return {"image": "BINARY", "label": "INT32"}

    def pg_schema(self) -> Dict[str, str]:
        return {"image": "IMAGE"}

    def normalize(self) -> Iterator[Dict[str, list]]:
        for start in range(0, len(self.paths), self.batch_size):
            chunk = self.paths[start : start + self.batch_size]
            yield {
                "filename": [p.rsplit("/", 1)[-1] for p in chunk],
                "image": [open(p, "rb").read() for p in chunk],
                "label": [i % 3 for i in range(start, start + len(chunk))],
            }


def test_a_custom_sdk_format_runs_unchanged_with_thumbnails(client: Client) -> None:
    paths = [str(FILES / n) for n in ("frame.jpg", "gradient.png", "checker.png")]
    result = client.ingest("photos", format=Photos(paths))
    assert result["row_count"] == 3
    rows = client.query("SELECT filename, label, image FROM photos ORDER BY filename")
    assert [r["filename"] for r in rows] == ["checker.png", "frame.jpg", "gradient.png"]
    assert rows[1]["image"] == open(paths[0], "rb").read()
    thumbs = client.query(
        "SELECT dimension, count(*) AS n FROM thumbnails WHERE table_name = 'photos' GROUP BY dimension"
    )
    assert {t["dimension"]: t["n"] for t in thumbs} == {f"{d}x{d}": 3 for d in (32, 64, 128, 256)}


class Broken(Format):
    def normalize(self) -> Iterator[Dict[str, list]]:
        yield {"x": [1, 2]}
        raise ValueError("bad row 17 in the source")


def test_an_exception_inside_normalize_reaches_the_caller_with_its_traceback(store: str) -> None:
    client = Client(store=store)
    with pytest.raises(ValueError, match="bad row 17") as info:
        client.ingest("broken", format=Broken())
    frames = [f.name for f in traceback.extract_tb(info.value.__traceback__)]
    assert "normalize" in frames


def test_a_format_must_have_normalize(store: str) -> None:
    with pytest.raises(IngestError, match="normalize"):
        Client(store=store).ingest("t", format=object())


def test_arrow_numpy_and_pandas_sources(store: str) -> None:
    pd = pytest.importorskip("pandas")
    client = Client(store=store)
    emb = np.random.default_rng(0).random((300, 16), dtype=np.float32)
    client.ingest("np", {"id": np.arange(300), "embedding": emb, "tag": pa.array(["a", "b", "c"] * 100)})
    ds = client.open_table("np")
    batch = next(ds.batches(300))
    assert batch["embedding"].shape == (300, 16) and np.allclose(batch["embedding"], emb)
    client.ingest("arrow", pa.table({"k": list(range(10)), "v": [float(i) for i in range(10)]}))
    assert client.query("SELECT sum(k) AS s FROM arrow") == [{"s": 45}]
    frame = pd.DataFrame({"a": np.arange(1000), "b": np.random.default_rng(1).random(1000)})
    assert client.ingest("frame", frame)["row_count"] == 1000
    assert client.query("SELECT count(*) AS n FROM frame WHERE a >= 500") == [{"n": 500}]


def test_bad_column_data_is_an_ingest_error_naming_the_column(store: str) -> None:
    client = Client(store=store)
    with pytest.raises(IngestError, match="data must be a dict"):
        client.ingest("t", ["not", "a", "dict"])
    with pytest.raises(IngestError, match="data must not be empty"):
        client.ingest("t", {})
    with pytest.raises(IngestError, match="'v'.*row 2"):
        client.ingest("t", {"v": [1, 2, "three"]})
    assert "t" not in client.list_tables()


def test_registered_formats_keep_the_sdks_constructors(client: Client) -> None:
    coco = fixture("coco")
    result = client.ingest("coco", format=Coco(images_dir=coco / "val2017", max_images=3))
    assert result["row_count"] == 3
    pan = fixture("coco-panoptic")
    result = client.ingest(
        "panoptic",
        format=CocoPanoptic(
            images_dir=pan / "input_images",
            masks_dir=pan / "panoptic_examples",
            annotations=pan / "panoptic_examples.json",
        ),
    )
    assert result["row_count"] == 2
    droid = fixture("lerobot-v21", "g1_pick_bottle_partial")
    assert client.ingest("tasks", format=LeRobotTasks(str(droid)))["row_count"] > 0
    frames = client.ingest("frames", format=LeRobotFrames(str(droid), chunk_start=0, chunk_end=3))
    assert frames["row_count"] > 0
    episodes = client.ingest("episodes", format=LeRobotEpisodes(str(droid), chunk_start=0, chunk_end=3))
    assert episodes["row_count"] == 2
    ds = client.open_table("episodes")  # video-conditioned training: the episode's MP4 by row
    video_columns = [c for c in ds.to_arrow().column_names if c.endswith("_video")]
    assert video_columns and ds[0][video_columns[0]][4:8] == b"ftyp"


def test_every_registered_format_is_reachable_by_name(store: str) -> None:
    from lakefeed import formats

    names = formats.registered()
    assert {"coco", "files", "rows", "huggingface", "lerobot-frames"} <= set(names)
    rows = formats.get("rows")(path=str(ROOT / "examples" / "rows.jsonl"))
    assert Client(store=store).ingest("rows", format=rows)["row_count"] > 0
    assert formats.HuggingFace.name == "huggingface"
    assert "properties" in formats.options_schema("coco")
