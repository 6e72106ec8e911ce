"""The Neo4j store: the same claims and derived graph as the embedded store, in a Neo4j database.

What the database holds is described in :mod:`.schema`; only :mod:`.connection` imports ``neo4j``.
A first load of a large graph can be written as files for ``neo4j-admin database import`` instead
(:mod:`.bulk`)."""

from __future__ import annotations

from .arrays import ArraysMixin
from .connection import BATCH_RECORDS, BATCH_RECORDS_VARIABLE, CHUNK_SIZE, DIRECT_STREAM_RECORDS, Connection
from .read import ReadMixin
from .schema import SchemaMixin
from .stream import BatchedLoad, StreamMixin
from .write import WriteMixin

__all__ = [
    "BATCH_RECORDS",
    "BATCH_RECORDS_VARIABLE",
    "CHUNK_SIZE",
    "DIRECT_STREAM_RECORDS",
    "BatchedLoad",
    "Neo4jStore",
]


class Neo4jStore(ArraysMixin, ReadMixin, StreamMixin, WriteMixin, SchemaMixin, Connection):
    """A graph kept in a Neo4j database.

    Parameters
    ----------
    uri : str
        ``neo4j://``, ``bolt://`` or a ``+s`` / ``+ssc`` variant; it must not carry
        credentials.
    user : str, optional
        Default: env ``NEO4J_USER``, else ``neo4j``.
    password : str, optional
        Default: env ``NEO4J_PASSWORD``. Never shown, logged or kept by the store.
    database : str, optional
        Default: the server's default database.
    """
