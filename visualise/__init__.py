"""Maps of the graph: interactive HTML (vis-network, inlined), SVG and PNG, and
pyvis networks for notebooks.

This is the only package that imports pyvis (:mod:`.notebook`, loaded on the first
use of :func:`to_pyvis`: pyvis imports IPython); the offline page only reads the
vis-network files pyvis ships (:mod:`.vislib`).
"""

from .map import COLOUR_BY, LAYOUTS, PHYSICS_THRESHOLD, SIZE_BY, map_data, map_html, write_map
from .render import ChromiumNotFound, RenderError, find_chromium, svg_document, write_png, write_svg
from .selection import select, theme_members

__all__ = [
    "COLOUR_BY",
    "LAYOUTS",
    "PHYSICS_THRESHOLD",
    "SIZE_BY",
    "ChromiumNotFound",
    "RenderError",
    "find_chromium",
    "map_data",
    "map_html",
    "select",
    "svg_document",
    "theme_members",
    "to_pyvis",
    "write_map",
    "write_png",
    "write_svg",
]


def __getattr__(name: str):
    if name == "to_pyvis":
        from .notebook import to_pyvis

        return to_pyvis
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
