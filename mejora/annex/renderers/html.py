"""The annex as HTML: the fragment the web page shows and, standalone, the page WeasyPrint prints.

One renderer serves both so that the annex looks the same on screen and on paper: the web
page includes the fragment, and the PDF is the standalone document with a print stylesheet
(letter landscape, the column headings repeated atop every page, 'Página N de M').
"""

from __future__ import annotations

from functools import cache
from html import escape
from math import ceil

from mejora.annex.dates import spanish_month_year
from mejora.annex.document import AnnexDocument, AspectEntry, Section
from mejora.annex.formats import FORMATS, AnnexFormat, row_cells

# Width of each column, in percent of the table, shared by the stylesheet and the estimate of
# how tall a row prints. A key missing here (a future format's column) gets DEFAULT_WIDTH.
COLUMN_WIDTHS = {
    "number": 3.5,
    "aspect": 11.5,
    "activity": 13,
    "coordinating": 7.5,
    "responsible": 7.5,
    "due": 6,
    "expected_results": 9.5,
    "deliverable": 9.5,
    "progress": 11,
    "proof": 11.5,
    "observations": 9.5,
}
DEFAULT_WIDTH = 9.0
_SPANNING = ("number", "aspect")  # ASM cells: one per ASM, spanning its activities

# Letter landscape less 1 cm margins, in millimetres; at 7pt a character is ~1.3 mm wide and
# a line ~3 mm tall, so a page holds ~60 lines of a cell.
_TABLE_WIDTH_MM = 259.4
_CHAR_WIDTH_MM = 1.3
_CELL_PADDING_MM = 1.6
# A row that prints in at most this many lines is kept whole on one page; a longer one may
# split across pages (forbidding that would leave near-empty pages or clip the row).
SHORT_ROW_LINES = 18

PRINT_STYLE = """
@page {
  size: letter landscape;
  margin: 1cm;
  @bottom-right {
    content: "Página " counter(page) " de " counter(pages);
    font-family: "Liberation Sans", Arial, Helvetica, "DejaVu Sans", sans-serif;
    font-size: 7pt;
  }
}
html { font-family: "Liberation Sans", Arial, Helvetica, "DejaVu Sans", sans-serif; }
body { margin: 0; font-size: 7pt; line-height: 1.2; color: #000; }
.annex-title { text-align: center; margin: 0 0 3mm; }
.annex-title h1 { font-size: 9pt; margin: 0 0 2mm; }
.annex-title p { font-size: 8pt; font-weight: bold; margin: 0; }
.annex-cycle h2 { font-size: 8pt; margin: 3mm 0 1.5mm; break-after: avoid; }
table.annex {
  width: 100%;
  table-layout: fixed;
  border-collapse: collapse;
}
table.annex thead { display: table-header-group; }
table.annex th, table.annex td {
  border: 0.5pt solid #000;
  padding: 0.8mm;
  vertical-align: top;
  text-align: left;
  overflow-wrap: anywhere;
}
table.annex th { background: #d9d9d9; font-weight: bold; vertical-align: middle; }
table.annex tr.short { break-inside: avoid; }
.annex-footnote, .annex-prepared { font-size: 7pt; margin: 2mm 0 0; }
"""


def render_html(doc: AnnexDocument, *, standalone: bool = True) -> str:
    """The annex as escaped HTML: a printable document, or the fragment a web page embeds."""
    fragment = _fragment(doc)
    if not standalone:
        return fragment
    meta = [
        '<meta charset="utf-8">',
        f"<title>{escape(doc.title)}</title>",
        f'<meta name="author" content="{escape(doc.institution)}">',
        f'<meta name="description" content="{escape(f"{doc.program}. {doc.annex}")}">',
        '<meta name="generator" content="mejora">',
    ]
    return (
        '<!DOCTYPE html>\n<html lang="es">\n<head>\n'
        + "\n".join(meta)
        + f"\n<style>{column_style(FORMATS[doc.kind])}{PRINT_STYLE}</style>\n</head>\n<body>\n"
        + fragment
        + "</body>\n</html>\n"
    )


def column_style(annex: AnnexFormat) -> str:
    """The width of every column, as CSS rules on the table's <col> classes."""
    return "".join(
        f"\ncol.annex-{key} {{ width: {width:.2f}%; }}" for key, width in _widths(annex).items()
    )


def _fragment(doc: AnnexDocument) -> str:
    annex = FORMATS[doc.kind]
    parts = [
        '<article class="annex-document">\n<header class="annex-title">\n',
        f"<h1>{escape(doc.title)}</h1>\n",
        f"<p>{escape(doc.institution)}</p>\n",
        f"<p>{escape(doc.program)}</p>\n",
        f'<p class="annex-line">{escape(doc.annex)}</p>\n</header>\n',
    ]
    for section in doc.sections:
        parts.append(_section(annex, section))
    if doc.footnote:
        parts.append(f'<p class="annex-footnote">{escape(doc.footnote)}</p>\n')
    if doc.prepared is not None:
        prepared = doc.prepared.text or spanish_month_year(doc.prepared)
        parts.append(f'<p class="annex-prepared">Fecha de Elaboración: {escape(prepared)}</p>\n')
    parts.append("</article>\n")
    return "".join(parts)


def _section(annex: AnnexFormat, section: Section) -> str:
    cols = "".join(f'<col class="annex-{escape(c.key)}">' for c in annex.columns)
    headings = "".join(
        f'<th scope="col" class="annex-{escape(c.key)}">{escape(c.heading)}</th>'
        for c in annex.columns
    )
    rows = "".join(_aspect_rows(annex, aspect) for aspect in section.aspects)
    return (
        f'<section class="annex-cycle">\n<h2>{escape(section.heading)}</h2>\n'
        f'<table class="annex">\n<colgroup>{cols}</colgroup>\n'
        f"<thead>\n<tr>{headings}</tr>\n</thead>\n<tbody>\n{rows}</tbody>\n</table>\n</section>\n"
    )


def _aspect_rows(annex: AnnexFormat, aspect: AspectEntry) -> str:
    per_line = _chars_per_line(annex)
    activities = aspect.activities or (None,)
    span = len(activities)
    rows = []
    for position, activity in enumerate(activities):
        first = position == 0
        texts = row_cells(annex, aspect, activity, first)
        cells = []
        lines = 0
        for column, text in zip(annex.columns, texts, strict=True):
            if column.key in _SPANNING:
                if not first:
                    continue
                rowspan = f' rowspan="{span}"' if span > 1 else ""
                cells.append(f'<td class="annex-{escape(column.key)}"{rowspan}>{escape(text)}</td>')
                if span == 1:
                    lines = max(lines, _lines(text, per_line[column.key]))
            else:
                cells.append(f'<td class="annex-{escape(column.key)}">{escape(text)}</td>')
                lines = max(lines, _lines(text, per_line[column.key]))
        short = ' class="short"' if lines <= SHORT_ROW_LINES else ""
        rows.append(f"<tr{short}>{''.join(cells)}</tr>\n")
    return "".join(rows)


@cache
def _widths(annex: AnnexFormat) -> dict[str, float]:
    """Each column's share of the table, in percent: a format with fewer columns widens them."""
    weights = {c.key: COLUMN_WIDTHS.get(c.key, DEFAULT_WIDTH) for c in annex.columns}
    total = sum(weights.values())
    return {key: weight * 100 / total for key, weight in weights.items()}


@cache
def _chars_per_line(annex: AnnexFormat) -> dict[str, float]:
    """About how many characters a printed line of each column holds."""
    return {
        key: max(1.0, (_TABLE_WIDTH_MM * width / 100 - _CELL_PADDING_MM) / _CHAR_WIDTH_MM)
        for key, width in _widths(annex).items()
    }


def _lines(text: str, per_line: float) -> int:
    """A rough count of the printed lines a cell takes, to tell short rows from long ones."""
    # Words do not split, so a line holds somewhat less than its width in characters.
    return ceil(len(text) / (per_line * 0.85))
