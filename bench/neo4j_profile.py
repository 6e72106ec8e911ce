"""Where the Neo4j server's work goes in a load: every statement of a write, profiled.

    MAILLAGE_NEO4J_URI=bolt://127.0.0.1:7687 NEO4J_PASSWORD=... python bench/neo4j_profile.py

WARNING: the benchmark deletes everything in the database it is given. Without
MAILLAGE_NEO4J_URI it says so and exits 0 (``make bench`` runs every script).

On the synthetic data of ``bench/neo4j_load.py`` (``--actors`` actors, ``--relations``
relations in ``--sources`` sources), it loads every source but the last as the store
does, then the last one with each statement of its transaction run under ``PROFILE``;
then, from the same start, the last one through a stream of ``--batch-records``
records per transaction (a pending load, published at the end), profiled the same way.
For each statement: rows sent, database hits, hits per row, the operators that touch
the store (index seeks, label scans, ``Eager``). Then the plain ``UNWIND ... MATCH ...
CREATE`` of the same nodes and relations, on a label of its own, profiled the same way.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections import Counter
from typing import Any

from maillage.graph.model import NodeRecord, RelationRecord
from maillage.graph.store.neo4j import Neo4jStore, write
from neo4j_load import synthetic, wipe

PLAIN_LABEL = "BenchPlainNode"
# Operators worth naming: how rows are found, and what makes the planner hold every row.
WATCHED = re.compile(r"Seek|Scan|Eager|Merge|Apply|Create|SetProperties|SetNodeProperties|SetRelationshipProperties")


def hits(plan: Any) -> int:
    return plan.get("dbHits", 0) + sum(hits(child) for child in plan.get("children", []))


def operators(plan: Any, found: Counter) -> Counter:
    name = plan.get("operatorType", "").split("@")[0]
    if WATCHED.search(name):
        found[name] += 1
    for child in plan.get("children", []):
        operators(child, found)
    return found


class Profiled:
    """What a driver result gives, read at once from a ``PROFILE`` run."""

    def __init__(self, records: list, summary: Any):
        self.records = records
        self.summary = summary

    def __iter__(self):
        return iter(self.records)

    def single(self):
        return self.records[0] if self.records else None

    def consume(self):
        return self.summary


class ProfilingTransaction:
    """A transaction that runs every statement under ``PROFILE`` and keeps its plan."""

    def __init__(self, tx: Any, log: list[tuple[str, int, Any, float]], profile: bool = True):
        self._tx = tx
        self._log = log
        self._prefix = "PROFILE " if profile else ""

    def run(self, query: str, parameters: dict | None = None, **extra: Any) -> Profiled:
        params = {**(parameters or {}), **extra}
        cpu = self._cpu()
        result = self._tx.run(f"{self._prefix}{query}", params)
        records = list(result)
        summary = result.consume()
        seconds = self._cpu() - cpu
        rows = max((len(v) for v in params.values() if isinstance(v, list)), default=1)
        self._log.append((query, rows, summary.profile or {}, seconds))
        return Profiled(records, summary)

    def _cpu(self) -> float:
        return server_cpu(self._tx)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tx, name)


def server_cpu(runner: Any) -> float:
    """CPU seconds the server's JVM has used so far (all its threads)."""
    row = runner.run(
        "CALL dbms.queryJmx('java.lang:type=OperatingSystem') YIELD attributes "
        "RETURN attributes.ProcessCpuTime.value AS nanoseconds"
    ).single()
    return row["nanoseconds"] / 1e9


def store_cpu(store: Neo4jStore) -> float:
    with store._session() as session:
        return server_cpu(session)


def shorten(query: str, width: int = 150) -> str:
    query = " ".join(query.split())
    return query if len(query) <= width else query[: width - 1] + "…"


def report(title: str, log: list[tuple[str, int, Any, float]], relations: int) -> int:
    print(f"\n{title}")
    total = 0
    grouped: dict[str, list[float]] = {}
    plans: dict[str, Counter] = {}
    for query, rows, plan, seconds in log:
        entry = grouped.setdefault(query, [0, 0, 0, 0.0])
        entry[0] += 1
        entry[1] += rows
        entry[2] += hits(plan)
        entry[3] += seconds
        operators(plan, plans.setdefault(query, Counter()))
        total += hits(plan)
    for query, (runs, rows, db_hits, seconds) in sorted(grouped.items(), key=lambda item: -item[1][3]):
        ops = ", ".join(f"{name}×{count}" for name, count in sorted(plans[query].items()))
        print(
            f"  {seconds:6.2f} s CPU {db_hits:>10,} hits  {runs:>3} runs  {rows:>7,} rows  {db_hits / max(rows, 1):7.1f}/row  {shorten(query)}"
        )
        if ops:
            print(f"  {'':>19}       {ops}")
    spent = sum(entry[3] for entry in grouped.values())
    print(
        f"  total {total:,} db hits, {total / max(relations, 1):.1f} per relation written; {spent:.2f} s of server CPU in statements"
    )
    return total


def plain_load(
    store: Neo4jStore, nodes: list[NodeRecord], relations: list[RelationRecord], profile: bool
) -> tuple[list, float, float]:
    """The plain UNWIND loader's statements for ``nodes`` and ``relations``, in one transaction; and its whole time."""
    log: list[tuple[str, int, Any, float]] = []
    with store._session(write=True) as session:
        session.run(
            f"CREATE CONSTRAINT bench_plain_id IF NOT EXISTS FOR (n:{PLAIN_LABEL}) REQUIRE n.id IS UNIQUE"
        ).consume()
        session.run("CALL db.awaitIndexes(300)").consume()
        started, cpu = time.perf_counter(), server_cpu(session)
        with session.begin_transaction() as tx:
            profiled = ProfilingTransaction(tx, log, profile)
            node_rows = [[r.node.id, r.node.name, r.place] for r in nodes]
            profiled.run(
                f"UNWIND $rows AS r CREATE (n:{PLAIN_LABEL} {{id: r[0], name: r[1], place: r[2]}})", rows=node_rows
            )
            by_type: dict[str, list[list[str]]] = {}
            for record in relations:
                relation = record.relation
                by_type.setdefault(relation.type, []).append(
                    [relation.source, relation.target, relation.attrs["start"], record.place]
                )
            for type_, rows in by_type.items():
                profiled.run(
                    f"UNWIND $rows AS r MATCH (a:{PLAIN_LABEL} {{id: r[0]}}), (b:{PLAIN_LABEL} {{id: r[1]}}) "
                    f"CREATE (a)-[:{type_} {{start: r[2], place: r[3]}}]->(b)",
                    rows=rows,
                )
            tx.commit()
        seconds, cpu = time.perf_counter() - started, server_cpu(session) - cpu
        session.run("DROP CONSTRAINT bench_plain_id IF EXISTS").consume()
    return log, seconds, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--actors", type=int, default=20_000)
    parser.add_argument("--relations", type=int, default=100_000)
    parser.add_argument("--sources", type=int, default=2)
    parser.add_argument("--batch-records", type=int, default=20_000)
    parser.add_argument("--no-profile", action="store_true", help="time each statement without PROFILE")
    args = parser.parse_args()
    uri = os.environ.get("MAILLAGE_NEO4J_URI")
    if not uri:
        print("neo4j_profile: set MAILLAGE_NEO4J_URI (and NEO4J_PASSWORD) to a Neo4j database it may wipe; skipped")
        return 0
    batches = synthetic(args.actors, args.relations, args.sources)
    last = batches[-1]
    store = Neo4jStore(uri)
    log: list[tuple[str, int, Any, float]] = []
    plain_writer_init = write._Writer.__init__

    def profiling_init(self: Any, tx: Any) -> None:
        plain_writer_init(self, ProfilingTransaction(tx, log, not args.no_profile))

    def load_all_but_last() -> None:
        write._Writer.__init__ = plain_writer_init
        wipe(store)
        store.init()
        for batch in batches[:-1]:
            store.write(batch)
        log.clear()
        write._Writer.__init__ = profiling_init

    try:
        load_all_but_last()
        started, cpu = time.perf_counter(), store_cpu(store)
        store.write(last)
        seconds, cpu = time.perf_counter() - started, store_cpu(store) - cpu
        report(
            f"write of a new source, one transaction ({len(last.nodes):,} actors, {len(last.relations):,} relations), "
            f"{seconds:.2f} s in all, {len(last.relations) / seconds:,.0f} relations/s, server CPU {cpu:.2f} s:",
            log,
            len(last.relations),
        )
        load_all_but_last()
        store.batch_records = store.direct_stream_records = args.batch_records
        started, cpu = time.perf_counter(), store_cpu(store)
        store.write_stream(last.source, [*last.nodes, *last.relations])
        seconds, cpu = time.perf_counter() - started, store_cpu(store) - cpu
        report(
            f"the same source streamed, {args.batch_records:,} records per transaction (a pending load, then published), "
            f"{seconds:.2f} s in all, {len(last.relations) / seconds:,.0f} relations/s, server CPU {cpu:.2f} s:",
            log,
            len(last.relations),
        )
        write._Writer.__init__ = plain_writer_init
        wipe(store)
        plain, seconds, cpu = plain_load(
            store, [r for b in batches for r in b.nodes], last.relations, not args.no_profile
        )
        report(
            f"plain UNWIND loader, every actor and the last source's relations, one transaction, {seconds:.2f} s in all, "
            f"{len(last.relations) / seconds:,.0f} relations/s, server CPU {cpu:.2f} s:",
            plain,
            len(last.relations),
        )
        wipe(store)
    finally:
        write._Writer.__init__ = plain_writer_init
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
