"""The seed's own layout: the annex as tab-separated text, readable back by parse_text."""

from __future__ import annotations

from mejora.annex.dates import spanish_month_year
from mejora.annex.document import AnnexDocument
from mejora.annex.formats import FORMATS, row_cells
from mejora.annex.words import squash


def render_text(doc: AnnexDocument) -> str:
    annex = FORMATS[doc.kind]
    header = "\t".join(annex.headings())
    lines = ["", "", doc.title, "", doc.institution, doc.program, "", doc.annex, ""]
    for section in doc.sections:
        lines += [section.heading, "", header]
        for aspect in section.aspects:
            for position, activity in enumerate(aspect.activities or (None,)):
                cells = row_cells(annex, aspect, activity, first=position == 0)
                # A tab or a line break inside a cell would split the row.
                lines.append("\t".join(squash(cell) for cell in cells))
        lines.append("")
    if doc.footnote:
        lines += [doc.footnote, ""]
    # The line closes the annex: without it the file would read back as truncated.
    prepared = ""
    if doc.prepared is not None:
        prepared = doc.prepared.text or spanish_month_year(doc.prepared)
    lines.append(f"Fecha de Elaboración: {prepared}".rstrip())
    return "\n".join(lines) + "\n"
