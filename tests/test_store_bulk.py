"""The embedded store's bulk path: large streamed writes, their deferred indexes, and the schema version."""

from __future__ import annotations

import sqlite3

import pytest

from maillage.graph.errors import LoadError, StoreUnavailable
from maillage.graph.model import Batch, Node, NodeRecord, Relation, RelationRecord, Source
from maillage.graph.store.sqlite import SCHEMA_VERSION, SQLiteStore, _name_key


def _indexes(store: SQLiteStore) -> set[str]:
    return {row[0] for row in store._db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}


def _association(n: int, name: str | None = None) -> NodeRecord:
    return NodeRecord(Node(f"association:rna-W{n:09d}", "Association", name or f"Amicale {n}", (), {"rna_id": f"W{n:09d}"}), f"rna.csv:{n + 1}")


def _located(n: int, commune: str) -> RelationRecord:
    return RelationRecord(Relation(f"association:rna-W{n:09d}", "LOCATED_IN", commune), f"rna.csv:{n + 1}")


@pytest.fixture
def store_with_communes(tmp_path):
    store = SQLiteStore(tmp_path / "bulk.db")
    cog = Batch(Source("cog", "insee-cog", "test"))
    cog.nodes = [NodeRecord(Node(f"collectivite:com-9300{i}", "Collectivite", f"Commune {i}", (), {}), f"cog.csv:{i}") for i in range(1, 4)]
    store.write(cog)
    yield store
    store.close()


def test_a_stream_larger_than_the_store_keeps_every_index_and_gives_what_write_gives(store_with_communes, tmp_path):
    store = store_with_communes
    indexes = _indexes(store)
    records = [record for n in range(200) for record in (_association(n), _located(n, f"collectivite:com-9300{n % 3 + 1}"))]
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
    records = [*(record for n in range(100) for record in (_association(n), _located(n, "collectivite:com-93001"))), _located(7, "nowhere")]
    with pytest.raises(LoadError):
        store.write_stream(Source("rna-waldec", "rna-waldec", "test"), iter(records), chunk_size=10)
    assert _indexes(store) == indexes and store.nodes() == nodes


def test_a_node_met_again_in_a_later_chunk_keeps_only_its_last_names(store_with_communes):
    store = store_with_communes
    records = [_association(1, "Ancien Nom"), *(_association(n) for n in range(2, 40)), _association(1, "Nouveau Nom")]
    store.write_stream(Source("rna-waldec", "rna-waldec", "test"), iter(records), chunk_size=5)
    assert [n.id for n in store.find("nouveau nom")] == ["association:rna-W000000001"]
    assert store.find("ancien nom") == []
    keys = {row[0] for row in store._db.execute("SELECT key FROM names WHERE node_id = 'association:rna-W000000001'")}
    assert keys == {_name_key("Nouveau Nom")}


def test_reloading_a_source_replaces_its_names(store_with_communes):
    store = store_with_communes
    source = Source("rna-waldec", "rna-waldec", "test")
    store.write_stream(source, iter([_association(n) for n in range(30)]), chunk_size=4)
    store.write_stream(source, iter([_association(n, f"Club {n}") for n in range(10)]), chunk_size=4)
    assert store.find("amicale 3") == [] and store.find("amicale 20") == []
    assert [n.name for n in store.find("club 3")] == ["Club 3"]
    assert store.nodes(search="amicale") == []


def test_a_schema_1_store_is_brought_to_schema_2(tmp_path):
    path = tmp_path / "old.db"
    SQLiteStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("CREATE INDEX names_by_node ON names(node_id)")
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    db.close()
    store = SQLiteStore(path)
    try:
        assert "names_by_node" not in _indexes(store)
        assert store._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    finally:
        store.close()


def test_a_store_of_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "newer.db"
    SQLiteStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    db.close()
    with pytest.raises(StoreUnavailable, match="newer than this maillage reads"):
        SQLiteStore(path)
