"""Finding likely duplicates: the same actor entered under different names.

Three kinds of evidence, strongest first:

* the same official code (INSEE code and level, SIREN, SIRET, RNA id);
* the same territory named differently: "Conseil général du 93", "CG93" and
  "Conseil départemental de la Seine-Saint-Denis" all name département 93
  (a table of the 101 départements and 18 régions, the abbreviations CG, CD,
  CR, and the forms "Conseil général/départemental de/du/de la", "Ville de",
  "Mairie de", "Région"...);
* the same folded name (accents, case, articles, punctuation and common
  abbreviations folded), or a name that is the acronym of the other;
* a close name (``difflib`` ratio) for nodes of the same kind and territory.

Each proposal comes with its evidence and a score in [0, 1].
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

from .model import Node, identity_clash, normalise
from .store.base import GraphStore

__all__ = [
    "DEPARTEMENTS",
    "REGIONS",
    "Proposal",
    "acronym",
    "duplicates",
    "fold_name",
    "propose",
    "territory_key",
]

#: INSEE code -> name of the 101 départements
DEPARTEMENTS: dict[str, str] = {
    "01": "Ain",
    "02": "Aisne",
    "03": "Allier",
    "04": "Alpes-de-Haute-Provence",
    "05": "Hautes-Alpes",
    "06": "Alpes-Maritimes",
    "07": "Ardèche",
    "08": "Ardennes",
    "09": "Ariège",
    "10": "Aube",
    "11": "Aude",
    "12": "Aveyron",
    "13": "Bouches-du-Rhône",
    "14": "Calvados",
    "15": "Cantal",
    "16": "Charente",
    "17": "Charente-Maritime",
    "18": "Cher",
    "19": "Corrèze",
    "2A": "Corse-du-Sud",
    "2B": "Haute-Corse",
    "21": "Côte-d'Or",
    "22": "Côtes-d'Armor",
    "23": "Creuse",
    "24": "Dordogne",
    "25": "Doubs",
    "26": "Drôme",
    "27": "Eure",
    "28": "Eure-et-Loir",
    "29": "Finistère",
    "30": "Gard",
    "31": "Haute-Garonne",
    "32": "Gers",
    "33": "Gironde",
    "34": "Hérault",
    "35": "Ille-et-Vilaine",
    "36": "Indre",
    "37": "Indre-et-Loire",
    "38": "Isère",
    "39": "Jura",
    "40": "Landes",
    "41": "Loir-et-Cher",
    "42": "Loire",
    "43": "Haute-Loire",
    "44": "Loire-Atlantique",
    "45": "Loiret",
    "46": "Lot",
    "47": "Lot-et-Garonne",
    "48": "Lozère",
    "49": "Maine-et-Loire",
    "50": "Manche",
    "51": "Marne",
    "52": "Haute-Marne",
    "53": "Mayenne",
    "54": "Meurthe-et-Moselle",
    "55": "Meuse",
    "56": "Morbihan",
    "57": "Moselle",
    "58": "Nièvre",
    "59": "Nord",
    "60": "Oise",
    "61": "Orne",
    "62": "Pas-de-Calais",
    "63": "Puy-de-Dôme",
    "64": "Pyrénées-Atlantiques",
    "65": "Hautes-Pyrénées",
    "66": "Pyrénées-Orientales",
    "67": "Bas-Rhin",
    "68": "Haut-Rhin",
    "69": "Rhône",
    "70": "Haute-Saône",
    "71": "Saône-et-Loire",
    "72": "Sarthe",
    "73": "Savoie",
    "74": "Haute-Savoie",
    "75": "Paris",
    "76": "Seine-Maritime",
    "77": "Seine-et-Marne",
    "78": "Yvelines",
    "79": "Deux-Sèvres",
    "80": "Somme",
    "81": "Tarn",
    "82": "Tarn-et-Garonne",
    "83": "Var",
    "84": "Vaucluse",
    "85": "Vendée",
    "86": "Vienne",
    "87": "Haute-Vienne",
    "88": "Vosges",
    "89": "Yonne",
    "90": "Territoire de Belfort",
    "91": "Essonne",
    "92": "Hauts-de-Seine",
    "93": "Seine-Saint-Denis",
    "94": "Val-de-Marne",
    "95": "Val-d'Oise",
    "971": "Guadeloupe",
    "972": "Martinique",
    "973": "Guyane",
    "974": "La Réunion",
    "976": "Mayotte",
}

#: INSEE code -> name of the 18 régions
REGIONS: dict[str, str] = {
    "01": "Guadeloupe",
    "02": "Martinique",
    "03": "Guyane",
    "04": "La Réunion",
    "06": "Mayotte",
    "11": "Île-de-France",
    "24": "Centre-Val de Loire",
    "27": "Bourgogne-Franche-Comté",
    "28": "Normandie",
    "32": "Hauts-de-France",
    "44": "Grand Est",
    "52": "Pays de la Loire",
    "53": "Bretagne",
    "75": "Nouvelle-Aquitaine",
    "76": "Occitanie",
    "84": "Auvergne-Rhône-Alpes",
    "93": "Provence-Alpes-Côte d'Azur",
    "94": "Corse",
}

_ARTICLES = frozenset({"le", "la", "les", "l", "de", "du", "des", "d", "et", "en", "au", "aux", "the", "of", "and"})
_ABBREVIATIONS = {
    "st": "saint",
    "ste": "sainte",
    "asso": "association",
    "assoc": "association",
    "intl": "international",
    "internat": "international",
    "dev": "developpement",
    "dept": "departement",
    "dpt": "departement",
    "cne": "commune",
    "fed": "federation",
    "nat": "national",
    "reg": "regional",
}
_WORD = re.compile(r"[a-z0-9]+")


def fold_name(text: str) -> str:
    """A name folded for comparison: accents, case, punctuation, articles and
    common abbreviations.

    >>> fold_name("L'Association des Amis de St-Denis")
    'association amis saint denis'
    """
    words = _WORD.findall(normalise(text))
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words if word not in _ARTICLES)


_DEPARTEMENT_BY_NAME = {fold_name(name): code for code, name in DEPARTEMENTS.items()}
_REGION_BY_NAME = {fold_name(name): code for code, name in REGIONS.items()}
_DEPARTEMENT_CODE = re.compile(r"^(0?[1-9]|[1-8][0-9]|9[0-5]|2a|2b|97[1-6])$")
_PREFIXES: tuple[tuple[str, str], ...] = (
    ("conseil departemental", "departement"),
    ("conseil general", "departement"),
    ("departement", "departement"),
    ("cg", "departement"),
    ("cd", "departement"),
    ("conseil regional", "region"),
    ("region", "region"),
    ("cr", "region"),
    ("ville", "commune"),
    ("mairie", "commune"),
    ("commune", "commune"),
)


def _departement_code(text: str) -> str | None:
    if _DEPARTEMENT_CODE.match(text):
        code = text.upper()
        return code.zfill(2) if len(code) == 1 else code
    return _DEPARTEMENT_BY_NAME.get(text)


def territory_key(name: str, level: str | None = None, code: str | None = None) -> tuple[str, str] | None:
    """The local authority a name designates, as ``(level, code-or-folded-name)``.

    >>> territory_key("Conseil général du 93")
    ('departement', '93')
    >>> territory_key("CG93") == territory_key("Conseil départemental de la Seine-Saint-Denis")
    True
    >>> territory_key("Conseil régional d'Île-de-France")
    ('region', '11')
    >>> territory_key("Mairie de Nanterre"), territory_key("Nanterre", level="commune")
    (('commune', 'nanterre'), ('commune', 'nanterre'))
    """
    if code and level in ("departement", "region"):
        return (level, code.upper())
    folded = fold_name(name)
    compact = folded.replace(" ", "")
    glued = re.fullmatch(r"(cg|cd)(\d{1,3}|2a|2b)", compact)
    if glued:
        found = _departement_code(glued.group(2))
        return ("departement", found) if found else None
    for prefix, prefix_level in _PREFIXES:
        if folded == prefix or not folded.startswith(prefix + " "):
            continue
        rest = folded[len(prefix) + 1 :]
        if prefix_level == "departement":
            found = _departement_code(rest)
            return ("departement", found) if found else None
        if prefix_level == "region":
            found = _REGION_BY_NAME.get(rest)
            return ("region", found) if found else None
        return ("commune", rest)
    if level == "departement" and folded in _DEPARTEMENT_BY_NAME:
        return ("departement", _DEPARTEMENT_BY_NAME[folded])
    if level == "region" and folded in _REGION_BY_NAME:
        return ("region", _REGION_BY_NAME[folded])
    if level == "commune":
        return ("commune", folded)
    return None


def acronym(name: str) -> str:
    """The initials of a name's words, articles left out.

    >>> acronym("Centre de recherche et d'information pour le développement")
    'cripd'
    """
    return "".join(word[0] for word in fold_name(name).split())


@dataclass(frozen=True)
class Proposal:
    """Two nodes that may be one, why, and how sure (score in [0, 1])."""

    a: str
    b: str
    a_name: str
    b_name: str
    kind: str
    score: float
    evidence: tuple[str, ...]


_CODES = ("siren", "siret", "rna_id")


def _labels(node: Node) -> tuple[str, ...]:
    return (node.name, *node.aliases)


def propose(
    nodes: Sequence[Node],
    territories: dict[str, frozenset[str]] | None = None,
    fuzzy_threshold: float = 0.88,
    max_block: int = 2000,
) -> list[Proposal]:
    """Likely duplicate pairs among ``nodes``, best first; never two nodes whose official codes
    or levels differ (:func:`~maillage.graph.model.identity_clash`).

    Parameters
    ----------
    nodes : sequence of Node
    territories : dict, optional
        ``{node id: ids of the places it is LOCATED_IN}``; close names are only
        proposed for nodes of the same kind and the same territories.
    fuzzy_threshold : float
        Lowest ``difflib`` ratio between folded names for a close-name proposal.
    max_block : int
        Close names are compared within groups of this many nodes at most
        (grouped by kind, territory and first letters), to keep the work bounded.

    Examples
    --------
    >>> from maillage.graph.model import Node
    >>> found = propose([Node("collectivite:cg93", "Collectivite", "CG93"),
    ...                  Node("collectivite:conseil-general-du-93", "Collectivite", "Conseil général du 93")])
    >>> found[0].score, found[0].evidence[0]
    (0.95, 'both name département 93: CG93 ~ Conseil général du 93')
    """
    territories = territories or {}
    evidence: dict[tuple[str, str], list[tuple[float, str]]] = defaultdict(list)
    by_id = {node.id: node for node in nodes}

    def pair(a: str, b: str, score: float, why: str) -> None:
        if a != b and by_id[a].kind == by_id[b].kind and identity_clash(by_id[a], by_id[b]) is None:
            evidence[tuple(sorted((a, b)))].append((score, why))

    def group(keyed: dict, score: float, describe) -> None:
        for key, members in keyed.items():
            ids = sorted(members)
            for a, b in combinations(ids, 2):
                pair(a, b, score, describe(key, members[a], members[b]))

    codes: dict[tuple, dict[str, str]] = defaultdict(dict)
    places: dict[tuple, dict[str, str]] = defaultdict(dict)
    folded: dict[tuple, dict[str, str]] = defaultdict(dict)
    initials: dict[tuple, dict[str, str]] = defaultdict(dict)
    for node in nodes:
        for code in _CODES:
            if node.attrs.get(code):
                codes[(node.kind, code, node.attrs[code])][node.id] = f"{code} {node.attrs[code]}"
        level, insee = node.attrs.get("level"), node.attrs.get("insee_code")
        if level and insee:
            codes[(node.kind, level, insee)][node.id] = f"INSEE {level} code {insee}"
        for label in _labels(node):
            if node.kind == "Collectivite":
                key = territory_key(label, level if label == node.name else None)
                if key:
                    places[(node.kind, *key)].setdefault(node.id, label)
            name_key = fold_name(label)
            if name_key:
                folded[(node.kind, name_key)].setdefault(node.id, label)
                if len(name_key.split()) >= 3:
                    initials[(node.kind, acronym(label))].setdefault(node.id, label)
        if level and insee:
            places[(node.kind, level, insee.upper())].setdefault(node.id, f"{node.name} (INSEE {insee})")
    group(codes, 1.0, lambda key, a, b: f"same {a}")
    level_names = {"departement": "département", "region": "région", "commune": "commune"}
    group(places, 0.95, lambda key, a, b: f"both name {level_names[key[1]]} {key[2]}: {a} ~ {b}")
    group(folded, 0.9, lambda key, a, b: f"same folded name {key[1]!r}: {a} ~ {b}")
    compact: dict[tuple, dict[str, str]] = defaultdict(dict)
    for node in nodes:
        for label in _labels(node):
            compact[(node.kind, fold_name(label).replace(" ", ""))].setdefault(node.id, label)
    for key, members in initials.items():
        for node_id, label in members.items():
            for other_id, short in compact.get(key, {}).items():
                pair(node_id, other_id, 0.75, f"{short} is the acronym of {label}")
    blocks: dict[tuple, list[Node]] = defaultdict(list)
    for node in nodes:
        blocks[(node.kind, territories.get(node.id, frozenset()))].append(node)
    for block in _bounded(blocks.values(), max_block):
        keys = [(node, fold_name(node.name)) for node in block]
        for (a, key_a), (b, key_b) in combinations(keys, 2):
            if not key_a or not key_b or key_a == key_b:
                continue
            matcher = difflib.SequenceMatcher(None, key_a, key_b, autojunk=False)
            if matcher.real_quick_ratio() < fuzzy_threshold or matcher.quick_ratio() < fuzzy_threshold:
                continue
            ratio = matcher.ratio()
            if ratio >= fuzzy_threshold:
                pair(a.id, b.id, round(0.85 * ratio, 3), f"close names ({ratio:.2f}): {a.name} ~ {b.name}")
    proposals = []
    for (a, b), reasons in evidence.items():
        reasons.sort(key=lambda item: -item[0])
        seen: list[str] = []
        for _score, why in reasons:
            if why not in seen:
                seen.append(why)
        proposals.append(Proposal(a, b, by_id[a].name, by_id[b].name, by_id[a].kind, reasons[0][0], tuple(seen)))
    proposals.sort(key=lambda p: (-p.score, p.a, p.b))
    return proposals


def _bounded(blocks: Iterable[list[Node]], size: int) -> Iterable[list[Node]]:
    """Split blocks larger than ``size`` by the first letters of the folded name."""
    for block in blocks:
        if len(block) <= size:
            yield block
            continue
        by_start: dict[str, list[Node]] = defaultdict(list)
        for node in block:
            by_start[fold_name(node.name)[:3]].append(node)
        yield from (sub[:size] for sub in by_start.values())


def duplicates(store: GraphStore, kinds: Sequence[str] | None = None, fuzzy_threshold: float = 0.88) -> list[Proposal]:
    """Likely duplicates in a store (see :func:`propose`), territories read from
    ``LOCATED_IN`` relations."""
    nodes = [node for kind in (kinds or [None]) for node in store.nodes(kind)]
    territories: dict[str, set[str]] = defaultdict(set)
    for relation in store.relations():
        if relation.type == "LOCATED_IN":
            territories[relation.source].add(relation.target)
    return propose(nodes, {k: frozenset(v) for k, v in territories.items()}, fuzzy_threshold)
