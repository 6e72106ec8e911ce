"""Reading documents into clean lines and paragraphs: .txt, .md, .html, .pdf, .docx.

Every format becomes the same thing, a :class:`DocumentText`: numbered lines of
clean text (the lines a reader would cite) grouped into paragraphs, so that
sentences broken across lines (a PDF's wrapped lines, a text file's hard
wrapping) are read whole.

Cleaning undoes what real files carry: Word field codes (``HYPERLINK "..."``)
and the U+FFFD left where a converter lost a character, soft hyphens, words
hyphenated at the end of a line, ``\\r\\n`` line ends, control characters.

A file that cannot give text (empty, a scan without a text layer, encrypted,
too large, binary) raises :class:`DocumentError` with one line saying why.

Libraries, each chosen for a reason: ``pypdfium2`` (Apache-2.0/BSD) reads PDF
text and character positions with PDFium, fast enough for hundreds of pages a
second; ``python-docx`` (MIT) reads Word paragraphs and tables; ``selectolax``
(MIT) parses HTML with the Lexbor engine, small and fast, where trafilatura
would bring a dozen dependencies for boilerplate removal we do not need.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ...graph.errors import MaillageError

__all__ = [
    "DOCUMENT_SUFFIXES",
    "MAX_BYTES",
    "MAX_CHARACTERS",
    "DocumentError",
    "DocumentText",
    "Paragraph",
    "clean_line",
    "paragraphs_of",
    "read_document",
]

DOCUMENT_SUFFIXES: tuple[str, ...] = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")
#: files larger than this are refused before they are read
MAX_BYTES = 100 * 1024 * 1024
#: texts longer than this (about 3,000 pages) are refused once read
MAX_CHARACTERS = 10_000_000


class DocumentError(MaillageError):
    """A document that gives no text to read; the message is one line naming the file."""


@dataclass(frozen=True)
class Paragraph:
    """Lines read as one flow of text.

    ``text`` is the lines joined (a space between them, nothing where a word was
    hyphenated across lines); ``starts`` gives, for each line, the offset in
    ``text`` where it begins, its number in the document, and the offset in the
    line that offset corresponds to.
    """

    text: str
    starts: tuple[tuple[int, int, int], ...]

    def place(self, offset: int) -> tuple[int, int]:
        """The (line number, offset in that line) of an offset in :attr:`text`."""
        line, column = self.starts[0][1], offset
        for begin, number, skipped in self.starts:
            if begin > offset:
                break
            line, column = number, offset - begin + skipped
        return line, column


@dataclass
class DocumentText:
    """The clean text of one document, as numbered lines and paragraphs."""

    path: Path
    format: str
    lines: list[str]
    title: str = ""
    pages: int = 0
    #: line numbers (1-based) where a new paragraph starts regardless of punctuation
    breaks: set[int] = field(default_factory=set)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def words(self) -> int:
        return sum(len(line.split()) for line in self.lines)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


# --------------------------------------------------------------------------- cleaning

_FIELD_CODE = re.compile(
    r'\s*\b(?:HYPERLINK|PAGEREF|INCLUDEPICTURE|NOTEREF)\b(?:\s+\\[a-z])*\s+(?:"[^"]*"|\S+)(?:\s+\\[a-z*](?:\s+(?:"[^"]*"|[A-Za-z]+))?)*'
)
_MERGEFORMAT = re.compile(r"\s*\\\*\s*MERGEFORMAT\b")
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff\ufffd]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[ \t\u00a0\u202f\u2007\u2009]+")


def clean_line(line: str) -> str:
    """One line without field codes, lost characters, invisible marks and control characters.

    >>> clean_line('\\ufffd Voir le site \\ufffd HYPERLINK "http://www.crid.asso.fr" \\ufffd\\ufffdhttp://www.crid.asso.fr\\ufffd.')
    'Voir le site http://www.crid.asso.fr.'
    >>> clean_line("d\\u00e9velop\\u00adpement\\u00a0durable\\r")
    'développement durable'
    """
    line = _FIELD_CODE.sub(" ", line)
    line = _MERGEFORMAT.sub("", line)
    line = _INVISIBLE.sub("", line)
    line = _CONTROL.sub("", line)
    return _SPACES.sub(" ", line).strip()


# --------------------------------------------------------------------------- paragraphs

_BULLET = re.compile(r"^(?:[-*•·◦▪–—]\s|\d{1,3}[.)]\s|#)")
_CONNECTORS = frozenset(
    {"sous", "sur", "en", "de", "du", "des", "la", "le", "les", "lès", "lez", "et", "aux", "saint", "sainte", "l"}
)
_HYPHENATED = re.compile(r"(\w+)-$")
#: a text without blank lines is cut into paragraphs of about this many characters, at a sentence's end
_LONGEST_PARAGRAPH = 20_000
_LONGEST_LINE = 100_000


def paragraphs_of(document: DocumentText) -> list[Paragraph]:
    """Group a document's lines into paragraphs.

    A blank line, a bullet, a heading or a line ending with ``:`` ends a
    paragraph; so does a break the reader found (a vertical gap in a PDF). A word
    hyphenated at the end of a line is joined again (``dévelop-`` + ``pement``),
    unless its second part is one of the connectors of compound place names
    (``Rosny-sous-`` + ``Bois``... keeps its hyphen).
    """
    paragraphs: list[Paragraph] = []
    text = ""
    starts: list[tuple[int, int, int]] = []

    def close() -> None:
        nonlocal text, starts
        if text:
            paragraphs.append(Paragraph(text, tuple(starts)))
        text, starts = "", []

    for number, raw in enumerate(document.lines, start=1):
        line = raw.strip()
        skipped = len(raw) - len(raw.lstrip())
        if not line:
            close()
            continue
        if len(line) > _LONGEST_LINE:
            close()
            cursor = 0
            while cursor < len(line):
                # a line without end (a text with no line breaks) is read in pieces cut at a space
                end = (
                    len(line)
                    if len(line) - cursor <= _LONGEST_LINE
                    else line.rfind(" ", cursor, cursor + _LONGEST_LINE) + 1
                )
                end = end if end > cursor else cursor + _LONGEST_LINE
                if line[cursor:end].strip():
                    paragraphs.append(Paragraph(line[cursor:end].rstrip(), ((0, number, skipped + cursor),)))
                cursor = end
            continue
        if text and (
            number in document.breaks
            or _BULLET.match(line)
            or text.endswith(":")
            or (len(text) > _LONGEST_PARAGRAPH and text.endswith((".", "!", "?")))
        ):
            close()
        if not text:
            starts.append((0, number, skipped))
            text = line
            continue
        hyphenated = _HYPHENATED.search(text)
        first_word = re.match(r"[^\W\d_]+", line)
        if hyphenated and first_word:
            if line[0].islower() and first_word.group().lower() not in _CONNECTORS:
                text = text[:-1]
        else:
            text += " "
        starts.append((len(text), number, skipped))
        text += line
    close()
    return paragraphs


# --------------------------------------------------------------------------- formats


def read_document(path: Path, max_bytes: int = MAX_BYTES, max_characters: int = MAX_CHARACTERS) -> DocumentText:
    """Read a document into clean lines, or raise :class:`DocumentError` saying why it gives no text."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in DOCUMENT_SUFFIXES:
        raise DocumentError(f"{path}: not a document this reads ({', '.join(DOCUMENT_SUFFIXES)})")
    size = path.stat().st_size
    if size == 0:
        raise DocumentError(f"{path}: empty file")
    if size > max_bytes:
        raise DocumentError(
            f"{path}: too large ({size / 2**20:.0f} MiB; documents up to {max_bytes / 2**20:.0f} MiB are read)"
        )
    if suffix == ".pdf":
        document = _read_pdf(path)
    elif suffix == ".docx":
        document = _read_docx(path)
    elif suffix in (".html", ".htm"):
        document = _read_html(path)
    else:
        document = _read_plain(path, "markdown" if suffix == ".md" else "text")
    characters = sum(len(line) for line in document.lines)
    if characters > max_characters:
        raise DocumentError(f"{path}: too long ({characters:,} characters of text; up to {max_characters:,} are read)")
    if not any(re.search(r"[^\W\d_]{2}", line) for line in document.lines):
        if document.format == "pdf":
            raise DocumentError(
                f"{path}: no text layer in this PDF ({document.pages} page{'s' if document.pages != 1 else ''}; a scan?): run OCR on it first"
            )
        raise DocumentError(f"{path}: no text in this document")
    return document


def _decode(path: Path, data: bytes) -> str:
    sample = data[:65536]
    if b"\x00" in sample and not sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DocumentError(f"{path}: binary content (byte {sample.index(0)} is NUL), not text")
    for encoding in (
        ("utf-8-sig", "utf-16") if sample.startswith((b"\xff\xfe", b"\xfe\xff")) else ("utf-8-sig", "cp1252")
    ):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise DocumentError(f"{path}: binary content (neither UTF-8 nor cp1252 text)")
    controls = len(_CONTROL.findall(text[:65536]))
    if controls > max(8, len(text[:65536]) // 50):
        raise DocumentError(
            f"{path}: binary content ({controls} control characters in its first {min(len(text), 65536):,}), not text"
        )
    return text


def _split_lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)\s]*)[^)]*\)")
_MARKDOWN_EMPHASIS = re.compile(r"(\*\*|__|(?<!\w)[*_](?=\w)|(?<=\w)[*_](?!\w))")


def _read_plain(path: Path, format: str) -> DocumentText:
    text = _decode(path, path.read_bytes())
    lines = []
    for line in _split_lines(text):
        if format == "markdown":
            line = _MARKDOWN_LINK.sub(lambda m: f"{m.group(1)} {m.group(2)}", line)
            line = _MARKDOWN_EMPHASIS.sub("", line)
            line = re.sub(r"^\s{0,3}(#{1,6}|>)\s*", "", line)
        lines.append(clean_line(line))
    return DocumentText(path, format, lines)


_BLOCKS = (
    "p, h1, h2, h3, h4, h5, h6, li, dt, dd, td, th, caption, figcaption, blockquote, pre, "
    "div, section, article, header, footer, aside, main, nav, table, tr, ul, ol, dl, form, address"
)


def _read_html(path: Path) -> DocumentText:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(_decode(path, path.read_bytes()))
    title_node = tree.css_first("title")
    title = clean_line(title_node.text()) if title_node else ""
    for node in tree.css("script, style, noscript, template, head, svg, iframe"):
        node.decompose()
    for node in tree.css("br"):
        node.insert_after("\n")
    for node in tree.css(_BLOCKS):
        node.insert_before("\n\n")
        node.insert_after("\n\n")
    root = tree.body or tree.root
    text = root.text(deep=True) if root is not None else ""
    return DocumentText(path, "html", [clean_line(line) for line in _split_lines(text)], title=title)


def _read_docx(path: Path) -> DocumentText:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as error:
        raise DocumentError(f"{path}: not a readable DOCX file ({error})") from None
    lines: list[str] = []
    body = document.element.body
    from docx.table import Table
    from docx.text.paragraph import Paragraph as DocxParagraph

    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.extend([*(clean_line(line) for line in _split_lines(DocxParagraph(child, document).text)), ""])
        elif tag == "tbl":
            seen = set()
            for row in Table(child, document).rows:
                for cell in row.cells:
                    if cell._tc in seen:
                        continue  # a merged cell comes once for each grid cell it spans
                    seen.add(cell._tc)
                    lines.extend([*(clean_line(line) for line in _split_lines(cell.text)), ""])
    title = clean_line(document.core_properties.title or "")
    return DocumentText(path, "docx", lines, title=title)


def _read_pdf(path: Path) -> DocumentText:
    import pypdfium2

    try:
        pdf = pypdfium2.PdfDocument(str(path))
    except pypdfium2.PdfiumError as error:
        reason = str(error)
        if "password" in reason.lower():
            raise DocumentError(f"{path}: encrypted PDF (it needs a password); save an unprotected copy") from None
        raise DocumentError(f"{path}: not a readable PDF ({reason})") from None
    try:
        lines: list[str] = []
        breaks: set[int] = set()
        pages = len(pdf)
        title = clean_line(str(pdf.get_metadata_dict().get("Title", "") or ""))
        for index in range(pages):
            page = pdf[index]
            textpage = page.get_textpage()
            try:
                page_lines, page_breaks = _pdf_page_lines(textpage)
            finally:
                textpage.close()
                page.close()
            offset = len(lines)
            lines.extend(page_lines)
            breaks.update(offset + number for number in page_breaks)
    finally:
        pdf.close()
    return DocumentText(path, "pdf", lines, title=title, pages=pages, breaks=breaks)


def _pdf_page_lines(textpage) -> tuple[list[str], set[int]]:
    """A page's lines, and the (1-based, within the page) lines that start a paragraph: those
    in another font size than the line above, or further below it than that size's usual leading."""
    import pypdfium2.raw as pdfium

    text = textpage.get_text_range()
    raw_lines = text.split("\r\n") if "\r\n" in text else _split_lines(text)
    placed: list[tuple[float, float] | None] = []
    index = 0
    for raw in raw_lines:
        position = index + (len(raw) - len(raw.lstrip()))
        place = None
        if raw.strip():
            size = pdfium.FPDFText_GetFontSize(textpage.raw, position)
            box = textpage.get_charbox(position)
            if size > 0 and box:
                place = (box[1], size)
        placed.append(place)
        index += len(raw) + 2
    breaks = set()
    for number in range(1, len(raw_lines)):
        above, below = placed[number - 1], placed[number]
        if above is None or below is None:
            continue
        step, sizes = above[0] - below[0], (above[1], below[1])
        if abs(sizes[0] - sizes[1]) > 0.1 * max(sizes) or step < 0 or step > 1.3 * 1.25 * max(sizes):
            breaks.add(number + 1)
    return [clean_line(line) for line in raw_lines], breaks
