"""pyvis for notebooks (``to_pyvis``) and the vis-network files pyvis ships, which the offline
page inlines; checked without a browser (test_browser.py opens the pages in Chromium)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import networkx as nx
import pytest
from maillage.visualise import map_data, to_pyvis
from maillage.visualise.notebook import SafeNetwork
from maillage.visualise.sample import territory_graph
from maillage.visualise.vislib import VIS_NETWORK_SHA256, VIS_NETWORK_VERSION, vis_network_folder
from pyvis.network import Network

ROOT = Path(__file__).resolve().parent.parent
PAYLOADS = [
    line for line in (Path(__file__).parent / "xss_payloads.txt").read_text(encoding="utf-8").splitlines() if line
]


def payload_graph() -> nx.MultiDiGraph:
    """Every payload as a name, an alias, an attribute and a relation note; one alias says ``href``,
    which makes pyvis's own page write tooltips as HTML."""
    G = nx.MultiDiGraph()
    G.add_node("theme:t", kind="Theme", name=PAYLOADS[0], aliases=["href"])
    for index, payload in enumerate(PAYLOADS):
        node = f"association:xss-{index}"
        G.add_node(node, kind="Association", name=payload, aliases=[payload, "href"], description=payload)
        G.add_edge(node, "theme:t", key="WORKS_ON", type="WORKS_ON", role="", note=payload)
    return G


# --------------------------------------------------------------------------- the vis-network files


def test_pyvis_ships_the_vis_network_the_page_inlines():
    folder = vis_network_folder()
    assert folder.name == f"vis-{VIS_NETWORK_VERSION}"
    script = (folder / "vis-network.min.js").read_text(encoding="utf-8")
    assert f"@version {VIS_NETWORK_VERSION}" in script[:2000]
    for name, expected in VIS_NETWORK_SHA256.items():
        actual = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        assert actual == expected, (
            f"the installed pyvis ships a {name} (SHA-256 {actual}) that is not the vis-network "
            f"{VIS_NETWORK_VERSION} recorded in visualise/vislib.py ({expected}): read the new file (closing tags, "
            "URLs, how tooltips are written), run the browser tests, then record its checksum there"
        )


def test_the_pyvis_range_is_pinned_below_its_next_minor_release():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'"pyvis>=0\.3\.2,<0\.4"', pyproject)


def test_only_one_module_imports_pyvis():
    importing = sorted(
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*.py")
        if ".venv" not in path.parts
        and "tests" not in path.parts
        and "bench" not in path.parts
        and re.search(r"^\s*(import pyvis|from pyvis)", path.read_text(encoding="utf-8"), re.M)
    )
    assert importing == ["visualise/notebook.py"]


# --------------------------------------------------------------------------- to_pyvis


def test_to_pyvis_has_the_offline_maps_styles_sizes_legend_and_positions():
    G = territory_graph(1600, seed=3)  # above the physics threshold: positions computed in Python
    data = map_data(G, color_by="community")
    network = to_pyvis(G, color_by="community")
    assert isinstance(network, Network)
    assert network.legend == data["legend"] and network.heading == data["title"]
    assert len(network.nodes) == len(data["nodes"]) and len(network.edges) == len(data["edges"])
    assert network.node_ids == list(range(len(data["nodes"])))
    for item, node in zip(network.nodes, data["nodes"]):
        assert item["color"]["background"] == node["color"]
        assert item["shape"] == data["kinds"][node["kind"]]["shape"]
        assert item["size"] == 8 + 30 * node["size"]
        assert (item["x"], item["y"]) == (node["x"], node["y"])
        assert node["name"] in item["title"] and node["id"] in item["title"]
    for item, edge in zip(network.edges, data["edges"]):
        assert (item["from"], item["to"]) == (edge[0], edge[1])
        assert item["color"] == data["relationTypes"][edge[2]]["color"]
    assert network.options.physics.enabled is False
    assert json.loads(network.options.to_json())["interaction"]["dragNodes"] is True


def test_to_pyvis_on_a_small_graph_keeps_physics_arrows_and_dashes():
    G = nx.MultiDiGraph()
    G.add_node("a", kind="Association", name="Aitec")
    G.add_node("c", kind="Collectivite", name="Nanterre")
    G.add_node("t", kind="Theme", name="Paix")
    G.add_edge("a", "t", type="WORKS_ON", role="")
    G.add_edge("a", "c", type="PARTNERS_WITH", role="", note="jumelage")
    network = to_pyvis(G, lang="en")
    options = json.loads(network.options.to_json())
    assert options["physics"]["enabled"] is True and options["physics"]["solver"] == "forceAtlas2Based"
    assert options["edges"]["smooth"] == {"enabled": True, "type": "continuous", "roundness": 0.3}
    assert "x" not in network.nodes[0]
    network.toggle_physics(False)  # pyvis's own methods still work on it
    assert json.loads(network.options.to_json())["physics"]["enabled"] is False
    works_on, partners = network.edges
    assert works_on["dashes"] is True and works_on["arrows"]["to"]["enabled"] is True
    assert partners["dashes"] is False and "arrows" not in partners and partners["width"] == 2
    assert partners["title"] == "Aitec\npartners with\nNanterre\nnote : jumelage"
    assert [entry["label"] for entry in network.legend] == ["Local authority", "Association", "Theme"]


def test_pyvis_page_writes_every_payload_as_text():
    network = to_pyvis(payload_graph(), title=PAYLOADS[8])
    network.select_menu = True  # pyvis's select menu lists node ids as raw HTML
    page = network.generate_html()
    assert isinstance(network, SafeNetwork)
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", page, re.S)
    markup = re.sub(r"(<script[^>]*>).*?(</script>)", r"\1\2", page, flags=re.S)
    for payload in PAYLOADS:
        if "<" in payload or ">" in payload:
            assert payload not in markup
    # the data reaches the page as JSON with < > & escaped: no payload can close its script
    data_script = next(script for script in scripts if "new vis.DataSet(" in script)
    assert "<" not in data_script.split("new vis.DataSet(", 1)[1].split("var options", 1)[0]
    # pyvis's tooltip written with innerHTML, used when a title contains "href", is never chosen
    assert "popup.innerHTML" not in page
    assert "&lt;/script&gt;&lt;script&gt;window.__xss=1&lt;/script&gt;" in markup  # the heading, escaped


def test_unsafe_pyvis_page_is_what_the_safe_one_avoids():
    """The same network through pyvis's own generate_html writes the heading raw and the
    innerHTML tooltip: the checks above would catch either."""
    network = to_pyvis(payload_graph(), title=PAYLOADS[8])
    page = Network.generate_html(network)
    assert "popup.innerHTML" in page and PAYLOADS[8] in page


@pytest.mark.parametrize("notebook", [False, True])
def test_to_pyvis_writes_a_file_pyvis_way(tmp_path, monkeypatch, notebook):
    monkeypatch.chdir(tmp_path)
    network = to_pyvis(payload_graph(), notebook=notebook)
    network.write_html("carte.html", notebook=notebook)
    page = (tmp_path / "carte.html").read_text(encoding="utf-8")
    assert "new vis.DataSet(" in page and "popup.innerHTML" not in page
    assert not (tmp_path / "lib").exists()  # vis-network inlined, nothing beside the file
