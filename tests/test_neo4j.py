"""The Neo4j store against real servers: concurrent writers, faults, secrets.

The concurrency test uses the shared test server (``neo4j_uri``). The fault and
secret tests start a second server of their own with ``scripts/neo4j`` (another
Bolt port, its own data directory and a known password) so that stopping it,
or locking its user out with wrong passwords, disturbs no other test.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import pty
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from maillage.cli import main
from maillage.graph.errors import StoreError
from maillage.graph.model import Node
from maillage.graph.store import open_store
from maillage.graph.store.neo4j import DIRECT_STREAM_RECORDS, Neo4jStore

pytestmark = pytest.mark.neo4j

ROOT = Path(__file__).resolve().parents[1]
MAILLAGE = str(Path(sys.executable).with_name("maillage"))
KNOWN_PASSWORD = "Known-Spare-Secret-4821"
FAKE_PASSWORD = "Fake-Wrong-Secret-7731"

ACTOR_HEADER = ["id", "kind", "name", "aliases", "description"]
RELATION_HEADER = ["source", "type", "target", "role", "start", "end", "note"]


def write_workbook(folder: Path, actors: list[list[str]], relations: list[list[str]]) -> Path:
    """A workbook folder: actors.csv and relations.csv."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, header, rows in (("actors.csv", ACTOR_HEADER, actors), ("relations.csv", RELATION_HEADER, relations)):
        with open(folder / name, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
    return folder


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_the_user_is_unlocked(uri: str, within: float = 30.0) -> None:
    """Wait for the server to accept the known password again: it may lock a user for a few
    seconds after failed logins. A cheap authenticated query every 0.2 s, failing after ``within``."""
    deadline = time.monotonic() + within
    while True:
        try:
            with Neo4jStore(uri, password=KNOWN_PASSWORD) as store:
                store.query("RETURN 1 AS one")
            return
        except StoreError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def comparable(store):
    """What a reader sees, without load times (two loads are never at the same second)."""
    return (
        store.counts(),
        store.nodes(),
        store.relations(),
        [(s.name, s.format, s.contributor, s.authoritative, s.nodes, s.relations) for s in store.sources()],
        [(b.source.name, b.nodes, b.relations) for b in store.dump()],
    )


# --------------------------------------------------------------------------- a server of our own


class SpareServer:
    """A second Neo4j started with scripts/neo4j on a free port, with its own data and a known password."""

    def __init__(self, data_dir: Path):
        self.port = free_port()
        self.uri = f"bolt://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "NEO4J_PASSWORD": KNOWN_PASSWORD,
            "NEO4J_BOLT_PORT": str(self.port),
            "NEO4J_HTTP_PORT": "off",
            "NEO4J_DATA_DIR": str(data_dir),
            # A 45,000-relation source is one transaction: its state needs more than the default 512m heap.
            "NEO4J_HEAP": "1g",
        }
        self.pid_file = ROOT / ".cache" / "neo4j" / f"run-{self.port}" / "neo4j.pid"

    def script(self, command: str) -> None:
        done = subprocess.run([str(ROOT / "scripts" / "neo4j"), command], env=self.env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr + done.stdout

    def kill(self) -> None:
        """Stop the server the hard way, as a crash or a pulled plug would."""
        pid = int(self.pid_file.read_text())
        os.kill(pid, signal.SIGKILL)
        while Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower():
            time.sleep(0.1)
        self.pid_file.unlink()


@pytest.fixture(scope="module")
def spare(neo4j_uri, tmp_path_factory):
    server = SpareServer(tmp_path_factory.mktemp("neo4j-data"))
    server.script("start")
    yield server
    server.script("stop")
    shutil.rmtree(server.pid_file.parent, ignore_errors=True)


@pytest.fixture
def spare_env(spare, monkeypatch):
    """The environment a user of the spare server has: its password in NEO4J_PASSWORD."""
    monkeypatch.setenv("NEO4J_PASSWORD", KNOWN_PASSWORD)
    monkeypatch.delenv("NEO4J_USER", raising=False)
    with Neo4jStore(spare.uri) as store:
        store.clear()
        store.init()
    return spare


# --------------------------------------------------------------------------- concurrency


def overlapping_workbooks(base: Path, round_: int) -> list[Path]:
    """Four workbooks that share 30 actors and their relations; each also has 20 actors of its own."""
    shared = [[f"association:shared-{i}", "Association", f"Réseau partagé {i}", f"RP{i}", ""] for i in range(30)]
    folders = []
    for k in range(4):
        own = [
            [f"association:wb{k}-{i}", "Association", f"Association {k}-{i}", "", f"round {round_}"] for i in range(20)
        ]
        relations = [
            [
                f"association:shared-{i}",
                "PARTNERS_WITH",
                f"association:shared-{(i + 1) % 30}",
                "",
                "",
                "",
                f"round {round_}",
            ]
            for i in range(30)
        ]
        relations += [
            [
                f"association:wb{k}-{i}",
                "MEMBER_OF",
                f"association:shared-{(i + k) % 30}",
                "",
                "2009",
                "",
                f"round {round_}",
            ]
            for i in range(20)
        ]
        folders.append(write_workbook(base / f"round{round_}" / f"wb{k}", shared + own, relations))
    return folders


def test_four_processes_loading_overlapping_workbooks_leave_no_duplicate(neo4j_store, tmp_path):
    uri = neo4j_store.location
    for round_ in range(3):
        folders = overlapping_workbooks(tmp_path, round_)
        processes = [
            subprocess.Popen(
                [MAILLAGE, "--store", uri, "--contributor", f"writer{k}", "load", str(folder), "--source", f"wb{k}"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for k, folder in enumerate(folders)
        ]
        for process in processes:
            out, err = process.communicate(timeout=300)
            assert process.returncode == 0, err
            assert "loaded" in out
        assert neo4j_store.duplicates() == {"nodes": 0, "relations": 0}

    expected_ids = {f"association:shared-{i}" for i in range(30)} | {
        f"association:wb{k}-{i}" for k in range(4) for i in range(20)
    }
    assert {node.id for node in neo4j_store.nodes()} == expected_ids
    assert neo4j_store.counts() == {"Association": 110, "MEMBER_OF": 80, "PARTNERS_WITH": 30}
    assert sorted(s.name for s in neo4j_store.sources()) == ["wb0", "wb1", "wb2", "wb3"]
    assert {c.source for c in neo4j_store.node_claims("association:shared-0")} == {"wb0", "wb1", "wb2", "wb3"}

    reference = open_store(str(tmp_path / "reference.db"))
    for folder, k in zip(folders, range(4)):
        result = subprocess.run(
            [
                MAILLAGE,
                "--store",
                str(tmp_path / "reference.db"),
                "--contributor",
                f"writer{k}",
                "load",
                str(folder),
                "--source",
                f"wb{k}",
            ],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
    assert neo4j_store.nodes() == reference.nodes()
    assert neo4j_store.relations() == reference.relations()
    reference.close()


# --------------------------------------------------------------------------- faults


def big_workbook(folder: Path, actors: int = 15_000, relations: int = 45_000) -> Path:
    rows = [[f"association:big-{i}", "Association", f"Grande association {i}", "", "texte"] for i in range(actors)]
    links = [
        [
            f"association:big-{i % actors}",
            "PARTNERS_WITH",
            f"association:big-{(i % actors + 1 + i // actors) % actors}",
            "",
            "",
            "",
            f"lien {i}",
        ]
        for i in range(relations)
    ]
    return write_workbook(folder, rows, links)


def running_load(store: Neo4jStore) -> bool:
    """True while the server runs one of our batched writes."""
    rows = store.query("SHOW TRANSACTIONS YIELD currentQuery RETURN currentQuery")
    return any("UNWIND $rows" in (row["currentQuery"] or "") for row in rows)


def test_server_stopped_in_the_middle_of_a_load(spare_env, tmp_path, demo_path):
    spare = spare_env
    big = big_workbook(tmp_path / "big")
    env = {**os.environ, "NEO4J_PASSWORD": KNOWN_PASSWORD}
    first = subprocess.run(
        [MAILLAGE, "--store", spare.uri, "load", str(demo_path)], env=env, capture_output=True, text=True
    )
    assert first.returncode == 0, first.stderr
    with Neo4jStore(spare.uri) as store:
        before = comparable(store)

        # Files, not pipes: a full pipe would block the load and the wait below.
        with open(tmp_path / "out.txt", "w") as out_file, open(tmp_path / "err.txt", "w") as err_file:
            load = subprocess.Popen(
                [MAILLAGE, "--store", spare.uri, "load", str(big)], env=env, stdout=out_file, stderr=err_file
            )
        while not running_load(store):
            assert load.poll() is None, (tmp_path / "err.txt").read_text()
            time.sleep(0.2)
    spare.kill()
    load.wait(timeout=300)
    out, err = (tmp_path / "out.txt").read_text(), (tmp_path / "err.txt").read_text()

    assert load.returncode == 1
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("Error: ") and spare.uri in lines[0] and "Traceback" not in err

    spare.script("start")
    with Neo4jStore(spare.uri) as store:
        assert comparable(store) == before
        again = subprocess.run(
            [MAILLAGE, "--store", spare.uri, "load", str(big)], env=env, capture_output=True, text=True
        )
        assert again.returncode == 0, again.stderr
        clean = open_store(str(tmp_path / "clean.db"))
        for folder in (demo_path, big):
            subprocess.run(
                [MAILLAGE, "--store", str(tmp_path / "clean.db"), "load", str(folder)], check=True, capture_output=True
            )
        assert comparable(store) == comparable(clean)
        assert store.duplicates() == {"nodes": 0, "relations": 0}
        clean.close()


def _one_line_error(result, *must_contain: str) -> str:
    assert result.exit_code in (1, 2), result.output
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith("Error: "), result.output
    assert len([line for line in lines if line.startswith("Error")]) == 1
    assert "Traceback" not in result.output
    for text in must_contain:
        assert text in lines[-1]
    return lines[-1]


def test_wrong_password_is_one_clear_line_that_does_not_show_it(spare_env, runner, monkeypatch):
    monkeypatch.setenv("NEO4J_PASSWORD", FAKE_PASSWORD)
    result = runner.invoke(main, ["--store", spare_env.uri, "actors"])
    line = _one_line_error(result, spare_env.uri, "refused the credentials of user 'neo4j'")
    assert result.exit_code == 1
    assert FAKE_PASSWORD not in result.output and KNOWN_PASSWORD not in line
    wait_until_the_user_is_unlocked(spare_env.uri)


def test_unreachable_server_is_one_clear_line(runner, spare_env):
    closed = f"bolt://127.0.0.1:{free_port()}"
    result = runner.invoke(main, ["--store", closed, "actors"])
    _one_line_error(result, f"cannot reach the Neo4j server at {closed}")
    assert result.exit_code == 1
    unknown_host = runner.invoke(main, ["--store", "neo4j://no-such-host.invalid:7687", "actors"])
    _one_line_error(unknown_host, "cannot reach the Neo4j server at neo4j://no-such-host.invalid:7687")


@pytest.mark.parametrize("scheme", ["neo4j+s", "bolt+s", "neo4j+ssc"])
def test_tls_scheme_against_a_plain_server_is_one_clear_line(runner, spare_env, scheme):
    uri = f"{scheme}://127.0.0.1:{spare_env.port}"
    result = runner.invoke(main, ["--store", uri, "actors"])
    _one_line_error(
        result, f"cannot open an encrypted (TLS) connection to the Neo4j server at {uri}", "use neo4j:// or bolt://"
    )
    assert result.exit_code == 1


def test_unknown_database_is_one_clear_line(runner, spare_env):
    result = runner.invoke(main, ["--store", spare_env.uri, "--database", "nosuchdb", "actors"])
    _one_line_error(result, spare_env.uri, "no database 'nosuchdb'")


# --------------------------------------------------------------------------- secrets


def test_a_uri_with_credentials_is_refused_without_echoing_them(runner, spare_env):
    result = runner.invoke(main, ["--store", f"bolt://neo4j:{FAKE_PASSWORD}@127.0.0.1:{spare_env.port}", "actors"])
    assert result.exit_code == 2
    assert "must not carry credentials" in result.output
    assert FAKE_PASSWORD not in result.output


def test_no_command_takes_a_password_on_the_command_line():
    def options(command):
        yield from (opt for param in command.params for opt in getattr(param, "opts", []))
        for sub in getattr(command, "commands", {}).values():
            yield from options(sub)

    assert not [opt for opt in options(main) if "pass" in opt.lower() or "secret" in opt.lower()]


def _read_terminal(master: int, until: bytes, seconds: float) -> bytes:
    """What the program on the other side of a pseudo-terminal writes, until ``until`` or its end."""
    seen, deadline = b"", time.monotonic() + seconds
    while until not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1.0)
        if not ready:
            continue
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    return seen


def test_the_password_prompt_hides_what_is_typed_at_a_terminal(spare_env, demo_path):
    env = {key: value for key, value in os.environ.items() if key != "NEO4J_PASSWORD"}
    master, terminal = pty.openpty()
    program = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from maillage.cli import main; main()",
            "--store",
            spare_env.uri,
            "load",
            str(demo_path),
        ],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
        close_fds=True,
    )
    os.close(terminal)
    try:
        shown = _read_terminal(master, b"Neo4j password for neo4j at " + spare_env.uri.encode(), 60)
        assert b"Neo4j password for neo4j at " + spare_env.uri.encode() in shown, shown
        os.write(master, KNOWN_PASSWORD.encode() + b"\n")
        shown += _read_terminal(master, b"relations loaded", 120)
        assert program.wait(timeout=60) == 0, shown
    finally:
        if program.poll() is None:
            program.kill()
        os.close(master)
    assert b"demo: 60 nodes, 191 relations loaded" in shown
    assert KNOWN_PASSWORD.encode() not in shown


def test_a_piped_password_is_read_without_a_prompt(runner, spare_env, monkeypatch, demo_path):
    monkeypatch.delenv("NEO4J_PASSWORD")
    result = runner.invoke(main, ["--store", spare_env.uri, "load", str(demo_path)], input=KNOWN_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert result.output == "demo: 60 nodes, 191 relations loaded\n"


def test_the_password_never_reaches_output_logs_or_files(runner, spare_env, demo_path, tmp_path, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    monkeypatch.chdir(tmp_path)
    outputs = []
    for args in (
        ["init"],
        ["load", str(demo_path)],
        ["actors", "--format", "json"],
        ["show", "CG93"],
        ["report", "centrality", "--format", "md", "-o", str(tmp_path / "report.md")],
        ["map", "-o", str(tmp_path / "map.html")],
        ["push", "--to", str(tmp_path / "copy.db")],
    ):
        result = runner.invoke(main, ["--store", spare_env.uri, *args])
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    with Neo4jStore(spare_env.uri) as store:
        outputs.append(repr(store))
        store.put_document("events", "e1", {"what": "test"})
    monkeypatch.setenv("NEO4J_PASSWORD", FAKE_PASSWORD)
    outputs.append(runner.invoke(main, ["--store", spare_env.uri, "actors"]).output)
    wait_until_the_user_is_unlocked(spare_env.uri)

    assert caplog.records, "the driver's debug log was not captured"
    for text in (*outputs, caplog.text):
        assert KNOWN_PASSWORD not in text and FAKE_PASSWORD not in text
    written = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert {"report.md", "map.html", "copy.db"} <= {path.name for path in written}
    for path in written:
        content = path.read_bytes()
        assert KNOWN_PASSWORD.encode() not in content and FAKE_PASSWORD.encode() not in content


# --------------------------------------------------------------------------- query text


def test_data_never_becomes_query_text(neo4j_store):
    from maillage.graph.model import Batch, NodeRecord, Source

    hostile = Node(
        "association:x",
        "Association",
        "x'}) DETACH DELETE n //",
        ("`) MATCH (m) DETACH DELETE m //",),
        {"description": "$rows"},
    )
    neo4j_store.write(Batch(Source("evil.csv", "test", "mallory"), [NodeRecord(hostile, "evil.csv:2")]))
    assert neo4j_store.get("association:x") == hostile
    assert [n.id for n in neo4j_store.find("`) MATCH (m) DETACH DELETE m //")] == ["association:x"]
    bad_kind = Node("association:y", "Association) DETACH DELETE (n", "y")
    with pytest.raises(Exception, match="not a known kind"):
        neo4j_store.write(Batch(Source("worse.csv", "test", "mallory"), [NodeRecord(bad_kind, "worse.csv:2")]))
    assert neo4j_store.get("association:x") == hostile


# --------------------------------------------------------------------------- claims kept apart


@pytest.mark.parametrize(
    "direct_stream_records", [DIRECT_STREAM_RECORDS, 0], ids=["streams-direct", "streams-in-batches"]
)
def test_relation_claims_follow_their_ends_like_the_embedded_store(neo4j_store, sqlite_store, direct_stream_records):
    """A relationship carries its claims; when an end goes (unload) they are kept apart, and they
    come back on the relationship when the end returns, through write, write_stream and
    replace_sources alike: every answer equals the embedded store's at every step. Streams are
    written both ways: held and written as a batch is, and in transactions of two records under a pending load."""
    neo4j_store.direct_stream_records = direct_stream_records
    neo4j_store.batch_records = 2
    from maillage.graph.model import Batch, NodeRecord, Relation, RelationRecord, Source

    def batch(name, nodes=(), relations=(), authoritative=False):
        made = Batch(Source(name, "workbook", "t", "2026-01-01T00:00:00+00:00", authoritative))
        made.nodes = [
            NodeRecord(Node(i, "Association", i.upper(), (), {"note": name}), f"{name}:{k + 2}")
            for k, i in enumerate(nodes)
        ]
        # Relations one way have no role and plain attributes (kept as properties alone), the
        # other way a role and an attribute that is not a property as it is (kept as JSON too).
        made.relations = [
            RelationRecord(
                Relation(s, "PARTNERS_WITH", t, "", {"note": f"{name}-{s}"})
                if s < t
                else Relation(s, "PARTNERS_WITH", t, "chef de file", {"note": f"{name}-{s}", "montants": []}),
                f"{name}-r:{k + 2}",
            )
            for k, (s, t) in enumerate(relations)
        ]
        return made

    x, y, z, w, v = (f"association:{letter}" for letter in "xyzwv")
    steps = [
        ("write", batch("a", [x, y, z])),
        ("write", batch("b", [z], [(x, y), (z, x)])),
        ("write", batch("c", [], [(x, y)])),
        ("unload", "a"),
        ("write", batch("a", [x, y])),
        ("replace", [batch("d", [], [(y, w), (x, y)], authoritative=True)]),
        ("write", batch("e", [w], [(x, y)])),
        ("write", batch("b", [], [(z, x)])),
        ("unload", "e"),
        ("write", batch("e", [w], [])),
        ("unload", "c"),
        ("write", batch("a", [x, y, z])),
        ("stream", batch("f", [v], [(v, x), (x, y)])),
        ("unload", "a"),
        ("stream", batch("f", [v, x], [(v, x), (x, v)])),
        ("stream", batch("a", [y, z], [])),
        ("write", batch("a", [x, y, z])),
        ("unload", "f"),
    ]
    kept_apart = []
    for number, (operation, argument) in enumerate(steps):
        for store in (sqlite_store, neo4j_store):
            if operation == "write":
                store.write(argument)
            elif operation == "stream":
                store.write_stream(argument.source, [*argument.nodes, *argument.relations])
            elif operation == "unload":
                store.unload(argument)
            else:
                store.replace_sources(argument)
        assert neo4j_store.relations() == sqlite_store.relations(), number
        assert neo4j_store.nodes() == sqlite_store.nodes(), number
        for node_id in (x, y, z, w, v):
            assert neo4j_store.relation_claims(node_id) == sqlite_store.relation_claims(node_id), (number, node_id)
            assert neo4j_store.node_claims(node_id) == sqlite_store.node_claims(node_id), (number, node_id)
        assert neo4j_store.sources() == sqlite_store.sources(), number
        assert list(neo4j_store.dump()) == list(sqlite_store.dump()), number
        kept_apart.append(neo4j_store.query("MATCH (c:RelationClaim) RETURN count(c) AS claims")[0]["claims"])
    layout = {
        (row["role"], row["attrs"] is None)
        for row in neo4j_store.query("MATCH (a)-[r]->(b) RETURN r.role AS role, r.attrs AS attrs")
    }
    assert layout == {(None, True), ("chef de file", False)}
    # The unloads and the unlinked replace did keep claims apart, and the last write joined them all.
    assert kept_apart[3] == 3 and kept_apart[5] == 1 and kept_apart[-2] == 0
    assert neo4j_store.duplicates() == {"nodes": 0, "relations": 0}


def test_a_node_one_source_created_carries_its_claim_until_another_claims_it(neo4j_store, sqlite_store):
    """A first load writes no claim node for the actors it creates, and every answer (claims,
    provenance, dump, lookups by name and alias) equals the embedded store's, through a second
    source's claim, a reload, an unload, and on a database written before nodes carried claims."""
    from maillage.graph.model import Batch, NodeRecord, Source

    def batch(name, nodes):
        made = Batch(Source(name, "workbook", "t", "2026-01-01T00:00:00+00:00"))
        made.nodes = [NodeRecord(node, f"{name}:{k + 2}") for k, node in enumerate(nodes)]
        return made

    # Aliases repeating each other or the name: the node keeps them once, its claim as given.
    rosny = Node(
        "collectivite:93064",
        "Collectivite",
        "Rosny-sous-Bois",
        ("Rosny", "Rosny", "Rosny-sous-Bois"),
        {"insee_code": "93064"},
    )
    nanterre = Node("collectivite:92050", "Collectivite", "Nanterre", ("Ville de Nanterre",), {"insee_code": "92050"})
    later = Node("collectivite:93064", "Collectivite", "Ville de Rosny-sous-Bois", (), {"population": 45000})
    # Two aliases beyond the name; attributes that are not properties as they are (an empty
    # list, a name of the store's own).
    seine = Node(
        "collectivite:93",
        "Collectivite",
        "Seine-Saint-Denis",
        ("CG93", "Conseil général de la Seine-Saint-Denis"),
        {"insee_code": "93", "alias_key": "cg 93 bis", "tags": []},
    )
    communes = [rosny, nanterre, seine]

    def claim_nodes():
        return neo4j_store.query("MATCH (c:NodeClaim) RETURN count(c) AS n")[0]["n"]

    def same_answers(step):
        for node_id in (rosny.id, nanterre.id, seine.id):
            assert neo4j_store.node_claims(node_id) == sqlite_store.node_claims(node_id), (step, node_id)
            assert neo4j_store.get(node_id) == sqlite_store.get(node_id), (step, node_id)
        for reference in (
            "rosny",
            "ROSNY-SOUS-BOIS",
            "ville de nanterre",
            "Nanterre",
            "Ville de Rosny-sous-Bois",
            "cg93",
            "conseil general de la seine-saint-denis",
            "cg 93 bis",
        ):
            assert neo4j_store.find(reference) == sqlite_store.find(reference), (step, reference)
        assert neo4j_store.sources() == sqlite_store.sources(), step
        assert list(neo4j_store.dump()) == list(sqlite_store.dump()), step

    steps = [
        ("first", lambda store: store.write(batch("communes.csv", communes))),
        ("second source", lambda store: store.write(batch("mairies.csv", [later]))),
        ("unload", lambda store: store.unload("mairies.csv")),
        ("reload", lambda store: store.write(batch("communes.csv", communes[::-1]))),
    ]
    for step, operation in steps:
        for store in (sqlite_store, neo4j_store):
            operation(store)
        same_answers(step)
        if step == "first":
            assert claim_nodes() == 0
            dumped = {record.node.id: record.node for record in neo4j_store.dump_source("communes.csv").nodes}
            assert dumped[rosny.id].aliases == rosny.aliases
            # The kind is the label; plain attributes are properties, with no JSON copy unless one is not.
            layout = {
                row["id"]: row
                for row in neo4j_store.query(
                    "MATCH (n:Node) RETURN n.id AS id, n.kind AS kind, n.attrs AS attrs, n.alias_key AS alias_key, "
                    "n.names AS names, n.insee_code AS insee_code, COUNT { MATCH (k:NameKey {node_id: n.id}) } AS name_keys"
                )
            }
            assert {row["kind"] for row in layout.values()} == {None}
            assert layout[rosny.id]["attrs"] is None and layout[rosny.id]["insee_code"] == "93064"
            assert (layout[rosny.id]["alias_key"], layout[rosny.id]["names"], layout[rosny.id]["name_keys"]) == (
                "rosny",
                None,
                0,
            )
            assert json.loads(layout[seine.id]["attrs"]) == seine.attrs
            assert (layout[seine.id]["alias_key"], len(layout[seine.id]["names"]), layout[seine.id]["name_keys"]) == (
                "cg93",
                3,
                1,
            )
        elif step == "second source":
            assert claim_nodes() == 2
        elif step == "reload":
            # The other source is gone: a reload carries its claims again.
            assert claim_nodes() == 0

    # A database written before nodes carried claims (schema 2): every claim a claim node,
    # every folded label a NameKey, no name_key, kind and attributes (as JSON) properties of
    # the node. It reads alike and is written alike.
    for store in (sqlite_store, neo4j_store):
        store.write(
            batch("epci.csv", [Node("collectivite:200054781", "Collectivite", "Métropole du Grand Paris", ("MGP",))])
        )

    def as_schema_2(tx):
        tx.run(
            "MATCH (n:Node) SET n.kind = $kinds[n.id], n.attrs = $attrs[n.id]",
            kinds={node.id: node.kind for node in neo4j_store.nodes()},
            attrs={node.id: json.dumps(node.attrs, ensure_ascii=False, sort_keys=True) for node in neo4j_store.nodes()},
        ).consume()
        tx.run(
            "MATCH (n:Node) WHERE n.claim_source IS NOT NULL "
            "CREATE (:NodeClaim {node_id: n.id, source: n.claim_source, kind: n.kind, name: n.name, "
            "aliases: coalesce(n.claim_aliases, $json[n.id]), attrs: n.attrs, place: n.claim_place}) "
            "REMOVE n.claim_source, n.claim_place, n.claim_aliases",
            json={node.id: json.dumps(list(node.aliases), ensure_ascii=False) for node in neo4j_store.nodes()},
        ).consume()
        tx.run(
            "MATCH (n:Node) WHERE n.names IS NULL SET n.names = [n.name_key] + coalesce([n.alias_key], [])"
        ).consume()
        tx.run(
            "MATCH (n:Node) WHERE n.alias_key IS NOT NULL CREATE (:NameKey {key: n.alias_key, node_id: n.id})"
        ).consume()
        tx.run(
            "MATCH (n:Node) CREATE (:NameKey {key: n.name_key, node_id: n.id}) REMOVE n.name_key, n.alias_key"
        ).consume()
        # Before schema 4 an attribute named alias_key was copied as a property like the others.
        tx.run(
            "MATCH (n:Node {id: $id}) SET n.alias_key = $value", id=seine.id, value=seine.attrs["alias_key"]
        ).consume()
        tx.run("MATCH (m:MaillageStore) SET m.schema_version = 2").consume()

    neo4j_store.run_write(as_schema_2)
    assert (
        neo4j_store.query(
            "MATCH (n:Node) WHERE n.claim_source IS NOT NULL OR n.name_key IS NOT NULL OR n.kind IS NULL OR n.attrs IS NULL "
            "OR (n.alias_key IS NOT NULL AND n.id <> $seine) RETURN count(n) AS n",
            seine=seine.id,
        )[0]["n"]
        == 0
    )
    older = Neo4jStore(neo4j_store.location)
    try:
        for store in (sqlite_store, older):
            assert store.find("Métropole du Grand Paris") and store.find("mgp")
        same_answers("schema 2")
        for store in (sqlite_store, older):
            store.write(batch("mairies.csv", [later]))
            store.unload("epci.csv")
        same_answers("schema 2, written")
        assert older.query("MATCH (m:MaillageStore) RETURN m.schema_version AS v")[0]["v"] == 4
    finally:
        older.close()
