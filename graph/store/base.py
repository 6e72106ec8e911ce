"""The ``GraphStore`` protocol every backend implements, and what it returns.

A store keeps *claims*: what each source asserted about a node or a relation,
with the place in the source, the contributor and the time. The graph one sees
(``nodes``, ``relations``, ``to_networkx``) is derived from the claims:

* a node exists while at least one source asserts it; its name and attributes
  come from the claims in load order (the latest load wins, an authoritative
  source wins over any other); every other name it was given is an alias;
* a relation exists while at least one source asserts it and both its ends exist;
* writing a source replaces what that source asserted before, in one transaction;
  writing the same content again changes nothing.

Glossary
--------
Both stores (:mod:`.sqlite`, :mod:`.neo4j`) use these words, one per idea.

claim
    What one source asserts about one node (kind, name, aliases, attributes) or one
    relation (its attributes), with its *place*: the file, line or cell it came from.
source
    A named set of claims written and replaced as a whole (a workbook, a register
    extract, a document), with its format, *contributor* and load time.
authoritative
    A source whose claims take precedence over those of any source that is not.
precedence
    The order claims are folded in: non-authoritative sources first, then
    authoritative ones, each in load order; the last one wins.
fold
    Derive a node or relation from its claims in precedence order
    (:func:`fold_node_claims`, :func:`fold_relation_claims`).
derived graph
    The nodes and relations folded from the claims: what reads return.
sole claim
    The only claim on a node or relation: one source asserts it, no other does.
carried claim
    A claim kept on the derived node or relation itself rather than as a claim record:
    a sole claim in both stores (SQLite: the row's ``sole`` and ``place`` columns; Neo4j:
    ``claim_source`` and ``claim_place``), and on Neo4j every claim of a relationship.
    When another claim arrives, a carried claim becomes a claim record again.
claim kept apart
    A relation claim whose relation cannot be derived because an end is missing; it is
    kept as a claim record until both ends exist.
digest
    The fingerprint of a source's content (:func:`batch_digest`); a write whose digest
    equals the stored one changes nothing and says *unchanged* (:class:`WriteResult`).
stream
    A source whose records are read once, in order (:meth:`GraphStore.write_stream`),
    too large to hold: written in chunks, the readers seeing all of it or none.
pending load
    (Neo4j) A stream written in several transactions: its new nodes and relationships are
    marked with the load and left out of every read, the rest waits as *staged claims*,
    until it is *published*: folded, recorded as the source and unmarked in one last
    transaction.
document
    A JSON value kept by collection and key beside the graph (reports, settings).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..errors import AmbiguousReference, ConcurrentChange, LoadError, UnknownReference
from ..model import Batch, Node, NodeRecord, Relation, RelationRecord, Source, aliases_of

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "GraphArrays",
    "GraphStore",
    "NodeClaim",
    "Problem",
    "RelationClaim",
    "SourceSummary",
    "WriteResult",
    "batch_digest",
    "build_networkx",
    "check_batch_endpoints",
    "check_unchanged",
    "fold_node_claims",
    "fold_relation_claims",
    "resolve_one",
]


@dataclass(frozen=True)
class GraphArrays:
    """The store's graph as arrays, for analyses of graphs too large for networkx's dictionaries.

    Node ``i`` is ``ids[i]`` (nodes sorted by id, as ``to_networkx`` lists them); relation ``j``
    goes from node ``sources[j]`` to node ``targets[j]`` (relations to absent nodes left out).

    Attributes
    ----------
    ids, names : list of str
        Id and name of each node.
    kinds : numpy array of int
        Kind of each node, as a position in ``kind_names``.
    kind_names : tuple of str
    sources, targets : numpy arrays of int
        Ends of each relation.
    types : numpy array of int
        Type of each relation, as a position in ``type_names``.
    type_names : tuple of str
    weights : numpy array of float
        The ``weight`` attribute of each relation (1 when absent).
    """

    ids: list
    names: list
    kinds: Any
    kind_names: tuple
    sources: Any
    targets: Any
    types: Any
    type_names: tuple
    weights: Any


@dataclass(frozen=True)
class Problem:
    """One problem found in a source: where it is and what is wrong.

    ``line`` is the 1-based line in the file (the header is line 1), ``column``
    the column's header name; either may be empty when it does not apply.
    """

    file: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.column:
            where += f": column {self.column!r}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class WriteResult:
    """What a write did: counts of claims written, or ``unchanged`` when nothing was."""

    source: str
    nodes: int
    relations: int
    unchanged: bool = False


@dataclass(frozen=True)
class NodeClaim:
    """What one source asserted about one node."""

    source: str
    node_id: str
    kind: str
    name: str
    aliases: tuple[str, ...]
    attrs: Mapping[str, Any]
    place: str
    contributor: str
    at: str


@dataclass(frozen=True)
class RelationClaim:
    """What one source asserted about one relation."""

    source: str
    relation: Relation
    place: str
    contributor: str
    at: str


@dataclass(frozen=True)
class SourceSummary:
    """A loaded source and how many facts it asserts."""

    name: str
    format: str
    contributor: str
    at: str
    authoritative: bool
    nodes: int
    relations: int


@runtime_checkable
class GraphStore(Protocol):
    """What every backend offers. Implementations: SQLite (embedded) and Neo4j."""

    location: str

    def init(self) -> None:
        """Create the schema (tables, indexes, constraints) if it is missing."""

    def write(self, batch: Batch) -> WriteResult:
        """Replace what ``batch.source`` asserts by the batch, in one transaction."""

    def write_stream(
        self,
        source: Source,
        records: Iterable[NodeRecord | RelationRecord],
        digest: str | Callable[[], str] | None = None,
    ) -> WriteResult:
        """Replace what ``source`` asserts by ``records``, read once, as one change.

        The streaming twin of :meth:`write`, for register extracts too large to hold
        in memory (a million associations). The contract every backend keeps:

        * ``records`` is consumed exactly once, in order, in chunks; the store holds
          a bounded number of records at a time, never a whole long stream (Neo4j
          holds a short one whole, see ``Neo4jStore.write_stream``). Node and relation
          records may come interleaved.
        * A relation may name a node that comes later in the stream or that is
          already in the store; once the stream is exhausted, a relation whose end
          exists nowhere fails the write (:class:`LoadError`, place of the record).
        * A node id already in the store with another kind fails the write
          (:class:`LoadError`, column ``kind``).
        * Within one stream, a later record for the same node or relation key
          replaces an earlier one (as in :meth:`write`).
        * All or nothing: if iterating ``records`` raises (a loader raises
          :class:`LoadError` at the end of a file with bad rows), or the write fails,
          nothing is changed and the exception propagates; and no reader sees part
          of the stream. A backend may write a long stream in several transactions
          (Neo4j does, under a pending mark that every read leaves out, published
          by its last one); what a failed or killed write left must then be
          invisible, and removed before the next write changes the store.
        * ``digest``: a fingerprint of the input given up front (e.g. the file's
          bytes plus the loader options). When it equals the stored digest of
          ``source.name``, nothing is read and ``WriteResult.unchanged`` is True.
          It may be given as a function returning it, which the store calls once,
          when it needs it: a store may then write a source it does not hold yet
          while the digest is computed, and call the function at the end.
          When None, the store fingerprints the records as they pass and, if the
          content equals what the source asserted before, rolls back and reports
          ``unchanged``. Digests of ``write`` and ``write_stream`` need not agree.
        * The derived graph afterwards is the same as :meth:`write` would give for
          a batch with the same records.
        """

    def source_digests(self) -> dict[str, str]:
        """The stored fingerprint of each loaded source, by name: it changes whenever
        what the source asserts changes. Read it before reading sources that will be
        rewritten, and hand it to :meth:`replace_sources` as ``expected``."""

    def replace_sources(
        self, batches: Sequence[Batch], expected: Mapping[str, str | None] | None = None
    ) -> list[WriteResult]:
        """Replace what several sources assert, all in one transaction, trusting the batches.

        Used to rewrite sources that are already checked (a merge, an unmerge,
        marking a source authoritative) and to load a maillage export. The contract:

        * each batch replaces what ``batch.source.name`` asserted, exactly as
          :meth:`write` would, and its ``Source`` fields (format, contributor, at,
          authoritative) replace the stored ones;
        * a source already loaded keeps its place in the load order (precedence
          between sources does not change); a source not loaded yet is appended
          after every loaded one, in the order of ``batches``;
        * relation ends are not checked: a relation claim whose end no source
          asserts is kept, and the relation appears once the end exists (as after
          an :meth:`unload` of another source);
        * a node id already in the store with another kind fails the call
          (:class:`LoadError`) and nothing changes;
        * a batch whose content (:func:`batch_digest`) equals what its source
          asserts gives ``WriteResult.unchanged``; one ``WriteResult`` per batch,
          in the order given;
        * ``expected``: for each source it names, the fingerprint
          :meth:`source_digests` gave before the caller read the source (None: it
          was not loaded). If any source now has another (it was reloaded,
          unloaded or rewritten meanwhile), nothing changes and
          :class:`ConcurrentChange` names those sources: the caller's batches
          were made from what is no longer there.
        """

    def unload(self, source: str) -> WriteResult:
        """Remove what only ``source`` asserted; keep what other sources also assert."""

    def get(self, node_id: str) -> Node | None:
        """The node with this id, or None."""

    def find(self, reference: str) -> list[Node]:
        """Nodes whose id is ``reference``, or whose name or alias folds to it."""

    def get_many(self, node_ids: Iterable[str]) -> dict[str, Node]:
        """The nodes among ``node_ids``, by id, asked at once."""

    def existing_ids(self, node_ids: Iterable[str]) -> set[str]:
        """Which of ``node_ids`` are nodes of the store, asked at once (a register names tens
        of thousands of communes: a ``get`` for each would be a round trip each)."""

    def nodes(self, kind: str | None = None, search: str | None = None) -> list[Node]:
        """Nodes sorted by id, of one kind and/or whose name or alias contains ``search``."""

    def relations(self, node_id: str | None = None) -> list[Relation]:
        """Relations sorted by key; those touching ``node_id`` when given."""

    def node_claims(self, node_id: str) -> list[NodeClaim]:
        """Every claim about a node, in load order."""

    def relation_claims(self, node_id: str) -> list[RelationClaim]:
        """Every claim about the relations touching a node, in load order."""

    def sources(self) -> list[SourceSummary]:
        """Loaded sources in load order."""

    def dump(self) -> Iterator[Batch]:
        """Every source as the batch that would recreate it, in load order."""

    def dump_source(self, name: str) -> Batch | None:
        """The batch that would recreate one source, or None when it is not loaded."""

    def put_document(self, collection: str, key: str, value: Mapping[str, Any]) -> None:
        """Keep a JSON-able document (a merge record, a snapshot, an event) under ``collection``/``key``."""

    def get_document(self, collection: str, key: str) -> dict[str, Any] | None:
        """The document kept under ``collection``/``key``, or None."""

    def documents(self, collection: str) -> list[tuple[str, dict[str, Any]]]:
        """Every ``(key, document)`` of a collection, in the order they were first kept."""

    def delete_document(self, collection: str, key: str) -> None:
        """Forget a document; nothing happens when it does not exist."""

    def neighbourhood(self, node_ids: Iterable[str], depth: int) -> set[str]:
        """Ids within ``depth`` relations (either direction) of ``node_ids``."""

    def to_networkx(self, kinds: Sequence[str] | None = None, node_ids: Iterable[str] | None = None) -> nx.MultiDiGraph:
        """The graph, or the subgraph of some kinds and/or ids, as a networkx graph."""

    def counts(self) -> dict[str, int]:
        """Number of nodes per kind and of relations per type."""

    def close(self) -> None:
        """Release the connection."""


def check_unchanged(expected: Mapping[str, str | None], stored: Mapping[str, str]) -> None:
    """Raise :class:`ConcurrentChange` naming the sources whose stored digest is not the one
    expected (None: expected not to be loaded); see :meth:`GraphStore.replace_sources`.

    >>> check_unchanged({"a.csv": "d1", "b.csv": None}, {"a.csv": "d1"})
    >>> check_unchanged({"a.csv": "d1"}, {"a.csv": "d2"})
    Traceback (most recent call last):
    ...
    maillage.graph.errors.ConcurrentChange: 'a.csv' changed while this command ran (another load or merge); nothing was written: run it again
    """
    changed = sorted(name for name, digest in expected.items() if stored.get(name) != digest)
    if changed:
        raise ConcurrentChange(changed)


def batch_digest(batch: Batch) -> str:
    """A fingerprint of what a batch asserts (not who loaded it or when, nor in which order).

    The order of records is left out because a source rewritten by a merge comes back
    from the store in the store's order, and loading the same file again must still
    be recognised as unchanged.
    """
    # The sorted-keys encoder made once (json.dumps makes one per record); shared imports this module.
    from .shared import encode_json as encode

    nodes = sorted(
        encode([r.node.id, r.node.kind, r.node.name, list(r.node.aliases), dict(r.node.attrs), r.place])
        for r in batch.nodes
    )
    relations = sorted(encode([*r.relation.key, dict(r.relation.attrs), r.place]) for r in batch.relations)
    text = encode({"nodes": nodes, "relations": relations, "authoritative": batch.source.authoritative})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fold_node_claims(node_id: str, claims: Sequence[tuple[str, str, Sequence[str], Mapping[str, Any]]]) -> Node | None:
    """Derive a node from its claims ``(kind, name, aliases, attrs)`` given in precedence order.

    The last claim gives the name; later attribute values override earlier ones;
    every name or alias any claim gave, other than the current name, is an alias.
    """
    if not claims:
        return None
    attrs: dict[str, Any] = {}
    labels: list[str] = []
    for _kind, name, aliases, claim_attrs in claims:
        attrs.update(claim_attrs)
        labels.append(name)
        labels.extend(aliases)
    kind, name = claims[-1][0], claims[-1][1]
    return Node(node_id, kind, name, aliases_of(name, labels), attrs)


def fold_relation_claims(claims: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Derive a relation's attributes from its claims' attributes in precedence order."""
    attrs: dict[str, Any] = {}
    for claim_attrs in claims:
        attrs.update(claim_attrs)
    return attrs


def resolve_one(reference: str, candidates: list[Node]) -> Node:
    """The single node a reference names, or an :class:`UnknownReference` / :class:`AmbiguousReference`."""
    if not candidates:
        raise UnknownReference(reference)
    if len(candidates) > 1:
        raise AmbiguousReference(reference, [(node.id, node.name) for node in candidates])
    return candidates[0]


def build_networkx(nodes: Iterable[Node], relations: Iterable[Relation]) -> nx.MultiDiGraph:
    """A ``MultiDiGraph`` with node attributes ``kind``, ``name``, ``aliases`` and the
    node's own attributes, and edges keyed ``TYPE`` or ``TYPE:role`` carrying ``type``,
    ``role`` and the relation's attributes. Relations to absent nodes are left out."""
    # Imported here: a process that only reads a register for a store (its worker) starts without it.
    import networkx as nx

    graph = nx.MultiDiGraph()
    for node in nodes:
        graph.add_node(node.id, **dict(node.attrs), kind=node.kind, name=node.name, aliases=list(node.aliases))
    for relation in relations:
        if relation.source in graph and relation.target in graph:
            key = f"{relation.type}:{relation.role}" if relation.role else relation.type
            graph.add_edge(
                relation.source,
                relation.target,
                key=key,
                **dict(relation.attrs),
                type=relation.type,
                role=relation.role,
            )
    return graph


def check_batch_endpoints(batch: Batch, existing: set[str]) -> None:
    """Raise :class:`LoadError` if a relation of the batch points to a node that neither
    the batch nor the store has."""
    known = existing | {record.node.id for record in batch.nodes}
    problems = [
        Problem(record.place, None, None, f"relation {record.relation.type} points to unknown node {end!r}")
        for record in batch.relations
        for end in (record.relation.source, record.relation.target)
        if end not in known
    ]
    if problems:
        raise LoadError(problems)
