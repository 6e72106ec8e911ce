"""How long a map takes to write, against pyvis's own path, on graphs shaped like ours.

For 1,000, 5,000, 20,000 and 100,000 nodes (seeded, see maillage.visualise.sample),
prints the time of ``maillage.visualise.map_html`` and of pyvis's
``Network.from_nx`` + ``generate_html`` on the same graph in the same run, and
their ratio (pyvis is skipped above 20,000 nodes: it takes minutes). When
Playwright and chromium are installed, also prints how long the page takes to be
interactive in headless Chromium: loaded, a search answered and an actor focused
(physics off above 1,500 nodes; above 30,000 the map shows communities).

Targets: a 20,000-node map written in under 2 s and interactive in under 5 s. Writing
is single-threaded: on a shared machine its processor time ("cpu s") is the figure
the target is checked against; the wall clock is printed beside it.

    python bench/map.py                 # 1000 5000 20000 100000
    python bench/map.py 1000 5000       # some sizes only
    python bench/map.py --no-record     # print only, do not append to bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import networkx as nx
from maillage.visualise import map_html
from maillage.visualise.sample import territory_graph
from results import record

TARGET_WRITE_20K = 2.0
TARGET_INTERACTIVE_20K = 5.0
PYVIS_UP_TO = 20_000


def best_of(runs: int, function) -> tuple[float, float]:
    """The fastest wall-clock and processor times of ``runs`` calls."""
    walls, processors = [], []
    for _ in range(runs):
        start, processor = time.perf_counter(), time.process_time()
        function()
        walls.append(time.perf_counter() - start)
        processors.append(time.process_time() - processor)
    return min(walls), min(processors)


def pyvis_html(graph: nx.MultiDiGraph) -> str:
    from pyvis.network import Network

    # pyvis takes node attributes as vis options; keep what it can draw, as its users do
    simple = nx.MultiDiGraph()
    simple.add_nodes_from(
        (node, {"label": data["name"], "title": data["kind"]}) for node, data in graph.nodes(data=True)
    )
    simple.add_edges_from((u, v, {"title": data["type"]}) for u, v, data in graph.edges(data=True))
    network = Network(directed=True, cdn_resources="in_line")
    network.from_nx(simple)
    return network.generate_html()


def time_to_interactive(html: str) -> float | None:
    chromium = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if chromium is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "map.html"
        path.write_text(html, encoding="utf-8")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            start = time.perf_counter()
            page.goto(path.as_uri())
            while not page.evaluate("() => !!(window.maillageMap && window.maillageMap.ready)"):
                time.sleep(0.02)
            # interactive: a search answers and what it found is focused
            page.evaluate(
                "() => maillageMap.focusNode(maillageMap.search(maillageMap.aggregate ? 'Communaut' : 'Association 1')[0], false)"
            )
            elapsed = time.perf_counter() - start
            browser.close()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 5000, 20000, 100000])
    parser.add_argument("--no-pyvis", action="store_true", help="Skip pyvis's baseline (slow on 20,000 nodes).")
    parser.add_argument("--no-browser", action="store_true", help="Skip the headless Chromium timing.")
    parser.add_argument("--no-record", action="store_true", help="Print only; do not append to bench/RESULTS.md.")
    options = parser.parse_args()

    lines: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    say(
        f"{'nodes':>6} {'edges':>7} {'maillage s':>11} {'cpu s':>6} {'size MB':>8} {'pyvis s':>9} {'ratio':>7} {'browser s':>10}  shown"
    )
    for size in options.sizes:
        graph = territory_graph(size, seed=1)
        ours, ours_cpu = best_of(3 if size <= 20000 else 1, lambda: map_html(graph, title="bench"))
        page = map_html(graph, title="bench")
        theirs = None if options.no_pyvis or size > PYVIS_UP_TO else best_of(1, lambda: pyvis_html(graph))[0]
        browser = None if options.no_browser else time_to_interactive(page)
        ratio = f"{theirs / ours:6.1f}x" if theirs else "      -"
        shown = "communities" if re.search(r'"aggregate":\s*\{', page) else "every node"
        say(
            f"{size:>6} {graph.number_of_edges():>7} {ours:>11.2f} {ours_cpu:>6.2f} {len(page.encode()) / 1e6:>8.1f} "
            f"{(f'{theirs:9.2f}' if theirs else '        -')} {ratio} {(f'{browser:10.2f}' if browser else '         -')}  {shown}"
        )
        if size == 20000:
            say(
                f"  20,000 nodes: written in {ours_cpu:.2f} s of processor time, {ours:.2f} s wall clock "
                f"(target < {TARGET_WRITE_20K:.0f} s: {'met' if ours_cpu < TARGET_WRITE_20K else 'NOT met'})"
            )
            if browser:
                say(
                    f"  20,000 nodes: interactive in {browser:.2f} s (target < {TARGET_INTERACTIVE_20K:.0f} s: "
                    f"{'met' if browser < TARGET_INTERACTIVE_20K else 'NOT met'})"
                )
    say(f"cores: {os.cpu_count()}, python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.1f}")
    if not options.no_record:
        record("map", lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
