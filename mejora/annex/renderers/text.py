"""The seed's own layout: the annex as tab-separated text, readable back by parse_text."""

from __future__ import annotations

import re

from mejora.annex.dates import spanish_month_year
from mejora.annex.document import AnnexDocument
from mejora.annex.formats import FORMATS, header_lines, row_cells, signatory_line
from mejora.annex.words import squash

# What str.splitlines() breaks on, and the tab: inside a cell either would split the row.
_BREAKS = re.compile(r"[\t\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def _one_line(cell: str) -> str:
    return squash(cell) if _BREAKS.search(cell) else cell


def render_text(doc: AnnexDocument) -> str:
    annex = FORMATS[doc.kind]
    header = "\t".join(annex.headings())
    named = header_lines(doc.institution, doc.program, doc.program_key)
    lines = ["", "", doc.title, "", *named, "", doc.annex, ""]
    for section in doc.sections:
        lines += [section.heading, "", header]
        for aspect in section.aspects:
            for position, activity in enumerate(aspect.activities or (None,)):
                cells = row_cells(annex, aspect, activity, first=position == 0)
                lines.append("\t".join(map(_one_line, cells)))
        lines.append("")
    if doc.footnote:
        lines += [doc.footnote, ""]
    if doc.signatories:
        lines += [*map(signatory_line, doc.signatories), ""]
    # The line closes the annex: without it the file would read back as truncated.
    prepared = ""
    if doc.prepared is not None:
        prepared = doc.prepared.text or spanish_month_year(doc.prepared)
    lines.append(f"Fecha de Elaboración: {prepared}".rstrip())
    return "\n".join(lines) + "\n"
