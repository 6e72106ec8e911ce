"""How actors are connected: shortest paths between two, the neighbourhood of one.

Both read only the part of the store they need, not the whole graph.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..graph.errors import NoPath
from ..graph.store import GraphStore
from .actors import resolve

__all__ = ["Paths", "ego", "graph_between", "paths"]


@dataclass
class Paths:
    """The shortest paths from ``source`` to ``target`` (ids), each a dict with ``length``,
    ``nodes``, ``relations`` and ``text`` (see :func:`maillage.graph.analysis.shortest_paths`)."""

    source: str
    target: str
    paths: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "paths": self.paths}

    def text(self) -> str:
        """The paths in words, numbered; :class:`NoPath` when there is none."""
        if not self.paths:
            raise NoPath(self.source, self.target)
        lines = [f"{len(self.paths)} shortest path(s) of length {self.paths[0]['length']}:"]
        lines.extend(f"{number}. {found['text']}" for number, found in enumerate(self.paths, start=1))
        return "\n".join(lines) + "\n"


def paths(
    store: GraphStore,
    source: str,
    target: str,
    limit: int = 10,
    include: Sequence[str] = (),
    notice: Callable[[str], None] | None = None,
) -> Paths:
    """Every shortest path (up to ``limit``) between two actors (ids, names or aliases), with
    the relations (type, role, direction) along it, in the analysed graph (Document and
    Person nodes left out unless ``include`` names them)."""
    from ..graph.analysis import shortest_paths

    first = resolve(store, source, notice=notice).id
    second = resolve(store, target, notice=notice).id
    found = shortest_paths(graph_between(store, first, second, include), first, second, limit, include)
    return Paths(first, second, found)


def graph_between(store: GraphStore, first: str, second: str, include: Sequence[str] = ()) -> Any:
    """The part of the store's graph that holds every shortest path from ``first`` to ``second``
    in the analysed graph, read by widening the neighbourhoods of both ends in turn.

    Every node of a path of length at most ``a + b + 1`` lies within ``a`` steps of
    ``first`` or ``b`` steps of ``second`` (through any relation), so once the part read
    has a path that short, it holds all the shortest ones; once a neighbourhood stops
    growing, it is a whole connected part of the graph and holds every path there is.
    """
    import networkx as nx

    from ..graph.analysis import analysis_graph

    ends = (first, second)
    depths = [0, 0]
    reached = [store.neighbourhood([end], 0) for end in ends]
    exhausted = False
    while True:
        graph = store.to_networkx(node_ids=reached[0] | reached[1])
        if exhausted:
            return graph
        analysed = analysis_graph(graph, "full", include)
        if (
            first in analysed
            and second in analysed
            and nx.has_path(analysed, first, second)
            and nx.shortest_path_length(analysed, first, second) <= sum(depths) + 1
        ):
            return graph
        side = 0 if depths[0] <= depths[1] else 1
        depths[side] += 1
        wider = store.neighbourhood([ends[side]], depths[side])
        exhausted = len(wider) == len(reached[side])
        reached[side] = wider


def ego(
    store: GraphStore,
    actor: str,
    depth: int = 1,
    include: Sequence[str] = (),
    notice: Callable[[str], None] | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """The id ``actor`` names and every node within ``depth`` steps of it, nearest first, with
    the relations that reach it (in words: ``TYPE (role)``, ``←`` when read backwards)."""
    from ..graph.analysis import ego_network

    node_id = resolve(store, actor, notice=notice).id
    # What lies within ``depth`` steps through any relation: every path the analysed graph can use.
    rows = ego_network(store.to_networkx(node_ids=store.neighbourhood([node_id], depth)), node_id, depth, include)
    for row in rows:
        row["relations"] = [
            r["type"] + (f" ({r['role']})" if r["role"] else "") + ("" if r["forward"] else " ←")
            for r in row["relations"]
        ]
    return node_id, rows
