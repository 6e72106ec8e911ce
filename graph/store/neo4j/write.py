"""Writes of batches to the Neo4j store: the store's write methods and :class:`_Writer`, the steps
of one write inside its transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from ...errors import LoadError
from ...model import Batch, NodeRecord, RelationRecord, Source
from ..base import (
    WriteResult,
    batch_digest,
    check_unchanged,
)
from ..shared import check_kinds
from .connection import Record, Transaction, _StaleLoad
from .rebuild import _RebuildSteps, _sole_claim_groups
from .schema import (
    _CARRIED,
    _KIND_OF,
    _LOCK,
    _REL_PROPERTIES_OF,
    DELETED,
    NODE,
    NODE_CLAIM,
    PENDING_LOAD,
    RELATION_CLAIM,
    SCHEMA_VERSION,
    SOURCE,
    _carried_claims,
    _chunks,
    _current,
    _dumps,
    _relationship_type,
)

__all__ = ["WriteMixin"]


class WriteMixin:
    """Writes of whole batches and unloads, each one managed transaction whose
    :class:`_Writer` takes the store lock first."""

    def write(self, batch: Batch) -> WriteResult:
        def work(tx: Transaction) -> WriteResult:
            with _Writer(tx) as writer:
                writer.lock()
                name = batch.source.name
                previous = writer.source_row(name)
                digest = batch_digest(batch) if previous else ""
                if previous and previous["digest"] == digest:
                    return WriteResult(name, 0, 0, unchanged=True)

                def fingerprint() -> None:
                    # A new source has no digest to compare: it is computed while the server writes.
                    writer.fire(
                        f"MATCH (s:{SOURCE} {{name: $name}}) SET s.digest = $digest",
                        name=name,
                        digest=batch_digest(batch),
                    )

                nodes, relations = _by_key(batch.nodes, batch.relations)
                writer.check_kinds(nodes.values())
                # Relation ends are checked after the writes, from what they left out: an
                # end the store lacks raises here, and the transaction rolls back whole.
                unlinked = writer.replace(
                    batch.source,
                    digest,
                    nodes,
                    relations,
                    keep_seq=False,
                    known_new=previous is None,
                    meanwhile=None if previous else fingerprint,
                )
                if unlinked:
                    writer.check_ends(batch, nodes, unlinked)
                return WriteResult(name, len(batch.nodes), len(batch.relations))

        return self._write(work)

    def replace_sources(
        self, batches: Sequence[Batch], expected: Mapping[str, str | None] | None = None
    ) -> list[WriteResult]:
        def work(tx: Transaction) -> list[WriteResult]:
            with _Writer(tx) as writer:
                writer.lock()
                if expected:
                    check_unchanged(
                        expected,
                        {
                            row["name"]: row["digest"]
                            for row in writer.run(
                                f"UNWIND $names AS name MATCH (s:{SOURCE} {{name: name}}) RETURN s.name AS name, s.digest AS digest",
                                names=sorted(expected),
                            )
                        },
                    )
                results = []
                for batch in batches:
                    digest = batch_digest(batch)
                    name = batch.source.name
                    previous = writer.source_row(name)
                    if previous and previous["digest"] == digest:
                        results.append(WriteResult(name, 0, 0, unchanged=True))
                        continue
                    nodes, relations = _by_key(batch.nodes, batch.relations)
                    writer.check_kinds(nodes.values())
                    writer.replace(
                        batch.source,
                        digest,
                        nodes,
                        relations,
                        keep_seq=previous is not None,
                        known_new=previous is None,
                    )
                    results.append(WriteResult(name, len(batch.nodes), len(batch.relations)))
                return results

        return self._write(work)

    def unload(self, source: str) -> WriteResult:
        def work(tx: Transaction) -> WriteResult:
            with _Writer(tx) as writer:
                writer.lock()
                if writer.source_row(source) is None:
                    raise LoadError([], f"no source named {source!r} is loaded")
                old_ids, old_keys = writer.delete_claims(source, last=True)
                writer.tx.run(f"MATCH (s:{SOURCE} {{name: $name}}) DELETE s", name=source).consume()
                writer.rebuild(source, old_ids, old_keys, own_nodes={}, own_relations={})
                return WriteResult(source, len(old_ids), len(old_keys))

        return self._write(work)


def _by_key(
    nodes: Iterable[NodeRecord], relations: Iterable[RelationRecord]
) -> tuple[dict[str, NodeRecord], dict[tuple[str, str, str, str], RelationRecord]]:
    """Claims of one source by node id and relation key; a later record replaces an earlier one."""
    by_id: dict[str, NodeRecord] = {}
    for record in nodes:
        by_id[record.node.id] = record
    by_key: dict[tuple[str, str, str, str], RelationRecord] = {}
    for record in relations:
        by_key[record.relation.key] = record
    return by_id, by_key


def _node_claim_list(record: NodeRecord) -> list[str]:
    node = record.node
    return [node.id, node.kind, node.name, _dumps(list(node.aliases)), _dumps(dict(node.attrs)), record.place]


class _Writer(_RebuildSteps):
    """The steps of a write, all inside one transaction that holds the store lock."""

    def __init__(self, tx: Transaction):
        self._tx = tx
        # Writes are sent by one thread, in order, while this one prepares the next rows.
        self._sender: ThreadPoolExecutor | None = None
        self._sent: list[Future] = []
        # What this transaction already knows of the derived nodes, to ask the server once.
        self.present: set[str] = set()
        self.absent: set[str] = set()
        # Node ids and relation keys no claim named before this write: nothing derived exists
        # for them, so they are created without looking for one first.
        self.fresh_ids: set[str] = set()
        self.fresh_keys: set[tuple[str, str, str, str]] = set()
        # Derived nodes this transaction deleted (their last claim went), and those it created.
        self.removed: set[str] = set()
        self.created: set[str] = set()
        # Whether some relation claim is kept apart from a relationship (None: not asked yet).
        self.pending: bool | None = None
        # Whether nodes wait, labelled DELETED, to be deleted when the write ends; and the
        # element ids of claims left in place until then (see delete_claims).
        self.deleting = False
        self.deleted_last: list[str] = []
        # The pending load whose nodes this transaction creates (they carry it as ``load``), if any.
        self.load_id: int | None = None

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        try:
            if exc is None:
                self.wait()
                if self.deleting:
                    self._tx.run(f"MATCH (n:{DELETED}) DETACH DELETE n").consume()
                for chunk in _chunks(self.deleted_last):
                    self._tx.run(
                        "UNWIND $elements AS element MATCH (c) WHERE elementId(c) = element DELETE c",
                        elements=list(chunk),
                    ).consume()
        finally:
            if self._sender is not None:
                # Never leave the transaction to the sending thread: it is done before the commit or rollback.
                self._sender.shutdown(wait=True, cancel_futures=True)
                self._sender = None

    @property
    def tx(self) -> Transaction:
        """The transaction, once every write sent before has run."""
        self.wait()
        return self._tx

    def wait(self) -> None:
        """Wait until the writes sent so far have run; raise the first failure."""
        sent, self._sent = self._sent, []
        for future in sent:
            future.result()

    def run(self, query: str, **params: Any) -> list[Record]:
        return list(self.tx.run(query, params))

    def fire(self, query: str, **params: Any) -> Future:
        """Send a write and return at once; the future gives its ``neo4j.Result``.

        The server runs a transaction's queries one after the other, so the next query
        sees this one's writes, and the sending thread waits for each before sending
        the next; meanwhile this thread prepares rows. A query that ends with a write
        clause would be run before the server even answers, hence the ``RETURN``. A
        failure surfaces at the next read, :meth:`wait` or the end of the write.
        """
        if self._sender is None:
            self._sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="maillage-neo4j")
        future = self._sender.submit(self._tx.run, f"{query} RETURN count(*) AS rows", params)
        self._sent.append(future)
        return future

    def delete(self, variable: str, *labels: str) -> str:
        """The clause that deletes node ``variable`` (of ``labels``) when the write ends:
        it leaves its labels, and so every index, at once."""
        self.deleting = True
        return f"REMOVE {variable}:{':'.join(labels)} SET {variable}:{DELETED}"

    def lock(self, check_pending: bool = True) -> None:
        """Take the store lock; with ``check_pending``, raise :class:`_StaleLoad` if a load killed
        before publishing left pending data (a live one would hold the lock)."""
        self.tx.run(_LOCK, version=SCHEMA_VERSION).consume()
        if check_pending and self.run(f"MATCH (p:{PENDING_LOAD}) RETURN p.id AS id LIMIT 1"):
            raise _StaleLoad

    def source_row(self, name: str) -> Record | None:
        rows = self.run(f"MATCH (s:{SOURCE} {{name: $name}}) RETURN s.digest AS digest, s.seq AS seq", name=name)
        return rows[0] if rows else None

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        ids = set(ids)
        unknown = sorted(ids - self.present - self.absent)
        for chunk in _chunks(unknown):
            found = {
                row["id"]
                for row in self.run(
                    f"UNWIND $ids AS id MATCH (n:{NODE} {{id: id}}) WHERE {_current('n')} RETURN n.id AS id",
                    ids=list(chunk),
                )
            }
            self.present |= found
            self.absent |= set(chunk) - found
        return ids & self.present

    def check_kinds(self, records: Iterable[NodeRecord]) -> None:
        """Raise :class:`LoadError` if a record gives a stored node another kind; note which nodes exist."""
        records = list(records)
        stored: dict[str, str] = {}
        for chunk in _chunks(records):
            ids = [record.node.id for record in chunk]
            rows = self.run(
                f"UNWIND $ids AS id MATCH (n:{NODE} {{id: id}}) RETURN n.id AS id, {_KIND_OF.format(v='n')} AS kind",
                ids=ids,
            )
            found = {row["id"]: row["kind"] for row in rows}
            stored.update(found)
            self.present.update(found)
            self.absent.update(node_id for node_id in ids if node_id not in found)
        check_kinds(records, stored)

    def put_source(
        self, source: Source, digest: str, keep_seq: bool, starts: Sequence[str] = (), relation_count: int = 0
    ) -> None:
        """Record ``source``; ``starts`` are the start node ids of the relations it claims."""
        fields = (
            "s.format = $format, s.contributor = $contributor, s.at = $at, s.authoritative = $authoritative, "
            "s.digest = $digest, s.relation_starts = $starts, s.relation_claims = $relation_count"
        )
        params = {
            "name": source.name,
            "format": source.format,
            "contributor": source.contributor,
            "at": source.at,
            "authoritative": bool(source.authoritative),
            "digest": digest,
            "starts": list(starts),
            "relation_count": relation_count,
        }
        if keep_seq:
            self.tx.run(f"MATCH (s:{SOURCE} {{name: $name}}) SET {fields}", params).consume()
            return
        self.tx.run(
            f"OPTIONAL MATCH (other:{SOURCE}) WITH coalesce(max(other.seq), 0) + 1 AS next "
            f"MERGE (s:{SOURCE} {{name: $name}}) SET s.seq = next, {fields}",
            params,
        ).consume()

    def delete_claims(
        self, source: str, last: bool = False, load: int | None = None
    ) -> tuple[set[str], set[tuple[str, str, str, str]]]:
        """Forget what ``source`` asserted; return the node ids and relation keys it touched.

        ``load``: a pending load of ``source`` being published; the nodes it created, and the
        relationships they start, hold its new claims and are left as they are.

        Call it before :meth:`put_source` replaces the source's list of relation starts.
        A relationship left without claims stays until its key is re-derived. ``last``:
        the node claims stay in place, and in the index, until the write ends, for a
        caller whose reads leave out the source's claims (they are many, and index
        lookups in a transaction that took many entries out of that index are slow).
        """
        if last:
            rows = self.run(
                f"MATCH (c:{NODE_CLAIM} {{source: $source}}) USING INDEX c:{NODE_CLAIM}(source) RETURN c.node_id AS id, elementId(c) AS element",
                source=source,
            )
            self.deleted_last.extend(row["element"] for row in rows)
            ids = {row["id"] for row in rows}
            # Reads leave out the claims nodes carry for ``source``, and the nodes are rewritten without them.
            carried = (
                f"MATCH (n:{NODE} {{claim_source: $source}}) USING INDEX n:{NODE}(claim_source) "
                f"WHERE (n.load IS NULL OR n.load <> $load) AND {_current('n')} RETURN n.id AS id"
            )
        else:
            ids = {
                row["id"]
                for row in self.run(
                    f"MATCH (c:{NODE_CLAIM} {{source: $source}}) USING INDEX c:{NODE_CLAIM}(source) WITH c, c.node_id AS id "
                    f"{self.delete('c', NODE_CLAIM)} RETURN id",
                    source=source,
                )
            }
            carried = (
                f"MATCH (n:{NODE} {{claim_source: $source}}) USING INDEX n:{NODE}(claim_source) "
                f"WHERE (n.load IS NULL OR n.load <> $load) AND {_current('n')} REMOVE n.claim_source, n.claim_place, n.claim_aliases RETURN n.id AS id"
            )
        ids |= {row["id"] for row in self.run(carried, source=source, load=-1 if load is None else load)}
        keys = {
            (row["s"], row["t"], row["g"], row["role"])
            for row in self.run(
                f"MATCH (c:{RELATION_CLAIM} {{source: $source}}) USING INDEX c:{RELATION_CLAIM}(source) "
                f"WITH c, c.rel_source AS s, c.type AS t, c.rel_target AS g, c.role AS role {self.delete('c', RELATION_CLAIM)} "
                "RETURN s, t, g, role",
                source=source,
            )
        }
        keys |= {
            (row["s"], row["t"], row["g"], row["role"])
            for row in self.run(
                f"MATCH (s:{SOURCE} {{name: $source}}) UNWIND coalesce(s.relation_starts, []) AS start "
                f"MATCH (a:{NODE} {{id: start}})-[r]->(b:{NODE}) WHERE (a.load IS NULL OR a.load <> $load) AND {_current('a')} "
                f"WITH a, r, b, {_CARRIED} WHERE $source IN sources "
                "WITH a, r, b, sources, places, claim_attrs, [i IN range(0, size(sources) - 1) WHERE sources[i] <> $source] AS keep "
                "SET r.claim_sources = [i IN keep | sources[i]], r.claim_places = [i IN keep | places[i]], "
                "r.claim_attrs = [i IN keep | claim_attrs[i]] REMOVE r.claim_source, r.claim_place "
                "RETURN a.id AS s, type(r) AS t, b.id AS g, coalesce(r.role, '') AS role",
                source=source,
                load=-1 if load is None else load,
            )
        }
        return ids, keys

    def create_claims(self, source: str, nodes: Iterable[NodeRecord], relations: Iterable[RelationRecord]) -> None:
        """Create claim nodes: every node claim, and the relation claims kept apart from a relationship."""
        if self._send_claims(
            source,
            nodes,
            relations,
            f"CREATE (c:{NODE_CLAIM}) SET c.node_id = row[0], c.source = $source, ",
            f"CREATE (c:{RELATION_CLAIM}) SET c.rel_source = row[0], c.type = row[1], c.rel_target = row[2], "
            "c.role = row[3], c.source = $source, ",
        ):
            self.pending = True

    def update_claims(self, source: str, nodes: Iterable[NodeRecord], relations: Iterable[RelationRecord]) -> None:
        """Replace the content of claims ``source`` already holds (a stream naming a node or
        relation again in a later chunk: the later record wins)."""
        # The hints: the planner would otherwise walk the index on source, every claim of this source per row.
        self._send_claims(
            source,
            nodes,
            relations,
            f"MATCH (c:{NODE_CLAIM} {{node_id: row[0]}}) USING INDEX c:{NODE_CLAIM}(node_id) WHERE coalesce(c.source, '') = $source SET ",
            f"MATCH (c:{RELATION_CLAIM} {{rel_source: row[0]}}) USING INDEX c:{RELATION_CLAIM}(rel_source) "
            "WHERE c.type = row[1] AND c.rel_target = row[2] AND c.role = row[3] AND coalesce(c.source, '') = $source SET ",
        )

    def _send_claims(
        self,
        source: str,
        nodes: Iterable[NodeRecord],
        relations: Iterable[RelationRecord],
        node_head: str,
        relation_head: str,
    ) -> bool:
        """Send claim rows through ``node_head`` / ``relation_head`` (a clause binding ``c`` and
        opening its SET); return whether there were relation claims."""
        for chunk in _chunks([_node_claim_list(record) for record in nodes]):
            self.fire(
                f"UNWIND $rows AS row {node_head}c.kind = row[1], c.name = row[2], c.aliases = row[3], c.attrs = row[4], c.place = row[5]",
                rows=chunk,
                source=source,
            )
        relation_rows = [
            [*record.relation.key, _dumps(dict(record.relation.attrs)), record.place] for record in relations
        ]
        for chunk in _chunks(relation_rows):
            self.fire(
                f"UNWIND $rows AS row {relation_head}c.attrs = row[4], c.place = row[5]", rows=chunk, source=source
            )
        return bool(relation_rows)

    def replace(
        self,
        source: Source,
        digest: str,
        nodes: dict[str, NodeRecord],
        relations: dict[tuple[str, str, str, str], RelationRecord],
        keep_seq: bool,
        known_new: bool = False,
        meanwhile: Callable[[], None] | None = None,
    ) -> list[tuple[str, str, str, str]]:
        """Make ``source`` assert exactly ``nodes`` and ``relations``, and re-derive what that touches.

        ``known_new``: the source is not loaded (it has no claims to delete). ``meanwhile``
        is called while the server creates the relationships. Returns the
        keys of ``relations`` left without a derived relation because an end is missing
        (their claims are kept apart, as :data:`RELATION_CLAIM` nodes).
        """
        name = source.name
        old_ids, old_keys = (set(), set()) if known_new else self.delete_claims(name, last=True)
        self.has_pending()
        self.put_source(source, digest, keep_seq, sorted({key[0] for key in relations}), len(relations))
        self.fresh_ids = set(nodes) - old_ids
        self.fresh_keys = set(relations) - old_keys
        order = self.precedence()
        ids = sorted(old_ids | set(nodes))
        chunks = [list(chunk) for chunk in _chunks(ids)]
        stored = [self._node_claims(chunk, name, nodes, order) for chunk in chunks]
        # From here the client prepares rows while the server writes the ones sent before.
        carriers: set[str] = set()
        for chunk, claims in zip(chunks, stored):
            carriers |= self._write_nodes(chunk, claims, name, nodes, order)
        self.create_claims(name, [record for node_id, record in nodes.items() if node_id not in carriers], ())
        # Keys no other source claims and this one did not claim before have no derived
        # relationship yet: it is created with its one claim, without a fold.
        fresh = {key: record for key, record in relations.items() if key in self.fresh_keys}
        groups = _sole_claim_groups(fresh)
        taken = self.claimed_elsewhere(name, fresh)
        sole = {key: record for key, record in fresh.items() if key not in taken}
        if taken:
            groups = _sole_claim_groups(sole)
        sent = self.fire_sole_relations(name, groups)
        if meanwhile is not None:
            meanwhile()
        unlinked = self.check_sole_relations(name, sent, sole)
        keys = old_keys | (set(relations) - set(sole)) | self.pending_keys_touching(name, ids)
        for chunk in _chunks(sorted(keys)):
            unlinked.extend(self._rebuild_relations(list(chunk), name, relations, order))
        return unlinked

    def has_pending(self) -> bool:
        """True when some relation claim is kept apart (an end of its relation is missing)."""
        if self.pending is None:
            self.pending = bool(self.run(f"MATCH (c:{RELATION_CLAIM}) RETURN count(c) AS claims")[0]["claims"])
        return self.pending

    def claimed_elsewhere(
        self, source: str, relations: Mapping[tuple[str, str, str, str], RelationRecord]
    ) -> set[tuple[str, str, str, str]]:
        """The keys of ``relations`` another source claims."""
        taken: set[tuple[str, str, str, str]] = set()
        if relations and self.has_pending():
            for chunk in _chunks(sorted({key[0] for key in relations})):
                for row in self.tx.run(
                    f"UNWIND $starts AS start MATCH (c:{RELATION_CLAIM} {{rel_source: start}}) USING INDEX c:{RELATION_CLAIM}(rel_source) WHERE coalesce(c.source, '') <> $source "
                    "RETURN [c.rel_source, c.type, c.rel_target, c.role] AS key",
                    starts=chunk,
                    source=source,
                ):
                    taken.add(tuple(row[0]))
        # A node this write created has no relationship yet: only keys between older nodes may have one.
        older = [key for key in relations if key[0] not in self.created and key[2] not in self.created]
        taken |= set(self.relationship_claims(older))
        return taken

    def relationship_claims(
        self, keys: Iterable[tuple[str, str, str, str]]
    ) -> dict[tuple[str, str, str, str], list[tuple[str, str, str]]]:
        """The claims ``(source, place, attrs)`` carried by the derived relationships of ``keys`` that exist."""
        by_type: dict[str, list[list[str]]] = defaultdict(list)
        for start, type_, end, role in keys:
            by_type[type_].append([start, end, role])
        found: dict[tuple[str, str, str, str], list[tuple[str, str, str]]] = {}
        for type_, rows in by_type.items():
            for chunk in _chunks(rows):
                for row in self.tx.run(
                    f"UNWIND $rows AS row MATCH (a:{NODE} {{id: row[0]}})-[r:{_relationship_type(type_)}]->(b:{NODE} {{id: row[1]}}) "
                    f"WHERE coalesce(r.role, '') = row[2] AND {_current('a')} AND {_current('b')} RETURN row, {_CARRIED}, {_REL_PROPERTIES_OF}",
                    rows=chunk,
                ):
                    start, end, role = row["row"]
                    found[start, type_, end, role] = _carried_claims(row)
        return found

    def pending_keys_touching(self, source: str, ids: Sequence[str]) -> set[tuple[str, str, str, str]]:
        """Keys of relation claims of other sources kept apart that start or end at ``ids``:
        a node that appears lets their relationship be derived."""
        keys: set[tuple[str, str, str, str]] = set()
        if not self.has_pending():
            return keys
        for chunk in _chunks(ids):
            for row in self.tx.run(
                f"UNWIND $ids AS id MATCH (c:{RELATION_CLAIM} {{rel_source: id}}) USING INDEX c:{RELATION_CLAIM}(rel_source) WHERE coalesce(c.source, '') <> $source "
                "RETURN [c.rel_source, c.type, c.rel_target, c.role] AS key "
                f"UNION UNWIND $ids AS id MATCH (c:{RELATION_CLAIM} {{rel_target: id}}) USING INDEX c:{RELATION_CLAIM}(rel_target) WHERE coalesce(c.source, '') <> $source "
                "RETURN [c.rel_source, c.type, c.rel_target, c.role] AS key",
                ids=list(chunk),
                source=source,
            ):
                keys.add(tuple(row[0]))
        return keys
