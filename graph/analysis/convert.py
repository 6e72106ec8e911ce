"""Turning the store's multigraph into the plain graphs analyses run on.

The store gives a ``MultiDiGraph`` of everything it knows, provenance included.
Analyses run on an undirected simple graph, and every report states which one:
:func:`analysis_graph` builds it and attaches a :class:`Scope` describing what
was kept and what was left out (``H.graph["scope"]``).

By default Document nodes (and their MENTIONS relations) are left out: a
document that mentions every organisation is where the facts come from, not a
tie between them, and it would otherwise top every centrality. Person nodes are
left out too: contacts are personal data and are not shown unless asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import compress

import networkx as nx
import numpy as np

from .engine import IGraphView

__all__ = [
    "GRAPHS",
    "INCLUDABLE",
    "ArrayGraph",
    "Scope",
    "analysis_arrays",
    "analysis_graph",
    "display_name",
    "scope_of",
    "simple_graph",
]

#: what ``--graph`` may name: the whole graph, or the weighted actor–actor projection
GRAPHS = ("full", "actors")

#: optional parts, left out by default: name -> (node kinds, relation types) they bring back
INCLUDABLE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "documents": (("Document",), ("MENTIONS",)),
    "people": (("Person",), ("CONTACT_FOR",)),
}


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
    H.graph.update(G.graph)
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


def _kept_simple_graph(
    G: nx.Graph, left_kinds: tuple[str, ...], left_types: tuple[str, ...]
) -> tuple[nx.Graph, int, int, int]:
    """:func:`simple_graph` of ``G`` without the nodes of ``left_kinds`` and the relations of
    ``left_types``, with how many nodes and relations that left out, and how many ties it has.

    One pass over the store's dicts: networkx's subgraph and restricted views would call a
    filter for every node and relation at every step, which is most of the time a report
    takes on a national graph.
    """
    multi = G.is_multigraph()
    dropped_kinds = frozenset(left_kinds)
    dropped_types = frozenset(left_types)
    kept = {node: data for node, data in G.nodes(data=True) if data.get("kind") not in dropped_kinds}
    H = nx.Graph()
    H.graph.update(G.graph)
    H.add_nodes_from(kept.items())
    adjacency = H._adj
    left_relations = ties = 0
    seen_undirected = not G.is_directed()
    for u, targets in G.adj.items():
        if u not in kept:
            left_relations += sum(map(len, targets.values())) if multi else len(targets)
            continue
        around = adjacency[u]
        for v, relations in targets.items():
            if v not in kept:
                left_relations += len(relations) if multi else 1
                continue
            weight, count = 0, 0
            for data in relations.values() if multi else (relations,):
                if data.get("type") in dropped_types:
                    left_relations += 1
                else:
                    weight += data.get("weight", 1)
                    count += 1
            if not count or u == v:
                continue
            tie = around.get(v)
            if tie is None:
                around[v] = adjacency[v][u] = {"weight": weight}
                ties += 1
            elif not seen_undirected:
                tie["weight"] += weight
    if seen_undirected:
        # an undirected graph lists every relation at both its ends
        left_relations //= 2
    return H, G.number_of_nodes() - len(kept), left_relations, ties


#: The words of :meth:`Scope.describe`, per language.
SCOPE_WORDS = {
    "fr": {
        "full": "le graphe complet",
        "actors": "la projection acteur–acteur",
        "directed": "relations orientées",
        "undirected": "relations lues sans orientation",
        "computed": "Calculé sur {what} : {nodes} nœuds, {edges} liens ({how}).",
        "weights": {"projects": "projet", "themes": "thème", "countries": "pays", "ties": "lien direct"},
        "projection": " Deux acteurs sont liés par ce qu'ils partagent, avec un poids ({parts}) ;"
        " liens de poids inférieur à {min_weight:g} écartés.",
        "left_out": " Écartés : {nodes} nœuds de type {kinds}, {relations} relations de type {types}.",
    },
    "en": {
        "full": "the full graph",
        "actors": "the actor–actor projection",
        "directed": "relations keep their direction",
        "undirected": "relations read as undirected",
        "computed": "Computed on {what}: {nodes} nodes, {edges} ties ({how}).",
        "weights": {"projects": "project", "themes": "theme", "countries": "country", "ties": "direct tie"},
        "projection": " Two actors are linked by what they share, weighted ({parts});"
        " links below {min_weight:g} dropped.",
        "left_out": " Left out: {nodes} nodes of kind {kinds}, {relations} relations of type {types}.",
    },
}


@dataclass(frozen=True)
class Scope:
    """Which graph an analysis ran on: shown at the top of every report.

    Attributes
    ----------
    graph : str
        ``"full"`` (every kept node and relation) or ``"actors"`` (actor–actor projection).
    nodes, edges : int
        Size of the analysed graph (edges of the simple undirected graph).
    left_out_kinds, left_out_types : tuple of str
        Node kinds and relation types that were not taken into account.
    left_out_nodes, left_out_relations : int
        How many nodes and relations of the store that removed.
    weights : dict
        For the projection: what each shared project, theme, country or direct tie weighs.
    min_weight : float
        For the projection: the weakest link kept.
    directed : bool
        Whether relations keep the direction they were written in.
    """

    graph: str
    nodes: int
    edges: int
    left_out_kinds: tuple[str, ...] = ()
    left_out_types: tuple[str, ...] = ()
    left_out_nodes: int = 0
    left_out_relations: int = 0
    weights: dict = field(default_factory=dict)
    min_weight: float | None = None
    directed: bool = False

    def as_dict(self) -> dict:
        """The scope as plain JSON-ready data.

        >>> Scope("full", 3, 2).as_dict()["nodes"]
        3
        """
        return {
            "graph": self.graph,
            "nodes": self.nodes,
            "edges": self.edges,
            "left_out_kinds": list(self.left_out_kinds),
            "left_out_types": list(self.left_out_types),
            "left_out_nodes": self.left_out_nodes,
            "left_out_relations": self.left_out_relations,
            "weights": dict(sorted(self.weights.items())),
            "min_weight": self.min_weight,
            "directed": self.directed,
        }

    def describe(self, lang: str = "fr") -> str:
        """One sentence saying what graph was analysed.

        >>> Scope("full", 3, 2, ("Document",), ("MENTIONS",), 1, 4).describe("en")
        'Computed on the full graph: 3 nodes, 2 ties (relations read as undirected). Left out: 1 nodes of kind Document, 4 relations of type MENTIONS.'
        """
        words = SCOPE_WORDS[lang]
        what = words["full"] if self.graph == "full" else words["actors"]
        how = words["directed"] if self.directed else words["undirected"]
        text = words["computed"].format(what=what, nodes=self.nodes, edges=self.edges, how=how)
        if self.graph == "actors":
            labels = words["weights"]
            parts = ", ".join(f"{labels.get(k, k)} {v:g}" for k, v in sorted(self.weights.items()))
            text += words["projection"].format(parts=parts, min_weight=self.min_weight)
        if self.left_out_kinds or self.left_out_types:
            text += words["left_out"].format(
                nodes=self.left_out_nodes,
                kinds=", ".join(self.left_out_kinds) or "-",
                relations=self.left_out_relations,
                types=", ".join(self.left_out_types) or "-",
            )
        return text


def display_name(G: nx.Graph, node) -> str:
    """The ``name`` of a node, or its id when it has none (or is not in ``G``).

    >>> G = nx.Graph(); G.add_node("association:crid", name="CRID"); G.add_node("x")
    >>> display_name(G, "association:crid"), display_name(G, "x"), display_name(G, "absent")
    ('CRID', 'x', 'absent')
    """
    return G.nodes[node].get("name", str(node)) if node in G else str(node)


def scope_of(H: nx.Graph) -> Scope:
    """The scope attached to ``H``, or one describing ``H`` as it is.

    >>> scope_of(nx.path_graph(3)).edges
    2
    """
    scope = H.graph.get("scope")
    if isinstance(scope, Scope):
        return scope
    return Scope("full", H.number_of_nodes(), H.number_of_edges())


def _left_out(include) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The node kinds and relation types an analysis leaves out unless ``include`` names them."""
    unknown = sorted(set(include) - set(INCLUDABLE))
    if unknown:
        raise ValueError(f"cannot include {', '.join(unknown)}; expected some of {', '.join(INCLUDABLE)}")
    left_kinds = tuple(sorted(k for name, (kinds, _) in INCLUDABLE.items() if name not in include for k in kinds))
    left_types = tuple(sorted(t for name, (_, types) in INCLUDABLE.items() if name not in include for t in types))
    return left_kinds, left_types


def analysis_graph(
    G: nx.Graph,
    graph: str = "full",
    include: tuple[str, ...] | list[str] = (),
    weights: dict | None = None,
    min_weight: float = 1.0,
    directed: bool = False,
) -> nx.Graph:
    """The undirected simple graph an analysis runs on, with its :class:`Scope`.

    Parameters
    ----------
    G : networkx graph
        The store's graph (``store.to_networkx()``), or any graph with ``kind`` node
        attributes and ``type`` edge attributes.
    graph : {"full", "actors"}
        The whole graph, or the weighted actor–actor projection
        (see :func:`maillage.graph.analysis.projection.actor_projection`).
    include : collection of {"documents", "people"}
        Parts left out by default that should be kept.
    weights, min_weight
        Passed to the projection (``graph="actors"``).
    directed : bool
        Full graph only: a ``DiGraph`` keeping the direction relations were written in
        (for directed brokerage roles); parallel relations become one arc.

    Returns
    -------
    networkx.Graph
        Undirected, simple; ``weight`` on edges; ``H.graph["scope"]`` says what it is.
        Frozen (no node or edge can be added or removed), so that analyses may share
        one copy of it in the accelerated engine.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("d", kind="Document"); G.add_node("a", kind="Association"); G.add_node("b", kind="Association")
    >>> _ = [G.add_edge(u, v, type=t) for u, v, t in [("d", "a", "MENTIONS"), ("d", "b", "MENTIONS"), ("a", "b", "PARTNERS_WITH")]]
    >>> H = analysis_graph(G)
    >>> sorted(H), H.graph["scope"].left_out_relations
    (['a', 'b'], 2)
    """
    if graph not in GRAPHS:
        raise ValueError(f"unknown graph {graph!r}; expected one of {', '.join(GRAPHS)}")
    left_kinds, left_types = _left_out(include)
    if graph == "full" and not directed:
        H, left_nodes, left_relations, ties = _kept_simple_graph(G, left_kinds, left_types)
        H.graph["scope"] = Scope("full", H.number_of_nodes(), ties, left_kinds, left_types, left_nodes, left_relations)
        return nx.freeze(H)
    kept = G.subgraph([n for n, kind in G.nodes(data="kind") if kind not in left_kinds])
    left_nodes = G.number_of_nodes() - kept.number_of_nodes()
    if kept.is_multigraph():
        dropped_edges = [(u, v, k) for u, v, k, t in kept.edges(keys=True, data="type") if t in left_types]
    else:
        dropped_edges = [(u, v) for u, v, t in kept.edges(data="type") if t in left_types]
    left_relations = G.number_of_edges() - kept.number_of_edges() + len(dropped_edges)
    kept = nx.restricted_view(kept, [], dropped_edges) if dropped_edges else kept
    if graph == "actors":
        from .projection import actor_projection

        H = actor_projection(kept, weights=weights, min_weight=min_weight)
        details = {"weights": dict(H.graph["weights"]), "min_weight": min_weight}
    else:
        H = nx.DiGraph()
        H.add_nodes_from(kept.nodes(data=True))
        H.add_edges_from((u, v) for u, v in kept.edges() if u != v)
        details = {"directed": True}
    left_out = (left_kinds, left_types, left_nodes, left_relations)
    H.graph["scope"] = Scope(graph, H.number_of_nodes(), H.number_of_edges(), *left_out, **details)
    return nx.freeze(H)


class ArrayGraph:
    """The full undirected analysis graph held as arrays, for graphs too large for networkx.

    What :func:`analysis_graph` gives for ``graph="full"``, read from
    :class:`~maillage.graph.store.base.GraphArrays` by :func:`analysis_arrays`:
    the same nodes in the same order, the same ties and weights, the same scope.
    Analyses that accept it (:func:`~maillage.graph.analysis.centrality.centrality_report`)
    run on its igraph copy directly; the others take :meth:`to_networkx`.

    Attributes
    ----------
    nodes : list
        Node of each vertex.
    view : IGraphView
        The ties as arrays, vertex ``i`` being ``nodes[i]``.
    kinds : numpy array of int
        Kind of each vertex, as a position in ``kind_names``.
    kind_names : tuple of str
    names : list of str
        Name of each vertex.
    graph : dict
        ``{"scope": Scope}``, as on a networkx analysis graph.
    """

    def __init__(self, nodes: list, view: IGraphView, kinds: np.ndarray, kind_names: tuple, names: list, scope: Scope):
        self.nodes = nodes
        self.view = view
        self.kinds = kinds
        self.kind_names = kind_names
        self.names = names
        self.graph = {"scope": scope}

    def number_of_nodes(self) -> int:
        return len(self.nodes)

    def number_of_edges(self) -> int:
        return len(self.view.ends)

    def kind(self, vertex: int) -> str:
        """The kind of vertex ``vertex``."""
        return self.kind_names[self.kinds[vertex]]

    def vertices_of_kinds(self, kinds) -> np.ndarray:
        """The vertices whose kind is one of ``kinds``, in order."""
        codes = [code for code, name in enumerate(self.kind_names) if name in set(kinds)]
        return np.flatnonzero(np.isin(self.kinds, codes))

    def to_networkx(self) -> nx.Graph:
        """The same graph as a frozen ``networkx.Graph``: nodes with ``kind`` and ``name``, ties with ``weight``."""
        H = nx.Graph()
        H.graph.update(self.graph)
        kind_names = self.kind_names
        H.add_nodes_from(
            (node, {"kind": kind_names[kind], "name": name})
            for node, kind, name in zip(self.nodes, self.kinds.tolist(), self.names)
        )
        nodes = self.nodes
        H.add_weighted_edges_from(
            (nodes[u], nodes[v], weight)
            for (u, v), weight in zip(self.view.ends.tolist(), self.view.weight_array.tolist())
        )
        return nx.freeze(H)


def analysis_arrays(arrays, include: tuple[str, ...] | list[str] = ()) -> ArrayGraph:
    """The full undirected analysis graph of a store's graph read as arrays.

    The same graph, in the same node order, as ``analysis_graph(store.to_networkx(), "full",
    include)``, without a networkx graph: a national register's graph fits in a fraction of
    the memory.

    Parameters
    ----------
    arrays : GraphArrays
        The store's graph (``store.graph_arrays()``).
    include : collection of {"documents", "people"}
        Parts left out by default that should be kept.

    Returns
    -------
    ArrayGraph
        Its ``graph["scope"]`` says what was analysed, as :func:`analysis_graph` does.

    Examples
    --------
    >>> from maillage.graph.store.base import GraphArrays
    >>> arrays = GraphArrays(
    ...     ["a", "b", "d"], ["Aitec", "CRID", "Lettre"], np.array([0, 0, 1]), ("Association", "Document"),
    ...     np.array([2, 2, 0, 1]), np.array([0, 1, 1, 0]), np.array([0, 0, 1, 1]), ("MENTIONS", "PARTNERS_WITH"),
    ...     np.ones(4))
    >>> H = analysis_arrays(arrays)
    >>> H.nodes, H.view.weight_array.tolist(), H.graph["scope"].left_out_relations
    (['a', 'b'], [2.0], 2)
    """
    left_kinds, left_types = _left_out(include)
    kept_kinds = ~np.isin(arrays.kinds, [code for code, kind in enumerate(arrays.kind_names) if kind in left_kinds])
    left_type_codes = [code for code, type_ in enumerate(arrays.type_names) if type_ in left_types]
    sources, targets = arrays.sources, arrays.targets
    counted = kept_kinds[sources] & kept_kinds[targets] & ~np.isin(arrays.types, left_type_codes)
    tie = counted & (sources != targets)
    position = np.cumsum(kept_kinds, dtype=np.int64) - 1
    n = int(kept_kinds.sum())
    low = position[np.minimum(sources[tie], targets[tie])]
    high = position[np.maximum(sources[tie], targets[tie])]
    pairs, pair_of = np.unique(low * max(n, 1) + high, return_inverse=True)
    weights = np.bincount(pair_of.ravel(), np.asarray(arrays.weights, dtype=float)[tie], len(pairs))
    ends = np.stack([pairs // max(n, 1), pairs % max(n, 1)], axis=1)
    keep = kept_kinds.tolist()
    nodes = arrays.ids if all(keep) else list(compress(arrays.ids, keep))
    names = arrays.names if all(keep) else list(compress(arrays.names, keep))
    scope = Scope(
        "full",
        n,
        len(pairs),
        left_kinds,
        left_types,
        len(arrays.ids) - n,
        len(sources) - int(counted.sum()),
    )
    return ArrayGraph(
        nodes, IGraphView(nodes, ends, weights), arrays.kinds[kept_kinds], arrays.kind_names, names, scope
    )
