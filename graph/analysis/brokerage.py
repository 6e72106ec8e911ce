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

from .convert import scope_of, simple_graph

__all__ = [
    "ROLES",
    "GROUPINGS",
    "structural_holes",
    "territories",
    "groups_of",
    "brokerage_roles",
    "bridging",
    "brokers_report",
]

ROLES = ("coordinator", "itinerant", "representative", "gatekeeper", "liaison")

#: how actors can be grouped for brokerage roles
GROUPINGS = ("kind", "departement", "region")

_NO_TERRITORY = "-"


def structural_holes(G: nx.Graph) -> dict:
    """Burt's constraint and effective size of every node (weighted ties).

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
    """
    H = simple_graph(G)
    constraint = nx.constraint(H, weight="weight")
    effective = nx.effective_size(H, weight="weight")

    def defined(value):
        return None if value is None or math.isnan(value) else float(value)

    return {n: {"constraint": defined(constraint.get(n)), "effective_size": defined(effective.get(n))} for n in H}


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


def brokerage_roles(G: nx.Graph, groups: dict, nodes=None) -> dict:
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
    if directed:
        D = nx.DiGraph(G)
        D.remove_edges_from(nx.selfloop_edges(D))
        before, after, tied = D.pred, D.succ, D.succ
    else:
        U = simple_graph(G)
        before = after = tied = U.adj
    result = {}
    for b in (G if nodes is None else nodes):
        counts = Counter()
        group_b = groups.get(b)
        for a in before[b]:
            if a == b:
                continue
            group_a = groups.get(a)
            for c in after[b]:
                if c == a or c == b or c in tied[a]:
                    continue
                counts[_role(group_a, group_b, groups.get(c))] += 1
        row = {role: counts[role] for role in ROLES}
        row["total"] = sum(counts.values())
        result[b] = row
    return result


def bridging(G: nx.Graph, groups: dict, first: str, second: str, nodes=None) -> dict:
    """How many distinct two-step paths join a ``first``-group node and a ``second``-group node
    through each broker, the two ends not being tied directly.

    Answers "who bridges local authorities and associations":
    ``bridging(H, kinds, "Collectivite", "Association")``.

    Examples
    --------
    CRID joins Nanterre to Via le Monde; Rosny is already tied to Via le Monde:

    >>> G = nx.Graph([("via", "crid"), ("crid", "nanterre"), ("crid", "rosny"), ("via", "rosny")])
    >>> kind = {"via": "Association", "rosny": "Collectivite", "crid": "Association", "nanterre": "Collectivite"}
    >>> bridging(G, kind, "Collectivite", "Association")
    {'via': 0, 'crid': 1, 'nanterre': 0, 'rosny': 0}
    """
    U = simple_graph(G)
    result = {}
    for b in (U if nodes is None else nodes):
        ends_first = [n for n in U.adj[b] if groups.get(n) == first]
        ends_second = [n for n in U.adj[b] if groups.get(n) == second]
        result[b] = sum(1 for a in ends_first for c in ends_second if a != c and c not in U.adj[a])
    return result


def brokers_report(
    G: nx.Graph, by: str = "kind", source: nx.Graph | None = None,
    between: tuple[str, str] = ("Collectivite", "Association"), kinds=None,
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
    groups = groups_of(H, by, source)
    group_for_bridges = groups if by == "kind" else groups_of(H, "kind")
    roles = brokerage_roles(G if G.is_directed() and not G.is_multigraph() else H, groups)
    bridges = bridging(H, group_for_bridges, *between)
    holes = structural_holes(H)
    rows = []
    for node, data in H.nodes(data=True):
        if kinds and data.get("kind") not in kinds:
            continue
        holes_here = holes[node]
        rows.append({
            "id": node,
            "name": data.get("name", str(node)),
            "kind": data.get("kind", ""),
            "group": groups[node],
            "bridges": bridges[node],
            **roles[node],
            "constraint": None if holes_here["constraint"] is None else round(holes_here["constraint"], 9),
            "effective_size": None if holes_here["effective_size"] is None else round(holes_here["effective_size"], 9),
        })
    rows.sort(key=lambda row: (-row["bridges"], -row["total"], str(row["id"])))
    return {"scope": scope_of(H).as_dict(), "grouping": by, "between": list(between),
            "directed": G.is_directed() and not G.is_multigraph(), "rows": rows}
