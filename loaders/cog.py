"""INSEE's Code officiel géographique (COG), 2019 and later: régions, départements, communes.

Files: ``v_region_YYYY.csv`` (``REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE``),
``v_departement_YYYY.csv`` (``DEP,REG,CHEFLIEU,...``) and ``v_commune_YYYY.csv``
(``TYPECOM,COM,REG,DEP,CTCD,ARR,TNCC,NCC,NCCENR,LIBELLE,CAN,COMPARENT``; 2019
to 2021 files have no ``CTCD`` and 2019 writes its headers in lower case).
Headers are matched folded, so both spellings read the same.

What becomes what:

* a région, a département, a ``COM`` row: a ``Collectivite`` of level
  ``region``/``departement``/``commune`` with ``insee_code``, ``cog_year`` and
  ``country`` FR, id ``collectivite:reg-11``, ``dep-2A``, ``com-92050`` (the
  same ids the workbook gives, so a COG load and a workbook meet on one node);
  ``LOCATED_IN`` commune → département → région;
* ``ARM`` (municipal arrondissements of Paris, Lyon, Marseille), ``COMD``
  (communes déléguées) and ``COMA`` (communes associées): these share the code
  space with communes (a ``COMD`` often carries the very code of its commune
  nouvelle), so they get their own ids, ``collectivite:arm-75111``,
  ``comd-74011``, ``coma-74182``, level ``other``, and ``LOCATED_IN`` their
  parent commune (``COMPARENT``). Nothing is merged into the commune, so no
  code is counted twice, and an association registered at a delegated
  commune's old code still finds where it is.

Vintages. Each level is one source (``insee-cog-communes`` ...): loading a
newer vintage replaces the older one, so nothing is duplicated, and a commune
that disappeared goes with it unless another source asserts it. Before
replacing, each code is compared with what the store holds:

* same code, other name, and the old name is not a delegated/associated
  commune of the new file: a rename; the new name wins, the old one is kept
  as an alias, and a notice says so;
* same code, other name, and the old name *is* now the ``COMD``/``COMA`` of
  that code: the code was handed to a commune nouvelle after a merger; the old
  commune lives on as ``comd-``/``coma-`` node, its name is **not** made an
  alias of the new commune, and a notice says so;
* an older vintage loaded over a newer one gives a notice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from ..graph.errors import LoadError, ModelError, UsageError
from ..graph.model import Node, NodeRecord, Relation, RelationRecord, Source, make_id, normalise, validate_insee
from ..graph.store.base import Problem
from .loading import Load, LoadOptions, LoadReport, Lookup, checked, reason_without_value
from .tables import Row, fold_header, read_csv, suspicious_text

__all__ = ["COG_FORMATS", "cog_year", "detect_cog", "read_cog"]

COG_FORMATS: dict[str, tuple[str, ...]] = {
    "cog-region": ("reg", "cheflieu", "tncc", "ncc", "nccenr", "libelle"),
    "cog-departement": ("dep", "reg", "cheflieu", "tncc", "ncc", "nccenr", "libelle"),
    "cog-commune": ("typecom", "com", "reg", "dep", "arr", "tncc", "ncc", "nccenr", "libelle", "can", "comparent"),
}
_LEVEL = {"cog-region": "region", "cog-departement": "departement", "cog-commune": "commune"}
_SOURCE = {
    "cog-region": "insee-cog-regions",
    "cog-departement": "insee-cog-departements",
    "cog-commune": "insee-cog-communes",
}
_SUB_COMMUNES = {"ARM": "arm", "COMD": "comd", "COMA": "coma"}


def detect_cog(header: Sequence[str]) -> str | None:
    """The COG format of a header, or None.

    >>> detect_cog(["TYPECOM", "COM", "REG", "DEP", "CTCD", "ARR", "TNCC", "NCC", "NCCENR", "LIBELLE", "CAN", "COMPARENT"])
    'cog-commune'
    >>> detect_cog(["reg", "cheflieu", "tncc", "ncc", "nccenr", "libelle"])
    'cog-region'
    """
    folded = [fold_header(cell) for cell in header]
    for format_ in ("cog-commune", "cog-departement", "cog-region"):
        if set(COG_FORMATS[format_]) <= set(folded) and folded[0] == COG_FORMATS[format_][0]:
            return format_
    return None


def cog_year(path: Path, given: str | None) -> str:
    """The vintage of a COG file: ``given`` (``--cog-year``) or the year in its name.

    >>> cog_year(Path("v_commune_2024.csv"), None)
    '2024'
    """
    if given:
        if not re.fullmatch(r"(19|20)[0-9]{2}", given):
            raise UsageError(f"--cog-year {given!r} is not a year")
        return given
    match = re.search(r"(?<![0-9])((?:19|20)[0-9]{2})(?![0-9])", path.name)
    if not match:
        raise UsageError(f"{path.name}: cannot tell the COG vintage from the file name; give --cog-year")
    return match.group(1)


class _Context:
    """Nodes known to exist: in this file, in files loaded just before, or in the store."""

    def __init__(self, lookup: Lookup | None, known_ids: set[str]):
        self.lookup = lookup
        self.known_ids = known_ids
        self._stored: dict[str, Node | None] = {}

    def stored(self, node_id: str) -> Node | None:
        if node_id not in self._stored:
            found = [node for node in (self.lookup(node_id) if self.lookup else []) if node.id == node_id]
            self._stored[node_id] = found[0] if found else None
        return self._stored[node_id]

    def prefetch(self, node_ids: Iterable[str]) -> None:
        """Ask the store at once for the nodes among ``node_ids`` when the lookup can
        (``lookup.nodes(ids)``): a COG file names tens of thousands of communes."""
        at_once = getattr(self.lookup, "nodes", None)
        wanted = [node_id for node_id in node_ids if node_id not in self._stored]
        if at_once is None or not wanted:
            return
        found = at_once(wanted)
        for node_id in wanted:
            self._stored[node_id] = found.get(node_id)

    def exists(self, node_id: str) -> bool:
        return node_id in self.known_ids or self.stored(node_id) is not None


def read_cog(
    path: Path,
    format_: str,
    lookup: Lookup | None,
    contributor: str,
    options: LoadOptions,
    known_ids: set[str],
    source_name: str | None = None,
) -> Load:
    """Read one COG file into a :class:`Load` (records in memory: the largest file has 38,000 rows).

    ``known_ids`` holds ids written by the loads given before in the same
    command (régions before départements before communes); the ids of this
    file are added to it.
    """
    year = cog_year(path, options.cog_year)
    level = _LEVEL[format_]
    table = read_csv(path)
    columns = {fold_header(cell): cell for cell in table.header}
    report = LoadReport(list_set_aside=options.list_set_aside)
    context = _Context(lookup, known_ids)
    rows = list(table.rows)
    report.rows_read = len(rows)
    nodes: dict[str, NodeRecord] = {}
    relations: list[RelationRecord] = []
    missing_parents: dict[str, int] = {}
    dated: list[tuple[str, str]] = []
    sub_names: dict[str, set[str]] = {}
    if level == "commune":
        for row in rows:
            kind = row.cells.get(columns["typecom"], "").upper()
            if kind in ("COMD", "COMA"):
                sub_names.setdefault(row.cells.get(columns["com"], ""), set()).add(
                    normalise(row.cells.get(columns["libelle"], ""))
                )

    def cell(row: Row, name: str) -> str:
        return row.cells.get(columns.get(name, ""), "")

    def bad(row: Row, column: str | None, message: str) -> None:
        report.reject(
            Problem(table.name, row.line, columns.get(column, column) if column else None, message), row.cells
        )

    def set_aside(row: Row, column: str, message: str) -> None:
        report.set_aside_field(table.name, row.line, columns.get(column, column), cell(row, column), message)

    def parent_of(row: Row, column: str, level: str) -> str | None:
        """The code of a row's parent, or None (the field set aside) when it cannot be one."""
        try:
            return validate_insee(cell(row, column), level)
        except ModelError as error:
            set_aside(row, column, reason_without_value(error))
            return None

    def link(node_id: str, parent_id: str, place: str, what: str) -> None:
        if parent_id in nodes or context.exists(parent_id):
            relations.append(RelationRecord(Relation(node_id, "LOCATED_IN", parent_id), place))
        else:
            missing_parents[what] = missing_parents.get(what, 0) + 1

    for row in rows:
        if row.error:
            bad(row, row.error_column, row.error)
            continue
        if row.extra:
            bad(row, None, f"{row.extra} more cells than the header has columns")
            continue
        name = cell(row, "libelle")
        reason = suspicious_text(name)
        if reason:
            bad(row, "libelle", reason)
            continue
        if not name:
            bad(row, "libelle", "LIBELLE is empty")
            continue
        place = f"{table.name}:{row.line}"
        alias = cell(row, "nccenr")
        reason = suspicious_text(alias)
        if reason:
            set_aside(row, "nccenr", reason)
            alias = ""
        aliases = tuple(a for a in (alias,) if a and a != name)
        attrs = {"cog_year": year, "country": "FR"}
        parent_level, parent_column = "", ""
        checking = {"region": "reg", "departement": "dep", "commune": "com"}[level]
        try:
            if level == "region":
                code = validate_insee(cell(row, "reg"), "region")
                node_id = make_id("Collectivite", name, {"level": "region", "insee_code": code})
            elif level == "departement":
                code = validate_insee(cell(row, "dep"), "departement")
                node_id = make_id("Collectivite", name, {"level": "departement", "insee_code": code})
                parent_level, parent_column = "region", "reg"
            else:
                typecom = cell(row, "typecom").upper()
                code = validate_insee(cell(row, "com"), "commune")
                if typecom == "COM":
                    node_id = make_id("Collectivite", name, {"level": "commune", "insee_code": code})
                    parent_level, parent_column = "departement", "dep"
                elif typecom in _SUB_COMMUNES:
                    node_id = f"collectivite:{_SUB_COMMUNES[typecom]}-{code}"
                    parent_level, parent_column = "commune", "comparent"
                else:
                    bad(row, "typecom", f"unknown TYPECOM {typecom!r}; expected COM, ARM, COMD or COMA")
                    continue
        except ModelError as error:
            bad(row, checking, str(error))
            continue
        parent: tuple[str, str] | None = None
        if parent_level == "commune" and not cell(row, "comparent"):
            set_aside(row, "comparent", f"a {typecom} row needs COMPARENT, its parent commune")
        elif parent_level:
            found = parent_of(row, parent_column, parent_level)
            parent = (parent_level, found) if found else None
        node_level = level if not node_id.split(":")[1].startswith(("arm-", "comd-", "coma-")) else "other"
        attrs = {"level": node_level, "insee_code": code, **attrs}
        if node_id in nodes:
            bad(row, None, f"{node_id} already given on line {nodes[node_id].place.rsplit(':', 1)[1]}")
            continue
        nodes[node_id] = NodeRecord(Node(node_id, "Collectivite", name, aliases, attrs), place)
        if node_level != "other":
            dated.append((node_id, code))
        if parent:
            parent_level, parent_code = parent
            parent_id = make_id("Collectivite", parent_code, {"level": parent_level, "insee_code": parent_code})
            link(node_id, parent_id, place, f"{parent_level} {parent_code}")
    # The store is asked once for the earlier vintages of every code.
    context.prefetch(node_id for node_id, _ in dated)
    for node_id, code in dated:
        record = nodes[node_id]
        node = record.node
        aliases = _vintage_aliases(
            context.stored(node_id), node_id, node.name, node.aliases, year, sub_names.get(code, set()), report
        )
        if aliases != node.aliases:
            nodes[node_id] = NodeRecord(replace(node, aliases=aliases), record.place)
    for what, count in sorted(missing_parents.items()):
        report.notice(
            f"{table.name}: {count} LOCATED_IN link(s) to {what} left out: it is neither in the store nor in this load "
            f"(load the higher-level COG file first, or with this one)"
        )
    known_ids.update(nodes)
    report.rows_kept = len(nodes)
    records: list[NodeRecord | RelationRecord] = [*nodes.values(), *relations]
    if options.strict and report.problems:
        raise LoadError(report.problems)
    source = Source(source_name or _SOURCE[format_], format_, contributor, authoritative=False)
    return Load(source, checked(iter(records), report, options.strict), report, None, (str(path),))


def _vintage_aliases(
    stored: Node | None,
    node_id: str,
    name: str,
    aliases: tuple[str, ...],
    year: str,
    delegated_names: set[str],
    report: LoadReport,
) -> tuple[str, ...]:
    """Compare a code with what the store holds from an earlier vintage; return the aliases to give."""
    if stored is None or "cog_year" not in stored.attrs:
        return aliases
    stored_year = str(stored.attrs.get("cog_year"))
    if stored_year > year:
        report.notice(f"{node_id}: vintage {year} loaded over {stored_year}")
    if normalise(name) in {normalise(label) for label in (stored.name, *stored.aliases)}:
        return aliases
    if normalise(stored.name) in delegated_names:
        report.notice(
            f"{node_id}: code {stored.attrs.get('insee_code')} now names {name!r} (a commune nouvelle); "
            f"{stored.name!r} is its delegated or associated commune, kept apart, not as an alias"
        )
        return aliases
    report.notice(
        f"{node_id}: renamed from {stored.name!r} ({stored_year}) to {name!r} ({year}); the old name is kept as an alias"
    )
    return (*aliases, stored.name)
