"""An empty, documented workbook for strategists to fill in."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from ..graph.errors import UsageError
from ..graph.model import ATTRIBUTES, KINDS, LEVELS, PROJECT_TYPES, RELATION_TYPES, ROLES
from .workbook import ACTOR_COLUMNS, RELATION_COLUMNS

__all__ = ["column_help", "write_template"]

_CODE_COLUMNS = ("insee_code", "siren", "siret", "rna_id", "cog_year")

_BASE_HELP = {
    "id": "optional; stable id such as collectivite:com-92050 or association:crid (made from the code or name when empty)",
    "kind": f"one of {', '.join(KINDS)}",
    "name": "the usual name",
    "aliases": "other names, acronyms, former names, separated by |",
    "source": "id, name or alias of the actor the relation starts from",
    "type": "; ".join(
        f"{type_} ({', '.join(sources)} -> {', '.join(targets)})"
        for type_, (sources, targets) in RELATION_TYPES.items()
    ),
    "target": "id, name or alias of the actor the relation points to",
    "role": f"TAKES_PART_IN only: {', '.join(ROLES)}",
    "start": "YYYY, YYYY-MM or YYYY-MM-DD",
    "end": "YYYY, YYYY-MM or YYYY-MM-DD",
    "note": "free text",
}


def column_help(column: str) -> str:
    """What goes in a column of the workbook, in one line."""
    if column in _BASE_HELP:
        return _BASE_HELP[column]
    attribute = ATTRIBUTES[column]
    extra = ""
    if column == "level":
        extra = f" ({', '.join(LEVELS)})"
    elif column == "type":
        extra = f" ({', '.join(PROJECT_TYPES)})"
    return f"{', '.join(attribute.kinds) if len(attribute.kinds) < len(KINDS) else 'any kind'}: {attribute.description}{extra}"


def _example_rows() -> tuple[list[str], list[str]]:
    actor = dict.fromkeys(ACTOR_COLUMNS, "")
    actor.update(
        kind="Collectivite",
        name="Nanterre",
        aliases="Ville de Nanterre",
        level="commune",
        insee_code="92050",
        country="FR",
    )
    relation = dict.fromkeys(RELATION_COLUMNS, "")
    relation.update(source="Ville de Nanterre", type="WORKS_ON", target="Solidarité internationale")
    return [actor[c] for c in ACTOR_COLUMNS], [relation[c] for c in RELATION_COLUMNS]


def write_template(output: Path) -> list[Path]:
    """Write an empty workbook: ``.xlsx`` (two sheets and a help sheet) or a pair of CSV files.

    A CSV pair is written as UTF-8 with a byte-order mark and ``;`` separators,
    which spreadsheet software in French opens correctly. Returns the files written.
    """
    output = Path(output)
    if output.suffix.lower() == ".xlsx":
        return [_write_xlsx(output)]
    if output.suffix.lower() == ".csv":
        stem = output.with_suffix("")
        paths = [Path(f"{stem}-actors.csv"), Path(f"{stem}-relations.csv")]
        for path, columns in zip(paths, (ACTOR_COLUMNS, RELATION_COLUMNS)):
            tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
            with open(tmp, "w", encoding="utf-8-sig", newline="") as stream:
                csv.writer(stream, delimiter=";", lineterminator="\r\n").writerow(columns)
            os.replace(tmp, path)
        return paths
    raise UsageError(f"{output}: give a .xlsx file, or a .csv name for a pair of CSV files")


def _write_xlsx(output: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    actors = workbook.active
    actors.title = "actors"
    relations = workbook.create_sheet("relations")
    for sheet, columns in ((actors, ACTOR_COLUMNS), (relations, RELATION_COLUMNS)):
        sheet.append(list(columns))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for index, column in enumerate(columns, start=1):
            letter = sheet.cell(row=1, column=index).column_letter
            sheet.column_dimensions[letter].width = max(12, len(column) + 4)
            if column in _CODE_COLUMNS:
                sheet.column_dimensions[letter].number_format = "@"
    _validate(actors, ACTOR_COLUMNS, "kind", KINDS, DataValidation)
    _validate(relations, RELATION_COLUMNS, "type", tuple(RELATION_TYPES), DataValidation)
    _validate(relations, RELATION_COLUMNS, "role", ROLES, DataValidation)
    _validate(actors, ACTOR_COLUMNS, "level", LEVELS, DataValidation)
    help_sheet = workbook.create_sheet("aide")
    help_sheet.append(["table", "column", "what goes in it"])
    for cell in help_sheet[1]:
        cell.font = Font(bold=True)
    for table, columns in (("actors", ACTOR_COLUMNS), ("relations", RELATION_COLUMNS)):
        for column in columns:
            help_sheet.append([table, column, column_help(column)])
    example_actor, example_relation = _example_rows()
    help_sheet.append([])
    help_sheet.append(["example", "actors", " ; ".join(f"{c}={v}" for c, v in zip(ACTOR_COLUMNS, example_actor) if v)])
    help_sheet.append(
        ["example", "relations", " ; ".join(f"{c}={v}" for c, v in zip(RELATION_COLUMNS, example_relation) if v)]
    )
    help_sheet.column_dimensions["B"].width = 16
    help_sheet.column_dimensions["C"].width = 110
    tmp = output.with_name(f".{output.name}.tmp{os.getpid()}")
    workbook.save(tmp)
    os.replace(tmp, output)
    return output


def _validate(sheet, columns, column, choices, validation_class) -> None:
    letter = sheet.cell(row=1, column=columns.index(column) + 1).column_letter
    validation = validation_class(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True)
    validation.add(f"{letter}2:{letter}1000")
    sheet.add_data_validation(validation)
