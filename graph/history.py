"""History and snapshots: what changed, who changed it, when.

Events are documents of the collection ``events``, recorded when a source is
loaded or unloaded and when nodes are merged or unmerged: the action, the
contributor, the time, the source, and which nodes and relations it touched
(claims added, removed or changed). :func:`history` lists those touching a node,
including the nodes merged into it.

A snapshot (collection ``snapshots``) keeps the whole graph — nodes, relations
and centrality scores — under a name; :func:`diff` compares two of them (or one
and the graph as it is now): nodes and relations added or removed, attributes
changed, and the biggest movers in centrality.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .analysis.centrality import betweenness, degree, pagerank
from .errors import UsageError
from .model import Batch, now_iso
from .store.base import GraphStore

__all__ = [
    "CURRENT",
    "EVENTS",
    "SNAPSHOTS",
    "SNAPSHOT_METRICS",
    "diff",
    "get_snapshot",
    "graph_state",
    "history",
    "record_event",
    "record_load",
    "record_stream_load",
    "record_unload",
    "snapshot",
    "snapshots",
]

EVENTS = "events"
SNAPSHOTS = "snapshots"
#: the name :func:`get_snapshot` gives the graph as it is now
CURRENT = "now"
SNAPSHOT_METRICS = ("degree", "betweenness", "pagerank")
#: above this many nodes betweenness is estimated from this many sampled sources (seed 0)
BETWEENNESS_SAMPLE = 500


def record_event(
    store: GraphStore,
    action: str,
    contributor: str,
    *,
    source: str | None = None,
    nodes: Iterable[str] = (),
    relations: Iterable[Sequence[str]] = (),
    details: Mapping[str, Any] | None = None,
    at: str | None = None,
) -> str:
    """Keep one event; return its key."""
    at = at or now_iso()
    key = f"{at}#{uuid.uuid4().hex[:8]}"
    store.put_document(
        EVENTS,
        key,
        {
            "action": action,
            "contributor": contributor,
            "at": at,
            "source": source,
            "nodes": sorted(set(nodes)),
            "relations": sorted({tuple(r) for r in relations}),
            "details": dict(details or {}),
        },
    )
    return key


def _claims(batch: Batch | None) -> tuple[dict[str, dict], dict[tuple, dict]]:
    if batch is None:
        return {}, {}
    nodes = {
        r.node.id: {"name": r.node.name, "aliases": list(r.node.aliases), **dict(r.node.attrs)} for r in batch.nodes
    }
    relations = {r.relation.key: dict(r.relation.attrs) for r in batch.relations}
    return nodes, relations


def _changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list]:
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def record_load(
    store: GraphStore, previous: Batch | None, batch: Batch, contributor: str, action: str = "load"
) -> str | None:
    """Record what a load changed in what its source asserts (``previous`` is the
    source's batch before the load, or None); nothing when nothing changed."""
    old_nodes, old_relations = _claims(previous)
    new_nodes, new_relations = _claims(batch)
    added = sorted(set(new_nodes) - set(old_nodes))
    removed = sorted(set(old_nodes) - set(new_nodes))
    changed = {
        node_id: _changes(old_nodes[node_id], new_nodes[node_id])
        for node_id in sorted(set(old_nodes) & set(new_nodes))
        if old_nodes[node_id] != new_nodes[node_id]
    }
    added_relations = sorted(set(new_relations) - set(old_relations))
    removed_relations = sorted(set(old_relations) - set(new_relations))
    changed_relations = [
        [*key, _changes(old_relations[key], new_relations[key])]
        for key in sorted(set(old_relations) & set(new_relations))
        if old_relations[key] != new_relations[key]
    ]
    if not (added or removed or changed or added_relations or removed_relations or changed_relations):
        return None
    touched_relations = [*added_relations, *removed_relations, *(entry[:4] for entry in changed_relations)]
    return record_event(
        store,
        action,
        contributor,
        source=batch.source.name,
        nodes=[*added, *removed, *changed, *(end for key in touched_relations for end in (key[0], key[2]))],
        relations=touched_relations,
        details={
            "added": added,
            "removed": removed,
            "changed": changed,
            "added_relations": [list(key) for key in added_relations],
            "removed_relations": [list(key) for key in removed_relations],
            "changed_relations": changed_relations,
        },
    )


def record_stream_load(store: GraphStore, source: str, contributor: str, nodes: int, relations: int) -> str:
    """Record a streamed load (a register extract of up to millions of rows) as one event about its
    whole source: which actors it touched is read from the claims when a history is asked for."""
    return record_event(
        store,
        "load",
        contributor,
        source=source,
        details={"whole_source": True, "nodes": nodes, "relations": relations},
    )


def record_unload(store: GraphStore, previous: Batch, contributor: str) -> str | None:
    """Record the unload of a source whose batch was ``previous``."""
    nodes, relations = _claims(previous)
    return record_event(
        store,
        "unload",
        contributor,
        source=previous.source.name,
        nodes=[*nodes, *(end for key in relations for end in (key[0], key[2]))],
        relations=list(relations),
        details={"removed": sorted(nodes), "removed_relations": [list(key) for key in sorted(relations)]},
    )


def _describe(event: Mapping[str, Any], ids: set[str]) -> list[str]:
    """What an event did to the nodes ``ids``, in words."""
    details = event.get("details", {})
    action = event["action"]
    source = event.get("source")
    lines: list[str] = []
    if action in ("merge", "unmerge"):
        verb = "merged" if action == "merge" else "unmerged"
        lines.append(
            f"{verb} {', '.join(details.get('merged', []))} into {details.get('into')} (merge {details.get('merge')})"
        )
        if details.get("skipped"):
            lines.append("left alone: " + ", ".join(f"{k} ({v})" for k, v in details["skipped"].items()))
        return lines
    if action == "authoritative":
        state = "marked" if details.get("authoritative") else "no longer marked"
        return [f"source {source} {state} authoritative"]
    if details.get("whole_source"):
        return [
            f"{source} loaded ({details.get('nodes', 0):,} nodes, {details.get('relations', 0):,} relations), this actor among them"
        ]
    for node_id in details.get("added", []):
        if node_id in ids:
            lines.append(f"{source} asserts {node_id}")
    for node_id in details.get("removed", []):
        if node_id in ids:
            lines.append(f"{source} no longer asserts {node_id}")
    for node_id, changes in details.get("changed", {}).items():
        if node_id in ids:
            lines.extend(
                f"{source} changed {node_id} {key}: {before!r} -> {after!r}" for key, (before, after) in changes.items()
            )
    for label, key in (("relations added", "added_relations"), ("relations removed", "removed_relations")):
        for rel in details.get(key, []):
            if rel[0] in ids or rel[2] in ids:
                role = f" ({rel[3]})" if rel[3] else ""
                lines.append(f"{source} {label.split()[1]} {rel[0]} -{rel[1]}{role}-> {rel[2]}")
    for rel in details.get("changed_relations", []):
        if rel[0] in ids or rel[2] in ids:
            lines.append(f"{source} changed {rel[0]} -{rel[1]}-> {rel[2]}: {rel[4]}")
    return lines


def history(store: GraphStore, node_id: str) -> list[dict[str, Any]]:
    """Events touching a node or a node merged into it, oldest first, each as
    ``{at, action, contributor, source, what}`` where ``what`` lists the changes in words."""
    events = [doc for _key, doc in store.documents(EVENTS)]
    ids = {node_id}
    grew = True
    while grew:
        grew = False
        for event in events:
            details = event.get("details", {})
            if event["action"] == "merge" and details.get("into") in ids:
                new = set(details.get("merged", [])) - ids
                if new:
                    ids |= new
                    grew = True
    claimed_by = {claim.source for node in ids for claim in store.node_claims(node)}
    rows = []
    for event in events:
        touched = set(event.get("nodes", ())) | {end for rel in event.get("relations", ()) for end in (rel[0], rel[2])}
        whole_source = event.get("details", {}).get("whole_source") and event.get("source") in claimed_by
        if touched & ids or whole_source:
            rows.append(
                {
                    "at": event["at"],
                    "action": event["action"],
                    "contributor": event["contributor"],
                    "source": event.get("source") or "",
                    "what": _describe(event, ids),
                }
            )
    return rows


# --------------------------------------------------------------------------- snapshots


def graph_state(store: GraphStore) -> dict[str, Any]:
    """The graph as it is now: nodes, relations and centrality scores, as JSON-able data."""
    graph = store.to_networkx()
    sample = BETWEENNESS_SAMPLE if graph.number_of_nodes() > BETWEENNESS_SAMPLE else None
    metrics = {
        "degree": degree(graph),
        "betweenness": betweenness(graph, k=sample, seed=0),
        "pagerank": pagerank(graph),
    }
    return {
        "nodes": {
            node.id: {"kind": node.kind, "name": node.name, "aliases": list(node.aliases), "attrs": dict(node.attrs)}
            for node in store.nodes()
        },
        "relations": [[*relation.key, dict(relation.attrs)] for relation in store.relations()],
        "centrality": {name: {str(k): v for k, v in values.items()} for name, values in metrics.items()},
    }


def snapshot(store: GraphStore, name: str, contributor: str, replace: bool = False) -> dict[str, Any]:
    """Keep the graph as it is now under ``name``; return the snapshot."""
    if name == CURRENT:
        raise UsageError(f"{CURRENT!r} names the graph as it is now; choose another snapshot name")
    if not replace and store.get_document(SNAPSHOTS, name) is not None:
        raise UsageError(f"a snapshot named {name!r} exists; choose another name or replace it")
    state = {"name": name, "at": now_iso(), "contributor": contributor, **graph_state(store)}
    store.put_document(SNAPSHOTS, name, state)
    return state


def snapshots(store: GraphStore) -> list[dict[str, Any]]:
    """Every snapshot: name, time, contributor, number of nodes and relations."""
    return [
        {
            "name": key,
            "at": doc["at"],
            "contributor": doc["contributor"],
            "nodes": len(doc["nodes"]),
            "relations": len(doc["relations"]),
        }
        for key, doc in store.documents(SNAPSHOTS)
    ]


def get_snapshot(store: GraphStore, name: str) -> dict[str, Any]:
    """A snapshot by name; :data:`CURRENT` gives the graph as it is now."""
    if name == CURRENT:
        return {"name": CURRENT, "at": now_iso(), "contributor": "", **graph_state(store)}
    state = store.get_document(SNAPSHOTS, name)
    if state is None:
        known = ", ".join(key for key, _ in store.documents(SNAPSHOTS)) or "none"
        raise UsageError(f"no snapshot named {name!r} (known: {known}; {CURRENT!r} is the graph now)")
    return state


def diff(
    before: Mapping[str, Any], after: Mapping[str, Any], metric: str = "betweenness", top: int = 10
) -> dict[str, Any]:
    """What changed between two snapshots (see :func:`graph_state`).

    Returns
    -------
    dict
        ``added_nodes`` / ``removed_nodes`` (id, kind, name), ``changed_nodes``
        (id, name, attribute, before, after; ``name`` and ``aliases`` count as
        attributes), ``added_relations`` / ``removed_relations`` (source, type,
        target, role), ``changed_relations`` (the same plus attribute, before,
        after) and ``movers``: the ``top`` nodes present in both whose ``metric``
        changed most (id, name, before, after, change).

    Examples
    --------
    >>> a = {"nodes": {"theme:paix": {"kind": "Theme", "name": "Paix", "aliases": [], "attrs": {}}},
    ...      "relations": [], "centrality": {}}
    >>> b = {"nodes": {}, "relations": [], "centrality": {}}
    >>> diff(a, b)["removed_nodes"]
    [{'id': 'theme:paix', 'kind': 'Theme', 'name': 'Paix'}]
    """
    if metric not in SNAPSHOT_METRICS:
        raise UsageError(f"unknown metric {metric!r}; expected one of {', '.join(SNAPSHOT_METRICS)}")
    old_nodes, new_nodes = before["nodes"], after["nodes"]

    def node_row(node_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        return {"id": node_id, "kind": data["kind"], "name": data["name"]}

    changed_nodes = []
    for node_id in sorted(set(old_nodes) & set(new_nodes)):
        old, new = old_nodes[node_id], new_nodes[node_id]
        fields_before = {"name": old["name"], "aliases": old["aliases"], **old["attrs"]}
        fields_after = {"name": new["name"], "aliases": new["aliases"], **new["attrs"]}
        for key, (value_before, value_after) in _changes(fields_before, fields_after).items():
            changed_nodes.append(
                {"id": node_id, "name": new["name"], "attribute": key, "before": value_before, "after": value_after}
            )
    old_relations = {tuple(r[:4]): r[4] for r in before["relations"]}
    new_relations = {tuple(r[:4]): r[4] for r in after["relations"]}

    def relation_row(key: Sequence[str]) -> dict[str, str]:
        return {"source": key[0], "type": key[1], "target": key[2], "role": key[3]}

    changed_relations = [
        {**relation_row(key), "attribute": attr, "before": b, "after": a}
        for key in sorted(set(old_relations) & set(new_relations))
        for attr, (b, a) in _changes(old_relations[key], new_relations[key]).items()
    ]
    old_scores = before.get("centrality", {}).get(metric, {})
    new_scores = after.get("centrality", {}).get(metric, {})
    movers = [
        {
            "id": node_id,
            "name": new_nodes[node_id]["name"],
            "before": old_scores[node_id],
            "after": new_scores[node_id],
            "change": new_scores[node_id] - old_scores[node_id],
        }
        for node_id in set(old_scores) & set(new_scores) & set(old_nodes) & set(new_nodes)
        if new_scores[node_id] != old_scores[node_id]
    ]
    movers.sort(key=lambda row: (-abs(row["change"]), row["id"]))
    return {
        "from": before.get("name", ""),
        "to": after.get("name", ""),
        "metric": metric,
        "added_nodes": [node_row(i, new_nodes[i]) for i in sorted(set(new_nodes) - set(old_nodes))],
        "removed_nodes": [node_row(i, old_nodes[i]) for i in sorted(set(old_nodes) - set(new_nodes))],
        "changed_nodes": changed_nodes,
        "added_relations": [relation_row(k) for k in sorted(set(new_relations) - set(old_relations))],
        "removed_relations": [relation_row(k) for k in sorted(set(old_relations) - set(new_relations))],
        "changed_relations": changed_relations,
        "movers": movers[:top],
    }
