"""Every annex kind of the mechanism, in every format we write, reads back as written.

The seed is an Anexo E; the other kinds (ESPECÍFICOS and INSTITUCIONALES, with and without
the progress columns, the working document without the coordinating area) are made by
`synth_document`, over several cycles each.
"""

from __future__ import annotations

import dataclasses

import pytest

from mejora.annex.document import Signatory
from mejora.annex.formats import FORMATS
from mejora.annex.parsers import parse
from mejora.annex.renderers import render

KINDS = sorted(FORMATS)
TABLE_FORMATS = ("txt", "csv", "xlsx", "docx")


@pytest.fixture(scope="module", params=KINDS)
def document(request):
    return synth_of(request.param, aspects=12)


# Who signs below the table, as state filings name them (a post may hold commas).
SIGNATORIES = (
    Signatory(
        "responsable", "Lic. María Elena Ríos Baeza", "Directora General de Opciones Productivas"
    ),
    Signatory(
        "enlace", "Mtro. Juan Carlos Pérez", "Director de Evaluación, Planeación y Seguimiento"
    ),
    Signatory("titular", "Dr. Jorge Ávila Nava", "Secretario de Desarrollo Social"),
)


def synth_of(kind: str, *, aspects: int):
    """A synthetic annex of the kind, with the program's key and the three signatories."""
    from mejora.annex.synth import synth_document

    document = synth_document(aspects=aspects, seed=5, kind=kind)
    return dataclasses.replace(document, program_key="S054", signatories=SIGNATORIES)


def test_each_kind_has_its_own_title_columns_and_cycles(document):
    annex = FORMATS[document.kind]
    plural = "ESPECÍFICOS" if annex.classification == "especifico" else "INSTITUCIONALES"
    assert plural in document.title
    assert document.annex == annex.annex_line
    assert len(document.sections) > 1
    assert all(plural in section.heading for section in document.sections)
    activities = [a for s in document.sections for asp in s.aspects for a in asp.activities]
    keys = {column.key for column in annex.columns}
    assert any(a.coordinating.text for a in activities) == ("coordinating" in keys)
    assert any(a.progress.text for a in activities) == ("progress" in keys)


@pytest.mark.parametrize("file_format", TABLE_FORMATS)
def test_each_kind_reads_back_from_each_format(document, file_format):
    again = parse(render(document, file_format), file_format)
    assert again == document
    assert again.kind == document.kind
    assert not [f for f in again.findings if f.kind in ("column_mapping", "ignored_line")]


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_reads_back_from_its_pdf(kind):
    document = synth_of(kind, aspects=3)
    again = parse(render(document, "pdf"), "pdf")
    assert again.kind == kind
    assert again == document


@pytest.mark.parametrize("file_format", (*TABLE_FORMATS, "pdf"))
def test_the_header_lines_and_the_signatories_are_written_and_read_back(file_format):
    document = synth_of("documento-trabajo", aspects=2)
    again = parse(render(document, file_format), file_format)
    assert (again.institution, again.program_key, again.program) == (
        "Secretaría de Desarrollo Social",
        "S054",
        "Programa Sintético de Prueba",
    )
    assert again.signatories == SIGNATORIES
    assert not [f for f in again.findings if f.kind == "ignored_line"]
