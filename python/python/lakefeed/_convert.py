"""Column values that are not Python lists, as Arrow arrays: numpy arrays (a 2-D array becomes one vector per
row), pandas series, and anything pyarrow takes. Called by the native module for each such column."""

from __future__ import annotations

from typing import Any

import pyarrow as pa


def to_arrow(values: Any) -> pa.Array:
    """``values`` as one Arrow array, without copying where Arrow can share the memory."""
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks()
    if isinstance(values, pa.Array):
        return values
    if hasattr(values, "__arrow_c_array__"):
        return pa.array(values)
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - pyarrow installs numpy in practice
        np = None
    if np is not None and isinstance(values, np.ndarray):
        if values.ndim == 2:
            flat = np.ascontiguousarray(values).reshape(-1)
            return pa.FixedSizeListArray.from_arrays(pa.array(flat), values.shape[1])
        if values.ndim == 1 and values.dtype == object:
            return pa.array(values.tolist())
        if values.ndim == 1:
            return pa.array(values)
        raise ValueError(f"a numpy array of {values.ndim} dimensions cannot be a column; give 1 or 2")
    if hasattr(values, "to_numpy") and hasattr(values, "dtype"):  # a pandas Series
        return pa.Array.from_pandas(values)
    return pa.array(list(values))
