"""The SDK's module path: ``from lakefeed.managed import Client, AsyncClient, IngestError, …`` works as
``from deeplake.managed import …`` does."""

from ..aio import AsyncClient, AsyncManagedQueryBuilder
from ..client import Client, IngestResult, ManagedQueryBuilder
from .. import errors
from ..errors import *  # noqa: F401,F403
from . import formats

__all__ = [
    "Client",
    "ManagedQueryBuilder",
    "AsyncClient",
    "AsyncManagedQueryBuilder",
    "IngestResult",
    "formats",
    *errors.__all__,
]
