"""The Neo4j store's whole graph read as arrays, for analyses of graphs too large for networkx."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Iterator
from itertools import islice, repeat
from typing import Any

import numpy as np

from ..base import GraphArrays
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
        # Millions of records come and go, none in a reference cycle: the collector, started
        # again and again while they are made, would walk them all each time.
        collecting = gc.isenabled()
        gc.disable()
        try:
            ids, names, kinds, kind_names = self._node_arrays()
            position = dict(zip(ids, range(len(ids))))
            type_codes: dict[str, int] = {}
            parts: list[tuple] = []
            for chunk in _in_chunks(self._stream(_RELATIONS, fetch_size=_FETCH_SIZE)):
                starts, ends, types, weights, texts = zip(*chunk)
                for type_ in set(types) - type_codes.keys():
                    type_codes[type_] = len(type_codes)
                # An end deleted while the read streams comes back as a null id: it has no position.
                start_at = np.fromiter(map(position.get, starts, repeat(-1)), dtype=np.int32, count=len(starts))
                end_at = np.fromiter(map(position.get, ends, repeat(-1)), dtype=np.int32, count=len(ends))
                present = (start_at >= 0) & (end_at >= 0)
                parts.append(
                    (
                        start_at[present],
                        end_at[present],
                        np.fromiter(map(type_codes.__getitem__, types), dtype=np.int16, count=len(types))[present],
                        _weights(weights, texts)[present],
                    )
                )
            del position
        finally:
            if collecting:
                gc.enable()
        columns = (
            [np.concatenate(column) for column in zip(*parts)]
            if parts
            else [np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int16), np.zeros(0)]
        )
        return GraphArrays(
            ids, names, kinds, kind_names, columns[0], columns[1], columns[2], tuple(type_codes), columns[3]
        )

    def _node_arrays(self) -> tuple[list[str], list[str], np.ndarray, tuple[str, ...]]:
        """Ids, names and kind codes of the visible nodes, sorted by id as ``to_networkx`` sorts them."""
        ids: list[str] = []
        names: list[str] = []
        kind_codes: dict[str, int] = {}
        parts = []
        for chunk in _in_chunks(_present(self._stream(_NODES, fetch_size=_FETCH_SIZE), "id")):
            chunk_ids, chunk_kinds, chunk_names = zip(*chunk)
            ids.extend(chunk_ids)
            names.extend(chunk_names)
            for kind in set(chunk_kinds) - kind_codes.keys():
                kind_codes[kind] = len(kind_codes)
            parts.append(np.fromiter(map(kind_codes.__getitem__, chunk_kinds), dtype=np.int16, count=len(chunk_kinds)))
        kinds = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)
        order = sorted(range(len(ids)), key=ids.__getitem__)
        ids = [ids[i] for i in order]
        names = [names[i] for i in order]
        return ids, names, kinds[np.array(order, dtype=np.int64)], tuple(kind_codes)
