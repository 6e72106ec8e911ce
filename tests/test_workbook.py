"""The hand-filled workbook, read the way real French files are written."""

from __future__ import annotations

import codecs
import csv
import io
import json
import shutil

import pytest
from maillage.graph.errors import LoadError
from maillage.graph.store import open_store
from maillage.loaders import read_sources


def rewrite(src, dst, *, encoding="utf-8", delimiter=",", bom=False, crlf=False):
    """Re-save a CSV file as a spreadsheet program would: another encoding, separator, BOM."""
    with open(src, encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n").writerows(rows)
    data = buffer.getvalue().encode(encoding)
    dst.write_bytes((codecs.BOM_UTF8 if bom else b"") + data)


def graph_snapshot(store):
    """Everything a store holds, as comparable data (provenance places included, times excluded)."""
    nodes = [(n.id, n.kind, n.name, n.aliases, json.dumps(n.attrs, sort_keys=True)) for n in store.nodes()]
    relations = [(r.key, json.dumps(r.attrs, sort_keys=True)) for r in store.relations()]
    claims = [(c.node_id, c.place) for n in store.nodes() for c in store.node_claims(n.id)]
    return nodes, relations, claims


def load(store, *paths, source="demo"):
    for batch in read_sources(list(paths), store.find, "test", source_name=source):
        store.write(batch)


@pytest.mark.parametrize(
    "variant",
    [
        {"encoding": "utf-8", "delimiter": ","},
        {"encoding": "utf-8", "delimiter": ";", "bom": True},
        {"encoding": "cp1252", "delimiter": ";", "crlf": True},
        {"encoding": "cp1252", "delimiter": "\t"},
    ],
    ids=["utf8-comma", "utf8-bom-semicolon", "cp1252-semicolon-crlf", "cp1252-tab"],
)
def test_demo_workbook_in_every_encoding_gives_the_same_graph(tmp_path, demo_path, variant):
    reference = open_store(str(tmp_path / "reference.db"))
    load(reference, demo_path)
    folder = tmp_path / "demo"
    folder.mkdir()
    for name in ("actors.csv", "relations.csv"):
        rewrite(demo_path / name, folder / name, **variant)
    store = open_store(str(tmp_path / "variant.db"))
    load(store, folder)
    assert graph_snapshot(store) == graph_snapshot(reference)
    names = {n.name for n in store.nodes()}
    assert "Région Île-de-France" in names and "Cités Unies France" in names


def test_demo_has_enough_actors_and_relations(sqlite_store, demo_path):
    load(sqlite_store, demo_path)
    counts = sqlite_store.counts()
    assert (
        sum(
            counts.get(k, 0)
            for k in ("Collectivite", "Association", "Theme", "Project", "Person", "Country", "Document")
        )
        >= 30
    )
    assert len(sqlite_store.relations()) >= 60


ACTORS = """id;kind;name;aliases;level;insee_code
;Collectivite;Nanterre ;Ville de Nanterre;commune;92050
;Collectivite;Ajaccio;;commune;2A004
;Collectivite;Ain - Abergement;;commune;01001

;Association;Cités Unies France;CUF
;Theme;Solidarité internationale;
;Theme;Paix;
;Organisation;Mystère;
"""

RELATIONS = """source;type;target;role;start;end;note
CUF;works on;Paix;;;;
Ville de Nanterre;WORKS_ON;Solidarité internationale;;;;
Association inconnue;WORKS_ON;Paix;;;;
"""


def test_bad_rows_are_all_listed_with_file_line_and_column_and_nothing_is_written(invoke, tmp_path, demo_path):
    assert invoke("load", str(demo_path)).exit_code == 0
    before = open_store(str(invoke.store))
    snapshot = graph_snapshot(before)
    before.close()
    (tmp_path / "actors.csv").write_text(ACTORS, encoding="utf-8")
    (tmp_path / "relations.csv").write_text(RELATIONS, encoding="utf-8")
    result = invoke("load", str(tmp_path / "actors.csv"), str(tmp_path / "relations.csv"))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    # the 7th data row is on line 9: the header is line 1 and a blank line sits before row 4
    assert any("actors.csv:9: column 'kind': unknown kind 'Organisation'" in line for line in lines), lines
    assert any("relations.csv:4: column 'source': unknown actor 'Association inconnue'" in line for line in lines), (
        lines
    )
    assert "Traceback" not in result.output
    after = open_store(str(invoke.store))
    assert graph_snapshot(after) == snapshot


def test_codes_keep_leading_zeros_and_corsica_and_names_are_trimmed(tmp_path, sqlite_store):
    (tmp_path / "actors.csv").write_text(ACTORS.replace(";Organisation;Mystère;\n", ""), encoding="cp1252")
    (tmp_path / "relations.csv").write_text(
        RELATIONS.replace("Association inconnue;WORKS_ON;Paix;;;;\n", ""), encoding="cp1252"
    )
    load(sqlite_store, tmp_path / "actors.csv", tmp_path / "relations.csv", source="book")
    assert sqlite_store.get("collectivite:com-01001").attrs["insee_code"] == "01001"
    assert sqlite_store.get("collectivite:com-2A004").attrs["insee_code"] == "2A004"
    assert sqlite_store.get("collectivite:com-92050").name == "Nanterre"
    assert {r.key for r in sqlite_store.relations()} == {
        ("association:cites-unies-france", "WORKS_ON", "theme:paix", ""),
        ("collectivite:com-92050", "WORKS_ON", "theme:solidarite-internationale", ""),
    }


def test_loading_the_same_workbook_twice_changes_nothing(invoke, demo_path):
    assert invoke("load", str(demo_path)).exit_code == 0
    first = graph_snapshot(open_store(str(invoke.store)))
    sources_first = open_store(str(invoke.store)).sources()
    result = invoke("load", str(demo_path))
    assert result.exit_code == 0 and "unchanged" in result.output
    assert graph_snapshot(open_store(str(invoke.store))) == first
    assert open_store(str(invoke.store)).sources() == sources_first


def test_relations_can_name_actors_already_in_the_store(tmp_path, sqlite_store, demo_path):
    load(sqlite_store, demo_path)
    (tmp_path / "more.csv").write_text("source,type,target\nCG93,WORKS_ON,Agenda 21\n", encoding="utf-8")
    load(sqlite_store, tmp_path / "more.csv", source="more")
    assert ("collectivite:dep-93", "WORKS_ON", "theme:agenda-21", "") in {r.key for r in sqlite_store.relations()}


def test_ambiguous_reference_lists_the_candidates(tmp_path, sqlite_store):
    (tmp_path / "actors.csv").write_text(
        "kind,name,aliases\nAssociation,Réseau Paix,RP\nAssociation,Rencontres Paix,RP\nTheme,Paix,\n", encoding="utf-8"
    )
    (tmp_path / "relations.csv").write_text("source,type,target\nRP,WORKS_ON,Paix\n", encoding="utf-8")
    with pytest.raises(LoadError) as caught:
        read_sources([tmp_path / "actors.csv", tmp_path / "relations.csv"], sqlite_store.find, "test")
    [problem] = caught.value.problems
    assert problem.line == 2 and problem.column == "source"
    assert "association:rencontres-paix" in problem.message and "association:reseau-paix" in problem.message


@pytest.mark.parametrize("damaged", ["CitÃ©s Unies France", "AMICALE DE PÃ‰TANQUE", "Ã‰COLE DES Ãˆ"])
def test_mis_encoded_text_is_refused(tmp_path, sqlite_store, damaged):
    (tmp_path / "actors.csv").write_text(f"kind,name\nAssociation,Aitec\nAssociation,{damaged}\n", encoding="utf-8")
    with pytest.raises(LoadError) as caught:
        read_sources([tmp_path / "actors.csv"], sqlite_store.find, "test")
    [problem] = caught.value.problems
    assert (problem.line, problem.column) == (3, "name") and "mis-encoded" in problem.message


@pytest.mark.parametrize("rows", [2_000, 40_000])
def test_a_stray_byte_in_a_utf8_file_is_blamed_on_its_own_line_and_column(tmp_path, sqlite_store, rows):
    """A file saved in UTF-8 with one cell typed in cp1252, within or beyond the part that tells the encoding."""
    lines = ["kind,name,description"] + [f"Association,Association n°{i},Éducation à la paix" for i in range(rows)]
    data = "\n".join(lines).encode("utf-8")
    bad_line = rows - 10
    data = data.replace(
        f"n°{bad_line - 2},É".encode(), f"n°{bad_line - 2} é,É".encode().replace("é,".encode(), b"\xe9,")
    )
    assert len(data) > (1 << 20) or rows < 10_000
    (tmp_path / "actors.csv").write_bytes(data)
    with pytest.raises(LoadError) as caught:
        read_sources([tmp_path / "actors.csv"], sqlite_store.find, "test")
    [problem] = caught.value.problems
    assert (problem.line, problem.column) == (bad_line, "name")
    assert "0xe9 cannot be decoded as utf-8" in problem.message


@pytest.mark.parametrize(
    "text, line, swallowed",
    [
        (
            'kind;name\nAssociation;Aitec\nAssociation;"CRID;x\nAssociation;Ritimo\nAssociation;"Oxfam"\n',
            3,
            "lines 3 to 5 were read as one row",
        ),
        ('kind;name\nAssociation;Aitec\nAssociation;"CRID\n', 3, "it runs to the end of the file"),
    ],
)
def test_a_quote_left_open_is_reported_where_it_opens(tmp_path, sqlite_store, text, line, swallowed):
    (tmp_path / "actors.csv").write_text(text, encoding="utf-8")
    with pytest.raises(LoadError) as caught:
        read_sources([tmp_path / "actors.csv"], sqlite_store.find, "test")
    [problem] = caught.value.problems
    assert problem.line == line and "never closed" in problem.message and swallowed in problem.message


def test_quoted_line_breaks_and_quotes_inside_a_name_are_kept(tmp_path, sqlite_store):
    (tmp_path / "actors.csv").write_text(
        'kind;name;description\nAssociation;ASSOCIATION L"ECHO;\nAssociation;"Les ""Amis""";"sur\ndeux lignes"\nAssociation;Aitec;\n',
        encoding="utf-8",
    )
    [batch] = read_sources([tmp_path / "actors.csv"], sqlite_store.find, "test")
    nodes = {record.node.name: record for record in batch.nodes}
    assert set(nodes) == {'ASSOCIATION L"ECHO', 'Les "Amis"', "Aitec"}
    assert nodes['Les "Amis"'].node.attrs["description"] == "sur\ndeux lignes"
    assert nodes["Aitec"].place.endswith(":5")


def test_a_file_named_xlsx_that_is_not_one_is_a_clear_error(tmp_path, invoke):
    (tmp_path / "reseau.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    result = invoke("load", str(tmp_path / "reseau.xlsx"))
    assert result.exit_code == 2
    assert result.output.splitlines()[-1].startswith("Error: reseau.xlsx: not a readable .xlsx workbook")


def test_xlsx_workbook_from_the_template(tmp_path, invoke):
    from openpyxl import load_workbook

    assert invoke("template", "-o", str(tmp_path / "modele.xlsx")).exit_code == 0
    book = load_workbook(tmp_path / "modele.xlsx")
    book["actors"].append(["", "Collectivite", "Rosny-sous-Bois", "Ville de Rosny", "commune", "93064"])
    book["actors"].append(["", "Theme", "Agenda 21"])
    book["relations"].append(["Ville de Rosny", "WORKS_ON", "Agenda 21"])
    book.save(tmp_path / "reseau.xlsx")
    result = invoke("load", str(tmp_path / "reseau.xlsx"))
    assert result.exit_code == 0, result.output
    store = open_store(str(invoke.store))
    assert store.get("collectivite:com-93064").attrs["insee_code"] == "93064"
    assert [r.key for r in store.relations()] == [("collectivite:com-93064", "WORKS_ON", "theme:agenda-21", "")]
    assert store.node_claims("collectivite:com-93064")[0].place == "reseau.xlsx[actors]:2"


def test_csv_template_opens_in_french_spreadsheets(tmp_path, invoke):
    assert invoke("template", "-o", str(tmp_path / "modele.csv")).exit_code == 0
    data = (tmp_path / "modele-actors.csv").read_bytes()
    assert data.startswith(codecs.BOM_UTF8) and b"id;kind;name;aliases" in data
    assert (tmp_path / "modele-relations.csv").read_bytes().startswith(codecs.BOM_UTF8 + b"source;type;target;role")


def test_a_failed_load_leaves_the_store_file_byte_identical(tmp_path, invoke, demo_path):
    assert invoke("load", str(demo_path)).exit_code == 0
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("actors.csv", "relations.csv"):
        shutil.copy(demo_path / name, copy / name)
    with open(copy / "relations.csv", "a", encoding="utf-8") as stream:
        stream.write("Personne,WORKS_ON,Paix,,,,\n")
    dump_before = [(b.source.name, len(b.nodes), len(b.relations)) for b in open_store(str(invoke.store)).dump()]
    result = invoke("load", str(copy), "--source", "copy")
    assert result.exit_code == 1
    assert [
        (b.source.name, len(b.nodes), len(b.relations)) for b in open_store(str(invoke.store)).dump()
    ] == dump_before
