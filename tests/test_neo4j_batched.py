"""Long streamed sources on Neo4j: written in bounded transactions under a pending load, published
at the end. Nothing of a load is visible before it is published, whether it is killed, fails, or
is read from another connection while it runs; the next load removes what a killed one left."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from maillage.cli import main
from maillage.graph.errors import LoadError, UsageError
from maillage.graph.model import Batch, Node, NodeRecord, Relation, RelationRecord, Source
from maillage.graph.store import open_store
from maillage.graph.store.neo4j import BATCH_RECORDS_VARIABLE, BatchedLoad, Neo4jStore
from maillage.loaders import open_sources
from maillage.loaders.loading import LoadOptions
from maillage.loaders.rna import WALDEC_COLUMNS

pytestmark = pytest.mark.neo4j

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
MAILLAGE = str(Path(sys.executable).with_name("maillage"))
COG = [str(SAMPLES / name) for name in ("v_region_2024.csv", "v_departement_2024.csv", "v_commune_2024.csv")]
COMMUNES = ["93064", "93048", "93008", "93010", "93055", "93066", "92050", "92026", "75056", "2A004"]
ROSNY = "collectivite:com-93064"


def waldec(path: Path, rows: int, renamed: int = 0, bad_last_row: bool = False) -> Path:
    """An ``rna_waldec`` extract of ``rows`` active associations in the sample's communes; the first
    ``renamed`` get another title. With ``bad_last_row`` the last row's id is not an RNA id (the row
    cannot be an actor, so the load fails)."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(WALDEC_COLUMNS)
        for n in range(rows):
            code = COMMUNES[n % len(COMMUNES)]
            title = f"{'NOUVEAU NOM ' if n < renamed else ''}ASSOCIATION NUMÉRO {n} DE {code}"
            cells = {
                "id": "W93-BAD" if bad_last_row and n == rows - 1 else f"W93{n:07d}",
                "gestion": "932P",
                "date_creat": "2012-03-14",
                "date_decla": "2012-03-14",
                "date_publi": "2012-03-31",
                "date_disso": "0001-01-01",
                "nature": "D",
                "groupement": "S",
                "titre": title,
                "objet": "échanges et solidarité internationale",
                "objet_social1": "019000",
                "adrs_codeinsee": code,
                "adrs_codepostal": "93110",
                "adrs_libcommune": "Commune",
                "adrg_pays": "FRANCE",
                "dir_civilite": "PM",
                "publiweb": "0",
                "position": "A",
                "maj_time": "2024-09-12 10:15:42",
            }
            writer.writerow([cells.get(column, "") for column in WALDEC_COLUMNS])
    return path


def cli(uri: str, *args: str):
    result = CliRunner().invoke(main, ["--store", uri, "--contributor", "test", *args])
    assert result.exit_code == 0, result.output
    return result.output


def pending(store: Neo4jStore) -> dict[str, int]:
    """What pending loads hold in the database, read directly."""
    return store.query(
        "RETURN COUNT { MATCH (p:PendingLoad) } AS loads, COUNT { MATCH (n:Node) WHERE n.load IS NOT NULL } AS nodes, "
        "COUNT { MATCH (c:StagedNodeClaim) } + COUNT { MATCH (c:StagedRelationClaim) } AS staged, "
        "COUNT { MATCH (n:Node) WHERE n.retired IS NOT NULL } AS retired"
    )[0].data()


def everything(store: Neo4jStore, probes: list[str], references: list[str]) -> tuple:
    """What every read of the store gives: the graph, claims, sources, dumps, lookups, subgraphs."""
    graph = store.to_networkx()
    around = store.to_networkx(node_ids=probes)
    return (
        store.nodes(),
        store.nodes(kind="Association"),
        store.nodes(search="numéro"),
        store.relations(),
        sorted(store.counts().items()),
        store.sources(),
        store.source_digests(),
        list(store.dump()),
        [(store.get(i), store.node_claims(i), store.relation_claims(i), store.relations(i)) for i in probes],
        [store.find(reference) for reference in references],
        sorted(store.neighbourhood(probes, 2)),
        sorted(graph.nodes(data="name")),
        sorted(graph.edges(keys=True)),
        sorted(around.nodes(data="name")),
        sorted(around.edges(keys=True)),
    )


def cli_reads(uri: str) -> tuple:
    return (
        cli(uri, "actors"),
        cli(uri, "actors", "--kind", "Association"),
        cli(uri, "show", ROSNY),
        cli(uri, "report", "centrality", "--format", "csv"),
    )


def test_a_load_killed_between_batches_shows_nothing_and_the_next_load_removes_it(
    neo4j_store, neo4j_uri, tmp_path, graph_state
):
    cli(neo4j_uri, "load", *COG)
    cli(neo4j_uri, "load", str(waldec(tmp_path / "rna_waldec_20241001_dpt_93.csv", 40)))
    probes = [ROSNY, "association:rna-W930000001", "association:rna-W930000999"]
    references = [
        "ASSOCIATION NUMÉRO 1 DE 93048",
        "NOUVEAU NOM ASSOCIATION NUMÉRO 1 DE 93048",
        "ASSOCIATION NUMÉRO 999 DE 93048",
    ]
    before, reads_before = everything(neo4j_store, probes, references), cli_reads(neo4j_uri)
    # Next month's extract: the first rows renamed, many new associations. The forty associations
    # only this source names are written again beside their old form, which is retired.
    extract = waldec(tmp_path / "rna_waldec_20241101_dpt_93.csv", 6000, renamed=20)
    env = {**os.environ, BATCH_RECORDS_VARIABLE: "200"}
    command = [MAILLAGE, "--store", neo4j_uri, "--contributor", "test", "load", str(extract)]
    load = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen = {"nodes": 0}
    while load.poll() is None and seen["nodes"] < 1000:
        seen = pending(neo4j_store)
    load.send_signal(signal.SIGKILL)
    load.wait()
    assert load.returncode == -signal.SIGKILL, "the load ended before it could be killed"
    left = pending(neo4j_store)
    assert left["loads"] == 1 and left["nodes"] >= 1000 and left["retired"] == 40
    assert everything(neo4j_store, probes, references) == before
    with Neo4jStore(neo4j_uri) as other:
        assert everything(other, probes, references) == before
    assert cli_reads(neo4j_uri) == reads_before

    again = subprocess.run(command, env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert "6000 nodes, 6000 relations loaded from 6000 rows" in again.stdout
    assert pending(neo4j_store) == {"loads": 0, "nodes": 0, "staged": 0, "retired": 0}
    assert neo4j_store.get("association:rna-W930000001").name == "NOUVEAU NOM ASSOCIATION NUMÉRO 1 DE 93048"
    assert neo4j_store.duplicates() == {"nodes": 0, "relations": 0}
    reference = tmp_path / "reference.db"
    for paths in (COG, [str(tmp_path / "rna_waldec_20241001_dpt_93.csv")], [str(extract)]):
        cli(str(reference), "load", *paths)
    ours, theirs = graph_state(neo4j_uri), graph_state(reference)
    assert ours[:2] == theirs[:2]
    # The sources were loaded at other times: compare what they assert.
    assert [(source.name, nodes, relations) for source, nodes, relations in ours[2]] == [
        (source.name, nodes, relations) for source, nodes, relations in theirs[2]
    ]


def test_a_load_failing_after_some_batches_shows_nothing_and_leaves_nothing(
    neo4j_store, neo4j_uri, tmp_path, monkeypatch
):
    cli(neo4j_uri, "load", *COG)
    probes = [ROSNY, "association:rna-W930000001"]
    before = everything(neo4j_store, probes, ["ASSOCIATION NUMÉRO 1 DE 93048"])
    committed = []
    write_nodes = BatchedLoad.write_nodes

    def watched(self, writer, nodes):
        # Seen from another connection: how many nodes the load's committed batches hold.
        committed.append(pending(neo4j_store)["nodes"])
        return write_nodes(self, writer, nodes)

    monkeypatch.setattr(BatchedLoad, "write_nodes", watched)
    monkeypatch.setenv(BATCH_RECORDS_VARIABLE, "100")
    extract = waldec(tmp_path / "rna_waldec_20241101_dpt_93.csv", 1000, bad_last_row=True)
    result = CliRunner().invoke(main, ["--store", neo4j_uri, "--contributor", "test", "load", str(extract)])
    assert result.exit_code == 1, result.output
    assert "rna_waldec_20241101_dpt_93.csv:1001: column 'id': 'W93-BAD' is not an RNA id" in result.output
    assert max(committed) >= 900
    assert pending(neo4j_store) == {"loads": 0, "nodes": 0, "staged": 0, "retired": 0}
    assert everything(neo4j_store, probes, ["ASSOCIATION NUMÉRO 1 DE 93048"]) == before


def records_of(*batches: Batch) -> list:
    return [record for batch in batches for record in (*batch.nodes, *batch.relations)]


def association(number: int, name: str | None = None) -> Node:
    return Node(f"association:a{number}", "Association", name or f"Association {number}", (), {"note": f"a{number}"})


def test_readers_see_the_old_source_while_a_reload_waits_between_batches(neo4j_store, neo4j_uri, sqlite_store):
    communes = Batch(Source("communes", "cog", "t", "2026-01-01T00:00:00+00:00"))
    communes.nodes = [
        NodeRecord(Node(f"collectivite:c{i}", "Collectivite", f"Commune {i}"), f"communes:{i}") for i in range(3)
    ]
    old = Batch(Source("rna", "rna-waldec", "t", "2026-01-01T00:00:00+00:00"))
    old.nodes = [NodeRecord(association(i), f"rna:{i}") for i in range(1, 5)]
    old.relations = [
        RelationRecord(Relation(f"association:a{i}", "LOCATED_IN", f"collectivite:c{i % 3}"), f"rna:{i}")
        for i in range(1, 5)
    ]
    # Another source names a3 too, and a relation to a6, which no source asserts yet (kept apart).
    other = Batch(Source("equipe", "workbook", "t", "2026-01-01T00:00:00+00:00"))
    other.nodes = [NodeRecord(association(3, "Association trois"), "equipe:2"), NodeRecord(association(9), "equipe:3")]
    other.relations = [RelationRecord(Relation("association:a9", "PARTNERS_WITH", "association:a6"), "equipe-r:2")]
    new = Batch(Source("rna", "rna-waldec", "t", "2026-02-01T00:00:00+00:00"))
    # a1 renamed, a2 gone, a3 as it was, a5..a12 new; relations from a new node to an old one, from
    # an old one to a new one, and to a node that comes later in the stream.
    new.nodes = [NodeRecord(association(1, "Association un, renommée"), "rna:1"), NodeRecord(association(3), "rna:3")]
    new.nodes += [NodeRecord(association(i), f"rna:{i}") for i in range(5, 13)]
    new.relations = [
        RelationRecord(Relation(f"association:a{i}", "LOCATED_IN", f"collectivite:c{i % 3}"), f"rna:{i}")
        for i in (1, 3, *range(5, 12))
    ]
    new.relations += [
        RelationRecord(Relation("association:a5", "PARTNERS_WITH", "association:a3"), "rna:20"),
        RelationRecord(Relation("association:a3", "PARTNERS_WITH", "association:a7"), "rna:21"),
    ]
    forward = RelationRecord(Relation("association:a8", "MEMBER_OF", "association:a12"), "rna:22")
    stream = [*records_of(new)[:2], forward, *records_of(new)[2:]]
    for store in (sqlite_store, neo4j_store):
        store.write(communes)
        store.write_stream(old.source, records_of(old))
        store.replace_sources([other])
    probes = [f"association:a{i}" for i in (1, 2, 3, 5, 6, 9, 12)] + ["collectivite:c0"]
    references = ["Association un, renommée", "Association 1", "Association 6"]
    before = everything(neo4j_store, probes, references)

    paused, resume = threading.Event(), threading.Event()

    def records():
        for number, record in enumerate(stream):
            if number == 13:
                # Three transactions of four records are committed by now.
                paused.set()
                resume.wait(60)
            yield record

    neo4j_store.direct_stream_records, neo4j_store.batch_records = 0, 4
    failure = []

    def load() -> None:
        try:
            neo4j_store.write_stream(new.source, records())
        except BaseException as error:
            failure.append(error)

    loading = threading.Thread(target=load)
    loading.start()
    try:
        assert paused.wait(60)
        with Neo4jStore(neo4j_uri) as reader:
            held = pending(reader)
            assert held["loads"] == 1 and held["nodes"] >= 3 and held["staged"] >= 1
            assert everything(reader, probes, references) == before
    finally:
        resume.set()
        loading.join(60)
    assert not failure
    sqlite_store.write_stream(new.source, stream)
    assert pending(neo4j_store) == {"loads": 0, "nodes": 0, "staged": 0, "retired": 0}
    # Stream digests differ between stores; everything else is the same.
    after, reference = everything(neo4j_store, probes, references), everything(sqlite_store, probes, references)
    assert after[:6] + after[7:] == reference[:6] + reference[7:]
    assert (
        neo4j_store.get("association:a1").name == "Association un, renommée"
        and neo4j_store.get("association:a2") is None
    )
    assert ("association:a9", "association:a6", "PARTNERS_WITH") in after[-3]
    assert neo4j_store.duplicates() == {"nodes": 0, "relations": 0}


def test_a_failed_publish_leaves_the_old_source(neo4j_store):
    """The missing end is found when publishing, after every batch was committed."""
    first = Batch(Source("rna", "rna-waldec", "t", "2026-01-01T00:00:00+00:00"), [NodeRecord(association(1), "rna:1")])
    neo4j_store.write(first)
    before = everything(neo4j_store, ["association:a1", "association:a2"], ["Association 2"])
    neo4j_store.direct_stream_records, neo4j_store.batch_records = 0, 2
    records = [NodeRecord(association(i), f"rna:{i}") for i in range(1, 8)]
    records.append(RelationRecord(Relation("association:a2", "MEMBER_OF", "association:nowhere"), "rna:9"))
    with pytest.raises(LoadError) as raised:
        neo4j_store.write_stream(first.source, records)
    assert [str(problem) for problem in raised.value.problems] == [
        "rna:9: relation MEMBER_OF points to unknown node 'association:nowhere'"
    ]
    assert pending(neo4j_store) == {"loads": 0, "nodes": 0, "staged": 0, "retired": 0}
    assert everything(neo4j_store, ["association:a1", "association:a2"], ["Association 2"]) == before


def test_a_second_load_of_the_source_waits_for_the_first_then_finds_it_loaded(
    neo4j_store, neo4j_uri, tmp_path, monkeypatch
):
    cli(neo4j_uri, "load", *COG)
    extract = waldec(tmp_path / "rna_waldec_20241101_dpt_93.csv", 3000)
    monkeypatch.setenv(BATCH_RECORDS_VARIABLE, "200")
    store = open_store(neo4j_uri)
    (reader,) = open_sources([extract], store.find, "test", options=LoadOptions())
    paused, resume = threading.Event(), threading.Event()

    def records():
        for number, record in enumerate(reader.records):
            if number == 1000:
                paused.set()
                resume.wait(120)
            yield record

    results = []
    loading = threading.Thread(
        target=lambda: results.append(store.write_stream(reader.source, records(), reader.digest))
    )
    loading.start()
    second = None
    try:
        assert paused.wait(60)
        second = subprocess.Popen(
            [MAILLAGE, "--store", neo4j_uri, "--contributor", "test", "load", str(extract)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # The second load waits for the store lock the first holds between its transactions.
        while (
            second.poll() is None
            and not neo4j_store.query(
                "SHOW TRANSACTIONS YIELD status WHERE status STARTS WITH 'Blocked' RETURN count(*) AS blocked"
            )[0]["blocked"]
        ):
            pass
        assert second.poll() is None
        assert neo4j_store.counts().get("Association", 0) == 0
    finally:
        resume.set()
        loading.join(120)
        output, errors = second.communicate(timeout=120) if second else ("", "")
        store.close()
    assert second.returncode == 0, errors
    assert not results[0].unchanged and results[0].nodes == 3000
    assert output.strip() == "rna-waldec: unchanged (already loaded)"
    assert neo4j_store.counts()["Association"] == 3000 and neo4j_store.duplicates() == {"nodes": 0, "relations": 0}
    assert pending(neo4j_store) == {"loads": 0, "nodes": 0, "staged": 0, "retired": 0}


def test_the_batch_size_setting_is_checked(neo4j_uri, monkeypatch):
    monkeypatch.setenv(BATCH_RECORDS_VARIABLE, "many")
    with pytest.raises(UsageError, match=f"{BATCH_RECORDS_VARIABLE} must be a number of records, not 'many'"):
        open_store(neo4j_uri)


def test_an_attribute_named_load_is_not_taken_for_the_mark_of_a_pending_load(neo4j_store):
    """A batched load marks the nodes it creates with ``load`` (and those it replaces with
    ``retired``) and removes the marks once published: an actor's own attributes of those names
    are kept apart from the marks, and read back as they were."""
    workbook = Batch(Source("equipe", "workbook", "t", "2026-01-01T00:00:00+00:00"))
    workbook.nodes = [
        NodeRecord(
            Node("association:lourde", "Association", "Charge lourde", (), {"load": "42", "retired": "non"}), "e:2"
        )
    ]
    neo4j_store.write(workbook)
    neo4j_store.direct_stream_records, neo4j_store.batch_records = 0, 2
    register = Source("rna", "rna-waldec", "t", "2026-01-01T00:00:00+00:00")
    neo4j_store.write_stream(register, [NodeRecord(association(i), f"rna:{i}") for i in range(1, 6)])
    assert neo4j_store.get("association:lourde").attrs == {"load": "42", "retired": "non"}
    assert neo4j_store.get("association:a1").attrs == {"note": "a1"}
    assert pending(neo4j_store) == {"loads": 0, "nodes": 0, "staged": 0, "retired": 0}
