"""A store's graph read as arrays gives the reports its networkx graph gives, and sampled
closeness computed without the leaves gives the sums of every distance."""

from __future__ import annotations

import random
from itertools import pairwise

import networkx as nx
import numpy as np
import pytest
from maillage import operations
from maillage.graph.analysis import analysis_arrays, analysis_graph, centrality_report
from maillage.graph.analysis.centrality import _distance_sums, _distance_sums_without_leaves, _hanging_from
from maillage.graph.analysis.engine import to_igraph
from maillage.graph.model import Batch, Node, NodeRecord, Relation, RelationRecord, Source
from maillage.graph.store import open_store
from maillage.graph.store.sqlite.read import ReadMixin

INCLUDES = [(), ("documents",), ("people",), ("documents", "people")]


@pytest.fixture
def demo_store(invoke, demo_path):
    assert invoke("load", str(demo_path)).exit_code == 0
    store = open_store(str(invoke.store))
    yield store
    store.close()


def national_like_store(path, seed: int = 7):
    """A store shaped like a register's graph (about 3,000 nodes): communes in départements,
    most associations hanging from one commune, some tied to themes and projects (several
    relations, both ways, weighted), documents mentioning many, contacts, isolated nodes and
    small pieces apart."""
    rng = random.Random(seed)
    nodes, relations = [], []

    def node(id_, kind):
        nodes.append(Node(id_, kind, f"{kind} {id_.split(':')[1]}"))
        return id_

    def tie(source, type_, target, role="", **attrs):
        relations.append(Relation(source, type_, target, role, attrs))

    departements = [node(f"collectivite:dep-{d:02d}", "Collectivite") for d in range(1, 6)]
    communes = [node(f"collectivite:com-{c:05d}", "Collectivite") for c in range(1, 81)]
    for commune in communes:
        tie(commune, "LOCATED_IN", rng.choice(departements))
    themes = [node(f"theme:t{t}", "Theme") for t in range(8)]
    projects = [node(f"project:p{p}", "Project") for p in range(30)]
    for project in projects:
        tie(project, "ADDRESSES", rng.choice(themes))
    associations = [node(f"association:rna-W{a:09d}", "Association") for a in range(2800)]
    for association in associations:
        tie(association, "LOCATED_IN", rng.choice(communes))
    for association in rng.sample(associations, 300):
        project = rng.choice(projects)
        tie(association, "TAKES_PART_IN", project, "partner")
        if rng.random() < 0.3:
            tie(association, "TAKES_PART_IN", project, "lead", weight=2.5)
        tie(association, "WORKS_ON", rng.choice(themes))
    for _ in range(40):
        a, b = rng.sample(associations, 2)
        tie(a, "PARTNERS_WITH", b, weight=3)
        if rng.random() < 0.5:
            tie(b, "PARTNERS_WITH", a)
    documents = [node(f"document:d{d}", "Document") for d in range(3)]
    for document in documents:
        for actor in rng.sample(associations + communes, 200):
            tie(document, "MENTIONS", actor)
    for p in range(6):
        person = node(f"person:p{p}", "Person")
        tie(person, "CONTACT_FOR", rng.choice(associations))
    for i in range(5):
        node(f"association:alone-{i}", "Association")
    pair = [node("association:pair-a", "Association"), node("association:pair-b", "Association")]
    tie(*pair[:1], "PARTNERS_WITH", pair[1])
    chain = [node(f"theme:chain-{i}", "Theme") for i in range(4)]
    for a, b in pairwise(chain):
        tie(a, "WORKS_ON", b)
    rng.shuffle(nodes)
    store = open_store(str(path))
    batch = Batch(Source("generated.csv", "workbook", "test"))
    batch.nodes = [NodeRecord(n, f"generated.csv:{i}") for i, n in enumerate(nodes, 2)]
    batch.relations = [RelationRecord(r, f"generated.csv:{i}") for i, r in enumerate(relations, 2)]
    store.write(batch)
    return store


def both_reports(store, include, **options):
    from_networkx = centrality_report(analysis_graph(store.to_networkx(), "full", include), **options)
    from_arrays = centrality_report(analysis_arrays(store.graph_arrays(), include), **options)
    return from_networkx, from_arrays


@pytest.mark.parametrize("include", INCLUDES)
def test_the_demo_stores_report_is_the_same_read_as_arrays(demo_store, include):
    for options in ({}, {"metric": "betweenness", "kinds": {"Association"}, "top": 5}, {"engine": "igraph", "k": 9}):
        from_networkx, from_arrays = both_reports(demo_store, include, **options)
        assert from_arrays == from_networkx
    left_out = from_arrays["scope"]["left_out_relations"]
    assert (left_out > 0) == (len(include) < 2)


@pytest.mark.parametrize("include", INCLUDES)
def test_a_register_shaped_graphs_report_is_the_same_read_as_arrays(tmp_path, include):
    store = national_like_store(tmp_path / "generated.db")
    try:
        for options in (
            {"engine": "igraph", "metric": "closeness", "k": 64, "seed": 3},
            {"engine": "igraph", "metric": "eigenvector", "kinds": {"Collectivite", "Theme"}, "top": 25},
        ):
            from_networkx, from_arrays = both_reports(store, include, **options)
            assert from_arrays["engine"] == "igraph"
            assert from_arrays == from_networkx
        assert len(from_arrays["rows"]) == 25
        scope = from_arrays["scope"]
        assert scope["nodes"] > 2900 and scope["left_out_nodes"] == 9 - 3 * ("documents" in include) - 6 * (
            "people" in include
        )
    finally:
        store.close()


def all_distance_sums(view, sources: np.ndarray):
    distances = np.array(view.graph.distances(source=sources.tolist()), dtype=float)
    finite = np.isfinite(distances)
    steps = np.where(finite, distances, 0.0)
    inverse = np.divide(1.0, distances, out=np.zeros_like(distances), where=finite & (distances > 0))
    return steps.sum(axis=0), inverse.sum(axis=0), steps.sum(axis=1), inverse.sum(axis=1)


@pytest.mark.parametrize("seed", range(12))
def test_closeness_sums_without_the_leaves_are_those_of_every_distance(seed):
    rng = random.Random(seed)
    G = nx.gnm_random_graph(rng.randint(2, 40), rng.randint(0, 60), seed=seed)
    start = G.number_of_nodes()
    for i in range(rng.randint(1, 80)):
        G.add_edge(start + i, rng.randrange(start + i))
    G.add_edges_from([("pair", "other end"), ("chain", "middle"), ("middle", "end")])
    G.add_node("alone")
    view = to_igraph(G)
    sources = np.array(rng.sample(range(view.n), rng.randint(1, view.n)))
    expected = all_distance_sums(view, sources)
    for found in (_distance_sums(view, sources), _distance_sums_without_leaves(view, sources, _hanging_from(view))):
        for sums, right in zip(found, expected):
            np.testing.assert_allclose(sums, right, rtol=1e-12)


def test_the_centrality_operation_reads_an_embedded_store_as_arrays(monkeypatch, tmp_path):
    store = national_like_store(tmp_path / "generated.db")
    options = {"metric": "closeness", "sample": 64, "lang": "en"}
    try:
        for include in INCLUDES:
            with monkeypatch.context() as patched:
                patched.delattr(ReadMixin, "graph_arrays")
                from_networkx = operations.centrality(store, include=include, **options)
            with monkeypatch.context() as patched:
                patched.setattr(ReadMixin, "to_networkx", refuse_networkx)
                from_arrays = operations.centrality(store, include=include, **options)
                with pytest.raises(AssertionError, match="networkx"):
                    operations.centrality(store, graph="actors")
            assert from_arrays.rows == from_networkx.rows and len(from_arrays.rows) == 20
            assert (from_arrays.columns, from_arrays.notes) == (from_networkx.columns, from_networkx.notes)
    finally:
        store.close()


def refuse_networkx(*args, **kwargs):
    raise AssertionError("the store was read into networkx")
