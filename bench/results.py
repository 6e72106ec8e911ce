"""Append a benchmark run's figures to ``bench/RESULTS.md``, with its date and machine.

Every script in ``bench/`` prints its figures and, unless run with ``--no-record``,
calls :func:`record` so that the results file keeps each run, newest last::

    from results import record
    record("load_rna", ["load: 105,463 rows/s", "ratio to csv.reader: 0.20"])
"""

from __future__ import annotations

import datetime
import os
import platform
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["RESULTS", "machine", "record"]

RESULTS = Path(__file__).with_name("RESULTS.md")


def machine() -> str:
    """One line describing this machine: cores, memory, processor, Python."""
    memory = ""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            total_kib = int(meminfo.readline().split()[1])
        memory = f", {total_kib / 1024**2:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    processor = platform.processor() or platform.machine()
    return f"{os.cpu_count()} cores{memory}, {processor}, {platform.system()}, Python {sys.version.split()[0]}"


def record(benchmark: str, lines: Sequence[str], path: Path = RESULTS) -> None:
    """Append one run of ``benchmark`` (its printed figures, one per line) to ``path``."""
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = "" if path.exists() else "# Benchmark results\n\nEach run appends its figures here, newest last.\n"
    body = "\n".join(f"    {line}" for line in lines)
    with path.open("a", encoding="utf-8") as results:
        results.write(f"{header}\n## {benchmark}, {stamp}\n\n{machine()}\n\n{body}\n")
