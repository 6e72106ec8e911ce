"""A first load of a large graph into Neo4j through ``neo4j-admin database import full``.

Writing millions of nodes through the driver costs one transaction per source and an
index lookup per relation end. ``neo4j-admin database import full`` builds the store
files directly from CSV files instead, an order of magnitude faster, but only into an
empty database of a stopped server. :func:`write_import_files` writes those files from
any store: exactly what :meth:`Neo4jStore.replace_sources
<maillage.graph.store.neo4j.Neo4jStore.replace_sources>` would write when the graph is
pushed in load order into an empty database (the derived nodes and relationships with
their carried claims, claim nodes where several sources claim a node, relation claims
kept apart where an end is missing, sources with their digests, name keys, records and
the schema version). Then ``scripts/neo4j import DIR`` stops the server, imports, starts
it, and ``maillage init`` (:meth:`Neo4jStore.init <.schema.SchemaMixin.init>`) creates the constraints and indexes
and gives empty lists back to the nodes that have them (CSV cannot say "empty list").

The files: ``nodes-NNNN.csv`` and ``relationships-NNNN.csv``, UTF-8, ``,`` between
fields, every string quoted (``""`` inside), lists joined by :data:`ARRAY_DELIMITER`,
one file per label set or relationship type and set of property types (a property has
one type per file); ``import.args`` lists them with the options the import needs, one
argument a line, for ``neo4j-admin database import full @import.args``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ...errors import StoreError, UsageError
from ...model import KINDS, RELATION_TYPES, NodeRecord, RelationRecord, name_key
from ...transfer import RECORD_COLLECTIONS
from ..base import GraphStore, batch_digest, fold_node_claims, fold_relation_claims
from . import Neo4jStore
from .schema import (
    _NODE_PROPERTIES,
    _RELATION_PROPERTIES,
    DOCUMENT,
    META,
    NAME_KEY,
    NODE,
    NODE_CLAIM,
    RELATION_CLAIM,
    SCHEMA_VERSION,
    SOURCE,
    _as_properties,
    _dumps,
)
from .write import _by_key, _node_claim_list

__all__ = ["ARGUMENTS_FILE", "ARRAY_DELIMITER", "ImportFiles", "write_bulk_push", "write_import_files"]

#: between the items of a list in a field: a control character no name or code contains
ARRAY_DELIMITER = "\x1f"
#: the file listing the arguments of ``neo4j-admin database import full``, in the import folder
ARGUMENTS_FILE = "import.args"
_ID_SPACE = "Node"
_SAFE_NAME = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


@dataclass(frozen=True)
class ImportFiles:
    """What :func:`write_import_files` wrote: the folder, its CSV files, and what they hold."""

    directory: Path
    files: tuple[Path, ...]
    nodes: int
    relationships: int
    sources: int


def _csv_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    return "string[]"


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _field(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if isinstance(value, str):
        return _quote(value)
    return _quote(ARRAY_DELIMITER.join(value))


def _listable(value: list[str]) -> bool:
    """True when the import reads ``value`` back as the same list (not empty, no empty
    single item, no delimiter inside an item)."""
    return bool(value) and value != [""] and not any(ARRAY_DELIMITER in item for item in value)


class _Files:
    """CSV files by header: one per label set (or relationship type) and property types."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.open: dict[tuple, tuple[TextIO, tuple[str, ...]]] = {}
        self.written: list[tuple[str, Path]] = []
        self.nodes = 0
        self.relationships = 0

    def _file(self, kind: str, signature: tuple, header: list[str], names: tuple[str, ...]):
        entry = self.open.get(signature)
        if entry is None:
            path = self.directory / f"{kind}-{len(self.written) + 1:04d}.csv"
            handle = path.open("w", encoding="utf-8", newline="")
            handle.write(",".join(_quote(column) for column in header) + "\n")
            self.written.append((kind, path))
            entry = self.open[signature] = (handle, names)
        return entry

    def node(self, labels: str, props: Mapping[str, Any], node_id: str | None = None) -> None:
        # A property set to null is no property.
        names = tuple(sorted(name for name, value in props.items() if value is not None))
        types = tuple(_csv_type(props[name]) for name in names)
        signature = ("node", labels, node_id is not None, names, types)
        header = [f"id:ID({_ID_SPACE})"] if node_id is not None else []
        header += [":LABEL", *(f"{name}:{type_}" for name, type_ in zip(names, types))]
        handle, names = self._file("nodes", signature, header, names)
        fields = [_quote(node_id)] if node_id is not None else []
        fields.append(_quote(labels))
        fields.extend(_field(props[name]) for name in names)
        handle.write(",".join(fields) + "\n")
        self.nodes += 1

    def relationship(self, start: str, type_: str, end: str, props: Mapping[str, Any]) -> None:
        names = tuple(sorted(name for name, value in props.items() if value is not None))
        types = tuple(_csv_type(props[name]) for name in names)
        signature = ("relationship", type_, names, types)
        header = [f":START_ID({_ID_SPACE})", f":END_ID({_ID_SPACE})", ":TYPE"]
        header += [f"{name}:{type_}" for name, type_ in zip(names, types)]
        handle, names = self._file("relationships", signature, header, names)
        fields = [_quote(start), _quote(end), type_]
        fields.extend(_field(props[name]) for name in names)
        handle.write(",".join(fields) + "\n")
        self.relationships += 1

    def relationship_line(self, type_: str, props: Mapping[str, Any]) -> tuple[TextIO, str]:
        """The file of relationships of ``type_`` with ``props`` and a ``claim_place``, and the end of
        their lines (after the place): many relationships share everything but their ends and place."""
        names = tuple(sorted(name for name, value in props.items() if value is not None))
        types = tuple(_csv_type(props[name]) for name in names)
        signature = ("relationship", type_, "claim_place", names, types)
        header = [f":START_ID({_ID_SPACE})", f":END_ID({_ID_SPACE})", ":TYPE", "claim_place:string"]
        header += [f"{name}:{type_}" for name, type_ in zip(names, types)]
        handle, _ = self._file("relationships", signature, header, names)
        return handle, "".join("," + _field(props[name]) for name in names) + "\n"

    def close(self) -> None:
        for handle, _ in self.open.values():
            handle.close()
        self.open.clear()

    def write_arguments(self) -> Path:
        path = self.directory / ARGUMENTS_FILE
        # The files first: an option taking files takes every argument up to the next option.
        lines = [f"--{kind}={file.name}" for kind, file in self.written]
        lines += [
            "--id-type=string",
            "--multiline-fields=true",
            "--array-delimiter=U+001F",
            "--ignore-empty-strings=false",
            "--bad-tolerance=0",
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path


def _properties(attrs: Mapping[str, Any], reserved: Iterable[str]) -> tuple[str | None, dict[str, Any]]:
    """As the Neo4j store keeps attributes (its ``_as_properties``), but an attribute CSV cannot
    carry as it is (a name the header cannot hold, a list the import would read otherwise)
    sends them all to the JSON text, which reads back the same."""
    text, props = _as_properties(attrs, tuple(reserved))
    if text is None and any(
        not set(name) <= _SAFE_NAME or (isinstance(value, list) and not _listable(value))
        for name, value in props.items()
    ):
        return _dumps(dict(attrs)), {}
    return text, props


def _check_list(values: list[str], what: str) -> None:
    if any(ARRAY_DELIMITER in value for value in values):
        raise StoreError(f"{what} contains the control character U+001F, which a bulk import cannot carry in a list")


def write_import_files(
    origin: GraphStore, directory: Path, progress: Callable[[str], None] | None = None
) -> ImportFiles:
    """Write the files of a ``neo4j-admin database import full`` of everything ``origin`` holds.

    ``origin`` is read twice (:meth:`GraphStore.dump`): first to count who claims each
    node and relation, then to write them; only what several sources claim is held in
    memory meanwhile.

    Parameters
    ----------
    origin : GraphStore
        Any store (typically SQLite after loading the registers).
    directory : Path
        A folder that does not exist or is empty; a non-empty one is refused.
    progress : callable, optional
        Called with a line about each step.

    Returns
    -------
    ImportFiles

    Examples
    --------
    >>> import tempfile
    >>> from maillage.graph.store.sqlite import SQLiteStore
    >>> from maillage.graph.model import Batch, Node, NodeRecord, Source
    >>> store = SQLiteStore(":memory:")
    >>> _ = store.write(Batch(Source("a.csv", "workbook", "ana", "2026-01-01T00:00:00+00:00"),
    ...                       [NodeRecord(Node("theme:paix", "Theme", "Paix"), "a.csv:2")]))
    >>> files = write_import_files(store, Path(tempfile.mkdtemp()) / "bulk")
    >>> files.nodes, files.relationships, [path.name for path in files.files][:2]
    (3, 0, ['nodes-0001.csv', 'nodes-0002.csv'])
    """
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise UsageError(f"{directory} is not an empty folder: give a new or empty folder for the bulk import files")
    say = progress or (lambda line: None)

    # Pass 1: how many sources claim each node id and each relation key, and which ids exist.
    node_claims: dict[str, int] = defaultdict(int)
    relation_claims: dict[int, int] = defaultdict(int)
    sources: list[tuple[str, bool]] = []
    for batch in origin.dump():
        nodes, relations = _by_key(batch.nodes, batch.relations)
        sources.append((batch.source.name, bool(batch.source.authoritative)))
        for node_id in nodes:
            node_claims[node_id] += 1
        for key in relations:
            # A hash shared by two keys only sends them both to the folding path, which is exact.
            relation_claims[hash(key)] += 1
    precedence = {name: (authoritative, seq) for seq, (name, authoritative) in enumerate(sources, 1)}
    say(f"read {len(sources)} sources: {len(node_claims)} nodes, {len(relation_claims)} relations")

    directory.mkdir(parents=True, exist_ok=True)
    files = _Files(directory)
    shared_nodes: dict[str, list[tuple[tuple[bool, int], str, NodeRecord]]] = defaultdict(list)
    shared_relations: dict[tuple[str, str, str, str], list[tuple[tuple[bool, int], str, RelationRecord]]] = defaultdict(
        list
    )

    def write_node(node_id: str, claims: list[tuple[tuple[bool, int], str, NodeRecord]]) -> None:
        claims.sort(key=lambda claim: claim[0])
        node = fold_node_claims(
            node_id,
            [(r.node.kind, r.node.name, list(r.node.aliases), dict(r.node.attrs)) for _, _, r in claims],
        )
        if node.kind not in KINDS:
            raise StoreError(f"refusing to use {node.kind!r} as a Neo4j label: not a known kind")
        keys = list(dict.fromkeys(name_key(label) for label in (node.name, *node.aliases)))
        text, props = _properties(node.attrs, _NODE_PROPERTIES)
        if text is not None:
            props["attrs"] = text
        aliases = list(node.aliases)
        _check_list(aliases, f"the aliases of {node_id}")
        _check_list(keys, f"the names of {node_id}")
        props.update(name=node.name, name_key=keys[0])
        if aliases:
            props["aliases"] = aliases
        if len(keys) > 1:
            props["alias_key"] = keys[1]
        if len(keys) > 2:
            props["names"] = keys
        if len(claims) == 1:
            _, source, record = claims[0]
            props.update(claim_source=source, claim_place=record.place)
            if list(record.node.aliases) != aliases:
                props["claim_aliases"] = _dumps(list(record.node.aliases))
        else:
            for _, source, record in claims:
                row = _node_claim_list(record)
                files.node(
                    NODE_CLAIM,
                    {
                        "node_id": row[0],
                        "source": source,
                        "kind": row[1],
                        "name": row[2],
                        "aliases": row[3],
                        "attrs": row[4],
                        "place": row[5],
                    },
                )
        files.node(f"{NODE}{ARRAY_DELIMITER}{node.kind}", props, node_id)
        for key in keys[2:]:
            files.node(NAME_KEY, {"key": key, "node_id": node_id})

    # (type, role, source, attributes) -> the file and end of line of relationships one source alone claims
    alone_lines: dict[tuple, tuple[TextIO, str]] = {}

    def write_alone_relation(key: tuple[str, str, str, str], source: str, record: RelationRecord) -> None:
        start, type_, end, role = key
        if start not in node_claims or end not in node_claims:
            write_relation(key, [((False, 0), source, record)])
            return
        attrs = record.relation.attrs
        signature = None
        if all(type(value) is str for value in attrs.values()):
            signature = (type_, role, source, tuple(attrs.items()))
            line = alone_lines.get(signature)
        else:
            line = None
        if line is None:
            if type_ not in RELATION_TYPES:
                raise StoreError(f"refusing to use {type_!r} as a Neo4j relationship type: not a known relation type")
            text, props = _properties(attrs, _RELATION_PROPERTIES)
            props.update(attrs=text, role=role or None, claim_source=source)
            line = files.relationship_line(type_, props)
            if signature is not None:
                alone_lines[signature] = line
        handle, end_of_line = line
        handle.write(f"{_quote(start)},{_quote(end)},{type_},{_quote(record.place)}{end_of_line}")
        files.relationships += 1

    def write_relation(
        key: tuple[str, str, str, str], claims: list[tuple[tuple[bool, int], str, RelationRecord]]
    ) -> None:
        start, type_, end, role = key
        if type_ not in RELATION_TYPES:
            raise StoreError(f"refusing to use {type_!r} as a Neo4j relationship type: not a known relation type")
        claims.sort(key=lambda claim: claim[0])
        if start not in node_claims or end not in node_claims:
            for _, source, record in claims:
                files.node(
                    RELATION_CLAIM,
                    {
                        "rel_source": start,
                        "type": type_,
                        "rel_target": end,
                        "role": role,
                        "source": source,
                        "attrs": _dumps(dict(record.relation.attrs)),
                        "place": record.place,
                    },
                )
            return
        attrs = fold_relation_claims([dict(record.relation.attrs) for _, _, record in claims])
        text, props = _properties(attrs, _RELATION_PROPERTIES)
        if text is not None:
            props["attrs"] = text
        if role:
            props["role"] = role
        if len(claims) == 1:
            _, source, record = claims[0]
            props.update(claim_source=source, claim_place=record.place)
        else:
            places = [record.place for _, _, record in claims]
            _check_list(places, f"a place of relation {start} {type_} {end}")
            props.update(
                claim_sources=[source for _, source, _ in claims],
                claim_places=places,
                claim_attrs=[_dumps(dict(record.relation.attrs)) for _, _, record in claims],
            )
        files.relationship(start, type_, end, props)

    # Pass 2: what one source alone claims is written at once, the rest once every claim is known.
    try:
        source_count = 0
        for batch in origin.dump():
            source = batch.source
            order = precedence.get(source.name)
            if order is None:
                raise StoreError(f"source {source.name!r} appeared while the store was read: run the command again")
            nodes, relations = _by_key(batch.nodes, batch.relations)
            starts = sorted({key[0] for key in relations})
            _check_list(starts, f"a relation start of source {source.name!r}")
            source_props: dict[str, Any] = {
                "name": source.name,
                "seq": order[1],
                "format": source.format,
                "contributor": source.contributor,
                "at": source.at,
                "authoritative": bool(source.authoritative),
                "digest": batch_digest(batch),
                "relation_claims": len(relations),
            }
            if starts:
                source_props["relation_starts"] = starts
            files.node(SOURCE, source_props)
            source_count += 1
            for node_id, record in nodes.items():
                if node_claims[node_id] == 1:
                    write_node(node_id, [(order, source.name, record)])
                else:
                    shared_nodes[node_id].append((order, source.name, record))
            for key, record in relations.items():
                if relation_claims[hash(key)] == 1:
                    write_alone_relation(key, source.name, record)
                else:
                    shared_relations[key].append((order, source.name, record))
            say(f"{source.name}: {len(nodes)} nodes, {len(relations)} relations written")
        for node_id, claims in shared_nodes.items():
            write_node(node_id, claims)
        for key, claims in shared_relations.items():
            write_relation(key, claims)
        say(f"{len(shared_nodes)} nodes and {len(shared_relations)} relations claimed by several sources written")

        documents = 0
        for collection in RECORD_COLLECTIONS:
            for key, value in origin.documents(collection):
                documents += 1
                files.node(
                    DOCUMENT,
                    {
                        "address": _dumps([collection, key]),
                        "collection": collection,
                        "key": key,
                        "seq": documents,
                        "value": _dumps(dict(value)),
                    },
                )
        meta: dict[str, Any] = {"key": "store", "schema_version": SCHEMA_VERSION, "writes": 1, "imported": True}
        if documents:
            meta["documents"] = documents
        files.node(META, meta)
    finally:
        files.close()
    files.write_arguments()
    return ImportFiles(
        directory,
        tuple(path for _, path in files.written),
        files.nodes,
        files.relationships,
        source_count,
    )


def write_bulk_push(
    origin: GraphStore, destination: GraphStore, directory: Path, progress: Callable[[str], None] | None = None
) -> ImportFiles:
    """:func:`write_import_files` for a push into ``destination``, a Neo4j store that must be empty
    (the import replaces its database): anything else is a :class:`UsageError`."""
    if not isinstance(destination, Neo4jStore):
        raise UsageError(f"--bulk writes files for a Neo4j import; {destination.location} is not a Neo4j store")
    if destination.sources() or destination.counts() or any(destination.documents(c) for c in RECORD_COLLECTIONS):
        raise UsageError(
            f"{destination.location} is not empty: a bulk import replaces its database; push without --bulk to add to it"
        )
    return write_import_files(origin, directory, progress)
