"""The ``maillage`` command line: parse, call an operation, print, and turn errors into one line.

What each command does is in :mod:`maillage.operations`; here are its options and its
texts (what they stand on, and the options several share, are in :mod:`maillage.cli_shared`).
Exit codes: 0 success, 1 bad data or unavailable store, 2 misuse.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from . import operations
from .cli_shared import (
    MaillageGroup,
    Settings,
    analysis_options,
    choice_option,
    emit,
    emit_report,
    emit_rows,
    export_options,
    format_option,
    global_options,
    graph_option,
    include_option,
    kind_choice,
    kind_option,
    lang_option,
    map_options,
    metric_option,
    note,
    notice,
    number_option,
    output_option,
    pass_settings,
    register_options,
    report_output,
    sampling_options,
    say,
    say_copied,
    table_output,
    top_option,
)
from .operations.loading import REGISTER_OPTIONS, demo_data_path


@click.group(cls=MaillageGroup, context_settings={"help_option_names": ["-h", "--help"]})
@global_options
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
@register_options
@choice_option(
    "--min-confidence",
    choices=("high", "medium", "low"),
    help="Documents (.pdf, .docx, .html, .md, .txt): load what is found with this confidence or more.",
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
    register = operations.register_options(**{name: options.pop(name) for name in REGISTER_OPTIONS})
    operations.load(
        settings.store(create=True),
        paths,
        settings.contributor,
        **options,
        options=register,
        on_event=lambda event: say(operations.load_messages(event)),
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
@kind_option()
@click.option("--search", help="Only actors whose id, name or alias contains this text.")
@table_output
@pass_settings
def actors(settings: Settings, kinds: tuple[str, ...], search: str | None, format_: str, output: Path | None) -> None:
    """List the actors (and other nodes) in the store."""
    rows = operations.actor_rows(settings.store(), kinds, search)
    emit_rows(rows, ["id", "kind", "name", "aliases"], format_, output)


@main.command()
@click.argument("actor")
@format_option("text", "json")
@pass_settings
def show(settings: Settings, actor: str, format_: str) -> None:
    """Show an actor: attributes, relations, and the sources that assert them.

    ACTOR is an id, a name or an alias. Each attribute, name and relation cites
    the source(s) asserting it: source, place, contributor and date.
    """
    details = operations.describe_actor(settings.store(), actor, notice)
    emit(operations.json_text(details.as_json()) if format_ == "json" else operations.actor_text(details))


@main.group()
def report() -> None:
    """Analyses of the graph, as tables, CSV, JSON, Markdown or printable HTML."""


@report.command("centrality")
@metric_option("degree", "Sort by this metric.")
@kind_option("rows of this kind")
@top_option(20)
@sampling_options
@graph_option("full")
@analysis_options
@report_output
@pass_settings
def report_centrality(settings: Settings, format_: str, output: Path | None, **options: Any) -> None:
    """Who holds the network together: degree, betweenness, closeness, harmonic, eigenvector, PageRank.

    Relations are read as undirected ties. Document and Person nodes are left
    out unless --include says otherwise; every report says which graph it used.
    """
    report = operations.centrality(settings.store(), **options, progress=settings.progress, note=note, freeze=True)
    emit_report(report, format_, output)


@report.command("brokers")
@choice_option(
    "--by",
    choices=("kind", "departement", "region"),
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
@kind_option("rows of this kind")
@top_option(20)
@click.option("--directed", is_flag=True, help="Roles on relations as written (source to target); needs --graph full.")
@graph_option("actors")
@analysis_options
@report_output
@pass_settings
def report_brokers(settings: Settings, format_: str, output: Path | None, seed: int, **options: Any) -> None:
    """Who bridges whom: bridges between two kinds (default: local authorities and
    associations), Gould–Fernandez brokerage roles, Burt's constraint and effective size.

    Computed on the actor–actor projection unless --graph full.
    """
    # --seed is accepted as by every analysis, but brokerage roles and bridges draw nothing at random.
    report = operations.brokers(settings.store(), **options, progress=settings.progress, freeze=True)
    emit_report(report, format_, output)


@report.command("communities")
@choice_option("--method", choices=("louvain", "leiden"), help="Leiden needs igraph.")
@click.option(
    "--resolution",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Above 1: smaller communities; below 1: larger ones.",
)
@top_option(5, "Members and themes named per community.")
@graph_option("actors")
@analysis_options
@report_output
@pass_settings
def report_communities(settings: Settings, format_: str, output: Path | None, **options: Any) -> None:
    """Groups of actors more tied to each other than to the rest (Louvain or Leiden, seeded),
    with modularity, largest members and dominant themes.

    Computed on the actor–actor projection unless --graph full.
    """
    report = operations.communities(settings.store(), **options, progress=settings.progress, freeze=True)
    emit_report(report, format_, output)


@report.command("gaps")
@choice_option(
    "--level",
    choices=("departement", "region", "country"),
    help="Territories (following LOCATED_IN) or countries (ACTS_IN).",
)
@report_output
@pass_settings
def report_gaps(settings: Settings, level: str, lang: str, format_: str, output: Path | None) -> None:
    """What nobody covers: themes × territories with actors but no links between them,
    and themes nobody in a territory works on (though others elsewhere do)."""
    emit_report(operations.gaps(settings.store(), level, lang, settings.progress, freeze=True), format_, output)


@report.command("all")
@choice_option("--format", "format", choices=("html", "json"))
@output_option
@click.option("--title", help="Title of the report.")
@metric_option("betweenness", "Sort the centrality table by this metric.")
@top_option(10, "Rows per table.")
@sampling_options
@analysis_options
@click.option("--no-map", is_flag=True, help="Leave the interactive map out.")
@lang_option
@pass_settings
def report_all(settings: Settings, output: Path | None, no_map: bool, **options: Any) -> None:
    """Everything in one document: the graph analysed, centrality, brokers, communities,
    recommendations for the most central actors, gaps and the map — a self-contained,
    printable HTML file (or all the data as one JSON object)."""
    progress = settings.progress
    text = operations.full_report(
        settings.store(), **options, with_map=not no_map, progress=progress, note=note, freeze=True
    )
    emit(text, output)


@main.command()
@click.argument("actor")
@top_option(10, "Number of recommendations.")
@include_option
@click.option("--new-only", is_flag=True, help="Leave out the actors it already takes part in a project with.")
@report_output
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
@number_option("--limit", 10, "At most this many shortest paths.")
@include_option
@format_option("text", "json")
@pass_settings
def path(settings: Settings, source: str, target: str, format_: str, **options: Any) -> None:
    """How SOURCE is connected to TARGET: every shortest path (up to --limit), with the
    relations (type, role, direction) along it.

    SOURCE and TARGET are ids, names or aliases.
    """
    found = operations.paths(settings.store(), source, target, **options, notice=notice)
    emit(operations.json_text(found.as_json()) if format_ == "json" else found.text())


@main.command()
@click.argument("actor")
@number_option("--depth", 1, "How many steps out.")
@include_option
@table_output
@pass_settings
def ego(settings: Settings, actor: str, format_: str, output: Path | None, **options: Any) -> None:
    """The neighbourhood of ACTOR: every node within --depth steps, nearest first, with the
    relation that reaches it.

    ACTOR is an id, a name or an alias.
    """
    node_id, rows = operations.ego(settings.store(), actor, **options, notice=notice)
    emit_rows(rows, ["distance", "id", "name", "kind", "via", "relations"], format_, output, title=f"Ego: {node_id}")


@main.command("map")
@map_options
@pass_settings
def map_(settings: Settings, **options: Any) -> None:
    """Draw an interactive HTML map of the graph: one file that opens offline.

    Search, filters by kind, theme and relation type, and a side panel with each
    actor's attributes, relations and sources are in the page; --png and --svg
    add still images for reports and slides.
    """
    drawn = operations.draw_map(settings.store(), **options, progress=settings.progress, notice=notice, freeze=True)
    say(operations.map_messages(drawn))


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
    ctx.invoke(load, paths=(demo_data_path(),), source_name="demo")
    ctx.invoke(report_centrality, format_="md", output=directory / "centrality.md")
    ctx.invoke(map_, output=directory / "map.html", title="Programme Aitec – Cités Unies France")


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
        say(operations.bulk_messages(files, destination))
        return
    copied = operations.push(settings.store(), destination, say_copied, **store_options)
    say(operations.copy_messages(copied))


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
    copied = operations.pull(settings.store(create=True), origin, say_copied, **store_options)
    say(operations.copy_messages(copied))


@main.command()
@click.option(
    "--authoritative", "mark", multiple=True, metavar="SOURCE", help="Mark this source authoritative (repeatable)."
)
@click.option(
    "--not-authoritative", "unmark", multiple=True, metavar="SOURCE", help="Remove the authoritative mark (repeatable)."
)
@table_output
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
    say(operations.unload_messages(operations.unload(settings.store(), source, settings.contributor)))


@main.command()
@table_output
@pass_settings
def conflicts(settings: Settings, format_: str, output: Path | None) -> None:
    """Attributes to which sources give different values, and which value is current.

    Rule: the latest load wins, unless a source is authoritative
    ('maillage sources --authoritative SOURCE' or 'maillage load --authoritative').
    """
    rows = operations.conflict_rows(settings.store(), structured=format_ == "json")
    emit_rows(rows, ["subject", "name", "attribute", "current", "values"], format_, output, title="Conflicts")


@main.command()
@kind_option()
@click.option("--min-score", type=click.FloatRange(0, 1), default=0.0, show_default=True, help="Hide weaker proposals.")
@table_output
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
    say(operations.merge_messages(result))


@main.command()
@click.argument("reference")
@pass_settings
def unmerge(settings: Settings, reference: str) -> None:
    """Undo a merge, named by its id or by an actor it merged (the latest merge).

    Sources the merge rewrote are put back as they were, unless they were
    unloaded or changed since: those are left alone and listed.
    """
    say(operations.unmerge_messages(operations.unmerge(settings.store(), reference, settings.contributor)))


@main.command()
@click.argument("actor")
@table_output
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
    else:
        say(operations.snapshot_messages(name, operations.snapshot(store, name, settings.contributor, replace)))


@main.command()
@click.argument("before")
@click.argument("after", required=False, default="now")
@choice_option(
    "--metric",
    choices=("degree", "betweenness", "pagerank"),
    default="betweenness",
    help="Centrality whose biggest movers are listed.",
)
@top_option(10, "Number of movers.", least=0)
@format_option("text", "json", "md")
@output_option
@pass_settings
def diff(settings: Settings, format_: str, output: Path | None, **options: Any) -> None:
    """What changed between two snapshots (AFTER defaults to 'now', the graph as it is).

    Nodes and relations added or removed, attributes changed, biggest movers in centrality.
    """
    changes = operations.changes(settings.store(), **options)
    markdown = format_ == "md"
    emit(operations.json_text(changes) if format_ == "json" else operations.diff_text(changes, markdown), output)


@main.command()
@export_options
@pass_settings
def export(settings: Settings, **options: Any) -> None:
    """Export the graph or part of it: JSON or CSV with provenance (re-importable by
    'maillage load'), GEXF or GraphML for Gephi, Cypher for a Neo4j without maillage."""
    for written in operations.export(settings.store(), **options):
        click.echo(f"wrote {written}")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "format_",
    type=click.Choice(("table", "json", "csv", "xlsx")),
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
    format_ = operations.extract_format(format_, output)
    known = settings.store().nodes() if operations.store_exists(settings.location) else ()
    extracted = operations.extract(files, known)
    say(operations.extract_messages(extracted))
    if format_ == "xlsx":
        extracted.write_workbook(output)
        click.echo(f"wrote {output}", err=True)
    else:
        emit(extracted.text(format_), output)
