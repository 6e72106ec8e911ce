"""Finding actors and describing them: references resolved, lists, one actor with its sources."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..graph.model import KINDS, Node, Relation
from ..graph.store import GraphStore
from ..graph.store.base import NodeClaim, RelationClaim
from .output import cell, cite

__all__ = ["ActorDetails", "actor_rows", "actor_text", "describe_actor", "kind_names", "resolve"]


def kind_names(values: Sequence[str]) -> list[str]:
    """Node kinds as the model spells them, whatever their case.

    Examples
    --------
    >>> kind_names(["collectivite", "ASSOCIATION"])
    ['Collectivite', 'Association']
    """
    by_folded = {kind.lower(): kind for kind in KINDS}
    return [by_folded[value.lower()] for value in values]


def resolve(
    store: GraphStore, reference: str, follow_merges: bool = True, notice: Callable[[str], None] | None = None
) -> Node:
    """The node a reference (id, name or alias) names, or a clear error; the id of a merged node
    leads to where it was merged (``notice`` is told so), unless ``follow_merges`` is false.

    Raises
    ------
    UnknownReference, AmbiguousReference
        No node, or several, match.
    """
    from ..graph.merge import merged_into
    from ..graph.store.base import resolve_one

    found = store.find(reference)
    if (
        not found
        and follow_merges
        and (landed := merged_into(store, reference.strip()))
        and (node := store.get(landed)) is not None
    ):
        if notice is not None:
            notice(f"{reference.strip()} was merged into {node.id} ({node.name})")
        return node
    return resolve_one(reference, found)


def actor_rows(store: GraphStore, kinds: Sequence[str] = (), search: str | None = None) -> list[dict[str, Any]]:
    """The nodes of these kinds (all when none) whose id, name or alias contains ``search``,
    by id: ``id``, ``kind``, ``name``, ``aliases``."""
    wanted = kind_names(kinds)
    nodes = [n for kind in (wanted or [None]) for n in store.nodes(kind, search)]
    return [
        {"id": n.id, "kind": n.kind, "name": n.name, "aliases": list(n.aliases)}
        for n in sorted(nodes, key=lambda n: n.id)
    ]


@dataclass
class ActorDetails:
    """An actor, its relations, and the claims of every source about them."""

    node: Node
    relations: list[Relation]
    claims: list[NodeClaim]
    relation_claims: list[RelationClaim]
    names: dict[str, str]
    provenance: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        """What ``maillage show --format json`` prints."""
        node = self.node

        def asserted(claims: Sequence[Any]) -> list[dict[str, Any]]:
            return [{"source": c.source, "place": c.place, "contributor": c.contributor, "at": c.at} for c in claims]

        return {
            "id": node.id,
            "kind": node.kind,
            "name": node.name,
            "aliases": list(node.aliases),
            "attributes": dict(node.attrs),
            "provenance": self.provenance,
            "relations": [
                {
                    "source": r.source,
                    "type": r.type,
                    "target": r.target,
                    "role": r.role,
                    **dict(r.attrs),
                    "asserted_by": asserted([c for c in self.relation_claims if c.relation.key == r.key]),
                }
                for r in self.relations
            ],
            "asserted_by": asserted(self.claims),
        }


def describe_actor(store: GraphStore, reference: str, notice: Callable[[str], None] | None = None) -> ActorDetails:
    """An actor (id, name or alias) with its attributes, relations and the sources asserting them."""
    from ..graph.provenance import describe

    node = resolve(store, reference, notice=notice)
    relations = store.relations(node.id)
    ends = (store.get(i) for r in relations for i in (r.source, r.target))
    return ActorDetails(
        node,
        relations,
        store.node_claims(node.id),
        store.relation_claims(node.id),
        {n.id: n.name for n in ends if n},
        describe(store, node.id),
    )


def actor_text(details: ActorDetails) -> str:
    """An actor as ``maillage show`` prints it: each attribute, alias and relation with its sources."""
    node, claims = details.node, details.claims
    lines = [f"{node.name}  [{node.kind}]  {node.id}"]
    if node.aliases:
        named = [
            f"{label} ({', '.join(c.source for c in claims if label == c.name or label in c.aliases)})"
            for label in node.aliases
        ]
        lines.append(f"  aliases: {' | '.join(named)}")
    for key, value in sorted(node.attrs.items()):
        sources = [cite(c) for c in claims if key in c.attrs and c.attrs[key] == value]
        lines.append(f"  {key}: {cell(value)}    ({'; '.join(sources)})")
        for c in claims:
            if key in c.attrs and c.attrs[key] != value:
                lines.append(f"      also {cell(c.attrs[key])}    ({cite(c)}; see 'maillage conflicts')")
    lines.append("  asserted by:")
    lines.extend(f"    {cite(c)}" for c in claims)
    lines.append(f"  relations ({len(details.relations)}):")
    names = details.names
    for r in details.relations:
        role = f" ({r.role})" if r.role else ""
        arrow = (
            f"-> {r.type}{role} -> {names.get(r.target, r.target)}"
            if r.source == node.id
            else f"<- {r.type}{role} <- {names.get(r.source, r.source)}"
        )
        places = "; ".join(cite(c) for c in details.relation_claims if c.relation.key == r.key)
        note = f"  « {r.attrs['note']} »" if r.attrs.get("note") else ""
        lines.append(f"    {arrow}{note}    ({places})")
    return "\n".join(lines) + "\n"
