"""A filing typed in Word: its pages are the body's runs between page breaks.

A page starts after a paragraph holding a page break (`<w:br w:type="page"/>`) or a section
break, and at a paragraph that asks for a page before it. A part of the filing is the same
document with every other page's paragraphs and tables taken out, so the table annexes' own
reader reads it as the file it was before it was bundled.
"""

from __future__ import annotations

import io

from mejora.annex.limits import ReadingLimits
from mejora.annex.parsers.free import block_lines, open_docx

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def docx_pages(data: bytes, limits: ReadingLimits) -> list[list[str]]:
    """Each page's lines, as `block_lines` reads paragraphs and tables."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = open_docx(data, limits)
    parent = document._body  # what python-docx's own blocks are made with
    pages = []
    for elements in _pages(document):
        lines = []
        for element in elements:
            block = (
                Table(element, parent) if element.tag == f"{_W}tbl" else Paragraph(element, parent)
            )
            lines += block_lines(block)
        pages.append(lines)
    return pages


def docx_cut(data: bytes, limits: ReadingLimits, first: int, last: int) -> bytes:
    """The document with only the pages first..last of its body."""
    document = open_docx(data, limits)
    pages = _pages(document)
    kept = {id(element) for page in pages[first : last + 1] for element in page}
    for page in pages:
        for element in page:
            if id(element) not in kept:
                element.getparent().remove(element)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _pages(document) -> list[list]:
    """The body's paragraphs and tables, page by page (the body's own section properties,
    which every part keeps, left out)."""
    pages: list[list] = [[]]
    for element in document.element.body.iterchildren():
        if element.tag not in (f"{_W}p", f"{_W}tbl"):
            continue
        if element.tag == f"{_W}p" and _breaks_before(element) and pages[-1]:
            pages.append([])
        pages[-1].append(element)
        if element.tag == f"{_W}p" and _breaks_after(element):
            pages.append([])
    return [page for page in pages if page]


def _breaks_before(paragraph) -> bool:
    mark = paragraph.find(f"{_W}pPr/{_W}pageBreakBefore")
    return mark is not None and mark.get(f"{_W}val", "true") not in ("false", "0")


def _breaks_after(paragraph) -> bool:
    if paragraph.find(f"{_W}pPr/{_W}sectPr") is not None:
        return True
    return any(br.get(f"{_W}type") == "page" for br in paragraph.iter(f"{_W}br"))
