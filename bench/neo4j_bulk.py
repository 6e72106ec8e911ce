"""First load of a large graph into Neo4j: the bulk path against the driver path, in the same run.

    MAILLAGE_NEO4J_URI=bolt://127.0.0.1:7687 NEO4J_PASSWORD=... NEO4J_HEAP=2g python bench/neo4j_bulk.py

WARNING: the benchmark deletes everything in the database it is given, and replaces it by an
import: the server must be one ``scripts/neo4j`` runs on this machine (its port is taken from
the URI). Without MAILLAGE_NEO4J_URI it says so and exits 0 (``make bench`` runs every script).

The same synthetic graph (``bench/neo4j_load.py``'s generator: ``--actors`` actors and
``--relations`` relations in ``--sources`` sources) is loaded into a SQLite store, then
copied into the emptied Neo4j database twice:

* driver path: ``maillage push`` (:func:`maillage.graph.transfer.copy_graph`), one transaction
  per source;
* bulk path: ``push --bulk`` (:func:`write_bulk_push`, the CSV files), ``scripts/neo4j import``
  (stop, ``neo4j-admin database import full``, start) and ``init`` (constraints, indexes,
  empty lists), each timed.

Prints nodes/s and relations/s of each path (whole-path rates: each count divided by the
whole time), the load average (one minute) at the end of each, and the ratio, and checks
that both give the same counts.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from maillage.graph.store.neo4j import Neo4jStore
from maillage.graph.store.neo4j.bulk import write_bulk_push
from maillage.graph.store.sqlite import SQLiteStore
from maillage.graph.transfer import copy_graph
from neo4j_load import synthetic, wipe
from results import record

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--actors", type=int, default=1_000_000)
    parser.add_argument("--relations", type=int, default=3_000_000)
    parser.add_argument("--sources", type=int, default=10)
    parser.add_argument("--no-record", action="store_true", help="Do not append the figures to bench/RESULTS.md.")
    args = parser.parse_args()
    uri = os.environ.get("MAILLAGE_NEO4J_URI")
    if not uri:
        print(
            "neo4j_bulk: set MAILLAGE_NEO4J_URI (and NEO4J_PASSWORD) to a local Neo4j database it may replace; skipped"
        )
        return 0
    port = urlsplit(uri).port or 7687

    lines = []

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    with tempfile.TemporaryDirectory(prefix="maillage-bulk-") as work:
        origin = SQLiteStore(Path(work) / "origin.db")
        started = time.perf_counter()
        for batch in synthetic(args.actors, args.relations, args.sources):
            origin.write(batch)
        nodes = sum(source.nodes for source in origin.sources())
        relations = sum(source.relations for source in origin.sources())
        print(
            f"origin: SQLite store of {nodes:,} actors, {relations:,} relations in {args.sources} sources, "
            f"built in {time.perf_counter() - started:.0f} s; server {uri}"
        )

        store = Neo4jStore(uri)
        try:
            wipe(store)
            started = time.perf_counter()
            copy_graph(origin, store)
            driver = time.perf_counter() - started
            driver_load = os.getloadavg()[0]
            expected = store.counts()
            say(
                f"driver path (push): {driver:.1f} s: {nodes / driver:,.0f} nodes/s, {relations / driver:,.0f} relations/s;"
                f" load average {driver_load:.1f}"
            )
            wipe(store)

            started = time.perf_counter()
            files = write_bulk_push(origin, store, Path(work) / "bulk")
            written = time.perf_counter() - started
        finally:
            store.close()
        started = time.perf_counter()
        subprocess.run(
            [str(ROOT / "scripts" / "neo4j"), "import", str(files.directory)],
            check=True,
            env={**os.environ, "NEO4J_BOLT_PORT": str(port)},
            stdout=subprocess.DEVNULL,
        )
        imported = time.perf_counter() - started
        started = time.perf_counter()
        with Neo4jStore(uri) as store:
            store.init()
            finished = time.perf_counter() - started
            assert store.counts() == expected, (store.counts(), expected)
            wipe(store)
        origin.close()

    bulk = written + imported + finished
    say(
        f"bulk path (push --bulk, scripts/neo4j import, init): {bulk:.1f} s: {nodes / bulk:,.0f} nodes/s, "
        f"{relations / bulk:,.0f} relations/s; load average {os.getloadavg()[0]:.1f}"
    )
    say(
        f"  files {written:.1f} s ({files.nodes:,} nodes, {files.relationships:,} relationships), "
        f"stop + import + start {imported:.1f} s, init {finished:.1f} s"
    )
    say(
        f"ratio bulk / driver: {driver / bulk:.1f}x on the whole load time; {args.actors:,} actors, {args.relations:,} relations"
    )
    if not args.no_record:
        record("neo4j_bulk", lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
