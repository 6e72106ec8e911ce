"""The map as a pyvis ``Network``, for notebooks: the only module that imports pyvis.

:func:`to_pyvis` gives the offline map's colours, shapes, sizes, positions and
legend to a :class:`pyvis.network.Network`, which a notebook shows, changes and
saves as pyvis users are used to.

Safety: pyvis's template writes its heading and select menu as raw HTML, and
switches node tooltips to ``innerHTML`` as soon as one title contains ``href``.
The network returned (:class:`SafeNetwork`) renders that template with Jinja's
autoescaping and never with that tooltip, so every string is text: titles are
plain strings, which vis-network shows with ``innerText``; labels are canvas
text; node ids are positions (numbers), the actors' ids are in their titles.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import networkx as nx
from pyvis.network import Network

from .map import map_data

__all__ = ["SafeNetwork", "to_pyvis"]

_LABEL_LENGTH = 32
_FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif"


class SafeNetwork(Network):
    """A :class:`pyvis.network.Network` whose page writes no string as markup.

    Examples
    --------
    >>> network = SafeNetwork(heading="<b>titre</b>", cdn_resources="in_line")
    >>> page = network.generate_html()
    >>> "&lt;b&gt;titre&lt;/b&gt;" in page, "<b>titre" in page
    (True, False)
    """

    def generate_html(self, name: str = "index.html", local: bool = True, notebook: bool = False) -> str:
        nodes, edges, heading, height, width, options = self.get_network_data()
        if isinstance(self.options, dict):
            physics = self.options.get("physics", {})
            physics_enabled = physics.get("enabled", True) if isinstance(physics, Mapping) else bool(physics)
        else:
            physics_enabled = self.options.physics.enabled
        template = self.templateEnv.overlay(autoescape=True).get_template(self.path)
        self.html = template.render(
            height=height,
            width=width,
            nodes=nodes,
            edges=edges,
            heading=heading,
            options=options,
            physics_enabled=physics_enabled,
            use_DOT=self.use_DOT,
            dot_lang=self.dot_lang,
            widget=self.widget,
            bgcolor=self.bgcolor,
            conf=self.conf,
            tooltip_link=False,
            neighborhood_highlight=self.neighborhood_highlight,
            select_menu=self.select_menu,
            filter_menu=self.filter_menu,
            notebook=notebook,
            cdn_resources=self.cdn_resources,
        )
        return self.html


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.3g}"


def _short(name: str) -> str:
    return name if len(name) <= _LABEL_LENGTH else name[: _LABEL_LENGTH - 1] + "\u2026"


def _node_title(node: dict, data: dict) -> str:
    lines = [node["name"], data["kinds"][node["kind"]]["label"]]
    if node["aliases"]:
        lines.append(" \u00b7 ".join(node["aliases"]))
    lines.append(f"{data['sizeBy']['label']} : {_number(node['score'])}")
    lines.append(f"{data['text']['id']} : {node['id']}")
    return "\n".join(lines)


def _edge_title(edge: list, data: dict) -> str:
    source, target, type_index, role, extra = edge
    relation = data["relationTypes"][type_index]["label"]
    if role:
        relation += f" ({data['roles'].get(role, role)})"
    lines = [data["nodes"][source]["name"], relation, data["nodes"][target]["name"]]
    for key, value in (extra or {}).items():
        lines.append(f"{data['attributeLabels'].get(key, key)} : {value}")
    return "\n".join(lines)


def _vis_options(data: dict) -> dict[str, Any]:
    """The options of the offline page's network (its ``map.js``), as pyvis takes them."""
    count = len(data["nodes"])
    large = not data["physics"]
    physics: dict[str, Any] = {"enabled": False}
    if data["physics"]:
        physics = {
            "enabled": True,
            "solver": "forceAtlas2Based",
            "forceAtlas2Based": {
                "gravitationalConstant": -120,
                "centralGravity": 0.012,
                "springLength": 140,
                "springConstant": 0.05,
                "avoidOverlap": 0.8,
            },
            "stabilization": {"enabled": True, "iterations": 250 if count > 600 else 600, "fit": True},
        }
    return {
        "autoResize": True,
        "nodes": {
            "borderWidth": 1,
            "borderWidthSelected": 3,
            "font": {"face": _FONT, "color": "#1a1a1a", "strokeWidth": 3, "strokeColor": "#ffffff"},
            "scaling": {"label": {"drawThreshold": 7, "maxVisible": 28}},
        },
        "edges": {
            "selectionWidth": 2,
            "hoverWidth": 0.5,
            "color": {"inherit": False, "highlight": "#000000", "hover": "#000000", "opacity": 0.5 if large else 0.85},
            "smooth": False if large else {"enabled": True, "type": "continuous", "roundness": 0.3},
        },
        "layout": {"improvedLayout": count <= 150, "randomSeed": 7},
        "interaction": {
            "hover": True,
            "tooltipDelay": 120,
            "hideEdgesOnDrag": count > 3000,
            "hideEdgesOnZoom": count > 3000,
            "navigationButtons": False,
            "keyboard": False,
        },
        "physics": physics,
    }


def _configure(target: Any, values: Mapping[str, Any]) -> None:
    """Set ``values`` on pyvis's options objects, so that its methods (``toggle_physics``,
    ``set_edge_smooth``, ...) still work on the network; what it has no object for is set as is."""
    for key, value in values.items():
        current = getattr(target, key, None)
        if isinstance(value, Mapping) and hasattr(current, "__dict__"):
            _configure(current, value)
        else:
            setattr(target, key, value)


def to_pyvis(
    G: nx.Graph, *, height: str = "750px", width: str = "100%", notebook: bool = False, **options: Any
) -> SafeNetwork:
    """The map of ``G`` as a configured pyvis network, for a notebook.

    Nodes have the offline map's colours, shapes, sizes and, on graphs drawn without
    physics, its positions; relations its colours, dashes and arrows; titles (the
    tooltips) say the same as its tooltips, as plain text. The network's ``legend``
    attribute holds the legend (``label``, ``detail``, ``color``, ``count`` of each
    entry) and its heading is the title. Graphs above ``max_nodes`` are grouped as
    the offline map groups them.

    Parameters
    ----------
    G : networkx graph
        As :meth:`GraphStore.to_networkx` returns it.
    height, width : str
        Size of the drawing, as pyvis takes them.
    notebook : bool
        Passed to :class:`pyvis.network.Network`.
    **options
        As for :func:`~maillage.visualise.map_html`: ``title``, ``lang``, ``color_by``,
        ``size_by``, ``layout``, ``focus``, ``personal``, ``seed``, ...

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("a", kind="Association", name="<b>Aitec</b>")
    >>> G.add_node("t", kind="Theme", name="Paix")
    >>> _ = G.add_edge("a", "t", type="WORKS_ON", role="")
    >>> network = to_pyvis(G, lang="en")
    >>> [node["label"] for node in network.nodes], network.nodes[0]["shape"], network.nodes[1]["shape"]
    (['<b>Aitec</b>', 'Paix'], 'dot', 'diamond')
    >>> [entry["label"] for entry in network.legend]
    ['Association', 'Theme']
    >>> "<b>Aitec" in network.generate_html()
    False
    """
    data = map_data(G, **options)
    network = SafeNetwork(
        height=height,
        width=width,
        directed=True,
        notebook=notebook,
        heading=str(data["title"]),
        cdn_resources="in_line",
    )
    large = not data["physics"]
    for index, node in enumerate(data["nodes"]):
        colour = node["color"]
        item = {
            "id": index,
            "label": _short(node["name"]),
            "shape": data["kinds"][node["kind"]]["shape"],
            "size": 8 + 30 * node["size"],
            "font": {"size": 12 + 12 * node["size"]},
            "color": {
                "background": colour,
                "border": "#3a3a3a",
                "highlight": {"background": colour, "border": "#000000"},
                "hover": {"background": colour, "border": "#000000"},
            },
            "title": _node_title(node, data),
        }
        if "x" in node:
            item["x"], item["y"] = node["x"], node["y"]
        if index == data["focus"]:
            item["borderWidth"] = 4
        # add_node looks every id up in a list: quadratic on large graphs
        network.nodes.append(item)
        network.node_ids.append(index)
        network.node_map[index] = item
    parallel: dict[tuple[int, int], int] = {}
    for edge in data["edges"]:
        source, target, type_index = edge[0], edge[1], edge[2]
        relation = data["relationTypes"][type_index]
        item = {
            "from": source,
            "to": target,
            "color": relation["color"],
            "width": 2 if relation["key"] == "PARTNERS_WITH" else 1,
            "title": _edge_title(edge, data),
        }
        if not large:
            item["color"] = {"color": relation["color"], "highlight": "#000000", "hover": "#000000", "opacity": 0.85}
            item["dashes"] = relation["dashes"]
            if relation["arrow"]:
                item["arrows"] = {"to": {"enabled": True, "scaleFactor": 0.5}}
            pair = (min(source, target), max(source, target))
            rank = parallel[pair] = parallel.get(pair, 0) + 1
            if rank > 1:
                item["smooth"] = {
                    "enabled": True,
                    "type": "curvedCW" if rank % 2 else "curvedCCW",
                    "roundness": 0.15 * ((rank + 1) // 2),
                }
        network.edges.append(item)
    _configure(network.options, _vis_options(data))
    network.legend = data["legend"]
    return network
