"""Provenance you can read, and conflicts between sources.

Every claim keeps its source, place, contributor and time. When sources give an
attribute different values, every claim is kept and the current value follows
one rule: **the latest load wins, unless a source is marked authoritative**;
authoritative sources win over all others, and among them the latest load wins.
:func:`conflicts` lists the attributes where sources disagree, with every value,
who gave it and which one is current; :func:`set_authoritative` marks a source.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from .errors import UsageError
from .history import record_event
from .store.base import GraphStore, WriteResult

__all__ = [
    "Assertion",
    "Conflict",
    "conflicts",
    "describe",
    "set_authoritative",
    "source_rows",
]


@dataclass(frozen=True)
class Assertion:
    """One source's value for one attribute, and where it comes from."""

    value: Any
    source: str
    place: str
    contributor: str
    at: str
    authoritative: bool


@dataclass(frozen=True)
class Conflict:
    """Sources that disagree on an attribute of a node or a relation.

    ``subject`` is a node id, or ``source -TYPE(role)-> target`` for a relation;
    ``assertions`` are in precedence order, the last one gives ``current``.
    """

    subject: str
    name: str
    attribute: str
    current: Any
    assertions: tuple[Assertion, ...]


def set_authoritative(store: GraphStore, source: str, authoritative: bool, contributor: str) -> WriteResult:
    """Mark (or unmark) a loaded source as authoritative; its place in the load order is kept."""
    digests = store.source_digests()
    batch = store.dump_source(source)
    if batch is None:
        known = ", ".join(s.name for s in store.sources()) or "none"
        raise UsageError(f"no source named {source!r} is loaded (loaded: {known})")
    if batch.source.authoritative == authoritative:
        return WriteResult(source, 0, 0, unchanged=True)
    marked = replace(batch, source=replace(batch.source, authoritative=authoritative))
    result = store.replace_sources([marked], expected={source: digests.get(source)})[0]
    record_event(store, "authoritative", contributor, source=source, details={"authoritative": authoritative})
    return result


def source_rows(store: GraphStore) -> list[dict[str, Any]]:
    """Loaded sources in load order: name, format, contributor, time, authoritative, counts."""
    return [
        {
            "source": s.name,
            "format": s.format,
            "contributor": s.contributor,
            "at": s.at,
            "authoritative": s.authoritative,
            "nodes": s.nodes,
            "relations": s.relations,
        }
        for s in store.sources()
    ]


def _precedence(store: GraphStore) -> dict[str, tuple[int, int]]:
    """Sort key of each source: authoritative ones last, then load order."""
    return {s.name: (int(s.authoritative), index) for index, s in enumerate(store.sources())}


def describe(store: GraphStore, node_id: str) -> dict[str, Any]:
    """A node with the provenance of everything about it.

    Returns ``{"attributes": [...], "names": [...], "relations": [...]}`` where each
    attribute is ``{attribute, value, asserted_by, disagree}``: ``asserted_by``
    lists the sources giving the current value (source, place, contributor, at),
    ``disagree`` those giving another value (the same plus ``value``); each name
    (the name and every alias) and each relation lists its sources the same way.
    """
    node = store.get(node_id)
    if node is None:
        raise UsageError(f"no node {node_id!r}")
    summaries = {s.name: s for s in store.sources()}
    claims = store.node_claims(node_id)

    def cite(claim: Any, **extra: Any) -> dict[str, Any]:
        return {
            "source": claim.source,
            "place": claim.place,
            "contributor": claim.contributor,
            "at": claim.at,
            "authoritative": summaries[claim.source].authoritative if claim.source in summaries else False,
            **extra,
        }

    attributes = []
    for key, value in sorted(node.attrs.items()):
        attributes.append(
            {
                "attribute": key,
                "value": value,
                "asserted_by": [cite(c) for c in claims if key in c.attrs and c.attrs[key] == value],
                "disagree": [cite(c, value=c.attrs[key]) for c in claims if key in c.attrs and c.attrs[key] != value],
            }
        )
    names = [
        {"name": label, "asserted_by": [cite(c) for c in claims if label == c.name or label in c.aliases]}
        for label in (node.name, *node.aliases)
    ]
    relation_claims = store.relation_claims(node_id)
    relations = []
    for relation in store.relations(node_id):
        relations.append(
            {
                "source": relation.source,
                "type": relation.type,
                "target": relation.target,
                "role": relation.role,
                "attrs": dict(relation.attrs),
                "asserted_by": [cite(c) for c in relation_claims if c.relation.key == relation.key],
            }
        )
    return {"attributes": attributes, "names": names, "relations": relations}


def conflicts(store: GraphStore) -> list[Conflict]:
    """Every attribute of a node or relation to which sources give different values.

    Sorted by subject and attribute; each conflict lists the assertions in
    precedence order (the last is current: latest load, authoritative first).
    """
    order = _precedence(store)
    summaries = {s.name: s for s in store.sources()}
    node_values: dict[tuple[str, str], list[Assertion]] = {}
    relation_values: dict[tuple[tuple, str], list[Assertion]] = {}
    names: dict[str, str] = {}
    for batch in store.dump():
        src = batch.source
        authoritative = summaries[src.name].authoritative if src.name in summaries else src.authoritative
        for record in batch.nodes:
            names.setdefault(record.node.id, record.node.name)
            for key, value in record.node.attrs.items():
                node_values.setdefault((record.node.id, key), []).append(
                    Assertion(value, src.name, record.place, src.contributor, src.at, authoritative)
                )
        for record in batch.relations:
            for key, value in record.relation.attrs.items():
                relation_values.setdefault((record.relation.key, key), []).append(
                    Assertion(value, src.name, record.place, src.contributor, src.at, authoritative)
                )
    found: list[Conflict] = []
    for (node_id, key), assertions in node_values.items():
        if len({repr(a.value) for a in assertions}) > 1:
            ranked = tuple(sorted(assertions, key=lambda a: order.get(a.source, (0, 0))))
            node = store.get(node_id)
            current = node.attrs.get(key) if node else ranked[-1].value
            found.append(Conflict(node_id, node.name if node else names[node_id], key, current, ranked))
    for (rel_key, key), assertions in relation_values.items():
        if len({repr(a.value) for a in assertions}) > 1:
            ranked = tuple(sorted(assertions, key=lambda a: order.get(a.source, (0, 0))))
            role = f"({rel_key[3]})" if rel_key[3] else ""
            subject = f"{rel_key[0]} -{rel_key[1]}{role}-> {rel_key[2]}"
            found.append(Conflict(subject, "", key, ranked[-1].value, ranked))
    found.sort(key=lambda c: (c.subject, c.attribute))
    return found
