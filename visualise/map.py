"""Interactive HTML network maps: one self-contained file that opens offline.

The page is built here, not from pyvis's template (which loads Bootstrap from a
CDN and writes its heading and select menu as raw HTML): from pyvis it only takes
the vis-network library it ships (:mod:`.vislib`), inlined. Notebook users who
want a pyvis ``Network`` have :func:`~maillage.visualise.notebook.to_pyvis`.

Safety: contributed data reaches the page once, as JSON inside a
``<script type="application/json">`` block where ``<``, ``>``, ``&``, ``/`` and the
line separators U+2028/U+2029 are escaped, so no string can close the block. The
page's script reads it with ``JSON.parse`` and puts every string into the page
with ``textContent`` or as canvas text, never as markup; tooltips are DOM
elements. A Content-Security-Policy allows only the page's own two scripts (by
hash) and no remote load of any kind.

Large graphs: node and edge lists are built directly (pyvis's ``add_node`` is
quadratic); above ``physics_threshold`` nodes the layout is computed in Python
(:func:`~maillage.visualise.layout.fast_layout`) and the browser's physics is
off, so the page is usable as soon as it is drawn. Above ``max_nodes`` nodes the
map shows one point per community or territory
(:func:`~maillage.visualise.aggregate.aggregate`) and the page says so.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import os
import tempfile
from collections.abc import Hashable, Mapping, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from ..graph.analysis import METRICS, simple_graph
from ..graph.analysis.communities import detect
from ..graph.errors import UsageError
from ..graph.model import ATTRIBUTES, KINDS, RELATION_TYPES
from .aggregate import GROUP_BY, MAX_NODES, aggregate
from .geo import GeoFrame, geo_frame, geo_layout, reference_points
from .layout import fast_layout
from .selection import theme_members
from .styles import (
    ATTRIBUTE_LABELS,
    KIND_LABELS,
    KIND_STYLES,
    LANGS,
    METRIC_LABELS,
    NO_GROUP_COLOUR,
    RELATION_LABELS,
    RELATION_STYLES,
    ROLE_LABELS,
    UI_TEXT,
    palette_colour,
    text,
)
from .vislib import vis_network_assets

__all__ = [
    "COLOUR_BY",
    "GROUP_BY",
    "LAYOUTS",
    "MAX_NODES",
    "PHYSICS_THRESHOLD",
    "SIZE_BY",
    "atomic_write",
    "escape_json",
    "map_data",
    "map_html",
    "script_hashes",
    "style_hashes",
    "write_map",
]

COLOUR_BY: tuple[str, ...] = ("kind", "community", "theme")
SIZE_BY: tuple[str, ...] = ("degree", "betweenness", "pagerank", "closeness", "eigenvector")
LAYOUTS: tuple[str, ...] = ("force", "geo")
#: above this many nodes the layout is computed in Python and physics is off
PHYSICS_THRESHOLD = 1500
#: on graphs larger than this, betweenness is estimated from a seeded sample of sources
BETWEENNESS_SAMPLE_ABOVE = 2000
_MAX_GROUPS = 15
_LABEL_LENGTH = 32
_UNIT = 150.0  # canvas units per unit of the Python layout (about the spacing of neighbours)

_RESERVED = {"kind", "name", "aliases", "sources"}
#: contact details the model marks personal: left out of maps unless asked for
PERSONAL = frozenset(key for key, attribute in ATTRIBUTES.items() if attribute.personal)
_EMPTY = (None, "", [])
_UNKNOWN_KIND = ("#777777", "dot")
_UNKNOWN_TYPE = ("#999999", False, False)
_OTHER_THEMES = "#8C8C8C"


# --------------------------------------------------------------------------- assets


@lru_cache(maxsize=1)
def _page_assets() -> tuple[str, str]:
    folder = resources.files(__package__) / "assets"
    return (folder / "map.js").read_text(encoding="utf-8"), (folder / "map.css").read_text(encoding="utf-8")


def _csp_hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii") + "'"


@lru_cache(maxsize=1)
def style_hashes() -> str:
    """The CSP sources of the map page's two stylesheets: no other style element or
    attribute may apply (styles set from the page's script are not affected)."""
    return " ".join(_csp_hash(style) for style in (vis_network_assets()[1], _page_assets()[1]))


@lru_cache(maxsize=1)
def script_hashes() -> str:
    """The CSP sources (``'sha256-...'``) of the map page's two scripts, for a page that embeds
    the map in an ``iframe srcdoc`` (which inherits the embedding page's policy)."""
    return " ".join(_csp_hash(script) for script in (vis_network_assets()[0], _page_assets()[0]))


# --------------------------------------------------------------------------- escaping

_JSON_ESCAPES = (
    ("&", "\\u0026"),
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("/", "\\/"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def escape_json(value: Any) -> str:
    """JSON text safe to place inside a ``<script type="application/json">`` element.

    >>> escape_json({"name": "</script><b>&"})
    '{"name":"\\\\u003c\\\\/script\\\\u003e\\\\u003cb\\\\u003e\\\\u0026"}'
    >>> json.loads(escape_json(["a/b\\u2028"])) == ["a/b\\u2028"]
    True
    """
    encoded = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for raw, escaped in _JSON_ESCAPES:
        encoded = encoded.replace(raw, escaped)
    return encoded


# --------------------------------------------------------------------------- data


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    return str(value)


def _source_text(entry: Any) -> str:
    if isinstance(entry, Mapping):
        place = entry.get("place") or entry.get("source") or ""
        details = [
            str(entry[key]) for key in ("source", "contributor", "at") if entry.get(key) and entry.get(key) != place
        ]
        return f"{place} ({', '.join(details)})" if details else str(place)
    return str(entry)


def _degrees(n: int, ends: np.ndarray) -> np.ndarray:
    """Distinct neighbours of each node, as :func:`maillage.graph.analysis.degree` counts them
    (relations undirected, parallel ones once, loops left out), from the edge ends directly."""
    if not len(ends):
        return np.zeros(n, dtype=np.int64)
    low, high = np.minimum(ends[:, 0], ends[:, 1]), np.maximum(ends[:, 0], ends[:, 1])
    pairs = np.unique(low * n + high)
    return np.bincount(np.concatenate([pairs // n, pairs % n]), minlength=n)


def _scores(G: nx.Graph, metric: str, seed: int) -> dict:
    if metric == "betweenness" and G.number_of_nodes() > BETWEENNESS_SAMPLE_ABOVE:
        return METRICS[metric](G, k=min(500, G.number_of_nodes()), seed=seed)
    return METRICS[metric](G)


def _colours_by_kind(kinds: list[str], node_kinds: list[int], lang: str) -> tuple[list[str], list[dict]]:
    colours = [KIND_STYLES.get(kind, _UNKNOWN_KIND)[0] for kind in kinds]
    counts = [0] * len(kinds)
    for index in node_kinds:
        counts[index] += 1
    legend = [
        {"label": _kind_label(kind, lang), "detail": "", "color": colours[index], "count": counts[index]}
        for index, kind in enumerate(kinds)
        if counts[index]
    ]
    return [colours[index] for index in node_kinds], legend


def _colours_by_community(
    G: nx.Graph, nodes: list, names: list[str], seed: int, lang: str
) -> tuple[list[str], list[dict]]:
    """Louvain communities, as the communities report finds them: largest first, the 15
    largest coloured and named after their best-connected member, the rest grey."""
    communities = detect(G, seed=seed)
    position = {node: i for i, node in enumerate(nodes)}
    degrees = dict(simple_graph(G).degree())
    colours = [NO_GROUP_COLOUR] * len(nodes)
    legend = []
    for rank, members in enumerate(communities[:_MAX_GROUPS]):
        hub = max(members, key=lambda node: (degrees.get(node, 0), str(node)))
        colour = palette_colour(rank)
        legend.append(
            {
                "label": f"{text(UI_TEXT, lang, 'community')} {rank + 1}",
                "detail": names[position[hub]],
                "color": colour,
                "count": len(members),
            }
        )
        for node in members:
            colours[position[node]] = colour
    rest = sum(len(members) for members in communities[_MAX_GROUPS:])
    if rest:
        legend.append({"label": text(UI_TEXT, lang, "others"), "detail": "", "color": NO_GROUP_COLOUR, "count": rest})
    return colours, legend


def _colours_by_theme(names: list[str], node_themes: list[list[int]], lang: str) -> tuple[list[str], list[dict]]:
    """Each node takes the colour of its largest theme; the largest themes get a colour each."""
    sizes: dict[int, int] = {}
    for themes in node_themes:
        for theme in themes:
            sizes[theme] = sizes.get(theme, 0) + 1
    ranked = sorted(sizes, key=lambda theme: (-sizes[theme], names[theme]))
    rank_of = {theme: rank for rank, theme in enumerate(ranked[:_MAX_GROUPS])}
    legend = [
        {"label": names[theme], "detail": "", "color": palette_colour(rank), "count": 0}
        for theme, rank in rank_of.items()
    ]
    others = {"label": text(UI_TEXT, lang, "others"), "detail": "", "color": _OTHER_THEMES, "count": 0}
    nothing = {"label": text(UI_TEXT, lang, "noTheme"), "detail": "", "color": NO_GROUP_COLOUR, "count": 0}
    colours = []
    for themes in node_themes:
        if not themes:
            entry = nothing
        else:
            best = min(themes, key=lambda theme: (-sizes[theme], names[theme]))
            entry = legend[rank_of[best]] if best in rank_of else others
        entry["count"] += 1
        colours.append(entry["color"])
    return colours, [entry for entry in [*legend, others, nothing] if entry["count"]]


def _kind_label(kind: str, lang: str) -> str:
    return text(KIND_LABELS, lang, kind) if kind else "?"


def map_data(
    G: nx.Graph,
    *,
    title: str = "maillage",
    lang: str = "fr",
    color_by: str = "kind",
    size_by: str = "degree",
    layout: str = "force",
    provenance: Mapping[Hashable, Sequence[Any]] | None = None,
    focus: Hashable | None = None,
    physics_threshold: int = PHYSICS_THRESHOLD,
    positions: Mapping[Hashable, tuple[float, float]] | None = None,
    personal: bool = False,
    seed: int = 0,
    max_nodes: int = MAX_NODES,
    group_by: str = "community",
) -> dict[str, Any]:
    """Everything the page shows, as plain JSON-ready data (see :func:`map_html` for the options).

    ``positions`` forces node positions (canvas units) and switches physics off.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("a", kind="Association", name="Aitec")
    >>> G.add_node("p", kind="Project", name="Programme")
    >>> _ = G.add_edge("a", "p", key="TAKES_PART_IN:lead", type="TAKES_PART_IN", role="lead")
    >>> data = map_data(G, lang="en")
    >>> [node["name"] for node in data["nodes"]], data["edges"][0][:2], data["kinds"][1]["label"]
    (['Aitec', 'Programme'], [0, 1], 'Association')
    """
    if lang not in LANGS:
        raise UsageError(f"unknown language {lang!r}; choose one of {', '.join(LANGS)}")
    if color_by not in COLOUR_BY:
        raise UsageError(f"cannot colour by {color_by!r}; choose one of {', '.join(COLOUR_BY)}")
    if size_by not in SIZE_BY:
        raise UsageError(f"cannot size nodes by {size_by!r}; choose one of {', '.join(SIZE_BY)}")
    if layout not in LAYOUTS:
        raise UsageError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    if group_by not in GROUP_BY:
        raise UsageError(f"cannot group by {group_by!r}; choose one of {', '.join(GROUP_BY)}")
    grouped = None
    if G.number_of_nodes() > max_nodes:
        G = aggregate(G, group_by, seed=seed, lang=lang)
        grouped = G.graph["aggregate"]
        # positions computed here: the groups are few, but the ties between them many
        provenance, focus, positions, layout, physics_threshold = None, None, None, "force", 0
        if color_by == "theme":
            color_by = "community"
    provenance = provenance or {}
    hidden = _RESERVED if personal else _RESERVED | PERSONAL

    nodes = list(G.nodes)
    position = {node: i for i, node in enumerate(nodes)}
    kinds = list(KINDS)
    types = list(RELATION_TYPES)

    kind_index = {kind: index for index, kind in enumerate(kinds)}
    node_rows = []
    names = []
    for node, attributes in G.nodes(data=True):
        kind = str(attributes.get("kind") or "")
        if kind not in kind_index:
            kind_index[kind] = len(kinds)
            kinds.append(kind)
        name = str(attributes.get("name") or node)
        names.append(name)
        sources = provenance.get(node, attributes.get("sources") or ())
        row = {
            "id": str(node),
            "name": name,
            "kind": kind_index[kind],
            "aliases": [str(alias) for alias in attributes.get("aliases") or ()],
            "attrs": {
                str(key): _plain(value)
                for key, value in attributes.items()
                if key not in hidden and value not in _EMPTY
            },
            "sources": [_source_text(entry) for entry in sources],
        }
        node_rows.append(row)

    type_index = {type_: index for index, type_ in enumerate(types)}
    edges = []
    edge_ends: list[int] = []
    for source, target, attributes in G.edges(data=True):
        type_ = str(attributes.get("type") or "")
        if type_ not in type_index:
            type_index[type_] = len(types)
            types.append(type_)
        extra = 0
        if len(attributes) > 2:
            extra = {
                str(key): _plain(value)
                for key, value in attributes.items()
                if key not in ("type", "role") and value not in _EMPTY
            } or 0
        start, end = position[source], position[target]
        edges.append([start, end, type_index[type_], str(attributes.get("role") or ""), extra])
        edge_ends += (start, end)
    ends = np.array(edge_ends, dtype=np.int64).reshape(-1, 2)
    ends = ends[ends[:, 0] != ends[:, 1]]

    if grouped:
        values = [float(members) for _, members in G.nodes(data="members")]
    else:
        scores = _degrees(len(nodes), ends) if size_by == "degree" else _scores(G, size_by, seed)
        values = (
            [float(scores[i]) for i in range(len(nodes))]
            if size_by == "degree"
            else [float(scores.get(node, 0.0)) for node in nodes]
        )
    values = [value if math.isfinite(value) else 0.0 for value in values]
    low, high = (min(values), max(values)) if values else (0.0, 0.0)
    for row, value in zip(node_rows, values):
        row["score"] = round(value, 6)
        row["size"] = round(math.sqrt((value - low) / (high - low)), 4) if high > low else 0.3

    # a group is no theme, even when most of its members are themes
    members = {} if grouped else theme_members(G)
    node_themes: list[list[int]] = [[] for _ in nodes]
    theme_list = sorted(members, key=lambda theme: (names[position[theme]].casefold(), str(theme)))
    for theme in theme_list:
        for member in members[theme]:
            node_themes[position[member]].append(position[theme])
    for row, themes in zip(node_rows, node_themes):
        row["themes"] = sorted(themes)

    if color_by == "kind":
        colours, legend = _colours_by_kind(kinds, [row["kind"] for row in node_rows], lang)
    elif color_by == "community":
        colours, legend = _colours_by_community(G, nodes, names, seed, lang)
    else:
        colours, legend = _colours_by_theme(names, node_themes, lang)
    for row, colour in zip(node_rows, colours):
        row["color"] = colour

    frame = geo_frame(G) if layout == "geo" else GeoFrame()
    physics = positions is None
    if positions is None:
        if layout == "geo":
            positions = geo_layout(G, frame)
        elif len(nodes) > physics_threshold:
            # groups are drawn large: spread them further apart than single nodes
            computed = fast_layout(len(nodes), ends[:, 0], ends[:, 1], seed=seed) * (_UNIT * 3 if grouped else _UNIT)
            for row, (x, y) in zip(node_rows, np.round(computed, 1).tolist()):
                row["x"], row["y"] = x, y
            physics = False
    if positions is not None:
        for row, node in zip(node_rows, nodes):
            x, y = positions.get(node, (0.0, 0.0))
            row["x"], row["y"] = round(float(x), 1), round(float(y), 1)

    used_kinds = {row["kind"] for row in node_rows}
    used_types = {edge[2] for edge in edges}
    return {
        "version": 1,
        "lang": lang,
        "title": title,
        "text": UI_TEXT[lang],
        "kinds": [
            {
                "key": kind,
                "label": _kind_label(kind, lang),
                "color": KIND_STYLES.get(kind, _UNKNOWN_KIND)[0],
                "shape": KIND_STYLES.get(kind, _UNKNOWN_KIND)[1],
                "used": index in used_kinds,
            }
            for index, kind in enumerate(kinds)
        ],
        "relationTypes": [
            {
                "key": type_,
                "label": text(RELATION_LABELS, lang, type_) if type_ else "?",
                "color": RELATION_STYLES.get(type_, _UNKNOWN_TYPE)[0],
                "dashes": RELATION_STYLES.get(type_, _UNKNOWN_TYPE)[1],
                "arrow": RELATION_STYLES.get(type_, _UNKNOWN_TYPE)[2],
                "used": index in used_types,
            }
            for index, type_ in enumerate(types)
        ],
        "roles": ROLE_LABELS[lang],
        "attributeLabels": ATTRIBUTE_LABELS[lang],
        "colorBy": color_by,
        "legend": legend,
        "sizeBy": {
            "metric": "members" if grouped else size_by,
            "label": text(UI_TEXT, lang, "members") if grouped else METRIC_LABELS[lang][size_by],
            "min": round(low, 6),
            "max": round(high, 6),
        },
        "aggregate": {**grouped, "label": text(UI_TEXT, lang, f"groupedBy.{grouped['by']}")} if grouped else None,
        "themes": [position[theme] for theme in theme_list],
        "physics": physics and positions is None,
        "backdrop": reference_points(frame) if layout == "geo" else [],
        "backdropRadius": round(min(0.2 * frame.scale, 0.1 * frame.radius), 1),
        "focus": position.get(focus) if focus is not None else None,
        "nodes": node_rows,
        "edges": edges,
    }


# --------------------------------------------------------------------------- page

_PAGE = """<!DOCTYPE html>
<html lang="@LANG@">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="@CSP@">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="maillage">
<title>@TITLE@</title>
<style>@VIS_CSS@</style>
<style>@PAGE_CSS@</style>
</head>
<body>
<header id="top">
<h1 id="title">@TITLE@</h1>
<div id="search-box">
<label for="search" id="search-label"></label>
<input id="search" type="search" autocomplete="off" spellcheck="false">
<ul id="search-results"></ul>
</div>
<p id="status" role="status"></p>
<p id="notice" role="note" hidden></p>
</header>
<main>
<aside id="controls">
<section id="legend"></section>
<section id="filters"></section>
</aside>
<div id="network"></div>
<p id="loading"></p>
<aside id="panel" hidden></aside>
</main>
<script type="application/json" id="map-data">@DATA@</script>
<script>@VIS_JS@</script>
<script>@PAGE_JS@</script>
</body>
</html>
"""

_CSP = (
    "default-src 'none'; script-src @HASHES@; style-src @STYLE_HASHES@; img-src data:; "
    "font-src 'none'; connect-src 'none'; media-src 'none'; object-src 'none'; frame-src 'none'; "
    "worker-src 'none'; base-uri 'none'; form-action 'none'"
)


def map_html(G: nx.Graph, **options: Any) -> str:
    """A complete, self-contained HTML document showing ``G`` as an interactive map.

    Parameters
    ----------
    G : networkx graph
        As :meth:`GraphStore.to_networkx` returns it: nodes with ``kind``, ``name``,
        ``aliases`` and attributes; edges with ``type``, ``role`` and attributes.
    title : str
        Shown as the page's title and heading (escaped).
    lang : {"fr", "en"}
        Language of every label of the page.
    color_by : {"kind", "community", "theme"}
    size_by : {"degree", "betweenness", "pagerank", "closeness", "eigenvector"}
    layout : {"force", "geo"}
    provenance : mapping, optional
        ``{node: [place, ...]}`` shown as the node's sources in the side panel; a place
        is a string or a mapping with ``place``, ``source``, ``contributor``, ``at``.
        Without it, a node attribute ``sources`` is used when present.
    focus : node, optional
        Node to select and zoom on when the page opens.
    physics_threshold : int
        Above this many nodes, the layout is computed in Python and physics is off.
    personal : bool
        Show contact details the model marks personal (e-mail, phone); left out by default.
    seed : int
        Seed of the layout and of community detection.
    max_nodes : int
        Above this many nodes, draw one point per group of actors instead (see
        :func:`~maillage.visualise.aggregate.aggregate`), with a notice in the page.
    group_by : {"community", "territory"}
        How such a map groups actors: Louvain communities, or départements.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("a", kind="Association", name="<img src=x onerror=alert(1)>")
    >>> page = map_html(G, title="Démo")
    >>> page.startswith("<!DOCTYPE html>"), "<img" in page, "http://" in page or "https://" in page
    (True, False, False)
    """
    data = map_data(G, **options)
    vis_script, vis_style = vis_network_assets()
    page_script, page_style = _page_assets()
    title = html.escape(str(data["title"]), quote=True)
    replacements = {
        "@LANG@": data["lang"],
        "@CSP@": _CSP.replace("@HASHES@", script_hashes()).replace("@STYLE_HASHES@", style_hashes()),
        "@TITLE@": title,
        "@VIS_CSS@": vis_style,
        "@PAGE_CSS@": page_style,
        "@DATA@": escape_json(data),
        "@VIS_JS@": vis_script,
        "@PAGE_JS@": page_script,
    }
    # one pass, so nothing inserted is ever searched for placeholders again
    parts = _PAGE.split("@")
    out = [parts[0]]
    for index in range(1, len(parts), 2):
        out.append(replacements["@" + parts[index] + "@"])
        out.append(parts[index + 1])
    return "".join(out)


def write_map(G: nx.Graph, path: str | os.PathLike, **options: Any) -> Path:
    """Write :func:`map_html` to ``path`` atomically (UTF-8); return the path.

    Readers see the old file or the new one, never half of one; nothing else is
    written anywhere (no ``lib/`` folder).
    """
    path = Path(path)
    document = map_html(G, **options)
    atomic_write(path, document)
    return path


def atomic_write(path: Path, content: str | bytes) -> None:
    """Write ``content`` to a temporary file beside ``path``, then rename it over ``path``."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or Path("."))
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content.encode("utf-8") if isinstance(content, str) else content)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
