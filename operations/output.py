"""Results as text: tables, CSV, JSON and Markdown, reports with their notes, diffs, citations.

Plain functions from rows to strings, shared by the command line and anyone who wants the
same output from Python; writing a file is atomic (:func:`write_text`).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "bulk_messages",
    "cell",
    "cite",
    "copy_messages",
    "diff_text",
    "extract_messages",
    "json_text",
    "load_messages",
    "map_messages",
    "merge_messages",
    "render",
    "report_text",
    "snapshot_messages",
    "source_copied_messages",
    "unload_messages",
    "unmerge_messages",
    "write_text",
]

#: A line of text, and whether it goes to stderr (a notice, a note) rather than stdout.
Message = tuple[str, bool]


def cell(value: Any) -> str:
    """One value as a table cell: floats to four decimals, lists joined by `` | ``.

    Examples
    --------
    >>> cell(0.5), cell(["a", "b"]), cell(None)
    ('0.5000', 'a | b', '')
    """
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, (list, tuple)):
        return " | ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _escape_markdown(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def render(
    rows: Sequence[dict], columns: Sequence[str], format: str, title: str = "", headers: Sequence[str] | None = None
) -> str:
    """``rows`` (their ``columns``) as a ``table``, ``csv``, ``json`` or ``md`` text.

    Examples
    --------
    >>> print(render([{"id": "a", "score": 1.0}], ["id", "score"], "csv"), end="")
    id,score
    a,1.0000
    """
    if format == "json":
        return json_text([{c: row.get(c) for c in columns} for row in rows])
    if format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([cell(row.get(c)) for c in columns] for row in rows)
        return buffer.getvalue()
    cells = [[cell(row.get(c)) for c in columns] for row in rows]
    if format == "md":
        lines = [f"# {_escape_markdown(title)}", ""] if title else []
        lines.append("| " + " | ".join(_escape_markdown(h) for h in headers or columns) + " |")
        lines.append("|" + "|".join("---" for _ in columns) + "|")
        lines.extend("| " + " | ".join(_escape_markdown(c) for c in row) + " |" for row in cells)
        return "\n".join(lines) + "\n"
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells)
    return "\n".join(lines) + "\n"


def json_text(value: Any) -> str:
    """``value`` as indented JSON, non-ASCII letters kept, ending with a newline.

    Examples
    --------
    >>> print(json_text({"nom": "Créteil"}), end="")
    {
      "nom": "Créteil"
    }
    """
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


def write_text(path: Path, text: str) -> None:
    """Write a file atomically: readers see the old file or the new one, never half of it."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def report_text(
    rows: Sequence[dict],
    columns: Sequence[str],
    format: str,
    title: str,
    notes: Sequence[str],
    lang: str,
    payload: Any = None,
) -> str:
    """A report as text: ``table``, ``csv``, ``json``, ``md`` or ``html``; the notes say which
    graph it was computed on.

    JSON is ``payload`` when given (an object with its scope), else the rows; CSV is the
    rows alone.

    Examples
    --------
    >>> print(report_text([{"id": "a"}], ["id"], "table", "T", ["A note."], "en"), end="")
    A note.
    <BLANKLINE>
    id
    --
    a
    """
    notes = [note for note in notes if note]
    if format == "json":
        return render(rows, columns, "json") if payload is None else json_text(payload)
    if format == "csv":
        return render(rows, columns, "csv")
    if format == "html":
        from ..visualise.report import table_report_html

        return table_report_html(title, notes, rows, columns, lang)
    if format == "md":
        from ..visualise.report import report_headers, report_rows

        escaped = [note.replace("<", "&lt;").replace(">", "&gt;") for note in notes]
        body = render(report_rows(rows, lang), columns, "md", headers=report_headers(columns, lang))
        quoted = "\n>\n".join(f"> {note}" for note in escaped)
        return f"# {title}\n\n" + (f"{quoted}\n\n" if quoted else "") + body
    return "".join(f"{note}\n" for note in notes) + ("\n" if notes else "") + render(rows, columns, "table")


def cite(claim: Any) -> str:
    """One claim's provenance in words: source, place, contributor, date (a source named
    after its file is cited by its place alone: ``actors.csv:4``, not ``actors.csv actors.csv:4``).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> cite(SimpleNamespace(source="actors.csv", place="actors.csv:4", contributor="bob", at="2024-05-01"))
    'actors.csv:4, by bob, 2024-05-01'
    """
    if claim.place.startswith(claim.source + ":"):
        where = claim.place
    else:
        where = claim.source if claim.place in ("", claim.source) else f"{claim.source} {claim.place}"
    return f"{where}, by {claim.contributor}, {claim.at}"


def diff_text(changes: dict[str, Any], markdown: bool = False) -> str:
    """What :func:`maillage.graph.history.diff` found, as text (or Markdown)."""

    def rel(row: dict) -> str:
        role = f" ({row['role']})" if row["role"] else ""
        return f"{row['source']} -{row['type']}{role}-> {row['target']}"

    sections = [
        ("Nodes added", [f"{r['id']} {r['name']} [{r['kind']}]" for r in changes["added_nodes"]]),
        ("Nodes removed", [f"{r['id']} {r['name']} [{r['kind']}]" for r in changes["removed_nodes"]]),
        (
            "Attributes changed",
            [
                f"{r['id']} {r['attribute']}: {cell(r['before'])} -> {cell(r['after'])}"
                for r in changes["changed_nodes"]
            ],
        ),
        ("Relations added", [rel(r) for r in changes["added_relations"]]),
        ("Relations removed", [rel(r) for r in changes["removed_relations"]]),
        (
            "Relation attributes changed",
            [
                f"{rel(r)} {r['attribute']}: {cell(r['before'])} -> {cell(r['after'])}"
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


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def load_messages(event: Any) -> list[Message]:
    """What ``maillage load`` says of one :class:`~maillage.operations.Loaded` source (or of the
    :class:`~maillage.operations.RejectedWritten` file), as it is done."""
    from .loading import RejectedWritten

    if isinstance(event, RejectedWritten):
        return [(f"wrote {event.path} ({_plural(event.lines, 'line')}: rejected rows and fields set aside)", True)]
    report = event.report
    counts = f"{event.nodes} nodes, {event.relations} relations"
    summary = f"; {report.set_aside_summary()}" if report and report.set_aside_summary() else ""
    if event.dry_run:
        kind = f" [{event.format}]" if report else ""
        said = f"{event.source}{kind}: {counts} (dry run, nothing written){summary}"
    elif event.unchanged:
        said = f"{event.source}: unchanged (already loaded)"
    elif report is None:
        said = f"{event.source}: {counts} loaded" + (" (from an export)" if event.from_export else "")
    else:
        read = f" from {report.rows_read} rows" if report.rows_read else ""
        skipped = f", {report.rows_filtered} filtered out" if report.rows_filtered else ""
        rejected = f", {len(report.problems)} rejected" if report.problems else ""
        said = f"{event.source}: {counts} loaded{read}{skipped}{rejected}{summary}"
    messages = [(said, False)]
    if report is None:
        return messages
    if event.dry_run:
        messages += [(f"  column {column!r} -> {use}", False) for column, use in report.columns_used.items()]
        messages += [(f"  column {column!r} ignored", False) for column in report.columns_ignored]
    if report.fields_set_aside and not report.list_set_aside:
        messages.append(("note: --rejected FILE.csv lists them, with their values and reasons", True))
    messages += [(f"notice: {notice}", True) for notice in report.notices]
    messages += [(f"rejected: {problem}", True) for problem in report.problems]
    return messages


def source_copied_messages(result: Any) -> list[Message]:
    """What ``maillage push`` and ``pull`` say of one source copied (a :class:`WriteResult`)."""
    if result.unchanged:
        return [(f"{result.source}: unchanged", True)]
    return [(f"{result.source}: {result.nodes} nodes, {result.relations} relations copied", True)]


def bulk_messages(files: Any, destination: str) -> list[Message]:
    """What ``maillage push --bulk`` says once the files of the import (an
    :class:`~maillage.graph.store.neo4j.bulk.ImportFiles`) are written: what they hold, and the
    two commands that follow."""
    return [
        (f"wrote {files.nodes} nodes and {files.relationships} relationships to {files.directory};", False),
        (f"next: scripts/neo4j import {files.directory}, then maillage --store {destination} init", False),
    ]


def copy_messages(copied: Any) -> list[Message]:
    """What ``maillage push`` and ``pull`` say once the copy (a :class:`~maillage.operations.Copied`) is done."""
    report = copied.report
    messages = [
        (
            f"notice: {collection} {key!r} already exists in {copied.destination} with other content; kept as it was",
            True,
        )
        for collection, key in report.records_kept
    ]
    messages.append(
        (
            f"copied {_plural(copied.copied, 'source')} from {copied.origin} to {copied.destination}"
            f" ({len(report.sources) - copied.copied} unchanged);"
            f" {_plural(report.records_copied, 'record')} of merges, history and snapshots"
            f" ({report.records_unchanged} unchanged)",
            False,
        )
    )
    return messages


def map_messages(drawn: Any) -> list[Message]:
    """What ``maillage map`` says of the map drawn (a :class:`~maillage.operations.MapDrawn`)."""
    grouped = f", shown as groups by {drawn.grouped_by}" if drawn.grouped_by else ""
    said = f"wrote {drawn.output} ({drawn.nodes} nodes, {drawn.relations} relations{grouped})"
    return [(said, False)] + [(f"wrote {image}", False) for image in drawn.images]


def unload_messages(unloaded: Any) -> list[Message]:
    """What ``maillage unload`` says of the claims removed (an :class:`~maillage.operations.Unloaded`)."""
    removed = f"{unloaded.nodes} node claims, {unloaded.relations} relation claims removed"
    return [(f"{unloaded.source}: unloaded ({removed})", False)]


def merge_messages(result: Any) -> list[Message]:
    """What ``maillage merge`` says of a merge done (a :class:`~maillage.graph.merge.MergeResult`)."""
    rewritten = f"{len(result.sources)} source(s) rewritten: {', '.join(result.sources)}"
    return [(f"merged {', '.join(result.merged)} into {result.into} (merge {result.id}; {rewritten})", False)]


def unmerge_messages(result: Any) -> list[Message]:
    """What ``maillage unmerge`` says of a merge undone (an :class:`~maillage.graph.merge.UnmergeResult`),
    with a warning for each source left as it was."""
    restored = ", ".join(result.restored) or "none"
    said = f"unmerged {', '.join(result.merged)} from {result.into} (merge {result.id}; restored: {restored})"
    warnings = [(f"warning: {name} left as it is: {reason}", True) for name, reason in result.skipped.items()]
    return [(said, False), *warnings]


def snapshot_messages(name: str, state: dict[str, Any]) -> list[Message]:
    """What ``maillage snapshot NAME`` says of the snapshot kept."""
    return [(f"snapshot {name}: {len(state['nodes'])} nodes, {len(state['relations'])} relations", False)]


def extract_messages(extracted: Any) -> list[Message]:
    """What ``maillage extract`` says on stderr of the documents read and what was found in
    them (an :class:`~maillage.operations.Extracted`)."""
    messages = []
    for document in extracted.documents:
        pages = f"{document.pages} pages, " if document.pages else ""
        messages.append((f"{document.name}: {pages}{document.words:,} words", True))
    found = extracted.found
    high = extracted.high_confidence
    messages.append(
        (f"{len(found.proposals)} proposals ({high} of high confidence), {len(found.ties)} stated ties", True)
    )
    return messages
