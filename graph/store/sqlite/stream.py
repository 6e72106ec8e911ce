"""Streamed writes to the SQLite store: a large source read once, in chunks, in one transaction."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING

from ...errors import LoadError
from ...model import NodeRecord, RelationRecord, Source, aliases_of, name_key
from ..base import (
    Problem,
    WriteResult,
)
from ..shared import Unchanged, collector_paused, json_dict, json_list, kind_conflict
from .schema import _DEFERRABLE_INDEXES, _KEY_COLUMNS, _RELATIONS_OF, _SOURCE_NODE_CLAIMS

if TYPE_CHECKING:
    from . import SQLiteStore

__all__ = ["ClaimEncoder", "StreamMixin", "encode_nodes"]


class StreamMixin:
    """Streamed writes: one transaction, the file held in rollback-journal mode when no other
    connection has it open, chunks of claims noted in temporary tables."""

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
        this source asserts is written once, as its row carrying its claim; the
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
        # Chunks of rows, none in a reference cycle, come and go.
        with collector_paused():
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
                        raise Unchanged
                    self._db.execute("UPDATE sources SET digest = ? WHERE name = ?", (final, name))
            except Unchanged:
                return WriteResult(name, 0, 0, unchanged=True)
        return WriteResult(name, writer.node_count, writer.relation_count)


#: For a relation claim ``(source, type, target, role, claiming source)`` of a stream:
#: both ends exist, no other source claims the relation, and it is neither noted
#: for folding nor kept pending.
_SOLE_WITH_ENDS = (
    "EXISTS (SELECT 1 FROM nodes WHERE id = ?1) AND EXISTS (SELECT 1 FROM nodes WHERE id = ?3) "
    "AND NOT EXISTS (SELECT 1 FROM relation_claims o WHERE o.rel_source = ?1 AND o.type = ?2 AND o.rel_target = ?3 AND o.role = ?4) "
    "AND NOT EXISTS (SELECT 1 FROM relations o WHERE o.source = ?1 AND o.type = ?2 AND o.target = ?3 AND o.role = ?4 AND o.sole != ?5) "
    "AND NOT EXISTS (SELECT 1 FROM stream_keys k WHERE k.s = ?1 AND k.t = ?2 AND k.g = ?3 AND k.r = ?4) "
    "AND NOT EXISTS (SELECT 1 FROM stream_pending p WHERE p.s = ?1 AND p.t = ?2 AND p.g = ?3 AND p.r = ?4)"
)
_RELATION_SOLE = (
    "INSERT OR REPLACE INTO relations(source, type, target, role, attrs, sole, place) SELECT ?1, ?2, ?3, ?4, ?6, ?5, ?7 WHERE "
    + _SOLE_WITH_ENDS
)
_RELATION_PENDING = (
    "INSERT OR IGNORE INTO stream_pending(s, t, g, r) SELECT ?1, ?2, ?3, ?4 WHERE NOT (" + _SOLE_WITH_ENDS + ")"
)
_PENDING_CLAIM = (
    "INSERT OR REPLACE INTO relation_claims(rel_source, type, rel_target, role, source, attrs, place) "
    "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE EXISTS (SELECT 1 FROM stream_pending p WHERE p.s = ?1 AND p.t = ?2 AND p.g = ?3 AND p.r = ?4)"
)


#: About how many ids of existing nodes a stream keeps in memory (a chunk's more at most).
_KNOWN_IDS_KEPT = 100_000


def encode_nodes(source: str, records: Iterable[NodeRecord]) -> tuple[list[tuple], list[tuple[str, str]]]:
    """Node records as the rows of ``node_claims`` a streamed write stores, and their
    name keys as ``(key, node_id)``: plain data, so that a worker process reading a
    large file can do this work and hand the rows to the writing process.

    Records with the same id must have been reduced to the last one.

    >>> from maillage.graph.model import Node
    >>> encode_nodes("s", [NodeRecord(Node("theme:paix", "Theme", "Paix", ("Paix", "Peace"), {}), "t.csv:2")])
    ([('theme:paix', 's', 'Theme', 'Paix', '["Peace"]', '{}', 't.csv:2')], [('paix', 'theme:paix'), ('peace', 'theme:paix')])
    """
    return _encode_claims(
        source,
        ((r.node.id, r.node.kind, r.node.name, r.node.aliases, json_dict(r.node.attrs), r.place) for r in records),
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
            encoded = json_list(aliases)
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
    with both ends that no other claim names, as a row carrying its claim, with
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
        # Ids of nodes known to be in the store, to check relations' ends (see _remember_nodes):
        # those this stream wrote, and those it found there (a register's communes), kept apart
        # so that the stream's own, many more, do not push the others out.
        self._known_nodes: set[str] = set()
        self._known_ends: set[str] = set()
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
        # What the source asserted before: to rebuild unless asserted again as a sole claim.
        db.execute(f"INSERT OR IGNORE INTO stream_touched_nodes SELECT node_id FROM ({_SOURCE_NODE_CLAIMS})", (source,))
        self._had_nodes = db.execute("SELECT 1 FROM stream_touched_nodes LIMIT 1").fetchone() is not None
        if self._had_nodes:
            # Their names are written again: with the node if its claim is sole, by the rebuild otherwise.
            self.store._drop_names("stream_touched_nodes")
        # The relations it claimed with others, or to an end gone, are folded at the end; those
        # whose rows carried its claim are replaced if asserted again as sole claims, and dropped otherwise.
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

        A node no other claim names is written as a row carrying its claim, with its
        names. The others' claims go to ``node_claims``, with the claims their rows
        kept, and their ids are noted for folding: claimed by other sources (kinds
        to check), or by this stream in an earlier chunk (the later record wins).
        """
        if not rows:
            return
        # In key order, the names' B-tree is written page after page (twice as fast). A reader in
        # another process sorts them beforehand: sorting sorted names is ten times quicker.
        names.sort(key=itemgetter(0))
        if self._hash is not None:
            self._hash.update("".join("\x1f".join(("N", *row[:1], *row[2:])) + "\x1e" for row in rows).encode("utf-8"))
        if not (self._new_nodes_expected and self._write_new_nodes(rows, names)):
            self._write_checked_nodes(rows, names)
        self.node_count += len(rows)
        self._remember_nodes(map(itemgetter(0), rows))

    def _remember_nodes(self, ids: Iterable[str], known: set[str] | None = None) -> None:
        """Note ids of nodes in the store (none leaves it during a stream) in ``known``
        (the nodes written), forgetting those noted before once there are
        ``_KNOWN_IDS_KEPT`` of them."""
        known = self._known_nodes if known is None else known
        if len(known) >= _KNOWN_IDS_KEPT:
            known.clear()
        known.update(ids)

    def _write_new_nodes(self, rows: list[tuple], names: list[tuple[str, str]]) -> bool:
        """Write a chunk of nodes none of which is in the store yet (so none has a claim),
        in one plain insert, and their names; or, if one is there, nothing. Tells which.
        A register's first load goes this way; once a chunk did not, the rest of the
        stream (a reload, say) is checked node by node."""
        db = self.db
        db.execute("SAVEPOINT new_nodes")
        try:
            # A plain insert, stopped by the first node already there: a fifth quicker than
            # one told to pass over them.
            db.executemany(
                "INSERT INTO nodes(id, kind, name, aliases, attrs, sole, place) VALUES (?1, ?3, ?4, ?5, ?6, ?2, ?7)",
                rows,
            )
        except sqlite3.IntegrityError:
            pass
        else:
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
                    self.problems.append(kind_conflict(row[0], others[row[0]], row[2], row[6]))
        sole = rows
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
            sole = [row for row in rows if row[0] not in touched_set]
        if self._had_nodes and sole:
            # Asserted before and sole again: no fold needed.
            db.execute(
                "DELETE FROM stream_touched_nodes WHERE id IN (SELECT value FROM json_each(?))",
                (json.dumps([row[0] for row in sole]),),
            )
        # A later chunk naming one of these nodes again makes it touched, and the
        # fold at the end replaces this row and these names.
        db.executemany(
            "INSERT OR REPLACE INTO nodes(id, kind, name, aliases, attrs, sole, place) VALUES (?, ?, ?, ?, ?, ?, ?)",
            ((row[0], row[2], row[3], row[4], row[5], row[1], row[6]) for row in sole),
        )
        db.executemany("INSERT OR IGNORE INTO names(key, node_id) VALUES (?, ?)", names)

    def _flush_relations(self) -> None:
        if not self.relations:
            return
        source = self.source
        rows = [(*r.relation.key, source, json_dict(r.relation.attrs), r.place) for r in self.relations]
        self.relations = []
        self.write_relation_rows(rows)

    def write_relation_rows(self, rows: list[tuple]) -> None:
        """Write a chunk of relation claims given as rows of ``relation_claims``."""
        if self._hash is not None:
            self._hash.update("".join("\x1f".join(("R", *row[:4], *row[5:])) + "\x1e" for row in rows).encode("utf-8"))
        # A relation whose ends exist and that no other claim names is its claim: a row now.
        # The others wait in the claim table for the end of the stream.
        if not self._write_sole_relations(rows):
            written = self.db.executemany(_RELATION_SOLE, rows).rowcount
            if written != len(rows):
                self.db.executemany(_RELATION_PENDING, [row[:5] for row in rows])
                self.db.executemany(_PENDING_CLAIM, rows)
            if self._had_relations:
                # Asserted again: written as a sole claim above, or pending, written at the end.
                self.db.executemany(
                    "DELETE FROM stream_dropped WHERE s = ? AND t = ? AND g = ? AND r = ?", [row[:4] for row in rows]
                )
        self.relation_count += len(rows)

    def _write_sole_relations(self, rows: list[tuple]) -> bool:
        """Write a chunk of relations as rows in one plain insert, when nothing can stand
        in their way but a row of the same key: no relation claim in the store, none
        noted or pending, and every end known to exist. Tells whether every row went in;
        a register's relations go this way, quicker than checked one by one."""
        db = self.db
        if db.execute(
            "SELECT EXISTS (SELECT 1 FROM relation_claims) OR EXISTS (SELECT 1 FROM stream_keys) "
            "OR EXISTS (SELECT 1 FROM stream_pending) OR EXISTS (SELECT 1 FROM stream_dropped)"
        ).fetchone()[0]:
            return False
        ends = set(map(itemgetter(0), rows))
        ends.update(map(itemgetter(2), rows))
        unknown = ends - self._known_nodes - self._known_ends
        if unknown:
            # One statement for the chunk: the ends a register links to (its communes) are
            # thousands, and forgotten with the rest of the ids now and then.
            found = db.execute(
                "SELECT count(*) FROM nodes WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(list(unknown)),)
            ).fetchone()[0]
            if found != len(unknown):
                return False
            self._remember_nodes(unknown, self._known_ends)
        # A row in the way (another source's, or this stream's earlier record) stops the plain
        # insert, and leaves the chunk to the checked statements, which take the rows written
        # here as the stream's own.
        try:
            db.executemany(
                "INSERT INTO relations(source, type, target, role, attrs, sole, place) VALUES (?1, ?2, ?3, ?4, ?6, ?5, ?7)",
                rows,
            )
        except sqlite3.IntegrityError:
            return False
        return True

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
        # Every other pending claim of this source is the sole claim on its key, and both its ends
        # exist: it becomes its row. (CROSS JOIN: walk the pending keys, usually few.)
        sole_pending = "FROM stream_pending p WHERE NOT EXISTS (SELECT 1 FROM stream_keys k WHERE k.s = p.s AND k.t = p.t AND k.g = p.g AND k.r = p.r)"
        db.execute(
            "INSERT OR REPLACE INTO relations(source, type, target, role, attrs, sole, place) "
            "SELECT c.rel_source, c.type, c.rel_target, c.role, c.attrs, c.source, c.place FROM stream_pending p "
            "CROSS JOIN relation_claims c ON c.rel_source = p.s AND c.type = p.t AND c.rel_target = p.g AND c.role = p.r AND c.source = ? "
            "WHERE NOT EXISTS (SELECT 1 FROM stream_keys k WHERE k.s = p.s AND k.t = p.t AND k.g = p.g AND k.r = p.r)",
            (source,),
        )
        db.execute(
            f"DELETE FROM relation_claims WHERE source = ? AND (rel_source, type, rel_target, role) IN (SELECT p.s, p.t, p.g, p.r {sole_pending})",
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
