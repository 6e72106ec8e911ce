"""Acceleration: the same analyses computed by igraph on large graphs.

NetworkX is the reference and the API. When igraph is installed and a graph
has at least :data:`AUTO_MIN_NODES` nodes, ``engine="auto"`` hands PageRank,
betweenness, closeness, harmonic and eigenvector centrality, Louvain and Leiden
to igraph, which runs them in C. igraph was chosen by measurement on a
100,000-node, 520,000-edge projected graph (one core): PageRank 0.1 s, Louvain
1.6 s, betweenness from 256 sources 7.4 s; networkit's Louvain was faster
(0.2 s) but its sampled betweenness (a different estimator) took 25 s and cannot
be checked against NetworkX source by source; rustworkx has neither Louvain nor
sampled betweenness.

The results follow NetworkX's definitions (normalisations included); the tests
check them against NetworkX.
"""

from __future__ import annotations

import random
import weakref
from contextlib import contextmanager
from dataclasses import dataclass

import networkx as nx

__all__ = [
    "ENGINES",
    "AUTO_MIN_NODES",
    "igraph_available",
    "choose_engine",
    "IGraphView",
    "to_igraph",
    "seeded_igraph",
]

ENGINES = ("auto", "networkx", "igraph")

#: below this many nodes NetworkX is fast enough and stays in charge
AUTO_MIN_NODES = 2000


def igraph_available() -> bool:
    """Whether igraph can be imported.

    >>> isinstance(igraph_available(), bool)
    True
    """
    try:
        import igraph  # noqa: F401
    except ImportError:
        return False
    return True


def choose_engine(engine: str, G: nx.Graph) -> str:
    """The engine that will run: ``"networkx"`` or ``"igraph"``.

    Parameters
    ----------
    engine : {"auto", "networkx", "igraph"}
        ``auto`` picks igraph for graphs of :data:`AUTO_MIN_NODES` nodes or more when installed.
    G : networkx graph

    Examples
    --------
    >>> choose_engine("auto", nx.path_graph(3))
    'networkx'
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    if engine == "igraph":
        if not igraph_available():
            raise ValueError("engine 'igraph' asked for but igraph is not installed (pip install igraph)")
        return "igraph"
    if engine == "auto" and G.number_of_nodes() >= AUTO_MIN_NODES and igraph_available():
        return "igraph"
    return "networkx"


@dataclass
class IGraphView:
    """An undirected simple networkx graph copied into igraph, vertex ``i`` being ``nodes[i]``.

    Attributes
    ----------
    graph : igraph.Graph
    nodes : list
        Node of each vertex, in the networkx graph's order.
    index : dict
        Vertex of each node.
    weights : list of float
        ``weight`` of each igraph edge (1 when absent).
    """

    graph: object
    nodes: list
    index: dict
    weights: list

    def scores(self, values) -> dict:
        """``{node: float}`` from one value per vertex.

        >>> view = to_igraph(nx.path_graph(["a", "b"]))
        >>> view.scores([1, 2])
        {'a': 1.0, 'b': 2.0}
        """
        return dict(zip(self.nodes, map(float, values)))


#: copies of frozen graphs, kept while the graph lives
_VIEWS: "weakref.WeakKeyDictionary[nx.Graph, IGraphView]" = weakref.WeakKeyDictionary()


def to_igraph(H: nx.Graph) -> IGraphView:
    """Copy an undirected simple graph into igraph.

    A frozen graph (:func:`networkx.freeze`, as
    :func:`~maillage.graph.analysis.convert.analysis_graph` returns) is copied once
    and the copy reused by every analysis of it; its edge weights must not be changed.

    Examples
    --------
    >>> view = to_igraph(nx.Graph([("rosny", "cuf", {"weight": 2})]))
    >>> view.graph.vcount(), view.weights
    (2, [2.0])
    >>> frozen = nx.freeze(nx.path_graph(3))
    >>> to_igraph(frozen) is to_igraph(frozen)
    True
    """
    if nx.is_frozen(H):
        view = _VIEWS.get(H)
        if view is None:
            view = _VIEWS[H] = _copy_into_igraph(H)
        return view
    return _copy_into_igraph(H)


def _copy_into_igraph(H: nx.Graph) -> IGraphView:
    import igraph

    nodes = list(H)
    index = {node: i for i, node in enumerate(nodes)}
    edges = []
    weights = []
    for u, v, w in H.edges(data="weight", default=1):
        edges.append((index[u], index[v]))
        weights.append(float(w))
    graph = igraph.Graph(n=len(nodes), edges=edges, directed=False)
    return IGraphView(graph, nodes, index, weights)


@contextmanager
def seeded_igraph(seed: int | None):
    """Run igraph's randomised algorithms from a seeded generator, then restore its default.

    Examples
    --------
    >>> with seeded_igraph(1):
    ...     pass
    """
    import igraph

    igraph.set_random_number_generator(random.Random(seed))
    try:
        yield
    finally:
        igraph.set_random_number_generator(random)
