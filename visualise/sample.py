"""Synthetic graphs shaped like real territorial networks, for benchmarks and load tests.

The mix follows what strategists load: mostly associations and communes, a few
dozen themes that many actors work on, projects that gather several actors,
communes located in départements located in régions, and some contacts,
countries and documents. The same ``seed`` always gives the same graph.
"""

from __future__ import annotations

import random

import networkx as nx

__all__ = ["territory_graph"]

_THEME_WORDS = (
    "Développement durable",
    "Solidarité internationale",
    "Coopération décentralisée",
    "Agenda 21",
    "Initiatives de paix",
    "Droits humains",
    "Éducation",
    "Santé",
    "Eau et assainissement",
    "Culture",
    "Jeunesse",
    "Économie sociale et solidaire",
    "Agriculture",
    "Migrations",
    "Égalité femmes-hommes",
    "Climat",
    "Numérique",
    "Urbanisme",
    "Mobilité",
    "Patrimoine",
)
_COUNTRIES = ("SN", "ML", "BF", "MA", "TN", "VN", "HT", "PS", "MG", "CM", "BJ", "NE", "DZ", "LB", "KH")


def territory_graph(nodes: int, seed: int = 0) -> nx.MultiDiGraph:
    """A random graph of about ``nodes`` nodes with the store's attribute conventions.

    Nodes carry ``kind``, ``name``, ``aliases`` and a few attributes (``level``,
    ``insee_code`` for collectivités); edges are keyed ``TYPE`` or ``TYPE:role``
    and carry ``type`` and ``role``, as ``GraphStore.to_networkx`` returns them.

    Parameters
    ----------
    nodes : int
        Number of nodes wanted (at least 30).
    seed : int
        Seed of the random draws.

    Examples
    --------
    >>> G = territory_graph(300, seed=1)
    >>> G.number_of_nodes()
    300
    >>> sorted({data["kind"] for _, data in G.nodes(data=True)})[:3]
    ['Association', 'Collectivite', 'Country']
    """
    rng = random.Random(seed)
    nodes = max(30, nodes)
    G = nx.MultiDiGraph()

    def add(node_id: str, kind: str, name: str, **attrs) -> str:
        G.add_node(node_id, kind=kind, name=name, aliases=[], **attrs)
        return node_id

    def link(source: str, type_: str, target: str, role: str = "") -> None:
        G.add_edge(source, target, key=f"{type_}:{role}" if role else type_, type=type_, role=role)

    themes = [
        add(
            f"theme:t{i}",
            "Theme",
            _THEME_WORDS[i % len(_THEME_WORDS)] + (f" {i // len(_THEME_WORDS) + 1}" if i >= len(_THEME_WORDS) else ""),
        )
        for i in range(max(5, min(60, nodes // 300)))
    ]
    countries = [
        add(f"country:{code.lower()}", "Country", code, country=code)
        for code in _COUNTRIES[: max(3, min(15, nodes // 1000))]
    ]
    regions = [
        add(f"collectivite:reg-{code}", "Collectivite", f"Région {code}", level="region", insee_code=code)
        for code in ("11", "24", "27", "28", "32", "44", "52", "53", "75", "76", "84", "93", "94")
    ]
    departements = []
    for number in range(1, max(4, min(95, nodes // 200)) + 1):
        code = f"{number:02d}" if number != 20 else "2A"
        departements.append(
            add(f"collectivite:dep-{code}", "Collectivite", f"Département {code}", level="departement", insee_code=code)
        )
        link(departements[-1], "LOCATED_IN", rng.choice(regions))

    remaining = nodes - G.number_of_nodes()
    counts = {
        "commune": int(remaining * 0.22),
        "project": int(remaining * 0.10),
        "person": int(remaining * 0.04),
        "document": int(remaining * 0.01),
    }
    counts["association"] = remaining - sum(counts.values())

    communes = []
    for i in range(counts["commune"]):
        departement = rng.choice(departements)
        code = departement.rsplit("-", 1)[1] + f"{i % 1000:03d}"
        node = add(f"collectivite:com-{i}", "Collectivite", f"Commune {i}", level="commune", insee_code=code)
        link(node, "LOCATED_IN", departement)
        communes.append(node)
    places = communes or departements

    projects = []
    for i in range(counts["project"]):
        node = add(
            f"project:p{i}",
            "Project",
            f"Projet {i}",
            type=rng.choice(("programme", "workshop", "event", "publication")),
        )
        for theme in rng.sample(themes, rng.randint(1, 2)):
            link(node, "ADDRESSES", theme)
        if rng.random() < 0.3:
            link(node, "ACTS_IN", rng.choice(countries))
        projects.append(node)

    organisations = list(communes)
    for i in range(counts["association"]):
        node = add(f"association:a{i}", "Association", f"Association {i}", category="association")
        link(node, "LOCATED_IN", rng.choice(places))
        for theme in rng.sample(themes, rng.randint(1, 3)):
            link(node, "WORKS_ON", theme)
        organisations.append(node)

    for project in projects:
        for index, actor in enumerate(rng.sample(organisations, min(len(organisations), rng.randint(2, 6)))):
            link(
                actor,
                "TAKES_PART_IN",
                project,
                "lead" if index == 0 else rng.choice(("partner", "participant", "funder")),
            )
    for _ in range(len(organisations) // 4):
        a, b = rng.sample(organisations, 2)
        link(a, "PARTNERS_WITH", b)
    for i in range(counts["person"]):
        node = add(f"person:p{i}", "Person", f"Personne {i}")
        link(node, "CONTACT_FOR", rng.choice(organisations))
    for i in range(counts["document"]):
        node = add(f"document:d{i}", "Document", f"Document {i}")
        for target in rng.sample(organisations + projects, 3):
            link(node, "MENTIONS", target)
    return G
