"""The embedded store: one SQLite file (stdlib ``sqlite3``, WAL journal).

Claims are the truth; ``nodes``, ``names`` and ``relations`` are derived from
them and rebuilt, for the ids a write touches, inside the same transaction. A
write that fails rolls back whole, so the file is left exactly as it was.

Most nodes and relations have a sole claim: such a row carries it (see the glossary in
:mod:`maillage.graph.store.base`), naming its source in ``sole`` and its place in ``place``,
and ``node_claims``/``relation_claims`` hold only the other claims (several claims on one
node or relation, or a relation missing an end). A register is then written once, not once
as claims and again as the graph. Before a row's claims change the claim it carries moves
to the claim tables (:meth:`SQLiteStore._expand_nodes`), and a rebuild that folds a sole
claim moves it back into the row.
"""

from __future__ import annotations

from .connection import PAGE_SIZE, Connection
from .read import ReadMixin
from .schema import SCHEMA_VERSION, SchemaMixin
from .stream import ClaimEncoder, StreamMixin, encode_nodes
from .write import WriteMixin

__all__ = ["PAGE_SIZE", "SCHEMA_VERSION", "ClaimEncoder", "SQLiteStore", "encode_nodes"]


class SQLiteStore(ReadMixin, StreamMixin, WriteMixin, SchemaMixin, Connection):
    """A graph kept in one SQLite file.

    Parameters
    ----------
    path : str or Path
        The database file; created with its schema when missing.
    """
