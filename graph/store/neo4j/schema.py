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
  asserted about a node (``aliases`` and ``attrs`` as JSON text), but for a node whose sole
  claim its source last wrote: that node carries its claim, as ``claim_source``,
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
* ``(:PendingLoad {id, source, published})``, ``(:StagedNodeClaim {load, node_id, ...})``,
  ``(:StagedRelationClaim {load, rel_source, ...})``, the ``load`` property of the nodes (and
  name keys) it created and the ``retired`` property of those it replaces or removes: a long
  streamed source, or a large unload, while it is written in several transactions (see
  :class:`~.stream.BatchedLoad`). Until the load is published, every read leaves out its
  nodes and keeps its retired ones; from the one small transaction that publishes it, the
  reverse. A node the load rewrites therefore exists twice meanwhile (its old form retired,
  its new one carrying the load), which is why node ids have an index and not a uniqueness
  constraint; the store lock keeps writers from making any other duplicate. A relationship is
  seen when both its ends are, and no read looks at staged claims.

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
constraints on source names, documents and the lock, and the index on node ids, are created
by :meth:`Neo4jStore.init` and checked before every first write of a connection. Lookups on the non-unique
indexes (claims by node, start, end or source; name keys) carry ``USING INDEX`` so that
they stay index seeks whatever the planner's statistics say after a wipe or a large load,
and a condition on the indexed ``source`` or ``claim_source`` of rows found that way is
written ``coalesce(c.source, '') <> $source``: as ``c.source <> $source`` the planner may
also read it from that index, a scan of it per row.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ...errors import StoreError
from ...model import KINDS, RELATION_TYPES
from ..shared import encode_json
from .connection import CHUNK_SIZE, ClientError, Session, Transaction

__all__ = ["SCHEMA_VERSION", "SchemaMixin"]

#: The version of what the database holds; :func:`_migrate` brings an older one to it.
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
# in proportion to how many.
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
    # the marks of a pending load (see PENDING_LOAD), not attributes
    "load",
    "retired",
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
    "maillage_source_name": f"FOR (s:{SOURCE}) REQUIRE s.name IS UNIQUE",
    "maillage_document_address": f"FOR (d:{DOCUMENT}) REQUIRE d.address IS UNIQUE",
    "maillage_store_key": f"FOR (m:{META}) REQUIRE m.key IS UNIQUE",
}
_INDEXES = {
    "maillage_node_ids": f"FOR (n:{NODE}) ON (n.id)",
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
    "maillage_node_retired": f"FOR (n:{NODE}) ON (n.retired)",
    "maillage_staged_node_load": f"FOR (c:{STAGED_NODE}) ON (c.load)",
    "maillage_staged_relation_load": f"FOR (c:{STAGED_RELATION}) ON (c.load)",
    "maillage_pending_load": f"FOR (p:{PENDING_LOAD}) ON (p.id)",
}

_LOCK = f"MERGE (m:{META} {{key: 'store'}}) ON CREATE SET m.schema_version = $version SET m.writes = coalesce(m.writes, 0) + 1"


# json.dumps builds an encoder per call and a load encodes two values per fact: make


def _visible(variable: str) -> str:
    """The condition that node (or name key) ``variable`` is in the published graph: not one an
    unpublished load created, nor one a published load retired. It is checked for each node as it
    is read: a long read that a load's batch or publication overtakes still sees that load's
    nodes or their old forms, never both."""
    unpublished = f"MATCH (p:{PENDING_LOAD} {{{{id: {variable}.{{mark}}}}}}) WHERE p.published IS NULL"
    return (
        f"(({variable}.load IS NULL OR NOT EXISTS {{ {unpublished.format(mark='load')} }}) "
        f"AND ({variable}.retired IS NULL OR EXISTS {{ {unpublished.format(mark='retired')} }}))"
    )


def _current(variable: str) -> str:
    """For a writer: the condition that node ``variable`` is not the old form of a node that the
    running load rewrites or removes (no other writer ever sees one)."""
    return f"{variable}.retired IS NULL"


# A relationship ``(a)-[r]->(b)`` is visible when both its ends are.
_VISIBLE_ENDS = f"{_visible('a')} AND {_visible('b')}"


def _dumps(value: Any) -> str:
    """The JSON text the store keeps: sorted keys, no spaces, non-ASCII as is."""
    if not value:
        return "[]" if isinstance(value, (list, tuple)) else "{}" if isinstance(value, Mapping) else encode_json(value)
    return encode_json(value)


def _from_closed_list(name: str, known: Sequence[str], used_as: str, known_as: str) -> str:
    """``name``, to be put into query text as a ``used_as``: only a name of the closed list ``known``."""
    if name not in known:
        raise StoreError(f"refusing to use {name!r} as a Neo4j {used_as}: not a known {known_as}")
    return name


def _label(kind: str) -> str:
    """A node kind as a label."""
    return _from_closed_list(kind, KINDS, "label", "kind")


def _relationship_type(type_: str) -> str:
    """A relation type as a relationship type."""
    return _from_closed_list(type_, RELATION_TYPES, "relationship type", "relation type")


def _is_property_value(value: Any) -> bool:
    """True when Neo4j can keep ``value`` as a property as it is."""
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    if isinstance(value, (str, float)):
        return True
    return isinstance(value, list) and bool(value) and all(isinstance(item, str) for item in value)


def _chunks(items: Sequence, size: int = CHUNK_SIZE) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SchemaMixin:
    """The constraints, indexes and version of the database, and clearing it."""

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

    # ------------------------------------------------------------------ schema

    def init(self) -> None:
        with self._errors(), self._session(write=True) as session:
            # Node ids were unique by constraint before a load could keep a node's old form
            # beside its new one; the index that replaces it serves the same lookups.
            session.run("DROP CONSTRAINT maillage_node_id IF EXISTS").consume()
            for name, body in {**_CONSTRAINTS, **_INDEXES}.items():
                statement = "CONSTRAINT" if name in _CONSTRAINTS else "INDEX"
                try:
                    session.run(f"CREATE {statement} {name} IF NOT EXISTS {body}").consume()
                except ClientError as error:
                    # Another process created it between our check and our statement.
                    if "EquivalentSchemaRule" not in (error.code or "") and "AlreadyExists" not in (error.code or ""):
                        raise
            # Indexes an older schema had and no query reads: name keys are found from the node's
            # names, and a node's kind is its label, which Neo4j indexes anyway.
            session.run("DROP INDEX maillage_name_node IF EXISTS").consume()
            session.run("DROP INDEX maillage_node_kind IF EXISTS").consume()
            session.run("CALL db.awaitIndexes(300)").consume()
            _finish_import(session)
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


def _finish_import(session: Session) -> None:
    """Give a database made by a bulk import (:mod:`.bulk`) the empty lists its CSV files could
    not carry, once."""
    meta = session.run(f"MATCH (m:{META} {{key: 'store'}}) WHERE m.imported RETURN m.key AS key").single()
    if meta is None:
        return
    session.run(
        f"MATCH (n:{NODE}) WHERE n.aliases IS NULL CALL {{ WITH n SET n.aliases = [] }} IN TRANSACTIONS OF 20000 ROWS"
    ).consume()
    session.run(f"MATCH (s:{SOURCE}) WHERE s.relation_starts IS NULL SET s.relation_starts = []").consume()
    session.run(f"MATCH (m:{META} {{key: 'store'}}) REMOVE m.imported").consume()


def _migrate(tx: Transaction) -> None:
    """Bring a database written by an older maillage to :data:`SCHEMA_VERSION`, in one transaction."""
    # The writer is built on this module's names: imported when a migration runs.
    from .write import _Writer

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


def _as_properties(
    attrs: Mapping[str, Any], reserved: Sequence[str] = _RELATION_PROPERTIES
) -> tuple[str | None, dict[str, Any]]:
    """Attributes kept as properties, and their JSON text when some cannot be (else None): a
    value Neo4j cannot keep as it is, or a name in ``reserved``. :func:`_attributes` reads them back."""
    properties = {a: v for a, v in attrs.items() if a not in reserved and _is_property_value(v)}
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
