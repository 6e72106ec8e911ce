"""A geographic layout: actors placed on a map-like canvas of France.

Where a node is, in order of preference: its own ``latitude``/``longitude``;
for a collectivité, the centroid of its région or département (a commune takes
its département's, read from its INSEE code) from a small built-in table; the
place of what it is ``LOCATED_IN`` (following the chain commune → département →
région); the middle of its located neighbours. Anything else goes on a ring
around the map. Points outside metropolitan France (overseas départements,
foreign partners) are drawn on an inner ring in the direction where they lie,
so the map keeps the scale of the metropole. When every placed actor lies in a
small part of France (the communes of one département, Île-de-France), the
canvas zooms onto that part, so that Paris, Nanterre and Rosny-sous-Bois are
not drawn on top of each other. Nodes sharing a place are spread on a small
spiral around it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import networkx as nx
import numpy as np
from scipy.spatial import cKDTree

__all__ = [
    "GeoFrame",
    "centroids",
    "geo_frame",
    "geo_layout",
    "geo_scale",
    "insee_location",
    "node_location",
    "project",
    "reference_points",
]

_CENTRE = (46.6, 2.45)
_METROPOLE = ((41.2, 51.2), (-5.3, 9.7))
_SCALE = 110.0  # canvas units per degree of latitude, for small graphs
_SPACING = 40.0  # canvas units kept between nodes
_AROUND = ("Theme", "Document", "Country")
_MAX_ZOOM = 40.0


@lru_cache(maxsize=1)
def centroids() -> dict[str, dict[str, tuple[float, float, str]]]:
    """The built-in table: ``{"departement": {code: (lat, lon, name)}, "region": {...}}``.

    >>> centroids()["departement"]["93"][2]
    'Seine-Saint-Denis'
    >>> len(centroids()["departement"]), len(centroids()["region"])
    (101, 18)
    """
    raw = json.loads((resources.files(__package__) / "assets" / "centroids.json").read_text(encoding="utf-8"))
    return {level: {code: tuple(entry) for code, entry in raw[level].items()} for level in ("departement", "region")}


def insee_location(level: str, code: str) -> tuple[float, float] | None:
    """Approximate (lat, lon) of a région, département or commune from its INSEE code.

    A commune is placed at its département's centroid.

    >>> insee_location("commune", "93064")
    (48.91, 2.48)
    >>> insee_location("commune", "97101")
    (16.2, -61.55)
    >>> insee_location("region", "99") is None
    True
    """
    table = centroids()
    code = (code or "").strip()
    if level == "commune" and len(code) == 5:
        level, code = "departement", code[:3] if code.startswith("97") else code[:2]
    if level in table and code in table[level]:
        lat, lon, _name = table[level][code]
        return lat, lon
    return None


def _float(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def node_location(data: Mapping) -> tuple[float, float] | None:
    """(lat, lon) a node's own attributes give: coordinates, else its INSEE code.

    >>> node_location({"latitude": "48.89", "longitude": "2.21"})
    (48.89, 2.21)
    >>> node_location({"kind": "Collectivite", "level": "departement", "insee_code": "2A"})
    (41.86, 8.98)
    """
    lat, lon = _float(data.get("latitude")), _float(data.get("longitude"))
    if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180:
        return lat, lon
    if data.get("kind", "Collectivite") == "Collectivite" and data.get("insee_code"):
        return insee_location(str(data.get("level", "")), str(data["insee_code"]))
    return None


def geo_scale(nodes: int) -> float:
    """Canvas units per degree for a map of ``nodes`` nodes: France grows with the graph so
    that nodes kept apart by the spacing still sit near their place.

    >>> geo_scale(60), round(geo_scale(20000))
    (110.0, 2000)
    """
    return max(_SCALE, _SPACING * math.sqrt(nodes / 8))


@dataclass(frozen=True)
class GeoFrame:
    """What the canvas shows: the (lat, lon) at its centre, canvas units per degree of
    latitude, and the box ``((lat_min, lat_max), (lon_min, lon_max))`` drawn to scale;
    points outside the box go on a ring just outside it, in their direction."""

    centre: tuple[float, float] = _CENTRE
    scale: float = _SCALE
    box: tuple[tuple[float, float], tuple[float, float]] = _METROPOLE

    @property
    def radius(self) -> float:
        """Half the larger side of the box, in canvas units."""
        (lat_min, lat_max), (lon_min, lon_max) = self.box
        cos = math.cos(math.radians(self.centre[0]))
        return max(lat_max - lat_min, (lon_max - lon_min) * cos) / 2 * self.scale

    def project(self, lat: float, lon: float) -> tuple[float, float]:
        """Canvas (x, y) of a point: equirectangular around the centre, y downwards."""
        cos = math.cos(math.radians(self.centre[0]))
        x = (lon - self.centre[1]) * cos * self.scale
        y = -(lat - self.centre[0]) * self.scale
        (lat_min, lat_max), (lon_min, lon_max) = self.box
        if lat_min <= lat <= lat_max and lon_min <= lon <= lon_max:
            return x, y
        angle = math.atan2(y, x)
        radius = 1.4 * self.radius
        return radius * math.cos(angle), radius * math.sin(angle)


def project(lat: float, lon: float, scale: float = _SCALE) -> tuple[float, float]:
    """Canvas (x, y) of a point on the whole of France: see :class:`GeoFrame`.

    >>> x, y = project(48.86, 2.35)  # Paris: north of the centre, so above it
    >>> y < 0
    True
    >>> x, y = project(14.6, -61.0)  # Martinique: on the ring, to the south-west
    >>> x < 0 and y > 0
    True
    """
    return GeoFrame(scale=scale).project(lat, lon)


def geo_frame(G: nx.Graph) -> GeoFrame:
    """The frame for a map of ``G``: the whole of France, or the part where all its placed actors lie.

    The scale grows with the graph (:func:`geo_scale`), and with the zoom (at most 40×)
    when the actors placed in metropolitan France all lie in a small part of it.

    >>> G = nx.Graph()
    >>> G.add_node("dep-92", kind="Collectivite", level="departement", insee_code="92")
    >>> G.add_node("dep-93", kind="Collectivite", level="departement", insee_code="93")
    >>> geo_frame(G).scale > 5 * geo_frame(nx.Graph()).scale
    True
    >>> G.add_node("dep-13", kind="Collectivite", level="departement", insee_code="13")
    >>> geo_frame(G).scale == geo_scale(3)
    True
    """
    base = geo_scale(G.number_of_nodes())
    (lat_min, lat_max), (lon_min, lon_max) = _METROPOLE
    points = [
        place
        for _node, data in G.nodes(data=True)
        if (place := node_location(data)) is not None
        and lat_min <= place[0] <= lat_max
        and lon_min <= place[1] <= lon_max
    ]
    if not points:
        return GeoFrame(scale=base)
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    cos = math.cos(math.radians(_CENTRE[0]))
    span = max(max(lats) - min(lats), (max(lons) - min(lons)) * cos)
    whole = max(lat_max - lat_min, (lon_max - lon_min) * cos)
    zoom = min(_MAX_ZOOM, whole / max(1.5 * span, whole / _MAX_ZOOM))
    if zoom < 2:
        return GeoFrame(scale=base)
    centre = ((max(lats) + min(lats)) / 2, (max(lons) + min(lons)) / 2)
    half = whole / zoom / 2
    box = ((centre[0] - half, centre[0] + half), (centre[1] - half / cos, centre[1] + half / cos))
    return GeoFrame(centre, base * zoom, box)


def geo_layout(G: nx.Graph, frame: GeoFrame | None = None) -> dict[Hashable, tuple[float, float]]:
    """Canvas positions ``{node: (x, y)}`` for every node of ``G`` (see the module's text).

    ``frame`` defaults to :func:`geo_frame` of ``G``.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("dep-93", kind="Collectivite", level="departement", insee_code="93")
    >>> G.add_node("dep-13", kind="Collectivite", level="departement", insee_code="13")
    >>> G.add_node("asso", kind="Association")
    >>> _ = G.add_edge("asso", "dep-13", key="LOCATED_IN", type="LOCATED_IN")
    >>> positions = geo_layout(G)
    >>> positions["dep-93"][1] < positions["dep-13"][1]  # Seine-Saint-Denis is north of Marseille
    True
    >>> abs(positions["asso"][0] - positions["dep-13"][0]) < 30
    True
    """
    frame = frame or geo_frame(G)
    located: dict[Hashable, tuple[float, float]] = {}
    for node, data in G.nodes(data=True):
        place = node_location(data)
        if place is not None:
            located[node] = frame.project(*place)

    located_in: dict[Hashable, list[Hashable]] = {}
    for source, target, data in G.edges(data=True):
        if data.get("type") == "LOCATED_IN":
            located_in.setdefault(source, []).append(target)
    for node in G.nodes:
        if node in located:
            continue
        frontier, seen = list(located_in.get(node, ())), {node}
        for _ in range(4):
            hit = next((place for place in frontier if place in located), None)
            if hit is not None:
                located[node] = located[hit]
                break
            seen.update(frontier)
            frontier = [up for place in frontier for up in located_in.get(place, ()) if up not in seen]

    kinds = dict(G.nodes(data="kind"))
    undirected = G.to_undirected(as_view=True) if G.is_directed() else G
    # a few rounds, so that a project placed among its participants can place its other partners
    for _ in range(3):
        placed = {}
        for node in G.nodes:
            if node in located or kinds.get(node) in _AROUND:
                continue
            near = [located[other] for other in undirected.neighbors(node) if other in located and other != node]
            if near:
                placed[node] = (sum(p[0] for p in near) / len(near), sum(p[1] for p in near) / len(near))
        if not placed:
            break
        located.update(placed)

    # themes, documents, countries and whatever has no place go around the map, grouped by kind
    unplaced = sorted(
        (node for node in G.nodes if node not in located), key=lambda node: (str(kinds.get(node)), str(node))
    )
    extent = max((math.hypot(x, y) for x, y in located.values()), default=0.0)
    ring = max(1.3 * extent, 0.5 * frame.radius) + _SPACING * math.sqrt(len(located)) / 2
    for index, node in enumerate(unplaced):
        angle = 2 * math.pi * index / max(len(unplaced), 1) - math.pi / 2
        located[node] = (ring * math.cos(angle), ring * math.sin(angle))

    return _separate(located)


def reference_points(frame: GeoFrame = GeoFrame()) -> list[tuple[float, float, str]]:
    """Canvas (x, y, code) of the metropolitan départements inside ``frame``, to sketch France behind a map.

    >>> len(reference_points())
    96
    """
    points = []
    (lat_min, lat_max), (lon_min, lon_max) = frame.box
    for code, (lat, lon, _name) in centroids()["departement"].items():
        if not code.startswith("97") and lat_min <= lat <= lat_max and lon_min <= lon <= lon_max:
            x, y = frame.project(lat, lon)
            points.append((round(x, 1), round(y, 1), code))
    return points


def _separate(anchors: dict[Hashable, tuple[float, float]]) -> dict[Hashable, tuple[float, float]]:
    """Spread nodes that share or crowd a place: a golden-angle spiral around each shared
    anchor, then a few rounds pushing apart any two nodes closer than the spacing."""
    by_anchor: dict[tuple[float, float], list[Hashable]] = {}
    for node, point in anchors.items():
        by_anchor.setdefault((round(point[0], 1), round(point[1], 1)), []).append(node)
    golden = math.pi * (3 - math.sqrt(5))
    nodes, start = [], []
    for (x, y), group in by_anchor.items():
        for rank, node in enumerate(group):
            radius = _SPACING * math.sqrt(rank)
            nodes.append(node)
            start.append((x + radius * math.cos(rank * golden), y + radius * math.sin(rank * golden)))
    positions = np.array(start, dtype=float).reshape(-1, 2)
    for _ in range(30):
        pairs = cKDTree(positions).query_pairs(_SPACING, output_type="ndarray")
        if not len(pairs):
            break
        delta = positions[pairs[:, 0]] - positions[pairs[:, 1]]
        distance = np.maximum(np.hypot(delta[:, 0], delta[:, 1]), 1e-6)
        push = (delta / distance[:, None]) * ((_SPACING - distance) / 2)[:, None] * 0.6
        moved = np.zeros_like(positions)
        for axis in (0, 1):
            moved[:, axis] += np.bincount(pairs[:, 0], push[:, axis], len(nodes)) - np.bincount(
                pairs[:, 1], push[:, axis], len(nodes)
            )
        positions += moved
    return {node: (float(x), float(y)) for node, (x, y) in zip(nodes, positions)}
