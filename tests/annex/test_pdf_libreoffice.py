"""A PDF we did not print: the seed typed into Word by hand and printed by LibreOffice.

The Word document is what an agency would type: the title block as paragraphs, each cycle's
heading, a plain ruled table in Arial with the ASM number and text merged down their
activities, the footnote and the date. LibreOffice lays it out by itself: other cell widths and
line breaks, a trailing space printed where a line broke at one, long words and URLs broken
anywhere, merged cells cut by page breaks. The font is Arial, as agencies type, which LibreOffice
prints with its metric twin Liberation Sans; the template's Calibri would print with whatever
fallback each machine has, and the line breaks would differ from machine to machine.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pdfplumber
import pytest
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.shared import Cm, Pt

from mejora.annex.document import AnnexDocument
from mejora.annex.formats import FORMATS, row_cells
from mejora.annex.parsers import parse
from tests.office import converted_by_libreoffice

pytestmark = pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="LibreOffice (soffice) no está instalado aquí; en CI lo instala .ci/run "
    "(libreoffice-writer-nogui)",
)

ANNEX = FORMATS["anexo-e"]
# The agency's own table: the areas swapped, results after the deliverable, two names changed.
AGENCY_ORDER = [0, 1, 2, 4, 3, 5, 7, 6, 8, 9, 10]
AGENCY_NAMES = {4: "Área responsable de la actividad", 7: "Productos y/o evidencias"}


@pytest.fixture(scope="module")
def seed(seed_bytes) -> AnnexDocument:
    return parse(seed_bytes, "txt")


def typed_in_word(doc: AnnexDocument, order: list[int], names: dict[int, str]) -> bytes:
    """The annex typed into a landscape Word page: paragraphs, and one ruled table per cycle
    whose columns follow `order` and whose headings `names` changes."""
    document = Document()
    normal = document.styles["Normal"].font
    normal.name, normal.size = "Arial", Pt(8)
    page = document.sections[0]
    page.orientation = WD_ORIENT.LANDSCAPE
    page.page_width, page.page_height = page.page_height, page.page_width
    page.left_margin = page.right_margin = page.top_margin = page.bottom_margin = Cm(1.5)
    for line in (doc.title, doc.institution, doc.program, doc.annex):
        document.add_paragraph(line)
    headings = [names.get(i, heading) for i, heading in enumerate(ANNEX.headings())]
    for section in doc.sections:
        document.add_paragraph(section.heading)
        table = document.add_table(rows=1, cols=len(order))
        table.style = "Table Grid"
        for cell, index in zip(table.rows[0].cells, order, strict=True):
            cell.text = headings[index]
        for aspect in section.aspects:
            first = len(table.rows)
            for position, activity in enumerate(aspect.activities):
                texts = row_cells(ANNEX, aspect, activity, first=position == 0)
                for cell, index in zip(table.add_row().cells, order, strict=True):
                    cell.text = texts[index]
            last = len(table.rows) - 1
            for column in (order.index(0), order.index(1)):  # the ASM number and text
                top = table.cell(first, column)
                text = top.text
                top.merge(table.cell(last, column)).text = text
    document.add_paragraph(doc.footnote)
    document.add_paragraph(f"Fecha de Elaboración: {doc.prepared.text}")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def printed(seed, tmp_path_factory) -> dict[str, bytes]:
    """Both Word documents printed to PDF by one LibreOffice run with a profile of its own, so
    that parallel runs do not share (and lock) one."""
    folder = tmp_path_factory.mktemp("libreoffice")
    names = {
        "oficial": (list(range(len(ANNEX.columns))), {}),
        "agencia": (AGENCY_ORDER, AGENCY_NAMES),
    }
    typed = {name: typed_in_word(seed, *how) for name, how in names.items()}
    return converted_by_libreoffice(folder, typed)


@pytest.fixture(scope="module")
def official(printed) -> AnnexDocument:
    return parse(printed["oficial"], "pdf")


def test_libreoffice_printed_it_in_arial_over_several_pages(printed):
    with pdfplumber.open(io.BytesIO(printed["oficial"])) as pdf:
        fonts = {c["fontname"].split("+")[-1] for page in pdf.pages for c in page.chars}
        assert pdf.metadata.get("Producer", "").startswith("LibreOffice")
        assert len(pdf.pages) > 3
    # Arial printed with another font breaks other lines: install fonts-liberation2.
    assert fonts == {"LiberationSans"}


def test_it_reads_as_the_seed(seed, official):
    # Sections, ASM, activities, areas, dates, percents and every text, letter for letter.
    # What LibreOffice's print hides, the reader puts back: the second cycle's header row cut
    # by a page break, rows and merged ASM cells cut by page breaks (an area name among them),
    # URLs and long words broken anywhere in narrow columns ('Replanteamie' | 'nto'), and
    # lines exactly full of one word, where only the words printed elsewhere tell whether a
    # space was there ('modificaciones' | 'a las', then 'modificaciones' | 'necesarias').
    assert official == seed
    assert official.aspect_count() == 9 and official.activity_count() == 20


def test_the_findings_are_the_seeds_own_and_the_page_breaks(seed, official):
    def readings(doc: AnnexDocument) -> list[tuple[str, str]]:
        return sorted((f.kind, f.text) for f in doc.findings if f.kind != "joined_fragment")

    assert readings(official) == readings(seed)
    joined = [f for f in official.findings if f.kind == "joined_fragment"]
    assert joined and all(f.where.startswith("página") for f in joined)


def test_the_agencys_column_order_and_names_read_as_the_seed(seed, printed):
    doc = parse(printed["agencia"], "pdf")

    assert doc == seed
    mapping = sorted(f.text for f in doc.findings if f.kind == "column_mapping")
    # 'Productos y/o evidencias' is the institutional document's own spelling: no finding.
    assert mapping == [
        "La columna «Área responsable de la actividad» se leyó como «Área Responsable».",
        "Las columnas están en otro orden que el oficial; se leyeron por nombre.",
    ]


def test_imported_into_an_empty_record_it_gives_the_seeds_status(
    db, printed, seed_bytes, golden, capsys, tmp_path: Path
):
    from mejora.cli import EXIT_OK, main
    from mejora.followup.services.imports import annex_import, annex_read, file_sha256

    data = printed["oficial"]
    annex_import(
        document=annex_read(data, file_format="pdf"),
        file_name="anexo-libreoffice.pdf",
        sha256=file_sha256(data),
        file_format="pdf",
    )
    assert main(["status", "--as-of", "2012-03-31", "--json"]) == EXIT_OK
    status = json.loads(capsys.readouterr().out)
    expected = golden["status_as_of_2012-03-31"]
    assert status == {key: expected[key] for key in ("as_of", "aspects", "activities")}

    # The text seed imported over it finds nothing to change: the same record, field by field.
    summary = annex_import(
        document=annex_read(seed_bytes),
        file_name="anexo-e.txt",
        sha256=file_sha256(seed_bytes),
        file_format="txt",
    )
    assert (summary.created, summary.updated) == (0, 0)
