"""The SDK's module path: ``from lakefeed.managed import Client, AsyncClient, IngestError, …`` works as
``from deeplake.managed import …`` does."""

from ..aio import AsyncClient, AsyncManagedQueryBuilder
from ..client import Client, IngestResult, ManagedQueryBuilder
from ..errors import (
    AuthError,
    CredentialsError,
    IngestError,
    ManagedServiceError,
    QueryError,
    TableError,
    TokenError,
    WorkspaceError,
)
from . import formats

__all__ = [
    "Client",
    "ManagedQueryBuilder",
    "AsyncClient",
    "AsyncManagedQueryBuilder",
    "IngestResult",
    "ManagedServiceError",
    "AuthError",
    "CredentialsError",
    "IngestError",
    "TableError",
    "TokenError",
    "WorkspaceError",
    "QueryError",
    "formats",
]
