"""Brokers: who connects people who would otherwise not be connected.

Two families of measures:

* Burt's **constraint** (low: the actor's contacts are not tied to each other, so
  it has room to broker) and **effective size** (the number of its contacts minus
  their redundancy), both from NetworkX, weighted.
* **Brokerage roles** after Gould and Fernandez (1989). A broker ``b`` sits on a
  two-step path ``a → b → c`` where ``a`` and ``c`` are not directly tied. With
  actors sorted into groups (their kind, or their territory), the path is:

  - *coordinator*: ``a``, ``b``, ``c`` in one group;
  - *itinerant* (consultant): ``a`` and ``c`` in one group, ``b`` outside it;
  - *representative*: ``b`` in ``a``'s group, passing on to ``c``'s group;
  - *gatekeeper*: ``b`` in ``c``'s group, letting ``a``'s group in;
  - *liaison*: three different groups.

  On directed ties every such path is counted once. Undirected ties are read as
  two arcs, so every path is counted in both directions: coordinator, itinerant
  and liaison counts are twice the number of distinct paths, and representative
  equals gatekeeper (each is the number of distinct paths where ``b`` shares its
  group with exactly one end).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import networkx as nx
import numpy as np

from .convert import scope_of, simple_graph
from .engine import IGraphView, choose_engine, to_igraph

__all__ = [
    "GROUPINGS",
    "ROLES",
    "bridging",
    "brokerage_roles",
    "brokers_report",
    "groups_of",
    "structural_holes",
    "territories",
]

ROLES = ("coordinator", "itinerant", "representative", "gatekeeper", "liaison")

#: how actors can be grouped for brokerage roles
GROUPINGS = ("kind", "departement", "region")

_NO_TERRITORY = "-"


def _triangles(view: IGraphView) -> np.ndarray:
    """Every triangle of the igraph copy, one row of three vertices each."""
    found = np.array(view.graph.list_triangles(), dtype=np.int64)
    return found.reshape(-1, 3)


def _rotations(triangles: np.ndarray):
    """Each triangle seen from each of its corners: (corner, one end, other end)."""
    for corner, one, other in ((0, 1, 2), (1, 2, 0), (2, 0, 1)):
        yield triangles[:, corner], triangles[:, one], triangles[:, other]


def structural_holes(G: nx.Graph, engine: str = "auto", view: IGraphView | None = None) -> dict:
    """Burt's constraint and effective size of every node (weighted ties).

    Effective size follows NetworkX's weighted definition: the number of contacts
    minus, for each contact ``j``, ``sum over the other contacts q of p(i, q) m(j, q)``
    where ``p(i, q)`` is ``q``'s share of ``i``'s tie weight and ``m(j, q)`` the
    weight of ``j``–``q`` over ``j``'s strongest tie. The igraph engine computes
    constraint in igraph and effective size from the list of triangles.

    Returns
    -------
    dict
        ``{node: {"constraint": float or None, "effective_size": float or None}}``;
        ``None`` for isolated nodes, where neither is defined.

    Examples
    --------
    >>> holes = structural_holes(nx.star_graph(3))
    >>> holes[0]["constraint"], holes[0]["effective_size"]
    (0.333..., 3.0)
    >>> structural_holes(nx.Graph())
    {}
    """
    H = simple_graph(G)
    if H.number_of_nodes() == 0:
        return {}
    if view is None and choose_engine(engine, H) == "networkx":
        constraint = nx.constraint(H, weight="weight")
        # with nodes=None and scipy installed, NetworkX 3.6 takes a matrix shortcut that divides each
        # column (not each row) by the row maxima, which is wrong on weighted ties: ask node by node
        effective = nx.effective_size(H, nodes=list(H), weight="weight")

        def defined(value):
            return None if value is None or math.isnan(value) else float(value)

        return {n: {"constraint": defined(constraint.get(n)), "effective_size": defined(effective.get(n))} for n in H}
    view = view or to_igraph(H)
    graph = view.graph
    n = graph.vcount()
    weights = np.array(view.weights, dtype=float)
    ends = np.array(graph.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    strength = np.zeros(n)
    strongest = np.zeros(n)
    np.add.at(strength, ends[:, 0], weights)
    np.add.at(strength, ends[:, 1], weights)
    np.maximum.at(strongest, ends[:, 0], weights)
    np.maximum.at(strongest, ends[:, 1], weights)
    degree = np.array(graph.degree(), dtype=float)
    redundancy = np.zeros(n)
    triangles = _triangles(view)
    if len(triangles):

        def weight_of(u, v):
            return weights[np.array(graph.get_eids(np.stack([u, v], axis=1).tolist()), dtype=np.int64)]

        for i, j, q in _rotations(triangles):
            w_ij, w_iq, w_jq = weight_of(i, j), weight_of(i, q), weight_of(j, q)
            np.add.at(redundancy, i, (w_iq * w_jq / strongest[j] + w_ij * w_jq / strongest[q]) / strength[i])
    constraint = graph.constraint(weights=view.weights)
    return {
        node: {"constraint": float(constraint[i]), "effective_size": float(degree[i] - redundancy[i])}
        if degree[i] > 0
        else {"constraint": None, "effective_size": None}
        for i, node in enumerate(view.nodes)
    }


def territories(G: nx.Graph, level: str = "departement") -> dict:
    """The territory of each node, following LOCATED_IN upwards.

    Parameters
    ----------
    G : networkx graph
        The store's graph: node attributes ``kind``, ``level`` (collectivités), edge attribute ``type``.
    level : {"departement", "region"}
        The first collectivité of this level found (the node itself included).
        When there is none, the broader territory found (a région for a
        département level), else nothing.

    Returns
    -------
    dict
        ``{node: territory node id}`` for the nodes that have one.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_nodes_from([("rosny", {"kind": "Collectivite", "level": "commune"}),
    ...                   ("d93", {"kind": "Collectivite", "level": "departement"}),
    ...                   ("idf", {"kind": "Collectivite", "level": "region"}), ("via", {"kind": "Association"})])
    >>> _ = [G.add_edge(u, v, type="LOCATED_IN") for u, v in [("rosny", "d93"), ("d93", "idf"), ("via", "rosny")]]
    >>> territories(G)["via"], territories(G, "region")["via"]
    ('d93', 'idf')
    """
    if level not in ("departement", "region"):
        raise ValueError(f"unknown territory level {level!r}; expected departement or region")
    order = ("commune", "epci", "departement", "region")
    wanted = order.index(level)
    parents: dict = defaultdict(set)
    for u, v, relation in G.edges(data="type"):
        if relation == "LOCATED_IN" and G.nodes[v].get("kind") == "Collectivite":
            parents[u].add(v)
    found = {}
    for node in G:
        seen, frontier, broader = {node}, [node], None
        while frontier:
            hit = sorted(n for n in frontier if G.nodes[n].get("level") == level)
            if hit:
                found[node] = hit[0]
                break
            for n in sorted(frontier, key=str):
                rank = order.index(G.nodes[n]["level"]) if G.nodes[n].get("level") in order else -1
                if rank > wanted and broader is None:
                    broader = n
            frontier = sorted({p for n in frontier for p in parents[n]} - seen, key=str)
            seen.update(frontier)
        else:
            if broader is not None:
                found[node] = broader
    return found


def groups_of(G: nx.Graph, by: str = "kind", source: nx.Graph | None = None) -> dict:
    """The group of every node of ``G``: its kind, or the name of its territory.

    Parameters
    ----------
    G : networkx graph
    by : {"kind", "departement", "region"}
    source : networkx graph, optional
        The store's graph, where LOCATED_IN is followed (default ``G``).

    Examples
    --------
    >>> G = nx.Graph([("a", "b")])
    >>> nx.set_node_attributes(G, {"a": "Association", "b": "Collectivite"}, "kind")
    >>> groups_of(G)
    {'a': 'Association', 'b': 'Collectivite'}
    """
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}; expected one of {', '.join(GROUPINGS)}")
    if by == "kind":
        return {n: G.nodes[n].get("kind", "") for n in G}
    source = G if source is None else source
    where = territories(source, by)
    return {n: source.nodes[where[n]].get("name", where[n]) if n in where else _NO_TERRITORY for n in G}


def _role(group_a, group_b, group_c) -> str:
    if group_a == group_b == group_c:
        return "coordinator"
    if group_a == group_c:
        return "itinerant"
    if group_a == group_b:
        return "representative"
    if group_b == group_c:
        return "gatekeeper"
    return "liaison"


def _group_codes(view: IGraphView, groups: dict) -> np.ndarray:
    """One integer per vertex for its group (nodes without a group share one code)."""
    codes: dict = {}
    return np.array([codes.setdefault(groups.get(node), len(codes)) for node in view.nodes], dtype=np.int64)


def _neighbour_group_counts(view: IGraphView, code: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per vertex: degree, neighbours in its own group, and the sum over groups of squared neighbour counts."""
    ends = np.array(view.graph.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    groups = int(code.max()) + 1 if len(code) else 1
    # (vertex, neighbour's group) pairs, counted
    vertex = np.concatenate([ends[:, 0], ends[:, 1]])
    neighbour_group = np.concatenate([code[ends[:, 1]], code[ends[:, 0]]])
    pair, counts = np.unique(vertex * groups + neighbour_group, return_counts=True)
    owner, group = pair // groups, pair % groups
    n = len(code)
    degree = np.bincount(vertex, minlength=n).astype(np.int64)
    own = np.zeros(n, dtype=np.int64)
    mine = group == code[owner]
    own[owner[mine]] = counts[mine]
    squares = np.bincount(owner, weights=counts.astype(float) ** 2, minlength=n).astype(np.int64)
    return degree, own, squares


def _roles_igraph(view: IGraphView, groups: dict) -> dict:
    """Undirected Gould–Fernandez counts from group counts, minus the closed pairs of each triangle."""
    code = _group_codes(view, groups)
    degree, own, squares = _neighbour_group_counts(view, code)
    others = degree - own
    counts = {
        "coordinator": own * (own - 1),
        "itinerant": squares - degree - own * own + own,
        "representative": own * others,
        "gatekeeper": own * others,
        "liaison": others * others - (squares - own * own),
    }
    for b, a, c in _rotations(_triangles(view)):
        ga, gb, gc = code[a], code[b], code[c]
        coordinator = (ga == gb) & (gb == gc)
        itinerant = (ga == gc) & ~coordinator
        mixed = ((ga == gb) | (gb == gc)) & ~coordinator
        liaison = ~coordinator & ~itinerant & ~mixed
        # the closed pair counts in both directions: twice, or once as representative and once as gatekeeper
        np.subtract.at(counts["coordinator"], b[coordinator], 2)
        np.subtract.at(counts["itinerant"], b[itinerant], 2)
        np.subtract.at(counts["liaison"], b[liaison], 2)
        np.subtract.at(counts["representative"], b[mixed], 1)
        np.subtract.at(counts["gatekeeper"], b[mixed], 1)
    result = {}
    for i, node in enumerate(view.nodes):
        row = {role: int(counts[role][i]) for role in ROLES}
        row["total"] = sum(row.values())
        result[node] = row
    return result


def brokerage_roles(
    G: nx.Graph, groups: dict, nodes=None, engine: str = "auto", view: IGraphView | None = None
) -> dict:
    """Gould–Fernandez brokerage counts of every node.

    Parameters
    ----------
    G : networkx graph
        Directed (each arc is a tie from source to target) or undirected (each tie
        read as two arcs); parallel edges count once.
    groups : dict
        ``{node: group}``; nodes without a group form a group of their own (``None``).
    nodes : collection, optional
        Brokers to count for (default: every node).
    engine : {"auto", "networkx", "igraph"}
        On undirected ties, igraph counts from neighbours' groups and triangles
        instead of enumerating two-step paths.
    view : IGraphView, optional
        ``G`` already copied into igraph.

    Returns
    -------
    dict
        ``{node: {"coordinator", "itinerant", "representative", "gatekeeper", "liaison", "total"}}``.

    Examples
    --------
    Rosny (a town) is tied to Via le Monde and to CRID (associations), which are not tied:

    >>> G = nx.Graph([("via", "rosny"), ("rosny", "crid")])
    >>> kind = {"via": "Association", "rosny": "Collectivite", "crid": "Association"}
    >>> brokerage_roles(G, kind)["rosny"]
    {'coordinator': 0, 'itinerant': 2, 'representative': 0, 'gatekeeper': 0, 'liaison': 0, 'total': 2}
    >>> D = nx.DiGraph([("via", "crid"), ("crid", "rosny")])
    >>> brokerage_roles(D, kind)["crid"]["representative"]
    1
    """
    directed = G.is_directed()
    if not directed and (view is not None or choose_engine(engine, G) == "igraph"):
        counted = _roles_igraph(view or to_igraph(simple_graph(G)), groups)
        return counted if nodes is None else {node: counted[node] for node in nodes}
    if directed:
        D = nx.DiGraph(G)
        D.remove_edges_from(nx.selfloop_edges(D))
        before, after, tied = D.pred, D.succ, D.succ
    else:
        U = simple_graph(G)
        before = after = tied = U.adj
    result = {}
    for b in G if nodes is None else nodes:
        counts = Counter()
        group_b = groups.get(b)
        for a in before[b]:
            if a == b:
                continue
            group_a = groups.get(a)
            for c in after[b]:
                if c in (a, b) or c in tied[a]:
                    continue
                counts[_role(group_a, group_b, groups.get(c))] += 1
        row = {role: counts[role] for role in ROLES}
        row["total"] = sum(counts.values())
        result[b] = row
    return result


def bridging(
    G: nx.Graph, groups: dict, first: str, second: str, nodes=None, engine: str = "auto", view: IGraphView | None = None
) -> dict:
    """How many distinct two-step paths join a ``first``-group node and a ``second``-group node
    through each broker, the two ends not being tied directly.

    Answers "who bridges local authorities and associations":
    ``bridging(H, kinds, "Collectivite", "Association")``. The igraph engine counts
    neighbours of each group and removes the pairs closed by a triangle.

    Examples
    --------
    CRID joins Nanterre to Via le Monde; Rosny is already tied to Via le Monde:

    >>> G = nx.Graph([("via", "crid"), ("crid", "nanterre"), ("crid", "rosny"), ("via", "rosny")])
    >>> kind = {"via": "Association", "rosny": "Collectivite", "crid": "Association", "nanterre": "Collectivite"}
    >>> bridging(G, kind, "Collectivite", "Association")
    {'via': 0, 'crid': 1, 'nanterre': 0, 'rosny': 0}
    """
    U = simple_graph(G)
    if view is not None or choose_engine(engine, U) == "igraph":
        view = view or to_igraph(U)
        in_first = np.array([groups.get(node) == first for node in view.nodes])
        in_second = np.array([groups.get(node) == second for node in view.nodes])
        ends = np.array(view.graph.get_edgelist(), dtype=np.int64).reshape(-1, 2)
        n = len(view.nodes)
        firsts = np.bincount(ends[:, 0], weights=in_first[ends[:, 1]], minlength=n) + np.bincount(
            ends[:, 1], weights=in_first[ends[:, 0]], minlength=n
        )
        seconds = np.bincount(ends[:, 0], weights=in_second[ends[:, 1]], minlength=n) + np.bincount(
            ends[:, 1], weights=in_second[ends[:, 0]], minlength=n
        )
        both = np.bincount(ends[:, 0], weights=(in_first & in_second)[ends[:, 1]], minlength=n) + np.bincount(
            ends[:, 1], weights=(in_first & in_second)[ends[:, 0]], minlength=n
        )
        count = firsts * seconds - both
        for b, a, c in _rotations(_triangles(view)):
            closed = (in_first[a] & in_second[c]).astype(float) + (in_first[c] & in_second[a])
            np.subtract.at(count, b, closed)
        counted = {node: round(count[i]) for i, node in enumerate(view.nodes)}
        return counted if nodes is None else {node: counted[node] for node in nodes}
    result = {}
    for b in U if nodes is None else nodes:
        ends_first = [n for n in U.adj[b] if groups.get(n) == first]
        ends_second = [n for n in U.adj[b] if groups.get(n) == second]
        result[b] = sum(1 for a in ends_first for c in ends_second if a != c and c not in U.adj[a])
    return result


def brokers_report(
    G: nx.Graph,
    by: str = "kind",
    source: nx.Graph | None = None,
    between: tuple[str, str] = ("Collectivite", "Association"),
    kinds=None,
    engine: str = "auto",
) -> dict:
    """Brokers of the graph: structural holes, Gould–Fernandez roles and bridging counts.

    Parameters
    ----------
    G : networkx graph
        The analysed graph (usually the actor–actor projection). A ``DiGraph`` gives
        directed roles; constraint, effective size and bridges always read ties as undirected.
    by : {"kind", "departement", "region"}
        How actors are grouped for the roles.
    source : networkx graph, optional
        The store's graph, for territories.
    between : pair of str
        The two groups whose bridges are counted (``bridges`` column).
    kinds : collection of str, optional
        Keep only rows of these kinds.
    engine : {"auto", "networkx", "igraph"}

    Returns
    -------
    dict
        ``{"scope", "grouping", "between", "rows"}``; rows sorted by ``bridges``, then
        ``total`` (descending), then id, each with ``id``, ``name``, ``kind``, ``group``,
        ``bridges``, the five roles, ``total``, ``constraint``, ``effective_size``.

    Examples
    --------
    >>> G = nx.Graph([("via", "rosny"), ("rosny", "crid")])
    >>> nx.set_node_attributes(G, {"via": "Association", "rosny": "Collectivite", "crid": "Association"}, "kind")
    >>> brokers_report(G)["rows"][0]["id"]
    'rosny'
    """
    H = simple_graph(G)
    used = choose_engine(engine, H)
    view = to_igraph(H) if used == "igraph" else None
    groups = groups_of(H, by, source)
    group_for_bridges = groups if by == "kind" else groups_of(H, "kind")
    directed = G.is_directed() and not G.is_multigraph()
    roles = (
        brokerage_roles(G, groups, engine="networkx")
        if directed
        else brokerage_roles(H, groups, engine=used, view=view)
    )
    bridges = bridging(H, group_for_bridges, *between, engine=used, view=view)
    holes = structural_holes(H, used, view)
    rows = []
    for node, data in H.nodes(data=True):
        if kinds and data.get("kind") not in kinds:
            continue
        holes_here = holes[node]
        rows.append(
            {
                "id": node,
                "name": data.get("name", str(node)),
                "kind": data.get("kind", ""),
                "group": groups[node],
                "bridges": bridges[node],
                **roles[node],
                "constraint": None if holes_here["constraint"] is None else round(holes_here["constraint"], 9),
                "effective_size": None
                if holes_here["effective_size"] is None
                else round(holes_here["effective_size"], 9),
            }
        )
    rows.sort(key=lambda row: (-row["bridges"], -row["total"], str(row["id"])))
    return {
        "scope": scope_of(H).as_dict(),
        "grouping": by,
        "between": list(between),
        "directed": directed,
        "engine": used,
        "rows": rows,
    }
