"""Streamed writes to the Neo4j store: a short stream in one transaction, a long one in several
under a pending load, published in one."""

from __future__ import annotations

import hashlib
import itertools
import json
import secrets
import sys
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from ...errors import LoadError, StoreError
from ...model import Batch, Node, NodeRecord, Relation, RelationRecord, Source
from ..base import (
    Problem,
    WriteResult,
    batch_digest,
)
from ..shared import Unchanged, kind_conflict
from .connection import DRIVER_ERRORS, Session, Transaction, _StaleLoad
from .pending import _RETIRE, _clean_loads, _replaceable, _retire_dropped
from .rebuild import _sole_claim_groups, _StoredClaims
from .schema import (
    _KIND_OF,
    _LOCK,
    NODE,
    PENDING_LOAD,
    RELATION_CLAIM,
    SCHEMA_VERSION,
    SOURCE,
    STAGED_NODE,
    STAGED_RELATION,
    _chunks,
    _dumps,
)
from .write import _by_key, _node_claim_list, _Writer

__all__ = ["BatchedLoad", "StreamMixin"]


def _clean_loads_if_reachable(session: Session) -> None:
    """Remove what a failed load wrote, unless the server is gone or refuses: the next write
    removes the pending load then."""
    try:
        _clean_loads(session)
    except DRIVER_ERRORS:
        pass


class StreamMixin:
    """Streamed writes: a short stream held and written in one transaction, a long one as a
    :class:`BatchedLoad`, and the clean-up of loads that never finished."""

    def write_stream(
        self,
        source: Source,
        records: Iterable[NodeRecord | RelationRecord],
        digest: str | Callable[[], str] | None = None,
        chunk_size: int | None = None,
    ) -> WriteResult:
        """Replace what ``source`` asserts by ``records``, read once; readers see all of it or none.

        See :meth:`GraphStore.write_stream` for the contract. A stream that ends within
        ``direct_stream_records`` records is held and written as :meth:`write` writes a
        batch, in one transaction. A longer one, which one transaction of the server's heap
        may not hold, is written in transactions of ``chunk_size`` records (default
        ``batch_records``) under a pending load that every read leaves out, then published
        in one last transaction that holds only what the source shares with others (see
        :class:`BatchedLoad`). A transaction that holds the store
        lock stays open all along: other writers wait as they would for a one-transaction load,
        and if this process dies the server ends it; the next write finds the pending load
        without its lock holder and removes what it wrote (or, if it was published, completes
        its clean-up). A failed load removes it at once.
        Because ``records`` can be read only once, the driver does not retry: if the server
        fails in the middle, nothing is published and the error says so.
        """
        name = source.name
        self._ensure_schema()
        if callable(digest):
            digest = digest()
        if digest is not None:
            stored = self._read(f"MATCH (s:{SOURCE} {{name: $name}}) RETURN s.digest AS digest", name=name)
            if stored and stored[0]["digest"] == digest:
                return WriteResult(name, 0, 0, unchanged=True)
        remaining = iter(records)
        head = deque(itertools.islice(remaining, self.direct_stream_records + 1))
        if len(head) > self.direct_stream_records:
            # Records held so far are let go as they are written.
            held = (head.popleft() for _ in range(len(head)))
            return self._write_batched(
                source, itertools.chain(held, remaining), digest, chunk_size or self.batch_records
            )
        while True:
            try:
                with self._errors(), self._session(write=True) as session, session.begin_transaction() as tx:
                    with _Writer(tx) as writer:
                        writer.lock()
                        previous = writer.source_row(name)
                        previous_digest = previous["digest"] if previous else None
                        if digest is not None and digest == previous_digest:
                            raise Unchanged
                        streamed = _write_held(
                            writer, source, head, loaded=previous is not None, fingerprint=digest is None
                        )
                        final = digest if digest is not None else streamed.digest
                        if final == previous_digest:
                            raise Unchanged
                        writer.tx.run(
                            f"MATCH (s:{SOURCE} {{name: $name}}) SET s.digest = $digest", name=name, digest=final
                        ).consume()
                    tx.commit()
            except _StaleLoad:
                self._clean_stale_loads()
                continue
            except Unchanged:
                return WriteResult(name, 0, 0, unchanged=True)
            return WriteResult(name, streamed.node_count, streamed.relation_count)

    def _write_batched(
        self, source: Source, records: Iterable[NodeRecord | RelationRecord], digest: str | None, batch_records: int
    ) -> WriteResult:
        name = source.name
        with self._errors(), self._session(write=True) as guard_session, self._session(write=True) as session:
            with guard_session.begin_transaction() as guard:
                guard.run(_LOCK, version=SCHEMA_VERSION).consume()
                # Holding the lock, this load is the only live one: any other pending load is dead.
                _clean_loads(session)
                stored = session.run(
                    f"MATCH (s:{SOURCE} {{name: $name}}) RETURN s.digest AS digest", name=name
                ).single()
                previous_digest = stored["digest"] if stored else None
                if digest is not None and digest == previous_digest:
                    return WriteResult(name, 0, 0, unchanged=True)
                load_id = secrets.randbits(62)
                session.run(f"CREATE (:{PENDING_LOAD} {{id: $load, source: $name}})", load=load_id, name=name).consume()
                load = BatchedLoad(session, source, load_id, batch_records, fingerprint=digest is None)
                try:
                    try:
                        load.write(records)
                    finally:
                        load.close()
                    final = digest if digest is not None else load.digest()
                    if final == previous_digest:
                        raise Unchanged
                    if stored is not None:
                        # Only a source loaded before has nodes to retire.
                        load.retire_dropped()
                    with session.begin_transaction() as tx:
                        load.publish(tx, final)
                        tx.commit()
                except BaseException:
                    _clean_loads_if_reachable(session)
                    if sys.exc_info()[0] is Unchanged:
                        return WriteResult(name, 0, 0, unchanged=True)
                    raise
                _clean_loads(session)
                guard.rollback()
        return WriteResult(name, load.streamed.node_count, load.streamed.relation_count)

    def unload(self, source: str) -> WriteResult:
        """Remove what only ``source`` asserted; readers see the source or none of it.

        A source whose own nodes and relation claims add up to more than ``direct_stream_records``
        (a stream of that size would have been written in batches) is removed under a pending
        load, so that no transaction holds all of it: its nodes that no other source
        names, and whose relationships it alone claims, are retired in transactions of
        ``batch_records`` nodes; one transaction then removes the rest of its claims and
        publishes the unload, which hides the retired nodes; bounded transactions delete them.
        """
        self._ensure_schema()
        own = self._read(
            f"MATCH (s:{SOURCE} {{name: $name}}) RETURN coalesce(s.relation_claims, 0) "
            f"+ COUNT {{ MATCH (n:{NODE} {{claim_source: $name}}) USING INDEX n:{NODE}(claim_source) }} AS records",
            name=source,
        )
        if not own or own[0]["records"] <= self.direct_stream_records:
            return super().unload(source)
        with self._errors(), self._session(write=True) as guard_session, self._session(write=True) as session:
            with guard_session.begin_transaction() as guard:
                guard.run(_LOCK, version=SCHEMA_VERSION).consume()
                _clean_loads(session)
                if session.run(f"MATCH (s:{SOURCE} {{name: $name}}) RETURN s.name", name=source).single() is None:
                    raise LoadError([], f"no source named {source!r} is loaded")
                load_id = secrets.randbits(62)
                session.run(
                    f"CREATE (:{PENDING_LOAD} {{id: $load, source: $name}})", load=load_id, name=source
                ).consume()
                try:
                    claims_apart = bool(
                        session.run(f"MATCH (c:{RELATION_CLAIM}) RETURN count(c) AS claims").single()[0]
                    )
                    nodes, relations = _retire_dropped(session, source, load_id, claims_apart, self.batch_records)
                    with session.begin_transaction() as tx:
                        with _Writer(tx) as writer:
                            old_ids, old_keys = writer.delete_claims(source, last=True, load=load_id)
                            writer.tx.run(f"MATCH (s:{SOURCE} {{name: $name}}) DELETE s", name=source).consume()
                            writer.rebuild(source, old_ids, old_keys, own_nodes={}, own_relations={})
                            writer.tx.run(
                                f"MATCH (p:{PENDING_LOAD} {{id: $load}}) SET p.published = true", load=load_id
                            ).consume()
                        tx.commit()
                except BaseException:
                    _clean_loads_if_reachable(session)
                    raise
                _clean_loads(session)
                guard.rollback()
        return WriteResult(source, nodes + len(old_ids), relations + len(old_keys))

    def _clean_stale_loads(self) -> None:
        """Remove what loads killed before publishing left, holding the store lock meanwhile."""
        with self._errors(), self._session(write=True) as guard_session, self._session(write=True) as session:
            with guard_session.begin_transaction() as guard:
                guard.run(_LOCK, version=SCHEMA_VERSION).consume()
                _clean_loads(session)
                guard.rollback()


class _Streamed:
    """What a streamed write saw: counts and the fingerprint of its records."""

    def __init__(self) -> None:
        self.node_count = 0
        self.relation_count = 0
        self.digest = ""


def _write_held(
    writer: _Writer, source: Source, records: Sequence[NodeRecord | RelationRecord], loaded: bool, fingerprint: bool
) -> _Streamed:
    """Write a short streamed source, held whole, as :meth:`_Writer.replace` writes a batch: its nodes
    carry their claim and its relationships are created with theirs, where no other source
    claims them."""
    batch = Batch(source)
    for record in records:
        if isinstance(record, NodeRecord):
            batch.nodes.append(record)
        elif isinstance(record, RelationRecord):
            batch.relations.append(record)
        else:
            raise TypeError(f"not a NodeRecord or RelationRecord: {type(record).__name__}")
    nodes, relations = _by_key(batch.nodes, batch.relations)
    writer.check_kinds(nodes.values())
    streamed = _Streamed()
    streamed.node_count, streamed.relation_count = len(batch.nodes), len(batch.relations)
    streamed.digest = batch_digest(batch) if fingerprint else ""
    unlinked = writer.replace(source, streamed.digest, nodes, relations, keep_seq=False, known_new=not loaded)
    if unlinked:
        writer.check_ends(batch, nodes, unlinked)
    return streamed


class BatchedLoad:
    """A long streamed source written in transactions of at most ``batch_records`` records under
    a pending load, then published in one (see :meth:`Neo4jStore.write_stream`).

    A node nobody asserts yet is created in the batches, carrying the load's id, and so is a
    relationship it starts when its end exists and no other source claims it: every read leaves
    them out while the load is pending. A node the source alone asserted before (see
    :func:`~.pending._replaceable`) is written the same way beside its old form, which is
    marked ``retired`` and stays what reads see. What the source asserts about other nodes that
    existed before (a node another source names too), a relation from such a node, a relation
    whose end comes later in the stream or may still be replaced, and a record naming again a
    node or relation of this load, wait as staged claims, which no read looks at. After the
    batches, the nodes the source alone asserted and no longer does are retired in bounded
    transactions. Publishing folds the staged claims as a batch write would, replaces what the
    source asserted before about the nodes it shares, records the source and marks the pending
    load published, in one transaction; from then on reads see the new forms and not the
    retired ones, which the clean-up (:func:`~.pending._clean_loads`) deletes.
    """

    def __init__(self, session: Session, source: Source, load_id: int, batch_records: int, fingerprint: bool):
        self.session = session
        self.source = source
        self.name = source.name
        self.load_id = load_id
        self.batch_records = max(1, batch_records)
        self.fingerprinter = hashlib.sha256() if fingerprint else None
        self.streamed = _Streamed()
        # Node ids this load created, and whether a relationship it created starts there.
        self.mine: dict[str, bool] = {}
        # Nodes that existed before the load, by id: their kind.
        self.existing: dict[str, str] = {}
        # Nodes of the source alone that this load has not replaced yet.
        self.replaceable: set[str] = set()
        # Nodes this load replaced: their old form is retired, their new one is among ``mine``.
        self.replaced = 0
        # Hashes of the relation keys whose relationship this load created (a collision only
        # sends a record to the staged claims, which is always right).
        self.created_keys: set[int] = set()
        self.created = 0
        # Keys of claims of other sources kept apart that name a node this load created.
        self.touching: set[tuple[str, str, str, str]] = set()
        self.problems: list[Problem] = []
        self.staged = 0
        # No other writer runs until the load ends: whether claims are kept apart is asked once.
        self.claims_apart = bool(
            session.run(f"MATCH (c:{RELATION_CLAIM}) RETURN count(c) AS claims").single()["claims"]
        )
        # A batch's commit runs while the next batch's records are read.
        self.committer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="maillage-neo4j-commit")
        self.committing: Future | None = None

    def write(self, records: Iterable[NodeRecord | RelationRecord]) -> None:
        """Read the whole stream, writing one transaction per ``batch_records`` records."""
        nodes: dict[str, NodeRecord] = {}
        relations: dict[tuple[str, str, str, str], RelationRecord] = {}
        for record in records:
            if isinstance(record, NodeRecord):
                nodes.pop(record.node.id, None)
                nodes[record.node.id] = record
                self.streamed.node_count += 1
                if self.fingerprinter is not None:
                    self.fingerprinter.update(_dumps(["N", *_node_claim_list(record)]).encode())
            elif isinstance(record, RelationRecord):
                relations.pop(record.relation.key, None)
                relations[record.relation.key] = record
                self.streamed.relation_count += 1
                if self.fingerprinter is not None:
                    relation = record.relation
                    self.fingerprinter.update(
                        _dumps(["R", *relation.key, _dumps(dict(relation.attrs)), record.place]).encode()
                    )
            else:
                raise TypeError(f"not a NodeRecord or RelationRecord: {type(record).__name__}")
            if len(nodes) + len(relations) >= self.batch_records:
                self.flush(nodes, relations)
                nodes, relations = {}, {}
        if nodes or relations:
            self.flush(nodes, relations)
        self.committed()
        if self.problems:
            raise LoadError(self.problems)

    def committed(self) -> None:
        """Wait for the commit of the last batch; raise its failure."""
        committing, self.committing = self.committing, None
        if committing is not None:
            committing.result()

    def close(self) -> None:
        """Let the last commit end, whatever happened (the session is used after it)."""
        try:
            self.committed()
        except Exception:
            pass
        finally:
            self.committer.shutdown(wait=True)

    def digest(self) -> str:
        assert self.fingerprinter is not None
        self.fingerprinter.update(b"authoritative" if self.source.authoritative else b"plain")
        return self.fingerprinter.hexdigest()

    def flush(self, nodes: dict[str, NodeRecord], relations: dict[tuple[str, str, str, str], RelationRecord]) -> None:
        self.committed()
        tx = self.session.begin_transaction()
        try:
            with _Writer(tx) as writer:
                writer.load_id = self.load_id
                self.write_nodes(writer, nodes)
                self.write_relations(writer, relations)
        except BaseException:
            tx.close()
            raise
        self.committing = self.committer.submit(tx.commit)

    def learn(self, writer: _Writer, ids: Iterable[str]) -> None:
        """Note which of ``ids`` (none of them created by this load) are nodes, their kinds, and
        which are this source's alone (see :func:`_replaceable`)."""
        unknown = [node_id for node_id in ids if node_id not in self.mine and node_id not in self.existing]
        for chunk in _chunks(unknown):
            for row in writer.run(
                f"UNWIND $ids AS id MATCH (n:{NODE} {{id: id}}) WHERE n.retired IS NULL "
                f"RETURN n.id AS id, {_KIND_OF.format(v='n')} AS kind, "
                f"CASE WHEN n.claim_source = $source THEN {_replaceable('source', self.claims_apart)} ELSE false END AS own",
                ids=list(chunk),
                source=self.name,
            ):
                self.existing[row["id"]] = sys.intern(row["kind"])
                if row["own"]:
                    self.replaceable.add(row["id"])

    def write_nodes(self, writer: _Writer, nodes: dict[str, NodeRecord]) -> None:
        self.learn(writer, nodes)
        new: dict[str, NodeRecord] = {}
        replaced: list[str] = []
        staged: list[NodeRecord] = []
        for node_id, record in nodes.items():
            kind = self.existing.get(node_id)
            if kind is not None and kind != record.node.kind:
                self.problems.append(kind_conflict(node_id, kind, record.node.kind, record.place))
            elif node_id in self.replaceable:
                # The source's own node: its new form is written now, beside the old one.
                replaced.append(node_id)
                new[node_id] = record
                continue
            if kind is not None or node_id in self.mine:
                staged.append(record)
            else:
                new[node_id] = record
        for chunk in _chunks(replaced):
            writer.fire(
                f"UNWIND $ids AS id MATCH (n:{NODE} {{id: id}}) WHERE n.retired IS NULL AND n.load IS NULL {_RETIRE}",
                ids=list(chunk),
                load=self.load_id,
            )
        self.replaceable.difference_update(replaced)
        self.replaced += len(replaced)
        if new:
            writer.fresh_ids = set(new)
            ids = list(new)
            for chunk in _chunks(ids):
                writer._write_nodes(list(chunk), _StoredClaims(), self.name, new, {self.name: (False, 0)})
            self.mine.update(dict.fromkeys(ids, False))
            if self.claims_apart:
                self.touching |= writer.pending_keys_touching(self.name, ids)
        rows = []
        for record in staged:
            self.staged += 1
            rows.append([*_node_claim_list(record), self.staged])
        self.stage(writer, STAGED_NODE, ("node_id", "kind", "name", "aliases", "attrs", "place", "seq"), rows)

    def write_relations(self, writer: _Writer, relations: dict[tuple[str, str, str, str], RelationRecord]) -> None:
        self.learn(writer, {key[2] for key in relations if key[0] in self.mine})
        sole: dict[tuple[str, str, str, str], RelationRecord] = {}
        rows = []
        for key, record in relations.items():
            start, _type, end, _role = key
            if (
                start in self.mine
                and (end in self.mine or (end in self.existing and end not in self.replaceable))
                and key not in self.touching
                and hash(key) not in self.created_keys
            ):
                sole[key] = record
            else:
                self.staged += 1
                rows.append([*key, _dumps(dict(record.relation.attrs)), record.place, self.staged])
        if sole:
            sent = writer.fire_sole_relations(self.name, _sole_claim_groups(sole))
            writer.wait()
            if sum(result.result().single()["rows"] for _type, _groups, _size, result in sent) != len(sole):
                raise StoreError(
                    "a batch of relationships of a pending load did not find its nodes; nothing was published"
                )
            for key in sole:
                self.created_keys.add(hash(key))
                self.mine[key[0]] = True
            self.created += len(sole)
        self.stage(writer, STAGED_RELATION, ("rel_source", "type", "rel_target", "role", "attrs", "place", "seq"), rows)

    def stage(self, writer: _Writer, label: str, fields: Sequence[str], rows: list[list[Any]]) -> None:
        """Create a staged claim of this load per row, its values ``fields`` in that order."""
        assignments = ", ".join(f"c.{field} = row[{index}]" for index, field in enumerate(fields))
        for chunk in _chunks(rows):
            writer.fire(
                f"UNWIND $rows AS row CREATE (c:{label}) SET c.load = $load, {assignments}",
                rows=chunk,
                load=self.load_id,
            )

    def retire_dropped(self) -> None:
        """Retire, in bounded transactions, the nodes of the source alone that it no longer asserts."""
        _retire_dropped(self.session, self.name, self.load_id, self.claims_apart, self.batch_records)

    def publish(self, tx: Transaction, digest: str) -> None:
        """Make the load the source's claims, in one transaction: fold the staged claims, replace
        what the source asserted before, record the source, delete the pending load."""
        name = self.name
        with _Writer(tx) as writer:
            own_nodes: dict[str, NodeRecord] = {}
            for row in writer.run(
                f"MATCH (c:{STAGED_NODE} {{load: $load}}) USING INDEX c:{STAGED_NODE}(load) RETURN c.node_id AS id, c.kind AS kind, "
                "c.name AS name, c.aliases AS aliases, c.attrs AS attrs, c.place AS place ORDER BY c.seq",
                load=self.load_id,
            ):
                node = Node(
                    row["id"], row["kind"], row["name"], tuple(json.loads(row["aliases"])), json.loads(row["attrs"])
                )
                own_nodes[row["id"]] = NodeRecord(node, row["place"])
            own_relations: dict[tuple[str, str, str, str], RelationRecord] = {}
            for row in writer.run(
                f"MATCH (c:{STAGED_RELATION} {{load: $load}}) USING INDEX c:{STAGED_RELATION}(load) RETURN c.rel_source AS s, "
                "c.type AS t, c.rel_target AS g, c.role AS role, c.attrs AS attrs, c.place AS place ORDER BY c.seq",
                load=self.load_id,
            ):
                relation = Relation(row["s"], row["t"], row["g"], row["role"], json.loads(row["attrs"]))
                own_relations[relation.key] = RelationRecord(relation, row["place"])
            loaded = writer.source_row(name) is not None
            old_ids, old_keys = writer.delete_claims(name, last=True, load=self.load_id) if loaded else (set(), set())
            # The relationships this load created hold their claims already: they are not folded again.
            from_new = [key for key in old_keys | self.touching | set(own_relations) if key[0] in self.mine]
            created = set(writer.relationship_claims(from_new))
            starts = {node_id for node_id, linked in self.mine.items() if linked} | {key[0] for key in own_relations}
            count = self.created + sum(1 for key in own_relations if key not in created)
            writer.put_source(self.source, digest, keep_seq=False, starts=sorted(starts), relation_count=count)
            order = writer.precedence()
            carriers: set[str] = set()
            for chunk in _chunks(sorted(old_ids | set(own_nodes))):
                chunk = list(chunk)
                carriers |= writer._write_nodes(
                    chunk, writer._node_claims(chunk, name, own_nodes, order), name, own_nodes, order
                )
            writer.create_claims(name, [record for node_id, record in own_nodes.items() if node_id not in carriers], ())
            keys = sorted(set(own_relations) | ((old_keys | self.touching) - created))
            unlinked: list[tuple[str, str, str, str]] = []
            for chunk in _chunks(keys):
                unlinked.extend(writer._rebuild_relations(list(chunk), name, own_relations, order))
            if unlinked:
                suspects = {end for key in unlinked for end in (key[0], key[2])}
                missing = suspects - writer.existing_ids(suspects) - writer.removed
                problems = [
                    Problem(own_relations[key].place, None, None, f"relation {key[1]} points to unknown node {end!r}")
                    for key in unlinked
                    for end in (key[0], key[2])
                    if end in missing
                ]
                if problems:
                    raise LoadError(problems)
            # From this commit on, reads see the load's nodes and no longer the nodes it retired.
            writer.tx.run(f"MATCH (p:{PENDING_LOAD} {{id: $load}}) SET p.published = true", load=self.load_id).consume()
