"""BANATIC, the national base of intercommunalities: perimeters of EPCI à fiscalité propre.

The published "périmètre des EPCI à fiscalité propre" file is tab-separated
cp1252 text behind an ``.xls`` name, one row per (EPCI, member): ``N° SIREN``,
``Nom du groupement``, ``Nature juridique``, ..., ``Type``, ``Siren membre``,
``Nom membre``. Some exports suffix headers with the year (``Nature juridique
2023``); headers are matched by pattern.

Each EPCI becomes a ``Collectivite`` of level ``epci`` with its ``siren`` and
``nature`` (CA, CC, CU, METRO, MET69, EPT), id ``collectivite:epci-200054781``.
Each member commune is tied to it by ``MEMBER_OF``: through the commune
SIREN↔INSEE table when one is given (``--siren-table``), else by the member's
name and département among the communes already in the store (load the COG
first). A member that cannot be found is left out with a notice, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from ..graph.errors import LoadError, ModelError, UsageError
from ..graph.model import Node, NodeRecord, Relation, RelationRecord, Source, make_id, normalise, validate_siren
from ..graph.store.base import Problem
from .loading import Load, LoadOptions, LoadReport, Lookup, checked
from .tables import Table, fold_header, read_csv, suspicious_text

__all__ = ["BANATIC_COLUMNS", "detect_banatic", "read_banatic", "read_siren_table"]

_YEAR = r"(?:\s*[0-9]{4})?"
#: field -> pattern on the folded header (year suffixes allowed)
BANATIC_COLUMNS: dict[str, str] = {
    "siren": rf"^n[°o]?\s*siren{_YEAR}$",
    "name": rf"^(nom du groupement|raison sociale){_YEAR}$",
    "nature": rf"^nature juridique{_YEAR}$",
    "member_type": rf"^type{_YEAR}$",
    "member_siren": rf"^siren membre{_YEAR}$",
    "member_name": rf"^nom membre{_YEAR}$",
    "member_departement": rf"^(departement|dept?) (membre|commune membre){_YEAR}$",
}
_REQUIRED = ("siren", "name", "nature", "member_siren", "member_name")
_NATURES = {"CA", "CC", "CU", "METRO", "MET69", "EPT", "SAN"}
_OLE2 = b"\xd0\xcf\x11\xe0"


def _match_columns(header: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for cell in header:
        folded = fold_header(cell)
        for field, pattern in BANATIC_COLUMNS.items():
            if field not in found and re.match(pattern, folded):
                found[field] = cell
    return found


def detect_banatic(header: Sequence[str]) -> bool:
    """True when a header is a BANATIC perimeter file's.

    >>> detect_banatic(["N° SIREN", "Nom du groupement", "Nature juridique 2023", "Siren membre 2023", "Nom membre"])
    True
    """
    return set(_REQUIRED) <= set(_match_columns(header))


def read_siren_table(path: Path) -> dict[str, str]:
    """Commune SIREN → INSEE code, from a table with a SIREN column and an INSEE code column."""
    table = read_csv(path)
    siren_column = next((c for c in table.header if re.search(r"siren", fold_header(c))), None)
    insee_column = next(
        (c for c in table.header if re.search(r"insee|^cog$|code.?commune|depcom", fold_header(c))), None
    )
    if not siren_column or not insee_column:
        raise UsageError(
            f"{path}: a SIREN↔INSEE table needs a SIREN column and an INSEE code column (found: {', '.join(table.header)})"
        )
    return {row.cells[siren_column]: row.cells[insee_column] for row in table.rows if row.cells.get(siren_column)}


def _open(path: Path) -> Table:
    with open(path, "rb") as stream:
        if stream.read(4) == _OLE2:
            raise UsageError(f"{path}: a binary Excel 97 file; open it and save it as .xlsx or tab-separated text")
    return read_csv(path)


def read_banatic(
    path: Path,
    lookup: Lookup | None,
    contributor: str,
    options: LoadOptions,
    known_ids: set[str],
    source_name: str | None = None,
) -> Load:
    """Read a BANATIC perimeter file into a :class:`Load`."""
    table = _open(path)
    columns = _match_columns(table.header)
    report = LoadReport(list_set_aside=options.list_set_aside)
    report.columns_used = {column: field for field, column in columns.items()}
    sirens = read_siren_table(options.siren_table) if options.siren_table else {}
    epcis: dict[str, NodeRecord] = {}
    relations: dict[tuple, RelationRecord] = {}
    unresolved: list[str] = []
    other_members: list[str] = []
    by_name: dict[tuple[str, str], list[Node]] = {}

    # The communes of the SIREN table are asked of the store at once, when the lookup can.
    at_once = getattr(lookup, "existing", None)
    stored_communes = at_once({f"collectivite:com-{code}" for code in sirens.values()}) if at_once else None

    def commune_by_code(code: str) -> str | None:
        node_id = f"collectivite:com-{code}"
        if node_id in known_ids:
            return node_id
        if stored_communes is not None:
            return node_id if node_id in stored_communes else None
        found = [n for n in (lookup(node_id) if lookup else []) if n.id == node_id]
        return node_id if found else None

    def commune_by_name(name: str, departement: str) -> list[Node]:
        key = (normalise(name), departement)
        if key not in by_name:
            candidates = [
                n
                for n in (lookup(name) if lookup else [])
                if n.kind == "Collectivite"
                and n.attrs.get("level") == "commune"
                and (not departement or str(n.attrs.get("insee_code", "")).startswith(departement))
            ]
            by_name[key] = candidates
        return by_name[key]

    for row in table.rows:
        report.rows_read += 1
        cells = {field: row.cells.get(column, "") for field, column in columns.items()}

        def bad(field: str | None, message: str) -> None:
            report.reject(
                Problem(table.name, row.line, columns.get(field, field) if field else None, message), row.cells
            )

        def set_aside(field: str, message: str) -> None:
            report.set_aside_field(table.name, row.line, columns.get(field, field), cells[field], message)
            cells[field] = ""

        if row.error:
            bad(row.error_column, row.error)
            continue
        # The EPCI's SIREN is its id and its name its name: without them the row gives no EPCI.
        damaged = next(((f, r) for f in ("siren", "name") if (r := suspicious_text(cells[f]))), None)
        if damaged:
            bad(*damaged)
            continue
        for field_name, value in list(cells.items()):
            if value and (reason := suspicious_text(value)):
                set_aside(field_name, reason)
        try:
            siren = validate_siren(cells["siren"])
        except ModelError as error:
            bad("siren", str(error))
            continue
        if not cells["name"]:
            bad("name", "the EPCI's name is empty")
            continue
        nature = cells["nature"].upper()
        if nature and nature not in _NATURES:
            set_aside("nature", f"unknown nature juridique; expected one of {', '.join(sorted(_NATURES))}")
            nature = ""
        place = f"{table.name}:{row.line}"
        attrs = {"level": "epci", "siren": siren, "country": "FR"} | ({"nature": nature} if nature else {})
        epci_id = make_id("Collectivite", cells["name"], attrs)
        if epci_id not in epcis:
            epcis[epci_id] = NodeRecord(Node(epci_id, "Collectivite", cells["name"], (), attrs), place)
        member_type = normalise(cells.get("member_type", "commune") or "commune")
        if member_type != "commune":
            other_members.append(f"{cells['member_name']} ({cells['member_type']})")
            continue
        member_id = None
        insee = sirens.get(cells["member_siren"])
        if insee:
            member_id = commune_by_code(insee)
        if member_id is None and cells["member_name"]:
            candidates = commune_by_name(cells["member_name"], cells.get("member_departement", ""))
            if len(candidates) == 1:
                member_id = candidates[0].id
            elif len(candidates) > 1:
                unresolved.append(f"{cells['member_name']} (ambiguous: {', '.join(n.id for n in candidates)})")
                continue
        if member_id is None:
            unresolved.append(f"{cells['member_name']} ({cells['member_siren']})")
            continue
        relation = Relation(member_id, "MEMBER_OF", epci_id)
        relations.setdefault(relation.key, RelationRecord(relation, place))
    if unresolved:
        report.notice(
            f"{table.name}: {len(unresolved)} member commune(s) not found in the store, MEMBER_OF left out "
            f"(load the COG communes first, or give --siren-table): {', '.join(unresolved[:10])}"
            + (" ..." if len(unresolved) > 10 else "")
        )
    if other_members:
        report.notice(
            f"{table.name}: {len(other_members)} member(s) that are not communes left out: {', '.join(other_members[:10])}"
            + (" ..." if len(other_members) > 10 else "")
        )
    report.rows_kept = report.rows_read - len(report.problems)
    if options.strict and report.problems:
        raise LoadError(report.problems)
    known_ids.update(epcis)
    source = Source(source_name or "banatic-epci", "banatic", contributor)
    records = [*epcis.values(), *relations.values()]
    return Load(source, checked(iter(records), report, options.strict), report, None, (str(path),))
