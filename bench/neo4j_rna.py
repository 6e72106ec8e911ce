"""Load generated RNA extracts (real ``rna_waldec`` format) into Neo4j with ``maillage load``.

    NEO4J_HEAP=2g scripts/neo4j start
    MAILLAGE_NEO4J_URI=bolt://127.0.0.1:7687 NEO4J_PASSWORD=... python bench/neo4j_rna.py --rows 200000 500000

WARNING: the benchmark deletes everything in the database it is given. Without
MAILLAGE_NEO4J_URI it says so and exits 0 (``make bench`` runs every script).

For each size: wipe the database, load a generated COG (the generator of
``bench/load_rna.py``), then time ``maillage load`` of a generated extract of that
many rows, run as a user runs it (a subprocess): rows of the file per second, the CPU
time the server spent on it (read from its JVM), the client's peak RSS, and the counts
read back. A stream of more than 200,000 records
(100,000 rows) is written in transactions of 50,000 records under a pending load and
published at the end. The baseline, measured in the same run before the sizes: the
same extract cut at 90,000 rows, which the store writes in one transaction.

With ``--plain``, each size is also written by a plain UNWIND loader on a database holding
only the COG, as the ceiling of a Cypher load on this machine: the same rows read by
the same reader, one transaction per 10,000 rows, each creating the association with the
same attributes and its ``LOCATED_IN`` link to the commune matched by an indexed id, without
provenance, claims or a pending load.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from load_rna import cog_folder, write_waldec
from maillage.graph.store.neo4j import Neo4jStore
from maillage.loaders import LoadOptions, LoadReport
from maillage.loaders.rna import Member, _kept
from neo4j_load import database_to_wipe, server_cpu, wipe
from results import record

BASELINE_ROWS = 90_000
PLAIN_LABEL = "BenchPlainAssociation"
PLAIN_BATCH = 10_000
PLAIN_WRITE = (
    f"UNWIND $rows AS row CREATE (a:{PLAIN_LABEL} {{id: row[0], name: row[1], rna_id: row[2], siret: row[3], "
    "date: row[4], postal_code: row[5], object_codes: row[6]}) "
    "WITH a, row MATCH (c:Node {id: row[7]}) CREATE (a)-[:LOCATED_IN]->(c)"
)


def maillage(uri: str, *args: str) -> tuple[float, str]:
    """Run ``maillage --store URI ARGS``; return its wall time and its standard output."""
    command = [str(Path(sys.executable).with_name("maillage")), "--store", uri, "--contributor", "bench", *args]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"neo4j_rna: {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    return seconds, done.stdout.strip()


def empty(store: Neo4jStore) -> None:
    """Delete everything, relationships first (a commune and its thousands of links at once would
    need as much transaction memory as loading them did), then what ``wipe`` deletes."""
    store.clear()
    wipe(store)


def load_once(
    uri: str, store: Neo4jStore, cog: list[Path], extract: Path, rows: int
) -> tuple[float, str, dict[str, int]]:
    empty(store)
    store.init()
    maillage(uri, "load", *map(str, cog))
    before = server_cpu(store)
    seconds, output = maillage(uri, "load", str(extract))
    after = server_cpu(store)
    server = f"{after - before:.1f} s" if before is not None and after is not None else "unknown"
    return seconds, output, store.counts(), server


def plain_load(uri: str, store: Neo4jStore, cog: list[Path], extract: Path) -> tuple[float, int, str]:
    """Empty the database, load the COG, then write ``extract`` with :data:`PLAIN_WRITE`; return
    the seconds the plain load took, the associations it wrote and the server's CPU time."""
    empty(store)
    store.init()
    maillage(uri, "load", *map(str, cog))
    with store._session(write=True) as session:
        session.run(f"CREATE INDEX bench_plain_id IF NOT EXISTS FOR (a:{PLAIN_LABEL}) ON (a.id)").consume()
        session.run("CALL db.awaitIndexes(300)").consume()
    before = server_cpu(store)
    started = time.perf_counter()
    written = 0
    rows: list[list] = []
    with store._session(write=True) as session:

        def flush() -> None:
            session.execute_write(lambda tx: tx.run(PLAIN_WRITE, rows=rows).consume())

        for node_id, title, _alias, rna_id, siret, codes, date, _web, postal_code, _place, code in _kept(
            [Member(extract)], LoadOptions(), LoadReport()
        ):
            rows.append([node_id, title, rna_id, siret, date, postal_code, list(codes), f"collectivite:com-{code}"])
            if len(rows) == PLAIN_BATCH:
                flush()
                written += len(rows)
                rows = []
        if rows:
            flush()
            written += len(rows)
    seconds = time.perf_counter() - started
    after = server_cpu(store)
    with store._session(write=True) as session:
        session.run("DROP INDEX bench_plain_id IF EXISTS").consume()
    server = f"{after - before:.1f} s" if before is not None and after is not None else "unknown"
    return seconds, written, server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[200_000, 500_000])
    parser.add_argument("--keep", type=Path, help="folder to keep the generated files in (reused by later runs)")
    parser.add_argument("--no-record", action="store_true", help="do not append the figures to bench/RESULTS.md")
    parser.add_argument("--plain", action="store_true", help="also write each size with a plain UNWIND loader")
    parser.add_argument("--no-baseline", action="store_true", help="skip the 90,000-row one-transaction load")
    args = parser.parse_args()
    uri = database_to_wipe("neo4j_rna")
    if not uri:
        return 0
    folder, cog = cog_folder(args.keep, "maillage-neo4j-rna-")
    lines = []
    store = Neo4jStore(uri)
    try:
        figures = []
        for rows in [*([] if args.no_baseline else [BASELINE_ROWS]), *args.rows]:
            extract = folder / f"rna_waldec_{rows}.csv"
            if not extract.exists():
                write_waldec(extract, rows)
            seconds, output, counts, server = load_once(uri, store, cog, extract, rows)
            rate = rows / seconds
            figures.append(rate)
            how = "one transaction" if rows == BASELINE_ROWS else "batched"
            line = (
                f"{rows:,} rows ({how}): {seconds:.1f} s, {rate:,.0f} rows/s, "
                + (f"{rate / figures[0]:.2f}x the {BASELINE_ROWS:,}-row load; " if not args.no_baseline else "")
                + f"server CPU {server}; load average {os.getloadavg()[0]:.1f}; "
                f"client peak RSS so far {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MiB; "
                f"{counts.get('Association', 0):,} associations, {counts.get('LOCATED_IN', 0):,} LOCATED_IN; {output}"
            )
            print(line, flush=True)
            lines.append(line)
            if args.plain:
                plain_seconds, written, plain_server = plain_load(uri, store, cog, extract)
                plain_rate = rows / plain_seconds
                line = (
                    f"{rows:,} rows, plain UNWIND loader: {plain_seconds:.1f} s, {plain_rate:,.0f} rows/s "
                    f"({written:,} associations); server CPU {plain_server}; load average {os.getloadavg()[0]:.1f}; "
                    f"ratio maillage / plain: {rate / plain_rate:.2f}"
                )
                print(line, flush=True)
                lines.append(line)
        empty(store)
    finally:
        store.close()
    if not args.no_record:
        record("neo4j_rna", lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
