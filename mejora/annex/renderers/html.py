"""The annex as HTML: the fragment the web page shows and, standalone, the page WeasyPrint prints.

One renderer serves both so that the annex looks the same on screen and on paper: the web
page includes the fragment, and the PDF is the standalone document with a print stylesheet
(letter landscape, the column headings repeated atop every page, 'Página N de M'). A long
annex is printed in parts, each a standalone page of a bounded number of rows (render_html_part).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from html import escape
from math import ceil

from mejora.annex.dates import spanish_month_year
from mejora.annex.document import AnnexDocument, AspectEntry, Section
from mejora.annex.formats import FORMATS, AnnexFormat, header_lines, row_cells, signatory_line

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

# The page box and its footer, shared by the printed annex and the page numbers that a long
# annex, printed in parts, has stamped on afterwards (renderers.pdf).
PAGE_STYLE = """
@page {
  size: letter landscape;
  margin: 1cm;
  @bottom-right {
    content: "Página " counter(page) " de " counter(pages);
    font-family: "Liberation Sans", Arial, Helvetica, "DejaVu Sans", sans-serif;
    font-size: 7pt;
  }
}
"""
PRINT_STYLE = (
    PAGE_STYLE
    + """html { font-family: "Liberation Sans", Arial, Helvetica, "DejaVu Sans", sans-serif; }
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
)
# A part leaves the footer blank: its page numbers are not yet known.
_PART_STYLE = "@page { @bottom-right { content: none; } }\n"

# Where a part of the annex starts or stops: (section index, row index within the section's
# table), row HEADING being the section's heading. The whole annex runs from (0, HEADING), the
# title block included, to (number of sections, HEADING).
Position = tuple[int, int]
HEADING = -1


@dataclass(frozen=True)
class HtmlPart:
    """A printable page holding part of the annex; its rows and headings carry ids."""

    html: str
    stop: Position | None  # where the next part starts; None when this part ends the annex
    anchors: dict[str, Position]  # each id, and the row or heading it marks


def render_html(doc: AnnexDocument, *, standalone: bool = True) -> str:
    """The annex as escaped HTML: a printable document, or the fragment a web page embeds."""
    # A web page names each table for screen readers; the printed annex has no captions.
    fragment = _fragment(
        doc, (0, HEADING), (len(doc.sections), HEADING), None, captions=not standalone
    )
    if not standalone:
        return fragment
    return _page(doc, fragment, "")


def render_html_part(doc: AnnexDocument, *, start: Position, rows: int) -> HtmlPart:
    """Up to `rows` table rows from `start`, as a printable page with a blank footer.

    A long annex is printed part by part so that memory stays bounded; the ids let the printer
    find where each page starts, and a part starting inside an ASM repeats its cells empty, as
    a table continued on a new page does.
    """
    stop = _stop_after(doc, start, max(rows, 1))
    anchors: dict[str, Position] = {}
    fragment = _fragment(doc, start, stop, anchors)
    end = stop == (len(doc.sections), HEADING)
    return HtmlPart(_page(doc, fragment, _PART_STYLE), None if end else stop, anchors)


def table_rows(doc: AnnexDocument) -> int:
    """How many body rows the annex's tables print, all sections together."""
    return sum(_row_count(section) for section in doc.sections)


def render_page_numbers(*, first: int, count: int, total: int) -> str:
    """Blank pages footed 'Página first de total' onwards, to stamp on an annex printed in parts."""
    footer = f'"Página " counter(page) " de {total}"'
    style = (
        f"{PAGE_STYLE}@page {{ @bottom-right {{ content: {footer}; }} }}\n"
        f"@page :first {{ counter-reset: page {first}; }}\n"
        "div + div { break-before: page; }\n"
    )
    return (
        '<!DOCTYPE html>\n<html lang="es">\n<head>\n<meta charset="utf-8">\n'
        f"<style>{style}</style>\n</head>\n<body>\n{'<div></div>' * count}\n</body>\n</html>\n"
    )


def column_style(annex: AnnexFormat) -> str:
    """The width of every column, as CSS rules on the table's <col> classes."""
    return "".join(
        f"\ncol.annex-{key} {{ width: {width:.2f}%; }}" for key, width in _widths(annex).items()
    )


def _page(doc: AnnexDocument, fragment: str, extra_style: str) -> str:
    meta = [
        '<meta charset="utf-8">',
        f"<title>{escape(doc.title)}</title>",
        f'<meta name="author" content="{escape(doc.institution)}">',
        f'<meta name="description" content="{escape(f"{doc.program}. {doc.annex}")}">',
        '<meta name="generator" content="mejora">',
    ]
    style = column_style(FORMATS[doc.kind]) + PRINT_STYLE + extra_style
    return (
        '<!DOCTYPE html>\n<html lang="es">\n<head>\n'
        + "\n".join(meta)
        + f"\n<style>{style}</style>\n</head>\n<body>\n"
        + fragment
        + "</body>\n</html>\n"
    )


def _row_count(section: Section) -> int:
    # An ASM without activities still prints one row.
    return sum(max(1, len(aspect.activities)) for aspect in section.aspects)


def _stop_after(doc: AnnexDocument, start: Position, rows: int) -> Position:
    """Where a part of `rows` table rows from `start` ends (the end of the annex at most)."""
    index, row = start
    while index < len(doc.sections):
        if rows == 0:
            return index, row
        first = max(row, 0)
        available = _row_count(doc.sections[index]) - first
        if available > rows:
            return index, first + rows
        rows -= available
        index, row = index + 1, HEADING
    return len(doc.sections), HEADING


def _fragment(
    doc: AnnexDocument,
    start: Position,
    stop: Position,
    anchors: dict[str, Position] | None,
    *,
    captions: bool = False,
) -> str:
    """The annex from `start` to `stop`: the title opens it only at the start, the closing lines
    only at the end."""
    annex = FORMATS[doc.kind]
    parts = ['<article class="annex-document">\n']
    if start == (0, HEADING):
        parts += [
            '<header class="annex-title">\n',
            f"<h1>{escape(doc.title)}</h1>\n",
            *(
                f"<p>{escape(line)}</p>\n"
                for line in header_lines(doc.institution, doc.program, doc.program_key)
            ),
            f'<p class="annex-line">{escape(doc.annex)}</p>\n</header>\n',
        ]
    for index in range(start[0], min(stop[0] + 1, len(doc.sections))):
        first = start[1] if index == start[0] else HEADING
        last = stop[1] if index == stop[0] else None
        if last != HEADING:
            parts.append(
                _section(annex, doc.sections[index], index, first, last, anchors, caption=captions)
            )
    if stop == (len(doc.sections), HEADING):
        if doc.footnote:
            parts.append(f'<p class="annex-footnote">{escape(doc.footnote)}</p>\n')
        parts += [
            f'<p class="annex-signatory">{escape(signatory_line(signatory))}</p>\n'
            for signatory in doc.signatories
        ]
        if doc.prepared is not None:
            prepared = doc.prepared.text or spanish_month_year(doc.prepared)
            parts.append(
                f'<p class="annex-prepared">Fecha de Elaboración: {escape(prepared)}</p>\n'
            )
    parts.append("</article>\n")
    return "".join(parts)


def _section(
    annex: AnnexFormat,
    section: Section,
    index: int,
    first: int,
    last: int | None,
    anchors: dict[str, Position] | None,
    *,
    caption: bool = False,
) -> str:
    """The section's heading (when `first` is HEADING) and table rows first..last."""
    cols = "".join(f'<col class="annex-{escape(c.key)}">' for c in annex.columns)
    headings = "".join(
        f'<th scope="col" class="annex-{escape(c.key)}">{escape(c.heading)}</th>'
        for c in annex.columns
    )
    heading = ""
    if first == HEADING:
        heading = (
            f"<h2{_anchor(anchors, f'h{index}', (index, HEADING))}>{escape(section.heading)}</h2>\n"
        )
    first = max(first, 0)
    last = _row_count(section) if last is None else last
    rows = []
    offset = 0  # the section row of the aspect's first activity
    for aspect in section.aspects:
        count = max(1, len(aspect.activities))
        lo, hi = max(first - offset, 0), min(last - offset, count)
        if lo < hi:
            ids = [
                _anchor(anchors, f"r{index}-{offset + at}", (index, offset + at))
                for at in range(lo, hi)
            ]
            rows.append(_aspect_rows(annex, aspect, lo, hi, ids))
        offset += count
        if offset >= last:
            break
    caption_html = (
        f'<caption class="annex-caption">{escape(section.heading)}</caption>\n' if caption else ""
    )
    return (
        f'<section class="annex-cycle">\n{heading}'
        f'<table class="annex">\n{caption_html}<colgroup>{cols}</colgroup>\n'
        f"<thead>\n<tr>{headings}</tr>\n</thead>\n<tbody>\n{''.join(rows)}</tbody>\n</table>\n"
        "</section>\n"
    )


def _anchor(anchors: dict[str, Position] | None, name: str, position: Position) -> str:
    """An id attribute recording where it points, or nothing when no anchors are wanted."""
    if anchors is None:
        return ""
    anchors[name] = position
    return f' id="{name}"'


def _aspect_rows(annex: AnnexFormat, aspect: AspectEntry, lo: int, hi: int, ids: list[str]) -> str:
    """The rows of activities lo..hi; the first carries the ASM cells, empty past activity 0."""
    per_line = _chars_per_line(annex)
    activities = aspect.activities or (None,)
    span = hi - lo
    rows = []
    for position in range(lo, hi):
        texts = row_cells(annex, aspect, activities[position], position == 0)
        cells = []
        lines = 0
        for column, text in zip(annex.columns, texts, strict=True):
            if column.key in _SPANNING:
                if position != lo:
                    continue
                rowspan = f' rowspan="{span}"' if span > 1 else ""
                cells.append(f'<td class="annex-{escape(column.key)}"{rowspan}>{escape(text)}</td>')
                # Whether a row is short must not depend on where a part cuts the ASM.
                if len(activities) == 1:
                    lines = max(lines, _lines(text, per_line[column.key]))
            else:
                cells.append(f'<td class="annex-{escape(column.key)}">{escape(text)}</td>')
                lines = max(lines, _lines(text, per_line[column.key]))
        short = ' class="short"' if lines <= SHORT_ROW_LINES else ""
        rows.append(f"<tr{ids[position - lo]}{short}>{''.join(cells)}</tr>\n")
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
