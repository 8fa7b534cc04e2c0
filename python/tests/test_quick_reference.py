"""The SDK's Quick Reference, Key Examples and decision trees, as written there but for the import line, against
the local store and against `lakefeed serve` (the `client` fixture runs each test on both)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, fixture, token
from lakefeed import Client  # the only line that differs from the SDK's examples
from lakefeed.managed import AsyncClient, Client as ManagedClient

FILES = ROOT / "examples" / "files"


def test_client_initialization_follows_the_sdk(monkeypatch: pytest.MonkeyPatch, store: str, server: str) -> None:
    monkeypatch.setenv("LAKEFEED_STORE", store)
    client = Client()  # no token: the local store
    assert client.store == store and client.list_tables() == []
    monkeypatch.setenv("DEEPLAKE_API_KEY", token())
    client = Client(api_url=server)  # token from DEEPLAKE_API_KEY, workspace "default"
    assert client.workspace_id == "default" and client.token
    client = ManagedClient(token=token(), workspace_id="my-workspace", api_url=server)
    assert client.list_tables() == []
    assert isinstance(AsyncClient(store=store).sync, ManagedClient)


def test_ingest_files_with_a_file_schema(client: Client) -> None:
    video2 = fixture("files", "video", "ffmpeg-python_in1.mp4")
    result = client.ingest("videos", {"path": [str(FILES / "testsrc.mp4"), str(video2)]}, schema={"path": "FILE"})
    assert result["table_name"] == "videos" and result["row_count"] > 0
    assert set(result) == {"table_name", "row_count", "dataset_path"}
    client.ingest("photos", {"path": [str(FILES / "frame.jpg")]}, schema={"path": "FILE"})
    client.ingest("manuals", {"path": [str(FILES / "manual.pdf")]}, schema={"path": "FILE"})
    rows = client.query("SELECT * FROM videos LIMIT 10")
    assert rows and {"id", "file_id", "start_time", "end_time", "video_data"} <= set(rows[0])
    file_id = rows[0]["file_id"]
    results = client.table("videos").select("id", "text").where("file_id = $1", file_id).limit(10)()
    assert results and set(results[0]) == {"id", "text"}
    assert client.query("SELECT id FROM photos")[0]["id"]
    page = client.query("SELECT page_index, image, text FROM manuals")[0]
    assert page["image"][:8] == b"\x89PNG\r\n\x1a\n"
    thumbs = client.query("SELECT count(*) AS n FROM thumbnails WHERE table_name = $1", ("photos",))
    assert thumbs[0]["n"] == 4


def test_ingest_structured_data_with_indexes_and_search(client: Client) -> None:
    client.ingest(
        "embeddings",
        {
            "id": ["a", "b", "c"],
            "text": ["the gripper closes", "the arm moves left", "a red cup on the table"],
            "embedding": [[0.1, 0.2, 0.9], [0.3, 0.4, 0.1], [0.5, 0.6, 0.2]],
        },
        index=["embedding", "text"],
    )
    query_embedding = [0.1, 0.2, 0.9]
    results = client.query(
        """
    SELECT id, text, embedding <#> $1 AS similarity
    FROM embeddings ORDER BY similarity DESC LIMIT 10
    """,
        (query_embedding,),
    )
    assert results[0]["id"] == "a" and results[0]["similarity"] == pytest.approx(1.0, abs=1e-5)
    bm25 = client.query("SELECT text, text <#> $1 AS score FROM embeddings ORDER BY score DESC LIMIT 1", ("gripper",))
    assert bm25[0]["text"] == "the gripper closes"
    contains = client.query("""
    SELECT * FROM embeddings
    WHERE text @> $1
    """, ("gripper",))
    assert [r["id"] for r in contains] == ["a"]
    hybrid = client.query(
        """
    SELECT text, (embedding, text)::deeplake_hybrid_record <#>
    deeplake_hybrid_record($1, $2, 0.7, 0.3) AS score
    FROM embeddings ORDER BY score DESC LIMIT 10
    """,
        (query_embedding, "search text"),
    )
    assert hybrid[0]["text"] == "the gripper closes"
    client.create_index("embeddings", "embedding")  # a no-op when it exists


def test_explicit_schema_and_the_fluent_builder(client: Client) -> None:
    client.ingest("data", {"name": ["Alice", "Bob", "Carol"], "age": [30, 25, 41]}, schema={"name": "TEXT", "age": "INT64"})
    results = (
        client.table("data")
        .select("name", "age")
        .where("name != $1", "Bob")
        .where("age > $2", 20)
        .order_by("age ASC")
        .limit(10)
        .offset(0)
    )()
    assert results == [{"name": "Alice", "age": 30}, {"name": "Carol", "age": 41}]
    assert client.table("data").select("name").where("age < $1", 26).execute() == [{"name": "Bob"}]
    assert client.query("SELECT name FROM data WHERE age = $1", (41,)) == [{"name": "Carol"}]


def test_huggingface_progress_and_table_management(client: Client) -> None:
    hf = fixture("huggingface", "coco_mini_captions_hub_parquet")
    result = client.ingest("mnist", {"_huggingface": str(hf)})
    assert result["row_count"] > 0
    seen = []

    def progress(rows_written, total):
        seen.append((rows_written, total))

    pdf_files = [str(p) for p in sorted(fixture("files", "pdf").glob("*.pdf"))]
    client.ingest("docs", {"path": pdf_files}, schema={"path": "FILE"}, on_progress=progress)
    assert seen and seen[-1][0] == client.query("SELECT count(*) AS n FROM docs")[0]["n"]
    assert {"mnist", "docs"} <= set(client.list_tables())
    client.drop_table("docs")
    client.drop_table("docs")  # if_exists=True by default
    assert "docs" not in client.list_tables()


def test_training_batches_views_and_rows(client: Client) -> None:
    n = 500
    client.ingest(
        "droid_frames",
        {
            "episode_index": [i // 50 for i in range(n)],
            "state_x": np.linspace(0, 1, n).tolist(),
            "action_x": np.linspace(1, 2, n).tolist(),
        },
    )
    ds = client.open_table("droid_frames")
    assert len(ds) == n
    total = 0
    for batch in ds.batches(256):  # dict of numpy arrays
        assert isinstance(batch["state_x"], np.ndarray)
        total += len(batch["state_x"])
    assert total == n
    view = ds.query("SELECT state_x, action_x WHERE episode_index < 3")
    cols = ["state_x", "action_x"]
    got = 0
    for batch in view.batches(64):
        states = np.stack([batch[c] for c in cols], axis=1)
        got += states.shape[0]
    assert got == 150
    assert ds[3]["episode_index"] == 0 and ds[499]["episode_index"] == 9
