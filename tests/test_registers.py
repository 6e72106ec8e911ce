"""Public registers: INSEE COG, BANATIC perimeters, RNA extracts, mapped spreadsheets.

Every test reads the real-format samples of ``data/samples`` (or a variant of
one written to ``tmp_path``) through the command line or the loaders.
"""

from __future__ import annotations

import codecs
import csv
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from maillage.graph.errors import LoadError
from maillage.graph.model import Batch, Node, NodeRecord, Relation, RelationRecord, Source, name_key, normalise
from maillage.graph.store import open_store
from maillage.loaders import detect_format, open_sources, read_sources, rna
from maillage.loaders.loading import LoadOptions
from maillage.loaders.rna import WALDEC_COLUMNS

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
COG = [SAMPLES / "v_region_2024.csv", SAMPLES / "v_departement_2024.csv", SAMPLES / "v_commune_2024.csv"]


def sample(name: str) -> str:
    return str(SAMPLES / name)


def graph_of(store_path: Path) -> tuple[list, list]:
    store = open_store(str(store_path))
    try:
        return [(n.id, n.kind, n.name, n.aliases, dict(n.attrs)) for n in store.nodes()], store.relations()
    finally:
        store.close()


def located_in(store_path: Path, node_id: str) -> set[str]:
    store = open_store(str(store_path))
    try:
        return {r.target for r in store.relations(node_id) if r.type == "LOCATED_IN" and r.source == node_id}
    finally:
        store.close()


def node(store_path: Path, node_id: str) -> Node | None:
    store = open_store(str(store_path))
    try:
        return store.get(node_id)
    finally:
        store.close()


# --------------------------------------------------------------------------- detection


@pytest.mark.parametrize(
    "name, expected",
    [
        ("v_region_2024.csv", "cog-region"),
        ("v_departement_2024.csv", "cog-departement"),
        ("v_commune_2024.csv", "cog-commune"),
        ("v_commune_2019.csv", "cog-commune"),
        ("banatic_perimetre_epci_2024.xls", "banatic"),
        ("banatic_perimetre_epci_2023.xls", "banatic"),
        ("rna_waldec_20241001_dpt_93.csv", "rna-waldec"),
        ("rna_waldec_20241001.zip", "rna-waldec"),
        ("rna_import_20241001_dpt_93.csv", "rna-import"),
        ("cooperation_decentralisee_export.csv", "mapped"),
    ],
)
def test_format_is_told_from_the_header(name, expected):
    assert detect_format(SAMPLES / name) == expected


def test_waldec_sample_has_the_39_real_columns():
    with open(SAMPLES / "rna_waldec_20241001_dpt_93.csv", encoding="utf-8", newline="") as stream:
        header = next(csv.reader(stream, delimiter=";"))
    assert tuple(header) == WALDEC_COLUMNS and len(header) == 39


def test_unknown_format_and_binary_excel_are_usage_errors(invoke, tmp_path):
    assert invoke("load", sample("v_region_2024.csv"), "--format", "shapefile").exit_code == 2
    fake = tmp_path / "perimetre.xls"
    fake.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 60)
    result = invoke("load", str(fake))
    assert result.exit_code == 2 and "Excel 97" in result.output


# --------------------------------------------------------------------------- COG


def test_cog_builds_the_territorial_hierarchy(invoke):
    result = invoke("load", *map(str, reversed(COG)))
    assert result.exit_code == 0, result.output
    store = invoke.store
    assert located_in(store, "collectivite:com-93064") == {"collectivite:dep-93"}
    assert located_in(store, "collectivite:dep-93") == {"collectivite:reg-11"}
    # Corsica and overseas keep their codes as text.
    assert located_in(store, "collectivite:com-2A004") == {"collectivite:dep-2A"}
    assert located_in(store, "collectivite:dep-2B") == {"collectivite:reg-94"}
    assert located_in(store, "collectivite:com-97105") == {"collectivite:dep-971"}
    assert located_in(store, "collectivite:dep-971") == {"collectivite:reg-01"}
    guadeloupe = node(store, "collectivite:reg-01")
    assert guadeloupe.attrs["insee_code"] == "01" and guadeloupe.attrs["cog_year"] == "2024"
    # Arrondissements, delegated and associated communes hang from their commune, apart from it.
    assert located_in(store, "collectivite:arm-75111") == {"collectivite:com-75056"}
    assert node(store, "collectivite:arm-75111").attrs["level"] == "other"
    assert located_in(store, "collectivite:comd-74010") == {"collectivite:com-74010"}
    assert located_in(store, "collectivite:coma-74182") == {"collectivite:com-74010"}
    annecy = node(store, "collectivite:com-74010")
    assert annecy.attrs["level"] == "commune" and "Annecy-le-Vieux" not in annecy.aliases


def test_cog_and_demo_workbook_meet_on_the_same_nodes(invoke, demo_path):
    assert invoke("load", str(demo_path)).exit_code == 0
    before = graph_of(invoke.store)[0]
    assert invoke("load", *map(str, COG)).exit_code == 0
    after = graph_of(invoke.store)[0]
    nanterre = [n for n in after if n[0] == "collectivite:com-92050"]
    assert len(nanterre) == 1 and nanterre[0][4]["cog_year"] == "2024"
    assert len([n for n in after if n[2] == "Seine-Saint-Denis"]) == 1
    demo_ids = {n[0] for n in before}
    assert {"collectivite:reg-11", "collectivite:dep-93", "collectivite:com-93064"} <= demo_ids
    assert len(after) == len(before) + len({n[0] for n in after} - demo_ids)


def test_lower_case_2019_vintage_then_2024_gives_no_duplicates(invoke):
    assert invoke("load", *map(str, COG[:2])).exit_code == 0
    result = invoke("load", sample("v_commune_2019.csv"))
    assert result.exit_code == 0, result.output
    assert node(invoke.store, "collectivite:com-92050").attrs["cog_year"] == "2019"
    assert invoke("load", sample("v_commune_2024.csv")).exit_code == 0
    nodes, _ = graph_of(invoke.store)
    codes = [n[4].get("insee_code") for n in nodes if n[4].get("level") == "commune"]
    assert len(codes) == len(set(codes))
    assert node(invoke.store, "collectivite:com-92050").attrs["cog_year"] == "2024"
    assert invoke("load", sample("v_commune_2024.csv")).output.strip().endswith("unchanged (already loaded)")


def test_renamed_commune_keeps_its_old_name_as_alias_with_a_notice(invoke, tmp_path):
    assert invoke("load", *map(str, COG)).exit_code == 0
    renamed = tmp_path / "v_commune_2025.csv"
    renamed.write_text(
        (SAMPLES / "v_commune_2024.csv")
        .read_text(encoding="utf-8")
        .replace("ROSNY SOUS BOIS,Rosny-sous-Bois,Rosny-sous-Bois", "ROSNY SUR SEINE,Rosny-sur-Seine,Rosny-sur-Seine"),
        encoding="utf-8",
    )
    result = invoke("load", str(renamed))
    assert result.exit_code == 0, result.output
    assert "renamed from 'Rosny-sous-Bois' (2024) to 'Rosny-sur-Seine' (2025)" in result.output
    rosny = node(invoke.store, "collectivite:com-93064")
    assert rosny.name == "Rosny-sur-Seine" and "Rosny-sous-Bois" in rosny.aliases


def test_code_handed_to_a_commune_nouvelle_is_not_merged_with_the_old_commune(invoke, tmp_path):
    header = "TYPECOM,COM,REG,DEP,CTCD,ARR,TNCC,NCC,NCCENR,LIBELLE,CAN,COMPARENT\n"
    (tmp_path / "v_departement_2015.csv").write_text(
        "DEP,REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE\n74,84,74010,3,HAUTE SAVOIE,Haute-Savoie,Haute-Savoie\n",
        encoding="utf-8",
    )
    (tmp_path / "v_commune_2015.csv").write_text(
        header + "COM,74011,84,74,74D,741,1,ANNECY LE VIEUX,Annecy-le-Vieux,Annecy-le-Vieux,7401,\n"
        "COM,74093,84,74,74D,741,0,CRAN GEVRIER,Cran-Gevrier,Cran-Gevrier,7401,\n",
        encoding="utf-8",
    )
    (tmp_path / "v_commune_2017.csv").write_text(
        header + "COM,74011,84,74,74D,741,0,ANNECY NOUVELLE,Annecy-Nouvelle,Annecy-Nouvelle,7401,\n"
        "COMD,74011,,,,,1,ANNECY LE VIEUX,Annecy-le-Vieux,Annecy-le-Vieux,,74011\n"
        "COMD,74093,,,,,0,CRAN GEVRIER,Cran-Gevrier,Cran-Gevrier,,74011\n",
        encoding="utf-8",
    )
    assert invoke("load", str(tmp_path / "v_departement_2015.csv"), str(tmp_path / "v_commune_2015.csv")).exit_code == 0
    result = invoke("load", str(tmp_path / "v_commune_2017.csv"))
    assert result.exit_code == 0, result.output
    assert "now names 'Annecy-Nouvelle' (a commune nouvelle)" in result.output
    new = node(invoke.store, "collectivite:com-74011")
    assert new.name == "Annecy-Nouvelle" and "Annecy-le-Vieux" not in new.aliases
    assert node(invoke.store, "collectivite:comd-74011").name == "Annecy-le-Vieux"
    # The commune merged away is gone as a commune; it lives on as a delegated commune.
    assert node(invoke.store, "collectivite:com-74093") is None
    assert located_in(invoke.store, "collectivite:comd-74093") == {"collectivite:com-74011"}


def test_cog_year_comes_from_the_option_when_the_name_lacks_it(invoke, tmp_path):
    plain = tmp_path / "regions.csv"
    shutil.copy(SAMPLES / "v_region_2024.csv", plain)
    result = invoke("load", str(plain))
    assert result.exit_code == 2 and "--cog-year" in result.output
    assert invoke("load", str(plain), "--cog-year", "2023").exit_code == 0
    assert node(invoke.store, "collectivite:reg-11").attrs["cog_year"] == "2023"


def test_bad_cog_row_is_reported_with_line_and_column_and_rejects_the_file(invoke, tmp_path):
    bad = tmp_path / "v_departement_2024.csv"
    bad.write_text(
        (SAMPLES / "v_departement_2024.csv").read_text(encoding="utf-8").replace("93,11,93008", "9x,11,93008"),
        encoding="utf-8",
    )
    assert invoke("load", str(SAMPLES / "v_region_2024.csv")).exit_code == 0
    before = graph_of(invoke.store)
    result = invoke("load", str(bad))
    assert result.exit_code == 1
    assert "v_departement_2024.csv:7: column 'DEP': '9x' is not an INSEE departement code" in result.output
    assert graph_of(invoke.store) == before


# --------------------------------------------------------------------------- BANATIC


def test_banatic_ties_communes_to_their_epci_through_the_siren_table(invoke):
    assert invoke("load", *map(str, COG)).exit_code == 0
    result = invoke(
        "load", sample("banatic_perimetre_epci_2024.xls"), "--siren-table", sample("banatic_siren_insee_2024.csv")
    )
    assert result.exit_code == 0, result.output
    store = open_store(str(invoke.store))
    try:
        mgp = store.get("collectivite:epci-200054781")
        assert (
            mgp.name == "Métropole du Grand Paris" and mgp.attrs["nature"] == "METRO" and mgp.attrs["level"] == "epci"
        )
        memberships = {(r.source, r.target) for r in store.relations() if r.type == "MEMBER_OF"}
    finally:
        store.close()
    assert ("collectivite:com-92050", "collectivite:epci-200054781") in memberships
    assert ("collectivite:com-92050", "collectivite:epci-200057982") in memberships
    assert ("collectivite:com-93064", "collectivite:epci-200058790") in memberships
    assert ("collectivite:com-93048", "collectivite:epci-200057875") in memberships


def test_banatic_without_table_matches_by_name_and_departement_or_says_why_not(invoke):
    result = invoke("load", sample("banatic_perimetre_epci_2024.xls"))
    assert result.exit_code == 0
    assert "member commune(s) not found in the store" in result.output
    assert invoke("load", *map(str, COG)).exit_code == 0
    assert invoke("load", sample("banatic_perimetre_epci_2024.xls"), "--source", "banatic-2").exit_code == 0
    _, relations = graph_of(invoke.store)
    assert any(r.source == "collectivite:com-93064" and r.type == "MEMBER_OF" for r in relations)


def test_banatic_year_suffixed_headers(invoke):
    assert invoke("load", *map(str, COG)).exit_code == 0
    result = invoke(
        "load", sample("banatic_perimetre_epci_2023.xls"), "--siren-table", sample("banatic_siren_insee_2024.csv")
    )
    assert result.exit_code == 0, result.output
    _, relations = graph_of(invoke.store)
    assert Relation("collectivite:com-2A004", "MEMBER_OF", "collectivite:epci-242010056") in relations


# --------------------------------------------------------------------------- RNA


def test_rna_associations_are_tied_to_their_commune_by_code(invoke):
    assert invoke("load", *map(str, COG)).exit_code == 0
    result = invoke("load", sample("rna_waldec_20241001_dpt_93.csv"))
    assert result.exit_code == 0, result.output
    assert "4 nodes, 4 relations loaded from 5 rows, 1 filtered out" in result.output
    assert located_in(invoke.store, "association:rna-W932001234") == {"collectivite:com-93064"}
    rsi = node(invoke.store, "association:rna-W932001234")
    assert rsi.name == "ROSNY SOLIDARITÉ INTERNATIONALE" and rsi.aliases == ("RSI",)
    assert rsi.attrs["object_codes"] == ["019000", "006020"] and rsi.attrs["date"] == "2012-03-14"
    # 0001-01-01 means no date; the dissolved association is left out.
    assert "date" not in node(invoke.store, "association:rna-W932000077").attrs
    assert node(invoke.store, "association:rna-W931000042") is None


def test_rna_without_communes_in_the_store_gives_a_notice_not_made_up_communes(invoke):
    result = invoke("load", sample("rna_waldec_20241001_dpt_93.csv"))
    assert result.exit_code == 0
    assert "not linked to their commune" in result.output and "load the INSEE COG communes first" in result.output
    nodes, relations = graph_of(invoke.store)
    assert {n[1] for n in nodes} == {"Association"} and relations == []


def test_monthly_zip_with_mixed_encodings_and_arrondissements(invoke):
    assert invoke("load", *map(str, COG)).exit_code == 0
    result = invoke("load", sample("rna_waldec_20241001.zip"))
    assert result.exit_code == 0, result.output
    assert located_in(invoke.store, "association:rna-W751000123") == {"collectivite:arm-75111"}
    old_style = node(invoke.store, "association:rna-0751012345")
    assert old_style is not None and located_in(invoke.store, old_style.id) == {"collectivite:arm-75101"}
    # The cp1252 member and the UTF-8 file give the same, undamaged names.
    assert node(invoke.store, "association:rna-W932009999").name == "AMICALE DES JOUEURS DE PÉTANQUE DE BOBIGNY"


def test_rna_links_are_the_same_whatever_the_run_of_rows_whose_communes_are_looked_up_together(
    invoke, tmp_path, monkeypatch
):
    graphs = []
    for rows in (rna._LOOKUP_ROWS, 2, 1):
        monkeypatch.setattr(rna, "_LOOKUP_ROWS", rows)
        store = str(tmp_path / f"lookup-{rows}.db")
        assert invoke("load", *map(str, COG), store_location=store).exit_code == 0
        result = invoke("load", sample("rna_waldec_20241001.zip"), store_location=store)
        assert result.exit_code == 0, result.output
        graphs.append(graph_of(store))
    assert graphs[1] == graphs[0] and graphs[2] == graphs[0]
    links = {(relation.source, relation.type, relation.target) for relation in graphs[0][1]}
    assert ("association:rna-W751000123", "LOCATED_IN", "collectivite:arm-75111") in links


@pytest.mark.parametrize(
    "options, expected",
    [
        (["--departement", "92"], {"W922003456", "W922007890"}),
        (["--commune", "75056"], {"W751000123", "0751012345"}),
        (["--object-code", "019"], {"W932001234", "W931005678", "W922003456", "W751000123"}),
        (["--keyword", "solidarité internationale"], {"W932001234", "W922003456", "W751000123"}),
        (
            ["--keyword", "solidarite internationale", "--include-inactive"],
            {"W932001234", "W922003456", "W751000123", "W931000042"},
        ),
        (["--departement", "93", "--object-code", "019000"], {"W932001234", "W931005678"}),
    ],
)
def test_rna_filters(invoke, options, expected):
    result = invoke("load", sample("rna_waldec_20241001.zip"), *options)
    assert result.exit_code == 0, result.output
    nodes, _ = graph_of(invoke.store)
    assert {n[4]["rna_id"] for n in nodes} == expected


def test_rna_import_format(invoke):
    assert invoke("load", *map(str, COG)).exit_code == 0
    result = invoke("load", sample("rna_import_20241001_dpt_93.csv"))
    assert result.exit_code == 0, result.output
    jumelage = node(invoke.store, "association:rna-W931000310")
    assert jumelage.name == "COMITÉ DE JUMELAGE DE ROSNY-SOUS-BOIS"
    assert located_in(invoke.store, jumelage.id) == {"collectivite:com-93064"}


def _encoded_variants(tmp_path: Path) -> list[Path]:
    text = (SAMPLES / "rna_waldec_20241001_dpt_93.csv").read_text(encoding="utf-8")
    paths = []
    for label, data in (
        ("utf8", text.encode("utf-8")),
        ("bom", codecs.BOM_UTF8 + text.encode("utf-8")),
        ("cp1252", text.encode("cp1252")),
        ("latin1", text.encode("latin-1")),
    ):
        path = tmp_path / label / "rna_waldec_20241001_dpt_93.csv"
        path.parent.mkdir()
        path.write_bytes(data)
        paths.append(path)
    return paths


def test_same_extract_in_every_encoding_gives_the_same_graph(runner, tmp_path):
    from maillage.cli import main

    graphs = []
    for path in _encoded_variants(tmp_path):
        store = path.parent / "store.db"
        for files in (list(map(str, COG)), [str(path)]):
            result = runner.invoke(main, ["--store", str(store), "--contributor", "t", "load", *files])
            assert result.exit_code == 0, result.output
        nodes, relations = graph_of(store)
        graphs.append((nodes, relations))
    assert all(graph == graphs[0] for graph in graphs[1:])
    names = [n[2] for n in graphs[0][0]]
    assert "ROSNY SOLIDARITÉ INTERNATIONALE" in names and not any("Ã" in name for name in names)


def _waldec_with(tmp_path: Path, replace: dict[str, str]) -> Path:
    text = (SAMPLES / "rna_waldec_20241001_dpt_93.csv").read_text(encoding="utf-8")
    for old, new in replace.items():
        text = text.replace(old, new)
    path = tmp_path / "rna_waldec_20241101_dpt_93.csv"
    path.write_text(text, encoding="utf-8", newline="")
    return path


def test_a_mis_encoded_name_rejects_the_file_with_line_and_column(invoke, tmp_path):
    bad = _waldec_with(
        tmp_path, {"AMICALE DES JOUEURS DE PÉTANQUE": "AMICALE DES JOUEURS DE PÃ‰TANQUE", ";93048;": ";9304;"}
    )
    assert invoke("load", sample("rna_import_20241001_dpt_93.csv")).exit_code == 0
    before = graph_of(invoke.store)
    result = invoke("load", str(bad))
    assert result.exit_code == 1
    assert "rna_waldec_20241101_dpt_93.csv:4: column 'titre': looks mis-encoded" in result.output
    # A malformed commune code is a field set aside, not a reason to reject the row.
    assert "1 problem found" in result.output and "adrs_codeinsee" not in result.output
    assert graph_of(invoke.store) == before


def test_skip_bad_rows_loads_the_rest_and_writes_the_rejected_rows(invoke, tmp_path):
    bad = _waldec_with(tmp_path, {"W932009999": "W93-BAD", "ROSNY SOLIDARITÉ": "ROSNY\x07SOLIDARITÉ"})
    rejected = tmp_path / "rejected.csv"
    result = invoke("load", str(bad), "--skip-bad-rows", "--rejected", str(rejected))
    assert result.exit_code == 0, result.output
    assert "2 nodes, 0 relations loaded from 5 rows, 1 filtered out, 2 rejected" in result.output
    assert rejected.read_bytes().startswith(codecs.BOM_UTF8)
    with open(rejected, encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream, delimiter=";"))
    assert [(r["line"], r["column"], r["outcome"]) for r in rows] == [
        ("2", "titre", "row rejected"),
        ("4", "id", "row rejected"),
        ("6", "date_creat", "field set aside"),
    ]
    assert "control characters" in rows[0]["reason"] and rows[1]["id"] == rows[1]["value"] == "W93-BAD"
    # Under --strict the file is rejected whole, and the file asked for still says why.
    rejected.unlink()
    assert invoke("load", str(bad), "--rejected", str(rejected)).exit_code == 1
    with open(rejected, encoding="utf-8-sig", newline="") as stream:
        assert [r["line"] for r in csv.DictReader(stream, delimiter=";")] == ["2", "4", "6"]


def test_newer_month_replaces_the_older_without_duplicates(invoke, tmp_path):
    assert invoke("load", sample("rna_waldec_20241001_dpt_93.csv")).exit_code == 0
    assert (
        invoke("load", sample("rna_waldec_20241001_dpt_93.csv")).output.strip().endswith("unchanged (already loaded)")
    )
    newer = _waldec_with(tmp_path, {"COLLECTIF MONTREUIL-SAHEL": "COLLECTIF MONTREUIL SAHEL SOLIDAIRE"})
    assert invoke("load", str(newer)).exit_code == 0
    nodes, _ = graph_of(invoke.store)
    assert len(nodes) == 4
    collectif = node(invoke.store, "association:rna-W931005678")
    assert collectif.name == "COLLECTIF MONTREUIL SAHEL SOLIDAIRE" and collectif.aliases == ()


def test_dry_run_writes_nothing(invoke):
    result = invoke("load", sample("rna_waldec_20241001.zip"), "--dry-run")
    assert result.exit_code == 0 and "8 nodes, 0 relations (dry run, nothing written)" in result.output
    assert graph_of(invoke.store) == ([], [])


# --------------------------------------------------------------------------- mapped tables


def test_cooperation_preset_dry_run_shows_where_columns_went(invoke):
    result = invoke("load", sample("cooperation_decentralisee_export.csv"), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "column 'Collectivité territoriale française' -> french.name" in result.output
    assert "column 'Intitulé du projet' -> project.name" in result.output
    assert "column 'Statut' ignored" in result.output
    assert graph_of(invoke.store) == ([], [])


def test_cooperation_export_meets_the_cog_by_official_code(invoke):
    assert invoke("load", *map(str, COG)).exit_code == 0
    result = invoke("load", sample("cooperation_decentralisee_export.csv"), "--mapping", "cooperation")
    assert result.exit_code == 0, result.output
    store = open_store(str(invoke.store))
    try:
        relations = store.relations("collectivite:dep-93")
        figuig = store.find("Commune de Figuig")[0]
        project = store.find("Appui à la gestion de l'eau dans l'oasis de Figuig")[0]
        theme_ids = {r.target for r in store.relations(project.id) if r.type == "ADDRESSES"}
        rosny_partners = {r.target for r in store.relations("collectivite:com-93064") if r.type == "PARTNERS_WITH"}
    finally:
        store.close()
    assert Relation("collectivite:dep-93", "PARTNERS_WITH", figuig.id) in relations
    assert figuig.attrs == {"level": "foreign", "country": "MA"}
    assert project.attrs["countries"] == ["MA"] and project.attrs["start"] == "2008"
    assert theme_ids == {"theme:eau-et-assainissement", "theme:developpement-durable"}
    assert len(rosny_partners) == 1


def test_custom_mapping_with_split_cells_and_a_bad_country(invoke, tmp_path):
    table = tmp_path / "jumelages.csv"
    table.write_text(
        "Ville;Code;Jumelée avec;Pays;Domaines\n"
        "Nanterre;92050;Craigavon;GB;Culture / Sport\n"
        "Rosny-sous-Bois;93064;Atlantide;Atlantis;Culture\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "jumelages.yaml"
    mapping.write_text(
        "separator: ' / '\n"
        "nodes:\n"
        "  ville: {kind: Collectivite, name: {column: Ville}, code: {column: code}, level: commune}\n"
        "  jumelle: {kind: Collectivite, name: {pattern: '^jumelee'}, attrs: {level: foreign, country: {column: Pays}}}\n"
        "themes: [{column: Domaines, from: ville, split: true}]\n"
        "relations: [{source: ville, type: PARTNERS_WITH, target: jumelle}]\n",
        encoding="utf-8",
    )
    strict = invoke("load", str(table), "--mapping", str(mapping))
    assert strict.exit_code == 1
    assert "jumelages.csv:3: column 'Pays': unknown country 'Atlantis'" in strict.output
    result = invoke("load", str(table), "--mapping", str(mapping), "--skip-bad-rows")
    assert result.exit_code == 0, result.output
    store = open_store(str(invoke.store))
    try:
        links = {(r.type, r.target) for r in store.relations("collectivite:com-92050")}
    finally:
        store.close()
    assert ("WORKS_ON", "theme:culture") in links and ("WORKS_ON", "theme:sport") in links
    assert ("PARTNERS_WITH", "collectivite:craigavon") in links


def test_bad_mapping_file_is_a_usage_error(invoke, tmp_path):
    mapping = tmp_path / "bad.yaml"
    mapping.write_text("nodes:\n  x: {kind: Castle, name: {column: A}}\n", encoding="utf-8")
    result = invoke("load", sample("cooperation_decentralisee_export.csv"), "--mapping", str(mapping))
    assert result.exit_code == 2 and "kind" in result.output


def test_a_mapping_that_is_not_yaml_is_one_line_naming_where(invoke, tmp_path):
    mapping = tmp_path / "broken.yaml"
    mapping.write_text("nodes:\n  x: {kind: Project, name: {column: A}\n", encoding="utf-8")
    result = invoke("load", sample("cooperation_decentralisee_export.csv"), "--mapping", str(mapping))
    assert result.exit_code == 2
    last = result.output.splitlines()[-1]
    assert last.startswith(f"Error: {mapping}:3:1: not valid YAML: ") and "\n" not in last


@pytest.mark.parametrize(
    "option, code", [("--departement", "999"), ("--departement", "9"), ("--commune", "abc"), ("--commune", "2A04")]
)
def test_a_filter_code_that_cannot_exist_is_a_misuse_not_an_empty_load(invoke, option, code):
    result = invoke("load", sample("rna_waldec_20241001.zip"), option, code)
    assert result.exit_code == 2
    assert result.output.splitlines()[-1].startswith(f"Error: {option} {code}: ")
    assert not invoke.store.exists() or "rna-waldec" not in invoke("sources").output


def test_a_streamed_register_load_is_in_the_history_of_the_actors_it_gives(invoke):
    assert (
        invoke(
            "load", sample("v_region_2024.csv"), sample("v_departement_2024.csv"), sample("v_commune_2024.csv")
        ).exit_code
        == 0
    )
    assert invoke("load", sample("rna_waldec_20241001.zip")).exit_code == 0
    assert invoke("load", sample("rna_waldec_20241001.zip")).output == "rna-waldec: unchanged (already loaded)\n"
    rows = json.loads(invoke("history", "RSI", "--format", "json").output)
    assert [(row["action"], row["source"], row["contributor"]) for row in rows] == [("load", "rna-waldec", "test")]
    assert rows[0]["what"] == ["rna-waldec loaded (8 nodes, 8 relations), this actor among them"]
    assert not [
        row
        for row in json.loads(invoke("history", "Rosny-sous-Bois", "--format", "json").output)
        if row["source"] == "rna-waldec"
    ]


# --------------------------------------------------------------------------- the streamed write


def _demo_batch(demo_path: Path) -> Batch:
    return read_sources([demo_path], None, "test")[0]


def test_streamed_write_gives_the_same_graph_as_a_batch_write(tmp_path, demo_path):
    batch = _demo_batch(demo_path)
    batched, streamed = open_store(str(tmp_path / "a.db")), open_store(str(tmp_path / "b.db"))
    try:
        batched.write(batch)
        records = [*batch.relations[:40], *batch.nodes, *batch.relations[40:]]
        assert not streamed.write_stream(batch.source, iter(records), chunk_size=7).unchanged
        assert streamed.nodes() == batched.nodes() and streamed.relations() == batched.relations()
        assert streamed.write_stream(batch.source, iter(records), chunk_size=7).unchanged
        streamed.write_stream(batch.source, iter(batch.nodes[:5]))
        assert len(streamed.nodes()) == 5 and streamed.relations() == []
        streamed.write_stream(batch.source, iter(records), chunk_size=11)
        assert streamed.nodes() == batched.nodes() and streamed.relations() == batched.relations()
        assert [n.id for n in streamed.find("CG93")] == ["collectivite:dep-93"]
    finally:
        batched.close()
        streamed.close()


def test_streamed_write_shares_nodes_with_other_sources(sqlite_store, demo_path):
    sqlite_store.write(_demo_batch(demo_path))
    source = Source("register", "test", "t")
    nanterre = Node("collectivite:com-92050", "Collectivite", "Nanterre", ("Ville de Nanterre",), {"cog_year": "2024"})
    association = Node("association:rna-W922003456", "Association", "NANTERRE SOLIDARITÉ", (), {"rna_id": "W922003456"})
    records = [
        RelationRecord(Relation(association.id, "LOCATED_IN", nanterre.id), "r:2"),
        NodeRecord(association, "r:2"),
        NodeRecord(nanterre, "r:3"),
    ]
    sqlite_store.write_stream(source, iter(records))
    merged = sqlite_store.get("collectivite:com-92050")
    assert merged.attrs["cog_year"] == "2024" and merged.attrs["insee_code"] == "92050"
    assert Relation(association.id, "LOCATED_IN", nanterre.id) in sqlite_store.relations(nanterre.id)
    sqlite_store.unload("register")
    assert "cog_year" not in sqlite_store.get("collectivite:com-92050").attrs
    assert sqlite_store.get(association.id) is None


def test_streamed_write_rolls_back_when_the_records_fail(sqlite_store, demo_path):
    sqlite_store.write(_demo_batch(demo_path))
    before = (sqlite_store.nodes(), sqlite_store.relations(), sqlite_store.sources())

    def failing():
        yield NodeRecord(Node("association:rna-W931000001", "Association", "A"), "f:2")
        raise LoadError([], "bad rows")

    with pytest.raises(LoadError):
        sqlite_store.write_stream(Source("register", "test", "t"), failing(), chunk_size=1)
    dangling = [RelationRecord(Relation("collectivite:com-92050", "LOCATED_IN", "collectivite:com-99999"), "f:3")]
    with pytest.raises(LoadError) as error:
        sqlite_store.write_stream(Source("register", "test", "t"), iter(dangling))
    assert "collectivite:com-99999" in str(error.value.problems[0])
    clash = [NodeRecord(Node("collectivite:com-92050", "Association", "Nanterre"), "f:4")]
    with pytest.raises(LoadError):
        sqlite_store.write_stream(Source("register", "test", "t"), iter(clash))
    assert (sqlite_store.nodes(), sqlite_store.relations(), sqlite_store.sources()) == before


@pytest.mark.parametrize(
    "text",
    [
        "ROSNY SOLIDARITÉ INTERNATIONALE",
        "Cités Unies–France",
        " L’Haÿ-les-Roses ",
        "Œuvre",
        "Straße",
        "İzmir",
        "東京",
        "ﬁne",
    ],
)
def test_fast_name_key_folds_like_normalise(text):
    assert name_key(text) == normalise(text)


@settings(max_examples=3000, deadline=None)
@given(
    st.text(st.characters(max_codepoint=0xFF))
    | st.text(st.characters(max_codepoint=0x17F) | st.sampled_from("\u2019\u2018\u2013\u2014\u2212\u0153\u0301\u2028"))
    | st.text()
)
def test_fast_name_key_folds_like_normalise_whatever_the_text(text):
    assert name_key(text) == normalise(text)


def test_loaders_stream_rna_without_holding_the_file(tmp_path, monkeypatch):
    # Rows are read ahead only as far as the run whose communes are looked up together.
    monkeypatch.setattr(rna, "_LOOKUP_ROWS", 2)
    (load,) = open_sources([SAMPLES / "rna_waldec_20241001.zip"], None, "t", options=LoadOptions())
    records = iter(load.records)
    first = next(records)
    assert isinstance(first, NodeRecord) and load.report.rows_read == 2
    assert json.loads(json.dumps(first.node.attrs))["rna_id"] == "W751000123"
    with zipfile.ZipFile(SAMPLES / "rna_waldec_20241001.zip") as archive:
        assert len(archive.namelist()) == 3


def test_banatic_members_that_are_not_communes_are_listed_not_loaded(invoke, tmp_path):
    perimeter = tmp_path / "banatic_perimetre_epci_2024.xls"
    text = (SAMPLES / "banatic_perimetre_epci_2024.xls").read_bytes().decode("cp1252")
    text += "200054781\tMétropole du Grand Paris\tMETRO\t30/12/2015\t01/01/2016\t75\tParis\t131\t7075028\tGroupement\t257501234\tSyndicat des eaux\t75\tNon\r\n"
    perimeter.write_bytes(text.encode("cp1252"))
    result = invoke("load", str(perimeter))
    assert result.exit_code == 0, result.output
    assert "1 member(s) that are not communes left out: Syndicat des eaux (Groupement)" in result.output


def test_mapped_xlsx_numbers_never_pass_as_codes_without_their_zero(invoke, tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(
        [
            "Collectivité territoriale française",
            "Type de collectivité",
            "Code INSEE",
            "Collectivité partenaire",
            "Pays partenaire",
            "Intitulé du projet",
        ]
    )
    sheet.append(["Seine-Saint-Denis", "Département", 93, "Commune de Figuig", "Maroc", "Eau à Figuig"])
    sheet.append(["Ain", "Département", 1, "Commune de Ségou", "Mali", "Culture à Ségou"])
    path = tmp_path / "export.xlsx"
    workbook.save(path)
    result = invoke("load", str(path), "--mapping", "cooperation")
    assert result.exit_code == 1
    assert "export.xlsx[Sheet]:3: column 'Code INSEE': '1' is not an INSEE departement code" in result.output
    result = invoke("load", str(path), "--mapping", "cooperation", "--skip-bad-rows")
    assert result.exit_code == 0, result.output
    assert node(invoke.store, "collectivite:dep-93").attrs["insee_code"] == "93"
    assert node(invoke.store, "collectivite:dep-1") is None


def test_short_rows_and_a_late_encoding_change_are_reported_not_guessed(invoke, tmp_path):
    header = ";".join(WALDEC_COLUMNS)
    good = (SAMPLES / "rna_waldec_20241001_dpt_93.csv").read_text(encoding="utf-8").splitlines()[1]
    filler = "\r\n".join(good.replace("W932001234", f"W93{n:07d}") for n in range(3000))
    late = good.replace("W932001234", "W939999999").replace("ROSNY SOLIDARITÉ", "ROSNY SOLIDARIT\u00c9")
    path = tmp_path / "rna_waldec_20241001_dpt_93.csv"
    path.write_bytes(
        (header + "\r\n" + filler + "\r\nW931234567;;;short row\r\n").encode("utf-8") + late.encode("cp1252") + b"\r\n"
    )
    assert path.stat().st_size > (1 << 20)
    rejected = tmp_path / "rejected.csv"
    result = invoke("load", str(path), "--skip-bad-rows", "--rejected", str(rejected))
    assert result.exit_code == 0, result.output
    assert "ROSNY SOLIDARIT\\xc9" in rejected.read_text(encoding="utf-8")
    assert "rna_waldec_20241001_dpt_93.csv:3002: 4 cells where the header has 39 columns" in result.output
    assert "rna_waldec_20241001_dpt_93.csv:3003: column 'titre': cannot be decoded as utf-8" in result.output
    assert node(invoke.store, "association:rna-W939999999") is None
    assert node(invoke.store, "association:rna-W930002999") is not None


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_text_read_in_blocks_gives_the_lines_a_text_stream_gives(tmp_path, monkeypatch, encoding):
    text = 'id;titre\r\nW1;"ÉCOLE\r\nDU SOIR"\r\nW2;Œuvre\rW3;Forêt\nW4;"a\rb"\r\n\r\nW5;Été'
    clean = tmp_path / "clean.csv"
    clean.write_bytes(text.encode(encoding))
    damaged = tmp_path / "damaged.csv"
    # 0x81 decodes neither as UTF-8 nor as cp1252.
    damaged.write_bytes(text.encode(encoding).replace(b"W4", b"W\x81"))
    for path, undecoded in ((clean, False), (damaged, True)):
        with open(path, encoding=encoding, newline="", errors="surrogateescape") as stream:
            expected = list(stream)
        # Blocks of every small size cut line ends, "\r\n" pairs and multi-byte characters.
        for size in (1, 2, 3, 5, 1 << 20):
            monkeypatch.setattr(rna, "_BLOCK", size)
            with open(path, "rb") as raw:
                lines = rna._Lines(raw, encoding)
                assert list(lines) == expected
                assert lines.undecoded is undecoded


def test_rows_with_and_without_quotes_are_read_as_the_csv_module_reads_them(tmp_path):
    good = (SAMPLES / "rna_waldec_20241001_dpt_93.csv").read_text(encoding="utf-8").splitlines()[1].split(";")
    title = WALDEC_COLUMNS.index("titre")

    def row(number: int, **cells: str) -> list[str]:
        values = list(good)
        values[0] = f"W93{number:07d}"
        for column, value in cells.items():
            values[WALDEC_COLUMNS.index(column)] = value
        return values

    rows = [
        row(1),
        row(2, titre='LES "AMIS" ; DU QUARTIER'),
        row(3, objet="sur deux\r\nlignes", titre="MULTI"),
        row(4, titre="APRÈS"),
        ["W930000005", "ligne courte"],
        row(6, objet='"', titre="FIN ; DE FICHIER"),
    ]
    path = tmp_path / "rna_waldec_20241001_dpt_93.csv"
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(WALDEC_COLUMNS)
        writer.writerows(rows[:4])
        out.write("\r\n")
        writer.writerows(rows[4:])
    expected, line = [], 1
    with open(path, encoding="utf-8", newline="") as stream:
        reader = csv.reader(stream, delimiter=";")
        next(reader)
        for cells in reader:
            if len(cells) == len(WALDEC_COLUMNS):
                expected.append((cells[title], f"{path.name}:{line + 1}"))
            line = reader.line_num
    assert [cells[title] for cells in rows if len(cells) > title] == [t for t, _ in expected]
    report = rna.LoadReport()
    kept = list(rna._kept(rna.rna_members(path), LoadOptions(strict=False), report))
    assert [(k[1], k[9]) for k in kept] == expected
    assert [k[9] for k in kept] == [f"{path.name}:{n}" for n in (2, 3, 4, 6, 9)]
    assert [(p.line, p.message) for p in report.problems] == [(8, "2 cells where the header has 39 columns")]


# --------------------------------------------------------------------------- fields set aside


def _one_row_extract(tmp_path: Path, encoding: str, **cells: str) -> Path:
    """The sample's first association alone, some of its cells replaced, in ``encoding``."""
    with open(SAMPLES / "rna_waldec_20241001_dpt_93.csv", encoding="utf-8", newline="") as stream:
        header, first = list(csv.reader(stream, delimiter=";"))[:2]
    first = [cells.get(column, cell) for column, cell in zip(header, first)]
    path = tmp_path / "rna_waldec_20241101_dpt_93.csv"
    with open(path, "w", encoding=encoding, newline="") as out:
        csv.writer(out, delimiter=";", lineterminator="\r\n").writerow(header)
        csv.writer(out, delimiter=";", lineterminator="\r\n").writerow(first)
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_a_siret_failing_its_checksum_is_set_aside_and_the_association_loads_by_default(invoke, tmp_path, encoding):
    assert invoke("load", *map(str, COG)).exit_code == 0
    extract = _one_row_extract(tmp_path, encoding, siret="45678912300018")
    result = invoke("load", str(extract))
    assert result.exit_code == 0, result.output
    assert "rna-waldec: 1 nodes, 1 relations loaded from 1 rows; 1 field set aside (siret 1)" in result.output
    assert "note: --rejected FILE.csv lists them" in result.output
    rsi = node(invoke.store, "association:rna-W932001234")
    assert rsi.name == "ROSNY SOLIDARITÉ INTERNATIONALE" and "siret" not in rsi.attrs
    assert rsi.attrs["date"] == "2012-03-14" and rsi.attrs["postal_code"] == "93110"
    assert located_in(invoke.store, rsi.id) == {"collectivite:com-93064"}


def test_real_anomalies_of_the_register_behave_as_documented(invoke, tmp_path):
    assert invoke("load", *map(str, COG)).exit_code == 0
    rejected = tmp_path / "set-aside.csv"
    result = invoke("load", sample("rna_waldec_20241001_dpt_93_anomalies.csv"), "--rejected", str(rejected))
    assert result.exit_code == 0, result.output
    assert (
        "rna-waldec: 7 nodes, 7 relations loaded from 7 rows; "
        "6 fields set aside (date_creat 2, siret 2, adrs_codepostal 1, objet_social1 1)"
    ) in result.output

    def attrs(number: int) -> dict:
        return dict(node(invoke.store, f"association:rna-W93200450{number}").attrs)

    # La Poste's establishments follow their own rule, not Luhn's: the SIRET is kept.
    assert attrs(1)["siret"] == "35600000052135"
    assert "siret" not in attrs(2) and attrs(2)["date"] == "2010-05-20"
    assert "date" not in attrs(3)
    # An empty postal code is no value, not a wrong one: nothing to set aside.
    assert "postal_code" not in attrs(4) and located_in(invoke.store, "association:rna-W932004504") == {
        "collectivite:com-93064"
    }
    assert "date" not in attrs(5) and "postal_code" not in attrs(5)
    assert "siret" not in attrs(6)
    assert attrs(7)["object_codes"] == ["006020"]
    assert node(invoke.store, "association:rna-W932004504").name == "JARDINS PARTAGÉS DU BOIS-PERRIER"

    assert rejected.read_bytes().startswith(codecs.BOM_UTF8)
    with open(rejected, encoding="utf-8-sig", newline="") as stream:
        rows = [
            (r["line"], r["column"], r["value"], r["reason"], r["outcome"])
            for r in csv.DictReader(stream, delimiter=";")
        ]
    assert rows == [
        ("3", "siret", "45678912300018", "not a valid SIRET (checksum fails)", "field set aside"),
        ("4", "date_creat", "0001-01-01", "0001-01-01 stands for no date", "field set aside"),
        ("6", "date_creat", "2019-02-30", "not a day of the calendar", "field set aside"),
        ("6", "adrs_codepostal", "9311", "not a postal code (5 digits)", "field set aside"),
        ("7", "siret", "732 829 320 00074", "not a SIRET (14 digits)", "field set aside"),
        ("8", "objet_social1", "19000", "not a social-object code (6 digits)", "field set aside"),
    ]


@pytest.mark.parametrize(
    "cells, reason",
    [
        ({"date_creat": "2099-01-01"}, "in the future"),
        ({"date_creat": "1018-06-01"}, "before 1800"),
        ({"siteweb": "www.rosny-solidarit\u00c3\u00a9.example"}, "looks mis-encoded"),
    ],
)
def test_implausible_dates_and_damaged_web_sites_are_set_aside(invoke, tmp_path, cells, reason):
    rejected = tmp_path / "set-aside.csv"
    result = invoke("load", str(_one_row_extract(tmp_path, "utf-8", **cells)), "--rejected", str(rejected))
    assert result.exit_code == 0, result.output
    (column,) = cells
    assert f"1 field set aside ({column} 1)" in result.output
    with open(rejected, encoding="utf-8-sig", newline="") as stream:
        (row,) = csv.DictReader(stream, delimiter=";")
    assert row["column"] == column and row["value"] == cells[column] and reason in row["reason"]


def test_a_row_that_cannot_be_an_association_is_still_rejected(invoke, tmp_path):
    result = invoke("load", str(_one_row_extract(tmp_path, "utf-8", titre="", siret="45678912300018")))
    assert result.exit_code == 1
    assert "rna_waldec_20241101_dpt_93.csv:2: column 'titre': titre is empty" in result.output


def test_cog_and_banatic_set_aside_secondary_fields_and_keep_the_row(invoke, tmp_path):
    communes = tmp_path / "v_commune_2024.csv"
    communes.write_text(
        (SAMPLES / "v_commune_2024.csv").read_text(encoding="utf-8").replace("COM,93008,11,93,", "COM,93008,11,9Z,"),
        encoding="utf-8",
    )
    result = invoke("load", *map(str, COG[:2]), str(communes))
    assert result.exit_code == 0, result.output
    assert "insee-cog-communes: 23 nodes, 22 relations loaded from 23 rows; 1 field set aside (DEP 1)" in result.output
    assert (
        node(invoke.store, "collectivite:com-93008").name == "Bobigny"
        and located_in(invoke.store, "collectivite:com-93008") == set()
    )

    perimeter = tmp_path / "banatic_perimetre_epci_2024.xls"
    text = (SAMPLES / "banatic_perimetre_epci_2024.xls").read_bytes().decode("cp1252")
    perimeter.write_bytes(text.replace("\tMETRO\t", "\tMÉTROPOLE\t").encode("cp1252"))
    result = invoke("load", str(perimeter), "--siren-table", sample("banatic_siren_insee_2024.csv"))
    assert result.exit_code == 0, result.output
    metropole = text.count("\tMETRO\t")
    assert f"field{'s' if metropole > 1 else ''} set aside (Nature juridique {metropole})" in result.output
    grand_paris = node(invoke.store, "collectivite:epci-200054781")
    assert grand_paris.attrs["siren"] == "200054781" and "nature" not in grand_paris.attrs
    _, relations = graph_of(invoke.store)
    assert Relation("collectivite:com-93064", "MEMBER_OF", "collectivite:epci-200054781") in relations
