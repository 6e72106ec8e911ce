"""The command line: help everywhere, clean errors, the demo end to end."""

from __future__ import annotations

import json
import re

import click
import pytest
from maillage.cli import main


def all_commands(group=main, prefix=()):
    for name, command in sorted(group.commands.items()):
        yield prefix + (name,), command
        if isinstance(command, click.Group):
            yield from all_commands(command, prefix + (name,))


@pytest.mark.parametrize(
    "path, command", list(all_commands()), ids=lambda v: " ".join(v) if isinstance(v, tuple) else ""
)
def test_every_command_has_help(runner, path, command):
    assert command.help and command.help.strip(), f"maillage {' '.join(path)} has no help text"
    result = runner.invoke(main, [*path, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_demo_end_to_end(runner, tmp_path):
    out = tmp_path / "demo"
    result = runner.invoke(main, ["demo", "-o", str(out)])
    assert result.exit_code == 0, result.output
    report = (out / "centrality.md").read_text(encoding="utf-8")
    assert report.count("\n|") >= 10 and "Aitec" in report
    page = (out / "map.html").read_text(encoding="utf-8")
    outside = re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", page, flags=re.I)
    assert outside == []
    assert not (out / "lib").exists()


def test_report_centrality_json_is_sorted_by_metric(invoke, demo_path):
    assert invoke("load", str(demo_path)).exit_code == 0
    for metric in ("degree", "pagerank", "betweenness"):
        result = invoke("report", "centrality", "--metric", metric, "--format", "json", "--top", "100")
        rows = json.loads(result.output)
        assert {"id", "name", "kind", "degree", "betweenness", "closeness", "eigenvector", "pagerank"} <= set(rows[0])
        values = [row[metric] for row in rows]
        assert values == sorted(values, reverse=True)


def test_report_centrality_per_kind(invoke, demo_path):
    invoke("load", str(demo_path))
    rows = json.loads(invoke("report", "centrality", "--kind", "collectivite", "--format", "json").output)
    assert rows and {row["kind"] for row in rows} == {"Collectivite"}


def test_actors_search_and_show_by_alias(invoke, demo_path):
    invoke("load", str(demo_path))
    listing = invoke("actors", "--search", "seine-saint", "--format", "csv").output
    assert "collectivite:dep-93" in listing
    shown = invoke("show", "CG93")
    assert shown.exit_code == 0
    assert shown.output.startswith("Seine-Saint-Denis  [Collectivite]  collectivite:dep-93")
    assert "demo/actors.csv" in shown.output and "by test" in shown.output
    data = json.loads(invoke("show", "Conseil général du 93", "--format", "json").output)
    assert data["id"] == "collectivite:dep-93" and data["attributes"]["insee_code"] == "93"
    assert all(rel["asserted_by"] for rel in data["relations"])


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["show", "Nobody"], 1, "no actor matches 'Nobody'"),
        (["report", "centrality", "--metric", "fame"], 2, "Invalid value for '--metric'"),
        (["load", "does-not-exist.csv"], 2, "does not exist"),
        (["template", "-o", "modele.txt"], 2, "give a .xlsx file"),
        (["--store", "ftp://example.org/x", "actors"], 2, "unknown store scheme"),
    ],
)
def test_errors_are_one_clear_line_with_the_right_exit_code(invoke, runner, tmp_path, args, code, message):
    if args[0] == "--store":
        result = runner.invoke(main, args)
    else:
        invoke("init")
        result = invoke(*args)
    assert result.exit_code == code
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "command", [["actors"], ["report", "centrality"], ["map", "-o", "carte.html"], ["pull", "--from", "elsewhere.db"]]
)
def test_a_mistyped_store_path_is_an_error_not_an_empty_graph(runner, tmp_path, demo_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    store = "pull-target.db" if command[0] == "pull" else "typo.db"
    result = runner.invoke(main, ["--store", store, *command])
    missing = "elsewhere.db" if command[0] == "pull" else "typo.db"
    assert result.exit_code == 1 and f"no store at {missing}" in result.output
    assert not (tmp_path / missing).exists() and not (tmp_path / "carte.html").exists()
    assert runner.invoke(main, ["--store", "typo.db", "load", str(demo_path)]).exit_code == 0
    assert "Aitec" in runner.invoke(main, ["--store", "typo.db", "actors"]).output


def test_a_store_that_is_not_sqlite_is_a_clean_error(runner, tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("minutes of the steering committee\n" * 200)
    result = runner.invoke(main, ["--store", str(bad), "actors"])
    assert result.exit_code == 1
    assert "is not a maillage store" in result.output or "cannot open the store" in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_neo4j_store_without_password_nor_terminal_is_a_clear_misuse(runner, monkeypatch):
    monkeypatch.delenv("NEO4J_PASSWORD", raising=False)
    result = runner.invoke(main, ["--store", "neo4j://127.0.0.1:9", "actors"], input="")
    assert result.exit_code == 2
    assert (
        result.output.splitlines()[-1]
        == "Error: no password for neo4j at neo4j://127.0.0.1:9: set NEO4J_PASSWORD, or run from a terminal to be asked"
    )


def test_a_neo4j_password_can_come_from_a_pipe_and_is_never_shown(runner, monkeypatch):
    monkeypatch.delenv("NEO4J_PASSWORD", raising=False)
    result = runner.invoke(main, ["--store", "bolt://127.0.0.1:9", "actors"], input="pipe-secret-42\n")
    assert result.exit_code == 1
    assert "cannot reach the Neo4j server at bolt://127.0.0.1:9" in result.output
    assert "pipe-secret-42" not in result.output
