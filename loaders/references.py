"""Resolving actor references (id, name or alias) against a batch and a store."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from ..graph.model import Node, normalise

__all__ = ["ReferenceIndex"]


class ReferenceIndex:
    """Finds the node a reference names, among the nodes of a batch and in a store.

    A reference that is the id of a node wins; otherwise every node whose name or
    alias folds to the reference is a candidate, from the batch and from the store.

    Parameters
    ----------
    lookup : callable
        ``lookup(reference) -> list[Node]``, usually a store's ``find``.
    """

    def __init__(self, lookup: Callable[[str], list[Node]] | None = None):
        self._lookup = lookup
        self._by_id: dict[str, Node] = {}
        self._by_label: dict[str, set[str]] = defaultdict(set)

    def add(self, node: Node) -> None:
        """Make ``node`` findable by its id, name and aliases."""
        self._by_id[node.id] = node
        for label in (node.name, *node.aliases):
            self._by_label[normalise(label)].add(node.id)

    def __contains__(self, node_id: str) -> bool:
        return node_id in self._by_id

    def candidates(self, reference: str) -> list[Node]:
        """Every node the reference may name, sorted by id."""
        reference = reference.strip()
        if reference in self._by_id:
            return [self._by_id[reference]]
        found = {node_id: self._by_id[node_id] for node_id in self._by_label.get(normalise(reference), ())}
        if self._lookup is not None:
            stored = self._lookup(reference)
            if len(stored) == 1 and stored[0].id == reference:
                return stored
            for node in stored:
                found.setdefault(node.id, node)
        return [found[node_id] for node_id in sorted(found)]
