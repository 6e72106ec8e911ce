"""Centrality: who holds the network together.

Each function takes a networkx graph (directed or not, multi or not) and
returns ``{node: score}``. Relations are read as undirected ties: a partnership
counts for both ends, whichever way it was written down.
"""

from __future__ import annotations

import networkx as nx

from .convert import simple_graph

__all__ = [
    "degree",
    "betweenness",
    "closeness",
    "eigenvector",
    "pagerank",
    "METRICS",
    "centrality_table",
]


def degree(G: nx.Graph) -> dict:
    """Number of distinct neighbours of each node.

    Parameters
    ----------
    G : networkx graph

    Returns
    -------
    dict
        ``{node: number of neighbours}``.

    Examples
    --------
    >>> G = nx.MultiDiGraph([("aitec", "programme"), ("cuf", "programme"), ("aitec", "programme")])
    >>> degree(G)["programme"], degree(G)["aitec"]
    (2, 1)
    """
    H = simple_graph(G)
    return dict(H.degree())


def betweenness(G: nx.Graph, k: int | None = None, seed: int | None = 0) -> dict:
    """Share of shortest paths between other nodes that pass through each node (normalised).

    Parameters
    ----------
    G : networkx graph
    k : int, optional
        Estimate from ``k`` sampled source nodes instead of all of them.
    seed : int, optional
        Seed of the sample, for reproducible estimates.

    Examples
    --------
    >>> G = nx.path_graph(["rosny", "cuf", "crid"])
    >>> betweenness(G)
    {'rosny': 0.0, 'cuf': 1.0, 'crid': 0.0}
    """
    H = simple_graph(G)
    if k is not None and k >= H.number_of_nodes():
        k = None
    return nx.betweenness_centrality(H, k=k, seed=seed if k else None, normalized=True)


def closeness(G: nx.Graph) -> dict:
    """How near each node is to all others it can reach (Wasserman–Faust for split graphs).

    Examples
    --------
    >>> G = nx.path_graph(["rosny", "cuf", "crid"])
    >>> {n: round(v, 3) for n, v in closeness(G).items()}
    {'rosny': 0.667, 'cuf': 1.0, 'crid': 0.667}
    """
    return nx.closeness_centrality(simple_graph(G), wf_improved=True)


def eigenvector(G: nx.Graph) -> dict:
    """Eigenvector centrality: being tied to well-tied nodes.

    Examples
    --------
    >>> G = nx.star_graph(3)
    >>> scores = eigenvector(G)
    >>> max(scores, key=scores.get)
    0
    """
    H = simple_graph(G)
    if H.number_of_edges() == 0:
        return {node: 0.0 for node in H}
    try:
        return nx.eigenvector_centrality(H, max_iter=1000, tol=1e-9)
    except nx.PowerIterationFailedConvergence:
        return nx.eigenvector_centrality_numpy(H)


def pagerank(G: nx.Graph, alpha: float = 0.85) -> dict:
    """PageRank over undirected ties: where a random walk along relations spends its time.

    Examples
    --------
    >>> G = nx.star_graph(3)
    >>> scores = pagerank(G)
    >>> round(sum(scores.values()), 6), max(scores, key=scores.get)
    (1.0, 0)
    """
    H = simple_graph(G)
    if H.number_of_nodes() == 0:
        return {}
    return nx.pagerank(H, alpha=alpha)


METRICS = {
    "degree": degree,
    "betweenness": betweenness,
    "closeness": closeness,
    "eigenvector": eigenvector,
    "pagerank": pagerank,
}


def centrality_table(G: nx.Graph, metric: str = "degree", kinds=None) -> list[dict]:
    """Every metric for every node, sorted by ``metric`` (highest first, then by id).

    Parameters
    ----------
    G : networkx graph
        Node attributes ``name`` and ``kind`` are copied into the rows when present.
    metric : str
        One of :data:`METRICS`.
    kinds : collection of str, optional
        Keep only rows of these kinds; metrics are still computed on the whole graph.

    Examples
    --------
    >>> G = nx.Graph()
    >>> G.add_node("a", name="Aitec", kind="Association")
    >>> G.add_node("p", name="Programme", kind="Project")
    >>> G.add_edge("a", "p")
    >>> [row["id"] for row in centrality_table(G, kinds={"Association"})]
    ['a']
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}")
    scores = {name: function(G) for name, function in METRICS.items()}
    rows = []
    for node, data in G.nodes(data=True):
        if kinds and data.get("kind") not in kinds:
            continue
        row = {"id": node, "name": data.get("name", str(node)), "kind": data.get("kind", "")}
        row.update({name: values.get(node, 0.0) for name, values in scores.items()})
        rows.append(row)
    rows.sort(key=lambda row: (-row[metric], str(row["id"])))
    return rows
