"""Formats: lakefeed's registered formats as Python classes (running in Rust), and the SDK's ``Format`` base
class for formats written in Python.

The SDK's built-ins keep its constructors::

    from lakefeed.formats import Coco, CocoPanoptic, LeRobotTasks, LeRobotFrames, LeRobotEpisodes
    client.ingest("panoptic", format=CocoPanoptic(images_dir=..., masks_dir=..., annotations=...))

Every other registered format (plugins included) is reachable by name, ``lakefeed.formats.get("rows")(path=...)``,
or as a CamelCase attribute: ``lakefeed.formats.HuggingFace(name="squad")``, ``lakefeed.formats.Files(paths=[...])``.

A format written for the SDK (a ``Format`` subclass, or any object with ``normalize()``) runs unchanged.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from os import PathLike
from typing import Any, Dict, Iterator, List, Optional, Union

from . import _lakefeed


class Format(ABC):
    """The SDK's base class for formats written in Python.

    ``normalize()`` yields batches: ``dict[str, list]`` (lists, numpy arrays or Arrow arrays as columns) or
    ``pyarrow.RecordBatch``. ``schema()`` and ``pg_schema()`` give ``{column: type}`` hints (``TEXT``, ``INT64``,
    ``IMAGE``, ``EMBEDDING``, …); ``image_columns()`` names the columns that get thumbnails.
    """

    @abstractmethod
    def normalize(self) -> Iterator[Any]:
        """Yields column-oriented batches, ``{column: [values…]}`` of equal lengths, or Arrow record batches."""

    def schema(self) -> Dict[str, str]:
        """Type hints for columns whose values are ambiguous (``bytes`` may be ``BINARY`` or ``IMAGE``)."""
        return {}

    def pg_schema(self) -> Dict[str, str]:
        """Domain types (``IMAGE``, ``SEGMENT_MASK``, ``VIDEO``, …), applied over ``schema()``."""
        return {}

    def image_columns(self) -> List[str]:
        """Columns holding encoded images, which get thumbnails. Default: the ``IMAGE`` columns of ``pg_schema()``."""
        return [c for c, t in self.pg_schema().items() if str(t).upper() == "IMAGE"]


class RegisteredFormat:
    """A format registered in lakefeed's engine, with its options. It runs in Rust: its rows never pass
    through Python."""

    name: str = ""
    """The registered name (``coco``, ``lerobot-frames``, …)."""

    def __init__(self, **options: Any) -> None:
        self.options: Dict[str, Any] = {k: v for k, v in options.items() if v is not None}

    def options_json(self) -> str:
        """The options as JSON (paths as strings)."""
        return json.dumps(self.options, default=_plain)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
        return f"{type(self).__name__}({args})"


def _plain(v: Any) -> Any:
    if isinstance(v, PathLike):
        return str(v)
    raise TypeError(f"cannot pass a {type(v).__name__} as a format option")


_Path = Union[str, PathLike]


class Coco(RegisteredFormat):
    """COCO detection and captions: one row per image with a pycocotools-exact category mask."""

    name = "coco"

    def __init__(
        self,
        images_dir: _Path,
        annotations_dir: Optional[_Path] = None,
        *,
        instances_json: Optional[_Path] = None,
        captions_json: Optional[Union[_Path, bool]] = None,
        batch_size: int = 100,
        max_images: Optional[int] = None,
    ) -> None:
        super().__init__(
            images_dir=images_dir,
            annotations_dir=annotations_dir,
            instances_json=instances_json,
            captions_json=captions_json,
            batch_size=batch_size,
            max_images=max_images,
        )


class CocoPanoptic(RegisteredFormat):
    """COCO panoptic: one row per image with its panoptic PNG and segments."""

    name = "coco-panoptic"

    def __init__(self, images_dir: _Path, masks_dir: _Path, annotations: _Path, *, batch_size: int = 100) -> None:
        super().__init__(images_dir=images_dir, masks_dir=masks_dir, annotations=annotations, batch_size=batch_size)


class LeRobotTasks(RegisteredFormat):
    """A LeRobot dataset's tasks: ``task_index``, ``task``."""

    name = "lerobot-tasks"

    def __init__(self, dataset_dir: _Path) -> None:
        super().__init__(dataset_dir=dataset_dir)


class LeRobotFrames(RegisteredFormat):
    """A LeRobot dataset's frames, one row each; ``chunk_end`` is inclusive."""

    name = "lerobot-frames"

    def __init__(self, dataset_dir: _Path, chunk_start: int = 0, chunk_end: int = 10, **options: Any) -> None:
        super().__init__(dataset_dir=dataset_dir, chunk_start=chunk_start, chunk_end=chunk_end, **options)


class LeRobotEpisodes(RegisteredFormat):
    """A LeRobot dataset's episodes, one row each with a standalone MP4 per camera; ``chunk_end`` is inclusive."""

    name = "lerobot-episodes"

    def __init__(self, dataset_dir: _Path, chunk_start: int = 0, chunk_end: int = 10, **options: Any) -> None:
        super().__init__(dataset_dir=dataset_dir, chunk_start=chunk_start, chunk_end=chunk_end, **options)


_SDK_NAMED = {cls.name: cls for cls in (Coco, CocoPanoptic, LeRobotTasks, LeRobotFrames, LeRobotEpisodes)}


def registered() -> Dict[str, str]:
    """Every format the engine has registered (built-ins and linked plugins): ``{name: description}``."""
    return {name: desc for name, desc, _ in _lakefeed.formats()}


def options_schema(name: str) -> Dict[str, Any]:
    """The JSON Schema of a registered format's options."""
    for n, _, schema in _lakefeed.formats():
        if n == name:
            return json.loads(schema)
    raise KeyError(f"no format named {name!r}; lakefeed.formats.registered() lists them")


def get(name: str) -> type:
    """The class of the registered format ``name``; its constructor takes the format's options as keywords."""
    if name in _SDK_NAMED:
        return _SDK_NAMED[name]
    descriptions = registered()
    if name not in descriptions:
        raise KeyError(f"no format named {name!r}; lakefeed.formats.registered() lists them")
    return type(_camel(name), (RegisteredFormat,), {"name": name, "__doc__": descriptions[name]})


def _camel(name: str) -> str:
    special = {"huggingface": "HuggingFace"}
    return "".join(special.get(p, p[:1].upper() + p[1:]) for p in name.replace("_", "-").split("-"))


def __getattr__(attr: str) -> type:
    for name in registered():
        if _camel(name) == attr:
            cls = get(name)
            globals()[attr] = cls
            return cls
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")


__all__ = [
    "Format",
    "RegisteredFormat",
    "Coco",
    "CocoPanoptic",
    "LeRobotTasks",
    "LeRobotFrames",
    "LeRobotEpisodes",
    "registered",
    "options_schema",
    "get",
]
