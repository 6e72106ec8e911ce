"""The data model: node kinds, relation types, identifiers and validation.

The lists here are closed on purpose. Kinds become Neo4j labels and relation
types become relationship types, which cannot be query parameters; validating
them against these lists is what keeps file content out of query text.

No I/O happens in this module.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .errors import InvalidCode, ModelError, UnknownKind, UnknownRelationType

__all__ = [
    "ACTOR_KINDS",
    "ATTRIBUTES",
    "IDENTIFYING",
    "KINDS",
    "LEVELS",
    "PROJECT_TYPES",
    "RELATION_ATTRIBUTES",
    "RELATION_TYPES",
    "ROLES",
    "Attribute",
    "Batch",
    "Node",
    "NodeRecord",
    "Relation",
    "RelationRecord",
    "Source",
    "aliases_of",
    "check_attribute",
    "check_kind",
    "check_node_id",
    "check_relation",
    "check_relation_type",
    "identity_clash",
    "make_id",
    "name_key",
    "normalise",
    "now_iso",
    "slugify",
    "validate_insee",
    "validate_rna",
    "validate_siren",
    "validate_siret",
]

KINDS: tuple[str, ...] = (
    "Collectivite",
    "Association",
    "Theme",
    "Project",
    "Person",
    "Country",
    "Document",
)
ACTOR_KINDS: tuple[str, ...] = ("Collectivite", "Association")

LEVELS: tuple[str, ...] = ("region", "departement", "commune", "epci", "foreign", "other")
PROJECT_TYPES: tuple[str, ...] = (
    "programme",
    "workshop",
    "event",
    "publication",
    "agreement",
    "meeting",
    "survey",
    "committee",
    "project",
    "other",
)
ROLES: tuple[str, ...] = ("lead", "partner", "funder", "organiser", "participant", "coeditor")

_ORGANISATIONS = ("Collectivite", "Association")
_PARTICIPANTS = ("Collectivite", "Association", "Person")

#: relation type -> (allowed source kinds, allowed target kinds)
RELATION_TYPES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "TAKES_PART_IN": (_PARTICIPANTS, ("Project",)),
    "MEMBER_OF": (_PARTICIPANTS + ("Project",), _ORGANISATIONS + ("Project",)),
    "PARTNERS_WITH": (_ORGANISATIONS, _ORGANISATIONS),
    "WORKS_ON": (_PARTICIPANTS, ("Theme",)),
    "ADDRESSES": (("Project", "Document"), ("Theme",)),
    "LOCATED_IN": (_ORGANISATIONS + ("Project",), ("Collectivite", "Country")),
    "ACTS_IN": (_ORGANISATIONS + ("Project",), ("Country",)),
    "MENTIONS": (("Document",), KINDS),
    "CONTACT_FOR": (("Person",), _ORGANISATIONS + ("Project",)),
}


def now_iso() -> str:
    """The current UTC time, to the second, as ISO 8601 text."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


# --------------------------------------------------------------------------- names

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
_DASHES = re.compile(r"[\u2010-\u2015\u2212-]")
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Fold a name for comparison: accents, case, apostrophes, dashes and spacing.

    >>> normalise("  Cités  Unies–France ")
    'cites unies france'
    >>> normalise("Rosny-sous-Bois") == normalise("ROSNY SOUS BOIS")
    True
    """
    text = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _DASHES.sub(" ", text.casefold())
    return _SPACES.sub(" ", text).strip()


def _fold_alone(char: str) -> str:
    """What :func:`normalise` makes of one character, before spaces are collapsed.

    Every step of ``normalise`` but the last works character by character, so
    a text folds as the concatenation of its characters' folds.
    """
    decomposed = unicodedata.normalize("NFKD", char.translate(_APOSTROPHES))
    kept = "".join(part for part in decomposed if not unicodedata.combining(part))
    return _DASHES.sub(" ", kept.casefold())


def _ascii_folds() -> dict[int, str]:
    """Characters beyond ASCII that fold to plain lowercase ASCII with no "`" or "-"
    (which the ASCII steps of :func:`name_key` would treat again)."""
    table = {}
    for code in range(0x80, 0x3000):
        folded = _fold_alone(chr(code))
        if folded.isascii() and folded == folded.lower() and "`" not in folded and "-" not in folded:
            table[code] = folded
    return table


_TO_ASCII = _ascii_folds()


def _latin_folds() -> bytes:
    """A ``bytes.translate`` table for text within Latin-1 (one byte a character): the
    byte of the one ASCII character each character folds to, every kind of space made
    " " (``bytes.split`` knows only the ASCII ones); 0x80, not ASCII, for the characters
    that fold to anything else."""
    table = bytearray()
    for code in range(256):
        char = chr(code)
        folded = " " if char.isspace() else _fold_alone(char)
        table.append(ord(folded) if len(folded) == 1 and folded.isascii() else 0x80)
    return bytes(table)


_LATIN_FOLDS = _latin_folds()


def name_key(text: str) -> str:
    """:func:`normalise`, faster for the Latin names registers and documents are made of.

    >>> name_key("Cités  Unies–France") == normalise("Cités  Unies–France")
    True

    Text within Latin-1 (French names) is folded a byte at a time by one table;
    other accented Latin letters, typographic apostrophes and dashes by one table
    lookup each, and once the text is plain ASCII, case folding is lowering.
    Anything else goes through ``normalise`` itself.
    """
    try:
        folded_bytes = text.encode("latin-1").translate(_LATIN_FOLDS)
    except UnicodeEncodeError:
        pass
    else:
        if folded_bytes.isascii():
            return b" ".join(folded_bytes.split()).decode("ascii")
    folded = text.translate(_TO_ASCII)
    if not folded.isascii():
        return normalise(text)
    # The only apostrophe-like and dash-like ASCII characters are "`" and "-".
    return " ".join(folded.lower().replace("`", "'").replace("-", " ").split())


def slugify(text: str) -> str:
    """A readable ascii slug of a name.

    >>> slugify("Développement durable")
    'developpement-durable'
    >>> slugify("Oxfam France – Agir ici")
    'oxfam-france-agir-ici'
    """
    folded = normalise(text)
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")


def aliases_of(name: str, labels: Iterable[str]) -> tuple[str, ...]:
    """The labels a node keeps as aliases: in their order, once each, without its name.

    >>> aliases_of("CG93", ["Conseil général du 93", "CG93", "Conseil général du 93"])
    ('Conseil général du 93',)
    """
    seen = {name}
    aliases = []
    for label in labels:
        if label not in seen:
            seen.add(label)
            aliases.append(label)
    return tuple(aliases)


#: attributes that tell two actors apart: two nodes giving different values are not duplicates
IDENTIFYING: tuple[str, ...] = ("level", "insee_code", "siren", "siret", "rna_id")


def identity_clash(a: Node, b: Node) -> str | None:
    """The first :data:`IDENTIFYING` attribute both nodes give with different values, or None.

    >>> identity_clash(Node("collectivite:com-93066", "Collectivite", "Saint-Denis", (), {"insee_code": "93066"}),
    ...                Node("collectivite:com-97411", "Collectivite", "Saint-Denis", (), {"insee_code": "97411"}))
    'insee_code'
    >>> identity_clash(Node("a", "Collectivite", "CG93", (), {"level": "departement"}), Node("b", "Collectivite", "Conseil général du 93"))
    """
    return next(
        (key for key in IDENTIFYING if a.attrs.get(key) and b.attrs.get(key) and a.attrs[key] != b.attrs[key]), None
    )


# --------------------------------------------------------------------------- codes

_REGION = re.compile(r"^(0[1-6]|[1-9][0-9])$")
_DEPARTEMENT = re.compile(r"^(0[1-9]|1[0-9]|2[AB1-9]|[3-8][0-9]|9[0-5]|97[1-6])$")
_COMMUNE = re.compile(r"^((0[1-9]|1[0-9]|2[AB1-9]|[3-8][0-9]|9[0-5])[0-9]{3}|97[1-6][0-9]{2})$")


def validate_insee(code: str, level: str) -> str:
    """Check an INSEE code for a région, département or commune; return it unchanged.

    Codes are text: leading zeros and the Corsican ``2A``/``2B`` are kept.

    >>> validate_insee("01001", "commune")
    '01001'
    >>> validate_insee("2A", "departement")
    '2A'
    >>> validate_insee("1001", "commune")
    Traceback (most recent call last):
    ...
    maillage.graph.errors.InvalidCode: '1001' is not an INSEE commune code (5 characters, e.g. 01001, 2A004, 97101)
    """
    patterns = {
        "region": (_REGION, "2 digits, e.g. 11, 94"),
        "departement": (_DEPARTEMENT, "e.g. 01, 2A, 93, 971"),
        "commune": (_COMMUNE, "5 characters, e.g. 01001, 2A004, 97101"),
    }
    if level not in patterns:
        return code
    pattern, hint = patterns[level]
    if not pattern.match(code):
        raise InvalidCode(f"{code!r} is not an INSEE {level} code ({hint})")
    return code


#: Each digit doubled, its two digits added (Luhn's rule): one digit again.
_LUHN_DOUBLED = str.maketrans("0123456789", "0246813579")
_SIREN = re.compile(r"[0-9]{9}")
_SIRET = re.compile(r"[0-9]{14}")


def _luhn_ok(digits: str) -> bool:
    """Whether a string of ASCII digits passes the Luhn checksum; summed as bytes, a register's
    millions of SIRETs are checked without a Python step per digit.

    >>> _luhn_ok("200054781"), _luhn_ok("123456789")
    (True, False)
    """
    folded = digits[-1::-2] + digits[-2::-2].translate(_LUHN_DOUBLED)
    return (sum(folded.encode("ascii")) - ord("0") * len(folded)) % 10 == 0


def validate_siren(code: str) -> str:
    """Check a SIREN number (9 digits, Luhn checksum).

    >>> validate_siren("200054781")
    '200054781'
    >>> validate_siren("123456789")
    Traceback (most recent call last):
    ...
    maillage.graph.errors.InvalidCode: '123456789' is not a valid SIREN (checksum fails)
    """
    if not _SIREN.fullmatch(code):
        raise InvalidCode(f"{code!r} is not a SIREN (9 digits)")
    if not _luhn_ok(code):
        raise InvalidCode(f"{code!r} is not a valid SIREN (checksum fails)")
    return code


def validate_siret(code: str) -> str:
    """Check a SIRET number (14 digits, Luhn checksum; La Poste's own rule kept).

    >>> validate_siret("35600000000048")
    '35600000000048'
    """
    if not _SIRET.fullmatch(code):
        raise InvalidCode(f"{code!r} is not a SIRET (14 digits)")
    la_poste = code.startswith("356000000") and sum(int(c) for c in code) % 5 == 0
    if not (_luhn_ok(code) or la_poste):
        raise InvalidCode(f"{code!r} is not a valid SIRET (checksum fails)")
    return code


def validate_rna(code: str) -> str:
    """Check a national register of associations id (``W`` + 9 characters).

    Older associations carry a prefecture number instead of a ``W`` id; those are
    accepted when they are 1 to 14 characters of digits, letters or ``/``.

    >>> validate_rna("W751000001")
    'W751000001'
    >>> validate_rna("w93 2000 123")
    Traceback (most recent call last):
    ...
    maillage.graph.errors.InvalidCode: 'w93 2000 123' is not an RNA id (W followed by 9 digits or letters)
    """
    if re.fullmatch(r"W[0-9A-Z]{9}", code) or re.fullmatch(r"[0-9][0-9A-Z/]{0,13}", code):
        return code
    raise InvalidCode(f"{code!r} is not an RNA id (W followed by 9 digits or letters)")


def _check_country(code: str) -> str:
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise InvalidCode(f"{code!r} is not an ISO 3166-1 country code (2 capital letters, e.g. FR, SN)")
    return code


def _check_date(text: str) -> str:
    if not re.fullmatch(r"[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?", text):
        raise ModelError(f"{text!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
    return text


def _one_of(choices: Iterable[str]) -> Callable[[str], str]:
    allowed = tuple(choices)

    def check(value: str) -> str:
        if value not in allowed:
            raise ModelError(f"{value!r} is not one of {', '.join(allowed)}")
        return value

    return check


def _pattern(regex: str, what: str) -> Callable[[str], str]:
    compiled = re.compile(regex)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ModelError(f"{value!r} is not {what}")
        return value

    return check


def _text(value: str) -> str:
    return value


# --------------------------------------------------------------------------- attributes


@dataclass(frozen=True)
class Attribute:
    """A known attribute: which kinds carry it, how it is checked, whether it is a list.

    ``personal`` marks contact details, which exports leave out unless asked.
    """

    kinds: tuple[str, ...]
    check: Callable[[str], str] = _text
    many: bool = False
    personal: bool = False
    description: str = ""


ATTRIBUTES: dict[str, Attribute] = {
    "level": Attribute(
        ("Collectivite",), _one_of(LEVELS), description="region, departement, commune, epci, foreign or other"
    ),
    "insee_code": Attribute(("Collectivite",), description="INSEE code as text: 11, 93, 2A, 92050, 2A004"),
    "cog_year": Attribute(("Collectivite",), _pattern(r"[0-9]{4}", "a year"), description="vintage of the INSEE code"),
    "siren": Attribute(("Collectivite", "Association"), validate_siren, description="SIREN, 9 digits"),
    "siret": Attribute(("Collectivite", "Association"), validate_siret, description="SIRET, 14 digits"),
    "nature": Attribute(
        ("Collectivite",),
        _one_of(("CA", "CC", "CU", "METRO", "MET69", "SAN", "SIVU", "SIVOM", "SMF", "SMO", "PETR", "POLEM", "EPT")),
        description="legal nature of an intercommunality (CA, CC, CU, METRO, MET69...)",
    ),
    "rna_id": Attribute(("Association",), validate_rna, description="register of associations id, W + 9 characters"),
    "country": Attribute(
        ("Collectivite", "Association", "Country"), _check_country, description="ISO 3166-1 alpha-2 code"
    ),
    "category": Attribute(("Association",), description="what kind of association or network"),
    "object_codes": Attribute(
        ("Association",),
        _pattern(r"[0-9]{6}", "a social-object code (6 digits)"),
        many=True,
        description="RNA social-object codes",
    ),
    "type": Attribute(
        ("Project", "Document"),
        _one_of(PROJECT_TYPES),
        description="programme, workshop, event, publication, agreement, meeting, survey, committee, project, other",
    ),
    "start": Attribute(("Project",), _check_date, description="YYYY, YYYY-MM or YYYY-MM-DD"),
    "end": Attribute(("Project",), _check_date, description="YYYY, YYYY-MM or YYYY-MM-DD"),
    "countries": Attribute(
        ("Project",), _check_country, many=True, description="ISO codes of partner countries, separated by |"
    ),
    "parent": Attribute(("Theme",), description="id of the parent theme"),
    "role": Attribute(("Person",), description="what the person does"),
    "title": Attribute(("Document", "Project"), description="full title"),
    "date": Attribute(("Document", "Association"), _check_date, description="YYYY, YYYY-MM or YYYY-MM-DD"),
    "website": Attribute(KINDS, description="web address"),
    "postal_code": Attribute(
        ("Collectivite", "Association", "Project"),
        _pattern(r"[0-9]{5}", "a postal code (5 digits)"),
        description="postal code of the address, 5 digits",
    ),
    "description": Attribute(KINDS, description="free text"),
    "latitude": Attribute(
        ("Collectivite", "Association", "Project"),
        _pattern(r"-?[0-9]{1,2}(\.[0-9]+)?", "a latitude in degrees"),
        description="WGS84 degrees",
    ),
    "longitude": Attribute(
        ("Collectivite", "Association", "Project"),
        _pattern(r"-?[0-9]{1,3}(\.[0-9]+)?", "a longitude in degrees"),
        description="WGS84 degrees",
    ),
    "email": Attribute(("Person",), personal=True, description="personal contact, never exported unless asked"),
    "phone": Attribute(("Person",), personal=True, description="personal contact, never exported unless asked"),
}

RELATION_ATTRIBUTES: dict[str, Callable[[str], str]] = {
    "start": _check_date,
    "end": _check_date,
    "note": _text,
}

MULTI_VALUE_SEPARATOR = "|"


def check_kind(kind: str) -> str:
    """Return ``kind`` if it is in the closed list, else raise :class:`UnknownKind`.

    >>> check_kind("Association")
    'Association'
    """
    if kind not in KINDS:
        raise UnknownKind(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    return kind


def check_relation_type(type_: str) -> str:
    """Return ``type_`` if it is in the closed list, else raise :class:`UnknownRelationType`."""
    if type_ not in RELATION_TYPES:
        raise UnknownRelationType(f"unknown relation type {type_!r}; expected one of {', '.join(RELATION_TYPES)}")
    return type_


def check_relation(type_: str, source_kind: str, target_kind: str, role: str = "") -> None:
    """Check that a relation of ``type_`` may link these two kinds with this role."""
    sources, targets = RELATION_TYPES[check_relation_type(type_)]
    if source_kind not in sources:
        raise ModelError(f"{type_} cannot start from a {source_kind} (allowed: {', '.join(sources)})")
    if target_kind not in targets:
        raise ModelError(f"{type_} cannot point to a {target_kind} (allowed: {', '.join(targets)})")
    if role and type_ != "TAKES_PART_IN":
        raise ModelError(f"a role is only given to TAKES_PART_IN relations, not {type_}")
    if role and role not in ROLES:
        raise ModelError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")


_ID = re.compile(r"^([a-z]+):([A-Za-z0-9][A-Za-z0-9._-]*)$")


def check_node_id(node_id: str, kind: str) -> str:
    """Check an id's form: ``<kind in lower case>:<readable key>``.

    >>> check_node_id("collectivite:dep-2A", "Collectivite")
    'collectivite:dep-2A'
    >>> check_node_id("theme:x y", "Theme")
    Traceback (most recent call last):
    ...
    maillage.graph.errors.ModelError: 'theme:x y' is not an id (expected theme:key, with letters, digits, '.', '_' or '-')
    """
    match = _ID.match(node_id)
    prefix = kind.lower()
    if not match:
        raise ModelError(f"{node_id!r} is not an id (expected {prefix}:key, with letters, digits, '.', '_' or '-')")
    if match.group(1) != prefix:
        raise ModelError(f"{node_id!r} does not start with {prefix}: as a {kind} id must")
    return node_id


def check_attribute(kind: str, key: str, value: Any) -> Any:
    """Validate one attribute value for a node of ``kind``; return the value to store.

    List attributes (``many``) accept a list or a ``|``-separated string.

    >>> check_attribute("Project", "countries", "SN | ML")
    ['SN', 'ML']
    >>> check_attribute("Collectivite", "insee_code", "2A004")
    '2A004'
    """
    attribute = ATTRIBUTES.get(key)
    if attribute is None:
        raise ModelError(f"unknown attribute {key!r}; known: {', '.join(sorted(ATTRIBUTES))}")
    if kind not in attribute.kinds:
        raise ModelError(f"a {kind} has no attribute {key!r}")
    if attribute.many:
        items = value if isinstance(value, (list, tuple)) else str(value).split(MULTI_VALUE_SEPARATOR)
        return [attribute.check(str(item).strip()) for item in items if str(item).strip()]
    if not isinstance(value, str):
        raise ModelError(f"{key} must be text, not {type(value).__name__}: codes are never numbers")
    return attribute.check(value)


def make_id(kind: str, name: str, attrs: Mapping[str, Any] | None = None) -> str:
    """The stable id of a node: from its official code when known, else from its name.

    >>> make_id("Collectivite", "Nanterre", {"level": "commune", "insee_code": "92050"})
    'collectivite:com-92050'
    >>> make_id("Collectivite", "Corse-du-Sud", {"level": "departement", "insee_code": "2A"})
    'collectivite:dep-2A'
    >>> make_id("Association", "Ritimo", {"rna_id": "W751000001"})
    'association:rna-W751000001'
    >>> make_id("Theme", "Développement durable")
    'theme:developpement-durable'
    """
    check_kind(kind)
    attrs = attrs or {}
    prefix = kind.lower()
    if kind == "Collectivite":
        level, code = attrs.get("level"), attrs.get("insee_code")
        short = {"region": "reg", "departement": "dep", "commune": "com"}.get(level or "")
        if short and code:
            return f"{prefix}:{short}-{code}"
        if level == "epci" and attrs.get("siren"):
            return f"{prefix}:epci-{attrs['siren']}"
    if kind == "Association" and attrs.get("rna_id"):
        return f"{prefix}:rna-{attrs['rna_id']}"
    if kind == "Country" and attrs.get("country"):
        return f"{prefix}:{attrs['country'].lower()}"
    slug = slugify(name)
    if not slug:
        raise ModelError(f"cannot make an id from the name {name!r}: give an id")
    return f"{prefix}:{slug}"


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Node:
    """A node of the graph: an actor, theme, project, person, country or document."""

    id: str
    kind: str
    name: str
    aliases: tuple[str, ...] = ()
    attrs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Relation:
    """A typed, directed relation between two nodes; ``role`` qualifies TAKES_PART_IN."""

    source: str
    type: str
    target: str
    role: str = ""
    attrs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str, str]:
        """What makes a relation unique: two relations with the same key are one."""
        return (self.source, self.type, self.target, self.role)


@dataclass(frozen=True)
class NodeRecord:
    """A node as one source asserts it, with the place (e.g. ``actors.csv:7``) it comes from."""

    node: Node
    place: str


@dataclass(frozen=True)
class RelationRecord:
    """A relation as one source asserts it, with its place."""

    relation: Relation
    place: str


@dataclass(frozen=True)
class Source:
    """A loaded source: a file, a register extract or a document."""

    name: str
    format: str
    contributor: str
    at: str = field(default_factory=now_iso)
    authoritative: bool = False


@dataclass
class Batch:
    """Everything one source asserts; a store writes a batch in one transaction."""

    source: Source
    nodes: list[NodeRecord] = field(default_factory=list)
    relations: list[RelationRecord] = field(default_factory=list)
