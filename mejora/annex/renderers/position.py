"""Anexo F (posición institucional) issued as text, Word, PDF, and its tables as XLSX and CSV.

All formats lay out the same blocks (position_blocks): the title block, the five numbered
sections, and the tables of recommendations, ASM, counts and signatories, so the readers of
parsers.position read text, Word and PDF back to the same document.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from html import escape

from mejora.annex.position import (
    ACCEPTANCE_LABELS,
    CLASSIFICATION_ROWS,
    PRIORITY_ROWS,
    TOTAL_LABEL,
    Block,
    Paragraph,
    PositionDocument,
    Table,
)
from mejora.annex.renderers.office import strip_non_xml

POSITION_FILE_FORMATS = ("txt", "docx", "pdf", "xlsx", "csv")
RECOMMENDATION_HEADINGS = (
    "Recomendación",
    "Se acepta (Sí/No)",
    "Comentarios de las unidades administrativas",
)
ASPECT_HEADINGS = ("No.", "Aspecto Susceptible de Mejora", "Clasificación", "Prioridad")
CLASSIFICATION_HEADINGS = ("Clasificación de los ASM", "Número")
PRIORITY_HEADINGS = ("Prioridad de los ASM", "Número")
SIGNATORY_HEADINGS = ("Nombre", "Cargo")
HEADINGS = {
    "general": "1. Comentarios generales",
    "specific": "2. Comentarios específicos",
    "discarded": "Recomendaciones descartadas",
    "sources": "3. Fuentes de información utilizadas",
    "units": "4. Unidades administrativas que participaron",
    "signatories": "5. Firmantes",
}


def recommendation_rows(doc: PositionDocument) -> list[tuple[str, ...]]:
    return [(r.text, ACCEPTANCE_LABELS[r.accepted], r.comment) for r in doc.recommendations]


def aspect_rows(doc: PositionDocument) -> list[tuple[str, ...]]:
    return [(a.number, a.text, a.classification, a.priority) for a in doc.aspects]


def count_rows(doc: PositionDocument) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """The counts by classification (with the total) and by priority, as stated."""
    counts = doc.counts
    by_class = [
        (label, str(getattr(counts, key)))
        for key, label, _ in CLASSIFICATION_ROWS
        if getattr(counts, key) is not None
    ]
    if counts.total is not None:
        by_class.append((TOTAL_LABEL, str(counts.total)))
    by_priority = [
        (label, str(getattr(counts, key)))
        for key, label, _ in PRIORITY_ROWS
        if getattr(counts, key) is not None
    ]
    return by_class, by_priority


def layout(doc: PositionDocument) -> Iterator[tuple[str, Block]]:
    """The annex in reading order, each block with its role: 'title', 'line', 'heading',
    'text' or 'table'."""
    yield "title", Paragraph(doc.title)
    yield "line", Paragraph(f"Nombre de la Dependencia/Entidad: {doc.institution}")
    yield "line", Paragraph(f"Nombre del programa: {doc.program}")
    yield "line", Paragraph(f"Nombre de la evaluación: {doc.evaluation}")
    yield "heading", Paragraph(HEADINGS["general"])
    for text in doc.general_comments:
        yield "text", Paragraph(text)
    yield "heading", Paragraph(HEADINGS["specific"])
    for text in doc.specific_comments:
        yield "text", Paragraph(text)
    if doc.recommendations:
        yield "table", Table((RECOMMENDATION_HEADINGS, *recommendation_rows(doc)))
    if doc.aspects:
        yield "table", Table((ASPECT_HEADINGS, *aspect_rows(doc)))
    by_class, by_priority = count_rows(doc)
    if by_class:
        yield "table", Table((CLASSIFICATION_HEADINGS, *by_class))
    if by_priority:
        yield "table", Table((PRIORITY_HEADINGS, *by_priority))
    if doc.discarded:
        yield "heading", Paragraph(HEADINGS["discarded"])
        for text in doc.discarded:
            yield "text", Paragraph(text)
    for key, items in (("sources", doc.sources), ("units", doc.units)):
        yield "heading", Paragraph(HEADINGS[key])
        for text in items:
            yield "text", Paragraph(text)
    yield "heading", Paragraph(HEADINGS["signatories"])
    if doc.signatories:
        rows = tuple((s.name, s.post) for s in doc.signatories)
        yield "table", Table((SIGNATORY_HEADINGS, *rows))


def render_position(doc: PositionDocument, file_format: str) -> bytes:
    match file_format:
        case "txt":
            return render_position_text(doc).encode("utf-8")
        case "csv":
            return render_position_csv(doc)
        case "xlsx":
            return render_position_xlsx(doc)
        case "docx":
            return render_position_docx(doc)
        case "pdf":
            return render_position_pdf(doc)
    raise ValueError(f"unknown Anexo F file format: {file_format}")


def render_position_text(doc: PositionDocument) -> str:
    lines: list[str] = []
    for _role, block in layout(doc):
        if isinstance(block, Paragraph):
            lines.append(block.text)
        else:
            lines.extend("\t".join(row) for row in block.rows)
            lines.append("")
    return "\n".join(lines) + "\n"


def _tables(doc: PositionDocument) -> list[tuple[str, tuple[str, ...], list[tuple[str, ...]]]]:
    """The annex's tables with a name each, as the spreadsheet formats carry them."""
    by_class, by_priority = count_rows(doc)
    return [
        ("Recomendaciones", RECOMMENDATION_HEADINGS, recommendation_rows(doc)),
        ("ASM", ASPECT_HEADINGS, aspect_rows(doc)),
        ("Clasificación", CLASSIFICATION_HEADINGS, by_class),
        ("Prioridad", PRIORITY_HEADINGS, by_priority),
        ("Recomendaciones descartadas", ("Recomendación",), [(t,) for t in doc.discarded]),
    ]


def render_position_csv(doc: PositionDocument) -> bytes:
    """The tables one under the other, each after a line naming it, for Excel (UTF-8 with BOM)."""
    from mejora.annex.renderers.csv import _defused

    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(_defused([doc.title, doc.institution, doc.program, doc.evaluation]))
    for name, headings, rows in _tables(doc):
        writer.writerow([])
        writer.writerow([name])
        writer.writerow(headings)
        writer.writerows(_defused(list(row)) for row in rows)
    return out.getvalue().encode("utf-8-sig")


def render_position_xlsx(doc: PositionDocument) -> bytes:
    """One sheet per table, with the title block atop each."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from mejora.annex.renderers.office import _FALLBACK_MOMENT

    book = Workbook()
    book.remove(book.active)
    book.properties.creator = "Mejora"
    book.properties.created = book.properties.modified = _FALLBACK_MOMENT
    for name, headings, rows in _tables(doc):
        sheet = book.create_sheet(name[:31])
        for line in (doc.title, doc.program, doc.evaluation, ""):
            sheet.append([strip_non_xml(line)])
        sheet.append(list(headings))
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([strip_non_xml(value) for value in row])
        sheet.column_dimensions["A"].width = 40
        sheet.column_dimensions["B"].width = 50
        sheet.column_dimensions["C"].width = 50
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render_position_docx(doc: PositionDocument) -> bytes:
    """A letter-size Word document, the same bytes for the same annex."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    from mejora.annex.renderers.docx import _drop_thumbnail, _fixed_zip
    from mejora.annex.renderers.office import _FALLBACK_MOMENT

    document = Document()
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = "Arial", Pt(10)
    normal.paragraph_format.space_after = Pt(6)
    for role, block in layout(doc):
        if isinstance(block, Table):
            table = document.add_table(rows=0, cols=len(block.rows[0]))
            table.style = document.styles["Table Grid"]
            for index, values in enumerate(block.rows):
                cells = table.add_row().cells
                for cell, value in zip(cells, values, strict=True):
                    cell.paragraphs[0].paragraph_format.space_after = Pt(0)
                    cell.paragraphs[0].add_run(strip_non_xml(value)).bold = index == 0
            document.add_paragraph()
            continue
        paragraph = document.add_paragraph()
        run = paragraph.add_run(strip_non_xml(block.text))
        run.bold = role in ("title", "heading")
        if role == "title":
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if role == "heading":
            paragraph.paragraph_format.space_before = Pt(12)
            paragraph.paragraph_format.keep_with_next = True
    properties = document.core_properties
    properties.author = properties.last_modified_by = "Mejora"
    properties.title = doc.title[:255]
    properties.revision = 1
    properties.created = properties.modified = properties.last_printed = _FALLBACK_MOMENT
    _drop_thumbnail(document)
    raw = io.BytesIO()
    document.save(raw)
    return _fixed_zip(raw.getvalue(), _FALLBACK_MOMENT, lambda _index: iter(()))


_STYLE = """
@page { size: letter; margin: 2cm;
  @bottom-right { content: "Página " counter(page) " de " counter(pages); font-size: 8pt; } }
body { font-family: "Liberation Sans", Arial, Helvetica, sans-serif; font-size: 10pt;
  line-height: 1.25; }
h1 { font-size: 12pt; text-align: center; margin: 0 0 12pt; }
h2 { font-size: 10.5pt; margin: 16pt 0 8pt; page-break-after: avoid; }
p { margin: 0 0 8pt; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0 12pt; }
th, td { border: 0.75pt solid #000; padding: 3pt; vertical-align: top; text-align: left;
  font-size: 9pt; }
th { background: #d9d9d9; }
tr { break-inside: avoid; }
"""


def render_position_html(doc: PositionDocument) -> str:
    """The standalone page WeasyPrint prints."""
    parts = [
        '<!DOCTYPE html><html lang="es-MX"><head><meta charset="utf-8">',
        f'<title>{escape(doc.title)}</title><meta name=author content="{escape(doc.institution)}">',
        f"<style>{_STYLE}</style></head><body>",
    ]
    for role, block in layout(doc):
        if isinstance(block, Table):
            [headings, *rows] = block.rows
            parts.append("<table><thead><tr>")
            parts.extend(f'<th scope="col">{escape(h)}</th>' for h in headings)
            parts.append("</tr></thead><tbody>")
            for row in rows:
                parts.append("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in row) + "</tr>")
            parts.append("</tbody></table>")
        else:
            tag = {"title": "h1", "heading": "h2"}.get(role, "p")
            parts.append(f"<{tag}>{escape(block.text)}</{tag}>")
    parts.append("</body></html>")
    return "".join(parts)


def render_position_pdf(doc: PositionDocument) -> bytes:
    from mejora.annex.renderers.pdf import render_pdf_from_html

    return render_pdf_from_html(render_position_html(doc))
