"""Reading back the annex PDFs we print gives the same document; non-annexes are refused."""

from __future__ import annotations

import dataclasses
import os
from html import escape
from pathlib import Path

import pytest

from mejora.annex.document import AnnexDocument, AnnexRejected
from mejora.annex.formats import FORMATS
from mejora.annex.parsers.pdf import parse_pdf
from mejora.annex.parsers.text import parse_text
from mejora.annex.renderers.pdf import render_pdf, render_pdf_from_html
from mejora.annex.synth import synth_document

SAMPLE = Path(__file__).parents[2] / "mejora/sample/anexo-e-opciones-productivas-2012-03.txt"
HEADINGS = FORMATS["anexo-e"].headings()
# Two ASM like the seed's, typed short: what these tests are about is the columns.
ROWS = [
    ["1", "Operación: Mejorar los sistemas.", "Incorporar al SIOp la etapa de registro",
     "DGI", "DGOP", "31/12/2008", "Un sistema", "SIOp", "100%", "SIOp.pdf", ""],
    ["", "", "Incorporar la supervisión", "DGI", "DGOP", "31/12/2009", "Un sistema",
     "SIOp", "Porcentaje de avance: 100%", "Flujograma.pdf", "Sin cambios"],
    ["2", "Diseño: Elaborar un diagnóstico.", "Elaborar el guión", "DGAP", "DGAP",
     "30/06/2009", "Un diagnóstico", "Diagnóstico", "95%", "Diagnostico.pdf", ""],
]  # fmt: skip


@pytest.fixture(scope="module")
def sample() -> AnnexDocument:
    return parse_text(SAMPLE.read_bytes())


@pytest.fixture(scope="module")
def sample_pdf(sample) -> bytes:
    return render_pdf(sample)


@pytest.fixture(scope="module")
def sample_read(sample_pdf) -> AnnexDocument:
    return parse_pdf(sample_pdf)


@pytest.fixture(scope="module")
def synthetic() -> AnnexDocument:
    return synth_document(aspects=30, seed=1)


@pytest.fixture(scope="module")
def synthetic_pdf(synthetic) -> bytes:
    return render_pdf(synthetic)


def _with_progress(doc: AnnexDocument, text: str) -> AnnexDocument:
    """The document with the first activity's progress text replaced (the cell read back)."""
    section = doc.sections[0]
    aspect = section.aspects[0]
    activity = aspect.activities[0]
    activity = dataclasses.replace(
        activity, progress=dataclasses.replace(activity.progress, text=text)
    )
    aspect = dataclasses.replace(aspect, activities=(activity, *aspect.activities[1:]))
    section = dataclasses.replace(section, aspects=(aspect, *section.aspects[1:]))
    return dataclasses.replace(doc, sections=(section, *doc.sections[1:]))


def test_sample_reads_back_equal(sample, sample_read):
    # The seed writes 'avance:100%' once and 'avance: 100%' elsewhere; printed, both break
    # after the colon into identical lines (the PDF keeps no trailing space), so the one
    # cell without the space reads back with it. Everything else is equal.
    progress = sample.sections[0].aspects[0].activities[0].progress.text
    assert progress.startswith("Porcentaje de avance:100%")
    expected = _with_progress(sample, progress.replace("avance:100%", "avance: 100%"))
    assert sample_read == expected


def test_sample_reads_back_its_findings_where_they_were_seen(sample_read):
    findings = sample_read.findings
    assert findings and all(f.where.startswith(("página", "documento")) for f in findings)


def test_synthetic_document_reads_back_equal(synthetic, synthetic_pdf):
    assert parse_pdf(synthetic_pdf) == synthetic


def test_random_bytes_are_not_a_pdf():
    with pytest.raises(AnnexRejected, match=r"El archivo no es un PDF válido\."):
        parse_pdf(os.urandom(4096))


def test_damaged_pdf_is_not_a_pdf(sample_pdf):
    with pytest.raises(AnnexRejected, match="no es un PDF válido"):
        parse_pdf(sample_pdf[:200])


def test_empty_file_is_refused():
    with pytest.raises(AnnexRejected, match="vacío"):
        parse_pdf(b"")


def test_pdf_without_a_table_is_refused():
    html = "<html><body><h1>Informe</h1><p>Un párrafo sin ninguna tabla.</p></body></html>"
    with pytest.raises(AnnexRejected, match=r"No se encontró la tabla"):
        parse_pdf(render_pdf_from_html(html))


def typed_pdf(headings: list[str], rows: list[list[str]]) -> bytes:
    """An annex typed as one plain ruled table, printed by bare WeasyPrint."""

    def cells(tag: str, texts: list[str]) -> str:
        return "".join(f"<{tag}>{escape(text)}</{tag}>" for text in texts)

    table = f"<tr>{cells('th', headings)}</tr>" + "".join(
        f"<tr>{cells('td', r)}</tr>" for r in rows
    )
    lines = [
        "SEGUIMIENTO A ASPECTOS SUSCEPTIBLES DE MEJORA",
        "Secretaría de Desarrollo Social",
        "Programa Opciones Productivas",
        "Anexo E. Avance al documento institucional",
        "ASPECTOS INSTITUCIONALES 2007-2008 (Mecanismo 2008)",
    ]
    style = (
        "@page { size: letter landscape; margin: 1cm } body { font: 7pt 'Liberation Sans' }"
        " table { border-collapse: collapse } th, td { border: 0.5pt solid; padding: 2pt }"
    )
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in lines)
    html = (
        f"<html><head><style>{style}</style></head><body>{paragraphs}<table>{table}</table>"
        "<p>Fecha de Elaboración: marzo de 2012</p></body></html>"
    )
    return render_pdf_from_html(html)


def reordered(texts: list[str], order: list[int]) -> list[str]:
    return [texts[i] for i in order]


@pytest.fixture(scope="module")
def typed_official() -> AnnexDocument:
    return parse_pdf(typed_pdf(HEADINGS, ROWS))


def test_a_typed_table_reads_its_cells(typed_official):
    aspects = typed_official.sections[0].aspects
    assert [a.number for a in aspects] == ["1", "2"]
    assert [len(a.activities) for a in aspects] == [2, 1]
    assert aspects[0].activities[1].observations == "Sin cambios"
    assert not [f for f in typed_official.findings if f.kind == "column_mapping"]


def test_columns_in_another_order_and_renamed_are_read_by_name(typed_official):
    order = [2, 0, 1, 4, 3, 5, 6, 7, 8, 9, 10]  # the activity first, the areas swapped
    headings = reordered(HEADINGS, order)
    headings[order.index(6)] = "Resultado esperado"
    headings[order.index(8)] = "Porcentaje de avance"
    doc = parse_pdf(typed_pdf(headings, [reordered(row, order) for row in ROWS]))

    assert doc == typed_official
    # 'Porcentaje de avance' is how the working document's progress names the column: read
    # without a finding.
    assert sorted(f.text for f in doc.findings if f.kind == "column_mapping") == [
        "La columna «Resultado esperado» se leyó como «Resultados Esperados».",
        "Las columnas están en otro orden que el oficial; se leyeron por nombre.",
    ]


def test_a_column_of_no_annex_is_left_unread(typed_official):
    headings = [*HEADINGS[:3], "Comentarios internos", *HEADINGS[3:]]
    rows = [[*row[:3], "no leer", *row[3:]] for row in ROWS]
    doc = parse_pdf(typed_pdf(headings, rows))

    assert doc == typed_official
    assert [f.text for f in doc.findings if f.kind == "column_mapping"] == [
        "La columna «Comentarios internos» no es de ningún anexo: su contenido no se leyó."
    ]


def test_a_table_with_other_columns_is_refused_as_in_the_other_formats():
    headings = [*HEADINGS[:-1], "Comentarios"]
    with pytest.raises(AnnexRejected) as caught:
        parse_pdf(typed_pdf(headings, ROWS))
    message = str(caught.value)
    assert message.startswith("página 1, tabla 1, fila 1: las columnas no son las del Anexo E")
    assert "Faltan: «Observaciones». Sobran: «Comentarios»." in message


def test_document_fields_compared_are_the_annex_not_the_reading():
    assert not next(f for f in dataclasses.fields(AnnexDocument) if f.name == "findings").compare
