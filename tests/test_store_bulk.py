"""The embedded store's bulk path: large streamed writes, their deferred indexes, and the schema version."""

from __future__ import annotations

import functools
import io
import sqlite3
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from maillage.graph.errors import LoadError, StoreUnavailable
from maillage.graph.model import Batch, Node, NodeRecord, Relation, RelationRecord, Source, name_key
from maillage.graph.store.base import Problem
from maillage.graph.store.shared import json_dict
from maillage.graph.store.sqlite import PAGE_SIZE, SCHEMA_VERSION, ClaimEncoder, SQLiteStore, encode_nodes
from maillage.loaders import open_sources, rna
from maillage.loaders.loading import DigestInBackground, LoadOptions, file_digest


def _indexes(store: SQLiteStore) -> set[str]:
    return {
        row[0]
        for row in store.connection.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
    }


def _association(n: int, name: str | None = None) -> NodeRecord:
    return NodeRecord(
        Node(f"association:rna-W{n:09d}", "Association", name or f"Amicale {n}", (), {"rna_id": f"W{n:09d}"}),
        f"rna.csv:{n + 1}",
    )


def _located(n: int, commune: str) -> RelationRecord:
    return RelationRecord(Relation(f"association:rna-W{n:09d}", "LOCATED_IN", commune), f"rna.csv:{n + 1}")


@pytest.fixture
def store_with_communes(tmp_path):
    store = SQLiteStore(tmp_path / "bulk.db")
    cog = Batch(Source("cog", "insee-cog", "test"))
    cog.nodes = [
        NodeRecord(Node(f"collectivite:com-9300{i}", "Collectivite", f"Commune {i}", (), {}), f"cog.csv:{i}")
        for i in range(1, 4)
    ]
    store.write(cog)
    yield store
    store.close()


def test_a_stream_larger_than_the_store_keeps_every_index_and_gives_what_write_gives(store_with_communes, tmp_path):
    store = store_with_communes
    indexes = _indexes(store)
    records = [
        record for n in range(200) for record in (_association(n), _located(n, f"collectivite:com-9300{n % 3 + 1}"))
    ]
    store.write_stream(Source("rna-waldec", "rna-waldec", "test"), iter(records), chunk_size=10)
    assert _indexes(store) == indexes
    batched = SQLiteStore(tmp_path / "batched.db")
    try:
        cog = store.dump_source("cog")
        batched.write(cog)
        batch = Batch(Source("rna-waldec", "rna-waldec", "test"))
        batch.nodes = [r for r in records if isinstance(r, NodeRecord)]
        batch.relations = [r for r in records if isinstance(r, RelationRecord)]
        batched.write(batch)
        assert store.nodes() == batched.nodes() and store.relations() == batched.relations()
        assert store.relations("collectivite:com-93001") == batched.relations("collectivite:com-93001")
    finally:
        batched.close()


def test_a_failed_large_stream_leaves_store_and_indexes_as_they_were(store_with_communes):
    store = store_with_communes
    indexes, nodes = _indexes(store), store.nodes()
    records = [
        *(record for n in range(100) for record in (_association(n), _located(n, "collectivite:com-93001"))),
        _located(7, "nowhere"),
    ]
    with pytest.raises(LoadError):
        store.write_stream(Source("rna-waldec", "rna-waldec", "test"), iter(records), chunk_size=10)
    assert _indexes(store) == indexes and store.nodes() == nodes


def test_a_node_met_again_in_a_later_chunk_keeps_only_its_last_names(store_with_communes):
    store = store_with_communes
    records = [_association(1, "Ancien Nom"), *(_association(n) for n in range(2, 40)), _association(1, "Nouveau Nom")]
    store.write_stream(Source("rna-waldec", "rna-waldec", "test"), iter(records), chunk_size=5)
    assert [n.id for n in store.find("nouveau nom")] == ["association:rna-W000000001"]
    assert store.find("ancien nom") == []
    keys = {
        row[0] for row in store.connection.execute("SELECT key FROM names WHERE node_id = 'association:rna-W000000001'")
    }
    assert keys == {name_key("Nouveau Nom")}


def test_reloading_a_source_replaces_its_names(store_with_communes):
    store = store_with_communes
    source = Source("rna-waldec", "rna-waldec", "test")
    store.write_stream(source, iter([_association(n) for n in range(30)]), chunk_size=4)
    store.write_stream(source, iter([_association(n, f"Club {n}") for n in range(10)]), chunk_size=4)
    assert store.find("amicale 3") == [] and store.find("amicale 20") == []
    assert [n.name for n in store.find("club 3")] == ["Club 3"]
    assert store.nodes(search="amicale") == []


def _as_schema_2(path: Path, version: int) -> None:
    """Rewrite a store in the layout of schema 2 (every claim in the claim tables, rows
    without ``sole`` and ``place``), or of schema 1 (with the index of names by node)."""
    with sqlite3.connect(path) as db:
        db.executescript(
            """
            INSERT INTO node_claims SELECT id, sole, kind, name, aliases, attrs, place FROM nodes WHERE sole IS NOT NULL;
            INSERT INTO relation_claims SELECT source, type, target, role, sole, attrs, place FROM relations WHERE sole IS NOT NULL;
            DROP INDEX nodes_by_sole; DROP INDEX relations_by_sole;
            ALTER TABLE nodes DROP COLUMN sole; ALTER TABLE nodes DROP COLUMN place;
            ALTER TABLE relations DROP COLUMN sole; ALTER TABLE relations DROP COLUMN place;
            """
        )
        if version == 1:
            db.execute("CREATE INDEX names_by_node ON names(node_id)")
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(version),))
    db.close()


def _everything(store: SQLiteStore) -> tuple:
    ids = [node.id for node in store.nodes()]
    return (
        store.nodes(),
        store.relations(),
        [(s.name, s.nodes, s.relations) for s in store.sources()],
        [store.node_claims(node_id) for node_id in ids],
        [store.relation_claims(node_id) for node_id in ids],
        [store.dump_source(s.name) for s in store.sources()],
        store.find("amicale 2"),
    )


@pytest.mark.parametrize("version", [1, 2])
def test_an_older_store_is_brought_to_schema_3_and_reads_the_same(tmp_path, version):
    path = tmp_path / "old.db"
    with SQLiteStore(path) as store:
        register = Batch(Source("rna", "rna-waldec", "test"))
        register.nodes = [_association(n) for n in range(1, 5)]
        # Given with its name among its aliases: the node is not exactly this claim.
        register.nodes.append(
            NodeRecord(
                Node("association:rna-W000000009", "Association", "Amicale 9", ("Amicale 9", "A9"), {}), "rna.csv:10"
            )
        )
        register.relations = [_partners(1, 2, "register"), _partners(3, 4, "register")]
        workbook = Batch(Source("workbook", "workbook", "test"))
        workbook.nodes = [_association(1, "Amicale Une"), _association(5)]
        workbook.relations = [_partners(1, 2, "workbook"), _partners(5, 6, "to a node unloaded")]
        extra = Batch(Source("extra", "workbook", "test"))
        extra.nodes = [_association(6)]
        store.write(register)
        store.write(extra)
        store.write(workbook)
        store.unload("extra")
        expected = _everything(store)
    _as_schema_2(path, version)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM node_claims").fetchone()[0] == 7
    db.close()
    with SQLiteStore(path) as store:
        assert store.connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(
            SCHEMA_VERSION
        )
        assert "names_by_node" not in _indexes(store)
        assert _everything(store) == expected
        # Left in the claim tables: the two claims of association 1, the claim its row is
        # not, both claims of the relation 1 -> 2, and the one to the node unloaded.
        assert store.connection.execute("SELECT node_id FROM node_claims ORDER BY 1").fetchall() == [
            ("association:rna-W000000001",),
            ("association:rna-W000000001",),
            ("association:rna-W000000009",),
        ]
        assert store.connection.execute("SELECT count(*) FROM relation_claims").fetchone()[0] == 3
        store.unload("workbook")
        assert store.connection.execute("SELECT node_id, source FROM node_claims").fetchall() == [
            ("association:rna-W000000009", "rna")
        ]
        assert [c.source for c in store.node_claims("association:rna-W000000001")] == ["rna"]


def test_a_new_store_takes_the_larger_pages_and_an_older_file_keeps_its_own(tmp_path):
    with SQLiteStore(tmp_path / "new.db") as store:
        assert store.connection.execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE != 4096
        assert store.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with sqlite3.connect(tmp_path / "old.db") as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE other (x)")
    db.close()
    with SQLiteStore(tmp_path / "old.db") as store:
        assert store.connection.execute("PRAGMA page_size").fetchone()[0] == 4096
        assert store.counts() == {}


def test_a_store_of_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "newer.db"
    SQLiteStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    db.close()
    with pytest.raises(StoreUnavailable, match="newer than this maillage reads"):
        SQLiteStore(path)


# --------------------------------------------------------------------------- RNA extracts read in a worker process

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
COG = [SAMPLES / "v_region_2024.csv", SAMPLES / "v_departement_2024.csv", SAMPLES / "v_commune_2024.csv"]


def _waldec(path: Path, count: int, bad_line: int | None = None, bad_date_line: int | None = None) -> Path:
    """``count`` associations in the rna_waldec format, from the sample's first row;
    every third with a short title, the row of ``bad_line`` without a title, the row of
    ``bad_date_line`` with a malformed date."""
    lines = (SAMPLES / "rna_waldec_20241001_dpt_93.csv").read_text(encoding="utf-8").splitlines()
    template = lines[1]
    rows = []
    for n in range(count):
        row = template.replace("W932001234", f"W93{n:07d}").replace(
            "ROSNY SOLIDARITÉ INTERNATIONALE", f"AMICALE NUMÉRO {n}"
        )
        row = row.replace(";RSI;", f";AN{n};" if n % 3 == 0 else ";;")
        if n + 2 == bad_line:
            row = row.replace(f"AMICALE NUMÉRO {n}", "")
        if n + 2 == bad_date_line:
            row = row.replace("2012-03-14", "2012-14-03", 1)
        rows.append(row)
    # The same id again, later in the file: its last row wins.
    rows.append(rows[5].replace("AMICALE NUMÉRO 5", "AMICALE RENOMMÉE"))
    path.write_text("\r\n".join([lines[0], *rows]) + "\r\n", encoding="utf-8")
    return path


def _load(store: SQLiteStore, path: Path, lookup=None):
    (load,) = open_sources([path], lookup or store.find, "test", options=LoadOptions())
    return load, store.write_stream(load.source, load.records, load.digest, chunk_size=7)


def _graph(store: SQLiteStore):
    """What a store holds: its graph, and every row of its tables of names, nodes,
    relations and claims (with the claim each row carries and where it was read)."""
    tables = [
        sorted(store.connection.execute(f"SELECT * FROM {table}").fetchall())
        for table in ("names", "nodes", "relations", "node_claims", "relation_claims")
    ]
    return store.nodes(), store.relations(), tables, [(s.name, s.nodes, s.relations) for s in store.sources()]


@pytest.fixture
def cog_store(tmp_path):
    store = SQLiteStore(tmp_path / "rna.db")
    for load in open_sources(COG, store.find, "test"):
        store.write_stream(load.source, load.records, load.digest)
    yield store
    store.close()


@pytest.fixture
def in_worker(monkeypatch):
    monkeypatch.setattr(rna, "WORKER_MIN_BYTES", 0)


def test_an_extract_read_in_a_worker_gives_what_reading_it_here_gives(cog_store, tmp_path, monkeypatch):
    path = _waldec(tmp_path / "rna_waldec_20241001_dpt_93.csv", 40)
    here = SQLiteStore(tmp_path / "here.db")
    try:
        for load in open_sources(COG, here.find, "test"):
            here.write_stream(load.source, load.records, load.digest)
        plain, plain_result = _load(here, path)
        assert not hasattr(plain.records, "encoded")
        monkeypatch.setattr(rna, "WORKER_MIN_BYTES", 0)
        parallel, parallel_result = _load(cog_store, path)
        assert hasattr(parallel.records, "encoded")
        assert parallel_result == plain_result and cog_store.counts()["Association"] == 40
        assert _graph(cog_store) == _graph(here)
        assert (
            parallel.report.rows_read == plain.report.rows_read == 41
            and parallel.report.notices == plain.report.notices
        )
        assert [n.id for n in cog_store.find("amicale renommee")] == ["association:rna-W930000005"]
        assert cog_store.find("an3") == cog_store.find("amicale numero 3")
    finally:
        here.close()


def test_the_worker_path_counts_associations_whose_commune_is_not_in_the_store(cog_store, tmp_path, in_worker):
    path = _waldec(tmp_path / "rna_waldec_20241001_dpt_93.csv", 30)
    lines = path.read_text(encoding="utf-8").splitlines()
    # Rows 2 to 11 in two communes the COG sample lacks, one of them also on row 20.
    for n in range(1, 11):
        lines[n] = lines[n].replace(";93064;", ";93999;" if n % 2 else ";93998;")
    lines[19] = lines[19].replace(";93064;", ";93999;")
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    load, result = _load(cog_store, path)
    assert hasattr(load.records, "encoded")
    # 31 rows (the last one repeats association 5, in the commune loaded), 11 of them unplaced.
    assert result.relations == 20
    assert [notice for notice in load.report.notices if "not linked" in notice] == [
        "11 association(s) not linked to their commune: 2 commune code(s) not in the store (93998, 93999); "
        "load the INSEE COG communes first"
    ]
    assert len([r for r in cog_store.relations("collectivite:com-93064") if r.source.startswith("association:")]) == 20


def test_the_worker_path_finds_every_kind_of_place_as_asking_code_by_code(tmp_path, in_worker):
    from maillage.graph.merge import RedirectAwareLookup, redirect_aware_lookup

    path = _waldec(tmp_path / "rna_waldec_20241001_dpt_93.csv", 40)
    lines = path.read_text(encoding="utf-8").splitlines()
    # a commune, an arrondissement, a commune that is also delegated, a delegated and an
    # associated commune, a code no node has, and Corsica
    codes = ["93064", "75111", "74010", "74093", "74182", "93999", "2A004"]
    for n in range(1, len(lines)):
        lines[n] = lines[n].replace(";93064;", f";{codes[n % len(codes)]};")
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    found = {}
    for way in ("at once", "one by one"):
        store = SQLiteStore(tmp_path / f"{way}.db")
        try:
            for load in open_sources(COG, store.find, "test"):
                store.write_stream(load.source, load.records, load.digest)
            lookup = redirect_aware_lookup(store)
            assert hasattr(lookup, "existing")
            # a plain function has no way to ask for many ids at once
            one_by_one = functools.partial(RedirectAwareLookup.__call__, lookup)
            load, result = _load(store, path, lookup if way == "at once" else one_by_one)
            assert hasattr(load.records, "encoded")
            found[way] = (_graph(store), result, load.report.notices)
        finally:
            store.close()
    assert found["at once"] == found["one by one"]
    places = {r.target for r in found["at once"][0][1] if r.source.startswith("association:")}
    assert places == {
        "collectivite:com-93064",
        "collectivite:arm-75111",
        "collectivite:com-74010",
        "collectivite:comd-74093",
        "collectivite:coma-74182",
        "collectivite:com-2A004",
    }
    assert any("1 commune code(s) not in the store (93999)" in notice for notice in found["at once"][2])


def test_a_bad_row_met_in_the_worker_is_reported_where_it_is_and_nothing_is_written(cog_store, tmp_path, in_worker):
    path = tmp_path / "rna_waldec_20241001_dpt_93.csv"
    _load(cog_store, _waldec(path, 30))
    before = _graph(cog_store)
    with pytest.raises(LoadError) as error:
        _load(cog_store, _waldec(path, 60, bad_line=40))
    assert error.value.problems == [Problem("rna_waldec_20241001_dpt_93.csv", 40, "titre", "titre is empty")]
    assert _graph(cog_store) == before


@pytest.mark.parametrize("listed", [False, True], ids=["counted", "listed"])
def test_a_field_set_aside_in_the_worker_is_counted_and_listed_as_here(tmp_path, monkeypatch, listed):
    path = _waldec(tmp_path / "rna_waldec_20241001_dpt_93.csv", 60, bad_date_line=40)
    reports = []
    for minimum in (1 << 40, 0):
        monkeypatch.setattr(rna, "WORKER_MIN_BYTES", minimum)
        store = SQLiteStore(tmp_path / f"{minimum}.db")
        try:
            (load,) = open_sources([path], store.find, "test", options=LoadOptions(list_set_aside=listed))
            assert hasattr(load.records, "encoded") is (minimum == 0)
            store.write_stream(load.source, load.records, load.digest, chunk_size=7)
            assert "date" not in store.get("association:rna-W930000038").attrs
            assert store.get("association:rna-W930000037").attrs["date"] == "2012-03-14"
        finally:
            store.close()
        reports.append(load.report)
    here, worker = reports
    assert here.fields_set_aside == worker.fields_set_aside == {"date_creat": 1}
    expected = [(Problem("rna_waldec_20241001_dpt_93.csv", 40, "date_creat", "not a date (YYYY-MM-DD)"), "2012-14-03")]
    assert here.set_aside == worker.set_aside == (expected if listed else [])


def test_a_worker_failing_in_the_middle_of_a_file_leaves_the_store_as_it_was(cog_store, tmp_path, in_worker):
    extract = _waldec(tmp_path / "rna_waldec_20241001_dpt_93.csv", 300)
    _load(cog_store, extract)
    before = _graph(cog_store)
    archive = tmp_path / "rna_waldec_20241101.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as out:
        out.write(_waldec(tmp_path / "rna_waldec_20241101_dpt_93.csv", 600), "rna_waldec_20241101_dpt_93.csv")
    # Damage a byte near the end of the member: the worker reads most rows, then the CRC check fails.
    data = bytearray(archive.read_bytes())
    offset = data.rindex("AMICALE NUMÉRO 590".encode(), 0, data.rindex(b"PK\x01\x02"))
    data[offset] ^= 0x01
    archive.write_bytes(bytes(data))
    with pytest.raises(zipfile.BadZipFile, match="CRC"):
        _load(cog_store, archive)
    assert _graph(cog_store) == before


def test_the_command_line_loads_through_the_worker_and_keeps_merges_made_since(
    invoke, tmp_path, in_worker, monkeypatch
):
    workers = []
    encoded = rna.ParallelRnaRecords.encoded

    def spied(records, encoder, chunk_size):
        workers.append(records.members[0].name)
        return encoded(records, encoder, chunk_size)

    monkeypatch.setattr(rna.ParallelRnaRecords, "encoded", spied)
    assert invoke("load", *map(str, COG)).exit_code == 0
    extract = _waldec(tmp_path / "rna_waldec_20241001_dpt_93.csv", 40)
    result = invoke("load", str(extract))
    assert result.exit_code == 0, result.output
    assert "rna-waldec: 40 nodes, 41 relations loaded from 41 rows" in result.output
    assert workers == ["rna_waldec_20241001_dpt_93.csv"]
    merged = invoke("merge", "association:rna-W930000001", "--into", "association:rna-W930000002", "--force")
    assert merged.exit_code == 0, merged.output
    # Next month's extract: read through the merge's redirects, not in the worker.
    result = invoke("load", str(_waldec(tmp_path / "rna_waldec_20241101_dpt_93.csv", 41)), "--source", "rna-waldec")
    assert result.exit_code == 0, result.output
    assert workers == ["rna_waldec_20241001_dpt_93.csv"]
    store = SQLiteStore(invoke.store)
    try:
        assert store.get("association:rna-W930000001") is None
        assert "AMICALE NUMÉRO 1" in store.get("association:rna-W930000002").aliases
        assert store.get("association:rna-W930000040") is not None
    finally:
        store.close()


def _partners(a: int, b: int, note: str) -> RelationRecord:
    return RelationRecord(
        Relation(f"association:rna-W{a:09d}", "PARTNERS_WITH", f"association:rna-W{b:09d}", "", {"note": note}),
        "p.csv:2",
    )


def test_a_relation_written_on_the_way_to_a_node_the_stream_no_longer_asserts_fails_the_load(store_with_communes):
    store = store_with_communes
    source = Source("rna-waldec", "rna-waldec", "test")
    store.write_stream(source, iter([_association(1), _association(2)]), chunk_size=1)
    before = (store.nodes(), store.relations())
    # Association 2 is still in the store while the relation to it is written, then goes.
    with pytest.raises(LoadError) as error:
        store.write_stream(source, iter([_association(1), _partners(1, 2, "x")]), chunk_size=1)
    assert [str(problem) for problem in error.value.problems] == [
        "p.csv:2: relation PARTNERS_WITH points to unknown node 'association:rna-W000000002'"
    ]
    assert (store.nodes(), store.relations()) == before


def test_relations_to_later_nodes_and_relations_other_sources_claim_are_written_at_the_end(store_with_communes):
    store = store_with_communes
    other = Batch(Source("workbook", "workbook", "test"))
    other.nodes = [_association(1), _association(2)]
    other.relations = [_partners(1, 2, "from the workbook")]
    store.write(other)
    records = [
        _partners(1, 2, "from the register"),
        _partners(2, 3, "later node"),
        _association(3),
        _located(3, "collectivite:com-93001"),
    ]
    store.write_stream(Source("rna-waldec", "rna-waldec", "test"), iter(records), chunk_size=1)
    relations = {(r.source[-1], r.target[-1]): dict(r.attrs) for r in store.relations() if r.type == "PARTNERS_WITH"}
    assert relations == {("1", "2"): {"note": "from the register"}, ("2", "3"): {"note": "later node"}}
    store.unload("rna-waldec")
    assert [dict(r.attrs) for r in store.relations() if r.type == "PARTNERS_WITH"] == [{"note": "from the workbook"}]


def _claim_rows(store: SQLiteStore) -> tuple[int, int]:
    return store.connection.execute(
        "SELECT (SELECT count(*) FROM node_claims), (SELECT count(*) FROM relation_claims)"
    ).fetchone()


def test_a_register_alone_on_its_nodes_is_written_once_as_rows_keeping_their_claims(store_with_communes):
    store = store_with_communes
    records = [record for n in range(50) for record in (_association(n), _located(n, "collectivite:com-93002"))]
    store.write_stream(Source("rna-waldec", "rna-waldec", "test"), iter(records), chunk_size=8)
    assert _claim_rows(store) == (0, 0)
    assert [(s.name, s.nodes, s.relations) for s in store.sources()] == [("cog", 3, 0), ("rna-waldec", 50, 50)]
    (claim,) = store.node_claims("association:rna-W000000007")
    assert (claim.source, claim.place, claim.name) == ("rna-waldec", "rna.csv:8", "Amicale 7")
    (relation,) = store.relation_claims("association:rna-W000000007")
    assert (relation.source, relation.place, relation.relation.target) == (
        "rna-waldec",
        "rna.csv:8",
        "collectivite:com-93002",
    )
    assert store.dump_source("rna-waldec").relations[7].place == "rna.csv:8"


def test_a_stream_meeting_nodes_and_relations_another_source_claims_folds_them(store_with_communes):
    store = store_with_communes
    workbook = Batch(Source("workbook", "workbook", "test"))
    workbook.nodes = [
        NodeRecord(
            Node("association:rna-W000000012", "Association", "Amicale Douze", ("AD",), {"website": "ad.fr"}), "w.csv:2"
        )
    ]
    workbook.relations = [
        RelationRecord(
            Relation("association:rna-W000000012", "LOCATED_IN", "collectivite:com-93001", "", {"note": "siège"}),
            "w.csv:2",
        )
    ]
    store.write(workbook)
    records = [record for n in range(30) for record in (_association(n), _located(n, "collectivite:com-93001"))]
    store.write_stream(Source("rna-waldec", "rna-waldec", "test"), iter(records), chunk_size=8)
    node = store.get("association:rna-W000000012")
    assert (node.name, node.aliases, dict(node.attrs)) == (
        "Amicale 12",
        ("Amicale Douze", "AD"),
        {"website": "ad.fr", "rna_id": "W000000012"},
    )
    assert [c.source for c in store.node_claims(node.id)] == ["workbook", "rna-waldec"]
    (located,) = store.relations(node.id)
    assert dict(located.attrs) == {"note": "siège"}
    assert sorted(c.source for c in store.relation_claims(node.id)) == ["rna-waldec", "workbook"]
    # Only the two claims of the node and the two of its relation are kept apart.
    assert _claim_rows(store) == (2, 2)
    assert len(store.relations("collectivite:com-93001")) == 30
    store.unload("workbook")
    assert _claim_rows(store) == (0, 0)
    assert store.get(node.id).aliases == () and dict(store.relations(node.id)[0].attrs) == {}


def test_the_worker_encodes_the_claims_byte_for_byte_as_the_records_read_here_encode(tmp_path):
    extract = _waldec(tmp_path / "rna_waldec_20241001_dpt_93.csv", 60)
    text = extract.read_text(encoding="utf-8").replace("www.rosny-solidarite.example", 'www."quoted"\\site.example', 1)
    extract.write_text(text.replace(";;;;932P;", ";;73282932000074;;932P;", 2), encoding="utf-8")
    (load,) = open_sources([extract], None, "test", options=LoadOptions())
    encoder = ClaimEncoder(load.source.name)
    records = [record for record in load.records if isinstance(record, NodeRecord)]
    out = io.BytesIO()
    rna._read_and_send(load.records.members, LoadOptions(), encoder, 1000, out)
    out.seek(0)
    messages = rna._Messages(out)
    messages.start()
    _, chunk, places, rows_read = messages.next()
    assert messages.next()[0] == "end"
    with pytest.raises(EOFError):
        messages.next()
    messages.stop()
    # The row read last for an id is its claim, in the order of those last rows.
    latest: dict[str, NodeRecord] = {}
    for record in records:
        latest.pop(record.node.id, None)
        latest[record.node.id] = record
    rows, names = encode_nodes(load.source.name, latest.values())
    # The names come in the order of their keys, and of the rows for one key.
    assert chunk == ("nodes", rows, sorted(names, key=lambda name: name[0]))
    assert chunk[2] != names
    attributes = [row[5] for row in chunk[1]]
    assert any('"siret":"73282932000074"' in text for text in attributes) and any(
        "\\\\site" in text for text in attributes
    )
    assert rows_read == 61 and [place for _, _, place in places] == [record.place for record in records]


@settings(max_examples=500, deadline=None)
@given(
    st.from_regex(rna._RNA_ID, fullmatch=True),
    st.sampled_from(["", "73282932000074"]),
    st.lists(st.from_regex(rna._CODE, fullmatch=True), max_size=2),
    st.one_of(st.just(""), st.from_regex(rna._DATE, fullmatch=True)),
    st.text(),
    st.sampled_from(["", "93110", "97100"]),
)
def test_association_attributes_are_written_as_the_store_writes_json(rna_id, siret, codes, date, website, postal_code):
    written = rna._attributes_json(rna_id, siret, codes, date, website, postal_code)
    assert written == json_dict(rna._attributes(rna_id, siret, codes, date, website, postal_code))


@pytest.mark.parametrize("claims_of_others", [1, 40], ids=["few other claims", "more other claims than streamed nodes"])
def test_a_streamed_node_brings_back_the_relations_other_sources_claim_to_it(store_with_communes, claims_of_others):
    store = store_with_communes
    extra = Batch(Source("extra", "workbook", "test"))
    extra.nodes = [_association(n) for n in range(2, 2 + claims_of_others)]
    store.write(extra)
    workbook = Batch(Source("workbook", "workbook", "test"))
    workbook.nodes = [_association(1)]
    workbook.relations = [_partners(1, n, f"to {n}") for n in range(2, 2 + claims_of_others)]
    store.write(workbook)
    store.unload("extra")
    assert store.relations("association:rna-W000000001") == []
    store.write_stream(Source("rna-waldec", "rna-waldec", "test"), iter([_association(2)]))
    assert [(r.target, dict(r.attrs)) for r in store.relations("association:rna-W000000001")] == [
        ("association:rna-W000000002", {"note": "to 2"})
    ]
    assert _claim_rows(store) == (0, claims_of_others - 1)


def _journal(store: SQLiteStore) -> str:
    return store.connection.execute("PRAGMA journal_mode").fetchone()[0]


def test_a_stream_holds_a_store_nobody_else_has_open_in_rollback_journal_mode_then_goes_back_to_wal(
    store_with_communes,
):
    store = store_with_communes
    seen = []

    def records():
        for n in range(30):
            if n == 20:
                seen.append(_journal(store))
            yield _association(n)

    store.write_stream(Source("rna-waldec", "rna-waldec", "test"), records(), chunk_size=8)
    assert seen == ["delete"] and _journal(store) == "wal"
    assert store.counts()["Association"] == 30
    with pytest.raises(LoadError):
        store.write_stream(Source("rna-waldec", "rna-waldec", "test"), iter([_association(1), _located(1, "nowhere")]))
    assert _journal(store) == "wal" and store.counts()["Association"] == 30


def test_a_stream_leaves_the_wal_to_a_store_another_connection_reads(store_with_communes):
    store = store_with_communes
    seen = []
    with SQLiteStore(store.path) as reader:
        before = reader.counts()

        def records():
            for n in range(30):
                if n == 20:
                    seen.append((_journal(store), reader.counts()))
                yield _association(n)

        store.write_stream(Source("rna-waldec", "rna-waldec", "test"), records(), chunk_size=8)
        # The reader saw the store as it was while the stream ran, and sees the stream once written.
        assert seen == [("wal", before)]
        assert reader.counts()["Association"] == 30


def test_the_embedded_store_asks_for_the_digest_of_a_source_it_does_not_hold_once_its_records_are_written(
    store_with_communes,
):
    store = store_with_communes
    read, asked = [], []

    def records():
        for n in range(30):
            read.append(n)
            yield _association(n)

    def digest():
        asked.append(len(read))
        return "digest of rna.csv"

    store.write_stream(Source("rna-waldec", "rna-waldec", "test"), records(), digest, chunk_size=8)
    assert asked == [30] and store.source_digests()["rna-waldec"] == "digest of rna.csv"


def test_a_register_extract_digest_is_the_file_digest_computed_in_the_background(tmp_path):
    extract = _waldec(tmp_path / "rna_waldec_20241001_dpt_93.csv", 10)
    (load,) = open_sources([extract], None, "test", options=LoadOptions())
    assert callable(load.digest)
    assert load.digest() == file_digest([extract], "rna-waldec", "", "strict") == load.digest()
    with pytest.raises(FileNotFoundError):
        DigestInBackground([tmp_path / "absent.csv"], "rna-waldec")()


def test_a_reload_replaces_the_relations_it_asserts_again_and_drops_the_others(store_with_communes):
    store = store_with_communes
    source = Source("rna-waldec", "rna-waldec", "test")
    first = [record for n in range(20) for record in (_association(n), _located(n, "collectivite:com-93001"))]
    store.write_stream(source, iter(first), chunk_size=6)
    moved = [_located(n, "collectivite:com-93002") for n in range(5)]
    again = [
        *(_association(n) for n in range(20)),
        *moved,
        *(_located(n, "collectivite:com-93001") for n in range(5, 10)),
    ]
    store.write_stream(source, iter(again), chunk_size=6)
    assert [r.source[-2:] for r in store.relations("collectivite:com-93002")] == [f"{n:02d}" for n in range(5)]
    assert sorted(
        r.source[-2:] for r in store.relations("collectivite:com-93001") if r.source.startswith("association")
    ) == [f"{n:02d}" for n in range(5, 10)]
    assert _claim_rows(store) == (0, 0)
    assert [(s.name, s.nodes, s.relations) for s in store.sources()][-1] == ("rna-waldec", 20, 10)
