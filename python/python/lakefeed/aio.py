"""``AsyncClient``: the client's methods as coroutines. Each call runs on a worker thread while the engine works
without the GIL, so the event loop is never blocked and ``asyncio.gather`` runs calls side by side."""

from __future__ import annotations

import asyncio
import functools
from typing import Any, Callable, Dict, List, Optional, Sequence, TypeVar

from .client import Client, IngestResult, ManagedQueryBuilder
from .dataset import Dataset

T = TypeVar("T")


class AsyncClient:
    """The async client: ``await client.ingest(...)``, ``await client.query(...)``,
    ``await client.table(t).select(...).execute()``. Takes the same arguments as :class:`Client`."""

    def __init__(
        self,
        token: Optional[str] = None,
        workspace_id: str = "default",
        api_url: Optional[str] = None,
        *,
        store: Optional[str] = None,
        storage_options: Optional[Dict[str, str]] = None,
    ) -> None:
        self.sync = Client(token, workspace_id, api_url, store=store, storage_options=storage_options)
        """The blocking client underneath."""

    async def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(None, functools.partial(fn, *args, **kwargs))

    async def ingest(self, table_name: str, data: Any = None, **kwargs: Any) -> IngestResult:
        """See :meth:`Client.ingest`."""
        return await self._run(self.sync.ingest, table_name, data, **kwargs)

    async def query(self, sql: str, params: Optional[Sequence[Any]] = None) -> List[Dict[str, Any]]:
        """See :meth:`Client.query`."""
        return await self._run(self.sync.query, sql, params)

    def table(self, table_name: str) -> "AsyncManagedQueryBuilder":
        """A fluent query; run it with ``await ….execute()``."""
        return AsyncManagedQueryBuilder(self, table_name)

    async def list_tables(self) -> List[str]:
        """See :meth:`Client.list_tables`."""
        return await self._run(self.sync.list_tables)

    async def drop_table(self, table_name: str, if_exists: bool = True) -> None:
        """See :meth:`Client.drop_table`."""
        await self._run(self.sync.drop_table, table_name, if_exists)

    async def create_index(self, table_name: str, column: str) -> None:
        """See :meth:`Client.create_index`."""
        await self._run(self.sync.create_index, table_name, column)

    async def open_table(self, table_name: str) -> Dataset:
        """See :meth:`Client.open_table`."""
        return await self._run(self.sync.open_table, table_name)


class AsyncManagedQueryBuilder(ManagedQueryBuilder):
    """The fluent query of :class:`AsyncClient`: the same methods, and ``await ….execute()``."""

    def __init__(self, client: AsyncClient, table: str) -> None:
        super().__init__(client.sync, table)
        self._async = client

    async def execute(self) -> List[Dict[str, Any]]:  # type: ignore[override]
        """Runs the query; the rows as dicts."""
        sql, params = self.build()
        return await self._async.query(sql, params or None)

    def __call__(self) -> Any:
        """Same as :meth:`execute` (a coroutine)."""
        return self.execute()
