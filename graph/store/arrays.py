"""The store's graph as :class:`~.base.GraphArrays`, assembled from nodes and relations read
chunk by chunk: what both stores' ``graph_arrays`` share."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import repeat
from typing import Any

import numpy as np

from .base import GraphArrays

__all__ = ["ArraysBuilder"]


class ArraysBuilder:
    """Nodes first, a chunk at a time (:meth:`add_nodes`), then relations (:meth:`add_relations`);
    :meth:`arrays` gives the graph. Relations to absent nodes are left out, as ``to_networkx``
    leaves them."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.names: list[str] = []
        self.kind_codes: dict[str, int] = {}
        self.kinds: list[np.ndarray] = []
        self.type_codes: dict[str, int] = {}
        self.parts: list[tuple[np.ndarray, ...]] = []
        self.position: dict[str, int] | None = None

    def add_nodes(self, ids: Sequence[str], kinds: Sequence[str], names: Sequence[str]) -> None:
        self.ids.extend(ids)
        self.names.extend(names)
        for kind in set(kinds) - self.kind_codes.keys():
            self.kind_codes[kind] = len(self.kind_codes)
        self.kinds.append(np.fromiter(map(self.kind_codes.__getitem__, kinds), dtype=np.int16, count=len(kinds)))

    def _node_kinds(self) -> np.ndarray:
        return np.concatenate(self.kinds) if self.kinds else np.zeros(0, dtype=np.int16)

    def sort_nodes(self) -> None:
        """Put the nodes in id order, as ``to_networkx`` lists them, for a store that cannot read
        them in that order."""
        order = sorted(range(len(self.ids)), key=self.ids.__getitem__)
        self.kinds = [self._node_kinds()[np.array(order, dtype=np.int64)]]
        self.ids = [self.ids[i] for i in order]
        self.names = [self.names[i] for i in order]

    def add_relations(self, starts: Sequence[str], ends: Sequence[str], types: Sequence[str], weights: Any) -> None:
        """Relations from ``starts`` to ``ends`` (an id that is no node's, or None, leaves its
        relation out), of these types and weights."""
        if self.position is None:
            self.position = dict(zip(self.ids, range(len(self.ids))))
        for type_ in set(types) - self.type_codes.keys():
            self.type_codes[type_] = len(self.type_codes)
        start_at = np.fromiter(map(self.position.get, starts, repeat(-1)), dtype=np.int32, count=len(starts))
        end_at = np.fromiter(map(self.position.get, ends, repeat(-1)), dtype=np.int32, count=len(ends))
        present = (start_at >= 0) & (end_at >= 0)
        self.parts.append(
            (
                start_at[present],
                end_at[present],
                np.fromiter(map(self.type_codes.__getitem__, types), dtype=np.int16, count=len(types))[present],
                np.asarray(weights, dtype=float)[present],
            )
        )

    def arrays(self) -> GraphArrays:
        self.position = None
        sources, targets, types, weights = (
            [np.concatenate(column) for column in zip(*self.parts)]
            if self.parts
            else [np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int16), np.zeros(0)]
        )
        return GraphArrays(
            self.ids,
            self.names,
            self._node_kinds(),
            tuple(self.kind_codes),
            sources,
            targets,
            types,
            tuple(self.type_codes),
            weights,
        )
