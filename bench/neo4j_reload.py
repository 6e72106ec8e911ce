"""Reload and unload a generated RNA extract in which every row changed, on Neo4j, with ``maillage``.

    NEO4J_HEAP=2g scripts/neo4j start
    MAILLAGE_NEO4J_URI=bolt://127.0.0.1:7687 NEO4J_PASSWORD=... python bench/neo4j_reload.py --rows 200000

WARNING: the benchmark deletes everything in the database it is given. Without
MAILLAGE_NEO4J_URI it says so and exits 0 (``make bench`` runs every script).

For each size: wipe the database, load a generated COG and an extract of that many rows (the
generator of ``bench/load_rna.py``), then time ``maillage load`` of the extract of the same
associations generated with another seed (other titles, dates and states: every row changed),
and then ``maillage unload`` of the register. Each command runs as a user runs it (a
subprocess). Meanwhile a second connection reads the server's transactions every 0.2 s: the
peak estimated heap of one transaction, and of all open transactions at once, which is what
the server's transaction memory limits bound. The baseline, measured in the same run: the
first load of the extract.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from load_rna import cog_folder, write_waldec
from maillage.graph.store.neo4j import Neo4jStore
from neo4j_load import database_to_wipe, server_cpu, wipe
from results import record

SAMPLE_SECONDS = 0.2
STEPS = ["load", "reload", "unload"]


class PeakMemory:
    """The peak estimated heap of the server's transactions, sampled from another connection."""

    def __init__(self, uri: str):
        self.store = Neo4jStore(uri)
        self.one = self.all = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def sample(self) -> None:
        while not self.stop.wait(SAMPLE_SECONDS):
            row = self.store.query(
                "SHOW TRANSACTIONS YIELD estimatedUsedHeapMemory AS heap, currentQuery "
                "WHERE NOT currentQuery STARTS WITH 'SHOW TRANSACTIONS' "
                "RETURN coalesce(max(heap), 0) AS one, coalesce(sum(heap), 0) AS all"
            )[0]
            self.one, self.all = max(self.one, row["one"]), max(self.all, row["all"])

    def __enter__(self) -> PeakMemory:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop.set()
        self.thread.join()
        self.store.close()

    def __str__(self) -> str:
        return f"peak transaction heap {self.one / 2**20:,.0f} MiB (all open transactions {self.all / 2**20:,.0f} MiB)"


def timed(uri: str, store: Neo4jStore, *args: str) -> str:
    """Run ``maillage --store URI ARGS``: one line of its time, memory, server CPU and outcome."""
    command = [str(Path(sys.executable).with_name("maillage")), "--store", uri, "--contributor", "bench", *args]
    cpu = server_cpu(store)
    with PeakMemory(uri) as peak:
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        seconds = time.perf_counter() - started
    after = server_cpu(store)
    server = f"{after - cpu:.1f} s" if cpu is not None and after is not None else "unknown"
    outcome = done.stdout.strip() if done.returncode == 0 else f"FAILED ({done.returncode}): {done.stderr.strip()}"
    return f"{seconds:.1f} s, {peak}, server CPU {server}, load average {os.getloadavg()[0]:.1f}; {outcome}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[200_000])
    parser.add_argument("--keep", type=Path, help="folder to keep the generated files in (reused by later runs)")
    parser.add_argument("--no-record", action="store_true", help="do not append the figures to bench/RESULTS.md")
    parser.add_argument(
        "--steps",
        nargs="+",
        choices=STEPS,
        default=STEPS,
        help="what to run, in this order (without load: on the database as it is, the first extract loaded)",
    )
    args = parser.parse_args()
    uri = database_to_wipe("neo4j_reload")
    if not uri:
        return 0
    folder, cog = cog_folder(args.keep, "maillage-neo4j-reload-")
    lines = []
    store = Neo4jStore(uri)
    try:
        for rows in args.rows:
            # Two months of the same register: the file names say which is the later one.
            first, second = folder / f"rna_waldec_20241001_{rows}.csv", folder / f"rna_waldec_20241101_{rows}.csv"
            for path, seed in ((first, 7), (second, 8)):
                if not path.exists():
                    write_waldec(path, rows, seed=seed)
            if "load" in args.steps:
                store.clear()
                wipe(store)
                store.init()
                timed(uri, store, "load", *map(str, cog))
            for step, what, command in (
                ("load", "first load", ("load", str(first))),
                ("reload", "reload, every row changed", ("load", str(second))),
                ("unload", "unload", ("unload", "rna-waldec")),
            ):
                if step not in args.steps:
                    continue
                line = f"{rows:,} rows, {what}: {timed(uri, store, *command)}"
                print(line, flush=True)
                lines.append(line)
    finally:
        store.close()
    if not args.no_record:
        record("neo4j_reload", lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
