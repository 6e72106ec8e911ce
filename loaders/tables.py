"""Reading tables the way French public files and hand-made spreadsheets really are.

CSV files come in UTF-8 with or without a byte-order mark, or in cp1252 /
ISO-8859-1; separated by ``;``, ``,`` or tabs; with blank lines and stray
spaces. Every cell is read as text, so ``01001`` and ``2A004`` keep their
leading zeros. ``.xlsx`` sheets are read with openpyxl, numbers turned back
into text.
"""

from __future__ import annotations

import codecs
import csv
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..graph.errors import UsageError

__all__ = [
    "Row",
    "Table",
    "detect_delimiter",
    "detect_encoding",
    "fold_header",
    "open_text",
    "read_csv",
    "read_xlsx_sheets",
    "suspicious_text",
]

SAMPLE_SIZE = 1 << 20


@dataclass
class Row:
    """One data row: its 1-based line in the file and its cells by column name.

    ``extra`` counts non-empty cells beyond the header; ``error`` says why the
    row could not be read at all (then ``cells`` is empty), in ``error_column``
    when one column is to blame.
    """

    line: int
    cells: dict[str, str]
    extra: int = 0
    error: str | None = None
    error_column: str | None = None


@dataclass
class Table:
    """A table read from a file: where it comes from, its header, its rows.

    ``name`` is what problems and provenance cite (``actors.csv``,
    ``reseau.xlsx[actors]``). ``rows`` is an iterator: large files are streamed.
    """

    name: str
    header: list[str]
    rows: Iterator[Row]
    encoding: str = "utf-8"
    delimiter: str = ","


def detect_encoding(sample: bytes) -> str:
    """The text encoding of a file from its first bytes.

    >>> detect_encoding("Île-de-France".encode("utf-8"))
    'utf-8'
    >>> detect_encoding(codecs.BOM_UTF8 + b"REG;LIBELLE")
    'utf-8-sig'
    >>> detect_encoding("Île-de-France".encode("cp1252"))
    'cp1252'
    >>> detect_encoding("Île-de-France, Sénégal, Évry, ".encode("utf-8") + bytes([0xE9]) + b"vry")
    'utf-8'
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as error:
        # A sample cut in the middle of a multi-byte character is still UTF-8.
        if error.start >= len(sample) - 3 and error.reason == "unexpected end of data":
            return "utf-8"
    # Mostly UTF-8 with a few stray bytes: read as UTF-8 so that the stray bytes are
    # blamed on their own lines, rather than every accent of the file turned to "Ã©".
    text = sample.decode("utf-8", errors="replace")
    stray = text.count("\ufffd")
    if sum(1 for ch in text if ch > "\x7f") - stray > stray:
        return "utf-8"
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def detect_delimiter(header_line: str) -> str:
    """The separator of a CSV file, from its header line: ``;``, tab or ``,``.

    >>> detect_delimiter("TYPECOM;COM;REG")
    ';'
    >>> detect_delimiter('id,kind,name')
    ','
    """
    outside_quotes = re.sub(r'"[^"]*"', "", header_line)
    counts = {sep: outside_quotes.count(sep) for sep in (";", "\t", ",", "|")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


_MOJIBAKE = re.compile("Ã[\u0080-\u00bf]|Ã[©¨ª«®´¢§¹»¼]|â€|Â[\u00a0-\u00bf]")
# upper-case accents: the second UTF-8 byte read as cp1252 (É gives Ã‰, È gives Ãˆ)
_UPPER_MOJIBAKE = re.compile(
    "Ã[\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)
_CONTROL = re.compile("[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]")


def suspicious_text(value: str) -> str | None:
    """Why a cell's text looks damaged (mis-decoded accents, control characters), or None.

    >>> suspicious_text("Cit\\u00c3\\u00a9s Unies France")
    'looks mis-encoded (UTF-8 read as cp1252, e.g. "Ã©" for "é"); save the file as UTF-8 or cp1252 once'
    >>> suspicious_text("AMICALE DE PÃ‰TANQUE")
    'looks mis-encoded (UTF-8 read as cp1252, e.g. "Ã‰" for "É"); save the file as UTF-8 or cp1252 once'
    >>> suspicious_text("Cités Unies France"), suspicious_text("ÉCOLE DE LA PAIX, ÇA ET LÀ")
    (None, None)
    """
    if _MOJIBAKE.search(value):
        return 'looks mis-encoded (UTF-8 read as cp1252, e.g. "Ã©" for "é"); save the file as UTF-8 or cp1252 once'
    if _UPPER_MOJIBAKE.search(value):
        return 'looks mis-encoded (UTF-8 read as cp1252, e.g. "Ã‰" for "É"); save the file as UTF-8 or cp1252 once'
    if _CONTROL.search(value):
        return "contains control characters"
    return None


def fold_header(name: str) -> str:
    """A header name folded for matching: trimmed, lower case, accents and spacing folded.

    >>> fold_header(" N° SIREN ")
    'n° siren'
    >>> fold_header("Libellé")
    'libelle'
    """
    text = unicodedata.normalize("NFKD", name.strip().lstrip("\ufeff"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", text.casefold())


def open_text(path: Path) -> tuple[IO[str], str]:
    """Open a text file in the encoding its first megabyte shows; return the stream and encoding."""
    with open(path, "rb") as raw:
        sample = raw.read(SAMPLE_SIZE)
    encoding = detect_encoding(sample)
    return open(path, encoding=encoding, newline="", errors="replace"), encoding


def read_csv(path: Path, name: str | None = None, delimiter: str | None = None) -> Table:
    """Open a CSV file as a :class:`Table` whose rows stream from disk.

    Blank lines are skipped; cells are stripped; header names are kept as written
    (use :func:`fold_header` to match them). Line numbers count the header as 1.
    The file is opened again when the rows are read, so a table whose rows are
    never read holds no open file. Bytes that do not decode in the file's
    encoding make their row a :class:`Row` with an ``error`` naming the column.
    """
    stream, encoding = open_text(path)
    with stream:
        first = stream.readline()
        header_line = 1
        while first and not first.strip():
            first = stream.readline()
            header_line += 1
    delimiter = delimiter or detect_delimiter(first)
    header = [cell.strip().lstrip("\ufeff") for cell in next(csv.reader([first], delimiter=delimiter), [])]

    def rows() -> Iterator[Row]:
        undecodable: dict[int, bytes] = {}
        physical = header_line

        quotes = 0  # quote characters in the lines read since the last record

        def lines(raw: IO[bytes]) -> Iterator[str]:
            nonlocal physical, quotes
            for data in raw:
                physical += 1
                try:
                    text = data.decode(encoding)
                except UnicodeDecodeError as error:
                    undecodable[physical] = data[error.start : error.end]
                    text = data.decode(encoding, errors="replace")
                quotes += text.count('"')
                yield text

        with open(path, "rb") as raw:
            for _ in range(header_line):
                raw.readline()
            reader = csv.reader(lines(raw), delimiter=delimiter)
            line = header_line
            for record in reader:
                start = line + 1
                line = header_line + reader.line_num
                # a quote left open swallows the following lines, or the line end at the end of the file
                unbalanced = quotes % 2 == 1 and (line > start or any(cell.endswith("\n") for cell in record))
                quotes = 0
                if unbalanced:
                    swallowed = (
                        f"lines {start} to {line} were read as one row"
                        if line > start
                        else "it runs to the end of the file"
                    )
                    yield Row(
                        start,
                        {},
                        error=f'a quote (") opened in this row is never closed: {swallowed}; close the quote or remove it',
                    )
                    continue
                if not any(cell.strip() for cell in record):
                    continue
                cells = {
                    column: (record[index].strip() if index < len(record) else "")
                    for index, column in enumerate(header)
                }
                bad = [undecodable.pop(number) for number in range(start, line + 1) if number in undecodable]
                if bad:
                    column = next((column for column, value in cells.items() if "\ufffd" in value), None)
                    yield Row(
                        start,
                        {},
                        error=(
                            f"bytes {' '.join(f'{byte:#04x}' for byte in bad[0])} cannot be decoded as {encoding},"
                            " the encoding of the rest of the file; save the file again in one encoding"
                        ),
                        error_column=column,
                    )
                    continue
                extra = sum(1 for cell in record[len(header) :] if cell.strip())
                yield Row(start, cells, extra)

    return Table(name or path.name, header, rows(), encoding, delimiter)


def read_xlsx_sheets(path: Path) -> dict[str, Table]:
    """Every sheet of an ``.xlsx`` workbook as a :class:`Table`, by folded sheet name.

    Numbers are turned back into text (an integer ``1001`` becomes ``"1001"``, not
    ``"1001.0"``); dates become ``YYYY-MM-DD``.
    """
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise UsageError(
            f"{path.name}: not a readable .xlsx workbook ({error}); open it in a spreadsheet and save it again as .xlsx"
        ) from None
    tables: dict[str, Table] = {}
    try:
        for sheet in workbook.worksheets:
            values = list(sheet.iter_rows(values_only=True))
            tables[fold_header(sheet.title)] = _sheet_table(f"{path.name}[{sheet.title}]", values)
    finally:
        workbook.close()
    return tables


def _cell_text(value: object) -> str:
    import datetime

    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def _sheet_table(name: str, values: list[tuple]) -> Table:
    index = 0
    while index < len(values) and not any(_cell_text(v) for v in values[index]):
        index += 1
    header = [_cell_text(v) for v in values[index]] if index < len(values) else []
    while header and not header[-1]:
        header.pop()

    def rows() -> Iterator[Row]:
        for offset, record in enumerate(values[index + 1 :], start=index + 2):
            texts = [_cell_text(v) for v in record]
            if not any(texts):
                continue
            cells = {column: (texts[i] if i < len(texts) else "") for i, column in enumerate(header)}
            yield Row(offset, cells)

    return Table(name, header, rows(), "xlsx", "")
