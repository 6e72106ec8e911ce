"""Loading sources into a store, and taking them out: workbooks, registers, exports, documents.

:func:`load` is what ``maillage load`` does: it tells documents, register extracts and
mapped tables, maillage exports and workbooks apart, writes each source (streaming the
large registers), records each load in the history, and says what it did through a
callback, one :class:`Loaded` per source as it is written. :func:`unload` takes a source
out again.
"""

from __future__ import annotations

import inspect
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

from ..graph.errors import InvalidCode, LoadError, UsageError
from ..graph.model import NodeRecord
from ..graph.store import GraphStore
from ..loaders.loading import LoadOptions, LoadReport
from .progress import Progress

__all__ = [
    "REGISTER_OPTIONS",
    "Loaded",
    "RejectedWritten",
    "Unloaded",
    "collaborative_batches",
    "demo_data_path",
    "expected_rows",
    "insee_codes",
    "is_export_load",
    "load",
    "load_documents",
    "register_options",
    "unload",
    "wants_registers",
]

#: Register formats written as a stream, never held whole in memory.
STREAMED_FORMATS = ("rna-waldec", "rna-import")


@dataclass
class Loaded:
    """What loading one source did.

    ``report`` is the loader's report (rows read, filtered out, rejected, fields set aside,
    columns used) for registers and mapped tables, None for workbooks, exports and documents.
    ``nodes`` and ``relations`` count what was written; on a dry run, what would be.
    """

    source: str
    nodes: int
    relations: int
    unchanged: bool = False
    dry_run: bool = False
    from_export: bool = False
    format: str | None = None
    report: LoadReport | None = None


@dataclass
class RejectedWritten:
    """The ``rejected`` CSV file was written with ``lines`` lines (rows rejected, fields set aside)."""

    path: Path
    lines: int


@dataclass
class Unloaded:
    """What :func:`unload` removed: the claims only that source made."""

    source: str
    nodes: int
    relations: int


Event = Loaded | RejectedWritten


def demo_data_path() -> Path:
    """The demo workbook shipped with the package: the Aitec/CUF programme."""
    return Path(str(resources.files("maillage") / "data" / "demo"))


def insee_codes(option: str, level: str, codes: Sequence[str] | None) -> tuple[str, ...]:
    """The INSEE codes a filter names, upper-cased (``2a`` is ``2A``); a code that cannot be
    one is a :class:`UsageError` naming ``option``.

    Examples
    --------
    >>> insee_codes("--departement", "departement", ["93", "2a"])
    ('93', '2A')
    """
    from ..graph.model import validate_insee

    checked = []
    for code in codes or ():
        try:
            checked.append(validate_insee(code.strip().upper(), level))
        except InvalidCode as error:
            raise UsageError(f"{option} {code}: {error}") from None
    return tuple(checked)


def register_options(
    strict: bool = True,
    cog_year: str | None = None,
    mapping: str | None = None,
    siren_table: Path | None = None,
    departements: Sequence[str] = (),
    communes: Sequence[str] = (),
    object_codes: Sequence[str] = (),
    keywords: Sequence[str] = (),
    include_inactive: bool = False,
) -> LoadOptions:
    """The options of a register load, checked: the INSEE codes of the ``departements`` and
    ``communes`` filters are upper-cased, and one that cannot be a code is a :class:`UsageError`.

    Examples
    --------
    >>> register_options(departements=["2a"], strict=False).departements
    ('2A',)
    """
    return LoadOptions(
        strict=strict,
        cog_year=cog_year,
        mapping=mapping,
        siren_table=siren_table,
        departements=insee_codes("--departement", "departement", departements),
        communes=insee_codes("--commune", "commune", communes),
        object_codes=tuple(object_codes or ()),
        keywords=tuple(keywords or ()),
        include_inactive=bool(include_inactive),
    )


#: The keyword arguments of :func:`register_options`: the register options of ``maillage load``.
REGISTER_OPTIONS = tuple(inspect.signature(register_options).parameters)


def collaborative_batches(store: GraphStore, batches: Sequence[Any], authoritative: bool) -> list[Any]:
    """Batches as they will be written: merged nodes redirected, authoritative flag set."""
    from ..graph.merge import apply_redirects

    prepared = []
    for batch in batches:
        batch = apply_redirects(store, batch)
        if authoritative:
            batch = replace(batch, source=replace(batch.source, authoritative=True))
        prepared.append(batch)
    return prepared


def is_export_load(paths: Sequence[Path]) -> bool:
    """True when every path is a maillage JSON export."""
    from ..graph.export import is_export

    return bool(paths) and all(is_export(path) for path in paths)


def wants_registers(paths: Sequence[Path], format: str | None, options: LoadOptions) -> bool:
    """True when a load involves a register or a mapping rather than only workbooks or exports."""
    from ..loaders import detect_format

    if is_export_load(paths):
        return False
    if options.mapping or (format and format != "workbook"):
        return True
    return any(detect_format(Path(path)) not in ("workbook", None) for path in paths)


def load(
    store: GraphStore,
    paths: Sequence[Path],
    contributor: str,
    *,
    format: str | None = None,
    source_name: str | None = None,
    dry_run: bool = False,
    authoritative: bool = False,
    min_confidence: str = "high",
    options: LoadOptions | None = None,
    rejected: Path | None = None,
    on_event: Callable[[Event], None] | None = None,
    progress: Progress | None = None,
) -> list[Loaded]:
    """Load files into ``store``: documents, registers and mapped tables, exports, workbooks.

    Parameters
    ----------
    store : GraphStore
        Where to write (created beforehand: ``open_store(location, create=True)``).
    paths : sequence of Path
        Workbooks (.xlsx, folders or CSV pairs), register extracts, tables read through
        ``options.mapping``, maillage JSON exports, documents (.pdf, .docx, .html, .md, .txt).
    contributor : str
        Who brings the data; recorded with every claim and in the history.
    format, source_name : str, optional
        The source format when the header cannot tell it; the name the source is known by.
    dry_run : bool
        Read and check everything, write nothing.
    authoritative : bool
        Mark the sources authoritative: their values win over other sources'.
    min_confidence : {"high", "medium", "low"}
        Documents: load what is found with this confidence or more.
    options : LoadOptions, optional
        Register options (strict, filters, COG year, mapping, SIREN table).
    rejected : Path, optional
        Write the rejected rows and the fields set aside to this CSV file, also when the
        load fails.
    on_event : callable, optional
        Told each :class:`Loaded` as its source is written (and :class:`RejectedWritten`).
    progress : Progress, optional
        Told the rows read while a large register streams in.

    Returns
    -------
    list of Loaded
        One per source, in the order they were written.

    Raises
    ------
    LoadError
        A source was rejected; it was not written (sources before it were).
    """
    loaded: list[Loaded] = []

    def tell(event: Event) -> None:
        if isinstance(event, Loaded):
            loaded.append(event)
        if on_event is not None:
            on_event(event)

    paths = load_documents(store, paths, contributor, dry_run, min_confidence, tell)
    if not paths:
        return loaded
    options = options or LoadOptions()
    if wants_registers(paths, format, options):
        _load_registers(
            store, paths, contributor, format, source_name, dry_run, authoritative, options, rejected, tell, progress
        )
        return loaded
    from ..graph.merge import redirect_aware_lookup
    from ..loaders import read_sources

    batches = read_sources(paths, redirect_aware_lookup(store), contributor, format, source_name)
    batches = collaborative_batches(store, batches, authoritative)
    if not dry_run and is_export_load(paths):
        _restore_exported(store, batches, contributor, tell)
    else:
        _write_batches(store, batches, contributor, dry_run, tell)
    return loaded


def load_documents(
    store: GraphStore,
    paths: Sequence[Path],
    contributor: str,
    dry_run: bool = False,
    min_confidence: str = "high",
    on_event: Callable[[Event], None] | None = None,
) -> list[Path]:
    """Load the documents among ``paths`` with what is found in them of ``min_confidence`` or more,
    one source per document; return the other paths."""
    from ..loaders.documents import document_batches, is_document, read_documents, stored_nodes_but_theirs
    from ..loaders.documents import extract as extract_documents

    documents = [path for path in paths if is_document(path)]
    if not documents:
        return list(paths)
    texts = read_documents(documents)
    nodes = stored_nodes_but_theirs(store, [text.name for text in texts])
    found = extract_documents(documents, nodes, texts).at_least(min_confidence)
    batches = collaborative_batches(store, document_batches(found, contributor, {node.id for node in nodes}), False)
    _write_batches(store, batches, contributor, dry_run, on_event or (lambda event: None))
    return [path for path in paths if path not in documents]


def _write_batches(
    store: GraphStore, batches: Sequence[Any], contributor: str, dry_run: bool, tell: Callable[[Event], None]
) -> None:
    for batch in batches:
        if dry_run:
            tell(Loaded(batch.source.name, len(batch.nodes), len(batch.relations), dry_run=True))
            continue
        result = _write_recorded(store, batch, contributor)
        tell(Loaded(result.source, result.nodes, result.relations, result.unchanged))


def _write_recorded(store: GraphStore, batch: Any, contributor: str) -> Any:
    """Write one batch and record what it changed in the history."""
    from ..graph.history import record_load

    previous = store.dump_source(batch.source.name)
    result = store.write(batch)
    if not result.unchanged:
        record_load(store, previous, batch, contributor)
    return result


def _restore_exported(
    store: GraphStore, batches: Sequence[Any], contributor: str, tell: Callable[[Event], None]
) -> None:
    """Load the sources of a maillage export in one transaction, provenance kept."""
    from ..graph.history import record_load

    previous = {batch.source.name: store.dump_source(batch.source.name) for batch in batches}
    results = store.replace_sources(batches)
    for batch, result in zip(batches, results):
        if not result.unchanged:
            record_load(store, previous[batch.source.name], batch, contributor)
        tell(Loaded(result.source, result.nodes, result.relations, result.unchanged, from_export=True))


def _load_registers(
    store: GraphStore,
    paths: Sequence[Path],
    contributor: str,
    format: str | None,
    source_name: str | None,
    dry_run: bool,
    authoritative: bool,
    options: LoadOptions,
    rejected: Path | None,
    tell: Callable[[Event], None],
    progress: Progress | None,
) -> None:
    """Load register extracts and mapped tables: stream the large ones, report what was met."""
    from ..graph.merge import redirect_aware_lookup
    from ..loaders import open_sources

    options = replace(options, list_set_aside=rejected is not None)
    loads: list[Any] = []
    try:
        loads.extend(open_sources(paths, redirect_aware_lookup(store), contributor, format, source_name, options))
        for load_ in loads:
            tell(_load_one(store, load_, contributor, dry_run, authoritative, progress or Progress()))
    except LoadError as error:
        # What rejected the file is listed in the file asked for, as when the rest loads.
        if rejected is not None:
            tell(_write_rejected([*(load_.report for load_ in loads), _report_of(error)], rejected))
        raise
    if rejected is not None:
        tell(_write_rejected([load_.report for load_ in loads], rejected))


def _load_one(
    store: GraphStore, load_: Any, contributor: str, dry_run: bool, authoritative: bool, progress: Progress
) -> Loaded:
    from ..graph.history import record_stream_load
    from ..graph.merge import redirect_records, redirects
    from ..loaders.rna import ParallelRnaRecords

    if authoritative:
        load_.source = replace(load_.source, authoritative=True)
    report = load_.report
    if dry_run:
        nodes = relations = 0
        for record in load_.records:
            if isinstance(record, NodeRecord):
                nodes += 1
            else:
                relations += 1
        return Loaded(load_.source.name, nodes, relations, dry_run=True, format=load_.source.format, report=report)
    if load_.source.format in STREAMED_FORMATS:
        records = load_.records
        show = progress.rows(load_.source.name, expected_rows(load_.files) if progress.shown else None)
        if isinstance(records, ParallelRnaRecords) and not redirects(store):
            # Read in a worker process and handed to the store whole; it reports its own progress.
            records.progress = show
        else:
            records = redirect_records(store, _with_progress(load_, show))
        try:
            result = store.write_stream(load_.source, records, load_.digest)
        finally:
            progress.done()
        if not result.unchanged:
            record_stream_load(store, result.source, contributor, result.nodes, result.relations)
    else:
        (batch,) = collaborative_batches(store, [load_.batch()], False)
        batch.source = load_.source
        result = _write_recorded(store, batch, contributor)
    return Loaded(
        result.source, result.nodes, result.relations, result.unchanged, format=load_.source.format, report=report
    )


def _report_of(error: LoadError) -> LoadReport:
    """A report of the rows a :class:`LoadError` names that no report of a load holds
    (a file rejected while it was opened)."""
    report = LoadReport()
    for problem in error.problems:
        report.reject(problem)
    return report


def _write_rejected(reports: Sequence[LoadReport], path: Path) -> RejectedWritten:
    from ..loaders.loading import write_rejected

    seen: set[int] = set()
    distinct = []
    for report in reports:
        # A load's own report and the error it raised name the same rows once.
        problems = {id(p) for p in report.problems}
        if problems and problems <= seen:
            continue
        seen |= problems
        distinct.append(report)
    return RejectedWritten(Path(path), write_rejected(distinct, path))


def _with_progress(load_: Any, show: Callable[[int], None]) -> Iterator[Any]:
    """The load's records, telling ``show`` the rows read every 1,000 records."""
    report = load_.report
    for count, record in enumerate(load_.records):
        if not count % 1000:
            show(report.rows_read)
        yield record


def expected_rows(files: Sequence[str]) -> int | None:
    """About how many rows the CSV files (or the CSV members of zips) of a load hold: their
    size over the size of a row in their first megabyte (None when they cannot be read)."""
    from ..loaders.tables import SAMPLE_SIZE

    total_bytes, sample = 0, b""
    try:
        for name in files:
            path = Path(name)
            if path.suffix.lower() == ".zip":
                with zipfile.ZipFile(path) as archive:
                    members = [info for info in archive.infolist() if info.filename.lower().endswith(".csv")]
                    total_bytes += sum(info.file_size for info in members)
                    if members and not sample:
                        with archive.open(members[0]) as raw:
                            sample = raw.read(SAMPLE_SIZE)
            else:
                total_bytes += path.stat().st_size
                if not sample:
                    with open(path, "rb") as raw:
                        sample = raw.read(SAMPLE_SIZE)
    except (OSError, zipfile.BadZipFile):
        return None
    lines = sample.count(b"\n")
    return int(total_bytes * lines / len(sample)) if lines else None


def unload(store: GraphStore, source: str, contributor: str) -> Unloaded:
    """Remove what ``source`` asserted (what other sources also assert stays), recorded in the history.

    Raises
    ------
    UsageError
        No source of that name is loaded.
    """
    from ..graph.history import record_unload

    previous = store.dump_source(source)
    if previous is None:
        known = ", ".join(s.name for s in store.sources()) or "none"
        raise UsageError(f"no source named {source!r} is loaded (loaded: {known})")
    result = store.unload(source)
    record_unload(store, previous, contributor)
    return Unloaded(source, result.nodes, result.relations)
