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
from maillage.graph.store.neo4j import BatchedLoad, Neo4jStore, stream
from maillage.operations import reports

INCLUDES = [(), ("documents",), ("people",), ("documents", "people")]


@pytest.fixture
def demo_store(invoke, demo_path, any_store):
    """The demo data in each store in turn."""
    result = invoke("load", str(demo_path), store_location=any_store.location)
    assert result.exit_code == 0, result.output
    return any_store


def national_like_batch(seed: int = 7) -> Batch:
    """A batch shaped like a register's graph (about 3,000 nodes): communes in départements,
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
    batch = Batch(Source("generated.csv", "workbook", "test"))
    batch.nodes = [NodeRecord(n, f"generated.csv:{i}") for i, n in enumerate(nodes, 2)]
    batch.relations = [RelationRecord(r, f"generated.csv:{i}") for i, r in enumerate(relations, 2)]
    return batch


@pytest.fixture
def national_like_store(any_store):
    """A store of each kind in turn holding :func:`national_like_batch`."""
    any_store.write(national_like_batch())
    return any_store


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
def test_a_register_shaped_graphs_report_is_the_same_read_as_arrays(national_like_store, include):
    for options in (
        {"engine": "igraph", "metric": "closeness", "k": 64, "seed": 3},
        {"engine": "igraph", "metric": "eigenvector", "kinds": {"Collectivite", "Theme"}, "top": 25},
    ):
        from_networkx, from_arrays = both_reports(national_like_store, include, **options)
        assert from_arrays["engine"] == "igraph"
        assert from_arrays == from_networkx
    assert len(from_arrays["rows"]) == 25
    scope = from_arrays["scope"]
    assert scope["nodes"] > 2900 and scope["left_out_nodes"] == 9 - 3 * ("documents" in include) - 6 * (
        "people" in include
    )


def arrays_content(arrays) -> tuple:
    """What ``arrays`` say, the relations in a set order (a store gives them in its own) and kinds
    and types by name (their codes are in the order a store meets them)."""
    ids = arrays.ids
    relations = zip(
        [ids[i] for i in arrays.sources.tolist()],
        [ids[i] for i in arrays.targets.tolist()],
        [arrays.type_names[code] for code in arrays.types.tolist()],
        arrays.weights.tolist(),
    )
    return (
        ids,
        arrays.names,
        [arrays.kind_names[code] for code in arrays.kinds.tolist()],
        (arrays.kinds.dtype, arrays.sources.dtype, arrays.targets.dtype, arrays.types.dtype, arrays.weights.dtype),
        sorted(relations),
    )


def awkward_batches() -> list[Batch]:
    """Ids that sort differently by UTF-16 code units than by code points, every kind, weights
    as integers, decimals, null, beside attributes a relationship cannot hold as properties, a
    relation to itself, and a relation to a node no source asserts."""
    at = "2026-01-01T00:00:00+00:00"
    ids = ["association:zèbre", "association:Été", "association:\U0001d538", "association:\ufb01", "association:a"]
    kinds = {"collectivite:c1": "Collectivite", "theme:t": "Theme", "project:p": "Project", "person:x": "Person"}
    kinds.update({"document:d": "Document", **dict.fromkeys(ids, "Association")})
    batch = Batch(Source("awkward", "workbook", "test", at))
    batch.nodes = [
        NodeRecord(Node(id_, kind, f"Nom de {id_}"), f"awkward:{i}") for i, (id_, kind) in enumerate(kinds.items())
    ]
    ties = [
        (ids[0], "PARTNERS_WITH", ids[1], "", {"weight": 3}),
        (ids[1], "PARTNERS_WITH", ids[0], "", {"weight": 2.5}),
        (ids[2], "PARTNERS_WITH", ids[3], "", {"weight": None}),
        (ids[3], "TAKES_PART_IN", "project:p", "lead", {"weight": 4, "periods": [{"from": 2020}, {"from": 2024}]}),
        (ids[3], "TAKES_PART_IN", "project:p", "partner", {"periods": [{"from": 2021}], "note": "weight"}),
        (ids[4], "LOCATED_IN", "collectivite:c1", "", {}),
        (ids[4], "PARTNERS_WITH", ids[4], "", {"weight": 7}),
        ("project:p", "ADDRESSES", "theme:t", "", {"weight": 0.5}),
        ("document:d", "MENTIONS", ids[2], "", {}),
        ("person:x", "CONTACT_FOR", ids[1], "", {}),
    ]
    batch.relations = [RelationRecord(Relation(*tie), f"awkward-r:{i}") for i, tie in enumerate(ties)]
    waiting = Batch(Source("waiting", "workbook", "test", at))
    waiting.relations = [RelationRecord(Relation(ids[0], "MEMBER_OF", "association:never-loaded"), "waiting:2")]
    return [batch, waiting]


@pytest.mark.neo4j
def test_a_neo4j_store_gives_the_arrays_of_an_embedded_store_holding_the_same_loads(
    neo4j_store, sqlite_store, invoke, demo_path
):
    for store in (sqlite_store, neo4j_store):
        assert invoke("load", str(demo_path), store_location=store.location).exit_code == 0
    assert arrays_content(neo4j_store.graph_arrays()) == arrays_content(sqlite_store.graph_arrays())
    for store in (sqlite_store, neo4j_store):
        store.replace_sources(awkward_batches())
        store.write(national_like_batch())
    expected = arrays_content(sqlite_store.graph_arrays())
    assert arrays_content(neo4j_store.graph_arrays()) == expected
    ids, *_, relations = expected
    assert ids.index("association:\ufb01") < ids.index("association:\U0001d538")
    assert {weight for *_, weight in relations} >= {3.0, 2.5, 1.0, 4.0, 7.0, 0.5}
    assert not any("association:never-loaded" in relation for relation in relations)


def register(numbers: range, month: str) -> tuple[Source, list]:
    """A register's records as a stream: associations ``numbers``, each in a commune, some partners."""
    records: list = []
    for number in numbers:
        records.append(
            NodeRecord(Node(f"association:a{number}", "Association", f"Association {number} {month}"), f"rna:{number}")
        )
        records.append(
            RelationRecord(
                Relation(f"association:a{number}", "LOCATED_IN", f"collectivite:c{number % 3}"), f"rna:{number}"
            )
        )
        if number % 4 == 0:
            partner = Relation(
                f"association:a{number}", "PARTNERS_WITH", f"association:a{number + 1}", "", {"weight": number}
            )
            records.append(RelationRecord(partner, f"rna:p{number}"))
    return Source("rna", "rna-waldec", "t", f"2026-{month}-01T00:00:00+00:00"), records


COMMUNES = Batch(Source("communes", "cog", "t", "2026-01-01T00:00:00+00:00"))
COMMUNES.nodes = [NodeRecord(Node(f"collectivite:c{i}", "Collectivite", f"Commune {i}"), f"cog:{i}") for i in range(3)]


@pytest.mark.neo4j
def test_the_arrays_show_a_register_before_its_reload_or_after_never_its_pending_nodes(
    neo4j_store, neo4j_uri, tmp_path, monkeypatch
):
    old, new = register(range(1, 31), "01"), register(range(11, 51), "02")
    expected = []
    for loads in ([old], [old, new]):
        reference = open_store(str(tmp_path / f"reference-{len(loads)}.db"))
        reference.write(COMMUNES)
        for source, records in loads:
            reference.write_stream(source, records)
        expected.append(arrays_content(reference.graph_arrays()))
        reference.close()
    before, after = expected
    neo4j_store.direct_stream_records, neo4j_store.batch_records = 0, 5
    neo4j_store.write(COMMUNES)
    neo4j_store.write_stream(*old)
    assert arrays_content(neo4j_store.graph_arrays()) == before
    checked = []

    def check(phase: str, graph: tuple) -> None:
        with Neo4jStore(neo4j_uri) as reader:
            assert arrays_content(reader.graph_arrays()) == graph, phase
        checked.append(phase)

    publish, clean = BatchedLoad.publish, stream._clean_loads

    def publishing(self, tx, digest):
        left = neo4j_store.query(
            "RETURN COUNT { MATCH (n:Node) WHERE n.load IS NOT NULL } AS written, "
            "COUNT { MATCH (n:Node) WHERE n.retired IS NOT NULL } AS retired"
        )[0]
        assert left["written"] >= 40 and left["retired"] >= 10
        check("before publishing", before)
        return publish(self, tx, digest)

    def cleaning(session):
        if neo4j_store.query("MATCH (p:PendingLoad) WHERE p.published IS NOT NULL RETURN p.id"):
            check("published", after)
        return clean(session)

    def records():
        for number, record in enumerate(new[1]):
            if number == 40:
                check("between batches", before)
            yield record

    monkeypatch.setattr(BatchedLoad, "publish", publishing)
    monkeypatch.setattr(stream, "_clean_loads", cleaning)
    neo4j_store.write_stream(new[0], records())
    assert checked == ["between batches", "before publishing", "published"]
    assert arrays_content(neo4j_store.graph_arrays()) == after != before


@pytest.mark.neo4j
def test_the_arrays_are_read_again_when_a_load_publishes_while_they_are_read(neo4j_store, monkeypatch):
    neo4j_store.write(COMMUNES)
    read_graph_arrays, reads = type(neo4j_store)._read_graph_arrays, []

    def overtaken(self):
        arrays = read_graph_arrays(self)
        reads.append(arrays)
        if len(reads) == 1:
            # What a load's publication changes in between: the pending loads.
            self.run_write(lambda tx: tx.run("CREATE (:PendingLoad {id: 'overtaking', published: true})").consume())
        return arrays

    monkeypatch.setattr(type(neo4j_store), "_read_graph_arrays", overtaken)
    arrays = neo4j_store.graph_arrays()
    assert len(reads) == 2 and arrays is reads[1]


def test_an_empty_store_gives_empty_arrays(any_store):
    arrays = any_store.graph_arrays()
    assert arrays_content(arrays) == ([], [], [], arrays_content(arrays)[3], [])
    assert len(arrays.sources) == len(arrays.targets) == len(arrays.types) == len(arrays.weights) == 0


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


def networkx_centrality_graph(store, graph, include, min_weight, progress, freeze):
    """The graph centrality runs on, read into networkx (as a store without arrays was read)."""
    return analysis_graph(store.to_networkx(), graph, include, min_weight=min_weight)


@pytest.mark.parametrize("sample", [64, None])
def test_the_centrality_operation_reads_the_store_as_arrays(national_like_store, monkeypatch, sample):
    store = national_like_store
    options = {"metric": "closeness", "sample": sample, "lang": "en"}
    for include in INCLUDES:
        with monkeypatch.context() as patched:
            patched.setattr(reports, "_centrality_graph", networkx_centrality_graph)
            from_networkx = operations.centrality(store, include=include, **options)
        with monkeypatch.context() as patched:
            patched.setattr(type(store), "to_networkx", refuse_networkx)
            from_arrays = operations.centrality(store, include=include, **options)
            with pytest.raises(AssertionError, match="networkx"):
                operations.centrality(store, graph="actors")
        assert from_arrays.rows == from_networkx.rows and len(from_arrays.rows) == 20
        assert (from_arrays.columns, from_arrays.notes) == (from_networkx.columns, from_networkx.notes)


def refuse_networkx(*args, **kwargs):
    raise AssertionError("the store was read into networkx")
