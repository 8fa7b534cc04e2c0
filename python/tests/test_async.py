"""AsyncClient: the same methods as coroutines; several at once under asyncio.gather, the loop never blocked."""

from __future__ import annotations

import asyncio

from lakefeed import AsyncClient


def test_async_client_runs_calls_side_by_side(store: str) -> None:
    async def main() -> None:
        client = AsyncClient(store=store)
        ticks = 0
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0.001)

        tick = asyncio.create_task(ticker())
        results = await asyncio.gather(
            *(client.ingest(f"t{i}", {"k": list(range(20_000)), "v": [float(i)] * 20_000}) for i in range(4))
        )
        done.set()
        await tick
        assert [r["row_count"] for r in results] == [20_000] * 4
        assert ticks > 5, "the event loop was blocked"
        counts = await asyncio.gather(*(client.query(f"SELECT count(*) AS n FROM t{i}") for i in range(4)))
        assert counts == [[{"n": 20_000}]] * 4
        rows = await client.table("t2").select("v").where("k = $1", 7).execute()
        assert rows == [{"v": 2.0}]
        assert await client.list_tables() == ["t0", "t1", "t2", "t3"]
        await client.drop_table("t0")
        ds = await client.open_table("t1")
        assert len(ds) == 20_000

    asyncio.run(main())
