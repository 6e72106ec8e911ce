"""What the commands of :mod:`maillage.cli` stand on: the group that turns every error into
one line, the settings of the global options and the store they open, printing, and the
options that several commands share or that come as a set (the global options, the register
options of ``load``, the drawing options of ``map``, the selection of ``export``).

An option several commands take is declared once here, so that its name, type, default and
help read the same wherever it is. Click only: what the commands do is in
:mod:`maillage.operations`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from . import operations
from .graph.analysis.centrality import METRICS
from .graph.errors import LoadError, MaillageError
from .graph.model import KINDS
from .graph.store import GraphStore, open_store
from .operations.output import Message
from .operations.progress import Progress, is_terminal
from .operations.reports import AUTO_SAMPLE, AUTO_SAMPLE_FROM, Report
from .operations.session import no_password

__all__ = [
    "MaillageGroup",
    "Settings",
    "analysis_options",
    "choice_option",
    "emit",
    "emit_report",
    "emit_rows",
    "export_options",
    "format_option",
    "global_options",
    "graph_option",
    "include_option",
    "kind_choice",
    "kind_option",
    "lang_option",
    "map_options",
    "metric_option",
    "note",
    "notice",
    "number_option",
    "options",
    "output_option",
    "pass_settings",
    "register_options",
    "report_format_option",
    "report_output",
    "sampling_options",
    "say",
    "say_copied",
    "table_output",
    "top_option",
]


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
        """Options to open a store (by default --store): its database, and for Neo4j the user
        and the password (``NEO4J_PASSWORD``, else a hidden prompt)."""
        location = location or self.location
        database = database or (self.database if location == self.location else None)
        return operations.store_options(location, database, _ask_password)

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
        raise no_password(user, location)
    return line.rstrip("\r\n")


def notice(message: str) -> None:
    click.echo(f"notice: {message}", err=True)


def note(message: str) -> None:
    click.echo(f"note: {message}", err=True)


def say(messages: list[Message]) -> None:
    """Print lines, each on stderr when its flag says so."""
    for text, to_stderr in messages:
        click.echo(text, err=to_stderr)


def say_copied(result: Any) -> None:
    """Say what ``push`` or ``pull`` copied of one source, as it is done."""
    say(operations.source_copied_messages(result))


def emit(text: str, output: Path | None = None) -> None:
    """Print ``text``, or write it to ``output`` and say so on stderr."""
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        operations.write_text(output, text)
        click.echo(f"wrote {output}", err=True)


def emit_rows(rows: list[dict], columns: list[str], format_: str, output: Path | None, title: str = "") -> None:
    emit(operations.render(rows, columns, format_, title), output)


def emit_report(report: Report, format_: str, output: Path | None) -> None:
    """Print or write a report; the notes a CSV or plain JSON file has no place for go to stderr."""
    emit(report.text(format_), output)
    if output is not None:
        for line in report.notes_left_out(format_):
            click.echo(line, err=True)


pass_settings = click.make_pass_decorator(Settings)


FORMATS = ("table", "csv", "json", "md")
REPORT_FORMATS = (*FORMATS, "html")
kind_choice = click.Choice(KINDS, case_sensitive=False)


def options(*declared: Callable) -> Callable:
    """One decorator for several options, in the order they are listed."""

    def decorate(function: Callable) -> Callable:
        for option in reversed(declared):
            function = option(function)
        return function

    return decorate


#: The global options, read into :class:`Settings`.
global_options = options(
    click.option(
        "--store",
        "location",
        envvar="MAILLAGE_STORE",
        default="maillage.db",
        show_default=True,
        help="A SQLite file, or a Neo4j URI (neo4j://, bolt://, neo4j+s://). Env: MAILLAGE_STORE.",
    ),
    click.option(
        "--contributor",
        envvar="MAILLAGE_CONTRIBUTOR",
        default=operations.default_contributor,
        help="Who brings the data you load. Env: MAILLAGE_CONTRIBUTOR; default: your user name.",
    ),
    click.option("--database", envvar="NEO4J_DATABASE", help="Neo4j database name (Neo4j stores only)."),
    click.option(
        "-q",
        "--quiet",
        is_flag=True,
        help="No progress bar on long loads and reports (there is none when stderr is not a terminal).",
    ),
)


def choice_option(*names: str, choices: Sequence[str], default: str | None = None, help: str | None = None) -> Callable:
    """An option that takes one of ``choices``, by default the first (shown in the help)."""
    default = default or choices[0]
    return click.option(*names, type=click.Choice(choices), default=default, show_default=True, help=help)


def number_option(name: str, default: int, help: str | None = None, least: int = 1) -> Callable:
    """An option that takes a whole number from ``least`` on (its default shown in the help)."""
    return click.option(name, type=click.IntRange(min=least), default=default, show_default=True, help=help)


def format_option(*choices: str, help: str | None = "Output format.") -> Callable:
    """``--format``, one of ``choices`` (default: table, csv, json, md), the first by default."""
    return choice_option("--format", "format_", choices=choices or FORMATS, help=help)


report_format_option = format_option(*REPORT_FORMATS)
output_option = click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of stdout."
)
lang_option = choice_option("--lang", choices=("fr", "en"), help="Language of the text.")
#: How a listing is printed or written: ``--format`` table, csv, json or md, and ``-o FILE``.
table_output = options(format_option(), output_option)
#: How a report is printed or written: ``--lang``, ``--format`` (html too) and ``-o FILE``.
report_output = options(lang_option, report_format_option, output_option)


def kind_option(what: str = "this kind") -> Callable:
    """``--kind``, repeatable: only ``what`` (nodes, rows) of a kind."""
    return click.option("--kind", "kinds", multiple=True, type=kind_choice, help=f"Only {what} (repeatable).")


def top_option(default: int, help: str = "Number of rows.", least: int = 1) -> Callable:
    """``--top``: how many rows (or items) a command shows."""
    return number_option("--top", default, help, least)


def metric_option(default: str, help: str) -> Callable:
    """``--metric``: one of the centralities the analysis computes, ``default`` unless given."""
    return choice_option("--metric", choices=tuple(METRICS), default=default, help=help)


include_option = click.option(
    "--include",
    "include",
    multiple=True,
    type=click.Choice(["documents", "people"]),
    help="Keep Document nodes (and MENTIONS) or Person nodes, left out by default (repeatable).",
)
sampling_options = options(
    click.option(
        "--sample",
        "sample",
        type=click.IntRange(min=1),
        help=f"Estimate betweenness and closeness from this many sampled sources "
        f"(default: exact below {AUTO_SAMPLE_FROM:,} nodes, {AUTO_SAMPLE} sources from there on).",
    ),
    click.option("--exact", is_flag=True, help="Compute betweenness and closeness exactly, however large the graph."),
)


def graph_option(default: str) -> Callable:
    """``--graph``: the analysis's graph, ``full`` or ``actors`` (the projection) by ``default``."""
    help = "The whole graph, or the weighted actor–actor projection."
    return choice_option("--graph", choices=("full", "actors"), default=default, help=help)


#: What every analysis is computed on besides the graph: what to include, the projection, engine and seed.
analysis_options = options(
    include_option,
    click.option(
        "--min-weight",
        type=click.FloatRange(min=0),
        default=1.0,
        show_default=True,
        help="Projection: drop links lighter than this (project 3, direct tie 3, theme 1, country 1).",
    ),
    choice_option(
        "--engine", choices=("auto", "networkx", "igraph"), help="auto: igraph for large graphs when installed."
    ),
    click.option("--seed", type=int, default=0, show_default=True, help="Seed of sampling and community detection."),
)


def _rna_filter(flag: str, name: str, metavar: str, what: str) -> Callable:
    return click.option(flag, name, multiple=True, metavar=metavar, help=f"RNA: only {what} (repeatable).")


#: The options of a register load, passed on to :func:`maillage.operations.register_options`.
register_options = options(
    click.option(
        "--mapping",
        metavar="FILE.yaml|PRESET",
        help="Read tables through this YAML mapping, or a preset (cooperation).",
    ),
    click.option("--cog-year", metavar="YYYY", help="Vintage of INSEE COG files whose name does not tell it."),
    click.option(
        "--siren-table",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Commune SIREN↔INSEE table, to tie BANATIC members to communes.",
    ),
    click.option(
        "--strict/--skip-bad-rows",
        default=True,
        show_default=True,
        help="Reject the whole file on any row that cannot give an actor, or load the rest.",
    ),
    click.option(
        "--rejected",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write the rejected rows and the fields set aside, with their reasons, to this CSV file (';', UTF-8 with BOM).",
    ),
    _rna_filter("--departement", "departements", "CODE", "associations of this département"),
    _rna_filter("--commune", "communes", "INSEE", "associations of this commune"),
    _rna_filter("--object-code", "object_codes", "CODE", "this social-object code or code prefix"),
    _rna_filter("--keyword", "keywords", "TEXT", "titles or objects containing this text"),
    click.option("--include-inactive", is_flag=True, help="RNA: keep dissolved and deleted associations too."),
)

#: The drawing options of ``maillage map``: which part of the graph, and how it looks.
map_options = options(
    click.option(
        "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("map.html"), show_default=True
    ),
    click.option("--title", default="maillage", show_default=True, help="Title shown on the map."),
    lang_option,
    choice_option(
        "--color-by",
        choices=("kind", "community", "theme"),
        help="Colour nodes by kind, by Louvain community, or by their main theme.",
    ),
    choice_option(
        "--size-by",
        choices=("degree", "betweenness", "pagerank", "closeness", "eigenvector"),
        help="Size nodes by this centrality.",
    ),
    click.option("--focus", help="Draw only this actor (id, name or alias) and its neighbourhood."),
    number_option("--depth", 1, "Neighbourhood depth for --focus.", least=0),
    kind_option("nodes of this kind"),
    click.option(
        "--theme", "themes", multiple=True, help="Only the actors and projects linked to this theme (repeatable)."
    ),
    choice_option(
        "--layout",
        choices=("force", "geo"),
        help="force: a network layout; geo: actors placed on a map of France by coordinates or INSEE code.",
    ),
    click.option(
        "--png", type=click.Path(dir_okay=False, path_type=Path), help="Also write a PNG image (needs chromium)."
    ),
    click.option("--svg", type=click.Path(dir_okay=False, path_type=Path), help="Also write an SVG image."),
    click.option(
        "--include-personal",
        is_flag=True,
        help="Show contact details (e-mail, phone) in the side panel (left out by default).",
    ),
    number_option(
        "--max-nodes",
        30_000,
        "Above this many nodes, draw one point per community or territory instead, with a notice.",
    ),
    choice_option(
        "--group-by",
        choices=("community", "territory"),
        help="How a map above --max-nodes groups actors: Louvain communities, or départements.",
    ),
)

#: The options of ``maillage export``: the format, the file, and which part of the graph.
export_options = options(
    click.option("--format", "format", type=click.Choice(["json", "csv", "gexf", "graphml", "cypher"]), required=True),
    click.option(
        "-o",
        "--output",
        required=True,
        type=click.Path(path_type=Path),
        help="File to write; for csv a folder, or FILE.csv for FILE-actors.csv and FILE-relations.csv.",
    ),
    kind_option("nodes of this kind"),
    click.option("--theme", "themes", multiple=True, help="Only a theme and what is tied to it (repeatable)."),
    click.option(
        "--focus", "focus", multiple=True, help="Only what is within --depth relations of this actor (repeatable)."
    ),
    number_option("--depth", 1, least=0),
    click.option(
        "--include-personal", is_flag=True, help="Keep Person nodes and contact details (left out by default)."
    ),
)
