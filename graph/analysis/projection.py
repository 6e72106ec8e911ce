"""Projection: from actors, projects, themes and countries to a weighted actor–actor graph.

Two actors (collectivités and associations) are linked when they take part in
the same project, work on the same theme, act in the same country, or are tied
directly (partnership, membership). Each shared thing adds its weight to the
link; by default a shared project or a direct tie weighs 3, a shared theme or
country 1, so that working together counts more than caring about the same thing.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

import networkx as nx

from ..model import ACTOR_KINDS

__all__ = ["DEFAULT_WEIGHTS", "actor_projection", "memberships"]

#: what each shared thing adds to the weight of a link between two actors
DEFAULT_WEIGHTS: dict[str, float] = {"projects": 3.0, "ties": 3.0, "themes": 1.0, "countries": 1.0}

#: relation types that make an actor part of a project
_PROJECT_TYPES = ("TAKES_PART_IN", "MEMBER_OF")
#: relation types that are a direct tie between two actors
_TIE_TYPES = ("PARTNERS_WITH", "MEMBER_OF")


def memberships(G: nx.Graph) -> dict[str, dict[str, set]]:
    """For each actor, the projects, themes and countries it is tied to.

    Parameters
    ----------
    G : networkx graph
        Node attribute ``kind``, edge attribute ``type`` (as the store gives).

    Returns
    -------
    dict
        ``{actor: {"projects": set, "themes": set, "countries": set}}`` for every actor node.
        Projects come from TAKES_PART_IN and MEMBER_OF, themes from WORKS_ON,
        countries from ACTS_IN and LOCATED_IN.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_nodes_from([("a", {"kind": "Association"}), ("p", {"kind": "Project"}), ("t", {"kind": "Theme"})])
    >>> _ = G.add_edge("a", "p", type="TAKES_PART_IN"); _ = G.add_edge("a", "t", type="WORKS_ON")
    >>> memberships(G)["a"]
    {'projects': {'p'}, 'themes': {'t'}, 'countries': set()}
    """
    kinds = dict(G.nodes(data="kind"))
    found = {n: {"projects": set(), "themes": set(), "countries": set()} for n, k in kinds.items() if k in ACTOR_KINDS}
    for u, v, relation in G.edges(data="type"):
        if u not in found:
            continue
        target = kinds.get(v)
        if target == "Project" and relation in _PROJECT_TYPES:
            found[u]["projects"].add(v)
        elif target == "Theme" and relation == "WORKS_ON":
            found[u]["themes"].add(v)
        elif target == "Country" and relation in ("ACTS_IN", "LOCATED_IN"):
            found[u]["countries"].add(v)
    return found


def actor_projection(G: nx.Graph, weights: dict | None = None, min_weight: float = 1.0) -> nx.Graph:
    """The weighted actor–actor graph.

    Parameters
    ----------
    G : networkx graph
        Node attribute ``kind``, edge attribute ``type``.
    weights : dict, optional
        Weights of a shared ``projects``, ``themes``, ``countries`` and of direct
        ``ties``; missing keys take :data:`DEFAULT_WEIGHTS`.
    min_weight : float
        Links lighter than this are dropped (actors stay, possibly isolated).

    Returns
    -------
    networkx.Graph
        Actor nodes with their attributes; edges with ``weight`` and the sorted lists
        ``projects``, ``themes``, ``countries`` shared and ``ties`` (direct relation types).
        ``H.graph["weights"]`` holds the weights used.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_nodes_from([("rosny", {"kind": "Collectivite"}), ("crid", {"kind": "Association"}),
    ...                   ("cuf", {"kind": "Association"}), ("atelier", {"kind": "Project"}),
    ...                   ("paix", {"kind": "Theme"})])
    >>> for u, v, t in [("rosny", "atelier", "TAKES_PART_IN"), ("crid", "atelier", "TAKES_PART_IN"),
    ...                 ("crid", "paix", "WORKS_ON"), ("cuf", "paix", "WORKS_ON")]:
    ...     _ = G.add_edge(u, v, type=t)
    >>> H = actor_projection(G)
    >>> H["rosny"]["crid"]["weight"], H["crid"]["cuf"]["themes"], H.has_edge("rosny", "cuf")
    (3.0, ['paix'], False)
    >>> actor_projection(G, min_weight=2).number_of_edges()
    1
    """
    used = dict(DEFAULT_WEIGHTS)
    used.update(weights or {})
    unknown = sorted(set(used) - set(DEFAULT_WEIGHTS))
    if unknown:
        raise ValueError(f"unknown projection weight {', '.join(unknown)}; expected {', '.join(DEFAULT_WEIGHTS)}")
    found = memberships(G)
    shared: dict[tuple, dict[str, set]] = defaultdict(
        lambda: {"projects": set(), "themes": set(), "countries": set(), "ties": set()}
    )
    for what in ("projects", "themes", "countries"):
        holders: dict[str, list] = defaultdict(list)
        for actor, held in found.items():
            for thing in held[what]:
                holders[thing].append(actor)
        for thing, actors in holders.items():
            for a, b in combinations(sorted(actors), 2):
                shared[(a, b)][what].add(thing)
    for u, v, relation in G.edges(data="type"):
        if u in found and v in found and u != v and relation in _TIE_TYPES:
            shared[tuple(sorted((u, v)))]["ties"].add(relation)
    H = nx.Graph()
    H.graph["weights"] = used
    H.add_nodes_from((n, G.nodes[n]) for n in G if n in found)
    for (a, b), things in sorted(shared.items()):
        weight = float(sum(used[what] * len(items) for what, items in things.items()))
        if weight >= min_weight:
            H.add_edge(a, b, weight=weight, **{what: sorted(items) for what, items in things.items()})
    return H
