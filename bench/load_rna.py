"""Load a generated 1,000,000-row RNA extract (real ``rna_waldec`` format) into the embedded store.

Prints the load's rows per second and the peak memory (RSS) of the loading
process and of the worker process that reads the extract, with baselines
measured in the same run over the same file: a bare ``csv.reader`` pass, which
no loader can beat; the loader alone in this process (no store); the worker
alone (reading, checking and encoding the claims in its own process and
handing them over, no store); and, last (it holds every claim in memory), the
store alone: the same claims, read and encoded beforehand, written into a fresh
store. The load cannot beat the slower of the last two.
Targets: at least 100,000 rows/s, under 1 GiB.

    python bench/load_rna.py [--rows 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from maillage.graph.store.sqlite import ClaimEncoder, SQLiteStore
from maillage.loaders import open_sources
from maillage.loaders.loading import LoadOptions
from maillage.loaders.rna import WALDEC_COLUMNS

COMMUNES_PER_DEPARTEMENT = 12
DEPARTEMENTS = [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B", "971", "972", "973", "974", "976"]
WORDS = [
    "solidarité",
    "internationale",
    "culture",
    "sport",
    "quartier",
    "jeunesse",
    "école",
    "musique",
    "environnement",
    "échanges",
    "Sahel",
    "jumelage",
    "santé",
    "éducation",
    "théâtre",
    "randonnée",
    "entraide",
    "femmes",
]


def commune_codes(per_departement: int = COMMUNES_PER_DEPARTEMENT) -> list[str]:
    """INSEE codes of ``per_departement`` communes in each département (at most 99 in the
    overseas ones, whose codes have two digits after the département's three)."""
    return [
        (dep + f"{i:02d}" if len(dep) == 3 else dep + f"{i:03d}")
        for dep in DEPARTEMENTS
        for i in range(1, (min(per_departement, 99) if len(dep) == 3 else per_departement) + 1)
    ]


def write_cog(
    directory: Path, per_departement: int = COMMUNES_PER_DEPARTEMENT, regions: Sequence[str] = ("11",)
) -> list[Path]:
    """A COG sized like the real one's départements, ``regions`` (the départements shared
    among them in turn) and ``per_departement`` communes in each département."""
    region_of = {dep: regions[n % len(regions)] for n, dep in enumerate(DEPARTEMENTS)}
    region = directory / "v_region_2024.csv"
    with open(region, "w", encoding="utf-8") as out:
        out.write("REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE\n")
        for code in regions:
            out.write(f"{code},75056,1,REGION {code},Région {code},Région {code}\n")
    departement = directory / "v_departement_2024.csv"
    with open(departement, "w", encoding="utf-8") as out:
        out.write("DEP,REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE\n")
        for dep in DEPARTEMENTS:
            out.write(f"{dep},{region_of[dep]},{dep}001,0,DEP {dep},Département {dep},Département {dep}\n")
    commune = directory / "v_commune_2024.csv"
    with open(commune, "w", encoding="utf-8") as out:
        out.write("TYPECOM,COM,REG,DEP,CTCD,ARR,TNCC,NCC,NCCENR,LIBELLE,CAN,COMPARENT\n")
        for code in commune_codes(per_departement):
            dep = code[:3] if code.startswith("97") else code[:2]
            out.write(f"COM,{code},{region_of[dep]},{dep},{dep}D,,0,COMMUNE {code},Commune {code},Commune {code},,\n")
    return [region, departement, commune]


def cog_folder(keep: Path | None, prefix: str) -> tuple[Path, list[Path]]:
    """The work folder (``keep``, or a new temporary one) and the COG files generated in its ``cog`` folder."""
    folder = keep or Path(tempfile.mkdtemp(prefix=prefix))
    (folder / "cog").mkdir(parents=True, exist_ok=True)
    return folder, write_cog(folder / "cog")


def write_waldec(
    path: Path, rows: int, seed: int = 7, codes: Sequence[str] | None = None, active: float = 0.95, sirets: float = 0.0
) -> None:
    """``rows`` associations in the 39-column rna_waldec format, in the communes of ``codes``
    (default: :func:`commune_codes`), the share ``active`` of them active, the share
    ``sirets`` with a SIRET (one in a hundred of which fails its checksum, as in the register)."""
    rng = random.Random(seed)
    codes = codes or commune_codes()
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(WALDEC_COLUMNS)
        for n in range(rows):
            code = codes[n % len(codes)]
            title = " ".join(rng.choice(WORDS) for _ in range(4)).upper()
            position = "A" if rng.random() < active else rng.choice("DSR")
            created = (
                f"{rng.randint(1950, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                if n % 10
                else "0001-01-01"
            )
            cells = {
                "id": f"W{n:09d}",
                "gestion": "932P",
                "date_creat": created,
                "date_decla": created,
                "date_publi": created,
                "date_disso": "0001-01-01",
                "nature": "D",
                "groupement": "S",
                "titre": title,
                "titre_court": title[:12] if n % 3 == 0 else "",
                "objet": "objet : " + " ".join(rng.choice(WORDS) for _ in range(12)),
                "objet_social1": f"{rng.randint(1, 40):03d}000",
                "objet_social2": f"{rng.randint(1, 40):03d}020" if n % 2 else "",
                "adrs_numvoie": str(rng.randint(1, 200)),
                "adrs_typevoie": "RUE",
                "adrs_libvoie": "DE LA REPUBLIQUE",
                "adrs_codeinsee": code,
                "adrs_codepostal": code.replace("A", "0").replace("B", "0"),
                "adrs_libcommune": f"Commune {code}",
                "adrg_pays": "FRANCE",
                "dir_civilite": "PM",
                "publiweb": "0",
                "position": position,
                "maj_time": "2024-09-12 10:15:42",
            }
            if sirets and rng.random() < sirets:
                cells["siret"] = siret(rng, valid=rng.random() >= 0.01)
            writer.writerow([cells.get(column, "") for column in WALDEC_COLUMNS])


def luhn_digit(digits: str) -> str:
    """The digit that completes ``digits`` into a number passing the Luhn checksum."""
    total = 0
    for index, char in enumerate(reversed(digits + "0")):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def siret(rng: random.Random, valid: bool = True) -> str:
    """A random SIRET, passing the Luhn checksum unless ``valid`` is false."""
    digits = "".join(str(rng.randint(0, 9)) for _ in range(13))
    last = luhn_digit(digits)
    return digits + (last if valid else str((int(last) + 1) % 10))


def peak_rss_mib(who: int = resource.RUSAGE_SELF) -> float:
    """Peak RSS of this process, or (RUSAGE_CHILDREN) of the largest child process waited for."""
    return resource.getrusage(who).ru_maxrss / 1024


class _Replay:
    """Claims already encoded, handed to ``write_stream`` as a worker would hand them."""

    def __init__(self, chunks: list):
        self.chunks = chunks

    def encoded(self, encoder, chunk_size):
        return iter(self.chunks)


def store_alone_rate(extract: Path, cog: list[Path], path: Path) -> float:
    """Rows of ``extract`` per second of ``write_stream`` alone, its claims read and encoded before."""
    # A store kept from an earlier run (--keep) holds the extract already: the write would be skipped as unchanged.
    path.unlink(missing_ok=True)
    store = SQLiteStore(path)
    try:
        for load in open_sources(cog, store.find, "bench"):
            store.write_stream(load.source, load.records, load.digest)
        (reader,) = open_sources([extract], store.find, "bench", options=LoadOptions())
        chunks = list(reader.records.encoded(ClaimEncoder(reader.source.name), 20000))
        started = time.perf_counter()
        store.write_stream(reader.source, _Replay(chunks), reader.digest)
        return reader.report.rows_read / (time.perf_counter() - started)
    finally:
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="Work in this folder and keep the files.")
    args = parser.parse_args()
    directory = args.keep or Path(tempfile.mkdtemp(prefix="maillage-bench-"))
    directory.mkdir(parents=True, exist_ok=True)
    try:
        extract = directory / "rna_waldec_20241001_bench.csv"
        started = time.perf_counter()
        write_waldec(extract, args.rows)
        cog = write_cog(directory)
        print(
            f"generated {args.rows:,} rows ({extract.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - started:.1f} s"
        )

        started = time.perf_counter()
        with open(extract, encoding="utf-8", newline="") as stream:
            baseline_rows = sum(1 for _ in csv.reader(stream, delimiter=";")) - 1
        baseline = baseline_rows / (time.perf_counter() - started)
        print(f"baseline  csv.reader pass:    {baseline:>10,.0f} rows/s")

        store_path = directory / "bench.db"
        store_path.unlink(missing_ok=True)
        store = SQLiteStore(store_path)
        for load in open_sources(cog, store.find, "bench"):
            store.write_stream(load.source, load.records, load.digest)
        started = time.perf_counter()
        (alone,) = open_sources([extract], store.find, "bench", options=LoadOptions())
        records = sum(1 for _ in alone.records)
        loader_rate = alone.report.rows_read / (time.perf_counter() - started)
        print(f"loader alone (parse, check, {records:,} records, no store): {loader_rate:>10,.0f} rows/s")
        started = time.perf_counter()
        (reader,) = open_sources([extract], store.find, "bench", options=LoadOptions())
        if hasattr(reader.records, "encoded"):
            sum(1 for _ in reader.records.encoded(ClaimEncoder(reader.source.name), 20000))
            worker_rate = reader.report.rows_read / (time.perf_counter() - started)
            print(
                f"worker alone (parse, check, encode in its process, hand over; no store): {worker_rate:>10,.0f} rows/s"
            )
        rss_before = peak_rss_mib()
        started = time.perf_counter()
        (load,) = open_sources([extract], store.find, "bench", options=LoadOptions())
        result = store.write_stream(load.source, load.records, load.digest)
        elapsed = time.perf_counter() - started
        rate = load.report.rows_read / elapsed
        peak, worker_peak = peak_rss_mib(), peak_rss_mib(resource.RUSAGE_CHILDREN)
        counts = store.counts()
        print(
            f"maillage  load into SQLite:   {rate:>10,.0f} rows/s  ({load.report.rows_read:,} rows read, "
            f"{result.nodes:,} associations, {result.relations:,} LOCATED_IN, {elapsed:.1f} s)"
        )
        print(f"ratio     load / baseline:    {rate / baseline:>10.3f}")
        print(
            f"peak RSS: {peak:,.0f} MiB (before the load: {rss_before:,.0f} MiB) + worker process {worker_peak:,.0f} MiB; "
            f"store {store_path.stat().st_size / 2**20:,.0f} MiB"
        )
        started = time.perf_counter()
        (again,) = open_sources([extract], store.find, "bench", options=LoadOptions())
        unchanged = store.write_stream(again.source, again.records, again.digest).unchanged
        print(
            f"second load of the same file: {'unchanged' if unchanged else 'REWRITTEN'} in {time.perf_counter() - started:.1f} s"
        )
        started = time.perf_counter()
        (one,) = open_sources([extract], store.find, "bench", options=LoadOptions(departements=("93",)))
        kept = store.write_stream(one.source, one.records, one.digest)
        filtered_rate = one.report.rows_read / (time.perf_counter() - started)
        print(
            f"maillage  load of one département (--departement 93): {filtered_rate:>10,.0f} rows/s "
            f"({one.report.rows_read:,} rows read, {kept.nodes:,} kept)"
        )
        store.close()
        print(
            f"store alone (the same claims, read and encoded beforehand, written to a fresh store): "
            f"{store_alone_rate(extract, cog, directory / 'alone.db'):>10,.0f} rows/s"
        )
        ok = rate >= 100_000 and peak + worker_peak < 1024 and counts.get("Association") == result.nodes and unchanged
        print(f"targets (>= 100,000 rows/s, < 1 GiB, no duplicates): {'met' if ok else 'NOT met'}")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
