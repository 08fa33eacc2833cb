"""A reading kept as JSON between a page and a background task reads back whole."""

from __future__ import annotations

import json

import pytest

from mejora.annex.document import document_from_json, document_to_json
from mejora.annex.parsers import parse
from mejora.annex.synth import synth_document


@pytest.mark.parametrize("aspects", [1, 7, 60])
def test_a_synthetic_document_reads_back_equal_findings_and_all(aspects):
    document = synth_document(aspects=aspects)
    again = document_from_json(document_to_json(document))
    assert again == document
    assert again.findings == document.findings


def test_the_seed_reading_reads_back_equal_with_its_findings_and_their_cells(seed_bytes):
    document = parse(seed_bytes, "txt")
    assert document.findings and any(f.cell for f in document.findings)
    again = document_from_json(document_to_json(document))
    assert again == document and again.findings == document.findings
    assert document_to_json(again) == document_to_json(document)


@pytest.mark.parametrize(
    "text", ["", "[]", '{"title": 1}', json.dumps({"title": "x", "institution": "y"})]
)
def test_anything_else_is_refused_rather_than_half_read(text):
    with pytest.raises(ValueError):
        document_from_json(text)
