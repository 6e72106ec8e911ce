"""Reading French documents for the actors and ties they name, without changing the store.

:func:`maillage.operations.load` loads documents at once; :func:`extract` proposes, for a
review before loading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..graph.errors import UsageError
from ..graph.model import Node
from ..graph.store import is_neo4j_location
from .output import render

__all__ = ["Extracted", "extract", "extract_format", "store_exists"]

#: What ``maillage extract`` writes, told by the output file's extension when not given.
EXTRACT_FORMATS = {".xlsx": "xlsx", ".json": "json", ".csv": "csv"}


@dataclass
class Extracted:
    """The documents read (``name``, ``pages``, ``words`` each) and what was found in them
    (``found.proposals``, ``found.ties``)."""

    documents: list[Any]
    found: Any

    @property
    def high_confidence(self) -> int:
        """How many proposals are of high confidence."""
        return sum(p.confidence == "high" for p in self.found.proposals)

    def text(self, format: str = "table") -> str:
        """The proposals and stated ties as a ``table``, the mentions as ``csv``, or all as ``json``."""
        import json

        from ..loaders.documents import (
            MENTION_COLUMNS,
            PROPOSAL_COLUMNS,
            TIE_COLUMNS,
            as_json,
            mention_rows,
            proposal_rows,
            tie_rows,
        )

        if format == "json":
            return json.dumps(as_json(self.found), ensure_ascii=False, indent=2) + "\n"
        if format == "csv":
            return render(mention_rows(self.found), MENTION_COLUMNS, "csv")
        text = render(proposal_rows(self.found), PROPOSAL_COLUMNS, "table")
        if self.found.ties:
            text += "\n" + render(tie_rows(self.found), TIE_COLUMNS, "table")
        return text

    def write_workbook(self, path: Path) -> None:
        """Write the review workbook: a ``keep`` column to set on each row, then load it."""
        from ..loaders.documents import write_review_workbook

        write_review_workbook(self.found, path)


def extract(files: Sequence[Path], known: Sequence[Node] = ()) -> Extracted:
    """Propose the actors and ties that French documents (.txt, .md, .html, .pdf, .docx) name.

    Names of ``known`` nodes (a store's ``nodes()``) are linked to them; other organisations,
    authorities, people and countries are proposed with the id they would get. Each
    proposal has a confidence, says how it was found and lists every mention.
    """
    from ..loaders.documents import extract as extract_documents
    from ..loaders.documents import read_documents

    documents = read_documents(files)
    return Extracted(documents, extract_documents(files, list(known), documents))


def extract_format(format: str | None, output: Path | None) -> str:
    """The format to write proposals in: ``format`` when given, else told by the ``output``
    file's extension, else ``table``; a workbook needs an ``output`` ending in ``.xlsx``.

    Examples
    --------
    >>> extract_format(None, Path("propositions.xlsx")), extract_format(None, None), extract_format("csv", None)
    ('xlsx', 'table', 'csv')
    """
    if format is None:
        format = EXTRACT_FORMATS.get(output.suffix.lower(), "table") if output else "table"
    if format == "xlsx" and (output is None or output.suffix.lower() != ".xlsx"):
        raise UsageError("--format xlsx writes a workbook: give -o FILE.xlsx")
    return format


def store_exists(location: str) -> bool:
    """False for a SQLite file not made yet (opening it would make it); a Neo4j server always exists.

    Examples
    --------
    >>> store_exists("no-such-folder/maillage.db"), store_exists("bolt://127.0.0.1:7687")
    (False, True)
    """
    return is_neo4j_location(location) or Path(location.removeprefix("sqlite:///")).exists()
