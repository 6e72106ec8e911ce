"""The Neo4j store: the same claims and derived graph as the embedded store, in a Neo4j database.

What the database holds (every label and relationship type below is either a
constant of this module or checked against the closed lists of
:mod:`maillage.graph.model` before it is put into query text; everything that
comes from data travels as a query parameter):

* ``(:Node:<Kind> {id, name, aliases, name_key, alias_key, ...})``: the derived
  nodes, their kind the kind label; each attribute a property (``n.insee_code``) when
  Neo4j keeps its value as it is, and ``attrs``, the JSON text of all attributes, only
  when one is not (a map, an empty list, a name of the store's own): the attributes
  are read back exactly either way. ``name_key`` is the folded name and ``alias_key``
  the first folded alias that differs from it, both indexed; a node with more aliases
  also has ``names``, every folded label;
* ``(:Node)-[:<TYPE> {role, claim_source, claim_place, ...}]->(:Node)``: the
  derived relations, one per (start, type, end, role) (``role`` absent when empty),
  their attributes kept as a node's are, each carrying the claims made about it: the
  claiming source and its place when one source claims it (its attributes are the
  relation's), else parallel lists ``claim_sources``, ``claim_places`` and
  ``claim_attrs`` (the attributes, JSON text, each source gave);
* ``(:Source {name, seq, format, contributor, at, authoritative, digest, relation_starts,
  relation_claims})``: ``relation_starts`` are the start node ids of the relations the
  source claims (how its claims are found again), ``relation_claims`` their number;
* ``(:NodeClaim {node_id, source, kind, name, aliases, attrs, place})``: what a source
  asserted about a node (``aliases`` and ``attrs`` as JSON text), but for a node that one
  source alone claims and last wrote: that node carries its claim, as ``claim_source``,
  ``claim_place`` and, when they differ from the node's, ``claim_aliases`` (most actors are
  named by one source; a claim node and its index entries cost as much as the actor).
  Once another source claims it, the carried claim becomes a ``NodeClaim``; a write of
  its source (a load or reload) when no other source claims it carries it again;
* ``(:RelationClaim {rel_source, type, rel_target, role, source, attrs, place})``: a
  relation claim kept apart because an end of its relation does not exist (another
  source was unloaded, or :meth:`Neo4jStore.replace_sources` wrote it unchecked); when both
  ends exist again the claims move back onto the relationship;
* ``(:NameKey {key, node_id})``: the folded aliases of a node beyond its ``alias_key``,
  for lookups;
* ``(:StoredDocument {address, collection, key, seq, value})``: JSON documents;
* ``(:MaillageStore {key: "store"})``: the lock every write takes first;
* ``(:PendingLoad {id, source})``, ``(:StagedNodeClaim {load, node_id, ...})``,
  ``(:StagedRelationClaim {load, rel_source, ...})`` and the ``load`` property of the nodes
  it created: a long streamed source while it is written in several transactions (see
  :class:`_BatchedLoad`). Every read leaves out the nodes of a pending load and the
  relationships touching them, and no read looks at staged claims.

Every write runs in one managed transaction (``execute_write``) that first takes
the store lock, so concurrent writers queue like they do on SQLite, and then
folds the claims of the touched nodes and relations in Python with the same
functions as the embedded store: both backends derive the same graph. A relation
no other source claims and none derived yet (the common case of a new source) is
not folded: its relationship is created with its one claim, grouped by start node,
and relation ends are checked from what that query could not link.
Writes are batched ``UNWIND $rows ...`` queries with rows as lists, sent without
waiting for the one before to finish (the server runs them in order) so that the
client prepares the next rows while the server writes; derived nodes and relations
are created only where the lock proves them new, otherwise matched on their unique
id / key, so a retried transaction or a second load changes nothing. Uniqueness
constraints on ids are created by :meth:`Neo4jStore.init`
and checked before every first write of a connection. Lookups on the non-unique
indexes (claims by node, start, end or source; name keys) carry ``USING INDEX`` so that
they stay index seeks whatever the planner's statistics say after a wipe or a large load,
and a condition on the indexed ``source`` or ``claim_source`` of rows found that way is
written ``coalesce(c.source, '') <> $source``: as ``c.source <> $source`` the planner may
also read it from that index, a scan of it per row (a 27 s load took 230-270 s at times).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import re
import secrets
import sys
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import neo4j
import networkx as nx
from neo4j import exceptions as neo4j_errors

from ..errors import AuthenticationFailed, LoadError, StoreError, StoreUnavailable, UsageError
from ..model import KINDS, RELATION_TYPES, Batch, Node, NodeRecord, Relation, RelationRecord, Source, normalise
from .base import (
    NodeClaim,
    Problem,
    RelationClaim,
    SourceSummary,
    WriteResult,
    batch_digest,
    build_networkx,
    check_batch_endpoints,
    check_unchanged,
    fold_node_claims,
    fold_relation_claims,
)

__all__ = ["BATCH_RECORDS", "BATCH_RECORDS_VARIABLE", "CHUNK_SIZE", "DIRECT_STREAM_RECORDS", "Neo4jStore"]

# The driver logs retries as warnings; the store reports failures itself, as one line.
logging.getLogger("neo4j").addHandler(logging.NullHandler())

#: rows per ``UNWIND`` query
CHUNK_SIZE = 20_000
#: a streamed source of at most this many records is written as a batch is, in one transaction;
#: a longer one in transactions of at most :data:`BATCH_RECORDS` records (see :meth:`Neo4jStore.write_stream`)
DIRECT_STREAM_RECORDS = 200_000
BATCH_RECORDS = 50_000
#: environment variable setting both (a number of records), for tests and small servers
BATCH_RECORDS_VARIABLE = "MAILLAGE_NEO4J_BATCH_RECORDS"
#: 1: every relation claim a RelationClaim node; 2: claims carried by their relationship;
#: 3: a node one source alone claims carries that claim, and its folded name (read as 2 was);
#: 4: a node's kind is its label, its attributes its properties (``attrs`` only when needed), its
#: first alias its ``alias_key``; a relationship's attributes its properties, its role absent when
#: empty (read as 3 was)
SCHEMA_VERSION = 4

NODE = "Node"
SOURCE = "Source"
NODE_CLAIM = "NodeClaim"
RELATION_CLAIM = "RelationClaim"
NAME_KEY = "NameKey"
DOCUMENT = "StoredDocument"
META = "MaillageStore"
# A streamed source written in several transactions: ``(:PendingLoad {id, source})`` until it is
# published. The nodes it creates carry ``load: id`` and are left out of every read while the
# PendingLoad exists (so are the relationships they start or end); what it asserts about nodes
# and relations that existed before waits in staged claims, which no read looks at.
PENDING_LOAD = "PendingLoad"
STAGED_NODE = "StagedNodeClaim"
STAGED_RELATION = "StagedRelationClaim"
# A node a write deletes first loses its labels for this one, and is deleted when the
# write ends: once a transaction has deleted nodes, every index lookup in it costs time
# in proportion to how many (a 20,000-node unload took 26 s, most of it in lookups).
DELETED = "MaillageDeleted"

_NODE_PROPERTIES = (
    "id",
    "kind",
    "name",
    "aliases",
    "names",
    "name_key",
    "alias_key",
    "attrs",
    "claim_source",
    "claim_place",
    "claim_aliases",
)
# The properties of a node or relationship ``{v}`` that has no ``attrs``, to read its attributes from.
_PROPERTIES_OF = "CASE WHEN {v}.attrs IS NULL THEN properties({v}) END AS properties"
_REL_PROPERTIES_OF = _PROPERTIES_OF.format(v="r")
# A node's kind: its one kind label (nodes written before schema 4 also kept it as ``kind``).
_KIND_OF = "head([label IN labels({v}) WHERE label IN [" + ", ".join(f"'{kind}'" for kind in KINDS) + "]])"
# What a node ``{v}`` needs to give back its attributes (see :func:`_node_attrs`).
_ATTRS_OF = "{v}.attrs AS attrs, " + _PROPERTIES_OF
_RELATION_PROPERTIES = ("role", "attrs", "claim_source", "claim_place", "claim_sources", "claim_places", "claim_attrs")

# The claims a relationship ``r`` carries, as three parallel lists (sources, places, attrs JSON):
# one claim is kept as scalars (its attrs are the relationship's), several as lists. The attrs
# JSON of the one claim is null when the relationship has none: see :data:`_REL_PROPERTIES_OF`.
_CARRIED = (
    "coalesce(r.claim_sources, [r.claim_source]) AS sources, coalesce(r.claim_places, [r.claim_place]) AS places, "
    "coalesce(r.claim_attrs, [r.attrs]) AS claim_attrs"
)

# A node claim read from a claim node ``{v}`` or carried by its node ``{v}``, in the same columns
# (``aliases`` JSON text, or the node's ``alias_list`` when the claim's are the node's).
_CLAIM_FIELDS = (
    "{v}.kind AS kind, {v}.name AS name, {v}.aliases AS aliases, null AS alias_list, {v}.attrs AS attrs, "
    "null AS properties, {v}.place AS place, false AS carried"
)
_CARRIED_CLAIM_FIELDS = (
    f"{_KIND_OF} AS kind, {{v}}.name AS name, {{v}}.claim_aliases AS aliases, {{v}}.aliases AS alias_list, "
    f"{_ATTRS_OF}, {{v}}.claim_place AS place, true AS carried"
)

_CONSTRAINTS = {
    "maillage_node_id": f"FOR (n:{NODE}) REQUIRE n.id IS UNIQUE",
    "maillage_source_name": f"FOR (s:{SOURCE}) REQUIRE s.name IS UNIQUE",
    "maillage_document_address": f"FOR (d:{DOCUMENT}) REQUIRE d.address IS UNIQUE",
    "maillage_store_key": f"FOR (m:{META}) REQUIRE m.key IS UNIQUE",
}
_INDEXES = {
    "maillage_node_claim_node": f"FOR (c:{NODE_CLAIM}) ON (c.node_id)",
    "maillage_node_claim_source": f"FOR (c:{NODE_CLAIM}) ON (c.source)",
    "maillage_relation_claim_source": f"FOR (c:{RELATION_CLAIM}) ON (c.source)",
    "maillage_relation_claim_start": f"FOR (c:{RELATION_CLAIM}) ON (c.rel_source)",
    "maillage_relation_claim_end": f"FOR (c:{RELATION_CLAIM}) ON (c.rel_target)",
    "maillage_name_key": f"FOR (k:{NAME_KEY}) ON (k.key)",
    "maillage_node_name_key": f"FOR (n:{NODE}) ON (n.name_key)",
    "maillage_node_alias_key": f"FOR (n:{NODE}) ON (n.alias_key)",
    "maillage_node_carried_claim": f"FOR (n:{NODE}) ON (n.claim_source)",
    "maillage_node_load": f"FOR (n:{NODE}) ON (n.load)",
    "maillage_staged_node_load": f"FOR (c:{STAGED_NODE}) ON (c.load)",
    "maillage_staged_relation_load": f"FOR (c:{STAGED_RELATION}) ON (c.load)",
    "maillage_pending_load": f"FOR (p:{PENDING_LOAD}) ON (p.id)",
}

_LOCK = f"MERGE (m:{META} {{key: 'store'}}) ON CREATE SET m.schema_version = $version SET m.writes = coalesce(m.writes, 0) + 1"


# json.dumps builds an encoder per call and a load encodes two values per fact: make
# the C encoder once, with the arguments ``JSONEncoder.iterencode`` gives it.
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))
if json.encoder.c_make_encoder is None:
    _encode = _ENCODER.encode
else:
    _C_ITERENCODE = json.encoder.c_make_encoder(
        None, _ENCODER.default, json.encoder.encode_basestring, None, ":", ",", True, False, True
    )

    def _encode(value: Any) -> str:
        return "".join(_C_ITERENCODE(value, 0))


def _visible(variable: str) -> str:
    """The condition that node ``variable`` is not one a pending load created. It is checked for
    each node as it is read: a long read that a load's batch or publication overtakes still
    leaves out what that load has not published."""
    return f"({variable}.load IS NULL OR NOT EXISTS {{ MATCH (p:{PENDING_LOAD} {{id: {variable}.load}}) }})"


# A relationship ``(a)-[r]->(b)`` is visible when both its ends are.
_VISIBLE_ENDS = f"{_visible('a')} AND {_visible('b')}"


def _pending_loads(session: neo4j.Session) -> list[int]:
    """The ids of the loads not published yet."""
    return [row["id"] for row in session.run(f"MATCH (p:{PENDING_LOAD}) RETURN p.id AS id")]


def _dumps(value: Any) -> str:
    """The JSON text the store keeps: sorted keys, no spaces, non-ASCII as is."""
    if not value:
        return "[]" if isinstance(value, (list, tuple)) else "{}" if isinstance(value, Mapping) else _encode(value)
    return _encode(value)


def _label(kind: str) -> str:
    """A node kind as a label: only from the closed list."""
    if kind not in KINDS:
        raise StoreError(f"refusing to use {kind!r} as a Neo4j label: not a known kind")
    return kind


def _relationship_type(type_: str) -> str:
    """A relation type as a relationship type: only from the closed list."""
    if type_ not in RELATION_TYPES:
        raise StoreError(f"refusing to use {type_!r} as a Neo4j relationship type: not a known relation type")
    return type_


def _plain(value: Any) -> bool:
    """True when Neo4j can keep ``value`` as a property as it is."""
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    if isinstance(value, (str, float)):
        return True
    return isinstance(value, list) and bool(value) and all(isinstance(item, str) for item in value)


def _chunks(items: Sequence, size: int = CHUNK_SIZE) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _like_pattern(search: str) -> str:
    """The Java regex matching what SQLite's ``id LIKE '%search%'`` matches (ASCII case folding)."""
    parts = []
    for char in search:
        if char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        elif char.isascii() and char.isalnum():
            parts.append(char)
        elif char.isascii():
            parts.append("\\" + char)
        else:
            parts.append(char)
    return "(?s)(?i).*" + "".join(parts) + ".*"


def _reason(error: Exception) -> str:
    """The useful part of a driver error, on one line."""
    text = " ".join(str(error).split())
    match = re.search(r"\(reason:? ([^()]*(?:\([^()]*\)[^()]*)*)\)", text)
    return match.group(1) if match else text


class _Unchanged(Exception):
    """Raised inside a streamed write whose content equals what the source asserted: roll back."""


class _StaleLoad(Exception):
    """Raised by a writer that took the store lock and found a pending load: as no load holds
    the lock, that load was killed or failed; its data is removed and the write tried again."""


class Neo4jStore:
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

    def __init__(self, uri: str, user: str | None = None, password: str | None = None, database: str | None = None):
        _scheme, _, rest = uri.partition("://")
        if "@" in rest.split("/", 1)[0]:
            raise UsageError(
                "a store URI must not carry credentials (user:password@host): "
                "give the user in NEO4J_USER and the password in NEO4J_PASSWORD or at the prompt"
            )
        self.location = uri
        self.database = database or None
        self.user = user or os.environ.get("NEO4J_USER") or "neo4j"
        if password is None:
            password = os.environ.get("NEO4J_PASSWORD")
        if password is None:
            raise AuthenticationFailed(f"no password for the Neo4j server at {uri}: set NEO4J_PASSWORD")
        self._schema_checked = False
        self.direct_stream_records = DIRECT_STREAM_RECORDS
        self.batch_records = BATCH_RECORDS
        configured = os.environ.get(BATCH_RECORDS_VARIABLE)
        if configured:
            try:
                self.direct_stream_records = self.batch_records = int(configured)
            except ValueError:
                raise UsageError(f"{BATCH_RECORDS_VARIABLE} must be a number of records, not {configured!r}") from None
        try:
            self._driver = neo4j.GraphDatabase.driver(
                uri,
                auth=(self.user, password),
                connection_timeout=10.0,
                max_transaction_retry_time=15.0,
                notifications_min_severity="OFF",
                user_agent="maillage",
            )
        except (ValueError, neo4j_errors.ConfigurationError) as error:
            raise UsageError(f"cannot use {uri} as a Neo4j store: {_reason(error)}") from None
        try:
            with self._errors():
                self._driver.verify_connectivity()
        except BaseException:
            self._driver.close()
            raise

    def __repr__(self) -> str:
        return f"Neo4jStore({self.location!r}, user={self.user!r}, database={self.database!r})"

    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._driver.close()

    # ------------------------------------------------------------------ errors

    def _errors(self):
        store = self

        class _Translate:
            def __enter__(self_inner):
                return None

            def __exit__(self_inner, exc_type, exc, tb):
                if exc is None or not isinstance(exc, (neo4j_errors.Neo4jError, neo4j_errors.DriverError, OSError)):
                    return False
                raise store._translate(exc) from None

        return _Translate()

    def _translate(self, error: Exception) -> Exception:
        where = f"the Neo4j server at {self.location}"
        if isinstance(error, neo4j_errors.AuthError):
            return AuthenticationFailed(
                f"{where} refused the credentials of user {self.user!r} (check NEO4J_USER and NEO4J_PASSWORD)"
            )
        if isinstance(error, neo4j_errors.ConfigurationError):
            return UsageError(f"cannot use {self.location} as a Neo4j store: {_reason(error)}")
        reason = _reason(error)
        if isinstance(error, (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired, OSError)):
            encrypted = self.location.partition("://")[0].lower().endswith(("+s", "+ssc"))
            ssl_error = re.search(r"\[(SSL\w*|CERTIFICATE\w*)\]", reason)
            if "certificate" in reason.lower() and "verify" in reason.lower():
                return StoreUnavailable(
                    f"cannot verify the TLS certificate of {where}: use +ssc to accept a self-signed one"
                )
            if ssl_error or (encrypted and "routing information" in reason):
                detail = f" ({ssl_error.group(1)})" if ssl_error else ""
                return StoreUnavailable(
                    f"cannot open an encrypted (TLS) connection to {where}{detail}: the server does not answer "
                    "with TLS or cannot be reached; if it does not offer TLS, use neo4j:// or bolt://"
                )
            if reason == "Unable to retrieve routing information":
                reason = "no answer (is it running, and are the host and port right?)"
            return StoreUnavailable(f"cannot reach {where}: {reason}")
        if isinstance(error, neo4j_errors.Neo4jError):
            code = error.code or ""
            if code.endswith("DatabaseNotFound"):
                return StoreUnavailable(f"{where} has no database {self.database!r}")
            if "MemoryPoolOutOfMemoryError" in code or "TransactionOutOfMemory" in code:
                return StoreError(
                    f"{where} ran out of transaction memory (a workbook, or a register's part that existed "
                    f"before, is written in one transaction; a register's new part in transactions of "
                    f"{BATCH_RECORDS_VARIABLE} records): load it in smaller parts (a register by --departement "
                    "or --commune), lower that setting, or give the server more heap (server.memory.heap.max_size)"
                )
            if isinstance(error, neo4j_errors.TransientError):
                return StoreUnavailable(f"{where} kept failing ({code}): {error.message}")
            return StoreError(f"{where} refused a query ({code}): {error.message}")
        return StoreUnavailable(f"cannot use {where}: {reason}")

    # ------------------------------------------------------------------ maintenance

    def clear(self) -> None:
        """Delete everything maillage keeps in the database (the schema stays), in chunks."""
        labels = (
            NODE,
            SOURCE,
            NODE_CLAIM,
            RELATION_CLAIM,
            NAME_KEY,
            DOCUMENT,
            META,
            PENDING_LOAD,
            STAGED_NODE,
            STAGED_RELATION,
        )
        with self._errors(), self._session(write=True) as session:
            # Relationships first: deleting a commune with the links of all its associations at once
            # would take as much transaction memory as loading them did.
            while session.run("MATCH (:Node)-[r]->() WITH r LIMIT 20000 DELETE r RETURN count(*) AS deleted").single()[
                "deleted"
            ]:
                pass
            for label in labels:
                while session.run(
                    f"MATCH (n:{label}) WITH n LIMIT 20000 DETACH DELETE n RETURN count(*) AS deleted"
                ).single()["deleted"]:
                    pass

    def duplicates(self) -> dict[str, int]:
        """How many node ids and relation keys the derived graph holds more than once (0 and 0 when sound)."""
        nodes = self._read(
            f"MATCH (n:{NODE}) WITH n.id AS id, count(*) AS copies WHERE copies > 1 RETURN count(*) AS duplicated"
        )
        relations = self._read(
            f"MATCH (a:{NODE})-[r]->(b:{NODE}) WITH a, type(r) AS type, coalesce(r.role, '') AS role, b, count(*) AS copies "
            "WHERE copies > 1 RETURN count(*) AS duplicated"
        )
        return {"nodes": nodes[0]["duplicated"], "relations": relations[0]["duplicated"]}

    # ------------------------------------------------------------------ plumbing

    def _session(self, write: bool = False):
        mode = neo4j.WRITE_ACCESS if write else neo4j.READ_ACCESS
        return self._driver.session(database=self.database, default_access_mode=mode)

    def _read(self, query: str, **params: Any) -> list[neo4j.Record]:
        with self._errors(), self._session() as session:
            return session.execute_read(lambda tx: list(tx.run(query, params)))

    def _stream(self, query: str, **params: Any) -> Iterator[neo4j.Record]:
        """Records of a read query, as the server sends them (never all held by the driver)."""
        with self._errors(), self._session() as session:
            result = session.run(query, params)
            yield from result

    def _write(self, work: Callable[[neo4j.ManagedTransaction], Any]) -> Any:
        self._ensure_schema()
        while True:
            try:
                with self._errors(), self._session(write=True) as session:
                    return session.execute_write(work)
            except _StaleLoad:
                self._clean_stale_loads()

    def _clean_stale_loads(self) -> None:
        """Remove what loads killed before publishing left, holding the store lock meanwhile."""
        with self._errors(), self._session(write=True) as guard_session, self._session(write=True) as session:
            with guard_session.begin_transaction() as guard:
                guard.run(_LOCK, version=SCHEMA_VERSION).consume()
                _clean_loads(session)
                guard.rollback()

    # ------------------------------------------------------------------ schema

    def init(self) -> None:
        with self._errors(), self._session(write=True) as session:
            for name, body in {**_CONSTRAINTS, **_INDEXES}.items():
                statement = "CONSTRAINT" if name in _CONSTRAINTS else "INDEX"
                try:
                    session.run(f"CREATE {statement} {name} IF NOT EXISTS {body}").consume()
                except neo4j_errors.ClientError as error:
                    # Another process created it between our check and our statement.
                    if "EquivalentSchemaRule" not in (error.code or "") and "AlreadyExists" not in (error.code or ""):
                        raise
            # Name keys were once indexed by node too; they are found from the node's names now.
            session.run("DROP INDEX maillage_name_node IF EXISTS").consume()
            # Kinds were once indexed too; a node's kind is also its label, which Neo4j indexes anyway.
            session.run("DROP INDEX maillage_node_kind IF EXISTS").consume()
            session.run("CALL db.awaitIndexes(300)").consume()
            session.execute_write(lambda tx: tx.run(_LOCK, version=SCHEMA_VERSION).consume())
            session.execute_write(_migrate)
        self._schema_checked = True

    def _ensure_schema(self) -> None:
        if self._schema_checked:
            return
        with self._errors(), self._session() as session:
            present = {record["name"] for record in session.run("SHOW CONSTRAINTS YIELD name")}
            present |= {record["name"] for record in session.run("SHOW INDEXES YIELD name")}
            version = session.run(f"MATCH (m:{META} {{key: 'store'}}) RETURN m.schema_version AS version").single()
        if not set(_CONSTRAINTS) | set(_INDEXES) <= present:
            self.init()
        elif version is not None and version["version"] < SCHEMA_VERSION:
            with self._errors(), self._session(write=True) as session:
                session.execute_write(_migrate)
        self._schema_checked = True

    # ------------------------------------------------------------------ writes

    def write(self, batch: Batch) -> WriteResult:
        def work(tx: neo4j.ManagedTransaction) -> WriteResult:
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

    def source_digests(self) -> dict[str, str]:
        return {
            row["name"]: row["digest"]
            for row in self._read(f"MATCH (s:{SOURCE}) RETURN s.name AS name, s.digest AS digest")
        }

    def replace_sources(
        self, batches: Sequence[Batch], expected: Mapping[str, str | None] | None = None
    ) -> list[WriteResult]:
        def work(tx: neo4j.ManagedTransaction) -> list[WriteResult]:
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
        def work(tx: neo4j.ManagedTransaction) -> WriteResult:
            with _Writer(tx) as writer:
                writer.lock()
                if writer.source_row(source) is None:
                    raise LoadError([], f"no source named {source!r} is loaded")
                old_ids, old_keys = writer.delete_claims(source, last=True)
                writer.tx.run(f"MATCH (s:{SOURCE} {{name: $name}}) DELETE s", name=source).consume()
                writer.rebuild(source, old_ids, old_keys, own_nodes={}, own_relations={})
                return WriteResult(source, len(old_ids), len(old_keys))

        return self._write(work)

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
        in one last transaction (see :class:`_BatchedLoad`). A transaction that holds the store
        lock stays open all along: other writers wait as they would for a one-transaction load,
        and if this process dies the server ends it; the next write finds the pending load
        without its lock holder and removes what it wrote. A failed load removes it at once.
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
                            raise _Unchanged
                        streamed = writer.stream(source, head, loaded=previous is not None, fingerprint=digest is None)
                        final = digest if digest is not None else streamed.digest
                        if final == previous_digest:
                            raise _Unchanged
                        writer.tx.run(
                            f"MATCH (s:{SOURCE} {{name: $name}}) SET s.digest = $digest", name=name, digest=final
                        ).consume()
                    tx.commit()
            except _StaleLoad:
                self._clean_stale_loads()
                continue
            except _Unchanged:
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
                load = _BatchedLoad(session, source, load_id, batch_records, fingerprint=digest is None)
                try:
                    try:
                        load.write(records)
                    finally:
                        load.close()
                    final = digest if digest is not None else load.digest()
                    if final == previous_digest:
                        raise _Unchanged
                    with session.begin_transaction() as tx:
                        load.publish(tx, final)
                        tx.commit()
                except BaseException:
                    try:
                        _clean_loads(session)
                    except (neo4j_errors.Neo4jError, neo4j_errors.DriverError, OSError):
                        # The server is gone or refused: the next write removes the pending load.
                        pass
                    if sys.exc_info()[0] is _Unchanged:
                        return WriteResult(name, 0, 0, unchanged=True)
                    raise
                _clean_loads(session)
                guard.rollback()
        return WriteResult(name, load.streamed.node_count, load.streamed.relation_count)

    # ------------------------------------------------------------------ reads

    @staticmethod
    def _node(record: Mapping[str, Any]) -> Node:
        return Node(record["id"], record["kind"], record["name"], tuple(record["aliases"]), _node_attrs(record))

    _NODE_FIELDS = (
        f"n.id AS id, {_KIND_OF.format(v='n')} AS kind, n.name AS name, n.aliases AS aliases, {_ATTRS_OF.format(v='n')}"
    )
    _RELATION_FIELDS = f"a.id AS source, type(r) AS type, b.id AS target, coalesce(r.role, '') AS role, r.attrs AS attrs, {_REL_PROPERTIES_OF}"

    @staticmethod
    def _relation(record: Mapping[str, Any]) -> Relation:
        return Relation(
            record["source"],
            record["type"],
            record["target"],
            record["role"],
            _relation_attrs(record["attrs"], record["properties"]),
        )

    def get(self, node_id: str) -> Node | None:
        rows = self._read(f"MATCH (n:{NODE} {{id: $id}}) WHERE {_visible('n')} RETURN {self._NODE_FIELDS}", id=node_id)
        return self._node(rows[0]) if rows else None

    def find(self, reference: str) -> list[Node]:
        exact = self.get(reference.strip())
        if exact:
            return [exact]
        rows = self._read(
            f"MATCH (n:{NODE} {{name_key: $key}}) USING INDEX n:{NODE}(name_key) WHERE {_visible('n')} RETURN {self._NODE_FIELDS} "
            # On a node written before schema 4 (it keeps its kind as a property) ``alias_key`` is an attribute.
            f"UNION MATCH (n:{NODE} {{alias_key: $key}}) USING INDEX n:{NODE}(alias_key) WHERE n.kind IS NULL AND {_visible('n')} RETURN {self._NODE_FIELDS} "
            f"UNION MATCH (k:{NAME_KEY} {{key: $key}}) USING INDEX k:{NAME_KEY}(key) MATCH (n:{NODE} {{id: k.node_id}}) WHERE {_visible('n')} "
            f"RETURN {self._NODE_FIELDS}",
            key=normalise(reference),
        )
        return sorted((self._node(row) for row in rows), key=lambda node: node.id)

    def nodes(self, kind: str | None = None, search: str | None = None) -> list[Node]:
        if kind and kind not in KINDS:
            return []
        conditions = [_visible("n")]
        params: dict[str, Any] = {}
        if search:
            conditions.append(
                "(n.id =~ $pattern OR any(key IN coalesce(n.names, [n.name_key, n.alias_key]) WHERE key CONTAINS $folded))"
            )
            params.update(pattern=_like_pattern(search), folded=normalise(search))
        where = f" WHERE {' AND '.join(conditions)}"
        label = f":{_label(kind)}" if kind else ""
        rows = self._stream(f"MATCH (n:{NODE}{label}){where} RETURN {self._NODE_FIELDS}", **params)
        return sorted((self._node(row) for row in rows), key=lambda node: node.id)

    def relations(self, node_id: str | None = None) -> list[Relation]:
        if node_id is None:
            rows = self._stream(
                f"MATCH (a:{NODE})-[r]->(b:{NODE}) WHERE {_VISIBLE_ENDS} RETURN {self._RELATION_FIELDS}"
            )
        else:
            rows = self._stream(
                f"MATCH (a:{NODE} {{id: $id}})-[r]->(b:{NODE}) WHERE {_VISIBLE_ENDS} RETURN {self._RELATION_FIELDS} "
                f"UNION MATCH (a:{NODE})-[r]->(b:{NODE} {{id: $id}}) WHERE {_VISIBLE_ENDS} RETURN {self._RELATION_FIELDS}",
                id=node_id,
            )
        return sorted((self._relation(row) for row in rows), key=lambda relation: relation.key)

    def node_claims(self, node_id: str) -> list[NodeClaim]:
        who = "s.contributor AS contributor, s.at AS at, s.seq AS seq"
        rows = self._read(
            f"MATCH (c:{NODE_CLAIM} {{node_id: $id}}) USING INDEX c:{NODE_CLAIM}(node_id) MATCH (s:{SOURCE} {{name: c.source}}) "
            f"RETURN c.source AS source, {_CLAIM_FIELDS.format(v='c')}, {who} "
            f"UNION MATCH (c:{NODE} {{id: $id}}) USING INDEX c:{NODE}(id) WHERE coalesce(c.claim_source, '') <> '' AND {_visible('c')} "
            f"MATCH (s:{SOURCE} {{name: c.claim_source}}) "
            f"RETURN c.claim_source AS source, {_CARRIED_CLAIM_FIELDS.format(v='c')}, {who}",
            id=node_id,
        )
        return [
            NodeClaim(
                row["source"],
                node_id,
                row["kind"],
                row["name"],
                tuple(_claim_aliases(row)),
                _node_attrs(row),
                row["place"],
                row["contributor"],
                row["at"],
            )
            for row in sorted(rows, key=lambda row: row["seq"])
        ]

    def relation_claims(self, node_id: str) -> list[RelationClaim]:
        fields = (
            "c.source AS source, c.rel_source AS rel_source, c.type AS type, c.rel_target AS rel_target, "
            "c.role AS role, c.attrs AS attrs, null AS properties, c.place AS place, s.contributor AS contributor, s.at AS at, s.seq AS seq"
        )
        carried = (
            "sources[i] AS source, a.id AS rel_source, type(r) AS type, b.id AS rel_target, coalesce(r.role, '') AS role, "
            f"claim_attrs[i] AS attrs, {_REL_PROPERTIES_OF}, places[i] AS place, s.contributor AS contributor, s.at AS at, s.seq AS seq"
        )
        # A database of schema 1 not written to yet keeps every claim in a RelationClaim node (sources [null]).
        each = (
            f"WITH a, r, b, {_CARRIED} UNWIND range(0, size(sources) - 1) AS i MATCH (s:{SOURCE} {{name: sources[i]}})"
        )
        rows = self._read(
            f"MATCH (a:{NODE} {{id: $id}})-[r]->(b:{NODE}) WHERE {_VISIBLE_ENDS} {each} RETURN {carried} "
            f"UNION MATCH (a:{NODE})-[r]->(b:{NODE} {{id: $id}}) WHERE {_VISIBLE_ENDS} {each} RETURN {carried} "
            f"UNION MATCH (c:{RELATION_CLAIM} {{rel_source: $id}}) USING INDEX c:{RELATION_CLAIM}(rel_source) MATCH (s:{SOURCE} {{name: c.source}}) RETURN {fields} "
            f"UNION MATCH (c:{RELATION_CLAIM} {{rel_target: $id}}) USING INDEX c:{RELATION_CLAIM}(rel_target) MATCH (s:{SOURCE} {{name: c.source}}) RETURN {fields}",
            id=node_id,
        )
        ordered = sorted(rows, key=lambda r: (r["seq"], r["rel_source"], r["type"], r["rel_target"], r["role"]))
        return [
            RelationClaim(
                row["source"],
                Relation(
                    row["rel_source"],
                    row["type"],
                    row["rel_target"],
                    row["role"],
                    _relation_attrs(row["attrs"], row["properties"]),
                ),
                row["place"],
                row["contributor"],
                row["at"],
            )
            for row in ordered
        ]

    def sources(self) -> list[SourceSummary]:
        rows = self._read(
            f"MATCH (s:{SOURCE}) "
            f"RETURN s.name AS name, s.format AS format, s.contributor AS contributor, s.at AS at, "
            f"s.authoritative AS authoritative, s.seq AS seq, "
            f"COUNT {{ MATCH (c:{NODE_CLAIM} {{source: s.name}}) }} + COUNT {{ MATCH (n:{NODE} {{claim_source: s.name}}) WHERE {_visible('n')} }} AS nodes, "
            f"coalesce(s.relation_claims, COUNT {{ MATCH (c:{RELATION_CLAIM} {{source: s.name}}) }}) AS relations"
        )
        return [
            SourceSummary(
                r["name"], r["format"], r["contributor"], r["at"], bool(r["authoritative"]), r["nodes"], r["relations"]
            )
            for r in sorted(rows, key=lambda row: row["seq"])
        ]

    def dump(self) -> Iterator[Batch]:
        names = [
            row["name"]
            for row in sorted(
                self._read(f"MATCH (s:{SOURCE}) RETURN s.name AS name, s.seq AS seq"), key=lambda r: r["seq"]
            )
        ]
        for name in names:
            batch = self.dump_source(name)
            if batch is not None:
                yield batch

    def dump_source(self, name: str) -> Batch | None:
        rows = self._read(
            f"MATCH (s:{SOURCE} {{name: $name}}) RETURN s.format AS format, s.contributor AS contributor, "
            "s.at AS at, s.authoritative AS authoritative",
            name=name,
        )
        if not rows:
            return None
        row = rows[0]
        batch = Batch(Source(name, row["format"], row["contributor"], row["at"], bool(row["authoritative"])))
        nodes = [
            NodeRecord(Node(r["node_id"], r["kind"], r["name"], tuple(_claim_aliases(r)), _node_attrs(r)), r["place"])
            for r in self._stream(
                f"MATCH (c:{NODE_CLAIM} {{source: $name}}) USING INDEX c:{NODE_CLAIM}(source) "
                f"RETURN c.node_id AS node_id, {_CLAIM_FIELDS.format(v='c')} "
                f"UNION MATCH (c:{NODE} {{claim_source: $name}}) USING INDEX c:{NODE}(claim_source) WHERE {_visible('c')} "
                f"RETURN c.id AS node_id, {_CARRIED_CLAIM_FIELDS.format(v='c')}",
                name=name,
            )
        ]
        batch.nodes = sorted(nodes, key=lambda record: record.node.id)
        relations = [
            RelationRecord(
                Relation(
                    r["rel_source"], r["type"], r["rel_target"], r["role"], _relation_attrs(r["attrs"], r["properties"])
                ),
                r["place"],
            )
            for r in self._stream(
                f"MATCH (c:{RELATION_CLAIM} {{source: $name}}) USING INDEX c:{RELATION_CLAIM}(source) RETURN c.rel_source AS rel_source, c.type AS type, "
                "c.rel_target AS rel_target, c.role AS role, c.attrs AS attrs, null AS properties, c.place AS place "
                f"UNION MATCH (s:{SOURCE} {{name: $name}}) UNWIND coalesce(s.relation_starts, []) AS start "
                f"MATCH (a:{NODE} {{id: start}})-[r]->(b:{NODE}) WHERE {_VISIBLE_ENDS} WITH a, r, b, {_CARRIED} WHERE $name IN sources "
                "WITH a, r, b, places, claim_attrs, [i IN range(0, size(sources) - 1) WHERE sources[i] = $name][0] AS i "
                "RETURN a.id AS rel_source, type(r) AS type, b.id AS rel_target, coalesce(r.role, '') AS role, "
                f"claim_attrs[i] AS attrs, {_REL_PROPERTIES_OF}, places[i] AS place",
                name=name,
            )
        ]
        batch.relations = sorted(relations, key=lambda record: record.relation.key)
        return batch

    # ------------------------------------------------------------------ documents

    def put_document(self, collection: str, key: str, value: Mapping[str, Any]) -> None:
        text = _dumps(dict(value))

        def work(tx: neo4j.ManagedTransaction) -> None:
            tx.run(_LOCK, version=SCHEMA_VERSION).consume()
            tx.run(
                f"MATCH (m:{META} {{key: 'store'}}) MERGE (d:{DOCUMENT} {{address: $address}}) "
                "ON CREATE SET d.collection = $collection, d.key = $key, d.seq = coalesce(m.documents, 0) + 1, "
                "m.documents = coalesce(m.documents, 0) + 1 SET d.value = $value",
                address=_dumps([collection, key]),
                collection=collection,
                key=key,
                value=text,
            ).consume()

        self._write(work)

    def get_document(self, collection: str, key: str) -> dict[str, Any] | None:
        rows = self._read(
            f"MATCH (d:{DOCUMENT} {{address: $address}}) RETURN d.value AS value", address=_dumps([collection, key])
        )
        return json.loads(rows[0]["value"]) if rows else None

    def documents(self, collection: str) -> list[tuple[str, dict[str, Any]]]:
        rows = self._read(
            f"MATCH (d:{DOCUMENT}) WHERE d.collection = $collection RETURN d.key AS key, d.value AS value, d.seq AS seq",
            collection=collection,
        )
        return [(row["key"], json.loads(row["value"])) for row in sorted(rows, key=lambda row: row["seq"])]

    def delete_document(self, collection: str, key: str) -> None:
        def work(tx: neo4j.ManagedTransaction) -> None:
            tx.run(f"MATCH (d:{DOCUMENT} {{address: $address}}) DELETE d", address=_dumps([collection, key])).consume()

        self._write(work)

    # ------------------------------------------------------------------ graph reads

    def neighbourhood(self, node_ids: Iterable[str], depth: int) -> set[str]:
        wanted = list(dict.fromkeys(node_ids))
        reached = {
            row["id"]
            for row in self._read(
                f"UNWIND $ids AS id MATCH (n:{NODE} {{id: id}}) WHERE {_visible('n')} RETURN n.id AS id", ids=wanted
            )
        }
        frontier = set(reached)
        for _ in range(depth):
            if not frontier:
                break
            found = {
                row["id"]
                for row in self._stream(
                    f"UNWIND $ids AS id MATCH (:{NODE} {{id: id}})--(m:{NODE}) WHERE {_visible('m')} RETURN DISTINCT m.id AS id",
                    ids=sorted(frontier),
                )
            }
            frontier = found - reached
            reached |= found
        return reached

    def to_networkx(self, kinds: Sequence[str] | None = None, node_ids: Iterable[str] | None = None) -> nx.MultiDiGraph:
        params: dict[str, Any] = {}
        if node_ids is not None:
            params["ids"] = list(dict.fromkeys(node_ids))
            kind_filter = ""
            if kinds:
                params["kinds"] = [kind for kind in kinds if kind in KINDS]
                kind_filter = " AND any(label IN labels(n) WHERE label IN $kinds)"
            node_query = f"UNWIND $ids AS wanted MATCH (n:{NODE} {{id: wanted}}) WHERE {_visible('n')}{kind_filter} RETURN {self._NODE_FIELDS}"
        elif kinds:
            labels = "|".join(_label(kind) for kind in kinds if kind in KINDS)
            if not labels:
                return build_networkx([], [])
            node_query = f"MATCH (n:{labels}) WHERE n:{NODE} AND {_visible('n')} RETURN {self._NODE_FIELDS}"
        else:
            node_query = f"MATCH (n:{NODE}) WHERE {_visible('n')} RETURN {self._NODE_FIELDS}"
        nodes = sorted((self._node(row) for row in self._stream(node_query, **params)), key=lambda node: node.id)
        selected = {node.id for node in nodes}
        if node_ids is not None:
            relation_rows = self._stream(
                f"UNWIND $ids AS wanted MATCH (a:{NODE} {{id: wanted}})-[r]->(b:{NODE}) WHERE {_VISIBLE_ENDS} RETURN {self._RELATION_FIELDS}",
                ids=sorted(selected),
            )
        elif kinds:
            relation_rows = self._stream(
                f"MATCH (a:{NODE})-[r]->(b:{NODE}) WHERE {_VISIBLE_ENDS} AND any(label IN labels(a) WHERE label IN $kinds) "
                f"AND any(label IN labels(b) WHERE label IN $kinds) RETURN {self._RELATION_FIELDS}",
                kinds=[kind for kind in kinds if kind in KINDS],
            )
        else:
            relation_rows = self._stream(
                f"MATCH (a:{NODE})-[r]->(b:{NODE}) WHERE {_VISIBLE_ENDS} RETURN {self._RELATION_FIELDS}"
            )
        relations = [
            self._relation(row) for row in relation_rows if row["source"] in selected and row["target"] in selected
        ]
        relations.sort(key=lambda relation: relation.key)
        return build_networkx(nodes, relations)

    def counts(self) -> dict[str, int]:
        kinds = self._read(
            f"MATCH (n:{NODE}) WHERE {_visible('n')} RETURN {_KIND_OF.format(v='n')} AS name, count(*) AS count"
        )
        types = self._read(
            f"MATCH (a:{NODE})-[r]->(b:{NODE}) WHERE {_VISIBLE_ENDS} RETURN type(r) AS name, count(*) AS count"
        )
        counts = {row["name"]: row["count"] for row in sorted(kinds, key=lambda row: row["name"])}
        counts.update({row["name"]: row["count"] for row in sorted(types, key=lambda row: row["name"])})
        return counts


def _migrate(tx: neo4j.ManagedTransaction) -> None:
    """Bring a database written by an older maillage to :data:`SCHEMA_VERSION`, in one transaction."""
    with _Writer(tx) as writer:
        writer.lock(check_pending=False)
        version = tx.run(f"MATCH (m:{META} {{key: 'store'}}) RETURN m.schema_version AS version").single()["version"]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"this database was written by a newer maillage (schema {version}, this one knows {SCHEMA_VERSION}): upgrade maillage"
            )
        if version == SCHEMA_VERSION:
            return
        if version < 2:
            # Schema 1 kept every relation claim as a RelationClaim node: move them onto their relationships.
            tx.run(
                f"MATCH (s:{SOURCE}) OPTIONAL MATCH (c:{RELATION_CLAIM} {{source: s.name}}) "
                "WITH s, count(c) AS claims, collect(DISTINCT c.rel_source) AS starts "
                "SET s.relation_claims = claims, s.relation_starts = starts"
            ).consume()
            keys = {
                tuple(row["key"])
                for row in tx.run(
                    f"MATCH (c:{RELATION_CLAIM}) RETURN DISTINCT [c.rel_source, c.type, c.rel_target, c.role] AS key"
                )
            }
            writer.rebuild("", set(), keys, None, None)
        # Schemas 2 and 3 are read as schema 4 is: their nodes keep their kind and attributes (JSON)
        # as properties, and their aliases as NameKey nodes and ``names``.
        writer.tx.run(
            f"MATCH (m:{META} {{key: 'store'}}) SET m.schema_version = $version", version=SCHEMA_VERSION
        ).consume()


def _clean_loads(session: neo4j.Session) -> None:
    """Remove what earlier loads left, in bounded transactions: the nodes of loads never published
    (with their name keys and relationships), then every staged claim and the mark of published
    loads still on their nodes, then the pending loads. The caller holds the store lock, so no
    load is running; a pending load goes last, so that its nodes stay out of reads until then."""
    loads = _pending_loads(session)
    queries = []
    for load_id in loads:
        queries += [
            (
                f"MATCH (n:{NODE} {{load: $load}}) WHERE n.names IS NOT NULL WITH n LIMIT 5000 UNWIND n.names AS key "
                f"OPTIONAL MATCH (k:{NAME_KEY} {{key: key}}) WHERE k.node_id = n.id DELETE k WITH DISTINCT n REMOVE n.names "
                "RETURN count(*) AS done",
                load_id,
            ),
            (f"MATCH (n:{NODE} {{load: $load}}) WITH n LIMIT 5000 DETACH DELETE n RETURN count(*) AS done", load_id),
        ]
    queries += [
        (f"MATCH (c:{STAGED_NODE}) WITH c LIMIT 20000 DELETE c RETURN count(*) AS done", None),
        (f"MATCH (c:{STAGED_RELATION}) WITH c LIMIT 20000 DELETE c RETURN count(*) AS done", None),
        (f"MATCH (n:{NODE}) WHERE n.load IS NOT NULL WITH n LIMIT 20000 REMOVE n.load RETURN count(*) AS done", None),
    ]
    for query, load_id in queries:
        while session.run(query, load=load_id).single()["done"]:
            pass
    for load_id in loads:
        session.run(f"MATCH (p:{PENDING_LOAD} {{id: $load}}) DELETE p", load=load_id).consume()


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


def _alone_groups(relations: Mapping[tuple[str, str, str, str], RelationRecord]) -> dict[str, list[list[Any]]]:
    """Rows for :meth:`_Writer.fire_alone_relations`: by type, ``[start, [[end, role, attrs JSON,
    place, plain attributes], ...]]`` per start node (one index lookup per start); an empty role
    and attributes that are all properties are null (the relationship gets no such property)."""
    by_type: dict[str, dict[str, list[list[Any]]]] = defaultdict(lambda: defaultdict(list))
    # Many relations carry the same attributes: encode each distinct set once.
    encoded: dict[tuple[tuple[str, str], ...], tuple[str | None, dict[str, Any]]] = {}
    for (start, type_, end, role), record in relations.items():
        attrs = record.relation.attrs
        if all(type(value) is str for value in attrs.values()):
            signature = tuple(attrs.items())
            cached = encoded.get(signature)
            if cached is None:
                cached = encoded[signature] = _as_properties(attrs)
        else:
            cached = _as_properties(attrs)
        by_type[type_][start].append([end, role or None, cached[0], record.place, cached[1]])
    return {type_: [[start, rows] for start, rows in starts.items()] for type_, starts in by_type.items()}


def _as_properties(
    attrs: Mapping[str, Any], reserved: Sequence[str] = _RELATION_PROPERTIES
) -> tuple[str | None, dict[str, Any]]:
    """Attributes kept as properties, and their JSON text when some cannot be (else None): a
    value Neo4j cannot keep as it is, or a name in ``reserved``. :func:`_attributes` reads them back."""
    properties = {a: v for a, v in attrs.items() if a not in reserved and _plain(v)}
    return (_dumps(dict(attrs)) if len(properties) < len(attrs) else None), properties


def _carried_claims(row: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """The claims ``(source, place, attrs JSON)`` of a relationship read with :data:`_CARRIED` and
    :data:`_REL_PROPERTIES_OF` (the JSON of its one claim rebuilt from its properties when it has none)."""
    return [
        (source, place, attrs if attrs is not None else _dumps(_relation_attrs(None, row["properties"])))
        for source, place, attrs in zip(row["sources"], row["places"], row["claim_attrs"])
        if source is not None
    ]


def _relation_attrs(text: str | None, properties: Mapping[str, Any] | None) -> dict[str, Any]:
    """The attributes of a relation or relation claim: its JSON ``text`` when there is one, else
    (a relationship read with :data:`_REL_PROPERTIES_OF`) the relationship's own properties."""
    return _attributes(text, properties, _RELATION_PROPERTIES)


def _node_attrs(row: Mapping[str, Any]) -> dict[str, Any]:
    """The attributes of a node or node claim read with ``attrs`` and ``properties``
    (:data:`_ATTRS_OF`): the JSON text when there is one, else the node's own properties."""
    return _attributes(row["attrs"], row["properties"], _NODE_PROPERTIES)


def _attributes(text: str | None, properties: Mapping[str, Any] | None, reserved: Sequence[str]) -> dict[str, Any]:
    if text is not None:
        return json.loads(text)
    return {name: properties[name] for name in sorted(properties or ()) if name not in reserved}


def _claim_aliases(row: Mapping[str, Any]) -> list[str]:
    """The aliases of a claim read with :data:`_CLAIM_FIELDS` or :data:`_CARRIED_CLAIM_FIELDS`."""
    return json.loads(row["aliases"]) if row["aliases"] is not None else list(row["alias_list"])


class _StoredClaims:
    """The stored claims about some nodes, by node id: ``(precedence, (kind, name, aliases, attrs))``;
    and, by source, those their nodes carry (a rewritten node carries none)."""

    def __init__(self) -> None:
        self.claims: dict[str, list[tuple[tuple[bool, int], tuple]]] = defaultdict(list)
        self.carried: dict[str, list[NodeRecord]] = defaultdict(list)


class _Streamed:
    """What a streamed write saw: counts and the fingerprint of its records."""

    def __init__(self) -> None:
        self.node_count = 0
        self.relation_count = 0
        self.digest = ""


class _Writer:
    """The steps of a write, all inside one transaction that holds the store lock."""

    def __init__(self, tx: neo4j.ManagedTransaction | neo4j.Transaction):
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
    def tx(self) -> neo4j.ManagedTransaction | neo4j.Transaction:
        """The transaction, once every write sent before has run."""
        self.wait()
        return self._tx

    def wait(self) -> None:
        """Wait until the writes sent so far have run; raise the first failure."""
        sent, self._sent = self._sent, []
        for future in sent:
            future.result()

    def run(self, query: str, **params: Any) -> list[neo4j.Record]:
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

    def source_row(self, name: str) -> neo4j.Record | None:
        rows = self.run(f"MATCH (s:{SOURCE} {{name: $name}}) RETURN s.digest AS digest, s.seq AS seq", name=name)
        return rows[0] if rows else None

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        ids = set(ids)
        unknown = sorted(ids - self.present - self.absent)
        for chunk in _chunks(unknown):
            found = {
                row["id"]
                for row in self.run(f"UNWIND $ids AS id MATCH (n:{NODE} {{id: id}}) RETURN n.id AS id", ids=list(chunk))
            }
            self.present |= found
            self.absent |= set(chunk) - found
        return ids & self.present

    def check_kinds(self, records: Iterable[NodeRecord]) -> None:
        records = list(records)
        stored: dict[str, str] = {}
        for chunk in _chunks(records):
            rows = self.run(
                f"UNWIND $ids AS id MATCH (n:{NODE} {{id: id}}) RETURN n.id AS id, {_KIND_OF.format(v='n')} AS kind",
                ids=[record.node.id for record in chunk],
            )
            stored.update((row["id"], row["kind"]) for row in rows)
        problems = [
            Problem(
                record.place,
                None,
                "kind",
                f"{record.node.id} is a {stored[record.node.id]} in the store, not a {record.node.kind}",
            )
            for record in records
            if record.node.id in stored and stored[record.node.id] != record.node.kind
        ]
        if problems:
            raise LoadError(problems)

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
        relationships they start, hold its new claims and are left alone.

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
                "WHERE n.load IS NULL OR n.load <> $load RETURN n.id AS id"
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
                "WHERE n.load IS NULL OR n.load <> $load REMOVE n.claim_source, n.claim_place, n.claim_aliases RETURN n.id AS id"
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
                f"MATCH (a:{NODE} {{id: start}})-[r]->(b:{NODE}) WHERE a.load IS NULL OR a.load <> $load "
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
        groups = _alone_groups(fresh)
        taken = self.claimed_elsewhere(name, fresh)
        alone = {key: record for key, record in fresh.items() if key not in taken}
        if taken:
            groups = _alone_groups(alone)
        sent = self.fire_alone_relations(name, groups)
        if meanwhile is not None:
            meanwhile()
        unlinked = self.check_alone_relations(name, sent, alone)
        keys = old_keys | (set(relations) - set(alone)) | self.pending_keys_touching(name, ids)
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
                    f"WHERE coalesce(r.role, '') = row[2] RETURN row, {_CARRIED}, {_REL_PROPERTIES_OF}",
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

    def fire_alone_relations(
        self, source: str, groups: Mapping[str, list[list[Any]]]
    ) -> list[tuple[str, list[list[Any]], int, Future]]:
        """Send the creation of the relationships in ``groups`` (from :func:`_alone_groups`),
        each carrying its one claim; return what was sent, for :meth:`check_alone_relations`."""
        sent = []
        for type_, starts in groups.items():
            query = (
                f"UNWIND $rows AS group MATCH (a:{NODE} {{id: group[0]}}) UNWIND group[1] AS row "
                f"MATCH (b:{NODE} {{id: row[0]}}) CREATE (a)-[r:{_relationship_type(type_)} "
                "{role: row[1], attrs: row[2], claim_source: $source, claim_place: row[3]}]->(b) "
                "SET r += row[4]"
            )
            size = 0
            chunk: list[list[Any]] = []
            for group in starts:
                chunk.append(group)
                size += len(group[1])
                if size >= CHUNK_SIZE:
                    sent.append((type_, chunk, size, self.fire(query, rows=chunk, source=source)))
                    chunk, size = [], 0
            if chunk:
                sent.append((type_, chunk, size, self.fire(query, rows=chunk, source=source)))
        return sent

    def check_alone_relations(
        self,
        source: str,
        sent: list[tuple[str, list[list[Any]], int, Future]],
        relations: Mapping[tuple[str, str, str, str], RelationRecord],
    ) -> list[tuple[str, str, str, str]]:
        """The keys of ``relations`` that :meth:`fire_alone_relations` left without a relationship
        (an end is missing); their claims are kept apart."""
        unlinked: list[tuple[str, str, str, str]] = []
        self.wait()
        for type_, groups, size, result in sent:
            if result.result().single()["rows"] == size:
                continue
            # Rare: some end is missing. Find which keys, from the ends' existence.
            ends = {group[0] for group in groups} | {row[0] for group in groups for row in group[1]}
            existing = self.existing_ids(ends)
            unlinked.extend(
                (group[0], type_, row[0], row[1] or "")
                for group in groups
                for row in group[1]
                if group[0] not in existing or row[0] not in existing
            )
        if unlinked:
            self.create_claims(source, (), [relations[key] for key in unlinked])
        return unlinked

    def check_ends(
        self, batch: Batch, nodes: Mapping[str, NodeRecord], unlinked: Sequence[tuple[str, str, str, str]]
    ) -> None:
        """Raise :class:`LoadError` if a relation of ``batch`` names a node that neither the
        batch nor the store had before this write (``unlinked``: the keys left without a relation)."""
        suspects = {end for key in unlinked for end in (key[0], key[2])} - set(nodes)
        missing = suspects - self.existing_ids(suspects) - self.removed
        if missing:
            ends = {end for record in batch.relations for end in (record.relation.source, record.relation.target)}
            check_batch_endpoints(batch, ends - missing)

    # -- re-deriving the graph

    def precedence(self) -> dict[str, tuple[bool, int]]:
        rows = self.run(f"MATCH (s:{SOURCE}) RETURN s.name AS name, s.authoritative AS authoritative, s.seq AS seq")
        return {row["name"]: (bool(row["authoritative"]), row["seq"]) for row in rows}

    def rebuild(
        self,
        source: str,
        node_ids: set[str],
        keys: set[tuple[str, str, str, str]],
        own_nodes: dict[str, NodeRecord] | None,
        own_relations: dict[tuple[str, str, str, str], RelationRecord] | None,
    ) -> None:
        """Re-derive the nodes ``node_ids``, the relations ``keys`` and those kept apart touching the nodes.

        ``own_nodes`` / ``own_relations`` are the claims ``source`` now makes when the
        caller holds them (they are then not read back); None reads them from the database.
        """
        order = self.precedence()
        ids = sorted(node_ids)
        for chunk in _chunks(ids):
            self._rebuild_nodes(list(chunk), source, own_nodes, order)
        keys = set(keys) | self.pending_keys_touching(source, ids)
        for chunk in _chunks(sorted(keys)):
            self._rebuild_relations(list(chunk), source, own_relations, order)

    def _rebuild_nodes(
        self, ids: list[str], source: str, own: dict[str, NodeRecord] | None, order: dict[str, tuple[bool, int]]
    ) -> None:
        self._write_nodes(ids, self._node_claims(ids, source, own, order), source, own, order)

    def _node_claims(
        self, ids: list[str], source: str, own: dict[str, NodeRecord] | None, order: dict[str, tuple[bool, int]]
    ) -> _StoredClaims:
        """The stored claims about nodes ``ids``, but those of ``source`` when ``own`` replaces them."""
        stored = _StoredClaims()
        excluded = own is not None
        claim_filter = "WHERE coalesce(c.source, '') <> $source " if excluded else ""
        carried_filter = "AND coalesce(c.claim_source, '') <> $source " if excluded else ""
        for row in self.run(
            f"UNWIND $ids AS id MATCH (c:{NODE_CLAIM} {{node_id: id}}) USING INDEX c:{NODE_CLAIM}(node_id) {claim_filter}"
            f"RETURN c.node_id AS id, c.source AS source, {_CLAIM_FIELDS.format(v='c')} "
            f"UNION UNWIND $ids AS id MATCH (c:{NODE} {{id: id}}) USING INDEX c:{NODE}(id) WHERE coalesce(c.claim_source, '') <> '' {carried_filter}"
            f"RETURN c.id AS id, c.claim_source AS source, {_CARRIED_CLAIM_FIELDS.format(v='c')}",
            ids=ids,
            source=source,
        ):
            aliases = _claim_aliases(row)
            attrs = _node_attrs(row)
            stored.claims[row["id"]].append((order[row["source"]], (row["kind"], row["name"], aliases, attrs)))
            if row["carried"]:
                node = Node(row["id"], row["kind"], row["name"], tuple(aliases), attrs)
                stored.carried[row["source"]].append(NodeRecord(node, row["place"]))
        return stored

    def _write_nodes(
        self,
        ids: list[str],
        stored: _StoredClaims,
        source: str,
        own: dict[str, NodeRecord] | None,
        order: dict[str, tuple[bool, int]],
    ) -> set[str]:
        """Derive the nodes ``ids`` from ``stored`` claims (and ``own``) and write them; return
        the ids of the nodes that carry their one claim, that of ``source`` (created, or
        written again by a reload of ``source``)."""
        claims = stored.claims
        if own is not None:
            for node_id in ids:
                record = own.get(node_id)
                if record is not None:
                    node = record.node
                    claims[node_id].append(
                        (order[source], (node.kind, node.name, list(node.aliases), dict(node.attrs)))
                    )
        by_kind: dict[tuple[str, bool], list[dict[str, Any]]] = defaultdict(list)
        names: list[dict[str, str]] = []
        gone = []
        carriers: set[str] = set()
        for node_id in ids:
            node_claims = sorted(claims.get(node_id, []), key=lambda c: c[0])
            node = fold_node_claims(node_id, [claim for _, claim in node_claims])
            if node is None:
                gone.append(node_id)
                continue
            sole = own is not None and node_id in own and len(node_claims) == 1
            new = sole and node_id in self.fresh_ids
            keys = list(dict.fromkeys(normalise(label) for label in (node.name, *node.aliases)))
            text, props = _as_properties(node.attrs, _NODE_PROPERTIES)
            if text is not None:
                props["attrs"] = text
            props.update(id=node.id, name=node.name, aliases=list(node.aliases), name_key=keys[0])
            if len(keys) > 1:
                props["alias_key"] = keys[1]
            if len(keys) > 2:
                props["names"] = keys
            if self.load_id is not None:
                props["load"] = self.load_id
            if sole:
                record = own[node_id]
                props.update(claim_source=source, claim_place=record.place)
                if list(record.node.aliases) != props["aliases"]:
                    props["claim_aliases"] = _dumps(list(record.node.aliases))
            by_kind[node.kind, new].append({"id": node.id, "props": props})
            names.extend({"key": key, "node_id": node.id} for key in keys[2:])
            if sole:
                carriers.add(node_id)
        created = {row["id"] for (_, new), rows in by_kind.items() if new for row in rows}
        self.created |= created
        # Rewritten nodes no longer carry a claim: it becomes a claim node like the others.
        for carrier, records in stored.carried.items():
            self.create_claims(carrier, records, ())
        stale = [node_id for node_id in ids if node_id not in created]
        if stale:
            # A node's NameKey nodes are found from its names (a node without names has none).
            self.fire(
                f"UNWIND $ids AS id MATCH (n:{NODE} {{id: id}}) UNWIND coalesce(n.names, []) AS key "
                f"MATCH (k:{NAME_KEY} {{key: key}}) USING INDEX k:{NAME_KEY}(key) WHERE k.node_id = id {self.delete('k', NAME_KEY)}",
                ids=stale,
            )
        if gone:
            # The claims their relationships carry are kept apart until both ends exist again.
            kept_apart = [
                [row["s"], row["t"], row["g"], row["role"], claim_source, attrs, place]
                for row in self.run(
                    f"UNWIND $ids AS id MATCH (:{NODE} {{id: id}})-[r]-() WITH DISTINCT r "
                    f"RETURN startNode(r).id AS s, type(r) AS t, endNode(r).id AS g, coalesce(r.role, '') AS role, {_CARRIED}, {_REL_PROPERTIES_OF}",
                    ids=gone,
                )
                for claim_source, place, attrs in _carried_claims(row)
            ]
            for chunk in _chunks(kept_apart):
                self.fire(
                    f"UNWIND $rows AS row CREATE (c:{RELATION_CLAIM}) SET c.rel_source = row[0], c.type = row[1], "
                    "c.rel_target = row[2], c.role = row[3], c.source = row[4], c.attrs = row[5], c.place = row[6]",
                    rows=chunk,
                )
            self.pending = True
            self.fire(f"UNWIND $ids AS id MATCH (:{NODE} {{id: id}})-[r]-() WITH DISTINCT r DELETE r", ids=gone)
            self.fire(f"UNWIND $ids AS id MATCH (n:{NODE} {{id: id}}) {self.delete('n', NODE, *KINDS)}", ids=gone)
        for (kind, new), rows in by_kind.items():
            if new:
                query = f"UNWIND $rows AS row CREATE (n:{NODE}:{_label(kind)}) SET n = row.props"
            else:
                others = "".join(f":{_label(other)}" for other in KINDS if other != kind)
                query = (
                    f"UNWIND $rows AS row MERGE (n:{NODE} {{id: row.id}}) SET n = row.props "
                    f"SET n:{_label(kind)} REMOVE n{others}"
                )
            self.fire(query, rows=rows)
        self.present |= {row["id"] for rows in by_kind.values() for row in rows}
        self.absent -= self.present
        self.absent |= set(gone)
        self.present -= set(gone)
        self.removed.update(gone)
        if names:
            self.fire(f"UNWIND $rows AS row CREATE (k:{NAME_KEY}) SET k = row", rows=names)
        return carriers

    def _rebuild_relations(
        self,
        keys: list[tuple[str, str, str, str]],
        source: str,
        own: dict[tuple[str, str, str, str], RelationRecord] | None,
        order: dict[str, tuple[bool, int]],
    ) -> list[tuple[str, str, str, str]]:
        """Re-derive the relations ``keys``; return those of ``own`` left out because an end is missing.

        A relation whose ends both exist carries all its claims on its relationship; the
        claims of one that cannot exist are kept apart, as :data:`RELATION_CLAIM` nodes.
        """
        wanted = set(keys)
        # key -> [(precedence, source, place, attrs JSON)]
        claims: dict[tuple, list[tuple[tuple[bool, int], str, str, str]]] = defaultdict(list)
        apart: set[tuple[str, str, str, str]] = set()
        if self.has_pending():
            condition = "WHERE coalesce(c.source, '') <> $source " if own is not None else ""
            for row in self.run(
                f"UNWIND $starts AS start MATCH (c:{RELATION_CLAIM} {{rel_source: start}}) USING INDEX c:{RELATION_CLAIM}(rel_source) {condition}"
                "RETURN c.rel_source AS s, c.type AS t, c.rel_target AS g, c.role AS r, c.source AS source, "
                "c.attrs AS attrs, c.place AS place",
                starts=sorted({key[0] for key in keys}),
                source=source,
            ):
                key = (row["s"], row["t"], row["g"], row["r"])
                if key in wanted:
                    claims[key].append((order[row["source"]], row["source"], row["place"], row["attrs"]))
                    apart.add(key)
        derived = self.relationship_claims(keys)
        for key, carried in derived.items():
            claims[key].extend(
                (order[claim_source], claim_source, place, attrs)
                for claim_source, place, attrs in carried
                if own is None or claim_source != source
            )
        if own is not None:
            for key in keys:
                record = own.get(key)
                if record is not None:
                    claims[key].append((order[source], source, record.place, _dumps(dict(record.relation.attrs))))
        existing = self.existing_ids({end for key in keys for end in (key[0], key[2])})
        rows_by_type: dict[tuple[str, bool], list[dict[str, Any]]] = defaultdict(list)
        gone: dict[str, list[dict[str, Any]]] = defaultdict(list)
        joined: list[list[str]] = []
        unlinked = []
        for key in keys:
            row: dict[str, Any] = {"s": key[0], "t": key[2], "role": key[3]}
            linked = key[0] in existing and key[2] in existing
            entries = sorted(claims.get(key, []), key=lambda claim: claim[0])
            if entries and linked:
                attrs = fold_relation_claims([json.loads(entry[3]) for entry in entries])
                text, props = _as_properties(attrs)
                if text is not None:
                    props["attrs"] = text
                if key[3]:
                    props["role"] = key[3]
                if len(entries) == 1:
                    props.update(claim_source=entries[0][1], claim_place=entries[0][2])
                else:
                    props.update(
                        claim_sources=[entry[1] for entry in entries],
                        claim_places=[entry[2] for entry in entries],
                        claim_attrs=[entry[3] for entry in entries],
                    )
                row["props"] = props
                rows_by_type[key[1], key in derived].append(row)
                if key in apart:
                    joined.append(list(key))
            elif key in derived:
                gone[key[1]].append(row)
            if not linked and own and key in own:
                unlinked.append(key)
        if joined:
            self.tx.run(
                f"UNWIND $keys AS key MATCH (c:{RELATION_CLAIM} {{rel_source: key[0]}}) USING INDEX c:{RELATION_CLAIM}(rel_source) "
                f"WHERE c.type = key[1] AND c.rel_target = key[2] AND c.role = key[3] {self.delete('c', RELATION_CLAIM)}",
                keys=joined,
            ).consume()
        for type_, rows in gone.items():
            self.tx.run(
                f"UNWIND $rows AS row MATCH (:{NODE} {{id: row.s}})-[r:{_relationship_type(type_)}]->(:{NODE} {{id: row.t}}) "
                "WHERE coalesce(r.role, '') = row.role DELETE r",
                rows=rows,
            ).consume()
        for (type_, exists), rows in rows_by_type.items():
            if exists:
                query = (
                    f"UNWIND $rows AS row MATCH (:{NODE} {{id: row.s}})-[r:{_relationship_type(type_)}]->(:{NODE} {{id: row.t}}) "
                    "WHERE coalesce(r.role, '') = row.role SET r = row.props"
                )
            else:
                query = (
                    f"UNWIND $rows AS row MATCH (a:{NODE} {{id: row.s}}) MATCH (b:{NODE} {{id: row.t}}) "
                    f"CREATE (a)-[r:{_relationship_type(type_)}]->(b) SET r = row.props"
                )
            self.tx.run(query, rows=rows).consume()
        if unlinked and own:
            self.create_claims(source, (), [own[key] for key in unlinked])
        return unlinked

    # -- streaming

    def stream(
        self, source: Source, records: Sequence[NodeRecord | RelationRecord], loaded: bool, fingerprint: bool
    ) -> _Streamed:
        """Write a short streamed source, held whole, as :meth:`replace` writes a batch: its nodes
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
        self.check_kinds(nodes.values())
        streamed = _Streamed()
        streamed.node_count, streamed.relation_count = len(batch.nodes), len(batch.relations)
        streamed.digest = batch_digest(batch) if fingerprint else ""
        unlinked = self.replace(source, streamed.digest, nodes, relations, keep_seq=False, known_new=not loaded)
        if unlinked:
            self.check_ends(batch, nodes, unlinked)
        return streamed


class _BatchedLoad:
    """A long streamed source written in transactions of at most ``batch_records`` records under
    a pending load, then published in one (see :meth:`Neo4jStore.write_stream`).

    A node nobody asserts yet is created in the batches, carrying the load's id, and so is a
    relationship it starts when its end exists and no other source claims it: every read leaves
    them out while the load is pending. What the source asserts about nodes that existed before
    (a reload, a node another source names too), a relation from such a node, a relation whose
    end comes later in the stream, and a record naming again a node or relation of this load,
    wait as staged claims, which no read looks at. Publishing folds the staged claims as a
    batch write would, replaces what the source asserted before, records the source and
    deletes the pending load, in one transaction.
    """

    def __init__(self, session: neo4j.Session, source: Source, load_id: int, batch_records: int, fingerprint: bool):
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
        """Note which of ``ids`` (none of them created by this load) are nodes, and their kinds."""
        unknown = [node_id for node_id in ids if node_id not in self.mine and node_id not in self.existing]
        for chunk in _chunks(unknown):
            for row in writer.run(
                f"UNWIND $ids AS id MATCH (n:{NODE} {{id: id}}) RETURN n.id AS id, {_KIND_OF.format(v='n')} AS kind",
                ids=list(chunk),
            ):
                self.existing[row["id"]] = sys.intern(row["kind"])

    def write_nodes(self, writer: _Writer, nodes: dict[str, NodeRecord]) -> None:
        self.learn(writer, nodes)
        new: dict[str, NodeRecord] = {}
        staged: list[NodeRecord] = []
        for node_id, record in nodes.items():
            kind = self.existing.get(node_id)
            if kind is not None and kind != record.node.kind:
                self.problems.append(
                    Problem(record.place, None, "kind", f"{node_id} is a {kind} in the store, not a {record.node.kind}")
                )
            if kind is not None or node_id in self.mine:
                staged.append(record)
            else:
                new[node_id] = record
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
        for chunk in _chunks(rows):
            writer.fire(
                f"UNWIND $rows AS row CREATE (c:{STAGED_NODE}) SET c.load = $load, c.node_id = row[0], c.kind = row[1], "
                "c.name = row[2], c.aliases = row[3], c.attrs = row[4], c.place = row[5], c.seq = row[6]",
                rows=chunk,
                load=self.load_id,
            )

    def write_relations(self, writer: _Writer, relations: dict[tuple[str, str, str, str], RelationRecord]) -> None:
        self.learn(writer, {key[2] for key in relations if key[0] in self.mine})
        alone: dict[tuple[str, str, str, str], RelationRecord] = {}
        rows = []
        for key, record in relations.items():
            start, _type, end, _role = key
            if (
                start in self.mine
                and (end in self.mine or end in self.existing)
                and key not in self.touching
                and hash(key) not in self.created_keys
            ):
                alone[key] = record
            else:
                self.staged += 1
                rows.append([*key, _dumps(dict(record.relation.attrs)), record.place, self.staged])
        if alone:
            sent = writer.fire_alone_relations(self.name, _alone_groups(alone))
            writer.wait()
            if sum(result.result().single()["rows"] for _type, _groups, _size, result in sent) != len(alone):
                raise StoreError(
                    "a batch of relationships of a pending load did not find its nodes; nothing was published"
                )
            for key in alone:
                self.created_keys.add(hash(key))
                self.mine[key[0]] = True
            self.created += len(alone)
        for chunk in _chunks(rows):
            writer.fire(
                f"UNWIND $rows AS row CREATE (c:{STAGED_RELATION}) SET c.load = $load, c.rel_source = row[0], c.type = row[1], "
                "c.rel_target = row[2], c.role = row[3], c.attrs = row[4], c.place = row[5], c.seq = row[6]",
                rows=chunk,
                load=self.load_id,
            )

    def publish(self, tx: neo4j.Transaction, digest: str) -> None:
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
            writer.tx.run(f"MATCH (p:{PENDING_LOAD} {{id: $load}}) DELETE p", load=self.load_id).consume()
