"""The hand-filled workbook: an ``actors`` table and a ``relations`` table.

Either one ``.xlsx`` file with two sheets named ``actors`` and ``relations``
(French names ``acteurs`` / ``relations`` work too), a folder holding
``actors.csv`` and ``relations.csv``, or the CSV files themselves, told apart by
their headers.

``actors``: ``id`` (optional), ``kind``, ``name``, ``aliases`` (separated by
``|``), then any known attribute (see :data:`maillage.graph.model.ATTRIBUTES`).

``relations``: ``source``, ``type``, ``target``, ``role``, ``start``, ``end``,
``note``. Sources and targets name actors by id, name or alias, from this
workbook or already in the store.

A review workbook (``maillage extract -o FILE.xlsx``) has a ``keep`` column:
only the rows marked ``yes`` (or ``oui``, ``x``) are loaded, relations naming an
actor left out are left out too, and each row's ``document`` and ``line`` are
its place in the provenance.

Every problem is collected with its file, line and column; any problem rejects
the whole workbook.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from ..graph.errors import LoadError, ModelError, UsageError
from ..graph.model import (
    ATTRIBUTES,
    KINDS,
    MULTI_VALUE_SEPARATOR,
    RELATION_ATTRIBUTES,
    RELATION_TYPES,
    Batch,
    Node,
    NodeRecord,
    Relation,
    RelationRecord,
    Source,
    check_attribute,
    check_node_id,
    check_relation,
    make_id,
    normalise,
    validate_insee,
)
from ..graph.store.base import Problem
from .references import ReferenceIndex
from .tables import Row, Table, fold_header, read_csv, read_xlsx_sheets, suspicious_text

__all__ = [
    "ACTOR_COLUMNS",
    "EVIDENCE_COLUMNS",
    "RELATION_COLUMNS",
    "REVIEW_COLUMN",
    "is_actors_header",
    "is_relations_header",
    "read_workbook",
    "workbook_tables",
]

ACTOR_COLUMNS: tuple[str, ...] = ("id", "kind", "name", "aliases", *ATTRIBUTES)
RELATION_COLUMNS: tuple[str, ...] = ("source", "type", "target", "role", "start", "end", "note")
#: read and ignored: the provenance a CSV export writes beside each row
PROVENANCE_COLUMNS: tuple[str, ...] = ("sources",)
#: the evidence a review workbook (``maillage extract -o FILE.xlsx``) gives each row; ``document`` and
#: ``line`` become the row's place, the others are read and ignored
EVIDENCE_COLUMNS: tuple[str, ...] = (
    "status",
    "confidence",
    "how",
    "kind_from",
    "mentions",
    "document",
    "line",
    "sentence",
)
#: a review workbook's first column: only the rows marked yes are loaded
REVIEW_COLUMN = "keep"
_YES = frozenset({"yes", "y", "oui", "o", "x", "1", "true", "vrai"})
_NO = frozenset({"", "no", "n", "non", "0", "false", "faux"})

_SHEET_NAMES = {"actors": ("actors", "acteurs"), "relations": ("relations", "liens")}
_KIND_NAMES = {normalise(kind): kind for kind in KINDS}
_TYPE_NAMES = {normalise(type_).replace("_", " "): type_ for type_ in RELATION_TYPES}


def is_actors_header(header: Sequence[str]) -> bool:
    """True when a header is that of an actors table."""
    folded = {fold_header(cell) for cell in header}
    return {"kind", "name"} <= folded


def is_relations_header(header: Sequence[str]) -> bool:
    """True when a header is that of a relations table."""
    folded = {fold_header(cell) for cell in header}
    return {"source", "type", "target"} <= folded


def workbook_tables(paths: Sequence[Path]) -> tuple[Table | None, Table | None]:
    """Find the actors and relations tables among ``paths`` (an .xlsx, a folder, or CSV files)."""
    actors: Table | None = None
    relations: Table | None = None
    for path in paths:
        if path.is_dir():
            found = [path / "actors.csv", path / "relations.csv"]
            missing = [p.name for p in found if not p.exists()]
            if len(missing) == 2:
                raise UsageError(f"{path}: a workbook folder holds actors.csv and/or relations.csv; found neither")
            tables = [read_csv(p, f"{path.name}/{p.name}") for p in found if p.exists()]
        elif path.suffix.lower() == ".xlsx":
            sheets = read_xlsx_sheets(path)
            tables = [sheets[name] for names in _SHEET_NAMES.values() for name in names if name in sheets]
            if not tables:
                raise UsageError(f"{path}: no sheet named 'actors' or 'relations' (found: {', '.join(sheets)})")
        else:
            tables = [read_csv(path)]
        for table in tables:
            if is_actors_header(table.header) and actors is None:
                actors = table
            elif is_relations_header(table.header) and relations is None:
                relations = table
            else:
                raise UsageError(
                    f"{table.name}: not an actors table (kind, name, ...) nor a relations table "
                    f"(source, type, target, ...), or given twice"
                )
    return actors, relations


def _columns(table: Table, known: Sequence[str], problems: list[Problem]) -> dict[str, str]:
    """Map each header cell to a known column; unknown columns are problems."""
    mapping: dict[str, str] = {}
    for cell in table.header:
        folded = fold_header(cell).replace(" ", "_")
        if folded in known:
            if folded in mapping.values():
                problems.append(Problem(table.name, 1, cell, f"column {folded!r} appears twice"))
            mapping[cell] = folded
        elif cell:
            problems.append(Problem(table.name, 1, cell, f"unknown column; known columns are {', '.join(known)}"))
    return mapping


def _checked_cells(table: Table, row: Row, problems: list[Problem]) -> bool:
    """Report unreadable rows, surplus cells and damaged text; False when the row is unusable."""
    if row.error:
        problems.append(Problem(table.name, row.line, row.error_column, row.error))
        return False
    if row.extra:
        problems.append(Problem(table.name, row.line, None, f"{row.extra} more cells than the header has columns"))
    for column, value in row.cells.items():
        if value and (reason := suspicious_text(value)):
            problems.append(Problem(table.name, row.line, column, reason))
    return True


class _RowProblems(list):
    """The problems of one row, each placed at the column a field was read from."""

    def __init__(self, table: str, line: int, column_of: dict[str, str]):
        super().__init__()
        self.table, self.line, self.column_of = table, line, column_of

    def add(self, field: str | None, message: str) -> None:
        self.append(Problem(self.table, self.line, self.column_of.get(field) if field else None, message))


def _rows(
    table: Table, known: Sequence[str], required: Sequence[str], problems: list[Problem]
) -> Iterator[tuple[Row, dict[str, str], _RowProblems]]:
    """Each readable row of a table: its non-empty cells by field, and a list for its problems.

    Problems of the header and of unreadable rows go straight to ``problems``.
    """
    mapping = _columns(table, known, problems)
    for field in required:
        if field not in mapping.values():
            problems.append(Problem(table.name, 1, None, f"missing column {field!r}"))
    column_of = {field: column for column, field in mapping.items()}
    for row in table.rows:
        if _checked_cells(table, row, problems):
            cells = {mapping[column]: value for column, value in row.cells.items() if column in mapping and value}
            yield row, cells, _RowProblems(table.name, row.line, column_of)


def _reviewed(table: Table) -> bool:
    """Whether a table is a review table, with a ``keep`` column."""
    return any(fold_header(cell).replace(" ", "_") == REVIEW_COLUMN for cell in table.header)


def _kept(cells: dict[str, str], problem: Callable[[str, str], None]) -> bool:
    """Whether a review row is marked to be loaded; a mark that is neither yes nor no is a problem."""
    mark = cells.get(REVIEW_COLUMN, "").strip().lower()
    if mark in _YES:
        return True
    if mark not in _NO:
        problem(REVIEW_COLUMN, f"keep must be yes or no, not {cells[REVIEW_COLUMN]!r}")
    return False


def _place(table: Table, row: Row, cells: dict[str, str]) -> str:
    """Where a row's fact comes from: the document and line its evidence names, else the row itself."""
    if cells.get("document") and cells.get("line"):
        return f"{cells['document']}:{cells['line']}"
    return f"{table.name}:{row.line}"


_EXTRA_COLUMNS = (*PROVENANCE_COLUMNS, *EVIDENCE_COLUMNS, REVIEW_COLUMN)


def _read_actors(
    table: Table, problems: list[Problem], rejected: ReferenceIndex, dropped: ReferenceIndex
) -> list[NodeRecord]:
    """Read the actors table; rows with problems go to ``rejected`` so that relations
    naming them are not reported a second time, rows a reviewer did not keep to ``dropped``."""
    records: list[NodeRecord] = []
    first_seen: dict[str, int] = {}
    reviewed = _reviewed(table)
    for row, cells, row_problems in _rows(table, (*ACTOR_COLUMNS, *_EXTRA_COLUMNS), ("kind", "name"), problems):
        problem = row_problems.add
        if reviewed and not _kept(cells, problem):
            problems.extend(row_problems)
            if cells.get("name") or cells.get("id"):
                dropped.add(Node(cells.get("id") or f"?{row.line}", "", cells.get("name", ""), ()))
            continue
        kind = _KIND_NAMES.get(normalise(cells.get("kind", "")))
        if not cells.get("kind"):
            problem("kind", "kind is empty")
        elif kind is None:
            problem("kind", f"unknown kind {cells['kind']!r}; expected one of {', '.join(KINDS)}")
        name = cells.get("name", "")
        if not name:
            problem("name", "name is empty")
        aliases = tuple(a.strip() for a in cells.get("aliases", "").split(MULTI_VALUE_SEPARATOR) if a.strip())
        attrs = {}
        for field, value in cells.items():
            if field in ("id", "kind", "name", "aliases", *_EXTRA_COLUMNS) or kind is None:
                continue
            try:
                attrs[field] = check_attribute(kind, field, value)
            except ModelError as error:
                problem(field, str(error))
        if kind == "Collectivite" and "insee_code" in attrs and attrs.get("level"):
            try:
                validate_insee(attrs["insee_code"], attrs["level"])
            except ModelError as error:
                problem("insee_code", str(error))
        node_id = cells.get("id", "")
        if kind is not None and name and not row_problems:
            try:
                node_id = check_node_id(node_id, kind) if node_id else make_id(kind, name, attrs)
            except ModelError as error:
                problem("id", str(error))
        problems.extend(row_problems)
        if row_problems:
            if name:
                rejected.add(Node(cells.get("id") or f"?{row.line}", kind or "", name, aliases))
            continue
        if node_id in first_seen:
            problem("id" if cells.get("id") else "name", f"{node_id} is already defined on line {first_seen[node_id]}")
            problems.extend(row_problems)
            continue
        first_seen[node_id] = row.line
        records.append(NodeRecord(Node(node_id, kind, name, aliases, attrs), _place(table, row, cells)))
    return records


def _read_relations(
    table: Table,
    index: ReferenceIndex,
    rejected: ReferenceIndex,
    problems: list[Problem],
    dropped: ReferenceIndex | None = None,
) -> list[RelationRecord]:
    records: list[RelationRecord] = []
    seen: dict[tuple, int] = {}
    reviewed = _reviewed(table)
    for row, cells, row_problems in _rows(
        table, (*RELATION_COLUMNS, *_EXTRA_COLUMNS), ("source", "type", "target"), problems
    ):
        problem = row_problems.add
        if reviewed and not _kept(cells, problem):
            problems.extend(row_problems)
            continue
        if dropped is not None and any(
            dropped.candidates(cells.get(field, "")) for field in ("source", "target") if cells.get(field)
        ):
            continue  # it names an actor the reviewer did not keep
        ends: dict[str, Node] = {}
        for field in ("source", "target"):
            reference = cells.get(field, "")
            if not reference:
                problem(field, f"{field} is empty")
                continue
            candidates = index.candidates(reference)
            if not candidates and rejected.candidates(reference):
                continue  # that actor's own row was rejected and reported
            if not candidates:
                problem(field, f"unknown actor {reference!r}: no id, name or alias matches it")
            elif len(candidates) > 1:
                listed = ", ".join(f"{n.id} ({n.name})" for n in candidates)
                problem(field, f"{reference!r} is ambiguous: it matches {listed}; use an id")
            else:
                ends[field] = candidates[0]
        raw_type = cells.get("type", "")
        type_ = _TYPE_NAMES.get(normalise(raw_type).replace("_", " "))
        if not raw_type:
            problem("type", "type is empty")
        elif type_ is None:
            problem("type", f"unknown relation type {raw_type!r}; expected one of {', '.join(RELATION_TYPES)}")
        role = cells.get("role", "").lower()
        if type_ and len(ends) == 2:
            try:
                check_relation(type_, ends["source"].kind, ends["target"].kind, role)
            except ModelError as error:
                problem("role" if "role" in str(error) else "type", str(error))
        attrs = {}
        for field in ("start", "end", "note"):
            if field in cells:
                try:
                    attrs[field] = RELATION_ATTRIBUTES[field](cells[field])
                except ModelError as error:
                    problem(field, str(error))
        problems.extend(row_problems)
        if row_problems or len(ends) < 2:
            continue
        relation = Relation(ends["source"].id, type_, ends["target"].id, role, attrs)
        if relation.key in seen:
            problems.append(Problem(table.name, row.line, None, f"same relation as on line {seen[relation.key]}"))
            continue
        seen[relation.key] = row.line
        records.append(RelationRecord(relation, _place(table, row, cells)))
    return records


def read_workbook(
    paths: Iterable[Path],
    lookup: Callable[[str], list[Node]] | None,
    contributor: str,
    source_name: str | None = None,
) -> Batch:
    """Read a workbook into a :class:`~maillage.graph.model.Batch`, or raise :class:`LoadError`.

    Parameters
    ----------
    paths : paths
        An ``.xlsx`` file, a folder with ``actors.csv``/``relations.csv``, or CSV files.
    lookup : callable or None
        Finds nodes already in the store by reference (a store's ``find``), so
        relations may name actors loaded earlier.
    contributor : str
        Who brings this workbook.
    source_name : str, optional
        The name the source is known by; defaults to the workbook's file or folder name.
    """
    paths = [Path(p) for p in paths]
    actors, relations = workbook_tables(paths)
    problems: list[Problem] = []
    index, rejected, dropped = ReferenceIndex(lookup), ReferenceIndex(), ReferenceIndex()
    nodes = _read_actors(actors, problems, rejected, dropped) if actors else []
    for record in nodes:
        index.add(record.node)
    links = _read_relations(relations, index, rejected, problems, dropped) if relations else []
    if problems:
        raise LoadError(problems)
    name = source_name or paths[0].name
    return Batch(Source(name, "workbook", contributor), nodes, links)
