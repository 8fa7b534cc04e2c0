"""lakefeed: turn videos, images, PDFs, text, COCO, LeRobot and HuggingFace data into typed, searchable tables.

The managed SDK's Python API over lakefeed's Rust engine::

    from lakefeed import Client
    client = Client()                          # ./lakefeed-data, or the service DEEPLAKE_API_KEY names
    client.ingest("videos", {"path": ["cam1.mp4"]}, schema={"path": "FILE"})
    client.table("videos").select("id", "text").limit(10)()
    for batch in client.open_table("videos").batches(32): ...
"""

from . import errors, formats, shards
from ._lakefeed import __version__
from .aio import AsyncClient, AsyncManagedQueryBuilder
from .client import Client, IngestResult, ManagedQueryBuilder
from .dataset import Dataset, View
from .errors import *  # noqa: F401,F403  (the SDK's classes, listed in errors.__all__)

__all__ = [
    "__version__",
    "Client",
    "AsyncClient",
    "ManagedQueryBuilder",
    "AsyncManagedQueryBuilder",
    "IngestResult",
    "Dataset",
    "View",
    "formats",
    "shards",
    *errors.__all__,
]
