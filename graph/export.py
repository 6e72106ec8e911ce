"""Exports: JSON and CSV with provenance, GEXF and GraphML for Gephi, Cypher for a bare Neo4j.

The JSON export carries every source as the batch that would recreate it (name,
format, contributor, time, authoritative flag, node claims with their places,
relation claims), so ``maillage load FILE.json`` into an empty store gives the
same graph with the same provenance. :func:`read_export` reads it back, checking
every kind, relation type, id and attribute against the closed model.

The CSV export is the hand-filled workbook (``actors.csv`` and ``relations.csv``)
with a ``sources`` column; ``maillage load`` reads it back as one source.

Person nodes and personal attributes (:data:`maillage.graph.model.ATTRIBUTES`
entries marked ``personal``) are left out unless ``include_personal`` is true.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import networkx as nx

from .analysis.centrality import betweenness, degree, pagerank
from .errors import LoadError, MaillageError, UsageError
from .model import (
    ATTRIBUTES,
    MULTI_VALUE_SEPARATOR,
    RELATION_ATTRIBUTES,
    Batch,
    Node,
    NodeRecord,
    Relation,
    RelationRecord,
    Source,
    check_attribute,
    check_kind,
    check_node_id,
    check_relation,
    check_relation_type,
)
from .store.base import GraphStore, Problem, resolve_one

__all__ = [
    "EXPORT_FORMATS",
    "JSON_MARKER",
    "Selection",
    "batch_from_dict",
    "batch_to_dict",
    "cypher_string",
    "export_batches",
    "export_csv",
    "export_cypher",
    "export_gexf",
    "export_graph",
    "export_graphml",
    "export_json",
    "is_export",
    "read_export",
    "select",
    "write_export",
]

EXPORT_FORMATS: tuple[str, ...] = ("json", "csv", "gexf", "graphml", "cypher")
JSON_MARKER = "maillage-export"
JSON_VERSION = 1
PERSON_KINDS = ("Person",)


# --------------------------------------------------------------------------- batches as JSON


def batch_to_dict(batch: Batch) -> dict[str, Any]:
    """A batch as JSON-able data: the source's fields, node claims and relation claims.

    >>> from maillage.graph.model import Batch, Source, Node, NodeRecord
    >>> batch = Batch(Source("demo", "workbook", "ana", "2026-01-01T00:00:00+00:00"),
    ...               [NodeRecord(Node("theme:paix", "Theme", "Paix"), "actors.csv:2")])
    >>> batch_from_dict(batch_to_dict(batch)) == batch
    True
    """
    source = batch.source
    return {
        "name": source.name,
        "format": source.format,
        "contributor": source.contributor,
        "at": source.at,
        "authoritative": source.authoritative,
        "nodes": [
            {
                "id": record.node.id,
                "kind": record.node.kind,
                "name": record.node.name,
                "aliases": list(record.node.aliases),
                "attrs": dict(record.node.attrs),
                "place": record.place,
            }
            for record in batch.nodes
        ],
        "relations": [
            {
                "source": record.relation.source,
                "type": record.relation.type,
                "target": record.relation.target,
                "role": record.relation.role,
                "attrs": dict(record.relation.attrs),
                "place": record.place,
            }
            for record in batch.relations
        ],
    }


def batch_from_dict(data: Mapping[str, Any]) -> Batch:
    """The batch :func:`batch_to_dict` wrote (no checks: for data this package wrote itself)."""
    source = Source(data["name"], data["format"], data["contributor"], data["at"], bool(data.get("authoritative")))
    nodes = [
        NodeRecord(
            Node(n["id"], n["kind"], n["name"], tuple(n.get("aliases", ())), dict(n.get("attrs", {}))), n["place"]
        )
        for n in data.get("nodes", ())
    ]
    relations = [
        RelationRecord(
            Relation(r["source"], r["type"], r["target"], r.get("role", ""), dict(r.get("attrs", {}))), r["place"]
        )
        for r in data.get("relations", ())
    ]
    return Batch(source, nodes, relations)


# --------------------------------------------------------------------------- selection


@dataclass(frozen=True)
class Selection:
    """Which part of the graph to export.

    ``node_ids`` None means every node; ``include_personal`` keeps Person nodes
    and personal attributes.
    """

    node_ids: frozenset[str] | None = None
    include_personal: bool = False

    def keeps(self, node_id: str, kind: str) -> bool:
        """True when the node is exported."""
        if kind in PERSON_KINDS and not self.include_personal:
            return False
        return self.node_ids is None or node_id in self.node_ids

    def attrs(self, attrs: Mapping[str, Any]) -> dict[str, Any]:
        """The attributes that are exported."""
        if self.include_personal:
            return dict(attrs)
        return {k: v for k, v in attrs.items() if not (k in ATTRIBUTES and ATTRIBUTES[k].personal)}


def select(
    store: GraphStore,
    kinds: Sequence[str] = (),
    themes: Sequence[str] = (),
    focus: Sequence[str] = (),
    depth: int = 1,
    include_personal: bool = False,
) -> Selection:
    """The nodes an export keeps: of ``kinds``, tied to one of ``themes``, within
    ``depth`` relations of ``focus`` (every condition given must hold).

    Themes and focus actors are references (id, name or alias).
    """
    chosen: set[str] | None = None

    def narrow(ids: set[str]) -> None:
        nonlocal chosen
        chosen = ids if chosen is None else chosen & ids

    if kinds:
        narrow({node.id for kind in kinds for node in store.nodes(check_kind(kind))})
    if themes:
        theme_ids = [resolve_one(theme, store.find(theme)).id for theme in themes]
        narrow(store.neighbourhood(theme_ids, 1))
    if focus:
        focus_ids = [resolve_one(actor, store.find(actor)).id for actor in focus]
        narrow(store.neighbourhood(focus_ids, depth))
    return Selection(None if chosen is None else frozenset(chosen), include_personal)


def export_batches(store: GraphStore, selection: Selection = Selection()) -> Iterator[Batch]:
    """Every source's batch, cut to the selection: claims about nodes left out go,
    relation claims go unless both ends are kept."""
    kinds: dict[str, str] = {}
    batches = list(store.dump())
    for batch in batches:
        for record in batch.nodes:
            kinds[record.node.id] = record.node.kind
    for batch in batches:
        nodes = [
            replace(record, node=replace(record.node, attrs=selection.attrs(record.node.attrs)))
            for record in batch.nodes
            if selection.keeps(record.node.id, record.node.kind)
        ]
        relations = [
            record
            for record in batch.relations
            if all(selection.keeps(end, kinds.get(end, "")) for end in (record.relation.source, record.relation.target))
        ]
        yield Batch(batch.source, nodes, relations)


# --------------------------------------------------------------------------- JSON


def export_json(store: GraphStore, selection: Selection = Selection()) -> str:
    """The JSON export: every source's claims with their provenance."""
    payload = {
        "format": JSON_MARKER,
        "version": JSON_VERSION,
        "sources": [batch_to_dict(batch) for batch in export_batches(store, selection)],
    }
    return json.dumps(payload, ensure_ascii=False, indent=1) + "\n"


def is_export(path: Path) -> bool:
    """True when ``path`` is a maillage JSON export."""
    path = Path(path)
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    with path.open("rb") as stream:
        head = stream.read(4096).decode("utf-8", errors="replace")
    return f'"format": "{JSON_MARKER}"' in head or f'"format":"{JSON_MARKER}"' in head


def read_export(path: Path) -> list[Batch]:
    """Read a JSON export back into batches, one per source, in load order.

    Every kind, relation type, id, role and attribute is checked against the
    closed model; every problem is reported (file, JSON path, message) in one
    :class:`LoadError`.
    """
    path = Path(path)
    name = path.name
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise LoadError([Problem(name, getattr(error, "lineno", None), None, f"not a JSON file: {error}")]) from None
    if not isinstance(payload, dict) or payload.get("format") != JSON_MARKER:
        raise UsageError(f'{name}: not a maillage export (no "format": "{JSON_MARKER}")')
    if payload.get("version") != JSON_VERSION:
        raise UsageError(
            f"{name}: export version {payload.get('version')!r} is not supported (expected {JSON_VERSION})"
        )
    problems: list[Problem] = []
    batches: list[Batch] = []
    sources = payload.get("sources")
    if not isinstance(sources, list):
        raise LoadError([Problem(name, None, "sources", "expected a list of sources")])
    kinds: dict[str, str] = {}
    for s_index, data in enumerate(sources):
        where = f"sources[{s_index}]"
        try:
            batch = batch_from_dict(data)
        except (KeyError, TypeError, AttributeError) as error:
            problems.append(Problem(name, None, where, f"malformed source: missing or wrong field {error}"))
            continue
        for n_index, record in enumerate(batch.nodes):
            node = record.node
            spot = f"{where}.nodes[{n_index}]"
            try:
                check_kind(node.kind)
                check_node_id(node.id, node.kind)
                for key, value in node.attrs.items():
                    check_attribute(node.kind, key, value)
                kinds[node.id] = node.kind
            except MaillageError as error:
                problems.append(Problem(name, None, spot, str(error)))
        batches.append(batch)
    for s_index, batch in enumerate(batches):
        for r_index, record in enumerate(batch.relations):
            relation = record.relation
            spot = f"sources[{s_index}].relations[{r_index}]"
            try:
                check_relation_type(relation.type)
                ends = [kinds.get(relation.source), kinds.get(relation.target)]
                if None not in ends:
                    check_relation(relation.type, ends[0], ends[1], relation.role)
                for key, value in relation.attrs.items():
                    if key not in RELATION_ATTRIBUTES:
                        raise MaillageError(f"unknown relation attribute {key!r}")
                    RELATION_ATTRIBUTES[key](value)
            except MaillageError as error:
                problems.append(Problem(name, None, spot, str(error)))
    if problems:
        raise LoadError(problems)
    return batches


# --------------------------------------------------------------------------- CSV (workbook)


def _csv_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return f" {MULTI_VALUE_SEPARATOR} ".join(str(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return "" if value is None else str(value)


def _provenance(claims: Iterable[tuple[str, str]]) -> str:
    return f" {MULTI_VALUE_SEPARATOR} ".join(f"{source} ({place})" for source, place in claims)


def export_csv(store: GraphStore, selection: Selection = Selection()) -> tuple[str, str]:
    """The workbook tables ``(actors.csv, relations.csv)`` with a ``sources`` column
    citing each asserting source and place."""
    node_claims: dict[str, list[tuple[str, str]]] = {}
    relation_claims: dict[tuple, list[tuple[str, str]]] = {}
    for batch in export_batches(store, selection):
        for record in batch.nodes:
            node_claims.setdefault(record.node.id, []).append((batch.source.name, record.place))
        for record in batch.relations:
            relation_claims.setdefault(record.relation.key, []).append((batch.source.name, record.place))
    nodes = [node for node in store.nodes() if node.id in node_claims]
    used = [key for key in ATTRIBUTES if any(key in selection.attrs(node.attrs) for node in nodes)]
    actors = io.StringIO()
    writer = csv.writer(actors, lineterminator="\n")
    writer.writerow(["id", "kind", "name", "aliases", *used, "sources"])
    for node in nodes:
        attrs = selection.attrs(node.attrs)
        writer.writerow(
            [
                node.id,
                node.kind,
                node.name,
                _csv_text(list(node.aliases)),
                *(_csv_text(attrs.get(key)) for key in used),
                _provenance(node_claims[node.id]),
            ]
        )
    relations = io.StringIO()
    writer = csv.writer(relations, lineterminator="\n")
    writer.writerow(["source", "type", "target", "role", "start", "end", "note", "sources"])
    for relation in store.relations():
        if relation.key in relation_claims and relation.source in node_claims and relation.target in node_claims:
            writer.writerow(
                [
                    relation.source,
                    relation.type,
                    relation.target,
                    relation.role,
                    *(_csv_text(relation.attrs.get(key)) for key in ("start", "end", "note")),
                    _provenance(relation_claims[relation.key]),
                ]
            )
    return actors.getvalue(), relations.getvalue()


# --------------------------------------------------------------------------- GEXF / GraphML


def _graph_file_value(value: Any) -> str | int | float | bool:
    if isinstance(value, (bool, int)) or (isinstance(value, float) and math.isfinite(value)):
        return value
    return _csv_text(value)


def export_graph(store: GraphStore, selection: Selection = Selection()) -> nx.MultiDiGraph:
    """The selected graph with plain attribute values (lists joined with `` | ``,
    dicts as JSON) and metrics ``degree``, ``betweenness`` and ``pagerank``, ready
    for the GEXF and GraphML writers. Nodes carry ``label`` (the name) and
    ``kind``; edges carry ``relation`` (the type), ``role`` and ``label``."""
    ids = [node.id for node in store.nodes() if selection.keeps(node.id, node.kind)]
    graph = store.to_networkx(node_ids=ids)
    metrics = {"degree": degree(graph), "betweenness": betweenness(graph), "pagerank": pagerank(graph)}
    plain = nx.MultiDiGraph()
    for node_id, data in graph.nodes(data=True):
        attrs = {key: _graph_file_value(value) for key, value in selection.attrs(data).items() if value is not None}
        attrs["label"] = data.get("name", node_id)
        attrs.update({name: values.get(node_id, 0) for name, values in metrics.items()})
        plain.add_node(node_id, **attrs)
    for source, target, key, data in graph.edges(keys=True, data=True):
        # GEXF reserves an edge's "type" for directed/undirected: the relation type goes in "relation".
        attrs = {name: _graph_file_value(value) for name, value in data.items() if value is not None and name != "type"}
        attrs["relation"] = data["type"]
        attrs["label"] = key
        plain.add_edge(source, target, key=key, id=f"{source}|{key}|{target}", **attrs)
    return plain


def export_gexf(store: GraphStore, selection: Selection = Selection()) -> str:
    """A GEXF 1.2 file (Gephi) of the selected graph, kinds and metrics as attributes."""
    buffer = io.BytesIO()
    nx.write_gexf(export_graph(store, selection), buffer)
    return buffer.getvalue().decode("utf-8")


def export_graphml(store: GraphStore, selection: Selection = Selection()) -> str:
    """A GraphML file of the selected graph, kinds and metrics as attributes."""
    graph = export_graph(store, selection)
    for _u, _v, data in graph.edges(data=True):
        data.pop("id", None)
    buffer = io.BytesIO()
    nx.write_graphml(graph, buffer)
    return buffer.getvalue().decode("utf-8")


# --------------------------------------------------------------------------- Cypher

_CYPHER_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def cypher_string(text: str) -> str:
    """A Cypher string literal holding ``text`` exactly.

    Backslashes and quotes are escaped, control and line-separator characters
    written as ``\\uXXXX``, so no content can end the literal or the statement.

    >>> print(cypher_string("l'Aitec \\\\ « paix »"))
    'l\\'Aitec \\\\ « paix »'
    >>> print(cypher_string("a\\nb"))
    'a\\nb'
    """
    out = []
    for char in text:
        if char in _CYPHER_ESCAPES:
            out.append(_CYPHER_ESCAPES[char])
        elif ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 or char in "\u2028\u2029\u0085":
            out.append(f"\\u{ord(char):04x}")
        elif 0xD800 <= ord(char) <= 0xDFFF:
            out.append("\\ufffd")
        else:
            out.append(char)
    return "'" + "".join(out) + "'"


def _cypher_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(cypher_string(str(item)) for item in value) + "]"
    if isinstance(value, dict):
        return cypher_string(json.dumps(value, ensure_ascii=False, sort_keys=True))
    return cypher_string("" if value is None else str(value))


def _property_name(key: str) -> str:
    """A property name from the closed attribute lists, quoted with backticks."""
    if key not in ATTRIBUTES and key not in RELATION_ATTRIBUTES and key not in ("name", "aliases", "sources"):
        raise UsageError(f"attribute {key!r} is not in the model; it cannot become a property name")
    return f"`{key}`"


def export_cypher(store: GraphStore, selection: Selection = Selection()) -> str:
    """A Cypher script of parameter-free ``MERGE`` statements, one per line, that
    builds the selected graph in a Neo4j without maillage.

    Labels and relationship types come only from the closed model; every value is
    a string literal made by :func:`cypher_string`. Running the script twice
    changes nothing.
    """
    sources: dict[str, list[str]] = {}
    relation_sources: dict[tuple, list[str]] = {}
    for batch in export_batches(store, selection):
        for record in batch.nodes:
            sources.setdefault(record.node.id, []).append(batch.source.name)
        for record in batch.relations:
            relation_sources.setdefault(record.relation.key, []).append(batch.source.name)
    nodes = [node for node in store.nodes() if node.id in sources]
    kind_of = {node.id: node.kind for node in nodes}
    lines = ["// maillage export: run with cypher-shell -f FILE, or statement by statement"]
    for kind in sorted({node.kind for node in nodes}):
        label = check_kind(kind)
        lines.append(
            f"CREATE CONSTRAINT maillage_{label.lower()}_id IF NOT EXISTS FOR (n:`{label}`) REQUIRE n.id IS UNIQUE;"
        )
    for node in nodes:
        label = check_kind(node.kind)
        properties = {
            "name": node.name,
            "aliases": list(node.aliases),
            **selection.attrs(node.attrs),
            "sources": sources[node.id],
        }
        settings = ", ".join(
            f"n.{_property_name(key)} = {_cypher_value(value)}"
            for key, value in properties.items()
            if value not in (None, [], "")
        )
        lines.append(f"MERGE (n:`{label}` {{id: {cypher_string(node.id)}}}) SET {settings};")
    for relation in store.relations():
        if relation.key not in relation_sources or relation.source not in kind_of or relation.target not in kind_of:
            continue
        type_ = check_relation_type(relation.type)
        properties = {**relation.attrs, "sources": relation_sources[relation.key]}
        settings = ", ".join(
            f"r.{_property_name(key)} = {_cypher_value(value)}"
            for key, value in properties.items()
            if value not in (None, [], "")
        )
        lines.append(
            f"MATCH (a:`{check_kind(kind_of[relation.source])}` {{id: {cypher_string(relation.source)}}}), "
            f"(b:`{check_kind(kind_of[relation.target])}` {{id: {cypher_string(relation.target)}}}) "
            f"MERGE (a)-[r:`{type_}` {{role: {cypher_string(relation.role)}}}]->(b) SET {settings};"
        )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- files


def write_export(store: GraphStore, format: str, output: Path, selection: Selection = Selection()) -> list[Path]:
    """Write an export in ``format`` to ``output``; return the files written.

    For ``csv``, ``output`` names a folder (``actors.csv`` and ``relations.csv``
    inside) or a ``FILE.csv`` (``FILE-actors.csv`` and ``FILE-relations.csv``
    beside it). Files are written whole or not at all.
    """
    output = Path(output)
    if format == "csv":
        actors, relations = export_csv(store, selection)
        if output.suffix.lower() == ".csv":
            targets = [output.with_name(f"{output.stem}-actors.csv"), output.with_name(f"{output.stem}-relations.csv")]
        else:
            output.mkdir(parents=True, exist_ok=True)
            targets = [output / "actors.csv", output / "relations.csv"]
        for target, text in zip(targets, (actors, relations)):
            _write_atomic(target, text)
        return targets
    writers = {"json": export_json, "gexf": export_gexf, "graphml": export_graphml, "cypher": export_cypher}
    if format not in writers:
        raise UsageError(f"unknown export format {format!r}; expected one of {', '.join(EXPORT_FORMATS)}")
    _write_atomic(output, writers[format](store, selection))
    return [output]


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
