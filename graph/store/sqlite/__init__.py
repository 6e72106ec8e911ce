"""The embedded store: one SQLite file (stdlib ``sqlite3``, WAL journal).

Claims are the truth; ``nodes``, ``names`` and ``relations`` are derived from
them and rebuilt, for the ids a write touches, inside the same transaction. A
write that fails rolls back whole, so the file is left exactly as it was.

Most nodes and relations have one claim, and are that claim: such a row keeps
its claim itself, naming the claiming source in ``sole`` and the claim's place
in ``place``, and ``node_claims``/``relation_claims`` hold only the claims of
the others (several claims, or a relation missing an end). A register of a
million rows is then written once, not once as claims and again as the graph.
Before a row's claims change they are moved to the claim tables
(:meth:`SQLiteStore._expand_nodes`), and a rebuild that folds a single claim
moves it back into the row.
"""

from __future__ import annotations

from ..shared import json_dict as _json_dict
from .connection import PAGE_SIZE, Connection
from .read import ReadMixin
from .schema import SCHEMA_VERSION, SchemaMixin
from .stream import ClaimEncoder, StreamMixin, encode_nodes
from .write import WriteMixin

__all__ = ["PAGE_SIZE", "SCHEMA_VERSION", "ClaimEncoder", "SQLiteStore", "_json_dict", "encode_nodes"]


class SQLiteStore(ReadMixin, StreamMixin, WriteMixin, SchemaMixin, Connection):
    """A graph kept in one SQLite file.

    Parameters
    ----------
    path : str or Path
        The database file; created with its schema when missing.
    """
