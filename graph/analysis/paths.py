"""Paths and neighbourhoods: how two actors are connected, and who is around one.

Paths are searched in the full analysis graph (documents and people left out
unless asked), relations read as undirected; each step names the relations
(type, role, direction) of the store that make it.
"""

from __future__ import annotations

from itertools import islice, pairwise

import networkx as nx

from ..model import normalise
from .convert import analysis_graph, display_name

__all__ = ["ego_network", "relations_between", "shortest_paths"]

#: at most this many shortest paths are enumerated before sorting and keeping ``limit``
_ENUMERATION_CAP = 10_000


def relations_between(G: nx.Graph, u, v) -> list[dict]:
    """The store's relations between ``u`` and ``v``, either way, sorted.

    Returns
    -------
    list of dict
        ``{"type", "role", "forward"}``, ``forward`` true when written ``u → v``.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> _ = G.add_edge("rosny", "programme", type="TAKES_PART_IN", role="participant")
    >>> relations_between(G, "programme", "rosny")
    [{'type': 'TAKES_PART_IN', 'role': 'participant', 'forward': False}]
    """
    found = []
    for a, b, forward in ((u, v, True), (v, u, False)):
        if G.has_edge(a, b):
            data = G.get_edge_data(a, b)
            for attrs in data.values() if G.is_multigraph() else [data]:
                found.append({"type": attrs.get("type", ""), "role": attrs.get("role") or None, "forward": forward})
    found.sort(key=lambda r: (r["type"], r["role"] or "", not r["forward"]))
    return found


def _step_text(relations: list[dict]) -> str:
    parts = []
    for relation in relations:
        label = relation["type"] + (f" ({relation['role']})" if relation["role"] else "")
        parts.append(f"-[{label}]->" if relation["forward"] else f"<-[{label}]-")
    return " / ".join(parts)


def shortest_paths(G: nx.Graph, source, target, limit: int = 10, include=()) -> list[dict]:
    """All shortest paths between two nodes (at most ``limit``), with the relations along them.

    Parameters
    ----------
    G : networkx graph
        The store's graph.
    source, target : node ids
    limit : int
        Paths kept, after sorting them by the names along them.
    include : collection of {"documents", "people"}

    Returns
    -------
    list of dict
        ``{"length", "nodes": [{id, name, kind}], "steps": [{"from", "to", "relations"}], "text"}``;
        empty when the two are not connected.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_nodes_from([("rosny", {"name": "Rosny"}), ("prog", {"name": "Programme"}), ("cuf", {"name": "CUF"})])
    >>> _ = G.add_edge("rosny", "prog", type="TAKES_PART_IN", role="participant")
    >>> _ = G.add_edge("cuf", "prog", type="TAKES_PART_IN", role="lead")
    >>> shortest_paths(G, "rosny", "cuf")[0]["text"]
    'Rosny -[TAKES_PART_IN (participant)]-> Programme <-[TAKES_PART_IN (lead)]- CUF'
    """
    H = analysis_graph(G, "full", include)
    for end in (source, target):
        if end not in H:
            raise ValueError(f"{end!r} is not in the analysed graph")
    if source == target:
        return []
    try:
        found = list(islice(nx.all_shortest_paths(H, source, target), _ENUMERATION_CAP))
    except nx.NetworkXNoPath:
        return []
    found.sort(key=lambda path: ([normalise(display_name(G, n)) for n in path], [str(n) for n in path]))
    result = []
    for path in found[:limit]:
        steps = [{"from": u, "to": v, "relations": relations_between(G, u, v)} for u, v in pairwise(path)]
        text = display_name(G, path[0])
        for step in steps:
            text += f" {_step_text(step['relations'])} {display_name(G, step['to'])}"
        result.append(
            {
                "length": len(path) - 1,
                "nodes": [{"id": n, "name": display_name(G, n), "kind": G.nodes[n].get("kind", "")} for n in path],
                "steps": steps,
                "text": text,
            }
        )
    return result


def ego_network(G: nx.Graph, actor, depth: int = 1, include=()) -> list[dict]:
    """The nodes within ``depth`` steps of ``actor``, nearest first.

    Returns
    -------
    list of dict
        ``{"id", "name", "kind", "distance", "via", "relations"}``: ``via`` is the
        neighbour one step nearer (the first by id), ``relations`` those between them.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> _ = G.add_edge("rosny", "prog", type="TAKES_PART_IN"); _ = G.add_edge("cuf", "prog", type="TAKES_PART_IN")
    >>> [(row["id"], row["distance"], row["via"]) for row in ego_network(G, "rosny", 2)]
    [('rosny', 0, None), ('prog', 1, 'rosny'), ('cuf', 2, 'prog')]
    """
    H = analysis_graph(G, "full", include)
    if actor not in H:
        raise ValueError(f"{actor!r} is not in the analysed graph")
    distance = nx.single_source_shortest_path_length(H, actor, cutoff=depth)
    rows = []
    for node, steps in distance.items():
        via = None
        if steps:
            via = min((n for n in H.adj[node] if distance.get(n) == steps - 1), key=str)
        rows.append(
            {
                "id": node,
                "name": G.nodes[node].get("name", str(node)),
                "kind": G.nodes[node].get("kind", ""),
                "distance": steps,
                "via": via,
                "relations": relations_between(G, via, node) if via is not None else [],
            }
        )
    rows.sort(key=lambda row: (row["distance"], normalise(row["name"]), str(row["id"])))
    return rows
