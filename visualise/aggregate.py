"""Maps of graphs too large to draw node by node: one point per community or territory.

A browser draws a few tens of thousands of nodes; beyond that a page takes
minutes to settle, if it ever does. :func:`aggregate` turns such a graph into
one node per group of actors, with the relations between two groups counted
per relation type, and :func:`~maillage.visualise.map.map_data` says so in the
page. Groups are Louvain communities (any graph), or territories: the
département each actor is located in, following LOCATED_IN, and, for nodes
located nowhere, one group per kind.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable

import networkx as nx
import numpy as np

from ..graph.analysis import simple_graph, territories
from ..graph.analysis.communities import detect
from .styles import KIND_LABELS, UI_TEXT, text

__all__ = ["GROUP_BY", "MAX_NODES", "aggregate"]

GROUP_BY = ("community", "territory")

#: above this many nodes a map shows groups instead of nodes
MAX_NODES = 30_000

#: members named in each group's panel
_EXAMPLES = 12


def _groups(G: nx.Graph, by: str, seed: int, lang: str) -> tuple[dict[Hashable, int], list[str]]:
    """The group number of every node, and each group's name."""
    if by == "community":
        communities = detect(simple_graph(G), seed=seed)
        degrees = dict(G.degree())
        names = []
        for rank, members in enumerate(communities):
            hub = max(members, key=lambda node: (degrees.get(node, 0), str(node)))
            names.append(
                f"{text(UI_TEXT, lang, 'community')} {rank + 1} : {G.nodes[hub].get('name') or hub}"
                if lang == "fr"
                else f"{text(UI_TEXT, lang, 'community')} {rank + 1}: {G.nodes[hub].get('name') or hub}"
            )
        return {node: rank for rank, members in enumerate(communities) for node in members}, names
    where = territories(G, "departement")
    keys: dict[str, int] = {}
    names = []
    group = {}
    for node, kind in G.nodes(data="kind"):
        key = f"territory:{where[node]}" if node in where else f"kind:{kind or ''}"
        if key not in keys:
            keys[key] = len(names)
            if node in where:
                names.append(str(G.nodes[where[node]].get("name") or where[node]))
            else:
                names.append(text(UI_TEXT, lang, "nowhere").format(kind=text(KIND_LABELS, lang, kind) if kind else "?"))
        group[node] = keys[key]
    return group, names


def aggregate(G: nx.Graph, by: str = "community", seed: int = 0, lang: str = "fr") -> nx.MultiDiGraph:
    """One node per group of ``G``'s nodes, and one edge per pair of groups and relation type.

    Parameters
    ----------
    G : networkx graph
        The store's graph: nodes with ``kind`` and ``name``, edges with ``type``.
    by : {"community", "territory"}
        Louvain communities (seeded), or départements (nodes located nowhere grouped by kind).
    seed : int
    lang : {"fr", "en"}
        Language of the groups' names.

    Returns
    -------
    networkx.MultiDiGraph
        Nodes ``group:N`` with ``kind`` (the most common among the members), ``name``,
        ``members`` (how many), ``examples`` (the best-connected members' names) and
        the number of members of each kind (keyed by the kind's label); edges with ``type`` and ``relations``
        (how many relations of that type tie the two groups, whichever their direction).
        ``graph["aggregate"]`` says what was grouped.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_nodes_from([(f"a{i}", {"kind": "Association", "name": f"A{i}"}) for i in range(6)])
    >>> _ = [G.add_edge(f"a{i}", f"a{j}", type="PARTNERS_WITH") for i, j in [(0, 1), (1, 2), (0, 2), (3, 4), (4, 5), (3, 5), (2, 3)]]
    >>> groups = aggregate(G, lang="en")
    >>> groups.number_of_nodes(), [data["relations"] for _, _, data in groups.edges(data=True)]
    (2, [1])
    """
    if by not in GROUP_BY:
        raise ValueError(f"cannot group by {by!r}; expected one of {', '.join(GROUP_BY)}")
    group, names = _groups(G, by, seed, lang)
    nodes = list(G)
    code = np.fromiter(map(group.__getitem__, nodes), dtype=np.int64, count=len(nodes))
    count = len(names)
    kinds = [str(kind or "") for _, kind in G.nodes(data="kind")]
    degrees = np.fromiter((d for _, d in G.degree()), dtype=np.int64, count=len(nodes))
    kind_counts: list[Counter] = [Counter() for _ in range(count)]
    for number, kind in zip(code.tolist(), kinds):
        kind_counts[number][kind] += 1
    # best-connected members first, then by id, for each group's examples
    order = sorted(range(len(nodes)), key=lambda i: (-int(degrees[i]), str(nodes[i])))
    examples: list[list[str]] = [[] for _ in range(count)]
    for i in order:
        listed = examples[code[i]]
        if len(listed) < _EXAMPLES:
            listed.append(str(G.nodes[nodes[i]].get("name") or nodes[i]))
    A = nx.MultiDiGraph()
    A.graph["aggregate"] = {"by": by, "nodes": G.number_of_nodes(), "edges": G.number_of_edges(), "groups": count}
    for number in range(count):
        A.add_node(
            f"group:{number + 1}",
            kind=kind_counts[number].most_common(1)[0][0],
            name=names[number],
            members=sum(kind_counts[number].values()),
            examples=examples[number],
            **{text(KIND_LABELS, lang, kind) if kind else "?": n for kind, n in kind_counts[number].most_common()},
        )
    index = dict(zip(nodes, code.tolist()))
    pairs: Counter = Counter()
    for source, target, type_ in G.edges(data="type"):
        a, b = index[source], index[target]
        if a != b:
            pairs[(min(a, b), max(a, b), str(type_ or ""))] += 1
    for (a, b, type_), relations in sorted(pairs.items()):
        A.add_edge(f"group:{a + 1}", f"group:{b + 1}", key=type_, type=type_, relations=relations)
    return A
