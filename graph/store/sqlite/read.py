"""Reads of the SQLite store: nodes, relations, claims, sources, documents, graphs."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ...model import Batch, Node, NodeRecord, Relation, RelationRecord, Source, normalise
from ..base import (
    GraphArrays,
    NodeClaim,
    RelationClaim,
    SourceSummary,
)
from ..shared import collector_paused, json_dict, loads_dict, loads_list
from .schema import _SOURCE_NODE_CLAIMS, _SOURCE_RELATION_CLAIMS

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["ReadMixin"]


class ReadMixin:
    """Reads of the derived graph, the claims, the sources and the documents."""

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

    def get_many(self, node_ids: Iterable[str]) -> dict[str, Node]:
        rows = self._db.execute(
            "SELECT id, kind, name, aliases, attrs FROM nodes WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(node_ids)),),
        )
        return {row[0]: self._node(row) for row in rows}

    def existing_ids(self, node_ids: Iterable[str]) -> set[str]:
        """Which of ``node_ids`` are nodes of the store, asked in one statement (``get``
        for each would decode every node found)."""
        rows = self._db.execute(
            "SELECT id FROM nodes WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(list(node_ids)),)
        )
        return {row[0] for row in rows}

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

    def source_digests(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT name, digest FROM sources"))

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
            node = Node(node_id, kind, node_name, loads_list(aliases), loads_dict(attrs))
            batch.nodes.append(NodeRecord(node, place))
        for rs, type_, rt, role, attrs, place in self._db.execute(
            _SOURCE_RELATION_CLAIMS + " ORDER BY 1, 2, 3, 4", (name,)
        ):
            batch.relations.append(RelationRecord(Relation(rs, type_, rt, role, loads_dict(attrs)), place))
        return batch

    def put_document(self, collection: str, key: str, value) -> None:
        self._db.execute(
            "INSERT INTO documents(collection, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT(collection, key) DO UPDATE SET value = excluded.value",
            (collection, key, json_dict(value)),
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
        # The graph is dictionaries of dictionaries, several per node, none in a reference cycle.
        with collector_paused():
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
        return graph

    def graph_arrays(self) -> GraphArrays:
        """The whole graph as :class:`~maillage.graph.store.base.GraphArrays`: what ``to_networkx``
        reads, without its dictionaries (a national register's graph in a fraction of the memory)."""
        from ..arrays import ArraysBuilder

        built = ArraysBuilder()
        with collector_paused():
            rows = self._db.execute("SELECT id, kind, name FROM nodes ORDER BY id")
            while chunk := rows.fetchmany(_GRAPH_CHUNK):
                built.add_nodes(*zip(*chunk))
            rows = self._db.execute(
                "SELECT source, target, type, CASE WHEN instr(attrs, '\"weight\"') "
                "THEN coalesce(json_extract(attrs, '$.weight'), 1) ELSE 1 END FROM relations"
            )
            while chunk := rows.fetchmany(_GRAPH_CHUNK):
                built.add_relations(*zip(*chunk))
            return built.arrays()

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
    order), its dictionaries filled directly: quicker than ``add_node`` for a graph as
    large as a national register."""
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
