"""Communities: groups of actors more tied to each other than to the rest.

Louvain (seeded: NetworkX, igraph, or networkit's PLM on large graphs with
``engine="auto"`` when networkit is installed) and Leiden (igraph) maximise modularity:
the share of ties inside groups minus what a random graph with the same degrees
would put there. Each community is described by its largest members and the
themes its members work on most.
"""

from __future__ import annotations

from collections import Counter

import networkx as nx
import numpy as np

from .convert import scope_of, simple_graph
from .engine import IGraphView, choose_engine, networkit_available, seeded_igraph, seeded_networkit, to_igraph

__all__ = ["METHODS", "communities_report", "describe", "detect", "louvain_engine", "modularity"]

METHODS = ("louvain", "leiden")


def _ordered(groups) -> list[list]:
    """Largest community first, members sorted, ties broken by first member."""
    ordered = [sorted(group, key=str) for group in groups if group]
    ordered.sort(key=lambda group: (-len(group), str(group[0])))
    return ordered


def _grouped(view: IGraphView, membership) -> list[list]:
    """The communities of a membership vector, ordered as :func:`_ordered` orders them, with numpy."""
    membership = np.asarray(membership, dtype=np.int64)
    names = list(map(str, view.nodes))
    by_name = np.array(sorted(range(len(names)), key=names.__getitem__), dtype=np.int64)
    grouped = by_name[np.argsort(membership[by_name], kind="stable")]
    bounds = np.flatnonzero(np.diff(membership[grouped])) + 1
    nodes = view.nodes
    groups = [list(map(nodes.__getitem__, part.tolist())) for part in np.split(grouped, bounds) if len(part)]
    groups.sort(key=lambda group: (-len(group), str(group[0])))
    return groups


def louvain_engine(engine: str, G: nx.Graph) -> str:
    """Which library runs Louvain: ``"networkx"``, ``"igraph"`` or ``"networkit"``.

    ``auto`` hands large graphs to networkit's PLM when networkit is installed, else to igraph.

    >>> louvain_engine("auto", nx.path_graph(3))
    'networkx'
    """
    used = choose_engine(engine, G)
    if used == "igraph" and engine == "auto" and networkit_available():
        return "networkit"
    return used


def detect(
    G: nx.Graph, method: str = "louvain", seed: int | None = 0, resolution: float = 1.0, engine: str = "auto"
) -> list[list]:
    """Partition the graph into communities (weighted ties).

    Parameters
    ----------
    G : networkx graph
    method : {"louvain", "leiden"}
        Leiden needs igraph.
    seed : int
        Same graph and seed, same communities.
    resolution : float
        Above 1, smaller communities; below 1, larger ones.
    engine : {"auto", "networkx", "igraph"}
        For Louvain (see :func:`louvain_engine`); Leiden always runs in igraph.

    Returns
    -------
    list of list
        Communities, largest first, members sorted.

    Examples
    --------
    >>> G = nx.barbell_graph(4, 0)
    >>> detect(G, seed=1)
    [[0, 1, 2, 3], [4, 5, 6, 7]]
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    H = simple_graph(G)
    if H.number_of_nodes() == 0:
        return []
    used = "igraph" if method == "leiden" else louvain_engine(engine, H)
    if used == "networkx":
        return _ordered(nx.community.louvain_communities(H, weight="weight", resolution=resolution, seed=seed))
    view = to_igraph(H)
    if used == "networkit":
        import networkit

        with seeded_networkit(seed):
            partition = networkit.community.PLM(view.networkit, refine=False, gamma=resolution).run().getPartition()
        return _grouped(view, partition.getVector())
    with seeded_igraph(seed):
        if method == "leiden":
            clustering = view.graph.community_leiden(
                objective_function="modularity", weights=view.weights, resolution=resolution, n_iterations=-1
            )
        else:
            clustering = view.graph.community_multilevel(weights=view.weights, resolution=resolution)
    return _grouped(view, clustering.membership)


def modularity(G: nx.Graph, communities) -> float:
    """Modularity of a partition (weighted): 0 is no better than chance, near 1 is sharply split.

    Examples
    --------
    >>> round(modularity(nx.barbell_graph(4, 0), [[0, 1, 2, 3], [4, 5, 6, 7]]), 3)
    0.423
    """
    H = simple_graph(G)
    if H.number_of_edges() == 0:
        return 0.0
    return float(nx.community.modularity(H, communities, weight="weight"))


def _themes_of(G: nx.Graph, members) -> Counter:
    """How many members work on each theme (WORKS_ON in the store's graph, or a shared theme in the projection)."""
    counts: Counter = Counter()
    kinds = dict(G.nodes(data="kind"))
    for member in members:
        themes = set()
        if G.is_directed():
            for _, target, relation in G.out_edges(member, data="type"):
                if relation == "WORKS_ON" or kinds.get(target) == "Theme":
                    themes.add(target)
        else:
            for neighbour, data in G.adj[member].items():
                if kinds.get(neighbour) == "Theme":
                    themes.add(neighbour)
                themes.update(data.get("themes", ()))
        counts.update(themes)
    return counts


def describe(G: nx.Graph, communities, top: int = 5, source: nx.Graph | None = None) -> list[dict]:
    """Each community with its largest members (by degree) and dominant themes.

    Parameters
    ----------
    G : networkx graph
        The graph the communities were found in.
    communities : list of collections
    top : int
        How many members and themes to name.
    source : networkx graph, optional
        The store's graph, where themes and names are looked up (default ``G``).

    Returns
    -------
    list of dict
        ``{"community": 1-based number, "size", "members": [{id, name, kind, degree}],
        "themes": [{id, name, members}], "kinds": {kind: count}}``.

    Examples
    --------
    >>> G = nx.Graph([("a", "paix"), ("b", "paix"), ("c", "eau")])
    >>> nx.set_node_attributes(G, {"paix": "Theme", "eau": "Theme"}, "kind")
    >>> describe(G, [["a", "b", "paix"], ["c", "eau"]])[0]["themes"]
    [{'id': 'paix', 'name': 'paix', 'members': 2}]
    """
    source = G if source is None else source
    H = simple_graph(G)
    described = []
    for number, members in enumerate(communities, start=1):
        members = sorted(members, key=str)
        ranked = sorted(members, key=lambda n: (-H.degree(n), str(n)))
        themes = _themes_of(source, members)
        kinds = Counter(H.nodes[n].get("kind", "") for n in members)
        described.append(
            {
                "community": number,
                "size": len(members),
                "members": [
                    {
                        "id": n,
                        "name": H.nodes[n].get("name", str(n)),
                        "kind": H.nodes[n].get("kind", ""),
                        "degree": H.degree(n),
                    }
                    for n in ranked[:top]
                ],
                "themes": [
                    {"id": t, "name": source.nodes[t].get("name", str(t)) if t in source else str(t), "members": count}
                    for t, count in sorted(themes.items(), key=lambda item: (-item[1], str(item[0])))[:top]
                ],
                "kinds": dict(sorted(kinds.items())),
            }
        )
    return described


def communities_report(
    G: nx.Graph,
    method: str = "louvain",
    seed: int | None = 0,
    resolution: float = 1.0,
    engine: str = "auto",
    top: int = 5,
    source: nx.Graph | None = None,
) -> dict:
    """Communities, their modularity and descriptions, with the graph they were found in.

    Returns
    -------
    dict
        ``{"scope", "method", "engine", "seed", "resolution", "modularity", "count", "communities": [...]}``
        with communities as in :func:`describe` (``source`` passed on).

    Examples
    --------
    >>> report = communities_report(nx.barbell_graph(4, 0), seed=1)
    >>> report["count"], round(report["modularity"], 3)
    (2, 0.423)
    """
    H = simple_graph(G)
    used = "igraph" if method == "leiden" else louvain_engine(engine, H)
    found = detect(H, method, seed, resolution, engine)
    return {
        "scope": scope_of(H).as_dict(),
        "method": method,
        "engine": used,
        "seed": seed,
        "resolution": resolution,
        "modularity": round(modularity(H, found), 9),
        "count": len(found),
        "communities": describe(H, found, top, source),
    }
