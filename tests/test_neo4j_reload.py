"""Reloads and unloads of a long source on Neo4j, in bounded transactions: the nodes a source alone
asserts are written again beside their old form (or retired, when the source drops them) under a
pending load, and one small transaction publishes the change. Readers see the old source or the
new one, never a mix; a load or unload killed at any point leaves the old source or completes."""

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
from maillage.graph.errors import StoreError
from maillage.graph.model import Batch, Node, NodeRecord, Relation, RelationRecord, Source
from maillage.graph.store.neo4j import BATCH_RECORDS_VARIABLE, BatchedLoad, Neo4jStore, stream
from maillage.graph.store.neo4j import read as neo4j_read
from maillage.loaders.rna import WALDEC_COLUMNS

pytestmark = pytest.mark.neo4j

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
COG = [str(SAMPLES / name) for name in ("v_region_2024.csv", "v_departement_2024.csv", "v_commune_2024.csv")]
COMMUNES = ["93064", "93048", "93008", "93010", "93055", "93066", "92050", "92026", "75056", "2A004"]


def pending(store: Neo4jStore) -> dict[str, int]:
    """What pending loads hold in the database, read directly."""
    return store.query(
        "RETURN COUNT { MATCH (p:PendingLoad) } AS loads, COUNT { MATCH (n:Node) WHERE n.load IS NOT NULL } AS nodes, "
        "COUNT { MATCH (c:StagedNodeClaim) } + COUNT { MATCH (c:StagedRelationClaim) } AS staged, "
        "COUNT { MATCH (n:Node) WHERE n.retired IS NOT NULL } AS retired, "
        "COUNT { MATCH (k:NameKey) WHERE k.load IS NOT NULL OR k.retired IS NOT NULL } AS keys"
    )[0].data()


NOTHING_PENDING = {"loads": 0, "nodes": 0, "staged": 0, "retired": 0, "keys": 0}


def everything(store, probes: list[str], references: list[str]) -> tuple:
    """What every read of the store gives, but the sources' digests (a stream's differs between
    the stores and between a held and a batched write)."""
    graph = store.to_networkx()
    return (
        store.nodes(),
        store.nodes(kind="Association"),
        store.nodes(search="numéro"),
        store.relations(),
        sorted(store.counts().items()),
        store.sources(),
        list(store.dump()),
        [(store.get(i), store.node_claims(i), store.relation_claims(i), store.relations(i)) for i in probes],
        [store.find(reference) for reference in references],
        sorted(store.neighbourhood(probes, 2)),
        sorted(store.neighbourhood(["association:a1"], 1)),
        sorted(graph.nodes(data="name")),
        sorted(graph.edges(keys=True)),
    )


def association(number: int, name: str | None = None, aliases: tuple[str, ...] = (), note: str = "") -> Node:
    return Node(
        f"association:a{number}", "Association", name or f"Association numéro {number}", aliases, {"note": note or "x"}
    )


def located(number: int, place: str = "rna") -> RelationRecord:
    return RelationRecord(
        Relation(f"association:a{number}", "LOCATED_IN", f"collectivite:c{number % 3}"), f"{place}:{number}"
    )


def sources() -> tuple[Batch, Batch, Batch, list]:
    """Communes, last month's register (a1..a60), another source naming some of its associations,
    and this month's register as a stream: a1 renamed with other aliases, a2 and a51..a60 gone, a3
    shared with the other source, a4..a50 with another note, a61..a120 new; relations between
    associations in both directions, one to an association whose record comes later, one to an
    association the other source keeps waiting for."""
    at = "2026-01-01T00:00:00+00:00"
    communes = Batch(Source("communes", "cog", "t", at))
    communes.nodes = [
        NodeRecord(Node(f"collectivite:c{i}", "Collectivite", f"Commune {i}"), f"cog:{i}") for i in range(3)
    ]
    old = Batch(Source("rna", "rna-waldec", "t", at))
    old.nodes = [NodeRecord(association(1, aliases=("Asso un", "Première asso")), "rna:1")]
    old.nodes += [NodeRecord(association(i), f"rna:{i}") for i in range(2, 61)]
    old.relations = [located(i) for i in range(1, 61)]
    old.relations += [
        RelationRecord(Relation(f"association:a{i}", "PARTNERS_WITH", f"association:a{i + 1}"), f"rna:p{i}")
        for i in range(10, 20)
    ]
    other = Batch(Source("equipe", "workbook", "t", at))
    other.nodes = [
        NodeRecord(association(3, "Association trois"), "equipe:2"),
        NodeRecord(association(200, "Collectif 200"), "equipe:3"),
    ]
    other.relations = [
        RelationRecord(Relation("association:a200", "MEMBER_OF", "association:a6"), "equipe-r:2"),
        RelationRecord(Relation("association:a200", "PARTNERS_WITH", "association:a121"), "equipe-r:3"),
    ]
    new = [NodeRecord(association(1, "Association un, renommée", ("Asso un", "Asso une")), "rna:1")]
    new += [NodeRecord(association(3), "rna:3")]
    # a1 moves to another commune.
    new += [RelationRecord(Relation("association:a1", "LOCATED_IN", "collectivite:c0"), "rna:1"), located(3)]
    # a61 points to a40 before a40's record; a8 to a120, which comes last.
    new += [RelationRecord(Relation("association:a61", "PARTNERS_WITH", "association:a40"), "rna:p61")]
    new += [RelationRecord(Relation("association:a8", "MEMBER_OF", "association:a120"), "rna:m8")]
    for i in range(4, 51):
        new += [NodeRecord(association(i, note=f"février {i}"), f"rna:{i}"), located(i)]
    new += [
        RelationRecord(Relation(f"association:a{i}", "PARTNERS_WITH", f"association:a{i + 2}"), f"rna:p{i}")
        for i in range(10, 20)
    ]
    for i in range(61, 122):
        new += [NodeRecord(association(i), f"rna:{i}"), located(i)]
    new += [RelationRecord(Relation("association:a5", "PARTNERS_WITH", "association:a3"), "rna:p5")]
    return communes, old, other, new


def records_of(batch: Batch) -> list:
    return [*batch.nodes, *batch.relations]


PROBES = [f"association:a{i}" for i in (1, 2, 3, 6, 8, 40, 55, 61, 120, 121, 200)] + ["collectivite:c0"]
REFERENCES = ["Asso un", "Asso une", "Première asso", "Association un, renommée", "Association numéro 2"]


def loaded(store, reload: list | None) -> tuple:
    communes, old, other, _new = sources()
    store.write(communes)
    store.write_stream(old.source, records_of(old))
    store.replace_sources([other])
    if reload is not None:
        store.write_stream(Source("rna", "rna-waldec", "t", "2026-02-01T00:00:00+00:00"), reload)
    return everything(store, PROBES, REFERENCES)


def test_a_reload_in_many_batches_gives_what_a_one_transaction_reload_gives(neo4j_store, sqlite_store, monkeypatch):
    *_, new = sources()
    before_publish = []
    publish = BatchedLoad.publish

    def watched(self, tx, digest):
        before_publish.append(pending(neo4j_store))
        return publish(self, tx, digest)

    monkeypatch.setattr(BatchedLoad, "publish", watched)
    neo4j_store.direct_stream_records, neo4j_store.batch_records = 0, 7
    loaded(neo4j_store, None)
    before = everything(neo4j_store, PROBES, REFERENCES)
    neo4j_store.write_stream(Source("rna", "rna-waldec", "t", "2026-02-01T00:00:00+00:00"), new)
    batched = everything(neo4j_store, PROBES, REFERENCES)
    # The old nodes of the register alone were replaced in the batches: what the last transaction
    # folds is what the other source shares with it, not the register.
    held = before_publish[-1]
    assert held["loads"] == 1 and held["retired"] >= 55 and held["staged"] <= 6, held
    assert pending(neo4j_store) == NOTHING_PENDING
    assert neo4j_store.duplicates() == {"nodes": 0, "relations": 0}

    neo4j_store.clear()
    neo4j_store.direct_stream_records = 1_000_000
    assert loaded(neo4j_store, None) == before
    neo4j_store.write_stream(Source("rna", "rna-waldec", "t", "2026-02-01T00:00:00+00:00"), new)
    assert everything(neo4j_store, PROBES, REFERENCES) == batched
    assert batched == loaded(sqlite_store, new)
    assert batched != before
    (a1,) = neo4j_store.find("Asso une")
    assert a1.name == "Association un, renommée" and neo4j_store.find("Première asso") == []
    assert neo4j_store.get("association:a2") is None and neo4j_store.get("association:a6") is not None


def test_readers_see_the_old_source_or_the_new_one_never_a_mix(neo4j_store, neo4j_uri, sqlite_store, monkeypatch):
    *_, new = sources()
    after = loaded(sqlite_store, new)
    neo4j_store.direct_stream_records, neo4j_store.batch_records = 0, 5
    before = loaded(neo4j_store, None)
    checked = []

    def check(phase: str, expected: tuple) -> None:
        with Neo4jStore(neo4j_uri) as reader:
            assert everything(reader, PROBES, REFERENCES) == expected, phase
        checked.append(phase)

    publish, clean = BatchedLoad.publish, stream._clean_loads

    def publishing(self, tx, digest):
        # Every batch is committed and the dropped nodes retired: the old source still shows.
        assert pending(neo4j_store)["retired"] >= 55
        check("before publishing", before)
        return publish(self, tx, digest)

    def cleaning(session):
        if pending(neo4j_store)["loads"]:
            # Published, nothing cleaned yet: the new source shows, and not the nodes it retired.
            check("published", after)
        return clean(session)

    monkeypatch.setattr(BatchedLoad, "publish", publishing)
    monkeypatch.setattr(stream, "_clean_loads", cleaning)
    polled, done, mixes = [], threading.Event(), []
    # Each read, one query each, gives what it gave before the reload or what it gives after.
    reads = {
        "nodes": (lambda reader: reader.nodes(), 0),
        "relations": (lambda reader: reader.relations(), 3),
        "find": (lambda reader: reader.find("Asso un"), 8),
        "node claims": (lambda reader: reader.node_claims("association:a1"), 7),
    }
    expected = {
        "nodes": (before[0], after[0]),
        "relations": (before[3], after[3]),
        "find": (before[8][0], after[8][0]),
        "node claims": (before[7][0][1], after[7][0][1]),
    }
    assert all(old != new for old, new in expected.values())

    def poll() -> None:
        with Neo4jStore(neo4j_uri) as reader:
            while not done.is_set():
                for name, (read, _) in reads.items():
                    seen = read(reader)
                    polled.append(name)
                    if seen not in expected[name]:
                        mixes.append((name, seen))

    def records():
        for number, record in enumerate(new):
            if number == 40:
                check("between batches", before)
            yield record

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        neo4j_store.write_stream(Source("rna", "rna-waldec", "t", "2026-02-01T00:00:00+00:00"), records())
    finally:
        done.set()
        reader.join(60)
    assert checked == ["between batches", "before publishing", "published"]
    assert len(polled) > 3 and not mixes
    assert everything(neo4j_store, PROBES, REFERENCES) == after
    assert pending(neo4j_store) == NOTHING_PENDING


def waldec(path: Path, numbers: range, renamed: bool = False) -> Path:
    """An ``rna_waldec`` extract of the associations ``numbers``, active, in the sample's communes."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(WALDEC_COLUMNS)
        for n in numbers:
            code = COMMUNES[n % len(COMMUNES)]
            cells = {
                "id": f"W93{n:07d}",
                "gestion": "932P",
                "date_creat": "2012-03-14",
                "date_disso": "0001-01-01",
                "nature": "D",
                "groupement": "S",
                "titre": f"{'NOUVEAU NOM ' if renamed else ''}ASSOCIATION NUMÉRO {n} DE {code}",
                "objet": "échanges et solidarité internationale",
                "adrs_codeinsee": code,
                "adrs_codepostal": "93110",
                "adrg_pays": "FRANCE",
                "position": "A",
            }
            writer.writerow([cells.get(column, "") for column in WALDEC_COLUMNS])
    return path


# Runs the command line, killing itself at the given point of a batched load or unload.
KILLER = """
import os, signal, sys
from maillage.cli import main
from maillage.graph.store.neo4j import BatchedLoad, stream

point = sys.argv.pop(1)
def killed(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

if point == "batches":
    flush, flushed = BatchedLoad.flush, []
    def flushing(self, nodes, relations):
        flushed.append(1)
        if len(flushed) == 6:
            killed()
        return flush(self, nodes, relations)
    BatchedLoad.flush = flushing
elif point == "retiring":
    # Killed after the first of the transactions that retire what the source no longer asserts.
    retire = stream._retire_dropped
    def retiring(session, source, load_id, claims_apart, limit):
        run = session.run
        def running(query, **params):
            if "SET n.retired" in query and "claim_source" in query:
                session.run = lambda *args, **kwargs: killed()
            return run(query, **params)
        session.run = running
        retire(session, source, load_id, claims_apart, 10)
    stream._retire_dropped = retiring
elif point == "publishing":
    # The publishing transaction has done its writes; the process dies before it commits.
    import maillage.graph.store.neo4j.stream as module
    begin = module.Session.begin_transaction
    def begin_transaction(self, *args, **kwargs):
        tx = begin(self, *args, **kwargs)
        commit = tx.commit
        def committing():
            if tx.run("MATCH (p:PendingLoad) WHERE p.published RETURN count(p) AS n").single()["n"]:
                killed()
            commit()
        tx.commit = committing
        return tx
    module.Session.begin_transaction = begin_transaction
elif point == "cleaning":
    clean = stream._clean_loads
    def cleaning(session):
        if session.run("MATCH (p:PendingLoad) WHERE p.published RETURN count(p) AS n").single()["n"]:
            session.run("MATCH (n:Node) WHERE n.retired IS NOT NULL WITH n LIMIT 10 DETACH DELETE n").consume()
            killed()
        clean(session)
    stream._clean_loads = cleaning
sys.exit(main(sys.argv[1:], standalone_mode=True))
"""


def cli(uri: str, *args: str) -> str:
    result = CliRunner().invoke(main, ["--store", uri, "--contributor", "test", *args])
    assert result.exit_code == 0, result.output
    return result.output


def cli_reads(uri: str) -> tuple:
    return (
        cli(uri, "actors"),
        cli(uri, "actors", "--kind", "Association"),
        cli(uri, "show", "collectivite:com-93064"),
        cli(uri, "report", "centrality", "--format", "csv"),
    )


def killed_at(point: str, uri: str, tmp_path: Path, *args: str) -> None:
    script = tmp_path / "killer.py"
    script.write_text(KILLER, encoding="utf-8")
    env = {**os.environ, BATCH_RECORDS_VARIABLE: "50"}
    command = [sys.executable, str(script), point, "--store", uri, "--contributor", "test", *args]
    run = subprocess.run(command, env=env, capture_output=True, text=True)
    assert run.returncode == -signal.SIGKILL, (run.stdout, run.stderr)


@pytest.mark.parametrize("point", ["batches", "retiring", "publishing", "cleaning"])
def test_a_reload_killed_leaves_the_old_source_or_the_new_and_the_next_load_completes(
    point, neo4j_store, neo4j_uri, tmp_path, graph_state, monkeypatch
):
    old = waldec(tmp_path / "rna_waldec_20241001_dpt_93.csv", range(400))
    new = waldec(tmp_path / "rna_waldec_20241101_dpt_93.csv", range(100, 600), renamed=True)
    reference = tmp_path / "reference.db"
    cli(neo4j_uri, "load", *COG)
    cli(neo4j_uri, "load", str(old))
    cli(str(reference), "load", *COG)
    cli(str(reference), "load", str(old))
    before, reads_before = graph_state(neo4j_uri)[:2], cli_reads(neo4j_uri)
    cli(str(reference), "load", str(new))
    after = graph_state(reference)[:2]

    killed_at(point, neo4j_uri, tmp_path, "load", str(new))
    left = pending(neo4j_store)
    assert left["loads"] == 1 and left["nodes"] > 0
    if point == "cleaning":
        assert graph_state(neo4j_uri)[:2] == after
    else:
        assert left["retired"] >= {"batches": 1, "retiring": 310, "publishing": 400}[point]
        assert graph_state(neo4j_uri)[:2] == before and cli_reads(neo4j_uri) == reads_before

    monkeypatch.setenv(BATCH_RECORDS_VARIABLE, "50")
    output = cli(neo4j_uri, "load", str(new))
    if point == "cleaning":
        # The source is loaded: nothing to write. The next write (here one that changes nothing)
        # completes the clean-up.
        assert "unchanged" in output
        neo4j_store.replace_sources([])
    else:
        assert "500 nodes, 500 relations loaded from 500 rows" in output
    assert pending(neo4j_store) == NOTHING_PENDING
    assert graph_state(neo4j_uri)[:2] == after
    assert neo4j_store.duplicates() == {"nodes": 0, "relations": 0}


def test_an_unload_in_batches_gives_what_a_one_transaction_unload_gives(neo4j_store, sqlite_store, monkeypatch):
    retired = []
    retire = stream._retire_dropped

    def retiring(session, source, load_id, claims_apart, limit):
        retired.append(retire(session, source, load_id, claims_apart, limit))
        return retired[-1]

    monkeypatch.setattr(stream, "_retire_dropped", retiring)
    *_, new = sources()
    neo4j_store.direct_stream_records, neo4j_store.batch_records = 0, 7
    loaded(neo4j_store, new)
    neo4j_store.unload("rna")
    batched = everything(neo4j_store, PROBES, REFERENCES)
    nodes, relations = retired[-1]
    assert nodes >= 100 and relations >= nodes
    assert pending(neo4j_store) == NOTHING_PENDING

    neo4j_store.clear()
    neo4j_store.direct_stream_records = 1_000_000
    loaded(neo4j_store, new)
    neo4j_store.unload("rna")
    assert everything(neo4j_store, PROBES, REFERENCES) == batched
    loaded(sqlite_store, new)
    sqlite_store.unload("rna")
    assert everything(sqlite_store, PROBES, REFERENCES) == batched
    assert neo4j_store.get("association:a3").name == "Association trois"


@pytest.mark.parametrize("point", ["retiring", "publishing", "cleaning"])
def test_an_unload_killed_leaves_the_source_or_none_and_the_next_unload_completes(
    point, neo4j_store, neo4j_uri, tmp_path, graph_state
):
    old = waldec(tmp_path / "rna_waldec_20241001_dpt_93.csv", range(400))
    cli(neo4j_uri, "load", *COG)
    cogs = graph_state(neo4j_uri)[:2]
    cli(neo4j_uri, "load", str(old))
    before, reads_before = graph_state(neo4j_uri)[:2], cli_reads(neo4j_uri)

    killed_at(point, neo4j_uri, tmp_path, "unload", "rna-waldec")
    assert pending(neo4j_store)["loads"] == 1
    if point == "cleaning":
        assert graph_state(neo4j_uri)[:2] == cogs
        neo4j_store.replace_sources([])
    else:
        assert pending(neo4j_store)["retired"] >= {"retiring": 10, "publishing": 400}[point]
        assert graph_state(neo4j_uri)[:2] == before and cli_reads(neo4j_uri) == reads_before
        cli(neo4j_uri, "unload", "rna-waldec")
    assert pending(neo4j_store) == NOTHING_PENDING
    assert graph_state(neo4j_uri)[:2] == cogs


def test_a_read_that_publications_keep_overtaking_stops_with_a_clear_error(neo4j_store, monkeypatch):
    neo4j_store.write(Batch(Source("a.csv", "test", "t"), [NodeRecord(Node("theme:paix", "Theme", "Paix"), "a.csv:2")]))
    # Loads publishing without pause, faked: the pending loads read differ every time.
    monkeypatch.setattr(neo4j_read, "_PUBLICATIONS", "RETURN randomUUID() AS id")
    with pytest.raises(StoreError, match=f"{neo4j_read._READ_ATTEMPTS} times in a row"):
        neo4j_store.nodes()
    with pytest.raises(StoreError, match=f"{neo4j_read._READ_ATTEMPTS} times in a row"):
        neo4j_store.graph_arrays()
    monkeypatch.undo()
    assert neo4j_store.graph_arrays().ids == ["theme:paix"]
    assert [node.id for node in neo4j_store.nodes()] == ["theme:paix"]
