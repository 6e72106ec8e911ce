"""The bulk path into Neo4j (``push --bulk``, ``scripts/neo4j import``): the same database as a push.

The test replaces the database of the test server by an import, through the script, as a
user would; it needs the server ``make test`` started with ``scripts/neo4j`` on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from maillage.graph.store import open_store
from maillage.graph.store.neo4j.bulk import ARGUMENTS_FILE

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
COG = [SAMPLES / f"v_{level}_2024.csv" for level in ("region", "departement", "commune")]

ACTORS = (
    "id,kind,name,aliases,level,insee_code,country,website,description\n"
    ',Association,"Les ""Amis"" de Bobigny ; Pantin, et d\'ailleurs","AMIS;BP",,,FR,,"deux lignes\nla seconde"\n'
    ",Collectivite,Commune d'Ajaccio,Aiacciu,commune,2A004,FR,,\n"
    ",Collectivite,Guadeloupe,Région Guadeloupe,region,01,FR,,\n"
    ",Theme,Éducation à la citoyenneté,,,,,,  espaces autour  \n"
    ",Association,Solidarité Bondy,,,,FR,https://example.org/a\\b,\n"
)
RELATIONS = (
    "source,type,target,role,start,end,note\n"
    '"Les ""Amis"" de Bobigny ; Pantin, et d\'ailleurs",WORKS_ON,Éducation à la citoyenneté,,,,"note ""citée"", ;"\n'
    "Solidarité Bondy,PARTNERS_WITH,Association éphémère,,,,\n"
    "Solidarité Bondy,MEMBER_OF,Cités Unies France,,,,\n"
    "Commune d'Ajaccio,WORKS_ON,Développement durable,,,,\n"
)


def _workbook(folder: Path, actors: str, relations: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "actors.csv").write_text(actors, encoding="utf-8")
    if relations is not None:
        (folder / "relations.csv").write_text(relations, encoding="utf-8")
    return folder


def _database(store) -> tuple[list[str], list[str]]:
    """Every node (labels and properties) and relationship of the database, comparable; the
    count of writes the store lock keeps is left out (a push takes the lock once per write)."""
    nodes = []
    for row in store._read("MATCH (n) RETURN labels(n) AS labels, properties(n) AS props"):
        props = dict(row["props"])
        if "MaillageStore" in row["labels"]:
            props.pop("writes", None)
        nodes.append(json.dumps([sorted(row["labels"]), props], sort_keys=True, ensure_ascii=False))
    relationships = [
        json.dumps([row["s"], row["t"], row["g"], row["props"]], sort_keys=True, ensure_ascii=False)
        for row in store._read("MATCH (a)-[r]->(b) RETURN a.id AS s, type(r) AS t, b.id AS g, properties(r) AS props")
    ]
    return sorted(nodes), sorted(relationships)


def _graph(store) -> tuple:
    return (
        [(n.id, n.kind, n.name, n.aliases, json.dumps(n.attrs, sort_keys=True)) for n in store.nodes()],
        [(r.key, json.dumps(r.attrs, sort_keys=True)) for r in store.relations()],
        [(b.source, b.nodes, b.relations) for b in store.dump()],
        store.sources(),
        store.documents("snapshots"),
        store.counts(),
    )


def _timeless(state: tuple) -> tuple:
    """``state`` (:func:`_database`, :func:`_graph`) as text, the times of loads and events (and the
    keys of events) left out, the database's lines sorted again: the same changes made twice are
    made at different times."""

    def strip(text: str) -> str:
        return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00(#[0-9a-f]+)?", "TIME", text)

    (nodes, relationships), graph = state
    return sorted(map(strip, nodes)), sorted(map(strip, relationships)), strip(repr(graph))


ANSWERS = [
    ("actors",),
    ("actors", "--search", "amis"),
    ("show", "AMIS;BP"),
    ("show", "Aiacciu"),
    ("show", "association:solidarite-bondy"),
    ("path", "Rosny-sous-Bois", "Ritimo"),
    ("report", "centrality", "--top", "15"),
    ("sources",),
]


def _answers(invoke, uri: str) -> list[str]:
    outputs = []
    for args in ANSWERS:
        result = invoke(*args, store_location=uri)
        assert result.exit_code == 0, (args, result.output)
        outputs.append(result.output)
    return outputs


def _script(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(ROOT / "scripts" / "neo4j"), *args], capture_output=True, text=True, env=os.environ, timeout=600
    )


@pytest.fixture
def local_server(neo4j_uri, monkeypatch):
    """The test server, when scripts/neo4j runs it on this machine (its port from the URI)."""
    address = urlsplit(neo4j_uri)
    if address.hostname not in ("127.0.0.1", "localhost"):
        pytest.skip(f"{neo4j_uri} is not a server scripts/neo4j runs here: a bulk import needs its files")
    monkeypatch.setenv("NEO4J_BOLT_PORT", str(address.port or 7687))
    status = _script("status")
    assert status.returncode == 0, f"scripts/neo4j does not run the test server: {status.stdout}{status.stderr}"
    return neo4j_uri


@pytest.mark.neo4j
def test_a_bulk_import_gives_the_database_a_push_gives(invoke, demo_path, tmp_path, local_server):
    uri = local_server
    tricky = _workbook(tmp_path / "tricky", ACTORS, RELATIONS)
    ephemeral = _workbook(tmp_path / "ephemere", "id,kind,name\n,Association,Association éphémère\n")
    for args in (
        ["load", str(demo_path)],
        ["load", str(ephemeral)],
        # Authoritative, and loaded before the COG names Ajaccio otherwise: its name wins.
        ["load", str(tricky), "--authoritative"],
        ["load", *map(str, COG)],
        ["load", str(SAMPLES / "rna_waldec_20241001_dpt_93.csv")],
        [
            "load",
            str(SAMPLES / "banatic_perimetre_epci_2024.xls"),
            "--siren-table",
            str(SAMPLES / "banatic_siren_insee_2024.csv"),
        ],
        ["load", str(SAMPLES / "equipe")],
        # Its relation claim stays, kept apart: an end is missing.
        ["unload", "ephemere"],
        ["snapshot", "copil"],
    ):
        result = invoke(*args)
        assert result.exit_code == 0, (args, result.output)
    reloaded = _workbook(
        tmp_path / "reload" / "tricky",
        ACTORS.replace("Solidarité Bondy,,", "Solidarité Bondy,SB,"),
        RELATIONS.replace("Solidarité Bondy,PARTNERS_WITH,Association éphémère,,,,\n", ""),
    )

    def changes() -> None:
        for args in (["load", str(reloaded)], ["unload", "equipe"]):
            result = invoke(*args, store_location=uri)
            assert result.exit_code == 0, (args, result.output)

    # The driver path.
    with open_store(uri) as store:
        store.clear()
    pushed = invoke("push", "--to", uri)
    assert pushed.exit_code == 0, pushed.output
    with open_store(uri) as store:
        expected_database, expected_graph = _database(store), _graph(store)
        assert store.get("association:rna-W932001234") is not None
        assert store.get("collectivite:com-2A004").name == "Commune d'Ajaccio"
        assert any(claim for claim in store.relation_claims("association:solidarite-bondy") if claim.source == "tricky")
    expected_answers = _answers(invoke, uri)
    changes()
    with open_store(uri) as store:
        expected_after = _timeless((_database(store), _graph(store)))

    # Refusals: a destination that holds a graph, a folder that holds files.
    files = tmp_path / "bulk"
    refused = invoke("push", "--to", uri, "--bulk", str(files))
    assert refused.exit_code == 2 and "is not empty" in refused.output and not files.exists()
    with open_store(uri) as store:
        store.clear()
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("x", encoding="utf-8")
    refused = invoke("push", "--to", uri, "--bulk", str(tmp_path / "busy"))
    assert refused.exit_code == 2 and "is not an empty folder" in refused.output

    # The bulk path.
    written = invoke("push", "--to", uri, "--bulk", str(files))
    assert written.exit_code == 0, written.output
    assert (files / ARGUMENTS_FILE).is_file()
    imported = _script("import", str(files))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "imported" in imported.stdout
    finished = invoke("init", store_location=uri)
    assert finished.exit_code == 0, finished.output
    with open_store(uri) as store:
        database = _database(store)
        assert [sorted(set(a) - set(b)) for a, b in zip(database, expected_database)] == [[], []]
        assert [sorted(set(b) - set(a)) for a, b in zip(database, expected_database)] == [[], []]
        assert database == expected_database
        assert _graph(store) == expected_graph
    assert _answers(invoke, uri) == expected_answers

    # Ordinary writes on top of it.
    changes()
    with open_store(uri) as store:
        assert _timeless((_database(store), _graph(store))) == expected_after


def test_the_import_script_refuses_a_folder_without_import_files(tmp_path):
    result = _script("import", str(tmp_path))
    assert result.returncode == 2 and "import.args" in result.stderr


def test_a_bulk_push_into_a_store_that_is_not_neo4j_is_refused(invoke, demo_path, tmp_path):
    assert invoke("load", str(demo_path)).exit_code == 0
    files = tmp_path / "bulk"
    result = invoke("push", "--to", str(tmp_path / "copy.db"), "--bulk", str(files))
    assert result.exit_code == 2
    assert "is not a Neo4j store" in result.output and not files.exists()
