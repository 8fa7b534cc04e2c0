"""``Dataset.pytorch()``: a map-style PyTorch dataset over an open table.

``DataLoader`` works with ``num_workers`` ≥ 2 under every start method, also after the parent used the client:
a spawned worker unpickles how to reach the table and opens its own engine; a worker forked from a process
where the engine ran cannot use that engine (see ``lakefeed._reader``), so it reads through a fresh reader
process of its own. ``DataLoader`` fetches a whole batch of positions with one ``__getitems__`` call, one read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence

from . import _lakefeed
from .dataset import to_numpy

if TYPE_CHECKING:
    from .dataset import Dataset

try:
    from torch.utils.data import Dataset as _TorchBase
except ImportError:  # torch is optional: the class is still importable, and says what is missing when used
    _TorchBase = object


class TorchDataset(_TorchBase):  # type: ignore[misc, valid-type]
    """Rows of a table by position, as dicts of numpy values (``transform`` applied to each)."""

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
        return {k: v for k, v in self.__dict__.items() if k != "_reader"}

    def __getitem__(self, index: int) -> Any:
        return self.__getitems__([index])[0]

    def __getitems__(self, indices: Sequence[int]) -> List[Any]:
        batch = to_numpy(self._take(list(indices)))
        rows = [{k: v[i] for k, v in batch.items()} for i in range(len(indices))]
        return [self.transform(r) for r in rows] if self.transform else rows
