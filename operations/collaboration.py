"""Working on one graph together: sources and their authority, conflicts, duplicates,
merges, the history of an actor, snapshots and what changed between them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..graph.errors import UnknownReference, UsageError
from ..graph.merge import MergeResult, UnmergeResult
from ..graph.store import GraphStore
from .actors import kind_names, resolve
from .output import cell

__all__ = [
    "actor_history",
    "changes",
    "conflict_rows",
    "duplicate_rows",
    "merge",
    "snapshot",
    "snapshot_rows",
    "source_rows",
    "unmerge",
]


def source_rows(
    store: GraphStore, contributor: str = "", mark: Sequence[str] = (), unmark: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """The loaded sources (``source``, ``format``, ``contributor``, ``at``, ``authoritative``,
    ``nodes``, ``relations``), once the sources in ``mark`` are made authoritative and those
    in ``unmark`` are no longer (by ``contributor``)."""
    from ..graph.provenance import set_authoritative
    from ..graph.provenance import source_rows as rows

    for name in mark:
        set_authoritative(store, name, True, contributor)
    for name in unmark:
        set_authoritative(store, name, False, contributor)
    return rows(store)


def conflict_rows(store: GraphStore, structured: bool = False) -> list[dict[str, Any]]:
    """Attributes to which sources give different values, with the current one; each value
    with its source as a dict when ``structured``, else in words."""
    from ..graph.provenance import conflicts

    return [
        {
            "subject": conflict.subject,
            "name": conflict.name,
            "attribute": conflict.attribute,
            "current": conflict.current,
            "values": [
                {
                    "value": a.value,
                    "source": a.source,
                    "place": a.place,
                    "contributor": a.contributor,
                    "at": a.at,
                    "authoritative": a.authoritative,
                }
                for a in conflict.assertions
            ]
            if structured
            else [
                f"{cell(a.value)} ({a.source} {a.place}, {a.contributor}, {a.at}{', authoritative' if a.authoritative else ''})"
                for a in conflict.assertions
            ],
        }
        for conflict in conflicts(store)
    ]


def duplicate_rows(store: GraphStore, kinds: Sequence[str] = (), min_score: float = 0.0) -> list[dict[str, Any]]:
    """Likely duplicates scoring ``min_score`` or more: ``score`` (1 = same official code),
    ``a``, ``a_name``, ``b``, ``b_name``, ``kind``, ``evidence``."""
    from ..graph.duplicates import duplicates

    return [
        {
            "score": p.score,
            "a": p.a,
            "a_name": p.a_name,
            "b": p.b,
            "b_name": p.b_name,
            "kind": p.kind,
            "evidence": list(p.evidence),
        }
        for p in duplicates(store, kind_names(kinds) or None)
        if p.score >= min_score
    ]


def merge(
    store: GraphStore,
    actors: Sequence[str],
    contributor: str,
    into: str | None = None,
    force: bool = False,
    notice: Callable[[str], None] | None = None,
) -> MergeResult:
    """Merge the actors named (ids, names or aliases) into ``into`` (default: the first);
    names are kept as aliases, relations and provenance re-pointed; recorded, so that
    :func:`unmerge` undoes it. Actors with different official codes are refused unless ``force``."""
    from ..graph.merge import merge as merge_nodes

    nodes = [resolve(store, actor, notice=notice) for actor in actors]
    kept = resolve(store, into, notice=notice) if into else nodes[0]
    others = [node.id for node in nodes if node.id != kept.id]
    if not others:
        raise UsageError("name at least two different actors to merge")
    return merge_nodes(store, kept.id, others, contributor, force=force)


def unmerge(store: GraphStore, reference: str, contributor: str) -> UnmergeResult:
    """Undo a merge, named by its id or by an actor it merged (the latest merge)."""
    from ..graph.merge import unmerge as unmerge_nodes

    return unmerge_nodes(store, reference, contributor)


def actor_history(
    store: GraphStore, reference: str, notice: Callable[[str], None] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """The id an actor reference names and what happened to it (``at``, ``action``,
    ``contributor``, ``source``, ``what``); the id of an actor merged away or unloaded works too."""
    from ..graph.history import history

    try:
        node_id = resolve(store, reference, follow_merges=False, notice=notice).id
    except UnknownReference:
        node_id = reference.strip()
        if not history(store, node_id):
            raise
    return node_id, history(store, node_id)


def snapshot(store: GraphStore, name: str, contributor: str, replace: bool = False) -> dict[str, Any]:
    """Keep the graph as it is now (nodes, relations, centrality) under ``name``; return it."""
    from ..graph.history import snapshot as take_snapshot

    return take_snapshot(store, name, contributor, replace)


def snapshot_rows(store: GraphStore) -> list[dict[str, Any]]:
    """The snapshots kept: ``name``, ``at``, ``contributor``, ``nodes``, ``relations``."""
    from ..graph.history import snapshots

    return snapshots(store)


def changes(store: GraphStore, before: str, after: str = "now", metric: str = "betweenness", top: int = 10) -> dict:
    """What changed between two snapshots (``now`` is the graph as it is): nodes and relations
    added or removed, attributes changed, the ``top`` biggest movers in ``metric``."""
    from ..graph.history import diff, get_snapshot

    return diff(get_snapshot(store, before), get_snapshot(store, after), metric, top)
