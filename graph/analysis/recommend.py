"""Recommendations: who an actor should meet next, and why.

Candidates are the actors (collectivités and associations) with no direct
relation to the actor. Each is scored on the full analysis graph (documents and
people left out) by

``score = common + adamic_adar + 2 × projects + themes + 0.5 × countries``

where ``common`` is the number of neighbours they have in common (projects,
themes, countries, places, other actors), ``adamic_adar`` the sum over those
neighbours of ``1 / log(degree)`` (a neighbour few others share says more),
and ``projects``, ``themes``, ``countries`` the number of projects both take part
in, themes both work on, countries both act in. Candidates with a score of 0 are
not proposed. Ties are broken by id.

Every reason given is a statement read off the graph, checked in the tests.
"""

from __future__ import annotations

import math

import networkx as nx

from ..model import ACTOR_KINDS
from .convert import analysis_graph, display_name
from .projection import memberships

__all__ = ["SCORE_WEIGHTS", "recommend"]

#: weights of the score's terms
SCORE_WEIGHTS = {"common": 1.0, "adamic_adar": 1.0, "projects": 2.0, "themes": 1.0, "countries": 0.5}

_PHRASES = {
    "fr": {
        "projects": "Participent tous deux à : {}.",
        "themes": "Travaillent tous deux sur : {}.",
        "countries": "Agissent tous deux dans : {}.",
        "places": "Situés tous deux dans : {}.",
        "contacts": "Sont tous deux liés à : {}.",
    },
    "en": {
        "projects": "Both take part in: {}.",
        "themes": "Both work on: {}.",
        "countries": "Both act in: {}.",
        "places": "Both located in: {}.",
        "contacts": "Both are tied to: {}.",
    },
}


def _places(G: nx.Graph) -> dict:
    """``{node: set of collectivités it is LOCATED_IN}``."""
    places: dict = {}
    for u, v, relation in G.edges(data="type"):
        if relation == "LOCATED_IN" and G.nodes[v].get("kind") == "Collectivite":
            places.setdefault(u, set()).add(v)
    return places


def recommend(G: nx.Graph, actor, top: int = 10, lang: str = "fr", include=(), new_only: bool = False) -> list[dict]:
    """Actors ``actor`` is not tied to, ranked by the score above, each with its reasons.

    Parameters
    ----------
    G : networkx graph
        The store's graph (node ``kind`` and ``name``, edge ``type``).
    actor : node id
    top : int
        How many to return.
    lang : {"fr", "en"}
        Language of the reasons.
    include : collection of {"documents", "people"}
        Parts of the graph to keep (see :func:`~maillage.graph.analysis.convert.analysis_graph`).
    new_only : bool
        Leave out the actors it already takes part in a project with: only people it
        does not work with yet.

    Returns
    -------
    list of dict
        ``{"rank", "id", "name", "kind", "score", "common_neighbours", "adamic_adar",
        "shared_projects", "shared_themes", "shared_countries", "reasons"}``; each reason
        is ``{"kind": "projects"|"themes"|"countries"|"places"|"contacts", "ids": [...], "text": str}``.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_nodes_from([("nanterre", {"kind": "Collectivite", "name": "Nanterre"}),
    ...                   ("ritimo", {"kind": "Association", "name": "Ritimo"}),
    ...                   ("paix", {"kind": "Theme", "name": "Paix"})])
    >>> _ = G.add_edge("nanterre", "paix", type="WORKS_ON"); _ = G.add_edge("ritimo", "paix", type="WORKS_ON")
    >>> [(r["id"], [reason["text"] for reason in r["reasons"]]) for r in recommend(G, "nanterre", lang="en")]
    [('ritimo', ['Both work on: Paix.'])]
    """
    if lang not in _PHRASES:
        raise ValueError(f"unknown language {lang!r}; expected fr or en")
    H = analysis_graph(G, "full", include)
    if actor not in H:
        raise ValueError(f"{actor!r} is not in the analysed graph")
    held = memberships(G)
    places = _places(G)
    mine = held.get(actor, {"projects": set(), "themes": set(), "countries": set()})
    my_places = places.get(actor, set())
    found = []
    # every term of the score needs a neighbour in common: only nodes two steps away can score
    two_steps = {far for near in H.adj[actor] for far in H.adj[near]}
    for candidate in (node for node in H if node in two_steps):
        if candidate == actor or H.nodes[candidate].get("kind") not in ACTOR_KINDS or H.has_edge(actor, candidate):
            continue
        common = sorted(nx.common_neighbors(H, actor, candidate), key=str)
        theirs = held.get(candidate, {"projects": set(), "themes": set(), "countries": set()})
        shared = {what: sorted(mine[what] & theirs[what], key=str) for what in ("projects", "themes", "countries")}
        if new_only and shared["projects"]:
            continue
        adamic_adar = sum(1 / math.log(H.degree(w)) for w in common)
        score = (
            SCORE_WEIGHTS["common"] * len(common)
            + SCORE_WEIGHTS["adamic_adar"] * adamic_adar
            + sum(SCORE_WEIGHTS[what] * len(items) for what, items in shared.items())
        )
        if score <= 0:
            continue
        same_place = sorted(my_places & places.get(candidate, set()), key=str)
        explained = set().union(*shared.values(), same_place)
        others = [w for w in common if w not in explained]
        reasons = [
            {"kind": what, "ids": ids, "text": _PHRASES[lang][what].format(", ".join(display_name(G, i) for i in ids))}
            for what, ids in (*shared.items(), ("places", same_place), ("contacts", others))
            if ids
        ]
        found.append(
            {
                "id": candidate,
                "name": display_name(G, candidate),
                "kind": H.nodes[candidate].get("kind", ""),
                "score": round(score, 6),
                "common_neighbours": len(common),
                "adamic_adar": round(adamic_adar, 6),
                "shared_projects": shared["projects"],
                "shared_themes": shared["themes"],
                "shared_countries": shared["countries"],
                "reasons": reasons,
            }
        )
    found.sort(key=lambda row: (-row["score"], str(row["id"])))
    return [{"rank": rank, **row} for rank, row in enumerate(found[:top], start=1)]
