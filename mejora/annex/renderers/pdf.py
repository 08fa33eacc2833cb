"""The annex as a PDF: WeasyPrint printing the standalone HTML of renderers.html.

The PDF takes its title, author (the institution), subject and language from the HTML's head
and carries no creation date (WeasyPrint writes one only when the HTML asks for it), so the
same annex prints to the same bytes run after run.

WeasyPrint keeps every box of a document until it is written (about 0.3 MB a table row), so a
long annex is printed in parts of a bounded number of rows and the parts are joined with pypdf.
Each part's last page is dropped and laid out again at the head of the next part, so the pages
turn where one document would have turned them. The parts' footers are left blank, and once the
total is known the footers "Página X de Y" are printed alone and stamped on every page.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from mejora.annex.document import AnnexDocument
from mejora.annex.progress import PRINTING, Progress, Stage
from mejora.annex.renderers.html import (
    HEADING,
    HtmlPart,
    Position,
    render_html,
    render_html_part,
    render_page_numbers,
    table_rows,
)

if TYPE_CHECKING:
    from pypdf import PageObject, PdfWriter
    from pypdf.generic import IndirectObject
    from weasyprint import Page

# Table rows laid out at a time: with WeasyPrint and the fonts loaded this keeps a part's peak
# well under 400 MB, and a part re-lays only one page of about sixty.
PART_ROWS = 350
# Footers laid out at a time: WeasyPrint slows down per page on long runs of pages.
NUMBERS_PER_PART = 300
# WeasyPrint lays out in CSS pixels and writes PDF points.
_POINTS_PER_PIXEL = 0.75
_FOOTER = "/MejoraPageNumber"


def render_pdf(
    doc: AnnexDocument, *, part_rows: int = PART_ROWS, progress: Progress | None = None
) -> bytes:
    """Print the annex to a letter-landscape PDF, identical run to run, from its standalone HTML.

    An annex of more than `part_rows` table rows is printed in parts of that many rows;
    `progress` is told the rows printed so far (stage 'Imprimiendo').
    """
    printing = Stage(progress, PRINTING)
    total = table_rows(doc)
    if total <= part_rows:
        pdf = render_pdf_from_html(render_html(doc, standalone=True))
    else:
        pdf = _render_in_parts(doc, part_rows, lambda done: printing.advance(done, total))
    printing.advance(total, total)
    return pdf


def render_pdf_from_html(html: str) -> bytes:
    """Bare WeasyPrint on an already built HTML string: the baseline the benchmark compares with."""
    # Imported here: WeasyPrint loads Pango and fontconfig, which reading an annex or writing
    # its CSV should not pay for.
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def _render_in_parts(
    doc: AnnexDocument, part_rows: int, printed_rows: Callable[[int], None]
) -> bytes:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject
    from weasyprint import HTML

    printed: list[bytes] = []  # the parts as PDFs, joined once every part is laid out
    pages_before = 0
    bookmarks: list[tuple[int, str, int, float, float]] = []  # level, label, page, left, top
    start: Position | None = (0, HEADING)
    while start is not None:
        part = render_html_part(doc, start=start, rows=part_rows)
        rendering = HTML(string=part.html).render()
        keep, next_start = _cut(rendering.pages, part, start)
        pages = rendering.pages[:keep]
        for number, page in enumerate(pages, start=pages_before):
            for level, label, (x, y), _ in page.bookmarks:
                left, top = x * _POINTS_PER_PIXEL, (page.height - y) * _POINTS_PER_PIXEL
                bookmarks.append((level, label, number, left, top))
        pages_before += keep
        printed.append(rendering.copy(pages).write_pdf())
        del rendering, pages  # the part's boxes, before the next part is laid out
        start = next_start
        if start is not None:
            printed_rows(_rows_before(doc, start))

    # Joined only now, so pypdf's objects do not sit among the boxes of the parts being laid
    # out and the join reuses the memory they leave.
    writer = PdfWriter()
    for index in range(len(printed)):
        reader = PdfReader(io.BytesIO(printed[index]))
        printed[index] = b""
        if index == 0:
            writer.add_metadata(reader.metadata)
            writer.root_object[NameObject("/Lang")] = reader.root_object["/Lang"]
        for page in reader.pages:
            writer.add_page(page)
        writer.reset_translation(reader)  # lets go of the part's reader
    _stamp_page_numbers(writer)
    _add_outline(writer, bookmarks)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _rows_before(doc: AnnexDocument, position: Position) -> int:
    """How many table rows come before a position: the rows printed when a part starts there."""
    section, row = position
    return table_rows(replace(doc, sections=doc.sections[:section])) + max(row, 0)


def _cut(pages: Sequence[Page], part: HtmlPart, start: Position) -> tuple[int, Position | None]:
    """How many of a part's pages to keep, and where the next part starts (None: the end).

    The next part starts with whatever heads the part's last page. A page headed by the rest of
    a row split across pages cannot head a part, so the cut moves to the page before; a part
    with no page to cut at is kept whole.
    """
    if part.stop is None:
        return len(pages), None
    for index in range(len(pages) - 1, 0, -1):
        found = pages[index].anchors
        names = [name for name in found if name in part.anchors]
        if not names:
            continue
        top = min(names, key=lambda name: (found[name][1], part.anchors[name]))
        if top in pages[index - 1].anchors or part.anchors[top] <= start:
            continue
        return index, part.anchors[top]
    return len(pages), part.stop


def _stamp_page_numbers(writer: PdfWriter) -> None:
    """Print 'Página X de Y' on blank pages, a few hundred at a time, and draw each on its page."""
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

    total = len(writer.pages)
    # Each page's own drawing is wrapped in q … Q, so the footer is drawn on an untouched state.
    save, restore = DecodedStreamObject(), DecodedStreamObject()
    save.set_data(b"q\n")
    restore.set_data(f"Q\nq {_FOOTER} Do Q\n".encode())
    wrap = writer._add_object(save), writer._add_object(restore)
    for first in range(0, total, NUMBERS_PER_PART):
        count = min(NUMBERS_PER_PART, total - first)
        html = render_page_numbers(first=first + 1, count=count, total=total)
        reader = PdfReader(io.BytesIO(render_pdf_from_html(html)))
        for index, numbers in enumerate(reader.pages, start=first):
            page = writer.pages[index]
            # A page of its own resources: a part's pages may share one dictionary.
            resources = DictionaryObject(page["/Resources"].get_object())
            xobjects = DictionaryObject(resources.get("/XObject", DictionaryObject()).get_object())
            xobjects[NameObject(_FOOTER)] = _as_form(writer, numbers)
            resources[NameObject("/XObject")] = xobjects
            page[NameObject("/Resources")] = resources
            contents = page.raw_get("/Contents")
            drawing = contents.get_object()
            drawing = list(drawing) if isinstance(drawing, ArrayObject) else [contents]
            page[NameObject("/Contents")] = ArrayObject([wrap[0], *drawing, wrap[1]])
        writer.reset_translation(reader)


def _as_form(writer: PdfWriter, page: PageObject) -> IndirectObject:
    """A page of another PDF as a form XObject of `writer`, to draw over one of its pages."""
    from pypdf.generic import DecodedStreamObject, NameObject

    form = DecodedStreamObject()
    form.set_data(page.get_contents().get_data())
    form[NameObject("/Type")] = NameObject("/XObject")
    form[NameObject("/Subtype")] = NameObject("/Form")
    form[NameObject("/BBox")] = page.mediabox
    form[NameObject("/Resources")] = page.raw_get("/Resources").clone(writer)
    return writer._add_object(form.flate_encode())


def _add_outline(writer: PdfWriter, bookmarks: list[tuple[int, str, int, float, float]]) -> None:
    """The headings as bookmarks, nested by level as WeasyPrint nests them in one document."""
    from pypdf.generic import Fit

    open_items: list[tuple[int, IndirectObject]] = []  # the current item at each level
    for level, label, page, left, top in bookmarks:
        while open_items and open_items[-1][0] >= level:
            open_items.pop()
        parent = open_items[-1][1] if open_items else None
        fit = Fit.xyz(left, top, 0)
        item = writer.add_outline_item(title=label, page_number=page, parent=parent, fit=fit)
        open_items.append((level, item))
