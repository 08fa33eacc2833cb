"""A whole scanned annex whose column headings are printed vertically, read back by OCR.

Agencies type the annex in Word with the header row's text turned (text direction bottom to
top, Word's 'btLr') in a tall row, print it, and often scan it. Here our own annexes, the
institutional document (Anexo D) and the working document (Anexo B), are written by the
project's DOCX renderer, their header cells turned with python-docx, printed to PDF by
LibreOffice, rasterised at 300 dpi and spoiled as a copier spoils paper (tests/annex/scans.py),
then read as `mejora import` and the upload page read a PDF with no text layer: by OCR.

The same ASM, activities, areas, dates and percents come back, every heading is read by name,
and the cells' text at 98% or better (the figure is printed). At 150 dpi the headings and the
facts come back too, but LibreOffice's 7-point print in its tight cells reads at 87-95%, as it
does with the headings printed across: these scans are at 300 dpi. The scans are shared by
the module: OCR is slow.
"""

from __future__ import annotations

import io
import shutil

import pdfplumber
import pytest
from docx import Document
from docx.enum.table import WD_ROW_HEIGHT_RULE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm
from PIL import Image

from mejora.annex.document import AnnexDocument
from mejora.annex.formats import FORMATS
from mejora.annex.parsers import ocr, parse
from mejora.annex.renderers.docx import render_docx
from mejora.annex.synth import synth_document
from mejora.annex.words import fold, squash
from tests.annex.scans import Spoil, scan_of_pdf
from tests.annex.test_scan import character_accuracy, facts
from tests.office import converted_by_libreoffice

pytestmark = [
    pytest.mark.skipif(not ocr.tesseract_ready(), reason="Tesseract con español no está instalado"),
    pytest.mark.skipif(
        shutil.which("soffice") is None,
        reason="LibreOffice (soffice) no está instalado aquí; en CI lo instala .ci/run "
        "(libreoffice-writer-nogui)",
    ),
]

KINDS = {"institutional": "documento-institucional", "working": "documento-trabajo"}
# How each annex was scanned: the working document fed sideways (270°) the other way askew.
SPOILS = {
    "institutional": Spoil(dpi=300, skew=1.0, noise=20, jpeg=70, stamps=True),
    "working": Spoil(dpi=300, turn=270, skew=-1.0, noise=20, jpeg=60, stamps=True),
}
# Tall enough for the longest heading turned ('Productos y/o evidencias' in 7 points).
HEADER_HEIGHT = Cm(3.5)


def headings_turned(docx: bytes) -> bytes:
    """The Word file with each table's header row tall and its text running bottom to top,
    as an agency sets it: the cell's text direction, not the letters one per line."""
    document = Document(io.BytesIO(docx))
    for table in document.tables:
        header = table.rows[0]
        header.height, header.height_rule = HEADER_HEIGHT, WD_ROW_HEIGHT_RULE.AT_LEAST
        for cell in header.cells:
            direction = OxmlElement("w:textDirection")
            direction.set(qn("w:val"), "btLr")
            cell._tc.get_or_add_tcPr().append(direction)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def annexes() -> dict[str, AnnexDocument]:
    return {name: synth_document(aspects=2, seed=3, kind=kind) for name, kind in KINDS.items()}


@pytest.fixture(scope="module")
def printed(annexes, tmp_path_factory) -> dict[str, bytes]:
    """Both Word files printed to PDF by one LibreOffice run."""
    folder = tmp_path_factory.mktemp("libreoffice")
    typed = {name: headings_turned(render_docx(doc)) for name, doc in annexes.items()}
    return converted_by_libreoffice(folder, typed)


@pytest.fixture(scope="module")
def scans(printed) -> dict[str, bytes]:
    return {name: scan_of_pdf(pdf, SPOILS[name]) for name, pdf in printed.items()}


@pytest.fixture(scope="module")
def reads(scans) -> dict[str, tuple[AnnexDocument, list[ocr.ScanPage]]]:
    """Each scan read as an upload is (the PDF reader hands a scan to OCR), with the pages
    the OCR gave the reader."""
    read_page, pages = ocr.read_page, []

    def recorded(*args, **kwargs) -> ocr.ScanPage:
        pages.append(read_page(*args, **kwargs))
        return pages[-1]

    results = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ocr, "read_page", recorded)
        for name, data in scans.items():
            pages.clear()
            results[name] = (parse(data, "pdf"), list(pages))
    return results


def areas(doc: AnnexDocument) -> list[tuple]:
    """The areas each activity names, as the record keeps them."""
    return [
        (activity.coordinating.areas, activity.responsible.areas)
        for section in doc.sections
        for aspect in section.aspects
        for activity in aspect.activities
    ]


@pytest.mark.parametrize("name", KINDS)
def test_libreoffice_printed_the_headings_vertically_and_the_scan_has_no_text(
    name, annexes, printed, scans
):
    headings = "".join(FORMATS[KINDS[name]].headings()).replace(" ", "")
    with pdfplumber.open(io.BytesIO(printed[name])) as pdf:
        turned = "".join(c["text"] for p in pdf.pages for c in p.chars if not c["upright"])
    turned = turned.replace(" ", "")
    # The headings, and nothing else, run vertically: once per table, and again atop a page.
    assert turned == headings * turned.count(headings)
    assert turned.count(headings) >= len(annexes[name].sections)
    with pdfplumber.open(io.BytesIO(scans[name])) as pdf:
        assert not any(page.chars for page in pdf.pages)


@pytest.mark.parametrize("name", KINDS)
def test_every_heading_is_read_turned_and_by_its_name(name, annexes, reads):
    doc, pages = reads[name]
    assert doc.kind == annexes[name].kind
    # Every column found by its own heading, in its place: no heading read as another's.
    assert not [f for f in doc.findings if f.kind == "column_mapping"]
    headings = [fold(heading) for heading in FORMATS[doc.kind].headings()]
    tables = [table for page in pages for table in page.tables]
    assert len(tables) >= len(doc.sections)
    for table in tables:
        first = sorted((c for c in table.cells if c.row == 0), key=lambda c: c.column)
        assert [fold(squash(cell.text)) for cell in first] == headings
        assert sum(cell.sideways for cell in first) > len(first) / 2


@pytest.mark.parametrize("name", KINDS)
def test_the_scan_gives_the_same_asm_activities_areas_dates_and_percents(name, annexes, reads):
    expected, (read, _) = annexes[name], reads[name]
    assert [s.heading for s in read.sections] == [s.heading for s in expected.sections]
    assert read.prepared == expected.prepared  # below the last, empty, cycle's header
    assert facts(read) == facts(expected)
    assert areas(read) == areas(expected)
    # A row the page break cut, an area's name with it, is one activity again.
    assert any(f.kind == "joined_fragment" for f in read.findings)


@pytest.mark.parametrize("name", KINDS)
def test_the_scan_reads_the_cells_text_at_98_percent_or_better(name, annexes, reads):
    accuracy = character_accuracy(annexes[name], reads[name][0])
    print(f"\n{name} (encabezados verticales): exactitud por carácter del OCR {accuracy:.2%}")
    assert accuracy >= 0.98


@pytest.fixture(scope="module")
def last_page(scans) -> tuple[Image.Image, int]:
    """The institutional document's last scanned page, and its resolution: little but the
    empty last cycle's header, whose headings run down the page, and its heading and date."""
    *_, last = ocr.pdf_pages(scans["institutional"])
    return last


@pytest.mark.parametrize("turn", [90, 270])
def test_a_page_of_little_but_vertical_headings_fed_sideways_is_turned_upright(last_page, turn):
    # Fed sideways, its headings run across the sheet and its cycle heading and date down it:
    # the text outside a table, never printed turned, says which way is up.
    picture, dpi = last_page
    assert (turn + ocr.upright(*ocr.working(picture.rotate(turn, expand=True), dpi))[1]) % 360 == 0
