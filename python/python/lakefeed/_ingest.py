"""The SDK's ``ingest()`` arguments turned into what the engine runs: a registered format with its options, or
a stream of batches (column data, Arrow tables and readers, pandas DataFrames, an SDK-style format's
``normalize()``), cut into slices so memory stays bounded."""

from __future__ import annotations

import json
from typing import Any, Dict, Iterator, List, Optional

import pyarrow as pa

from .errors import IngestError
from .formats import RegisteredFormat

SLICE_BYTES = 16 << 20
"""About this many bytes per slice of Arrow data, numpy arrays and DataFrames (sliced without copying): a few
slices are in flight at once, so this bounds what the ingest holds beyond the caller's own data."""
MAX_SLICE_ROWS = 65536
"""Rows per slice at most."""
LIST_ROWS = 8192
"""Rows per slice of Python lists (typed in Rust, slice by slice)."""


def plan(
    data: Any,
    format: Any,
    schema: Optional[Dict[str, str]],
    chunk_size: int,
    chunk_overlap: int,
) -> Dict[str, Any]:
    """Keyword arguments for the native ``ingest``: ``format``+``options``, or ``source`` (+ ``estimated_rows``),
    and ``schema`` as ``[(column, type)]``."""
    hints = dict(schema or {})
    if format is not None:
        if isinstance(format, RegisteredFormat):
            return {"format": format.name, "options": format.options_json(), "schema": _pairs(hints)}
        if not hasattr(format, "normalize"):
            raise IngestError("format object must have a normalize() method.")
        return {"source": iter(format.normalize()), "schema": _pairs(_format_hints(format, hints))}
    if data is None:
        raise IngestError("Either data or format must be provided.")
    stream = _arrow_stream(data)
    if stream is not None:
        return {**stream, "schema": _pairs(hints)}
    if not isinstance(data, dict):
        raise IngestError(f"data must be a dict, got {type(data).__name__}.")
    if not data:
        raise IngestError("data must not be empty.")
    if "_huggingface" in data:
        name = data["_huggingface"]
        if not isinstance(name, str):
            raise IngestError(f"_huggingface value must be a string, got {type(name).__name__}.")
        return {"format": "huggingface", "options": _json({"name": name}), "schema": _pairs(hints)}
    files = [c for c, t in hints.items() if str(t).upper() == "FILE"]
    if files:
        paths: List[str] = []
        for col in files:
            if col not in data:
                raise IngestError(f"Schema declares '{col}' as FILE but column not in data.")
            paths.extend(str(p) for p in data[col])
        if not paths:
            raise IngestError("FILE columns contain no file paths.")
        options = {"paths": paths, "chunk_size": chunk_size, "chunk_overlap": chunk_overlap}
        rest = {c: t for c, t in hints.items() if c not in files}
        return {"format": "files", "options": _json(options), "schema": _pairs(rest)}
    length = _length(data)
    return {"source": _column_slices(data, length), "estimated_rows": length, "schema": _pairs(hints)}


def _format_hints(format: Any, user: Dict[str, str]) -> Dict[str, str]:
    """An SDK-style format's hints: ``schema()``, then ``pg_schema()``, then IMAGE for ``image_columns()``,
    then the caller's."""
    hints: Dict[str, str] = {}
    for method in ("schema", "pg_schema"):
        fn = getattr(format, method, None)
        if callable(fn):
            hints.update(fn() or {})
    fn = getattr(format, "image_columns", None)
    if callable(fn):
        for col in fn() or []:
            if str(hints.get(col, "BINARY")).upper() == "BINARY":
                hints[col] = "IMAGE"
    hints.update(user)
    return hints


def _arrow_stream(data: Any) -> Optional[Dict[str, Any]]:
    """A pyarrow Table or reader, a pandas DataFrame or any Arrow stream, as slices of record batches."""
    if isinstance(data, pa.Table):
        rows = _slice_rows(data.nbytes, data.num_rows)
        return {"source": iter(data.to_batches(max_chunksize=rows)), "estimated_rows": data.num_rows}
    if isinstance(data, pa.RecordBatch):
        return {"source": iter([data]), "estimated_rows": data.num_rows}
    if isinstance(data, pa.RecordBatchReader):
        return {"source": iter(data)}
    if _is_dataframe(data):
        return {"source": _frame_slices(data), "estimated_rows": len(data)}
    if hasattr(data, "__arrow_c_stream__") and not isinstance(data, dict):
        return {"source": iter(pa.RecordBatchReader.from_stream(data))}
    return None


def _is_dataframe(data: Any) -> bool:
    return type(data).__name__ == "DataFrame" and hasattr(data, "iloc") and hasattr(data, "columns")


def _slice_rows(nbytes: int, rows: int) -> int:
    """Rows per slice for data of `nbytes` in `rows` rows."""
    per_row = max(1, nbytes // max(1, rows))
    return max(1, min(MAX_SLICE_ROWS, SLICE_BYTES // per_row))


def _frame_slices(df: Any) -> Iterator[pa.RecordBatch]:
    step = _slice_rows(int(df.memory_usage(index=False).sum()), len(df))
    for start in range(0, len(df), step):
        yield pa.RecordBatch.from_pandas(df.iloc[start : start + step], preserve_index=False)


def _length(data: Dict[str, Any]) -> int:
    lengths = {col: len(values) for col, values in data.items()}
    first = next(iter(lengths))
    for col, n in lengths.items():
        if n != lengths[first]:
            raise IngestError(
                f"column '{col}' has {n} values but '{first}' has {lengths[first]}; all columns need the same length"
            )
    return lengths[first]


def _column_slices(data: Dict[str, Any], length: int) -> Iterator[Dict[str, Any]]:
    if any(isinstance(v, (list, tuple)) for v in data.values()):
        step = LIST_ROWS
    else:
        step = _slice_rows(sum(int(getattr(v, "nbytes", 0)) for v in data.values()), length)
    for start in range(0, length, step):
        yield {col: _slice(values, start, start + step) for col, values in data.items()}


def _slice(values: Any, start: int, end: int) -> Any:
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values.slice(start, end - start)
    if hasattr(values, "iloc"):
        return values.iloc[start:end]
    return values[start:end]


def _pairs(hints: Dict[str, str]) -> List[tuple]:
    return [(str(c), str(t)) for c, t in hints.items()]


def _json(v: Any) -> str:
    return json.dumps(v)
