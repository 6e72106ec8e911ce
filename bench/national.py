"""The whole country through the command line: national COG, BANATIC and RNA, loaded, reported, mapped.

Generates a national-size extract in the registers' real formats (INSEE COG
with 18 régions, 101 départements and about 35,000 communes; BANATIC
perimeters of about 1,250 EPCI covering every commune, with the commune
SIREN table; an ``rna_waldec`` extract of 2,000,000 rows, three in four of
them active, a third with a SIRET, one SIRET in a hundred failing its
checksum), then runs the real ``maillage`` command on it, each step a process
of its own, and prints for each its time and the peak memory (RSS) of its
process tree (``maillage`` and the worker process reading the RNA):

* ``maillage load`` of the COG, of BANATIC, then of the RNA (rows/s);
* the store's size;
* ``maillage report centrality`` on the graph of about 1.5 million nodes;
* ``maillage map --focus`` on one commune (its associations, département, EPCI).

Targets (embedded store): RNA load at least 100,000 rows/s, peak under 2 GiB,
report under 60 s; on Neo4j with a 2 GB heap: RNA load at least 20,000 rows/s. The figures are appended to ``bench/RESULTS.md`` unless
``--no-record``. Generated files go to a temporary folder, or to ``--keep DIR``,
where a later run finds them and does not generate them again.

    python bench/national.py                                  # embedded store, in the work folder
    python bench/national.py --rows 200000                    # a quicker, smaller run
    NEO4J_PASSWORD=... python bench/national.py --store bolt://127.0.0.1:7687

A Neo4j store is given as is to every command (its password from
``NEO4J_PASSWORD``, as ``maillage`` reads it); the benchmark then does not
measure the store's size, and the store should be empty: the RNA load is
skipped as unchanged if the same extract is already there.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_rna import DEPARTEMENTS, commune_codes, luhn_digit, write_cog, write_waldec
from results import record

REGIONS = ("01", "02", "03", "04", "06", "11", "24", "27", "28", "32", "44", "52", "53", "75", "76", "84", "93", "94")
#: 96 départements of metropolitan France with this many communes, and 5 overseas with 99: about 35,000.
COMMUNES_PER_DEPARTEMENT = 360
COMMUNES_PER_EPCI = 28
MAILLAGE = Path(sys.executable).with_name("maillage")
FOCUS = "collectivite:com-93064"
BANATIC_HEADER = (
    "N° SIREN",
    "Nom du groupement",
    "Nature juridique",
    "Date de création",
    "Date d'effet",
    "Département siège",
    "Commune siège",
    "Nombre de membres",
    "Population",
    "Type",
    "Siren membre",
    "Nom membre",
    "Département membre",
    "Représentation-substitution",
)


def departement_of(code: str) -> str:
    return code[:3] if code.startswith("97") else code[:2]


def commune_siren(code: str) -> str:
    """A commune's SIREN (21 + its INSEE code's digits + a check digit), as in the SIREN table."""
    digits = "21" + code.replace("A", "0").replace("B", "0") + "0"
    return digits + luhn_digit(digits)


def write_banatic(directory: Path, codes: list[str]) -> tuple[Path, Path]:
    """BANATIC perimeters of EPCI grouping the communes of each département by
    ``COMMUNES_PER_EPCI`` (tab-separated cp1252 behind an ``.xls`` name, CRLF), and the
    commune SIREN table that ties their members to the COG."""
    by_departement: dict[str, list[str]] = {}
    for code in codes:
        by_departement.setdefault(departement_of(code), []).append(code)
    perimeter = directory / "perimetre_epci_2024.xls"
    table = directory / "siren_insee_2024.csv"
    number = 0
    with (
        open(perimeter, "w", encoding="cp1252", newline="") as out,
        open(table, "w", encoding="utf-8", newline="") as sirens,
    ):
        out.write("\t".join(BANATIC_HEADER) + "\r\n")
        sirens.write("siren;insee;raison_sociale;nature_juridique\n")
        for dep in DEPARTEMENTS:
            members = by_departement.get(dep, [])
            for start in range(0, len(members), COMMUNES_PER_EPCI):
                number += 1
                digits = f"2000{number:04d}"
                siren = digits + luhn_digit(digits)
                group = members[start : start + COMMUNES_PER_EPCI]
                name = f"Communauté de communes n° {number}"
                for member in group:
                    out.write(
                        "\t".join(
                            (
                                siren,
                                name,
                                "CC",
                                "01/01/2017",
                                "01/01/2017",
                                dep,
                                f"Commune {group[0]}",
                                str(len(group)),
                                "25000",
                                "Commune",
                                commune_siren(member),
                                f"Commune {member}",
                                dep,
                                "Non",
                            )
                        )
                        + "\r\n"
                    )
        for code in codes:
            sirens.write(f"{commune_siren(code)};{code};Commune {code};Commune\n")
    return perimeter, table


def generate(directory: Path, rows: int) -> dict[str, list[Path]]:
    """The national extract's files in ``directory``, generated unless already there."""
    codes = commune_codes(COMMUNES_PER_DEPARTEMENT)
    files = {
        "cog": [
            directory / "v_region_2024.csv",
            directory / "v_departement_2024.csv",
            directory / "v_commune_2024.csv",
        ],
        "banatic": [directory / "perimetre_epci_2024.xls", directory / "siren_insee_2024.csv"],
        "rna": [directory / f"rna_waldec_20241001_national_{rows}.csv"],
    }
    started = time.perf_counter()
    if not all(path.exists() for path in files["cog"]):
        write_cog(directory, COMMUNES_PER_DEPARTEMENT, REGIONS)
    if not all(path.exists() for path in files["banatic"]):
        write_banatic(directory, codes)
    (extract,) = files["rna"]
    if not extract.exists():
        partial = extract.with_name(extract.name + ".part")
        write_waldec(partial, rows, codes=codes, active=0.75, sirets=0.33)
        partial.replace(extract)
    print(
        f"extract: {len(codes):,} communes, {len(REGIONS)} régions, {len(DEPARTEMENTS)} départements, "
        f"{rows:,} RNA rows ({extract.stat().st_size / 2**20:,.0f} MiB) in {directory} "
        f"(ready in {time.perf_counter() - started:.0f} s)"
    )
    return files


def _descendants(pid: int) -> list[int]:
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        try:
            with open(f"/proc/{current}/task/{current}/children", encoding="ascii") as children:
                stack.extend(int(child) for child in children.read().split())
        except OSError:
            pass
    return found


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            match = re.search(r"^VmRSS:\s+([0-9]+) kB", status.read(), re.MULTILINE)
    except OSError:
        return 0
    return int(match.group(1)) if match else 0


@dataclass
class Run:
    """One ``maillage`` command: its output, time and the peak RSS of its process tree."""

    stdout: str
    stderr: str
    seconds: float
    peak_mib: float


def maillage(store: str, *args: str) -> Run:
    """Run ``maillage --store STORE ARGS`` (failing loudly if it fails), sampling the memory
    of its process tree every 50 ms."""
    command = [str(MAILLAGE), "--store", store, "--contributor", "bench", "--quiet", *args]
    started = time.perf_counter()
    # No standard input: a Neo4j store without NEO4J_PASSWORD fails at once instead of waiting for one.
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.05):
            peak = max(peak, sum(_rss_kib(pid) for pid in _descendants(process.pid)))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        sys.exit(f"failed ({process.returncode}): {' '.join(command)}\n{stdout}{stderr}")
    return Run(stdout, stderr, seconds, peak / 1024)


def csv_reader_rate(path: Path) -> float:
    """Rows per second of a bare ``csv.reader`` pass over ``path``: no loader can beat it, and,
    measured in the same run, it tells a slow load from a busy machine."""
    started = time.perf_counter()
    with open(path, encoding="utf-8", newline="") as stream:
        rows = sum(1 for _ in csv.reader(stream, delimiter=";")) - 1
    return rows / (time.perf_counter() - started)


def store_size_mib(store: str) -> float | None:
    path = Path(store)
    if not path.exists():
        return None
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists()) / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000, help="RNA rows (a quarter of them inactive).")
    parser.add_argument("--store", help="A Neo4j URI, or a SQLite file (default: a fresh one in the work folder).")
    parser.add_argument("--keep", type=Path, help="Work in this folder and keep the files (generated once).")
    parser.add_argument("--no-record", action="store_true", help="Do not append the figures to bench/RESULTS.md.")
    args = parser.parse_args()
    directory = args.keep or Path(tempfile.mkdtemp(prefix="maillage-national-"))
    directory.mkdir(parents=True, exist_ok=True)
    try:
        files = generate(directory, args.rows)
        store = args.store or str(directory / "national.db")
        if not args.store:
            for stale in (Path(store), Path(store + "-wal"), Path(store + "-shm")):
                stale.unlink(missing_ok=True)
        figures: list[str] = [f"store: {'embedded (SQLite)' if not args.store else args.store}, {args.rows:,} RNA rows"]
        started_load = os.getloadavg()[0]

        def say(line: str) -> None:
            print(line, flush=True)
            figures.append(line)

        cog = maillage(store, "load", *map(str, files["cog"]))
        say(
            f"load COG ({len(commune_codes(COMMUNES_PER_DEPARTEMENT)):,} communes): {cog.seconds:.1f} s, peak {cog.peak_mib:,.0f} MiB"
        )
        perimeter, table = files["banatic"]
        banatic = maillage(store, "load", str(perimeter), "--siren-table", str(table))
        say(f"load BANATIC: {banatic.seconds:.1f} s, peak {banatic.peak_mib:,.0f} MiB")
        (extract,) = files["rna"]
        rna = maillage(store, "load", str(extract))
        read = re.search(r"from ([0-9]+) rows", rna.stdout)
        rows_read = int(read.group(1)) if read else args.rows
        rate = rows_read / rna.seconds
        baseline = csv_reader_rate(extract)
        say(
            f"load RNA: {rna.seconds:.1f} s, {rate:,.0f} rows/s, peak {rna.peak_mib:,.0f} MiB (loading process and worker); "
            f"a bare csv.reader pass over the file, just after: {baseline:,.0f} rows/s (ratio {rate / baseline:.3f})"
        )
        say(f"  {rna.stdout.strip()}")
        size = store_size_mib(store)
        if size is not None:
            say(f"store: {size:,.0f} MiB")
        report = maillage(store, "report", "centrality", "--top", "20")
        nodes = re.search(r"([0-9][0-9  ,.]*) (?:nœuds|nodes)", report.stdout)
        say(
            f"report centrality: {report.seconds:.1f} s, peak {report.peak_mib:,.0f} MiB"
            + (f" ({nodes.group(1).strip()} nodes analysed)" if nodes else "")
        )
        focused = maillage(store, "map", "--focus", FOCUS, "-o", str(directory / "focus.html"))
        say(
            f"map --focus {FOCUS}: {focused.seconds:.1f} s, peak {focused.peak_mib:,.0f} MiB ({focused.stdout.strip()})"
        )
        load_peak = max(run.peak_mib for run in (cog, banatic, rna))

        def verdict(met: bool) -> str:
            return "met" if met else "NOT met"

        if args.store:
            say(
                f"targets (Neo4j, 2 GB heap): RNA load >= 20,000 rows/s {verdict(rate >= 20_000)}; "
                f"loads' peak < 2 GiB {verdict(load_peak < 2048)} ({load_peak:,.0f} MiB)"
            )
        else:
            say(
                f"targets: RNA load >= 100,000 rows/s {verdict(rate >= 100_000)}; loads' peak < 2 GiB "
                f"{verdict(load_peak < 2048)} ({load_peak:,.0f} MiB); report < 60 s {verdict(report.seconds < 60)}; "
                f"report's peak < 2 GiB {verdict(report.peak_mib < 2048)}"
            )
        ended_load = os.getloadavg()[0]
        shared = max(started_load, ended_load) > (os.cpu_count() or 1)
        say(
            f"load average: {started_load:.1f} at the start, {ended_load:.1f} at the end"
            + (f" (above {os.cpu_count()}: other work shares the cores)" if shared else "")
        )
        if not args.no_record:
            record("national", figures)
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    random.seed(0)
    sys.exit(main())
