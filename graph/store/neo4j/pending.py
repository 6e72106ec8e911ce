"""Pending loads: a long streamed source, or a large unload, written in several transactions and
published in one small one.

Until it is published, a load's nodes (and name keys) carry ``load`` and every read leaves them
out; the nodes it replaces or removes carry ``retired`` and every read still sees them. The
transaction that publishes it sets ``published`` on its ``PendingLoad`` node, which turns both
around at once. What is left then (deleting the retired nodes, taking the marks off) is done in
bounded transactions, by the load itself or, if it was killed, by the next writer; so is undoing
a load killed before it was published.
"""

from __future__ import annotations

from .connection import Session
from .schema import NAME_KEY, NODE, NODE_CLAIM, PENDING_LOAD, RELATION_CLAIM, STAGED_NODE, STAGED_RELATION

__all__: list[str] = []


def _pending_loads(session: Session) -> list[tuple[int, bool]]:
    """The loads not cleaned up yet: their ids, and whether each was published."""
    return [
        (row["id"], bool(row["published"]))
        for row in session.run(f"MATCH (p:{PENDING_LOAD}) RETURN p.id AS id, p.published AS published")
    ]


# The name keys of a node ``n`` that carry the mark ``{mark}`` of load ``$load``.
_MARKED_KEYS = (
    f"CALL {{{{ WITH n UNWIND coalesce(n.names, []) AS key MATCH (k:{NAME_KEY} {{{{key: key}}}}) "
    "WHERE k.node_id = n.id AND k.{mark} = $load {action} }}"
)


def _clean_loads(session: Session) -> None:
    """Finish what earlier loads left, in bounded transactions. The caller holds the store lock,
    so no load is running. A load never published is undone: its nodes (with their name keys and
    relationships) are deleted, then the nodes it retired get their mark off. A published one is
    completed: the nodes it retired are deleted, then its mark is taken off its nodes. Then the
    staged claims go, and the pending load last, so that until then reads see the same graph."""
    queries = []
    for load_id, published in _pending_loads(session):
        if published:
            queries += [
                (
                    f"MATCH (n:{NODE} {{retired: $load}}) WITH n LIMIT 5000 "
                    f"{_MARKED_KEYS.format(mark='retired', action='DELETE k')} DETACH DELETE n RETURN count(*) AS done",
                    load_id,
                ),
                (
                    f"MATCH (n:{NODE} {{load: $load}}) WITH n LIMIT 20000 "
                    f"{_MARKED_KEYS.format(mark='load', action='REMOVE k.load')} REMOVE n.load RETURN count(*) AS done",
                    load_id,
                ),
            ]
        else:
            queries += [
                (
                    f"MATCH (n:{NODE} {{load: $load}}) WITH n LIMIT 5000 "
                    f"{_MARKED_KEYS.format(mark='load', action='DELETE k')} DETACH DELETE n RETURN count(*) AS done",
                    load_id,
                ),
                (
                    f"MATCH (n:{NODE} {{retired: $load}}) WITH n LIMIT 20000 "
                    f"{_MARKED_KEYS.format(mark='retired', action='REMOVE k.retired')} REMOVE n.retired "
                    "RETURN count(*) AS done",
                    load_id,
                ),
            ]
    queries += [
        (f"MATCH (c:{STAGED_NODE}) WITH c LIMIT 20000 DELETE c RETURN count(*) AS done", None),
        (f"MATCH (c:{STAGED_RELATION}) WITH c LIMIT 20000 DELETE c RETURN count(*) AS done", None),
    ]
    for query, load_id in queries:
        while session.run(query, load=load_id).single()["done"]:
            pass
    session.run(f"MATCH (p:{PENDING_LOAD}) DELETE p").consume()


def _replaceable(source_parameter: str, claims_apart: bool) -> str:
    """The condition that node ``n``, which carries the claim of the source ``$<source_parameter>``,
    is that source's alone: no claim node names it, and every relationship it starts or ends is
    claimed by that source alone (and, when some relation claims are kept apart, none of them
    names it). A load of that source can then replace it whole by a new node, and an unload
    remove it, without folding anything of another source."""
    condition = (
        f"NOT EXISTS {{ MATCH (n)-[r]-() WHERE coalesce(r.claim_source, '') <> ${source_parameter} }} "
        f"AND NOT EXISTS {{ MATCH (c:{NODE_CLAIM} {{node_id: n.id}}) }}"
    )
    if claims_apart:
        condition += (
            f" AND NOT EXISTS {{ MATCH (c:{RELATION_CLAIM} {{rel_source: n.id}}) }}"
            f" AND NOT EXISTS {{ MATCH (c:{RELATION_CLAIM} {{rel_target: n.id}}) }}"
        )
    return condition


# Retire node ``n`` and its name keys for load ``$load``.
_RETIRE = (
    f"SET n.retired = $load WITH n CALL {{ WITH n UNWIND coalesce(n.names, []) AS key MATCH (k:{NAME_KEY} {{key: key}}) "
    "WHERE k.node_id = n.id AND k.retired IS NULL AND k.load IS NULL SET k.retired = $load }"
)


def _retire_dropped(session: Session, source: str, load_id: int, claims_apart: bool, limit: int) -> tuple[int, int]:
    """Mark ``retired`` by the pending load every node that ``source`` alone asserted and this load
    did not write again (see :func:`_replaceable`), in transactions of at most ``limit`` nodes:
    the load's publication hides them, and its clean-up deletes them. Return how many nodes, and
    how many relationships they start."""
    query = (
        f"MATCH (n:{NODE} {{claim_source: $source}}) USING INDEX n:{NODE}(claim_source) "
        f"WHERE n.load IS NULL AND n.retired IS NULL AND {_replaceable('source', claims_apart)} "
        f"WITH n LIMIT $limit {_RETIRE} RETURN count(*) AS done, sum(COUNT {{ (n)-->() }}) AS relations"
    )
    nodes = relations = 0
    while True:
        row = session.run(query, source=source, load=load_id, limit=limit).single()
        if not row["done"]:
            return nodes, relations
        nodes += row["done"]
        relations += row["relations"]
