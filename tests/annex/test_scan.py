"""Scanned annexes read by OCR: our own annexes printed, scanned badly, and read back.

Each scan is made here from an annex the project renders (tests/annex/scans.py): turned
sideways, skewed, noisy, JPEG-compressed, a logo and a signature stamped on. Read back, it
gives the same ASM, activities, dates and percents, and its cells' text at 98% or better
(the figure is printed). Two scans of a few pages are shared by the module: OCR is slow.
"""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from mejora.annex.document import AnnexDocument, AnnexRejected
from mejora.annex.parsers import format_of, ocr, parse
from mejora.annex.parsers.scan import OCR_DOUBT, ScanPlace, cell_image, parse_scan, scan_place
from mejora.annex.renderers.pdf import render_pdf
from mejora.annex.synth import synth_document
from tests.annex.scans import Spoil, pages_of, scan_file

pytestmark = pytest.mark.skipif(
    not ocr.tesseract_ready(), reason="Tesseract con español no está instalado"
)

TEXT_FIELDS = ("text", "expected_results", "deliverable", "proof", "observations")


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, start=1):
        current = [i]
        for j, other in enumerate(b, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other))
            )
        previous = current
    return previous[-1]


def character_accuracy(expected: AnnexDocument, read: AnnexDocument) -> float:
    """1 − edits/characters over the text of every ASM and activity cell, in the file's order."""
    pairs = []
    for section, read_section in zip(expected.sections, read.sections, strict=True):
        for aspect, read_aspect in zip(section.aspects, read_section.aspects, strict=True):
            pairs.append((aspect.text, read_aspect.text))
            for activity, read_activity in zip(
                aspect.activities, read_aspect.activities, strict=True
            ):
                pairs += [
                    (getattr(activity, name), getattr(read_activity, name)) for name in TEXT_FIELDS
                ]
                pairs.append((activity.coordinating.text, read_activity.coordinating.text))
                pairs.append((activity.responsible.text, read_activity.responsible.text))
    characters = sum(len(a) for a, _ in pairs)
    return 1 - sum(edit_distance(a, b) for a, b in pairs) / characters


def facts(doc: AnnexDocument) -> list[tuple]:
    """What the record keeps of each activity that is no free text: ASM, dates, percents."""
    return [
        (
            section.mechanism_year,
            aspect.number,
            order,
            activity.due.due.iso() if activity.due.due else None,
            activity.due.actual_end.iso() if activity.due.actual_end else None,
            activity.progress.percent,
            activity.progress.concluded.iso() if activity.progress.concluded else None,
        )
        for section in doc.sections
        for aspect in section.aspects
        for order, activity in enumerate(aspect.activities)
    ]


@pytest.fixture(scope="module")
def institutional() -> AnnexDocument:
    return synth_document(aspects=2, seed=3, kind="anexo-e")


@pytest.fixture(scope="module")
def working() -> AnnexDocument:
    return synth_document(aspects=2, seed=3, kind="documento-trabajo")


@pytest.fixture(scope="module")
def institutional_scan(institutional) -> bytes:
    """Anexo E at 150 dpi, fed sideways (90°), 1.5° askew, noisy, as a PDF of JPEG pages."""
    how = Spoil(dpi=150, turn=90, skew=1.5, noise=25, jpeg=60, stamps=True)
    return scan_file(institutional, how, kind="pdf")


@pytest.fixture(scope="module")
def working_scan(working) -> bytes:
    """Documento de trabajo at 300 dpi, fed the other way (270°), 1° askew, as a PNG."""
    how = Spoil(dpi=300, turn=270, skew=-1.0, noise=20, jpeg=70, stamps=True)
    return scan_file(working, how, kind="png")


@pytest.fixture(scope="module")
def institutional_read(institutional_scan) -> AnnexDocument:
    return parse(institutional_scan, "pdf")  # the PDF reader hands a scan to OCR


@pytest.fixture(scope="module")
def working_read(working_scan) -> AnnexDocument:
    return parse(working_scan, format_of("anexo.png"))


@pytest.mark.parametrize("name", ["institutional", "working"])
def test_a_scan_gives_the_same_asm_activities_dates_and_percents(request, name):
    expected = request.getfixturevalue(name)
    read = request.getfixturevalue(f"{name}_read")
    assert read.kind == expected.kind
    assert [s.heading for s in read.sections] == [s.heading for s in expected.sections]
    assert facts(read) == facts(expected)


@pytest.mark.parametrize("name", ["institutional", "working"])
def test_a_scan_reads_the_cells_text_at_98_percent_or_better(request, name):
    expected = request.getfixturevalue(name)
    accuracy = character_accuracy(expected, request.getfixturevalue(f"{name}_read"))
    print(f"\n{name}: exactitud por carácter del OCR {accuracy:.2%}")
    assert accuracy >= 0.98


def test_the_title_block_is_read(institutional, institutional_read):
    assert institutional_read.title == institutional.title  # the logo beside it left out
    assert institutional_read.institution == institutional.institution
    assert institutional_read.program == institutional.program
    assert institutional_read.annex == institutional.annex


def test_an_asm_whose_activities_go_on_past_the_page_is_one_asm(institutional, institutional_read):
    # ASM 2009/1 has five activities: three on the first page, two atop the second.
    expected = institutional.sections[1].aspects[0]
    read = institutional_read.sections[1].aspects[0]
    assert len(expected.activities) == len(read.activities) == 5
    assert [a.due.due for a in read.activities] == [a.due.due for a in expected.activities]


def test_a_doubtful_cell_says_where_it_is_and_its_image_is_cut_from_the_scan(
    institutional, institutional_scan
):
    picture, dpi = ocr.working(*next(ocr.pdf_pages(institutional_scan)))
    upright, rotation, skew = ocr.upright(picture, dpi)
    ink = cv2.adaptiveThreshold(
        np.asarray(upright), 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15
    )
    # The first activity's cell on the first page, as the reader finds it.
    tables = ocr.find_tables(ink, dpi)
    cell = next(c for c in tables[0].cells if c.row == 1 and c.column == 2)
    place = ScanPlace(1, rotation, skew, cell.box)
    assert scan_place(f"página 1, tabla 1, fila 2 · Actividades · {place}") == place
    shown = Image.open(io.BytesIO(cell_image(institutional_scan, image=False, place=place)))
    assert shown.size == (cell.box[2] - cell.box[0], cell.box[3] - cell.box[1])
    # The cell's own text, upright: the first activity.
    alone = ocr.Cell(box=(0, 0, *shown.size), row=1, column=2)
    ocr._read_alone(alone, np.asarray(shown.convert("L")), dpi, sideways=False)
    expected = institutional.sections[0].aspects[0].activities[0].text
    assert 1 - edit_distance(ocr.cell_text(alone), expected) / len(expected) >= 0.95


def test_doubtful_readings_are_findings_with_their_place(institutional_read, working_read):
    doubts = [
        f for doc in (institutional_read, working_read) for f in doc.findings if f.kind == OCR_DOUBT
    ]
    for finding in doubts:
        assert scan_place(finding.where) is not None


@pytest.fixture(scope="module")
def clean_page(working) -> Image.Image:
    """A page of Documento de trabajo rasterised at 150 dpi, upright and straight."""
    return pages_of(render_pdf(working), 150)[0]


@pytest.mark.parametrize("turn", [0, 180])
def test_a_page_is_turned_upright_whatever_its_rotation(clean_page, turn):
    # 90° and 270° are the scans above.
    turned = clean_page.rotate(turn, expand=True) if turn else clean_page
    assert (turn + ocr.upright(turned, 150)[1]) % 360 == 0


@pytest.mark.parametrize("skew", [-2.0, 1.0, 1.5])
def test_a_skewed_page_is_straightened_to_a_tenth_of_a_degree(clean_page, skew):
    tilted = clean_page.rotate(skew, expand=True, fillcolor=255)
    assert abs(ocr._skew(np.asarray(tilted)) + skew) <= 0.15


def test_a_vertical_header_is_read_turned():
    from PIL import ImageDraw, ImageFont

    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 28)
    word = Image.new("L", (260, 44), 255)
    ImageDraw.Draw(word).text((4, 4), "Actividades", fill=0, font=font)
    page = Image.new("L", (80, 310), 255)
    page.paste(word.rotate(90, expand=True), (14, 24))
    cell = ocr.Cell(box=(10, 10, 70, 300), row=0, column=0)
    ocr._read_alone(cell, np.asarray(page), 300, sideways=True)
    assert ocr.cell_text(cell) == "Actividades"


def test_image_suffixes_are_read_as_scans():
    assert {format_of(f"a{suffix}") for suffix in ocr.IMAGE_SUFFIXES} == {"image"}


def test_an_image_too_large_is_refused_before_it_is_decoded(monkeypatch):
    monkeypatch.setattr(ocr, "MAX_PAGE_PIXELS", 100)
    out = io.BytesIO()
    Image.new("L", (20, 20), 255).save(out, format="PNG")
    with pytest.raises(AnnexRejected, match="píxeles"):
        parse(out.getvalue(), "image")


def test_a_pdf_with_neither_text_nor_scanned_pages_is_refused():
    blank = io.BytesIO()
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=612, height=792)
    writer.write(blank)
    with pytest.raises(AnnexRejected, match="ni páginas escaneadas"):
        parse(blank.getvalue(), "pdf")


def test_a_file_that_is_no_image_is_refused():
    with pytest.raises(AnnexRejected, match="no es una imagen"):
        parse(b"not an image at all", "image")


def test_without_tesseract_the_import_says_what_to_install(monkeypatch, working_scan):
    import pytesseract

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    with pytest.raises(AnnexRejected, match="apt-get install tesseract-ocr tesseract-ocr-spa"):
        parse_scan(working_scan, image=True)
