"""The ``maillage`` command line: parse, call an operation, print, and turn errors into one line.

What each command does is in :mod:`maillage.operations`; here are its options and its
texts. Exit codes: 0 success, 1 bad data or unavailable store, 2 misuse.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import click

from . import operations
from .graph.errors import LoadError, MaillageError, UsageError
from .graph.model import KINDS
from .graph.store import GraphStore, is_neo4j_location, open_store
from .operations.output import bulk_messages, copy_messages, load_messages, render, source_copied_messages, write_text
from .operations.progress import Progress, is_terminal
from .operations.reports import AUTO_SAMPLE, AUTO_SAMPLE_FROM, Report

FORMATS = ("table", "csv", "json", "md")
LANGS = ("fr", "en")


class MaillageGroup(click.Group):
    """A group that turns every error into one line on stderr and the exit code the error carries."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MaillageError as error:
            if isinstance(error, LoadError):
                for problem in error.problems:
                    click.echo(f"error: {problem}", err=True)
            if error.exit_code == click.UsageError.exit_code:
                raise click.UsageError(str(error), ctx) from None
            failure = click.ClickException(str(error))
            failure.exit_code = error.exit_code
            raise failure from None
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
        """A line redrawn on stderr when it is a terminal and ``--quiet`` was not given."""
        return Progress(not self.quiet and is_terminal(sys.stderr))

    def store(self, create: bool = False) -> GraphStore:
        """The store, opened once; only commands that write data into it (``create``) make a new one."""
        if self._store is None:
            self._store = open_store(self.location, create=create, **self.store_options())
        return self._store

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


def _default_contributor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def notice(message: str) -> None:
    click.echo(f"notice: {message}", err=True)


def note(message: str) -> None:
    click.echo(f"note: {message}", err=True)


def emit(text: str, output: Path | None) -> None:
    """Print ``text``, or write it to ``output`` and say so on stderr."""
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        write_text(output, text)
        click.echo(f"wrote {output}", err=True)


def emit_rows(rows: list[dict], columns: list[str], format_: str, output: Path | None, title: str = "") -> None:
    emit(render(rows, columns, format_, title), output)


def emit_report(report: Report, format_: str, output: Path | None) -> None:
    """Print or write a report; a CSV or plain JSON file leaves out its notes, which go to stderr."""
    emit(report.text(format_), output)
    if output is not None and format_ in ("csv", "json") and report.payload is None:
        for line in filter(None, report.notes):
            click.echo(line, err=True)


def say_copied(result: Any) -> None:
    say(source_copied_messages(result))


def say(messages: list[tuple[str, bool]]) -> None:
    """Print lines, each on stderr when its flag says so."""
    for text, to_stderr in messages:
        click.echo(text, err=to_stderr)


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


format_option = click.option(
    "--format", "format_", type=click.Choice(FORMATS), default="table", show_default=True, help="Output format."
)
output_option = click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of stdout."
)
kind_choice = click.Choice(KINDS, case_sensitive=False)


def _options(*options: Callable) -> Callable:
    """One decorator for several options, in the order they are listed."""

    def decorate(function: Callable) -> Callable:
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


include_option = click.option(
    "--include",
    "include",
    multiple=True,
    type=click.Choice(["documents", "people"]),
    help="Keep Document or Person nodes, left out by default (repeatable).",
)
sampling_options = _options(
    click.option(
        "--sample",
        "sample",
        type=click.IntRange(min=1),
        help=f"Estimate betweenness and closeness from this many sampled sources "
        f"(default: exact below {AUTO_SAMPLE_FROM:,} nodes, {AUTO_SAMPLE} sources from there on).",
    ),
    click.option("--exact", is_flag=True, help="Compute betweenness and closeness exactly, however large the graph."),
)
metric_choice = click.Choice(
    ["degree", "weighted_degree", "betweenness", "closeness", "harmonic", "eigenvector", "pagerank"]
)


@main.command()
@pass_settings
def init(settings: Settings) -> None:
    """Create the store (tables, indexes, constraints) if it does not exist."""
    settings.store(create=True).init()
    click.echo(f"store ready: {settings.store().location}")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--format", "format", help="Source format, when it cannot be told from the header.")
@click.option("--source", "source_name", help="Name the source is known by (default: the file or folder name).")
@click.option("--dry-run", is_flag=True, help="Check and show what would be loaded; write nothing.")
@click.option(
    "--authoritative", is_flag=True, help="Mark the source authoritative: its values win over other sources'."
)
@pass_settings
def load(settings: Settings, paths: tuple[Path, ...], **options: Any) -> None:
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
    register_options = {name: options.pop(name) for name in REGISTER_OPTIONS if name in options}
    operations.load(
        settings.store(create=True),
        paths,
        settings.contributor,
        **options,
        options=operations.register_options(**register_options),
        on_event=lambda event: say(load_messages(event)),
        progress=settings.progress,
    )


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
    rows = operations.actor_rows(settings.store(), kinds, search)
    emit_rows(rows, ["id", "kind", "name", "aliases"], format_, output)


@main.command()
@click.argument("actor")
@click.option("--format", "format_", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_settings
def show(settings: Settings, actor: str, format_: str) -> None:
    """Show an actor: attributes, relations, and the sources that assert them.

    ACTOR is an id, a name or an alias. Each attribute, name and relation cites
    the source(s) asserting it: source, place, contributor and date.
    """
    details = operations.describe_actor(settings.store(), actor, notice)
    if format_ == "json":
        click.echo(json.dumps(details.as_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(operations.actor_text(details), nl=False)


REPORT_FORMATS = FORMATS + ("html",)


report_format_option = click.option(
    "--format", "format_", type=click.Choice(REPORT_FORMATS), default="table", show_default=True, help="Output format."
)


lang_option = click.option(
    "--lang", type=click.Choice(LANGS), default="fr", show_default=True, help="Language of the text."
)


def analysis_options(graph: str = "full") -> Callable:
    """The options every analysis shares: which graph, what to include, engine and seed."""
    return _options(
        click.option(
            "--graph",
            "graph",
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
    )


@main.group()
def report() -> None:
    """Analyses of the graph, as tables, CSV, JSON, Markdown or printable HTML."""


@report.command("centrality")
@click.option(
    "--metric",
    type=metric_choice,
    default="degree",
    show_default=True,
    help="Sort by this metric.",
)
@click.option("--kind", "kinds", multiple=True, type=kind_choice, help="Only rows of this kind (repeatable).")
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True, help="Number of rows.")
@sampling_options
@analysis_options()
@lang_option
@report_format_option
@output_option
@pass_settings
def report_centrality(settings: Settings, format_: str, output: Path | None, **options: Any) -> None:
    """Who holds the network together: degree, betweenness, closeness, harmonic, eigenvector, PageRank.

    Relations are read as undirected ties. Document and Person nodes are left
    out unless --include says otherwise; every report says which graph it used.
    """
    report = operations.centrality(settings.store(), **options, progress=settings.progress, note=note, freeze=True)
    emit_report(report, format_, output)


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
def map_(settings: Settings, **options: Any) -> None:
    """Draw an interactive HTML map of the graph: one file that opens offline.

    Search, filters by kind, theme and relation type, and a side panel with each
    actor's attributes, relations and sources are in the page; --png and --svg
    add still images for reports and slides.
    """
    drawn = operations.draw_map(settings.store(), **options, progress=settings.progress, notice=notice, freeze=True)
    grouped = f", shown as groups by {drawn.grouped_by}" if drawn.grouped_by else ""
    click.echo(f"wrote {drawn.output} ({drawn.nodes} nodes, {drawn.relations} relations{grouped})")
    for image in drawn.images:
        click.echo(f"wrote {image}")


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
    ctx.invoke(load, paths=(demo_data_path(),), format=None, source_name="demo", dry_run=False)
    ctx.invoke(report_centrality, metric="degree", kinds=(), top=20, format_="md", output=directory / "centrality.md")
    ctx.invoke(map_, output=directory / "map.html", title="Programme Aitec – Cités Unies France", lang="fr")


@main.command()
@click.option("--to", "destination", required=True, help="The store to copy into: a SQLite file or a Neo4j URI.")
@click.option("--remote-database", help="Neo4j database of the destination (Neo4j only).")
@click.option(
    "--bulk",
    "bulk_directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="First load of a large graph into an empty local Neo4j: write the files of a bulk import"
    " into this new folder, for scripts/neo4j import.",
)
@pass_settings
def push(settings: Settings, destination: str, remote_database: str | None, bulk_directory: Path | None) -> None:
    """Copy the whole graph, with its provenance, from --store to another store.

    Sources keep their name, contributor, date and load order. Pushing twice
    changes nothing. For a Neo4j destination the user and password come from
    NEO4J_USER and NEO4J_PASSWORD (or a prompt).
    """
    store_options = settings.store_options(destination, remote_database)
    if bulk_directory is not None:
        files = operations.push_bulk(
            settings.store(), destination, bulk_directory, lambda line: click.echo(line, err=True), **store_options
        )
        say(bulk_messages(files, destination))
        return
    say(copy_messages(operations.push(settings.store(), destination, say_copied, **store_options)))


@main.command()
@click.option("--from", "origin", required=True, help="The store to copy from: a SQLite file or a Neo4j URI.")
@click.option("--remote-database", help="Neo4j database of the origin (Neo4j only).")
@pass_settings
def pull(settings: Settings, origin: str, remote_database: str | None) -> None:
    """Copy the whole graph, with its provenance, from another store into --store.

    Sources keep their name, contributor, date and load order. Pulling twice
    changes nothing.
    """
    store_options = settings.store_options(origin, remote_database)
    say(copy_messages(operations.pull(settings.store(create=True), origin, say_copied, **store_options)))


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
def sources(settings: Settings, format_: str, output: Path | None, **options: Any) -> None:
    """List loaded sources: who loaded them, when, how many facts.

    When sources disagree on a value, the latest load wins, unless a source is
    authoritative: authoritative sources win over all others.
    """
    rows = operations.source_rows(settings.store(), settings.contributor, **options)
    columns = ["source", "format", "contributor", "at", "authoritative", "nodes", "relations"]
    emit_rows(rows, columns, format_, output, title="Sources")


@main.command()
@click.argument("source")
@pass_settings
def unload(settings: Settings, source: str) -> None:
    """Remove what SOURCE asserted; what other sources also assert stays."""
    result = operations.unload(settings.store(), source, settings.contributor)
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
    rows = operations.conflict_rows(settings.store(), structured=format_ == "json")
    emit_rows(rows, ["subject", "name", "attribute", "current", "values"], format_, output, title="Conflicts")


@main.command()
@click.option("--kind", "kinds", multiple=True, type=kind_choice, help="Only this kind (repeatable).")
@click.option("--min-score", type=click.FloatRange(0, 1), default=0.0, show_default=True, help="Hide weaker proposals.")
@format_option
@output_option
@pass_settings
def dedupe(settings: Settings, format_: str, output: Path | None, **options: Any) -> None:
    """Propose likely duplicates, with the evidence and a score (1 = same official code).

    Merge a pair with 'maillage merge A B'.
    """
    rows = operations.duplicate_rows(settings.store(), **options)
    columns = ["score", "a", "a_name", "b", "b_name", "kind", "evidence"]
    emit_rows(rows, columns, format_, output, title="Likely duplicates")


@main.command()
@click.argument("actors", nargs=-1, required=True)
@click.option("--into", "into", help="The actor to keep (default: the first one named).")
@click.option("--force", is_flag=True, help="Merge even actors whose level, INSEE code, SIREN, SIRET or RNA id differ.")
@pass_settings
def merge(settings: Settings, **options: Any) -> None:
    """Merge duplicates into one actor: names kept as aliases, relations and provenance re-pointed.

    ACTORS are ids, names or aliases; all but the kept one are merged into it.
    Actors with different official codes are refused unless --force.
    The merge is recorded: 'maillage unmerge' undoes it.
    """
    result = operations.merge(settings.store(), contributor=settings.contributor, notice=notice, **options)
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
    result = operations.unmerge(settings.store(), reference, settings.contributor)
    restored = ", ".join(result.restored) or "none"
    click.echo(f"unmerged {', '.join(result.merged)} from {result.into} (merge {result.id}; restored: {restored})")
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
    node_id, rows = operations.actor_history(settings.store(), actor, notice)
    emit_rows(rows, ["at", "action", "contributor", "source", "what"], format_, output, title=f"History of {node_id}")


@main.command()
@click.argument("name", required=False)
@click.option("--replace", is_flag=True, help="Replace a snapshot of the same name.")
@pass_settings
def snapshot(settings: Settings, name: str | None, replace: bool) -> None:
    """Keep the graph as it is now (nodes, relations, centrality) under NAME.

    Without NAME, list the snapshots. Compare them with 'maillage diff A B'.
    """
    store = settings.store()
    if name is None:
        emit_rows(operations.snapshot_rows(store), ["name", "at", "contributor", "nodes", "relations"], "table", None)
        return
    state = operations.snapshot(store, name, settings.contributor, replace)
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
def diff(settings: Settings, format_: str, output: Path | None, **options: Any) -> None:
    """What changed between two snapshots (AFTER defaults to 'now', the graph as it is).

    Nodes and relations added or removed, attributes changed, biggest movers in centrality.
    """
    changes = operations.changes(settings.store(), **options)
    if format_ == "json":
        emit(json.dumps(changes, ensure_ascii=False, indent=2) + "\n", output)
    else:
        emit(operations.diff_text(changes, markdown=format_ == "md"), output)


@main.command()
@click.option("--format", "format", type=click.Choice(["json", "csv", "gexf", "graphml", "cypher"]), required=True)
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
def export(settings: Settings, **options: Any) -> None:
    """Export the graph or part of it: JSON or CSV with provenance (re-importable by
    'maillage load'), GEXF or GraphML for Gephi, Cypher for a Neo4j without maillage."""
    for written in operations.export(settings.store(), **options):
        click.echo(f"wrote {written}")


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
REGISTER_OPTIONS = [option.name for option in _REGISTER_OPTIONS if option.name != "rejected"]


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
def report_brokers(settings: Settings, format_: str, output: Path | None, **options: Any) -> None:
    """Who bridges whom: bridges between two kinds (default: local authorities and
    associations), Gould–Fernandez brokerage roles, Burt's constraint and effective size.

    Computed on the actor–actor projection unless --graph full.
    """
    del options["seed"]  # brokerage roles and bridges draw nothing at random
    report = operations.brokers(settings.store(), **options, progress=settings.progress, freeze=True)
    emit_report(report, format_, output)


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
def report_communities(settings: Settings, format_: str, output: Path | None, **options: Any) -> None:
    """Groups of actors more tied to each other than to the rest (Louvain or Leiden, seeded),
    with modularity, largest members and dominant themes.

    Computed on the actor–actor projection unless --graph full.
    """
    report = operations.communities(settings.store(), **options, progress=settings.progress, freeze=True)
    emit_report(report, format_, output)


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
    emit_report(operations.gaps(settings.store(), level, lang, settings.progress, freeze=True), format_, output)


@report.command("all")
@click.option("--format", "format", type=click.Choice(["html", "json"]), default="html", show_default=True)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of stdout."
)
@click.option("--title", help="Title of the report.")
@click.option(
    "--metric",
    type=metric_choice,
    default="betweenness",
    show_default=True,
    help="Sort the centrality table by this metric.",
)
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True, help="Rows per table.")
@sampling_options
@include_option
@click.option(
    "--min-weight", type=click.FloatRange(min=0), default=1.0, show_default=True, help="Projection: weakest link kept."
)
@click.option("--engine", type=click.Choice(["auto", "networkx", "igraph"]), default="auto", show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--no-map", is_flag=True, help="Leave the interactive map out.")
@lang_option
@pass_settings
def report_all(settings: Settings, output: Path | None, no_map: bool, **options: Any) -> None:
    """Everything in one document: the graph analysed, centrality, brokers, communities,
    recommendations for the most central actors, gaps and the map — a self-contained,
    printable HTML file (or all the data as one JSON object)."""
    text = operations.full_report(
        settings.store(), **options, with_map=not no_map, progress=settings.progress, note=note, freeze=True
    )
    if output is None:
        click.echo(text, nl=False)
    else:
        write_text(output, text)
        click.echo(f"wrote {output}", err=True)


@main.command()
@click.argument("actor")
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True, help="Number of recommendations.")
@include_option
@click.option("--new-only", is_flag=True, help="Leave out the actors it already takes part in a project with.")
@lang_option
@report_format_option
@output_option
@pass_settings
def recommend(settings: Settings, actor: str, format_: str, output: Path | None, **options: Any) -> None:
    """Who ACTOR should meet next, and why: actors it has no direct relation with, ranked
    by common neighbours, Adamic–Adar, shared projects, themes and countries.

    ACTOR is an id, a name or an alias.
    """
    emit_report(operations.recommendations(settings.store(), actor, **options, notice=notice), format_, output)


@main.command()
@click.argument("source")
@click.argument("target")
@click.option(
    "--limit", type=click.IntRange(min=1), default=10, show_default=True, help="At most this many shortest paths."
)
@include_option
@click.option("--format", "format_", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_settings
def path(settings: Settings, source: str, target: str, format_: str, **options: Any) -> None:
    """How SOURCE is connected to TARGET: every shortest path (up to --limit), with the
    relations (type, role, direction) along it.

    SOURCE and TARGET are ids, names or aliases.
    """
    found = operations.paths(settings.store(), source, target, **options, notice=notice)
    if format_ == "json":
        click.echo(json.dumps(found.as_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(found.text(), nl=False)


@main.command()
@click.argument("actor")
@click.option("--depth", type=click.IntRange(min=1), default=1, show_default=True, help="How many steps out.")
@include_option
@format_option
@output_option
@pass_settings
def ego(settings: Settings, actor: str, format_: str, output: Path | None, **options: Any) -> None:
    """The neighbourhood of ACTOR: every node within --depth steps, nearest first, with the
    relation that reaches it.

    ACTOR is an id, a name or an alias.
    """
    node_id, rows = operations.ego(settings.store(), actor, **options, notice=notice)
    emit_rows(rows, ["distance", "id", "name", "kind", "via", "relations"], format_, output, title=f"Ego: {node_id}")


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
    if format_ is None:
        format_ = (
            {".xlsx": "xlsx", ".json": "json", ".csv": "csv"}.get(output.suffix.lower(), "table") if output else "table"
        )
    if format_ == "xlsx" and (output is None or output.suffix.lower() != ".xlsx"):
        raise UsageError("--format xlsx writes a workbook: give -o FILE.xlsx")
    # The default SQLite file need not exist yet: nothing is known then.
    exists = is_neo4j_location(settings.location) or Path(settings.location.removeprefix("sqlite:///")).exists()
    extracted = operations.extract(files, settings.store().nodes() if exists else ())
    for document in extracted.documents:
        pages = f"{document.pages} pages, " if document.pages else ""
        click.echo(f"{document.name}: {pages}{document.words:,} words", err=True)
    found = extracted.found
    click.echo(
        f"{len(found.proposals)} proposals ({extracted.high_confidence} of high confidence), "
        f"{len(found.ties)} stated ties",
        err=True,
    )
    if format_ == "xlsx":
        extracted.write_workbook(output)
        click.echo(f"wrote {output}", err=True)
    else:
        emit(extracted.text(format_), output)


load.params.append(
    click.Option(
        ["--min-confidence"],
        type=click.Choice(["high", "medium", "low"]),
        default="high",
        show_default=True,
        help="Documents (.pdf, .docx, .html, .md, .txt): load what is found with this confidence or more.",
    )
)
