"""Loaders: one module per source format, each turning files into a checked ``Batch``.

:func:`read_sources` is the entry point: it groups the paths into sources,
picks each one's format (from its header, or the ``format`` given) and returns
one :class:`~maillage.graph.model.Batch` per source, or raises
:class:`~maillage.graph.errors.LoadError` listing every problem of every source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from ..graph.errors import UsageError
from ..graph.model import Batch, Node
from .workbook import read_workbook

__all__ = ["FORMATS", "read_sources"]

FORMATS: tuple[str, ...] = ("workbook",)


def read_sources(
    paths: Sequence[Path],
    lookup: Callable[[str], list[Node]] | None,
    contributor: str,
    format: str | None = None,
    source_name: str | None = None,
) -> list[Batch]:
    """Read ``paths`` into batches, one per source; every problem of every file is collected.

    The CSV tables of one workbook given together (``actors.csv relations.csv``)
    form one source, named after the first of them unless ``source_name`` is given.
    """
    paths = [Path(p) for p in paths]
    for path in paths:
        if not path.exists():
            raise UsageError(f"{path}: no such file or folder")
    if format not in (None, "workbook"):
        raise UsageError(f"unknown format {format!r}; known formats: {', '.join(FORMATS)}")
    return [read_workbook(paths, lookup, contributor, source_name)]
