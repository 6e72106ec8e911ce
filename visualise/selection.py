"""Which part of the graph a map draws: themes' members, kinds, a focus.

A node *belongs to* a theme when it is the theme, has a relation with it (an
actor that works on it, a project that addresses it), or is a participant
(collectivité, association, person) of a project that has one. Belonging goes
up the theme hierarchy: who works on Agenda 21 also belongs to its parent,
sustainable development.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable

import networkx as nx

__all__ = ["select", "theme_members"]

_PARTICIPANTS = ("Collectivite", "Association", "Person")
_PARTICIPATION = ("TAKES_PART_IN", "MEMBER_OF", "CONTACT_FOR")


def theme_members(G: nx.Graph) -> dict[Hashable, set[Hashable]]:
    """``{theme: nodes that belong to it}`` for every node of kind ``Theme`` in ``G``.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> for node, kind in [("dd", "Theme"), ("a21", "Theme"), ("p", "Project"), ("rosny", "Collectivite"), ("x", "Association")]:
    ...     G.add_node(node, kind=kind)
    >>> G.nodes["a21"]["parent"] = "dd"
    >>> _ = G.add_edge("p", "a21", type="ADDRESSES")
    >>> _ = G.add_edge("rosny", "p", type="TAKES_PART_IN")
    >>> sorted(theme_members(G)["dd"])
    ['a21', 'dd', 'p', 'rosny']
    """
    kinds = dict(G.nodes(data="kind"))
    themes = [node for node, kind in kinds.items() if kind == "Theme"]
    members: dict[Hashable, set[Hashable]] = {theme: {theme} for theme in themes}
    participants_of: dict[Hashable, set[Hashable]] = {}
    for source, target, type_ in G.edges(data="type"):
        if type_ in _PARTICIPATION and kinds.get(target) == "Project" and kinds.get(source) in _PARTICIPANTS:
            participants_of.setdefault(target, set()).add(source)
    for source, target in G.edges():
        for theme, other in ((source, target), (target, source)):
            if theme in members and other != theme:
                members[theme].add(other)
                if kinds.get(other) == "Project":
                    members[theme].update(participants_of.get(other, ()))
    for theme in sorted(themes, key=str):
        parent, seen = G.nodes[theme].get("parent"), {theme}
        while parent in members and parent not in seen:
            members[parent] |= members[theme]
            seen.add(parent)
            parent = G.nodes[parent].get("parent")
    return members


def select(
    G: nx.Graph,
    kinds: Collection[str] | None = None,
    themes: Iterable[Hashable] | None = None,
    keep: Iterable[Hashable] = (),
) -> nx.Graph:
    """The subgraph of the nodes of some ``kinds`` that belong to some ``themes``.

    The themes themselves and the ``keep`` nodes (e.g. the actor a map focuses on)
    stay whatever their kind. With neither kinds nor themes, ``G`` itself is returned.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> for node, kind in [("paix", "Theme"), ("cuf", "Association"), ("nanterre", "Collectivite"), ("crid", "Association")]:
    ...     G.add_node(node, kind=kind)
    >>> _ = G.add_edge("cuf", "paix", type="WORKS_ON")
    >>> _ = G.add_edge("nanterre", "paix", type="WORKS_ON")
    >>> sorted(select(G, themes=["paix"]))
    ['cuf', 'nanterre', 'paix']
    >>> sorted(select(G, kinds=["Association"], themes=["paix"]))
    ['cuf', 'paix']
    """
    themes = list(themes or ())
    kinds = set(kinds or ())
    keep = set(keep)
    if not themes and not kinds:
        return G
    wanted = set(G.nodes)
    if themes:
        members = theme_members(G)
        wanted = set().union(*(members.get(theme, {theme}) for theme in themes)) & wanted
    if kinds:
        wanted = {node for node in wanted if G.nodes[node].get("kind") in kinds}
    wanted |= {node for node in [*themes, *keep] if node in G}
    return G.subgraph(wanted).copy()
