"""Every annex kind of the mechanism, in every format we write, reads back as written.

The seed is an Anexo E; the other kinds (ESPECÍFICOS and INSTITUCIONALES, with and without
the progress columns, the working document without the coordinating area) are made by
`synth_document`, over several cycles each.
"""

from __future__ import annotations

import pytest

from mejora.annex.formats import FORMATS
from mejora.annex.parsers import parse
from mejora.annex.renderers import render

KINDS = sorted(FORMATS)
TABLE_FORMATS = ("txt", "csv", "xlsx", "docx")


@pytest.fixture(scope="module", params=KINDS)
def document(request):
    return synth_of(request.param, aspects=12)


def synth_of(kind: str, *, aspects: int):
    from mejora.annex.synth import synth_document

    return synth_document(aspects=aspects, seed=5, kind=kind)


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
    assert again.sections == document.sections
