"""Provenance, conflicts, duplicates, merges, history and snapshots, through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from maillage.graph.duplicates import territory_key
from maillage.graph.model import Batch
from maillage.graph.store import open_store

SSD_ACTORS = """kind,name,aliases,level,insee_code
Collectivite,Conseil général du 93,,,
Collectivite,Conseil départemental de la Seine-Saint-Denis,,,
Collectivite,CG93,,,
Collectivite,Rosny-sous-Bois,,commune,93064
Association,Via le Monde,,,
Association,CRID,,,
Theme,Coopération décentralisée,,,
Project,Programme Aitec/CUF,,,
"""

SSD_RELATIONS = """source,type,target,role,note
Conseil général du 93,TAKES_PART_IN,Programme Aitec/CUF,participant,d'après la lettre 2009
Conseil général du 93,WORKS_ON,Coopération décentralisée,,
Via le Monde,MEMBER_OF,Conseil départemental de la Seine-Saint-Denis,,service du Département
Conseil départemental de la Seine-Saint-Denis,WORKS_ON,Coopération décentralisée,,
CG93,PARTNERS_WITH,CRID,,
Rosny-sous-Bois,LOCATED_IN,CG93,,
CG93,TAKES_PART_IN,Programme Aitec/CUF,participant,
"""

SSD_IDS = {
    "collectivite:conseil-general-du-93",
    "collectivite:conseil-departemental-de-la-seine-saint-denis",
    "collectivite:cg93",
}


def write_workbook(folder: Path, actors: str, relations: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "actors.csv").write_text(actors, encoding="utf-8")
    (folder / "relations.csv").write_text(relations, encoding="utf-8")
    return folder


def ok(result):
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def ssd(tmp_path) -> Path:
    return write_workbook(tmp_path / "ssd", SSD_ACTORS, SSD_RELATIONS)


def test_three_names_of_seine_saint_denis_fold_to_departement_93():
    keys = {
        territory_key(name)
        for name in ("Conseil général du 93", "Conseil départemental de la Seine-Saint-Denis", "CG93")
    }
    assert keys == {("departement", "93")}
    assert territory_key("Conseil général du 92") == ("departement", "92")
    assert territory_key("CG 2A") == ("departement", "2A")
    assert territory_key("Ville de Nanterre") == territory_key("Mairie de Nanterre") == ("commune", "nanterre")


def test_dedupe_proposes_every_pair_of_the_three_names(invoke, ssd):
    ok(invoke("load", str(ssd), "--source", "ssd"))
    rows = json.loads(ok(invoke("dedupe", "--format", "json")).output)
    pairs = {frozenset((row["a"], row["b"])) for row in rows if row["score"] >= 0.9}
    assert {frozenset(p) for p in [SSD_IDS - {i} for i in SSD_IDS]} <= pairs
    evidence = next(
        row["evidence"]
        for row in rows
        if {row["a"], row["b"]} == {"collectivite:cg93", "collectivite:conseil-general-du-93"}
    )
    assert any("département 93" in line for line in evidence)
    assert not any("collectivite:com-93064" in (row["a"], row["b"]) for row in rows)


def test_merge_keeps_one_node_with_the_union_of_relations_and_unmerge_restores(invoke, ssd, graph_state):
    ok(invoke("load", str(ssd), "--source", "ssd"))
    before = graph_state(invoke.store)
    store = open_store(str(invoke.store))
    expected = set()
    for node_id in SSD_IDS:
        for relation in store.relations(node_id):
            expected.add(tuple("SSD" if end in SSD_IDS else end for end in relation.key))
    store.close()

    out = ok(invoke("merge", "Conseil départemental de la Seine-Saint-Denis", "Conseil général du 93", "CG93")).output
    assert "merged" in out
    store = open_store(str(invoke.store))
    kept = "collectivite:conseil-departemental-de-la-seine-saint-denis"
    assert [n.id for n in store.nodes("Collectivite")] == ["collectivite:com-93064", kept]
    node = store.get(kept)
    assert {"Conseil général du 93", "CG93"} <= set(node.aliases)
    relations = store.relations(kept)
    assert {tuple("SSD" if end == kept else end for end in r.key) for r in relations} == expected
    assert len(relations) == len(expected) == 5
    claims = [c for c in store.relation_claims(kept) if c.relation.type == "WORKS_ON"]
    assert len(claims) == 1 and " + " in claims[0].place
    participation = next(r for r in relations if r.type == "TAKES_PART_IN")
    assert participation.attrs["note"] == "d'après la lettre 2009"
    assert store.find("CG93")[0].id == kept
    store.close()

    ok(invoke("unmerge", "CG93"))
    assert graph_state(invoke.store) == before


def test_a_reload_naming_a_merged_actor_lands_on_the_kept_one(invoke, ssd, tmp_path):
    ok(invoke("load", str(ssd), "--source", "ssd"))
    ok(invoke("merge", "CG93", "Conseil général du 93", "Conseil départemental de la Seine-Saint-Denis"))
    ok(invoke("load", str(ssd), "--source", "copy"))
    store = open_store(str(invoke.store))
    assert [n.id for n in store.nodes("Collectivite")] == ["collectivite:cg93", "collectivite:com-93064"]
    assert len(store.relations("collectivite:cg93")) == 5
    assert {c.source for c in store.node_claims("collectivite:cg93")} == {"ssd", "copy"}
    store.close()


def test_unload_removes_only_what_the_source_alone_asserted(invoke, ssd, tmp_path):
    ok(invoke("load", str(ssd), "--source", "ssd"))
    extra = write_workbook(
        tmp_path / "extra",
        "kind,name\nAssociation,CRID\nAssociation,Ritimo\n",
        "source,type,target\nRitimo,PARTNERS_WITH,CRID\nCG93,PARTNERS_WITH,CRID\n",
    )
    ok(invoke("load", str(extra), "--source", "extra"))
    ok(invoke("unload", "extra"))
    store = open_store(str(invoke.store))
    assert store.get("association:ritimo") is None
    assert store.get("association:crid") is not None
    assert [c.source for c in store.node_claims("association:crid")] == ["ssd"]
    assert store.relations("association:crid")[0].key == ("collectivite:cg93", "PARTNERS_WITH", "association:crid", "")
    assert [c.source for c in store.relation_claims("association:crid")] == ["ssd"]
    assert [s.name for s in store.sources()] == ["ssd"]
    store.close()
    result = invoke("unload", "extra")
    assert result.exit_code == 2 and "no source named 'extra'" in result.output
    rows = json.loads(ok(invoke("history", "association:ritimo", "--format", "json")).output)
    assert [(r["action"], r["source"]) for r in rows] == [("load", "extra"), ("unload", "extra")]


def test_conflicts_follow_latest_load_unless_authoritative(invoke, tmp_path):
    first = write_workbook(
        tmp_path / "registre", "kind,name,website\nAssociation,CRID,https://crid.asso.fr\n", "source,type,target\n"
    )
    second = write_workbook(
        tmp_path / "tableur", "kind,name,website\nAssociation,CRID,http://www.crid.fr\n", "source,type,target\n"
    )
    ok(invoke("load", str(first), "--source", "registre"))
    ok(invoke("load", str(second), "--source", "tableur"))
    rows = json.loads(ok(invoke("conflicts", "--format", "json")).output)
    assert len(rows) == 1
    assert rows[0]["attribute"] == "website" and rows[0]["current"] == "http://www.crid.fr"
    assert [v["source"] for v in rows[0]["values"]] == ["registre", "tableur"]

    ok(invoke("sources", "--authoritative", "registre"))
    rows = json.loads(ok(invoke("conflicts", "--format", "json")).output)
    assert rows[0]["current"] == "https://crid.asso.fr"
    sources = json.loads(ok(invoke("sources", "--format", "json")).output)
    assert [(s["source"], s["authoritative"]) for s in sources] == [("registre", True), ("tableur", False)]
    shown = ok(invoke("show", "CRID")).output
    assert "website: https://crid.asso.fr    (registre registre/actors.csv:2, by test, " in shown
    assert "also http://www.crid.fr" in shown

    noted = write_workbook(
        tmp_path / "notes",
        "kind,name\nAssociation,CRID\nAssociation,Ritimo\n",
        "source,type,target,note\nRitimo,PARTNERS_WITH,CRID,depuis 2005\n",
    )
    renoted = write_workbook(
        tmp_path / "renotes",
        "kind,name\nAssociation,CRID\nAssociation,Ritimo\n",
        "source,type,target,note\nRitimo,PARTNERS_WITH,CRID,depuis 2007\n",
    )
    ok(invoke("load", str(noted), "--source", "notes"))
    ok(invoke("load", str(renoted), "--source", "renotes"))
    rows = json.loads(ok(invoke("conflicts", "--format", "json")).output)
    relation = next(r for r in rows if r["attribute"] == "note")
    assert relation["subject"] == "association:ritimo -PARTNERS_WITH-> association:crid"
    assert relation["current"] == "depuis 2007" and [v["value"] for v in relation["values"]] == [
        "depuis 2005",
        "depuis 2007",
    ]

    third = write_workbook(
        tmp_path / "autre", "kind,name,website\nAssociation,CRID,https://autre.example\n", "source,type,target\n"
    )
    ok(invoke("load", str(third), "--source", "autre", "--authoritative"))
    rows = json.loads(ok(invoke("conflicts", "--format", "json")).output)
    assert next(r for r in rows if r["attribute"] == "website")["current"] == "https://autre.example"


def test_show_cites_source_contributor_and_date_for_every_fact(invoke, ssd):
    ok(invoke("load", str(ssd), "--source", "ssd"))
    payload = json.loads(ok(invoke("show", "Rosny-sous-Bois", "--format", "json")).output)
    provenance = payload["provenance"]
    level = next(a for a in provenance["attributes"] if a["attribute"] == "level")
    assert level["asserted_by"][0]["source"] == "ssd"
    assert level["asserted_by"][0]["contributor"] == "test"
    assert level["asserted_by"][0]["place"] == "ssd/actors.csv:5"
    assert provenance["relations"][0]["asserted_by"][0]["place"] == "ssd/relations.csv:7"
    text = ok(invoke("show", "Rosny-sous-Bois")).output
    assert "-> LOCATED_IN -> CG93    (ssd ssd/relations.csv:7, by test, 20" in text


def test_show_cites_a_source_named_after_its_file_by_its_place_alone(invoke, demo_path):
    export = demo_path.parent / "samples" / "cooperation_decentralisee_export.csv"
    ok(invoke("load", str(export)))
    text = ok(invoke("show", "Rosny-sous-Bois")).output
    assert "(cooperation_decentralisee_export.csv:4, by test, 20" in text
    assert "cooperation_decentralisee_export.csv cooperation_decentralisee_export.csv" not in text


def test_history_lists_loads_and_merges_with_who(invoke, ssd, runner, tmp_path):
    ok(invoke("load", str(ssd), "--source", "ssd"))
    from maillage.cli import main

    result = runner.invoke(
        main, ["--store", str(invoke.store), "--contributor", "marie", "merge", "CG93", "Conseil général du 93"]
    )
    ok(result)
    rows = json.loads(ok(invoke("history", "CG93", "--format", "json")).output)
    assert [(r["action"], r["contributor"]) for r in rows] == [("load", "test"), ("merge", "marie")]
    assert any("ssd asserts collectivite:cg93" in line for line in rows[0]["what"])
    assert "collectivite:conseil-general-du-93" in rows[1]["what"][0]
    merged_away = json.loads(ok(invoke("history", "collectivite:conseil-general-du-93", "--format", "json")).output)
    assert [r["action"] for r in merged_away] == ["load", "merge"]
    ok(invoke("unmerge", "Conseil général du 93"))
    rows = json.loads(ok(invoke("history", "CG93", "--format", "json")).output)
    assert rows[-1]["action"] == "unmerge"


def test_diff_between_snapshots_around_a_load_reports_exactly_what_it_added(invoke, ssd, tmp_path):
    ok(invoke("load", str(ssd), "--source", "ssd"))
    ok(invoke("snapshot", "comite-mars"))
    extra = write_workbook(
        tmp_path / "extra",
        "kind,name\nAssociation,Ritimo\nTheme,Initiatives de paix\n",
        "source,type,target\nRitimo,PARTNERS_WITH,CRID\nRitimo,WORKS_ON,Initiatives de paix\nCRID,WORKS_ON,Initiatives de paix\n",
    )
    ok(invoke("load", str(extra), "--source", "extra"))
    ok(invoke("snapshot", "comite-juin"))
    changes = json.loads(ok(invoke("diff", "comite-mars", "comite-juin", "--format", "json")).output)
    assert [n["id"] for n in changes["added_nodes"]] == ["association:ritimo", "theme:initiatives-de-paix"]
    assert [(r["source"], r["type"], r["target"]) for r in changes["added_relations"]] == [
        ("association:crid", "WORKS_ON", "theme:initiatives-de-paix"),
        ("association:ritimo", "PARTNERS_WITH", "association:crid"),
        ("association:ritimo", "WORKS_ON", "theme:initiatives-de-paix"),
    ]
    assert changes["removed_nodes"] == changes["removed_relations"] == changes["changed_nodes"] == []
    assert changes["movers"] and changes["movers"][0]["change"] != 0
    assert "association:crid" in {m["id"] for m in changes["movers"]}
    same = json.loads(ok(invoke("diff", "comite-juin", "--format", "json")).output)
    assert same["added_nodes"] == same["added_relations"] == same["movers"] == []
    text = ok(invoke("diff", "comite-mars", "comite-juin")).output
    assert "Nodes added (2)" in text and "Relations added (3)" in text
    result = invoke("snapshot", "comite-juin")
    assert result.exit_code == 2 and "exists" in result.output


def test_unmerge_leaves_a_source_changed_since_the_merge(invoke, ssd, tmp_path):
    ok(invoke("load", str(ssd), "--source", "ssd"))
    ok(invoke("merge", "CG93", "Conseil général du 93"))
    changed = write_workbook(tmp_path / "ssd2", SSD_ACTORS + "Association,Ritimo,,,\n", SSD_RELATIONS)
    ok(invoke("load", str(changed), "--source", "ssd"))
    result = ok(invoke("unmerge", "CG93"))
    assert "ssd left as it is: changed since the merge" in result.output
    store = open_store(str(invoke.store))
    assert store.get("collectivite:conseil-general-du-93") is None
    store.close()
    again = invoke("unmerge", "CG93")
    assert again.exit_code == 2


def test_merge_refuses_nodes_of_different_kinds(invoke, ssd):
    ok(invoke("load", str(ssd), "--source", "ssd"))
    result = invoke("merge", "CG93", "CRID")
    assert result.exit_code == 2 and "(kind Association)" in result.output


def test_dedupe_never_proposes_two_actors_with_different_official_codes(invoke, tmp_path):
    (tmp_path / "actors.csv").write_text(
        "kind,name,level,insee_code\nCollectivite,Saint-Denis,commune,93066\nCollectivite,Saint-Denis,commune,97411\n"
        "Collectivite,Ville de Saint-Denis,commune,\n",
        encoding="utf-8",
    )
    ok(invoke("load", str(tmp_path / "actors.csv")))
    pairs = {frozenset((row["a"], row["b"])) for row in json.loads(ok(invoke("dedupe", "--format", "json")).output)}
    assert frozenset(("collectivite:com-93066", "collectivite:com-97411")) not in pairs
    assert frozenset(("collectivite:com-93066", "collectivite:ville-de-saint-denis")) in pairs


def test_merge_refuses_actors_with_different_official_codes_unless_forced(invoke, demo_path):
    ok(invoke("load", str(demo_path)))
    refused = invoke("merge", "Seine-Saint-Denis", "Nanterre")
    assert refused.exit_code == 2
    assert "different level (commune, departement)" in refused.output and "--force" in refused.output
    assert invoke("show", "Nanterre").exit_code == 0
    forced = ok(invoke("merge", "Seine-Saint-Denis", "Nanterre", "--force"))
    assert "merged collectivite:com-92050 into collectivite:dep-93" in forced.output
    shown = invoke("show", "collectivite:com-92050")
    assert shown.exit_code == 0
    assert shown.stderr == "notice: collectivite:com-92050 was merged into collectivite:dep-93 (Seine-Saint-Denis)\n"
    assert shown.stdout == invoke("show", "collectivite:dep-93").stdout


def load_with_redirects(store, path, source):
    """What 'maillage load' does: resolve with merged names known, redirect, write."""
    from maillage.graph.merge import apply_redirects, redirect_aware_lookup
    from maillage.loaders import read_sources

    for batch in read_sources([path], redirect_aware_lookup(store), "test", source_name=source):
        store.write(apply_redirects(store, batch))


def test_merge_unmerge_unload_conflicts_and_json_export_on_each_backend(any_store, ssd, tmp_path):
    from maillage.graph.duplicates import duplicates
    from maillage.graph.export import export_json, read_export
    from maillage.graph.history import diff, get_snapshot, snapshot
    from maillage.graph.merge import merge, unmerge
    from maillage.graph.provenance import conflicts, set_authoritative

    store = any_store
    load_with_redirects(store, ssd, "ssd")
    other = write_workbook(
        tmp_path / "other",
        "kind,name,website\nAssociation,CRID,https://crid.example\nAssociation,Ritimo,\n",
        "source,type,target\nRitimo,PARTNERS_WITH,CRID\n",
    )
    first = write_workbook(
        tmp_path / "first", "kind,name,website\nAssociation,CRID,https://old.example\n", "source,type,target\n"
    )
    load_with_redirects(store, first, "first")
    snapshot(store, "before", "test")
    load_with_redirects(store, other, "other")
    changes = diff(get_snapshot(store, "before"), get_snapshot(store, "now"))
    assert [n["id"] for n in changes["added_nodes"]] == ["association:ritimo"]
    assert [(c.subject, c.current) for c in conflicts(store)] == [("association:crid", "https://crid.example")]
    set_authoritative(store, "first", True, "test")
    assert store.get("association:crid").attrs["website"] == "https://old.example"
    assert [s.name for s in store.sources()] == ["ssd", "first", "other"]

    pairs = {frozenset((p.a, p.b)) for p in duplicates(store) if p.score >= 0.9}
    assert frozenset(("collectivite:cg93", "collectivite:conseil-general-du-93")) in pairs
    before = [
        (b.source, sorted(b.nodes, key=lambda r: r.node.id), sorted(b.relations, key=lambda r: r.relation.key))
        for b in store.dump()
    ]
    result = merge(store, "collectivite:cg93", sorted(SSD_IDS - {"collectivite:cg93"}), "test")
    assert result.sources == ("ssd",)
    assert [n.id for n in store.nodes("Collectivite")] == ["collectivite:cg93", "collectivite:com-93064"]
    assert len(store.relations("collectivite:cg93")) == 5
    load_with_redirects(store, ssd, "again")
    assert [n.id for n in store.nodes("Collectivite")] == ["collectivite:cg93", "collectivite:com-93064"]
    store.unload("again")
    unmerge(store, "CG93", "test")
    after = [
        (b.source, sorted(b.nodes, key=lambda r: r.node.id), sorted(b.relations, key=lambda r: r.relation.key))
        for b in store.dump()
    ]
    assert after == before

    exported = tmp_path / "graph.json"
    exported.write_text(export_json(store), encoding="utf-8")
    copy = open_store(str(tmp_path / "copy.db"))
    try:
        copy.replace_sources(read_export(exported))
        assert [(n.id, n.name, n.aliases, dict(n.attrs)) for n in copy.nodes()] == [
            (n.id, n.name, n.aliases, dict(n.attrs)) for n in store.nodes()
        ]
        assert [r.key for r in copy.relations()] == [r.key for r in store.relations()]
        assert [(s.name, s.authoritative) for s in copy.sources()] == [
            (s.name, s.authoritative) for s in store.sources()
        ]
    finally:
        copy.close()
    store.unload("other")
    assert store.get("association:ritimo") is None and store.get("association:crid") is not None


def _sorted_dump(store, name):
    batch = store.dump_source(name)
    return sorted(batch.nodes, key=lambda r: r.node.id), sorted(batch.relations, key=lambda r: r.relation.key)


def test_a_merge_records_only_what_its_sources_said_of_the_merged_nodes(sqlite_store, ssd):
    from maillage.graph.export import batch_to_dict
    from maillage.graph.merge import MERGES, merge, unmerge

    load_with_redirects(sqlite_store, ssd, "ssd")
    before = _sorted_dump(sqlite_store, "ssd")
    ids = sorted(SSD_IDS - {"collectivite:cg93"})
    result = merge(sqlite_store, "collectivite:cg93", ids, "alice")
    [entry] = sqlite_store.get_document(MERGES, result.id)["sources"]
    kept = {*SSD_IDS}
    assert {node["id"] for node in entry["touched"]["nodes"]} == kept
    assert all(relation["source"] in kept or relation["target"] in kept for relation in entry["touched"]["relations"])
    assert len(entry["touched"]["nodes"]) == 3 < len(before[0])
    unmerge(sqlite_store, result.id, "alice")
    assert _sorted_dump(sqlite_store, "ssd") == before

    # A merge recorded by an earlier maillage kept whole sources: it is undone all the same.
    result = merge(sqlite_store, "collectivite:cg93", ids, "alice")
    record = sqlite_store.get_document(MERGES, result.id)
    [entry] = record["sources"]
    del entry["touched"]
    entry["original"] = batch_to_dict(Batch(sqlite_store.dump_source("ssd").source, *before))
    sqlite_store.put_document(MERGES, result.id, record)
    unmerge(sqlite_store, result.id, "alice")
    assert _sorted_dump(sqlite_store, "ssd") == before


def test_unmerge_puts_a_source_back_as_it_was_dumped_so_reloading_it_changes_nothing(any_store):
    from maillage.graph.merge import merge, unmerge
    from maillage.graph.model import Node, NodeRecord, Relation, RelationRecord, Source

    # Records in the order the store dumps them (by id, then by relation key).
    nodes = [NodeRecord(Node(f"association:a{n}", "Association", f"Asso {n}"), f"s.csv:{n + 2}") for n in range(4)]
    relations = [
        RelationRecord(Relation("association:a0", "PARTNERS_WITH", "association:a3"), "s.csv:9"),
        RelationRecord(Relation("association:a1", "PARTNERS_WITH", "association:a2"), "s.csv:10"),
    ]
    source = Batch(Source("s.csv", "test", "alice"), nodes, relations)
    any_store.write(source)
    result = merge(any_store, "association:a0", ["association:a1"], "alice")
    unmerge(any_store, result.id, "alice")
    assert any_store.write(source).unchanged


class _SomeoneLoadsFirst:
    """A real store, with another user's load slipped in just before the next rewrite of
    sources begins: one interleaving of two users' commands, made certain."""

    def __init__(self, store, batch):
        self._store = store
        self._batch = batch

    def replace_sources(self, batches, expected=None):
        self._store.write(self._batch)
        return self._store.replace_sources(batches, expected)

    def __getattr__(self, name):
        return getattr(self._store, name)


def test_merge_unmerge_and_authoritative_never_overwrite_a_source_reloaded_meanwhile(any_store, ssd, tmp_path):
    from maillage.graph.errors import ConcurrentChange
    from maillage.graph.merge import MERGES, REDIRECTS, apply_redirects, merge, redirect_aware_lookup, unmerge
    from maillage.graph.provenance import set_authoritative
    from maillage.loaders import read_sources

    def bobs_load(folder):
        [batch] = read_sources([folder], redirect_aware_lookup(any_store), "bob", source_name="ssd")
        return apply_redirects(any_store, batch)

    load_with_redirects(any_store, ssd, "ssd")
    grown = write_workbook(
        tmp_path / "grown", SSD_ACTORS + "Association,Ritimo,,,\n", SSD_RELATIONS + "Ritimo,PARTNERS_WITH,CRID,,\n"
    )
    ids = sorted(SSD_IDS - {"collectivite:cg93"})
    racing = _SomeoneLoadsFirst(any_store, bobs_load(grown))
    with pytest.raises(ConcurrentChange) as raised:
        merge(racing, "collectivite:cg93", ids, "alice")
    assert raised.value.sources == ["ssd"] and "run it again" in str(raised.value)
    # Bob's load stands; the merge left nothing behind.
    assert any_store.get("association:ritimo") is not None
    assert all(any_store.get(node_id) is not None for node_id in ids)
    assert any_store.documents(MERGES) == [] and any_store.documents(REDIRECTS) == []

    merge(any_store, "collectivite:cg93", ids, "alice")
    shrunk = write_workbook(tmp_path / "shrunk", SSD_ACTORS, SSD_RELATIONS)
    before = any_store.dump_source("ssd")
    with pytest.raises(ConcurrentChange):
        unmerge(_SomeoneLoadsFirst(any_store, bobs_load(shrunk)), "collectivite:cg93", "alice")
    assert any_store.dump_source("ssd") != before and any_store.get("association:ritimo") is None
    assert any_store.get(ids[0]) is None and next(record for _, record in any_store.documents(MERGES))["undone"] is None

    with pytest.raises(ConcurrentChange):
        set_authoritative(_SomeoneLoadsFirst(any_store, bobs_load(grown)), "ssd", True, "alice")
    assert [(s.name, s.authoritative) for s in any_store.sources()] == [("ssd", False)]
    assert any_store.get("association:ritimo") is not None


def test_a_streamed_load_is_redirected_like_a_batch(sqlite_store, ssd, tmp_path):
    from maillage.graph.merge import apply_redirects, merge, redirect_aware_lookup, redirect_records
    from maillage.loaders import read_sources

    load_with_redirects(sqlite_store, ssd, "ssd")
    merge(sqlite_store, "collectivite:cg93", sorted(SSD_IDS - {"collectivite:cg93"}), "test")
    (raw,) = read_sources([ssd], redirect_aware_lookup(sqlite_store), "test", source_name="stream")
    as_batch = apply_redirects(sqlite_store, raw)
    streamed = list(redirect_records(sqlite_store, iter([*raw.nodes, *raw.relations])))
    streamed_nodes = [r for r in streamed if hasattr(r, "node")]
    assert sorted(streamed_nodes, key=lambda r: r.node.id) == sorted(as_batch.nodes, key=lambda r: r.node.id)
    assert {r.relation.key for r in streamed if hasattr(r, "relation")} == {r.relation.key for r in as_batch.relations}
    sqlite_store.write_stream(raw.source, iter(streamed))
    assert [n.id for n in sqlite_store.nodes("Collectivite")] == ["collectivite:cg93", "collectivite:com-93064"]
    assert {c.source for c in sqlite_store.relation_claims("collectivite:cg93")} == {"ssd", "stream"}


def test_reloading_an_unchanged_file_after_two_merges_into_other_sources_nodes_changes_nothing(invoke, tmp_path):
    # Each merge rewrites the file's source in the store's order (nodes by id); the
    # same file loaded again, redirected, comes in the file's order.
    first = tmp_path / "premier"
    first.mkdir()
    (first / "actors.csv").write_text("kind,name\nAssociation,Alpha\nAssociation,Beta\n", encoding="utf-8")
    second = tmp_path / "second"
    second.mkdir()
    (second / "actors.csv").write_text("kind,name\nAssociation,Zeta\nAssociation,Epsilon\n", encoding="utf-8")
    (second / "relations.csv").write_text("source,type,target\nZeta,PARTNERS_WITH,Epsilon\n", encoding="utf-8")
    assert invoke("load", str(first)).exit_code == 0
    assert invoke("load", str(second)).exit_code == 0
    assert invoke("merge", "Alpha", "Epsilon").exit_code == 0
    assert invoke("merge", "Beta", "Zeta").exit_code == 0
    again = invoke("load", str(second))
    assert again.exit_code == 0, again.output
    assert "unchanged" in again.output


def test_the_loaders_lookup_tells_at_once_which_ids_it_finds_as_themselves_and_their_nodes(any_store, ssd, tmp_path):
    from maillage.graph.merge import merge, redirect_aware_lookup

    load_with_redirects(any_store, ssd, "ssd")
    named_like_an_id = write_workbook(
        tmp_path / "odd", "kind,name\nCollectivite,collectivite:cg93\nAssociation,Ritimo\n", "source,type,target\n"
    )
    load_with_redirects(any_store, named_like_an_id, "odd")
    ids = sorted(SSD_IDS) + [
        "collectivite:com-93064",
        "collectivite:collectivite-cg93",
        "association:ritimo",
        "association:absent",
        "Conseil général du 93",
    ]

    def one_by_one(lookup):
        return {node_id for node_id in ids if any(node.id == node_id for node in lookup(node_id))}

    def nodes_one_by_one(lookup):
        return {
            node_id: next(node for node in lookup(node_id) if node.id == node_id)
            for node_id in ids
            if any(node.id == node_id for node in lookup(node_id))
        }

    lookup = redirect_aware_lookup(any_store)
    assert lookup.existing(ids) == one_by_one(lookup) == set(ids[:6])
    assert lookup.nodes(ids) == nodes_one_by_one(lookup)
    merge(any_store, "collectivite:cg93", ["collectivite:conseil-general-du-93", "collectivite:collectivite-cg93"], "t")
    merge(any_store, "association:crid", ["association:ritimo"], "t")
    lookup = redirect_aware_lookup(any_store)
    found = lookup.existing(ids)
    assert found == one_by_one(lookup)
    assert lookup.nodes(ids) == nodes_one_by_one(lookup) and set(lookup.nodes(ids)) == found
    # merged nodes are found as themselves (the load re-points them); the node merged into
    # is hidden from a reference naming a node merged into it
    assert {"collectivite:conseil-general-du-93", "association:ritimo"} <= found
    assert "collectivite:cg93" not in found and "collectivite:com-93064" in found
