import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from maillage.graph.errors import InvalidCode, ModelError, UnknownKind, UnknownRelationType
from maillage.graph.model import (
    _luhn_ok,
    check_attribute,
    check_kind,
    check_node_id,
    check_relation,
    check_relation_type,
    make_id,
    normalise,
    validate_insee,
    validate_rna,
    validate_siren,
    validate_siret,
)


@pytest.mark.parametrize(
    "code, level",
    [
        ("01001", "commune"),
        ("2A004", "commune"),
        ("2B033", "commune"),
        ("97101", "commune"),
        ("97611", "commune"),
        ("2A", "departement"),
        ("971", "departement"),
        ("01", "departement"),
        ("93", "departement"),
        ("11", "region"),
        ("94", "region"),
        ("01", "region"),
    ],
)
def test_insee_codes_are_accepted_as_text(code, level):
    assert validate_insee(code, level) == code


@pytest.mark.parametrize(
    "code, level",
    [
        ("1001", "commune"),
        ("2C004", "commune"),
        ("20004", "commune"),
        ("977", "departement"),
        ("20", "departement"),
        ("96", "departement"),
        ("9", "region"),
        ("1001.0", "commune"),
    ],
)
def test_malformed_insee_codes_are_rejected(code, level):
    with pytest.raises(InvalidCode):
        validate_insee(code, level)


def textbook_luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


@given(st.text(alphabet="0123456789", max_size=20))
def test_the_luhn_checksum_is_the_textbook_one(digits):
    assert _luhn_ok(digits) is textbook_luhn(digits)


def test_sirets_pass_or_fail_as_the_textbook_checksum_says():
    rng = random.Random(5)
    for _ in range(2000):
        code = "".join(rng.choice("0123456789") for _ in range(14))
        if textbook_luhn(code) or (code.startswith("356000000") and sum(map(int, code)) % 5 == 0):
            assert validate_siret(code) == code
        else:
            with pytest.raises(InvalidCode, match="checksum fails"):
                validate_siret(code)
        if textbook_luhn(code[:9]):
            assert validate_siren(code[:9]) == code[:9]
        else:
            with pytest.raises(InvalidCode, match="checksum fails"):
                validate_siren(code[:9])


def test_siren_and_siret_checksums():
    assert validate_siren("200054781") == "200054781"
    with pytest.raises(InvalidCode):
        validate_siren("200054782")
    with pytest.raises(InvalidCode):
        validate_siren("20005478")
    assert validate_siret("20005478100014") == "20005478100014"
    with pytest.raises(InvalidCode):
        validate_siret("20005478100015")


def test_rna_ids():
    assert validate_rna("W931000123") == "W931000123"
    assert validate_rna("931002345") == "931002345"
    with pytest.raises(InvalidCode):
        validate_rna("X12")


def test_closed_lists():
    assert check_kind("Theme") == "Theme"
    with pytest.raises(UnknownKind):
        check_kind("Theme`) DETACH DELETE n //")
    assert check_relation_type("WORKS_ON") == "WORKS_ON"
    with pytest.raises(UnknownRelationType):
        check_relation_type("KNOWS")


def test_relation_endpoints_and_roles_are_checked():
    check_relation("TAKES_PART_IN", "Association", "Project", "lead")
    with pytest.raises(ModelError, match="cannot point to a Theme"):
        check_relation("TAKES_PART_IN", "Association", "Theme")
    with pytest.raises(ModelError, match="unknown role"):
        check_relation("TAKES_PART_IN", "Association", "Project", "boss")
    with pytest.raises(ModelError, match="only given to TAKES_PART_IN"):
        check_relation("WORKS_ON", "Association", "Theme", "lead")


def test_ids_prefer_official_codes():
    assert (
        make_id("Collectivite", "Seine-Saint-Denis", {"level": "departement", "insee_code": "93"})
        == "collectivite:dep-93"
    )
    assert make_id("Collectivite", "Ajaccio", {"level": "commune", "insee_code": "2A004"}) == "collectivite:com-2A004"
    assert (
        make_id("Collectivite", "Est Ensemble", {"level": "epci", "siren": "200057875"})
        == "collectivite:epci-200057875"
    )
    assert make_id("Association", "Cités Unies France") == "association:cites-unies-france"
    assert make_id("Country", "Sénégal", {"country": "SN"}) == "country:sn"
    with pytest.raises(ModelError):
        make_id("Theme", "!!!")


def test_ids_must_match_their_kind():
    assert check_node_id("theme:paix", "Theme") == "theme:paix"
    with pytest.raises(ModelError, match="does not start with theme:"):
        check_node_id("association:paix", "Theme")


def test_attributes_keep_codes_as_text_and_split_lists():
    assert check_attribute("Collectivite", "insee_code", "01001") == "01001"
    with pytest.raises(ModelError, match="never numbers"):
        check_attribute("Collectivite", "insee_code", 1001)
    assert check_attribute("Project", "countries", "SN|ML | BF") == ["SN", "ML", "BF"]
    with pytest.raises(ModelError, match="has no attribute"):
        check_attribute("Theme", "siren", "200054781")


def test_normalise_folds_accents_case_dashes_and_apostrophes():
    assert normalise("Conseil régional d’Île-de-France") == normalise("conseil regional d'ile de france")
