"""What a register loader hands back: a source, its records, and a report of what it met.

Register loaders (INSEE geography, BANATIC, RNA, mapped spreadsheets) share
three things, kept here:

* :class:`LoadOptions`, what the command line passes down (strictness,
  vintage, RNA filters, mapping file, SIREN table);
* :class:`LoadReport`, every malformed row (file, line, column, reason) with
  the row itself, every notice (a rename, a skipped link), and for mapped
  loads which column went where;
* :class:`Load`, the source and a single-pass iterator of records. Under
  ``strict`` (the default) the iterator raises :class:`LoadError` once the
  file is read if any row was malformed, so a store writing it in one
  transaction is left unchanged; otherwise bad rows are left out and kept in
  the report with their reasons.
"""

from __future__ import annotations

import csv
import hashlib
import io
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from ..graph.errors import LoadError
from ..graph.model import Batch, Node, NodeRecord, RelationRecord, Source
from ..graph.store.base import Problem

__all__ = [
    "LoadOptions",
    "LoadReport",
    "Load",
    "Lookup",
    "checked",
    "file_digest",
    "write_rejected",
]

#: ``lookup(reference) -> nodes``: a store's ``find`` (an id gives that node).
Lookup = Callable[[str], list[Node]]


@dataclass(frozen=True)
class LoadOptions:
    """Options of ``maillage load`` that loaders of registers understand.

    ``departements``, ``communes``, ``object_codes`` and ``keywords`` filter RNA
    rows (a row is kept when it matches every filter given, and any value of a
    filter); ``include_inactive`` keeps dissolved and deleted associations.
    """

    strict: bool = True
    cog_year: str | None = None
    mapping: str | None = None
    siren_table: Path | None = None
    departements: tuple[str, ...] = ()
    communes: tuple[str, ...] = ()
    object_codes: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    include_inactive: bool = False

    def signature(self) -> str:
        """The options that change what a file gives, as text for digests and source names."""
        parts = []
        for label, values in (
            ("dep", self.departements),
            ("com", self.communes),
            ("objet", self.object_codes),
            ("keyword", self.keywords),
        ):
            if values:
                parts.append(f"{label}={','.join(values)}")
        if self.include_inactive:
            parts.append("inactive")
        return " ".join(parts)


@dataclass
class LoadReport:
    """What a loader met: malformed rows, notices, and (mapped loads) column use."""

    problems: list[Problem] = field(default_factory=list)
    rejected: list[tuple[Problem, dict[str, str]]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    columns_used: dict[str, str] = field(default_factory=dict)
    columns_ignored: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_kept: int = 0
    rows_filtered: int = 0

    def reject(self, problem: Problem, cells: dict[str, str] | None = None) -> None:
        """Record a malformed row (or cell) and the row it comes from."""
        self.problems.append(problem)
        self.rejected.append((problem, dict(cells or {})))

    def notice(self, message: str) -> None:
        """Record something done on purpose that the user should know."""
        self.notices.append(message)


@dataclass
class Load:
    """One source ready to write: ``records`` can be iterated once.

    ``digest`` fingerprints the input (file bytes and options) when the loader
    can tell it up front, so an unchanged file is not read twice: the text, or a
    function giving it (:class:`DigestInBackground`).
    """

    source: Source
    records: Iterable[NodeRecord | RelationRecord]
    report: LoadReport
    digest: str | Callable[[], str] | None = None
    files: tuple[str, ...] = ()

    def batch(self) -> Batch:
        """Every record in memory, as a :class:`Batch` (for small sources and dry runs)."""
        batch = Batch(self.source)
        for record in self.records:
            if isinstance(record, NodeRecord):
                batch.nodes.append(record)
            else:
                batch.relations.append(record)
        return batch


def checked(records: Iterator[NodeRecord | RelationRecord], report: LoadReport, strict: bool) -> Iterator[NodeRecord | RelationRecord]:
    """Pass ``records`` through; at the end, under ``strict``, raise if any row was bad."""
    yield from records
    if strict and report.problems:
        raise LoadError(report.problems)


def file_digest(paths: Sequence[Path], *extra: str) -> str:
    """A fingerprint of files' bytes and of the options that shape what they give."""
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
        digest.update(b"\x00")
    for text in extra:
        digest.update(text.encode("utf-8") + b"\x00")
    return digest.hexdigest()


class DigestInBackground:
    """:func:`file_digest`, computed by a thread from the moment this is made; calling
    it gives the digest once computed. A store writing a source for the first time needs
    it only at the end of the write, and hashing (which lets other threads run) then
    costs the load nothing: a third of a second for a 322 MiB register extract."""

    def __init__(self, paths: Sequence[Path], *extra: str):
        self._digest: str | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._compute, args=(paths, extra), name="maillage-digest", daemon=True)
        self._thread.start()

    def _compute(self, paths: Sequence[Path], extra: tuple[str, ...]) -> None:
        try:
            self._digest = file_digest(paths, *extra)
        except BaseException as error:
            self._error = error

    def __call__(self) -> str:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._digest is not None
        return self._digest


def _shown(cell: str) -> str:
    """A cell as text, undecodable bytes (kept as surrogates) written ``\\xc9``."""
    return cell.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def write_rejected(reports: Iterable[LoadReport], path: Path) -> int:
    """Write rejected rows with their reasons to a CSV file (UTF-8); return how many.

    Columns: ``file``, ``line``, ``column``, ``reason``, then the row's own cells.
    """
    rows = [(problem, cells) for report in reports for problem, cells in report.rejected]
    columns: list[str] = []
    for _, cells in rows:
        for column in cells:
            if column not in columns:
                columns.append(column)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["file", "line", "column", "reason", *columns])
    for problem, cells in rows:
        writer.writerow(
            [problem.file, problem.line or "", problem.column or "", problem.message, *(_shown(cells.get(c, "")) for c in columns)]
        )
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(buffer.getvalue(), encoding="utf-8", errors="backslashreplace")
    tmp.replace(path)
    return len(rows)
