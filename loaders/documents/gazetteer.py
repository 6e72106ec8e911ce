"""The gazetteer: every name and alias the store knows, found in a text in one pass.

Names are folded as the store folds them (:func:`~maillage.graph.model.normalise`:
accents, case, apostrophes, dashes, spacing), and the text is folded the same way
character by character, keeping where each folded character came from, so that
a match gives back the exact span of the original text. An Aho-Corasick
automaton (``pyahocorasick``, BSD) finds every name at once, whatever their
number.

Short names are matched with care: a name written in capitals (``CUF``,
``CG93``) only where the text writes it in capitals; a one-word name only where
the text capitalises it, never when it is a common French word, and not when a
capitalised word stands right beside it (``Marie`` in ``Marie Dupont`` is not
the commune); of overlapping names the longest wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from ...graph.model import Node, name_key, normalise
from ..countries import COUNTRY_CODES

__all__ = ["COMMON_WORDS", "Entry", "Gazetteer", "Match", "fold_with_offsets", "web_spans"]

#: kinds whose names are looked for in documents (documents themselves are not)
SEARCHED_KINDS: tuple[str, ...] = ("Collectivite", "Association", "Person", "Country", "Project", "Theme")

#: one-word names that are also everyday French words, never taken for a name alone
COMMON_WORDS: frozenset[str] = frozenset(
    [
        "a",
        "au",
        "aux",
        "avec",
        "ce",
        "ces",
        "cet",
        "cette",
        "dans",
        "de",
        "des",
        "du",
        "elle",
        "en",
        "et",
        "eux",
        "il",
        "ils",
        "je",
        "la",
        "le",
        "les",
        "leur",
        "lui",
        "ma",
        "mais",
        "me",
        "meme",
        "mes",
        "moi",
        "mon",
        "ne",
        "nos",
        "notre",
        "nous",
        "on",
        "ou",
        "par",
        "pas",
        "pour",
        "qu",
        "que",
        "qui",
        "sa",
        "se",
        "ses",
        "son",
        "sur",
        "ta",
        "te",
        "tes",
        "toi",
        "ton",
        "tu",
        "un",
        "une",
        "vos",
        "votre",
        "vous",
        "y",
        "ainsi",
        "alors",
        "apres",
        "aussi",
        "autre",
        "avant",
        "bien",
        "bon",
        "car",
        "ceci",
        "cela",
        "comme",
        "contre",
        "donc",
        "dont",
        "encore",
        "entre",
        "est",
        "etre",
        "fait",
        "faire",
        "fin",
        "haut",
        "hors",
        "ici",
        "jour",
        "lors",
        "mars",
        "mai",
        "mois",
        "monde",
        "nord",
        "sud",
        "est",
        "ouest",
        "paix",
        "plan",
        "plus",
        "point",
        "pont",
        "port",
        "projet",
        "programme",
        "region",
        "reseau",
        "rue",
        "saint",
        "sainte",
        "seul",
        "sous",
        "tout",
        "tous",
        "tres",
        "val",
        "ville",
        "commune",
        "departement",
        "centre",
        "agence",
        "association",
        "comite",
        "conseil",
        "europe",
        "fort",
        "grand",
        "grande",
        "orange",
        "noyer",
        "chateau",
        "bourg",
        "eu",
    ]
)

_URL = re.compile(r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)


def web_spans(text: str) -> list[tuple[int, int]]:
    """Spans of web addresses and e-mail addresses, where no name is looked for.

    >>> web_spans("voir www.crid.asso.fr ou a.frey@cites-unies-france.org")
    [(5, 21), (25, 54)]
    """
    return [match.span() for match in _URL.finditer(text)]


_FOLDS: dict[str, str] = {}


def _fold_char(char: str) -> str:
    folded = _FOLDS.get(char)
    if folded is None:
        # normalise() strips and collapses spaces: fold the character between two letters to keep what it becomes
        folded = _FOLDS[char] = normalise(f"a{char}a")[1:-1]
    return folded


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """``text`` folded as :func:`~maillage.graph.model.normalise` folds it (runs of
    spaces made one, kept at the ends), and for each folded character the offset of
    the character it comes from (one more entry: the end of the text).

    >>> folded, origin = fold_with_offsets("L’Élysée  Rosny-sous-Bois")
    >>> folded
    "l'elysee rosny sous bois"
    >>> origin[9], "L’Élysée  Rosny-sous-Bois"[origin[9]]
    (10, 'R')
    """
    parts: list[str] = []
    origin: list[int] = []
    previous_space = False
    for index, char in enumerate(text):
        folded = _FOLDS.get(char)
        if folded is None:
            folded = _fold_char(char)
        if not folded:
            continue
        if folded == " ":
            if previous_space:
                continue
            previous_space = True
        else:
            previous_space = False
        parts.append(folded)
        origin.extend([index] * len(folded))
    origin.append(len(text))
    return "".join(parts), origin


class Entry(NamedTuple):
    """What a name stands for: a node of the store, or a country of the built-in list
    (a named tuple: a store's worth of them is made at each extraction)."""

    id: str
    kind: str
    name: str
    known: bool = True
    attrs: Mapping[str, str] = {}


@dataclass(frozen=True)
class Match:
    """A name found in a text: its span in the original text and the entries it may stand for."""

    start: int
    end: int
    entries: tuple[Entry, ...]

    @property
    def ambiguous(self) -> bool:
        return len({entry.id for entry in self.entries}) > 1


def _is_acronym(label: str) -> bool:
    return label.isupper() and sum(char.isalpha() for char in label) <= 8


class Gazetteer:
    """Names of the store's nodes (and of countries) ready to be found in texts.

    Parameters
    ----------
    nodes : iterable of Node
        Nodes whose names and aliases are looked for (kinds in ``SEARCHED_KINDS``;
        one-word theme names are left out, too common in prose).
    countries : bool
        Also look for the countries of :data:`~maillage.loaders.countries.COUNTRY_CODES`.

    Examples
    --------
    >>> from maillage.graph.model import Node
    >>> gazetteer = Gazetteer([Node("association:cites-unies-france", "Association", "Cités Unies France", ("CUF",))])
    >>> [(m.start, m.end, m.entries[0].id) for m in gazetteer.find("Avec CITÉS UNIES FRANCE et la cuf, puis CUF.")]
    [(5, 23, 'association:cites-unies-france'), (40, 43, 'association:cites-unies-france')]
    """

    def __init__(self, nodes: Iterable[Node] = (), countries: bool = True):
        import ahocorasick

        self._entries: dict[str, list[Entry]] = {}
        self._acronyms: set[str] = set()
        self._written_out: set[str] = set()
        self._node_ids: set[str] = set()
        for node in nodes:
            if node.kind not in SEARCHED_KINDS:
                continue
            self._node_ids.add(node.id)
            entry = Entry(node.id, node.kind, node.name, True, node.attrs)
            for label in (node.name, *node.aliases):
                if node.kind != "Theme" or " " in label.strip():
                    self.add(label, entry)
        if countries:
            for key, code in COUNTRY_CODES.items():
                country_id = f"country:{code.lower()}"
                if country_id not in self._node_ids:
                    self.add(
                        key.upper() if len(key) <= 3 else key,
                        Entry(country_id, "Country", "", False, {"country": code}),
                    )
        self._automaton = ahocorasick.Automaton()
        for key in self._entries:
            self._automaton.add_word(key, key)
        if len(self._automaton):
            self._automaton.make_automaton()

    def add(self, label: str, entry: Entry) -> None:
        key = name_key(label)
        if len(key.replace(" ", "")) < 2:
            return
        entries = self._entries.get(key)
        if entries is None:
            self._entries[key] = [entry]
        elif all(existing.id != entry.id for existing in entries):
            entries.append(entry)
        if _is_acronym(label) and entry.kind != "Person":
            self._acronyms.add(key)
        else:
            self._written_out.add(key)

    def __len__(self) -> int:
        return len(self._entries)

    def labels(self, kinds: Iterable[str]) -> list[tuple[str, Entry]]:
        """Every folded name of the store's nodes of these kinds, with its entry (for fuzzy matching)."""
        wanted = set(kinds)
        return [
            (key, entry)
            for key, entries in self._entries.items()
            for entry in entries
            if entry.kind in wanted and entry.known
        ]

    def find(self, text: str, excluded: Iterable[tuple[int, int]] | None = None) -> list[Match]:
        """The names found in ``text``, left to right, the longest where they overlap.

        Nothing is looked for in the ``excluded`` spans: by default the web and
        e-mail addresses of the text (:func:`web_spans`).
        """
        if not len(self._automaton):
            return []
        folded, origin = fold_with_offsets(text)
        excluded = web_spans(text) if excluded is None else list(excluded)
        candidates = []
        for last, key in self._automaton.iter(folded):
            first = last - len(key) + 1
            if (first > 0 and folded[first - 1].isalnum()) or (last + 1 < len(folded) and folded[last + 1].isalnum()):
                continue
            start, end = origin[first], origin[last] + 1
            while end < origin[last + 1] and not _fold_char(text[end]):
                end += 1  # a character folded away after the last one (a combining accent) belongs to the name
            if any(start < stop and end > begin for begin, stop in excluded):
                continue
            if not self._plausible(key, text, start, end):
                continue
            candidates.append((start, end, key))
        candidates.sort(key=lambda item: (item[0], -(item[1] - item[0])))
        matches: list[Match] = []
        reach = -1
        for start, end, key in candidates:
            if start < reach:
                continue
            matches.append(Match(start, end, tuple(self._entries[key])))
            reach = end
        return matches

    def _plausible(self, key: str, text: str, start: int, end: int) -> bool:
        surface = text[start:end]
        if key in self._acronyms and key not in self._written_out:
            return not any(char.islower() for char in surface)
        if " " in key:
            return True
        if not surface[:1].isupper() or key in COMMON_WORDS:
            return False
        return not (_capitalised_word_before(text, start) or _capitalised_word_after(text, end))


_WORD_BEFORE = re.compile(r"([^\W\d_][\w'’-]*) $")
_WORD_AFTER = re.compile(r"^ ([^\W\d_][\w-]*)")


def _capitalised_word_before(text: str, start: int) -> bool:
    found = _WORD_BEFORE.search(text[max(0, start - 40) : start])
    if not found or not found.group(1)[0].isupper():
        return False
    word = normalise(found.group(1))
    sentence_start = start - len(found.group(0)) - 2
    return word not in COMMON_WORDS and len(word) > 1 and not (sentence_start < 0 or text[sentence_start] in ".!?:;")


def _capitalised_word_after(text: str, end: int) -> bool:
    found = _WORD_AFTER.match(text[end : end + 40])
    return bool(found) and found.group(1)[0].isupper() and normalise(found.group(1)) not in COMMON_WORDS
