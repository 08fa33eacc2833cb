"""Damaged XLSX and DOCX annexes: imported or rejected in Spanish, never a crash or half a write."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mejora.annex.document import AnnexRejected
from mejora.annex.parsers.text import parse_text
from mejora.annex.renderers import render
from mejora.followup.services.imports import annex_import, annex_read, file_sha256
from tests.followup.test_fuzz import SPANISH
from tests.followup.test_import import dump

pytestmark = pytest.mark.django_db

CELL_TEXTS = st.sampled_from(
    ["", "150%", "31/02/2010", "No.", "ASPECTOS INSTITUCIONALES 2007-2008 (Mecanismo 2008)",
     "Fecha de Elaboración: marzo de 2012", "\x00\x07", "=1+1", "DGEMPS y", "¹ nota"]
) | st.text(max_size=40)  # fmt: skip


@pytest.fixture(scope="module")
def rendered(seed_bytes) -> dict[str, bytes]:
    doc = parse_text(seed_bytes)
    return {fmt: render(doc, fmt) for fmt in ("xlsx", "docx")}


def damaged_parts(data: bytes, draw) -> bytes:
    """Rewrite the archive with one XML part's text changed: cells edited, tags cut."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    xml = [name for name in parts if name.endswith(".xml")]
    name = draw(st.sampled_from(sorted(xml)))
    content = parts[name]
    kind = draw(st.sampled_from(["truncate", "replace", "splice"]))
    at = draw(st.integers(0, max(0, len(content) - 1)))
    if kind == "truncate":
        content = content[:at]
    elif kind == "replace":
        content = content[:at] + draw(CELL_TEXTS).encode("utf-8", "replace") + content[at + 5 :]
    else:
        content = content.replace(b"<w:t>", b"<w:t>" + draw(CELL_TEXTS).encode(), 1)
    parts[name] = content
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for part, blob in parts.items():
            target.writestr(part, blob)
    return out.getvalue()


@pytest.mark.parametrize("file_format", ["xlsx", "docx"])
def test_damaged_office_files_are_imported_or_rejected_cleanly(rendered, file_format):
    before = dump()

    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def check(data) -> None:
        original = rendered[file_format]
        if data.draw(st.booleans()):
            blob = damaged_parts(original, data.draw)
        else:
            at = data.draw(st.integers(0, len(original) - 1))
            blob = original[:at] + bytes([data.draw(st.integers(0, 255))]) + original[at + 1 :]
        with transaction.atomic():
            try:
                annex_import(
                    document=annex_read(blob, file_format=file_format),
                    file_name=f"dañado.{file_format}",
                    sha256=file_sha256(blob),
                    file_format=file_format,
                )
            except AnnexRejected as rejection:
                message = str(rejection).lower()
                assert any(word in message for word in SPANISH), message
                assert dump() == before
            transaction.set_rollback(True)

    check()
