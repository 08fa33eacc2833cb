"""Reading back the annex PDFs we print gives the same document; non-annexes are refused."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from mejora.annex.document import AnnexDocument, AnnexRejected
from mejora.annex.parsers.pdf import parse_pdf
from mejora.annex.parsers.text import parse_text
from mejora.annex.renderers.pdf import render_pdf, render_pdf_from_html
from mejora.annex.synth import synth_document

SAMPLE = Path(__file__).parents[2] / "mejora/sample/anexo-e-opciones-productivas-2012-03.txt"


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


def test_document_fields_compared_are_the_annex_not_the_reading():
    assert not next(f for f in dataclasses.fields(AnnexDocument) if f.name == "findings").compare
