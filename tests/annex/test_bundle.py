"""A filing bundles an oficio and several instruments: each is read into its place.

The filings are made by the tests (tests/bundles.py): an oficio page, then the project's own
Anexo B and Anexo C at a cut, joined with pypdf; and the same as text, pages split by form feeds.
"""

from __future__ import annotations

import pytest

from mejora.annex.document import AnnexRejected, PartialDate
from mejora.annex.parsers import bundle
from mejora.annex.parsers.bundle import looks_like_filing, read_filing
from mejora.annex.renderers import render
from mejora.annex.renderers.free import render_free
from tests import bundles
from tests.annex.test_free_format import free_document
from tests.bundles import OFICIO_NUMBER, filing_text

# The filing the bundle tests read (fixtures).
documents, position, pdf = bundles.documents, bundles.position, bundles.pdf


def test_a_pdf_filing_is_split_into_its_instruments(pdf, documents, position):
    work, progress = documents
    assert looks_like_filing(pdf, "pdf")
    filing = read_filing(pdf, "pdf")
    assert filing.oficio_number == OFICIO_NUMBER
    assert filing.oficio_date == PartialDate(2012, 9, 30, text="30 de septiembre de 2012")
    first, second, third = filing.parts
    assert first.instrument == "Anexo B. Documento de trabajo"
    assert first.pages.startswith("página")
    assert first.document == work
    assert second.instrument == "Anexo C. Avance del documento de trabajo"
    assert second.document.kind == progress.kind
    assert second.document.sections == progress.sections
    assert second.document.prepared == progress.prepared
    assert "Posición institucional" in third.instrument
    assert third.document == position
    # Each finding says which instrument, and which of its pages, it was seen in.
    assert filing.findings
    assert all(
        f.where.startswith(("Anexo B.", "Anexo C.", third.instrument)) for f in filing.findings
    )


def test_an_annex_alone_is_no_filing(documents):
    work, _ = documents
    assert not looks_like_filing(render(work, "txt"), "txt")


def test_a_text_filing_with_the_free_format(documents):
    work, _ = documents
    free = free_document(progress=False, aspects=2)
    data = filing_text(render(work, "txt").decode(), render_free(free, "txt").decode())
    assert looks_like_filing(data, "txt")
    filing = read_filing(data, "txt")
    assert [p.instrument for p in filing.parts] == [
        "Anexo B. Documento de trabajo",
        "Formato libre. Aspectos Susceptibles de Mejora interinstitucionales",
    ]
    assert filing.parts[0].document == work
    assert filing.parts[1].document == free
    assert filing.oficio_number == OFICIO_NUMBER


def test_a_part_that_cannot_be_read_refuses_the_filing(documents):
    work, progress = documents
    broken = render(progress, "txt").decode().replace("Fecha de Elaboración", "Fecha")
    data = filing_text(render(work, "txt").decode(), broken)
    with pytest.raises(AnnexRejected, match=r"Anexo C\. Avance del documento de trabajo"):
        read_filing(data, "txt")


def test_an_instrument_without_its_reader_is_left_with_a_finding(documents, monkeypatch):
    work, _ = documents
    position = "Anexo F. Posición institucional\n1. Comentarios generales\nSin comentarios."
    data = filing_text(render(work, "txt").decode(), position)
    monkeypatch.setattr(bundle, "_position_reader", lambda: None)
    filing = read_filing(data, "txt")
    assert filing.parts[0].document == work
    assert filing.parts[1].document is None
    [finding] = [f for f in filing.findings if f.kind == "instrument_not_read"]
    assert "Anexo F no se leyó" in finding.text


def test_an_oficio_without_number_or_date_is_said(documents):
    work, _ = documents
    data = filing_text(render(work, "txt").decode(), oficio=("Oficio sin datos", "Atentamente"))
    filing = read_filing(data, "txt")
    assert (filing.oficio_number, filing.oficio_date) == ("", None)
    kinds = {f.kind for f in filing.findings}
    assert {"oficio_number_missing", "oficio_date_missing"} <= kinds


def test_a_filing_with_no_instrument_is_refused():
    with pytest.raises(AnnexRejected, match="ningún instrumento"):
        read_filing(filing_text("Nada más que decir."), "txt")


@pytest.mark.parametrize(
    ("line", "number"),
    [
        ("Oficio No. DGEMPS/410/0123/2012", "DGEMPS/410/0123/2012"),
        ("OFICIO NÚM.: SE-DP-045/2022.", "SE-DP-045/2022"),
        ("Oficio número 123", "123"),
    ],
)
def test_oficio_numbers_as_written(line, number):
    assert bundle.OFICIO_NUMBER.search(line)["number"].rstrip(".") == number


def test_the_oficio_date_is_its_first_long_date(documents):
    work, _ = documents
    oficio = ("Oficio No. 7", "Campeche, Camp., 3 de Febrero del 2023.", "Ref. 1 de enero de 2020")
    filing = read_filing(filing_text(render(work, "txt").decode(), oficio=oficio), "txt")
    assert filing.oficio_date.iso() == "2023-02-03"


def test_a_word_filing_is_split_at_its_page_breaks(documents):
    from mejora.annex.limits import DEFAULT_LIMITS
    from mejora.annex.parsers.bundle_docx import docx_pages
    from tests.bundles import filing_docx

    work, progress = documents
    data = filing_docx(work, progress)
    assert looks_like_filing(data, "docx")
    assert not looks_like_filing(render(work, "docx"), "docx")
    assert len(docx_pages(data, DEFAULT_LIMITS)) == 3
    filing = read_filing(data, "docx")
    assert (filing.oficio_number, filing.oficio_date.iso()) == (OFICIO_NUMBER, "2012-09-30")
    assert [p.document for p in filing.parts] == [work, progress]
