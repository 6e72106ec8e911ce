"""Any spreadsheet, read through a small YAML mapping that says which column gives what.

``maillage load FILE --mapping mapping.yaml`` (or a preset name such as
``cooperation``). A mapping names the nodes one row gives, the themes and
countries it mentions, and the relations between them::

    separator: "|"                 # splits multi-valued cells (themes, countries)
    country_codes: {Kosovo: XK}    # optional: names the built-in list lacks
    nodes:
      french:                      # a handle used below
        kind: Collectivite
        name: {column: "Collectivité"}          # an exact header (folded) ...
        code: {pattern: "code insee"}           # ... or a regular expression on the folded header
        level: {column: "Type", values: {Commune: commune, Région: region}, default: other}
        attrs: {country: FR}                    # a constant
      project:
        kind: Project
        name: {pattern: "intitul"}
        attrs: {start: {pattern: "debut"}, end: {pattern: "fin"}, type: agreement}
    themes:    [{pattern: "thematique", from: project, relation: ADDRESSES, split: true}]
    countries: [{pattern: "^pays", from: project}]          # ACTS_IN unless relation says otherwise
    relations: [{source: french, type: TAKES_PART_IN, role: lead, target: project}]

Headers are folded (lower case, accents and spacing removed) before matching.
``code`` is the official code: ``insee_code`` of a collectivité (``siren`` for
an EPCI), ``rna_id`` of an association, ``country`` of a country; the node id
then comes from it (``collectivite:com-92050``), so mapped rows meet the COG,
the RNA and the workbook on the same nodes. A row whose node has no name
simply gives no such node (nor its relations); a value that breaks the model
(a bad code, an unknown country, a date that is not one) rejects the row with
its line and column. Dates written ``DD/MM/YYYY`` are turned into ISO form.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..graph.errors import LoadError, ModelError, UsageError
from ..graph.model import (
    KINDS,
    RELATION_TYPES,
    Node,
    NodeRecord,
    Relation,
    RelationRecord,
    Source,
    check_attribute,
    check_relation,
    make_id,
    normalise,
    validate_insee,
)
from ..graph.store.base import Problem
from .countries import country_code
from .loading import Load, LoadOptions, LoadReport, checked
from .tables import Table, fold_header, read_csv, read_xlsx_sheets, suspicious_text

__all__ = ["PRESETS", "Mapping", "detect_preset", "load_mapping", "mapped_table", "read_mapped"]

PRESETS: tuple[str, ...] = ("cooperation",)


@dataclass
class FieldSpec:
    """Where a value comes from: a constant, or a column found by name or pattern."""

    constant: str | None = None
    column: str | None = None
    pattern: str | None = None
    values: dict[str, str] = field(default_factory=dict)
    default: str | None = None
    split: bool = False

    def find(self, header: Sequence[str]) -> str | None:
        """The header cell this spec reads, or None."""
        if self.constant is not None:
            return None
        for cell in header:
            folded = fold_header(cell)
            if self.column is not None and folded == fold_header(self.column):
                return cell
            if self.pattern is not None and re.search(self.pattern, folded):
                return cell
        return None


@dataclass
class NodeSpec:
    key: str
    kind: str
    name: FieldSpec
    code: FieldSpec | None = None
    level: FieldSpec | None = None
    aliases: FieldSpec | None = None
    attrs: dict[str, FieldSpec] = field(default_factory=dict)


@dataclass
class LinkSpec:
    """A themes or countries entry: a column, the node it hangs from, the relation."""

    where: FieldSpec
    source: str
    relation: str


@dataclass
class Mapping:
    """A parsed mapping file."""

    name: str
    separator: str
    nodes: dict[str, NodeSpec]
    themes: list[LinkSpec]
    countries: list[LinkSpec]
    relations: list[tuple[str, str, str, str]]
    country_codes: dict[str, str]
    detect: tuple[str, ...]


def _field(value: Any, where: str) -> FieldSpec:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return FieldSpec(constant=str(value))
    if not isinstance(value, dict) or not ({"column", "pattern"} & set(value)):
        raise UsageError(f"{where}: give a constant, {{column: HEADER}} or {{pattern: REGEX}}")
    if "pattern" in value:
        try:
            re.compile(str(value["pattern"]))
        except re.error as error:
            raise UsageError(f"{where}: bad pattern {value['pattern']!r}: {error}") from None
    unknown = set(value) - {"column", "pattern", "values", "default", "split", "from", "relation"}
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    return FieldSpec(
        column=str(value["column"]) if "column" in value else None,
        pattern=str(value["pattern"]) if "pattern" in value else None,
        values={normalise(str(k)): str(v) for k, v in (value.get("values") or {}).items()},
        default=str(value["default"]) if value.get("default") is not None else None,
        split=bool(value.get("split", False)),
    )


def load_mapping(reference: str) -> Mapping:
    """Read a mapping from a YAML file, or a preset by name (``cooperation``)."""
    if reference in PRESETS:
        text = (resources.files(__package__) / "presets" / f"{reference}.yaml").read_text(encoding="utf-8")
        origin = f"preset {reference}"
    else:
        path = Path(reference)
        if not path.is_file():
            raise UsageError(f"--mapping {reference}: no such file, and not a preset ({', '.join(PRESETS)})")
        text = path.read_text(encoding="utf-8-sig")
        origin = str(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{origin}:{mark.line + 1}:{mark.column + 1}" if mark is not None else origin
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise UsageError(f"{where}: not valid YAML: {problem}") from None
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), dict) or not data["nodes"]:
        raise UsageError(f"{origin}: a mapping needs a 'nodes' section naming at least one node")
    nodes: dict[str, NodeSpec] = {}
    for key, spec in data["nodes"].items():
        where = f"{origin}: nodes.{key}"
        if not isinstance(spec, dict) or spec.get("kind") not in KINDS or "name" not in spec:
            raise UsageError(f"{where}: needs 'kind' (one of {', '.join(KINDS)}) and 'name'")
        nodes[str(key)] = NodeSpec(
            str(key),
            spec["kind"],
            _field(spec["name"], f"{where}.name"),
            _field(spec["code"], f"{where}.code") if "code" in spec else None,
            _field(spec["level"], f"{where}.level") if "level" in spec else None,
            _field(spec["aliases"], f"{where}.aliases") if "aliases" in spec else None,
            {str(k): _field(v, f"{where}.attrs.{k}") for k, v in (spec.get("attrs") or {}).items()},
        )

    def links(section: str, default_relation: str) -> list[LinkSpec]:
        out = []
        for number, entry in enumerate(data.get(section) or [], start=1):
            where = f"{origin}: {section}[{number}]"
            if not isinstance(entry, dict) or entry.get("from") not in nodes:
                raise UsageError(f"{where}: 'from' must name a node of the mapping ({', '.join(nodes)})")
            relation = str(entry.get("relation", default_relation))
            if relation not in RELATION_TYPES:
                raise UsageError(f"{where}: unknown relation {relation!r}")
            out.append(LinkSpec(_field(entry, where), entry["from"], relation))
        return out

    relations = []
    for number, entry in enumerate(data.get("relations") or [], start=1):
        where = f"{origin}: relations[{number}]"
        if not isinstance(entry, dict) or entry.get("source") not in nodes or entry.get("target") not in nodes:
            raise UsageError(f"{where}: 'source' and 'target' must name nodes of the mapping ({', '.join(nodes)})")
        type_, role = str(entry.get("type", "")), str(entry.get("role", "") or "")
        try:
            check_relation(type_, nodes[entry["source"]].kind, nodes[entry["target"]].kind, role)
        except ModelError as error:
            raise UsageError(f"{where}: {error}") from None
        relations.append((entry["source"], type_, entry["target"], role))
    return Mapping(
        str(data.get("name") or origin),
        str(data.get("separator") or "|"),
        nodes,
        links("themes", "WORKS_ON"),
        links("countries", "ACTS_IN"),
        relations,
        {normalise(str(k)): str(v) for k, v in (data.get("country_codes") or {}).items()},
        tuple(data.get("detect") or ()),
    )


def mapped_table(path: Path) -> Table:
    """The table a mapped load reads: a CSV file, or the first sheet of an ``.xlsx``."""
    if path.suffix.lower() == ".xlsx":
        sheets = read_xlsx_sheets(path)
        if not sheets:
            raise UsageError(f"{path}: the workbook has no sheet")
        return next(iter(sheets.values()))
    return read_csv(path)


def detect_preset(header: Sequence[str]) -> str | None:
    """The preset whose ``detect`` nodes all find their name column in ``header``, or None."""
    for preset in PRESETS:
        mapping = load_mapping(preset)
        if mapping.detect and all(mapping.nodes[key].name.find(header) for key in mapping.detect):
            return preset
    return None


def _column_use(mapping: Mapping, header: Sequence[str]) -> dict[str, list[str]]:
    use: dict[str, list[str]] = {}

    def mark(spec: FieldSpec | None, what: str) -> None:
        column = spec.find(header) if spec else None
        if column:
            use.setdefault(column, []).append(what)

    for key, node in mapping.nodes.items():
        mark(node.name, f"{key}.name")
        mark(node.code, f"{key}.code")
        mark(node.level, f"{key}.level")
        mark(node.aliases, f"{key}.aliases")
        for attr, spec in node.attrs.items():
            mark(spec, f"{key}.{attr}")
    for section, entries in (("themes", mapping.themes), ("countries", mapping.countries)):
        for entry in entries:
            mark(entry.where, f"{section} ({entry.relation} from {entry.source})")
    return use


_DMY = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")


def _value(
    spec: FieldSpec, cells: dict[str, str], header: Sequence[str], columns: dict[int, str | None]
) -> tuple[str, str | None]:
    """A spec's value in a row and the column it came from."""
    if spec.constant is not None:
        return spec.constant, None
    column = columns.setdefault(id(spec), spec.find(header))
    raw = cells.get(column, "") if column else ""
    if spec.values:
        raw = (
            spec.values.get(normalise(raw), spec.default if spec.default is not None else raw)
            if raw
            else (spec.default or "")
        )
    elif not raw and spec.default is not None:
        raw = spec.default
    return raw, column


def read_mapped(
    path: Path,
    mapping_reference: str,
    contributor: str,
    options: LoadOptions,
    known_ids: set[str],
    source_name: str | None = None,
) -> Load:
    """Read a spreadsheet through a mapping into a :class:`Load`."""
    mapping = load_mapping(mapping_reference)
    table = mapped_table(path)
    header = table.header
    report = LoadReport()
    use = _column_use(mapping, header)
    report.columns_used = {column: ", ".join(what) for column, what in use.items()}
    report.columns_ignored = [cell for cell in header if cell and cell not in use]
    for key, node in mapping.nodes.items():
        if node.name.constant is None and not node.name.find(header):
            report.notice(
                f"{table.name}: no column gives the name of {key!r} ({node.name.column or node.name.pattern}); no {key} node"
            )
    columns: dict[int, str | None] = {}
    nodes: dict[str, NodeRecord] = {}
    relations: dict[tuple, RelationRecord] = {}
    for row in table.rows:
        report.rows_read += 1
        row_problems: list[Problem] = []

        def bad(column: str | None, message: str) -> None:
            row_problems.append(Problem(table.name, row.line, column, message))

        if row.error:
            report.reject(Problem(table.name, row.line, row.error_column, row.error), row.cells)
            continue
        for column, value in row.cells.items():
            if value and (reason := suspicious_text(value)):
                bad(column, reason)
        place = f"{table.name}:{row.line}"
        row_nodes: dict[str, Node] = {}
        for key, spec in mapping.nodes.items():
            node = _node(spec, row.cells, header, columns, mapping, bad)
            if node is not None:
                row_nodes[key] = node
        row_relations: list[Relation] = []
        for source_key, type_, target_key, role in mapping.relations:
            if source_key in row_nodes and target_key in row_nodes:
                row_relations.append(Relation(row_nodes[source_key].id, type_, row_nodes[target_key].id, role))
        extra_nodes: list[Node] = []
        for entry in mapping.themes + mapping.countries:
            if entry.source not in row_nodes:
                continue
            raw, column = _value(entry.where, row.cells, header, columns)
            items = (
                [v.strip() for v in raw.split(mapping.separator)]
                if entry.where.split or entry in mapping.countries
                else [raw.strip()]
            )
            for item in filter(None, items):
                if entry in mapping.themes:
                    target = Node(make_id("Theme", item), "Theme", item)
                else:
                    code = country_code(item, mapping.country_codes)
                    if code is None:
                        bad(
                            column,
                            f"unknown country {item!r}: write its ISO code, or add it under country_codes in the mapping",
                        )
                        continue
                    target = Node(f"country:{code.lower()}", "Country", item, (), {"country": code})
                try:
                    check_relation(entry.relation, row_nodes[entry.source].kind, target.kind)
                except ModelError as error:
                    bad(column, str(error))
                    continue
                extra_nodes.append(target)
                row_relations.append(Relation(row_nodes[entry.source].id, entry.relation, target.id))
        if row_problems:
            for problem in row_problems:
                report.reject(problem, row.cells)
            continue
        report.rows_kept += 1
        for node in [*row_nodes.values(), *extra_nodes]:
            nodes.setdefault(node.id, NodeRecord(node, place))
        for relation in row_relations:
            relations.setdefault(relation.key, RelationRecord(relation, place))
    if options.strict and report.problems:
        raise LoadError(report.problems)
    known_ids.update(nodes)
    source = Source(source_name or path.name, f"mapped:{mapping.name}", contributor)
    records = [*nodes.values(), *relations.values()]
    return Load(source, checked(iter(records), report, options.strict), report, None, (str(path),))


def _node(spec: NodeSpec, cells, header, columns, mapping: Mapping, bad) -> Node | None:
    name, _ = _value(spec.name, cells, header, columns)
    if not name:
        return None
    attrs: dict[str, Any] = {}
    for attr, field_spec in spec.attrs.items():
        value, column = _value(field_spec, cells, header, columns)
        if not value:
            continue
        if attr in ("start", "end", "date") and (match := _DMY.fullmatch(value)):
            value = f"{match.group(3)}-{int(match.group(2)):02d}-{int(match.group(1)):02d}"
        if attr in ("country", "countries"):
            items = [v.strip() for v in value.split(mapping.separator) if v.strip()]
            codes = [country_code(item, mapping.country_codes) for item in items]
            if None in codes:
                bad(
                    column,
                    f"unknown country {items[codes.index(None)]!r}: write its ISO code, or add it under country_codes",
                )
                continue
            value = codes[0] if attr == "country" else codes
        elif field_spec.split and attr != "countries":
            value = [v.strip() for v in value.split(mapping.separator) if v.strip()]
        try:
            attrs[attr] = check_attribute(spec.kind, attr, value)
        except ModelError as error:
            bad(column, str(error))
    if spec.level is not None:
        level, column = _value(spec.level, cells, header, columns)
        if level:
            try:
                attrs["level"] = check_attribute(spec.kind, "level", level)
            except ModelError as error:
                bad(column, str(error))
    if spec.code is not None:
        code, column = _value(spec.code, cells, header, columns)
        if code:
            try:
                attrs.update(_code_attrs(spec.kind, attrs.get("level"), code))
            except ModelError as error:
                bad(column, str(error))
    aliases: tuple[str, ...] = ()
    if spec.aliases is not None:
        raw, _ = _value(spec.aliases, cells, header, columns)
        aliases = tuple(a.strip() for a in raw.split(mapping.separator) if a.strip() and a.strip() != name)
    try:
        node_id = make_id(spec.kind, name, attrs)
    except ModelError as error:
        bad(None, str(error))
        return None
    return Node(node_id, spec.kind, name, aliases, attrs)


def _code_attrs(kind: str, level: str | None, code: str) -> dict[str, str]:
    code = code.strip().upper()
    if kind == "Collectivite" and level == "epci":
        return {"siren": check_attribute(kind, "siren", code)}
    if kind == "Collectivite":
        if level in ("region", "departement", "commune"):
            validate_insee(code, level)
        return {"insee_code": code}
    if kind == "Association":
        return {"rna_id": check_attribute(kind, "rna_id", code)}
    if kind == "Country":
        return {"country": check_attribute(kind, "country", code)}
    raise ModelError(f"a {kind} has no official code")
