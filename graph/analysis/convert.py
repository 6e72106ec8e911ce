"""Turning the store's multigraph into the plain graphs analyses run on."""

from __future__ import annotations

import networkx as nx

__all__ = ["simple_graph"]


def simple_graph(G: nx.Graph) -> nx.Graph:
    """An undirected simple graph with the same nodes; parallel relations become one
    edge whose ``weight`` is their number (or the sum of their ``weight``).

    Parameters
    ----------
    G : networkx graph

    Examples
    --------
    >>> G = nx.MultiDiGraph([("cuf", "programme"), ("programme", "cuf"), ("cuf", "paix")])
    >>> H = simple_graph(G)
    >>> H["cuf"]["programme"]["weight"], H.number_of_edges()
    (2, 2)
    """
    if not G.is_directed() and not G.is_multigraph():
        return G
    H = nx.Graph()
    H.add_nodes_from(G.nodes(data=True))
    for u, v, data in G.edges(data=True):
        if u == v:
            continue
        weight = data.get("weight", 1)
        if H.has_edge(u, v):
            H[u][v]["weight"] += weight
        else:
            H.add_edge(u, v, weight=weight)
    return H
