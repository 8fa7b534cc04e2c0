"""``Dataset.pytorch()``: a map-style PyTorch dataset over an open table.

``DataLoader`` works with ``num_workers`` ≥ 2 under every start method, also after the parent used the client:
a spawned worker unpickles how to reach the table and opens its own engine; a worker forked from a process
where the engine ran cannot use that engine (see ``lakefeed._reader``), so it reads through a fresh reader
process of its own. ``DataLoader`` fetches a whole batch of positions with one ``__getitems__`` call, one read.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

import numpy as np

from . import _lakefeed
from .dataset import to_numpy

if TYPE_CHECKING:
    from .dataset import Dataset, View

try:
    import torch
    from torch.utils.data import Dataset as _TorchBase
    from torch.utils.data import IterableDataset as _TorchIterable
    from torch.utils.data import get_worker_info
except ImportError:  # torch is optional: the classes are still importable, and say what is missing when used
    torch = None
    _TorchBase = _TorchIterable = object


class Row(dict):
    """One row of a batch read together: a plain dict that also remembers that batch, so DataLoader's default
    collate turns the whole batch into tensors at once instead of stacking row by row. Changing the row makes
    it an ordinary dict again."""

    __slots__ = ("batch", "index")

    def __init__(self, batch: Optional[Dict[str, Any]], index: int) -> None:
        super().__init__({k: v[index] for k, v in batch.items()} if batch else {})
        self.batch = batch
        self.index = index

    def _changed(self) -> None:
        self.batch = None

    def __reduce__(self) -> Any:
        return (dict, (dict(self),))  # a plain dict elsewhere, without the batch it came from

    def __setitem__(self, key: Any, value: Any) -> None:
        self._changed()
        super().__setitem__(key, value)

    def __delitem__(self, key: Any) -> None:
        self._changed()
        super().__delitem__(key)

    def update(self, *args: Any, **kwargs: Any) -> None:
        """As ``dict``'s; the row is then no longer collated with its batch."""
        self._changed()
        super().update(*args, **kwargs)

    def pop(self, *args: Any) -> Any:
        """As ``dict``'s; the row is then no longer collated with its batch."""
        self._changed()
        return super().pop(*args)

    def popitem(self) -> Any:
        """As ``dict``'s; the row is then no longer collated with its batch."""
        self._changed()
        return super().popitem()

    def setdefault(self, *args: Any) -> Any:
        """As ``dict``'s; the row is then no longer collated with its batch."""
        self._changed()
        return super().setdefault(*args)

    def clear(self) -> None:
        """As ``dict``'s; the row is then no longer collated with its batch."""
        self._changed()
        super().clear()


class RowBatch(Sequence):
    """The rows of one read, as ``__getitems__`` returns them: a sequence of :class:`Row` made when first looked
    at (and then kept), so that DataLoader's default collate, which looks only at the first, costs nothing per
    row."""

    def __init__(self, batch: Dict[str, Any], n: int) -> None:
        self.batch = batch
        self._n = n
        self._rows: Dict[int, Row] = {}

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._n))]
        i = int(i) + self._n if int(i) < 0 else int(i)
        if not 0 <= i < self._n:
            raise IndexError(i)
        if i not in self._rows:
            self._rows[i] = Row(self.batch, i)
        return self._rows[i]

    def unchanged(self) -> bool:
        """No row looked at so far was changed."""
        return all(r.batch is self.batch for r in self._rows.values())


def _collate_rows(rows: Sequence[Row], *, collate_fn_map: Dict[Any, Any]) -> Any:
    """DataLoader's collate for a batch of rows: the batch's own arrays as tensors when the rows are that whole
    batch, unchanged and in order; else the default, row by row."""
    if isinstance(rows, RowBatch):
        batch = rows.batch if rows.unchanged() else None
    else:
        batch = rows[0].batch
        if batch is None or len(rows) != len(next(iter(batch.values()))):
            batch = None
        elif not all(type(r) is Row and r.batch is batch and r.index == i for i, r in enumerate(rows)):
            batch = None
    if batch is None:
        from torch.utils.data._utils.collate import collate

        return collate([dict(r) for r in rows], collate_fn_map=collate_fn_map)
    return {
        k: list(v) if v.dtype == object else torch.as_tensor(v if v.flags.writeable else v.copy())
        for k, v in batch.items()
    }


if torch is not None:
    try:  # PyTorch ≥ 1.13: the documented way to extend default_collate
        from torch.utils.data._utils.collate import default_collate_fn_map

        default_collate_fn_map[Row] = _collate_rows
    except ImportError:  # older PyTorch collates rows as the plain dicts they are
        pass


BLOCK_ROWS = 8192
"""Rows read at once when a loader asks for consecutive positions (an unshuffled DataLoader): later batches of
the same block, asked by this worker or its siblings' turns, come from memory."""
CACHED_BLOCKS = 4
"""Blocks kept per worker."""


class TorchDataset(_TorchBase):  # type: ignore[misc, valid-type]
    """Rows of a table by position, as dicts of numpy values (``transform`` applied to each). Consecutive
    positions are read a block at a time; any other positions are read exactly."""

    def __init__(self, dataset: "Dataset", transform: Optional[Callable[[Dict[str, Any]], Any]] = None) -> None:
        if _TorchBase is object:
            raise ImportError("pytorch() needs PyTorch: pip install torch")
        self.dataset = dataset
        self.transform = transform
        self._len = len(dataset)

    def __len__(self) -> int:
        return self._len

    def _take(self, indices: List[int]) -> Any:
        if not _lakefeed.inherited_by_fork():
            return self.dataset.take(indices)
        reader = getattr(self, "_reader", None)
        if reader is None:
            from ._reader import ForkedReader

            reader = self._reader = ForkedReader()
        n = len(self)
        rows = [i + n if i < 0 else i for i in indices]
        return reader.take(self.dataset._client.__getstate__(), self.dataset.table, self.dataset.columns, rows)

    def __getstate__(self) -> Dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("_reader", "_blocks")}

    def _block(self, b: int) -> Dict[str, Any]:
        blocks = self.__dict__.setdefault("_blocks", OrderedDict())
        if b in blocks:
            blocks.move_to_end(b)
        else:
            blocks[b] = to_numpy(self._take(list(range(b * BLOCK_ROWS, min((b + 1) * BLOCK_ROWS, self._len)))))
            if len(blocks) > CACHED_BLOCKS:
                blocks.popitem(last=False)
        return blocks[b]

    def _consecutive(self, start: int, n: int) -> Dict[str, Any]:
        parts = []
        for b in range(start // BLOCK_ROWS, (start + n - 1) // BLOCK_ROWS + 1):
            lo = max(start, b * BLOCK_ROWS) - b * BLOCK_ROWS
            hi = min(start + n, (b + 1) * BLOCK_ROWS) - b * BLOCK_ROWS
            parts.append({k: v[lo:hi] for k, v in self._block(b).items()})
        if len(parts) == 1:
            return parts[0]
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}

    def __getitem__(self, index: int) -> Any:
        return self.__getitems__([index])[0]

    def __getitems__(self, indices: Sequence[int]) -> Sequence[Any]:
        positions = [int(i) for i in indices]
        if (
            positions
            and 0 <= positions[0] <= positions[-1] < self._len
            and positions == list(range(positions[0], positions[0] + len(positions)))
        ):
            batch = self._consecutive(positions[0], len(positions))
        else:
            batch = to_numpy(self._take(positions))
        rows = RowBatch(batch, len(positions))
        return [self.transform(r) for r in rows] if self.transform else rows


class TorchView(_TorchIterable):  # type: ignore[misc, valid-type]
    """A view's rows streamed to ``DataLoader``: worker ``k`` of ``n`` takes batches ``k, k+n, …``. Each worker
    reads the view through its own engine (spawned), or through a reader process when forked from a process
    where the engine ran."""

    def __init__(self, view: "View", batch_size: int, transform: Optional[Callable[[Dict[str, Any]], Any]]) -> None:
        if _TorchIterable is object:
            raise ImportError("pytorch() needs PyTorch: pip install torch")
        self.view = view
        self.batch_size = batch_size
        self.transform = transform

    def __iter__(self) -> Any:
        info = get_worker_info()
        worker, workers = (info.id, info.num_workers) if info is not None else (0, 1)
        if _lakefeed.inherited_by_fork():
            raise RuntimeError(
                "a view's DataLoader workers cannot be forked from a process where lakefeed ran; pass "
                "multiprocessing_context='spawn' (or 'forkserver')"
            )
        for k, batch in enumerate(self.view.batches(self.batch_size)):
            if k % workers != worker:
                continue
            n = len(next(iter(batch.values()))) if batch else 0
            for i in range(n):
                row = {c: v[i] for c, v in batch.items()}
                yield self.transform(row) if self.transform else row
