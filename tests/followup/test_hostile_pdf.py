"""Hostile and damaged PDF annexes through `mejora import`, each in a process of its own:
imported whole or rejected in Spanish with nothing written, within issue 8's bounds of time
and memory, and never a traceback.

Every file is made here: small PDFs written byte by byte, and the seed's annex printed once
and then damaged at fixed offsets.
"""

from __future__ import annotations

import contextlib
import random
import re
from pathlib import Path

import pytest

from mejora.annex.document import AnnexRejected
from mejora.annex.parsers import parse
from mejora.annex.parsers.text import parse_text
from mejora.annex.renderers import render
from tests.annex.test_limits_pdf import (
    TEXT_PAGE,
    inflating_pdf,
    pages_pdf,
    pdf_bytes,
    stream,
)
from tests.hostile import MAX_PEAK_MB, MAX_SECONDS, database_dump, import_outcome, migrated_data_dir

REJECTED = "Archivo rechazado."
DAMAGED = "El PDF está dañado o su texto no se puede leer"
HELVETICA = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def many_pages_pdf(pages: int) -> bytes:
    """`pages` distinct page dictionaries (pdfminer counts a page object once, however often
    it is listed), all drawing one shared content stream: 150,000 pages in about 15 MB."""
    kids = b" ".join(b"%d 0 R" % (5 + n) for n in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> >>" % (kids, pages),
        stream(TEXT_PAGE),
        HELVETICA,
    ]
    objects += [b"<< /Type /Page /Parent 2 0 R /Contents 3 0 R >>"] * pages
    return pdf_bytes(objects)


def damaged(data: bytes, *, size: int, seed: int) -> bytes:
    """`size` bytes at a random offset overwritten with random ones, as a bad copy leaves."""
    draw = random.Random(seed)
    at = draw.randrange(len(data) - size)
    return data[:at] + draw.randbytes(size) + data[at + size :]


def lying_length(data: bytes, *, by: int) -> bytes:
    """The annex with its first content stream's declared /Length off by `by` bytes."""
    match = re.search(rb"/Length (\d+)", data)
    assert match is not None
    wrong = b"/Length %d" % (int(match[1]) + by)
    return data[: match.start()] + wrong + data[match.end() :]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    return migrated_data_dir(tmp_path_factory.mktemp("hostile-pdf"))


@pytest.fixture(scope="module")
def annex_pdf(seed_bytes) -> bytes:
    return render(parse_text(seed_bytes), "pdf")


def imported(data_dir: Path, tmp_path: Path, data: bytes):
    """`mejora import` of the bytes as a PDF; a rejection must leave the database as it was."""
    file = tmp_path / "anexo.pdf"
    file.write_bytes(data)
    before = database_dump(data_dir)
    outcome = import_outcome(data_dir, file)
    assert outcome.exit_code in (0, 2), outcome.stderr  # 1 is a traceback: never for bad input
    if outcome.exit_code == 2:
        assert REJECTED in outcome.stderr
        assert database_dump(data_dir) == before
    return outcome


def test_a_stream_inflating_to_a_gigabyte_is_rejected_before_it_inflates(data_dir, tmp_path):
    outcome = imported(data_dir, tmp_path, inflating_pdf(1 << 30))
    assert outcome.exit_code == 2
    assert "pasa el límite de bytes descomprimidos de un flujo del PDF" in outcome.stderr
    assert "Divida el PDF en varios" in outcome.stderr
    assert outcome.peak_mb < MAX_PEAK_MB and outcome.seconds < MAX_SECONDS


def test_150000_pages_are_rejected_before_any_is_read(data_dir, tmp_path):
    outcome = imported(data_dir, tmp_path, many_pages_pdf(150_000))
    assert outcome.exit_code == 2
    assert "pasa el límite de páginas (3 000)" in outcome.stderr
    assert outcome.peak_mb < MAX_PEAK_MB and outcome.seconds < MAX_SECONDS


def test_pages_of_dense_text_are_rejected_once_the_file_holds_a_million_glyphs(data_dir, tmp_path):
    """Each page within its own bound, all drawing one small stream of 35,000 glyphs: laid
    out whole they would hold gigabytes; the reading stops at the file's bound instead."""
    line = b"(" + b"A" * 500 + b") Tj T* "
    dense = stream(b"BT /F1 3 Tf 3 TL 5 600 Td " + line * 70 + b"ET")
    pages = 60
    kids = b" ".join(b"%d 0 R" % (5 + n) for n in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> >>" % (kids, pages),
        dense,
        HELVETICA,
    ]
    objects += [b"<< /Type /Page /Parent 2 0 R /Contents 3 0 R >>"] * pages
    outcome = imported(data_dir, tmp_path, pdf_bytes(objects))
    assert outcome.exit_code == 2
    assert "pasa el límite de caracteres de texto del archivo (1 000 000)" in outcome.stderr
    assert outcome.peak_mb < MAX_PEAK_MB and outcome.seconds < MAX_SECONDS


def test_a_page_whose_box_is_junk_is_rejected_as_damaged(data_dir, tmp_path):
    data = pages_pdf([stream(TEXT_PAGE)], box=b"[0 0 abc null]")
    outcome = imported(data_dir, tmp_path, data)
    assert outcome.exit_code == 2
    assert DAMAGED in outcome.stderr and "la página 1 no se puede leer" in outcome.stderr


@pytest.mark.parametrize("by", [10**9, 40, -40])
def test_a_stream_whose_length_lies_is_rejected_or_read_whole(data_dir, tmp_path, annex_pdf, by):
    data = lying_length(annex_pdf, by=by)
    outcome = imported(data_dir, tmp_path, data)
    assert outcome.exit_code == 2 or parse(data, "pdf") == parse(annex_pdf, "pdf")
    if outcome.exit_code == 2:
        assert DAMAGED in outcome.stderr or "no es un PDF válido: está dañado" in outcome.stderr
        assert "Vuelva a generar el PDF desde el documento original" in outcome.stderr


@pytest.mark.parametrize("size", [512, 2000])
@pytest.mark.parametrize("seed", range(4))
def test_a_damaged_annex_is_rejected_or_read_exactly(data_dir, tmp_path, annex_pdf, size, seed):
    data = damaged(annex_pdf, size=size, seed=seed)
    outcome = imported(data_dir, tmp_path, data)
    if outcome.exit_code == 0:
        # Still read: the very same annex, no garbled text and no area made of it.
        assert parse(data, "pdf") == parse(annex_pdf, "pdf")
    else:
        assert DAMAGED in outcome.stderr or "no es un PDF válido: está dañado" in outcome.stderr
        assert "Vuelva a generar el PDF desde el documento original" in outcome.stderr


def test_the_undamaged_annex_still_imports(data_dir, tmp_path, annex_pdf):
    outcome = imported(data_dir, tmp_path, annex_pdf)
    assert outcome.exit_code == 0, outcome.stderr
    assert "Importado" in outcome.stdout


def test_a_damaged_annex_never_reads_as_another(annex_pdf):
    # The reading itself, without a process: over more offsets, a damaged copy either reads
    # as the annex or is refused; never garbled ('Di(cid:0)gnóstico') nor short of rows.
    original = parse(annex_pdf, "pdf")
    for seed in range(100, 112):
        data = damaged(annex_pdf, size=random.Random(seed).choice([1, 16, 512]), seed=seed)
        with contextlib.suppress(AnnexRejected):
            assert parse(data, "pdf") == original
