"""Shared fixtures: the demo workbook, a CLI runner, fresh stores."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from maillage.cli import demo_data_path, main
from maillage.graph.store import open_store

DEMO = demo_data_path()


@pytest.fixture
def demo_path() -> Path:
    """The demo workbook folder (actors.csv, relations.csv)."""
    return DEMO


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def invoke(runner, tmp_path):
    """Run ``maillage --store <tmp store> ARGS``; returns the click Result."""
    store = tmp_path / "store.db"

    def run(*args: str, store_location: str | None = None, input: str | None = None):
        return runner.invoke(main, ["--store", store_location or str(store), "--contributor", "test", *args], input=input)

    run.store = store
    return run


@pytest.fixture
def sqlite_store(tmp_path):
    store = open_store(str(tmp_path / "graph.db"))
    yield store
    store.close()
