"""The Neo4j store's whole graph read as arrays, for analyses of graphs too large for networkx."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

import numpy as np

from ..arrays import ArraysBuilder
from ..base import GraphArrays
from ..shared import collector_paused
from .read import _present
from .schema import _KIND_OF, _VISIBLE_ENDS, NODE, _visible

__all__ = ["ArraysMixin"]

#: Records turned into arrays at a time: none is kept longer than its chunk.
_GRAPH_CHUNK = 50_000
#: Records the server sends at a time: the driver's default, a thousand, costs a round trip each.
_FETCH_SIZE = 20_000

_NODES = f"MATCH (n:{NODE}) WHERE {_visible('n')} RETURN n.id AS id, {_KIND_OF.format(v='n')} AS kind, n.name AS name"
# A relationship keeps its attributes as properties, or as JSON text when they cannot be
# properties: the text is only worth reading when it names a weight.
_RELATIONS = (
    f"MATCH (a:{NODE})-[r]->(b:{NODE}) WHERE {_VISIBLE_ENDS} "
    "RETURN a.id AS source, b.id AS target, type(r) AS type, CASE WHEN r.attrs IS NULL THEN r.weight END AS weight, "
    "CASE WHEN r.attrs CONTAINS '\"weight\"' THEN r.attrs END AS attrs"
)


def _in_chunks(rows: Iterable[Any]) -> Iterator[list]:
    rows = iter(rows)
    while chunk := list(islice(rows, _GRAPH_CHUNK)):
        yield chunk


def _weights(weights: tuple, texts: tuple) -> np.ndarray:
    """The ``weight`` attribute of each relation, 1 when absent (or null), as the embedded store reads it."""
    if any(texts):
        weights = tuple(json.loads(text).get("weight") if text else weight for weight, text in zip(weights, texts))
    return np.array([1 if weight is None else weight for weight in weights], dtype=float)


class ArraysMixin:
    """The whole graph as :class:`~maillage.graph.store.base.GraphArrays`."""

    def graph_arrays(self) -> GraphArrays:
        """The whole graph as :class:`~maillage.graph.store.base.GraphArrays`: what ``to_networkx``
        reads, with the same visibility rules, without its dictionaries. Nodes and relations are
        two reads: they are read again if a load published or finished in between, so that the
        relations are those of the nodes' graph (a :class:`~maillage.graph.errors.StoreError` if
        loads keep publishing meanwhile, as for the other reads)."""
        return self._between_publications(self._read_graph_arrays)

    def _read_graph_arrays(self) -> GraphArrays:
        built = ArraysBuilder()
        with collector_paused():
            for chunk in _in_chunks(_present(self._stream(_NODES, fetch_size=_FETCH_SIZE), "id")):
                built.add_nodes(*zip(*chunk))
            built.sort_nodes()
            for chunk in _in_chunks(self._stream(_RELATIONS, fetch_size=_FETCH_SIZE)):
                # An end deleted while the read streams comes back as a null id: it has no position.
                starts, ends, types, weights, texts = zip(*chunk)
                built.add_relations(starts, ends, types, _weights(weights, texts))
            return built.arrays()
