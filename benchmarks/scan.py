"""The scanned-annex import beside the text-PDF import of the same few pages.

OCR reads a page in seconds where pdfplumber reads a printed one in a fraction of one, so both
cases take the first ASM of the benchmark's annex (a few pages), not the whole program: the
figure is what reading a scan costs against reading the same annex printed to PDF.
"""

from __future__ import annotations

import io
from dataclasses import replace

from benchmarks.cases import Work, _empty_record, _import
from mejora.annex.document import AnnexDocument

SCAN_ASPECTS = 3  # the first ASM of the annex: two or three printed pages
SCAN_DPI = 200


def _first_aspects(doc: AnnexDocument) -> AnnexDocument:
    sections, room = [], SCAN_ASPECTS
    for section in doc.sections:
        if room <= 0:
            break
        sections.append(replace(section, aspects=section.aspects[:room]))
        room -= len(sections[-1].aspects)
    return replace(doc, sections=tuple(sections))


def _scanned(pdf: bytes) -> bytes:
    """The printed annex as a copier scans it: a PDF of one JPEG image per page."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    pages = [page.render(scale=SCAN_DPI / 72, grayscale=True).to_pil() for page in document]
    document.close()
    out = io.BytesIO()
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=SCAN_DPI)
    return out.getvalue()


def import_scan(doc: AnnexDocument) -> Work:
    from mejora.annex.renderers import render

    small = _first_aspects(doc)
    data = _scanned(render(small, "pdf"))
    _empty_record(small)
    return lambda: _import(data, "pdf")


def import_scan_text(doc: AnnexDocument) -> Work:
    """The baseline: the same pages printed to PDF with their text, imported alike."""
    from mejora.annex.renderers import render

    small = _first_aspects(doc)
    data = render(small, "pdf")
    _empty_record(small)
    return lambda: _import(data, "pdf")


SCAN_CASES = {case.__name__: case for case in (import_scan, import_scan_text)}
