"""The printable HTML report: one self-contained file, every metric explained in plain words.

Every string that comes from the data goes through :func:`html.escape`; the
document has no outside reference (no script, font, image or stylesheet from
elsewhere) and prints cleanly (``@media print``). The interactive map, when the
map module provides it, is embedded as an ``<iframe srcdoc>`` whose whole
content is escaped as one attribute value.

The same graph, options and seed give the same bytes: everything is sorted,
numbers are rounded the same way, and no date is written.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import networkx as nx

from ..graph.analysis.brokerage import brokers_report
from ..graph.analysis.centrality import METRICS, centrality_report
from ..graph.analysis.communities import communities_report
from ..graph.analysis.convert import Scope, analysis_graph, scope_of
from ..graph.analysis.gaps import gaps_report
from ..graph.analysis.recommend import recommend

__all__ = [
    "KIND_NAMES",
    "LABELS",
    "communities_note",
    "format_value",
    "full_report_data",
    "full_report_html",
    "html_document",
    "html_table",
    "report_headers",
    "report_rows",
    "sampling_note",
    "table_report_html",
]

ACTORS = ("Collectivite", "Association")

#: wording of the report, French first
LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Rapport d'analyse du réseau",
        "graph": "Graphe analysé",
        "centrality": "Qui tient le réseau",
        "centrality_intro": "Les acteurs les plus centraux, triés par {metric}. Les mesures sont calculées sur le graphe complet ; seuls les acteurs (collectivités et associations) sont listés.",
        "brokers": "Qui fait le pont",
        "brokers_intro": "Sur la projection acteur–acteur. « Ponts » : nombre de chemins en deux pas qui relient une collectivité et une association non liées directement en passant par l'acteur — qui fait le lien entre collectivités et associations.",
        "brokers_territory": "Courtiers entre territoires (rôles de Gould et Fernandez, groupes par département)",
        "communities": "Groupes",
        "communities_intro": "Groupes d'acteurs plus liés entre eux qu'avec le reste, sur la projection acteur–acteur. {note}",
        "communities_note": "Méthode {method}, graine {seed}, moteur {engine} ; modularité {modularity} (0 : pas mieux que le hasard ; au-delà de 0,3 : groupes nets).",
        "community": "Groupe {number} ({size} acteur{plural})",
        "members": "Principaux membres",
        "themes": "Thèmes dominants",
        "recommendations": "Qui rencontrer ensuite",
        "recommendations_intro": "Pour les acteurs les plus centraux, les acteurs auxquels ils ne sont pas liés directement, classés par un score qui additionne voisins communs, Adamic–Adar, projets (×2), thèmes et pays (×0,5) partagés. Chaque raison est un fait du graphe.",
        "recommendations_for": "Pour {name}",
        "gaps": "Manques",
        "gaps_unlinked": "Thèmes × territoires où plusieurs acteurs travaillent sans être liés",
        "gaps_uncovered": "Thèmes que personne ne couvre dans un territoire (parmi ceux couverts ailleurs)",
        "map": "Carte",
        "map_missing": "Carte non disponible dans cette installation.",
        "none": "Aucun.",
        "method": "Méthode",
        "sampled": "Intermédiarité, proximité et proximité harmonique estimées à partir de {k} sources tirées au hasard (graine {seed}) ; erreur type de l'intermédiarité au plus {error}. Moteur : {engine}.",
        "exact": "Mesures exactes (toutes les sources). Moteur : {engine}.",
        "explain": "Ce que mesurent les indicateurs",
        "score": "score",
        "reasons": "raisons",
        "actors": "acteurs",
        "territory": "territoire",
        "theme": "thème",
        "missing_themes": "thèmes non couverts",
        "actor": "acteur",
        "kind": "type",
        "bridges": "ponts",
    },
    "en": {
        "title": "Network analysis report",
        "graph": "Graph analysed",
        "centrality": "Who holds the network together",
        "centrality_intro": "The most central actors, sorted by {metric}. Metrics are computed on the full graph; only actors (local authorities and associations) are listed.",
        "brokers": "Who bridges",
        "brokers_intro": 'On the actor–actor projection. "Bridges": the number of two-step paths joining a local authority and an association that are not tied directly, through the actor — who bridges local authorities and associations.',
        "brokers_territory": "Brokers between territories (Gould and Fernandez roles, grouped by département)",
        "communities": "Communities",
        "communities_intro": "Groups of actors more tied to each other than to the rest, on the actor–actor projection. {note}",
        "communities_note": "Method {method}, seed {seed}, engine {engine}; modularity {modularity} (0: no better than chance; above 0.3: clear groups).",
        "community": "Community {number} ({size} actor{plural})",
        "members": "Main members",
        "themes": "Dominant themes",
        "recommendations": "Who to meet next",
        "recommendations_intro": "For the most central actors, the actors they have no direct tie to, ranked by a score adding common neighbours, Adamic–Adar, shared projects (×2), themes and countries (×0.5). Every reason is a fact of the graph.",
        "recommendations_for": "For {name}",
        "gaps": "Gaps",
        "gaps_unlinked": "Themes × territories where several actors work without being linked",
        "gaps_uncovered": "Themes nobody covers in a territory (among those covered elsewhere)",
        "map": "Map",
        "map_missing": "Map not available in this installation.",
        "none": "None.",
        "method": "Method",
        "sampled": "Betweenness, closeness and harmonic closeness estimated from {k} randomly drawn sources (seed {seed}); betweenness standard error at most {error}. Engine: {engine}.",
        "exact": "Exact measures (all sources). Engine: {engine}.",
        "explain": "What the metrics measure",
        "score": "score",
        "reasons": "reasons",
        "actors": "actors",
        "territory": "territory",
        "theme": "theme",
        "missing_themes": "themes not covered",
        "actor": "actor",
        "kind": "kind",
        "bridges": "bridges",
    },
}

#: node kinds as the report names them
KIND_NAMES: dict[str, dict[str, str]] = {
    "fr": {
        "Collectivite": "Collectivité",
        "Association": "Association",
        "Theme": "Thème",
        "Project": "Projet",
        "Person": "Personne",
        "Country": "Pays",
        "Document": "Document",
    },
    "en": {
        "Collectivite": "Local authority",
        "Association": "Association",
        "Theme": "Theme",
        "Project": "Project",
        "Person": "Person",
        "Country": "Country",
        "Document": "Document",
    },
}

#: column of a report -> its header, for the columns that are not metrics
COLUMN_NAMES: dict[str, dict[str, str]] = {
    "fr": {
        "id": "identifiant",
        "name": "nom",
        "kind": "type",
        "group": "groupe",
        "bridges": "ponts",
        "total": "total",
        "community": "groupe",
        "size": "taille",
        "members": "membres",
        "themes": "thèmes",
        "gap": "manque",
        "territory": "territoire",
        "theme": "thème",
        "actors": "acteurs",
        "rank": "rang",
        "score": "score",
        "reasons": "raisons",
    },
    "en": {},
}

#: metric -> (French label, French explanation, English label, English explanation)
EXPLANATIONS: dict[str, tuple[str, str, str, str]] = {
    "degree": (
        "degré",
        "Nombre de voisins distincts : avec combien de nœuds l'acteur est en relation.",
        "degree",
        "Number of distinct neighbours: how many nodes the actor is tied to.",
    ),
    "weighted_degree": (
        "degré pondéré",
        "Somme des poids de ses liens : les relations multiples comptent plusieurs fois.",
        "weighted degree",
        "Sum of the weights of its ties: repeated relations count several times.",
    ),
    "betweenness": (
        "intermédiarité",
        "Part des plus courts chemins entre deux autres nœuds qui passent par lui : qui est sur le chemin des autres.",
        "betweenness",
        "Share of shortest paths between two other nodes that pass through it: who stands on the others' way.",
    ),
    "closeness": (
        "proximité",
        "Proximité moyenne à tous les nœuds qu'il peut atteindre : qui touche vite tout le monde.",
        "closeness",
        "How near it is, on average, to every node it can reach: who reaches everyone fast.",
    ),
    "harmonic": (
        "proximité harmonique",
        "Moyenne de 1/distance vers tous les autres : comme la proximité, mais robuste quand le réseau est en morceaux.",
        "harmonic closeness",
        "Mean of 1/distance to every other node: like closeness, but robust when the network falls apart.",
    ),
    "eigenvector": (
        "vecteur propre",
        "Être lié à des nœuds eux-mêmes bien liés.",
        "eigenvector",
        "Being tied to nodes that are themselves well tied.",
    ),
    "pagerank": (
        "PageRank",
        "Où passe le plus de temps une marche au hasard le long des relations.",
        "PageRank",
        "Where a random walk along relations spends most of its time.",
    ),
    "constraint": (
        "contrainte (Burt)",
        "Faible quand les contacts de l'acteur ne sont pas liés entre eux : il a de la place pour faire le lien.",
        "constraint (Burt)",
        "Low when the actor's contacts are not tied to each other: it has room to broker.",
    ),
    "effective_size": (
        "taille effective",
        "Nombre de contacts non redondants.",
        "effective size",
        "Number of non-redundant contacts.",
    ),
    "coordinator": (
        "coordinateur",
        "Relie deux membres de son propre groupe.",
        "coordinator",
        "Links two members of its own group.",
    ),
    "itinerant": (
        "consultant",
        "Relie deux membres d'un même groupe qui n'est pas le sien.",
        "itinerant",
        "Links two members of one group that is not its own.",
    ),
    "representative": (
        "représentant",
        "Porte son groupe vers un autre groupe.",
        "representative",
        "Carries its group towards another group.",
    ),
    "gatekeeper": (
        "gardien",
        "Fait entrer un autre groupe dans le sien (sur des liens non orientés, égal au représentant).",
        "gatekeeper",
        "Lets another group into its own (equal to representative on undirected ties).",
    ),
    "liaison": (
        "agent de liaison",
        "Relie deux groupes dont aucun n'est le sien.",
        "liaison",
        "Links two groups, neither of them its own.",
    ),
}

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; line-height: 1.45; }
h1 { font-size: 1.8rem; border-bottom: 3px solid #0072B2; padding-bottom: .3rem; }
h2 { font-size: 1.35rem; margin-top: 2.2rem; color: #0072B2; }
h3 { font-size: 1.05rem; margin-bottom: .3rem; }
table { border-collapse: collapse; width: 100%; font-size: .85rem; margin: .6rem 0 1rem; }
th, td { border: 1px solid #ccc; padding: .25rem .45rem; text-align: left; vertical-align: top; }
th { background: #eef4fa; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
p.scope { background: #f6f6f6; border-left: 4px solid #999; padding: .4rem .7rem; font-size: .9rem; }
dl.metrics dt { font-weight: 600; }
dl.metrics dd { margin: 0 0 .4rem 1rem; }
iframe.map { width: 100%; height: 40rem; border: 1px solid #ccc; }
ul.reasons { margin: 0; padding-left: 1.1rem; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  h2 { break-before: page; }
  h2.first { break-before: avoid; }
  table, section.community, tr { break-inside: avoid; }
  iframe.map { height: 18cm; }
  a { color: inherit; text-decoration: none; }
}
@page { size: A4; margin: 1.5cm; }
"""


def sampling_note(centrality: dict, lang: str = "fr") -> str:
    """How a centrality report's betweenness and closeness were computed: exactly, or from how
    many sources drawn with which seed and the largest standard error; and by which engine.

    >>> sampling_note({"betweenness": {"k": None}, "engine": "igraph"}, "en")
    'Exact measures (all sources). Engine: igraph.'
    >>> sampling_note({"betweenness": {"k": 10, "seed": 3, "max_stderr": 0.0123}, "engine": "networkx"}, "en")
    'Betweenness, ... from 10 randomly drawn sources (seed 3); betweenness standard error at most 0.0123. Engine: networkx.'
    """
    sampling, engine = centrality.get("betweenness") or {}, centrality.get("engine", "networkx")
    if not sampling.get("k"):
        return LABELS[lang]["exact"].format(engine=engine)
    error = format_value(float(sampling["max_stderr"]), lang)
    return LABELS[lang]["sampled"].format(k=sampling["k"], seed=sampling["seed"], error=error, engine=engine)


def communities_note(communities: dict, lang: str = "fr") -> str:
    """How communities were found (method, seed, engine) and how clear they are (modularity).

    >>> communities_note({"method": "louvain", "seed": 0, "engine": "networkx", "modularity": 0.41}, "en")
    'Method louvain, seed 0, engine networkx; modularity 0.4100 (0: no better than chance; above 0.3: clear groups).'
    """
    modularity = format_value(float(communities["modularity"]), lang)
    return LABELS[lang]["communities_note"].format(
        method=communities["method"], seed=communities["seed"], engine=communities["engine"], modularity=modularity
    )


def format_value(value: Any, lang: str = "fr") -> str:
    """Text of a cell: floats to 4 decimals (French decimal comma) unless whole, lists joined, None empty.

    >>> format_value(0.123456, "fr"), format_value(0.123456, "en"), format_value(["a", "b"]), format_value(19.0)
    ('0,1235', '0.1235', 'a ; b', '19')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, float):
        text = f"{value:.4f}"
        return text.replace(".", ",") if lang == "fr" else text
    if isinstance(value, (list, tuple)):
        return " ; ".join(format_value(v, lang) for v in value)
    return str(value)


def html_table(
    rows: Sequence[dict], columns: Sequence[str], headers: Sequence[str] | None = None, lang: str = "fr"
) -> str:
    """An HTML table of ``rows``; every header and cell escaped.

    >>> html_table([{"name": "<b>"}], ["name"])
    '<table><thead><tr><th>name</th></tr></thead><tbody><tr><td>&lt;b&gt;</td></tr></tbody></table>'
    """
    headers = list(headers or columns)
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = []
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(column)
            css = ' class="number"' if isinstance(value, (int, float)) and not isinstance(value, bool) else ""
            cells.append(f"<td{css}>{html.escape(format_value(value, lang))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def html_document(title: str, body: str, lang: str = "fr") -> str:
    """A complete, self-contained HTML page around ``body`` (already HTML); ``title`` is escaped.

    >>> "<title>a &amp; b</title>" in html_document("a & b", "")
    True
    """
    return (
        f'<!DOCTYPE html>\n<html lang="{html.escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n{body}\n</body>\n</html>\n"
    )


def table_report_html(
    title: str, notes: Sequence[str], rows: Sequence[dict], columns: Sequence[str], lang: str = "fr"
) -> str:
    """One report (centrality, brokers, ...) as a printable HTML page: notes, then the table.

    >>> page = table_report_html("Centralité", ["Calculé sur ..."], [{"id": "<x>"}], ["id"])
    >>> "&lt;x&gt;" in page and "<x>" not in page
    True
    """
    paragraphs = "".join(f'<p class="scope">{html.escape(note)}</p>' for note in notes)
    return html_document(
        title, paragraphs + html_table(report_rows(rows, lang), columns, report_headers(columns, lang), lang), lang
    )


def _explanations(names: Sequence[str], lang: str) -> str:
    items = []
    for name in names:
        fr_label, fr_text, en_label, en_text = EXPLANATIONS[name]
        label, text = (fr_label, fr_text) if lang == "fr" else (en_label, en_text)
        items.append(f"<dt>{html.escape(label)}</dt><dd>{html.escape(text)}</dd>")
    return f'<dl class="metrics">{"".join(items)}</dl>'


def report_headers(columns: Sequence[str], lang: str = "fr") -> list[str]:
    """The headers of a report's columns in words, in the report's language.

    >>> report_headers(["name", "kind", "betweenness"])
    ['nom', 'type', 'intermédiarité']
    >>> report_headers(["name", "weighted_degree"], "en")
    ['name', 'weighted degree']
    """
    index = 0 if lang == "fr" else 2
    return [EXPLANATIONS[c][index] if c in EXPLANATIONS else COLUMN_NAMES[lang].get(c, c) for c in columns]


def report_rows(rows: Sequence[dict], lang: str = "fr") -> list[dict]:
    """Rows with their actor kind in words, for reports read by people (Markdown, HTML).

    >>> report_rows([{"name": "Rosny-sous-Bois", "kind": "Collectivite"}])
    [{'name': 'Rosny-sous-Bois', 'kind': 'Collectivité'}]
    """
    return [
        row if "kind" not in row else {**row, "kind": KIND_NAMES[lang].get(row["kind"], row["kind"])} for row in rows
    ]


def _map_section(G: nx.Graph, lang: str, words: dict, title: str, seed: int) -> str:
    """The interactive map in a sandboxed iframe, or a note when the map module does not provide it."""
    try:
        from . import map_html
    except ImportError:
        return f"<p>{html.escape(words['map_missing'])}</p>"
    document = map_html(G, lang=lang, title=title, seed=seed)
    return f'<iframe class="map" title="{html.escape(words["map"])}" sandbox="allow-scripts" srcdoc="{html.escape(document, quote=True)}"></iframe>'


def full_report_data(
    G: nx.Graph,
    lang: str = "fr",
    seed: int = 0,
    k: int | None = None,
    top: int = 10,
    metric: str = "betweenness",
    include: Sequence[str] = (),
    min_weight: float = 1.0,
    engine: str = "auto",
    recommend_for: int = 3,
) -> dict:
    """Everything the full report shows, as JSON-ready data (``report all --format json``).

    Parameters are those of :func:`full_report_html`.

    Returns
    -------
    dict
        ``{"scopes": [full graph scope, actor projection scope], "centrality": centrality
        report of the actors on the full graph (``top`` rows), "brokers": brokers by kind
        on the projection (``top`` rows), "brokers_by_territory": by département, sorted by
        total roles (``top`` rows), "communities": Louvain on the projection,
        "recommendations": {actor id: [...]} for the ``recommend_for`` most central actors,
        "gaps": by département}``.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_nodes_from([("a", {"kind": "Association", "name": "A"}), ("b", {"kind": "Collectivite", "name": "B"}),
    ...                   ("p", {"kind": "Project", "name": "P"})])
    >>> _ = G.add_edge("a", "p", type="TAKES_PART_IN"); _ = G.add_edge("b", "p", type="TAKES_PART_IN")
    >>> data = full_report_data(G)
    >>> [scope["graph"] for scope in data["scopes"]], sorted(data["recommendations"])
    (['full', 'actors'], ['a', 'b'])
    """
    full = analysis_graph(G, "full", include)
    actors = analysis_graph(G, "actors", include, min_weight=min_weight)
    central = centrality_report(full, metric, ACTORS, k=k, seed=seed, engine=engine, top=top)
    central["rows"] = central["rows"][:top]
    brokers = brokers_report(actors, "kind", engine=engine)
    brokers["rows"] = brokers["rows"][:top]
    by_territory = brokers_report(actors, "departement", source=G, engine=engine)
    by_territory["rows"] = sorted(by_territory["rows"], key=lambda row: (-row["total"], str(row["id"])))[:top]
    return {
        "scopes": [scope_of(full).as_dict(), scope_of(actors).as_dict()],
        "centrality": central,
        "brokers": brokers,
        "brokers_by_territory": by_territory,
        "communities": communities_report(actors, seed=seed, engine=engine, top=5, source=G),
        "recommendations": {
            row["id"]: recommend(G, row["id"], top=5, lang=lang, include=include)
            for row in central["rows"][:recommend_for]
        },
        "gaps": gaps_report(G),
    }


def full_report_html(
    G: nx.Graph,
    lang: str = "fr",
    title: str | None = None,
    seed: int = 0,
    k: int | None = None,
    top: int = 10,
    metric: str = "betweenness",
    include: Sequence[str] = (),
    min_weight: float = 1.0,
    engine: str = "auto",
    recommend_for: int = 3,
    with_map: bool = True,
) -> str:
    """The whole report: graph analysed, centrality, brokers, communities, recommendations, gaps, map.

    Parameters
    ----------
    G : networkx graph
        The store's graph (``store.to_networkx()``).
    lang : {"fr", "en"}
    title : str, optional
    seed : int
        Seed of communities and sampled betweenness.
    k : int, optional
        Sampled betweenness from ``k`` sources (exact when ``None``).
    top : int
        Rows per table.
    metric : str
        Sort key of the centrality table.
    include : collection of {"documents", "people"}
    min_weight : float
        Weakest link kept in the actor–actor projection.
    engine : {"auto", "networkx", "igraph"}
    recommend_for : int
        Recommendations are given for this many of the most central actors.
    with_map : bool
        Embed the interactive map.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_nodes_from([("a", {"kind": "Association", "name": "<script>alert(1)</script>"}),
    ...                   ("b", {"kind": "Collectivite", "name": "Rosny"}), ("p", {"kind": "Project", "name": "P"})])
    >>> _ = G.add_edge("a", "p", type="TAKES_PART_IN"); _ = G.add_edge("b", "p", type="TAKES_PART_IN")
    >>> page = full_report_html(G, with_map=False)
    >>> "<script>" in page, "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    (False, True)
    """
    words = LABELS[lang]
    title = title or words["title"]
    data = full_report_data(G, lang, seed, k, top, metric, include, min_weight, engine, recommend_for)
    central, brokers, by_territory = data["centrality"], data["brokers"], data["brokers_by_territory"]
    groups, gaps = data["communities"], data["gaps"]
    metric_label = EXPLANATIONS[metric][0 if lang == "fr" else 2]
    parts = []

    parts.append(f'<h2 class="first">{html.escape(words["graph"])}</h2>')
    for scope in data["scopes"]:
        parts.append(f'<p class="scope">{html.escape(Scope(**scope).describe(lang))}</p>')

    parts.append(f"<h2>{html.escape(words['centrality'])}</h2>")
    parts.append(f"<p>{html.escape(words['centrality_intro'].format(metric=metric_label))}</p>")
    centrality_columns = ["name", "kind", *METRICS]
    named = [words["actor"], words["kind"]]
    parts.append(
        html_table(
            report_rows(central["rows"], lang),
            centrality_columns,
            named + report_headers(centrality_columns[2:], lang),
            lang,
        )
    )
    parts.append(f"<h3>{html.escape(words['explain'])}</h3>")
    parts.append(_explanations(centrality_columns[2:], lang))

    parts.append(f"<h2>{html.escape(words['brokers'])}</h2>")
    parts.append(f"<p>{html.escape(words['brokers_intro'])}</p>")
    broker_columns = ["name", "kind", "bridges", "constraint", "effective_size"]
    parts.append(
        html_table(
            report_rows(brokers["rows"], lang),
            broker_columns,
            named + [words["bridges"]] + report_headers(broker_columns[3:], lang),
            lang,
        )
    )
    parts.append(f"<h3>{html.escape(words['brokers_territory'])}</h3>")
    role_columns = ["name", "group", "coordinator", "itinerant", "representative", "gatekeeper", "liaison", "total"]
    parts.append(
        html_table(
            by_territory["rows"],
            role_columns,
            [words["actor"], words["territory"]] + report_headers(role_columns[2:], lang),
            lang,
        )
    )
    parts.append(
        _explanations(
            ["constraint", "effective_size", "coordinator", "itinerant", "representative", "gatekeeper", "liaison"],
            lang,
        )
    )

    parts.append(f"<h2>{html.escape(words['communities'])}</h2>")
    intro = words["communities_intro"].format(note=communities_note(groups, lang))
    parts.append(f"<p>{html.escape(intro)}</p>")
    for community in groups["communities"]:
        members = ", ".join(member["name"] for member in community["members"])
        themes = ", ".join(f"{theme['name']} ({theme['members']})" for theme in community["themes"]) or words["none"]
        colon = " :" if lang == "fr" else ":"
        plural = "s" if community["size"] > 1 else ""
        heading = words["community"].format(number=community["community"], size=community["size"], plural=plural)
        parts.append(
            f'<section class="community"><h3>{html.escape(heading)}</h3>'
            f"<p><strong>{html.escape(words['members'])}</strong>{colon} {html.escape(members)}<br>"
            f"<strong>{html.escape(words['themes'])}</strong>{colon} {html.escape(themes)}</p></section>"
        )

    parts.append(f"<h2>{html.escape(words['recommendations'])}</h2>")
    parts.append(f"<p>{html.escape(words['recommendations_intro'])}</p>")
    for row in central["rows"][:recommend_for]:
        parts.append(f"<h3>{html.escape(words['recommendations_for'].format(name=row['name']))}</h3>")
        found = data["recommendations"][row["id"]]
        if not found:
            parts.append(f"<p>{html.escape(words['none'])}</p>")
            continue
        items = []
        for item in found:
            reasons = "".join(f"<li>{html.escape(reason['text'])}</li>" for reason in item["reasons"])
            items.append(
                f"<tr><td>{item['rank']}</td><td>{html.escape(item['name'])}</td>"
                f'<td class="number">{html.escape(format_value(float(item["score"]), lang))}</td>'
                f'<td><ul class="reasons">{reasons}</ul></td></tr>'
            )
        parts.append(
            f"<table><thead><tr><th>#</th><th>{html.escape(words['actor'])}</th><th>{html.escape(words['score'])}</th><th>{html.escape(words['reasons'])}</th></tr></thead>"
            f"<tbody>{''.join(items)}</tbody></table>"
        )

    parts.append(f"<h2>{html.escape(words['gaps'])}</h2>")
    gap_tables = {
        "unlinked": (["theme_name", "territory_name", "actor_names"], ["theme", "territory", "actors"]),
        "uncovered": (["territory_name", "actors", "theme_names"], ["territory", "actors", "missing_themes"]),
    }
    for gap, (columns, headers) in gap_tables.items():
        parts.append(f"<h3>{html.escape(words['gaps_' + gap])}</h3>")
        if gaps[gap]:
            parts.append(html_table(gaps[gap], columns, [words[header] for header in headers], lang))
        else:
            parts.append(f"<p>{html.escape(words['none'])}</p>")

    if with_map:
        # the map shows what was analysed: no documents or people unless included
        left_out = set(data["scopes"][0]["left_out_kinds"])
        shown = G.subgraph([n for n, kind in G.nodes(data="kind") if kind not in left_out])
        parts.append(f"<h2>{html.escape(words['map'])}</h2>")
        parts.append(_map_section(shown, lang, words, title, seed))

    parts.append(f"<h2>{html.escape(words['method'])}</h2>")
    parts.append(f"<p>{html.escape(sampling_note(central, lang))}</p>")
    return html_document(title, "\n".join(parts), lang)
