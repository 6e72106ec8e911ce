"""Country names as French and English spreadsheets write them, to ISO 3166-1 alpha-2 codes.

The list covers the partner countries of French decentralised cooperation and
their usual spellings; a mapping file can add its own (``country_codes``).
"""

from __future__ import annotations

import re

from ..graph.model import normalise

__all__ = ["COUNTRY_CODES", "country_code"]

COUNTRY_CODES: dict[str, str] = {
    normalise(name): code
    for code, names in {
        "AF": ("Afghanistan",),
        "ZA": ("Afrique du Sud", "South Africa"),
        "AL": ("Albanie", "Albania"),
        "DZ": ("Algérie", "Algeria"),
        "DE": ("Allemagne", "Germany"),
        "AR": ("Argentine", "Argentina"),
        "AM": ("Arménie", "Armenia"),
        "BE": ("Belgique", "Belgium"),
        "BJ": ("Bénin", "Benin"),
        "BO": ("Bolivie", "Bolivia"),
        "BA": ("Bosnie-Herzégovine", "Bosnia and Herzegovina"),
        "BR": ("Brésil", "Brazil"),
        "BF": ("Burkina Faso", "Burkina"),
        "BI": ("Burundi",),
        "KH": ("Cambodge", "Cambodia"),
        "CM": ("Cameroun", "Cameroon"),
        "CA": ("Canada", "Québec"),
        "CV": ("Cap-Vert", "Cabo Verde", "Cape Verde"),
        "CF": ("Centrafrique", "République centrafricaine", "Central African Republic"),
        "CL": ("Chili", "Chile"),
        "CN": ("Chine", "China"),
        "CO": ("Colombie", "Colombia"),
        "KM": ("Comores", "Comoros"),
        "CG": ("Congo", "République du Congo", "Congo-Brazzaville"),
        "CD": ("République démocratique du Congo", "RD Congo", "RDC", "Congo-Kinshasa"),
        "KR": ("Corée du Sud", "South Korea"),
        "CI": ("Côte d'Ivoire", "Ivory Coast"),
        "HR": ("Croatie", "Croatia"),
        "CU": ("Cuba",),
        "DJ": ("Djibouti",),
        "EG": ("Égypte", "Egypt"),
        "EC": ("Équateur", "Ecuador"),
        "ES": ("Espagne", "Spain"),
        "US": ("États-Unis", "Etats-Unis d'Amérique", "United States", "USA"),
        "ET": ("Éthiopie", "Ethiopia"),
        "GA": ("Gabon",),
        "GM": ("Gambie", "Gambia"),
        "GE": ("Géorgie", "Georgia"),
        "GH": ("Ghana",),
        "GR": ("Grèce", "Greece"),
        "GT": ("Guatemala",),
        "GN": ("Guinée", "Guinea"),
        "GW": ("Guinée-Bissau", "Guinea-Bissau"),
        "HT": ("Haïti", "Haiti"),
        "HU": ("Hongrie", "Hungary"),
        "IN": ("Inde", "India"),
        "ID": ("Indonésie", "Indonesia"),
        "IQ": ("Irak", "Iraq"),
        "IE": ("Irlande", "Ireland"),
        "IL": ("Israël", "Israel"),
        "IT": ("Italie", "Italy"),
        "JP": ("Japon", "Japan"),
        "JO": ("Jordanie", "Jordan"),
        "KZ": ("Kazakhstan",),
        "KE": ("Kenya",),
        "LA": ("Laos",),
        "LB": ("Liban", "Lebanon"),
        "LY": ("Libye", "Libya"),
        "LT": ("Lituanie", "Lithuania"),
        "MK": ("Macédoine du Nord", "North Macedonia"),
        "MG": ("Madagascar",),
        "ML": ("Mali",),
        "MA": ("Maroc", "Morocco"),
        "MU": ("Maurice", "Mauritius"),
        "MR": ("Mauritanie", "Mauritania"),
        "MX": ("Mexique", "Mexico"),
        "MD": ("Moldavie", "Moldova"),
        "MN": ("Mongolie", "Mongolia"),
        "MZ": ("Mozambique",),
        "NI": ("Nicaragua",),
        "NE": ("Niger",),
        "NG": ("Nigeria", "Nigéria"),
        "PS": ("Palestine", "Territoires palestiniens"),
        "PE": ("Pérou", "Peru"),
        "PH": ("Philippines",),
        "PL": ("Pologne", "Poland"),
        "PT": ("Portugal",),
        "RO": ("Roumanie", "Romania"),
        "GB": ("Royaume-Uni", "United Kingdom"),
        "RU": ("Russie", "Russia"),
        "RW": ("Rwanda",),
        "SN": ("Sénégal", "Senegal"),
        "RS": ("Serbie", "Serbia"),
        "SY": ("Syrie", "Syria"),
        "TD": ("Tchad", "Chad"),
        "CZ": ("Tchéquie", "République tchèque", "Czechia"),
        "TH": ("Thaïlande", "Thailand"),
        "TG": ("Togo",),
        "TN": ("Tunisie", "Tunisia"),
        "TR": ("Turquie", "Turkey", "Türkiye"),
        "UA": ("Ukraine",),
        "UZ": ("Ouzbékistan", "Uzbekistan"),
        "VN": ("Viêt Nam", "Vietnam", "Viet Nam"),
        "FR": ("France",),
    }.items()
    for name in names
}


def country_code(text: str, extra: dict[str, str] | None = None) -> str | None:
    """The ISO code of a country written as a code or a name, or None when unknown.

    >>> country_code("Sénégal"), country_code("viet nam"), country_code("MA"), country_code("Atlantis")
    ('SN', 'VN', 'MA', None)
    """
    text = text.strip()
    if re.fullmatch(r"[A-Z]{2}", text):
        return text
    folded = normalise(text)
    for table in (extra or {}, COUNTRY_CODES):
        if folded in table:
            return table[folded]
    return None
