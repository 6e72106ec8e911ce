"""Coverage gaps: where actors could work together and do not, and what nobody covers.

An actor *works on* a theme when it has a WORKS_ON relation to it or takes part
in a project that ADDRESSES it. Two actors are *linked* when a relation ties them
directly or they take part in a common project.

* **Unlinked cells**: a theme and a territory (or country) where at least two
  actors work, none of them linked to another.
* **Uncovered themes**: a theme some actor works on somewhere, but no actor of a
  given territory does.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

import networkx as nx

from ..model import ACTOR_KINDS, normalise
from .brokerage import territories
from .convert import display_name
from .projection import memberships

__all__ = ["TERRITORY_LEVELS", "gaps_report", "linked_pairs", "themes_of_actors"]

TERRITORY_LEVELS = ("departement", "region", "country")


def themes_of_actors(G: nx.Graph) -> dict:
    """``{actor: set of themes}``: WORKS_ON, and the themes of the projects it takes part in.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_nodes_from([("a", {"kind": "Association"}), ("p", {"kind": "Project"}), ("t", {"kind": "Theme"})])
    >>> _ = G.add_edge("a", "p", type="TAKES_PART_IN"); _ = G.add_edge("p", "t", type="ADDRESSES")
    >>> themes_of_actors(G)
    {'a': {'t'}}
    """
    project_themes: dict = defaultdict(set)
    for u, v, relation in G.edges(data="type"):
        if relation == "ADDRESSES" and G.nodes[u].get("kind") == "Project":
            project_themes[u].add(v)
    found = {}
    for actor, held in memberships(G).items():
        themes = set(held["themes"])
        for project in held["projects"]:
            themes |= project_themes[project]
        found[actor] = themes
    return found


def linked_pairs(G: nx.Graph) -> set:
    """Pairs of actors (sorted tuples) tied directly or through a common project.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_nodes_from([("a", {"kind": "Association"}), ("b", {"kind": "Collectivite"}), ("p", {"kind": "Project"})])
    >>> _ = G.add_edge("a", "p", type="TAKES_PART_IN"); _ = G.add_edge("b", "p", type="TAKES_PART_IN")
    >>> linked_pairs(G)
    {('a', 'b')}
    """
    held = memberships(G)
    pairs = set()
    for u, v in G.edges():
        if u in held and v in held and u != v:
            pairs.add(tuple(sorted((u, v), key=str)))
    holders: dict = defaultdict(list)
    for actor, things in held.items():
        for project in things["projects"]:
            holders[project].append(actor)
    for actors in holders.values():
        pairs.update(combinations(sorted(actors, key=str), 2))
    return pairs


def _where(G: nx.Graph, level: str) -> dict:
    """``{actor: set of territories}`` at ``level``."""
    if level == "country":
        return {actor: set(held["countries"]) for actor, held in memberships(G).items()}
    found = territories(G, level)
    return {n: {found[n]} for n in G if G.nodes[n].get("kind") in ACTOR_KINDS and n in found}


def gaps_report(G: nx.Graph, level: str = "departement") -> dict:
    """Unlinked theme × territory cells and uncovered themes.

    Parameters
    ----------
    G : networkx graph
        The store's graph (documents and people do not matter here).
    level : {"departement", "region", "country"}
        Territories (followed up LOCATED_IN) or countries (ACTS_IN, LOCATED_IN).

    Returns
    -------
    dict
        ``{"level", "unlinked": [{"theme", "theme_name", "territory", "territory_name",
        "actors": [ids], "actor_names": [...]}], "uncovered": [{"territory", "territory_name",
        "actors": int, "themes": [ids], "theme_names": [...]}]}``, sorted by names then ids.

    Examples
    --------
    Two associations of the same département work on peace, unaware of each other:

    >>> G = nx.MultiDiGraph()
    >>> G.add_nodes_from([("d93", {"kind": "Collectivite", "level": "departement", "name": "93"}),
    ...                   ("a", {"kind": "Association", "name": "A"}), ("b", {"kind": "Association", "name": "B"}),
    ...                   ("paix", {"kind": "Theme", "name": "Paix"})])
    >>> for u, v, t in [("a", "d93", "LOCATED_IN"), ("b", "d93", "LOCATED_IN"),
    ...                 ("a", "paix", "WORKS_ON"), ("b", "paix", "WORKS_ON")]:
    ...     _ = G.add_edge(u, v, type=t)
    >>> [(gap["theme"], gap["territory"], gap["actors"]) for gap in gaps_report(G)["unlinked"]]
    [('paix', 'd93', ['a', 'b'])]
    """
    if level not in TERRITORY_LEVELS:
        raise ValueError(f"unknown level {level!r}; expected one of {', '.join(TERRITORY_LEVELS)}")
    themes = themes_of_actors(G)
    where = _where(G, level)
    linked = linked_pairs(G)
    cells: dict = defaultdict(set)
    actors_in: dict = defaultdict(set)
    for actor, places in where.items():
        for place in places:
            actors_in[place].add(actor)
            for theme in themes.get(actor, ()):
                cells[(theme, place)].add(actor)
    unlinked = []
    for (theme, place), actors in cells.items():
        members = sorted(actors, key=str)
        if len(members) >= 2 and not any(pair in linked for pair in combinations(members, 2)):
            unlinked.append(
                {
                    "theme": theme,
                    "theme_name": display_name(G, theme),
                    "territory": place,
                    "territory_name": display_name(G, place),
                    "actors": members,
                    "actor_names": [display_name(G, a) for a in members],
                }
            )
    unlinked.sort(
        key=lambda gap: (normalise(gap["theme_name"]), normalise(gap["territory_name"]), gap["theme"], gap["territory"])
    )
    covered = {theme for actor_themes in themes.values() for theme in actor_themes}
    uncovered = []
    for place, actors in actors_in.items():
        here = set().union(*(themes.get(actor, set()) for actor in actors))
        missing = sorted(covered - here, key=lambda t: (normalise(display_name(G, t)), str(t)))
        if missing:
            uncovered.append(
                {
                    "territory": place,
                    "territory_name": display_name(G, place),
                    "actors": len(actors),
                    "themes": missing,
                    "theme_names": [display_name(G, t) for t in missing],
                }
            )
    uncovered.sort(key=lambda row: (normalise(row["territory_name"]), str(row["territory"])))
    return {"level": level, "unlinked": unlinked, "uncovered": uncovered}
