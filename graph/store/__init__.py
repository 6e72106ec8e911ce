"""Where the graph lives: the ``GraphStore`` protocol and its backends.

:func:`open_store` picks the backend from a location: a file path (or
``sqlite:///path``) opens the embedded SQLite store; ``neo4j://``, ``bolt://``
and their ``+s``/``+ssc`` variants open a Neo4j database.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import StoreUnavailable, UsageError
from .base import GraphStore, WriteResult
from .sqlite import SQLiteStore

__all__ = ["NEO4J_SCHEMES", "GraphStore", "SQLiteStore", "WriteResult", "is_neo4j_location", "open_store"]

NEO4J_SCHEMES = ("neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc")


def is_neo4j_location(location: str) -> bool:
    """True when ``location`` is a Neo4j URI rather than a file."""
    scheme, sep, _ = location.partition("://")
    return bool(sep) and scheme.lower() in NEO4J_SCHEMES


def open_store(location: str, create: bool = True, **options) -> GraphStore:
    """Open the store at ``location``.

    Parameters
    ----------
    location : str
        A SQLite file path or ``sqlite:///path``, or a Neo4j URI.
    create : bool
        Create a SQLite store that does not exist yet; when False, a missing file
        is :class:`StoreUnavailable` (a mistyped path must not read as an empty graph).
    **options
        Backend options: for Neo4j ``user``, ``password``, ``database``.
    """
    if is_neo4j_location(location):
        from .neo4j import Neo4jStore

        return Neo4jStore(location, **options)
    if location.startswith("sqlite:///"):
        location = location[len("sqlite:///") :]
    elif "://" in location:
        scheme = location.split("://", 1)[0]
        raise UsageError(f"unknown store scheme {scheme!r}: give a file path or a neo4j://, bolt:// or neo4j+s:// URI")
    if not create and not Path(location).exists():
        raise StoreUnavailable(
            f"no store at {location}: load data into it first (maillage load FILE), or name another with --store"
        )
    return SQLiteStore(Path(location))
