"""``Dataset.pytorch()``: a map-style PyTorch dataset over an open table.

Worker processes get their own engine: the dataset pickles only how to reach the table (for ``spawn``), and a
forked worker reopens the client on first use (the engine's runtime is rebuilt in a forked child), so a
``DataLoader`` works with ``num_workers`` ≥ 2 under both start methods, after the parent used the client.
``DataLoader`` fetches a whole batch of positions with one ``__getitems__`` call, one read of the table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence

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

    def __getitem__(self, index: int) -> Any:
        return self.__getitems__([index])[0]

    def __getitems__(self, indices: Sequence[int]) -> List[Any]:
        batch = to_numpy(self.dataset.take(list(indices)))
        rows = [{k: v[i] for k, v in batch.items()} for i in range(len(indices))]
        return [self.transform(r) for r in rows] if self.transform else rows
