"""The embedded store: claims, derived graph, transactions."""

from __future__ import annotations

from pathlib import Path

import pytest
from maillage.graph.errors import AmbiguousReference, LoadError, UnknownReference
from maillage.graph.model import Batch, Node, NodeRecord, Relation, RelationRecord, Source
from maillage.graph.store import open_store
from maillage.graph.store.base import resolve_one


def batch(name, nodes=(), relations=(), authoritative=False, contributor="alice"):
    return Batch(
        Source(name, "test", contributor, authoritative=authoritative),
        [NodeRecord(node, f"{name}:{i + 2}") for i, node in enumerate(nodes)],
        [RelationRecord(rel, f"{name}:{i + 2}") for i, rel in enumerate(relations)],
    )


CUF = Node("association:cuf", "Association", "Cités Unies France", ("CUF",), {"category": "réseau"})
PAIX = Node("theme:paix", "Theme", "Initiatives de paix")
WORKS = Relation("association:cuf", "WORKS_ON", "theme:paix", "", {"note": "atelier 2008"})


def test_write_then_read_back_with_provenance(sqlite_store):
    result = sqlite_store.write(batch("a.csv", [CUF, PAIX], [WORKS]))
    assert (result.nodes, result.relations, result.unchanged) == (2, 1, False)
    assert sqlite_store.get("association:cuf") == CUF
    assert sqlite_store.relations() == [WORKS]
    [claim] = sqlite_store.node_claims("association:cuf")
    assert (claim.source, claim.place, claim.contributor) == ("a.csv", "a.csv:2", "alice")
    [relation_claim] = sqlite_store.relation_claims("theme:paix")
    assert relation_claim.relation == WORKS and relation_claim.place == "a.csv:2"


def test_lookup_by_id_name_alias_folded(sqlite_store):
    sqlite_store.write(batch("a.csv", [CUF, PAIX]))
    for reference in ("association:cuf", "cités unies france", "CITES UNIES-FRANCE", " cuf "):
        assert [n.id for n in sqlite_store.find(reference)] == ["association:cuf"]
    with pytest.raises(UnknownReference):
        resolve_one("Oxfam", sqlite_store.find("Oxfam"))


def test_ambiguous_lookup_lists_candidates(sqlite_store):
    other = Node("association:cuf-bis", "Association", "Coopération Urbaine Française", ("CUF",))
    sqlite_store.write(batch("a.csv", [CUF, other]))
    with pytest.raises(AmbiguousReference) as caught:
        resolve_one("CUF", sqlite_store.find("CUF"))
    assert [c[0] for c in caught.value.candidates] == ["association:cuf", "association:cuf-bis"]


def test_same_content_twice_is_a_no_op(sqlite_store):
    sqlite_store.write(batch("a.csv", [CUF, PAIX], [WORKS]))
    sources = sqlite_store.sources()
    assert sqlite_store.write(batch("a.csv", [CUF, PAIX], [WORKS], contributor="bob")).unchanged
    assert sqlite_store.sources() == sources


def test_a_new_version_of_a_source_replaces_the_old_one(sqlite_store):
    sqlite_store.write(batch("a.csv", [CUF, PAIX], [WORKS]))
    sqlite_store.write(batch("a.csv", [CUF]))
    assert sqlite_store.get("theme:paix") is None
    assert sqlite_store.relations() == []


def test_relation_to_unknown_node_rolls_back_everything(sqlite_store):
    sqlite_store.write(batch("a.csv", [CUF]))
    dump = list(sqlite_store.dump())
    bad = Relation("association:cuf", "WORKS_ON", "theme:nowhere")
    with pytest.raises(LoadError) as caught:
        sqlite_store.write(batch("b.csv", [PAIX], [bad]))
    assert "theme:nowhere" in str(caught.value.problems[0])
    assert list(sqlite_store.dump()) == dump
    assert sqlite_store.get("theme:paix") is None


def test_kind_clash_with_the_store_is_refused(sqlite_store):
    sqlite_store.write(batch("a.csv", [CUF]))
    with pytest.raises(LoadError, match="1 problem"):
        sqlite_store.write(batch("b.csv", [Node("association:cuf", "Theme", "CUF")]))


def test_latest_load_wins_unless_a_source_is_authoritative(sqlite_store):
    official = Node("association:cuf", "Association", "Cités Unies France", (), {"siret": "77568479800041"})
    sqlite_store.write(batch("registre", [official], authoritative=True))
    sqlite_store.write(
        batch(
            "tableur",
            [
                Node(
                    "association:cuf", "Association", "CUF Paris", (), {"siret": "35600000000048", "category": "réseau"}
                )
            ],
        )
    )
    node = sqlite_store.get("association:cuf")
    assert node.attrs == {"siret": "77568479800041", "category": "réseau"}
    assert node.name == "Cités Unies France" and "CUF Paris" in node.aliases
    assert len(sqlite_store.node_claims("association:cuf")) == 2


def test_unload_keeps_what_other_sources_also_assert(sqlite_store):
    sqlite_store.write(batch("a.csv", [CUF, PAIX], [WORKS]))
    sqlite_store.write(batch("b.csv", [PAIX]))
    sqlite_store.unload("a.csv")
    assert sqlite_store.get("association:cuf") is None
    assert sqlite_store.get("theme:paix") is not None
    assert sqlite_store.relations() == []
    assert [s.name for s in sqlite_store.sources()] == ["b.csv"]


def test_relation_comes_back_when_its_end_is_reloaded(sqlite_store):
    sqlite_store.write(batch("nodes.csv", [CUF, PAIX]))
    sqlite_store.write(batch("links.csv", [], [WORKS]))
    sqlite_store.unload("nodes.csv")
    assert sqlite_store.relations() == []
    sqlite_store.write(batch("nodes.csv", [CUF, PAIX]))
    assert sqlite_store.relations() == [WORKS]


def test_subgraph_reads(sqlite_store, demo_path):
    from maillage.loaders import read_sources

    [demo] = read_sources([demo_path], sqlite_store.find, "test")
    sqlite_store.write(demo)
    whole = sqlite_store.to_networkx()
    assert whole.number_of_nodes() == len(sqlite_store.nodes())
    assert whole.number_of_edges() == len(sqlite_store.relations())
    themes = sqlite_store.to_networkx(kinds=["Theme"])
    assert {d["kind"] for _, d in themes.nodes(data=True)} == {"Theme"}
    around = sqlite_store.neighbourhood(["collectivite:com-93064"], 1)
    expected = (
        {"collectivite:com-93064"}
        | set(whole.successors("collectivite:com-93064"))
        | set(whole.predecessors("collectivite:com-93064"))
    )
    assert around == expected
    ego = sqlite_store.to_networkx(node_ids=around)
    assert set(ego.nodes) == around
    assert all(u in around and v in around for u, v in ego.edges())


def test_a_corrupt_file_is_a_clean_error(tmp_path):
    from maillage.graph.errors import StoreUnavailable
    from maillage.graph.store import open_store

    path = tmp_path / "not-a-store.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreUnavailable, match=r"not-a-store\.db"):
        open_store(str(path))


def test_the_graph_read_from_the_store_is_the_one_its_nodes_and_relations_build(invoke, demo_path):
    import networkx as nx
    from maillage.graph.store.base import build_networkx

    samples = Path(__file__).resolve().parent.parent / "data" / "samples"
    assert invoke("load", str(demo_path)).exit_code == 0
    registers = [
        samples / name
        for name in ("v_region_2024.csv", "v_departement_2024.csv", "v_commune_2024.csv", "rna_waldec_20241001.zip")
    ]
    assert invoke("load", *map(str, registers)).exit_code == 0
    store = open_store(str(invoke.store))
    try:
        # A relation to a node the read leaves out is left out too.
        for kinds, node_ids in (
            (None, None),
            (["Association", "Collectivite"], None),
            (None, store.neighbourhood(["collectivite:dep-93"], 2)),
        ):
            read = store.to_networkx(kinds=kinds, node_ids=node_ids)
            nodes = [
                n for n in store.nodes() if (not kinds or n.kind in kinds) and (node_ids is None or n.id in node_ids)
            ]
            built = build_networkx(nodes, store.relations())
            assert nx.utils.graphs_equal(read, built)
            # The same order everywhere: analyses that walk the graph give the same results.
            assert list(read.nodes(data=True)) == list(built.nodes(data=True))
            assert list(read.edges(keys=True, data=True)) == list(built.edges(keys=True, data=True))
            assert all(list(read.pred[n]) == list(built.pred[n]) for n in built)
            assert any(key.startswith("TAKES_PART_IN:") for _, _, key in read.edges(keys=True)) or kinds
    finally:
        store.close()
