"""Drawing the graph: an interactive HTML map, and still SVG and PNG images of it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..graph.errors import UsageError
from ..graph.store import GraphStore
from .actors import kind_names, resolve
from .progress import Progress
from .reports import read_graph

__all__ = ["MapDrawn", "draw_map"]


@dataclass
class MapDrawn:
    """What :func:`draw_map` wrote: the page, its node and relation counts, how a large graph
    was grouped (None: drawn node by node), and the images."""

    output: Path
    nodes: int
    relations: int
    grouped_by: str | None = None
    images: list[Path] = field(default_factory=list)


def draw_map(
    store: GraphStore,
    output: Path,
    title: str = "maillage",
    lang: str = "fr",
    color_by: str = "kind",
    size_by: str = "degree",
    focus: str | None = None,
    depth: int = 1,
    kinds: Sequence[str] = (),
    themes: Sequence[str] = (),
    layout: str = "force",
    png: Path | None = None,
    svg: Path | None = None,
    include_personal: bool = False,
    max_nodes: int = 30_000,
    group_by: str = "community",
    progress: Progress | None = None,
    notice: Callable[[str], None] | None = None,
    freeze: bool = False,
) -> MapDrawn:
    """Draw an interactive HTML map of the graph to ``output``: one file that opens offline.

    Parameters
    ----------
    focus, depth
        Draw only this actor (id, name or alias) and what lies within ``depth`` steps.
    kinds, themes
        Only nodes of these kinds; only the actors and projects tied to these themes.
    color_by, size_by, layout
        ``kind``, ``community`` or ``theme``; a centrality; ``force`` or ``geo``.
    png, svg
        Also write still images (PNG needs chromium, looked for first).
    include_personal : bool
        Show e-mail and phone in the side panel.
    max_nodes, group_by
        Above ``max_nodes`` nodes, one point per ``community`` or ``territory`` instead.
    """
    from ..visualise import find_chromium, select, svg_document, write_map, write_png
    from ..visualise.map import atomic_write

    if png is not None:
        find_chromium()
    keep = []
    if focus is not None:
        centre = resolve(store, focus, notice=notice)
        keep.append(centre.id)
        graph = read_graph(store, progress, freeze, node_ids=store.neighbourhood([centre.id], depth))
    else:
        if depth != 1:
            raise UsageError("--depth only applies with --focus")
        graph = read_graph(store, progress, freeze)
    theme_ids = []
    for reference in themes:
        theme = resolve(store, reference, notice=notice)
        if theme.kind != "Theme":
            raise UsageError(f"--theme {reference!r} names {theme.id} (kind {theme.kind}), not a theme")
        theme_ids.append(theme.id)
    graph = select(graph, kinds=kind_names(kinds), themes=theme_ids, keep=keep)
    grouped = graph.number_of_nodes() > max_nodes
    # a map of groups names no single node's sources: do not read them
    provenance = (
        {}
        if grouped
        else {
            node: [
                {"place": c.place, "source": c.source, "contributor": c.contributor, "at": c.at}
                for c in store.node_claims(node)
            ]
            for node in graph.nodes
        }
    )
    options = dict(title=title, lang=lang, color_by=color_by, size_by=size_by, layout=layout)
    with (progress or Progress()).step(f"drawing {graph.number_of_nodes():,} nodes"):
        write_map(
            graph,
            output,
            provenance=provenance,
            focus=keep[0] if keep else None,
            personal=include_personal,
            max_nodes=max_nodes,
            group_by=group_by,
            **options,
        )
    drawn = MapDrawn(Path(output), graph.number_of_nodes(), graph.number_of_edges(), group_by if grouped else None)
    drawing = svg_document(graph, **options) if svg is not None or png is not None else None
    if svg is not None:
        atomic_write(svg, drawing)
        drawn.images.append(Path(svg))
    if png is not None:
        write_png(graph, png, document=drawing)
        drawn.images.append(Path(png))
    return drawn
