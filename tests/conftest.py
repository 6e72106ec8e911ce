"""Shared fixtures: the demo workbook, a CLI runner, fresh stores."""

from __future__ import annotations

import json
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
        return runner.invoke(
            main, ["--store", store_location or str(store), "--contributor", "test", *args], input=input
        )

    run.store = store
    return run


@pytest.fixture
def graph_state():
    """A function giving everything a store's graph and provenance hold, comparable (times included)."""

    def state(location) -> tuple:
        store = open_store(str(location))
        try:
            return (
                [(n.id, n.kind, n.name, n.aliases, json.dumps(n.attrs, sort_keys=True)) for n in store.nodes()],
                [(r.key, json.dumps(r.attrs, sort_keys=True)) for r in store.relations()],
                [
                    (b.source, [(r.node, r.place) for r in b.nodes], [(r.relation, r.place) for r in b.relations])
                    for b in store.dump()
                ],
            )
        finally:
            store.close()

    return state


@pytest.fixture
def sqlite_store(tmp_path):
    store = open_store(str(tmp_path / "graph.db"))
    yield store
    store.close()


# ---- Neo4j: the server started by `make test` (scripts/neo4j) ----

NEO4J_URI_VARIABLE = "MAILLAGE_NEO4J_URI"


@pytest.fixture(scope="session")
def neo4j_uri() -> str:
    """The test Neo4j server, from env MAILLAGE_NEO4J_URI (``make test`` starts it and sets it).

    Without that variable the Neo4j tests skip, except in CI (env CI set) where
    they fail: CI must run them. With it, an unreachable server is a failure.
    """
    import os

    uri = os.environ.get(NEO4J_URI_VARIABLE)
    if not uri:
        if os.environ.get("CI"):
            pytest.fail(f"{NEO4J_URI_VARIABLE} is not set: CI must run the Neo4j tests (make test starts the server)")
        pytest.skip(f"{NEO4J_URI_VARIABLE} is not set: run `make test` (or scripts/neo4j start and set it)")
    if not os.environ.get("NEO4J_PASSWORD"):
        pytest.fail(f"{NEO4J_URI_VARIABLE} is set but NEO4J_PASSWORD is not")
    return uri


@pytest.fixture
def neo4j_store(neo4j_uri):
    """A Neo4j store on the test server, emptied first (Community has one user database: it is cleaned)."""
    from maillage.graph.store.neo4j import Neo4jStore

    store = Neo4jStore(neo4j_uri)
    store.clear()
    store.init()
    yield store
    store.close()


@pytest.fixture(params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def any_store(request, tmp_path):
    """Each backend in turn: the embedded SQLite store, then a clean Neo4j database."""
    if request.param == "neo4j":
        return request.getfixturevalue("neo4j_store")
    store = open_store(str(tmp_path / "any.db"))
    request.addfinalizer(store.close)
    return store


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("neo4j", marks=pytest.mark.neo4j),
        pytest.param("neo4j-streams-in-batches", marks=pytest.mark.neo4j),
    ]
)
def any_streaming_store(request, tmp_path):
    """As :func:`any_store`, and a Neo4j store that writes every stream in transactions of three
    records under a pending load, as it does a stream too long to hold (a short one it writes
    as a batch, in one transaction)."""
    if request.param.startswith("neo4j"):
        store = request.getfixturevalue("neo4j_store")
        if request.param == "neo4j-streams-in-batches":
            store.direct_stream_records = 0
            store.batch_records = 3
        return store
    store = open_store(str(tmp_path / "any.db"))
    request.addfinalizer(store.close)
    return store
