"""How fast documents are read for the actors they name, against the French model alone.

Writes a 100-page PDF (reportlab) of French newsletter prose naming authorities,
associations, people and countries, builds a gazetteer of 50,000 names (the
store's names as a register-sized store would give them), and prints:

* the gazetteer's build time and the time to match it over the whole text;
* ``maillage.loaders.documents.extract`` on the PDF (read, clean, gazetteer,
  patterns, model, fuzzy links, ties; the model already loaded): pages/s and words/s;
* the model alone (``nlp.pipe`` over the same paragraphs): words/s, and the ratio.

    python bench/extract.py               # 100 pages, 50,000 names
    python bench/extract.py --pages 20 --no-record
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from maillage.graph.model import Node, make_id
from maillage.loaders.documents import extract, read_document
from maillage.loaders.documents.extraction import french_model
from maillage.loaders.documents.gazetteer import Gazetteer
from maillage.loaders.documents.reading import paragraphs_of

TARGET_SECONDS_100_PAGES = 30.0
_SYLLABLES = [
    "ber",
    "lan",
    "mon",
    "val",
    "cha",
    "ro",
    "vi",
    "gnac",
    "lor",
    "ient",
    "quim",
    "per",
    "bre",
    "tagne",
    "sau",
    "mur",
    "ville",
    "neuve",
    "fon",
    "taine",
    "mar",
    "seil",
    "lac",
    "bois",
    "pre",
]


def place_name(rng: random.Random) -> str:
    name = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
    return rng.choice([name, name, f"Saint-{name}", f"{name}-sur-{rng.choice(['Loire', 'Mer', 'Seine'])}"])


def names(count: int, seed: int = 16) -> list[Node]:
    """``count`` nodes with French-looking names: communes, associations, people."""
    rng = random.Random(seed)
    nodes: dict[str, Node] = {}
    while len(nodes) < count:
        draw = rng.random()
        if draw < 0.6:
            node = Node("", "Collectivite", place_name(rng), (), {"level": "commune"})
        elif draw < 0.9:
            name = f"{rng.choice(['Association', 'Comité de jumelage', 'Amicale', 'Collectif'])} {place_name(rng)} {rng.choice(['Solidarité', 'Avenir', 'Entraide', 'Partage'])}"
            node = Node("", "Association", name, ())
        else:
            node = Node("", "Person", f"{rng.choice(['Anne', 'Yves', 'Awa', 'Malik', 'Claire'])} {place_name(rng)}", ())
        node_id = make_id(node.kind, node.name)
        nodes.setdefault(node_id, Node(node_id, node.kind, node.name, node.aliases, node.attrs))
    return list(nodes.values())


def write_pdf(path: Path, pages: int, known: list[Node], seed: int = 16) -> None:
    """About ``pages`` pages of newsletter prose (one page-long issue each)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    rng = random.Random(seed)
    styles = getSampleStyleSheet()
    communes = [n.name for n in known if n.kind == "Collectivite"]
    associations = [n.name for n in known if n.kind == "Association"]
    countries = ["Sénégal", "Mali", "Burkina Faso", "Maroc", "Tunisie", "Madagascar", "Haïti", "Viêt Nam"]
    story = []
    for page in range(pages):
        story.append(Paragraph(f"Lettre du réseau régional n° {page + 1}", styles["Heading1"]))
        for _ in range(5):
            town, partner, group = rng.choice(communes), place_name(rng), rng.choice(associations)
            story.append(
                Paragraph(
                    f"La Ville de {town} et la commune de {partner}, au {rng.choice(countries)}, ont renouvelé leur accord de "
                    f"coopération décentralisée pour trois ans. Le festival annuel, co-organisé par la Ville de {town} et "
                    f"l'{group}, a réuni plus de deux mille personnes au printemps. Le Conseil départemental du Finistère "
                    f"soutient depuis 2019 les projets d'accès à l'eau et d'assainissement menés avec les habitants ; le projet "
                    f"est financé par l'Agence française de développement (AFD). Yannick {place_name(rng)}, chargé de mission à la "
                    f"Ville de {town}, a présenté le bilan aux élus et aux associations du territoire, qui préparent ensemble "
                    f"une mission d'échanges et une exposition itinérante dans les écoles.",
                    styles["BodyText"],
                )
            )
        if page + 1 < pages:
            story.append(PageBreak())
    SimpleDocTemplate(str(path), pagesize=A4).build(story)


def timed(work):
    """What ``work()`` gives, and (wall-clock seconds, CPU seconds of this process) it took: on a
    shared machine the CPU time tells the work's own cost when the wall clock waits for others."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, (time.perf_counter() - wall, time.process_time() - cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--names", type=int, default=50_000)
    parser.add_argument("--no-record", action="store_true", help="Print only; do not append to bench/RESULTS.md.")
    options = parser.parse_args()

    known = names(options.names)
    with tempfile.TemporaryDirectory() as folder:
        pdf = Path(folder) / "lettres.pdf"
        write_pdf(pdf, options.pages, known)
        (gazetteer, built) = timed(lambda: Gazetteer(known))
        document = read_document(pdf)
        paragraphs = [p.text for p in paragraphs_of(document)]
        matched, matching = timed(lambda: sum(len(gazetteer.find(text)) for text in paragraphs))
        nlp, loading = timed(french_model)
        found, ours = timed(lambda: extract([pdf], known, gazetteer=gazetteer))
        entities, model_alone = timed(lambda: sum(len(doc.ents) for doc in nlp.pipe(paragraphs)))

    words = document.words
    lines = [
        f"gazetteer: {len(gazetteer):,} names built in {built[0]:.2f} s (CPU {built[1]:.2f} s); matched over {words:,} words "
        f"in {matching[0]:.2f} s (CPU {matching[1]:.2f} s, {matched:,} matches)",
        f"model load (once): {loading[0]:.1f} s",
        f"extract {document.pages}-page PDF: {ours[0]:.1f} s (CPU {ours[1]:.1f} s), {document.pages / ours[0]:.1f} pages/s, "
        f"{words / ours[0]:,.0f} words/s ({len(found.proposals):,} proposals, {len(found.ties):,} ties)",
        f"model alone (nlp.pipe, {entities:,} entities): {model_alone[0]:.1f} s (CPU {model_alone[1]:.1f} s), "
        f"{words / model_alone[0]:,.0f} words/s",
        f"ratio extract / model alone: {ours[0] / model_alone[0]:.2f} (CPU {ours[1] / model_alone[1]:.2f})",
    ]
    for line in lines:
        print(line)
    if document.pages >= 100 and ours[0] > TARGET_SECONDS_100_PAGES:
        print(f"  above the {TARGET_SECONDS_100_PAGES:.0f} s target for a 100-page PDF")
    if not options.no_record:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from results import record

        record("extract", lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
