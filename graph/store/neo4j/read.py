"""Reads of the Neo4j store: nodes, relations, claims, sources, documents, graphs."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import networkx as nx

from ...errors import StoreError
from ...model import KINDS, Batch, Node, NodeRecord, Relation, RelationRecord, Source, normalise
from ..base import (
    NodeClaim,
    RelationClaim,
    SourceSummary,
    build_networkx,
)
from .connection import Transaction
from .schema import (
    _ATTRS_OF,
    _CARRIED,
    _CARRIED_CLAIM_FIELDS,
    _CLAIM_FIELDS,
    _KIND_OF,
    _LOCK,
    _REL_PROPERTIES_OF,
    _VISIBLE_ENDS,
    DOCUMENT,
    META,
    NAME_KEY,
    NODE,
    NODE_CLAIM,
    PENDING_LOAD,
    RELATION_CLAIM,
    SCHEMA_VERSION,
    SOURCE,
    _chunks,
    _claim_aliases,
    _dumps,
    _label,
    _node_attrs,
    _relation_attrs,
    _visible,
)

__all__ = ["ReadMixin"]


#: Reads of one answer before :meth:`ReadMixin._read_between_publications` gives up.
_READ_ATTEMPTS = 10

_Answer = TypeVar("_Answer")

_PUBLICATIONS = f"MATCH (p:{PENDING_LOAD}) RETURN p.id AS id, p.published AS published ORDER BY id"


def _present(rows: Iterable[Mapping[str, Any]], key: str) -> Iterator[Mapping[str, Any]]:
    """The rows whose ``key`` is set. A node that a load's clean-up deletes while a long read
    streams can still be matched, with every property null (reads are read committed): it was a
    hidden form, and is left out."""
    return (row for row in rows if row[key] is not None)


class ReadMixin:
    """Reads of the derived graph, the claims, the sources and the documents."""

    def _read_between_publications(self, query: str, **params: Any) -> list:
        """The rows of ``query``, read again if a load published or finished while it ran. Reads
        are read committed: one query can meet some rows before a publication and others after
        it (a claim and its ``Source``, one node's old form and another's new one). Each
        publication changes the pending loads, so reading them before and after tells whether
        the rows may mix. Each publication is one short transaction: a read that loads keep
        overtaking :data:`_READ_ATTEMPTS` times in a row stops with :class:`StoreError`."""
        return self._between_publications(lambda: self._read(query, **params))

    def _between_publications(self, read: Callable[[], _Answer]) -> _Answer:
        """What ``read()`` gives, called again if a load published or finished while it ran (see
        :meth:`_read_between_publications`), :data:`_READ_ATTEMPTS` times at most."""
        for _ in range(_READ_ATTEMPTS):
            pending = self._read(_PUBLICATIONS)
            answer = read()
            if self._read(_PUBLICATIONS) == pending:
                return answer
        raise StoreError(
            f"loads were published on {self.location} while this was read, {_READ_ATTEMPTS} times in a row: "
            "read again once they end"
        )

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
        rows = list(_present(rows, "id"))
        return self._node(rows[0]) if rows else None

    def get_many(self, node_ids: Iterable[str]) -> dict[str, Node]:
        found: dict[str, Node] = {}
        for chunk in _chunks(sorted(set(node_ids))):
            rows = self._read(
                f"UNWIND $ids AS id MATCH (n:{NODE} {{id: id}}) WHERE {_visible('n')} RETURN {self._NODE_FIELDS}",
                ids=list(chunk),
            )
            found.update((row["id"], self._node(row)) for row in _present(rows, "id"))
        return found

    def existing_ids(self, node_ids: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(sorted(set(node_ids))):
            rows = self._read(
                f"UNWIND $ids AS id MATCH (n:{NODE} {{id: id}}) WHERE {_visible('n')} RETURN n.id AS id",
                ids=list(chunk),
            )
            found.update(row["id"] for row in _present(rows, "id"))
        return found

    def find(self, reference: str) -> list[Node]:
        exact = self.get(reference.strip())
        if exact:
            return [exact]
        rows = self._read(
            f"MATCH (n:{NODE} {{name_key: $key}}) USING INDEX n:{NODE}(name_key) WHERE {_visible('n')} RETURN {self._NODE_FIELDS} "
            # On a node written before schema 4 (it keeps its kind as a property) ``alias_key`` is an attribute.
            f"UNION MATCH (n:{NODE} {{alias_key: $key}}) USING INDEX n:{NODE}(alias_key) WHERE n.kind IS NULL AND {_visible('n')} RETURN {self._NODE_FIELDS} "
            f"UNION MATCH (k:{NAME_KEY} {{key: $key}}) USING INDEX k:{NAME_KEY}(key) WHERE {_visible('k')} "
            f"MATCH (n:{NODE} {{id: k.node_id}}) WHERE {_visible('n')} "
            f"RETURN {self._NODE_FIELDS}",
            key=normalise(reference),
        )
        return sorted((self._node(row) for row in _present(rows, "id")), key=lambda node: node.id)

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
        rows = self._read_between_publications(f"MATCH (n:{NODE}{label}){where} RETURN {self._NODE_FIELDS}", **params)
        return sorted((self._node(row) for row in _present(rows, "id")), key=lambda node: node.id)

    def relations(self, node_id: str | None = None) -> list[Relation]:
        if node_id is None:
            rows = self._read_between_publications(
                f"MATCH (a:{NODE})-[r]->(b:{NODE}) WHERE {_VISIBLE_ENDS} RETURN {self._RELATION_FIELDS}"
            )
        else:
            rows = self._read_between_publications(
                f"MATCH (a:{NODE} {{id: $id}})-[r]->(b:{NODE}) WHERE {_VISIBLE_ENDS} RETURN {self._RELATION_FIELDS} "
                f"UNION MATCH (a:{NODE})-[r]->(b:{NODE} {{id: $id}}) WHERE {_VISIBLE_ENDS} RETURN {self._RELATION_FIELDS}",
                id=node_id,
            )
        return sorted(
            (self._relation(row) for row in _present(_present(rows, "source"), "target")),
            key=lambda relation: relation.key,
        )

    def node_claims(self, node_id: str) -> list[NodeClaim]:
        who = "s.contributor AS contributor, s.at AS at, s.seq AS seq"
        rows = self._read_between_publications(
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
        rows = self._read_between_publications(
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

    def source_digests(self) -> dict[str, str]:
        return {
            row["name"]: row["digest"]
            for row in self._read(f"MATCH (s:{SOURCE}) RETURN s.name AS name, s.digest AS digest")
        }

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

        def work(tx: Transaction) -> None:
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
        def work(tx: Transaction) -> None:
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
                    f"UNWIND $ids AS id MATCH (n:{NODE} {{id: id}})--(m:{NODE}) WHERE {_visible('n')} AND {_visible('m')} "
                    "RETURN DISTINCT m.id AS id",
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
        nodes = sorted(
            (self._node(row) for row in _present(self._stream(node_query, **params), "id")), key=lambda node: node.id
        )
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
