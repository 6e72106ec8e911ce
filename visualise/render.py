"""Static images of a map, for reports and slides.

:func:`svg_document` draws the map as a real vector SVG in Python, from the
same colours, sizes and legend as the HTML page and a layout computed here
(circles and polygons, lines, escaped text): no browser is needed.
:func:`write_png` renders that SVG to PNG with a headless Chromium, which must be
installed (Debian's ``chromium``; ``MAILLAGE_CHROMIUM`` names another binary).
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import tempfile
from html import escape
from pathlib import Path
from typing import Any

import networkx as nx

from ..graph.errors import MaillageError
from .geo import geo_layout
from .layout import edge_index, fast_layout
from .map import atomic_write, map_data

__all__ = ["ChromiumNotFound", "RenderError", "find_chromium", "svg_document", "write_png", "write_svg"]

_LEGEND_WIDTH = 330
_LABELLED = 40  # on graphs larger than this, only this many of the biggest nodes are labelled


class ChromiumNotFound(MaillageError):
    """No headless Chromium to render a PNG with."""


class RenderError(MaillageError):
    """Chromium ran but produced no image."""


def find_chromium() -> str:
    """The Chromium binary to use: ``$MAILLAGE_CHROMIUM``, else the first on the PATH."""
    override = os.environ.get("MAILLAGE_CHROMIUM")
    if override:
        found = shutil.which(override)
        if not found:
            raise ChromiumNotFound(f"MAILLAGE_CHROMIUM names {override!r}, which is not an executable")
        return found
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    raise ChromiumNotFound(
        "a PNG needs a headless Chromium and none is installed (apt-get install chromium, "
        "or set MAILLAGE_CHROMIUM); --svg works without it"
    )


def _shape_points(shape: str, x: float, y: float, r: float) -> str | None:
    def polygon(count: int, start: float, radius: float = r) -> list[tuple[float, float]]:
        return [
            (
                x + radius * math.cos(start + 2 * math.pi * i / count),
                y + radius * math.sin(start + 2 * math.pi * i / count),
            )
            for i in range(count)
        ]

    if shape == "hexagon":
        points = polygon(6, 0)
    elif shape == "diamond":
        points = polygon(4, -math.pi / 2)
    elif shape == "square":
        points = polygon(4, -math.pi / 4, r * 1.2)
    elif shape == "triangle":
        points = polygon(3, -math.pi / 2, r * 1.15)
    elif shape == "triangleDown":
        points = polygon(3, math.pi / 2, r * 1.15)
    elif shape == "star":
        points = [
            (
                x + radius * math.cos(-math.pi / 2 + math.pi * i / 5),
                y + radius * math.sin(-math.pi / 2 + math.pi * i / 5),
            )
            for i, radius in zip(range(10), [r * 1.2, r * 0.5] * 5)
        ]
    else:
        return None
    return " ".join(f"{px:.1f},{py:.1f}" for px, py in points)


def _positions(G: nx.Graph, layout: str, seed: int) -> dict:
    if layout == "geo":
        return geo_layout(G)
    nodes = list(G.nodes)
    u, v = edge_index(nodes, G.edges())
    computed = fast_layout(len(nodes), u, v, seed=seed)
    return {node: (float(x), float(y)) for node, (x, y) in zip(nodes, computed)}


def svg_document(G: nx.Graph, *, width: int = 1600, height: int = 1100, **options: Any) -> str:
    """The map of ``G`` as an SVG document (options as for :func:`~maillage.visualise.map_html`).

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("a", kind="Association", name="A & <B>")
    >>> G.add_node("t", kind="Theme", name="Paix")
    >>> _ = G.add_edge("a", "t", type="WORKS_ON", role="")
    >>> svg = svg_document(G)
    >>> svg.startswith("<svg") and "A &amp; &lt;B&gt;" in svg and "<B>" not in svg
    True
    """
    layout = options.pop("layout", "force")
    seed = options.get("seed", 0)
    options.pop("physics_threshold", None)
    options.pop("focus", None)
    data = map_data(G, positions=_positions(G, layout, seed), layout=layout, **options)
    nodes, edges = data["nodes"], data["edges"]

    area_width, margin, top = width - _LEGEND_WIDTH, 40, 70
    xs = [node["x"] for node in nodes] or [0.0]
    ys = [node["y"] for node in nodes] or [0.0]
    span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
    scale = min((area_width - 2 * margin) / span_x, (height - top - margin) / span_y)
    if len(nodes) == 1:
        scale = 1.0

    def place(node: dict) -> tuple[float, float]:
        return (
            margin + (node["x"] - min(xs)) * scale + (area_width - 2 * margin - span_x * scale) / 2,
            top + (node["y"] - min(ys)) * scale + (height - top - margin - span_y * scale) / 2,
        )

    points = [place(node) for node in nodes]
    spacing = math.sqrt((area_width * height) / max(len(nodes), 1))
    radius_scale = max(0.12, min(1.0, spacing / 90))

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="DejaVu Sans, Verdana, sans-serif">',
        f"<title>{escape(str(data['title']))}</title>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        "<defs>",
    ]
    for index, type_ in enumerate(data["relationTypes"]):
        if type_["used"] and type_["arrow"]:
            out.append(
                f'<marker id="arrow{index}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="5" markerHeight="5" orient="auto-start-reverse">'
                f'<path d="M0,0 L10,5 L0,10 z" fill="{type_["color"]}"/></marker>'
            )
    out.append("</defs>")
    out.append(f'<text x="{margin}" y="40" font-size="24" font-weight="bold">{escape(str(data["title"]))}</text>')

    if data["backdrop"]:
        out.append('<g fill="#787878" fill-opacity="0.18">')
        for bx, by, _code in data["backdrop"]:
            out.append(
                f'<circle cx="{margin + (bx - min(xs)) * scale + (area_width - 2 * margin - span_x * scale) / 2:.1f}" '
                f'cy="{top + (by - min(ys)) * scale + (height - top - margin - span_y * scale) / 2:.1f}" r="{max(2.0, data["backdropRadius"] * scale):.1f}"/>'
            )
        out.append("</g>")

    opacity = 0.8 if len(edges) < 500 else 0.35
    out.append(f'<g stroke-width="{1.2 if len(edges) < 2000 else 0.5}" stroke-opacity="{opacity}" fill="none">')
    for source, target, type_index, _role, _attrs in edges:
        if source == target:
            continue
        type_ = data["relationTypes"][type_index]
        (x1, y1), (x2, y2) = points[source], points[target]
        if type_["arrow"]:
            # stop the line at the target's edge so the arrow head stays visible
            length = math.hypot(x2 - x1, y2 - y1) or 1.0
            back = (8 + 30 * nodes[target]["size"]) * radius_scale
            x2, y2 = x2 - (x2 - x1) / length * back, y2 - (y2 - y1) / length * back
        dash = ' stroke-dasharray="5 4"' if type_["dashes"] else ""
        marker = f' marker-end="url(#arrow{type_index})"' if type_["arrow"] and len(edges) < 3000 else ""
        out.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{type_["color"]}"{dash}{marker}/>'
        )
    out.append("</g>")

    out.append('<g stroke="#3a3a3a" stroke-width="0.8">')
    for node, (x, y) in zip(nodes, points):
        r = (8 + 30 * node["size"]) * radius_scale
        shape = _shape_points(data["kinds"][node["kind"]]["shape"], x, y, r)
        if shape is None:
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{node["color"]}"/>')
        else:
            out.append(f'<polygon points="{shape}" fill="{node["color"]}"/>')
    out.append("</g>")

    out.append(
        '<g font-size="12" text-anchor="middle" fill="#1a1a1a" stroke="#ffffff" stroke-width="3" paint-order="stroke">'
    )
    for _index, name, x, y, size in _labels(nodes, points, radius_scale):
        out.append(f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size:.1f}">{escape(name)}</text>')
    out.append("</g>")

    out.extend(_legend(data, width - _LEGEND_WIDTH + 20, 40))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _labels(nodes: list[dict], points: list[tuple[float, float]], radius_scale: float):
    """Labels to draw, most central nodes first, leaving out any that would overlap one
    already placed; at most :data:`_LABELLED` of them on large graphs."""
    order = sorted(range(len(nodes)), key=lambda i: (-nodes[i]["score"], nodes[i]["name"]))
    limit = len(nodes) if len(nodes) <= _LABELLED else _LABELLED
    placed: list[tuple[float, float, float, float]] = []
    for index in order[: max(limit * 5, limit)]:
        if len(placed) >= limit:
            break
        node, (x, y) = nodes[index], points[index]
        name = node["name"] if len(node["name"]) <= 32 else node["name"][:31] + "\u2026"
        size = 11 + 6 * node["size"]
        baseline = y + (8 + 30 * node["size"]) * radius_scale + size
        half = 0.3 * size * len(name)
        box = (x - half, baseline - size, x + half, baseline + 2)
        if len(nodes) > _LABELLED and any(
            box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed
        ):
            continue
        placed.append(box)
        yield index, name, x, baseline, size


def _legend(data: dict, x: int, y: int) -> list[str]:
    text = data["text"]
    out = [
        f'<g font-size="13" fill="#1a1a1a"><text x="{x}" y="{y}" font-size="15" font-weight="bold">{escape(text["legend"])}</text>'
    ]
    y += 26
    out.append(f'<text x="{x}" y="{y}" font-weight="bold">{escape(text["colourBy." + data["colorBy"]])}</text>')
    for entry in data["legend"]:
        y += 20
        label = entry["label"] + (f" ({entry['detail']})" if entry["detail"] else "")
        if len(label) > 34:
            label = label[:33] + "\u2026"
        out.append(
            f'<circle cx="{x + 7}" cy="{y - 4}" r="6" fill="{entry["color"]}" stroke="#3a3a3a" stroke-width="0.8"/>'
        )
        out.append(f'<text x="{x + 20}" y="{y}">{escape(label)} <tspan fill="#666666">{entry["count"]}</tspan></text>')
    y += 30
    out.append(f'<text x="{x}" y="{y}" font-weight="bold">{escape(text["sizeBy"] + data["sizeBy"]["label"])}</text>')
    y += 18
    out.append(
        f'<text x="{x}" y="{y}" fill="#666666">{data["sizeBy"]["min"]:g} \u2013 {data["sizeBy"]["max"]:g}</text>'
    )
    y += 30
    out.append(f'<text x="{x}" y="{y}" font-weight="bold">{escape(text["relations"])}</text>')
    for type_ in data["relationTypes"]:
        if not type_["used"]:
            continue
        y += 20
        dash = ' stroke-dasharray="5 4"' if type_["dashes"] else ""
        out.append(
            f'<line x1="{x}" y1="{y - 4}" x2="{x + 28}" y2="{y - 4}" stroke="{type_["color"]}" stroke-width="2.5"{dash}/>'
        )
        out.append(f'<text x="{x + 36}" y="{y}">{escape(type_["label"])}</text>')
    out.append("</g>")
    return out


def write_svg(G: nx.Graph, path: str | os.PathLike, **options: Any) -> Path:
    """Write :func:`svg_document` to ``path`` atomically; return the path."""
    path = Path(path)
    atomic_write(path, svg_document(G, **options))
    return path


def write_png(
    G: nx.Graph,
    path: str | os.PathLike,
    *,
    width: int = 1600,
    height: int = 1100,
    document: str | None = None,
    **options: Any,
) -> Path:
    """Render the map of ``G`` to a PNG with headless Chromium; return the path.

    ``document`` is the :func:`svg_document` to render when it was already drawn (same
    width and height). Raises :class:`ChromiumNotFound` (before doing any work) when
    there is no Chromium.
    """
    chromium = find_chromium()
    path = Path(path)
    svg = document if document is not None else svg_document(G, width=width, height=height, **options)
    page = (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        "<style>html,body{margin:0;background:#fff;overflow:hidden}</style></head><body>"
        f"{svg}</body></html>"
    )
    with tempfile.TemporaryDirectory(prefix="maillage-png-") as work:
        work_path = Path(work)
        source = work_path / "map.html"
        source.write_text(page, encoding="utf-8")
        shot = work_path / "map.png"
        command = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--hide-scrollbars",
            "--mute-audio",
            f"--user-data-dir={work_path / 'profile'}",
            f"--screenshot={shot}",
            f"--window-size={width},{height}",
            source.as_uri(),
        ]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=180, cwd=work)
        except subprocess.TimeoutExpired:
            raise RenderError(f"chromium did not finish rendering {path} within 180 s") from None
        if not shot.exists() or shot.stat().st_size == 0:
            detail = (result.stderr or "").strip().splitlines()[-1:] or [f"exit code {result.returncode}"]
            raise RenderError(f"chromium produced no image for {path}: {detail[0]}")
        atomic_write(path, shot.read_bytes())
    return path
