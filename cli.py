"""The ``maillage`` command line: parse, call the library, print, and turn errors into one line.

Exit codes: 0 success, 1 bad data or unavailable store, 2 misuse.
"""

from __future__ import annotations

import csv
import gc
import getpass
import io
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import click

from .graph.errors import LoadError, MaillageError, UsageError
from .graph.model import KINDS
from .graph.store import GraphStore, is_neo4j_location, open_store

FORMATS = ("table", "csv", "json", "md")
LANGS = ("fr", "en")


# --------------------------------------------------------------------------- errors


class MaillageGroup(click.Group):
    """A group that turns every error into one line on stderr and the right exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LoadError as error:
            for problem in error.problems:
                click.echo(f"error: {problem}", err=True)
            raise click.ClickException(str(error)) from None
        except UsageError as error:
            raise click.UsageError(str(error), ctx) from None
        except MaillageError as error:
            raise click.ClickException(str(error)) from None
        except OSError as error:
            where = f"{error.filename}: " if error.filename else ""
            raise click.ClickException(f"{where}{error.strerror or error}") from None
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except Exception as error:
            if os.environ.get("MAILLAGE_DEBUG"):
                raise
            raise click.ClickException(
                f"unexpected error: {type(error).__name__}: {error} (set MAILLAGE_DEBUG=1 to see where)"
            ) from None


# --------------------------------------------------------------------------- context


@dataclass
class Settings:
    """What the global options say, and the store once opened."""

    location: str
    contributor: str
    database: str | None = None
    quiet: bool = False
    _store: GraphStore | None = field(default=None, repr=False)

    @property
    def progress(self) -> Progress:
        """Where long work shows how far it is: a line redrawn on stderr when it is a terminal and
        ``--quiet`` was not given, nothing otherwise."""
        return Progress(not self.quiet and _is_terminal(sys.stderr))

    def store(self, create: bool = False) -> GraphStore:
        """The store, opened once; only commands that write data into it (``create``) make a new one."""
        if self._store is None:
            self._store = open_store(self.location, create=create, **self.store_options())
        return self._store

    def read_graph(self, **options: Any) -> Any:
        """The store's graph as networkx (``to_networkx(**options)``), with progress shown while it is read."""
        store = self.store()
        with self.progress.step("reading the store"):
            graph = store.to_networkx(**options)
        # The graph lives as long as the command: the collector need not walk its millions of
        # dictionaries again each time the analysis's own objects start a collection.
        gc.freeze()
        return graph

    def store_options(self, location: str | None = None, database: str | None = None) -> dict[str, Any]:
        """Options to open a store: for Neo4j, the user (``NEO4J_USER``, default ``neo4j``),
        the password (``NEO4J_PASSWORD``, else a hidden prompt) and the database."""
        location = location or self.location
        database = database or (self.database if location == self.location else None)
        if not is_neo4j_location(location):
            return {"database": database} if database else {}
        user = os.environ.get("NEO4J_USER") or "neo4j"
        password = os.environ.get("NEO4J_PASSWORD")
        if password is None:
            password = _ask_password(user, location)
        return {"user": user, "password": password, "database": database}

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def _ask_password(user: str, location: str) -> str:
    """The Neo4j password typed at a hidden prompt, or read from the first line of a piped standard input."""
    if sys.stdin is not None and sys.stdin.isatty():
        return click.prompt(f"Neo4j password for {user} at {location}", hide_input=True, err=True)
    line = sys.stdin.readline() if sys.stdin is not None else ""
    if not line:
        raise UsageError(
            f"no password for {user} at {location}: set NEO4J_PASSWORD, or run from a terminal to be asked"
        )
    return line.rstrip("\r\n")


def _insee_codes(option: str, level: str, codes: Sequence[str] | None) -> tuple[str, ...]:
    """The INSEE codes a filter option names, upper-cased (``2a`` is ``2A``); a code that cannot be one is a misuse."""
    from .graph.errors import InvalidCode
    from .graph.model import validate_insee

    checked = []
    for code in codes or ():
        try:
            checked.append(validate_insee(code.strip().upper(), level))
        except InvalidCode as error:
            raise UsageError(f"{option} {code}: {error}") from None
    return tuple(checked)


def _default_contributor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


pass_settings = click.make_pass_decorator(Settings)


@click.group(cls=MaillageGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--store",
    "location",
    envvar="MAILLAGE_STORE",
    default="maillage.db",
    show_default=True,
    help="A SQLite file, or a Neo4j URI (neo4j://, bolt://, neo4j+s://). Env: MAILLAGE_STORE.",
)
@click.option(
    "--contributor",
    envvar="MAILLAGE_CONTRIBUTOR",
    default=_default_contributor,
    help="Who brings the data you load. Env: MAILLAGE_CONTRIBUTOR; default: your user name.",
)
@click.option("--database", envvar="NEO4J_DATABASE", help="Neo4j database name (Neo4j stores only).")
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="No progress bar on long loads and reports (there is none when stderr is not a terminal).",
)
@click.version_option(package_name="maillage")
@click.pass_context
def main(ctx: click.Context, location: str, contributor: str, database: str | None, quiet: bool = False) -> None:
    """maillage: map the actors of a territory, their ties, themes and projects.

    Load spreadsheets and public registers into one graph, then explore it:
    who holds the network together, who bridges whom, and an HTML map to send.
    """
    settings = Settings(location, contributor, database, quiet)
    ctx.obj = settings
    ctx.call_on_close(settings.close)


def _release_unused() -> None:
    """Free what :meth:`Settings.read_graph` froze and is no longer used (the store's graph,
    once the analysis graph is made from it): frozen, its reference cycles (networkx's
    views of a graph) would keep it alive until the command ends. Then freeze what remains."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


# --------------------------------------------------------------------------- progress


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Progress:
    """A progress line on stderr, redrawn in place (``\\r``) while long work runs: a bar and
    counts for a load whose size is known, the step and the time spent for the rest. When
    ``shown`` is false (stderr is not a terminal, or ``--quiet``) nothing is written."""

    WIDTH = 24
    #: Seconds between two redraws.
    EVERY = 0.2

    def __init__(self, shown: bool):
        self.shown = shown
        self._drawn_at = 0.0
        self._width = 0

    def _draw(self, text: str, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._drawn_at < self.EVERY:
            return
        self._drawn_at = now
        padding = " " * max(0, self._width - len(text))
        self._width = len(text)
        sys.stderr.write(f"\r{text}{padding}")
        sys.stderr.flush()

    def _clear(self) -> None:
        if self._width:
            sys.stderr.write("\r" + " " * self._width + "\r")
            sys.stderr.flush()
            self._width = 0

    def rows(self, label: str, expected: int | None) -> Callable[[int], None]:
        """A function told the rows read so far, drawing ``label [#####.....] 45% 900,000 rows,
        120,000 rows/s``; ``expected`` is an estimate of the total (None: no bar)."""
        started = time.monotonic()

        def show(rows_read: int) -> None:
            if not self.shown:
                return
            elapsed = max(time.monotonic() - started, 1e-6)
            text = f"{label}: {rows_read:,} rows, {rows_read / elapsed:,.0f} rows/s"
            if expected:
                # An estimate: the bar stops short of its end until the load says it is done.
                share = min(rows_read / expected, 0.99)
                filled = int(share * self.WIDTH)
                text = f"{label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {share:4.0%} {rows_read:,} rows, {rows_read / elapsed:,.0f} rows/s"
            self._draw(text)

        return show

    @contextmanager
    def step(self, label: str) -> Iterator[None]:
        """Show ``label (12 s)`` while the block runs, then clear the line."""
        if not self.shown:
            yield
            return
        started = time.monotonic()
        stop = threading.Event()

        def redraw() -> None:
            while True:
                self._draw(f"{label} ({time.monotonic() - started:.0f} s)", force=True)
                if stop.wait(0.5):
                    return

        thread = threading.Thread(target=redraw, name="maillage-progress", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
            self._clear()

    def done(self) -> None:
        """End the line being drawn, so that what is printed next starts on a clean line."""
        if self.shown:
            self._clear()


# --------------------------------------------------------------------------- output


def emit(rows: Sequence[dict], columns: Sequence[str], format: str, output: Path | None, title: str = "") -> None:
    """Print ``rows`` as a table, CSV, JSON or Markdown, to ``output`` or stdout."""
    text = render(rows, columns, format, title)
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        write_text(output, text)
        click.echo(f"wrote {output}", err=True)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, (list, tuple)):
        return " | ".join(str(v) for v in value)
    return "" if value is None else str(value)


def render(
    rows: Sequence[dict], columns: Sequence[str], format: str, title: str = "", headers: Sequence[str] | None = None
) -> str:
    if format == "json":
        return json.dumps([{c: row.get(c) for c in columns} for row in rows], ensure_ascii=False, indent=2) + "\n"
    if format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_cell(row.get(c)) for c in columns] for row in rows)
        return buffer.getvalue()
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    if format == "md":

        def escape(text: str) -> str:
            return (
                text.replace("\\", "\\\\")
                .replace("|", "\\|")
                .replace("<", "&lt;")
                .replace(">", "&gt;")
                .replace("\n", " ")
            )

        lines = [f"# {escape(title)}", ""] if title else []
        lines.append("| " + " | ".join(escape(h) for h in headers or columns) + " |")
        lines.append("|" + "|".join("---" for _ in columns) + "|")
        lines.extend("| " + " | ".join(escape(c) for c in row) + " |" for row in cells)
        return "\n".join(lines) + "\n"
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells)
    return "\n".join(lines) + "\n"


def write_text(path: Path, text: str) -> None:
    """Write a file atomically: readers see the old file or the new one, never half of it."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


format_option = click.option(
    "--format", "format_", type=click.Choice(FORMATS), default="table", show_default=True, help="Output format."
)
output_option = click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of stdout."
)
kind_choice = click.Choice(KINDS, case_sensitive=False)


def _kinds(values: Sequence[str]) -> list[str]:
    by_folded = {kind.lower(): kind for kind in KINDS}
    return [by_folded[value.lower()] for value in values]


def resolve(store: GraphStore, reference: str, follow_merges: bool = True):
    """The node a reference (id, name or alias) names, or a clear error; the id of a merged node
    leads to where it was merged, unless ``follow_merges`` is false."""
    from .graph.merge import merged_into
    from .graph.store.base import resolve_one

    found = store.find(reference)
    if (
        not found
        and follow_merges
        and (landed := merged_into(store, reference.strip()))
        and (node := store.get(landed)) is not None
    ):
        click.echo(f"notice: {reference.strip()} was merged into {node.id} ({node.name})", err=True)
        return node
    return resolve_one(reference, found)


# --------------------------------------------------------------------------- commands


@main.command()
@pass_settings
def init(settings: Settings) -> None:
    """Create the store (tables, indexes, constraints) if it does not exist."""
    settings.store(create=True).init()
    click.echo(f"store ready: {settings.store().location}")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--format", "format_", help="Source format, when it cannot be told from the header.")
@click.option("--source", "source_name", help="Name the source is known by (default: the file or folder name).")
@click.option("--dry-run", is_flag=True, help="Check and show what would be loaded; write nothing.")
@click.option(
    "--authoritative", is_flag=True, help="Mark the source authoritative: its values win over other sources'."
)
@pass_settings
def load(
    settings: Settings,
    paths: tuple[Path, ...],
    format_: str | None,
    source_name: str | None,
    dry_run: bool,
    authoritative: bool = False,
    **registers: Any,
) -> None:
    """Load spreadsheets or register extracts into the store.

    A workbook is an .xlsx with sheets 'actors' and 'relations', a folder with
    actors.csv and relations.csv, or those CSV files. Any problem rejects the
    source: every problem is listed with its file, line and column, and the
    store is left unchanged.

    Public registers are told from their header too: INSEE COG régions,
    départements and communes, BANATIC EPCI perimeters, RNA extracts (a CSV or
    the monthly zip); any other table loads through --mapping (a YAML file, or
    the preset 'cooperation').
    """
    from .loaders import read_sources

    paths = load_documents(settings, paths, dry_run, registers.pop("min_confidence", "high"))
    if not paths:
        return
    if wants_registers(paths, format_, registers):
        load_registers(settings, paths, format_, source_name, dry_run, authoritative, registers)
        return
    store = settings.store(create=True)
    from .graph.merge import redirect_aware_lookup

    batches = read_sources(paths, redirect_aware_lookup(store), settings.contributor, format_, source_name)
    batches = collaborative_batches(store, batches, authoritative)
    if not dry_run and is_export_load(paths):
        restore_exported(settings, batches)
        return
    write_batches(settings, batches, dry_run)


@main.command()
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="FILE.xlsx for a workbook, or FILE.csv for a pair FILE-actors.csv / FILE-relations.csv.",
)
def template(output: Path) -> None:
    """Write an empty, documented workbook to fill in."""
    from .loaders.template import write_template

    for path in write_template(output):
        click.echo(f"wrote {path}")


@main.command()
@click.option("--kind", "kinds", multiple=True, type=kind_choice, help="Only this kind (repeatable).")
@click.option("--search", help="Only actors whose id, name or alias contains this text.")
@format_option
@output_option
@pass_settings
def actors(settings: Settings, kinds: tuple[str, ...], search: str | None, format_: str, output: Path | None) -> None:
    """List the actors (and other nodes) in the store."""
    store = settings.store()
    wanted = _kinds(kinds)
    nodes = [n for kind in (wanted or [None]) for n in store.nodes(kind, search)]
    rows = [
        {"id": n.id, "kind": n.kind, "name": n.name, "aliases": list(n.aliases)}
        for n in sorted(nodes, key=lambda n: n.id)
    ]
    emit(rows, ["id", "kind", "name", "aliases"], format_, output)


@main.command()
@click.argument("actor")
@click.option("--format", "format_", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_settings
def show(settings: Settings, actor: str, format_: str) -> None:
    """Show an actor: attributes, relations, and the sources that assert them.

    ACTOR is an id, a name or an alias. Each attribute, name and relation cites
    the source(s) asserting it: source, place, contributor and date.
    """
    from .graph.provenance import describe

    store = settings.store()
    node = resolve(store, actor)
    names = {n.id: n.name for n in (store.get(i) for r in store.relations(node.id) for i in (r.source, r.target)) if n}
    claims = store.node_claims(node.id)
    relation_claims = store.relation_claims(node.id)
    if format_ == "json":
        payload = {
            "id": node.id,
            "kind": node.kind,
            "name": node.name,
            "aliases": list(node.aliases),
            "attributes": dict(node.attrs),
            "provenance": describe(store, node.id),
            "relations": [
                {
                    "source": r.source,
                    "type": r.type,
                    "target": r.target,
                    "role": r.role,
                    **dict(r.attrs),
                    "asserted_by": [
                        {"source": c.source, "place": c.place, "contributor": c.contributor, "at": c.at}
                        for c in relation_claims
                        if c.relation.key == r.key
                    ],
                }
                for r in store.relations(node.id)
            ],
            "asserted_by": [
                {"source": c.source, "place": c.place, "contributor": c.contributor, "at": c.at} for c in claims
            ],
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    click.echo(f"{node.name}  [{node.kind}]  {node.id}")
    if node.aliases:
        named = [
            f"{label} ({', '.join(c.source for c in claims if label == c.name or label in c.aliases)})"
            for label in node.aliases
        ]
        click.echo(f"  aliases: {' | '.join(named)}")
    for key, value in sorted(node.attrs.items()):
        sources = [cite(c) for c in claims if key in c.attrs and c.attrs[key] == value]
        click.echo(f"  {key}: {_cell(value)}    ({'; '.join(sources)})")
        for c in claims:
            if key in c.attrs and c.attrs[key] != value:
                click.echo(f"      also {_cell(c.attrs[key])}    ({cite(c)}; see 'maillage conflicts')")
    click.echo("  asserted by:")
    for c in claims:
        click.echo(f"    {cite(c)}")
    relations = store.relations(node.id)
    click.echo(f"  relations ({len(relations)}):")
    for r in relations:
        role = f" ({r.role})" if r.role else ""
        arrow = (
            f"-> {r.type}{role} -> {names.get(r.target, r.target)}"
            if r.source == node.id
            else f"<- {r.type}{role} <- {names.get(r.source, r.source)}"
        )
        places = "; ".join(cite(c) for c in relation_claims if c.relation.key == r.key)
        note = f"  « {r.attrs['note']} »" if r.attrs.get("note") else ""
        click.echo(f"    {arrow}{note}    ({places})")


REPORT_FORMATS = FORMATS + ("html",)
report_format_option = click.option(
    "--format", "format_", type=click.Choice(REPORT_FORMATS), default="table", show_default=True, help="Output format."
)
#: the parts of a recommendation's score in words, in the order of SCORE_WEIGHTS
SCORE_WORDS = {
    "fr": {
        "common": "voisins communs",
        "adamic_adar": "Adamic–Adar",
        "projects": "projets partagés",
        "themes": "thèmes partagés",
        "countries": "pays partagés",
    },
    "en": {
        "common": "common neighbours",
        "adamic_adar": "Adamic–Adar",
        "projects": "shared projects",
        "themes": "shared themes",
        "countries": "shared countries",
    },
}

lang_option = click.option(
    "--lang", type=click.Choice(LANGS), default="fr", show_default=True, help="Language of the text."
)


def analysis_options(graph: str = "full") -> Callable:
    """The options every analysis shares: which graph, what to include, engine and seed."""
    options = [
        click.option(
            "--graph",
            "graph_name",
            type=click.Choice(["full", "actors"]),
            default=graph,
            show_default=True,
            help="The whole graph, or the weighted actor–actor projection.",
        ),
        click.option(
            "--include",
            "include",
            multiple=True,
            type=click.Choice(["documents", "people"]),
            help="Keep Document nodes (and MENTIONS) or Person nodes, left out by default (repeatable).",
        ),
        click.option(
            "--min-weight",
            type=click.FloatRange(min=0),
            default=1.0,
            show_default=True,
            help="Projection: drop links lighter than this (project 3, direct tie 3, theme 1, country 1).",
        ),
        click.option(
            "--engine",
            type=click.Choice(["auto", "networkx", "igraph"]),
            default="auto",
            show_default=True,
            help="auto: igraph for large graphs when installed.",
        ),
        click.option(
            "--seed", type=int, default=0, show_default=True, help="Seed of sampling and community detection."
        ),
    ]

    def decorate(function: Callable) -> Callable:
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


#: From this many nodes on, betweenness and closeness are estimated unless --exact is given:
#: exact ones cost a traversal per node (49,000 nodes: about a minute with igraph).
AUTO_SAMPLE_FROM = 20_000
AUTO_SAMPLE = 256


def sample_size(nodes: int, sample: int | None, exact: bool) -> int | None:
    """How many sources betweenness and closeness are estimated from (None: exact), with a note
    on stderr when the graph's size chose it."""
    if exact and sample is not None:
        raise click.UsageError("give --sample or --exact, not both")
    if exact or sample is not None or nodes < AUTO_SAMPLE_FROM:
        return sample
    click.echo(
        f"note: {nodes:,} nodes: betweenness and closeness estimated from {AUTO_SAMPLE} sampled sources "
        "(--exact computes them exactly, one traversal per node)",
        err=True,
    )
    return AUTO_SAMPLE


@main.group()
def report() -> None:
    """Analyses of the graph, as tables, CSV, JSON, Markdown or printable HTML."""


@report.command("centrality")
@click.option(
    "--metric",
    type=click.Choice(["degree", "weighted_degree", "betweenness", "closeness", "harmonic", "eigenvector", "pagerank"]),
    default="degree",
    show_default=True,
    help="Sort by this metric.",
)
@click.option("--kind", "kinds", multiple=True, type=kind_choice, help="Only rows of this kind (repeatable).")
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True, help="Number of rows.")
@click.option(
    "--sample",
    "sample",
    type=click.IntRange(min=1),
    help=f"Estimate betweenness and closeness from this many sampled sources "
    f"(default: exact below {AUTO_SAMPLE_FROM:,} nodes, {AUTO_SAMPLE} sources from there on).",
)
@click.option("--exact", is_flag=True, help="Compute betweenness and closeness exactly, however large the graph.")
@analysis_options()
@lang_option
@report_format_option
@output_option
@pass_settings
def report_centrality(
    settings: Settings,
    metric: str,
    kinds: tuple[str, ...],
    top: int,
    format_: str,
    output: Path | None,
    sample: int | None = None,
    exact: bool = False,
    graph_name: str = "full",
    include: tuple[str, ...] = (),
    min_weight: float = 1.0,
    engine: str = "auto",
    seed: int = 0,
    lang: str = "fr",
) -> None:
    """Who holds the network together: degree, betweenness, closeness, harmonic, eigenvector, PageRank.

    Relations are read as undirected ties. Document and Person nodes are left
    out unless --include says otherwise; every report says which graph it used.
    """
    from .graph.analysis import analysis_graph, centrality_report

    graph = analysis_graph(settings.read_graph(), graph_name, include, min_weight=min_weight)
    _release_unused()
    sample = sample_size(graph.number_of_nodes(), sample, exact)
    with settings.progress.step(f"centrality of {graph.number_of_nodes():,} nodes"):
        result = centrality_report(
            graph, metric, set(_kinds(kinds)) or None, k=sample, seed=seed, engine=engine, top=top
        )
    columns = [
        "id",
        "name",
        "kind",
        "degree",
        "weighted_degree",
        "betweenness",
        "closeness",
        "harmonic",
        "eigenvector",
        "pagerank",
    ]
    if result["betweenness"]["k"]:
        columns.append("betweenness_stderr")
    notes = [_scope_note(graph, lang), _sampling_note(result, lang)]
    from .visualise.report import EXPLANATIONS

    label = EXPLANATIONS[metric][0 if lang == "fr" else 2]
    title = f"Centralité (triée par {label})" if lang == "fr" else f"Centrality (sorted by {label})"
    emit_report(result["rows"][:top], columns, format_, output, title, notes, lang)


@main.command("map")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("map.html"), show_default=True
)
@click.option("--title", default="maillage", show_default=True, help="Title shown on the map.")
@click.option("--lang", type=click.Choice(LANGS), default="fr", show_default=True)
@click.option(
    "--color-by",
    "color_by",
    type=click.Choice(["kind", "community", "theme"]),
    default="kind",
    show_default=True,
    help="Colour nodes by kind, by Louvain community, or by their main theme.",
)
@click.option(
    "--size-by",
    "size_by",
    type=click.Choice(["degree", "betweenness", "pagerank", "closeness", "eigenvector"]),
    default="degree",
    show_default=True,
    help="Size nodes by this centrality.",
)
@click.option("--focus", help="Draw only this actor (id, name or alias) and its neighbourhood.")
@click.option(
    "--depth", type=click.IntRange(min=0), default=1, show_default=True, help="Neighbourhood depth for --focus."
)
@click.option("--kind", "kinds", multiple=True, type=kind_choice, help="Only nodes of this kind (repeatable).")
@click.option(
    "--theme", "themes", multiple=True, help="Only the actors and projects linked to this theme (repeatable)."
)
@click.option(
    "--layout",
    type=click.Choice(["force", "geo"]),
    default="force",
    show_default=True,
    help="force: a network layout; geo: actors placed on a map of France by coordinates or INSEE code.",
)
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path), help="Also write a PNG image (needs chromium).")
@click.option("--svg", type=click.Path(dir_okay=False, path_type=Path), help="Also write an SVG image.")
@click.option(
    "--include-personal",
    is_flag=True,
    help="Show contact details (e-mail, phone) in the side panel (left out by default).",
)
@click.option(
    "--max-nodes",
    type=click.IntRange(min=1),
    default=30_000,
    show_default=True,
    help="Above this many nodes, draw one point per community or territory instead, with a notice.",
)
@click.option(
    "--group-by",
    "group_by",
    type=click.Choice(["community", "territory"]),
    default="community",
    show_default=True,
    help="How a map above --max-nodes groups actors: Louvain communities, or départements.",
)
@pass_settings
def map_(
    settings: Settings,
    output: Path,
    title: str,
    lang: str,
    color_by: str = "kind",
    size_by: str = "degree",
    focus: str | None = None,
    depth: int = 1,
    kinds: tuple[str, ...] = (),
    themes: tuple[str, ...] = (),
    layout: str = "force",
    png: Path | None = None,
    svg: Path | None = None,
    include_personal: bool = False,
    max_nodes: int = 30_000,
    group_by: str = "community",
) -> None:
    """Draw an interactive HTML map of the graph: one file that opens offline.

    Search, filters by kind, theme and relation type, and a side panel with each
    actor's attributes, relations and sources are in the page; --png and --svg
    add still images for reports and slides.
    """
    from .visualise import find_chromium, select, svg_document, write_map, write_png
    from .visualise.map import atomic_write

    if png is not None:
        find_chromium()
    store = settings.store()
    keep = []
    if focus is not None:
        centre = resolve(store, focus)
        keep.append(centre.id)
        graph = settings.read_graph(node_ids=store.neighbourhood([centre.id], depth))
    else:
        if depth != 1:
            raise UsageError("--depth only applies with --focus")
        graph = settings.read_graph()
    theme_ids = []
    for reference in themes:
        theme = resolve(store, reference)
        if theme.kind != "Theme":
            raise UsageError(f"--theme {reference!r} names {theme.id} (kind {theme.kind}), not a theme")
        theme_ids.append(theme.id)
    graph = select(graph, kinds=_kinds(kinds), themes=theme_ids, keep=keep)
    # a map of groups names no single node's sources: do not read them
    provenance = (
        {}
        if graph.number_of_nodes() > max_nodes
        else {
            node: [
                {"place": c.place, "source": c.source, "contributor": c.contributor, "at": c.at}
                for c in store.node_claims(node)
            ]
            for node in graph.nodes
        }
    )
    options = dict(title=title, lang=lang, color_by=color_by, size_by=size_by, layout=layout)
    with settings.progress.step(f"drawing {graph.number_of_nodes():,} nodes"):
        write_map(
            graph,
            output,
            provenance=provenance,
            focus=keep[0] if keep else None,
            personal=include_personal,
            max_nodes=max_nodes,
            group_by=group_by,
            **options,
        )
    grouped = f", shown as groups by {group_by}" if graph.number_of_nodes() > max_nodes else ""
    click.echo(f"wrote {output} ({graph.number_of_nodes()} nodes, {graph.number_of_edges()} relations{grouped})")
    drawing = svg_document(graph, **options) if svg is not None or png is not None else None
    if svg is not None:
        atomic_write(svg, drawing)
        click.echo(f"wrote {svg}")
    if png is not None:
        write_png(graph, png, document=drawing)
        click.echo(f"wrote {png}")


def demo_data_path() -> Path:
    """The demo workbook shipped with the package."""
    return Path(str(resources.files("maillage") / "data" / "demo"))


@main.command()
@click.option(
    "-o",
    "--output",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("maillage-demo"),
    show_default=True,
)
@click.pass_context
def demo(ctx: click.Context, directory: Path) -> None:
    """Build the demo: a store of the Aitec/CUF programme, its centrality report and its map.

    Writes DIRECTORY/maillage.db, DIRECTORY/centrality.md and DIRECTORY/map.html.
    """
    directory.mkdir(parents=True, exist_ok=True)
    settings: Settings = ctx.obj
    settings.close()
    settings.location = str(directory / "maillage.db")
    ctx.invoke(load, paths=(demo_data_path(),), format_=None, source_name="demo", dry_run=False)
    ctx.invoke(report_centrality, metric="degree", kinds=(), top=20, format_="md", output=directory / "centrality.md")
    ctx.invoke(map_, output=directory / "map.html", title="Programme Aitec – Cités Unies France", lang="fr")


# ---- push / pull: copy a graph between stores ----


def _copy_graph(origin: GraphStore, destination: GraphStore) -> None:
    """Copy ``origin`` into ``destination`` (see :func:`graph.transfer.copy_graph`), saying what was copied."""
    from .graph.transfer import copy_graph

    def progress(result) -> None:
        if result.unchanged:
            click.echo(f"{result.source}: unchanged", err=True)
        else:
            click.echo(f"{result.source}: {result.nodes} nodes, {result.relations} relations copied", err=True)

    report = copy_graph(origin, destination, progress)
    for collection, key in report.records_kept:
        click.echo(
            f"notice: {collection} {key!r} already exists in {destination.location} with other content; kept as it was",
            err=True,
        )
    copied = sum(not result.unchanged for result in report.sources)
    unchanged = len(report.sources) - copied
    click.echo(
        f"copied {copied} source{'s' if copied != 1 else ''} from {origin.location} to {destination.location} ({unchanged} unchanged);"
        f" {report.records_copied} record{'s' if report.records_copied != 1 else ''} of merges, history and snapshots"
        f" ({report.records_unchanged} unchanged)"
    )


@main.command()
@click.option("--to", "destination", required=True, help="The store to copy into: a SQLite file or a Neo4j URI.")
@click.option("--remote-database", help="Neo4j database of the destination (Neo4j only).")
@pass_settings
def push(settings: Settings, destination: str, remote_database: str | None) -> None:
    """Copy the whole graph, with its provenance, from --store to another store.

    Sources keep their name, contributor, date and load order. Pushing twice
    changes nothing. For a Neo4j destination the user and password come from
    NEO4J_USER and NEO4J_PASSWORD (or a prompt).
    """
    target = open_store(destination, **settings.store_options(destination, remote_database))
    try:
        _copy_graph(settings.store(), target)
    finally:
        target.close()


@main.command()
@click.option("--from", "origin", required=True, help="The store to copy from: a SQLite file or a Neo4j URI.")
@click.option("--remote-database", help="Neo4j database of the origin (Neo4j only).")
@pass_settings
def pull(settings: Settings, origin: str, remote_database: str | None) -> None:
    """Copy the whole graph, with its provenance, from another store into --store.

    Sources keep their name, contributor, date and load order. Pulling twice
    changes nothing.
    """
    source_store = open_store(origin, create=False, **settings.store_options(origin, remote_database))
    try:
        _copy_graph(source_store, settings.store(create=True))
    finally:
        source_store.close()


# ---- collaboration: provenance, conflicts, duplicates, merges, history, exports ----


def cite(claim: Any) -> str:
    """One claim's provenance in words: source, place, contributor, date (a source named
    after its file is cited by its place alone: ``actors.csv:4``, not ``actors.csv actors.csv:4``)."""
    if claim.place.startswith(claim.source + ":"):
        where = claim.place
    else:
        where = claim.source if claim.place in ("", claim.source) else f"{claim.source} {claim.place}"
    return f"{where}, by {claim.contributor}, {claim.at}"


def collaborative_batches(store: GraphStore, batches: Sequence[Any], authoritative: bool) -> list[Any]:
    """Batches as they will be written: merged nodes redirected, authoritative flag set."""
    from dataclasses import replace

    from .graph.merge import apply_redirects

    prepared = []
    for batch in batches:
        batch = apply_redirects(store, batch)
        if authoritative:
            batch = replace(batch, source=replace(batch.source, authoritative=True))
        prepared.append(batch)
    return prepared


def is_export_load(paths: Sequence[Path]) -> bool:
    """True when every path is a maillage JSON export."""
    from .graph.export import is_export

    return bool(paths) and all(is_export(path) for path in paths)


def write_batches(settings: Settings, batches: Sequence[Any], dry_run: bool) -> None:
    """Write each batch with its history (or only count it, on a dry run) and say what it did."""
    for batch in batches:
        if dry_run:
            click.echo(
                f"{batch.source.name}: {len(batch.nodes)} nodes, {len(batch.relations)} relations (dry run, nothing written)"
            )
            continue
        result = write_recorded(settings, batch)
        if result.unchanged:
            click.echo(f"{result.source}: unchanged (already loaded)")
        else:
            click.echo(f"{result.source}: {result.nodes} nodes, {result.relations} relations loaded")


def write_recorded(settings: Settings, batch: Any) -> Any:
    """Write one batch and record what it changed in the history."""
    from .graph.history import record_load

    store = settings.store()
    previous = store.dump_source(batch.source.name)
    result = store.write(batch)
    if not result.unchanged:
        record_load(store, previous, batch, settings.contributor)
    return result


def restore_exported(settings: Settings, batches: Sequence[Any]) -> None:
    """Load the sources of a maillage export in one transaction, provenance kept."""
    from .graph.history import record_load

    store = settings.store()
    previous = {batch.source.name: store.dump_source(batch.source.name) for batch in batches}
    results = store.replace_sources(batches)
    for batch, result in zip(batches, results):
        if result.unchanged:
            click.echo(f"{result.source}: unchanged (already loaded)")
            continue
        record_load(store, previous[batch.source.name], batch, settings.contributor)
        click.echo(f"{result.source}: {result.nodes} nodes, {result.relations} relations loaded (from an export)")


@main.command()
@click.option(
    "--authoritative", "mark", multiple=True, metavar="SOURCE", help="Mark this source authoritative (repeatable)."
)
@click.option(
    "--not-authoritative", "unmark", multiple=True, metavar="SOURCE", help="Remove the authoritative mark (repeatable)."
)
@format_option
@output_option
@pass_settings
def sources(
    settings: Settings, mark: tuple[str, ...], unmark: tuple[str, ...], format_: str, output: Path | None
) -> None:
    """List loaded sources: who loaded them, when, how many facts.

    When sources disagree on a value, the latest load wins, unless a source is
    authoritative: authoritative sources win over all others.
    """
    from .graph.provenance import set_authoritative, source_rows

    store = settings.store()
    for name in mark:
        set_authoritative(store, name, True, settings.contributor)
    for name in unmark:
        set_authoritative(store, name, False, settings.contributor)
    columns = ["source", "format", "contributor", "at", "authoritative", "nodes", "relations"]
    emit(source_rows(store), columns, format_, output, title="Sources")


@main.command()
@click.argument("source")
@pass_settings
def unload(settings: Settings, source: str) -> None:
    """Remove what SOURCE asserted; what other sources also assert stays."""
    from .graph.history import record_unload

    store = settings.store()
    previous = store.dump_source(source)
    if previous is None:
        known = ", ".join(s.name for s in store.sources()) or "none"
        raise UsageError(f"no source named {source!r} is loaded (loaded: {known})")
    result = store.unload(source)
    record_unload(store, previous, settings.contributor)
    click.echo(f"{source}: unloaded ({result.nodes} node claims, {result.relations} relation claims removed)")


@main.command()
@format_option
@output_option
@pass_settings
def conflicts(settings: Settings, format_: str, output: Path | None) -> None:
    """Attributes to which sources give different values, and which value is current.

    Rule: the latest load wins, unless a source is authoritative
    ('maillage sources --authoritative SOURCE' or 'maillage load --authoritative').
    """
    from .graph.provenance import conflicts as find_conflicts

    rows = []
    for conflict in find_conflicts(settings.store()):
        rows.append(
            {
                "subject": conflict.subject,
                "name": conflict.name,
                "attribute": conflict.attribute,
                "current": conflict.current,
                "values": [
                    {
                        "value": a.value,
                        "source": a.source,
                        "place": a.place,
                        "contributor": a.contributor,
                        "at": a.at,
                        "authoritative": a.authoritative,
                    }
                    for a in conflict.assertions
                ]
                if format_ == "json"
                else [
                    f"{_cell(a.value)} ({a.source} {a.place}, {a.contributor}, {a.at}{', authoritative' if a.authoritative else ''})"
                    for a in conflict.assertions
                ],
            }
        )
    emit(rows, ["subject", "name", "attribute", "current", "values"], format_, output, title="Conflicts")


@main.command()
@click.option("--kind", "kinds", multiple=True, type=kind_choice, help="Only this kind (repeatable).")
@click.option("--min-score", type=click.FloatRange(0, 1), default=0.0, show_default=True, help="Hide weaker proposals.")
@format_option
@output_option
@pass_settings
def dedupe(settings: Settings, kinds: tuple[str, ...], min_score: float, format_: str, output: Path | None) -> None:
    """Propose likely duplicates, with the evidence and a score (1 = same official code).

    Merge a pair with 'maillage merge A B'.
    """
    from .graph.duplicates import duplicates

    rows = [
        {
            "score": p.score,
            "a": p.a,
            "a_name": p.a_name,
            "b": p.b,
            "b_name": p.b_name,
            "kind": p.kind,
            "evidence": list(p.evidence),
        }
        for p in duplicates(settings.store(), _kinds(kinds) or None)
        if p.score >= min_score
    ]
    emit(rows, ["score", "a", "a_name", "b", "b_name", "kind", "evidence"], format_, output, title="Likely duplicates")


@main.command()
@click.argument("actors", nargs=-1, required=True)
@click.option("--into", "into", help="The actor to keep (default: the first one named).")
@click.option("--force", is_flag=True, help="Merge even actors whose level, INSEE code, SIREN, SIRET or RNA id differ.")
@pass_settings
def merge(settings: Settings, actors: tuple[str, ...], into: str | None, force: bool) -> None:
    """Merge duplicates into one actor: names kept as aliases, relations and provenance re-pointed.

    ACTORS are ids, names or aliases; all but the kept one are merged into it.
    Actors with different official codes are refused unless --force.
    The merge is recorded: 'maillage unmerge' undoes it.
    """
    from .graph.merge import merge as merge_nodes

    store = settings.store()
    nodes = [resolve(store, actor) for actor in actors]
    kept = resolve(store, into) if into else nodes[0]
    others = [node.id for node in nodes if node.id != kept.id]
    if not others:
        raise UsageError("name at least two different actors to merge")
    result = merge_nodes(store, kept.id, others, settings.contributor, force=force)
    click.echo(
        f"merged {', '.join(result.merged)} into {result.into} (merge {result.id}; "
        f"{len(result.sources)} source(s) rewritten: {', '.join(result.sources)})"
    )


@main.command()
@click.argument("reference")
@pass_settings
def unmerge(settings: Settings, reference: str) -> None:
    """Undo a merge, named by its id or by an actor it merged (the latest merge).

    Sources the merge rewrote are put back as they were, unless they were
    unloaded or changed since: those are left alone and listed.
    """
    from .graph.merge import unmerge as unmerge_nodes

    result = unmerge_nodes(settings.store(), reference, settings.contributor)
    click.echo(
        f"unmerged {', '.join(result.merged)} from {result.into} (merge {result.id}; restored: {', '.join(result.restored) or 'none'})"
    )
    for name, reason in result.skipped.items():
        click.echo(f"warning: {name} left as it is: {reason}", err=True)


@main.command()
@click.argument("actor")
@format_option
@output_option
@pass_settings
def history(settings: Settings, actor: str, format_: str, output: Path | None) -> None:
    """What happened to an actor: loads, unloads, changes, merges; who and when.

    ACTOR is an id, name or alias; the id of an actor merged away or unloaded works too.
    """
    from .graph.errors import UnknownReference
    from .graph.history import history as actor_history

    store = settings.store()
    try:
        node_id = resolve(store, actor, follow_merges=False).id
    except UnknownReference:
        node_id = actor.strip()
        if not actor_history(store, node_id):
            raise
    rows = actor_history(store, node_id)
    emit(rows, ["at", "action", "contributor", "source", "what"], format_, output, title=f"History of {node_id}")


@main.command()
@click.argument("name", required=False)
@click.option("--replace", is_flag=True, help="Replace a snapshot of the same name.")
@pass_settings
def snapshot(settings: Settings, name: str | None, replace: bool) -> None:
    """Keep the graph as it is now (nodes, relations, centrality) under NAME.

    Without NAME, list the snapshots. Compare them with 'maillage diff A B'.
    """
    from .graph.history import snapshot as take_snapshot
    from .graph.history import snapshots

    store = settings.store()
    if name is None:
        emit(snapshots(store), ["name", "at", "contributor", "nodes", "relations"], "table", None)
        return
    state = take_snapshot(store, name, settings.contributor, replace)
    click.echo(f"snapshot {name}: {len(state['nodes'])} nodes, {len(state['relations'])} relations")


@main.command()
@click.argument("before")
@click.argument("after", required=False, default="now")
@click.option(
    "--metric",
    type=click.Choice(["degree", "betweenness", "pagerank"]),
    default="betweenness",
    show_default=True,
    help="Centrality whose biggest movers are listed.",
)
@click.option("--top", type=click.IntRange(min=0), default=10, show_default=True, help="Number of movers.")
@click.option("--format", "format_", type=click.Choice(["text", "json", "md"]), default="text", show_default=True)
@output_option
@pass_settings
def diff(settings: Settings, before: str, after: str, metric: str, top: int, format_: str, output: Path | None) -> None:
    """What changed between two snapshots (AFTER defaults to 'now', the graph as it is).

    Nodes and relations added or removed, attributes changed, biggest movers in centrality.
    """
    from .graph.history import diff as compare
    from .graph.history import get_snapshot

    store = settings.store()
    changes = compare(get_snapshot(store, before), get_snapshot(store, after), metric, top)
    if format_ == "json":
        text = json.dumps(changes, ensure_ascii=False, indent=2) + "\n"
    else:
        text = _diff_text(changes, markdown=format_ == "md")
    if output is None:
        click.echo(text, nl=False)
    else:
        write_text(output, text)
        click.echo(f"wrote {output}", err=True)


def _diff_text(changes: dict[str, Any], markdown: bool) -> str:
    def rel(row: dict) -> str:
        role = f" ({row['role']})" if row["role"] else ""
        return f"{row['source']} -{row['type']}{role}-> {row['target']}"

    sections = [
        ("Nodes added", [f"{r['id']} {r['name']} [{r['kind']}]" for r in changes["added_nodes"]]),
        ("Nodes removed", [f"{r['id']} {r['name']} [{r['kind']}]" for r in changes["removed_nodes"]]),
        (
            "Attributes changed",
            [
                f"{r['id']} {r['attribute']}: {_cell(r['before'])} -> {_cell(r['after'])}"
                for r in changes["changed_nodes"]
            ],
        ),
        ("Relations added", [rel(r) for r in changes["added_relations"]]),
        ("Relations removed", [rel(r) for r in changes["removed_relations"]]),
        (
            "Relation attributes changed",
            [
                f"{rel(r)} {r['attribute']}: {_cell(r['before'])} -> {_cell(r['after'])}"
                for r in changes["changed_relations"]
            ],
        ),
        (
            f"Biggest movers ({changes['metric']})",
            [
                f"{r['id']} {r['name']}: {r['before']:.4f} -> {r['after']:.4f} ({r['change']:+.4f})"
                for r in changes["movers"]
            ],
        ),
    ]
    heading = "#" if markdown else ""
    lines = [f"{heading}{'# ' if markdown else ''}Changes from {changes['from']} to {changes['to']}".strip(), ""]
    for title, items in sections:
        lines.append(f"{'## ' if markdown else ''}{title} ({len(items)})")
        lines.extend(f"{'- ' if markdown else '  '}{item}" for item in items)
        lines.append("")
    return "\n".join(lines)


@main.command()
@click.option("--format", "format_", type=click.Choice(["json", "csv", "gexf", "graphml", "cypher"]), required=True)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="File to write; for csv a folder, or FILE.csv for FILE-actors.csv and FILE-relations.csv.",
)
@click.option("--kind", "kinds", multiple=True, type=kind_choice, help="Only nodes of this kind (repeatable).")
@click.option("--theme", "themes", multiple=True, help="Only a theme and what is tied to it (repeatable).")
@click.option(
    "--focus", "focus", multiple=True, help="Only what is within --depth relations of this actor (repeatable)."
)
@click.option("--depth", type=click.IntRange(min=0), default=1, show_default=True)
@click.option("--include-personal", is_flag=True, help="Keep Person nodes and contact details (left out by default).")
@pass_settings
def export(
    settings: Settings,
    format_: str,
    output: Path,
    kinds: tuple[str, ...],
    themes: tuple[str, ...],
    focus: tuple[str, ...],
    depth: int,
    include_personal: bool,
) -> None:
    """Export the graph or part of it: JSON or CSV with provenance (re-importable by
    'maillage load'), GEXF or GraphML for Gephi, Cypher for a Neo4j without maillage."""
    from .graph.export import select, write_export

    store = settings.store()
    selection = select(store, _kinds(kinds), themes, focus, depth, include_personal)
    for path in write_export(store, format_, output, selection):
        click.echo(f"wrote {path}")


# ---- registers ----
# Public registers (INSEE COG, BANATIC, RNA) and YAML-mapped tables, loaded by `load`.
# Their options are added to `load` here, next to the code that uses them.

_REGISTER_OPTIONS = [
    click.Option(
        ["--mapping"],
        metavar="FILE.yaml|PRESET",
        help="Read tables through this YAML mapping, or a preset (cooperation).",
    ),
    click.Option(["--cog-year"], metavar="YYYY", help="Vintage of INSEE COG files whose name does not tell it."),
    click.Option(
        ["--siren-table"],
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Commune SIREN↔INSEE table, to tie BANATIC members to communes.",
    ),
    click.Option(
        ["--strict/--skip-bad-rows"],
        default=True,
        show_default=True,
        help="Reject the whole file on any row that cannot give an actor, or load the rest.",
    ),
    click.Option(
        ["--rejected"],
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write the rejected rows and the fields set aside, with their reasons, to this CSV file (';', UTF-8 with BOM).",
    ),
    click.Option(
        ["--departement", "departements"],
        multiple=True,
        metavar="CODE",
        help="RNA: only associations of this département (repeatable).",
    ),
    click.Option(
        ["--commune", "communes"],
        multiple=True,
        metavar="INSEE",
        help="RNA: only associations of this commune (repeatable).",
    ),
    click.Option(
        ["--object-code", "object_codes"],
        multiple=True,
        metavar="CODE",
        help="RNA: only this social-object code or code prefix (repeatable).",
    ),
    click.Option(
        ["--keyword", "keywords"],
        multiple=True,
        metavar="TEXT",
        help="RNA: only titles or objects containing this text (repeatable).",
    ),
    click.Option(["--include-inactive"], is_flag=True, help="RNA: keep dissolved and deleted associations too."),
]
load.params.extend(_REGISTER_OPTIONS)
_STREAMED_FORMATS = ("rna-waldec", "rna-import")


def wants_registers(paths: Sequence[Path], format_: str | None, registers: dict[str, Any]) -> bool:
    """True when a load involves a register or a mapping rather than only workbooks or exports."""
    from .loaders import detect_format

    if is_export_load(paths):
        return False
    if registers.get("mapping") or (format_ and format_ != "workbook"):
        return True
    return any(detect_format(Path(path)) not in ("workbook", None) for path in paths)


def load_registers(
    settings: Settings,
    paths: Sequence[Path],
    format_: str | None,
    source_name: str | None,
    dry_run: bool,
    authoritative: bool,
    registers: dict[str, Any],
) -> None:
    """Load register extracts and mapped tables: stream the large ones, report what was met."""
    from .graph.merge import redirect_aware_lookup
    from .loaders import open_sources
    from .loaders.loading import LoadOptions

    options = LoadOptions(
        strict=registers.get("strict", True),
        cog_year=registers.get("cog_year"),
        mapping=registers.get("mapping"),
        siren_table=registers.get("siren_table"),
        departements=_insee_codes("--departement", "departement", registers.get("departements")),
        communes=_insee_codes("--commune", "commune", registers.get("communes")),
        object_codes=tuple(registers.get("object_codes") or ()),
        keywords=tuple(registers.get("keywords") or ()),
        include_inactive=bool(registers.get("include_inactive")),
        list_set_aside=bool(registers.get("rejected")),
    )
    store = settings.store(create=True)
    loads: list[Any] = []
    try:
        loads.extend(
            open_sources(paths, redirect_aware_lookup(store), settings.contributor, format_, source_name, options)
        )
        _load_each(settings, store, loads, dry_run, authoritative)
    except LoadError as error:
        # What rejected the file is listed in the file asked for, as when the rest loads.
        if registers.get("rejected"):
            _write_rejected([*(load_.report for load_ in loads), _report_of(error)], registers["rejected"])
        raise
    if registers.get("rejected"):
        _write_rejected([load_.report for load_ in loads], registers["rejected"])


def _report_of(error: LoadError) -> Any:
    """A report of the rows a :class:`LoadError` names that no report of a load holds
    (a file rejected while it was opened)."""
    from .loaders.loading import LoadReport

    report = LoadReport()
    for problem in error.problems:
        report.reject(problem)
    return report


def _write_rejected(reports: Sequence[Any], path: Path) -> None:
    from .loaders.loading import write_rejected

    seen: set[int] = set()
    distinct = []
    for report in reports:
        # A load's own report and the error it raised name the same rows once.
        problems = {id(p) for p in report.problems}
        if problems and problems <= seen:
            continue
        seen |= problems
        distinct.append(report)
    count = write_rejected(distinct, path)
    click.echo(f"wrote {path} ({count} line{'s' if count != 1 else ''}: rejected rows and fields set aside)", err=True)


def _load_each(settings: Settings, store: GraphStore, loads: Sequence[Any], dry_run: bool, authoritative: bool) -> None:
    from dataclasses import replace

    from .graph.history import record_stream_load
    from .graph.merge import redirect_records, redirects

    for load_ in loads:
        if authoritative:
            load_.source = replace(load_.source, authoritative=True)
        report = load_.report
        if dry_run:
            nodes = relations = 0
            for record in load_.records:
                if hasattr(record, "node"):
                    nodes += 1
                else:
                    relations += 1
            summary = report.set_aside_summary()
            click.echo(
                f"{load_.source.name} [{load_.source.format}]: {nodes} nodes, {relations} relations (dry run, nothing written)"
                + (f"; {summary}" if summary else "")
            )
            for column, use in report.columns_used.items():
                click.echo(f"  column {column!r} -> {use}")
            for column in report.columns_ignored:
                click.echo(f"  column {column!r} ignored")
        elif load_.source.format in _STREAMED_FORMATS and hasattr(store, "write_stream"):
            records = load_.records
            progress = settings.progress
            show = progress.rows(load_.source.name, _expected_rows(load_.files) if progress.shown else None)
            if hasattr(records, "encoded") and not redirects(store):
                # Read in a worker process and handed to the store whole; it reports its own progress.
                records.progress = show
            else:
                records = redirect_records(store, _with_progress(load_, show))
            try:
                result = store.write_stream(load_.source, records, load_.digest)
            finally:
                progress.done()
            if not result.unchanged:
                record_stream_load(store, result.source, settings.contributor, result.nodes, result.relations)
            _echo_result(result, report)
        else:
            (batch,) = collaborative_batches(store, [load_.batch()], False)
            batch.source = load_.source
            _echo_result(write_recorded(settings, batch), report)
        if report.fields_set_aside and not report.list_set_aside:
            click.echo("note: --rejected FILE.csv lists them, with their values and reasons", err=True)
        for notice in report.notices:
            click.echo(f"notice: {notice}", err=True)
        for problem in report.problems:
            click.echo(f"rejected: {problem}", err=True)


def _with_progress(load_: Any, show: Callable[[int], None]) -> Iterator[Any]:
    """The load's records, telling ``show`` the rows read every 1,000 records."""
    report = load_.report
    for count, record in enumerate(load_.records):
        if not count % 1000:
            show(report.rows_read)
        yield record


def _expected_rows(files: Sequence[str]) -> int | None:
    """About how many rows the CSV files (or the CSV members of zips) of a load hold: their
    size over the size of a row in their first megabyte."""
    import zipfile

    from .loaders.tables import SAMPLE_SIZE

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


def _echo_result(result: Any, report: Any) -> None:
    read = f" from {report.rows_read} rows" if report.rows_read else ""
    skipped = f", {report.rows_filtered} filtered out" if report.rows_filtered else ""
    rejected = f", {len(report.problems)} rejected" if report.problems else ""
    summary = report.set_aside_summary()
    set_aside = f"; {summary}" if summary else ""
    if result.unchanged:
        click.echo(f"{result.source}: unchanged (already loaded)")
    else:
        click.echo(
            f"{result.source}: {result.nodes} nodes, {result.relations} relations loaded{read}{skipped}{rejected}{set_aside}"
        )


# ---- analysis: reports, recommendations, paths ----


def _scope_note(graph, lang: str) -> str:
    from .graph.analysis import scope_of

    return scope_of(graph).describe(lang)


def _sampling_note(result: dict, lang: str) -> str:
    sampling = result.get("betweenness") or {}
    engine = result.get("engine", "networkx")
    if sampling.get("k"):
        if lang == "fr":
            return (
                f"Intermédiarité, proximité et proximité harmonique estimées à partir de {sampling['k']} sources "
                f"tirées (graine {sampling['seed']}) ; erreur type de l'intermédiarité au plus "
                f"{sampling['max_stderr']:.2g}. Moteur : {engine}."
            )
        return (
            f"Betweenness, closeness and harmonic closeness estimated from {sampling['k']} sampled sources "
            f"(seed {sampling['seed']}); betweenness standard error at most {sampling['max_stderr']:.2g}. "
            f"Engine: {engine}."
        )
    return f"Mesures exactes. Moteur : {engine}." if lang == "fr" else f"Exact measures. Engine: {engine}."


def emit_report(
    rows: Sequence[dict],
    columns: Sequence[str],
    format_: str,
    output: Path | None,
    title: str,
    notes: Sequence[str],
    lang: str,
    payload: Any = None,
) -> None:
    """Print or write a report: the notes say which graph it was computed on.

    JSON is ``payload`` when given (an object with its scope), else the rows; CSV is the
    rows alone (the notes then go to stderr when writing a file).
    """
    notes = [note for note in notes if note]
    if format_ == "json":
        text = (
            (json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
            if payload is not None
            else render(rows, columns, "json")
        )
    elif format_ == "csv":
        text = render(rows, columns, "csv")
    elif format_ == "html":
        from .visualise.report import table_report_html

        text = table_report_html(title, notes, rows, columns, lang)
    elif format_ == "md":
        from .visualise.report import report_headers, report_rows

        escaped = [note.replace("<", "&lt;").replace(">", "&gt;") for note in notes]
        body = render(report_rows(rows, lang), columns, "md", headers=report_headers(columns, lang))
        quoted = "\n>\n".join(f"> {note}" for note in escaped)
        text = f"# {title}\n\n" + (f"{quoted}\n\n" if quoted else "") + body
    else:
        text = "".join(f"{note}\n" for note in notes) + ("\n" if notes else "") + render(rows, columns, "table")
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    write_text(output, text)
    click.echo(f"wrote {output}", err=True)
    if format_ in ("csv", "json") and payload is None:
        for note in notes:
            click.echo(note, err=True)


@report.command("brokers")
@click.option(
    "--by",
    type=click.Choice(["kind", "departement", "region"]),
    default="kind",
    show_default=True,
    help="Groups for the Gould–Fernandez roles: actor kind, or territory (following LOCATED_IN).",
)
@click.option(
    "--between",
    nargs=2,
    type=kind_choice,
    default=("Collectivite", "Association"),
    show_default=True,
    help="The two kinds whose bridges are counted.",
)
@click.option("--kind", "kinds", multiple=True, type=kind_choice, help="Only rows of this kind (repeatable).")
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True, help="Number of rows.")
@click.option("--directed", is_flag=True, help="Roles on relations as written (source to target); needs --graph full.")
@analysis_options("actors")
@lang_option
@report_format_option
@output_option
@pass_settings
def report_brokers(
    settings: Settings,
    by: str,
    between: tuple[str, str],
    kinds: tuple[str, ...],
    top: int,
    directed: bool,
    graph_name: str,
    include: tuple[str, ...],
    min_weight: float,
    engine: str,
    seed: int,
    lang: str,
    format_: str,
    output: Path | None,
) -> None:
    """Who bridges whom: bridges between two kinds (default: local authorities and
    associations), Gould–Fernandez brokerage roles, Burt's constraint and effective size.

    Computed on the actor–actor projection unless --graph full.
    """
    from .graph.analysis import analysis_graph, brokers_report

    if directed and graph_name != "full":
        raise UsageError("--directed needs --graph full: the actor projection has no direction")
    store_graph = settings.read_graph()
    graph = analysis_graph(store_graph, graph_name, include, min_weight=min_weight, directed=directed)
    result = brokers_report(graph, by, store_graph, tuple(_kinds(between)), set(_kinds(kinds)) or None, engine)
    result["rows"] = result["rows"][:top]
    columns = [
        "id",
        "name",
        "kind",
        "group",
        "bridges",
        "coordinator",
        "itinerant",
        "representative",
        "gatekeeper",
        "liaison",
        "total",
        "constraint",
        "effective_size",
    ]
    title = "Courtiers" if lang == "fr" else "Brokers"
    emit_report(result["rows"], columns, format_, output, title, [_scope_note(graph, lang)], lang, result)


@report.command("communities")
@click.option(
    "--method",
    type=click.Choice(["louvain", "leiden"]),
    default="louvain",
    show_default=True,
    help="Leiden needs igraph.",
)
@click.option(
    "--resolution",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Above 1: smaller communities; below 1: larger ones.",
)
@click.option(
    "--top", type=click.IntRange(min=1), default=5, show_default=True, help="Members and themes named per community."
)
@analysis_options("actors")
@lang_option
@report_format_option
@output_option
@pass_settings
def report_communities(
    settings: Settings,
    method: str,
    resolution: float,
    top: int,
    graph_name: str,
    include: tuple[str, ...],
    min_weight: float,
    engine: str,
    seed: int,
    lang: str,
    format_: str,
    output: Path | None,
) -> None:
    """Groups of actors more tied to each other than to the rest (Louvain or Leiden, seeded),
    with modularity, largest members and dominant themes.

    Computed on the actor–actor projection unless --graph full.
    """
    from .graph.analysis import analysis_graph, communities_report

    store_graph = settings.read_graph()
    graph = analysis_graph(store_graph, graph_name, include, min_weight=min_weight)
    result = communities_report(graph, method, seed, resolution, engine, top, store_graph)
    rows = [
        {
            "community": c["community"],
            "size": c["size"],
            "members": [m["name"] for m in c["members"]],
            "themes": [t["name"] for t in c["themes"]],
        }
        for c in result["communities"]
    ]
    note = (
        f"Méthode {method}, graine {seed}, moteur {result['engine']} ; modularité {result['modularity']:.4f}."
        if lang == "fr"
        else f"Method {method}, seed {seed}, engine {result['engine']}; modularity {result['modularity']:.4f}."
    )
    title = "Groupes" if lang == "fr" else "Communities"
    emit_report(
        rows,
        ["community", "size", "members", "themes"],
        format_,
        output,
        title,
        [_scope_note(graph, lang), note],
        lang,
        result,
    )


@report.command("gaps")
@click.option(
    "--level",
    type=click.Choice(["departement", "region", "country"]),
    default="departement",
    show_default=True,
    help="Territories (following LOCATED_IN) or countries (ACTS_IN).",
)
@lang_option
@report_format_option
@output_option
@pass_settings
def report_gaps(settings: Settings, level: str, lang: str, format_: str, output: Path | None) -> None:
    """What nobody covers: themes × territories with actors but no links between them,
    and themes nobody in a territory works on (though others elsewhere do)."""
    from .graph.analysis import gaps_report

    result = gaps_report(settings.read_graph(), level)
    unlinked = "sans lien" if lang == "fr" else "unlinked"
    uncovered = "non couvert" if lang == "fr" else "uncovered"
    rows = [
        {"gap": unlinked, "territory": g["territory_name"], "theme": g["theme_name"], "actors": g["actor_names"]}
        for g in result["unlinked"]
    ]
    rows += [
        {"gap": uncovered, "territory": g["territory_name"], "theme": theme, "actors": g["actors"]}
        for g in result["uncovered"]
        for theme in g["theme_names"]
    ]
    note = (
        "Un acteur travaille sur un thème s'il y est lié (WORKS_ON) ou participe à un projet qui le traite ; "
        "deux acteurs sont liés par une relation directe ou un projet commun."
        if lang == "fr"
        else "An actor works on a theme if tied to it (WORKS_ON) or taking part in a project addressing it; "
        "two actors are linked by a direct relation or a common project."
    )
    title = "Manques" if lang == "fr" else "Gaps"
    emit_report(rows, ["gap", "territory", "theme", "actors"], format_, output, title, [note], lang, result)


@report.command("all")
@click.option("--format", "format_", type=click.Choice(["html", "json"]), default="html", show_default=True)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of stdout."
)
@click.option("--title", help="Title of the report.")
@click.option(
    "--metric",
    type=click.Choice(["degree", "weighted_degree", "betweenness", "closeness", "harmonic", "eigenvector", "pagerank"]),
    default="betweenness",
    show_default=True,
    help="Sort the centrality table by this metric.",
)
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True, help="Rows per table.")
@click.option(
    "--sample",
    "sample",
    type=click.IntRange(min=1),
    help=f"Estimate betweenness and closeness from this many sampled sources "
    f"(default: exact below {AUTO_SAMPLE_FROM:,} nodes, {AUTO_SAMPLE} sources from there on).",
)
@click.option("--exact", is_flag=True, help="Compute betweenness and closeness exactly, however large the graph.")
@click.option(
    "--include",
    "include",
    multiple=True,
    type=click.Choice(["documents", "people"]),
    help="Keep Document or Person nodes, left out by default (repeatable).",
)
@click.option(
    "--min-weight", type=click.FloatRange(min=0), default=1.0, show_default=True, help="Projection: weakest link kept."
)
@click.option("--engine", type=click.Choice(["auto", "networkx", "igraph"]), default="auto", show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--no-map", is_flag=True, help="Leave the interactive map out.")
@lang_option
@pass_settings
def report_all(
    settings: Settings,
    format_: str,
    output: Path | None,
    title: str | None,
    metric: str,
    top: int,
    sample: int | None,
    exact: bool,
    include: tuple[str, ...],
    min_weight: float,
    engine: str,
    seed: int,
    no_map: bool,
    lang: str,
) -> None:
    """Everything in one document: the graph analysed, centrality, brokers, communities,
    recommendations for the most central actors, gaps and the map — a self-contained,
    printable HTML file (or all the data as one JSON object)."""
    from .visualise.report import full_report_data, full_report_html

    store_graph = settings.read_graph()
    sample = sample_size(store_graph.number_of_nodes(), sample, exact)
    if format_ == "html":
        text = full_report_html(
            store_graph, lang, title, seed, sample, top, metric, include, min_weight, engine, with_map=not no_map
        )
    else:
        payload = full_report_data(store_graph, lang, seed, sample, top, metric, include, min_weight, engine)
        text = json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        write_text(output, text)
        click.echo(f"wrote {output}", err=True)


def _resolved_id(settings: Settings, reference: str) -> str:
    return resolve(settings.store(), reference).id


@main.command()
@click.argument("actor")
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True, help="Number of recommendations.")
@click.option(
    "--include",
    "include",
    multiple=True,
    type=click.Choice(["documents", "people"]),
    help="Keep Document or Person nodes, left out by default (repeatable).",
)
@click.option("--new-only", is_flag=True, help="Leave out the actors it already takes part in a project with.")
@lang_option
@report_format_option
@output_option
@pass_settings
def recommend(
    settings: Settings,
    actor: str,
    top: int,
    include: tuple[str, ...],
    new_only: bool,
    lang: str,
    format_: str,
    output: Path | None,
) -> None:
    """Who ACTOR should meet next, and why: actors it has no direct relation with, ranked
    by common neighbours, Adamic–Adar, shared projects, themes and countries.

    ACTOR is an id, a name or an alias.
    """
    from .graph.analysis import recommend as recommend_actors
    from .graph.analysis.recommend import SCORE_WEIGHTS

    node_id = _resolved_id(settings, actor)
    store = settings.store()
    # Candidates are two steps away, and every part of their score is read off relations of
    # the actor's neighbours: the two-step neighbourhood holds them all.
    store_graph = store.to_networkx(node_ids=store.neighbourhood([node_id], 2))
    found = recommend_actors(store_graph, node_id, top, lang, include, new_only)
    rows = [{**row, "reasons": [reason["text"] for reason in row["reasons"]]} for row in found]
    decimal = "," if lang == "fr" else "."
    weights = ", ".join(
        f"{SCORE_WORDS[lang][part]} × {weight:g}".replace(".", decimal) for part, weight in SCORE_WEIGHTS.items()
    )
    name = store_graph.nodes[node_id].get("name", node_id)
    note = f"Score = {weights}."
    title = f"Qui {name} devrait rencontrer" if lang == "fr" else f"Who {name} should meet"
    payload = {"actor": node_id, "name": name, "weights": SCORE_WEIGHTS, "recommendations": found}
    emit_report(rows, ["rank", "id", "name", "kind", "score", "reasons"], format_, output, title, [note], lang, payload)


@main.command()
@click.argument("source")
@click.argument("target")
@click.option(
    "--limit", type=click.IntRange(min=1), default=10, show_default=True, help="At most this many shortest paths."
)
@click.option(
    "--include",
    "include",
    multiple=True,
    type=click.Choice(["documents", "people"]),
    help="Keep Document or Person nodes, left out by default (repeatable).",
)
@click.option("--format", "format_", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_settings
def path(settings: Settings, source: str, target: str, limit: int, include: tuple[str, ...], format_: str) -> None:
    """How SOURCE is connected to TARGET: every shortest path (up to --limit), with the
    relations (type, role, direction) along it.

    SOURCE and TARGET are ids, names or aliases.
    """
    from .graph.analysis import shortest_paths

    first, second = _resolved_id(settings, source), _resolved_id(settings, target)
    found = shortest_paths(_graph_between(settings.store(), first, second, include), first, second, limit, include)
    if format_ == "json":
        click.echo(json.dumps({"source": first, "target": second, "paths": found}, ensure_ascii=False, indent=2))
        return
    if not found:
        raise click.ClickException(f"no path between {first} and {second}")
    click.echo(f"{len(found)} shortest path(s) of length {found[0]['length']}:")
    for number, found_path in enumerate(found, start=1):
        click.echo(f"{number}. {found_path['text']}")


def _graph_between(store: GraphStore, first: str, second: str, include: tuple[str, ...]) -> Any:
    """The part of the store's graph that holds every shortest path from ``first`` to ``second``
    in the analysed graph, read by widening the neighbourhoods of both ends in turn.

    Every node of a path of length at most ``a + b + 1`` lies within ``a`` steps of
    ``first`` or ``b`` steps of ``second`` (through any relation), so once the part read
    has a path that short, it holds all the shortest ones; once a neighbourhood stops
    growing, it is a whole connected part of the graph and holds every path there is.
    """
    import networkx as nx

    from .graph.analysis import analysis_graph

    ends = (first, second)
    depths = [0, 0]
    reached = [store.neighbourhood([end], 0) for end in ends]
    exhausted = False
    while True:
        graph = store.to_networkx(node_ids=reached[0] | reached[1])
        if exhausted:
            return graph
        analysed = analysis_graph(graph, "full", include)
        if (
            first in analysed
            and second in analysed
            and nx.has_path(analysed, first, second)
            and nx.shortest_path_length(analysed, first, second) <= sum(depths) + 1
        ):
            return graph
        side = 0 if depths[0] <= depths[1] else 1
        depths[side] += 1
        wider = store.neighbourhood([ends[side]], depths[side])
        exhausted = len(wider) == len(reached[side])
        reached[side] = wider


@main.command()
@click.argument("actor")
@click.option("--depth", type=click.IntRange(min=1), default=1, show_default=True, help="How many steps out.")
@click.option(
    "--include",
    "include",
    multiple=True,
    type=click.Choice(["documents", "people"]),
    help="Keep Document or Person nodes, left out by default (repeatable).",
)
@format_option
@output_option
@pass_settings
def ego(
    settings: Settings, actor: str, depth: int, include: tuple[str, ...], format_: str, output: Path | None
) -> None:
    """The neighbourhood of ACTOR: every node within --depth steps, nearest first, with the
    relation that reaches it.

    ACTOR is an id, a name or an alias.
    """
    from .graph.analysis import ego_network

    node_id = _resolved_id(settings, actor)
    store = settings.store()
    # What lies within ``depth`` steps through any relation: every path the analysed graph can use.
    rows = ego_network(store.to_networkx(node_ids=store.neighbourhood([node_id], depth)), node_id, depth, include)
    for row in rows:
        row["relations"] = [
            r["type"] + (f" ({r['role']})" if r["role"] else "") + ("" if r["forward"] else " ←")
            for r in row["relations"]
        ]
    emit(rows, ["distance", "id", "name", "kind", "via", "relations"], format_, output, title=f"Ego: {node_id}")


# ---- documents ----
# French documents read for the actors and ties they name: `extract` proposes, `load FILE.pdf` loads.

_EXTRACT_FORMATS = ("table", "json", "csv", "xlsx")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "format_",
    type=click.Choice(_EXTRACT_FORMATS),
    help="Output format (default: told by the -o file's extension, else table).",
)
@output_option
@pass_settings
def extract(settings: Settings, files: tuple[Path, ...], format_: str | None, output: Path | None) -> None:
    """Propose the actors and ties that French documents name, with their evidence.

    Reads .txt, .md, .html, .pdf and .docx files. Names the store knows are
    linked to their actors; other organisations, authorities, people and
    countries are proposed with the id they would get. Each proposal has a
    confidence, says how it was found (gazetteer, pattern, model, fuzzy) and
    lists every mention: file, line, offsets, sentence. The store is not changed.

    \b
    Review, then load what you keep:
      maillage extract lettre.pdf compte-rendu.docx -o propositions.xlsx
      (in propositions.xlsx, set keep to yes or no on each row)
      maillage load propositions.xlsx
    Or load at once what is found with high confidence:
      maillage load lettre.pdf --min-confidence high
    """
    from .loaders.documents import (
        MENTION_COLUMNS,
        PROPOSAL_COLUMNS,
        TIE_COLUMNS,
        as_json,
        mention_rows,
        proposal_rows,
        read_documents,
        tie_rows,
        write_review_workbook,
    )
    from .loaders.documents import (
        extract as extract_documents,
    )

    if format_ is None:
        format_ = (
            {".xlsx": "xlsx", ".json": "json", ".csv": "csv"}.get(output.suffix.lower(), "table") if output else "table"
        )
    if format_ == "xlsx" and (output is None or output.suffix.lower() != ".xlsx"):
        raise UsageError("--format xlsx writes a workbook: give -o FILE.xlsx")
    documents = read_documents(files)
    for document in documents:
        pages = f"{document.pages} pages, " if document.pages else ""
        click.echo(f"{document.name}: {pages}{document.words:,} words", err=True)
    found = extract_documents(files, _store_nodes(settings), documents)
    click.echo(
        f"{len(found.proposals)} proposals ({sum(p.confidence == 'high' for p in found.proposals)} of high confidence), "
        f"{len(found.ties)} stated ties",
        err=True,
    )
    if format_ == "xlsx":
        write_review_workbook(found, output)
        click.echo(f"wrote {output}", err=True)
        return
    if format_ == "json":
        text = json.dumps(as_json(found), ensure_ascii=False, indent=2) + "\n"
    elif format_ == "csv":
        text = render(mention_rows(found), MENTION_COLUMNS, "csv")
    else:
        text = render(proposal_rows(found), PROPOSAL_COLUMNS, "table")
        if found.ties:
            text += "\n" + render(tie_rows(found), TIE_COLUMNS, "table")
    if output is None:
        click.echo(text, nl=False)
    else:
        write_text(output, text)
        click.echo(f"wrote {output}", err=True)


def _store_nodes(settings: Settings) -> list:
    """The store's nodes, or none when the default SQLite file does not exist yet."""
    if not is_neo4j_location(settings.location) and not Path(settings.location.removeprefix("sqlite:///")).exists():
        return []
    return settings.store().nodes()


def load_documents(settings: Settings, paths: Sequence[Path], dry_run: bool, min_confidence: str) -> list[Path]:
    """Load the documents among ``paths`` with what is found in them of ``min_confidence`` or more,
    one source per document; return the other paths."""
    from .loaders.documents import document_batches, is_document, read_documents, stored_nodes_but_theirs
    from .loaders.documents import extract as extract_documents

    documents = [path for path in paths if is_document(path)]
    if not documents:
        return list(paths)
    texts = read_documents(documents)
    store = settings.store(create=True)
    nodes = stored_nodes_but_theirs(store, [text.name for text in texts])
    found = extract_documents(documents, nodes, texts).at_least(min_confidence)
    batches = collaborative_batches(
        store, document_batches(found, settings.contributor, {node.id for node in nodes}), False
    )
    write_batches(settings, batches, dry_run)
    return [path for path in paths if path not in documents]


load.params.append(
    click.Option(
        ["--min-confidence"],
        type=click.Choice(["high", "medium", "low"]),
        default="high",
        show_default=True,
        help="Documents (.pdf, .docx, .html, .md, .txt): load what is found with this confidence or more.",
    )
)
