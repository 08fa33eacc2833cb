"""The annex as HTML (the web fragment and the printable page) and as a PDF printed from it."""

from __future__ import annotations

import dataclasses
import io
import itertools
import re
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import pdfplumber
import pytest

from mejora.annex.document import AnnexDocument
from mejora.annex.formats import FORMATS
from mejora.annex.parsers.text import parse_text
from mejora.annex.renderers.html import HEADING, render_html, render_html_part, table_rows
from mejora.annex.renderers.pdf import render_pdf, render_pdf_from_html
from mejora.annex.synth import synth_document

ROOT = Path(__file__).parents[2]
SAMPLE = ROOT / "mejora" / "sample" / "anexo-e-opciones-productivas-2012-03.txt"
HEADINGS = FORMATS["anexo-e"].headings()
ASPECT_COLUMN = 1
ACTIVITY_COLUMN = 2


def words(text: str) -> str:
    """Text with every run of whitespace as one space: PDF text wraps where the HTML did not."""
    return " ".join(text.split())


@pytest.fixture(scope="module")
def seed() -> AnnexDocument:
    return parse_text(SAMPLE.read_bytes())


@pytest.fixture(scope="module")
def pdf_bytes(seed) -> bytes:
    return render_pdf(seed)


@pytest.fixture(scope="module")
def pdf(pdf_bytes):
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as document:
        yield document


@pytest.fixture(scope="module")
def page_texts(pdf) -> list[str]:
    return [page.extract_text() for page in pdf.pages]


@pytest.fixture(scope="module")
def page_tables(pdf) -> list[list[list[list[str]]]]:
    """Every page's tables as pdfplumber reads them from the drawn cell borders."""
    return [
        [[[words(cell or "") for cell in row] for row in found] for found in page.extract_tables()]
        for page in pdf.pages
    ]


@pytest.fixture(scope="module")
def columns(pdf) -> dict[int, str]:
    """Each column's text across all pages, read from the strip under its heading.

    pdfplumber's table reading leaves out the text of cells spanning several rows, so the ASM
    columns are read by cropping the page to the column instead.
    """
    texts: dict[int, list[str]] = {}
    for page in pdf.pages:
        tables = page.find_tables()
        # A row cut by the page break has no bottom border, so a table is taken to run down
        # to the next table or to the foot of the page.
        ends = [table.bbox[1] for table in tables[1:]] + [page.height]
        for table, end in zip(tables, ends, strict=True):
            for index, (x0, _, x1, _) in enumerate(table.rows[0].cells):
                strip = page.crop((x0, table.bbox[1], x1, end))
                texts.setdefault(index, []).append(words(strip.extract_text()))
    return {index: " ".join(found) for index, found in texts.items()}


def replace_first_activity(doc: AnnexDocument, **changes: str) -> AnnexDocument:
    section = doc.sections[0]
    aspect = section.aspects[0]
    activity = dataclasses.replace(aspect.activities[0], **changes)
    aspect = dataclasses.replace(aspect, activities=(activity, *aspect.activities[1:]))
    section = dataclasses.replace(section, aspects=(aspect, *section.aspects[1:]))
    return dataclasses.replace(doc, sections=(section, *doc.sections[1:]))


class Tables(HTMLParser):
    """The tables of an HTML page: rows of (attributes, text) cells, headings apart."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: list[dict[str, list]] = []
        self.cell: tuple[dict[str, str | None], list[str]] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"head": [], "rows": []})
        elif tag == "tr":
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th"):
            self.cell = (dict(attrs), [])
            kind = "head" if tag == "th" else "rows"
            target = self.tables[-1][kind]
            (target if tag == "th" else target[-1]).append(self.cell)

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.cell = None
        elif tag == "tr" and not self.tables[-1]["rows"][-1]:
            self.tables[-1]["rows"].pop()  # the heading row

    def handle_data(self, data):
        if self.cell is not None:
            self.cell[1].append(data)


def cell_text(cell) -> str:
    return "".join(cell[1])


# --- HTML ----------------------------------------------------------------------------------------


def test_one_table_per_cycle_with_the_official_headings_letter_for_letter(seed):
    tables = Tables(render_html(seed)).tables

    assert len(tables) == 2
    for found in tables:
        assert [cell_text(cell) for cell in found["head"]] == HEADINGS
    assert "Porcentaje de avance y justificación ¹" in HEADINGS


def test_asm_cells_span_their_activities(seed):
    first, _ = Tables(render_html(seed)).tables
    spans = {
        cell_text(row[0]): row[0][0].get("rowspan")
        for row in first["rows"]
        if row[0][0].get("class") == "annex-number"
    }

    assert spans == {"1": "3", "2": None, "3": "5", "4": None}
    assert len(first["rows"]) == 10  # the ASM cells sit only on each ASM's first row
    assert sum(len(row) == len(HEADINGS) for row in first["rows"]) == 4


def test_the_footnote_and_the_preparation_date_close_the_annex(seed):
    html = render_html(seed, standalone=False)

    assert html.index("</table>") < html.index("¹ En caso de un replanteamiento")
    assert html.rstrip().endswith(
        '<p class="annex-prepared">Fecha de Elaboración: marzo de 2012</p>\n</article>'
    )


def test_everything_is_escaped(seed):
    doc = replace_first_activity(
        dataclasses.replace(seed, title='Anexo "E" <b>', program="A & B"),
        text="<script>alert('x')</script>",
        observations="</td></tr></table><img src=x onerror=alert(1)>",
    )

    html = render_html(doc)

    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<img" not in html
    assert "<title>Anexo &quot;E&quot; &lt;b&gt;</title>" in html
    assert "A &amp; B" in html
    assert len(Tables(html).tables) == 2


def test_the_fragment_is_what_a_web_page_includes(seed):
    fragment = render_html(seed, standalone=False)
    page = render_html(seed)

    assert fragment.startswith('<article class="annex-document">')
    assert "<html" not in fragment
    assert "<style" not in fragment
    # The page names each table with a caption for screen readers; the printed annex does not.
    captions = re.findall(r'<caption class="annex-caption">([^<]*)</caption>\n', fragment)
    assert captions == [escape(section.heading) for section in seed.sections]
    assert re.sub(r'<caption class="annex-caption">[^<]*</caption>\n', "", fragment) in page


def test_the_standalone_page_prints_letter_landscape_with_page_numbers(seed):
    page = render_html(seed)

    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="es">' in page
    assert "size: letter landscape;" in page
    assert "margin: 1cm;" in page
    assert 'content: "Página " counter(page) " de " counter(pages);' in page
    assert "thead { display: table-header-group; }" in page


def test_only_short_rows_are_kept_whole(seed):
    long_text = "Documentación soporte adicional. " * 120
    doc = replace_first_activity(seed, observations=long_text)
    page = render_html(doc)

    assert "tr.short { break-inside: avoid; }" in page
    assert not re.search(r"(^|\s)tr\s*\{[^}]*break-inside", page)
    rows = re.findall(r"<tr[^>]*>", page.split("<tbody>")[1])
    assert rows[0] == "<tr>"  # the long row may split across pages
    assert rows[1] == '<tr class="short">'


# --- PDF -----------------------------------------------------------------------------------------


def test_it_is_a_pdf_with_the_document_as_metadata(pdf_bytes, pdf, seed):
    assert pdf_bytes.startswith(b"%PDF-")
    assert pdf.metadata["Title"] == seed.title
    assert pdf.metadata["Author"] == seed.institution
    assert "CreationDate" not in pdf.metadata


def test_pages_are_letter_landscape(pdf):
    for page in pdf.pages:
        assert page.width > page.height
        assert (round(page.width), round(page.height)) == (792, 612)


def test_the_title_block_and_both_cycle_headings_are_printed(page_texts, seed):
    first = words(page_texts[0])
    everything = words(" ".join(page_texts))

    for line in (seed.title, seed.institution, seed.program, seed.annex):
        assert line in first
    assert "ASPECTOS INSTITUCIONALES 2007-2008 (Mecanismo 2008)" in first
    assert "ASPECTOS INSTITUCIONALES 2008-2009 (Mecanismo 2010)" in everything
    assert "¹ En caso de un replanteamiento" in everything
    assert "Fecha de Elaboración: marzo de 2012" in everything


def test_the_column_headings_are_repeated_atop_every_page(pdf, page_tables, page_texts):
    assert len(pdf.pages) > 1
    for tables, text in zip(page_tables, page_texts, strict=True):
        assert tables
        assert tables[0][0] == HEADINGS
        assert "Observaciones" in text.split()


def test_every_page_says_pagina_n_de_m(pdf, page_texts):
    total = len(pdf.pages)

    assert total > 1
    assert "Página 1 de" in page_texts[0]
    for number, text in enumerate(page_texts, start=1):
        assert f"Página {number} de {total}" in text


def test_every_activity_and_every_asm_is_printed(seed, columns):
    activities = [a for s in seed.sections for asm in s.aspects for a in asm.activities]

    assert len(activities) == 20
    for activity in activities:
        assert " ".join(activity.text.split()[:6]) in columns[ACTIVITY_COLUMN]
    for aspect in (asm for section in seed.sections for asm in section.aspects):
        assert " ".join(aspect.text.split()[:6]) in columns[ASPECT_COLUMN]


def test_the_same_annex_prints_the_same_pdf(seed, pdf_bytes, page_texts):
    again = render_pdf(seed)

    with pdfplumber.open(io.BytesIO(again)) as document:
        assert [page.extract_text() for page in document.pages] == page_texts
    assert again == pdf_bytes


def test_bare_weasyprint_prints_prebuilt_html():
    html = "<!DOCTYPE html><html><head><title>Prueba</title></head><body>Hola, año</body></html>"

    with pdfplumber.open(io.BytesIO(render_pdf_from_html(html))) as document:
        assert document.metadata["Title"] == "Prueba"
        assert "Hola, año" in document.pages[0].extract_text()


def test_the_seed_prints_as_one_document(seed, pdf_bytes):
    assert table_rows(seed) == 20
    assert pdf_bytes == render_pdf_from_html(render_html(seed))


# --- A long annex, printed in parts --------------------------------------------------------------

PART_ROWS = 10


def numbered(doc: AnnexDocument) -> AnnexDocument:
    """The annex with every activity's text opened by its place in the annex: 'Actividad 007.'"""
    places = itertools.count(1)
    sections = tuple(
        dataclasses.replace(
            section,
            aspects=tuple(
                dataclasses.replace(
                    aspect,
                    activities=tuple(
                        dataclasses.replace(a, text=f"Actividad {next(places):03d}. {a.text}")
                        for a in aspect.activities
                    ),
                )
                for aspect in section.aspects
            ),
        )
        for section in doc.sections
    )
    return dataclasses.replace(doc, sections=sections)


def read(pdf_bytes: bytes) -> tuple[list[str], dict, list[list[list[list[str]]]]]:
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as document:
        texts = [page.extract_text() for page in document.pages]
        tables = [
            [[[words(c or "") for c in row] for row in found] for found in page.extract_tables()]
            for page in document.pages
        ]
        return texts, document.metadata, tables


def places(texts: list[str]) -> list[int]:
    return [int(n) for n in re.findall(r"Actividad (\d{3})\.", words(" ".join(texts)))]


@pytest.fixture(scope="module")
def long_annex() -> AnnexDocument:
    return numbered(synth_document(aspects=10))


@pytest.fixture(scope="module")
def in_parts(long_annex) -> bytes:
    return render_pdf(long_annex, part_rows=PART_ROWS)


@pytest.fixture(scope="module")
def in_parts_read(in_parts):
    return read(in_parts)


def test_a_long_annex_is_printed_in_several_parts(long_annex):
    starts = [(0, HEADING)]
    while (stop := render_html_part(long_annex, start=starts[-1], rows=PART_ROWS).stop) is not None:
        starts.append(stop)

    assert table_rows(long_annex) > 3 * PART_ROWS
    assert len(starts) > 3


def test_pages_of_parts_are_numbered_through_the_whole_annex(in_parts_read):
    texts, _, _ = in_parts_read

    assert len(texts) > 4
    for number, text in enumerate(texts, start=1):
        assert f"Página {number} de {len(texts)}" in text
        assert text.count("Página ") == 1


def test_parts_print_every_activity_once_and_in_order(long_annex, in_parts_read):
    texts, _, _ = in_parts_read

    assert places(texts) == list(range(1, table_rows(long_annex) + 1))


def test_parts_repeat_the_column_headings_atop_every_page(in_parts_read):
    _, _, tables = in_parts_read

    for found in tables:
        assert found[0][0] == HEADINGS


def test_parts_turn_the_pages_where_one_document_would(long_annex, in_parts_read):
    texts, metadata, _ = in_parts_read
    whole_texts, whole_metadata, _ = read(render_pdf(long_annex))

    assert texts == whole_texts
    assert metadata == whole_metadata


def test_parts_keep_the_title_the_cycles_and_the_closing_lines(long_annex, in_parts_read):
    texts, metadata, _ = in_parts_read
    everything = words(" ".join(texts))

    assert long_annex.title in words(texts[0])
    for section in long_annex.sections:
        assert everything.count(section.heading) == 1
    assert everything.count("¹ En caso de un replanteamiento") == 1
    assert "Fecha de Elaboración: marzo de 2012" in words(texts[-1])
    assert metadata["Title"] == long_annex.title
    assert metadata["Author"] == long_annex.institution
    assert metadata["Subject"] == f"{long_annex.program}. {long_annex.annex}"
    assert "CreationDate" not in metadata


def test_parts_keep_the_language_and_the_bookmarks(long_annex, in_parts):
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(in_parts))
    title, cycles = reader.outline

    assert reader.root_object["/Lang"] == "es"
    assert title.title == long_annex.title
    assert [item.title for item in cycles] == [s.heading for s in long_annex.sections]


def test_parts_print_the_same_pdf_run_after_run(long_annex, in_parts):
    assert render_pdf(long_annex, part_rows=PART_ROWS) == in_parts


def test_a_part_too_short_to_cut_is_kept_whole():
    doc = numbered(synth_document(aspects=2))

    texts, _, tables = read(render_pdf(doc, part_rows=1))

    assert places(texts) == list(range(1, table_rows(doc) + 1))
    for number, (text, found) in enumerate(zip(texts, tables, strict=True), start=1):
        assert f"Página {number} de {len(texts)}" in text
        assert found[0][0] == HEADINGS


def test_a_part_starting_inside_an_asm_repeats_its_cells_empty(long_annex):
    row = 0  # the table row where the first ASM of three activities or more starts
    for aspect in long_annex.sections[0].aspects:
        if len(aspect.activities) > 2:
            break
        row += max(1, len(aspect.activities))

    part = render_html_part(long_annex, start=(0, row + 1), rows=1)
    (table,) = Tables(part.html).tables

    assert "<h1>" not in part.html
    assert "<h2" not in part.html
    assert "annex-footnote" not in part.html.split("<body>")[1]
    assert [cell_text(cell) for cell in table["head"]] == HEADINGS
    (cells,) = table["rows"]
    assert [cell_text(cell) for cell in cells[:2]] == ["", ""]
    assert cells[0][0].get("rowspan") is None
    assert cell_text(cells[2]) == aspect.activities[1].text
    assert part.stop == (0, row + 2)
    assert part.anchors == {f"r0-{row + 1}": (0, row + 1)}


def test_printing_in_parts_tells_the_rows_printed_up_to_all_of_them(long_annex, in_parts):
    told: list[tuple[str, int, int]] = []
    pdf = render_pdf(long_annex, part_rows=PART_ROWS, progress=lambda *t: told.append(t))
    total = table_rows(long_annex)
    assert {stage for stage, _, _ in told} == {"Imprimiendo"}
    assert {t for _, _, t in told} == {total}
    done = [d for _, d, _ in told]
    assert done == sorted(set(done)) and done[-1] == total
    assert len(done) > 2, "one report per part, not only the end"
    assert pdf == in_parts, "telling the progress changes nothing printed"
