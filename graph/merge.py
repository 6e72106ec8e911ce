"""Merging duplicate nodes without losing anything, and undoing a merge.

Merging B into A rewrites, for every source that says something about B, what
that source asserts: its claim about B becomes a claim about A (B's name and
aliases become aliases of A), its relations to or from B are re-pointed to A,
and a relation the source now asserts twice is kept once, attributes folded.
All rewritten sources are replaced in one transaction, each keeping its place in
the load order, so the precedence between sources does not change.

The merge is recorded as a document (collection ``merges``): who, when, which
nodes, and what every rewritten source asserted about those nodes before (its
other claims are left as they were), so :func:`unmerge` puts those sources back
exactly. A redirect B → A (collection ``redirects``)
makes a later load of a file that still names B land on A
(:func:`apply_redirects`, called by ``maillage load`` before writing).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import UsageError
from .export import batch_from_dict, batch_to_dict
from .history import record_event
from .model import (
    Batch,
    Node,
    NodeRecord,
    Relation,
    RelationRecord,
    Source,
    aliases_of,
    identity_clash,
    normalise,
    now_iso,
    slugify,
)
from .store.base import GraphStore, batch_digest

__all__ = [
    "MERGES",
    "REDIRECTS",
    "MergeResult",
    "RedirectAwareLookup",
    "UnmergeResult",
    "apply_redirects",
    "canonical_digest",
    "find_merge",
    "merge",
    "merged_into",
    "redirect_aware_lookup",
    "redirect_records",
    "redirects",
    "repoint_batch",
    "unmerge",
]

MERGES = "merges"
REDIRECTS = "redirects"
PLACE_SEPARATOR = " + "


@dataclass(frozen=True)
class MergeResult:
    """What a merge did: its id, the node kept, the nodes merged into it, the sources rewritten."""

    id: str
    into: str
    merged: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class UnmergeResult:
    """What an unmerge did: the sources put back, and those left alone with the reason."""

    id: str
    into: str
    merged: tuple[str, ...]
    restored: tuple[str, ...]
    skipped: dict[str, str] = field(default_factory=dict)


def repoint_batch(batch: Batch, mapping: Mapping[str, str], names: Mapping[str, str] | None = None) -> Batch:
    """The batch with every node id in ``mapping`` replaced by its target.

    A claim about a re-pointed node folds into the batch's own claim about the
    target when there is one (the target's name and attributes win; the other
    names become aliases), else becomes a claim about the target named
    ``names[target]`` (or its own name when the target's is unknown). Relations
    are re-pointed; one that the rewrite turns into a loop is dropped, and two
    that become the same are kept once, attributes folded, places joined.

    >>> from maillage.graph.model import Source
    >>> batch = Batch(Source("s", "workbook", "ana"),
    ...     [NodeRecord(Node("collectivite:cg93", "Collectivite", "CG93"), "a.csv:2"),
    ...      NodeRecord(Node("collectivite:dep-93", "Collectivite", "Seine-Saint-Denis"), "a.csv:3")])
    >>> out = repoint_batch(batch, {"collectivite:cg93": "collectivite:dep-93"})
    >>> [(r.node.id, r.node.name, r.node.aliases, r.place) for r in out.nodes]
    [('collectivite:dep-93', 'Seine-Saint-Denis', ('CG93',), 'a.csv:3 + a.csv:2')]
    """
    names = names or {}
    own: dict[str, NodeRecord] = {}
    moved: dict[str, list[NodeRecord]] = {}
    order: list[str] = []
    for record in batch.nodes:
        target = mapping.get(record.node.id, record.node.id)
        if target not in own and target not in moved:
            order.append(target)
        if target == record.node.id:
            own[target] = record
        else:
            moved.setdefault(target, []).append(record)
    nodes = []
    for target in order:
        others = moved.get(target, [])
        primary = own.get(target)
        if not others:
            nodes.append(primary)
            continue
        attrs: dict[str, Any] = {}
        labels: list[str] = []
        for record in others:
            attrs.update(record.node.attrs)
            labels.extend((record.node.name, *record.node.aliases))
        places = [record.place for record in others]
        if primary is not None:
            attrs.update(primary.node.attrs)
            name, kind = primary.node.name, primary.node.kind
            labels = [*primary.node.aliases, *labels]
            places.insert(0, primary.place)
        else:
            name, kind = names.get(target, others[0].node.name), others[0].node.kind
        node = Node(target, kind, name, aliases_of(name, labels), attrs)
        nodes.append(NodeRecord(node, PLACE_SEPARATOR.join(places)))
    relations: dict[tuple, tuple[Relation, list[str], bool]] = {}
    for record in batch.relations:
        relation = record.relation
        source = mapping.get(relation.source, relation.source)
        target = mapping.get(relation.target, relation.target)
        untouched = (source, target) == (relation.source, relation.target)
        if source == target and not untouched:
            continue
        moved_relation = Relation(source, relation.type, target, relation.role, dict(relation.attrs))
        key = moved_relation.key
        if key not in relations:
            relations[key] = (moved_relation, [record.place], untouched)
            continue
        kept, places, kept_untouched = relations[key]
        if untouched and not kept_untouched:
            attrs = {**kept.attrs, **relation.attrs}
            places = [record.place, *places]
        else:
            attrs = {**relation.attrs, **kept.attrs}
            places = [*places, record.place]
        relations[key] = (Relation(*key, attrs), places, untouched or kept_untouched)
    relation_records = [
        RelationRecord(relation, PLACE_SEPARATOR.join(places)) for relation, places, _ in relations.values()
    ]
    return Batch(batch.source, nodes, relation_records)


def canonical_digest(batch: Batch) -> str:
    """A fingerprint of a batch's content that does not depend on the order of its records."""
    ordered = Batch(
        batch.source,
        sorted(batch.nodes, key=lambda r: r.node.id),
        sorted(batch.relations, key=lambda r: r.relation.key),
    )
    return batch_digest(ordered)


def _load_order(store: GraphStore, names: set[str]) -> list[str]:
    return [summary.name for summary in store.sources() if summary.name in names]


def merge(store: GraphStore, into: str, merged: Sequence[str], contributor: str, force: bool = False) -> MergeResult:
    """Merge the nodes ``merged`` (ids) into the node ``into`` (id); see the module docstring.

    Raises :class:`UsageError` when a node is missing, is ``into`` itself, or is of
    another kind (relations would break the model); and, unless ``force``, when two
    nodes give different values of an identifying attribute, as
    :func:`~maillage.graph.model.identity_clash` says (a commune and its
    département, two SIRENs): they are two actors, not one written twice.
    """
    target = store.get(into)
    if target is None:
        raise UsageError(f"no node {into!r} to merge into")
    nodes: list[Node] = []
    for node_id in dict.fromkeys(merged):
        node = store.get(node_id)
        if node is None:
            raise UsageError(f"no node {node_id!r} to merge")
        if node.id == target.id:
            raise UsageError(f"cannot merge {node.id} into itself")
        if node.kind != target.kind:
            raise UsageError(f"cannot merge {node.id} (kind {node.kind}) into {target.id} (kind {target.kind})")
        clash = identity_clash(node, target)
        if clash and not force:
            raise UsageError(
                f"{node.id} and {target.id} have different {clash} ({node.attrs[clash]}, {target.attrs[clash]}):"
                " they look like two actors; merge them anyway with --force"
            )
        nodes.append(node)
    if not nodes:
        raise UsageError("name at least one node to merge")
    mapping = {node.id: target.id for node in nodes}
    # Read before the sources: a source rewritten after this read fails the merge, not lost.
    digests = store.source_digests()
    touched = {claim.source for node in nodes for claim in store.node_claims(node.id)}
    touched |= {claim.source for node in nodes for claim in store.relation_claims(node.id)}
    originals = [store.dump_source(name) for name in _load_order(store, touched)]
    originals = [batch for batch in originals if batch is not None]
    rewritten = [repoint_batch(batch, mapping, {target.id: target.name}) for batch in originals]
    merge_id = f"{slugify(nodes[0].name)[:40] or 'merge'}-{uuid.uuid4().hex[:8]}"
    at = now_iso()
    record = {
        "id": merge_id,
        "into": target.id,
        "into_name": target.name,
        "merged": [{"id": n.id, "kind": n.kind, "name": n.name, "aliases": list(n.aliases)} for n in nodes],
        "contributor": contributor,
        "at": at,
        "sources": [
            {
                "name": original.source.name,
                "touched": batch_to_dict(_naming(original, {target.id, *mapping})),
                "merged_digest": canonical_digest(new),
            }
            for original, new in zip(originals, rewritten)
        ],
        "undone": None,
    }
    store.put_document(MERGES, merge_id, record)
    try:
        store.replace_sources(
            rewritten, expected={batch.source.name: digests.get(batch.source.name) for batch in originals}
        )
    except BaseException:
        store.delete_document(MERGES, merge_id)
        raise
    for node in nodes:
        store.put_document(
            REDIRECTS, node.id, {"into": target.id, "merge": merge_id, "name": node.name, "kind": node.kind}
        )
    record_event(
        store,
        "merge",
        contributor,
        nodes=[target.id, *mapping],
        details={
            "merge": merge_id,
            "into": target.id,
            "merged": list(mapping),
            "sources": [b.source.name for b in originals],
        },
        at=at,
    )
    return MergeResult(merge_id, target.id, tuple(mapping), tuple(b.source.name for b in originals))


def find_merge(store: GraphStore, reference: str) -> dict[str, Any]:
    """The merge a reference names: a merge id, else the latest merge still in effect
    that merged a node with this id, name or alias, else the latest one into it."""
    record = store.get_document(MERGES, reference)
    if record is not None:
        return record
    folded = normalise(reference)
    active = [doc for _key, doc in reversed(store.documents(MERGES)) if not doc.get("undone")]
    for doc in active:
        for node in doc["merged"]:
            if reference == node["id"] or folded in {normalise(label) for label in (node["name"], *node["aliases"])}:
                return doc
    for doc in active:
        if reference == doc["into"] or folded == normalise(doc["into_name"]):
            return doc
    raise UsageError(f"no merge in effect matches {reference!r}; see 'maillage history' for merge ids")


def unmerge(store: GraphStore, reference: str, contributor: str) -> UnmergeResult:
    """Undo a merge: every source it rewrote is put back as it was, unless it was
    unloaded or changed since (then it is left alone and reported), and the
    redirects it made are removed."""
    record = find_merge(store, reference)
    if record.get("undone"):
        raise UsageError(f"merge {record['id']} was already undone on {record['undone']['at']}")
    restores: list[Batch] = []
    skipped: dict[str, str] = {}
    digests = store.source_digests()
    for entry in record["sources"]:
        current = store.dump_source(entry["name"])
        if current is None:
            skipped[entry["name"]] = "unloaded since the merge"
        elif canonical_digest(current) != entry["merged_digest"]:
            skipped[entry["name"]] = "changed since the merge"
        else:
            restores.append(_restored(entry, current, {record["into"], *(node["id"] for node in record["merged"])}))
    store.replace_sources(restores, expected={batch.source.name: digests.get(batch.source.name) for batch in restores})
    merged_ids = [node["id"] for node in record["merged"]]
    for node_id in merged_ids:
        redirect = store.get_document(REDIRECTS, node_id)
        if redirect is not None and redirect.get("merge") == record["id"]:
            store.delete_document(REDIRECTS, node_id)
    at = now_iso()
    restored = tuple(batch.source.name for batch in restores)
    record["undone"] = {"by": contributor, "at": at, "restored": list(restored), "skipped": skipped}
    store.put_document(MERGES, record["id"], record)
    record_event(
        store,
        "unmerge",
        contributor,
        nodes=[record["into"], *merged_ids],
        details={
            "merge": record["id"],
            "into": record["into"],
            "merged": merged_ids,
            "restored": list(restored),
            "skipped": skipped,
        },
        at=at,
    )
    return UnmergeResult(record["id"], record["into"], tuple(merged_ids), restored, skipped)


def _naming(batch: Batch, ids: set[str], naming: bool = True) -> Batch:
    """The records of ``batch`` that name one of ``ids`` (a node, or a relation's end); or,
    with ``naming`` False, the others."""
    return Batch(
        batch.source,
        [record for record in batch.nodes if (record.node.id in ids) == naming],
        [
            record
            for record in batch.relations
            if (record.relation.source in ids or record.relation.target in ids) == naming
        ],
    )


def _restored(entry: Mapping[str, Any], current: Batch, ids: set[str]) -> Batch:
    """A source as it was before a merge of ``ids``: its records naming them as recorded,
    the others as they are (unchanged since the merge, as its digest says)."""
    if "original" in entry:
        # Merge records written before only the records naming the merged nodes were kept.
        return batch_from_dict(entry["original"])
    before = batch_from_dict(entry["touched"])
    kept = _naming(current, ids, naming=False)
    # In the order the store dumps a source, as the whole sources recorded before were.
    return Batch(
        before.source,
        sorted([*kept.nodes, *before.nodes], key=lambda record: record.node.id),
        sorted([*kept.relations, *before.relations], key=lambda record: record.relation.key),
    )


def merged_into(store: GraphStore, node_id: str) -> str | None:
    """The id a merged node's id now lands on (chains of merges followed), or None if it was not merged."""
    seen, current = {node_id}, node_id
    while (doc := store.get_document(REDIRECTS, current)) is not None and doc["into"] not in seen:
        current = doc["into"]
        seen.add(current)
    return None if current == node_id else current


def redirects(store: GraphStore) -> dict[str, str]:
    """Every redirect in effect, chains followed: ``{merged id: id it lands on}``."""
    direct = {key: doc["into"] for key, doc in store.documents(REDIRECTS)}
    final: dict[str, str] = {}
    for start in direct:
        seen = {start}
        current = direct[start]
        while current in direct and current not in seen:
            seen.add(current)
            current = direct[current]
        final[start] = current
    return final


def apply_redirects(store: GraphStore, batch: Batch) -> Batch:
    """The batch with every node a merge redirected re-pointed to the node it was
    merged into (see :func:`repoint_batch`); the batch itself when none applies."""
    table = redirects(store)
    if not table:
        return batch
    ids = {record.node.id for record in batch.nodes}
    ids |= {end for record in batch.relations for end in (record.relation.source, record.relation.target)}
    mapping = {node_id: table[node_id] for node_id in ids if node_id in table}
    if not mapping:
        return batch
    names = {}
    for target in set(mapping.values()):
        node = store.get(target)
        if node is not None:
            names[target] = node.name
    return repoint_batch(batch, mapping, names)


def redirect_aware_lookup(store: GraphStore) -> RedirectAwareLookup:
    """A ``find`` for loaders that knows merged nodes (see :class:`RedirectAwareLookup`)."""
    return RedirectAwareLookup(store)


class RedirectAwareLookup:
    """A ``find`` for loaders that knows merged nodes.

    A file loaded after a merge may still name a merged node B, and define it:
    looking its name up would find both B (in the file) and the node B was merged
    into (where B's name is now an alias), an ambiguity that is not one. This
    lookup answers B itself for a reference naming B (its id or its name), so
    the relation points to B, which :func:`apply_redirects` then re-points.
    """

    def __init__(self, store: GraphStore):
        self.store = store
        self.merged = {key: doc for key, doc in store.documents(REDIRECTS)}
        self.table = redirects(store)

    def _named(self, reference: str) -> list[str]:
        """The merged nodes ``reference`` names, by id or by name."""
        folded = normalise(reference)
        return [
            key
            for key, doc in self.merged.items()
            if key == reference.strip() or normalise(doc.get("name", "")) == folded
        ]

    def __call__(self, reference: str) -> list[Node]:
        found = self.store.find(reference)
        if not self.merged:
            return found
        named = self._named(reference)
        if not named:
            return found
        hidden = {self.table[key] for key in named}
        virtual = [self._virtual(key) for key in named]
        return sorted([node for node in found if node.id not in hidden] + virtual, key=lambda node: node.id)

    def _virtual(self, key: str) -> Node:
        """The merged node ``key`` as a lookup names it."""
        doc = self.merged[key]
        return Node(key, doc.get("kind") or "", doc.get("name", key))

    def _as_themselves(self, wanted: set[str], present: set[str]) -> set[str]:
        """The ids among ``wanted`` that looking each up finds as itself, ``present`` being
        those the store holds: the merged ones, and the stored ones no merged node's name
        hides (a merged node the reference names, its id being the reference, went into it)."""
        merged_by_name: dict[str, list[str]] = {}
        for key, doc in self.merged.items():
            merged_by_name.setdefault(normalise(doc.get("name", "")), []).append(key)
        return (wanted & self.merged.keys()) | {
            node_id
            for node_id in present - self.merged.keys()
            if node_id not in {self.table[key] for key in merged_by_name.get(normalise(node_id), ())}
        }

    def existing(self, node_ids: Iterable[str]) -> set[str]:
        """The ids among ``node_ids`` that looking each up would find as itself, asked of
        the store at once (a register names tens of thousands of communes)."""
        wanted = set(node_ids)
        present = self.store.existing_ids(wanted)
        return self._as_themselves(wanted, present) if self.merged else present

    def nodes(self, node_ids: Iterable[str]) -> dict[str, Node]:
        """By id, the node that looking each of ``node_ids`` up would find as itself, asked of
        the store at once (a COG file names tens of thousands of communes)."""
        wanted = set(node_ids)
        stored = self.store.get_many(wanted)
        if not self.merged:
            return stored
        return {
            node_id: stored[node_id] if node_id in stored else self._virtual(node_id)
            for node_id in self._as_themselves(wanted, set(stored))
        }


def redirect_records(
    store: GraphStore, records: Iterable[NodeRecord | RelationRecord]
) -> Iterator[NodeRecord | RelationRecord]:
    """:func:`apply_redirects` for a stream of records (a register extract too large
    for memory), read once.

    Relations are re-pointed as they pass (a loop the rewrite makes is dropped).
    Claims about merged nodes and about the nodes they were merged into are held
    back, then folded and given at the end of the stream, as
    :func:`repoint_batch` folds them; there are as many as there are merges.
    """
    table = redirects(store)
    if not table:
        yield from records
        return
    targets = set(table.values())
    held: list[NodeRecord] = []
    for record in records:
        if isinstance(record, NodeRecord):
            if record.node.id in table or record.node.id in targets:
                held.append(record)
            else:
                yield record
            continue
        relation = record.relation
        start, end = table.get(relation.source, relation.source), table.get(relation.target, relation.target)
        if (start, end) == (relation.source, relation.target):
            yield record
        elif start != end:
            yield RelationRecord(Relation(start, relation.type, end, relation.role, dict(relation.attrs)), record.place)
    if not held:
        return
    mapping = {record.node.id: table[record.node.id] for record in held if record.node.id in table}
    names = {}
    for target in set(mapping.values()):
        node = store.get(target)
        if node is not None:
            names[target] = node.name
    placeholder = Source("redirect", "stream", "")
    yield from repoint_batch(Batch(placeholder, held), mapping, names).nodes
