"""``Client``: the managed SDK's client, over lakefeed's engine.

With a token (``token=`` or ``DEEPLAKE_API_KEY``) it speaks to a service as the SDK does: the SDK's own
service, or ``lakefeed serve``. Without one it opens the local store: ``store=``, else ``LAKEFEED_STORE``, else
``./lakefeed-data``.
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from . import _ingest, _lakefeed
from .dataset import Dataset
from .errors import AuthError

DEFAULT_STORE = "./lakefeed-data"

"""The local store when neither ``store=`` nor ``LAKEFEED_STORE`` names one."""


class IngestResult(dict):
    """What ``ingest`` returns: the SDK's ``{"table_name", "row_count", "dataset_path"}``, with lakefeed's run
    report (rows per table, skipped files and why, warnings, timing) as ``.report``."""

    report: Dict[str, Any]


class Client:
    """A client of the local store or of a service, with the SDK's methods.

    >>> client = Client()                                  # the local store (or the service, with DEEPLAKE_API_KEY)
    >>> client = Client(token="…", workspace_id="ws")      # a service
    >>> client = Client(store="s3://bucket/tables")        # a named store (credentials from AWS_*)
    >>> client = Client(store="s3://b/t", storage_options={"aws_endpoint": "http://127.0.0.1:9000"})
    """

    def __init__(
        self,
        token: Optional[str] = None,
        workspace_id: str = "default",
        api_url: Optional[str] = None,
        *,
        store: Optional[str] = None,
        storage_options: Optional[Dict[str, str]] = None,
    ) -> None:
        token = token or (None if store is not None else os.environ.get("DEEPLAKE_API_KEY"))
        if token and store is not None:
            raise AuthError("give either token= (a service) or store= (a local store), not both")
        self.token = token
        self.workspace_id = workspace_id
        self.api_url = (api_url or os.environ.get("DEEPLAKE_API_URL") or None) if token else None
        self.store = None if token else str(store or os.environ.get("LAKEFEED_STORE") or DEFAULT_STORE)
        self.storage_options = {str(k): str(v) for k, v in (storage_options or {}).items()}
        self._open()

    def _open(self) -> None:
        if self.token:
            self._client = _lakefeed.NativeClient.managed(self.token, self.workspace_id, self.api_url)
        else:
            self._client = _lakefeed.NativeClient.local(self.store, self.storage_options)
        self._pid = os.getpid()

    def _native(self) -> Any:
        """The native client. In a process forked after the engine started, opening one raises (the engine
        cannot run there: use the 'spawn' or 'forkserver' start method)."""
        if self._pid != os.getpid():
            self._open()
        return self._client

    def __getstate__(self) -> Dict[str, Any]:
        keys = ("token", "workspace_id", "api_url", "store", "storage_options")
        return {k: getattr(self, k) for k in keys}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._open()

    def ingest(
        self,
        table_name: str,
        data: Any = None,
        *,
        format: Any = None,
        schema: Optional[Dict[str, str]] = None,
        index: Optional[List[str]] = None,
        on_progress: Optional[Callable[[int, Optional[int]], None]] = None,
        chunk_size: int = 1000,
        chunk_overlap: int = 200,
        mode: str = "append",
        key: Optional[List[str]] = None,
        thumbnails: bool = True,
        rows_per_commit: Optional[int] = None,
    ) -> IngestResult:
        """Ingests into ``table_name`` (created when missing, appended to otherwise).

        ``data``: ``{"path": [...]}`` with ``schema={"path": "FILE"}`` (files by kind), ``{col: values}`` (lists,
        numpy or Arrow arrays), a pyarrow Table or reader, a pandas DataFrame, or ``{"_huggingface": name}``.
        ``format``: one of :mod:`lakefeed.formats`, or any object with ``normalize()``; ``data`` is then ignored.
        ``mode`` (``append``, ``overwrite``, ``upsert``) and ``key`` (the columns naming a row) make re-runs
        exact: a keyed append writes no row twice. ``rows_per_commit`` sets how many rows each commit holds
        (default 100 000). ``on_progress(rows_written, total)`` is called on this thread after each commit.
        Ctrl-C stops the ingest between commits with ``KeyboardInterrupt``; what was committed stays, and
        running the same ingest again finishes it.
        """
        plan = _ingest.plan(data, format, schema, chunk_size, chunk_overlap)
        name, rows, path, report = self._native().ingest(
            table_name,
            index=index,
            mode=mode,
            key=key,
            on_progress=on_progress,
            thumbnails=thumbnails,
            rows_per_commit=rows_per_commit,
            **plan,
        )
        out = IngestResult(table_name=name, row_count=rows, dataset_path=path)
        out.report = json.loads(report)
        return out

    def query(self, sql: str, params: Optional[Sequence[Any]] = None) -> List[Dict[str, Any]]:
        """Runs SQL with ``$1, $2, …`` bound to ``params``; the rows as dicts."""
        return self.query_arrow(sql, params).to_pylist()

    def query_arrow(self, sql: str, params: Optional[Sequence[Any]] = None) -> Any:
        """Runs SQL; the result as a ``pyarrow.Table``."""
        return self._native().query(sql, list(params) if params is not None else None)

    def table(self, table_name: str) -> "ManagedQueryBuilder":
        """A fluent query on ``table_name``."""
        return ManagedQueryBuilder(self, table_name)

    def list_tables(self) -> List[str]:
        """Table names, sorted."""
        return list(self._native().list_tables())

    def drop_table(self, table_name: str, if_exists: bool = True) -> None:
        """Drops a table; with ``if_exists`` a missing table is not an error."""
        self._native().drop_table(table_name, if_exists)

    def create_index(self, table_name: str, column: str) -> None:
        """Builds a search index: vector (cosine) for EMBEDDING columns, BM25 for TEXT. A no-op when it exists."""
        self._native().create_index(table_name, column)

    def optimize(self, table_name: str) -> None:
        """Compacts a table and folds rows added since its indexes were built into them."""
        self._native().optimize(table_name)

    def open_table(self, table_name: str) -> Dataset:
        """Opens a table for training loops: batches, positions, views, PyTorch and TensorFlow loaders."""
        self._native().open_table(table_name)  # a missing table is a TableError now, not at first read
        return Dataset(self, table_name)

    def __repr__(self) -> str:
        where = f"store={self.store!r}" if self.store else f"workspace_id={self.workspace_id!r}, api_url={self.api_url!r}"
        return f"Client({where})"


class ManagedQueryBuilder:
    """A fluent query: ``client.table(t).select(...).where(cond, *params).order_by(...).limit(n).offset(n)()``.

    Placeholders number across ``where`` calls (``.where("a = $1", x).where("b > $2", y)``), as in the SDK.
    """

    def __init__(self, client: Client, table: str) -> None:
        self._client = client
        self._table = table
        self._columns: List[str] = []
        self._conditions: List[Tuple[str, List[Any]]] = []
        self._order_by: List[str] = []
        self._limit: Optional[int] = None
        self._offset: Optional[int] = None

    def select(self, *columns: str) -> "ManagedQueryBuilder":
        """The columns or expressions to return (default ``*``)."""
        self._columns = list(columns)
        return self

    def where(self, condition: str, *params: Any) -> "ManagedQueryBuilder":
        """Adds a condition, ANDed with the others, and its parameters."""
        self._conditions.append((condition, list(params)))
        return self

    def order_by(self, clause: str) -> "ManagedQueryBuilder":
        """Adds an ORDER BY term, e.g. ``"start_time ASC"``."""
        self._order_by.append(clause)
        return self

    def limit(self, n: int) -> "ManagedQueryBuilder":
        """LIMIT n."""
        self._limit = int(n)
        return self

    def offset(self, n: int) -> "ManagedQueryBuilder":
        """OFFSET n."""
        self._offset = int(n)
        return self

    def build(self) -> Tuple[str, List[Any]]:
        """The SQL and its parameters."""
        return self._client._native().build_query(
            self._table, self._columns, self._conditions, self._order_by, self._limit, self._offset
        )

    def execute(self) -> List[Dict[str, Any]]:
        """Runs the query; the rows as dicts."""
        sql, params = self.build()
        return self._client.query(sql, params or None)

    def __call__(self) -> List[Dict[str, Any]]:
        """Same as :meth:`execute`."""
        return self.execute()

    def __repr__(self) -> str:
        sql, params = self.build()
        return f"ManagedQueryBuilder(sql={sql!r}, params={params!r})"
