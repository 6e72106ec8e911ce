"""The operations called from Python, without the command line: what they return is what the commands print."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from maillage import operations
from maillage.graph.errors import LoadError, NoPath, UnknownReference, UsageError
from maillage.graph.store import open_store
from maillage.loaders.loading import LoadOptions

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
COG = [SAMPLES / "v_region_2024.csv", SAMPLES / "v_departement_2024.csv", SAMPLES / "v_commune_2024.csv"]


@pytest.fixture
def store(tmp_path):
    store = open_store(str(tmp_path / "ops.db"))
    yield store
    store.close()


@pytest.fixture
def demo_store(store, demo_path):
    operations.load(store, [demo_path], "alice", source_name="demo")
    return store


def test_a_workbook_loads_once_and_says_what_it_wrote(store, demo_path):
    told = []
    loaded = operations.load(store, [demo_path], "alice", source_name="demo", on_event=told.append)
    counts = store.counts()
    assert told == loaded and len(loaded) == 1
    (demo,) = loaded
    assert demo.source == "demo" and not demo.unchanged and demo.report is None
    assert demo.nodes == sum(n for kind, n in counts.items() if kind[0].isupper() and kind in _kinds())
    assert [s.name for s in store.sources()] == ["demo"]
    (again,) = operations.load(store, [demo_path], "alice", source_name="demo")
    assert again.unchanged and again.source == "demo"
    (dry,) = operations.load(store, [demo_path], "bob", source_name="other", dry_run=True)
    assert dry.dry_run and dry.nodes == demo.nodes and [s.name for s in store.sources()] == ["demo"]


def _kinds() -> set[str]:
    from maillage.graph.model import KINDS

    return set(KINDS)


def _bad_rna(tmp_path: Path) -> Path:
    """The RNA sample with one more row whose id is no RNA id."""
    lines = (SAMPLES / "rna_waldec_20241001_dpt_93.csv").read_text(encoding="utf-8").splitlines()
    bad = lines[1].split(";")
    bad[0] = "X93BAD"
    path = tmp_path / "rna_waldec_20241001_dpt_93.csv"
    path.write_text("\r\n".join([*lines, ";".join(bad)]) + "\r\n", encoding="utf-8")
    return path


def test_a_register_with_a_bad_row_loads_the_rest_and_lists_it(store, tmp_path):
    operations.load(store, COG, "alice")
    rejected = tmp_path / "rejected.csv"
    events = []
    (rna,) = operations.load(
        store,
        [_bad_rna(tmp_path)],
        "alice",
        options=LoadOptions(strict=False),
        rejected=rejected,
        on_event=events.append,
    )
    assert rna.format == "rna-waldec" and rna.report.rows_read == 6 and rna.nodes == rna.report.rows_kept == 4
    assert [problem.line for problem in rna.report.problems] == [7]
    assert len(store.nodes("Association")) == 4 and store.get("association:rna-W932001234") is not None
    written = events[-1]
    assert isinstance(written, operations.RejectedWritten) and written.path == rejected
    with open(rejected, encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file, delimiter=";"))
    assert written.lines == len(rows) and any(
        row["line"] == "7" and row["outcome"] != "field set aside" for row in rows
    )


def test_a_strict_load_fails_whole_and_still_writes_the_rejected_rows(store, tmp_path):
    operations.load(store, COG, "alice")
    before = store.counts()
    rejected = tmp_path / "rejected.csv"
    with pytest.raises(LoadError) as failure:
        operations.load(store, [_bad_rna(tmp_path)], "alice", rejected=rejected)
    assert failure.value.exit_code == 1 and [p.line for p in failure.value.problems] == [7]
    assert store.counts() == before and "rna-waldec" not in {s.name for s in store.sources()}
    assert "X93BAD" in rejected.read_text(encoding="utf-8-sig")


def test_a_document_loads_what_is_found_with_enough_confidence(store, demo_path, tmp_path):
    operations.load(store, [demo_path], "alice")
    letter = tmp_path / "lettre.txt"
    shutil.copy(SAMPLES / "documents" / "lettre-reseau-2010.txt", letter)
    (high,) = operations.load(store, [letter], "alice", dry_run=True, min_confidence="high")
    (low,) = operations.load(store, [letter], "alice", dry_run=True, min_confidence="low")
    # The letter names one organisation the extractor is less sure of: medium or low loads it, high does not.
    assert (
        high.source == "lettre.txt"
        and (high.nodes, high.relations) == (3, 11)
        and (low.nodes, low.relations) == (4, 15)
    )
    (written,) = operations.load(store, [letter], "alice", min_confidence="high")
    assert (written.nodes, written.relations) == (high.nodes, high.relations) and not written.dry_run
    assert "lettre.txt" in {s.name for s in store.sources()}


def test_centrality_returns_the_rows_the_command_prints(demo_store):
    report = operations.centrality(demo_store, "degree", top=3, lang="en")
    assert [row["id"] for row in report.rows] == [
        row["id"] for row in sorted(report.rows, key=lambda row: -row["degree"])
    ]
    assert len(report.rows) == 3 and report.title == "Centrality (sorted by degree)"
    assert report.notes[1] == "Exact measures. Engine: networkx." or report.notes[1].startswith("Exact measures")
    assert report.text("md").startswith("# Centrality (sorted by degree)\n\n> ")
    sampled = operations.centrality(demo_store, "betweenness", top=5, sample=4, seed=1)
    assert "betweenness_stderr" in sampled.columns and "4 sources" in sampled.notes[1]
    with pytest.raises(UsageError):
        operations.centrality(demo_store, sample=4, exact=True)


def test_paths_and_neighbourhoods_between_actors(demo_store):
    found = operations.paths(demo_store, "collectivite:com-93064", "association:ritimo", limit=5)
    assert found.source == "collectivite:com-93064" and found.paths
    assert all(path["length"] == found.paths[0]["length"] for path in found.paths)
    assert found.text().startswith(f"{len(found.paths)} shortest path(s) of length {found.paths[0]['length']}:")
    centre, rows = operations.ego(demo_store, "collectivite:dep-93", depth=1)
    assert centre == "collectivite:dep-93" and rows and {row["distance"] for row in rows} <= {0, 1}
    with pytest.raises(UnknownReference):
        operations.paths(demo_store, "collectivite:dep-93", "nobody at all")
    with pytest.raises(NoPath) as nothing:
        operations.Paths("a", "b", []).text()
    assert nothing.value.exit_code == 1


def test_unload_removes_a_source_and_refuses_an_unknown_one(demo_store):
    nodes = sum(demo_store.counts().values())
    assert nodes
    removed = operations.unload(demo_store, "demo", "alice")
    assert removed.source == "demo" and removed.nodes > 0 and not demo_store.nodes()
    with pytest.raises(UsageError) as unknown:
        operations.unload(demo_store, "demo", "alice")
    assert unknown.value.exit_code == 2 and "loaded: none" in str(unknown.value)


def test_export_then_load_restores_the_sources(demo_store, tmp_path):
    (exported,) = operations.export(demo_store, "json", tmp_path / "export.json", include_personal=True)
    with open_store(str(tmp_path / "copy.db")) as copy:
        (restored,) = operations.load(copy, [exported], "bob")
        assert restored.from_export and restored.source == "demo"
        assert copy.counts() == demo_store.counts()
        assert [s.contributor for s in copy.sources()] == ["alice"]


def test_push_and_pull_copy_the_graph_between_locations(demo_store, tmp_path):
    told = []
    pushed = operations.push(demo_store, str(tmp_path / "shared.db"), told.append)
    assert pushed.copied == 1 and [result.source for result in told] == ["demo"]
    assert pushed.origin == demo_store.location
    with open_store(str(tmp_path / "mine.db")) as mine:
        pulled = operations.pull(mine, str(tmp_path / "shared.db"))
        assert pulled.copied == 1 and mine.counts() == demo_store.counts()
        assert operations.pull(mine, str(tmp_path / "shared.db")).copied == 0


def test_a_merged_actor_is_still_found_and_the_notice_says_where(demo_store):
    kept, other = "collectivite:dep-93", "collectivite:com-93064"
    result = operations.merge(demo_store, [kept, other], "alice", force=True)
    assert result.into == kept and list(result.merged) == [other]
    notices = []
    assert operations.resolve(demo_store, other, notice=notices.append).id == kept
    assert notices == [f"{other} was merged into {kept} ({demo_store.get(kept).name})"]
    node_id, events = operations.actor_history(demo_store, other)
    assert node_id == other and any(event["action"] == "merge" for event in events)


def test_a_map_is_drawn_and_counted(demo_store, tmp_path):
    drawn = operations.draw_map(demo_store, tmp_path / "map.html", focus="collectivite:dep-93", svg=tmp_path / "m.svg")
    assert drawn.output.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert 1 < drawn.nodes < demo_store.counts().get("nodes", 10**6) and drawn.images == [tmp_path / "m.svg"]
    with pytest.raises(UsageError):
        operations.draw_map(demo_store, tmp_path / "x.html", depth=2)


@pytest.mark.neo4j
def test_operations_on_neo4j_load_report_and_copy_back(neo4j_store, demo_path, tmp_path):
    (demo,) = operations.load(neo4j_store, [demo_path], "alice", source_name="demo")
    assert demo.nodes > 0 and not demo.unchanged
    report = operations.centrality(neo4j_store, "degree", top=5)
    found = operations.paths(neo4j_store, "collectivite:com-93064", "association:ritimo")
    with open_store(str(tmp_path / "local.db")) as local:
        operations.load(local, [demo_path], "alice", source_name="demo")
        assert [row["id"] for row in report.rows] == [row["id"] for row in operations.centrality(local, top=5).rows]
        assert found.paths == operations.paths(local, "collectivite:com-93064", "association:ritimo").paths
    pulled = tmp_path / "pulled.db"
    with open_store(str(pulled)) as copy:
        assert operations.copy(neo4j_store, copy).copied == 1
        assert copy.counts() == neo4j_store.counts()
