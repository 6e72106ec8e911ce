"""Load speed of the Neo4j store against a naive one-MERGE-per-row loader, in the same run.

    MAILLAGE_NEO4J_URI=bolt://127.0.0.1:7687 NEO4J_PASSWORD=... python bench/neo4j_load.py

WARNING: the benchmark deletes everything in the database it is given. Without
MAILLAGE_NEO4J_URI it says so and exits 0 (``make bench`` runs every script).

What it does, on synthetic data with a fixed seed:

* our loader: ``Neo4jStore.write`` of ``--actors`` actors and ``--relations``
  relations, split into ``--sources`` sources (each source one transaction, as
  ``maillage load`` of that many workbooks would do); relations of a source name
  actors of that source and of sources loaded before it;
* the plain UNWIND loader, in every run before ours: the same actors and relations,
  each source one transaction of ``UNWIND $rows ... CREATE`` for its actors and
  ``UNWIND $rows ... MATCH (a {id}), (b {id}) CREATE (a)-[:TYPE {...}]->(b)`` for its
  relations, on a label of its own (no claims, no aliases, no name keys): what a
  published loader does, the ceiling for ours on the same server;
* the naive loader: one auto-committed ``MERGE`` per actor and per relation, on
  its own label with its own uniqueness constraint, run on the first
  ``--naive-sample`` actors and relations of the same data; its rates are
  extrapolated to the whole data set (said in the output).

Prints nodes/s and relations/s and the ratios to the plain and naive loaders, and the CPU time our loader's
client and the server used (read from the server's JVM): on a machine shared with other
work the wall time follows the CPU the load gets, the CPU times do not. ``--runs N``
loads the data N times (the database wiped before each), then runs the naive loader once;
``--loads-only`` stops after the runs.
Unless ``--no-record``, the figures go to ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

from maillage.graph.model import Batch, Node, NodeRecord, Relation, RelationRecord, Source
from maillage.graph.store.neo4j import CHUNK_SIZE, Neo4jStore
from results import record

NAIVE_LABEL = "BenchNaiveNode"
PLAIN_LABEL = "BenchPlainNode"


def synthetic(actors: int, relations: int, sources: int, seed: int = 7) -> list[Batch]:
    """``sources`` batches holding ``actors`` actors and ``relations`` distinct relations."""
    rng = random.Random(seed)
    per_source_actors = actors // sources
    per_source_relations = relations // sources
    batches = []
    seen: set[tuple[str, str, str]] = set()
    for s in range(sources):
        name = f"bench-{s:03d}.csv"
        batch = Batch(Source(name, "workbook", "bench"))
        first = s * per_source_actors
        for i in range(first, first + per_source_actors):
            kind = "Association" if i % 2 else "Collectivite"
            node = Node(
                f"{kind.lower()}:bench-{i}", kind, f"Acteur {i}", (f"A{i}",), {"description": f"acteur numéro {i}"}
            )
            batch.nodes.append(NodeRecord(node, f"{name}:{i - first + 2}"))
        last = first + per_source_actors
        line = 2
        while len(batch.relations) < per_source_relations:
            a = rng.randrange(first, last)
            b = rng.randrange(0, last)
            type_ = "PARTNERS_WITH" if rng.random() < 0.5 else "MEMBER_OF"
            ka = "association" if a % 2 else "collectivite"
            kb = "association" if b % 2 else "collectivite"
            key = (f"{ka}:bench-{a}", type_, f"{kb}:bench-{b}")
            if a == b or key in seen:
                continue
            seen.add(key)
            relation = Relation(key[0], type_, key[2], "", {"start": "2009"})
            batch.relations.append(RelationRecord(relation, f"{name}-relations:{line}"))
            line += 1
        batches.append(batch)
    return batches


def database_to_wipe(script: str) -> str | None:
    """The Neo4j URI given in ``MAILLAGE_NEO4J_URI``; without one, say that ``script`` is skipped."""
    uri = os.environ.get("MAILLAGE_NEO4J_URI")
    if not uri:
        print(f"{script}: set MAILLAGE_NEO4J_URI (and NEO4J_PASSWORD) to a Neo4j database it may wipe; skipped")
    return uri


def wipe(store: Neo4jStore) -> None:
    """Delete every node and relationship, in chunks (one huge transaction would need a huge heap),
    and every constraint and index but the token lookups: one left by other work (a uniqueness
    constraint that the Cypher export creates, say) would slow the load measured."""
    with store._session(write=True) as session:
        while session.run("MATCH (n) WITH n LIMIT 20000 DETACH DELETE n RETURN count(*) AS n").single()["n"]:
            pass
        for record in list(session.run("SHOW CONSTRAINTS YIELD name")):
            session.run("DROP CONSTRAINT $name", name=record["name"]).consume()
        for record in list(session.run("SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP'")):
            session.run("DROP INDEX $name", name=record["name"]).consume()


def server_cpu(store: Neo4jStore) -> float | None:
    """CPU seconds the server's JVM has used so far, or None if the server does not say."""
    try:
        with store._session() as session:
            row = session.run(
                "CALL dbms.queryJmx('java.lang:type=OperatingSystem') YIELD attributes "
                "RETURN attributes.ProcessCpuTime.value AS nanoseconds"
            ).single()
    except Exception:
        return None
    return row["nanoseconds"] / 1e9 if row and row["nanoseconds"] is not None else None


def naive_load(store: Neo4jStore, batches: list[Batch], sample: int) -> tuple[float, float, int, int]:
    """One auto-committed MERGE per row; returns (node seconds, relation seconds, nodes, relations)."""
    nodes = [record.node for batch in batches for record in batch.nodes][:sample]
    relations = [record.relation for batch in batches for record in batch.relations]
    ids = {node.id for node in nodes}
    relations = [r for r in relations if r.source in ids and r.target in ids][:sample]
    with store._session(write=True) as session:
        session.run(
            f"CREATE CONSTRAINT bench_naive_id IF NOT EXISTS FOR (n:{NAIVE_LABEL}) REQUIRE n.id IS UNIQUE"
        ).consume()
        session.run("CALL db.awaitIndexes(300)").consume()
        started = time.perf_counter()
        for node in nodes:
            session.run(
                f"MERGE (n:{NAIVE_LABEL} {{id: $id}}) SET n.kind = $kind, n.name = $name, n.description = $description",
                id=node.id,
                kind=node.kind,
                name=node.name,
                description=node.attrs["description"],
            ).consume()
        node_seconds = time.perf_counter() - started
        started = time.perf_counter()
        for relation in relations:
            session.run(
                f"MATCH (a:{NAIVE_LABEL} {{id: $source}}) MATCH (b:{NAIVE_LABEL} {{id: $target}}) "
                "MERGE (a)-[r:BENCH_NAIVE {type: $type}]->(b) SET r.start = $start",
                source=relation.source,
                target=relation.target,
                type=relation.type,
                start=relation.attrs["start"],
            ).consume()
        relation_seconds = time.perf_counter() - started
        session.run("DROP CONSTRAINT bench_naive_id IF EXISTS").consume()
    return node_seconds, relation_seconds, len(nodes), len(relations)


def plain_load(store: Neo4jStore, batches: list[Batch]) -> tuple[float, float | None]:
    """The plain UNWIND loader: each source one transaction that creates its actors, then its
    relations by type (``MATCH`` both ends by their unique id, ``CREATE``), in chunks of
    ``CHUNK_SIZE`` rows of primitive lists, on a label of its own with its uniqueness constraint.
    Returns (seconds, server CPU seconds or None)."""
    with store._session(write=True) as session:
        session.run(
            f"CREATE CONSTRAINT bench_plain_id IF NOT EXISTS FOR (n:{PLAIN_LABEL}) REQUIRE n.id IS UNIQUE"
        ).consume()
        session.run("CALL db.awaitIndexes(300)").consume()
        started, cpu = time.perf_counter(), server_cpu(store)
        for batch in batches:
            nodes = [[r.node.id, r.node.name, r.node.attrs["description"], r.place] for r in batch.nodes]
            by_type: dict[str, list[list[str]]] = {}
            for record in batch.relations:
                relation = record.relation
                by_type.setdefault(relation.type, []).append(
                    [relation.source, relation.target, relation.attrs["start"], record.place]
                )
            with session.begin_transaction() as tx:
                for start in range(0, len(nodes), CHUNK_SIZE):
                    tx.run(
                        f"UNWIND $rows AS r CREATE (:{PLAIN_LABEL} {{id: r[0], name: r[1], description: r[2], place: r[3]}})",
                        rows=nodes[start : start + CHUNK_SIZE],
                    ).consume()
                for type_, rows in by_type.items():
                    for start in range(0, len(rows), CHUNK_SIZE):
                        tx.run(
                            f"UNWIND $rows AS r MATCH (a:{PLAIN_LABEL} {{id: r[0]}}), (b:{PLAIN_LABEL} {{id: r[1]}}) "
                            f"CREATE (a)-[:{type_} {{start: r[2], place: r[3]}}]->(b)",
                            rows=rows[start : start + CHUNK_SIZE],
                        ).consume()
                tx.commit()
        seconds, cpu_now = time.perf_counter() - started, server_cpu(store)
        session.run("DROP CONSTRAINT bench_plain_id IF EXISTS").consume()
    return seconds, (cpu_now - cpu if cpu is not None and cpu_now is not None else None)


def beyond_first_load(store: Neo4jStore, batches: list[Batch], naive_sample: int, ours: float, say) -> None:
    """A second load of the same sources, an unload and reload of the last, then the naive loader."""
    nodes = sum(len(b.nodes) for b in batches)
    relations = sum(len(b.relations) for b in batches)
    counts = store.counts()
    started = time.perf_counter()
    again = [store.write(batch) for batch in batches]
    assert all(result.unchanged for result in again)
    say(f"second load of the same sources: {time.perf_counter() - started:.2f} s, nothing changed")

    # Deleting is where a transaction's own deletions used to make every later index lookup slower.
    last = batches[-1]
    started = time.perf_counter()
    store.unload(last.source.name)
    unloaded = time.perf_counter() - started
    started = time.perf_counter()
    store.write(last)
    reloaded = time.perf_counter() - started
    assert store.counts() == counts, (store.counts(), counts)
    say(
        f"unload of one source ({len(last.nodes):,} actors, {len(last.relations):,} relations): {unloaded:.1f} s; "
        f"loading it again: {reloaded:.1f} s; ratio unload / load: {unloaded / reloaded:.2f}"
    )

    wipe(store)
    node_seconds, relation_seconds, naive_nodes, naive_relations = naive_load(store, batches, naive_sample)
    naive_node_rate = naive_nodes / node_seconds
    naive_relation_rate = naive_relations / relation_seconds
    naive_total = nodes / naive_node_rate + relations / naive_relation_rate
    say(
        f"naive loader (one MERGE per row, on a sample of {naive_nodes} actors and {naive_relations} relations): "
        f"{naive_node_rate:,.0f} nodes/s, {naive_relation_rate:,.0f} relations/s; "
        f"extrapolated to the whole data: {naive_total:.0f} s"
    )
    say(
        f"ratio maillage / naive: {relations / ours / naive_relation_rate:.1f}x on relations/s, "
        f"{nodes / ours / naive_node_rate:.1f}x on nodes/s, {naive_total / ours:.1f}x on the whole load time"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--actors", type=int, default=100_000)
    parser.add_argument("--relations", type=int, default=500_000)
    parser.add_argument("--sources", type=int, default=10)
    parser.add_argument("--naive-sample", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=1, help="loads of the whole data, each into a wiped database")
    parser.add_argument(
        "--loads-only",
        action="store_true",
        help="only the runs' loads and their baseline (no reload, unload, naive loader)",
    )
    parser.add_argument("--no-record", action="store_true", help="do not append the figures to bench/RESULTS.md")
    args = parser.parse_args()
    uri = database_to_wipe("neo4j_load")
    if not uri:
        return 0

    batches = synthetic(args.actors, args.relations, args.sources)
    nodes = sum(len(b.nodes) for b in batches)
    relations = sum(len(b.relations) for b in batches)
    store = Neo4jStore(uri)
    lines: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    try:
        say(f"data: {nodes} actors, {relations} relations in {len(batches)} sources; server {uri}")
        for run in range(1, args.runs + 1):
            # The baseline first, so that our loader leaves the database filled for what follows.
            wipe(store)
            plain, plain_server = plain_load(store, batches)
            plain_cpu = f"{plain_server:.1f} s" if plain_server is not None else "unknown"
            wipe(store)
            store.init()
            started = time.perf_counter()
            client_started = time.process_time()
            server_started = server_cpu(store)
            for batch in batches:
                store.write(batch)
            ours = time.perf_counter() - started
            client = time.process_time() - client_started
            server_now = server_cpu(store)
            server = f"{server_now - server_started:.1f} s" if server_now is not None and server_started else "unknown"
            counts = store.counts()
            assert sum(counts.get(kind, 0) for kind in ("Association", "Collectivite")) == nodes, counts
            assert counts.get("PARTNERS_WITH", 0) + counts.get("MEMBER_OF", 0) == relations, counts
            # Our loader writes nodes and relations in the same transactions; its rates
            # are whole-load rates: each count divided by the whole load time.
            ours_nodes, ours_relations = nodes / ours, relations / ours
            # The client and a local server share the machine's cores: say how much CPU each used.
            say(
                f"maillage loader, run {run}: {ours:.1f} s for everything: {ours_nodes:,.0f} nodes/s, "
                f"{ours_relations:,.0f} relations/s (whole-load rates); CPU: client {client:.1f} s "
                f"(this Python process, both threads), server {server}; load average {os.getloadavg()[0]:.1f}"
            )
            say(
                f"plain UNWIND loader, run {run}: {plain:.1f} s: {relations / plain:,.0f} relations/s, server CPU "
                f"{plain_cpu}; ratio maillage / plain: {plain / ours:.2f} on relations/s"
            )
        if not args.loads_only:
            beyond_first_load(store, batches, args.naive_sample, ours, say)
        wipe(store)
    finally:
        store.close()
    if not args.no_record:
        record("neo4j_load", lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
