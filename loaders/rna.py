"""The national register of associations (RNA): ``rna_waldec`` and ``rna_import`` extracts.

``rna_waldec`` files have 39 columns separated by ``;``, starting
``id;id_ex;siret;rup_mi;gestion;date_creat;...`` and ending
``...;observation;position;maj_time``; ``rna_import`` files (associations
declared before the register went digital) have fewer, read by header. Both
come one file per département, in a monthly zip, in UTF-8 (with a byte-order
mark on some releases) or ISO-8859-1/cp1252, with CRLF line ends.

Quirks handled: ``0001-01-01`` stands for "no date"; ids are ``W`` + 9 characters
or, for old associations, a prefecture number; ``position`` is ``A`` (active),
``D`` (dissolved), ``S`` (deleted) or ``R`` (re-registered elsewhere) and only
``A`` rows are kept unless ``include_inactive``; ``objet_social1``/``2`` are
6-digit codes kept as the ``object_codes`` attribute; codes are text, so
``01001`` and ``2A004`` keep their form.

A row is rejected only when it cannot give an association: its id is missing
or is not one, its ``titre`` is empty or damaged, its bytes do not decode, or
its cells do not match the header. A secondary cell that fails its check (a
SIRET whose checksum fails, La Poste's establishments aside; a date that is
``0001-01-01``, not a calendar date, before 1800 or in the future; a postal
code that is not 5 digits; a commune or social-object code of the wrong form;
a damaged ``titre_court`` or ``siteweb``) is *set aside*: the association is
kept without it, and the report counts it by column.

Each kept row becomes an ``Association`` (id ``association:rna-W932001234``,
name ``titre``, alias ``titre_court``) ``LOCATED_IN`` the place of
``adrs_codeinsee``: the commune (``com-``), or the municipal arrondissement
(``arm-``) or delegated/associated commune (``comd-``/``coma-``) the COG
loader creates. When no such node is in the store the link is left out and
counted in a notice: load the COG first. No commune is made up here.

Rows stream from disk; nothing but the current row and the store's chunk is
in memory, whatever the size of the file. An extract of 8 MiB or more is read
in a worker process (:class:`ParallelRnaRecords`) while the store writes.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import gc
import io
import itertools
import marshal
import os
import pickle
import queue
import re
import signal
import subprocess
import sys
import threading
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from json.encoder import encode_basestring
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

from ..graph.errors import LoadError, ModelError, UsageError
from ..graph.model import Node, NodeRecord, Relation, RelationRecord, Source, normalise, validate_siret
from ..graph.store.base import Problem
from .loading import DigestInBackground, Load, LoadOptions, LoadReport, Lookup, checked, reason_without_value
from .tables import SAMPLE_SIZE, detect_encoding, fold_header, suspicious_text

__all__ = [
    "IMPORT_COLUMNS",
    "WALDEC_COLUMNS",
    "WORKER_MIN_BYTES",
    "ParallelRnaRecords",
    "RnaRecords",
    "detect_rna",
    "read_in_worker",
    "read_rna",
    "rna_members",
]

WALDEC_COLUMNS: tuple[str, ...] = (
    "id",
    "id_ex",
    "siret",
    "rup_mi",
    "gestion",
    "date_creat",
    "date_decla",
    "date_publi",
    "date_disso",
    "nature",
    "groupement",
    "titre",
    "titre_court",
    "objet",
    "objet_social1",
    "objet_social2",
    "adrs_complement",
    "adrs_numvoie",
    "adrs_repetition",
    "adrs_typevoie",
    "adrs_libvoie",
    "adrs_distrib",
    "adrs_codeinsee",
    "adrs_codepostal",
    "adrs_libcommune",
    "adrg_declarant",
    "adrg_complemid",
    "adrg_complemgeo",
    "adrg_libvoie",
    "adrg_distrib",
    "adrg_codepostal",
    "adrg_achemine",
    "adrg_pays",
    "dir_civilite",
    "siteweb",
    "publiweb",
    "observation",
    "position",
    "maj_time",
)
IMPORT_COLUMNS: tuple[str, ...] = (
    "id",
    "id_ex",
    "siret",
    "gestion",
    "date_creat",
    "date_publi",
    "nature",
    "groupement",
    "titre",
    "objet",
    "objet_social1",
    "objet_social2",
    "adr1",
    "adr2",
    "adr3",
    "adrs_codepostal",
    "libcom",
    "adrs_codeinsee",
    "dir_civilite",
    "siteweb",
    "observation",
    "position",
    "rup_mi",
    "maj_time",
)
_IMPORT_REQUIRED = ("id", "titre", "position", "adr1", "libcom")

_UNDECODED = re.compile("[\udc80-\udcff]")
_RNA_ID = re.compile(r"W[0-9A-Z]{9}|[0-9][0-9A-Z/]{0,13}")
_DATE = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")
_CODE = re.compile(r"[0-9]{6}")
_POSTAL_CODE = re.compile(r"(?!00)[0-9]{5}")
#: Creation dates before this year are taken for typing slips.
_EARLIEST_YEAR = "1800"
_INSEE = re.compile(r"(0[1-9]|[1-8][0-9]|9[0-5]|2[AB])[0-9]{3}|97[1-6][0-9]{2}")
#: The municipal arrondissements of Paris, Marseille and Lyon, so that a filter on
#: the commune also keeps associations registered at an arrondissement's code.
_PLM = {"75056": ("751",), "13055": ("132",), "69123": ("6938",)}


def detect_rna(header: Sequence[str]) -> str | None:
    """``rna-waldec``, ``rna-import`` or None, from a header.

    >>> detect_rna("id;id_ex;siret;rup_mi;gestion;date_creat".split(";") + ["titre", "position"])
    'rna-waldec'
    """
    folded = [fold_header(cell) for cell in header]
    if folded[:5] == list(WALDEC_COLUMNS[:5]) and {"titre", "position"} <= set(folded):
        return "rna-waldec"
    if folded[:1] == ["id"] and set(_IMPORT_REQUIRED) <= set(folded):
        return "rna-import"
    return None


@dataclass(frozen=True)
class Member:
    """One CSV file of an extract: a file on disk, or a member of a zip."""

    path: Path
    inner: str | None = None

    @property
    def name(self) -> str:
        return f"{self.path.name}!{self.inner}" if self.inner else self.path.name

    @contextmanager
    def binary(self) -> Iterator[tuple[IO[bytes], str]]:
        """The member's bytes, and the encoding its first megabyte shows."""
        with ExitStack() as stack:
            if self.inner is None:
                with open(self.path, "rb") as raw:
                    encoding = detect_encoding(raw.read(SAMPLE_SIZE))
                yield stack.enter_context(open(self.path, "rb")), encoding
                return
            archive = stack.enter_context(zipfile.ZipFile(self.path))
            with archive.open(self.inner) as raw:
                encoding = detect_encoding(raw.read(SAMPLE_SIZE))
            yield stack.enter_context(archive.open(self.inner)), encoding

    @contextmanager
    def reading(self) -> Iterator[tuple[IO[str], str]]:
        """The member as text in the encoding its first megabyte shows, and that encoding."""
        with self.binary() as (raw, encoding):
            yield io.TextIOWrapper(raw, encoding=encoding, newline="", errors="surrogateescape"), encoding

    def header(self) -> list[str]:
        with self.reading() as (stream, _):
            line = stream.readline()
        return [cell.strip().lstrip("\ufeff") for cell in next(csv.reader([line], delimiter=";"), [])]


def rna_members(path: Path) -> list[Member]:
    """The CSV files of an RNA extract: the file itself, or the ``.csv`` members of a zip, sorted."""
    if path.suffix.lower() != ".zip":
        return [Member(path)]
    try:
        with zipfile.ZipFile(path) as archive:
            names = sorted(n for n in archive.namelist() if n.lower().endswith(".csv") and not n.endswith("/"))
    except zipfile.BadZipFile as error:
        raise UsageError(f"{path}: not a readable zip archive ({error})") from None
    if not names:
        raise UsageError(f"{path}: the archive holds no .csv file")
    return [Member(path, name) for name in names]


#: Rows read before their commune codes are looked up together.
_LOOKUP_ROWS = 10_000

#: The places an ``adrs_codeinsee`` may name, in the order they are looked for.
_PLACE_PREFIXES = ("com", "arm", "comd", "coma")


class _Places:
    """Which node an ``adrs_codeinsee`` names, asked of the store once per code."""

    def __init__(self, lookup: Lookup | None, known_ids: set[str]):
        self.lookup = lookup
        self.known_ids = known_ids
        self.cache: dict[str, str | None] = {}

    def __call__(self, code: str) -> str | None:
        if code in self.cache:
            return self.cache[code]
        found = None
        for prefix in _PLACE_PREFIXES:
            node_id = f"collectivite:{prefix}-{code}"
            if node_id in self.known_ids or (self.lookup and any(n.id == node_id for n in self.lookup(node_id))):
                found = node_id
                break
        self.cache[code] = found
        return found

    def learn(self, codes: set[str]) -> None:
        """Find the nodes of these codes, those not known yet asked of the store at once
        when the lookup can (``lookup.existing(ids)``), else one by one."""
        new = codes.difference(self.cache)
        existing = getattr(self.lookup, "existing", None)
        if not new or existing is None:
            for code in new:
                self(code)
            return
        # Prefix after prefix, for the codes no node has matched yet: most are communes.
        for prefix in _PLACE_PREFIXES:
            if not new:
                return
            candidates = {f"collectivite:{prefix}-{code}": code for code in new}
            present = (candidates.keys() & self.known_ids) | existing(candidates.keys() - self.known_ids)
            for node_id in present:
                self.cache[candidates[node_id]] = node_id
            new = {code for code in new if code not in self.cache}
        for code in new:
            self.cache[code] = None


def _departement(code: str) -> str:
    return code[:3] if code.startswith("97") else code[:2]


def read_rna(
    path: Path,
    format_: str,
    lookup: Lookup | None,
    contributor: str,
    options: LoadOptions,
    known_ids: set[str],
    source_name: str | None = None,
) -> Load:
    """Open an RNA extract (a CSV file or a monthly zip) as a streaming :class:`Load`.

    The source is named after the register and the filters (``rna-waldec``,
    ``rna-waldec dep=93``), so that next month's extract with the same filters
    replaces this one instead of adding to it.
    """
    members = rna_members(path)
    for member in members:
        found = detect_rna(member.header())
        if found != format_:
            raise UsageError(f"{member.name}: not an {format_} file (its header reads as {found or 'something else'})")
    report = LoadReport(list_set_aside=options.list_set_aside)
    signature = options.signature()
    name = source_name or (f"{format_} {signature}" if signature else format_)
    source = Source(name, format_, contributor)
    digest = DigestInBackground([path], format_, signature, "strict" if options.strict else "skip")
    kind = ParallelRnaRecords if path.stat().st_size >= WORKER_MIN_BYTES else RnaRecords
    records = kind(members, lookup, options, known_ids, report)
    return Load(source, records, report, digest, (str(path),))


#: Extracts this large (bytes on disk) are read in a worker process while the store writes.
WORKER_MIN_BYTES = 8 << 20


class RnaRecords:
    """The records of an RNA extract, read row by row as they are iterated, once.

    Under ``strict`` a file with bad rows raises :class:`LoadError` once read, so
    that a store writing it in one transaction is left unchanged.
    """

    def __init__(
        self,
        members: list[Member],
        lookup: Lookup | None,
        options: LoadOptions,
        known_ids: set[str],
        report: LoadReport,
    ):
        self.members = members
        self.lookup = lookup
        self.options = options
        self.known_ids = known_ids
        self.report = report

    def __iter__(self) -> Iterator[NodeRecord | RelationRecord]:
        return checked(self._records(), self.report, self.options.strict)

    def _records(self) -> Iterator[NodeRecord | RelationRecord]:
        links = _Links(self.lookup, self.known_ids)
        kept = _kept(self.members, self.options, self.report)
        # The communes of a run of rows are asked of the store at once.
        while rows := list(itertools.islice(kept, _LOOKUP_ROWS)):
            links.place_of.learn({row[-1] for row in rows if row[-1]})
            for node_id, title, alias, rna_id, siret, codes, date, website, postal_code, place, code in rows:
                attrs = _attributes(rna_id, siret, codes, date, website, postal_code)
                node = Node(node_id, "Association", title, (alias,) if alias else (), attrs)
                yield NodeRecord(node, place)
                if code:
                    relation = links(node_id, code, place)
                    if relation:
                        yield relation
        links.notice(self.report)


class ParallelRnaRecords(RnaRecords):
    """The records of an extract large enough to be read in a worker process
    (starting one costs a few tenths of a second).

    A store that can take node claims encoded elsewhere calls :meth:`encoded`
    instead of iterating: the file is then read, checked and encoded in a worker
    process while the store writes the previous chunk; only the links to
    communes are made here, since they ask the store. ``progress``, when set, is
    told the number of rows read after each chunk.
    """

    progress: Callable[[int], None] | None = None

    def encoded(self, encoder: Any, chunk_size: int) -> Iterator[Any]:
        """Chunks of claims as ``encoder`` makes them: ``encoder.node_claims(claims)``,
        called in a worker process (the encoder pickles), then, here, for the same
        rows, ``encoder.relations("LOCATED_IN", [(node_id, code, place)], node of each code)``. Same
        contract as iterating: one pass, and :class:`LoadError` at the end under
        ``strict`` when rows were bad."""
        # A fresh interpreter, not a fork (this process may hold threads and an open
        # store) nor multiprocessing's spawn (which imports the caller's main script).
        worker = subprocess.Popen(
            [sys.executable, "-c", "from maillage.loaders.rna import read_in_worker; read_in_worker()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        links = _Links(self.lookup, self.known_ids)
        messages = _Messages(worker.stdout)
        try:
            assert worker.stdin is not None and worker.stdout is not None
            pickle.dump((self.members, self.options, encoder, chunk_size), worker.stdin)
            worker.stdin.close()
            messages.start()
            while True:
                try:
                    message = messages.next()
                except EOFError:
                    raise RuntimeError(
                        f"the process reading {self.members[0].path} stopped (exit code {worker.wait()})"
                    ) from None
                if message[0] == "nodes":
                    self.report.rows_read = message[3]
                    if self.progress:
                        self.progress(message[3])
                    yield message[1]
                    yield encoder.relations("LOCATED_IN", message[2], links.places(message[2]))
                elif message[0] == "end":
                    for name, value in vars(message[1]).items():
                        setattr(self.report, name, value)
                    break
                else:
                    raise message[1]
        finally:
            if worker.poll() is None:
                worker.kill()
            worker.wait()
            messages.stop()
            worker.stdout.close()
        links.notice(self.report)
        if self.options.strict and self.report.problems:
            raise LoadError(self.report.problems)


def read_in_worker() -> None:
    """The worker process of :meth:`ParallelRnaRecords.encoded`: read ``(members,
    options, encoder, chunk_size)`` pickled on stdin, and write on stdout
    ``("nodes", encoder.node_claims(claims), [(node_id, code, place)], rows read)`` per
    chunk, then ``("end", report)``, or ``("error", exception)``."""
    # Ctrl-C reaches the loading process too, which stops the load and this process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Reading makes no reference cycles, and the collector, triggered by every chunk
    # of records alive at once, would take a third of the time walking them.
    gc.disable()
    try:
        _read_and_send(*pickle.load(sys.stdin.buffer), sys.stdout.buffer)
    except (BrokenPipeError, EOFError):
        # The loading process is gone (it stopped the load): nobody to tell.
        os._exit(1)


def _read_and_send(members: list[Member], options: LoadOptions, encoder: Any, chunk_size: int, out: IO[bytes]) -> None:
    encode = encoder.node_claims
    report = LoadReport(list_set_aside=options.list_set_aside)
    try:
        claims: dict[str, tuple] = {}
        places: list[tuple[str, str, str]] = []
        for node_id, title, alias, rna_id, siret, codes, date, website, postal_code, place, code in _kept(
            members, options, report
        ):
            # A later row for the same id replaces the earlier one, as in the store.
            claims.pop(node_id, None)
            attrs = _attributes_json(rna_id, siret, codes, date, website, postal_code)
            claims[node_id] = (node_id, "Association", title, (alias,) if alias else (), attrs, place)
            if code:
                places.append((node_id, code, place))
            if len(claims) >= chunk_size:
                _send(out, ("nodes", _by_name_key(encode(claims.values())), places, report.rows_read))
                claims, places = {}, []
        if claims or places:
            _send(out, ("nodes", _by_name_key(encode(claims.values())), places, report.rows_read))
        _send(out, ("end", report))
    except BrokenPipeError:
        raise
    except Exception as error:
        try:
            pickle.loads(pickle.dumps(error))
        except Exception:
            error = RuntimeError(f"{type(error).__name__}: {error}")
        _send(out, ("error", error))


def _by_name_key(chunk: tuple) -> tuple:
    """A chunk of node claims, its names in the order of their keys (the order the store
    writes them in, keeping their order for one key): sorted here, a chunk is sorted while
    the loading process writes the one before."""
    chunk[2].sort(key=itemgetter(0))
    return chunk


def _send(out: IO[bytes], message: tuple) -> None:
    """Write a message to the other process: plain data (chunks of claims) with
    marshal, three times quicker than pickle, anything else with pickle."""
    try:
        # Format 2 writes a string met twice twice; the later formats' references to it
        # cost the worker more than that (a tenth of its time).
        kind, payload = b"M", marshal.dumps(message, 2)
    except ValueError:
        kind, payload = b"P", pickle.dumps(message)
    out.write(kind + len(payload).to_bytes(8, "little"))
    out.write(payload)
    out.flush()


class _Messages:
    """The messages :func:`_send` writes, read from the worker's pipe by a thread as they
    come, a few chunks ahead, so that the worker never waits for this process to be ready
    to read (it waited 0.6 s of a 1,000,000-row extract); decoded when taken."""

    AHEAD = 4

    def __init__(self, stream: IO[bytes] | None):
        self.stream = stream
        self.queue: queue.Queue[tuple[bytes, bytes] | None] = queue.Queue(self.AHEAD)
        self.thread = threading.Thread(target=self._read, name="maillage-rna-reader", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _read(self) -> None:
        assert self.stream is not None
        try:
            while True:
                head = self.stream.read(9)
                size = int.from_bytes(head[1:], "little") if len(head) == 9 else -1
                payload = self.stream.read(size) if size >= 0 else b""
                if size < 0 or len(payload) < size:
                    return
                self.queue.put((head[:1], payload))
        finally:
            # However the reading ends, the taker learns it has: nothing more will come.
            self.queue.put(None)

    def next(self) -> tuple:
        """The next message; EOFError if the worker stopped before writing it."""
        taken = self.queue.get()
        if taken is None:
            raise EOFError
        kind, payload = taken
        return marshal.loads(payload) if kind == b"M" else pickle.loads(payload)

    def stop(self) -> None:
        """Once the worker is gone: let the thread put what it still holds, and end."""
        while self.thread.is_alive():
            with suppress(queue.Empty):
                self.queue.get(timeout=0.05)
        self.thread.join()


class _Links:
    """The ``LOCATED_IN`` relation of a kept row, and a count of the codes no node matched."""

    def __init__(self, lookup: Lookup | None, known_ids: set[str]):
        self.place_of = _Places(lookup, known_ids)
        self.unplaced: dict[str, int] = {}
        # The codes :meth:`places` found no node for.
        self._nowhere: set[str] = set()

    def __call__(self, node_id: str, code: str, place: str) -> RelationRecord | None:
        where = self.place_of(code)
        if where:
            return RelationRecord(Relation(node_id, "LOCATED_IN", where), place)
        self.unplaced[code] = self.unplaced.get(code, 0) + 1
        return None

    def places(self, rows: list[tuple[str, str, str]]) -> dict[str, str | None]:
        """The node each code of ``(node_id, code, place)`` rows names (None for none),
        counting the rows whose code names none."""
        known = self.place_of.cache
        codes = set(map(itemgetter(1), rows))
        new = codes.difference(known)
        if new:
            self.place_of.learn(new)
            self._nowhere.update(code for code in new if known[code] is None)
        if not self._nowhere.isdisjoint(codes):
            for _, code, _ in rows:
                if known[code] is None:
                    self.unplaced[code] = self.unplaced.get(code, 0) + 1
        return known

    def notice(self, report: LoadReport) -> None:
        unplaced = self.unplaced
        if unplaced:
            listed = ", ".join(sorted(unplaced)[:10]) + (" ..." if len(unplaced) > 10 else "")
            report.notice(
                f"{sum(unplaced.values())} association(s) not linked to their commune: {len(unplaced)} commune code(s) "
                f"not in the store ({listed}); load the INSEE COG communes first"
            )


#: Bytes read and decoded at a time.
_BLOCK = 1 << 20


class _Lines:
    """The lines of a member's text, line ends kept, as a text stream opened with
    ``newline=""`` gives them. Bytes that do not decode are kept as surrogates
    (``surrogateescape``); ``undecoded`` turns true once a block read so far held
    some, and stays true: until then no row needs a check of its own."""

    def __init__(self, raw: IO[bytes], encoding: str):
        self.raw = raw
        self.decoder = codecs.getincrementaldecoder(encoding)()
        self.undecoded = False

    def __iter__(self) -> Iterator[str]:
        # The lines are handed out by C code; Python runs once per block.
        return itertools.chain.from_iterable(self._blocks())

    def _blocks(self) -> Iterator[IO[str]]:
        decoder, rest = self.decoder, ""
        while True:
            data = self.raw.read(_BLOCK)
            final = not data
            # Decoding strictly costs nothing more, and tells when a block needs rows checked.
            state = decoder.getstate()
            try:
                text = rest + decoder.decode(data, final)
            except UnicodeDecodeError:
                decoder.setstate(state)
                decoder.errors = "surrogateescape"
                self.undecoded = True
                text = rest + decoder.decode(data, final)
            if final:
                yield io.StringIO(text, newline="")
                return
            # Up to the last line end whose next character is known ("\r\n" is one end).
            end = max(text.rfind("\n"), text.rfind("\r", 0, len(text) - 1)) + 1
            rest = text[end:]
            yield io.StringIO(text[:end], newline="")


#: The longest line read without the csv module: no cell of it can pass ``csv.field_size_limit()``.
_FIELD_LIMIT = csv.field_size_limit()

#: Distinct cell values remembered, beyond which the memory is emptied (an extract is
#: read in constant memory whatever its size).
_CACHE_LIMIT = 100_000


class _Memo(dict):
    """What ``make`` gives for each key, made once while at most ``_CACHE_LIMIT`` are
    kept; a key already met is found at the speed of a plain dictionary."""

    def __init__(self, make: Callable[[Any], Any]):
        super().__init__()
        self.make = make

    def __missing__(self, key: Any) -> Any:
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        value = self[key] = self.make(key)
        return value


def _kept(members: list[Member], options: LoadOptions, report: LoadReport) -> Iterator[tuple]:
    """Stream the kept rows as ``(node_id, titre, alias, rna_id, siret, object codes, date,
    web site, postal code, place, adrs_codeinsee)``, what :class:`RnaRecords` and the worker
    make their association and link of; the alias is ``titre_court`` when it differs from
    ``titre``; a value absent or set aside is "". An id met twice keeps its last row (the
    store's rule)."""
    departements = set(options.departements)
    communes = set(options.communes)
    commune_prefixes = tuple(p for c in communes for p in _PLM.get(c, ()))
    object_codes = tuple(options.object_codes)
    keywords = [normalise(k) for k in options.keywords]
    inactive = options.include_inactive
    today = datetime.date.today().isoformat()

    def place_code(cell: str) -> tuple[str, bool, str | None]:
        """An ``adrs_codeinsee`` cell as the code, whether the filters keep it, and what is wrong with it."""
        code = cell.strip().upper()
        kept = not (departements and _departement(code) not in departements) and not (
            communes and code not in communes and not (commune_prefixes and code.startswith(commune_prefixes))
        )
        problem = None if not code or _INSEE.fullmatch(code) else "not an INSEE commune code"
        return code, kept, problem

    def social_objects(cells: tuple[str, str]) -> tuple[tuple[str, ...], bool, tuple[tuple[str, str, str], ...]]:
        """``objet_social1`` and ``2`` as the well-formed codes given, whether the filter keeps
        them, and the others as (column, value, reason)."""
        given = [
            (f"objet_social{n}", c)
            for n, c in enumerate((cells[0].strip(), cells[1].strip()), start=1)
            if c and c != "000000"
        ]
        codes = tuple(c for _, c in given if _CODE.fullmatch(c))
        kept = not object_codes or any(c.startswith(object_codes) for c in codes)
        problems = tuple(
            (column, c, "not a social-object code (6 digits)") for column, c in given if not _CODE.fullmatch(c)
        )
        return codes, kept, problems

    def creation_date(cell: str) -> tuple[str, str | None]:
        """A ``date_creat`` cell as the date kept ("" for none) and why it was set aside."""
        date = cell.strip()
        if not date:
            return "", None
        if date == "0001-01-01":
            return "", "0001-01-01 stands for no date"
        if not _DATE.fullmatch(date):
            return "", "not a date (YYYY-MM-DD)"
        try:
            datetime.date.fromisoformat(date)
        except ValueError:
            return "", "not a day of the calendar"
        if date < _EARLIEST_YEAR:
            return "", f"before {_EARLIEST_YEAR}"
        if date > today:
            return "", "in the future"
        return date, None

    def postal_code(cell: str) -> tuple[str, str | None]:
        """An ``adrs_codepostal`` cell as the code kept ("" for none) and why it was set aside."""
        code = cell.strip()
        if not code or _POSTAL_CODE.fullmatch(code):
            return code, None
        return "", "not a postal code (5 digits)"

    # Codes and dates repeat from row to row: each distinct cell is read and checked once.
    places = _Memo(place_code)
    objects = _Memo(social_objects)
    dates = _Memo(creation_date)
    postal_codes = _Memo(postal_code)
    set_aside = report.set_aside_field
    for member in members:
        with member.binary() as (raw, encoding):
            decoded = _Lines(raw, encoding)
            lines = iter(decoded)
            reader = csv.reader(lines, delimiter=";")
            try:
                header = [fold_header(cell) for cell in next(reader)]
            except StopIteration:
                continue
            width = len(header)
            file_name = member.name
            # A column the format lacks reads as the empty cell appended at the end of each row.
            col = {
                column: header.index(column) if column in header else width
                for column in WALDEC_COLUMNS + IMPORT_COLUMNS
            }
            i_id, i_position, i_code = col["id"], col["position"], col["adrs_codeinsee"]
            i_title, i_short, i_object = col["titre"], col["titre_court"], col["objet"]
            i_o1, i_o2, i_siret, i_created, i_web, i_postal = (
                col["objet_social1"],
                col["objet_social2"],
                col["siret"],
                col["date_creat"],
                col["siteweb"],
                col["adrs_codepostal"],
            )
            line, consumed = 1, reader.line_num
            try:
                for text in lines:
                    if '"' in text or len(text) > _FIELD_LIMIT:
                        # Quoted cells (which may hold line ends) are read by the csv module.
                        record = csv.reader(itertools.chain((text,), lines), delimiter=";")
                        cells = next(record)
                        consumed += record.line_num
                    else:
                        # Without quotes a line's cells are what lies between the ";" (as
                        # csv.reader reads it, in a third less time): the lines end at the first
                        # line end, and csv.reader's limit on a cell's size cannot be reached.
                        cells = text.rstrip("\r\n").split(";")
                        consumed += 1
                    start, line = line + 1, consumed
                    if len(cells) != width:
                        if not cells or (len(cells) == 1 and not cells[0].strip()):
                            continue
                        report.rows_read += 1
                        message = f"{len(cells)} cells where the header has {width} columns"
                        report.reject(Problem(file_name, start, None, message), dict(zip(header, cells)))
                        continue
                    report.rows_read += 1
                    # Undecodable bytes are kept as surrogates so that the row, not a buffer ahead, is blamed.
                    if decoded.undecoded and _UNDECODED.search("".join(cells)):
                        column = next(h for h, cell in zip(header, cells) if _UNDECODED.search(cell))
                        message = f"cannot be decoded as {encoding}: the file mixes encodings; save it in one"
                        report.reject(Problem(file_name, start, column, message), dict(zip(header, cells)))
                        continue
                    cells.append("")
                    position = cells[i_position]
                    if not inactive and position != "A" and position.strip().upper() != "A":
                        report.rows_filtered += 1
                        continue
                    code, kept, code_problem = places[cells[i_code]]
                    if not kept:
                        report.rows_filtered += 1
                        continue
                    codes, kept, codes_problems = objects[cells[i_o1], cells[i_o2]]
                    if not kept:
                        report.rows_filtered += 1
                        continue
                    title = cells[i_title].strip()
                    short = cells[i_short].strip()
                    if keywords:
                        text = normalise(f"{title} {short} {cells[i_object]}")
                        if not any(k in text for k in keywords):
                            report.rows_filtered += 1
                            continue
                    rna_id = cells[i_id].strip().upper()
                    website = cells[i_web].strip()
                    problem = _row_problem(rna_id, title)
                    if problem:
                        column, message = problem
                        report.reject(Problem(file_name, start, column, message), dict(zip(header, cells)))
                        continue
                    # Control characters are unprintable, and every mis-decoding suspicious_text knows
                    # shows an "Ã", "Â" or "â": printable text without them cannot be damaged.
                    texts = title + short + website
                    if not (texts.isprintable() and "Ã" not in texts and "Â" not in texts and "â" not in texts):
                        reason = suspicious_text(title)
                        if reason:
                            report.reject(Problem(file_name, start, "titre", reason), dict(zip(header, cells)))
                            continue
                        if short and (reason := suspicious_text(short)):
                            set_aside(file_name, start, "titre_court", short, reason)
                            short = ""
                        if website and (reason := suspicious_text(website)):
                            set_aside(file_name, start, "siteweb", website, reason)
                            website = ""
                    if code_problem:
                        set_aside(file_name, start, "adrs_codeinsee", code, code_problem)
                        code = ""
                    for column, value, reason in codes_problems:
                        set_aside(file_name, start, column, value, reason)
                    created, reason = dates[cells[i_created]]
                    if reason:
                        set_aside(file_name, start, "date_creat", cells[i_created].strip(), reason)
                    postal, reason = postal_codes[cells[i_postal]]
                    if reason:
                        set_aside(file_name, start, "adrs_codepostal", cells[i_postal].strip(), reason)
                    siret = cells[i_siret].strip()
                    if siret:
                        try:
                            validate_siret(siret)
                        except ModelError as error:
                            set_aside(file_name, start, "siret", siret, reason_without_value(error))
                            siret = ""
                    report.rows_kept += 1
                    yield (
                        "association:rna-" + rna_id,
                        title,
                        short if short != title else "",
                        rna_id,
                        siret,
                        codes,
                        created,
                        website,
                        postal,
                        f"{file_name}:{start}",
                        code,
                    )
            except UnicodeDecodeError as error:
                report.reject(Problem(member.name, line + 1, None, f"cannot be decoded as {encoding}: {error.reason}"))
            except csv.Error as error:
                report.reject(Problem(member.name, line + 1, None, f"unreadable CSV: {error}"))


def _row_problem(rna_id: str, title: str) -> tuple[str, str] | None:
    """Why a kept row cannot give an association, as (column, reason), or None."""
    if not rna_id:
        return "id", "id is empty"
    if not _RNA_ID.fullmatch(rna_id):
        return "id", f"{rna_id!r} is not an RNA id (W + 9 characters, or a prefecture number)"
    if not title:
        return "titre", "titre is empty"
    return None


def _attributes(
    rna_id: str, siret: str, codes: Sequence[str], date: str, website: str, postal_code: str = ""
) -> dict[str, object]:
    """An association's attributes: its RNA id, and its SIRET, social-object codes, date of
    creation, web site and postal code when it has them."""
    attrs: dict[str, object] = {"rna_id": rna_id}
    if siret:
        attrs["siret"] = siret
    if codes:
        attrs["object_codes"] = list(codes)
    if date:
        attrs["date"] = date
    if website:
        attrs["website"] = website
    if postal_code:
        attrs["postal_code"] = postal_code
    return attrs


def _attributes_json(
    rna_id: str, siret: str, codes: Sequence[str], date: str, website: str, postal_code: str = ""
) -> str:
    """:func:`_attributes` as the store keeps them (JSON, keys in order), three times
    quicker than a JSON encoder makes it: the id, SIRET, codes, date and postal code are
    checked to be digits, capital letters, "/" and "-", which JSON keeps as they are."""
    text = '{"date":"' + date + '",' if date else "{"
    if codes:
        text += '"object_codes":["' + '","'.join(codes) + '"],'
    if postal_code:
        text += '"postal_code":"' + postal_code + '",'
    text += '"rna_id":"' + rna_id + '"'
    if siret:
        text += ',"siret":"' + siret + '"'
    if website:
        text += ',"website":' + encode_basestring(website)
    return text + "}"
