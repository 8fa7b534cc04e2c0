"""Type stubs of the native module (``lakefeed._lakefeed``). Use the package's Python API instead."""

from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import pyarrow as pa

__version__: str

def formats() -> List[Tuple[str, str, str]]:
    """The registered formats: ``(name, description, options JSON Schema as JSON)``."""

def inherited_by_fork() -> bool:
    """True in a process forked from one where lakefeed's engine was running (it cannot run there)."""

def stage_shard(
    manifest: str,
    index: int,
    count: int,
    *,
    store: Optional[str] = None,
    storage_options: Optional[Dict[str, str]] = None,
    run_id: Optional[str] = None,
) -> str:
    """Stages shard ``index`` of ``count`` of a manifest; returns the shard's record as JSON."""

def commit_run(
    manifest: str,
    count: int,
    *,
    store: Optional[str] = None,
    storage_options: Optional[Dict[str, str]] = None,
    run_id: Optional[str] = None,
    allow_missing: bool = False,
) -> Tuple[str, str]:
    """Commits a sharded run; returns ``(run id, report as JSON)``."""

class NativeClient:
    """A client of a local store or a service."""

    @staticmethod
    def local(location: str, storage_options: Optional[Dict[str, str]] = None) -> NativeClient: ...
    @staticmethod
    def managed(token: str, workspace: str, api_url: Optional[str] = None) -> NativeClient: ...
    def ingest(
        self,
        table: str,
        *,
        format: Optional[str] = None,
        options: Optional[str] = None,
        source: Optional[Iterator[Any]] = None,
        estimated_rows: Optional[int] = None,
        schema: Optional[List[Tuple[str, str]]] = None,
        index: Optional[List[str]] = None,
        mode: str = "append",
        key: Optional[List[str]] = None,
        on_progress: Optional[Callable[[int, Optional[int]], None]] = None,
        thumbnails: bool = True,
        rows_per_commit: Optional[int] = None,
    ) -> Tuple[str, int, str, str]: ...
    def query(self, sql: str, params: Optional[Sequence[Any]] = None) -> pa.Table: ...
    def build_query(
        self,
        table: str,
        select: List[str],
        wheres: List[Tuple[str, List[Any]]],
        order_by: List[str],
        limit: Optional[int] = None,
        offset: Optional[int] = None,
    ) -> Tuple[str, List[Any]]: ...
    def list_tables(self) -> List[str]: ...
    def drop_table(self, table: str, if_exists: bool = True) -> None: ...
    def create_index(self, table: str, column: str) -> None: ...
    def optimize(self, table: str) -> None: ...
    def open_table(self, table: str) -> NativeTable: ...
    def location(self, table: str) -> str: ...

class NativeTable:
    """An open table."""

    def count(self) -> int: ...
    def select(self, columns: List[str]) -> NativeTable: ...
    def take(self, rows: List[int]) -> pa.RecordBatch: ...
    def batches(self, n: int) -> NativeBatches: ...
    def query(self, sql: str, params: Optional[Sequence[Any]] = None) -> NativeView: ...

class NativeView:
    """A view of a table."""

    def batches(self, n: int) -> NativeBatches: ...
    def execute(self) -> pa.Table: ...

class NativeBatches:
    """Record batches, each read without the GIL."""

    def __iter__(self) -> NativeBatches: ...
    def __next__(self) -> pa.RecordBatch: ...

def fragments(
    store: str, table: str, *, storage_options: Optional[Dict[str, str]] = None
) -> Tuple[int, List[Tuple[int, int]]]:
    """A table's fragments at its latest version: ``(version, [(fragment id, rows)])``."""

def read_fragment(
    store: str,
    table: str,
    version: int,
    id: int,
    *,
    columns: Optional[List[str]] = None,
    storage_options: Optional[Dict[str, str]] = None,
) -> pa.Table:
    """One fragment of a table at one version."""
