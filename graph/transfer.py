"""Copying a whole graph from one store to another: its sources with their provenance, and its records.

A store holds two things: the sources, each with what it asserted (the claims
the graph is derived from), and records kept beside them: merges and the
redirects of merged ids (so that ``unmerge`` works on the copy), the history of
events, and snapshots. :func:`copy_graph` copies both, so a graph pushed to a
shared Neo4j can be unmerged, diffed and traced there as it could at home.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .history import EVENTS, SNAPSHOTS
from .merge import MERGES, REDIRECTS
from .store.base import GraphStore, WriteResult

__all__ = ["RECORD_COLLECTIONS", "CopyReport", "copy_graph"]

RECORD_COLLECTIONS: tuple[str, ...] = (MERGES, REDIRECTS, EVENTS, SNAPSHOTS)


@dataclass
class CopyReport:
    """What a copy did.

    ``sources``: one result per source, in load order (``unchanged`` when the
    destination already held it with the same content). ``records_copied`` and
    ``records_unchanged`` count merge records, redirects, events and snapshots.
    ``records_kept``: (collection, key) of records the destination already held
    with other content, left as they were.
    """

    sources: list[WriteResult] = field(default_factory=list)
    records_copied: int = 0
    records_unchanged: int = 0
    records_kept: list[tuple[str, str]] = field(default_factory=list)


def copy_graph(
    origin: GraphStore,
    destination: GraphStore,
    progress: Callable[[WriteResult], None] | None = None,
) -> CopyReport:
    """Copy every source of ``origin`` with its provenance, in load order, then its records, into ``destination``.

    Each source is one transaction on the destination; a source the destination
    already holds with the same content is left as it is, and so is a record, so
    copying twice changes nothing. A record the destination holds under the same
    key with other content (a snapshot of the same name taken there) is kept and
    reported, never overwritten.

    Parameters
    ----------
    origin, destination : GraphStore
    progress : callable, optional
        Called with each source's :class:`WriteResult` as soon as it is written.

    Returns
    -------
    CopyReport

    Examples
    --------
    >>> from maillage.graph.store.sqlite import SQLiteStore
    >>> from maillage.graph.model import Batch, Node, NodeRecord, Source
    >>> from maillage.graph.history import snapshot
    >>> home, shared = SQLiteStore(":memory:"), SQLiteStore(":memory:")
    >>> _ = home.write(Batch(Source("a.csv", "workbook", "ana", "2026-01-01T00:00:00+00:00"),
    ...                      [NodeRecord(Node("theme:paix", "Theme", "Paix"), "a.csv:2")]))
    >>> _ = snapshot(home, "copil", "ana")
    >>> report = copy_graph(home, shared)
    >>> [r.source for r in report.sources], report.records_copied, [key for key, _ in shared.documents("snapshots")]
    (['a.csv'], 1, ['copil'])
    >>> again = copy_graph(home, shared)
    >>> [r.unchanged for r in again.sources], again.records_copied, again.records_unchanged
    ([True], 0, 1)
    """
    report = CopyReport()
    for batch in origin.dump():
        [result] = destination.replace_sources([batch])
        report.sources.append(result)
        if progress is not None:
            progress(result)
    for collection in RECORD_COLLECTIONS:
        for key, value in origin.documents(collection):
            held = destination.get_document(collection, key)
            if held is None:
                destination.put_document(collection, key, value)
                report.records_copied += 1
            elif held == value:
                report.records_unchanged += 1
            else:
                report.records_kept.append((collection, key))
    return report
