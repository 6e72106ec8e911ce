"""What an extraction becomes: rows to read, a workbook to review, or batches to load.

The review workbook is the ordinary workbook (sheets ``actors`` and
``relations``, the columns of :mod:`maillage.loaders.workbook`) with a ``keep``
column first and the evidence last (``status``, ``confidence``, ``how``,
``kind_from``, ``mentions``, ``document``, ``line``, ``sentence``). Proposals
of high confidence are marked ``yes``, the others ``no``; the reviewer changes
what they disagree with, and ``maillage load`` loads the rows marked ``yes``,
each with the document and line it was read from as its provenance. A
document's MENTIONS rows are marked ``yes``: they follow their actor's row, and
are left out with it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ...graph.model import Batch, Node, NodeRecord, Relation, RelationRecord, Source
from ...graph.store.base import GraphStore
from ..workbook import ACTOR_COLUMNS, EVIDENCE_COLUMNS, RELATION_COLUMNS
from .extraction import Extraction, Proposal

__all__ = [
    "MENTION_COLUMNS",
    "PROPOSAL_COLUMNS",
    "TIE_COLUMNS",
    "as_json",
    "document_batches",
    "mention_rows",
    "proposal_rows",
    "stored_nodes_but_theirs",
    "tie_rows",
    "write_review_workbook",
]

PROPOSAL_COLUMNS = (
    "confidence",
    "kind",
    "name",
    "id",
    "status",
    "how",
    "kind_from",
    "mentions",
    "first_seen",
    "aliases",
)
MENTION_COLUMNS = (
    "name",
    "kind",
    "id",
    "status",
    "confidence",
    "how",
    "kind_from",
    "aliases",
    "file",
    "line",
    "start",
    "end",
    "text",
    "sentence",
)
TIE_COLUMNS = ("source", "type", "target", "role", "confidence", "file", "line", "sentence")


def _status(proposal: Proposal) -> str:
    return "linked" if proposal.linked else "new"


def proposal_rows(extraction: Extraction) -> list[dict]:
    """One row per proposal: the table ``maillage extract`` prints."""
    return [
        {
            "confidence": p.confidence,
            "kind": p.kind,
            "name": p.name,
            "id": p.id,
            "status": _status(p),
            "how": p.how,
            "kind_from": p.kind_from,
            "mentions": len(p.mentions),
            "first_seen": f"{p.mentions[0].file}:{p.mentions[0].line}",
            "aliases": " | ".join(p.aliases),
        }
        for p in extraction.proposals
    ]


def mention_rows(extraction: Extraction) -> list[dict]:
    """One row per mention, with its proposal: the CSV ``maillage extract --format csv`` writes."""
    return [
        {
            "name": p.name,
            "kind": p.kind,
            "id": p.id,
            "status": _status(p),
            "confidence": p.confidence,
            "how": m.how,
            "kind_from": p.kind_from,
            "aliases": " | ".join(p.aliases),
            "file": m.file,
            "line": m.line,
            "start": m.start,
            "end": m.end,
            "text": m.text,
            "sentence": m.sentence,
        }
        for p in extraction.proposals
        for m in p.mentions
    ]


def tie_rows(extraction: Extraction) -> list[dict]:
    """One row per tie a sentence states."""
    return [
        {
            "source": f"{t.source_name} ({t.source})",
            "type": t.type,
            "target": f"{t.target_name} ({t.target})",
            "role": t.role,
            "confidence": t.confidence,
            "file": t.file,
            "line": t.line,
            "sentence": t.sentence,
        }
        for t in extraction.ties
    ]


def as_json(extraction: Extraction) -> dict:
    """Everything found, nested: documents, proposals with every mention, ties."""
    return {
        "documents": [vars(d) for d in extraction.documents],
        "proposals": [
            {
                "name": p.name,
                "kind": p.kind,
                "id": p.id,
                "status": _status(p),
                "confidence": p.confidence,
                "how": p.how,
                "kind_from": p.kind_from,
                "aliases": p.aliases,
                "attrs": p.attrs,
                "note": p.note,
                "mentions": [vars(m) for m in p.mentions],
            }
            for p in extraction.proposals
        ],
        "ties": [vars(t) for t in extraction.ties],
    }


def _keep(confidence: str) -> str:
    return "yes" if confidence == "high" else "no"


def write_review_workbook(extraction: Extraction, output: Path) -> Path:
    """Write the review workbook (``.xlsx``): every proposal, the documents' MENTIONS, the stated ties."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    actor_columns = ("keep", *ACTOR_COLUMNS, *EVIDENCE_COLUMNS)
    relation_columns = ("keep", *RELATION_COLUMNS, *EVIDENCE_COLUMNS)
    workbook = Workbook()
    actors = workbook.active
    actors.title = "actors"
    relations = workbook.create_sheet("relations")
    for sheet, columns in ((actors, actor_columns), (relations, relation_columns)):
        sheet.append(list(columns))

    def add(sheet, columns, **cells) -> None:
        sheet.append(["" if cells.get(c) is None else str(cells.get(c, "")) for c in columns])

    for document in extraction.documents:
        add(
            actors,
            actor_columns,
            keep="yes",
            id=document.id,
            kind="Document",
            name=document.name,
            title=document.title,
            status="new",
            confidence="high",
            how="document",
            document=document.name,
            line="1",
            sentence=f"{document.format}, {document.lines} lines, {document.words} words",
        )
    for proposal in extraction.proposals:
        first = proposal.mentions[0]
        add(
            actors,
            actor_columns,
            keep=_keep(proposal.confidence),
            id=proposal.id,
            kind=proposal.kind,
            name=proposal.name,
            aliases=" | ".join(proposal.aliases),
            **{k: v for k, v in proposal.attrs.items() if k in ACTOR_COLUMNS},
            status=_status(proposal),
            confidence=proposal.confidence,
            how=proposal.how,
            kind_from=proposal.kind_from,
            mentions=str(len(proposal.mentions)),
            document=first.file,
            line=str(first.line),
            sentence=first.sentence,
        )
    for document in extraction.documents:
        for proposal in extraction.proposals:
            mentions = [m for m in proposal.mentions if m.file == document.name]
            if mentions:
                add(
                    relations,
                    relation_columns,
                    keep="yes",
                    source=document.id,
                    type="MENTIONS",
                    target=proposal.id,
                    confidence=proposal.confidence,
                    how=mentions[0].how,
                    mentions=str(len(mentions)),
                    document=document.name,
                    line=str(mentions[0].line),
                    sentence=mentions[0].sentence,
                )
    for tie in extraction.ties:
        add(
            relations,
            relation_columns,
            keep=_keep(tie.confidence),
            source=tie.source,
            type=tie.type,
            target=tie.target,
            role=tie.role,
            note=tie.words,
            confidence=tie.confidence,
            how="sentence",
            document=tie.file,
            line=str(tie.line),
            sentence=tie.sentence,
        )
    for sheet, columns in ((actors, actor_columns), (relations, relation_columns)):
        for index, column in enumerate(columns, start=1):
            sheet.cell(row=1, column=index).font = Font(bold=True)
            sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = (
                60
                if column == "sentence"
                else 32
                if column in ("name", "id", "source", "target", "aliases")
                else max(8, len(column) + 3)
            )
        sheet.freeze_panes = "B2"
        validation = DataValidation(type="list", formula1='"yes,no"', allow_blank=True)
        validation.add(f"A2:A{max(2, sheet.max_row)}")
        sheet.add_data_validation(validation)
    output = Path(output)
    tmp = output.with_name(f".{output.name}.tmp{os.getpid()}")
    workbook.save(tmp)
    os.replace(tmp, output)
    return output


def document_batches(extraction: Extraction, contributor: str, existing: set[str]) -> list[Batch]:
    """One batch per document, to load directly: the Document node, the new actors it names,
    MENTIONS to every actor it names, and the ties it states between actors the batch or
    the store (``existing`` ids) holds. Places are ``file:line``."""
    batches = []
    for document in extraction.documents:
        batch = Batch(Source(document.name, "document", contributor))
        attrs = {"title": document.title} if document.title else {}
        batch.nodes.append(NodeRecord(Node(document.id, "Document", document.name, (), attrs), f"{document.name}:1"))
        named: set[str] = set()
        for proposal in extraction.proposals:
            mentions = [m for m in proposal.mentions if m.file == document.name]
            if not mentions:
                continue
            place = f"{document.name}:{mentions[0].line}"
            named.add(proposal.id)
            if not proposal.linked:
                node = Node(proposal.id, proposal.kind, proposal.name, tuple(proposal.aliases), dict(proposal.attrs))
                batch.nodes.append(NodeRecord(node, place))
            batch.relations.append(RelationRecord(Relation(document.id, "MENTIONS", proposal.id), place))
        known = named | existing
        for tie in extraction.ties:
            if tie.file == document.name and tie.source in known and tie.target in known:
                relation = Relation(tie.source, tie.type, tie.target, tie.role, {"note": tie.words})
                batch.relations.append(RelationRecord(relation, f"{document.name}:{tie.line}"))
        batches.append(batch)
    return batches


def stored_nodes_but_theirs(store: GraphStore, sources: Iterable[str]) -> list[Node]:
    """The store's nodes, less those that only these sources assert: a document loaded
    again proposes again the actors it brought, so that its new load asserts them again."""
    sources = set(sources)
    theirs = set()
    for name in sources:
        batch = store.dump_source(name)
        if batch is not None:
            theirs.update(record.node.id for record in batch.nodes)
    only_theirs = {
        node_id for node_id in theirs if all(claim.source in sources for claim in store.node_claims(node_id))
    }
    return [node for node in store.nodes() if node.id not in only_theirs]
