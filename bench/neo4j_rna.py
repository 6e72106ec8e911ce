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
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from load_rna import write_cog, write_waldec
from maillage.graph.store.neo4j import Neo4jStore
from neo4j_load import server_cpu, wipe
from results import record

BASELINE_ROWS = 90_000


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[200_000, 500_000])
    parser.add_argument("--keep", type=Path, help="folder to keep the generated files in (reused by later runs)")
    parser.add_argument("--no-record", action="store_true", help="do not append the figures to bench/RESULTS.md")
    args = parser.parse_args()
    uri = os.environ.get("MAILLAGE_NEO4J_URI")
    if not uri:
        print("neo4j_rna: set MAILLAGE_NEO4J_URI (and NEO4J_PASSWORD) to a Neo4j database it may wipe; skipped")
        return 0
    folder = args.keep or Path(tempfile.mkdtemp(prefix="maillage-neo4j-rna-"))
    folder.mkdir(parents=True, exist_ok=True)
    cog_folder = folder / "cog"
    cog_folder.mkdir(exist_ok=True)
    cog = write_cog(cog_folder)
    lines = []
    store = Neo4jStore(uri)
    try:
        figures = []
        for rows in [BASELINE_ROWS, *args.rows]:
            extract = folder / f"rna_waldec_{rows}.csv"
            if not extract.exists():
                write_waldec(extract, rows)
            seconds, output, counts, server = load_once(uri, store, cog, extract, rows)
            rate = rows / seconds
            figures.append(rate)
            how = "one transaction" if rows == BASELINE_ROWS else "batched"
            line = (
                f"{rows:,} rows ({how}): {seconds:.1f} s, {rate:,.0f} rows/s, "
                f"{rate / figures[0]:.2f}x the {BASELINE_ROWS:,}-row load; "
                f"server CPU {server}; load average {os.getloadavg()[0]:.1f}; "
                f"client peak RSS so far {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MiB; "
                f"{counts.get('Association', 0):,} associations, {counts.get('LOCATED_IN', 0):,} LOCATED_IN; {output}"
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
