"""Writes of batches to the SQLite store: replacing a source's claims, unloading it, and
deriving again the nodes and relations a write touches."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence

from ...errors import LoadError
from ...model import Batch, NodeRecord, RelationRecord, name_key, normalise
from ..base import (
    WriteResult,
    batch_digest,
    check_batch_endpoints,
    check_unchanged,
    fold_node_claims,
    fold_relation_claims,
)
from ..shared import check_kinds, json_dict, json_list
from .schema import _KEY_COLUMNS, _RELATIONS_OF, _SOURCE_NODE_CLAIMS, _SOURCE_RELATION_CLAIMS

__all__ = ["WriteMixin"]


class WriteMixin:
    """Writes of whole batches, each in one transaction, and the rebuild from their claims of
    the nodes and relations a write touches."""

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

    def _check_kinds(self, batch: Batch) -> None:
        self._fill_temp("batch_ids", ((record.node.id,) for record in batch.nodes))
        check_kinds(
            batch.nodes, dict(self._db.execute("SELECT n.id, n.kind FROM nodes n JOIN batch_ids b ON b.id = n.id"))
        )

    def _existing_ids(self, ids: set[str]) -> set[str]:
        self._fill_temp("batch_ids", ((node_id,) for node_id in ids))
        return {row[0] for row in self._db.execute("SELECT n.id FROM nodes n JOIN batch_ids b ON b.id = n.id")}

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
        (a merge may rewrite a register source to change a few of its claims).
        ``reordered``: the source's precedence changed (its place in the load order,
        or its authority), so every node and relation it shares with another source
        is folded again too.
        """
        db = self._db
        wanted_nodes = {
            r.node.id: (r.node.kind, r.node.name, json_list(r.node.aliases), json_dict(r.node.attrs), r.place)
            for r in nodes
        }
        held_nodes = {row[0]: row[1:] for row in db.execute(_SOURCE_NODE_CLAIMS, (source,))}
        wanted_relations = {r.relation.key: (json_dict(r.relation.attrs), r.place) for r in relations}
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
        """Move the claims the rows of the nodes listed in a temporary id table carry to ``node_claims``."""
        self._db.execute(
            "INSERT INTO node_claims(node_id, source, kind, name, aliases, attrs, place) "
            f"SELECT id, sole, kind, name, aliases, attrs, place FROM nodes WHERE id IN (SELECT id FROM {id_table}) AND sole IS NOT NULL"
        )
        self._db.execute(
            f"UPDATE nodes SET sole = NULL, place = NULL WHERE id IN (SELECT id FROM {id_table}) AND sole IS NOT NULL"
        )

    def _expand_relations(self, key_table: str) -> None:
        """Move the claims the rows of the relations listed in a temporary key table carry to ``relation_claims``."""
        rows = f"(source, type, target, role) IN (SELECT s, t, g, r FROM {key_table}) AND sole IS NOT NULL"
        self._db.execute(
            "INSERT INTO relation_claims(rel_source, type, rel_target, role, source, attrs, place) "
            f"SELECT source, type, target, role, sole, attrs, place FROM relations WHERE {rows}"
        )
        self._db.execute(f"UPDATE relations SET sole = NULL, place = NULL WHERE {rows}")

    def _rebuild_nodes(self, node_ids: set[str]) -> None:
        """Derive the nodes ``node_ids`` from their claims again; a node that is
        exactly its sole claim carries it in its row."""
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
        carried_by_rows = []
        for node_id, node_claims in claims.items():
            node = fold_node_claims(node_id, [claim[3] for claim in node_claims])
            aliases = json_list(node.aliases)
            row = [node.id, node.kind, node.name, aliases, json_dict(node.attrs), None, None]
            if len(node_claims) == 1 and node_claims[0][2] == aliases:
                row[5:] = node_claims[0][:2]
                carried_by_rows.append((node_id, row[5]))
            rows.append(row)
        db.executemany(
            "INSERT INTO nodes(id, kind, name, aliases, attrs, sole, place) VALUES (?, ?, ?, ?, ?, ?, ?)", rows
        )
        db.executemany("DELETE FROM node_claims WHERE node_id = ? AND source = ?", carried_by_rows)
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
        a relation that is exactly its sole claim carries it in its row."""
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
                    (*key, json_dict(fold_relation_claims([json.loads(c[2]) for c in relation_claims])), None, None)
                )
        db.executemany(
            "INSERT INTO relations(source, type, target, role, attrs, sole, place) VALUES (?, ?, ?, ?, ?, ?, ?)", rows
        )
        db.executemany(
            "DELETE FROM relation_claims WHERE rel_source = ? AND type = ? AND rel_target = ? AND role = ? AND source = ?",
            ((*row[:4], row[5]) for row in rows if row[5] is not None),
        )
