"""What the words around a name say: its kind, acronyms it is given, the ties a sentence states.

* :func:`classify` tells a name's kind from how French writes it: ``Ville de``,
  ``Mairie de``, ``Conseil départemental``, ``Région``, ``Communauté de
  communes``, ``Association``, ``Comité de jumelage``, ``Agence``,
  ``Fédération``, ``Festival``, ``Université d'été``...
* :func:`defined_acronyms` finds ``Agence française de développement (AFD)``.
* :func:`sentences` splits a paragraph into sentences.
* :func:`stated_ties` reads the ties a sentence states plainly: co-organised
  by, financed by, partner of, member of; only these, and only between names
  that stand right against the words that state them (precision before recall).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ...graph.duplicates import DEPARTEMENTS, REGIONS, territory_key
from ...graph.model import normalise

__all__ = [
    "HEADS",
    "HEAD_PATTERNS",
    "Kind",
    "Tie",
    "classify",
    "defined_acronyms",
    "initials_fit",
    "sentences",
    "stated_ties",
]


@dataclass(frozen=True)
class Kind:
    """A node kind with the attributes a pattern tells, and the pattern that told it."""

    kind: str
    attrs: dict = field(default_factory=dict, hash=False, compare=False)
    pattern: str = ""
    #: the name without the head (``Ville de Thiès`` -> ``Thiès``), when the head is not part of the name
    bare_name: str = ""


_ARTICLE = r"(?:de la |de l'|du |des |de |d'|l'|la |le |les )"

#: (folded head as a regular expression, kind, attributes, whether the head is left out of the name)
HEADS: tuple[tuple[str, str, dict, bool], ...] = (
    (r"(?:ville|mairie|commune|municipalite|cite) (?:de |d')", "Collectivite", {"level": "commune"}, True),
    (
        r"(?:conseil (?:departemental|general)|departement)(?: " + _ARTICLE.strip("(?:)") + r")?",
        "Collectivite",
        {"level": "departement"},
        False,
    ),
    (r"(?:conseil regional|region)(?: " + _ARTICLE.strip("(?:)") + r")?", "Collectivite", {"level": "region"}, False),
    (
        r"(?:communaute (?:de communes|d'agglomeration|urbaine)|metropole|agglomeration|syndicat intercommunal|etablissement public territorial)\b",
        "Collectivite",
        {"level": "epci"},
        False,
    ),
    (r"comite de jumelage\b", "Association", {"category": "comité de jumelage"}, False),
    (
        r"(?:universite d'ete|semaine|festival|forum|colloque|seminaire|journees?|rencontres?|assises|atelier|salon|campagne|"
        r"programme|projet|sommet|conference)\b",
        "Project",
        {},
        False,
    ),
    (
        r"(?:association|asso|ong|federation|collectif|reseau|fondation|union|amicale|cooperative|maison|institut|groupement|"
        r"coordination|plateforme|alliance|mouvement|ligue|secours|cercle|agence|office|observatoire|centre|comite|"
        r"chambre|syndicat|ecole|universite|fonds)\b",
        "Association",
        {},
        False,
    ),
)
_HEADS = [(re.compile(pattern), kind, attrs, bare) for pattern, kind, attrs, bare in HEADS]
#: the heads alone, to tell where one stands in a text
HEAD_PATTERNS = tuple(pattern for pattern, *_ in _HEADS)
_EVENTS = {
    "universite d'ete": "event",
    "semaine": "event",
    "festival": "event",
    "forum": "event",
    "colloque": "event",
    "seminaire": "event",
    "journee": "event",
    "journees": "event",
    "rencontre": "event",
    "rencontres": "event",
    "assises": "event",
    "salon": "event",
    "sommet": "event",
    "conference": "event",
    "atelier": "workshop",
    "campagne": "programme",
    "programme": "programme",
    "projet": "project",
}
_DEPARTEMENT_NAMES = {normalise(name): code for code, name in DEPARTEMENTS.items()}
_REGION_NAMES = {normalise(name): code for code, name in REGIONS.items()}


def classify(name: str) -> Kind | None:
    """The kind a name's own words tell, or None.

    >>> classify("Conseil départemental du Gers").attrs
    {'level': 'departement', 'insee_code': '32'}
    >>> k = classify("Ville de Thiès"); (k.kind, k.attrs, k.bare_name)
    ('Collectivite', {'level': 'commune'}, 'Thiès')
    >>> classify("Comité de jumelage Lorient-Ziguinchor").attrs
    {'category': 'comité de jumelage'}
    >>> classify("Agence française de développement").attrs
    {'category': 'agence'}
    >>> classify("Festival des solidarités").attrs
    {'type': 'event'}
    >>> classify("Ritimo") is None
    True
    """
    folded = normalise(re.sub(r"^(?:[LlDd]['’]|(?:[Ll][ae]s?|[Dd]u|[Dd]es) )", "", name.strip()))
    if folded in _REGION_NAMES:
        return Kind("Collectivite", {"level": "region", "insee_code": _REGION_NAMES[folded]}, "région")
    if folded in _DEPARTEMENT_NAMES and folded != "paris":  # Paris, alone, is the city
        return Kind("Collectivite", {"level": "departement", "insee_code": _DEPARTEMENT_NAMES[folded]}, "département")
    for pattern, kind, attrs, bare in _HEADS:
        found = pattern.match(folded)
        if not found:
            continue
        head = found.group().strip()
        attrs = dict(attrs)
        bare_name = ""
        if kind == "Collectivite" and attrs["level"] in ("departement", "region"):
            key = territory_key(name)
            rest = folded[found.end() :].strip()
            if key and key[0] == attrs["level"]:
                attrs["insee_code"] = key[1]
            elif attrs["level"] == "departement" and rest in _DEPARTEMENT_NAMES:
                attrs["insee_code"] = _DEPARTEMENT_NAMES[rest]
            elif attrs["level"] == "region" and rest in _REGION_NAMES:
                attrs["insee_code"] = _REGION_NAMES[rest]
            elif not rest:
                return None
        elif bare:
            bare_name = _after_words(name, len(head.split()))
            if not bare_name:
                return None
        elif kind == "Association" and not attrs:
            attrs["category"] = head.split()[0] if head.split()[0] not in ("asso",) else "association"
        elif kind == "Project":
            attrs["type"] = _EVENTS.get(head, "event")
        if folded == head:
            return None
        return Kind(kind, attrs, head, bare_name)
    return None


def _after_words(name: str, count: int) -> str:
    """``name`` without its first ``count`` words (an elided article counts as a word's end)."""
    name = re.sub(r"^(?:[LlDd]['’]|(?:[Ll][ae]s?|[Dd]u|[Dd]es) )", "", name.strip())
    parts = re.split(r"(?<=['’])|\s+", name, maxsplit=count)
    return parts[count].strip() if len(parts) > count else ""


def head_words() -> frozenset[str]:
    """The folded first words of every head, to try the patterns only where one stands."""
    words = set()
    for pattern, *_ in HEADS:
        words.update(re.findall(r"(?:\(\?:|\||^)([a-z']+)", pattern))
    return frozenset(words)


# --------------------------------------------------------------------------- acronyms

_ACRONYM = re.compile(r"\(\s*([A-Z][A-Z0-9&-]{1,9})\s*\)")


def defined_acronyms(text: str) -> list[tuple[int, int, str]]:
    """Acronyms given in brackets: ``(position of "(", end of ")", acronym)``.

    >>> defined_acronyms("l'Agence française de développement (AFD) finance")
    [(36, 41, 'AFD')]
    """
    return [(match.start(), match.end(), match.group(1)) for match in _ACRONYM.finditer(text)]


def initials_fit(name: str, acronym: str) -> bool:
    """Whether an acronym can be made of a name's initials, in order, starting with the first.

    >>> initials_fit("Agence française de développement", "AFD")
    True
    >>> initials_fit("Centre de recherche et d'information pour le développement", "CRID")
    True
    >>> initials_fit("Sarah Valin", "CUF")
    False
    """
    words = re.findall(r"[a-z0-9]+", normalise(name).replace("'", " "))
    letters = [char for char in acronym.lower() if char.isalnum()]
    if not words or not letters or words[0][0] != letters[0]:
        return False
    position = 1
    for letter in letters[1:]:
        while position < len(words) and words[position][0] != letter:
            position += 1
        if position == len(words):
            return False
        position += 1
    return True


# --------------------------------------------------------------------------- sentences

_SENTENCE_END = re.compile(r"[.!?…]+[»\")]*\s+(?=[«\"(]?\s*[A-ZÀ-ÖØ-Þ0-9])")
_ABBREVIATIONS = frozenset(
    {"m", "mme", "mlle", "mm", "dr", "st", "ste", "cf", "p", "pp", "n°", "no", "etc", "av", "bd"}
)
_WORD_END = re.compile(r"(\S+)$")


def sentences(text: str) -> list[tuple[int, int]]:
    """The sentences of a paragraph, as spans.

    >>> text = "M. Diallo est venu. La Ville de Thiès a signé ! Fin"
    >>> [text[a:b] for a, b in sentences(text)]
    ['M. Diallo est venu.', 'La Ville de Thiès a signé !', 'Fin']
    """
    spans = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        before = _WORD_END.search(text, max(0, match.start() - 40), match.start())
        word = before.group(1).lower() if before else ""
        if match.group()[0] == "." and (word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())):
            continue
        end = match.end() - len(match.group()) + len(match.group().rstrip())
        spans.append((start, end))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return [span for span in spans if text[span[0] : span[1]].strip()]


# --------------------------------------------------------------------------- ties


@dataclass(frozen=True)
class Tie:
    """A tie a sentence states between two names (indexes into the mentions given)."""

    source: int
    type: str
    target: int
    role: str
    words: str


_TRIGGERS = (
    (re.compile(r"\bco-?organis[ée]e?s?\s+par\s*$"), "TAKES_PART_IN", "organiser"),
    (re.compile(r"\borganis[ée]e?s?\s+(?:conjointement\s+)?par\s*$"), "TAKES_PART_IN", "organiser"),
    (
        re.compile(
            r"\bco-?financ[ée]e?s?\s+par\s*$|\bfinanc[ée]e?s?\s+par\s*$|\bavec le soutien (?:financier )?(?:de|du|des|d')\s*$"
        ),
        "TAKES_PART_IN",
        "funder",
    ),
    (
        re.compile(r"\b(?:est|sont|, )?\s*partenaires?\s+(?:de|du|des|d')\s*$|\ben partenariat avec\s*$"),
        "PARTNERS_WITH",
        "",
    ),
    (
        re.compile(r"\b(?:est|sont|, )?\s*membres?\s+(?:de|du|des|d')\s*$|\badh[eè]re(?:nt)?\s+(?:à|au|aux)\s*$"),
        "MEMBER_OF",
        "",
    ),
)
_LINK = re.compile(r"^\s*(?:la |le |les |l['’]|de la |de l['’]|du |des |de |d['’]|à |au |aux )?$", re.IGNORECASE)
_LIST_GAP = re.compile(
    r"^\s*(?:,|et|,\s*et|ainsi que)\s*(?:la |le |les |l['’]|de la |de l['’]|du |des |de |d['’])?$", re.IGNORECASE
)
_SUBJECT_GAP = re.compile(r"^[^.;:!?()]{0,40}$")


def stated_ties(sentence: str, mentions: Sequence[tuple[int, int, str]]) -> list[Tie]:
    """The ties a sentence states between its names.

    ``mentions`` are ``(start, end, kind)`` in the sentence, left to right. A tie
    needs the stating words right after its first name (within a few words) and
    the other names right after them, listed with commas and ``et``.

    >>> s = "Le Festival Afrika, co-organisé par la Ville de Lorient et l'association Kassoumaye, a lieu en mai."
    >>> ties = stated_ties(s, [(3, 18, "Project"), (39, 55, "Collectivite"), (61, 83, "Association")])
    >>> [(t.source, t.type, t.target, t.role) for t in ties]
    [(1, 'TAKES_PART_IN', 0, 'organiser'), (2, 'TAKES_PART_IN', 0, 'organiser')]
    >>> s = "L'association Kassoumaye est membre du réseau Ritimo."
    >>> [(t.source, t.type, t.target) for t in stated_ties(s, [(2, 24, "Association"), (39, 52, "Association")])]
    [(0, 'MEMBER_OF', 1)]
    """
    ties: list[Tie] = []
    for index in range(len(mentions)):
        end = mentions[index][1]
        following = index + 1
        if following >= len(mentions):
            break
        between = sentence[end : mentions[following][0]]
        if (
            mentions[index][2] == "Person"
            and re.fullmatch(r"\s*\(\s*", between)
            and sentence[mentions[following][1] :].lstrip().startswith(")")
        ):
            ties.append(Tie(index, "CONTACT_FOR", following, "", "(...)"))
            continue
        for trigger, type_, role in _TRIGGERS:
            found = None
            for cut in range(len(between), -1, -1):
                # the stating words end just before the next name, maybe with an article
                if _LINK.match(between[cut:]) and trigger.search(between[:cut]):
                    found = between[:cut]
                    break
            if found is None or not _SUBJECT_GAP.match(between[: trigger.search(found).start()]):
                continue
            listed = [following]
            while listed[-1] + 1 < len(mentions) and _LIST_GAP.match(
                sentence[mentions[listed[-1]][1] : mentions[listed[-1] + 1][0]]
            ):
                listed.append(listed[-1] + 1)
            for other in listed:
                if type_ == "TAKES_PART_IN":
                    ties.append(Tie(other, type_, index, role, found.strip()))
                else:
                    ties.append(Tie(index, type_, other, role, found.strip()))
            if type_ == "TAKES_PART_IN" and mentions[index][2] != "Project" and role == "organiser" and len(listed) > 1:
                ties.extend(Tie(a, "PARTNERS_WITH", b, "", found.strip()) for a, b in itertools.pairwise(listed))
            break
    return ties
