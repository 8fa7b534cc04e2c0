"""The managed SDK's error hierarchy, raised by every lakefeed call.

``ManagedServiceError`` is the root; ``AuthError`` (with ``TokenError`` under it), ``CredentialsError``,
``IngestError``, ``TableError`` and ``WorkspaceError`` are the SDK's classes. lakefeed adds ``QueryError`` for SQL
that cannot be parsed, planned or run; it sits under ``TableError``, as the SDK reports such failures, so code
written for the SDK catches it. Every instance carries two classifiers: ``retryable`` (trying again may succeed)
and ``not_found`` (a missing file or table).
"""

from __future__ import annotations


class ManagedServiceError(Exception):
    """Base class of every lakefeed error."""

    retryable: bool = False
    """Trying the same call again may succeed (a commit conflict, a broken connection, HTTP 429/502/503/504)."""
    not_found: bool = False
    """The error is about a missing file or table."""


class AuthError(ManagedServiceError):
    """A missing, invalid or expired token."""


class TokenError(AuthError):
    """A token that cannot be parsed."""


class CredentialsError(ManagedServiceError):
    """Storage credentials could not be fetched."""


class IngestError(ManagedServiceError):
    """Input could not be ingested (a missing or unreadable file, bad options, bad column data)."""


class TableError(ManagedServiceError):
    """A table operation failed (a missing table, a schema clash)."""


class QueryError(TableError):
    """SQL that cannot be parsed, planned or run, or whose parameters do not fit."""


class WorkspaceError(ManagedServiceError):
    """The workspace is missing or inaccessible."""


__all__ = [
    "ManagedServiceError",
    "AuthError",
    "TokenError",
    "CredentialsError",
    "IngestError",
    "TableError",
    "QueryError",
    "WorkspaceError",
]
