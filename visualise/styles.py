"""How the map looks and speaks: colours and shapes by kind, edge styles by relation
type, palettes for communities and themes, and the French and English wording.

Colours follow the Okabe–Ito palette, which stays distinguishable for the
common forms of colour blindness.
"""

from __future__ import annotations

from ..graph.model import ROLES

__all__ = [
    "ATTRIBUTE_LABELS",
    "KIND_LABELS",
    "KIND_STYLES",
    "LANGS",
    "METRIC_LABELS",
    "NO_GROUP_COLOUR",
    "PALETTE",
    "RELATION_LABELS",
    "RELATION_STYLES",
    "ROLE_LABELS",
    "UI_TEXT",
    "palette_colour",
    "text",
]

LANGS: tuple[str, ...] = ("fr", "en")

#: kind -> (fill colour, vis-network shape)
KIND_STYLES: dict[str, tuple[str, str]] = {
    "Collectivite": ("#0072B2", "hexagon"),
    "Association": ("#E69F00", "dot"),
    "Theme": ("#009E73", "diamond"),
    "Project": ("#CC79A7", "triangle"),
    "Person": ("#56B4E9", "triangleDown"),
    "Country": ("#D55E00", "star"),
    "Document": ("#8C8C8C", "square"),
}

#: relation type -> (colour, dashed, arrow to the target)
RELATION_STYLES: dict[str, tuple[str, bool, bool]] = {
    "TAKES_PART_IN": ("#7A7A9D", False, True),
    "MEMBER_OF": ("#3D3D3D", False, True),
    "PARTNERS_WITH": ("#E69F00", False, False),
    "WORKS_ON": ("#009E73", True, True),
    "ADDRESSES": ("#66C2A5", True, True),
    "LOCATED_IN": ("#A6A6A6", True, True),
    "ACTS_IN": ("#D55E00", True, True),
    "MENTIONS": ("#B3B3B3", True, True),
    "CONTACT_FOR": ("#56B4E9", True, True),
}

#: colours for communities and themes, in order; cycled when there are more groups
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#D55E00",
    "#56B4E9",
    "#F0E442",
    "#000000",
    "#882255",
    "#44AA99",
    "#999933",
    "#AA4499",
    "#332288",
    "#117733",
    "#DDCC77",
    "#88CCEE",
)
NO_GROUP_COLOUR = "#C8C8C8"

KIND_LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "Collectivite": "Collectivité",
        "Association": "Association",
        "Theme": "Thème",
        "Project": "Projet",
        "Person": "Personne",
        "Country": "Pays",
        "Document": "Document",
    },
    "en": {
        "Collectivite": "Local authority",
        "Association": "Association",
        "Theme": "Theme",
        "Project": "Project",
        "Person": "Person",
        "Country": "Country",
        "Document": "Document",
    },
}

RELATION_LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "TAKES_PART_IN": "participe à",
        "MEMBER_OF": "membre de",
        "PARTNERS_WITH": "partenaire de",
        "WORKS_ON": "travaille sur",
        "ADDRESSES": "porte sur",
        "LOCATED_IN": "situé dans",
        "ACTS_IN": "agit dans",
        "MENTIONS": "mentionne",
        "CONTACT_FOR": "contact pour",
    },
    "en": {
        "TAKES_PART_IN": "takes part in",
        "MEMBER_OF": "member of",
        "PARTNERS_WITH": "partners with",
        "WORKS_ON": "works on",
        "ADDRESSES": "addresses",
        "LOCATED_IN": "located in",
        "ACTS_IN": "acts in",
        "MENTIONS": "mentions",
        "CONTACT_FOR": "contact for",
    },
}

ROLE_LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "lead": "chef de file",
        "partner": "partenaire",
        "funder": "financeur",
        "organiser": "organisateur",
        "participant": "participant",
        "coeditor": "coéditeur",
    },
    "en": {role: role for role in ROLES},
}

ATTRIBUTE_LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "level": "niveau",
        "insee_code": "code INSEE",
        "cog_year": "millésime COG",
        "siren": "SIREN",
        "siret": "SIRET",
        "nature": "nature juridique",
        "rna_id": "n° RNA",
        "country": "pays",
        "category": "catégorie",
        "object_codes": "codes objet social",
        "type": "type",
        "start": "début",
        "end": "fin",
        "countries": "pays partenaires",
        "parent": "thème parent",
        "role": "fonction",
        "title": "titre",
        "date": "date",
        "website": "site web",
        "description": "description",
        "latitude": "latitude",
        "longitude": "longitude",
        "email": "courriel",
        "phone": "téléphone",
        "note": "note",
        "members": "membres",
        "examples": "principaux membres",
        "relations": "relations",
    },
    "en": {
        "level": "level",
        "insee_code": "INSEE code",
        "cog_year": "COG vintage",
        "siren": "SIREN",
        "siret": "SIRET",
        "nature": "legal nature",
        "rna_id": "RNA id",
        "country": "country",
        "category": "category",
        "object_codes": "social-object codes",
        "type": "type",
        "start": "start",
        "end": "end",
        "countries": "partner countries",
        "parent": "parent theme",
        "role": "role",
        "title": "title",
        "date": "date",
        "website": "website",
        "description": "description",
        "latitude": "latitude",
        "longitude": "longitude",
        "email": "e-mail",
        "phone": "phone",
        "note": "note",
        "members": "members",
        "examples": "main members",
        "relations": "relations",
    },
}

METRIC_LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "degree": "degré (nombre de voisins)",
        "betweenness": "intermédiarité",
        "pagerank": "PageRank",
        "closeness": "proximité",
        "eigenvector": "centralité de vecteur propre",
    },
    "en": {
        "degree": "degree (number of neighbours)",
        "betweenness": "betweenness",
        "pagerank": "PageRank",
        "closeness": "closeness",
        "eigenvector": "eigenvector centrality",
    },
}

UI_TEXT: dict[str, dict[str, str]] = {
    "fr": {
        "search": "Rechercher un acteur",
        "searchPlaceholder": "nom, alias ou identifiant",
        "noResult": "Aucun résultat",
        "filters": "Filtres",
        "kinds": "Types d'acteurs",
        "relations": "Types de relations",
        "themes": "Thèmes",
        "themesHint": "Rien de coché : tous les acteurs ; sinon, ceux liés à l'un des thèmes cochés.",
        "legend": "Légende",
        "colourBy.kind": "Couleur : type d'acteur",
        "colourBy.community": "Couleur : communauté",
        "colourBy.theme": "Couleur : thème",
        "sizeBy": "Taille : ",
        "community": "Communauté",
        "members": "membres",
        "noTheme": "Sans thème",
        "others": "Autres",
        "id": "Identifiant",
        "kind": "Type",
        "aliases": "Autres noms",
        "attributes": "Attributs",
        "relationsOf": "Relations",
        "sources": "Sources",
        "noSource": "Aucune source enregistrée",
        "close": "Fermer",
        "reset": "Tout afficher",
        "shown": "{nodes} nœuds et {edges} relations affichés sur {totalNodes} et {totalEdges}",
        "role": "rôle",
        "from": "de",
        "to": "vers",
        "loading": "Chargement de la carte…",
        "fit": "Vue d'ensemble",
        "metric": "Mesure",
        "nowhere": "{kind} sans territoire",
        "groupedBy.community": "communauté",
        "groupedBy.territory": "territoire",
        "aggregated": "Ce graphe compte {nodes} nœuds et {edges} relations, trop pour les dessiner un à un : "
        "chaque point regroupe ici les acteurs d'un même {by} ({groups} groupes), sa taille dit combien. "
        "Pour le détail, filtrez par type ou par thème, ou centrez la carte sur un acteur.",
    },
    "en": {
        "search": "Find an actor",
        "searchPlaceholder": "name, alias or id",
        "noResult": "No match",
        "filters": "Filters",
        "kinds": "Kinds of actors",
        "relations": "Kinds of relations",
        "themes": "Themes",
        "themesHint": "None checked: every actor; otherwise those tied to any checked theme.",
        "legend": "Legend",
        "colourBy.kind": "Colour: kind of actor",
        "colourBy.community": "Colour: community",
        "colourBy.theme": "Colour: theme",
        "sizeBy": "Size: ",
        "community": "Community",
        "members": "members",
        "noTheme": "No theme",
        "others": "Others",
        "id": "Id",
        "kind": "Kind",
        "aliases": "Also known as",
        "attributes": "Attributes",
        "relationsOf": "Relations",
        "sources": "Sources",
        "noSource": "No recorded source",
        "close": "Close",
        "reset": "Show all",
        "shown": "{nodes} nodes and {edges} relations shown out of {totalNodes} and {totalEdges}",
        "role": "role",
        "from": "from",
        "to": "to",
        "loading": "Loading the map…",
        "fit": "Fit to screen",
        "metric": "Measure",
        "nowhere": "{kind} with no territory",
        "groupedBy.community": "community",
        "groupedBy.territory": "territory",
        "aggregated": "This graph has {nodes} nodes and {edges} relations, too many to draw one by one: "
        "each point here gathers the actors of one {by} ({groups} groups), and its size says how many. "
        "For the detail, filter by kind or theme, or centre the map on one actor.",
    },
}


def palette_colour(index: int) -> str:
    """The colour of the ``index``-th group (community or theme), cycling through :data:`PALETTE`.

    >>> palette_colour(0), palette_colour(len(PALETTE))
    ('#0072B2', '#0072B2')
    """
    return PALETTE[index % len(PALETTE)]


def text(table: dict[str, dict[str, str]], lang: str, key: str) -> str:
    """The wording of ``key`` in ``lang``, falling back to the key itself.

    >>> text(KIND_LABELS, "fr", "Collectivite"), text(KIND_LABELS, "en", "Collectivite")
    ('Collectivité', 'Local authority')
    """
    return table.get(lang, table["fr"]).get(key, key)
