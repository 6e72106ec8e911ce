"""The HTML map, checked without a browser: self-contained, escaped, counted, written atomically,
and the `map` command's subgraphs, languages and images."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import networkx as nx
import pytest
from maillage.graph.errors import UsageError
from maillage.graph.store import open_store
from maillage.visualise import map_data, map_html, select, svg_document, theme_members, write_map
from maillage.visualise.map import escape_json
from maillage.visualise.sample import territory_graph
from maillage.visualise.vislib import vis_network_assets

DATA_BLOCK = re.compile(r'<script type="application/json" id="map-data">(.*?)</script>', re.S)


def page_data(page: str) -> dict:
    blocks = DATA_BLOCK.findall(page)
    assert len(blocks) == 1
    return json.loads(blocks[0])


@pytest.fixture
def demo_store(invoke, demo_path):
    result = invoke("load", str(demo_path))
    assert result.exit_code == 0, result.output
    return invoke


def run_map(invoke, tmp_path, *args):
    output = tmp_path / "map.html"
    result = invoke("map", "-o", str(output), *args)
    assert result.exit_code == 0, result.output
    return output.read_text(encoding="utf-8")


def one_node_graph(name: str, **attrs) -> nx.MultiDiGraph:
    G = nx.MultiDiGraph()
    G.add_node("association:x", kind="Association", name=name, aliases=[name], **attrs)
    G.add_node("theme:t", kind="Theme", name=name)
    G.add_edge("association:x", "theme:t", key="WORKS_ON", type="WORKS_ON", role="", note=name)
    return G


# --------------------------------------------------------------------------- self-contained


def test_demo_map_is_one_file_with_no_remote_reference(demo_store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    page = run_map(demo_store, tmp_path)
    assert "://" not in page
    markup = re.sub(r"(<script[^>]*>).*?(</script>)|(<style>).*?(</style>)", r"\1\2\3\4", page, flags=re.S)
    assert not re.search(r"""\b(src|href|action|srcset|poster|data|xlink:href)\s*=""", markup, re.I)
    assert not re.search(r"""["'(=]\s*//[\w-]+(\.[\w-]+)+""", page)  # no protocol-relative address either
    assert not re.search(r"""@import|url\(\s*(?!['"]?data:)""", page)
    assert not re.search(r"cdnjs|jsdelivr|unpkg|bootstrap|googleapis", page, re.I)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.html", "store.db"] or not (tmp_path / "lib").exists()
    assert not (tmp_path / "lib").exists() and not (Path.cwd() / "lib").exists()
    assert markup.count("<script") == 3  # the data block, vis-network, the page's own script


def test_content_security_policy_allows_exactly_the_page_scripts(demo_store, tmp_path):
    page = run_map(demo_store, tmp_path)
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page).group(1)
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["connect-src"] == "'none'" and directives["img-src"] == "data:"
    assert "unsafe-inline" not in directives["script-src"] and "unsafe-eval" not in directives["script-src"]
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert len(scripts) == 2
    expected = {"'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'" for s in scripts}
    assert set(directives["script-src"].split()) == expected
    styles = re.findall(r"<style>(.*?)</style>", page, re.S)
    assert len(styles) == 2 and "style=" not in re.sub(r"<(script|style)[^>]*>.*?</\1>", "", page, flags=re.S)
    expected = {"'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'" for s in styles}
    assert set(directives["style-src"].split()) == expected
    assert page.index("Content-Security-Policy") < page.index("<script")


def test_vis_network_is_inlined_from_pyvis_without_urls():
    script, style = vis_network_assets()
    assert "vis-network" in script and "@version 9.1.2" in script
    assert "://" not in script and "://" not in style
    assert ".vis-tooltip" in style


# --------------------------------------------------------------------------- escaping


def test_markup_in_an_actor_name_appears_only_as_escaped_text(tmp_path, invoke):
    (tmp_path / "actors.csv").write_text(
        "id,kind,name,aliases,description\n"
        'association:piege,Association,<img src=x onerror=alert(1)>,<b>gras</b>,"<script>alert(2)</script>"\n',
        encoding="utf-8",
    )
    (tmp_path / "relations.csv").write_text("source,type,target,role,start,end,note\n", encoding="utf-8")
    assert invoke("load", str(tmp_path / "actors.csv"), str(tmp_path / "relations.csv")).exit_code == 0
    page = run_map(invoke, tmp_path, "--title", "<i>titre</i>")
    markup = re.sub(r"(<script>).*?(</script>)", r"\1\2", page, flags=re.S)  # vis-network's own code set aside
    assert "<img" not in markup and "<b>" not in markup and "<i>" not in markup and "alert(2)</script>" not in page
    assert "&lt;i&gt;titre&lt;/i&gt;" in page
    node = page_data(page)["nodes"][0]
    assert node["name"] == "<img src=x onerror=alert(1)>"
    assert node["aliases"] == ["<b>gras</b>"]
    assert node["attrs"]["description"] == "<script>alert(2)</script>"


@pytest.mark.parametrize(
    "name",
    [
        "</script><script>alert(1)</script>",
        "</SCRIPT ><img src=x>",
        "<!--<script>",
        "a\u2028b\u2029c",
        "&lt;already escaped&gt; & \"quotes\" 'single'",
        '\\"; alert(1); //',
    ],
)
def test_the_data_block_cannot_be_broken_out_of(name):
    page = map_html(one_node_graph(name, description=name))
    data = page_data(page)
    assert [node["name"] for node in data["nodes"]] == [name, name]
    assert data["nodes"][0]["attrs"]["description"] == name
    assert data["edges"][0][4]["note"] == name
    block = DATA_BLOCK.search(page).group(1)
    assert not re.search(r"[<>&\u2028\u2029]", block)


def test_escape_json_round_trips_every_character():
    text = "".join(chr(code) for code in range(0x20, 0x2100)) + "\u2028\u2029</script>"
    assert json.loads(escape_json({"t": text})) == {"t": text}


# --------------------------------------------------------------------------- content


def test_node_and_edge_counts_match_the_store(demo_store, tmp_path):
    page = run_map(demo_store, tmp_path)
    data = page_data(page)
    store = open_store(str(demo_store.store))
    graph = store.to_networkx()
    store.close()
    assert len(data["nodes"]) == graph.number_of_nodes() == 60
    assert len(data["edges"]) == graph.number_of_edges() == 191
    assert {node["id"] for node in data["nodes"]} == set(graph.nodes)
    kinds = [k["key"] for k in data["kinds"]]
    assert sum(entry["count"] for entry in data["legend"]) == 60
    assert {kinds[node["kind"]] for node in data["nodes"]} == {d["kind"] for _, d in graph.nodes(data=True)}


def test_side_panel_data_carries_sources_and_relations(demo_store, tmp_path):
    data = page_data(run_map(demo_store, tmp_path))
    by_id = {node["id"]: (index, node) for index, node in enumerate(data["nodes"])}
    index, cg93 = by_id["collectivite:dep-93"]
    assert any(re.search(r"actors\.csv:\d+ \(.*test", source) for source in cg93["sources"])
    assert "CG93" in cg93["aliases"] and cg93["attrs"]["insee_code"] == "93"
    types = [t["key"] for t in data["relationTypes"]]
    touching = [edge for edge in data["edges"] if index in edge[:2]]
    assert any(types[edge[2]] == "TAKES_PART_IN" and edge[3] == "participant" for edge in touching)


def test_french_by_default_and_english_on_demand(demo_store, tmp_path):
    french = page_data(run_map(demo_store, tmp_path))
    english = page_data(run_map(demo_store, tmp_path, "--lang", "en"))
    assert [k["label"] for k in french["kinds"]][:3] == ["Collectivité", "Association", "Thème"]
    assert [k["label"] for k in english["kinds"]][:3] == ["Local authority", "Association", "Theme"]
    assert french["text"]["search"] == "Rechercher un acteur" and english["text"]["search"] == "Find an actor"
    assert (
        french["relationTypes"][0]["label"] == "participe à" and english["relationTypes"][0]["label"] == "takes part in"
    )
    assert french["roles"]["lead"] == "chef de file" and english["roles"]["lead"] == "lead"
    assert english["sizeBy"]["label"].startswith("degree")
    assert '<html lang="en">' in run_map(demo_store, tmp_path, "--lang", "en")


def test_colour_by_community_and_theme_have_their_legends(demo_store, tmp_path):
    community = page_data(run_map(demo_store, tmp_path, "--color-by", "community"))
    assert community["colorBy"] == "community"
    assert community["legend"][0]["label"] == "Communauté 1" and community["legend"][0]["detail"]
    assert sum(entry["count"] for entry in community["legend"]) == 60
    assert len({node["color"] for node in community["nodes"]}) > 2
    theme = page_data(run_map(demo_store, tmp_path, "--color-by", "theme"))
    names = {node["name"] for node in theme["nodes"] if theme["kinds"][node["kind"]]["key"] == "Theme"}
    assert {entry["label"] for entry in theme["legend"]} & names
    assert sum(entry["count"] for entry in theme["legend"]) == 60


def test_size_by_a_metric(demo_store, tmp_path):
    degree = page_data(run_map(demo_store, tmp_path))
    betweenness = page_data(run_map(demo_store, tmp_path, "--size-by", "betweenness"))
    assert betweenness["sizeBy"]["metric"] == "betweenness" and betweenness["sizeBy"]["max"] <= 1
    assert degree["sizeBy"]["max"] == max(node["score"] for node in degree["nodes"]) == 25
    biggest = max(degree["nodes"], key=lambda node: node["size"])
    assert biggest["size"] == 1 and biggest["score"] == 25
    assert [n["size"] for n in degree["nodes"]] != [n["size"] for n in betweenness["nodes"]]


# --------------------------------------------------------------------------- subgraphs


def test_focus_draws_the_neighbourhood(demo_store, tmp_path):
    data = page_data(run_map(demo_store, tmp_path, "--focus", "CG93", "--depth", "1"))
    store = open_store(str(demo_store.store))
    expected = store.neighbourhood(["collectivite:dep-93"], 1)
    store.close()
    assert {node["id"] for node in data["nodes"]} == expected
    assert data["nodes"][data["focus"]]["id"] == "collectivite:dep-93"
    wider = page_data(run_map(demo_store, tmp_path, "--focus", "collectivite:dep-93", "--depth", "2"))
    assert len(wider["nodes"]) > len(data["nodes"])


def test_kind_filter_keeps_only_those_kinds(demo_store, tmp_path):
    data = page_data(run_map(demo_store, tmp_path, "--kind", "Association", "--kind", "collectivite"))
    kinds = [k["key"] for k in data["kinds"]]
    assert {kinds[node["kind"]] for node in data["nodes"]} == {"Association", "Collectivite"}
    assert len(data["nodes"]) == 17


def test_theme_filter_keeps_the_theme_and_what_belongs_to_it(demo_store, tmp_path):
    data = page_data(run_map(demo_store, tmp_path, "--theme", "Agenda 21"))
    ids = {node["id"] for node in data["nodes"]}
    assert "theme:agenda-21" in ids
    assert "project:agenda-21-rosny-sous-bois" in ids  # addresses the theme
    assert "collectivite:com-93064" in ids  # Rosny takes part in a project on it
    assert "association:ritimo" not in ids
    store = open_store(str(demo_store.store))
    members = theme_members(store.to_networkx())["theme:agenda-21"]
    store.close()
    assert ids == members


def test_theme_filter_refuses_an_actor_and_depth_needs_focus(demo_store, tmp_path):
    result = demo_store("map", "-o", str(tmp_path / "x.html"), "--theme", "Aitec")
    assert result.exit_code == 2 and "not a theme" in result.output and "Traceback" not in result.output
    result = demo_store("map", "-o", str(tmp_path / "x.html"), "--depth", "2")
    assert result.exit_code == 2 and "--focus" in result.output
    result = demo_store("map", "-o", str(tmp_path / "x.html"), "--focus", "nobody at all")
    assert result.exit_code == 1 and "no actor matches" in result.output
    assert not (tmp_path / "x.html").exists()


def test_select_keeps_focus_whatever_its_kind():
    G = territory_graph(300, seed=3)
    sub = select(G, kinds=["Project"], keep=["theme:t0"])
    assert "theme:t0" in sub and {d["kind"] for n, d in sub.nodes(data=True) if n != "theme:t0"} == {"Project"}
    assert select(G) is G


# --------------------------------------------------------------------------- layouts


def test_geo_layout_places_actors_like_a_map(demo_store, tmp_path):
    data = page_data(run_map(demo_store, tmp_path, "--layout", "geo"))
    at = {node["id"]: (node["x"], node["y"]) for node in data["nodes"]}
    assert data["physics"] is False and len(at) == 60
    # every place of the demo is in Île-de-France: the canvas zooms onto it, and its départements are drawn apart
    assert {"75", "92", "93"} <= {code for _x, _y, code in data["backdrop"]} and len(data["backdrop"]) < 10
    paris, nanterre, rosny = at["collectivite:com-75056"], at["collectivite:com-92050"], at["collectivite:com-93064"]
    assert nanterre[0] + 100 < paris[0] < rosny[0] - 100
    marseille = dict(level="commune", insee_code="13055")
    G = one_node_graph("x")
    G.add_node("collectivite:com-13055", kind="Collectivite", name="Marseille", **marseille)
    G.add_node("collectivite:com-59350", kind="Collectivite", name="Lille", level="commune", insee_code="59350")
    G.add_node("association:dakar", kind="Association", name="Dakar", latitude="14.7", longitude="-17.4")
    whole = map_data(G, layout="geo")
    assert len(whole["backdrop"]) == 96
    positions = {node["id"]: (node["x"], node["y"]) for node in whole["nodes"]}
    assert positions["collectivite:com-59350"][1] < positions["collectivite:com-13055"][1]  # Lille north of Marseille
    assert positions["association:dakar"][0] < positions["collectivite:com-13055"][0]  # Dakar to the west
    assert positions["association:dakar"][1] > positions["collectivite:com-13055"][1]  # ...and to the south


def test_small_graphs_use_browser_physics_large_ones_a_precomputed_layout():
    small = map_data(territory_graph(200, seed=1))
    assert small["physics"] is True and "x" not in small["nodes"][0]
    large = map_data(territory_graph(2000, seed=1), physics_threshold=1500)
    assert large["physics"] is False
    points = {(node["x"], node["y"]) for node in large["nodes"]}
    assert len(points) > 1900  # nodes are spread, not piled up


# --------------------------------------------------------------------------- files


def test_write_is_atomic_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "map.html"
    target.write_text("previous map", encoding="utf-8")
    with pytest.raises(UsageError, match="cannot colour by"):
        write_map(one_node_graph("x"), target, color_by="nonsense")
    assert target.read_text(encoding="utf-8") == "previous map"
    write_map(one_node_graph("été"), target)
    assert target.read_bytes().decode("utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.html"]


def test_unknown_kinds_and_relation_types_still_draw():
    G = nx.MultiDiGraph()
    G.add_node(1, kind="Alien")
    G.add_node(2)
    G.add_edge(1, 2, type="KNOWS")
    data = map_data(G)
    assert [node["name"] for node in data["nodes"]] == ["1", "2"]
    assert data["relationTypes"][data["edges"][0][2]]["key"] == "KNOWS"


def test_svg_is_a_vector_drawing_with_escaped_text(demo_store, tmp_path):
    svg_path = tmp_path / "map.svg"
    result = demo_store("map", "-o", str(tmp_path / "m.html"), "--svg", str(svg_path))
    assert result.exit_code == 0, result.output
    root = ElementTree.parse(svg_path).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    shapes = root.findall(f".//{ns}circle") + root.findall(f".//{ns}polygon")
    assert len(shapes) >= 60
    assert len(root.findall(f".//{ns}line")) >= 191
    texts = {element.text for element in root.iter(f"{ns}text")}
    assert "Aitec" in texts and "Cités Unies France" in texts
    nasty = svg_document(one_node_graph("<script>alert(1)</script> & co"))
    assert "<script>" not in nasty and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in nasty
    ElementTree.fromstring(nasty)


def test_png_without_chromium_is_one_clear_error(demo_store, tmp_path, monkeypatch):
    monkeypatch.setenv("MAILLAGE_CHROMIUM", str(tmp_path / "no-such-chromium"))
    result = demo_store("map", "-o", str(tmp_path / "m.html"), "--png", str(tmp_path / "m.png"))
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "MAILLAGE_CHROMIUM" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "m.html").exists() and not (tmp_path / "m.png").exists()
    monkeypatch.delenv("MAILLAGE_CHROMIUM")
    monkeypatch.setenv("PATH", str(tmp_path))
    result = demo_store("map", "-o", str(tmp_path / "m.html"), "--png", str(tmp_path / "m.png"))
    assert result.exit_code == 1 and "chromium" in result.output and "--svg works without it" in result.output


def test_degree_sizes_count_distinct_neighbours_like_the_analysis():
    from maillage.graph.analysis import degree

    G = territory_graph(500, seed=2)
    first, second = list(G)[:2]
    G.add_edge(first, first, key="MEMBER_OF", type="MEMBER_OF", role="")
    G.add_edge(second, first, key="PARTNERS_WITH", type="PARTNERS_WITH", role="")
    G.add_edge(first, second, key="PARTNERS_WITH", type="PARTNERS_WITH", role="")
    data = map_data(G)
    assert {node["id"]: node["score"] for node in data["nodes"]} == degree(G)


def test_contact_details_stay_out_unless_asked(tmp_path, invoke):
    (tmp_path / "actors.csv").write_text(
        "id,kind,name,aliases,email,phone,role\n"
        "person:ada,Person,Ada,,ada@example.org,+33 1 23 45 67 89,chargée de mission\n",
        encoding="utf-8",
    )
    (tmp_path / "relations.csv").write_text("source,type,target,role,start,end,note\n", encoding="utf-8")
    assert invoke("load", str(tmp_path / "actors.csv"), str(tmp_path / "relations.csv")).exit_code == 0
    page = run_map(invoke, tmp_path)
    assert page_data(page)["nodes"][0]["attrs"] == {"role": "chargée de mission"}
    assert "ada@example.org" not in page and "23 45 67" not in page
    shown = page_data(run_map(invoke, tmp_path, "--include-personal"))["nodes"][0]["attrs"]
    assert shown["email"] == "ada@example.org" and shown["phone"] == "+33 1 23 45 67 89"


# --------------------------------------------------------------------------- too large: groups


def test_a_graph_above_max_nodes_is_drawn_as_territories():
    from maillage.graph.analysis import territories
    from maillage.visualise.aggregate import aggregate

    G = territory_graph(900, seed=3)
    grouped = aggregate(G, "territory", lang="en")
    where = territories(G)
    assert grouped.graph["aggregate"] == {
        "by": "territory",
        "nodes": 900,
        "edges": G.number_of_edges(),
        "groups": grouped.number_of_nodes(),
    }
    assert sum(members for _, members in grouped.nodes(data="members")) == 900
    names = {data["name"]: data for _, data in grouped.nodes(data=True)}
    departement = G.nodes["collectivite:dep-01"]["name"]
    assert names[departement]["members"] == sum(1 for node in G if where.get(node) == "collectivite:dep-01")
    assert names["Theme with no territory"]["members"] == sum(1 for _, kind in G.nodes(data="kind") if kind == "Theme")
    crossing = sum(1 for u, v in G.edges() if where.get(u, G.nodes[u]["kind"]) != where.get(v, G.nodes[v]["kind"]))
    assert sum(relations for _, _, relations in grouped.edges(data="relations")) == crossing

    data = map_data(G, max_nodes=500, group_by="territory", lang="en")
    assert len(data["nodes"]) == grouped.number_of_nodes() < 900
    assert data["aggregate"]["nodes"] == 900 and data["aggregate"]["label"] == "territory"
    assert data["physics"] is False and data["sizeBy"]["metric"] == "members"
    assert map_data(G, max_nodes=900)["aggregate"] is None


def test_a_graph_above_max_nodes_is_drawn_as_communities_named_after_their_hubs():
    G = territory_graph(900, seed=3)
    data = map_data(G, max_nodes=500, seed=2)
    assert data["aggregate"]["by"] == "community" and len(data["nodes"]) == data["aggregate"]["groups"]
    assert sum(node["attrs"]["members"] for node in data["nodes"]) == 900
    assert all(node["name"].startswith(f"Communauté {rank} : ") for rank, node in enumerate(data["nodes"], start=1))
    assert map_data(G, max_nodes=500, seed=2) == data
    with pytest.raises(Exception, match="cannot group by"):
        map_data(G, group_by="département")


def test_grouped_maps_escape_what_they_name(tmp_path):
    G = nx.MultiDiGraph()
    payload = "<img src=x onerror=alert(1)></script>"
    for i in range(40):
        G.add_node(f"association:a{i}", kind="Association", name=f"{payload} {i}")
    for i in range(39):
        G.add_edge(f"association:a{i}", f"association:a{i + 1}", type="PARTNERS_WITH")
    page = map_html(G, max_nodes=10)
    data = page_data(page)
    assert data["aggregate"]["nodes"] == 40
    assert "<img" not in page and "</script><" not in page.split('id="map-data">')[1].split("</script>")[0]
    assert any(payload in example for node in data["nodes"] for example in node["attrs"]["examples"])


def test_the_map_command_groups_large_graphs_and_says_so(demo_store, tmp_path):
    data = page_data(run_map(demo_store, tmp_path, "--max-nodes", "20", "--group-by", "territory"))
    assert data["aggregate"]["by"] == "territory" and data["aggregate"]["nodes"] == 60
    result = demo_store("map", "-o", str(tmp_path / "again.html"), "--max-nodes", "20")
    assert "shown as groups by community" in result.output
