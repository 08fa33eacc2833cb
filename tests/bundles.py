"""Filings made by the tests themselves: an oficio page and the project's own annexes, in one file.

The oficio is printed by WeasyPrint from a few lines of HTML; the annexes by our renderers; the
PDF pages are put one after another with pypdf, as an agency's scanner or PDF tool would.
Each is made once per test run (functools.cache): printing PDFs is the slow part.
"""

from __future__ import annotations

import io
from dataclasses import replace
from functools import cache
from html import escape

import pytest

from mejora.annex.document import AnnexDocument, PartialDate, Signatory
from mejora.annex.renderers import render
from mejora.annex.synth import synth_document

OFICIO_NUMBER = "DGEMPS/410/0123/2012"
OFICIO_LINES = (
    "SECRETARÍA DE DESARROLLO SOCIAL",
    "Dirección General de Evaluación y Monitoreo de los Programas Sociales",
    f"Oficio No. {OFICIO_NUMBER}",
    "México, D.F., a 30 de septiembre de 2012",
    "Asunto: Se remiten el documento de trabajo y su avance al corte de septiembre.",
    "Por este conducto me permito enviarle los instrumentos del mecanismo de seguimiento a los "
    "aspectos susceptibles de mejora del programa, para los fines que estime procedentes.",
    "Atentamente, el Director General",
)


@cache
def work_and_progress(aspects: int = 3) -> tuple[AnnexDocument, AnnexDocument]:
    """Anexo B of a program and Anexo C of the same ASM at the September 2012 cut."""
    signed = (
        Signatory("responsable", "Ana López Ruiz", "Directora General del programa"),
        Signatory("enlace", "Luis Pérez Gómez", "Enlace de evaluación"),
    )
    work = synth_document(aspects=aspects, seed=5, kind="documento-trabajo")
    progress = synth_document(aspects=aspects, seed=5, kind="avance-documento-trabajo")
    september = PartialDate(2012, 9, text="septiembre de 2012")
    return (
        replace(work, signatories=signed),
        replace(progress, prepared=september, signatories=signed),
    )


def oficio_pdf(lines: tuple[str, ...] = OFICIO_LINES) -> bytes:
    from weasyprint import HTML

    body = "".join(f"<p>{escape(line)}</p>" for line in lines)
    return HTML(string=f'<html lang="es"><body>{body}</body></html>').write_pdf()


def joined_pdf(*pdfs: bytes) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for pdf in pdfs:
        for page in PdfReader(io.BytesIO(pdf)).pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@cache
def position_of(document: AnnexDocument):
    """An Anexo F of the program the annex is of (the position tests' own example)."""
    from tests.annex.test_position import position_document

    return replace(position_document(), institution=document.institution, program=document.program)


@cache
def filing_pdf(
    *documents: AnnexDocument, position=None, oficio: tuple[str, ...] = OFICIO_LINES
) -> bytes:
    """The oficio, the annexes and, when given, the Anexo F after them."""
    from mejora.annex.renderers.position import render_position

    printed = [render(d, "pdf") for d in documents]
    if position is not None:
        printed.append(render_position(position, "pdf"))
    return joined_pdf(oficio_pdf(oficio), *printed)


def filing_text(*parts: str, oficio: tuple[str, ...] = OFICIO_LINES) -> bytes:
    """The oficio and each part's text, a form feed between pages as pdftotext writes them."""
    return "\f".join(["\n".join(oficio), *parts]).encode("utf-8")


def filing_docx(*documents: AnnexDocument, oficio: tuple[str, ...] = OFICIO_LINES) -> bytes:
    """The oficio typed in Word, then each annex as our renderer writes it, a page break before
    each: the first annex's file is the base, the others' bodies are copied into it."""
    from copy import deepcopy

    from docx import Document
    from docx.enum.text import WD_BREAK

    base = Document(io.BytesIO(render(documents[0], "docx")))
    body = base.element.body
    letter = Document()
    for line in oficio:
        letter.add_paragraph(line)
    letter.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    for position, element in enumerate(_blocks(letter)):
        body.insert(position, deepcopy(element))
    for document in documents[1:]:
        other = Document(io.BytesIO(render(document, "docx")))
        breaker = Document()
        breaker.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        for element in [*_blocks(breaker), *_blocks(other)]:
            body.sectPr.addprevious(deepcopy(element))
    out = io.BytesIO()
    base.save(out)
    return out.getvalue()


def _blocks(document):
    return [e for e in document.element.body.iterchildren() if not e.tag.endswith("}sectPr")]


# The filing the bundle tests read, as fixtures: a test module imports them by name.
@pytest.fixture(scope="module")
def documents() -> tuple[AnnexDocument, AnnexDocument]:
    return work_and_progress()


@pytest.fixture(scope="module")
def position(documents):
    return position_of(documents[0])


@pytest.fixture(scope="module")
def pdf(documents, position) -> bytes:
    return filing_pdf(*documents, position=position)
