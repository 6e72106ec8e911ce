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

import gc
import hashlib
import json
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import LoadError, StoreUnavailable
from ..model import Batch, Node, NodeRecord, Relation, RelationRecord, Source, aliases_of, name_key, normalise
from .base import (
    NodeClaim,
    Problem,
    RelationClaim,
    SourceSummary,
    WriteResult,
    batch_digest,
    check_batch_endpoints,
    check_unchanged,
    fold_node_claims,
    fold_relation_claims,
)

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["ClaimEncoder", "SQLiteStore", "encode_nodes"]

#: The columns of the temporary tables of relation keys: start, type, end ("goal"), role.
_KEY_COLUMNS = ("s", "t", "g", "r")

SCHEMA_VERSION = 3
#: Bytes per page of a new store file.
PAGE_SIZE = 16384
#: How long a connection waits for another's write to end.
_BUSY_TIMEOUT_MS = 60_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    name TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    format TEXT NOT NULL,
    contributor TEXT NOT NULL,
    at TEXT NOT NULL,
    authoritative INTEGER NOT NULL DEFAULT 0,
    digest TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS node_claims (
    node_id TEXT NOT NULL,
    source TEXT NOT NULL REFERENCES sources(name),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    aliases TEXT NOT NULL,
    attrs TEXT NOT NULL,
    place TEXT NOT NULL,
    PRIMARY KEY (node_id, source)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS node_claims_by_source ON node_claims(source);
CREATE TABLE IF NOT EXISTS relation_claims (
    rel_source TEXT NOT NULL,
    type TEXT NOT NULL,
    rel_target TEXT NOT NULL,
    role TEXT NOT NULL,
    source TEXT NOT NULL REFERENCES sources(name),
    attrs TEXT NOT NULL,
    place TEXT NOT NULL,
    PRIMARY KEY (rel_source, type, rel_target, role, source)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS relation_claims_by_source ON relation_claims(source);
CREATE INDEX IF NOT EXISTS relation_claims_by_target ON relation_claims(rel_target);
CREATE TABLE IF NOT EXISTS nodes (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    aliases TEXT NOT NULL,
    attrs TEXT NOT NULL,
    sole TEXT,
    place TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS nodes_by_kind ON nodes(kind);
CREATE INDEX IF NOT EXISTS nodes_by_sole ON nodes(sole) WHERE sole IS NOT NULL;
CREATE TABLE IF NOT EXISTS names (
    key TEXT NOT NULL,
    node_id TEXT NOT NULL,
    PRIMARY KEY (key, node_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS relations (
    source TEXT NOT NULL,
    type TEXT NOT NULL,
    target TEXT NOT NULL,
    role TEXT NOT NULL,
    attrs TEXT NOT NULL,
    sole TEXT,
    place TEXT,
    PRIMARY KEY (source, type, target, role)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS relations_by_target ON relations(target);
CREATE INDEX IF NOT EXISTS relations_by_sole ON relations(sole) WHERE sole IS NOT NULL;
CREATE TABLE IF NOT EXISTS documents (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    collection TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    UNIQUE (collection, key)
);
"""


#: Secondary indexes a large streamed write drops and builds again once its rows are in
#: (sorting once is cheaper than keeping them up to date row by row): those its
#: flushes never read, in two groups, those its last steps read first, the others last.
_DEFERRABLE_INDEXES = (
    (
        "CREATE INDEX IF NOT EXISTS node_claims_by_source ON node_claims(source)",
        "CREATE INDEX IF NOT EXISTS relation_claims_by_source ON relation_claims(source)",
        "CREATE INDEX IF NOT EXISTS relation_claims_by_target ON relation_claims(rel_target)",
        "CREATE INDEX IF NOT EXISTS relations_by_target ON relations(target)",
    ),
    (
        "CREATE INDEX IF NOT EXISTS nodes_by_kind ON nodes(kind)",
        "CREATE INDEX IF NOT EXISTS nodes_by_sole ON nodes(sole) WHERE sole IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS relations_by_sole ON relations(sole) WHERE sole IS NOT NULL",
    ),
)

#: The keys of every relation claimed or derived with an end in the temporary id table ``{ids}``.
_RELATIONS_OF = (
    "SELECT rel_source, type, rel_target, role FROM relation_claims c JOIN {ids} t ON t.id = c.rel_source "
    "UNION SELECT rel_source, type, rel_target, role FROM relation_claims c JOIN {ids} t ON t.id = c.rel_target "
    "UNION SELECT source, type, target, role FROM relations r JOIN {ids} t ON t.id = r.source "
    "UNION SELECT source, type, target, role FROM relations r JOIN {ids} t ON t.id = r.target"
)

#: Every node claim of the source ``?1``, as ``(node_id, kind, name, aliases, attrs, place)``:
#: those in ``node_claims`` and those rows keep.
_SOURCE_NODE_CLAIMS = (
    "SELECT node_id, kind, name, aliases, attrs, place FROM node_claims WHERE source = ?1 "
    "UNION ALL SELECT id, kind, name, aliases, attrs, place FROM nodes WHERE sole = ?1"
)
#: Every relation claim of the source ``?1``, as ``(source, type, target, role, attrs, place)``.
_SOURCE_RELATION_CLAIMS = (
    "SELECT rel_source, type, rel_target, role, attrs, place FROM relation_claims WHERE source = ?1 "
    "UNION ALL SELECT source, type, target, role, attrs, place FROM relations WHERE sole = ?1"
)

#: Schema 2 to 3: rows gain ``sole`` and ``place``, and every claim that is its row
#: (the only claim of a node, or of a relation with both ends) moves into it.
_TO_SCHEMA_3 = """
ALTER TABLE nodes ADD COLUMN sole TEXT;
ALTER TABLE nodes ADD COLUMN place TEXT;
ALTER TABLE relations ADD COLUMN sole TEXT;
ALTER TABLE relations ADD COLUMN place TEXT;
UPDATE nodes SET (sole, place) = (SELECT c.source, c.place FROM node_claims c WHERE c.node_id = nodes.id)
WHERE (SELECT count(*) FROM node_claims c WHERE c.node_id = nodes.id) = 1
AND EXISTS (SELECT 1 FROM node_claims c WHERE c.node_id = nodes.id AND c.kind = nodes.kind AND c.name = nodes.name
            AND c.aliases = nodes.aliases AND c.attrs = nodes.attrs);
DELETE FROM node_claims WHERE (node_id, source) IN (SELECT id, sole FROM nodes WHERE sole IS NOT NULL);
UPDATE relations SET (sole, place) = (
    SELECT c.source, c.place FROM relation_claims c WHERE c.rel_source = relations.source AND c.type = relations.type
    AND c.rel_target = relations.target AND c.role = relations.role)
WHERE (SELECT count(*) FROM relation_claims c WHERE c.rel_source = relations.source AND c.type = relations.type
       AND c.rel_target = relations.target AND c.role = relations.role) = 1
AND EXISTS (SELECT 1 FROM relation_claims c WHERE c.rel_source = relations.source AND c.type = relations.type
            AND c.rel_target = relations.target AND c.role = relations.role AND c.attrs = relations.attrs);
DELETE FROM relation_claims WHERE (rel_source, type, rel_target, role, source) IN
    (SELECT source, type, target, role, sole FROM relations WHERE sole IS NOT NULL);
"""


class SQLiteStore:
    """A graph kept in one SQLite file.

    Parameters
    ----------
    path : str or Path
        The database file; created with its schema when missing.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.location = str(self.path)
        try:
            self._db = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            # Four times SQLite's default: a register's rows fill fewer pages, and a load of one
            # writes in a fifth less time. Only a new file takes it (before the journal becomes WAL).
            self._db.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            # A streamed write holding the store in rollback-journal mode sets WAL back when it ends.
            self._journal_mode("WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA temp_store=MEMORY")
            self._db.execute("PRAGMA cache_size=-200000")
        except sqlite3.DatabaseError as error:
            raise StoreUnavailable(f"cannot open the store {self.location}: {error}") from None
        self.init()

    # ------------------------------------------------------------------ schema

    def init(self) -> None:
        try:
            version = self._stored_version()
            if version is not None and version < SCHEMA_VERSION:
                self._upgrade(version)
            if version is None or version <= SCHEMA_VERSION:
                self._db.executescript(_SCHEMA)
                self._db.execute(
                    "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
                )
                version = SCHEMA_VERSION
        except (sqlite3.DatabaseError, ValueError) as error:
            raise StoreUnavailable(f"{self.location} is not a maillage store: {error}") from None
        if version != SCHEMA_VERSION:
            self._db.close()
            raise StoreUnavailable(
                f"{self.location} is a maillage store of schema version {version}, newer than this maillage "
                f"reads ({SCHEMA_VERSION}): upgrade maillage"
            )

    def _stored_version(self) -> int | None:
        if not self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone():
            return None
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else None

    def _upgrade(self, version: int) -> None:
        """Bring a store of an older schema to this one, in one transaction."""
        steps = []
        if version < 2:
            # Version 2 only dropped the index of names by node (names are found from the node's own).
            steps.append("DROP INDEX IF EXISTS names_by_node;")
        if version < 3:
            steps.append(_TO_SCHEMA_3)
        try:
            self._db.executescript(
                "BEGIN IMMEDIATE;"
                + "".join(steps)
                + f"UPDATE meta SET value = '{SCHEMA_VERSION}' WHERE key = 'schema_version'; COMMIT;"
            )
        except sqlite3.DatabaseError:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ writes

    def write(self, batch: Batch) -> WriteResult:
        digest = batch_digest(batch)
        name = batch.source.name
        row = self._db.execute("SELECT digest FROM sources WHERE name = ?", (name,)).fetchone()
        if row and row[0] == digest:
            return WriteResult(name, 0, 0, unchanged=True)
        with self._transaction():
            self._check_kinds(batch)
            existing = self._existing_ids(
                {end for record in batch.relations for end in (record.relation.source, record.relation.target)}
            )
            check_batch_endpoints(batch, existing)
            self._replace_source(batch, digest)
        return WriteResult(name, len(batch.nodes), len(batch.relations))

    def source_digests(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT name, digest FROM sources"))

    def replace_sources(
        self, batches: Sequence[Batch], expected: Mapping[str, str | None] | None = None
    ) -> list[WriteResult]:
        results = []
        with self._transaction():
            if expected:
                check_unchanged(expected, self.source_digests())
            for batch in batches:
                digest = batch_digest(batch)
                source = batch.source
                row = self._db.execute(
                    "SELECT digest, authoritative FROM sources WHERE name = ?", (source.name,)
                ).fetchone()
                if row and row[0] == digest:
                    results.append(WriteResult(source.name, 0, 0, unchanged=True))
                    continue
                self._check_kinds(batch)
                if row:
                    self._db.execute(
                        "UPDATE sources SET format = ?, contributor = ?, at = ?, authoritative = ?, digest = ? WHERE name = ?",
                        (source.format, source.contributor, source.at, int(source.authoritative), digest, source.name),
                    )
                    self._replace_claims(
                        source.name, batch.nodes, batch.relations, reordered=bool(row[1]) != source.authoritative
                    )
                else:
                    self._replace_source(batch, digest)
                results.append(WriteResult(source.name, len(batch.nodes), len(batch.relations)))
        return results

    def unload(self, source: str) -> WriteResult:
        with self._transaction():
            counts = self._db.execute(
                f"SELECT (SELECT count(*) FROM ({_SOURCE_NODE_CLAIMS})), (SELECT count(*) FROM ({_SOURCE_RELATION_CLAIMS}))",
                (source,),
            ).fetchone()
            if not self._db.execute("SELECT 1 FROM sources WHERE name = ?", (source,)).fetchone():
                raise LoadError([], f"no source named {source!r} is loaded")
            self._replace_claims(source, [], [], reordered=False)
            self._db.execute("DELETE FROM sources WHERE name = ?", (source,))
        return WriteResult(source, counts[0], counts[1])

    def write_stream(
        self,
        source: Source,
        records: Iterable[NodeRecord | RelationRecord],
        digest: str | Callable[[], str] | None = None,
        chunk_size: int = 20000,
    ) -> WriteResult:
        """Replace what ``source`` asserts by ``records``, read once, in one transaction.

        See :meth:`GraphStore.write_stream` for the contract. Memory stays flat:
        records are written in chunks of ``chunk_size``, and the ids to rebuild
        are kept in temporary tables, not in Python. A node or relation that only
        this source asserts is written once, as its row keeping its claim; the
        rest goes through the same rebuild as :meth:`write`.

        When ``records`` offers ``encoded(encoder, chunk_size)`` (a reader that works
        in another process), that is used instead of iterating: it gives chunks of
        claims made by the :class:`ClaimEncoder` it is handed, and any other
        records as they are.
        """
        name = source.name
        row = self._db.execute("SELECT digest FROM sources WHERE name = ?", (name,)).fetchone()
        previous = row[0] if row else None
        if callable(digest) and previous is not None:
            digest = digest()
        if isinstance(digest, str) and digest == previous:
            return WriteResult(name, 0, 0, unchanged=True)
        writer = _StreamWriter(self, name, chunk_size, fingerprint=digest is None)
        try:
            with self._rollback_journal(), self._transaction():
                seq = self._db.execute("SELECT coalesce(max(seq), 0) + 1 FROM sources").fetchone()[0]
                self._db.execute(
                    "INSERT INTO sources(name, seq, format, contributor, at, authoritative, digest) VALUES (?, ?, ?, ?, ?, ?, '') "
                    "ON CONFLICT(name) DO UPDATE SET seq = excluded.seq, format = excluded.format, "
                    "contributor = excluded.contributor, at = excluded.at, authoritative = excluded.authoritative, digest = ''",
                    (name, seq, source.format, source.contributor, source.at, int(source.authoritative)),
                )
                writer.start()
                encoded = getattr(records, "encoded", None)
                if encoded is None:
                    for record in records:
                        writer.add(record)
                else:
                    # Claims encoded by the reader (the nodes in its own process), records for the rest.
                    for item in encoded(ClaimEncoder(name), chunk_size):
                        if isinstance(item, tuple):
                            writer.add_encoded(item)
                        else:
                            writer.add(item)
                writer.finish()
                if digest is None:
                    final = writer.digest(source.authoritative)
                else:
                    final = digest() if callable(digest) else digest
                if final == previous:
                    raise _Unchanged
                self._db.execute("UPDATE sources SET digest = ? WHERE name = ?", (final, name))
        except _Unchanged:
            return WriteResult(name, 0, 0, unchanged=True)
        return WriteResult(name, writer.node_count, writer.relation_count)

    @contextmanager
    def _rollback_journal(self) -> Iterator[None]:
        """Hold the store alone, in rollback-journal mode, when no other connection has
        it open: a large write then goes to the file once, not to the WAL first and then
        again by the checkpoint (a register of a million rows commits in 0.4 s instead
        of 1.2). Connections opened meanwhile wait for it, as they already wait for
        any write; with another one open, the WAL stays."""
        switched = self._journal_mode("DELETE") == "delete"
        if switched:
            # The rollback journal is safe from power loss only with a sync before and after it.
            self._db.execute("PRAGMA synchronous=FULL")
        try:
            yield
        finally:
            if switched:
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._journal_mode("WAL")

    def _journal_mode(self, mode: str) -> str | None:
        """Ask for a journal mode without waiting: None when another connection holds the store."""
        self._db.execute("PRAGMA busy_timeout = 0")
        try:
            return self._db.execute(f"PRAGMA journal_mode={mode}").fetchone()[0]
        except sqlite3.OperationalError:
            return None
        finally:
            self._db.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")

    def _transaction(self):
        store = self

        class _Transaction:
            def __enter__(self_inner):
                store._db.execute("BEGIN IMMEDIATE")

            def __exit__(self_inner, exc_type, exc, tb):
                if exc_type is None:
                    store._db.execute("COMMIT")
                else:
                    store._db.execute("ROLLBACK")
                return False

        return _Transaction()

    def _check_kinds(self, batch: Batch) -> None:
        self._fill_temp("batch_ids", ((record.node.id,) for record in batch.nodes))
        stored = dict(self._db.execute("SELECT n.id, n.kind FROM nodes n JOIN batch_ids b ON b.id = n.id"))
        problems = [
            Problem(
                record.place,
                None,
                "kind",
                f"{record.node.id} is a {stored[record.node.id]} in the store, not a {record.node.kind}",
            )
            for record in batch.nodes
            if record.node.id in stored and stored[record.node.id] != record.node.kind
        ]
        if problems:
            raise LoadError(problems)

    def _existing_ids(self, ids: set[str]) -> set[str]:
        self._fill_temp("batch_ids", ((node_id,) for node_id in ids))
        return {row[0] for row in self._db.execute("SELECT n.id FROM nodes n JOIN batch_ids b ON b.id = n.id")}

    def _fill_temp(self, table: str, rows: Iterable[tuple], columns: tuple[str, ...] = ("id",)) -> None:
        """(Re)fill a temporary key table used to join a set of ids or keys."""
        names = ", ".join(columns)
        self._db.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} ({names}, PRIMARY KEY ({names})) WITHOUT ROWID")
        self._db.execute(f"DELETE FROM {table}")
        self._db.executemany(f"INSERT OR IGNORE INTO {table} VALUES ({', '.join('?' * len(columns))})", rows)

    def _replace_source(self, batch: Batch, digest: str) -> None:
        source = batch.source
        seq = self._db.execute("SELECT coalesce(max(seq), 0) + 1 FROM sources").fetchone()[0]
        self._db.execute(
            "INSERT INTO sources(name, seq, format, contributor, at, authoritative, digest) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET seq = excluded.seq, format = excluded.format, contributor = excluded.contributor, "
            "at = excluded.at, authoritative = excluded.authoritative, digest = excluded.digest",
            (source.name, seq, source.format, source.contributor, source.at, int(source.authoritative), digest),
        )
        self._replace_claims(source.name, batch.nodes, batch.relations, reordered=True)

    def _replace_claims(
        self, source: str, nodes: Sequence[NodeRecord], relations: Sequence[RelationRecord], reordered: bool
    ) -> None:
        """Make ``source`` claim exactly ``nodes`` and ``relations``, and re-derive what changes.

        Only the claims that differ from the stored ones are rewritten and re-derived
        (a merge rewrites a register source of 200,000 claims to change three).
        ``reordered``: the source's precedence changed (its place in the load order,
        or its authority), so every node and relation it shares with another source
        is folded again too.
        """
        db = self._db
        wanted_nodes = {
            r.node.id: (r.node.kind, r.node.name, _json_list(r.node.aliases), _json_dict(r.node.attrs), r.place)
            for r in nodes
        }
        held_nodes = {row[0]: row[1:] for row in db.execute(_SOURCE_NODE_CLAIMS, (source,))}
        wanted_relations = {r.relation.key: (_json_dict(r.relation.attrs), r.place) for r in relations}
        held_relations = {row[:4]: row[4:] for row in db.execute(_SOURCE_RELATION_CLAIMS, (source,))}
        stale_nodes = [node_id for node_id, claim in held_nodes.items() if wanted_nodes.get(node_id) != claim]
        new_nodes = [
            (node_id, source, *claim) for node_id, claim in wanted_nodes.items() if held_nodes.get(node_id) != claim
        ]
        stale_relations = [key for key, claim in held_relations.items() if wanted_relations.get(key) != claim]
        new_relations = [
            (*key, source, *claim) for key, claim in wanted_relations.items() if held_relations.get(key) != claim
        ]
        touched_nodes = set(stale_nodes) | {row[0] for row in new_nodes}
        touched_relations = set(stale_relations) | {row[:4] for row in new_relations}
        self._fill_temp("touched_nodes", ((node_id,) for node_id in touched_nodes))
        self._expand_nodes("touched_nodes")
        self._fill_temp("touched_relations", touched_relations, _KEY_COLUMNS)
        self._expand_relations("touched_relations")
        db.executemany(
            "DELETE FROM node_claims WHERE node_id = ? AND source = ?", ((node_id, source) for node_id in stale_nodes)
        )
        db.executemany(
            "DELETE FROM relation_claims WHERE rel_source = ? AND type = ? AND rel_target = ? AND role = ? AND source = ?",
            ((*key, source) for key in stale_relations),
        )
        db.executemany(
            "INSERT INTO node_claims(node_id, source, kind, name, aliases, attrs, place) VALUES (?, ?, ?, ?, ?, ?, ?)",
            new_nodes,
        )
        db.executemany(
            "INSERT INTO relation_claims(rel_source, type, rel_target, role, source, attrs, place) VALUES (?, ?, ?, ?, ?, ?, ?)",
            new_relations,
        )
        if reordered:
            # A claim shared with another source is in the claim tables, never in a row.
            touched_nodes.update(
                row[0]
                for row in db.execute(
                    "SELECT c.node_id FROM node_claims c WHERE c.source = ?1 "
                    "AND EXISTS (SELECT 1 FROM node_claims o WHERE o.node_id = c.node_id AND o.source != ?1)",
                    (source,),
                )
            )
            touched_relations.update(
                db.execute(
                    "SELECT c.rel_source, c.type, c.rel_target, c.role FROM relation_claims c WHERE c.source = ?1 "
                    "AND EXISTS (SELECT 1 FROM relation_claims o WHERE o.rel_source = c.rel_source AND o.type = c.type "
                    "AND o.rel_target = c.rel_target AND o.role = c.role AND o.source != ?1)",
                    (source,),
                )
            )
        self._rebuild_nodes(touched_nodes)
        touched_relations.update(db.execute(_RELATIONS_OF.format(ids="touched_nodes")))
        self._rebuild_relations(touched_relations)

    def _expand_nodes(self, id_table: str) -> None:
        """Move the claims the rows of the nodes listed in a temporary id table keep to ``node_claims``."""
        self._db.execute(
            "INSERT INTO node_claims(node_id, source, kind, name, aliases, attrs, place) "
            f"SELECT id, sole, kind, name, aliases, attrs, place FROM nodes WHERE id IN (SELECT id FROM {id_table}) AND sole IS NOT NULL"
        )
        self._db.execute(
            f"UPDATE nodes SET sole = NULL, place = NULL WHERE id IN (SELECT id FROM {id_table}) AND sole IS NOT NULL"
        )

    def _expand_relations(self, key_table: str) -> None:
        """Move the claims the rows of the relations listed in a temporary key table keep to ``relation_claims``."""
        rows = f"(source, type, target, role) IN (SELECT s, t, g, r FROM {key_table}) AND sole IS NOT NULL"
        self._db.execute(
            "INSERT INTO relation_claims(rel_source, type, rel_target, role, source, attrs, place) "
            f"SELECT source, type, target, role, sole, attrs, place FROM relations WHERE {rows}"
        )
        self._db.execute(f"UPDATE relations SET sole = NULL, place = NULL WHERE {rows}")

    def _rebuild_nodes(self, node_ids: set[str]) -> None:
        """Derive the nodes ``node_ids`` from their claims again; a node that is
        exactly its one claim keeps it in its row."""
        db = self._db
        self._fill_temp("touched_nodes", ((node_id,) for node_id in node_ids))
        self._expand_nodes("touched_nodes")
        self._drop_names("touched_nodes")
        db.execute("DELETE FROM nodes WHERE id IN (SELECT id FROM touched_nodes)")
        claims: dict[str, list[tuple]] = defaultdict(list)
        for node_id, source, kind, name, aliases, attrs, place in db.execute(
            "SELECT c.node_id, c.source, c.kind, c.name, c.aliases, c.attrs, c.place FROM node_claims c "
            "JOIN touched_nodes t ON t.id = c.node_id JOIN sources s ON s.name = c.source "
            "ORDER BY c.node_id, s.authoritative, s.seq"
        ):
            claims[node_id].append((source, place, aliases, (kind, name, json.loads(aliases), json.loads(attrs))))
        rows = []
        kept_in_rows = []
        for node_id, node_claims in claims.items():
            node = fold_node_claims(node_id, [claim[3] for claim in node_claims])
            aliases = _json_list(node.aliases)
            row = [node.id, node.kind, node.name, aliases, _json_dict(node.attrs), None, None]
            if len(node_claims) == 1 and node_claims[0][2] == aliases:
                row[5:] = node_claims[0][:2]
                kept_in_rows.append((node_id, row[5]))
            rows.append(row)
        db.executemany(
            "INSERT INTO nodes(id, kind, name, aliases, attrs, sole, place) VALUES (?, ?, ?, ?, ?, ?, ?)", rows
        )
        db.executemany("DELETE FROM node_claims WHERE node_id = ? AND source = ?", kept_in_rows)
        db.executemany(
            "INSERT OR IGNORE INTO names(key, node_id) VALUES (?, ?)",
            ((normalise(label), row[0]) for row in rows for label in (row[2], *json.loads(row[3]))),
        )

    def _drop_names(self, id_table: str) -> None:
        """Delete the names of the nodes listed in a temporary id table, found from
        each node's stored name and aliases (``names`` holds exactly their keys)."""
        stored = self._db.execute(f"SELECT id, name, aliases FROM nodes WHERE id IN (SELECT id FROM {id_table})")
        self._db.executemany(
            "DELETE FROM names WHERE key = ? AND node_id = ?",
            ((name_key(label), node_id) for node_id, name, aliases in stored for label in (name, *json.loads(aliases))),
        )

    def _rebuild_relations(self, keys: set[tuple[str, str, str, str]]) -> None:
        """Derive the relations ``keys`` from their claims again (those with both ends);
        a relation that is exactly its one claim keeps it in its row."""
        db = self._db
        self._fill_temp("touched_relations", keys, _KEY_COLUMNS)
        self._expand_relations("touched_relations")
        db.execute(
            "DELETE FROM relations WHERE (source, type, target, role) IN (SELECT s, t, g, r FROM touched_relations)"
        )
        claims: dict[tuple, list[tuple]] = defaultdict(list)
        for rel_source, type_, rel_target, role, source, attrs, place in db.execute(
            "SELECT c.rel_source, c.type, c.rel_target, c.role, c.source, c.attrs, c.place FROM relation_claims c "
            "JOIN touched_relations k ON k.s = c.rel_source AND k.t = c.type AND k.g = c.rel_target AND k.r = c.role "
            "JOIN sources src ON src.name = c.source "
            "WHERE c.rel_source IN (SELECT id FROM nodes) AND c.rel_target IN (SELECT id FROM nodes) "
            "ORDER BY c.rel_source, c.type, c.rel_target, c.role, src.authoritative, src.seq"
        ):
            claims[(rel_source, type_, rel_target, role)].append((source, place, attrs))
        rows = []
        for key, relation_claims in claims.items():
            if len(relation_claims) == 1:
                source, place, attrs = relation_claims[0]
                rows.append((*key, attrs, source, place))
            else:
                rows.append(
                    (*key, _json_dict(fold_relation_claims([json.loads(c[2]) for c in relation_claims])), None, None)
                )
        db.executemany(
            "INSERT INTO relations(source, type, target, role, attrs, sole, place) VALUES (?, ?, ?, ?, ?, ?, ?)", rows
        )
        db.executemany(
            "DELETE FROM relation_claims WHERE rel_source = ? AND type = ? AND rel_target = ? AND role = ? AND source = ?",
            ((*row[:4], row[5]) for row in rows if row[5] is not None),
        )

    # ------------------------------------------------------------------ reads

    @staticmethod
    def _node(row: Sequence) -> Node:
        node_id, kind, name, aliases, attrs = row
        return Node(node_id, kind, name, tuple(json.loads(aliases)), json.loads(attrs))

    @staticmethod
    def _relation(row: Sequence) -> Relation:
        source, type_, target, role, attrs = row
        return Relation(source, type_, target, role, json.loads(attrs))

    def get(self, node_id: str) -> Node | None:
        row = self._db.execute("SELECT id, kind, name, aliases, attrs FROM nodes WHERE id = ?", (node_id,)).fetchone()
        return self._node(row) if row else None

    def find(self, reference: str) -> list[Node]:
        exact = self.get(reference.strip())
        if exact:
            return [exact]
        rows = self._db.execute(
            "SELECT n.id, n.kind, n.name, n.aliases, n.attrs FROM names k JOIN nodes n ON n.id = k.node_id "
            "WHERE k.key = ? ORDER BY n.id",
            (normalise(reference),),
        )
        return [self._node(row) for row in rows]

    def nodes(self, kind: str | None = None, search: str | None = None) -> list[Node]:
        query = "SELECT id, kind, name, aliases, attrs FROM nodes n WHERE 1 = 1"
        params: list[Any] = []
        if kind:
            query += " AND kind = ?"
            params.append(kind)
        if search:
            query += " AND (id LIKE ? OR id IN (SELECT node_id FROM names WHERE instr(key, ?) > 0))"
            params.extend([f"%{search}%", normalise(search)])
        query += " ORDER BY id"
        return [self._node(row) for row in self._db.execute(query, params)]

    def relations(self, node_id: str | None = None) -> list[Relation]:
        query = "SELECT source, type, target, role, attrs FROM relations"
        params: tuple = ()
        if node_id is not None:
            query += " WHERE source = ? OR target = ?"
            params = (node_id, node_id)
        query += " ORDER BY source, type, target, role"
        return [self._relation(row) for row in self._db.execute(query, params)]

    def node_claims(self, node_id: str) -> list[NodeClaim]:
        rows = self._db.execute(
            "SELECT c.source, c.node_id, c.kind, c.name, c.aliases, c.attrs, c.place, s.contributor, s.at, s.seq "
            "FROM node_claims c JOIN sources s ON s.name = c.source WHERE c.node_id = ?1 "
            "UNION ALL SELECT n.sole, n.id, n.kind, n.name, n.aliases, n.attrs, n.place, s.contributor, s.at, s.seq "
            "FROM nodes n JOIN sources s ON s.name = n.sole WHERE n.id = ?1 ORDER BY 10",
            (node_id,),
        )
        return [
            NodeClaim(source, nid, kind, name, tuple(json.loads(aliases)), json.loads(attrs), place, contributor, at)
            for source, nid, kind, name, aliases, attrs, place, contributor, at, _seq in rows
        ]

    def relation_claims(self, node_id: str) -> list[RelationClaim]:
        rows = self._db.execute(
            "SELECT c.source, c.rel_source, c.type, c.rel_target, c.role, c.attrs, c.place, s.contributor, s.at, s.seq "
            "FROM relation_claims c JOIN sources s ON s.name = c.source WHERE c.rel_source = ?1 OR c.rel_target = ?1 "
            "UNION ALL SELECT r.sole, r.source, r.type, r.target, r.role, r.attrs, r.place, s.contributor, s.at, s.seq "
            "FROM relations r JOIN sources s ON s.name = r.sole WHERE r.source = ?1 OR r.target = ?1 "
            "ORDER BY 10, 2, 3, 4, 5",
            (node_id,),
        )
        return [
            RelationClaim(source, Relation(rs, type_, rt, role, json.loads(attrs)), place, contributor, at)
            for source, rs, type_, rt, role, attrs, place, contributor, at, _seq in rows
        ]

    def sources(self) -> list[SourceSummary]:
        rows = self._db.execute(
            "SELECT s.name, s.format, s.contributor, s.at, s.authoritative, "
            "(SELECT count(*) FROM node_claims c WHERE c.source = s.name) + (SELECT count(*) FROM nodes n WHERE n.sole = s.name), "
            "(SELECT count(*) FROM relation_claims c WHERE c.source = s.name) + (SELECT count(*) FROM relations r WHERE r.sole = s.name) "
            "FROM sources s ORDER BY s.seq"
        )
        return [SourceSummary(n, f, c, at, bool(a), nn, nr) for n, f, c, at, a, nn, nr in rows]

    def dump(self) -> Iterator[Batch]:
        for (name,) in self._db.execute("SELECT name FROM sources ORDER BY seq").fetchall():
            yield self.dump_source(name)

    def dump_source(self, name: str) -> Batch | None:
        row = self._db.execute(
            "SELECT format, contributor, at, authoritative FROM sources WHERE name = ?", (name,)
        ).fetchone()
        if row is None:
            return None
        format_, contributor, at, authoritative = row
        batch = Batch(Source(name, format_, contributor, at, bool(authoritative)))
        for node_id, kind, node_name, aliases, attrs, place in self._db.execute(
            _SOURCE_NODE_CLAIMS + " ORDER BY 1", (name,)
        ):
            node = Node(node_id, kind, node_name, _loads_list(aliases), _loads_dict(attrs))
            batch.nodes.append(NodeRecord(node, place))
        for rs, type_, rt, role, attrs, place in self._db.execute(
            _SOURCE_RELATION_CLAIMS + " ORDER BY 1, 2, 3, 4", (name,)
        ):
            batch.relations.append(RelationRecord(Relation(rs, type_, rt, role, _loads_dict(attrs)), place))
        return batch

    def put_document(self, collection: str, key: str, value) -> None:
        self._db.execute(
            "INSERT INTO documents(collection, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT(collection, key) DO UPDATE SET value = excluded.value",
            (collection, key, _json_dict(value)),
        )

    def get_document(self, collection: str, key: str) -> dict[str, Any] | None:
        row = self._db.execute(
            "SELECT value FROM documents WHERE collection = ? AND key = ?", (collection, key)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def documents(self, collection: str) -> list[tuple[str, dict[str, Any]]]:
        rows = self._db.execute("SELECT key, value FROM documents WHERE collection = ? ORDER BY seq", (collection,))
        return [(key, json.loads(value)) for key, value in rows]

    def delete_document(self, collection: str, key: str) -> None:
        self._db.execute("DELETE FROM documents WHERE collection = ? AND key = ?", (collection, key))

    def neighbourhood(self, node_ids: Iterable[str], depth: int) -> set[str]:
        reached = {node_id for node_id in node_ids if self.get(node_id)}
        frontier = set(reached)
        for _ in range(depth):
            if not frontier:
                break
            self._fill_temp("frontier", ((node_id,) for node_id in frontier))
            found = {
                row[0]
                for row in self._db.execute(
                    "SELECT target FROM relations JOIN frontier f ON f.id = relations.source "
                    "UNION SELECT source FROM relations JOIN frontier f ON f.id = relations.target"
                )
            }
            frontier = found - reached
            reached |= found
        return reached

    def to_networkx(self, kinds: Sequence[str] | None = None, node_ids: Iterable[str] | None = None) -> nx.MultiDiGraph:
        query = "SELECT id, kind, name, aliases, attrs FROM nodes n WHERE 1 = 1"
        params: list[Any] = []
        if kinds:
            query += f" AND kind IN ({', '.join('?' * len(kinds))})"
            params.extend(kinds)
        if node_ids is not None:
            self._fill_temp("wanted", ((node_id,) for node_id in node_ids))
            query += " AND id IN (SELECT id FROM wanted)"
        # The graph is dictionaries of dictionaries, several per node, none in a reference
        # cycle: the collector, started again and again while they are made, would walk
        # them all each time (more than half the time of reading a large graph).
        collecting = gc.isenabled()
        gc.disable()
        try:
            graph = _networkx_nodes(self._db.execute(query + " ORDER BY id", params))
            if node_ids is None:
                relations = self._db.execute(
                    "SELECT source, type, target, role, attrs FROM relations ORDER BY source, type, target, role"
                )
            else:
                # Only the relations among the nodes asked for: a neighbourhood, not the whole graph.
                relations = self._db.execute(
                    "SELECT r.source, r.type, r.target, r.role, r.attrs FROM wanted w JOIN relations r ON r.source = w.id "
                    "WHERE r.target IN (SELECT id FROM wanted) ORDER BY r.source, r.type, r.target, r.role"
                )
            _networkx_edges(graph, relations)
        finally:
            if collecting:
                gc.enable()
        return graph

    def counts(self) -> dict[str, int]:
        counts = dict(self._db.execute("SELECT kind, count(*) FROM nodes GROUP BY kind ORDER BY kind"))
        counts.update(self._db.execute("SELECT type, count(*) FROM relations GROUP BY type ORDER BY type"))
        return counts


#: Rows decoded at a time when a graph is read (their JSON in one call).
_GRAPH_CHUNK = 50_000


def _decoded(texts: Sequence[str]) -> list:
    """JSON texts decoded in one call: the decoder's own call costs more than a short text's decoding."""
    return json.loads("[" + ",".join(texts) + "]")


def _networkx_nodes(rows: sqlite3.Cursor) -> nx.MultiDiGraph:
    """A ``MultiDiGraph`` of these ``(id, kind, name, aliases, attrs)`` rows, as
    :func:`~maillage.graph.store.base.build_networkx` makes it (same attributes, same
    order), its dictionaries filled directly: a graph of a national register (1.5 million
    nodes) is read several times quicker than through ``add_node``."""
    import networkx as nx

    graph = nx.MultiDiGraph()
    node_data, succ, pred = graph._node, graph._succ, graph._pred
    # One string per kind, not one per node.
    kinds: dict[str, str] = {}
    while chunk := rows.fetchmany(_GRAPH_CHUNK):
        aliases = _decoded([row[3] for row in chunk])
        attrs = _decoded([row[4] for row in chunk])
        for (node_id, kind, name, _, _), data, names in zip(chunk, attrs, aliases):
            data["kind"] = kinds.setdefault(kind, kind)
            data["name"] = name
            data["aliases"] = names
            node_data[node_id] = data
            succ[node_id] = {}
            pred[node_id] = {}
    return graph


def _networkx_edges(graph: nx.MultiDiGraph, rows: sqlite3.Cursor) -> None:
    """Add these ``(source, type, target, role, attrs)`` relation rows to ``graph`` as
    :func:`~maillage.graph.store.base.build_networkx` does (keyed ``TYPE`` or
    ``TYPE:role``, relations to absent nodes left out), filling its dictionaries directly."""
    succ, pred = graph._succ, graph._pred
    # The graph keeps one string per node id and relation type, not one more per row naming it.
    node_id = {name: name for name in graph._node}
    types: dict[str, str] = {}
    while chunk := rows.fetchmany(_GRAPH_CHUNK):
        attrs = _decoded([row[4] for row in chunk])
        for (source, type_, target, role, _), data in zip(chunk, attrs):
            source, target = node_id.get(source), node_id.get(target)
            if source is None or target is None:
                continue
            type_ = types.setdefault(type_, type_)
            data["type"] = type_
            data["role"] = role
            out = succ[source]
            keys = out.get(target)
            if keys is None:
                keys = out[target] = pred[target][source] = {}
            keys[f"{type_}:{role}" if role else type_] = data


#: For a relation claim ``(source, type, target, role, claiming source)`` of a stream:
#: both ends exist, no other source claims the relation, and it is neither noted
#: for folding nor kept pending.
_ALONE_WITH_ENDS = (
    "EXISTS (SELECT 1 FROM nodes WHERE id = ?1) AND EXISTS (SELECT 1 FROM nodes WHERE id = ?3) "
    "AND NOT EXISTS (SELECT 1 FROM relation_claims o WHERE o.rel_source = ?1 AND o.type = ?2 AND o.rel_target = ?3 AND o.role = ?4) "
    "AND NOT EXISTS (SELECT 1 FROM relations o WHERE o.source = ?1 AND o.type = ?2 AND o.target = ?3 AND o.role = ?4 AND o.sole != ?5) "
    "AND NOT EXISTS (SELECT 1 FROM stream_keys k WHERE k.s = ?1 AND k.t = ?2 AND k.g = ?3 AND k.r = ?4) "
    "AND NOT EXISTS (SELECT 1 FROM stream_pending p WHERE p.s = ?1 AND p.t = ?2 AND p.g = ?3 AND p.r = ?4)"
)
_RELATION_ALONE = (
    "INSERT OR REPLACE INTO relations(source, type, target, role, attrs, sole, place) SELECT ?1, ?2, ?3, ?4, ?6, ?5, ?7 WHERE "
    + _ALONE_WITH_ENDS
)
_RELATION_PENDING = (
    "INSERT OR IGNORE INTO stream_pending(s, t, g, r) SELECT ?1, ?2, ?3, ?4 WHERE NOT (" + _ALONE_WITH_ENDS + ")"
)
_PENDING_CLAIM = (
    "INSERT OR REPLACE INTO relation_claims(rel_source, type, rel_target, role, source, attrs, place) "
    "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE EXISTS (SELECT 1 FROM stream_pending p WHERE p.s = ?1 AND p.t = ?2 AND p.g = ?3 AND p.r = ?4)"
)


#: About how many ids of existing nodes a stream keeps in memory (a chunk's more at most).
_KNOWN_IDS_KEPT = 100_000


class _Unchanged(Exception):
    """Raised inside a streamed write whose content equals what the source asserted: roll back."""


# json.dumps builds an encoder per call; the streamed path encodes millions of values.
# JSONEncoder.encode still makes its C encoder anew per call: make it once, with the
# arguments ``iterencode`` passes it (less the check for circular values).
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))
if json.encoder.c_make_encoder is None:
    _encode = _ENCODER.encode
else:
    _C_ITERENCODE = json.encoder.c_make_encoder(
        None, _ENCODER.default, json.encoder.encode_basestring, None, ":", ",", True, False, True
    )

    def _encode(value: Any) -> str:
        return "".join(_C_ITERENCODE(value, 0))


def _loads_list(text: str) -> tuple:
    return tuple(json.loads(text)) if text != "[]" else ()


def _loads_dict(text: str) -> dict[str, Any]:
    # Most claims of a register have no aliases and their relations no attributes.
    return json.loads(text) if text != "{}" else {}


def _json_list(values: Sequence[str]) -> str:
    return _encode(list(values)) if values else "[]"


def _json_dict(values: Any) -> str:
    return _encode(dict(values)) if values else "{}"


def encode_nodes(source: str, records: Iterable[NodeRecord]) -> tuple[list[tuple], list[tuple[str, str]]]:
    """Node records as the rows of ``node_claims`` a streamed write stores, and their
    name keys as ``(key, node_id)``: plain data, so that a worker process reading a
    large file can do this work and hand the rows to the writing process.

    Records with the same id must have been reduced to the last one.

    >>> encode_nodes("s", [NodeRecord(Node("theme:paix", "Theme", "Paix", ("Paix", "Peace"), {}), "t.csv:2")])
    ([('theme:paix', 's', 'Theme', 'Paix', '["Peace"]', '{}', 't.csv:2')], [('paix', 'theme:paix'), ('peace', 'theme:paix')])
    """
    return _encode_claims(
        source,
        ((r.node.id, r.node.kind, r.node.name, r.node.aliases, _json_dict(r.node.attrs), r.place) for r in records),
    )


def _encode_claims(source: str, claims: Iterable[tuple]) -> tuple[list[tuple], list[tuple[str, str]]]:
    """What :func:`encode_nodes` makes of nodes given as ``(node_id, kind, name, aliases,
    attributes as JSON, place)``."""
    rows = []
    names = []
    for node_id, kind, name, aliases, attrs, place in claims:
        names.append((name_key(name), node_id))
        if aliases:
            aliases = aliases_of(name, aliases)
            for label in aliases:
                names.append((name_key(label), node_id))
            encoded = _json_list(aliases)
        else:
            encoded = "[]"
        rows.append((node_id, source, kind, name, encoded, attrs, place))
    return rows, names


@dataclass(frozen=True)
class ClaimEncoder:
    """Claims in the form a streamed write stores them, made from plain data so that a
    reader working in another process can do it: the encoder pickles."""

    source: str

    def node_claims(self, claims: Iterable[tuple]) -> tuple:
        """A chunk of node claims as :func:`encode_nodes` makes them, of nodes (one per
        id) given as plain data, ``(node_id, kind, name, aliases, attributes as JSON,
        place)``: a reader that makes no :class:`Node` saves building them, and can
        write the JSON quicker."""
        return ("nodes", *_encode_claims(self.source, claims))

    def relations(self, type_: str, rows: Iterable[tuple[str, str, str]], end_of: Mapping[str, str | None]) -> tuple:
        """A chunk of relations of one type, without role or attributes, from
        ``(start, key, place)`` rows whose end is ``end_of[key]``; a row whose key
        gives None is left out."""
        source = self.source
        return (
            "relations",
            [
                (start, type_, end_of[key], "", source, "{}", place)
                for start, key, place in rows
                if end_of[key] is not None
            ],
        )


class _StreamWriter:
    """The chunked steps of :meth:`SQLiteStore.write_stream`, inside its transaction.

    Records are buffered up to ``chunk_size`` and flushed nodes first, then
    relations. A flush writes each node no other claim names, and each relation
    with both ends that no other claim names, as a row keeping its claim, with
    the node's names; it writes the other claims to the claim tables and notes
    which ids and relation keys must be folded. Those are folded at the end as
    :meth:`SQLiteStore.write` does, set-wise in SQL where a relation has one claim.
    """

    def __init__(self, store: SQLiteStore, source: str, chunk_size: int, fingerprint: bool):
        self.store = store
        self.db = store._db
        self.source = source
        self.chunk_size = chunk_size
        self.nodes: dict[str, NodeRecord] = {}
        self.relations: list[RelationRecord] = []
        self.node_count = 0
        self.relation_count = 0
        self.problems: list[Problem] = []
        self._hash = hashlib.sha256() if fingerprint else None
        self._had_nodes = False
        self._had_relations = False
        self._stored_rows: int | None = None
        self._indexes_dropped = False
        # Ids of nodes known to be in the store, to check relations' ends (see _remember_nodes).
        self._known_nodes: set[str] = set()
        self._new_nodes_expected = True

    def start(self) -> None:
        db, source = self.db, self.source
        for table, columns in (
            ("stream_touched_nodes", ("id",)),
            ("stream_keys", _KEY_COLUMNS),
            ("stream_pending", _KEY_COLUMNS),
            ("stream_dropped", _KEY_COLUMNS),
        ):
            self.store._fill_temp(table, (), columns)
        # What the source asserted before: to rebuild unless asserted again alone.
        db.execute(f"INSERT OR IGNORE INTO stream_touched_nodes SELECT node_id FROM ({_SOURCE_NODE_CLAIMS})", (source,))
        self._had_nodes = db.execute("SELECT 1 FROM stream_touched_nodes LIMIT 1").fetchone() is not None
        if self._had_nodes:
            # Their names are written again: with the node if asserted alone, by the rebuild otherwise.
            self.store._drop_names("stream_touched_nodes")
        # The relations it claimed with others, or to an end gone, are folded at the end; those
        # whose rows kept its claim are replaced if asserted again alone, and dropped otherwise.
        db.execute(
            "INSERT OR IGNORE INTO stream_keys SELECT rel_source, type, rel_target, role FROM relation_claims WHERE source = ?",
            (source,),
        )
        db.execute(
            "INSERT OR IGNORE INTO stream_dropped SELECT source, type, target, role FROM relations WHERE sole = ?",
            (source,),
        )
        self._had_relations = db.execute("SELECT 1 FROM stream_dropped LIMIT 1").fetchone() is not None
        db.execute("DELETE FROM node_claims WHERE source = ?", (source,))
        db.execute("DELETE FROM relation_claims WHERE source = ?", (source,))
        # The rows that were this source's claims have none until written again or rebuilt.
        db.execute("UPDATE nodes SET sole = NULL, place = NULL WHERE sole = ?", (source,))
        db.execute("UPDATE relations SET sole = NULL, place = NULL WHERE sole = ?", (source,))

    def add_encoded(self, chunk: tuple) -> None:
        """Write a chunk a :class:`ClaimEncoder` made (perhaps in another process),
        after the records of the same kind buffered before it."""
        if chunk[0] == "nodes":
            self._flush_nodes()
            self.write_node_rows(chunk[1], chunk[2])
        else:
            self._flush_relations()
            self.write_relation_rows(chunk[1])
        self._drop_indexes_when_outgrown()

    def add(self, record: NodeRecord | RelationRecord) -> None:
        if isinstance(record, NodeRecord):
            if record.node.id in self.nodes:
                del self.nodes[record.node.id]
            self.nodes[record.node.id] = record
        elif isinstance(record, RelationRecord):
            self.relations.append(record)
        else:
            raise TypeError(f"not a NodeRecord or RelationRecord: {type(record).__name__}")
        if len(self.nodes) >= self.chunk_size or len(self.relations) >= self.chunk_size:
            self._flush()
            self._drop_indexes_when_outgrown()

    def _drop_indexes_when_outgrown(self) -> None:
        """Once this stream has written more rows than the store held, drop the
        deferrable indexes: building them again costs at most twice the sort of
        what this stream adds, less than keeping them up to date row by row."""
        if self._indexes_dropped:
            return
        if self._stored_rows is None:
            self._stored_rows = (
                self.db.execute(
                    "SELECT (SELECT count(*) FROM node_claims) + (SELECT count(*) FROM relation_claims) "
                    "+ (SELECT count(*) FROM nodes) + (SELECT count(*) FROM relations)"
                ).fetchone()[0]
                - self.node_count
                - self.relation_count
            )
        if self.node_count + self.relation_count > self._stored_rows:
            for group in _DEFERRABLE_INDEXES:
                for statement in group:
                    self.db.execute("DROP INDEX IF EXISTS " + statement.split()[5])
            self._indexes_dropped = True

    def _restore_indexes(self, group: int) -> None:
        if self._indexes_dropped:
            for statement in _DEFERRABLE_INDEXES[group]:
                self.db.execute(statement)

    def digest(self, authoritative: bool) -> str:
        assert self._hash is not None
        self._hash.update(b"authoritative" if authoritative else b"plain")
        return self._hash.hexdigest()

    def _flush(self) -> None:
        self._flush_nodes()
        self._flush_relations()

    def _flush_nodes(self) -> None:
        if not self.nodes:
            return
        rows, names = encode_nodes(self.source, self.nodes.values())
        self.nodes = {}
        self.write_node_rows(rows, names)

    def write_node_rows(self, rows: list[tuple], names: list[tuple[str, str]]) -> None:
        """Write a chunk of node claims as :func:`encode_nodes` gives them (one row per id).

        A node no other claim names is written as a row keeping its claim, with its
        names. The others' claims go to ``node_claims``, with the claims their rows
        kept, and their ids are noted for folding: claimed by other sources (kinds
        to check), or by this stream in an earlier chunk (the later record wins).
        """
        if not rows:
            return
        # In key order, the names' B-tree is written page after page (twice as fast).
        # Sorted here, not by a reader in another process: this one waits for it anyway.
        names.sort(key=itemgetter(0))
        if self._hash is not None:
            self._hash.update("".join("\x1f".join(("N", *row[:1], *row[2:])) + "\x1e" for row in rows).encode("utf-8"))
        if not (self._new_nodes_expected and self._write_new_nodes(rows, names)):
            self._write_checked_nodes(rows, names)
        self.node_count += len(rows)
        self._remember_nodes(map(itemgetter(0), rows))

    def _remember_nodes(self, ids: Iterable[str]) -> None:
        """Note ids of nodes in the store (none leaves it during a stream), forgetting
        those noted before once there are ``_KNOWN_IDS_KEPT`` of them."""
        if len(self._known_nodes) >= _KNOWN_IDS_KEPT:
            self._known_nodes.clear()
        self._known_nodes.update(ids)

    def _write_new_nodes(self, rows: list[tuple], names: list[tuple[str, str]]) -> bool:
        """Write a chunk of nodes none of which is in the store yet (so none has a claim),
        in one plain insert, and their names; or, if one is there, nothing. Tells which.
        A register's first load goes this way; once a chunk did not, the rest of the
        stream (a reload, say) is checked node by node."""
        db = self.db
        db.execute("SAVEPOINT new_nodes")
        written = db.executemany(
            "INSERT INTO nodes(id, kind, name, aliases, attrs, sole, place) VALUES (?1, ?3, ?4, ?5, ?6, ?2, ?7) ON CONFLICT DO NOTHING",
            rows,
        ).rowcount
        if written == len(rows):
            db.execute("RELEASE new_nodes")
            db.executemany("INSERT OR IGNORE INTO names(key, node_id) VALUES (?, ?)", names)
            return True
        db.execute("ROLLBACK TO new_nodes")
        db.execute("RELEASE new_nodes")
        self._new_nodes_expected = False
        return False

    def _write_checked_nodes(self, rows: list[tuple], names: list[tuple[str, str]]) -> None:
        db, source = self.db, self.source
        ids = json.dumps([row[0] for row in rows])
        others: dict[str, str] = {}
        touched: list[str] = []
        for node_id, kind, claim_source in db.execute(
            "SELECT node_id, kind, source FROM node_claims WHERE node_id IN (SELECT value FROM json_each(?1)) "
            "UNION ALL SELECT id, kind, sole FROM nodes WHERE id IN (SELECT value FROM json_each(?1)) AND sole IS NOT NULL",
            (ids,),
        ):
            if claim_source != source:
                others[node_id] = kind
            touched.append(node_id)
        if others:
            for row in rows:
                if row[0] in others and others[row[0]] != row[2]:
                    self.problems.append(
                        Problem(row[6], None, "kind", f"{row[0]} is a {others[row[0]]} in the store, not a {row[2]}")
                    )
        alone = rows
        if touched:
            touched_set = set(touched)
            self.store._fill_temp("touched_nodes", ((node_id,) for node_id in touched_set))
            self.store._expand_nodes("touched_nodes")
            db.executemany(
                "INSERT OR REPLACE INTO node_claims(node_id, source, kind, name, aliases, attrs, place) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [row for row in rows if row[0] in touched_set],
            )
            db.execute("INSERT OR IGNORE INTO stream_touched_nodes SELECT id FROM touched_nodes")
            names = [name for name in names if name[1] not in touched_set]
            alone = [row for row in rows if row[0] not in touched_set]
        if self._had_nodes and alone:
            # Asserted before and now alone again: no fold needed.
            db.execute(
                "DELETE FROM stream_touched_nodes WHERE id IN (SELECT value FROM json_each(?))",
                (json.dumps([row[0] for row in alone]),),
            )
        # A later chunk naming one of these nodes again makes it touched, and the
        # fold at the end replaces this row and these names.
        db.executemany(
            "INSERT OR REPLACE INTO nodes(id, kind, name, aliases, attrs, sole, place) VALUES (?, ?, ?, ?, ?, ?, ?)",
            ((row[0], row[2], row[3], row[4], row[5], row[1], row[6]) for row in alone),
        )
        db.executemany("INSERT OR IGNORE INTO names(key, node_id) VALUES (?, ?)", names)

    def _flush_relations(self) -> None:
        if not self.relations:
            return
        source = self.source
        rows = [(*r.relation.key, source, _json_dict(r.relation.attrs), r.place) for r in self.relations]
        self.relations = []
        self.write_relation_rows(rows)

    def write_relation_rows(self, rows: list[tuple]) -> None:
        """Write a chunk of relation claims given as rows of ``relation_claims``."""
        if self._hash is not None:
            self._hash.update("".join("\x1f".join(("R", *row[:4], *row[5:])) + "\x1e" for row in rows).encode("utf-8"))
        # A relation whose ends exist and that no other claim names is its claim: a row now.
        # The others wait in the claim table for the end of the stream.
        if not self._write_alone_relations(rows):
            written = self.db.executemany(_RELATION_ALONE, rows).rowcount
            if written != len(rows):
                self.db.executemany(_RELATION_PENDING, [row[:5] for row in rows])
                self.db.executemany(_PENDING_CLAIM, rows)
            if self._had_relations:
                # Asserted again: written alone above, or pending, written at the end.
                self.db.executemany(
                    "DELETE FROM stream_dropped WHERE s = ? AND t = ? AND g = ? AND r = ?", [row[:4] for row in rows]
                )
        self.relation_count += len(rows)

    def _write_alone_relations(self, rows: list[tuple]) -> bool:
        """Write a chunk of relations as rows in one plain insert, when nothing can stand
        in their way but a row of the same key: no relation claim in the store, none
        noted or pending, and every end known to exist. Tells whether every row went in;
        a register's relations go this way, five times faster than checked one by one."""
        db = self.db
        if db.execute(
            "SELECT EXISTS (SELECT 1 FROM relation_claims) OR EXISTS (SELECT 1 FROM stream_keys) "
            "OR EXISTS (SELECT 1 FROM stream_pending) OR EXISTS (SELECT 1 FROM stream_dropped)"
        ).fetchone()[0]:
            return False
        ends = set(map(itemgetter(0), rows))
        ends.update(map(itemgetter(2), rows))
        unknown = ends - self._known_nodes
        if unknown:
            found = [end for end in unknown if db.execute("SELECT 1 FROM nodes WHERE id = ?", (end,)).fetchone()]
            if len(found) != len(unknown):
                return False
            self._remember_nodes(found)
        # A row in the way (another source's, or this stream's earlier record) leaves the chunk
        # to the checked statements, which take the rows written here as the stream's own.
        written = db.executemany(
            "INSERT INTO relations(source, type, target, role, attrs, sole, place) VALUES (?1, ?2, ?3, ?4, ?6, ?5, ?7) "
            "ON CONFLICT DO NOTHING",
            rows,
        ).rowcount
        return written == len(rows)

    def _note_relations_of_others(self) -> None:
        """Note the relations other sources assert about this source's nodes: they may
        appear or change with them. Walks whichever side is smaller: the other
        sources' relation claims, or this source's nodes."""
        db, source = self.db, self.source
        others = db.execute(
            "SELECT (SELECT count(*) FROM (SELECT 1 FROM relation_claims WHERE source < ?1 LIMIT ?2)) "
            "+ (SELECT count(*) FROM (SELECT 1 FROM relation_claims WHERE source > ?1 LIMIT ?2))",
            (source, self.node_count + 1),
        ).fetchone()[0]
        if others <= self.node_count:
            claimed = (
                "(EXISTS (SELECT 1 FROM node_claims c WHERE c.node_id = {end} AND c.source = ?1) "
                "OR EXISTS (SELECT 1 FROM nodes n WHERE n.id = {end} AND n.sole = ?1))"
            )
            db.execute(
                "INSERT OR IGNORE INTO stream_keys SELECT r.rel_source, r.type, r.rel_target, r.role FROM relation_claims r "
                "WHERE (r.source < ?1 OR r.source > ?1) "
                f"AND ({claimed.format(end='r.rel_source')} OR {claimed.format(end='r.rel_target')})",
                (source,),
            )
        else:
            db.execute(
                f"WITH own(id) AS (SELECT node_id FROM ({_SOURCE_NODE_CLAIMS})) "
                "INSERT OR IGNORE INTO stream_keys SELECT r.rel_source, r.type, r.rel_target, r.role "
                "FROM own JOIN relation_claims r ON r.rel_source = own.id WHERE r.source != ?1 "
                "UNION SELECT r.rel_source, r.type, r.rel_target, r.role "
                "FROM own JOIN relation_claims r ON r.rel_target = own.id WHERE r.source != ?1",
                (source,),
            )

    def finish(self) -> None:
        self._flush()
        if self.problems:
            raise LoadError(self.problems)
        db, store, source = self.db, self.store, self.source
        self._restore_indexes(0)
        self._note_relations_of_others()
        # Nodes asserted by several sources, or no longer asserted by this one.
        last = ""
        while True:
            ids = [
                row[0]
                for row in db.execute(
                    "SELECT id FROM stream_touched_nodes WHERE id > ? ORDER BY id LIMIT ?", (last, self.chunk_size)
                )
            ]
            if not ids:
                break
            last = ids[-1]
            store._fill_temp("touched_nodes", ((node_id,) for node_id in ids))
            db.execute("INSERT OR IGNORE INTO stream_keys " + _RELATIONS_OF.format(ids="touched_nodes"))
            store._rebuild_nodes(set(ids))
        # Pending keys another source also claims (in the claim table, or in its row)
        # are folded with the keys noted on the way.
        db.execute(
            "INSERT OR IGNORE INTO stream_keys SELECT p.s, p.t, p.g, p.r FROM stream_pending p "
            "WHERE EXISTS (SELECT 1 FROM relation_claims o WHERE o.rel_source = p.s "
            "AND o.type = p.t AND o.rel_target = p.g AND o.role = p.r AND o.source != ?1) "
            "OR EXISTS (SELECT 1 FROM relations o WHERE o.source = p.s AND o.type = p.t AND o.target = p.g AND o.role = p.r "
            "AND o.sole != ?1)",
            (source,),
        )
        store._expand_relations("stream_keys")
        # Only a claim kept pending, or one touching a node rebuilt above (its key is noted),
        # can miss an end: the others' ends existed when they were written.
        missing = db.execute(
            "SELECT c.place, c.type, CASE WHEN c.rel_source IN (SELECT id FROM nodes) THEN c.rel_target ELSE c.rel_source END "
            "FROM (SELECT s, t, g, r FROM stream_pending UNION SELECT s, t, g, r FROM stream_keys) k "
            "JOIN relation_claims c ON c.rel_source = k.s AND c.type = k.t AND c.rel_target = k.g AND c.role = k.r AND c.source = ? "
            "WHERE c.rel_source NOT IN (SELECT id FROM nodes) OR c.rel_target NOT IN (SELECT id FROM nodes) LIMIT 1000",
            (source,),
        ).fetchall()
        if missing:
            raise LoadError(
                [
                    Problem(place, None, None, f"relation {type_} points to unknown node {end!r}")
                    for place, type_, end in missing
                ]
            )
        db.execute("DELETE FROM relations WHERE (source, type, target, role) IN (SELECT s, t, g, r FROM stream_keys)")
        db.execute(
            "DELETE FROM relations WHERE (source, type, target, role) IN (SELECT s, t, g, r FROM stream_dropped)"
        )
        # Every other pending claim of this source is alone on its key, and both its ends
        # exist: it becomes its row. (CROSS JOIN: walk the pending keys, usually few.)
        alone_pending = "FROM stream_pending p WHERE NOT EXISTS (SELECT 1 FROM stream_keys k WHERE k.s = p.s AND k.t = p.t AND k.g = p.g AND k.r = p.r)"
        db.execute(
            "INSERT OR REPLACE INTO relations(source, type, target, role, attrs, sole, place) "
            "SELECT c.rel_source, c.type, c.rel_target, c.role, c.attrs, c.source, c.place FROM stream_pending p "
            "CROSS JOIN relation_claims c ON c.rel_source = p.s AND c.type = p.t AND c.rel_target = p.g AND c.role = p.r AND c.source = ? "
            "WHERE NOT EXISTS (SELECT 1 FROM stream_keys k WHERE k.s = p.s AND k.t = p.t AND k.g = p.g AND k.r = p.r)",
            (source,),
        )
        db.execute(
            f"DELETE FROM relation_claims WHERE source = ? AND (rel_source, type, rel_target, role) IN (SELECT p.s, p.t, p.g, p.r {alone_pending})",
            (source,),
        )
        # The noted keys: one claim -> the claim is the relation's row; several -> fold them.
        db.execute(
            "INSERT INTO relations(source, type, target, role, attrs, sole, place) "
            "SELECT k.s, k.t, k.g, k.r, min(c.attrs), min(c.source), min(c.place) FROM stream_keys k "
            "JOIN relation_claims c ON c.rel_source = k.s AND c.type = k.t AND c.rel_target = k.g AND c.role = k.r "
            "WHERE k.s IN (SELECT id FROM nodes) AND k.g IN (SELECT id FROM nodes) "
            "GROUP BY k.s, k.t, k.g, k.r HAVING count(*) = 1"
        )
        db.execute(
            "DELETE FROM relation_claims WHERE (rel_source, type, rel_target, role, source) IN (SELECT r.source, r.type, r.target, r.role, r.sole "
            "FROM stream_keys k JOIN relations r ON r.source = k.s AND r.type = k.t AND r.target = k.g AND r.role = k.r WHERE r.sole IS NOT NULL)"
        )
        shared = db.execute(
            "SELECT k.s, k.t, k.g, k.r FROM stream_keys k "
            "JOIN relation_claims c ON c.rel_source = k.s AND c.type = k.t AND c.rel_target = k.g AND c.role = k.r "
            "GROUP BY k.s, k.t, k.g, k.r HAVING count(*) > 1"
        ).fetchall()
        for start in range(0, len(shared), self.chunk_size):
            store._rebuild_relations(set(shared[start : start + self.chunk_size]))
        self._restore_indexes(1)
