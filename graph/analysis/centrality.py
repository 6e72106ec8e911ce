"""Centrality: who holds the network together.

Each function takes a networkx graph (directed or not, multi or not) and
returns ``{node: score}``. Relations are read as undirected ties: a partnership
counts for both ends, whichever way it was written down. Parallel relations
between two nodes make one tie whose ``weight`` is their number (or, on the
actor projection, the weight of what the two actors share).

Which scores use weights: weighted degree, eigenvector and PageRank do;
degree, betweenness, closeness and harmonic count steps along ties.

Large graphs are handed to igraph when it is installed (``engine="auto"``, see
:mod:`maillage.graph.analysis.engine`); the results are the same up to floating
point rounding. There, :func:`centrality_report` copies the graph once, keeps
every metric as a numpy array in vertex order and builds rows only for the
nodes it returns.
"""

from __future__ import annotations

import math
import operator
import random
import warnings
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from .convert import ArrayGraph, Scope, scope_of, simple_graph
from .engine import IGraphView, choose_engine, to_igraph

__all__ = [
    "METRICS",
    "BetweennessEstimate",
    "betweenness",
    "centrality_report",
    "centrality_table",
    "closeness",
    "degree",
    "eigenvector",
    "estimate_betweenness",
    "estimate_closeness",
    "harmonic",
    "pagerank",
    "sample_sources",
    "weighted_degree",
]

#: sampled sources are measured in this many batches, whose spread gives the standard error
ERROR_BATCHES = 4


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


def weighted_degree(G: nx.Graph) -> dict:
    """Sum of the weights of each node's ties (number of relations, or projection weights).

    Examples
    --------
    >>> G = nx.MultiDiGraph([("aitec", "programme"), ("cuf", "programme"), ("aitec", "programme")])
    >>> weighted_degree(G)["aitec"]
    2.0
    """
    H = simple_graph(G)
    return {node: float(value) for node, value in H.degree(weight="weight")}


def sample_sources(G: nx.Graph, k: int, seed: int | None) -> list:
    """The ``k`` source nodes sampled betweenness starts from: a seeded sample, in graph order.

    The same graph, ``k`` and ``seed`` give the same sources whatever the engine.

    Examples
    --------
    >>> sample_sources(nx.path_graph(10), 3, seed=1) == sample_sources(nx.path_graph(10), 3, seed=1)
    True
    """
    return random.Random(seed).sample(list(G), k)


@dataclass
class BetweennessEstimate:
    """Betweenness with how it was obtained.

    Attributes
    ----------
    scores : dict
        Normalised betweenness ``{node: value}``.
    k : int or None
        Number of sampled sources, ``None`` when exact.
    seed : int or None
    stderr : dict
        Standard error of each sampled score (empty when exact), from the spread of the
        estimates that :data:`ERROR_BATCHES` batches of the sources give (batch means),
        with the finite-population correction.
    """

    scores: dict
    k: int | None = None
    seed: int | None = None
    stderr: dict = field(default_factory=dict)

    @property
    def max_stderr(self) -> float:
        """The largest standard error (0 when exact)."""
        return max(self.stderr.values(), default=0.0)


def _dependencies_nx(H: nx.Graph, sources: list) -> np.ndarray:
    """Sum over ``sources`` of each node's pair dependencies (halved, as for undirected pairs)."""
    values = nx.betweenness_centrality_subset(H, sources=sources, targets=list(H), normalized=False)
    return np.array([values[node] for node in H], dtype=float)


def _batches(sources: list) -> list[list]:
    """The sources in :data:`ERROR_BATCHES` batches of nearly equal size, in sampled order: each
    batch costs one pass (igraph prepares the whole graph again for every call)."""
    return [
        sources[part[0] : part[-1] + 1]
        for part in np.array_split(np.arange(len(sources)), min(ERROR_BATCHES, len(sources)))
    ]


def _batch_means(dependencies: list[np.ndarray], n: int, k: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """The sum of the batches' dependencies, and the standard error of the estimate it gives."""
    total = np.sum(dependencies, axis=0)
    if len(dependencies) < 2:
        return total, np.zeros(n)
    sizes = np.array([len(batch) for batch in np.array_split(np.arange(k), len(dependencies))], dtype=float)
    estimates = np.array(dependencies) * (n * scale / sizes)[:, None]
    return total, estimates.std(axis=0, ddof=1) / math.sqrt(len(dependencies)) * math.sqrt(1 - k / n)


def _dependencies_ig(view: IGraphView, vertices: list) -> np.ndarray:
    return np.array(view.graph.betweenness(directed=False, sources=vertices, targets=None), dtype=float)


def _sampled_vertices(view: IGraphView, k: int, seed: int | None) -> np.ndarray:
    """The vertices of the nodes :func:`sample_sources` draws: a sample draws positions, whatever
    the population holds, so drawing from the positions themselves gives the same ones."""
    return np.array(random.Random(seed).sample(range(view.n), k), dtype=np.int64)


def _betweenness_arrays(
    view: IGraphView, k: int | None, seed: int | None
) -> tuple[np.ndarray, np.ndarray | None, int | None]:
    """Normalised betweenness of each vertex, its standard error (None when exact) and the sample size
    (None when exact), all in igraph."""
    n = view.n
    scale = 2.0 / ((n - 1) * (n - 2)) if n > 2 else 0.0
    if k is None or k >= n:
        exact = np.array(view.graph.betweenness(directed=False), dtype=float) if n else np.zeros(0)
        return exact * scale, None, None
    if k < 1:
        raise ValueError("the number of sampled sources must be at least 1")
    sources = _sampled_vertices(view, k, seed).tolist()
    total, stderr = _batch_means([_dependencies_ig(view, batch) for batch in _batches(sources)], n, k, scale)
    return total * (n / k) * scale, stderr, k


def estimate_betweenness(
    G: nx.Graph, k: int | None = None, seed: int | None = 0, engine: str = "auto", view: IGraphView | None = None
) -> BetweennessEstimate:
    """Normalised betweenness, exact or estimated from ``k`` sampled sources, with its error.

    Sampled: the sources are :func:`sample_sources`; each score is ``n / k`` times the
    sum of the sources' dependencies (Brandes), an unbiased estimate of the exact
    score. Its standard error comes from the spread of the estimates that
    :data:`ERROR_BATCHES` batches of the sources give (batch means).

    Parameters
    ----------
    G : networkx graph
    k : int, optional
        Number of sampled sources; exact when ``None`` or at least the number of nodes.
    seed : int, optional
    engine : {"auto", "networkx", "igraph"}
    view : IGraphView, optional
        ``G`` already copied into igraph.

    Examples
    --------
    >>> estimate = estimate_betweenness(nx.path_graph(5), k=5)
    >>> estimate.k, round(estimate.scores[2], 3)
    (None, 0.667)
    >>> sampled = estimate_betweenness(nx.path_graph(50), k=20, seed=3)
    >>> sampled.k, len(sampled.stderr)
    (20, 50)
    """
    H = simple_graph(G)
    n = H.number_of_nodes()
    if view is not None or choose_engine(engine, H) == "igraph":
        view = view or to_igraph(H)
        if n == 0:
            return BetweennessEstimate({})
        scores, stderr, used_k = _betweenness_arrays(view, k, seed)
        if used_k is None:
            return BetweennessEstimate(view.scores(scores))
        return BetweennessEstimate(view.scores(scores), used_k, seed, view.scores(stderr))
    scale = 2.0 / ((n - 1) * (n - 2)) if n > 2 else 0.0
    nodes = list(H)
    if k is None or k >= n:
        if n == 0:
            return BetweennessEstimate({})
        return BetweennessEstimate(dict(zip(nodes, map(float, _dependencies_nx(H, nodes) * scale))))
    if k < 1:
        raise ValueError("the number of sampled sources must be at least 1")
    sources = sample_sources(H, k, seed)
    total, stderr = _batch_means([_dependencies_nx(H, batch) for batch in _batches(sources)], n, k, scale)
    estimate = total * (n / k) * scale
    return BetweennessEstimate(dict(zip(nodes, map(float, estimate))), k, seed, dict(zip(nodes, map(float, stderr))))


def betweenness(G: nx.Graph, k: int | None = None, seed: int | None = 0, engine: str = "auto") -> dict:
    """Share of shortest paths between other nodes that pass through each node (normalised).

    Parameters
    ----------
    G : networkx graph
    k : int, optional
        Estimate from ``k`` sampled source nodes instead of all of them
        (see :func:`estimate_betweenness` for the error).
    seed : int, optional
        Seed of the sample, for reproducible estimates.
    engine : {"auto", "networkx", "igraph"}

    Examples
    --------
    >>> G = nx.path_graph(["rosny", "cuf", "crid"])
    >>> betweenness(G)
    {'rosny': 0.0, 'cuf': 1.0, 'crid': 0.0}
    """
    return estimate_betweenness(G, k, seed, engine).scores


def _components_ig(view: IGraphView) -> tuple[np.ndarray, np.ndarray]:
    """Component of each vertex (numbered in order of their lowest vertex) and the size of each."""
    membership = np.array(view.graph.connected_components().membership, dtype=np.int64)
    return membership, np.bincount(membership).astype(float) if len(membership) else np.zeros(0)


def _closeness_ig(view: IGraphView) -> np.ndarray:
    n = view.n
    if n < 2:
        return np.zeros(n)
    membership, size = _components_ig(view)
    # igraph's normalised closeness counts the reachable nodes only; None (isolated) becomes nan
    raw = np.nan_to_num(np.array(view.graph.closeness(normalized=True), dtype=float))
    return raw * (size[membership] - 1) / (n - 1)


def _harmonic_ig(view: IGraphView) -> np.ndarray:
    if view.n < 2:
        return np.zeros(view.n)
    return np.array(view.graph.harmonic_centrality(normalized=True), dtype=float)


def closeness(G: nx.Graph, engine: str = "auto", view: IGraphView | None = None) -> dict:
    """How near each node is to all others it can reach (Wasserman–Faust for split graphs).

    ``(r / (n - 1)) * (r / total distance)`` where ``r`` nodes are reachable.

    Examples
    --------
    >>> G = nx.path_graph(["rosny", "cuf", "crid"])
    >>> {n: round(v, 3) for n, v in closeness(G).items()}
    {'rosny': 0.667, 'cuf': 1.0, 'crid': 0.667}
    """
    H = simple_graph(G)
    if view is None and choose_engine(engine, H) == "networkx":
        return nx.closeness_centrality(H, wf_improved=True)
    view = view or to_igraph(H)
    return view.scores(_closeness_ig(view))


def harmonic(G: nx.Graph, engine: str = "auto", view: IGraphView | None = None) -> dict:
    """Harmonic closeness: the mean of ``1 / distance`` to every other node (0 for unreachable ones).

    Unlike closeness, it stays meaningful when the graph falls apart into pieces.

    Examples
    --------
    >>> G = nx.path_graph(["rosny", "cuf", "crid"])
    >>> {n: round(v, 3) for n, v in harmonic(G).items()}
    {'rosny': 0.75, 'cuf': 1.0, 'crid': 0.75}
    """
    H = simple_graph(G)
    n = H.number_of_nodes()
    if n < 2:
        return {node: 0.0 for node in H}
    if view is None and choose_engine(engine, H) == "networkx":
        values = nx.harmonic_centrality(H)
        return {node: values[node] / (n - 1) for node in H}
    view = view or to_igraph(H)
    return view.scores(_harmonic_ig(view))


#: a component no sampled source falls in is measured from all its nodes up to this size, else from this many
SMALL_COMPONENT = 64

#: distances read from igraph at a time (sources times nodes), to bound memory on large graphs
_DISTANCE_BLOCK = 12_000_000


def _hanging_from(view: IGraphView) -> np.ndarray:
    """For each vertex with a single tie to a vertex that has several (a leaf), that vertex; -1 for the others."""
    degrees = view.degrees()
    parent = np.full(view.n, -1, dtype=np.int64)
    for this, other in ((0, 1), (1, 0)):
        single = degrees[view.ends[:, this]] == 1
        parent[view.ends[single, this]] = view.ends[single, other]
    leaves = np.flatnonzero(parent >= 0)
    parent[leaves[degrees[parent[leaves]] == 1]] = -1
    return parent


#: below this share of leaves, searching the graph without them saves less than their bookkeeping costs
_LEAVES_WORTH_PRUNING = 0.25


def _distance_sums(view: IGraphView, sources: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Over ``sources``: each vertex's sum of distances and of inverse distances to them (unreachable
    ones count 0), and each source's own two sums."""
    parent = _hanging_from(view)
    if np.count_nonzero(parent >= 0) >= _LEAVES_WORTH_PRUNING * view.n:
        return _distance_sums_without_leaves(view, sources, parent)
    n = view.n
    total, inverse = np.zeros(n), np.zeros(n)
    own_total, own_inverse = np.zeros(len(sources)), np.zeros(len(sources))
    step = max(1, min(64, _DISTANCE_BLOCK // max(n, 1)))
    for start in range(0, len(sources), step):
        block = np.array(view.graph.distances(source=sources[start : start + step].tolist()), dtype=float)
        finite = np.isfinite(block)
        steps = np.where(finite, block, 0.0)
        inverted = np.divide(1.0, block, out=np.zeros_like(block), where=finite & (block > 0))
        total += steps.sum(axis=0)
        inverse += inverted.sum(axis=0)
        own_total[start : start + step] = steps.sum(axis=1)
        own_inverse[start : start + step] = inverted.sum(axis=1)
    return total, inverse, own_total, own_inverse


def _distance_sums_without_leaves(
    view: IGraphView, sources: np.ndarray, parent: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_distance_sums` from searches of the graph without its leaves (``parent`` of each
    leaf, -1 for the other vertices, as :func:`_hanging_from` gives).

    Leaves (a vertex whose single tie goes to a vertex with several) lie on no shortest path
    between others, and a leaf is one step further than its neighbour from every other vertex:
    breadth-first searches run on the graph without its leaves, from the sources or their
    neighbours, and the leaves' sums follow from their neighbours' (the same sums, exactly).
    """
    import igraph

    n = view.n
    leaf = parent >= 0
    core = np.flatnonzero(~leaf)
    position = np.full(n, -1, dtype=np.int64)
    position[core] = np.arange(len(core))
    inside = ~leaf[view.ends[:, 0]] & ~leaf[view.ends[:, 1]]
    core_ends = position[view.ends[inside]]
    core_graph = igraph.Graph(
        n=len(core), edges=list(zip(core_ends[:, 0].tolist(), core_ends[:, 1].tolist())), directed=False
    )
    hanging = np.bincount(position[parent[leaf]], minlength=len(core)).astype(float)
    source_is_leaf = leaf[sources]
    roots, root_of = np.unique(position[np.where(source_is_leaf, parent[sources], sources)], return_inverse=True)
    root_of = root_of.ravel()
    own = np.bincount(root_of, weights=~source_is_leaf, minlength=len(roots))
    hung = np.bincount(root_of, weights=source_is_leaf, minlength=len(roots))
    steps_to = np.zeros(len(core))
    reached_by_own, reached_by_hung = np.zeros(len(core)), np.zeros(len(core))
    inverse_core, inverse_leaf = np.zeros(len(core)), np.zeros(len(core))
    # per root: sums over the core of D, hanging * D, 1, hanging, 1 / D, 1 / (D + 1), hanging / (D + 1), hanging / (D + 2)
    per_root = np.zeros((8, len(roots)))
    step = max(1, min(64, _DISTANCE_BLOCK // max(len(core), 1)))
    for start in range(0, len(roots), step):
        block = slice(start, start + step)
        distances = np.array(core_graph.distances(source=roots[block].tolist()), dtype=float)
        finite = np.isfinite(distances)
        steps = np.where(finite, distances, 0.0)
        inverse = np.divide(1.0, distances, out=np.zeros_like(distances), where=finite & (distances > 0))
        # unreachable: 1 / inf is 0
        inverse_1, inverse_2 = 1.0 / (distances + 1.0), 1.0 / (distances + 2.0)
        del distances
        a, b = own[block], hung[block]
        steps_to += (a + b) @ steps
        reached_by_own += a @ finite
        reached_by_hung += b @ finite
        inverse_core += a @ inverse + b @ inverse_1
        inverse_leaf += a @ inverse_1 + b @ inverse_2
        per_root[:, block] = (
            steps.sum(axis=1),
            steps @ hanging,
            finite.sum(axis=1),
            finite @ hanging,
            inverse.sum(axis=1),
            inverse_1.sum(axis=1),
            inverse_1 @ hanging,
            inverse_2 @ hanging,
        )
    is_source = np.zeros(n, dtype=bool)
    is_source[sources] = True
    total, inverse = np.empty(n), np.empty(n)
    total[core], inverse[core] = steps_to + reached_by_hung, inverse_core
    leaves = np.flatnonzero(leaf)
    above = position[parent[leaves]]
    total[leaves] = steps_to[above] + reached_by_own[above] + 2 * reached_by_hung[above] - 2 * is_source[leaves]
    inverse[leaves] = inverse_leaf[above] - 0.5 * is_source[leaves]
    sums, sums_hanging, reached, reached_hanging, inverse_d, inverse_d1, hanging_d1, hanging_d2 = per_root[:, root_of]
    own_total = np.where(
        source_is_leaf,
        sums + reached + sums_hanging + 2 * reached_hanging - 2,
        sums + sums_hanging + reached_hanging,
    )
    own_inverse = np.where(source_is_leaf, inverse_d1 + hanging_d2 - 0.5, inverse_d + hanging_d1)
    return total, inverse, own_total, own_inverse


def _scaled_closeness(
    sums: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], sources, membership: np.ndarray, size: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Closeness, harmonic closeness and each node's reach (component size less one) from the
    distance sums to the sampled ``sources`` (:func:`_distance_sums`), scaled up within each
    component by its size over the sources it holds; the sources keep their exact sums."""
    total, inverse, own_total, own_inverse = sums
    n = len(membership)
    counted = np.bincount(membership[sources], minlength=len(size))
    scale = size[membership] / np.maximum(counted[membership], 1)
    estimated_total, estimated_inverse = total * scale, inverse * scale
    estimated_total[sources], estimated_inverse[sources] = own_total, own_inverse
    reach = size[membership] - 1
    close = np.divide((reach / (n - 1)) * reach, estimated_total, out=np.zeros(n), where=estimated_total > 0)
    return close, estimated_inverse / (n - 1), reach


def _estimate_closeness_ig(view: IGraphView, k: int, seed: int | None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`estimate_closeness` in igraph and numpy: the components no source falls in are
    measured within themselves, so that many small pieces cost no more than their own size."""
    n = view.n
    if n < 2:
        return np.zeros(n), np.zeros(n)
    membership, size = _components_ig(view)
    sources = _sampled_vertices(view, min(k, n), seed)
    missed = np.ones(len(size), dtype=bool)
    missed[membership[sources]] = False
    missed &= size > 1
    small = missed & (size <= SMALL_COMPONENT)
    large = np.flatnonzero(missed & (size > SMALL_COMPONENT))
    if len(large):
        rng = random.Random(seed)
        # the same draws, in the same order, as components numbered by their lowest vertex
        order = np.argsort(membership, kind="stable")
        starts = np.searchsorted(membership[order], large)
        extra = [
            rng.sample(order[start : start + int(size[number])].tolist(), SMALL_COMPONENT)
            for number, start in zip(large.tolist(), starts.tolist())
        ]
        sources = np.concatenate([sources, np.array(extra, dtype=np.int64).ravel()])
    close, harm, reach = _scaled_closeness(_distance_sums(view, sources), sources, membership, size)
    exact = np.flatnonzero(small[membership])
    if len(exact):
        vertices = exact.tolist()
        raw = np.nan_to_num(np.array(view.graph.closeness(vertices=vertices, normalized=True), dtype=float))
        close[exact] = raw * reach[exact] / (n - 1)
        harm[exact] = np.array(view.graph.harmonic_centrality(vertices=vertices, normalized=True), dtype=float)
    return close, harm


def estimate_closeness(
    G: nx.Graph, k: int, seed: int | None = 0, engine: str = "auto", view: IGraphView | None = None
) -> tuple[dict, dict]:
    """Closeness and harmonic closeness estimated from ``k`` sampled sources (Eppstein–Wang).

    The sources are those of :func:`sample_sources` (the same as sampled betweenness).
    Within each connected component, the sum of a node's distances (and of their
    inverses) to the component's nodes is estimated as ``size / sources`` times the
    sum over the sources in the component; a component no source falls in is measured
    from all its nodes (or :data:`SMALL_COMPONENT` of them, seeded). The sources
    themselves get their exact values.

    Returns
    -------
    (dict, dict)
        ``closeness`` and ``harmonic`` as :func:`closeness` and :func:`harmonic` define them.

    Examples
    --------
    >>> G = nx.path_graph(40)
    >>> close, harm = estimate_closeness(G, k=40)
    >>> round(close[0], 6) == round(closeness(G)[0], 6), round(harm[20], 6) == round(harmonic(G)[20], 6)
    (True, True)
    """
    H = simple_graph(G)
    if choose_engine(engine, H) == "igraph" or view is not None:
        view = view or to_igraph(H)
        close, harm = _estimate_closeness_ig(view, k, seed)
        return view.scores(close), view.scores(harm)
    nodes = list(H)
    n = len(nodes)
    if n < 2:
        return {node: 0.0 for node in nodes}, {node: 0.0 for node in nodes}
    index = {node: i for i, node in enumerate(nodes)}
    component = np.empty(n, dtype=np.int64)
    members: list[list[int]] = []
    for number, part in enumerate(nx.connected_components(H)):
        found = sorted(index[node] for node in part)
        members.append(found)
        component[found] = number
    size = np.array([len(found) for found in members], dtype=float)
    sources = [index[node] for node in sample_sources(H, min(k, n), seed)]
    hit = set(component[sources].tolist())
    rng = random.Random(seed)
    for number, found in enumerate(members):
        if number not in hit and len(found) > 1:
            sources.extend(found if len(found) <= SMALL_COMPONENT else rng.sample(found, SMALL_COMPONENT))
    total = np.zeros(n)
    inverse = np.zeros(n)
    own_total = np.zeros(len(sources))
    own_inverse = np.zeros(len(sources))
    for row, i in enumerate(sources):
        for node, steps in nx.single_source_shortest_path_length(H, nodes[i]).items():
            if steps:
                total[index[node]] += steps
                inverse[index[node]] += 1.0 / steps
                own_total[row] += steps
                own_inverse[row] += 1.0 / steps
    close, harm, _ = _scaled_closeness((total, inverse, own_total, own_inverse), sources, component, size)
    return dict(zip(nodes, close.tolist())), dict(zip(nodes, harm.tolist()))


def _eigenvector_ig(view: IGraphView) -> np.ndarray:
    if not len(view.ends):
        return np.zeros(view.n)
    with warnings.catch_warnings():
        # igraph warns on split graphs; the result is then, as with NetworkX, concentrated on one part
        warnings.filterwarnings(
            "ignore", message="Some eigenvector centralities are nearly zero", category=RuntimeWarning
        )
        values = np.abs(np.array(view.graph.eigenvector_centrality(scale=True, weights=view.weights), dtype=float))
    norm = np.linalg.norm(values)
    return values / norm if norm else values


def eigenvector(G: nx.Graph, engine: str = "auto", view: IGraphView | None = None) -> dict:
    """Eigenvector centrality (weighted, unit length): being tied to well-tied nodes.

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
    if view is None and choose_engine(engine, H) == "networkx":
        try:
            return nx.eigenvector_centrality(H, max_iter=1000, tol=1e-10, weight="weight")
        except nx.PowerIterationFailedConvergence:
            return nx.eigenvector_centrality_numpy(H, weight="weight")
    view = view or to_igraph(H)
    return view.scores(_eigenvector_ig(view))


def _pagerank_ig(view: IGraphView, alpha: float = 0.85) -> np.ndarray:
    return np.array(view.graph.pagerank(damping=alpha, weights=view.weights, directed=False), dtype=float)


def pagerank(G: nx.Graph, alpha: float = 0.85, engine: str = "auto", view: IGraphView | None = None) -> dict:
    """PageRank over undirected, weighted ties: where a random walk along relations spends its time.

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
    if view is None and choose_engine(engine, H) == "networkx":
        return nx.pagerank(H, alpha=alpha, weight="weight", tol=1e-10, max_iter=1000)
    view = view or to_igraph(H)
    return view.scores(_pagerank_ig(view, alpha))


#: metric name -> plain function (all take a graph; all return ``{node: score}``)
METRICS = {
    "degree": degree,
    "weighted_degree": weighted_degree,
    "betweenness": betweenness,
    "closeness": closeness,
    "harmonic": harmonic,
    "eigenvector": eigenvector,
    "pagerank": pagerank,
}


def _round(value: float) -> float:
    """Scores are rounded to 9 decimals so reports do not depend on the last bits."""
    return round(float(value), 9) + 0.0


def _columns_ig(
    view: IGraphView, wanted: list, k: int | None, seed: int | None
) -> tuple[dict, np.ndarray | None, int | None]:
    """Every wanted metric as an array in vertex order, from the one igraph copy."""
    columns: dict[str, np.ndarray] = {}
    stderr, used_k = None, None
    sampled = k is not None and k < view.n
    if sampled and {"closeness", "harmonic"} & set(wanted):
        columns["closeness"], columns["harmonic"] = _estimate_closeness_ig(view, k, seed)
    compute = {
        "degree": view.degrees,
        "weighted_degree": view.strengths,
        "closeness": lambda: _closeness_ig(view),
        "harmonic": lambda: _harmonic_ig(view),
        "eigenvector": lambda: _eigenvector_ig(view),
        "pagerank": lambda: _pagerank_ig(view),
    }
    for name in wanted:
        if name in columns:
            continue
        if name == "betweenness":
            columns[name], stderr, used_k = _betweenness_arrays(view, k, seed) if view.n else (np.zeros(0), None, None)
        else:
            columns[name] = compute[name]()
    return columns, stderr, used_k


def _columns_nx(
    H: nx.Graph, nodes: list, wanted: list, k: int | None, seed: int | None
) -> tuple[dict, np.ndarray | None, int | None]:
    scores: dict[str, dict] = {}
    estimate = BetweennessEstimate({})
    if k is not None and k < len(nodes) and {"closeness", "harmonic"} & set(wanted):
        scores["closeness"], scores["harmonic"] = estimate_closeness(H, k, seed, "networkx")
    for name in wanted:
        if name in scores:
            continue
        if name == "betweenness":
            estimate = estimate_betweenness(H, k, seed, "networkx")
            scores[name] = estimate.scores
        elif name in ("degree", "weighted_degree"):
            scores[name] = METRICS[name](H)
        else:
            scores[name] = METRICS[name](H, engine="networkx")

    def column(values: dict) -> np.ndarray:
        return np.array(
            [values.get(node, 0.0) for node in nodes], dtype=np.int64 if values is scores.get("degree") else float
        )

    stderr = column(estimate.stderr) if estimate.k is not None else None
    return {name: column(scores[name]) for name in wanted}, stderr, estimate.k


def _ranked(nodes: list, key: np.ndarray, candidates: np.ndarray, top: int | None) -> list[int]:
    """``candidates`` sorted by ``key`` (highest first, then by id), the first ``top`` of them:
    only the nodes that can make the cut are sorted in Python."""
    values = key[candidates]
    if top is not None and top < len(candidates):
        threshold = np.partition(values, len(values) - top)[len(values) - top]
        candidates, values = candidates[values >= threshold], values[values >= threshold]
        indices = candidates.tolist()
        chosen = sorted(zip((-values).tolist(), [str(nodes[i]) for i in indices], indices))
        return [i for *_, i in chosen[:top]]
    names = list(map(str, nodes))
    name_rank = np.empty(len(nodes), dtype=np.int64)
    name_rank[sorted(range(len(nodes)), key=names.__getitem__)] = np.arange(len(nodes))
    return candidates[np.lexsort((name_rank[candidates], -values))].tolist()


def centrality_report(
    G: nx.Graph,
    metric: str = "degree",
    kinds=None,
    k: int | None = None,
    seed: int | None = 0,
    engine: str = "auto",
    metrics=None,
    top: int | None = None,
) -> dict:
    """Centralities of every node, with how they were computed.

    Parameters
    ----------
    G : networkx graph or ArrayGraph
        Node attributes ``name`` and ``kind`` are copied into the rows when present;
        ``G.graph["scope"]`` (see :func:`~maillage.graph.analysis.convert.analysis_graph`) is reported.
        An :class:`~maillage.graph.analysis.convert.ArrayGraph` (a national graph read as
        arrays) gives the same report.
    metric : str
        Sort key, one of :data:`METRICS`.
    kinds : collection of str, optional
        Keep only rows of these kinds; metrics are still computed on the whole graph.
    k, seed : int, optional
        Betweenness, closeness and harmonic closeness estimated from ``k`` sampled
        sources (exact when ``None``); see :func:`estimate_betweenness` and
        :func:`estimate_closeness`.
    engine : {"auto", "networkx", "igraph"}
    metrics : collection of str, optional
        Compute only these (default: all of :data:`METRICS`); the others are absent from rows.
    top : int, optional
        Return only the first ``top`` rows (default: every row).

    Returns
    -------
    dict
        ``{"scope": {...}, "engine": str, "metric": str, "betweenness": {"k", "seed",
        "max_stderr"}, "sampled": [metrics estimated], "rows": [...]}``; rows sorted by ``metric`` (highest first, then id),
        each with ``id``, ``name``, ``kind`` and one key per metric, plus
        ``betweenness_stderr`` when sampled.

    Examples
    --------
    >>> report = centrality_report(nx.path_graph(["rosny", "cuf", "crid"]), "betweenness")
    >>> report["rows"][0]["id"], report["rows"][0]["betweenness"], report["engine"]
    ('cuf', 1.0, 'networkx')
    >>> [row["id"] for row in centrality_report(nx.path_graph(["rosny", "cuf", "crid"]), top=2)["rows"]]
    ['cuf', 'crid']
    """
    wanted = list(METRICS) if metrics is None else [m for m in METRICS if m in set(metrics)]
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}")
    if metric not in wanted:
        wanted.append(metric)
    H = G if isinstance(G, ArrayGraph) else simple_graph(G)
    used = choose_engine(engine, H)
    if isinstance(H, ArrayGraph) and used == "networkx":
        H = H.to_networkx()
    scope = H.graph.get("scope")
    if used == "igraph":
        view = H.view if isinstance(H, ArrayGraph) else to_igraph(H)
        nodes = view.nodes
        columns, stderr, used_k = _columns_ig(view, wanted, k, seed)
        if not isinstance(scope, Scope):
            scope = Scope("full", view.n, len(view.ends))
    else:
        nodes = list(H)
        columns, stderr, used_k = _columns_nx(H, nodes, wanted, k, seed)
        scope = scope_of(H)
    if kinds and isinstance(H, ArrayGraph):
        candidates = H.vertices_of_kinds(kinds)
    elif kinds:
        wanted_kinds = set(kinds)
        kind_of = operator.methodcaller("get", "kind")
        candidates = np.flatnonzero(
            np.fromiter(
                map(wanted_kinds.__contains__, map(kind_of, map(H.nodes.__getitem__, nodes))),
                dtype=bool,
                count=len(nodes),
            )
        )
    else:
        candidates = np.arange(len(nodes))
    key = columns[metric] if metric == "degree" else np.round(columns[metric], 9)
    chosen = _ranked(nodes, key, candidates, top)
    picked = {name: columns[name][chosen].tolist() for name in wanted}
    errors = stderr[chosen].tolist() if stderr is not None else None
    rows = []
    for position, i in enumerate(chosen):
        node = nodes[i]
        if isinstance(H, ArrayGraph):
            row = {"id": node, "name": H.names[i], "kind": H.kind(i)}
        else:
            data = H.nodes[node]
            row = {"id": node, "name": data.get("name", str(node)), "kind": data.get("kind", "")}
        for name in wanted:
            value = picked[name][position]
            row[name] = int(value) if name == "degree" else _round(value)
        if errors is not None:
            row["betweenness_stderr"] = _round(errors[position])
        rows.append(row)
    max_stderr = float(stderr.max()) if stderr is not None and len(stderr) else 0.0
    sampled = k is not None and k < len(nodes)
    return {
        "scope": scope.as_dict(),
        "engine": used,
        "metric": metric,
        "betweenness": {"k": used_k, "seed": seed if used_k is not None else None, "max_stderr": _round(max_stderr)}
        if "betweenness" in wanted
        else None,
        "sampled": sorted(m for m in ("betweenness", "closeness", "harmonic") if m in wanted) if sampled else [],
        "rows": rows,
    }


def centrality_table(G: nx.Graph, metric: str = "degree", kinds=None, **options) -> list[dict]:
    """Every metric for every node, sorted by ``metric`` (highest first, then by id).

    Parameters
    ----------
    G : networkx graph
        Node attributes ``name`` and ``kind`` are copied into the rows when present.
    metric : str
        One of :data:`METRICS`.
    kinds : collection of str, optional
        Keep only rows of these kinds; metrics are still computed on the whole graph.
    **options
        ``k``, ``seed``, ``engine``, ``metrics``: see :func:`centrality_report`.

    Examples
    --------
    >>> G = nx.Graph()
    >>> G.add_node("a", name="Aitec", kind="Association")
    >>> G.add_node("p", name="Programme", kind="Project")
    >>> G.add_edge("a", "p")
    >>> [row["id"] for row in centrality_table(G, kinds={"Association"})]
    ['a']
    """
    return centrality_report(G, metric, kinds, **options)["rows"]
