"""Load speed of the Neo4j store against a naive one-MERGE-per-row loader, in the same run.

    MAILLAGE_NEO4J_URI=bolt://127.0.0.1:7687 NEO4J_PASSWORD=... python bench/neo4j_load.py

WARNING: the benchmark deletes everything in the database it is given. Without
MAILLAGE_NEO4J_URI it says so and exits 0 (``make bench`` runs every script).

What it does, on synthetic data with a fixed seed:

* our loader: ``Neo4jStore.write`` of ``--actors`` actors and ``--relations``
  relations, split into ``--sources`` sources (each source one transaction, as
  ``maillage load`` of that many workbooks would do); relations of a source name
  actors of that source and of sources loaded before it;
* the naive loader: one auto-committed ``MERGE`` per actor and per relation, on
  its own label with its own uniqueness constraint, run on the first
  ``--naive-sample`` actors and relations of the same data; its rates are
  extrapolated to the whole data set (said in the output).

Prints nodes/s and relations/s for both and the ratio, and the CPU time our loader's
client and the server used (read from the server's JVM): on a machine shared with other
work the wall time follows the CPU the load gets, the CPU times do not. ``--runs N``
loads the data N times (the database wiped before each), then runs the naive loader once.
Unless ``--no-record``, the figures go to ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

from maillage.graph.model import Batch, Node, NodeRecord, Relation, RelationRecord, Source
from maillage.graph.store.neo4j import Neo4jStore
from results import record

NAIVE_LABEL = "BenchNaiveNode"


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--actors", type=int, default=100_000)
    parser.add_argument("--relations", type=int, default=500_000)
    parser.add_argument("--sources", type=int, default=10)
    parser.add_argument("--naive-sample", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=1, help="loads of the whole data, each into a wiped database")
    parser.add_argument("--no-record", action="store_true", help="do not append the figures to bench/RESULTS.md")
    args = parser.parse_args()
    uri = os.environ.get("MAILLAGE_NEO4J_URI")
    if not uri:
        print("neo4j_load: set MAILLAGE_NEO4J_URI (and NEO4J_PASSWORD) to a Neo4j database it may wipe; skipped")
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
        node_seconds, relation_seconds, naive_nodes, naive_relations = naive_load(store, batches, args.naive_sample)
        naive_node_rate = naive_nodes / node_seconds
        naive_relation_rate = naive_relations / relation_seconds
        naive_total = nodes / naive_node_rate + relations / naive_relation_rate
        say(
            f"naive loader (one MERGE per row, on a sample of {naive_nodes} actors and {naive_relations} relations): "
            f"{naive_node_rate:,.0f} nodes/s, {naive_relation_rate:,.0f} relations/s; "
            f"extrapolated to the whole data: {naive_total:.0f} s"
        )
        say(
            f"ratio maillage / naive: {ours_relations / naive_relation_rate:.1f}x on relations/s, "
            f"{ours_nodes / naive_node_rate:.1f}x on nodes/s, {naive_total / ours:.1f}x on the whole load time"
        )
        wipe(store)
    finally:
        store.close()
    if not args.no_record:
        record("neo4j_load", lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
