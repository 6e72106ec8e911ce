"""Copying a graph between stores (push, pull) and exporting it to files.

What comes back in is loaded by :func:`maillage.operations.load`, which tells a maillage
export from other files and restores its sources with their provenance.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..graph.store import GraphStore, open_store
from ..graph.store.base import WriteResult
from ..graph.transfer import CopyReport, copy_graph

__all__ = ["Copied", "CopyReport", "copy", "export", "pull", "push", "push_bulk"]


@dataclass
class Copied:
    """What a copy did: from which store to which (their locations), and the :class:`CopyReport`:
    ``sources`` (one :class:`WriteResult` each), ``records_copied``, ``records_unchanged`` and
    ``records_kept`` (merges, history and snapshots that the destination holds with other
    content, left as they were)."""

    origin: str
    destination: str
    report: CopyReport

    @property
    def copied(self) -> int:
        """How many sources were copied (the others were there already)."""
        return sum(not result.unchanged for result in self.report.sources)


def copy(origin: GraphStore, destination: GraphStore, on_source: Callable[[WriteResult], None] | None = None) -> Copied:
    """Copy the whole graph of ``origin`` into ``destination``, provenance kept.

    Sources keep their name, contributor, date and load order; copying twice changes
    nothing. ``on_source`` is told each source as it is copied (or found unchanged).
    """
    return Copied(origin.location, destination.location, copy_graph(origin, destination, on_source))


def push(
    store: GraphStore,
    destination: str,
    on_source: Callable[[WriteResult], None] | None = None,
    **store_options: Any,
) -> Copied:
    """Copy ``store`` into the store at ``destination`` (a SQLite file or a Neo4j URI, opened
    with ``store_options``: ``user``, ``password``, ``database``), then close it."""
    with open_store(destination, **store_options) as target:
        return copy(store, target, on_source)


def push_bulk(
    store: GraphStore,
    destination: str,
    directory: Path,
    on_step: Callable[[str], None] | None = None,
    **store_options: Any,
):
    """Write the files of a bulk import of ``store`` into the empty Neo4j database at ``destination``
    (opened with ``store_options``, then closed), into ``directory``, a new or empty folder, and
    return what was written (:class:`~maillage.graph.store.neo4j.bulk.ImportFiles`).

    ``scripts/neo4j import DIRECTORY`` then replaces the database by them, and ``init`` on the
    destination finishes it. A destination that is not Neo4j, or holds anything, is a
    :class:`~maillage.graph.errors.UsageError`. ``on_step`` is told a line about each step.
    """
    from ..graph.store.neo4j.bulk import write_bulk_push

    with open_store(destination, **store_options) as target:
        return write_bulk_push(store, target, Path(directory), on_step)


def pull(
    store: GraphStore,
    origin: str,
    on_source: Callable[[WriteResult], None] | None = None,
    **store_options: Any,
) -> Copied:
    """Copy the store at ``origin`` (which must exist) into ``store``, then close it."""
    with open_store(origin, create=False, **store_options) as source_store:
        return copy(source_store, store, on_source)


def export(
    store: GraphStore,
    format: str,
    output: Path,
    kinds: Sequence[str] = (),
    themes: Sequence[str] = (),
    focus: Sequence[str] = (),
    depth: int = 1,
    include_personal: bool = False,
) -> list[Path]:
    """Export the graph, or the part the filters select, and return the files written.

    Parameters
    ----------
    format : {"json", "csv", "gexf", "graphml", "cypher"}
        JSON and CSV keep the provenance and load back with :func:`load`; GEXF and
        GraphML are for Gephi; Cypher for a Neo4j without maillage.
    output : Path
        The file; for ``csv`` a folder, or ``FILE.csv`` for ``FILE-actors.csv`` and
        ``FILE-relations.csv``.
    kinds, themes, focus, depth
        Only nodes of these kinds; only these themes and what is tied to them; only what
        lies within ``depth`` relations of these actors.
    include_personal : bool
        Keep Person nodes and contact details (left out by default).
    """
    from ..graph.export import select, write_export
    from .actors import kind_names

    selection = select(store, kind_names(kinds), themes, focus, depth, include_personal)
    return write_export(store, format, Path(output), selection)
