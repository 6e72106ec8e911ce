"""Maps of the graph: interactive HTML (vis-network, inlined), SVG and PNG.

This is the only package that imports pyvis, and only for the vis-network
library it ships.
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
    "write_map",
    "write_png",
    "write_svg",
]
