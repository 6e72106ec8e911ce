"""Deriving nodes and relations from their claims again, in a Neo4j write."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from typing import Any

from ...model import KINDS, Batch, Node, NodeRecord, RelationRecord, name_key
from ..base import (
    check_batch_endpoints,
    fold_node_claims,
    fold_relation_claims,
)
from .connection import CHUNK_SIZE
from .schema import (
    _CARRIED,
    _CARRIED_CLAIM_FIELDS,
    _CLAIM_FIELDS,
    _NODE_PROPERTIES,
    _REL_PROPERTIES_OF,
    NAME_KEY,
    NODE,
    NODE_CLAIM,
    RELATION_CLAIM,
    SOURCE,
    _as_properties,
    _carried_claims,
    _chunks,
    _claim_aliases,
    _current,
    _dumps,
    _label,
    _node_attrs,
    _relationship_type,
)

__all__: list[str] = []


class _StoredClaims:
    """The stored claims about some nodes, by node id: ``(precedence, (kind, name, aliases, attrs))``;
    and, by source, those their nodes carry (a rewritten node carries none)."""

    def __init__(self) -> None:
        self.claims: dict[str, list[tuple[tuple[bool, int], tuple]]] = defaultdict(list)
        self.carried: dict[str, list[NodeRecord]] = defaultdict(list)


def _sole_claim_groups(relations: Mapping[tuple[str, str, str, str], RelationRecord]) -> dict[str, list[list[Any]]]:
    """Rows for :meth:`_Writer.fire_sole_relations`: by type, ``[start, [[end, role, attrs JSON,
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


class _RebuildSteps:
    """The steps of :class:`~.write._Writer` that fold stored claims into nodes and relations."""

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
        # A node this transaction knows to be absent has no claim to read: every claim has its node.
        ids = [node_id for node_id in ids if node_id not in self.absent]
        if not ids:
            return stored
        excluded = own is not None
        claim_filter = "WHERE coalesce(c.source, '') <> $source " if excluded else ""
        carried_filter = "AND coalesce(c.claim_source, '') <> $source " if excluded else ""
        for row in self.run(
            f"UNWIND $ids AS id MATCH (c:{NODE_CLAIM} {{node_id: id}}) USING INDEX c:{NODE_CLAIM}(node_id) {claim_filter}"
            f"RETURN c.node_id AS id, c.source AS source, {_CLAIM_FIELDS.format(v='c')} "
            f"UNION UNWIND $ids AS id MATCH (c:{NODE} {{id: id}}) USING INDEX c:{NODE}(id) WHERE coalesce(c.claim_source, '') <> '' AND {_current('c')} {carried_filter}"
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
            keys = list(dict.fromkeys(name_key(label) for label in (node.name, *node.aliases)))
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
            names.extend(
                {"key": key, "node_id": node.id}
                if self.load_id is None
                else {"key": key, "node_id": node.id, "load": self.load_id}
                for key in keys[2:]
            )
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
                f"UNWIND $ids AS id MATCH (n:{NODE} {{id: id}}) WHERE {_current('n')} UNWIND coalesce(n.names, []) AS key "
                f"MATCH (k:{NAME_KEY} {{key: key}}) USING INDEX k:{NAME_KEY}(key) WHERE k.node_id = id AND {_current('k')} "
                f"{self.delete('k', NAME_KEY)}",
                ids=stale,
            )
        if gone:
            # The claims their relationships carry are kept apart until both ends exist again.
            kept_apart = [
                [row["s"], row["t"], row["g"], row["role"], claim_source, attrs, place]
                for row in self.run(
                    f"UNWIND $ids AS id MATCH (n:{NODE} {{id: id}})-[r]-() WHERE {_current('n')} WITH DISTINCT r "
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
            self.fire(
                f"UNWIND $ids AS id MATCH (n:{NODE} {{id: id}})-[r]-() WHERE {_current('n')} WITH DISTINCT r DELETE r",
                ids=gone,
            )
            self.fire(
                f"UNWIND $ids AS id MATCH (n:{NODE} {{id: id}}) WHERE {_current('n')} {self.delete('n', NODE, *KINDS)}",
                ids=gone,
            )
        for (kind, new), rows in by_kind.items():
            if new:
                query = f"UNWIND $rows AS row CREATE (n:{NODE}:{_label(kind)}) SET n = row.props"
            else:
                others = "".join(f":{_label(other)}" for other in KINDS if other != kind)
                query = (
                    f"UNWIND $rows AS row MERGE (n:{NODE} {{id: row.id}}) WITH row, n WHERE {_current('n')} SET n = row.props "
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
                f"UNWIND $rows AS row MATCH (a:{NODE} {{id: row.s}})-[r:{_relationship_type(type_)}]->(b:{NODE} {{id: row.t}}) "
                f"WHERE coalesce(r.role, '') = row.role AND {_current('a')} AND {_current('b')} DELETE r",
                rows=rows,
            ).consume()
        for (type_, exists), rows in rows_by_type.items():
            if exists:
                query = (
                    f"UNWIND $rows AS row MATCH (a:{NODE} {{id: row.s}})-[r:{_relationship_type(type_)}]->(b:{NODE} {{id: row.t}}) "
                    f"WHERE coalesce(r.role, '') = row.role AND {_current('a')} AND {_current('b')} SET r = row.props"
                )
            else:
                query = (
                    f"UNWIND $rows AS row MATCH (a:{NODE} {{id: row.s}}) WHERE {_current('a')} MATCH (b:{NODE} {{id: row.t}}) "
                    f"WHERE {_current('b')} CREATE (a)-[r:{_relationship_type(type_)}]->(b) SET r = row.props"
                )
            self.tx.run(query, rows=rows).consume()
        if unlinked and own:
            self.create_claims(source, (), [own[key] for key in unlinked])
        return unlinked

    def fire_sole_relations(
        self, source: str, groups: Mapping[str, list[list[Any]]]
    ) -> list[tuple[str, list[list[Any]], int, Future]]:
        """Send the creation of the relationships in ``groups`` (from :func:`_sole_claim_groups`),
        each carrying its one claim; return what was sent, for :meth:`check_sole_relations`."""
        sent = []
        for type_, starts in groups.items():
            query = (
                f"UNWIND $rows AS group MATCH (a:{NODE} {{id: group[0]}}) WHERE {_current('a')} UNWIND group[1] AS row "
                f"MATCH (b:{NODE} {{id: row[0]}}) WHERE {_current('b')} CREATE (a)-[r:{_relationship_type(type_)} "
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

    def check_sole_relations(
        self,
        source: str,
        sent: list[tuple[str, list[list[Any]], int, Future]],
        relations: Mapping[tuple[str, str, str, str], RelationRecord],
    ) -> list[tuple[str, str, str, str]]:
        """The keys of ``relations`` that :meth:`fire_sole_relations` left without a relationship
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
