"""The PDF reader's budget and damage checks: each limit trips while reading, damage pdfminer
reads past rejects the file, and the seed still reads whole within the default limits.

The PDFs here are written byte by byte, small, so each shows one thing.
"""

from __future__ import annotations

import dataclasses
import io
import tracemalloc
import zlib

import pdfplumber
import pytest

from mejora.annex.document import AnnexDocument, AnnexRejected
from mejora.annex.limits import DEFAULT_LIMITS, ReadingLimits
from mejora.annex.parsers import parse
from mejora.annex.parsers.text import parse_text
from mejora.annex.renderers import render

# One line of text in a font every PDF reader knows.
TEXT_PAGE = b"BT /F1 12 Tf 72 720 Td (Programa de prueba) Tj ET"
HELVETICA = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
MIB = 1 << 20


def pdf_bytes(objects: list[bytes]) -> bytes:
    """A PDF of the given objects (numbered from 1, the catalogue first), with a correct
    cross-reference table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def stream(data: bytes, extra: bytes = b"", *, length: int | None = None) -> bytes:
    """A stream object's body; `length` may lie about the data's length."""
    declared = len(data) if length is None else length
    return b"<< /Length %d %s >>\nstream\n%s\nendstream" % (declared, extra, data)


def deflated(data: bytes) -> bytes:
    return stream(zlib.compress(data), b"/Filter /FlateDecode")


def pages_pdf(
    contents: list[bytes],
    *,
    font: bytes = HELVETICA,
    box: bytes = b"[0 0 612 792]",
    extra: list[bytes] = (),
) -> bytes:
    """A PDF of one page per content stream (each a stream object's body), sharing one font
    (object 3); the `extra` objects follow the pages' (object 6 after one page)."""
    count = len(contents)
    kids = b" ".join(b"%d 0 R" % (4 + 2 * n) for n in range(count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count),
        font,
    ]
    for n, content in enumerate(contents):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox %s /Contents %d 0 R "
            b"/Resources << /Font << /F1 3 0 R >> >> >>" % (box, 5 + 2 * n)
        )
        objects.append(content)
    return pdf_bytes([*objects, *extra])


def zeros_deflated(size: int) -> bytes:
    """`size` zero bytes (whole MiB) as a zlib stream, built without compressing them all: a
    fully flushed block of a MiB of zeros is the same bytes every time."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(bytes(MIB)) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
    adler = ((size % 65521) << 16) | 1  # Adler-32 of zeros: a stays 1, b counts the bytes
    return b"\x78\xda" + block * (size // MIB) + end + adler.to_bytes(4, "big")


def inflating_pdf(size: int) -> bytes:
    """A page whose content stream, a few bytes a MiB deflated, inflates to `size` bytes."""
    return pages_pdf([stream(zeros_deflated(size), b"/Filter /FlateDecode")])


def rejection(data: bytes, **limits) -> str:
    with pytest.raises(AnnexRejected) as raised:
        parse(data, "pdf", limits=ReadingLimits(**limits))
    return str(raised.value)


def assert_damaged(message: str) -> None:
    assert "El PDF está dañado" in message
    assert "Vuelva a generar el PDF desde el documento original" in message
    assert "Word (DOCX) o Excel (XLSX)" in message


@pytest.fixture(scope="module")
def seed_doc(seed_bytes) -> AnnexDocument:
    return parse_text(seed_bytes)


@pytest.fixture(scope="module")
def seed_pdf(seed_doc) -> bytes:
    return render(seed_doc, "pdf")


@pytest.fixture(scope="module")
def seed_read(seed_pdf) -> AnnexDocument:
    return parse(seed_pdf, "pdf", limits=DEFAULT_LIMITS)


def test_the_seed_reads_whole_within_the_default_limits(seed_doc, seed_read):
    # Printed, the seed's one 'avance:100%' breaks after the colon as its 'avance: 100%' do,
    # and reads back with the space (tests/annex/test_pdf_import.py); the rest is equal.
    first = seed_doc.sections[0].aspects[0].activities[0]
    progress = first.progress.text.replace("avance:100%", "avance: 100%")
    read = seed_read.sections[0].aspects[0].activities[0]
    assert read.progress.text == progress
    fixed = dataclasses.replace(read, progress=dataclasses.replace(read.progress, text=""))
    original = dataclasses.replace(first, progress=dataclasses.replace(first.progress, text=""))
    assert fixed == original
    assert seed_read.sections[1:] == seed_doc.sections[1:]
    assert seed_read.sections[0].aspects[1:] == seed_doc.sections[0].aspects[1:]


def test_a_budget_of_exactly_the_seeds_pages_and_glyphs_reads_it(seed_pdf, seed_read):
    with pdfplumber.open(io.BytesIO(seed_pdf)) as pdf:
        pages = len(pdf.pages)
        glyphs = sum(len(page.chars) for page in pdf.pages)
        densest = max(len(page.chars) for page in pdf.pages)
    exact = ReadingLimits(pages=pages, text_chars=glyphs, page_chars=densest)
    assert parse(seed_pdf, "pdf", limits=exact) == seed_read
    assert "límite de páginas" in rejection(seed_pdf, pages=pages - 1)
    assert "límite de caracteres de texto del archivo" in rejection(seed_pdf, text_chars=glyphs - 1)
    assert "límite de caracteres de texto del archivo" in rejection(seed_pdf, pdf_chars=glyphs - 1)


def test_a_page_past_the_characters_of_a_page_is_rejected_as_it_is_laid_out(seed_pdf):
    message = rejection(seed_pdf, page_chars=1000)
    assert "límite de caracteres en una página del PDF (1 000)" in message
    # A page of half a million glyphs, a few kilobytes deflated, stops at the limit.
    line = b"(" + b"A" * 500 + b") Tj T* "
    content = deflated(b"BT /F1 3 Tf 3 TL 5 600 Td " + line * 1000 + b"ET")
    tracemalloc.start()
    try:
        message = rejection(pages_pdf([content]), page_chars=4000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "límite de caracteres en una página del PDF (4 000)" in message
    assert peak < 64 * MIB  # laid out whole, the page would hold a gigabyte


def test_past_the_pages_it_says_how_to_split_the_file(seed_pdf):
    message = rejection(seed_pdf, pages=2)
    assert message.startswith("El archivo pasa el límite de páginas (2); no se leyó.")
    assert "Divida el PDF en varios" in message


def test_the_pages_are_counted_before_any_is_read():
    # The first page's content is damaged: read first, it would be the rejection.
    broken = stream(zlib.compress(TEXT_PAGE)[:-6] + b"junk!!", b"/Filter /FlateDecode")
    data = pages_pdf([broken, stream(TEXT_PAGE), stream(TEXT_PAGE)])
    assert "límite de páginas (2)" in rejection(data, pages=2)
    assert_damaged(rejection(data, pages=3))


def test_a_stream_past_the_part_limit_is_never_inflated():
    data = inflating_pdf(64 * MIB)
    tracemalloc.start()
    try:
        message = rejection(data, inflated_part_bytes=MIB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "límite de bytes descomprimidos de un flujo del PDF (1 048 576)" in message
    assert peak < 16 * MIB  # pdfminer inflating it whole would hold 64 MiB at once


def test_a_stream_deflated_twice_is_measured_through_both_layers():
    twice = zlib.compress(zeros_deflated(64 * MIB))
    data = pages_pdf([stream(twice, b"/Filter [/FlateDecode /FlateDecode]")])
    tracemalloc.start()
    try:
        message = rejection(data, inflated_part_bytes=MIB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "límite de bytes descomprimidos de un flujo del PDF" in message
    assert peak < 16 * MIB


def test_an_lzw_stream_is_measured_too():
    # The PDF reference's own LZW example: nine bytes that decode to '-----A---B'.
    lzw = stream(bytes.fromhex("800B6050220C0C8501"), b"/Filter /LZWDecode")
    message = rejection(pages_pdf([lzw]), inflated_part_bytes=9)
    assert "límite de bytes descomprimidos de un flujo del PDF (9)" in message
    # Within ten bytes it is read, and '-----A---B' is no page's drawing.
    assert "la página 1 no se puede leer" in rejection(pages_pdf([lzw]), inflated_part_bytes=10)


def test_streams_past_the_total_limit_together_reject_the_file():
    page = deflated(TEXT_PAGE + b"\n%" + b"x" * 400_000)
    data = pages_pdf([page, page, page])
    limits = {"inflated_part_bytes": MIB, "inflated_total_bytes": MIB}
    message = rejection(data, **limits)
    assert "límite de bytes descomprimidos del PDF en total (1 048 576)" in message
    # Within a budget twice as large it is read through, and found to be no annex.
    assert "No se encontró la tabla" in rejection(
        data, **limits | {"inflated_total_bytes": 2 * MIB}
    )


def test_a_stream_of_damaged_bytes_rejects_the_file():
    packed = bytearray(zlib.compress(TEXT_PAGE * 20))
    packed[len(packed) // 2 : len(packed) // 2 + 4] = b"\xff\x00\xff\x00"
    data = pages_pdf([stream(bytes(packed), b"/Filter /FlateDecode")])
    assert_damaged(rejection(data))


def test_a_stream_cut_short_rejects_the_file():
    packed = zlib.compress(TEXT_PAGE * 20)
    data = pages_pdf([stream(packed[: len(packed) // 2], b"/Filter /FlateDecode")])
    assert_damaged(rejection(data))


@pytest.mark.parametrize("length", [len(TEXT_PAGE) - 14, len(TEXT_PAGE) + 30])
def test_a_plain_stream_whose_length_lies_rejects_the_file(length):
    # Shorter, pdfminer would read the page without its last line's drawing; longer, it
    # reads 'endstream' and what follows as drawing.
    data = pages_pdf([stream(TEXT_PAGE, length=length)])
    assert_damaged(rejection(data))


def test_a_glyph_without_text_rejects_the_file():
    # A composite font with no ToUnicode map: pdfminer would read each glyph as '(cid:N)'.
    font = (
        b"<< /Type /Font /Subtype /Type0 /BaseFont /Sin-mapa /Encoding /Identity-H "
        b"/DescendantFonts [<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Sin-mapa "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
        b"/DW 500 /FontDescriptor << /Type /FontDescriptor /FontName /Sin-mapa /Flags 4 "
        b"/FontBBox [0 -200 1000 800] /ItalicAngle 0 /Ascent 800 /Descent -200 "
        b"/CapHeight 700 /StemV 80 >> >>] >>"
    )
    data = pages_pdf([stream(b"BT /F1 12 Tf 72 720 Td <00410042> Tj ET")], font=font)
    message = rejection(data)
    assert_damaged(message)
    assert "la página 1 tiene caracteres sin texto" in message


def test_a_glyph_read_as_a_replacement_character_rejects_the_file():
    cmap = (
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap "
        b"/CMapName /Roto def 1 begincodespacerange <00> <FF> endcodespacerange "
        b"1 beginbfchar <41> <FFFD> endbfchar endcmap CMapName currentdict /CMap "
        b"defineresource pop end end"
    )
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 6 0 R >>"
    content = stream(b"BT /F1 12 Tf 72 720 Td (ABC) Tj ET")
    data = pages_pdf([content], font=font, extra=[stream(cmap)])
    message = rejection(data)
    assert_damaged(message)
    assert "caracteres ilegibles" in message


def test_what_pdfminer_warns_of_rejects_the_file():
    # A transformation matrix with a string in it: pdfminer warns and draws on regardless.
    data = pages_pdf([stream(b"q 1 0 0 1 (x) 72 cm Q " + TEXT_PAGE)])
    message = rejection(data)
    assert_damaged(message)
    assert "Cannot concatenate matrix" in message


def test_a_page_whose_box_is_junk_rejects_the_file():
    data = pages_pdf([stream(TEXT_PAGE)], box=b"[0 0 abc null]")
    message = rejection(data)
    assert_damaged(message)
    assert "la página 1 no se puede leer" in message


def test_a_content_dictionary_broken_by_a_byte_rejects_the_file():
    # '<<' turned to '<o': out of strict mode pdfminer reads the page as blank.
    data = pages_pdf([deflated(TEXT_PAGE)]).replace(b"<< /Length", b"<o /Length", 1)
    assert_damaged(rejection(data))
