"""What a register loader hands back: a source, its records, and a report of what it met.

Register loaders (INSEE geography, BANATIC, RNA, mapped spreadsheets) share
three things, kept here:

* :class:`LoadOptions`, what the command line passes down (strictness,
  vintage, RNA filters, mapping file, SIREN table);
* :class:`LoadReport`, every malformed row (file, line, column, reason) with
  the row itself, every field set aside (a register's row kept without a
  value that failed its check), every notice (a rename, a skipped link), and
  for mapped loads which column went where;
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
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..graph.errors import LoadError
from ..graph.model import Batch, Node, NodeRecord, RelationRecord, Source
from ..graph.store.base import Problem

__all__ = [
    "Load",
    "LoadOptions",
    "LoadReport",
    "Lookup",
    "checked",
    "file_digest",
    "reason_without_value",
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
    #: Keep each field set aside (file, line, column, value, reason), not only their count per column.
    list_set_aside: bool = False

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
    """What a loader met: malformed rows, fields set aside, notices, and (mapped loads) column use.

    A register's row is rejected only when it cannot give an actor (no usable id,
    no name, text that does not decode); a secondary value that fails its check (a
    SIRET's checksum, a date, a postal code) is left out of the actor's attributes
    and counted in ``fields_set_aside`` by column, and listed in ``set_aside`` as
    ``(problem, value)`` when ``list_set_aside`` is true.
    """

    problems: list[Problem] = field(default_factory=list)
    rejected: list[tuple[Problem, dict[str, str]]] = field(default_factory=list)
    fields_set_aside: dict[str, int] = field(default_factory=dict)
    set_aside: list[tuple[Problem, str]] = field(default_factory=list)
    list_set_aside: bool = False
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

    def set_aside_field(self, file: str, line: int | None, column: str, value: str, reason: str) -> None:
        """Record a value left out of a kept row's attributes, and why."""
        self.fields_set_aside[column] = self.fields_set_aside.get(column, 0) + 1
        if self.list_set_aside:
            self.set_aside.append((Problem(file, line, column, reason), value))

    def set_aside_summary(self) -> str:
        """``3 fields set aside (siret 2, date_creat 1)``, or "" when none was.

        >>> report = LoadReport()
        >>> report.set_aside_field("rna.csv", 2, "siret", "45678912300018", "checksum fails")
        >>> report.set_aside_summary()
        '1 field set aside (siret 1)'
        """
        total = sum(self.fields_set_aside.values())
        if not total:
            return ""
        counts = sorted(self.fields_set_aside.items(), key=lambda item: (-item[1], item[0]))
        return f"{total} field{'s' if total != 1 else ''} set aside ({', '.join(f'{column} {count}' for column, count in counts)})"

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


def checked(
    records: Iterator[NodeRecord | RelationRecord], report: LoadReport, strict: bool
) -> Iterator[NodeRecord | RelationRecord]:
    """Pass ``records`` through; at the end, under ``strict``, raise if any row was bad."""
    yield from records
    if strict and report.problems:
        raise LoadError(report.problems)


def reason_without_value(error: Exception) -> str:
    """A check's message without the value it starts by quoting, for a field set aside,
    whose value is listed beside its reason.

    >>> reason_without_value(ValueError("'4567' is not a SIRET (14 digits)"))
    'not a SIRET (14 digits)'
    """
    return re.sub(r"^'[^']*' (is )?", "", str(error))


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
    """Write the rejected rows and the fields set aside, with their reasons, to a CSV file;
    return how many lines it holds besides the header.

    Columns: ``file``, ``line``, ``column``, ``value``, ``reason``, ``outcome`` (``row
    rejected`` or ``field set aside``), then a rejected row's own cells. Separated by
    ``;`` and written in UTF-8 with a byte-order mark, as a spreadsheet opens it by a
    double click; lines in the order of the files.
    """
    entries: list[tuple[Problem, str, str, dict[str, str]]] = []
    for report in reports:
        for problem, cells in report.rejected:
            entries.append((problem, cells.get(problem.column or "", ""), "row rejected", cells))
        for problem, value in report.set_aside:
            entries.append((problem, value, "field set aside", {}))
    entries.sort(key=lambda entry: (entry[0].file, entry[0].line or 0))
    columns: list[str] = []
    for *_, cells in entries:
        for column in cells:
            if column not in columns:
                columns.append(column)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(["file", "line", "column", "value", "reason", "outcome", *columns])
    for problem, value, outcome, cells in entries:
        writer.writerow(
            [
                problem.file,
                problem.line or "",
                problem.column or "",
                _shown(value),
                problem.message,
                outcome,
                *(_shown(cells.get(c, "")) for c in columns),
            ]
        )
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(buffer.getvalue(), encoding="utf-8-sig", errors="backslashreplace")
    tmp.replace(path)
    return len(entries)
