"""The annex as a Word document: landscape, the title block, one table per cycle, the footnote.

The table carries the same texts as the text renderer, cell for cell, so `parse_docx` reads it
back to the same document. The file is byte for byte the same for the same annex: the core
properties and the zip entries carry fixed dates instead of the time of rendering. python-docx
writes everything but the tables' rows, which go into the file as text a few hundred at a
time, so that a large annex takes little memory.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Emu, Inches, Pt
from docx.table import Table

from mejora.annex.dates import spanish_month_year
from mejora.annex.document import AnnexDocument, Section
from mejora.annex.formats import (
    ASPECT_KEYS,
    FORMATS,
    AnnexFormat,
    header_lines,
    row_cells,
    signatory_line,
)
from mejora.annex.renderers.office import fixed_moment, strip_non_xml
from mejora.annex.words import squash

# Letter paper (the size of the mechanism's official forms), turned on its side.
_PAGE_WIDTH = Inches(11)
_PAGE_HEIGHT = Inches(8.5)
_MARGIN = Inches(0.5)
_CELL_STYLE = "Anexo Celda"
_HEADER_STYLE = "Anexo Encabezado"
_CELL_STYLE_ID = "AnexoCelda"
# Relative column widths by key; a column of a future format without one gets the default.
_WEIGHTS = {
    "number": 3.5,
    "aspect": 11,
    "activity": 12,
    "coordinating": 8,
    "responsible": 8,
    "due": 6,
    "expected_results": 10,
    "deliverable": 10,
    "progress": 9.5,
    "proof": 11,
    "observations": 11,
}
_DEFAULT_WEIGHT = 9.0
_DOCUMENT_PART = "word/document.xml"
_ROWS_MARK = "mejora-rows-{}"
_MARK = re.compile(rb"<!--mejora-rows-(\d+)-->")
_PARTS_PER_WRITE = 20_000  # XML parts held before they are written to the file


def render_docx(doc: AnnexDocument) -> bytes:
    """Write the annex as a landscape Word document that reads back to the same annex."""
    annex = FORMATS[doc.kind]
    document = Document()
    _set_up_page(document)
    _add_styles(document)
    named = header_lines(doc.institution, doc.program, doc.program_key)
    for text, bold in ((doc.title, True), *((line, False) for line in named), (doc.annex, True)):
        _centred(document, text, bold=bold)
    widths: list[int] = []
    for index, section in enumerate(doc.sections):
        heading = document.add_paragraph()
        heading.paragraph_format.space_before = Pt(12)
        heading.paragraph_format.keep_with_next = True
        heading.add_run(_xml_text(section.heading)).bold = True
        table = _new_table(document, annex)
        widths = widths or [Emu(gridCol.w).twips for gridCol in table._tbl.tblGrid.gridCol_lst]
        table._tbl.append(_rows_mark(index))
    if doc.footnote:
        document.add_paragraph().add_run(_xml_text(doc.footnote)).font.size = Pt(8)
    for signatory in doc.signatories:
        document.add_paragraph(_xml_text(signatory_line(signatory)))
    if doc.prepared is not None:
        prepared = doc.prepared.text or spanish_month_year(doc.prepared)
        document.add_paragraph(_xml_text(f"Fecha de Elaboración: {prepared}"))
    moment = fixed_moment(doc)
    _set_properties(document, doc, moment)
    _drop_thumbnail(document)
    raw = io.BytesIO()
    document.save(raw)

    def rows(index: int) -> Iterator[str]:
        return _table_rows(annex, doc.sections[index], widths)

    return _fixed_zip(raw.getvalue(), moment, rows)


def _set_up_page(document) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = _PAGE_WIDTH, _PAGE_HEIGHT
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, _MARGIN)


def _add_styles(document) -> None:
    normal = document.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(9)
    for name, bold in ((_CELL_STYLE, False), (_HEADER_STYLE, True)):
        style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        style.font.size = Pt(7)
        style.font.bold = bold
        style.paragraph_format.space_before = Pt(0)
        style.paragraph_format.space_after = Pt(0)
        style.paragraph_format.line_spacing = 1.0


def _centred(document, text: str, *, bold: bool) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run(_xml_text(text)).bold = bold


def _new_table(document, annex: AnnexFormat) -> Table:
    """A bordered table of fixed column widths whose first row, the header, repeats per page."""
    table = document.add_table(rows=0, cols=len(annex.columns))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    usable = _PAGE_WIDTH - 2 * _MARGIN
    weights = [_WEIGHTS.get(column.key, _DEFAULT_WEIGHT) for column in annex.columns]
    for column, weight in zip(table.columns, weights, strict=True):
        column.width = Emu(int(usable * weight / sum(weights)))
    header = table.add_row()
    trPr = header._tr.get_or_add_trPr()
    trPr.append(OxmlElement("w:tblHeader"))
    for cell, heading in zip(header.cells, annex.headings(), strict=True):
        paragraph = cell.paragraphs[0]
        paragraph.style = _HEADER_STYLE
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.add_run(heading)
        shading = OxmlElement("w:shd", {qn("w:val"): "clear", qn("w:fill"): "D9D9D9"})
        cell._tc.get_or_add_tcPr().append(shading)
    return table


def _rows_mark(index: int):
    """A comment where a table's rows go in when the file is written (see _fixed_zip); text
    in the document cannot look like it, since its '<' is written as '&lt;'."""
    (mark,) = parse_xml(f"<w:tbl {nsdecls('w')}><!--{_ROWS_MARK.format(index)}--></w:tbl>")
    return mark


def _table_rows(annex: AnnexFormat, section: Section, widths: list[int]) -> Iterator[str]:
    """The cycle's rows as XML, one per activity, the ASM's number and text merged down its
    rows, a few hundred ASM at a time.

    python-docx's `table.add_row()` builds each cell element by element and sets text a
    character at a time (about 6 ms a row here, 90 s for 15,000 activities), `_Cell.merge`
    finds each row by scanning the whole table, which is quadratic, and a tree of all the rows
    takes hundreds of megabytes; the rows are written as text instead, straight into the file.
    The merge is marked as `_Cell.merge` marks it: `w:vMerge` "restart" on the top cell, a
    bare `w:vMerge` (continue) on the cells below, which hold an empty paragraph.
    """
    merged = {i for i, column in enumerate(annex.columns) if column.key in ASPECT_KEYS}
    parts: list[str] = []
    for aspect in section.aspects:
        activities = aspect.activities or (None,)
        for position, activity in enumerate(activities):
            texts = row_cells(annex, aspect, activity, first=position == 0)
            parts.append("<w:tr>")
            for index, (width, text) in enumerate(zip(widths, texts, strict=True)):
                merge = ""
                if index in merged and len(activities) > 1:
                    merge = '<w:vMerge w:val="restart"/>' if position == 0 else "<w:vMerge/>"
                run = f"<w:r><w:t>{escape(_xml_text(text))}</w:t></w:r>" if text else ""
                parts.append(
                    f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{merge}</w:tcPr>'
                    f'<w:p><w:pPr><w:pStyle w:val="{_CELL_STYLE_ID}"/></w:pPr>{run}</w:p></w:tc>'
                )
            parts.append("</w:tr>")
        if len(parts) > _PARTS_PER_WRITE:
            yield "".join(parts)
            parts.clear()
    yield "".join(parts)


def _xml_text(text: str) -> str:
    """One line of text XML can hold: a tab or a line break would not read back as written,
    and control characters cannot be stored at all."""
    if text.isprintable() and "  " not in text and text == text.strip(" "):
        return text  # the usual cell, already squashed: no whitespace but single spaces
    return strip_non_xml(squash(text))


def _set_properties(document, doc: AnnexDocument, moment: dt.datetime) -> None:
    properties = document.core_properties
    properties.author = "Mejora"
    properties.last_modified_by = "Mejora"
    properties.title = doc.title[:255]
    properties.subject = doc.annex[:255]
    properties.comments = ""
    properties.keywords = ""
    properties.revision = 1
    properties.created = moment
    properties.modified = moment
    properties.last_printed = moment


def _drop_thumbnail(document) -> None:
    """The template's preview picture shows python-docx's empty page, not this annex."""
    rels = document.part.package.rels
    for key in [k for k, rel in rels.items() if rel.reltype == RT.THUMBNAIL]:
        del rels[key]


def _fixed_zip(data: bytes, moment: dt.datetime, rows: Callable[[int], Iterator[str]]) -> bytes:
    """The same parts in the same order, dated `moment` instead of the time of saving, with
    each table's rows written into the document where its mark is."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=moment.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3  # Unix, so that the mode below reads as rw-r--r--
            entry.external_attr = 0o644 << 16
            if info.filename != _DOCUMENT_PART:
                target.writestr(entry, source.read(info.filename))
                continue
            # Between the marks, the document is what python-docx wrote; at each mark, the
            # rows go in as they are made, so that only a few hundred are held at a time.
            pieces = _MARK.split(source.read(info.filename))
            with target.open(entry, "w") as part:
                part.write(pieces[0])
                for index, after in zip(pieces[1::2], pieces[2::2], strict=True):
                    for chunk in rows(int(index)):
                        part.write(chunk.encode("utf-8"))
                    part.write(after)
    return out.getvalue()
