"""The HTML map in a real headless Chromium (Debian's, driven by Playwright).

Skipped only when chromium is absent and CI is not set; in CI a missing chromium fails.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import struct
import time
import zlib
from pathlib import Path

import pytest
from maillage.graph.store import open_store
from maillage.visualise import theme_members, write_map
from maillage.visualise.sample import territory_graph

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PAYLOADS = [
    line for line in (Path(__file__).parent / "xss_payloads.txt").read_text(encoding="utf-8").splitlines() if line
]
# ids the model allows that could still trip a page keyed by id (object prototype names)
TRICKY_IDS = [
    "association:constructor",
    "association:toString",
    "association:hasOwnProperty",
    "association:javascript.alert-1",
    "theme:prototype",
    "project:valueOf",
]
#: what the page itself holds; any other element would come from data
PAGE_ELEMENTS = "img, iframe, object, embed, svg, math, a, form, base, video, audio, template, details, marquee, link, frame, textarea"


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed but CI is set: the browser tests must run (scripts/chromium)")
        pytest.skip("chromium is not installed (scripts/chromium installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


class MapPage:
    """A map opened in a fresh page, with everything that happens recorded."""

    def __init__(self, browser, path: Path, bypass_csp: bool = False):
        self.context = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=bypass_csp)
        self.url = path.resolve().as_uri()
        self.requests: list[str] = []
        self.blocked: list[str] = []
        self.console: list[str] = []
        self.dialogs: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on(
            "console",
            lambda message: (
                self.console.append(f"{message.type}: {message.text}") if message.type in ("error", "warning") else None
            ),
        )
        self.page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))
        self.page.on("dialog", self._dialog)
        self.page.add_init_script(
            "window.__violations = [];"
            "document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
        )
        self.page.goto(self.url)
        self.wait("() => !!(window.maillageMap && window.maillageMap.ready)", timeout=120)

    def _route(self, route):
        if route.request.url == self.url:
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def js(self, expression: str, argument=None):
        # page.evaluate, not wait_for_function: the page's CSP forbids the eval the latter needs
        return self.page.evaluate(expression, argument)

    def wait(self, expression: str, timeout: float = 10, argument=None):
        deadline = time.monotonic() + timeout
        while True:
            value = self.js(expression, argument)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {expression}")
            time.sleep(0.05)

    def counts(self) -> tuple[int, int]:
        return tuple(self.js("() => [maillageMap.nodeView.length, maillageMap.edgeView.length]"))

    def assert_clean(self):
        assert self.console == []
        assert self.requests == [self.url] and self.blocked == []
        assert self.js("() => window.__violations") == []

    def screenshot_colours(self) -> int:
        return distinct_colours(self.page.locator("#network").screenshot())

    def close(self):
        self.context.close()


def distinct_colours(png: bytes) -> int:
    """Number of distinct RGB colours in an 8-bit RGB/RGBA PNG (enough for a screenshot)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks, header = 8, [], None
    while position < len(png):
        length, kind = struct.unpack(">I4s", png[position : position + 8])
        body = png[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, colour_type = header[:4]
    assert depth == 8 and colour_type in (2, 6)
    channels = 3 if colour_type == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    previous = bytearray(stride)
    colours = set()
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                guess = left + up - corner
                pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        colours.update(bytes(line[i : i + 3]) for i in range(0, stride, channels * 7))
        previous = line
    return len(colours)


@pytest.fixture
def demo_map(invoke, demo_path, tmp_path):
    assert invoke("load", str(demo_path)).exit_code == 0
    output = tmp_path / "demo.html"
    result = invoke("map", "-o", str(output), "--title", "Démo")
    assert result.exit_code == 0, result.output
    return output


# --------------------------------------------------------------------------- the demo


def test_demo_map_loads_offline_with_the_graph_counts(browser, demo_map):
    page = MapPage(browser, demo_map)
    try:
        assert page.counts() == (60, 191)
        assert page.js("() => [maillageMap.nodes.length, maillageMap.edges.length]") == [60, 191]
        assert "60" in page.js("() => document.getElementById('status').textContent")
        assert page.js("() => document.getElementById('title').textContent") == "Démo"
        assert page.screenshot_colours() > 30
        page.assert_clean()
    finally:
        page.close()


def test_search_focuses_an_actor_by_alias(browser, demo_map):
    page = MapPage(browser, demo_map)
    try:
        page.page.fill("#search", "CG93")
        page.wait("() => document.querySelectorAll('#search-results button.result').length > 0")
        assert (
            page.js("() => document.querySelector('#search-results .result-name').textContent") == "Seine-Saint-Denis"
        )
        page.page.press("#search", "Enter")
        page.wait("() => !document.getElementById('panel').hidden")
        selected = page.js("() => maillageMap.network.getSelectedNodes()")
        assert len(selected) == 1
        assert (
            page.js("(i) => JSON.parse(document.getElementById('map-data').textContent).nodes[i].id", selected[0])
            == "collectivite:dep-93"
        )
        panel = page.js("() => document.getElementById('panel').textContent")
        assert "Seine-Saint-Denis" in panel and "CG93" in panel and "actors.csv:" in panel
        assert "Programme Aitec / Cités Unies France" in panel  # a relation, named
        page.page.click("#panel button.node-link >> nth=0")
        assert page.js("() => maillageMap.network.getSelectedNodes()") != selected
        page.assert_clean()
    finally:
        page.close()


def test_kind_relation_and_theme_filters(browser, demo_map, invoke):
    store = open_store(str(invoke.store))
    members = theme_members(store.to_networkx())
    names = {node.id: node.name for node in store.nodes()}
    store.close()
    page = MapPage(browser, demo_map)

    def shown_names():
        return sorted(page.js("() => maillageMap.nodeView.getIds().map(i => maillageMap.nodes.get(i).label)"))

    def theme_box(name):
        return page.page.get_by_role("checkbox", name=re.compile("^" + re.escape(name) + r" \(\d+\)$"))

    try:
        page.page.uncheck("input[data-kind='Association']")
        assert page.counts()[0] == 60 - 11
        nodes, edges = page.counts()
        page.page.uncheck("input[data-type='WORKS_ON']")
        assert page.counts()[0] == nodes and page.counts()[1] < edges
        page.page.click("text=Tout afficher")
        assert page.counts() == (60, 191)
        expected = {}
        for theme_id in ("theme:agenda-21", "theme:initiatives-de-paix"):
            expected[theme_id] = {theme_id, *members[theme_id]}
            theme_box(names[theme_id]).check()
            assert page.counts()[0] == len(expected[theme_id])
            theme_box(names[theme_id]).uncheck()
            assert page.counts() == (60, 191)
        # Two themes checked: the actors tied to either, and both themes.
        theme_box("Agenda 21").check()
        theme_box("Initiatives de paix").check()
        both = expected["theme:agenda-21"] | expected["theme:initiatives-de-paix"]
        assert len(both) > max(len(ids) for ids in expected.values())
        assert page.counts()[0] == len(both) < 60
        assert "Agenda 21" in shown_names() and "Initiatives de paix" in shown_names()
        page.page.click("text=Tout afficher")
        assert page.counts() == (60, 191) and not theme_box("Agenda 21").is_checked()
        page.assert_clean()
    finally:
        page.close()


def test_png_is_rendered_and_not_blank(invoke, demo_path, tmp_path):
    if CHROMIUM is None and not os.environ.get("CI"):
        pytest.skip("chromium is not installed")
    assert invoke("load", str(demo_path)).exit_code == 0
    png = tmp_path / "map.png"
    result = invoke("map", "-o", str(tmp_path / "map.html"), "--png", str(png), "--layout", "geo")
    assert result.exit_code == 0, result.output
    assert distinct_colours(png.read_bytes()) > 30
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.html", "map.png", "store.db"]


# --------------------------------------------------------------------------- a large graph


def synthetic_store(location: Path, nodes: int, seed: int) -> None:
    """A store holding ``territory_graph(nodes, seed)``, written as one source."""
    from maillage.graph.model import Batch, Node, NodeRecord, Relation, RelationRecord, Source
    from maillage.graph.store import open_store

    graph = territory_graph(nodes, seed=seed)
    batch = Batch(Source("synthetic", "workbook", "test"))
    for line, (node, data) in enumerate(graph.nodes(data=True), start=2):
        attrs = {key: value for key, value in data.items() if key not in ("kind", "name", "aliases")}
        batch.nodes.append(NodeRecord(Node(node, data["kind"], data["name"], (), attrs), f"actors.csv:{line}"))
    for line, (source, target, data) in enumerate(graph.edges(data=True), start=2):
        batch.relations.append(
            RelationRecord(Relation(source, data["type"], target, data["role"]), f"relations.csv:{line}")
        )
    store = open_store(str(location))
    store.write(batch)
    store.close()


def test_a_20000_node_map_loads_and_works(browser, invoke, tmp_path):
    synthetic_store(invoke.store, 20000, seed=7)
    path = tmp_path / "large.html"
    result = invoke("map", "-o", str(path), "--title", "20 000")
    assert result.exit_code == 0, result.output
    graph = territory_graph(20000, seed=7)
    page = MapPage(browser, path)
    try:
        assert page.counts() == (20000, graph.number_of_edges())
        assert page.js("() => maillageMap.network.physics.options.enabled") is False
        found = page.js("() => maillageMap.search('Association 1234')")
        assert found
        page.page.click("#search-results button.result >> nth=0")
        assert page.js("() => maillageMap.network.getSelectedNodes()") == [found[0]]
        assert page.js("() => document.querySelector('#panel h2').textContent") == "Association 1234"
        # labels come with a legible zoom, for the nodes in view only
        assert page.js("(i) => maillageMap.nodes.get(i).label", found[0]) == "Association 1234"
        assert 0 < page.js("() => maillageMap.nodes.get().filter(n => n.label).length") < 20000
        assert "actors.csv:" in page.js("() => document.querySelector('#panel ul.sources').textContent")
        associations = sum(1 for _, kind in graph.nodes(data="kind") if kind == "Association")
        page.page.uncheck("input[data-kind='Association']")
        kinds = dict(graph.nodes(data="kind"))
        between_others = sum(1 for u, v in graph.edges() if kinds[u] != "Association" != kinds[v])
        assert page.counts() == (20000 - associations, between_others)
        assert page.screenshot_colours() > 10
        # the relations, drawn by the page itself on so large a map, go with their filters
        drawn = page.page.locator("#network").screenshot()
        for box in page.page.query_selector_all("ul.filter-types input"):
            box.uncheck()
        assert page.counts()[1] == 0
        assert page.page.locator("#network").screenshot() != drawn
        page.assert_clean()
    finally:
        page.close()


# --------------------------------------------------------------------------- the XSS corpus


def write_xss_workbook(folder: Path) -> int:
    """A workbook with every payload as a name, alias, attribute, theme name and note."""
    actors = [["id", "kind", "name", "aliases", "category", "description", "website"]]
    relations = [["source", "type", "target", "role", "start", "end", "note"]]
    for index, payload in enumerate(PAYLOADS):
        actor = f"association:xss-{index}"
        actors.append([actor, "Association", payload, f"alias {payload}", payload, payload, payload])
        if index % 3 == 0:
            actors.append([f"theme:xss-{index}", "Theme", payload, "", "", payload, ""])
            relations.append([actor, "WORKS_ON", f"theme:xss-{index}", "", "", "", payload])
        if index % 3 == 1:
            actors.append([f"project:xss-{index}", "Project", payload, payload, "", payload, ""])
            relations.append([actor, "TAKES_PART_IN", f"project:xss-{index}", "lead", "", "", payload])
            relations.append([f"project:xss-{index}", "ADDRESSES", "theme:xss-0", "", "", "", payload])
    for index, node_id in enumerate(TRICKY_IDS):
        kind = {"association": "Association", "theme": "Theme", "project": "Project"}[node_id.split(":")[0]]
        actors.append([node_id, kind, PAYLOADS[index], "", "", PAYLOADS[-1 - index], ""])
        if kind == "Association":
            relations.append([node_id, "PARTNERS_WITH", "association:xss-0", "", "", "", PAYLOADS[index + 10]])
    for name, rows in (("actors.csv", actors), ("relations.csv", relations)):
        with open(folder / name, "w", encoding="utf-8", newline="") as stream:
            csv.writer(stream).writerows(rows)
    return len(actors) - 1


def hover_and_click_everything(page: MapPage, nodes: int) -> None:
    for index in range(nodes):
        point = page.js(
            """(i) => { const n = maillageMap.network; n.moveTo({position: n.getPositions([i])[i], scale: 1.5});
                        const box = document.getElementById('network').getBoundingClientRect();
                        const p = n.canvasToDOM(n.getPositions([i])[i]); return [box.left + p.x, box.top + p.y]; }""",
            index,
        )
        page.page.mouse.move(point[0] + 40, point[1] + 40)
        page.page.mouse.move(point[0], point[1])
        page.wait(
            "() => { const t = document.querySelector('div.vis-tooltip'); return t && t.style.visibility !== 'hidden' && t.textContent.length > 0; }",
            timeout=5,
        )
        page.page.mouse.click(point[0], point[1])
        page.wait("() => !document.getElementById('panel').hidden")
    for edge in range(0, page.js("() => maillageMap.edges.length")):
        point = page.js(
            """(e) => { const n = maillageMap.network; const d = maillageMap.edges.get(e);
                        const a = n.getPositions([d.from])[d.from], b = n.getPositions([d.to])[d.to];
                        const mid = {x: (a.x + b.x) / 2, y: (a.y + b.y) / 2}; n.moveTo({position: mid, scale: 1.5});
                        const box = document.getElementById('network').getBoundingClientRect();
                        const p = n.canvasToDOM(mid); return [box.left + p.x, box.top + p.y]; }""",
            edge,
        )
        page.page.mouse.move(point[0], point[1] + 30)
        page.page.mouse.move(point[0], point[1])
        time.sleep(0.15)


def search_and_click_every_payload(page: MapPage) -> None:
    for payload in PAYLOADS:
        page.page.fill("#search", payload)
        page.wait("() => document.querySelectorAll('#search-results li').length > 0")
        if page.js("() => document.querySelectorAll('#search-results button.result').length"):
            page.page.click("#search-results button.result >> nth=0")
            page.wait("() => !document.getElementById('panel').hidden")
    for button in page.page.query_selector_all("#panel button.node-link")[:5]:
        button.click()


def assert_nothing_ran(page: MapPage) -> None:
    assert page.js("() => window.__xss") is None
    assert page.js("() => document.getElementById('xss-marker')") is None
    assert page.dialogs == []
    assert page.js(f"() => document.querySelectorAll('{PAGE_ELEMENTS}').length") == 0
    assert page.js(
        "() => [document.scripts.length, document.querySelectorAll('style').length, document.querySelectorAll('meta').length]"
    ) == [3, 2, 4]
    assert page.js("() => window.__violations") == []


@pytest.mark.parametrize("bypass_csp", [False, True], ids=["with-csp", "escaping-alone"])
def test_xss_corpus_never_executes(browser, invoke, tmp_path, bypass_csp):
    """Every payload, loaded by `maillage load` and mapped by `maillage map`, stays text: hovered,
    clicked, searched and shown in the side panel, none runs, with the CSP and without it."""
    assert len(PAYLOADS) >= 50
    actors = write_xss_workbook(tmp_path)
    result = invoke("load", str(tmp_path / "actors.csv"), str(tmp_path / "relations.csv"))
    assert result.exit_code == 0, result.output
    kind_map = tmp_path / "xss.html"
    assert invoke("map", "-o", str(kind_map), "--title", PAYLOADS[8]).exit_code == 0
    page = MapPage(browser, kind_map, bypass_csp=bypass_csp)
    try:
        assert page.counts()[0] == actors
        assert page.js("() => document.title") == PAYLOADS[8]
        hover_and_click_everything(page, actors)
        search_and_click_every_payload(page)
        page.page.check("ul.filter-themes input >> nth=0")
        assert_nothing_ran(page)
        assert page.console == [] and page.blocked == []
    finally:
        page.close()
    for colour in ("theme", "community"):
        other_map = tmp_path / f"xss-{colour}.html"
        assert invoke("map", "-o", str(other_map), "--color-by", colour, "--lang", "en").exit_code == 0
        page = MapPage(browser, other_map, bypass_csp=bypass_csp)
        try:
            legend = page.js("() => document.getElementById('legend').textContent")
            assert any(payload in legend for payload in PAYLOADS)
            page.js("() => maillageMap.showPanel(0)")
            assert_nothing_ran(page)
            assert page.console == [] and page.blocked == []
        finally:
            page.close()


@pytest.mark.parametrize("group_by", ["community", "territory"])
def test_a_map_too_large_for_its_nodes_shows_groups_and_says_so(browser, invoke, tmp_path, group_by):
    """Above --max-nodes, one point per group: the notice is shown, groups are hovered, clicked,
    searched and focused, and the contributed names they list stay text."""
    actors = write_xss_workbook(tmp_path)
    assert invoke("load", str(tmp_path / "actors.csv"), str(tmp_path / "relations.csv")).exit_code == 0
    path = tmp_path / "groups.html"
    result = invoke("map", "-o", str(path), "--max-nodes", "20", "--group-by", group_by)
    assert result.exit_code == 0 and "shown as groups" in result.output, result.output
    page = MapPage(browser, path)
    try:
        groups = page.js("() => maillageMap.aggregate.groups")
        assert page.counts()[0] == groups and 1 < groups < actors
        notice = page.page.locator("#notice")
        assert notice.is_visible()
        word = "communauté" if group_by == "community" else "territoire"
        assert f"compte {actors} nœuds" in notice.inner_text() and f"{word} ({groups} groupes)" in notice.inner_text()
        hover_and_click_everything(page, groups)
        assert "membres" in page.js("() => document.getElementById('panel').textContent")
        name = page.js("() => JSON.parse(document.getElementById('map-data').textContent).nodes[0].name")
        page.page.fill("#search", name)
        page.page.click("#search-results button.result >> nth=0")
        page.wait("() => !document.getElementById('panel').hidden")
        assert page.js("() => document.querySelector('#panel h2').textContent") == name
        assert_nothing_ran(page)
        page.assert_clean()
    finally:
        page.close()


def test_an_empty_map_opens_too(browser, tmp_path):
    import networkx as nx

    page = MapPage(browser, write_map(nx.MultiDiGraph(), tmp_path / "empty.html"))
    try:
        assert page.counts() == (0, 0)
        assert page.js("() => document.getElementById('loading').hidden") is True
        page.assert_clean()
    finally:
        page.close()


def test_a_focus_map_opens_on_its_actor(browser, invoke, demo_path, tmp_path):
    assert invoke("load", str(demo_path)).exit_code == 0
    output = tmp_path / "focus.html"
    assert invoke("map", "-o", str(output), "--focus", "Nanterre", "--depth", "2", "--lang", "en").exit_code == 0
    page = MapPage(browser, output)
    try:
        page.wait("() => !document.getElementById('panel').hidden")
        assert page.js("() => document.querySelector('#panel h2').textContent") == "Nanterre"
        assert page.js("() => document.querySelector('#panel .kind').textContent") == "Local authority"
        assert len(page.js("() => maillageMap.network.getSelectedNodes()")) == 1
        page.assert_clean()
    finally:
        page.close()


# --------------------------------------------------------------------------- pyvis, for notebooks


def pyvis_page(tmp_path: Path, names: list[str], title: str) -> tuple[Path, int, int]:
    """A to_pyvis network of one theme and an association per name (name, alias, attribute and
    relation note), written the pyvis way with its select menu; one alias says ``href``, which
    makes pyvis's own page write its tooltips as HTML."""
    import networkx as nx
    from maillage.visualise import to_pyvis

    G = nx.MultiDiGraph()
    G.add_node("theme:t", kind="Theme", name=names[0], aliases=["href"])
    for index, name in enumerate(names):
        G.add_node(f"association:x{index}", kind="Association", name=name, aliases=[name, "href"], description=name)
        G.add_edge(f"association:x{index}", "theme:t", type="WORKS_ON", role="", note=name)
        G.add_edge(f"association:x{index}", f"association:x{(index + 1) % len(names)}", type="PARTNERS_WITH", role="")
    network = to_pyvis(G, title=title)
    network.select_menu = True
    network.neighborhood_highlight = True
    path = tmp_path / f"pyvis-{len(list(tmp_path.iterdir()))}.html"
    network.write_html(str(path))
    return path, G.number_of_nodes(), G.number_of_edges()


def open_pyvis_page(browser, path: Path, nodes: int):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    url = path.resolve().as_uri()
    # pyvis's page asks a CDN for Bootstrap: nothing leaves the machine in a test
    context.route("**/*", lambda route: route.continue_() if route.request.url == url else route.abort())
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(url)
    deadline = time.monotonic() + 60
    while not page.evaluate(
        "(n) => !!(window.network && network.body && network.getPositions().length !== 0 && Object.keys(network.body.nodes).length === n)",
        nodes,
    ):
        assert time.monotonic() < deadline, "pyvis's page never drew its network"
        time.sleep(0.05)
    page.evaluate("() => { network.stopSimulation(); network.setOptions({physics: false}); }")
    return context, page, dialogs


def element_counts(page) -> dict:
    return page.evaluate(
        "(selector) => { const c = {}; document.querySelectorAll(selector).forEach(e => c[e.tagName] = (c[e.tagName] || 0) + 1); return c; }",
        PAGE_ELEMENTS + ", script, style, meta, h1, option, div",
    )


def test_to_pyvis_page_shows_every_payload_as_text_in_chromium(browser, tmp_path):
    """The HTML pyvis writes for a to_pyvis network, with every payload in names, aliases,
    attributes, relation notes and the heading: every node hovered (its tooltip holds the payload
    as text) and clicked, every relation hovered, and no payload runs or adds an element that a
    page of harmless names does not have."""
    harmless = [f"acteur {index}" for index in range(len(PAYLOADS))]
    plain_path, nodes, edges = pyvis_page(tmp_path, harmless, "titre")
    context, page, _ = open_pyvis_page(browser, plain_path, nodes)
    expected = element_counts(page)
    context.close()

    path, nodes, edges = pyvis_page(tmp_path, PAYLOADS, PAYLOADS[8])
    context, page, dialogs = open_pyvis_page(browser, path, nodes)
    try:
        assert element_counts(page) == expected
        assert page.evaluate("() => document.querySelector('h1').textContent") == PAYLOADS[8]
        for index in range(nodes):
            point = page.evaluate(
                """(i) => { network.moveTo({position: network.getPositions([i])[i], scale: 1.5});
                            const box = document.getElementById('mynetwork').getBoundingClientRect();
                            const p = network.canvasToDOM(network.getPositions([i])[i]); return [box.left + p.x, box.top + p.y]; }""",
                index,
            )
            page.mouse.move(point[0] + 40, point[1] + 40)
            page.mouse.move(point[0], point[1])
            deadline = time.monotonic() + 5
            tip = None
            while not tip:
                tip = page.evaluate(
                    "() => { const t = document.querySelector('div.vis-tooltip'); return t && t.style.visibility !== 'hidden' ? t.textContent : null; }"
                )
                assert tip or time.monotonic() < deadline, f"no tooltip on node {index}"
                time.sleep(0.05)
            name = page.evaluate("(i) => nodes.get(i).title.split('\\n')[0]", index)
            assert name in tip
            page.mouse.click(point[0], point[1])
        for edge in page.evaluate("() => edges.getIds()"):
            point = page.evaluate(
                """(e) => { const d = edges.get(e); const a = network.getPositions([d.from])[d.from], b = network.getPositions([d.to])[d.to];
                            const mid = {x: (a.x + b.x) / 2, y: (a.y + b.y) / 2}; network.moveTo({position: mid, scale: 1.5});
                            const box = document.getElementById('mynetwork').getBoundingClientRect();
                            const p = network.canvasToDOM(mid); return [box.left + p.x, box.top + p.y]; }""",
                edge,
            )
            page.mouse.move(point[0], point[1] + 30)
            page.mouse.move(point[0], point[1])
            time.sleep(0.05)
        assert page.evaluate("() => window.__xss") is None
        assert page.evaluate("() => document.getElementById('xss-marker')") is None
        assert dialogs == []
        after = element_counts(page)
        after.pop("DIV", None)
        assert after == {tag: count for tag, count in expected.items() if tag != "DIV"}
        assert page.evaluate("() => edges.length") == edges
    finally:
        context.close()
