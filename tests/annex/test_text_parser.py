"""Reading the seed's tab-separated annex: the golden reading, the round trip, and bad input."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from mejora.annex.areas import AreaCatalogue, AreaName, read_areas
from mejora.annex.cells import THEMES, Reading, read_due, read_progress, read_theme
from mejora.annex.dates import read_date
from mejora.annex.document import (
    ActivityEntry,
    AnnexDocument,
    AnnexRejected,
    AspectEntry,
)
from mejora.annex.parsers.text import parse_text
from mejora.annex.renderers.text import render_text
from mejora.annex.words import squash

ROOT = Path(__file__).parents[2]
SAMPLE = ROOT / "mejora" / "sample" / "anexo-e-opciones-productivas-2012-03.txt"
SEDESOL_AREAS = ROOT / "mejora" / "sample" / "sedesol-areas.json"
EXPECTED = json.loads((ROOT / "tests" / "data" / "seed_expected.json").read_text("utf-8"))
SEED_BYTES = SAMPLE.read_bytes()
SEED_TEXT = SEED_BYTES.decode("utf-8")


def sedesol_catalogue() -> AreaCatalogue:
    data = json.loads(SEDESOL_AREAS.read_text(encoding="utf-8"))
    return AreaCatalogue(
        AreaName(area["name"], area.get("acronym", ""), tuple(area.get("aliases", ())))
        for area in data["areas"]
    )


@pytest.fixture(
    scope="module",
    params=[
        pytest.param(lambda: None, id="without-catalogue"),
        pytest.param(sedesol_catalogue, id="with-sedesol-catalogue"),
    ],
)
def seed(request) -> AnnexDocument:
    return parse_text(SEED_BYTES, catalogue=request.param())


def aspect_id(cycle: dict, aspect: dict) -> str:
    return f"{cycle['mechanism_year']}/{aspect['no']}"


CYCLES = [pytest.param(i, cycle, id=cycle["heading"]) for i, cycle in enumerate(EXPECTED["cycles"])]
ASPECTS = [
    pytest.param(i, j, aspect, id=aspect_id(cycle, aspect))
    for i, cycle in enumerate(EXPECTED["cycles"])
    for j, aspect in enumerate(cycle["aspects"])
]
ACTIVITIES = [
    pytest.param(i, j, k, activity, id=f"{aspect_id(cycle, aspect)}.{k + 1}")
    for i, cycle in enumerate(EXPECTED["cycles"])
    for j, aspect in enumerate(cycle["aspects"])
    for k, activity in enumerate(aspect["activities"])
]
PRODUCTS = [
    pytest.param(i, j, int(key.split("_")[3]), text, id=f"{aspect_id(cycle, aspect)}.{key}")
    for i, cycle in enumerate(EXPECTED["cycles"])
    for j, aspect in enumerate(cycle["aspects"])
    for key, text in aspect.items()
    if key.startswith("product_of_activity_")
]


def activity_of(doc: AnnexDocument, i: int, j: int, k: int) -> ActivityEntry:
    return doc.sections[i].aspects[j].activities[k]


def where_of(i: int, j: int, k: int) -> str:
    cycle = EXPECTED["cycles"][i]
    return f"ASM {aspect_id(cycle, cycle['aspects'][j])} · actividad {k + 1}"


# --- The golden reading of the seed -------------------------------------------------------------


@pytest.mark.parametrize("field", ["title", "institution", "program", "annex"])
def test_it_reads_the_header_lines_of_the_annex(seed, field):
    assert getattr(seed, field) == EXPECTED[field]


def test_it_knows_the_seed_is_an_anexo_e(seed):
    assert seed.kind == "anexo-e"


def test_it_reads_the_preparation_date_at_month_precision(seed):
    prepared = EXPECTED["prepared"]

    assert seed.prepared.text == prepared["text"]
    assert seed.prepared.iso() == prepared["date"]
    assert seed.prepared.precision == prepared["precision"]


def test_it_reads_the_footnote_that_appears_mid_table(seed):
    assert seed.footnote.startswith(EXPECTED["footnote_marker"] + " En caso de un replanteamiento")


def test_it_reads_nine_asm_and_twenty_activities(seed):
    assert len(seed.sections) == len(EXPECTED["cycles"]) == 2
    assert seed.aspect_count() == 9
    assert seed.activity_count() == 20


@pytest.mark.parametrize(("i", "cycle"), CYCLES)
def test_it_reads_each_cycle_heading(seed, i, cycle):
    section = seed.sections[i]

    assert section.heading == cycle["heading"]
    assert section.classification == cycle["classification"]
    assert section.evaluation_period == cycle["evaluation_period"]
    assert section.mechanism_year == cycle["mechanism_year"]
    assert [a.number for a in section.aspects] == [a["no"] for a in cycle["aspects"]]


@pytest.mark.parametrize(("i", "j", "aspect"), ASPECTS)
def test_it_reads_each_asm_number_theme_and_statement(seed, i, j, aspect):
    read = seed.sections[i].aspects[j]

    assert read.number == aspect["no"]
    assert read.theme == aspect["theme"]
    assert read.statement.startswith(aspect["text_starts"])
    assert read.text.endswith(read.statement)
    assert len(read.activities) == len(aspect["activities"])


@pytest.mark.parametrize(("i", "j", "k", "activity"), ACTIVITIES)
def test_it_reads_each_activity_text_whole_across_page_breaks(seed, i, j, k, activity):
    text = activity_of(seed, i, j, k).text

    assert text.startswith(activity["text_starts"])
    assert text.endswith(activity["text_ends"])


@pytest.mark.parametrize(("i", "j", "k", "activity"), ACTIVITIES)
def test_it_reads_each_activity_areas_as_written(seed, i, j, k, activity):
    read = activity_of(seed, i, j, k)

    assert [area.name for area in read.coordinating.areas] == activity["coordinating_areas"]
    assert [area.name for area in read.responsible.areas] == activity["responsible_areas"]


@pytest.mark.parametrize(("i", "j", "k", "activity"), ACTIVITIES)
def test_it_reads_each_activity_due_date(seed, i, j, k, activity):
    assert activity_of(seed, i, j, k).due.due.iso() == activity["due"]


@pytest.mark.parametrize(("i", "j", "k", "activity"), ACTIVITIES)
def test_it_reads_each_activity_progress_conclusion_and_replanning(seed, i, j, k, activity):
    read = activity_of(seed, i, j, k)
    expected = activity.get("concluded")

    assert read.percent == activity["progress"]
    if expected is None:
        assert read.concluded is None
    else:
        assert read.concluded.text == expected["text"]
        assert read.concluded.iso() == expected["date"]
        assert read.concluded.precision == expected["precision"]
    assert read.progress.replanning is activity.get("replanning")


@pytest.mark.parametrize(("i", "j", "k", "activity"), ACTIVITIES)
def test_it_flags_a_due_date_for_review_only_when_it_is_ambiguous(seed, i, j, k, activity):
    flagged = [
        f
        for f in seed.findings
        if f.kind == "ambiguous_date"
        and where_of(i, j, k) in f.where
        and "Fecha de Término" in f.where
    ]

    assert len(flagged) == (1 if activity.get("due_ambiguous") else 0)
    for finding in flagged:
        assert "lectura mexicana, día/mes" in finding.text


@pytest.mark.parametrize(("i", "j", "k", "activity"), ACTIVITIES)
def test_it_flags_an_ambiguous_conclusion_date_of_an_activity(seed, i, j, k, activity):
    concluded = activity.get("concluded") or {}
    ambiguous = concluded.get("text") == "06/12/2011"
    flagged = [
        f
        for f in seed.findings
        if f.kind == "ambiguous_date" and where_of(i, j, k) in f.where and "avance" in f.where
    ]

    assert len(flagged) == (1 if ambiguous else 0)


@pytest.mark.parametrize(("i", "j", "k", "ends"), PRODUCTS)
def test_it_joins_the_product_cell_split_by_a_page_break(seed, i, j, k, ends):
    assert activity_of(seed, i, j, k - 1).deliverable.endswith(ends)


def test_it_reports_each_page_break_row_it_joined(seed):
    joined = [f for f in seed.findings if f.kind == "joined_fragment"]

    assert [f.where for f in joined] == [f"línea {n}" for n in (16, 22, 27, 37, 42)]
    assert all("salto de página" in f.text for f in joined)


def test_the_findings_of_the_seed_are_in_file_order(seed):
    lines = [int(f.where.split()[1]) for f in seed.findings]

    assert lines == sorted(lines)


def test_without_catalogue_each_area_is_reported_unknown_once():
    doc = parse_text(SEED_BYTES)
    unknown = [f.text.split("»")[0].lstrip("«") for f in doc.findings if f.kind == "unknown_area"]

    assert unknown == [
        "Dirección General de Informática",
        "Dirección General de Opciones Productivas",
        "Dirección General de Análisis y Prospectiva",
        "Delegaciones",
        "DGS",
        "DGEMPS",
        "Unidad de Planeación y Relaciones Internacionales",
        "UPRI",
        "DGPP",
        "UAROP",
        "DGAP",
    ]


def test_with_the_sedesol_catalogue_only_uarop_is_unknown():
    doc = parse_text(SEED_BYTES, catalogue=sedesol_catalogue())
    unknown = [f for f in doc.findings if f.kind == "unknown_area"]

    assert [f.text.split("»")[0] for f in unknown] == ["«UAROP"]
    assert "ASM 2010/2 · actividad 3 · Área Responsable" in unknown[0].where


# --- The law: rendering and reading back gives the same annex ----------------------------------


def test_reading_the_rendered_seed_gives_the_same_annex(seed):
    assert parse_text(render_text(seed)) == seed


def test_rendering_is_stable_after_one_round_trip(seed):
    once = render_text(seed)

    assert render_text(parse_text(once)) == once


def test_the_rendered_seed_has_no_page_breaks_to_join(seed):
    again = parse_text(render_text(seed))

    assert not [f for f in again.findings if f.kind == "joined_fragment"]


@pytest.mark.parametrize(
    "written",
    [
        pytest.param("por definir", id="a-preparation-date-not-understood"),
        pytest.param("", id="an-empty-preparation-date"),
    ],
)
def test_an_annex_without_preparation_date_reads_back_the_same(written):
    text = SEED_TEXT.replace(
        "Fecha de Elaboración: marzo de 2012", f"Fecha de Elaboración: {written}"
    )
    doc = parse_text(text)

    assert doc.prepared is None
    assert parse_text(render_text(doc)) == doc


def test_an_annex_without_footnote_reads_back_the_same(seed):
    doc = dataclasses.replace(seed, footnote="")

    assert parse_text(render_text(doc)) == doc


# --- Input that is not an annex ---------------------------------------------------------------


def seed_lines() -> list[str]:
    return SEED_TEXT.split("\n")


def with_line(number: int, change) -> bytes:
    lines = seed_lines()
    lines[number - 1] = change(lines[number - 1])
    return "\n".join(lines).encode()


def first_header(change) -> bytes:
    return with_line(12, lambda line: "\t".join(change(line.split("\t"))))


def truncated_lines(fraction: float) -> bytes:
    lines = seed_lines()
    return "\n".join(lines[: int(len(lines) * fraction)]).encode()


def swap_first_two(cells: list[str]) -> list[str]:
    return [cells[1], cells[0], *cells[2:]]


BAD_INPUT = [
    pytest.param(b"", ("vacío",), id="empty-bytes"),
    pytest.param(b" \n\t\r\n   \n", ("vacío",), id="only-whitespace"),
    pytest.param(b"  \n\n", ("vacío",), id="only-blank-lines"),
    pytest.param(b"\x00\x01\x02binary\x00data" * 20, ("binario",), id="binary-with-nul"),
    pytest.param(b"PK\x03\x04" + b"\x14\x00" * 50, ("DOCX", "XLSX"), id="zip-signature"),
    pytest.param(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", ("PDF",), id="pdf-signature"),
    pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50, ("DOC",), id="old-office"),
    pytest.param(
        first_header(lambda cells: cells[:-1]),
        ("columnas", "Anexo E", "Faltan: «Observaciones»"),
        id="header-column-missing",
    ),
    pytest.param(
        first_header(lambda cells: [*cells[:-1], "Comentarios"]),
        ("Anexo E", "Faltan: «Observaciones»", "Sobran: «Comentarios»"),
        id="header-column-renamed",
    ),
    pytest.param(
        # Read by name, the first table's columns no longer match the second's.
        first_header(lambda cells: [cells[0], *swap_first_two(cells[1:])]),
        ("encabezado de columnas cambia",),
        id="header-columns-reordered",
    ),
    pytest.param(
        with_line(13, lambda line: line + "\textra"),
        ("línea 13", "12 celdas", "tiene 11"),
        id="row-with-an-extra-cell",
    ),
    pytest.param(
        with_line(13, lambda line: line.rsplit("\t", 1)[0]),
        ("línea 13", "10 celdas", "truncado"),
        id="row-with-a-missing-cell",
    ),
    pytest.param(truncated_lines(0.6), ("truncado",), id="first-60-percent-of-the-lines"),
    pytest.param(truncated_lines(0.3), ("truncado",), id="first-30-percent-of-the-lines"),
    pytest.param(SEED_BYTES[: len(SEED_BYTES) * 6 // 10], ("truncado",), id="cut-mid-row"),
    pytest.param(
        "\n".join(seed_lines()[:31]).encode(),
        ("ASPECTOS INSTITUCIONALES 2008-2009", "no tiene tabla", "truncado"),
        id="cut-after-a-cycle-heading",
    ),
    pytest.param(
        SEED_BYTES.replace(b"\t95%\t", b"\t195%\t", 1),
        ("línea 24", "porcentaje de avance 195%", "mayor que 100%"),
        id="a-percent-over-100",
    ),
    pytest.param(
        with_line(10, lambda line: "1\tAspecto\tActividad"),
        ("antes del encabezado de columnas",),
        id="a-data-row-before-any-header",
    ),
    pytest.param(
        with_line(12, lambda line: "\t".join("x" for _ in line.split("\t"))),
        ("antes del encabezado de columnas",),
        id="no-header-row-at-all",
    ),
    pytest.param(
        "\n".join(seed_lines()[:9]).encode(), ("No se encontró la tabla",), id="only-the-title"
    ),
    pytest.param(
        "\n".join(seed_lines()[9:]).encode(), ("Falta el encabezado del anexo",), id="no-title"
    ),
    pytest.param(
        SEED_BYTES + b"\nFirma del responsable\n",
        ("después de la «Fecha de Elaboración»",),
        id="text-after-the-preparation-date",
    ),
    pytest.param(
        SEED_BYTES.replace(b"\n6\tResultados", b"\n4\tResultados"),
        ("el ASM 4 ya aparece",),
        id="an-asm-number-twice-in-a-cycle",
    ),
    pytest.param(
        with_line(13, lambda line: "\t" + line.split("\t", 1)[1]),
        ("no tiene número de ASM",),
        id="a-first-activity-without-asm",
    ),
]


@pytest.mark.parametrize(("data", "words"), BAD_INPUT)
def test_it_rejects_input_that_is_not_an_annex_saying_why_in_spanish(data, words):
    with pytest.raises(AnnexRejected) as rejected:
        parse_text(data)

    for word in words:
        assert word in str(rejected.value)


# --- Encodings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "name"),
    [
        pytest.param("cp1252", "Windows-1252", id="windows-1252"),
        pytest.param("latin-1", "Windows-1252", id="latin-1-reads-as-its-superset"),
    ],
)
def test_it_reads_a_seed_not_in_utf8_the_same_and_says_so(encoding, name):
    utf8 = parse_text(SEED_BYTES)

    doc = parse_text(SEED_TEXT.encode(encoding))

    assert doc == utf8
    assert doc.institution == "Secretaría de Desarrollo Social"
    encoding_findings = [f for f in doc.findings if f.kind == "encoding"]
    assert len(encoding_findings) == 1
    assert encoding_findings[0].where == "línea 5"  # the first accent: 'Secretaría'
    assert name in encoding_findings[0].text
    assert "UTF-8" in encoding_findings[0].text
    assert [f for f in doc.findings if f.kind != "encoding"] == list(utf8.findings)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\xef\xbb\xbf" + SEED_BYTES, id="utf-8-with-bom"),
        pytest.param(SEED_BYTES.replace(b"\n", b"\r\n"), id="windows-line-endings"),
        pytest.param(SEED_TEXT, id="already-text"),
    ],
)
def test_it_reads_other_utf8_forms_of_the_seed_the_same_without_finding(data):
    doc = parse_text(data)

    assert doc == parse_text(SEED_BYTES)
    assert not [f for f in doc.findings if f.kind == "encoding"]


# --- Property: any annex of the seed's shape reads back as it was rendered ---------------------

SEED_DOC = parse_text(SEED_BYTES)

# Letters, digits, punctuation and spaces: no tab or line break (they split rows), no '%'
# (a random percent over 100 would reject the annex; percents are drawn on their own).
SAFE_ALPHABET = "aeinorsu ADGMPRSUáéíóúñÁÉÍÓÚÑü 0123456789 .,;:()/-«»\"'¿?¡!&#\u00a0"
SAFE_TEXT = st.text(SAFE_ALPHABET, max_size=24).map(squash)
WORDS = st.lists(st.sampled_from(["Dirección", "de", "y", "Programa", "2009", "la", ":", "."]))
FREE_TEXT = st.one_of(SAFE_TEXT, WORDS.map(" ".join).map(squash))

SEED_AREA_CELLS = sorted(
    {
        cell.text
        for section in SEED_DOC.sections
        for aspect in section.aspects
        for activity in aspect.activities
        for cell in (activity.coordinating, activity.responsible)
    }
)
AREA_NAMES = st.sampled_from(
    ["DGEMPS", "UPRI", "DGS.", "la DGAP", "Dirección General de Análisis y Prospectiva",
     "Unidad de Planeación y Relaciones Internacionales", "Delegaciones", "Coneval"]
)  # fmt: skip
AREA_CELLS = st.one_of(
    st.sampled_from(SEED_AREA_CELLS),
    st.builds(
        lambda note, names, last: note + ", ".join(names) + last,
        st.sampled_from(["", "Realiza: ", "Coordina: "]),
        st.lists(st.one_of(AREA_NAMES, SAFE_TEXT), min_size=1, max_size=3),
        st.one_of(st.just(""), AREA_NAMES.map(" y ".__add__)),
    ),
    SAFE_TEXT,
)

DATES = st.builds(dt.date, st.integers(2000, 2030), st.integers(1, 12), st.integers(1, 28))
MONTHS = ["enero", "Febrero", "MARZO", "sept.", "octubre", "Dic"]
DATE_TEXTS = st.one_of(
    DATES.map(lambda d: d.strftime("%d/%m/%Y")),
    DATES.map(lambda d: f"{d.month}/{d.day}/{d.year % 100:02d}"),
    DATES.map(lambda d: d.isoformat()),
    st.builds(lambda m, d: f"{m} de {d.year}", st.sampled_from(MONTHS), DATES),
    st.builds(lambda d: f"{d.day} de junio de {d.year}", DATES),
    DATES.map(lambda d: str(d.year)),
)
DUE_CELLS = st.one_of(
    DATE_TEXTS,
    st.builds(
        lambda due, end: f"Fecha comprometida: {due} Fecha término: {end}", DATE_TEXTS, DATE_TEXTS
    ),
    SAFE_TEXT,
)
PERCENTS = st.one_of(
    st.integers(0, 100).map(str), st.sampled_from(["97,5", "33.3", "0,5", "100,0"])
)
PROGRESS_CELLS = st.one_of(
    st.builds(
        lambda label, percent, concluded, replanning, note: (
            f"{label}{percent}%{concluded}{replanning} {note}"
        ),
        st.sampled_from(["", "Avance:", "Avance ", "Porcentaje de avance: "]),
        PERCENTS,
        st.one_of(st.just(""), DATE_TEXTS.map(" Fecha de conclusión: ".__add__)),
        st.sampled_from(["", " Replanteamiento: No", " Replanteamiento: Sí"]),
        SAFE_TEXT,
    ),
    SAFE_TEXT,
)
ASPECT_TEXTS = st.builds(
    lambda prefix, statement: squash(prefix + statement),
    st.one_of(
        st.just(""),
        st.sampled_from(THEMES).map(lambda t: f"{t}: "),
        SAFE_TEXT.map(lambda t: f"{t}: "),
    ),
    SAFE_TEXT.filter(bool),
).filter(bool)


def pool(cells: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(cells, min_size=1, max_size=5)


@st.composite
def annexes(draw) -> AnnexDocument:
    """The seed's cycles, ASM and activities, with every cell drawn at random, as read.

    Each annex draws a few texts per kind of cell and deals them out to its 20 activities:
    drawing every cell of every activity on its own would make the test slow.
    """
    aspect_texts = draw(st.lists(ASPECT_TEXTS, min_size=9, max_size=9))
    activity_texts = draw(pool(SAFE_TEXT.filter(bool)))
    area_cells = draw(pool(AREA_CELLS))
    due_cells = draw(pool(DUE_CELLS))
    progress_cells = draw(pool(PROGRESS_CELLS))
    free_texts = draw(pool(FREE_TEXT))
    deal = draw(st.randoms(use_true_random=False)).choice

    catalogue = AreaCatalogue()  # what parse_text uses; areas are learnt in document order
    sections = []
    for section in SEED_DOC.sections:
        aspects = []
        for aspect in section.aspects:
            text = aspect_texts.pop()
            theme, statement = read_theme(text, Reading())
            activities = tuple(
                ActivityEntry(
                    text=deal(activity_texts),
                    coordinating=read_areas(deal(area_cells), Reading(), catalogue),
                    responsible=read_areas(deal(area_cells), Reading(), catalogue),
                    due=read_due(deal(due_cells), Reading()),
                    expected_results=deal(free_texts),
                    deliverable=deal(free_texts),
                    progress=read_progress(deal(progress_cells), Reading()),
                    proof=deal(free_texts),
                    observations=deal(free_texts),
                )
                for _ in aspect.activities
            )
            aspects.append(AspectEntry(aspect.number, text, theme, statement, activities))
        sections.append(dataclasses.replace(section, aspects=tuple(aspects)))
    prepared = read_date(draw(st.one_of(DATE_TEXTS, SAFE_TEXT))).date
    return dataclasses.replace(
        SEED_DOC,
        sections=tuple(sections),
        prepared=prepared,
        footnote=draw(st.sampled_from([SEED_DOC.footnote, ""])),
        findings=(),
    )


def activities_by_place(doc: AnnexDocument) -> dict[str, ActivityEntry]:
    return {
        f"{section.mechanism_year}/{aspect.number}.{order}": activity
        for section in doc.sections
        for aspect in section.aspects
        for order, activity in enumerate(aspect.activities, start=1)
    }


# Shrinking a failing annex takes Hypothesis minutes (it stops at five); the assertions below
# point at the first cell that differs instead.
@settings(
    max_examples=50,
    deadline=None,
    database=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(doc=annexes())
def test_any_annex_of_the_seeds_shape_reads_back_as_it_was_rendered(doc):
    again = parse_text(render_text(doc))

    assert (again.prepared, again.footnote) == (doc.prepared, doc.footnote)
    for place, activity in activities_by_place(doc).items():
        assert activities_by_place(again).get(place) == activity, place
    assert again == doc


def test_columns_in_another_order_and_spelling_are_read_by_name():
    """An agency's own layout: areas swapped, a column renamed, one of its own added."""

    def relayout(line: str) -> str:
        if "\t" not in line:
            return line
        cells = line.split("\t")
        cells[3], cells[4] = cells[4], cells[3]
        cells = [c.replace("Producto y/o evidencia", "Productos / evidencias") for c in cells]
        return "\t".join([*cells, "Comentarios internos" if cells[0] == "No." else "x"])

    doc = parse_text("\n".join(relayout(line) for line in SEED_TEXT.split("\n")))
    assert doc == SEED_DOC
    notes = [f.text for f in doc.findings if f.kind == "column_mapping"]
    assert "La columna «Productos / evidencias» se leyó como «Producto y/o evidencia»." in notes
    assert any("Comentarios internos" in n and "no se leyó" in n for n in notes)
    assert any("otro orden" in n for n in notes)
