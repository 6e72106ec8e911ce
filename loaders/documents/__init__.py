"""Documents become proposals: the actors and ties a French text names, each with its evidence.

``maillage extract`` reads ``.txt``, ``.md``, ``.html``, ``.pdf`` and ``.docx``
files (:mod:`.reading`), finds the names the store knows (:mod:`.gazetteer`)
and those it does not (:mod:`.patterns` and the French spaCy model, in
:mod:`.extraction`), and writes proposals to review (:mod:`.review`).

Nothing here imports spaCy until a document is extracted: the other commands
stay as fast as they were.
"""

from __future__ import annotations

from pathlib import Path

from .extraction import (
    CONFIDENCES,
    DocumentSummary,
    Extraction,
    Mention,
    Proposal,
    TieProposal,
    extract,
    read_documents,
)
from .reading import DOCUMENT_SUFFIXES, DocumentError, DocumentText, read_document
from .review import (
    MENTION_COLUMNS,
    PROPOSAL_COLUMNS,
    TIE_COLUMNS,
    as_json,
    document_batches,
    mention_rows,
    proposal_rows,
    stored_nodes_but_theirs,
    tie_rows,
    write_review_workbook,
)

__all__ = [
    "CONFIDENCES",
    "DOCUMENT_SUFFIXES",
    "MENTION_COLUMNS",
    "PROPOSAL_COLUMNS",
    "TIE_COLUMNS",
    "DocumentError",
    "DocumentSummary",
    "DocumentText",
    "Extraction",
    "Mention",
    "Proposal",
    "TieProposal",
    "as_json",
    "document_batches",
    "extract",
    "is_document",
    "mention_rows",
    "proposal_rows",
    "read_document",
    "read_documents",
    "stored_nodes_but_theirs",
    "tie_rows",
    "write_review_workbook",
]


def is_document(path: Path) -> bool:
    """Whether ``maillage load`` reads this file as a document (a ``.txt`` whose header is
    that of a known table is read as that table)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in DOCUMENT_SUFFIXES or path.is_dir():
        return False
    if suffix != ".txt":
        return True
    from ...graph.errors import MaillageError
    from .. import detect_format

    try:
        return detect_format(path) is None
    except (MaillageError, ValueError, OSError):  # a text that is not a readable table is a document
        return True
