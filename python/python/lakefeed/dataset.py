"""Reading a table back for training: ``client.open_table(t)`` returns a :class:`Dataset`.

``len(ds)``, ``ds[i]["col"]``, ``ds.batches(n)`` (dicts of numpy arrays, as the SDK documents),
``ds.to_batches(n)`` (pyarrow RecordBatches, shared with Rust through the Arrow C data interface),
``ds.query("SELECT cols WHERE …")`` (a :class:`View` with the same reading methods), ``ds.pytorch()`` and
``ds.tensorflow()``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Sequence

import numpy as np
import pyarrow as pa

if TYPE_CHECKING:
    from .client import Client


def to_numpy(batch: pa.RecordBatch) -> Dict[str, np.ndarray]:
    """A batch as ``{column: numpy array}``: vectors as 2-D arrays (shared with Arrow when they have no nulls),
    numbers as 1-D arrays, text and bytes as object arrays."""
    return {name: _column(batch.column(i)) for i, name in enumerate(batch.schema.names)}


def _column(col: pa.Array) -> np.ndarray:
    t = col.type
    if pa.types.is_fixed_size_list(t) and col.null_count == 0:
        values = col.values.slice(col.offset * t.list_size, len(col) * t.list_size)
        if values.null_count == 0 and (pa.types.is_floating(values.type) or pa.types.is_integer(values.type)):
            dtype = np.dtype(values.type.to_pandas_dtype())
            flat = np.frombuffer(values.buffers()[1], dtype=dtype, count=len(values), offset=values.offset * dtype.itemsize)
        else:
            flat = values.to_numpy(zero_copy_only=False)
        return flat.reshape(len(col), t.list_size)
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        out = np.empty(len(col), dtype=object)
        for i, v in enumerate(col):
            out[i] = None if not v.is_valid else v.values.to_numpy(zero_copy_only=False)
        return out
    return col.to_numpy(zero_copy_only=False)


def _row(batch: pa.RecordBatch, i: int) -> Dict[str, Any]:
    return {name: values[i] for name, values in to_numpy(batch).items()}


class _Reader:
    """What a table and a view share: batches as numpy dicts or Arrow, and the loaders."""

    def to_batches(self, batch_size: int = 1024) -> Iterator[pa.RecordBatch]:
        """Streams the rows as ``pyarrow.RecordBatch``es of at most ``batch_size`` rows."""
        return iter(self._native_reader().batches(batch_size))

    def batches(self, batch_size: int = 1024) -> Iterator[Dict[str, np.ndarray]]:
        """Streams the rows as dicts of numpy arrays of at most ``batch_size`` rows."""
        for batch in self.to_batches(batch_size):
            yield to_numpy(batch)

    def to_arrow(self) -> pa.Table:
        """Every row as one ``pyarrow.Table`` (for small results; stream large ones with ``to_batches``)."""
        batches = list(self.to_batches(65536))
        if not batches:
            return pa.table({})
        return pa.Table.from_batches(batches)

    def tensorflow(self) -> Any:
        """The rows as a ``tf.data.Dataset`` of dicts (needs TensorFlow)."""
        try:
            import tensorflow as tf
        except ImportError as e:
            raise ImportError("tensorflow() needs TensorFlow: pip install tensorflow") from e
        first = next(self.batches(1), None)
        if first is None:
            raise ValueError("the table is empty")
        signature = {
            k: tf.TensorSpec(shape=v.shape[1:], dtype=tf.string if v.dtype == object else tf.as_dtype(v.dtype))
            for k, v in first.items()
        }

        def rows() -> Iterator[Dict[str, Any]]:
            for batch in self.batches(1024):
                n = len(next(iter(batch.values())))
                for i in range(n):
                    yield {k: v[i] for k, v in batch.items()}

        return tf.data.Dataset.from_generator(rows, output_signature=signature)

    def _native_reader(self) -> Any:
        raise NotImplementedError


class Dataset(_Reader):
    """An open table: its rows by position, in batches, as views, and through PyTorch and TensorFlow loaders."""

    def __init__(self, client: "Client", table: str, columns: Optional[List[str]] = None) -> None:
        self._client = client
        self.table = table
        self.columns = columns
        self._len: Optional[int] = None

    def _native_reader(self) -> Any:
        pid, native = self.__dict__.get("_native", (None, None))
        if pid != os.getpid():
            native = self._client._native().open_table(self.table)
            native = native.select(self.columns) if self.columns else native
            self._native = (os.getpid(), native)
        return native

    def __getstate__(self) -> Dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_native"}

    def __len__(self) -> int:
        if self._len is None:
            self._len = int(self._native_reader().count())
        return self._len

    def take(self, indices: Sequence[int]) -> pa.RecordBatch:
        """The rows at these positions, in the order given, as one ``pyarrow.RecordBatch``."""
        n = len(self)
        rows = [int(i) + n if int(i) < 0 else int(i) for i in indices]
        return self._native_reader().take(rows)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, str):
            parts = [to_numpy(b)[index] for b in self.select(index).to_batches(65536)]
            return np.concatenate(parts) if parts else np.array([])
        if isinstance(index, slice):
            return to_numpy(self.take(range(*index.indices(len(self)))))
        i = int(index)
        if not -len(self) <= i < len(self):
            raise IndexError(f"row {i} is out of range: '{self.table}' has {len(self)} rows")
        return _row(self.take([i]), 0)

    def select(self, *columns: str) -> "Dataset":
        """The same table with only these columns."""
        cols = list(columns[0]) if len(columns) == 1 and not isinstance(columns[0], str) else list(columns)
        return Dataset(self._client, self.table, cols)

    def query(self, sql: str, params: Optional[Sequence[Any]] = None) -> "View":
        """A view: ``SELECT cols [WHERE …]`` (FROM optional; ``{table}`` names this table)."""
        return View(self, sql, list(params) if params else None)

    def pytorch(self, transform: Any = None) -> Any:
        """A map-style ``torch.utils.data.Dataset`` for ``DataLoader`` (shuffle and worker processes, forked or
        spawned). Items are dicts of numpy values; ``transform`` is applied to each."""
        from ._torch import TorchDataset

        return TorchDataset(self, transform)

    def __repr__(self) -> str:
        return f"Dataset(table={self.table!r}, columns={self.columns!r})"


class View(_Reader):
    """A view of a table (``ds.query(…)``)."""

    def __init__(self, dataset: Dataset, sql: str, params: Optional[List[Any]]) -> None:
        self.dataset = dataset
        self.sql = sql
        self.params = params
        self._native_reader()  # checks the SQL now

    def _native_reader(self) -> Any:
        return self.dataset._native_reader().query(self.sql, self.params)

    def execute(self) -> List[Dict[str, Any]]:
        """Runs the view; the rows as a list of dicts."""
        return self._native_reader().execute().to_pylist()

    def __len__(self) -> int:
        return sum(b.num_rows for b in self.to_batches(65536))

    def pytorch(self, batch_size: int = 1024, transform: Any = None) -> Any:
        """A ``torch.utils.data.IterableDataset`` of the view's rows (dicts of numpy values), streamed in batches
        of ``batch_size`` and dealt out to ``DataLoader`` workers batch by batch. A view has no stable positions,
        so it does not shuffle: shuffle a table with ``Dataset.pytorch()``."""
        from ._torch import TorchView

        return TorchView(self, batch_size, transform)

    def __repr__(self) -> str:
        return f"View(table={self.dataset.table!r}, sql={self.sql!r})"
