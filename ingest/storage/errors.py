"""Errors a storage backend raises for its operator to fix, each naming the fix."""

from __future__ import annotations


class StorageError(RuntimeError):
    pass


class NotOwnedError(LookupError):
    """A conversation that another API key started: to this one it does not exist."""


class SchemaError(StorageError):
    """The database's schema does not match this version of ragchat."""


class DatabaseUnavailableError(StorageError):
    """The database did not accept a connection in time."""
