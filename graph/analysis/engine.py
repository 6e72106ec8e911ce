"""Acceleration: the same analyses computed by igraph (and networkit) on large graphs.

NetworkX is the reference and the API. When igraph is installed and a graph
has at least :data:`AUTO_MIN_NODES` nodes, ``engine="auto"`` hands PageRank,
betweenness, closeness, harmonic and eigenvector centrality, Louvain and Leiden
to igraph, which runs them in C; Louvain goes to networkit's PLM instead when
networkit is installed, which finds partitions of the same modularity several
times faster (``bench/analysis.py`` measures both). Sampled betweenness stays in
igraph: it takes the sources we sample, so the estimate and its error can be
checked source by source against NetworkX, which networkit's estimators cannot.

The graph is copied once: :func:`to_igraph` reads the networkx adjacency into
numpy arrays (:class:`IGraphView`), from which the igraph and networkit graphs
are built when first needed, and every analysis of a frozen graph shares them.
The results follow NetworkX's definitions (normalisations included); the tests
check them against NetworkX.
"""

from __future__ import annotations

import gc
import operator
import random
import weakref
from contextlib import contextmanager
from functools import cached_property
from itertools import chain

import networkx as nx
import numpy as np

__all__ = [
    "AUTO_MIN_NODES",
    "ENGINES",
    "IGraphView",
    "choose_engine",
    "igraph_available",
    "networkit_available",
    "seeded_igraph",
    "seeded_networkit",
    "to_igraph",
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


def networkit_available() -> bool:
    """Whether networkit can be imported.

    >>> isinstance(networkit_available(), bool)
    True
    """
    try:
        import networkit  # noqa: F401
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


class IGraphView:
    """An undirected networkx graph as arrays, vertex ``i`` being ``nodes[i]``.

    Parameters
    ----------
    nodes : list
        Node of each vertex, in the networkx graph's order.
    ends : numpy array (m, 2) of int
        The two vertices of each edge, the lower first.
    weight_array : numpy array (m,) of float
        ``weight`` of each edge (1 when absent).

    Attributes
    ----------
    graph : igraph.Graph
        Built on first use; its edge ``i`` is ``ends[i]``.
    index : dict
        Vertex of each node, built on first use.
    weights : list of float
        ``weight_array`` as igraph takes it.
    """

    def __init__(self, nodes: list, ends: np.ndarray, weight_array: np.ndarray):
        self.nodes = nodes
        self.ends = ends
        self.weight_array = weight_array

    @property
    def n(self) -> int:
        """Number of vertices."""
        return len(self.nodes)

    @cached_property
    def index(self) -> dict:
        return dict(zip(self.nodes, range(len(self.nodes))))

    @cached_property
    def weights(self) -> list:
        return self.weight_array.tolist()

    @cached_property
    def graph(self):
        import igraph

        # igraph reads a list of tuples several times faster than a numpy array or a list of lists
        with _collector_paused():
            edges = list(zip(self.ends[:, 0].tolist(), self.ends[:, 1].tolist()))
            return igraph.Graph(n=len(self.nodes), edges=edges, directed=False)

    @cached_property
    def networkit(self):
        """The same graph in networkit (weighted), built on first use."""
        import networkit

        graph = networkit.Graph(len(self.nodes), weighted=True, directed=False)
        if len(self.ends):
            graph.addEdges((self.weight_array, (self.ends[:, 0], self.ends[:, 1])), addMissing=False)
        return graph

    def degrees(self) -> np.ndarray:
        """Number of ties of each vertex (a loop counts twice, as in networkx).

        >>> to_igraph(nx.path_graph(3)).degrees().tolist()
        [1, 2, 1]
        """
        return np.bincount(self.ends.ravel(), minlength=len(self.nodes))

    def strengths(self) -> np.ndarray:
        """Sum of the weights of each vertex's ties.

        >>> to_igraph(nx.Graph([("a", "b", {"weight": 2})])).strengths().tolist()
        [2.0, 2.0]
        """
        n = len(self.nodes)
        return np.bincount(self.ends[:, 0], self.weight_array, n) + np.bincount(self.ends[:, 1], self.weight_array, n)

    def positions(self, nodes) -> np.ndarray:
        """Vertices of ``nodes``.

        >>> to_igraph(nx.path_graph(["a", "b", "c"])).positions(["c", "a"]).tolist()
        [2, 0]
        """
        return np.fromiter(map(self.index.__getitem__, nodes), dtype=np.int64, count=len(nodes))

    def scores(self, values) -> dict:
        """``{node: float}`` from one value per vertex.

        >>> view = to_igraph(nx.path_graph(["a", "b"]))
        >>> view.scores([1, 2])
        {'a': 1.0, 'b': 2.0}
        """
        return dict(zip(self.nodes, np.asarray(values, dtype=float).tolist()))


#: copies of frozen graphs, kept while the graph lives
_VIEWS: weakref.WeakKeyDictionary[nx.Graph, IGraphView] = weakref.WeakKeyDictionary()


def to_igraph(H: nx.Graph) -> IGraphView:
    """Copy an undirected graph into arrays, from which igraph and networkit graphs are built.

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
            view = _VIEWS[H] = _copy(H)
        return view
    return _copy(H)


_WEIGHT = operator.methodcaller("get", "weight", 1)


@contextmanager
def _collector_paused():
    """Pause the cyclic garbage collector: copies allocate millions of small objects that hold no
    cycles, and each collection they trigger would walk the whole networkx graph again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _copy(H: nx.Graph) -> IGraphView:
    """Read the adjacency with C-level iterators (no Python loop over nodes or edges): each
    tie appears at both its ends, and is kept at its lower vertex."""
    # the dict of dicts itself (graph views have a mapping there too): networkx's read-only
    # views of it would cost a Python call per neighbour
    adjacency = H._adj
    with _collector_paused():
        nodes = list(adjacency)
        n = len(nodes)
        index = dict(zip(nodes, range(n)))
        neighbours = list(adjacency.values())
        counts = np.fromiter(map(len, neighbours), dtype=np.int64, count=n)
        total = int(counts.sum())
        targets = np.fromiter(map(index.__getitem__, chain.from_iterable(neighbours)), dtype=np.int64, count=total)
        weights = np.fromiter(
            map(_WEIGHT, chain.from_iterable(map(operator.methodcaller("values"), neighbours))),
            dtype=float,
            count=total,
        )
    sources = np.repeat(np.arange(n, dtype=np.int64), counts)
    kept = sources <= targets
    view = IGraphView(nodes, np.stack([sources[kept], targets[kept]], axis=1), weights[kept])
    view.__dict__["index"] = index
    return view


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


@contextmanager
def seeded_networkit(seed: int | None):
    """Run networkit on one thread from a fixed seed, so that its results depend only on the
    graph and the seed; restore its thread count afterwards.

    Examples
    --------
    >>> with seeded_networkit(1):
    ...     pass
    """
    import networkit

    threads = networkit.getMaxNumberOfThreads()
    networkit.setNumberOfThreads(1)
    networkit.setSeed(0 if seed is None else seed, False)
    try:
        yield
    finally:
        networkit.setNumberOfThreads(threads)
