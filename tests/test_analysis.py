"""Analyses: hand-computed values on small graphs, NetworkX on random graphs, the demo's facts."""

from __future__ import annotations

import math
import random
from itertools import permutations

import networkx as nx
import pytest
from maillage.graph.analysis import (
    actor_projection,
    analysis_graph,
    betweenness,
    bridging,
    brokerage_roles,
    closeness,
    communities_report,
    degree,
    detect,
    ego_network,
    eigenvector,
    estimate_betweenness,
    estimate_closeness,
    gaps_report,
    harmonic,
    modularity,
    pagerank,
    recommend,
    shortest_paths,
    structural_holes,
    weighted_degree,
)
from maillage.graph.analysis.brokerage import territories
from maillage.graph.analysis.centrality import centrality_report, sample_sources
from maillage.graph.analysis.engine import choose_engine, to_igraph
from maillage.graph.analysis.recommend import SCORE_WEIGHTS
from maillage.graph.store import open_store


def store_graph(nodes, edges):
    """A store-shaped MultiDiGraph: nodes (id, kind, name[, attrs]), edges (source, type, target[, role])."""
    G = nx.MultiDiGraph()
    for node in nodes:
        node_id, kind, name, *rest = node
        G.add_node(node_id, kind=kind, name=name, **(rest[0] if rest else {}))
    for edge in edges:
        source, relation, target, *role = edge
        role = role[0] if role else None
        G.add_edge(source, target, key=f"{relation}:{role}" if role else relation, type=relation, role=role)
    return G


@pytest.fixture(scope="module")
def demo_graph(tmp_path_factory):
    from maillage.cli import demo_data_path
    from maillage.loaders import read_sources

    store = open_store(str(tmp_path_factory.mktemp("demo") / "demo.db"))
    for batch in read_sources([demo_data_path()], store.find, "test", None, "demo"):
        store.write(batch)
    graph = store.to_networkx()
    store.close()
    return graph


def random_graphs():
    """Seeded random graphs of several shapes, each connected."""
    graphs = []
    for seed in range(4):
        G = nx.connected_watts_strogatz_graph(120, 6, 0.2, seed=seed)
        graphs.append(nx.relabel_nodes(G, {n: f"n{n:03d}" for n in G}))
        B = nx.barabasi_albert_graph(150, 3, seed=seed)
        rng = random.Random(seed)
        for u, v in B.edges():
            B[u][v]["weight"] = float(rng.randint(1, 5))
        graphs.append(B)
    return graphs


# --------------------------------------------------------------------------- hand-computed


def test_degrees_count_neighbours_and_relations():
    G = nx.MultiDiGraph([("aitec", "prog"), ("prog", "aitec"), ("cuf", "prog")])
    assert degree(G) == {"aitec": 1, "prog": 2, "cuf": 1}
    assert weighted_degree(G) == {"aitec": 2.0, "prog": 3.0, "cuf": 1.0}


def test_betweenness_closeness_harmonic_on_a_path_by_hand():
    G = nx.path_graph(4)
    assert betweenness(G) == pytest.approx({0: 0, 1: 2 / 3, 2: 2 / 3, 3: 0})
    # end node: reaches 3 nodes at distances 1, 2, 3
    assert closeness(G)[0] == pytest.approx(3 / 6)
    assert harmonic(G)[0] == pytest.approx((1 + 1 / 2 + 1 / 3) / 3)
    assert harmonic(G)[1] == pytest.approx((1 + 1 + 1 / 2) / 3)


def test_closeness_penalises_nodes_that_reach_few():
    G = nx.Graph([(0, 1), (2, 3), (3, 4)])
    # node 0 reaches one node of four others at distance 1: (1/4) * (1/1)
    assert closeness(G)[0] == pytest.approx(0.25)
    assert harmonic(G)[0] == pytest.approx(0.25)


def test_eigenvector_and_pagerank_of_a_star_by_hand():
    G = nx.star_graph(3)
    scores = eigenvector(G)
    assert scores[0] == pytest.approx(1 / math.sqrt(2), abs=1e-6)
    assert scores[1] == pytest.approx(1 / math.sqrt(6), abs=1e-6)
    # leaf l = (1-d)/4 + d c / 3, centre c = (1-d)/4 + 3 d l, d = 0.85
    leaf = (0.0375 + 0.85 / 3 * 0.0375) / (1 - 0.85 * 0.85)
    ranks = pagerank(G)
    assert ranks[1] == pytest.approx(leaf, abs=1e-9)
    assert ranks[0] == pytest.approx(0.0375 + 2.55 * leaf, abs=1e-9)


def test_sampled_betweenness_is_the_scaled_sum_of_the_sampled_sources_dependencies():
    G = nx.connected_watts_strogatz_graph(40, 4, 0.3, seed=5)
    estimate = estimate_betweenness(G, k=10, seed=7, engine="networkx")
    sources = sample_sources(G, 10, 7)
    n = G.number_of_nodes()
    by_hand = {v: 0.0 for v in G}
    for s in sources:
        for v, value in nx.betweenness_centrality_subset(G, [s], list(G), normalized=False).items():
            by_hand[v] += value
    scale = (n / 10) * 2 / ((n - 1) * (n - 2))
    assert estimate.scores == pytest.approx({v: by_hand[v] * scale for v in G}, abs=1e-12)
    assert estimate.k == 10 and estimate.max_stderr > 0
    assert estimate_betweenness(G, k=n).scores == pytest.approx(nx.betweenness_centrality(G), abs=1e-12)


def test_sampled_betweenness_error_is_of_the_size_of_the_actual_error():
    G = nx.connected_watts_strogatz_graph(300, 6, 0.1, seed=1)
    exact = nx.betweenness_centrality(G)
    for seed in range(3):
        estimate = estimate_betweenness(G, k=64, seed=seed, engine="networkx")
        errors = [estimate.scores[v] - exact[v] for v in G]
        rms_error = math.sqrt(sum(e * e for e in errors) / len(errors))
        rms_stderr = math.sqrt(sum(s * s for s in estimate.stderr.values()) / len(errors))
        assert 0.6 < rms_error / rms_stderr < 1.6
        assert max(map(abs, errors)) < 3 * estimate.max_stderr


def test_burt_constraint_and_effective_size_of_a_star():
    holes = structural_holes(nx.star_graph(3))
    assert holes[0]["constraint"] == pytest.approx(1 / 3)
    assert holes[0]["effective_size"] == pytest.approx(3.0)
    assert holes[1]["constraint"] == pytest.approx(1.0)
    isolated = nx.Graph()
    isolated.add_node("alone")
    assert structural_holes(isolated)["alone"] == {"constraint": None, "effective_size": None}


def test_gould_fernandez_roles_on_directed_ties_by_hand():
    groups = {"a1": "A", "a2": "A", "b": "A", "c1": "C", "c2": "C", "d1": "D"}
    cases = {
        "coordinator": [("a1", "b"), ("b", "a2")],
        "representative": [("a1", "b"), ("b", "c1")],
        "gatekeeper": [("c1", "b"), ("b", "a1")],
        "itinerant": [("c1", "b"), ("b", "c2")],
        "liaison": [("c1", "b"), ("b", "d1")],
    }
    for role, arcs in cases.items():
        counts = brokerage_roles(nx.DiGraph(arcs), groups)["b"]
        assert counts[role] == 1 and counts["total"] == 1, role
    closed = nx.DiGraph([("a1", "b"), ("b", "c1"), ("a1", "c1")])
    assert brokerage_roles(closed, groups)["b"]["total"] == 0
    # the reverse arc c1 -> a1 does not close a1 -> b -> c1
    reverse = nx.DiGraph([("a1", "b"), ("b", "c1"), ("c1", "a1")])
    assert brokerage_roles(reverse, groups)["b"]["representative"] == 1


def test_gould_fernandez_on_undirected_ties_counts_both_directions():
    groups = {"x": "A", "b": "A", "y": "C", "z": "D", "w": "A"}
    G = nx.Graph([("x", "b"), ("b", "y"), ("b", "z"), ("b", "w"), ("x", "w")])
    counts = brokerage_roles(G, groups)["b"]
    # distinct open paths through b: x-b-y, x-b-z, w-b-y, w-b-z (x-b-w is closed), y-b-z
    assert counts == {"coordinator": 0, "itinerant": 0, "representative": 4, "gatekeeper": 4, "liaison": 2, "total": 10}


def test_gould_fernandez_matches_brute_force_on_random_graphs():
    for seed in range(3):
        G = nx.gnm_random_graph(30, 70, seed=seed, directed=bool(seed % 2))
        rng = random.Random(seed)
        groups = {n: rng.choice("ABC") for n in G}
        found = brokerage_roles(G, groups)
        for b in G:
            expected = {"coordinator": 0, "itinerant": 0, "representative": 0, "gatekeeper": 0, "liaison": 0}
            for a, c in permutations(G, 2):
                if b in (a, c) or not G.has_edge(a, b) or not G.has_edge(b, c) or G.has_edge(a, c):
                    continue
                ga, gb, gc = groups[a], groups[b], groups[c]
                role = (
                    "coordinator"
                    if ga == gb == gc
                    else "itinerant"
                    if ga == gc
                    else "representative"
                    if ga == gb
                    else "gatekeeper"
                    if gb == gc
                    else "liaison"
                )
                expected[role] += 1
            assert {k: v for k, v in found[b].items() if k != "total"} == expected


def test_bridging_counts_open_paths_between_two_kinds():
    kinds = {
        "ville": "Collectivite",
        "dep": "Collectivite",
        "asso": "Association",
        "reseau": "Association",
        "b": "Association",
    }
    G = nx.Graph([("ville", "b"), ("dep", "b"), ("asso", "b"), ("reseau", "b"), ("ville", "asso")])
    # ville-b-reseau, dep-b-asso, dep-b-reseau (ville-b-asso is closed)
    assert bridging(G, kinds, "Collectivite", "Association")["b"] == 3


def test_projection_weights_and_threshold():
    G = store_graph(
        [
            ("rosny", "Collectivite", "Rosny"),
            ("crid", "Association", "CRID"),
            ("cuf", "Association", "CUF"),
            ("prog", "Project", "Programme"),
            ("paix", "Theme", "Paix"),
            ("fr", "Country", "France"),
            ("doc", "Document", "Lettre"),
        ],
        [
            ("rosny", "TAKES_PART_IN", "prog", "lead"),
            ("crid", "TAKES_PART_IN", "prog", "partner"),
            ("rosny", "WORKS_ON", "paix"),
            ("crid", "WORKS_ON", "paix"),
            ("cuf", "WORKS_ON", "paix"),
            ("crid", "ACTS_IN", "fr"),
            ("cuf", "ACTS_IN", "fr"),
            ("crid", "PARTNERS_WITH", "cuf"),
            ("doc", "MENTIONS", "rosny"),
            ("doc", "MENTIONS", "cuf"),
        ],
    )
    H = actor_projection(G)
    assert sorted(H) == ["crid", "cuf", "rosny"]
    assert H["rosny"]["crid"]["weight"] == 3 + 1
    assert H["crid"]["cuf"]["weight"] == 1 + 1 + 3
    assert H["crid"]["cuf"]["ties"] == ["PARTNERS_WITH"] and H["crid"]["cuf"]["countries"] == ["fr"]
    assert H["rosny"]["cuf"]["weight"] == 1
    assert not actor_projection(G, min_weight=2).has_edge("rosny", "cuf")
    assert actor_projection(G, weights={"themes": 0.5}, min_weight=0.5)["rosny"]["cuf"]["weight"] == 0.5
    scoped = analysis_graph(G, "actors", min_weight=2)
    assert scoped.graph["scope"].graph == "actors" and scoped.graph["scope"].edges == 2
    assert scoped.graph["scope"].left_out_nodes == 1 and scoped.graph["scope"].left_out_relations == 2


def test_analysis_graph_leaves_documents_out_unless_asked(demo_graph):
    default = analysis_graph(demo_graph)
    assert not any(kind in ("Document", "Person") for _, kind in default.nodes(data="kind"))
    scope = default.graph["scope"]
    assert scope.left_out_kinds == ("Document", "Person") and "MENTIONS" in scope.left_out_types
    assert scope.nodes + scope.left_out_nodes == demo_graph.number_of_nodes()
    with_documents = analysis_graph(demo_graph, include=["documents"])
    document = next(n for n, k in demo_graph.nodes(data="kind") if k == "Document")
    assert document in with_documents
    mentioned = {v for _, v, t in demo_graph.edges(data="type") if t == "MENTIONS"}
    assert len(mentioned) > 10
    assert "Document" not in with_documents.graph["scope"].left_out_kinds


def test_communities_of_a_barbell_and_their_modularity_by_hand():
    G = nx.barbell_graph(4, 0)
    found = detect(G, seed=3)
    assert found == [[0, 1, 2, 3], [4, 5, 6, 7]]
    # 13 edges; each side 6 inside, degree sum 13: 2 * (6/13 - (13/26)^2)
    assert modularity(G, found) == pytest.approx(2 * (6 / 13 - 0.25))


def test_communities_are_described_by_members_and_themes():
    G = store_graph(
        [
            ("a", "Association", "A"),
            ("b", "Association", "B"),
            ("c", "Collectivite", "C"),
            ("d", "Collectivite", "D"),
            ("p1", "Project", "P1"),
            ("p2", "Project", "P2"),
            ("paix", "Theme", "Paix"),
            ("eau", "Theme", "Eau"),
        ],
        [
            ("a", "TAKES_PART_IN", "p1"),
            ("b", "TAKES_PART_IN", "p1"),
            ("c", "TAKES_PART_IN", "p2"),
            ("d", "TAKES_PART_IN", "p2"),
            ("a", "WORKS_ON", "paix"),
            ("b", "WORKS_ON", "paix"),
            ("c", "WORKS_ON", "eau"),
            ("d", "WORKS_ON", "eau"),
        ],
    )
    report = communities_report(analysis_graph(G, "actors"), seed=0, source=G)
    assert report["count"] == 2 and report["modularity"] == pytest.approx(0.5)
    themes = {tuple(m["id"] for m in c["members"]): [t["name"] for t in c["themes"]] for c in report["communities"]}
    assert themes == {("a", "b"): ["Paix"], ("c", "d"): ["Eau"]}


# --------------------------------------------------------------------------- against NetworkX / igraph


@pytest.mark.parametrize("index", range(8))
def test_igraph_engine_matches_networkx(index):
    G = random_graphs()[index]
    view = to_igraph(G)
    ranks_nx, ranks_ig = pagerank(G, engine="networkx"), pagerank(G, engine="igraph")
    assert max(abs(ranks_nx[n] - ranks_ig[n]) for n in G) < 1e-6
    reference = nx.pagerank(G, weight="weight", tol=1e-12, max_iter=10_000)
    assert max(abs(reference[n] - ranks_ig[n]) for n in G) < 1e-6
    exact_nx = nx.betweenness_centrality(G)
    exact_ig = estimate_betweenness(G, engine="igraph").scores
    assert max(abs(exact_nx[n] - exact_ig[n]) for n in G) < 1e-9
    sampled_nx = estimate_betweenness(G, k=25, seed=index, engine="networkx")
    sampled_ig = estimate_betweenness(G, k=25, seed=index, engine="igraph", view=view)
    assert max(abs(sampled_nx.scores[n] - sampled_ig.scores[n]) for n in G) < 1e-9
    assert max(abs(sampled_nx.stderr[n] - sampled_ig.stderr[n]) for n in G) < 1e-9
    for metric in (closeness, harmonic):
        a, b = metric(G, engine="networkx"), metric(G, engine="igraph")
        assert max(abs(a[n] - b[n]) for n in G) < 1e-9
    a, b = eigenvector(G, engine="networkx"), eigenvector(G, engine="igraph")
    assert max(abs(a[n] - b[n]) for n in G) < 1e-6
    louvain_nx = modularity(G, detect(G, seed=index, engine="networkx"))
    louvain_ig = modularity(G, detect(G, seed=index, engine="igraph"))
    leiden = modularity(G, detect(G, "leiden", seed=index))
    assert abs(louvain_nx - louvain_ig) < 0.02 and leiden > louvain_nx - 0.02


def test_igraph_closeness_on_a_split_graph_matches_networkx():
    G = nx.disjoint_union(nx.path_graph(5), nx.star_graph(3))
    G.add_node("alone")
    a, b = closeness(G, engine="networkx"), closeness(G, engine="igraph")
    assert max(abs(a[n] - b[n]) for n in G) < 1e-12
    a, b = harmonic(G, engine="networkx"), harmonic(G, engine="igraph")
    assert max(abs(a[n] - b[n]) for n in G) < 1e-12


def test_communities_are_the_same_for_the_same_seed():
    G = random_graphs()[1]
    for engine in ("networkx", "igraph"):
        assert detect(G, seed=4, engine=engine) == detect(G, seed=4, engine=engine)
    assert detect(G, "leiden", seed=4) == detect(G, "leiden", seed=4)


def test_auto_engine_picks_igraph_only_for_large_graphs():
    assert choose_engine("auto", nx.path_graph(10)) == "networkx"
    assert choose_engine("auto", nx.path_graph(5000)) == "igraph"
    assert choose_engine("networkx", nx.path_graph(5000)) == "networkx"
    with pytest.raises(ValueError):
        choose_engine("fastest", nx.path_graph(3))


# --------------------------------------------------------------------------- recommendations, gaps, paths


def reason_holds(G, actor, candidate, reason) -> bool:
    """Whether a reason's statement is true of the store's graph."""

    def targets(node, types):
        return {v for _, v, t in G.out_edges(node, data="type") if t in types}

    def tied(node):
        return set(G.successors(node)) | set(G.predecessors(node))

    ids = set(reason["ids"])
    names = [G.nodes[i]["name"] for i in reason["ids"]]
    if not ids or not all(name in reason["text"] for name in names):
        return False
    kinds = {
        "projects": ({"TAKES_PART_IN", "MEMBER_OF"}, "Project"),
        "themes": ({"WORKS_ON"}, "Theme"),
        "countries": ({"ACTS_IN", "LOCATED_IN"}, "Country"),
        "places": ({"LOCATED_IN"}, "Collectivite"),
    }
    if reason["kind"] in kinds:
        types, kind = kinds[reason["kind"]]
        return all(G.nodes[i]["kind"] == kind for i in ids) and ids <= targets(actor, types) & targets(candidate, types)
    if reason["kind"] == "contacts":
        return ids <= tied(actor) & tied(candidate)
    return False


def test_every_recommendation_reason_is_true_on_the_demo(demo_graph):
    actors = [n for n, k in demo_graph.nodes(data="kind") if k in ("Collectivite", "Association")]
    checked = 0
    for actor in actors:
        for lang in ("fr", "en"):
            for row in recommend(demo_graph, actor, top=50, lang=lang):
                candidate = row["id"]
                assert not demo_graph.has_edge(actor, candidate) and not demo_graph.has_edge(candidate, actor)
                assert row["reasons"], row
                for reason in row["reasons"]:
                    assert reason_holds(demo_graph, actor, candidate, reason), (actor, candidate, reason)
                    checked += 1
                shared = (
                    len(row["shared_projects"]) * 2 + len(row["shared_themes"]) + len(row["shared_countries"]) * 0.5
                )
                assert row["score"] == pytest.approx(row["common_neighbours"] + row["adamic_adar"] + shared, abs=1e-5)
    assert checked > 100
    assert SCORE_WEIGHTS["projects"] == 2.0


def test_recommendations_rank_and_explain_in_french_and_english():
    G = store_graph(
        [
            ("nanterre", "Collectivite", "Nanterre"),
            ("ritimo", "Association", "Ritimo"),
            ("crid", "Association", "CRID"),
            ("oxfam", "Association", "Oxfam"),
            ("prog", "Project", "Programme"),
            ("paix", "Theme", "Paix"),
        ],
        [
            ("nanterre", "TAKES_PART_IN", "prog"),
            ("ritimo", "TAKES_PART_IN", "prog"),
            ("nanterre", "WORKS_ON", "paix"),
            ("ritimo", "WORKS_ON", "paix"),
            ("crid", "WORKS_ON", "paix"),
            ("oxfam", "PARTNERS_WITH", "nanterre"),
        ],
    )
    found = recommend(G, "nanterre", lang="fr")
    assert [row["id"] for row in found] == ["ritimo", "crid"]
    assert [r["text"] for r in found[0]["reasons"]] == [
        "Participent tous deux à : Programme.",
        "Travaillent tous deux sur : Paix.",
    ]
    english = recommend(G, "nanterre", lang="en", top=1)
    assert [r["text"] for r in english[0]["reasons"]] == ["Both take part in: Programme.", "Both work on: Paix."]
    # Oxfam is already a partner; CRID shares only the theme (score 1 + 1/log 3 + 1)
    assert found[1]["score"] == pytest.approx(2 + 1 / math.log(3), abs=1e-6)


def gaps_graph():
    """Two départements; peace is worked on by two unlinked actors in 93, water only in 92."""
    return store_graph(
        [
            ("d92", "Collectivite", "Hauts-de-Seine", {"level": "departement"}),
            ("d93", "Collectivite", "Seine-Saint-Denis", {"level": "departement"}),
            ("rosny", "Collectivite", "Rosny", {"level": "commune"}),
            ("via", "Association", "Via le Monde"),
            ("reseau", "Association", "Réseau 93"),
            ("nanterre", "Collectivite", "Nanterre", {"level": "commune"}),
            ("ansi", "Association", "ANSI"),
            ("paix", "Theme", "Paix"),
            ("eau", "Theme", "Eau"),
            ("atelier", "Project", "Atelier"),
        ],
        [
            ("rosny", "LOCATED_IN", "d93"),
            ("via", "LOCATED_IN", "d93"),
            ("reseau", "LOCATED_IN", "rosny"),
            ("nanterre", "LOCATED_IN", "d92"),
            ("ansi", "LOCATED_IN", "nanterre"),
            ("via", "WORKS_ON", "paix"),
            ("reseau", "WORKS_ON", "paix"),
            ("nanterre", "TAKES_PART_IN", "atelier"),
            ("ansi", "TAKES_PART_IN", "atelier"),
            ("atelier", "ADDRESSES", "eau"),
            ("rosny", "WORKS_ON", "eau"),
            ("nanterre", "WORKS_ON", "paix"),
            ("rosny", "PARTNERS_WITH", "via"),
        ],
    )


def test_territories_follow_located_in_upwards():
    assert territories(gaps_graph()) == {
        "d92": "d92",
        "d93": "d93",
        "rosny": "d93",
        "via": "d93",
        "reseau": "d93",
        "nanterre": "d92",
        "ansi": "d92",
    }


def test_gaps_on_a_constructed_graph():
    report = gaps_report(gaps_graph())
    unlinked = [(g["theme"], g["territory"], g["actors"]) for g in report["unlinked"]]
    # peace in 93: via and reseau, not linked; water in 93: rosny only; water in 92: linked through the workshop
    assert unlinked == [("paix", "d93", ["reseau", "via"])]
    uncovered = {g["territory"]: g["themes"] for g in report["uncovered"]}
    assert uncovered == {}
    G = gaps_graph()
    G.remove_edge("rosny", "eau")
    uncovered = {g["territory"]: g["themes"] for g in gaps_report(G)["uncovered"]}
    assert uncovered == {"d93": ["eau"]}
    G.add_edge("via", "reseau", type="PARTNERS_WITH")
    assert gaps_report(G)["unlinked"] == []


def test_all_shortest_paths_with_their_relations():
    G = store_graph(
        [
            ("rosny", "Collectivite", "Rosny"),
            ("ritimo", "Association", "Ritimo"),
            ("prog", "Project", "Programme"),
            ("paix", "Theme", "Paix"),
            ("doc", "Document", "Lettre"),
        ],
        [
            ("rosny", "TAKES_PART_IN", "prog", "lead"),
            ("ritimo", "TAKES_PART_IN", "prog", "partner"),
            ("rosny", "WORKS_ON", "paix"),
            ("ritimo", "WORKS_ON", "paix"),
            ("doc", "MENTIONS", "rosny"),
            ("doc", "MENTIONS", "ritimo"),
        ],
    )
    paths = shortest_paths(G, "rosny", "ritimo")
    # sorted by the names along them: Paix before Programme
    assert [p["text"] for p in paths] == [
        "Rosny -[WORKS_ON]-> Paix <-[WORKS_ON]- Ritimo",
        "Rosny -[TAKES_PART_IN (lead)]-> Programme <-[TAKES_PART_IN (partner)]- Ritimo",
    ]
    assert {p["length"] for p in paths} == {2} and len(shortest_paths(G, "rosny", "ritimo", limit=1)) == 1
    assert all(step["relations"] for p in paths for step in p["steps"])
    # through the document only when asked: still length 2, one path more
    assert len(shortest_paths(G, "rosny", "ritimo", include=["documents"])) == 3


def test_ego_network_by_distance():
    G = gaps_graph()
    rows = ego_network(G, "via", depth=2)
    distances = {row["id"]: row["distance"] for row in rows}
    assert distances["via"] == 0 and distances["d93"] == 1 and distances["rosny"] == 1 and distances["paix"] == 1
    assert distances["reseau"] == 2 and distances["nanterre"] == 2 and "ansi" not in distances
    reseau = next(row for row in rows if row["id"] == "reseau")
    assert reseau["via"] in ("paix", "rosny") and reseau["relations"]


def test_sampled_closeness_is_exact_for_sources_and_unsampled_components_and_close_elsewhere():
    big = nx.connected_watts_strogatz_graph(300, 6, 0.1, seed=2)
    G = nx.disjoint_union_all([big, nx.path_graph(5), nx.empty_graph(2)])
    exact_close, exact_harm = closeness(G), harmonic(G)
    sources = sample_sources(G, 1, 0)
    assert sources[0] < 300, "the single source falls in the large component"
    close, harm = estimate_closeness(G, k=1, seed=0)
    for node in list(range(300, 307)) + sources:
        assert close[node] == pytest.approx(exact_close[node], abs=1e-12)
        assert harm[node] == pytest.approx(exact_harm[node], abs=1e-12)
    close, harm = estimate_closeness(G, k=60, seed=1)
    rms = math.sqrt(sum((harm[v] - exact_harm[v]) ** 2 for v in G) / len(G))
    assert rms < 0.02 and max(abs(close[v] - exact_close[v]) for v in G) < 0.05
    other = estimate_closeness(G, k=60, seed=1, engine="igraph")
    assert max(abs(other[0][v] - close[v]) for v in G) < 1e-12 and max(abs(other[1][v] - harm[v]) for v in G) < 1e-12


def test_igraph_eigenvector_on_a_split_graph_is_quiet_and_matches_networkx():
    G = nx.disjoint_union(nx.complete_graph(6), nx.path_graph(4))
    a, b = eigenvector(G, engine="networkx"), eigenvector(G, engine="igraph")
    assert max(abs(a[n] - b[n]) for n in G) < 1e-6


def test_weighted_effective_size_by_hand_on_both_engines():
    G = nx.Graph()
    G.add_weighted_edges_from([("a", "b", 1), ("a", "c", 2), ("b", "c", 3), ("a", "d", 1)])
    # a's ties: b 1/4, c 2/4, d 1/4 of its weight; b's and c's strongest tie weighs 3
    # b is redundant with c by (2/4)(3/3), c with b by (1/4)(3/3), d with nobody
    for engine in ("networkx", "igraph"):
        assert structural_holes(G, engine)["a"]["effective_size"] == pytest.approx(0.5 + 0.75 + 1)


@pytest.mark.parametrize("seed", range(4))
def test_igraph_brokerage_matches_the_path_by_path_count(seed):
    G = nx.powerlaw_cluster_graph(200, 4, 0.5, seed=seed)
    rng = random.Random(seed)
    for u, v in G.edges():
        G[u][v]["weight"] = float(rng.randint(1, 5))
    G.add_node("alone")
    groups = {n: rng.choice(["Collectivite", "Association", "Theme", None]) for n in G}
    assert brokerage_roles(G, groups, engine="igraph") == brokerage_roles(G, groups, engine="networkx")
    for first, second in (("Collectivite", "Association"), ("Theme", "Theme")):
        assert bridging(G, groups, first, second, engine="igraph") == bridging(
            G, groups, first, second, engine="networkx"
        )
    reference, fast = structural_holes(G, "networkx"), structural_holes(G, "igraph")
    assert fast["alone"] == reference["alone"] == {"constraint": None, "effective_size": None}
    for node in G:
        if node != "alone":
            for key in ("constraint", "effective_size"):
                assert fast[node][key] == pytest.approx(reference[node][key], abs=1e-9)


# --------------------------------------------------------------------------- large graphs: one copy, arrays, networkit


def test_the_copy_out_of_networkx_keeps_every_tie_once_with_its_weight():
    G = nx.Graph()
    G.add_weighted_edges_from([("a", "b", 2.5), ("b", "c", 1), ("c", "a", 4)])
    G.add_edge("c", "c")
    G.add_node("alone")
    view = to_igraph(G)
    ties = {frozenset((view.nodes[u], view.nodes[v])): w for (u, v), w in zip(view.ends.tolist(), view.weights)}
    assert ties == {frozenset("ab"): 2.5, frozenset("bc"): 1.0, frozenset("ca"): 4.0, frozenset("c"): 1.0}
    assert dict(zip(view.nodes, view.degrees().tolist())) == dict(G.degree())
    assert dict(zip(view.nodes, view.strengths().tolist())) == dict(G.degree(weight="weight"))
    assert view.graph.get_edgelist() == [tuple(pair) for pair in view.ends.tolist()]


@pytest.mark.parametrize("engine", ["networkx", "igraph"])
def test_a_report_cut_to_its_top_rows_is_the_head_of_the_whole_report(engine):
    G = nx.freeze(random_graphs()[1])
    kinds = {node: "Association" if node % 3 else "Collectivite" for node in G}
    H = nx.Graph(G)
    nx.set_node_attributes(H, kinds, "kind")
    H = nx.freeze(H)
    for metric in ("degree", "pagerank", "betweenness"):
        whole = centrality_report(H, metric, k=40, seed=2, engine=engine)
        assert centrality_report(H, metric, k=40, seed=2, engine=engine, top=7)["rows"] == whole["rows"][:7]
        only = centrality_report(H, metric, {"Collectivite"}, k=40, seed=2, engine=engine, top=5)["rows"]
        assert only == [row for row in whole["rows"] if row["kind"] == "Collectivite"][:5]
    rows = centrality_report(H, "degree", engine=engine)["rows"]
    assert [(-row["degree"], str(row["id"])) for row in rows] == sorted(
        (-row["degree"], str(row["id"])) for row in rows
    )


def test_both_engines_write_the_same_report():
    H = nx.freeze(nx.relabel_nodes(random_graphs()[3], str))
    reference = centrality_report(H, "pagerank", k=50, seed=4, engine="networkx")
    fast = centrality_report(H, "pagerank", k=50, seed=4, engine="igraph")
    assert [row["id"] for row in fast["rows"]][:20] == [row["id"] for row in reference["rows"]][:20]
    for mine, theirs in zip(fast["rows"], reference["rows"]):
        for key, value in theirs.items():
            assert mine[key] == (pytest.approx(value, abs=1e-6) if isinstance(value, float) else value)
    assert fast["betweenness"] == pytest.approx(reference["betweenness"])


def test_many_small_pieces_are_measured_within_themselves():
    """A national graph is many communes, each with its associations: the pieces no source falls in
    get their exact closeness, and the rest is estimated as before."""
    pieces = [nx.star_graph(size) for size in [300] + [3, 5, 8, 13] * 50]
    G = nx.disjoint_union_all(pieces + [nx.empty_graph(3)])
    exact_close, exact_harm = closeness(G, engine="networkx"), harmonic(G, engine="networkx")
    close, harm = estimate_closeness(G, k=30, seed=5, engine="igraph")
    reference = estimate_closeness(G, k=30, seed=5, engine="networkx")
    assert max(abs(close[v] - reference[0][v]) for v in G) < 1e-12
    assert max(abs(harm[v] - reference[1][v]) for v in G) < 1e-12
    hit = {v for source in sample_sources(G, 30, 5) for v in nx.node_connected_component(G, source)}
    missed = [v for v in G if v not in hit]
    assert len(missed) > 500
    assert max(abs(close[v] - exact_close[v]) for v in missed) < 1e-12
    assert max(abs(harm[v] - exact_harm[v]) for v in missed) < 1e-12


def test_a_large_missed_component_is_estimated_from_sixty_four_of_its_nodes():
    G = nx.disjoint_union(nx.path_graph(3), nx.connected_watts_strogatz_graph(400, 4, 0.1, seed=3))
    close, _harm = estimate_closeness(G, k=1, seed=139, engine="igraph")
    reference = estimate_closeness(G, k=1, seed=139, engine="networkx")
    exact = closeness(G)
    assert sample_sources(G, 1, 139)[0] < 3, "the single source falls in the path"
    assert max(abs(close[v] - reference[0][v]) for v in G) < 1e-12
    assert max(abs(close[v] - exact[v]) for v in range(3, 403)) < 0.05


def test_louvain_on_large_graphs_runs_in_networkit_deterministically():
    from maillage.graph.analysis.communities import louvain_engine

    G = nx.relabel_nodes(nx.planted_partition_graph(40, 60, 0.2, 0.002, seed=1), lambda n: f"n{n:04d}")
    assert louvain_engine("auto", G) == "networkit" and louvain_engine("igraph", G) == "igraph"
    found = detect(G, seed=3)
    assert found == detect(G, seed=3)
    assert sorted(node for group in found for node in group) == sorted(G)
    assert all(group == sorted(group, key=str) for group in found)
    assert [len(group) for group in found] == sorted((len(group) for group in found), reverse=True)
    assert modularity(G, found) > modularity(G, detect(G, seed=3, engine="igraph")) - 0.02
    assert communities_report(G, seed=3)["engine"] == "networkit"


def test_the_analysed_graph_is_the_store_graph_without_what_is_left_out():
    """The one-pass copy against networkx's own views: same nodes, ties, weights and counts."""
    rng = random.Random(8)
    kinds = ["Association", "Collectivite", "Document", "Person", "Project"]
    types = ["PARTNERS_WITH", "MENTIONS", "CONTACT_FOR", "TAKES_PART_IN"]
    G = nx.MultiDiGraph()
    for i in range(300):
        G.add_node(f"n{i}", kind=rng.choice(kinds), name=f"N{i}")
    for _ in range(1500):
        u, v = f"n{rng.randrange(300)}", f"n{rng.randrange(300)}"
        G.add_edge(u, v, type=rng.choice(types), **({"weight": 2.5} if rng.random() < 0.2 else {}))
    for include in ((), ("documents",), ("documents", "people")):
        H = analysis_graph(G, include=include)
        left = {"Document", "Person"} - {
            kind for name, kind in (("documents", "Document"), ("people", "Person")) if name in include
        }
        dropped = {"Document": "MENTIONS", "Person": "CONTACT_FOR"}
        left_types = {dropped[kind] for kind in left}
        expected = nx.Graph()
        expected.add_nodes_from((n, d) for n, d in G.nodes(data=True) if d["kind"] not in left)
        relations_left = 0
        for u, v, data in G.edges(data=True):
            if u not in expected or v not in expected or data["type"] in left_types:
                relations_left += 1
            elif u != v:
                weight = data.get("weight", 1) + (expected[u][v]["weight"] if expected.has_edge(u, v) else 0)
                expected.add_edge(u, v, weight=weight)
        assert list(H) == list(expected) and dict(H.nodes(data=True)) == dict(expected.nodes(data=True))
        assert {frozenset((u, v)): w for u, v, w in H.edges(data="weight")} == {
            frozenset((u, v)): w for u, v, w in expected.edges(data="weight")
        }
        scope = H.graph["scope"]
        assert (scope.nodes, scope.edges) == (expected.number_of_nodes(), expected.number_of_edges())
        assert (scope.left_out_nodes, scope.left_out_relations) == (G.number_of_nodes() - len(expected), relations_left)
