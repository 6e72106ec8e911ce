"""The GraphStore contract, run on every backend (``any_store``: SQLite, then Neo4j).

The second half runs the same CLI commands on both stores and compares the answers.
"""

from __future__ import annotations

import json
import re

import pytest
from maillage.cli import main
from maillage.graph.errors import AmbiguousReference, ConcurrentChange, LoadError, UnknownReference
from maillage.graph.model import Batch, Node, NodeRecord, Relation, RelationRecord, Source
from maillage.graph.store import open_store
from maillage.graph.store.base import resolve_one
from maillage.loaders import read_sources


def batch(name, nodes=(), relations=(), authoritative=False, contributor="alice", at="2026-01-01T00:00:00+00:00"):
    return Batch(
        Source(name, "test", contributor, at, authoritative),
        [NodeRecord(node, f"{name}:{i + 2}") for i, node in enumerate(nodes)],
        [RelationRecord(rel, f"{name}:{i + 2}") for i, rel in enumerate(relations)],
    )


CUF = Node("association:cuf", "Association", "Cités Unies France", ("CUF",), {"category": "réseau"})
CUF_BIS = Node("association:cuf-bis", "Association", "Coopération Urbaine Française", ("CUF",))
PAIX = Node("theme:paix", "Theme", "Initiatives de paix")
DD = Node("theme:developpement-durable", "Theme", "Développement durable", ("DD", "Agenda 21"))
NANTERRE = Node(
    "collectivite:com-92050",
    "Collectivite",
    "Nanterre",
    ("Ville de Nanterre",),
    {"level": "commune", "insee_code": "92050", "country": "FR"},
)
PROJECT = Node("project:atelier", "Project", "Atelier paix", (), {"countries": ["SN", "ML"], "start": "2008"})
WORKS = Relation("association:cuf", "WORKS_ON", "theme:paix", "", {"note": "atelier 2008"})
WORKS_DD = Relation("association:cuf", "WORKS_ON", "theme:developpement-durable")
LEADS = Relation("association:cuf", "TAKES_PART_IN", "project:atelier", "lead", {"start": "2008"})
FUNDS = Relation("association:cuf", "TAKES_PART_IN", "project:atelier", "funder")
NANTERRE_WORKS = Relation("collectivite:com-92050", "WORKS_ON", "theme:paix")


def state(store):
    """Everything a reader can see, to compare before and after."""
    return (
        store.counts(),
        store.nodes(),
        store.relations(),
        [(s.name, s.format, s.contributor, s.at, s.authoritative, s.nodes, s.relations) for s in store.sources()],
        list(store.dump()),
    )


# --------------------------------------------------------------------------- writes and reads


def test_upsert_and_read_back_with_provenance(any_store):
    result = any_store.write(batch("a.csv", [CUF, PAIX, PROJECT], [WORKS, LEADS, FUNDS]))
    assert (result.nodes, result.relations, result.unchanged) == (3, 3, False)
    assert any_store.get("association:cuf") == CUF
    assert any_store.get("project:atelier").attrs == {"countries": ["SN", "ML"], "start": "2008"}
    assert any_store.get("theme:absent") is None
    assert any_store.relations() == sorted([WORKS, LEADS, FUNDS], key=lambda r: r.key)
    assert any_store.relations("theme:paix") == [WORKS]
    [claim] = any_store.node_claims("association:cuf")
    assert (claim.source, claim.place, claim.contributor, claim.at, claim.aliases) == (
        "a.csv",
        "a.csv:2",
        "alice",
        "2026-01-01T00:00:00+00:00",
        ("CUF",),
    )
    claims = any_store.relation_claims("project:atelier")
    assert [(c.relation.role, c.place) for c in claims] == [("funder", "a.csv:4"), ("lead", "a.csv:3")]
    assert any_store.counts() == {"Association": 1, "Project": 1, "Theme": 1, "TAKES_PART_IN": 2, "WORKS_ON": 1}


def test_a_second_source_adds_aliases_and_provenance(any_store):
    any_store.write(batch("a.csv", [CUF, PAIX], [WORKS]))
    renamed = Node(
        "association:cuf",
        "Association",
        "CUF – Cités Unies France",
        ("Cités Unies",),
        {"website": "https://cites-unies-france.org"},
    )
    any_store.write(batch("b.csv", [renamed, PAIX], [WORKS], contributor="bob"))
    node = any_store.get("association:cuf")
    assert node.name == "CUF – Cités Unies France"
    assert node.aliases == ("Cités Unies France", "CUF", "Cités Unies")
    assert node.attrs == {"category": "réseau", "website": "https://cites-unies-france.org"}
    assert [(c.source, c.contributor) for c in any_store.node_claims("association:cuf")] == [
        ("a.csv", "alice"),
        ("b.csv", "bob"),
    ]
    assert [c.source for c in any_store.relation_claims("association:cuf")] == ["a.csv", "b.csv"]
    assert len(any_store.relations()) == 1


def test_lookup_by_id_name_and_alias_is_folded(any_store):
    any_store.write(batch("a.csv", [CUF, PAIX, DD]))
    for reference in ("association:cuf", "cités unies france", "CITES UNIES-FRANCE", " cuf ", "Cites  Unies France"):
        assert [n.id for n in any_store.find(reference)] == ["association:cuf"]
    assert [n.id for n in any_store.find("agenda 21")] == ["theme:developpement-durable"]
    with pytest.raises(UnknownReference):
        resolve_one("Oxfam", any_store.find("Oxfam"))


def test_existing_ids_and_get_many_name_the_nodes_among_ids_asked_at_once(any_store):
    any_store.write(batch("a.csv", [CUF, PAIX, NANTERRE]))
    absent = [f"collectivite:com-{code:05d}" for code in range(20_000)]
    asked = [*absent, "theme:paix", "Cités Unies France", "collectivite:com-92050", "association:cuf"]
    assert any_store.existing_ids(asked) == {"theme:paix", "collectivite:com-92050", "association:cuf"}
    assert any_store.existing_ids([]) == set()
    assert any_store.get_many(asked) == {node.id: node for node in (CUF, PAIX, NANTERRE)}
    assert any_store.get_many([]) == {}


def test_ambiguous_lookup_lists_candidates(any_store):
    any_store.write(batch("a.csv", [CUF, CUF_BIS]))
    with pytest.raises(AmbiguousReference) as caught:
        resolve_one("CUF", any_store.find("CUF"))
    assert [c[0] for c in caught.value.candidates] == ["association:cuf", "association:cuf-bis"]


def test_nodes_by_kind_and_search(any_store):
    any_store.write(batch("a.csv", [CUF, CUF_BIS, PAIX, DD, NANTERRE]))
    assert [n.id for n in any_store.nodes("Theme")] == ["theme:developpement-durable", "theme:paix"]
    assert [n.id for n in any_store.nodes(search="ville de")] == ["collectivite:com-92050"]
    assert [n.id for n in any_store.nodes(search="COM-92")] == ["collectivite:com-92050"]
    assert [n.id for n in any_store.nodes("Association", "française")] == ["association:cuf-bis"]
    assert [n.id for n in any_store.nodes(search="cuf")] == ["association:cuf", "association:cuf-bis"]
    assert any_store.nodes(search="nowhere") == []


def test_same_content_twice_changes_nothing(any_store):
    any_store.write(batch("a.csv", [CUF, PAIX], [WORKS]))
    before = state(any_store)
    again = any_store.write(batch("a.csv", [CUF, PAIX], [WORKS], contributor="bob", at="2030-01-01T00:00:00+00:00"))
    assert again.unchanged
    assert state(any_store) == before


def test_a_failed_load_leaves_the_store_as_it_was(any_store):
    any_store.write(batch("a.csv", [CUF, PAIX], [WORKS]))
    before = state(any_store)
    dangling = Relation("association:cuf", "WORKS_ON", "theme:nowhere")
    with pytest.raises(LoadError) as caught:
        any_store.write(batch("b.csv", [DD, NANTERRE], [WORKS_DD, dangling]))
    assert [p.file for p in caught.value.problems] == ["b.csv:3"]
    assert "theme:nowhere" in caught.value.problems[0].message
    assert state(any_store) == before
    assert any_store.get("theme:developpement-durable") is None


def test_a_kind_clash_is_refused_and_nothing_changes(any_store):
    any_store.write(batch("a.csv", [CUF]))
    before = state(any_store)
    clash = Node("association:cuf", "Theme", "CUF")
    with pytest.raises(LoadError) as caught:
        any_store.write(batch("b.csv", [PAIX, clash]))
    assert caught.value.problems[0].column == "kind"
    assert state(any_store) == before


def test_a_new_version_of_a_source_replaces_the_old_one(any_store):
    any_store.write(batch("a.csv", [CUF, PAIX, DD], [WORKS, WORKS_DD]))
    any_store.write(batch("b.csv", [NANTERRE, PAIX], [NANTERRE_WORKS]))
    any_store.write(batch("a.csv", [CUF, PAIX], [WORKS]))
    assert any_store.get("theme:developpement-durable") is None
    assert any_store.relations() == sorted([WORKS, NANTERRE_WORKS], key=lambda r: r.key)
    assert [s.name for s in any_store.sources()] == ["b.csv", "a.csv"]
    assert [(c.source, c.place) for c in any_store.node_claims("theme:paix")] == [
        ("b.csv", "b.csv:3"),
        ("a.csv", "a.csv:3"),
    ]
    assert any_store.find("Agenda 21") == []


def test_latest_load_wins_unless_a_source_is_authoritative(any_store):
    official = Node("association:cuf", "Association", "Cités Unies France (officiel)", (), {"category": "fédération"})
    any_store.write(batch("register", [official], authoritative=True))
    any_store.write(batch("a.csv", [CUF]))
    node = any_store.get("association:cuf")
    assert node.name == "Cités Unies France (officiel)"
    assert node.attrs["category"] == "fédération"
    assert "Cités Unies France" in node.aliases and "CUF" in node.aliases
    any_store.unload("register")
    assert any_store.get("association:cuf") == CUF


def test_unload_keeps_what_other_sources_also_assert(any_store):
    any_store.write(batch("a.csv", [CUF, PAIX, DD], [WORKS, WORKS_DD]))
    any_store.write(batch("b.csv", [CUF, PAIX], [WORKS]))
    result = any_store.unload("a.csv")
    assert (result.nodes, result.relations) == (3, 2)
    assert any_store.get("theme:developpement-durable") is None
    assert any_store.relations() == [WORKS]
    assert [c.source for c in any_store.node_claims("association:cuf")] == ["b.csv"]
    assert [s.name for s in any_store.sources()] == ["b.csv"]
    with pytest.raises(LoadError, match=r"no source named 'a\.csv'"):
        any_store.unload("a.csv")


def test_a_relation_comes_back_when_its_end_is_loaded_again(any_store):
    any_store.write(batch("themes.csv", [PAIX]))
    any_store.write(batch("cuf.csv", [CUF], [WORKS]))
    any_store.unload("themes.csv")
    assert any_store.relations() == []
    assert [c.relation for c in any_store.relation_claims("association:cuf")] == [WORKS]
    any_store.write(batch("themes.csv", [PAIX]))
    assert any_store.relations() == [WORKS]


def test_dump_source_recreates_the_source_on_another_store(any_store, tmp_path):
    any_store.write(batch("a.csv", [CUF, PAIX, PROJECT], [WORKS, LEADS]))
    any_store.write(batch("b.csv", [NANTERRE, PAIX], [NANTERRE_WORKS], authoritative=True, contributor="bob"))
    assert any_store.dump_source("nowhere") == None  # noqa: E711 - the contract says None
    copy = open_store(str(tmp_path / "copy.db"))
    for dumped in any_store.dump():
        copy.write(dumped)
    assert list(copy.dump()) == list(any_store.dump())
    assert copy.nodes() == any_store.nodes() and copy.relations() == any_store.relations()
    dumped_b = any_store.dump_source("b.csv")
    assert dumped_b.source == Source("b.csv", "test", "bob", "2026-01-01T00:00:00+00:00", True)
    assert [r.place for r in dumped_b.nodes] == ["b.csv:2", "b.csv:3"]
    copy.close()


def test_replace_sources_keeps_load_order_and_does_not_check_ends(any_store):
    any_store.write(batch("a.csv", [CUF, PAIX], [WORKS]))
    any_store.write(batch("b.csv", [NANTERRE, PAIX], [NANTERRE_WORKS]))
    dangling = Relation("association:cuf", "WORKS_ON", "theme:developpement-durable")
    renamed = Node("association:cuf", "Association", "CUF renommée")
    results = any_store.replace_sources(
        [batch("a.csv", [renamed, PAIX], [WORKS, dangling], contributor="carol"), batch("c.csv", [DD])]
    )
    assert [(r.source, r.unchanged) for r in results] == [("a.csv", False), ("c.csv", False)]
    assert [(s.name, s.contributor) for s in any_store.sources()] == [
        ("a.csv", "carol"),
        ("b.csv", "alice"),
        ("c.csv", "alice"),
    ]
    assert any_store.get("association:cuf").name == "CUF renommée"
    assert dangling in any_store.relations()
    assert any_store.replace_sources([batch("c.csv", [DD])])[0].unchanged


def test_replace_sources_refuses_sources_changed_since_their_digests_were_read(any_store):
    any_store.write(batch("a.csv", [CUF, PAIX], [WORKS]))
    digests = any_store.source_digests()
    assert set(digests) == {"a.csv"} and digests == any_store.source_digests()
    any_store.write(batch("a.csv", [CUF, PAIX, DD], [WORKS, WORKS_DD], contributor="bob"))
    any_store.write(batch("b.csv", [NANTERRE]))
    seen = state(any_store)
    with pytest.raises(ConcurrentChange) as raised:
        any_store.replace_sources(
            [batch("a.csv", [CUF]), batch("b.csv", [NANTERRE, PAIX])],
            expected={"a.csv": digests["a.csv"], "b.csv": digests.get("b.csv")},
        )
    assert raised.value.sources == ["a.csv", "b.csv"]
    assert state(any_store) == seen
    fresh = any_store.source_digests()
    assert fresh["a.csv"] != digests["a.csv"]
    [result] = any_store.replace_sources([batch("a.csv", [CUF])], expected={"a.csv": fresh["a.csv"]})
    assert not result.unchanged and any_store.get("theme:developpement-durable") is None


def test_write_stream_gives_the_graph_write_gives(any_streaming_store, tmp_path):
    records = [
        NodeRecord(CUF, "s:2"),
        RelationRecord(WORKS, "s:3"),
        NodeRecord(PAIX, "s:4"),
        NodeRecord(CUF_BIS, "s:5"),
    ]
    source = Source("s.csv", "test", "alice", "2026-01-01T00:00:00+00:00")
    result = any_streaming_store.write_stream(source, iter(records), chunk_size=2)
    assert (result.nodes, result.relations, result.unchanged) == (3, 1, False)
    reference = open_store(str(tmp_path / "reference.db"))
    reference.write(
        Batch(
            source,
            [r for r in records if isinstance(r, NodeRecord)],
            [r for r in records if isinstance(r, RelationRecord)],
        )
    )
    assert any_streaming_store.nodes() == reference.nodes() and any_streaming_store.relations() == reference.relations()
    assert any_streaming_store.node_claims("association:cuf") == reference.node_claims("association:cuf")
    assert any_streaming_store.write_stream(source, iter(records), chunk_size=2).unchanged
    reference.close()


def test_a_stream_digest_given_as_a_function_is_asked_for_once_and_spares_reading_an_unchanged_source(
    any_streaming_store,
):
    source = Source("s.csv", "test", "alice", "2026-01-01T00:00:00+00:00")
    read, asked = [], []

    def records():
        for record in (NodeRecord(CUF, "s:2"), NodeRecord(PAIX, "s:3")):
            read.append(record.place)
            yield record

    def digest():
        asked.append(len(read))
        return "digest of s.csv"

    assert not any_streaming_store.write_stream(source, records(), digest).unchanged
    assert len(asked) == 1 and any_streaming_store.source_digests()["s.csv"] == "digest of s.csv"
    read.clear()
    assert any_streaming_store.write_stream(source, records(), digest).unchanged
    # A source already stored: the digest is asked for before anything is read, and nothing is.
    assert asked[1:] == [0] and read == []


def test_a_stream_naming_a_node_or_relation_again_in_a_later_chunk_keeps_the_later_record(
    any_streaming_store, tmp_path
):
    renamed = Node("association:cuf", "Association", "CUF renommée", ("Cités Unies",), {"category": "réseau"})
    works_again = Relation("association:cuf", "WORKS_ON", "theme:paix", "", {"note": "atelier 2009"})
    records = [
        NodeRecord(CUF, "s:2"),
        NodeRecord(PAIX, "s:3"),
        NodeRecord(DD, "s:4"),
        RelationRecord(WORKS, "s:5"),
        RelationRecord(WORKS_DD, "s:6"),
        NodeRecord(renamed, "s:7"),
        RelationRecord(works_again, "s:8"),
    ]
    source = Source("s.csv", "test", "alice", "2026-01-01T00:00:00+00:00")
    any_streaming_store.write_stream(source, iter(records), chunk_size=2)
    reference = open_store(str(tmp_path / "reference.db"))
    reference.write(
        Batch(
            source,
            [NodeRecord(renamed, "s:7"), NodeRecord(PAIX, "s:3"), NodeRecord(DD, "s:4")],
            [RelationRecord(works_again, "s:8"), RelationRecord(WORKS_DD, "s:6")],
        )
    )
    assert any_streaming_store.get("association:cuf") == renamed
    assert any_streaming_store.nodes() == reference.nodes() and any_streaming_store.relations() == reference.relations()
    assert [c.place for c in any_streaming_store.node_claims("association:cuf")] == ["s:7"]
    assert any_streaming_store.relation_claims("theme:paix") == reference.relation_claims("theme:paix")
    assert [(c.relation.attrs, c.place) for c in any_streaming_store.relation_claims("theme:paix")] == [
        ({"note": "atelier 2009"}, "s:8")
    ]
    assert any_streaming_store.find("Cités Unies France") == []
    reference.close()


def test_a_failed_stream_leaves_the_store_as_it_was(any_streaming_store):
    any_streaming_store.write(batch("a.csv", [CUF, PAIX], [WORKS]))
    before = state(any_streaming_store)
    source = Source("s.csv", "test", "alice")
    dangling = Relation("association:cuf", "WORKS_ON", "theme:nowhere")
    with pytest.raises(LoadError) as raised:
        any_streaming_store.write_stream(source, iter([NodeRecord(DD, "s:2"), RelationRecord(dangling, "s:3")]))
    assert [problem.file for problem in raised.value.problems] == ["s:3"]
    clash = Node("association:cuf", "Collectivite", "Cités Unies France")
    with pytest.raises(LoadError) as raised:
        any_streaming_store.write_stream(source, iter([NodeRecord(DD, "s:2"), NodeRecord(clash, "s:3")]))
    assert [(problem.file, problem.column) for problem in raised.value.problems] == [("s:3", "kind")]

    def failing():
        yield NodeRecord(DD, "s:2")
        raise LoadError([], "the file ends badly")

    with pytest.raises(LoadError, match="ends badly"):
        any_streaming_store.write_stream(source, failing())
    assert state(any_streaming_store) == before


# --------------------------------------------------------------------------- subgraphs


def test_subgraph_reads(any_store, demo_path):
    [demo] = read_sources([demo_path], None, "test")
    any_store.write(demo)
    whole = any_store.to_networkx()
    assert whole.number_of_nodes() == 60 and whole.number_of_edges() == 191
    themes = any_store.to_networkx(kinds=["Theme"])
    assert {d["kind"] for _, d in themes.nodes(data=True)} == {"Theme"}
    two_kinds = any_store.to_networkx(kinds=["Theme", "Collectivite", "NoSuchKind"])
    chosen = {n for n, d in whole.nodes(data=True) if d["kind"] in ("Theme", "Collectivite")}
    assert set(two_kinds.nodes) == chosen
    assert sorted(two_kinds.edges(keys=True)) == sorted(whole.subgraph(chosen).edges(keys=True))
    assert any_store.to_networkx(kinds=["NoSuchKind"]).number_of_nodes() == 0
    # The Neo4j store's own label is not a kind either.
    assert any_store.to_networkx(kinds=["Node"]).number_of_nodes() == 0
    assert any_store.nodes(kind="NoSuchKind") == []
    assert [node.id for node in any_store.nodes(kind="Theme")] == sorted(themes.nodes)
    near = any_store.neighbourhood(["collectivite:dep-93"], 1)
    assert "collectivite:dep-93" in near and len(near) > 1
    assert near < any_store.neighbourhood(["collectivite:dep-93"], 2)
    assert any_store.neighbourhood(["nobody:here"], 2) == set()
    ego = any_store.to_networkx(node_ids=near)
    assert set(ego.nodes) == near
    assert all(u in near and v in near for u, v in ego.edges())
    assert ego.number_of_edges() == sum(1 for u, v in whole.edges() if u in near and v in near)
    node = ego.nodes["collectivite:dep-93"]
    assert node["kind"] == "Collectivite" and "CG93" in node["aliases"] and node["insee_code"] == "93"
    assert sorted(ego.edges(keys=True)) == sorted(whole.subgraph(near).edges(keys=True))
    assert all(ego.edges[edge] == whole.edges[edge] for edge in ego.edges(keys=True))
    assert any_store.to_networkx(kinds=["Node"], node_ids=near).number_of_nodes() == 0
    mixed = any_store.to_networkx(kinds=["Association"], node_ids=near)
    assert set(mixed.nodes) == {n for n in near if whole.nodes[n]["kind"] == "Association"}
    assert sorted(mixed.edges(keys=True)) == sorted(whole.subgraph(set(mixed.nodes)).edges(keys=True))


# --------------------------------------------------------------------------- documents


def test_documents_keep_their_first_order_and_their_latest_value(any_store):
    assert any_store.get_document("merges", "m1") is None
    any_store.put_document("merges", "m1", {"into": "association:cuf", "ids": ["a", "b"]})
    any_store.put_document("merges", "m2", {"into": "theme:paix"})
    any_store.put_document("snapshots", "s1", {"nodes": 3})
    any_store.put_document("merges", "m1", {"into": "association:cuf-bis", "note": "é « ok »"})
    assert any_store.get_document("merges", "m1") == {"into": "association:cuf-bis", "note": "é « ok »"}
    assert [key for key, _ in any_store.documents("merges")] == ["m1", "m2"]
    any_store.delete_document("merges", "m1")
    any_store.delete_document("merges", "never")
    assert any_store.documents("merges") == [("m2", {"into": "theme:paix"})]
    assert any_store.documents("snapshots") == [("s1", {"nodes": 3})]


# --------------------------------------------------------------------------- the same answers on both stores


@pytest.mark.neo4j
def test_both_stores_derive_the_same_graph_from_the_same_loads(neo4j_store, sqlite_store, demo_path):
    [demo] = read_sources([demo_path], None, "test")
    loads = [
        demo,
        batch("a.csv", [CUF, PAIX, DD], [WORKS, WORKS_DD]),
        batch("b.csv", [Node("association:cuf", "Association", "CUF"), NANTERRE], [NANTERRE_WORKS], authoritative=True),
        batch("a.csv", [CUF, PAIX], [WORKS]),
    ]
    for store in (neo4j_store, sqlite_store):
        for load in loads:
            store.write(load)
        store.unload("b.csv")
    assert state(neo4j_store) == state(sqlite_store)
    for node in sqlite_store.nodes():
        assert neo4j_store.node_claims(node.id) == sqlite_store.node_claims(node.id)
        assert neo4j_store.relation_claims(node.id) == sqlite_store.relation_claims(node.id)
    for graph_a, graph_b in ((neo4j_store.to_networkx(), sqlite_store.to_networkx()),):
        assert list(graph_a.nodes(data=True)) == list(graph_b.nodes(data=True))
        assert list(graph_a.edges(keys=True, data=True)) == list(graph_b.edges(keys=True, data=True))


@pytest.fixture
def both_locations(neo4j_store, tmp_path):
    """A SQLite file and the clean Neo4j test database, as --store locations."""
    neo4j_store.close()
    return {"sqlite": str(tmp_path / "cli.db"), "neo4j": neo4j_store.location}


LOAD_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")


def _run(runner, location, *args):
    """The output of a successful command, load times blanked (two loads are never at the same second)."""
    result = runner.invoke(main, ["--store", location, "--contributor", "test", *args])
    assert result.exit_code == 0, result.output
    return LOAD_TIME.sub("<at>", result.output)


@pytest.mark.neo4j
def test_cli_commands_give_the_same_answers_on_both_stores(both_locations, runner, demo_path, tmp_path):
    outputs = {}
    for backend, location in both_locations.items():
        out = {}
        _run(runner, location, "init")
        out["load"] = _run(runner, location, "load", str(demo_path))
        out["reload"] = _run(runner, location, "load", str(demo_path))
        out["actors"] = _run(runner, location, "actors")
        out["actors-json"] = json.loads(
            _run(runner, location, "actors", "--kind", "Association", "--search", "seine", "--format", "json")
        )
        out["show"] = _run(runner, location, "show", "CG93")
        out["show-json"] = json.loads(_run(runner, location, "show", "Ritimo", "--format", "json"))
        for metric in ("degree", "betweenness", "pagerank"):
            out[f"centrality-{metric}"] = json.loads(
                _run(runner, location, "report", "centrality", "--metric", metric, "--top", "60", "--format", "json")
            )
        map_file = tmp_path / f"map-{backend}.html"
        said = _run(runner, location, "map", "-o", str(map_file))
        out["map"] = re.search(r"\((\d+) nodes, (\d+) relations\)", said).groups()
        assert map_file.stat().st_size > 10_000
        outputs[backend] = out
    assert outputs["sqlite"]["load"] == "demo: 60 nodes, 191 relations loaded\n"
    assert outputs["sqlite"]["reload"] == "demo: unchanged (already loaded)\n"
    assert outputs["sqlite"]["map"] == ("60", "191")
    for key in outputs["sqlite"]:
        assert outputs["neo4j"][key] == outputs["sqlite"][key], key


@pytest.mark.neo4j
def test_push_and_pull_copy_the_graph_with_its_provenance(both_locations, runner, demo_path, tmp_path):
    sqlite, neo4j = both_locations["sqlite"], both_locations["neo4j"]
    _run(runner, sqlite, "load", str(demo_path))
    local = open_store(sqlite)
    local.write(batch("a.csv", [CUF, PAIX, DD], [WORKS, WORKS_DD], contributor="bob"))
    local.write(batch("register", [Node("association:cuf", "Association", "CUF officielle")], authoritative=True))
    expected = state(local)
    local.close()
    _run(runner, sqlite, "snapshot", "copil")
    with open_store(sqlite) as local:
        records = local.documents("snapshots")
        events = local.documents("events")
    assert len(records) == 1 and events

    said = _run(runner, sqlite, "push", "--to", neo4j)
    assert f"copied 3 sources from {sqlite} to {neo4j} (0 unchanged); {len(events) + 1} records of merges" in said
    said = _run(runner, sqlite, "push", "--to", neo4j)
    assert (
        f"copied 0 sources (3 unchanged); 0 records of merges, history and snapshots ({len(events) + 1} unchanged)"
        in said.replace(f" from {sqlite} to {neo4j}", "")
    )

    back = str(tmp_path / "back.db")
    _run(runner, back, "pull", "--from", neo4j)
    with open_store(neo4j) as remote:
        assert state(remote) == expected
        assert remote.documents("snapshots") == records
        assert remote.documents("events") == events
    pulled = open_store(back)
    assert state(pulled) == expected
    assert pulled.documents("snapshots") == records
    pulled.close()


def test_push_copies_merges_history_and_snapshots(invoke, demo_path, tmp_path):
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "actors.csv").write_text(
        "kind,name,aliases\nCollectivite,Département de la Seine-Saint-Denis,CD 93\n", encoding="utf-8"
    )
    (extra / "relations.csv").write_text("source,type,target\nCD 93,WORKS_ON,Développement durable\n", encoding="utf-8")
    for args in (
        ["load", str(demo_path)],
        ["load", str(extra)],
        ["snapshot", "copil"],
        ["merge", "collectivite:dep-93", "CD 93"],
    ):
        assert invoke(*args).exit_code == 0
    target = str(tmp_path / "shared.db")
    first = invoke("push", "--to", target)
    assert first.exit_code == 0, first.output
    origin = open_store(str(invoke.store))
    records = {
        collection: origin.documents(collection) for collection in ("merges", "redirects", "events", "snapshots")
    }
    origin.close()
    assert all(records.values())
    assert f"{sum(map(len, records.values()))} records of merges, history and snapshots (0 unchanged)" in first.output
    second = invoke("push", "--to", target)
    assert "0 records of merges, history and snapshots" in second.output

    history = invoke("history", "CG93", store_location=target)
    assert (
        history.exit_code == 0
        and "merged collectivite:departement-de-la-seine-saint-denis into collectivite:dep-93" in history.output
    )
    diff = invoke("diff", "copil", "--format", "json", store_location=target)
    assert diff.exit_code == 0, diff.output
    assert "collectivite:departement-de-la-seine-saint-denis" in diff.output
    unmerged = invoke("unmerge", "CD 93", store_location=target)
    assert unmerged.exit_code == 0, unmerged.output
    copy = open_store(target)
    assert copy.get("collectivite:departement-de-la-seine-saint-denis") is not None
    copy.close()


def test_push_keeps_a_record_the_destination_holds_with_other_content(invoke, demo_path, tmp_path):
    target = str(tmp_path / "shared.db")
    for args in (["load", str(demo_path)], ["snapshot", "copil"]):
        assert invoke(*args).exit_code == 0
        assert invoke(*args, store_location=target).exit_code == 0
    (tmp_path / "actors.csv").write_text("kind,name\nTheme,Eau et assainissement\n", encoding="utf-8")
    assert invoke("load", str(tmp_path / "actors.csv")).exit_code == 0
    assert invoke("snapshot", "copil", "--replace").exit_code == 0
    result = invoke("push", "--to", target)
    assert result.exit_code == 0, result.output
    assert f"notice: snapshots 'copil' already exists in {target} with other content; kept as it was" in result.output
    origin, copy = open_store(str(invoke.store)), open_store(target)
    assert copy.get_document("snapshots", "copil") != origin.get_document("snapshots", "copil")
    origin.close()
    copy.close()


def test_push_between_two_sqlite_files(invoke, demo_path, tmp_path):
    assert invoke("load", str(demo_path)).exit_code == 0
    target = str(tmp_path / "target.db")
    first = invoke("push", "--to", target)
    assert first.exit_code == 0 and "copied 1 source" in first.output
    second = invoke("push", "--to", target)
    assert second.exit_code == 0 and "copied 0 sources" in second.output and "(1 unchanged)" in second.output
    origin, copy = open_store(str(invoke.store)), open_store(target)
    assert state(copy) == state(origin)
    origin.close()
    copy.close()
