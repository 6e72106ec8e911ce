"""Loaders: one module per source format, each turning files into checked records.

:func:`open_sources` is the entry point: it groups the paths into sources,
picks each one's format (from its header, or the ``format`` given) and returns
one :class:`~maillage.loaders.loading.Load` per source, in the order that lets
each tie to the previous ones (régions, départements, communes, EPCI,
associations, then the rest). :func:`read_sources` does the same and returns
each source as a :class:`~maillage.graph.model.Batch` in memory.

Formats, told apart by their header:

==================  ==========================================================
``workbook``        the hand-filled ``actors``/``relations`` tables
``cog-region``      INSEE ``v_region_YYYY.csv``
``cog-departement`` INSEE ``v_departement_YYYY.csv``
``cog-commune``     INSEE ``v_commune_YYYY.csv`` (2019 and later)
``banatic``         BANATIC perimeter of EPCI (tab text behind ``.xls``)
``rna-waldec``      RNA ``rna_waldec`` extract (CSV, or monthly zip of CSVs)
``rna-import``      RNA ``rna_import`` extract (CSV, or monthly zip of CSVs)
``mapped``          any table read through ``--mapping`` (a YAML file or preset)
JSON export         ``maillage export --format json``: every source it holds
==================  ==========================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..graph.errors import LoadError, UsageError
from ..graph.model import Batch
from .banatic import detect_banatic, read_banatic
from .cog import detect_cog, read_cog
from .loading import Load, LoadOptions, LoadReport, Lookup, checked
from .mapped import PRESETS, detect_preset, mapped_table, read_mapped
from .rna import detect_rna, read_rna, rna_members
from .tables import read_csv
from .workbook import is_actors_header, is_relations_header, read_workbook

__all__ = ["FORMATS", "detect_format", "open_sources", "read_sources"]

FORMATS: tuple[str, ...] = (
    "workbook",
    "cog-region",
    "cog-departement",
    "cog-commune",
    "banatic",
    "rna-waldec",
    "rna-import",
    "mapped",
)
_ORDER = {format_: rank for rank, format_ in enumerate(FORMATS[1:] + ("workbook",))}


def _header(path: Path) -> list[str]:
    if path.suffix.lower() == ".zip":
        return rna_members(path)[0].header()
    if path.suffix.lower() == ".xlsx":
        return mapped_table(path).header
    with open(path, "rb") as stream:
        if stream.read(4) == b"\xd0\xcf\x11\xe0":
            raise UsageError(f"{path}: a binary Excel 97 file; save it as .xlsx or as CSV / tab-separated text")
    return read_csv(path).header


def detect_format(path: Path) -> str | None:
    """The format of a file from its header (``mapped`` for a known preset's header), or None."""
    if path.is_dir():
        return "workbook"
    if path.suffix.lower() == ".xlsx":
        try:
            from .workbook import workbook_tables

            workbook_tables([path])
            return "workbook"
        except UsageError:
            pass
    header = _header(path)
    if is_actors_header(header) or is_relations_header(header):
        return "workbook"
    return (
        detect_cog(header)
        or ("banatic" if detect_banatic(header) else None)
        or detect_rna(header)
        or ("mapped" if detect_preset(header) else None)
    )


def open_sources(
    paths: Sequence[Path],
    lookup: Lookup | None,
    contributor: str,
    format: str | None = None,
    source_name: str | None = None,
    options: LoadOptions | None = None,
) -> list[Load]:
    """Open ``paths`` as sources ready to write, one :class:`Load` each.

    Workbook tables given together form one source. Every file's format is told
    from its header unless ``format`` is given; ``options.mapping`` makes every
    non-workbook file a mapped one. Under ``options.strict`` (the default) a
    file with a malformed row raises :class:`LoadError` listing its problems
    (the streamed RNA formats raise it at the end of the file, while the store
    writes, so that the store's transaction is rolled back).
    """
    options = options or LoadOptions()
    paths = [Path(p) for p in paths]
    for path in paths:
        if not path.exists():
            raise UsageError(f"{path}: no such file or folder")
    if format is not None and format not in FORMATS:
        raise UsageError(f"unknown format {format!r}; known formats: {', '.join(FORMATS)}")
    if format == "mapped" and not options.mapping:
        raise UsageError("--format mapped needs --mapping FILE.yaml (or a preset: " + ", ".join(PRESETS) + ")")
    typed: list[tuple[str, Path]] = []
    for path in paths:
        found = format or detect_format(path)
        if found != "workbook" and options.mapping:
            found = "mapped"
        if found is None:
            raise UsageError(
                f"{path}: cannot tell its format from its header; give --format ({', '.join(FORMATS)}) "
                f"or --mapping FILE.yaml"
            )
        typed.append((found, path))
    typed.sort(key=lambda item: _ORDER[item[0]])
    if source_name and len({p for f, p in typed if f != "workbook"}) + any(f == "workbook" for f, _ in typed) > 1:
        raise UsageError("--source names one source: give one file (or one workbook) with it")
    loads: list[Load] = []
    known_ids: set[str] = set()
    problems = []
    workbook = [path for found, path in typed if found == "workbook"]
    for found, path in typed:
        if found == "workbook":
            continue
        try:
            if found.startswith("cog-"):
                loads.append(read_cog(path, found, lookup, contributor, options, known_ids, source_name))
            elif found == "banatic":
                loads.append(read_banatic(path, lookup, contributor, options, known_ids, source_name))
            elif found.startswith("rna-"):
                loads.append(read_rna(path, found, lookup, contributor, options, known_ids, source_name))
            else:
                preset = options.mapping or detect_preset(_header(path))
                loads.append(read_mapped(path, preset, contributor, options, known_ids, source_name))
        except LoadError as error:
            problems.extend(error.problems)
    if workbook:
        try:
            batch = read_workbook(workbook, lookup, contributor, source_name)
            report = LoadReport(rows_read=len(batch.nodes) + len(batch.relations))
            records = [*batch.nodes, *batch.relations]
            loads.append(
                Load(batch.source, checked(iter(records), report, True), report, None, tuple(map(str, workbook)))
            )
        except LoadError as error:
            problems.extend(error.problems)
    if problems:
        raise LoadError(problems)
    return loads


def read_sources(
    paths: Sequence[Path],
    lookup: Lookup | None,
    contributor: str,
    format: str | None = None,
    source_name: str | None = None,
    options: LoadOptions | None = None,
) -> list[Batch]:
    """Read ``paths`` into batches in memory, one per source; every problem of every file is collected.

    A maillage JSON export (``maillage export --format json``) gives back every
    source it holds, with its own name, contributor, time and places.
    """
    from ..graph.export import is_export, read_export

    if paths and all(is_export(Path(path)) for path in paths):
        return [batch for path in paths for batch in read_export(Path(path))]
    return [load.batch() for load in open_sources(paths, lookup, contributor, format, source_name, options)]
