"""The free format of interinstitutional ASM, issued: one block of labelled fields per ASM.

`free_paragraphs` lays the document out once, as paragraphs (a label and its value, or plain
text); text, Word, HTML and PDF each print those paragraphs, so `parse_free` reads every one of
them back to the same document. A value written over several lines (areas listed one per line)
keeps its lines as paragraphs of their own, which the reader joins back to the field before.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from html import escape

from mejora.annex.dates import spanish_month_year
from mejora.annex.document import AnnexDocument
from mejora.annex.formats import FORMATS, header_lines, row_cells, signatory_line
from mejora.annex.parsers.free import LABEL_OF, number_line

FREE_RENDER_FORMATS = ("txt", "docx", "pdf", "html")
_COMMITMENT_KEYS = (
    "activity",
    "coordinating",
    "responsible",
    "due",
    "expected_results",
    "deliverable",
)
_PROGRESS_KEYS = ("progress", "proof", "observations")


@dataclass(frozen=True)
class Paragraph:
    text: str
    label: str = ""  # printed in bold before the text, with its colon
    style: str = "text"  # 'title', 'heading', 'number', 'activity' (its first field) or 'text'


def free_paragraphs(doc: AnnexDocument) -> list[Paragraph]:
    annex = FORMATS[doc.kind]
    columns = [column.key for column in annex.columns]
    keys = _COMMITMENT_KEYS + (_PROGRESS_KEYS if annex.has_progress else ())
    out = [Paragraph(doc.title, style="title")]
    out += [Paragraph(line, style="title") for line in header_lines(
        doc.institution, doc.program, doc.program_key
    )]  # fmt: skip
    if doc.annex:
        out.append(Paragraph(doc.annex, style="title"))
    for section in doc.sections:
        out.append(Paragraph(section.heading, style="heading"))
        for aspect in section.aspects:
            out.append(Paragraph(number_line(aspect.number), style="number"))
            out += _field(LABEL_OF["aspect"].written, aspect.text)
            for activity in aspect.activities:
                # The cells as the table would print them, by column.
                row = row_cells(annex, aspect, activity, first=False)
                cells = dict(zip(columns, row, strict=True))
                for key in keys:
                    # The first field of each activity set apart from the one before.
                    style = "activity" if key == keys[0] else "text"
                    out += _field(LABEL_OF[key].written, cells[key], style)
    if doc.footnote:
        out.append(Paragraph(doc.footnote))
    out += [Paragraph(signatory_line(s)) for s in doc.signatories]
    prepared = ""
    if doc.prepared is not None:
        prepared = doc.prepared.text or spanish_month_year(doc.prepared)
    out.append(Paragraph(prepared, label="Fecha de Elaboración"))
    return out


def _field(label: str, value: str, style: str = "text") -> list[Paragraph]:
    """The label and the value's first line; its further lines as paragraphs of their own."""
    first, *rest = [line.strip() for line in value.split("\n") if line.strip()] or [""]
    return [Paragraph(first, label=label, style=style), *(Paragraph(line) for line in rest)]


def render_free(doc: AnnexDocument, file_format: str) -> bytes:
    match file_format:
        case "txt":
            return render_free_text(doc).encode("utf-8")
        case "docx":
            return render_free_docx(doc)
        case "html":
            return render_free_html(doc).encode("utf-8")
        case "pdf":
            from weasyprint import HTML

            return HTML(string=render_free_html(doc)).write_pdf()
    raise ValueError(f"the free format is not issued as {file_format}")


def _line(paragraph: Paragraph) -> str:
    return f"{paragraph.label}: {paragraph.text}".rstrip() if paragraph.label else paragraph.text


def render_free_text(doc: AnnexDocument) -> str:
    lines: list[str] = []
    for paragraph in free_paragraphs(doc):
        if paragraph.style in ("heading", "number", "activity") or (
            paragraph.label == "Fecha de Elaboración"
        ):
            lines.append("")
        lines.append(_line(paragraph))
    return "\n".join(lines).lstrip("\n") + "\n"


_STYLE = """@page { size: letter; margin: 2cm 2cm 2.2cm;
  @bottom-right { content: "Página " counter(page) " de " counter(pages); font-size: 8pt; } }
html { font-family: "Liberation Sans", Arial, Helvetica, "DejaVu Sans", sans-serif; }
body { font-size: 10pt; line-height: 1.25; color: #000; margin: 0; }
p { margin: 0 0 6pt; break-inside: avoid; }
p.title { font-weight: bold; }
p.activity { margin-top: 10pt; }
h2 { font-size: 10.5pt; margin: 12pt 0 6pt; break-after: avoid; }
h3 { font-size: 10pt; margin: 10pt 0 6pt; break-after: avoid; }
"""


def render_free_html(doc: AnnexDocument) -> str:
    body = []
    for paragraph in free_paragraphs(doc):
        text = escape(paragraph.text)
        if paragraph.style == "heading":
            body.append(f"<h2>{text}</h2>")
        elif paragraph.style == "number":
            body.append(f"<h3>{text}</h3>")
        elif paragraph.label:
            label = f"<strong>{escape(paragraph.label)}:</strong>"
            body.append(f'<p class="{paragraph.style}">{label} {text}</p>')
        else:
            body.append(f'<p class="{paragraph.style}">{text}</p>')
    return (
        '<!DOCTYPE html>\n<html lang="es">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(doc.annex or doc.title)}</title>\n"
        f'<meta name="author" content="{escape(doc.institution)}">\n'
        f"<style>{_STYLE}</style>\n</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )


def render_free_docx(doc: AnnexDocument) -> bytes:
    from docx import Document
    from docx.shared import Pt

    from mejora.annex.renderers.office import strip_non_xml

    document = Document()
    document.core_properties.title = doc.annex or doc.title
    document.core_properties.author = doc.institution
    # The same file for the same annex: no time of rendering in it.
    moment = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    document.core_properties.created = document.core_properties.modified = moment
    for paragraph in free_paragraphs(doc):
        if paragraph.style == "heading":
            document.add_heading(strip_non_xml(paragraph.text), level=2)
            continue
        if paragraph.style == "number":
            document.add_heading(strip_non_xml(paragraph.text), level=3)
            continue
        written = document.add_paragraph()
        if paragraph.label:
            written.add_run(f"{paragraph.label}: ").bold = True
        run = written.add_run(strip_non_xml(paragraph.text))
        run.bold = paragraph.style == "title"
        written.paragraph_format.space_after = Pt(4)
        if paragraph.style == "activity":
            written.paragraph_format.space_before = Pt(10)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
