"""Reports through the command line, on the demo data: formats, escaping, determinism."""

from __future__ import annotations

import csv
import html
import io
import itertools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from maillage.cli import demo_data_path

OUTSIDE = re.compile(
    r"""(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//|@import|url\(\s*["']?(?:https?:)?//""", re.I
)
EVIL = "<script>alert(1)</script>"


def outside_references(page: str) -> list[str]:
    """Outside references in a page and in the documents embedded in its iframes."""
    found = OUTSIDE.findall(page)
    for embedded in re.findall(r'srcdoc="([^"]*)"', page):
        found += OUTSIDE.findall(html.unescape(embedded))
    return found


@pytest.fixture
def demo(invoke, demo_path):
    assert invoke("load", str(demo_path)).exit_code == 0
    return invoke


@pytest.fixture
def evil(invoke, tmp_path):
    """A store whose actors have names that are HTML."""
    folder = tmp_path / "evil"
    folder.mkdir()
    (folder / "actors.csv").write_text(
        "id,kind,name\n"
        f"association:evil,Association,{EVIL}\n"
        "collectivite:com-93064,Collectivite,Rosny-sous-Bois\n"
        "association:crid,Association,CRID\n"
        'project:atelier,Project,"Atelier ""paix"" & <b>co</b>"\n'
        "theme:paix,Theme,Paix\n",
        encoding="utf-8",
    )
    (folder / "relations.csv").write_text(
        "source,type,target,role\n"
        "association:evil,TAKES_PART_IN,project:atelier,lead\n"
        "collectivite:com-93064,TAKES_PART_IN,project:atelier,partner\n"
        "association:evil,WORKS_ON,theme:paix,\n"
        "association:crid,WORKS_ON,theme:paix,\n",
        encoding="utf-8",
    )
    assert invoke("load", str(folder)).exit_code == 0
    return invoke


def test_centrality_in_every_format_says_which_graph(demo):
    table = demo("report", "centrality", "--top", "5")
    assert table.exit_code == 0 and "graphe complet" in table.output and "Document" in table.output
    markdown = demo("report", "centrality", "--graph", "actors", "--format", "md", "--lang", "en").output
    assert markdown.startswith("# Centrality") and "actor–actor projection" in markdown and "| Aitec |" in markdown
    rows = list(csv.DictReader(io.StringIO(demo("report", "centrality", "--format", "csv").output)))
    assert len(rows) == 20 and {"harmonic", "weighted_degree"} <= set(rows[0])
    page = demo("report", "centrality", "--format", "html").output
    assert page.startswith("<!DOCTYPE html>") and "graphe complet" in page and not outside_references(page)


def test_centrality_json_rows_and_the_document_left_out(demo):
    rows = json.loads(demo("report", "centrality", "--format", "json", "--top", "100").stdout)
    assert not {row["kind"] for row in rows} & {"Document", "Person"}
    values = [row["degree"] for row in rows]
    assert values == sorted(values, reverse=True)
    with_documents = json.loads(demo("report", "centrality", "--include", "documents", "--format", "json").stdout)
    assert with_documents[0]["kind"] == "Document"


def test_sampled_betweenness_states_sample_and_error(demo):
    markdown = demo(
        "report", "centrality", "--sample", "10", "--seed", "3", "--metric", "betweenness", "--format", "md"
    ).output
    assert "10 sources" in markdown and "graine 3" in markdown and "erreur type" in markdown
    rows = json.loads(demo("report", "centrality", "--sample", "10", "--format", "json").stdout)
    assert all("betweenness_stderr" in row for row in rows)
    exact = json.loads(demo("report", "centrality", "--format", "json", "--engine", "igraph", "--top", "60").stdout)
    reference = json.loads(
        demo("report", "centrality", "--format", "json", "--engine", "networkx", "--top", "60").stdout
    )
    assert [r["id"] for r in exact] == [r["id"] for r in reference]
    assert all(abs(a["pagerank"] - b["pagerank"]) < 1e-6 for a, b in zip(exact, reference))


def test_large_graphs_get_sampled_betweenness_unless_exact_is_asked(demo, monkeypatch):
    import maillage.operations.reports

    # The demo graph (54 nodes analysed) stands for a large one: the threshold is lowered, not the graph faked.
    monkeypatch.setattr(maillage.operations.reports, "AUTO_SAMPLE_FROM", 50)
    monkeypatch.setattr(maillage.operations.reports, "AUTO_SAMPLE", 7)
    sampled = demo("report", "centrality", "--format", "json", "--top", "60")
    assert (
        sampled.exit_code == 0 and "estimated from 7 sampled sources" in sampled.stderr and "--exact" in sampled.stderr
    )
    assert all("betweenness_stderr" in row for row in json.loads(sampled.stdout))
    exact = demo("report", "centrality", "--format", "json", "--top", "60", "--exact")
    assert exact.stderr == "" and not any("betweenness_stderr" in row for row in json.loads(exact.stdout))
    full = demo("report", "all", "--format", "json")
    assert (
        "estimated from 7 sampled sources" in full.stderr
        and json.loads(full.stdout)["centrality"]["betweenness"]["k"] == 7
    )
    chosen = demo("report", "all", "--format", "json", "--sample", "9")
    assert "sampled sources" not in chosen.stderr and json.loads(chosen.stdout)["centrality"]["betweenness"]["k"] == 9
    both = demo("report", "centrality", "--sample", "5", "--exact")
    assert both.exit_code == 2 and "not both" in both.output
    monkeypatch.setattr(maillage.operations.reports, "AUTO_SAMPLE_FROM", 1000)
    small = demo("report", "centrality", "--format", "json")
    assert small.stderr == "" and "betweenness_stderr" not in json.loads(small.stdout)[0]


def test_brokers_answer_who_bridges_local_authorities_and_associations(demo):
    result = json.loads(demo("report", "brokers", "--format", "json").stdout)
    assert result["scope"]["graph"] == "actors" and result["between"] == ["Collectivite", "Association"]
    top = result["rows"][0]
    assert top["bridges"] > 0 and top["name"] == "Aitec"
    assert {
        "coordinator",
        "itinerant",
        "representative",
        "gatekeeper",
        "liaison",
        "constraint",
        "effective_size",
    } <= set(top)
    by_territory = json.loads(demo("report", "brokers", "--by", "departement", "--format", "json").stdout)
    assert {row["group"] for row in by_territory["rows"]} >= {"Seine-Saint-Denis", "Hauts-de-Seine"}
    assert any(row["liaison"] > 0 for row in by_territory["rows"])


def test_communities_report(demo):
    result = json.loads(demo("report", "communities", "--format", "json", "--seed", "1").stdout)
    assert result["count"] >= 2 and 0 < result["modularity"] < 1 and result["seed"] == 1
    first = result["communities"][0]
    assert first["members"] and first["themes"] and first["size"] >= len(first["members"])
    table = demo("report", "communities", "--method", "leiden").output
    assert "leiden" in table and "modularit" in table


def test_gaps_report(demo):
    result = json.loads(demo("report", "gaps", "--format", "json").stdout)
    assert result["level"] == "departement"
    territories = {row["territory_name"] for row in result["uncovered"]}
    assert "Hauts-de-Seine" in territories
    countries = json.loads(demo("report", "gaps", "--level", "country", "--format", "json").stdout)
    assert countries["level"] == "country"


def test_recommend_by_name_with_reasons(demo):
    result = demo("recommend", "Nanterre", "--top", "3")
    assert result.exit_code == 0 and "Participent tous deux" in result.output
    assert "projets partagés × 2" in result.output and "pays partagés × 0,5" in result.output
    assert "shared countries × 0.5" in demo("recommend", "Nanterre", "--lang", "en").output
    data = json.loads(demo("recommend", "Ville de Nanterre", "--lang", "en", "--format", "json").stdout)
    assert data["actor"] == "collectivite:com-92050" and data["recommendations"]
    assert all(r["reasons"] and r["reasons"][0]["text"].startswith("Both") for r in data["recommendations"])
    assert demo("recommend", "Nobody at all").exit_code == 1
    fresh = json.loads(demo("recommend", "Nanterre", "--new-only", "--top", "50", "--format", "json").stdout)
    assert fresh["recommendations"] and not any(r["shared_projects"] for r in fresh["recommendations"])


def test_path_and_ego(demo):
    result = demo("path", "Rosny-sous-Bois", "Ritimo")
    assert result.exit_code == 0 and "shortest path(s) of length 3" in result.output
    assert "Rosny-sous-Bois -[TAKES_PART_IN" in result.output
    data = json.loads(demo("path", "CG93", "Aitec", "--format", "json").stdout)
    assert data["paths"] and all(step["relations"] for p in data["paths"] for step in p["steps"])
    rows = json.loads(demo("ego", "CG93", "--depth", "2", "--format", "json").stdout)
    assert rows[0]["distance"] == 0 and {row["distance"] for row in rows} == {0, 1, 2}


def test_path_read_from_growing_neighbourhoods_answers_as_on_the_whole_graph(demo):
    from maillage.graph.analysis import shortest_paths
    from maillage.graph.store import open_store

    store = open_store(str(demo.store))
    whole = store.to_networkx()
    store.close()
    ids = sorted(whole)[::4]
    assert len(ids) >= 15
    pairs = [(a, b) for a in ids[:6] for b in ids if a != b]
    for (a, b), include in zip(pairs, [(), ("documents", "people")] * len(pairs)):
        if any(whole.nodes[end]["kind"] in ("Document", "Person") for end in (a, b)) and not include:
            continue
        options = [arg for kind in include for arg in ("--include", kind)]
        answer = json.loads(demo("path", a, b, "--limit", "50", *options, "--format", "json").stdout)["paths"]
        assert answer == shortest_paths(whole, a, b, 50, include), (a, b, include)


def test_path_finds_every_shortest_path_when_a_document_brings_one_of_them_nearer(invoke, tmp_path):
    # Two paths of 6 partnerships from A to B; a document mentioning A and the middle of the
    # first puts that one within reach of the neighbourhoods before the second.
    first = ["A", "P1", "P2", "P3", "P4", "P5", "B"]
    second = ["A", "Q1", "Q2", "Q3", "Q4", "Q5", "B"]
    names = sorted(set(first + second))
    (tmp_path / "actors.csv").write_text(
        "kind,name\n" + "".join(f"Association,{name}\n" for name in names) + "Document,Compte rendu\n", encoding="utf-8"
    )
    links = [(a, b) for path in (first, second) for a, b in itertools.pairwise(path)]
    (tmp_path / "relations.csv").write_text(
        "source,type,target\n"
        + "".join(f"{a},PARTNERS_WITH,{b}\n" for a, b in links)
        + "Compte rendu,MENTIONS,A\nCompte rendu,MENTIONS,P3\n",
        encoding="utf-8",
    )
    assert invoke("load", str(tmp_path / "actors.csv"), str(tmp_path / "relations.csv")).exit_code == 0
    found = json.loads(invoke("path", "A", "B", "--format", "json").stdout)["paths"]
    assert sorted(tuple(node["name"] for node in path["nodes"]) for path in found) == [tuple(first), tuple(second)]
    via_document = json.loads(invoke("path", "A", "B", "--include", "documents", "--format", "json").stdout)["paths"]
    assert [path["length"] for path in via_document] == [5]


def test_recommend_read_from_two_steps_answers_as_on_the_whole_graph(demo):
    from maillage.graph.analysis import recommend
    from maillage.graph.store import open_store

    store = open_store(str(demo.store))
    whole = store.to_networkx()
    actors = [node.id for node in store.nodes("Collectivite") + store.nodes("Association")]
    store.close()
    assert len(actors) >= 15
    for number, actor in enumerate(actors):
        include = ("documents", "people") if number % 3 == 0 else ()
        new_only = number % 2 == 1
        options = [arg for kind in include for arg in ("--include", kind)] + (["--new-only"] if new_only else [])
        answer = json.loads(demo("recommend", actor, "--top", "50", *options, "--format", "json").stdout)[
            "recommendations"
        ]
        assert answer == recommend(whole, actor, 50, "fr", include, new_only), actor


def test_ego_read_from_the_neighbourhood_answers_as_on_the_whole_graph(demo):
    from maillage.graph.analysis import ego_network
    from maillage.graph.store import open_store

    store = open_store(str(demo.store))
    whole = store.to_networkx()
    store.close()
    for actor, depth, include in [
        ("collectivite:dep-93", 1, ()),
        ("collectivite:com-93064", 3, ()),
        ("association:aitec", 2, ("documents", "people")),
    ]:
        options = [arg for kind in include for arg in ("--include", kind)]
        rows = json.loads(demo("ego", actor, "--depth", str(depth), *options, "--format", "json").stdout)
        expected = ego_network(whole, actor, depth, include)
        assert len(rows) < whole.number_of_nodes()
        assert [(r["id"], r["distance"], r["via"]) for r in rows] == [
            (r["id"], r["distance"], r["via"]) for r in expected
        ]


def test_full_html_report_is_self_contained_printable_and_complete(demo, tmp_path):
    target = tmp_path / "rapport.html"
    result = demo("report", "all", "--format", "html", "-o", str(target))
    assert result.exit_code == 0, result.output
    page = target.read_text(encoding="utf-8")
    assert not outside_references(page)
    assert "@media print" in page and '<html lang="fr">' in page
    for heading in (
        "Graphe analysé",
        "Qui tient le réseau",
        "Qui fait le pont",
        "Groupes",
        "Qui rencontrer ensuite",
        "Manques",
    ):
        assert f"{heading}</h2>" in page
    assert "intermédiarité" in page and "Aitec" in page
    # people and documents are left out of the analysis, and so of the embedded map
    assert "person:" not in html.unescape(page) and "document:" not in html.unescape(page)
    with_people = demo("report", "all", "--include", "people").output
    assert "person:gustave-massiah" in html.unescape(with_people)
    english = demo("report", "all", "--lang", "en", "--no-map").output
    assert '<html lang="en">' in english and "Who bridges</h2>" in english and "<iframe" not in english


def test_data_strings_are_escaped_in_every_html_output(evil, tmp_path):
    pages = [
        evil("report", "all").output,
        evil("report", "centrality", "--format", "html").output,
        evil("report", "brokers", "--format", "html", "--graph", "full").output,
        evil("recommend", "CRID", "--format", "html").output,
    ]
    for page in pages:
        assert EVIL not in page and "<b>co</b>" not in page
        assert html.escape(EVIL) in page
    markdown = evil("report", "centrality", "--format", "md").output
    assert EVIL not in markdown and "&lt;script&gt;" in markdown


def test_reports_are_byte_identical_for_the_same_graph_and_seed(demo, tmp_path):
    first, second = tmp_path / "a.html", tmp_path / "b.html"
    demo("report", "all", "--sample", "12", "--seed", "5", "-o", str(first))
    demo("report", "all", "--sample", "12", "--seed", "5", "-o", str(second))
    assert first.read_bytes() == second.read_bytes()
    assert demo("report", "all", "--format", "json").stdout == demo("report", "all", "--format", "json").stdout
    for command in (["report", "brokers"], ["report", "communities"], ["report", "gaps"], ["recommend", "Aitec"]):
        assert demo(*command, "--format", "json").stdout == demo(*command, "--format", "json").stdout


def test_reports_do_not_depend_on_the_process_hash_seed(demo, tmp_path):
    """Set iteration order changes between processes; the report must not."""
    outputs = []
    for hash_seed in ("1", "2"):
        target = tmp_path / f"report-{hash_seed}.json"
        environment = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run(
            [
                str(Path(sys.executable).with_name("maillage")),
                "--store",
                str(demo.store),
                "report",
                "all",
                "--format",
                "json",
                "-o",
                str(target),
            ],
            check=True,
            env=environment,
            capture_output=True,
        )
        outputs.append(Path(target).read_bytes())
    assert outputs[0] == outputs[1]


def test_directed_brokerage_on_the_full_graph(demo):
    result = json.loads(demo("report", "brokers", "--graph", "full", "--directed", "--format", "json").stdout)
    assert result["directed"] and result["scope"]["directed"]
    programme = next(row for row in result["rows"] if row["id"] == "project:programme-aitec-cuf")
    # sub-projects point to the programme, which points only to themes and a country: it represents
    # projects to them, and is never a gatekeeper (that needs an arc out to another project)
    assert programme["representative"] > 0 and programme["gatekeeper"] == 0
    misuse = demo("report", "brokers", "--directed")
    assert misuse.exit_code == 2 and "--graph full" in misuse.output


@pytest.mark.browser
def test_full_report_in_headless_chromium_opens_offline_runs_the_map_and_prints(evil, tmp_path):
    import shutil

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed but CI is set")
        pytest.skip("chromium is not installed (scripts/chromium installs it)")
    from playwright.sync_api import sync_playwright

    target = tmp_path / "rapport.html"
    assert evil("report", "all", "-o", str(target)).exit_code == 0
    url = target.resolve().as_uri()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        try:
            context = browser.new_context()
            outside, dialogs = [], []
            context.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if route.request.url == url
                    else (outside.append(route.request.url), route.abort())
                ),
            )
            page = context.new_page()
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(url)
            assert EVIL in page.inner_text("body")
            frame = page.frame_locator("iframe.map")
            frame.locator("body").wait_for(timeout=60_000)
            map_frame = next(f for f in page.frames if f != page.main_frame)
            map_frame.wait_for_function("() => !!(window.maillageMap && window.maillageMap.ready)", timeout=120_000)
            pdf = page.pdf(format="A4", print_background=True)
        finally:
            browser.close()
    assert outside == [] and dialogs == []
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") >= 3


@pytest.mark.neo4j
def test_reports_on_neo4j_equal_those_on_the_embedded_store(neo4j_store, neo4j_uri, demo, runner):
    from maillage.cli import main

    assert (
        runner.invoke(main, ["--store", neo4j_uri, "--contributor", "test", "load", str(demo_data_path())]).exit_code
        == 0
    )
    for command in (
        ["report", "centrality", "--format", "json", "--top", "100"],
        ["report", "brokers", "--format", "json"],
        ["report", "communities", "--format", "json"],
        ["report", "gaps", "--format", "json"],
        ["recommend", "Nanterre", "--format", "json"],
        ["path", "Rosny-sous-Bois", "Ritimo", "--format", "json"],
    ):
        on_neo4j = runner.invoke(main, ["--store", neo4j_uri, *command])
        assert on_neo4j.exit_code == 0, on_neo4j.output
        assert on_neo4j.stdout == demo(*command).stdout, command


SAMPLES = demo_data_path().parent / "samples"
REGISTER_LOADS = (
    [
        "load",
        "v_region_2024.csv",
        "v_departement_2024.csv",
        "v_commune_2024.csv",
        "banatic_perimetre_epci_2024.xls",
        "--siren-table",
        "banatic_siren_insee_2024.csv",
    ],
    ["load", "rna_waldec_20241001.zip"],
    ["load", "cooperation_decentralisee_export.csv"],
)
ANALYSES = (
    ["report", "centrality", "--format", "json", "--top", "200"],
    ["report", "centrality", "--graph", "actors", "--kind", "association", "--format", "json"],
    ["report", "brokers", "--format", "json"],
    ["report", "brokers", "--by", "departement", "--format", "json"],
    ["report", "communities", "--format", "json"],
    ["report", "gaps", "--format", "json"],
    ["report", "gaps", "--level", "country", "--format", "json"],
    ["recommend", "Rosny-sous-Bois", "--format", "json"],
    ["path", "Nanterre", "Est Ensemble", "--format", "json"],
    ["ego", "Seine-Saint-Denis", "--format", "json"],
    ["report", "all", "--format", "json"],
)


def load_register_samples(runner, location):
    from maillage.cli import main

    for command in REGISTER_LOADS:
        args = [str(SAMPLES / word) if (SAMPLES / word).exists() else word for word in command]
        result = runner.invoke(main, ["--store", location, "--contributor", "test", *args])
        assert result.exit_code == 0, result.output


def analyses(runner, location) -> dict[str, object]:
    from maillage.cli import main

    answers = {}
    for command in ANALYSES:
        result = runner.invoke(main, ["--store", location, *command])
        assert result.exit_code == 0, (command, result.output)
        answers[" ".join(command)] = json.loads(result.stdout)
    return answers


def test_every_analysis_on_a_store_loaded_from_the_register_samples(runner, tmp_path):
    location = str(tmp_path / "registers.db")
    load_register_samples(runner, location)
    answers = analyses(runner, location)
    central = {row["id"]: row for row in answers["report centrality --format json --top 200"]}
    assert {"collectivite:epci-200054781", "association:rna-W932001234", "collectivite:com-93064"} <= set(central)
    associations = answers["report centrality --graph actors --kind association --format json"]
    assert associations and {row["kind"] for row in associations} == {"Association"}
    groups = {row["group"] for row in answers["report brokers --by departement --format json"]["rows"]}
    assert {"Seine-Saint-Denis", "Hauts-de-Seine"} <= groups
    communities = answers["report communities --format json"]["communities"]
    grand_paris = next(c for c in communities if "collectivite:epci-200054781" in {m["id"] for m in c["members"]})
    assert "collectivite:epci-200057875" in {m["id"] for m in grand_paris["members"]}
    paths = answers["path Nanterre Est Ensemble --format json"]["paths"]
    assert paths and all(
        (path["nodes"][0]["id"], path["nodes"][-1]["id"]) == ("collectivite:com-92050", "collectivite:epci-200057875")
        for path in paths
    )
    ego = {row["id"]: row["distance"] for row in answers["ego Seine-Saint-Denis --format json"]}
    assert ego["collectivite:dep-93"] == 0 and ego["collectivite:com-93064"] == 1
    assert answers["recommend Rosny-sous-Bois --format json"]
    assert {"centrality", "brokers", "communities", "gaps"} <= set(answers["report all --format json"])


@pytest.mark.neo4j
def test_every_analysis_on_the_register_samples_gives_the_same_answers_on_neo4j(runner, tmp_path, neo4j_store):
    neo4j_store.close()
    answers = {}
    for backend, location in (("sqlite", str(tmp_path / "registers.db")), ("neo4j", neo4j_store.location)):
        load_register_samples(runner, location)
        answers[backend] = analyses(runner, location)
    for command, answer in answers["sqlite"].items():
        assert answers["neo4j"][command] == answer, command


@pytest.mark.parametrize("actors", ["", "Association,Aitec\n", "Association,Aitec\nCollectivite,Nanterre\n"])
def test_every_report_answers_on_a_store_with_little_or_nothing(invoke, tmp_path, actors):
    (tmp_path / "actors.csv").write_text("kind,name\n" + actors, encoding="utf-8")
    assert invoke("load", str(tmp_path / "actors.csv")).exit_code == 0
    for command in (
        ["report", "centrality"],
        ["report", "centrality", "--graph", "actors", "--sample", "5"],
        ["report", "brokers"],
        ["report", "brokers", "--by", "departement"],
        ["report", "communities"],
        ["report", "communities", "--method", "leiden"],
        ["report", "gaps"],
        ["report", "all", "--format", "json"],
        ["report", "all", "-o", str(tmp_path / "rapport.html")],
    ):
        result = invoke(*command)
        assert result.exit_code == 0, (command, result.output)
    rows = json.loads(invoke("report", "brokers", "--format", "json").output)["rows"]
    assert [row["name"] for row in rows] == sorted(line.split(",")[1] for line in actors.splitlines())


def test_centrality_titles_name_the_metric_in_the_reports_language(demo):
    assert demo("report", "centrality", "--format", "md", "--metric", "betweenness").output.startswith(
        "# Centralité (triée par intermédiarité)"
    )
    english = demo("report", "centrality", "--format", "md", "--metric", "weighted_degree", "--lang", "en").output
    assert english.startswith("# Centrality (sorted by weighted degree)")


def test_markdown_and_html_reports_speak_the_reports_language(demo):
    french = demo("report", "centrality", "--format", "md", "--kind", "collectivite").output
    assert "| identifiant | nom | type | degré | degré pondéré | intermédiarité |" in french
    assert "| Seine-Saint-Denis | Collectivité |" in french
    english = demo("report", "centrality", "--format", "md", "--kind", "collectivite", "--lang", "en").output
    assert "| id | name | kind | degree | weighted degree | betweenness |" in english
    assert "| Seine-Saint-Denis | Local authority |" in english
    page = demo("report", "brokers", "--format", "html").output
    assert "<th>nom</th><th>type</th><th>groupe</th><th>ponts</th>" in page
    rows = list(csv.DictReader(io.StringIO(demo("report", "centrality", "--format", "csv").output)))
    assert {"name", "kind", "weighted_degree"} <= set(rows[0]) and rows[0]["kind"] in {"Project", "Association"}
