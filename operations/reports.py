"""Reports on the graph: centrality, brokers, communities, gaps, recommendations, the full report.

Each function reads the graph from a store and returns a :class:`Report`: its rows and
columns, a title, the notes that say which graph it was computed on and how, and the
whole result (``payload``) for JSON. ``Report.text(format)`` renders it as the command
line prints it.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..graph.analysis.centrality import METRICS
from ..graph.errors import UsageError
from ..graph.store import GraphStore
from .actors import kind_names, resolve
from .output import report_text
from .progress import Progress

__all__ = [
    "AUTO_SAMPLE",
    "AUTO_SAMPLE_FROM",
    "SCORE_WORDS",
    "Report",
    "brokers",
    "centrality",
    "communities",
    "full_report",
    "gaps",
    "read_graph",
    "recommendations",
    "sample_size",
]

#: From this many nodes on, betweenness and closeness are estimated unless ``exact``:
#: exact ones cost a traversal per node.
AUTO_SAMPLE_FROM = 20_000
AUTO_SAMPLE = 256

CENTRALITY_COLUMNS = ["id", "name", "kind", *METRICS]
BROKER_COLUMNS = [
    "id",
    "name",
    "kind",
    "group",
    "bridges",
    "coordinator",
    "itinerant",
    "representative",
    "gatekeeper",
    "liaison",
    "total",
    "constraint",
    "effective_size",
]
#: the parts of a recommendation's score in words, in the order of SCORE_WEIGHTS
SCORE_WORDS = {
    "fr": {
        "common": "voisins communs",
        "adamic_adar": "Adamic–Adar",
        "projects": "projets partagés",
        "themes": "thèmes partagés",
        "countries": "pays partagés",
    },
    "en": {
        "common": "common neighbours",
        "adamic_adar": "Adamic–Adar",
        "projects": "shared projects",
        "themes": "shared themes",
        "countries": "shared countries",
    },
}


@dataclass
class Report:
    """A report: ``rows`` (their ``columns``), a ``title``, ``notes`` on the graph and the
    method, and ``payload``, the whole result as JSON gives it (None: the rows)."""

    title: str
    rows: list[dict[str, Any]]
    columns: list[str]
    notes: list[str] = field(default_factory=list)
    lang: str = "fr"
    payload: Any = None

    def text(self, format: str = "table") -> str:
        """The report as ``table``, ``csv``, ``json``, ``md`` or ``html`` text."""
        return report_text(self.rows, self.columns, format, self.title, self.notes, self.lang, self.payload)

    def notes_left_out(self, format: str) -> list[str]:
        """The notes a ``csv`` text, or a ``json`` one of rows alone, has no place for."""
        return [note for note in self.notes if note] if format in ("csv", "json") and self.payload is None else []


def read_graph(store: GraphStore, progress: Progress | None = None, freeze: bool = False, **options: Any) -> Any:
    """The store's graph as networkx (``store.to_networkx(**options)``), with ``progress`` told.

    ``freeze`` hands it to the collector's permanent generation, for a process that keeps
    it to its end (the command line): the collector need not walk its millions of
    dictionaries again each time the analysis's own objects start a collection.
    """
    with (progress or Progress()).step("reading the store"):
        graph = store.to_networkx(**options)
    if freeze:
        gc.freeze()
    return graph


def _release_unused() -> None:
    """Free what :func:`read_graph` froze and is no longer used (the store's graph, once the
    analysis graph is made from it): frozen, its reference cycles would keep it alive. Then
    freeze what remains."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def sample_size(nodes: int, sample: int | None, exact: bool, note: Callable[[str], None] | None = None) -> int | None:
    """How many sources betweenness and closeness are estimated from (None: exact); ``note``
    is told when the graph's size chose it.

    Examples
    --------
    >>> sample_size(50_000, None, False), sample_size(50_000, None, True), sample_size(100, 10, False)
    (256, None, 10)
    """
    if exact and sample is not None:
        raise UsageError("give --sample or --exact, not both")
    if exact or sample is not None or nodes < AUTO_SAMPLE_FROM:
        return sample
    if note is not None:
        note(
            f"{nodes:,} nodes: betweenness and closeness estimated from {AUTO_SAMPLE} sampled sources "
            "(--exact computes them exactly, one traversal per node)"
        )
    return AUTO_SAMPLE


def scope_note(graph: Any, lang: str) -> str:
    """Which graph an analysis ran on, in words."""
    from ..graph.analysis import scope_of

    return scope_of(graph).describe(lang)


def _centrality_graph(
    store: GraphStore,
    graph: str,
    include: Sequence[str],
    min_weight: float,
    progress: Progress | None,
    freeze: bool,
) -> Any:
    """The graph centrality runs on. The full graph is read as arrays
    (:func:`~maillage.graph.analysis.convert.analysis_arrays`): a national register's graph then
    fits without networkx's dictionaries."""
    from ..graph.analysis import analysis_arrays, analysis_graph

    if graph == "full":
        with (progress or Progress()).step("reading the store"):
            analysed = analysis_arrays(store.graph_arrays(), include)
    else:
        analysed = analysis_graph(read_graph(store, progress, freeze), graph, include, min_weight=min_weight)
    if freeze:
        _release_unused()
    return analysed


def centrality(
    store: GraphStore,
    metric: str = "degree",
    kinds: Sequence[str] = (),
    top: int = 20,
    sample: int | None = None,
    exact: bool = False,
    graph: str = "full",
    include: Sequence[str] = (),
    min_weight: float = 1.0,
    engine: str = "auto",
    seed: int = 0,
    lang: str = "fr",
    progress: Progress | None = None,
    note: Callable[[str], None] | None = None,
    freeze: bool = False,
) -> Report:
    """Who holds the network together: the ``top`` nodes by ``metric`` (degree, weighted_degree,
    betweenness, closeness, harmonic, eigenvector, pagerank), with every measure.

    Relations are read as undirected ties; Document and Person nodes are left out unless
    ``include`` names them. ``graph="actors"`` uses the weighted actor–actor projection
    (links lighter than ``min_weight`` dropped). Betweenness and closeness are estimated from
    ``sample`` sources (by default from :data:`AUTO_SAMPLE_FROM` nodes on, unless ``exact``).
    """
    from ..graph.analysis import centrality_report
    from ..visualise.report import EXPLANATIONS, sampling_note

    analysed = _centrality_graph(store, graph, include, min_weight, progress, freeze)
    k = sample_size(analysed.number_of_nodes(), sample, exact, note)
    with (progress or Progress()).step(f"centrality of {analysed.number_of_nodes():,} nodes"):
        result = centrality_report(
            analysed, metric, set(kind_names(kinds)) or None, k=k, seed=seed, engine=engine, top=top
        )
    columns = CENTRALITY_COLUMNS + (["betweenness_stderr"] if result["betweenness"]["k"] else [])
    label = EXPLANATIONS[metric][0 if lang == "fr" else 2]
    title = f"Centralité (triée par {label})" if lang == "fr" else f"Centrality (sorted by {label})"
    notes = [scope_note(analysed, lang), sampling_note(result, lang)]
    return Report(title, result["rows"][:top], columns, notes, lang)


def brokers(
    store: GraphStore,
    by: str = "kind",
    between: tuple[str, str] = ("Collectivite", "Association"),
    kinds: Sequence[str] = (),
    top: int = 20,
    directed: bool = False,
    graph: str = "actors",
    include: Sequence[str] = (),
    min_weight: float = 1.0,
    engine: str = "auto",
    lang: str = "fr",
    progress: Progress | None = None,
    freeze: bool = False,
) -> Report:
    """Who bridges whom: bridges between the two kinds ``between``, Gould–Fernandez brokerage
    roles between groups ``by`` kind, département or région, Burt's constraint and effective size.

    ``directed`` reads roles on relations as written and needs ``graph="full"``.
    """
    from ..graph.analysis import analysis_graph, brokers_report

    if directed and graph != "full":
        raise UsageError("--directed needs --graph full: the actor projection has no direction")
    store_graph = read_graph(store, progress, freeze)
    analysed = analysis_graph(store_graph, graph, include, min_weight=min_weight, directed=directed)
    result = brokers_report(
        analysed, by, store_graph, tuple(kind_names(between)), set(kind_names(kinds)) or None, engine
    )
    result["rows"] = result["rows"][:top]
    title = "Courtiers" if lang == "fr" else "Brokers"
    return Report(title, result["rows"], BROKER_COLUMNS, [scope_note(analysed, lang)], lang, result)


def communities(
    store: GraphStore,
    method: str = "louvain",
    resolution: float = 1.0,
    top: int = 5,
    graph: str = "actors",
    include: Sequence[str] = (),
    min_weight: float = 1.0,
    engine: str = "auto",
    seed: int = 0,
    lang: str = "fr",
    progress: Progress | None = None,
    freeze: bool = False,
) -> Report:
    """Groups of actors more tied to each other than to the rest (``louvain`` or ``leiden``,
    seeded), with modularity, their ``top`` largest members and dominant themes."""
    from ..graph.analysis import analysis_graph, communities_report
    from ..visualise.report import communities_note

    store_graph = read_graph(store, progress, freeze)
    analysed = analysis_graph(store_graph, graph, include, min_weight=min_weight)
    result = communities_report(analysed, method, seed, resolution, engine, top, store_graph)
    rows = [
        {
            "community": c["community"],
            "size": c["size"],
            "members": [m["name"] for m in c["members"]],
            "themes": [t["name"] for t in c["themes"]],
        }
        for c in result["communities"]
    ]
    title = "Groupes" if lang == "fr" else "Communities"
    columns = ["community", "size", "members", "themes"]
    return Report(title, rows, columns, [scope_note(analysed, lang), communities_note(result, lang)], lang, result)


def gaps(
    store: GraphStore,
    level: str = "departement",
    lang: str = "fr",
    progress: Progress | None = None,
    freeze: bool = False,
) -> Report:
    """What nobody covers: themes × territories (``departement``, ``region``, ``country``) with
    actors but no links between them, and themes nobody in a territory works on."""
    from ..graph.analysis import gaps_report

    result = gaps_report(read_graph(store, progress, freeze), level)
    unlinked = "sans lien" if lang == "fr" else "unlinked"
    uncovered = "non couvert" if lang == "fr" else "uncovered"
    rows = [
        {"gap": unlinked, "territory": g["territory_name"], "theme": g["theme_name"], "actors": g["actor_names"]}
        for g in result["unlinked"]
    ]
    rows += [
        {"gap": uncovered, "territory": g["territory_name"], "theme": theme, "actors": g["actors"]}
        for g in result["uncovered"]
        for theme in g["theme_names"]
    ]
    note = (
        "Un acteur travaille sur un thème s'il y est lié (WORKS_ON) ou participe à un projet qui le traite ; "
        "deux acteurs sont liés par une relation directe ou un projet commun."
        if lang == "fr"
        else "An actor works on a theme if tied to it (WORKS_ON) or taking part in a project addressing it; "
        "two actors are linked by a direct relation or a common project."
    )
    title = "Manques" if lang == "fr" else "Gaps"
    return Report(title, rows, ["gap", "territory", "theme", "actors"], [note], lang, result)


def full_report(
    store: GraphStore,
    format: str = "html",
    lang: str = "fr",
    title: str | None = None,
    metric: str = "betweenness",
    top: int = 10,
    sample: int | None = None,
    exact: bool = False,
    include: Sequence[str] = (),
    min_weight: float = 1.0,
    engine: str = "auto",
    seed: int = 0,
    with_map: bool = True,
    progress: Progress | None = None,
    note: Callable[[str], None] | None = None,
    freeze: bool = False,
) -> str:
    """Everything in one document: centrality, brokers, communities, recommendations for the
    most central actors, gaps and the map, as a self-contained HTML page (``format="html"``)
    or all the data as one JSON text (``format="json"``)."""
    import json

    from ..visualise.report import full_report_data, full_report_html

    store_graph = read_graph(store, progress, freeze)
    k = sample_size(store_graph.number_of_nodes(), sample, exact, note)
    if format == "html":
        return full_report_html(
            store_graph, lang, title, seed, k, top, metric, include, min_weight, engine, with_map=with_map
        )
    payload = full_report_data(store_graph, lang, seed, k, top, metric, include, min_weight, engine)
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def recommendations(
    store: GraphStore,
    actor: str,
    top: int = 10,
    include: Sequence[str] = (),
    new_only: bool = False,
    lang: str = "fr",
    notice: Callable[[str], None] | None = None,
) -> Report:
    """Who ``actor`` (id, name or alias) should meet next, and why: actors it has no direct
    relation with, ranked by common neighbours, Adamic–Adar, shared projects, themes and
    countries; ``new_only`` leaves out those it already shares a project with."""
    from ..graph.analysis import recommend
    from ..graph.analysis.recommend import SCORE_WEIGHTS

    node_id = resolve(store, actor, notice=notice).id
    # Candidates are two steps away, and every part of their score is read off relations of
    # the actor's neighbours: the two-step neighbourhood holds them all.
    store_graph = store.to_networkx(node_ids=store.neighbourhood([node_id], 2))
    found = recommend(store_graph, node_id, top, lang, include, new_only)
    rows = [{**row, "reasons": [reason["text"] for reason in row["reasons"]]} for row in found]
    decimal = "," if lang == "fr" else "."
    weights = ", ".join(
        f"{SCORE_WORDS[lang][part]} × {weight:g}".replace(".", decimal) for part, weight in SCORE_WEIGHTS.items()
    )
    name = store_graph.nodes[node_id].get("name", node_id)
    title = f"Qui {name} devrait rencontrer" if lang == "fr" else f"Who {name} should meet"
    payload = {"actor": node_id, "name": name, "weights": SCORE_WEIGHTS, "recommendations": found}
    columns = ["rank", "id", "name", "kind", "score", "reasons"]
    return Report(title, rows, columns, [f"Score = {weights}."], lang, payload)
