"""Reading an annex from a PDF with ruled tables: the one `render_pdf` prints, or a Word or
LibreOffice document an agency typed and printed.

Each page is read with pdfplumber from top to bottom: the text lines above the first table are
the title block, lines matching a cycle heading open a cycle, and every table is found by its
drawn borders. A header row names the annex and its columns by name, in any order and close
spelling, as in the other formats (`match_header`); a header row that a page break cut is put
back together first. The other rows go to `AnnexBuilder`, so every cell is read exactly as the
other parsers read it. The page footer 'Página X de Y' is skipped; the footnote and 'Fecha de
Elaboración' follow the last table.

A printed cell wraps its text over lines, and the PDF keeps little trace of the space a line
broke at. LibreOffice prints it where it fits before the edge; otherwise the width of the lines
tells. A line ends at a space only when the next word did not fit after it; a long word broken
anywhere (WeasyPrint's `overflow-wrap: anywhere`, LibreOffice's emergency break) or a break
after '/' or '-' leaves a line that the next word or character would not have fitted either.
Where both readings fit the widths, the marks decide ('/' and '-' are continued, ':' before a
number is spaced), then the words the document prints whole elsewhere, then the case of the
letters; a line exactly full of one word before a word never seen whole stays a guess.

A row that a page break cuts goes on atop the next page: its rest is joined to it cell by cell.
A cell spanning rows (the ASM number and text) that a page break cuts may have no bottom border
on that page; a line is drawn in where the column borders end, so pdfplumber still finds it.
"""

from __future__ import annotations

import re
import statistics
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING

from mejora.annex.areas import AreaCatalogue
from mejora.annex.document import AnnexDocument, AnnexRejected
from mejora.annex.formats import (
    FOOTNOTE_MARKER,
    HeaderMatch,
    has_first_heading,
    match_header,
    read_cycle_heading,
)
from mejora.annex.limits import DEFAULT_LIMITS, ReadingLimits
from mejora.annex.messages import Text, gettext_noop
from mejora.annex.parsers.rows import (
    PREPARED_LINE,
    AnnexReader,
    CatalogueFor,
    RawRow,
    wrong_columns_message,
)
from mejora.annex.progress import Progress
from mejora.annex.signatures import Piece, char_pieces

if TYPE_CHECKING:
    from mejora.annex.parsers.pdf_guard import Reading
from mejora.annex.words import fold, squash

_TABLE_SETTINGS = {
    "vertical_strategy": "lines",
    "horizontal_strategy": "lines",
    "snap_tolerance": 2,
    "join_tolerance": 2,
    "intersection_tolerance": 2,
}
_PAGE_FOOTER = re.compile(r"^pagina\s+\d+\s+de\s+\d+$")
# The footnote marker, or a '1' where the superscript was extracted as a plain digit.
_FOOTNOTE = re.compile(rf"^(?:{FOOTNOTE_MARKER}|1)\s*(?P<text>[^\W\d].*)$")
_SPACE_EM = 0.278  # the width of a space in Liberation Sans and Arial, in ems
# A long Spanish word ends in a vowel (a stressed 'í', 'bisturí', not a plain one), or in one
# of a few consonants after a vowel: not 'establecimient', 'privilegiand' nor 'complementari'.
_FINAL_VOWELS = frozenset("aeouáéíóúy")
_FINAL_CONSONANTS = frozenset("lnrsdzjx")
_VOWELS = frozenset("aeiouáéíóúü")
# LibreOffice prints the space a line broke at unless it passes the edge; a little slack
# for the edge, which the reader only estimates.
_KEPT_SPACE_SLACK = 0.5
_OPENING = frozenset("([{¿¡«“")
_CLOSING = frozenset(")]}»”")
_TOLERANCE = 0.05  # points: glyph positions are rounded in the PDF
_SPACED_MARKS = ",:;"
_SAME_LINE = 1.5  # points between the tops of characters on one printed line
_CHAR_KEYS = ("text", "x0", "x1", "top", "bottom", "size", "fontname")
# Between two lines of one paragraph a fraction of the type's size; a blank line is more.
_BLANK_LINE = 0.8


def parse_pdf(
    data: bytes,
    *,
    catalogue: AreaCatalogue | CatalogueFor | None = None,
    progress: Progress | None = None,
    limits: ReadingLimits = DEFAULT_LIMITS,
) -> AnnexDocument:
    """Read an annex from a PDF with ruled tables, such as the one render_pdf prints."""
    if not data.strip():
        raise AnnexRejected(gettext_noop("El archivo está vacío."))
    # imported here: pdfminer is slow to load and only PDFs need it
    from mejora.annex.parsers import pdf_guard

    with pdf_guard.open_pdf(data, limits) as (pdf, account, count):
        if not count:
            raise AnnexRejected(gettext_noop("El PDF no tiene páginas."))
        # pdf.close() is not called: it would make every page again; the data is in memory.
        reader = _PdfReader(catalogue, progress=progress, account=account)
        try:
            return reader.read(pdf_guard.pages(pdf, account), count)
        except _NoTextLayer:
            pass
    # Scanned pages: read by OCR (outside the guard, which measures text laid out by pdfminer).
    from mejora.annex.parsers.scan import parse_scan

    return parse_scan(data, image=False, catalogue=catalogue, progress=progress, limits=limits)


class _NoTextLayer(Exception):
    """The PDF's pages hold no text: images of scanned paper, for the OCR reader."""


@dataclass
class _Line:
    """One printed line of text: its characters, left to right.

    LibreOffice prints the space a line broke at when it fits before the edge; `ink` is the
    line without it, and `spaced_end` says it was there: the break was surely at a space.
    """

    chars: list[dict]
    top: float = field(init=False)
    ink: list[dict] = field(init=False)
    spaced_end: bool = field(init=False)

    def __post_init__(self) -> None:
        self.chars.sort(key=lambda c: c["x0"])
        self.top = min(c["top"] for c in self.chars)
        end = len(self.chars)
        while end and self.chars[end - 1]["text"].isspace():
            end -= 1
        self.ink = self.chars[:end]
        self.spaced_end = end < len(self.chars)

    @property
    def text(self) -> str:
        return "".join(c["text"] for c in self.chars)

    @property
    def x0(self) -> float:
        return self.chars[0]["x0"]

    @property
    def x1(self) -> float:
        return self.ink[-1]["x1"]


def _lines(chars: list[dict]) -> list[_Line]:
    """Characters grouped into printed lines, top to bottom."""
    lines: list[list[dict]] = []
    top = None
    for char in sorted(chars, key=lambda c: (c["top"], c["x0"])):
        if top is None or char["top"] - top > _SAME_LINE:
            lines.append([])
            top = char["top"]
        lines[-1].append(char)
    return [_Line(group) for group in lines if "".join(c["text"] for c in group).strip()]


def _width(chars: list[dict]) -> float:
    return chars[-1]["x1"] - chars[0]["x0"] if chars else 0.0


def _may_break_after(before: str, char: str, after: str) -> bool:
    """Whether a line may break between `char` and `after` without a space (UAX #14, roughly).

    After a hyphen unless a space is before it or a digit after it ('2.-Incorporar' breaks
    after the hyphen); after a slash but not inside a number; after '.', ',', ':' or ';' only
    before a digit and not inside a number.
    """
    if char == "-":
        return not before.isspace() and not after.isdigit()
    if char == "/":
        return not (before.isdigit() and after.isdigit())
    if char in ".,:;":
        return after.isdigit() and not before.isdigit()
    return False


def _first_piece(line: _Line, before: str) -> list[dict]:
    """The characters up to where the line could first break: a space, or after a mark."""
    chars = line.chars
    for index, char in enumerate(chars):
        if char["text"].isspace():
            return chars[:index]
        previous = chars[index - 1]["text"] if index else before
        following = chars[index + 1]["text"] if index + 1 < len(chars) else " "
        if _may_break_after(previous, char["text"], following):
            return chars[: index + 1]
    return chars


def _one_word(line: _Line) -> bool:
    """A line without a space: a word, URL or file name too long for a line of its own, which
    a renderer breaks anywhere (WeasyPrint's `overflow-wrap: anywhere`, LibreOffice even where
    a '/' would have allowed a break)."""
    return not any(c["text"].isspace() for c in line.ink)


def _may_end_word(text: str) -> bool:
    """Whether a long Spanish word may end as `text` does."""
    end = text.casefold()[-2:]
    if end[-1:] in _FINAL_VOWELS:
        return True
    return len(end) == 2 and end[1] in _FINAL_CONSONANTS and end[0] in _VOWELS


@dataclass
class _Evidence:
    """What the whole document shows of how its lines broke: the width of a space in each of
    its fonts, measured (the renderer may have used any font), the words printed whole, and
    whether lines keep the space they broke at (LibreOffice does where it fits)."""

    space_em: dict[str, float] = field(default_factory=dict)
    words: set[str] = field(default_factory=set)
    spaces_kept: bool = False

    def space(self, char: dict) -> float:
        return char["size"] * self.space_em.get(char["fontname"], _SPACE_EM)


def _space_ems(chars) -> dict[str, float]:
    """The width of a space in ems, per font, as the document's own printed spaces measure it."""
    widths: dict[str, list[float]] = {}
    for char in chars:
        if char["text"] == " " and char["size"] and char["x1"] > char["x0"]:
            em = (char["x1"] - char["x0"]) / char["size"]
            widths.setdefault(char["fontname"], []).append(em)
    return {font: statistics.median(found) for font, found in widths.items()}


@dataclass
class _Cell:
    """The printed lines of one table cell and the right edge of its text."""

    lines: list[_Line]
    right: float
    box: tuple[float, float, float, float] | None = None

    def text(self, evidence: _Evidence) -> str:
        if not self.lines:
            return ""
        parts = [self.lines[0].text.strip()]
        for before, after in zip(self.lines, self.lines[1:], strict=False):
            parts.append(_joiner(before, after, self.right, evidence))
            parts.append(after.text.strip())
        return squash("".join(parts))


def _word_key(text: str) -> str:
    return text.strip(".,:;()\"'«»¿?¡!").casefold()


def _readings(
    before: _Line, after: _Line, right: float, evidence: _Evidence
) -> tuple[bool, bool, bool]:
    """Which breaks the widths allow: at a space, after a mark, or anywhere inside a word."""
    used = before.x1
    last = before.ink[-1]
    piece = _first_piece(after, last["text"])
    if not piece:
        return True, False, False
    # The line could have ended at a space only if the next word did not fit after it, and,
    # where lines keep that space, only if the space did not fit either.
    space = evidence.space(last)
    at_space = used + space + _width(piece) > right - _TOLERANCE
    if evidence.spaces_kept:
        at_space = at_space and used + space > right - _KEPT_SPACE_SLACK
    # After a mark ('-', '/', ':' before a digit…) when the next piece did not fit.
    previous = before.ink[-2]["text"] if len(before.ink) > 1 else " "
    at_mark = (
        _may_break_after(previous, last["text"], after.chars[0]["text"])
        and used + _width(piece) > right - _TOLERANCE
    )
    # Inside a word only when the line holds nothing but that word, full to the edge.
    anywhere = _one_word(before) and used + _width(after.chars[:1]) > right - _TOLERANCE
    return at_space, at_mark, anywhere


def _surely_spaced(before: _Line, after: _Line, right: float, evidence: _Evidence) -> bool:
    if before.spaced_end:
        return True
    at_space, at_mark, anywhere = _readings(before, after, right, evidence)
    return at_space and not (at_mark or anywhere)


def _joiner(before: _Line, after: _Line, right: float, evidence: _Evidence) -> str:
    """' ' if the break between two lines of a cell was at a space, '' if inside a word."""
    if before.spaced_end:
        return " "
    at_space, at_mark, anywhere = _readings(before, after, right, evidence)
    if not at_space:
        return "" if at_mark or anywhere else " "
    if not (at_mark or anywhere):
        return " "
    mark = before.ink[-1]["text"]
    if at_mark:
        # Either reading fits the widths: no space after '-', '/' (compound words, URLs) or
        # '.' (numbers of documents), a space after ':', ',' and ';' before a number.
        return " " if mark in _SPACED_MARKS else ""
    head = before.text.split(" ")[-1]
    tail = "".join(c["text"] for c in after.chars).split(" ")[0]
    # No line breaks there but at a space (UAX #14): before an opening bracket or quote, after
    # a closing one, or after a comma or semicolon before a letter; nor at a space next to an
    # underscore.
    if tail[:1] in _OPENING or (head[-1:] in _CLOSING and tail[:1].isalnum()):
        return " "
    if head[-1:] in ",;" and tail[:1].isalpha():
        return " "
    if head.endswith("_") or tail.startswith("_"):
        return ""
    # A word seen whole elsewhere in the document decides.
    words = evidence.words
    if _word_key(head + tail) in words:
        return ""
    tail_key = _word_key(tail)
    # 'correspondiente' | 's': a lone letter other than 'a', 'e', 'o', 'u' or 'y' is no word.
    lone_letter = len(tail_key) == 1 and tail_key not in "aeouy"
    if _word_key(head) in words and not lone_letter:
        return " "
    # A word that just filled the line and the next one, too long for the rest of it
    # ('retroalimentar' | 'el'): what is left of a word broken anywhere is seldom a word seen
    # whole, nor a lone letter ('metodologí' | 'a'), and 'funcionamient' | 'o' is no word that
    # could end there.
    if not lone_letter and tail_key.isalpha() and tail_key in words and _may_end_word(head):
        return " "
    # Then the case of the letters.
    return " " if tail[:1].isupper() and not head[-1:].isupper() else ""


def _cell_lines(chars: list[dict], left: float, right: float) -> _Cell:
    """A cell's printed lines; the text is inset by the same amount on both sides."""
    lines = _lines(chars)
    if not lines:
        return _Cell([], right)
    inset = min(line.x0 for line in lines) - left
    return _Cell(lines, right - inset)


_Spaced = Callable[[_Line, _Line, float], bool]


def _whole_words(layout: list[list[_Block]], evidence: _Evidence, spaced: _Spaced) -> None:
    """Add the words printed whole: between spaces, or where `spaced` says the lines broke at one.

    A cell at the bottom of a page's last table may go on atop the next page, and one atop a
    page's first table may be the rest of one: their text there is no word's end or start.
    """
    last_page = len(layout) - 1
    for number, blocks in enumerate(layout):
        tables = [block for block in blocks if not isinstance(block, _Line)]
        for index, rows in enumerate(tables):
            cells = [cell for row in rows for cell in row if cell.box is not None]
            if not cells:
                continue
            top = min(cell.box[1] for cell in cells)
            bottom = max(cell.box[3] for cell in cells)
            for cell in cells:
                cut_above = number > 0 and index == 0 and abs(cell.box[1] - top) < 1
                cut_below = number < last_page and index == len(tables) - 1
                cut_below = cut_below and abs(cell.box[3] - bottom) < 1
                edges = (not cut_above, not cut_below)
                _cell_words(cell, evidence, spaced, edges)


def _cell_words(
    cell: _Cell, evidence: _Evidence, spaced: _Spaced, edges: tuple[bool, bool]
) -> None:
    breaks = [
        spaced(before, after, cell.right)
        for before, after in zip(cell.lines, cell.lines[1:], strict=False)
    ]
    breaks = [edges[0], *breaks, edges[1]]
    for number, line in enumerate(cell.lines):
        tokens = line.text.split()
        for index, token in enumerate(tokens):
            starts = index > 0 or breaks[number]
            ends = index < len(tokens) - 1 or breaks[number + 1]
            if starts and ends:
                evidence.words.add(_word_key(token))


def _inside(char: dict, bbox: tuple[float, float, float, float]) -> bool:
    x = (char["x0"] + char["x1"]) / 2
    y = (char["top"] + char["bottom"]) / 2
    return bbox[0] <= x <= bbox[2] and bbox[1] <= y <= bbox[3]


def _table_rows(table, chars: list[dict]) -> list[list[_Cell]]:
    """Each row's cells; a cell spanned from a row above reads as empty."""
    cells = [cell for row in table.rows for cell in row.cells if cell is not None]
    by_column: dict[tuple[float, float], list[tuple[float, dict]]] = {}
    columns = sorted({(round(c[0], 1), round(c[2], 1)) for c in cells})
    starts = [x0 for x0, _ in columns]
    for char in chars:
        x = (char["x0"] + char["x1"]) / 2
        index = bisect_right(starts, x) - 1
        if index >= 0 and x <= columns[index][1]:
            y = (char["top"] + char["bottom"]) / 2
            by_column.setdefault(columns[index], []).append((y, char))
    for column_chars in by_column.values():
        column_chars.sort(key=lambda item: item[0])
    rows = []
    for row in table.rows:
        texts = []
        for cell in row.cells:
            if cell is None:
                texts.append(_Cell([], 0.0))
                continue
            column_chars = by_column.get((round(cell[0], 1), round(cell[2], 1)), [])
            ys = [y for y, _ in column_chars]
            inside = column_chars[bisect_left(ys, cell[1]) : bisect_right(ys, cell[3])]
            found = _cell_lines([c for _, c in inside], cell[0], cell[2])
            found.box = tuple(cell)
            texts.append(found)
        rows.append(texts)
    return rows


def _overflow(line: _Line, tables, rows: list[list[list[_Cell]]]) -> bool:
    """Text printed under a table, inside one of its columns: the end of a cell that a page
    break cut (the renderer lets a cell spanning rows overflow the page); added to that cell."""
    middle = (line.chars[0]["top"] + line.chars[0]["bottom"]) / 2
    above = [i for i, t in enumerate(tables) if t.bbox[3] <= middle]
    if not above:
        return False
    index = max(above, key=lambda i: tables[i].bbox[3])
    for row in reversed(rows[index]):
        for cell in row:
            box = cell.box
            if box is not None and box[0] + 1 < line.x0 and line.x1 <= box[2]:
                if abs(box[3] - tables[index].bbox[3]) > 1:
                    return False  # the cell ends above the table's bottom: not cut
                cell.lines.append(line)
                if cell.right == box[2]:  # an empty cell until now: the usual inset
                    cell.right = box[2] - (line.x0 - box[0])
                return True
    return False


_Block = _Line | list[list[_Cell]]


def _rough_text(cell: _Cell) -> str:
    return squash(" ".join(line.text for line in cell.lines))


def _join_cut_headers(layout: list[list[_Block]]) -> None:
    """A header row cut by a page break (Word and LibreOffice let any row break) ends one page
    and its rest starts the next page's first table: the rest goes back into the header's cells,
    line after line, so the headings read whole."""
    for blocks, following in pairwise(layout):
        ending = [b for b in blocks if not isinstance(b, _Line) or not _is_page_footer(b)]
        starting = [b for b in following if not isinstance(b, _Line) or not _is_page_footer(b)]
        if not (ending and starting and isinstance(ending[-1], list) and ending[-1]):
            continue
        if not (isinstance(starting[0], list) and starting[0]):
            continue
        header, rest = ending[-1][-1], starting[0][0]
        header_texts = [_rough_text(cell) for cell in header]
        if len(header) != len(rest) or not has_first_heading(header_texts):
            continue
        rest_texts = [_rough_text(cell) for cell in rest]
        whole = [
            squash(f"{top} {bottom}") for top, bottom in zip(header_texts, rest_texts, strict=True)
        ]
        if _header_format(whole) is None or _header_format(rest_texts) is not None:
            continue  # not a header, or a whole header repeated atop the page
        for top, bottom in zip(header, rest, strict=True):
            if bottom.lines and not top.lines:
                top.right = bottom.right
            top.lines.extend(bottom.lines)
        del starting[0][0]


def _measured(layout: list[list[_Block]]) -> _Evidence:
    """How the document prints: the width of its spaces, and whether wrapped lines keep theirs."""
    cells = [
        cell
        for blocks in layout
        for block in blocks
        if not isinstance(block, _Line)
        for row in block
        for cell in row
    ]
    lines = [block for blocks in layout for block in blocks if isinstance(block, _Line)]
    lines += [line for cell in cells for line in cell.lines]
    return _Evidence(
        space_em=_space_ems(char for line in lines for char in line.chars),
        spaces_kept=any(line.spaced_end for cell in cells for line in cell.lines[:-1]),
    )


def _runs_to_bottom(cell: _Cell | None) -> bool:
    """Whether a cell's text reaches the bottom of its box, as where a page break cut it."""
    if cell is None or cell.box is None or not cell.lines:
        return False
    last = cell.lines[-1]
    return cell.box[3] - max(c["bottom"] for c in last.chars) < last.ink[-1]["size"]


def _is_page_footer(line: _Line) -> bool:
    return _PAGE_FOOTER.match(fold(squash(line.text))) is not None


def _closing_lines(page) -> list[float]:
    """Where column borders end without going on: the bottom of a table or of a cut row."""
    tops: dict[float, list[float]] = {}
    verticals = [e for e in page.edges if e["orientation"] == "v"]
    for edge in verticals:
        tops.setdefault(round(edge["x0"]), []).append(edge["top"])
    return sorted(
        {
            round(edge["bottom"], 1)
            for edge in verticals
            if not any(abs(top - edge["bottom"]) < 1 for top in tops[round(edge["x0"])])
        }
    )


def _header_format(texts: list[str]) -> HeaderMatch | None:
    """The annex whose columns the row names, in the file's own order and close spelling."""
    if not has_first_heading(texts):
        return None
    end = len(texts)
    while end and not texts[end - 1]:
        end -= 1
    return match_header(texts[:end])


class _PdfReader(AnnexReader):
    def __init__(
        self,
        catalogue: AreaCatalogue | CatalogueFor | None,
        *,
        progress: Progress | None,
        account: Reading,
    ) -> None:
        super().__init__(catalogue, progress=progress)
        self.account = account
        self.in_footnote = False
        self.has_text = False
        self.evidence = _Evidence()
        self.aspect_row: RawRow | None = None
        self.aspect_cell: _Cell | None = None
        # The last activity row read, and its cells, for the rest of it a page break cut.
        self.last_row: RawRow | None = None
        self.last_cells: dict[str, _Cell] = {}
        self.line_bottom = 0.0  # of the last line outside the tables, for a blank line after it

    def read(self, pages: Iterator, count: int) -> AnnexDocument:
        layout = [self._guarded_layout(page) for page in self.reading.each(pages, count)]
        _join_cut_headers(layout)
        evidence = self.evidence = _measured(layout)
        _whole_words(layout, evidence, lambda a, b, right: _surely_spaced(a, b, right, evidence))
        # A second look, with the breaks the words seen so far settle: 'modificaciones' | 'a las'
        # makes 'modificaciones' a word, which settles 'modificaciones' | 'necesarias'.
        first = _Evidence(evidence.space_em, set(evidence.words), evidence.spaces_kept)
        _whole_words(layout, evidence, lambda a, b, right: _joiner(a, b, right, first) == " ")
        for number, blocks in enumerate(layout, start=1):
            self._page(blocks, number)
        return self._finish()

    # --- a page ----------------------------------------------------------------------------

    def _guarded_layout(self, page) -> list[_Block]:
        """A page's layout, or the file's rejection: an error met while a page is read (a box
        of junk, an object cut short) is the page's damage, never a crash of the reading."""
        from mejora.annex.parsers.pdf_guard import page_damage

        try:
            with page_damage(self.account, page.page_number):
                blocks = self._layout(page)
        finally:
            page.close()  # its objects are in the layout now; pdfplumber's caches can go
        self.account.check()
        return blocks

    def _layout(self, page) -> list[_Block]:
        """The page's lines outside tables and its tables' rows, top to bottom."""
        settings = dict(_TABLE_SETTINGS, explicit_horizontal_lines=_closing_lines(page))
        tables = sorted(page.find_tables(settings), key=lambda t: t.bbox[1])
        # Only what the reading looks at is kept of each glyph, for every page until the end:
        # pdfplumber's own record of a glyph is four times the size.
        chars = [{key: c[key] for key in _CHAR_KEYS} for c in page.chars if c["text"]]
        if any(c["text"].strip() for c in chars):
            self.has_text = True
        in_tables: list[list[dict]] = [[] for _ in tables]
        outside = []
        for char in chars:
            index = next((i for i, t in enumerate(tables) if _inside(char, t.bbox)), None)
            if index is None:
                outside.append(char)
            else:
                in_tables[index].append(char)
        rows = [_table_rows(t, c) for t, c in zip(tables, in_tables, strict=True)]
        lines = [line for line in _lines(outside) if not _overflow(line, tables, rows)]
        blocks: list[tuple[float, object]] = [(line.top, line) for line in lines]
        blocks += [(t.bbox[1], r) for t, r in zip(tables, rows, strict=True)]
        blocks.sort(key=lambda block: block[0])
        return [block for _, block in blocks]

    def _page(self, blocks, number: int) -> None:
        first_row = True
        table_number = 0
        for block in blocks:
            if isinstance(block, _Line):
                where = Text(gettext_noop("página {number}"), number=number)
                if not self._signature_line(block, where):
                    self.end_signatures(self._kept_line)
                    self._text(squash(block.text), where)
                continue
            self.end_signatures(self._kept_line)
            table_number += 1
            if self._signature_table(block, number, table_number):
                continue
            for row_number, cells in enumerate(block, start=1):
                where = Text(
                    gettext_noop("página {number}, tabla {table_number}, fila {row_number}"),
                    number=number,
                    table_number=table_number,
                    row_number=row_number,
                )
                texts = [cell.text(self.evidence) for cell in cells]
                if self._row(texts, cells, where, after_page_break=first_row and number > 1):
                    first_row = False
        self.end_signatures(self._kept_line)

    # --- signatures side by side -----------------------------------------------------------

    def _signature_line(self, line: _Line, where: str) -> bool:
        """Whether a line outside the tables goes into a block of signatures side by side,
        its pieces parted by wide spaces; a space of a blank line above it is a gap."""
        if _is_page_footer(line):
            return False
        size = line.ink[-1]["size"] if line.ink else 0.0
        if self.side_by_side.lines and line.top - self.line_bottom > _BLANK_LINE * size:
            self.side_by_side.offer([])
        self.line_bottom = max(c["bottom"] for c in line.chars)
        return self.offer_signature_line(line.text, char_pieces(line.ink), where)

    def _kept_line(self, text: str, where: str) -> None:
        self._text(squash(text), where)

    def _signature_table(self, rows: list[list[_Cell]], page: int, table_number: int) -> bool:
        """Whether a table below the annex's, of other columns, holds signatures side by side;
        each cell's printed lines stand where the cell does."""
        if self.builder is None or self.header is None:
            return False
        width = len(self.header.columns)
        texts = [[_rough_text(cell) for cell in row] for row in rows]
        if any(len(row) == width or _header_format(row) is not None for row in texts):
            return False
        lines: list[list[Piece]] = []
        for row in rows:
            depth = max((len(cell.lines) for cell in row), default=0)
            for index in range(depth):
                lines.append(
                    [
                        Piece(cell.box[0], cell.box[2], squash(cell.lines[index].text))
                        for cell in row
                        if cell.box is not None and index < len(cell.lines)
                    ]
                )
        where = Text(
            gettext_noop("página {number}, tabla {table_number}, fila {row_number}"),
            number=page,
            table_number=table_number,
            row_number=1,
        )
        return self.take_signatures(lines, where)

    # --- text outside the tables -----------------------------------------------------------

    def _text(self, line: str, where: str) -> None:
        if not line or _PAGE_FOOTER.match(fold(line)):
            return
        if read_cycle_heading(line) is not None:
            self.in_footnote = False
            self.pending_headings.append((line, where))
        elif self.read_signatory(line):
            self.in_footnote = False
        elif (prepared := PREPARED_LINE.match(line)) is not None and not self.prepared_seen:
            self.in_footnote = False
            self.read_prepared(prepared["date"], where)
        elif self.builder is None and not self.pending_headings:
            self.preamble.append(line)
        elif not self.footnote and (footnote := _FOOTNOTE.match(line)) is not None:
            self.footnote = f"{FOOTNOTE_MARKER} {footnote['text']}"
            self.in_footnote = True
        elif self.in_footnote:
            self.footnote = f"{self.footnote} {line}"  # the footnote wrapped
        else:
            self.note("ignored_line", where, f"Texto fuera de la tabla, no se leyó: «{line[:60]}».")

    # --- table rows ------------------------------------------------------------------------

    def _row(
        self, texts: list[str], cells: list[_Cell], where: str, *, after_page_break: bool
    ) -> bool:
        """Read one table row; True when it was a data row given to the builder."""
        filled = [text for text in texts if text]
        if not filled:
            return False
        self.in_footnote = False
        if (header := _header_format(texts)) is not None:
            self._header(header, where)
            return False
        if len(filled) == 1 and read_cycle_heading(filled[0]) is not None:
            self.pending_headings.append((filled[0], where))
            return False
        if self.builder is None:
            if has_first_heading(texts) and len(filled) > 1:
                raise AnnexRejected(wrong_columns_message(texts, where))
            # A table before the annex's: the title block laid out in a table.
            for text in filled:
                self._text(text, where)
            return False
        if self.pending_headings:
            self.last_row = None  # a new cycle: no row of the last one goes on in it
        self.open_pending_sections()
        assert self.header is not None
        columns = self.header.columns
        if len(texts) != len(columns):
            raise AnnexRejected(
                gettext_noop(
                    "{where}: la fila tiene {count} columnas y el {annex} tiene {expected}."
                ),
                where=where,
                count=len(texts),
                annex=self.builder.annex.annex_line.split(".")[0],
                expected=len(columns),
            )
        # A column of no annex is left unread; the header's findings say so.
        by_key = self.header.cells(texts)
        by_cell = {c.key: cell for c, cell in zip(columns, cells, strict=True) if c is not None}
        if after_page_break and not by_key.get("number") and by_key.get("aspect"):
            self._continue_aspect(by_key, by_cell["aspect"], where)
        if after_page_break and self._rest_of_row(by_key):
            self._join_rest(by_key, by_cell, where)
            return True
        row = RawRow(by_key, where)
        self.builder.add_row(row, after_page_break=False)
        self.last_row, self.last_cells = row, by_cell
        if by_key.get("number"):
            self.aspect_row = row
            self.aspect_cell = by_cell["aspect"]
        return True

    def _rest_of_row(self, by_key: dict[str, str]) -> bool:
        """Whether a page's first row is the rest of the last row before the break: no ASM
        number, no date, and no area but the end of one the page cut (its cell on the page
        before runs down to the bottom: 'Dirección General de Análisis y Prospectiva y
        Dirección' | 'General de Opciones Productivas')."""
        if self.last_row is None or by_key.get("number") or by_key.get("due"):
            return False
        return all(
            not by_key.get(key) or _runs_to_bottom(self.last_cells.get(key))
            for key in ("coordinating", "responsible")
        )

    def _join_rest(self, by_key: dict[str, str], by_cell: dict[str, _Cell], where: str) -> None:
        """Each cell of a row's rest joined to its start, at a space or not as the lines tell."""
        row = self.last_row
        assert row is not None and self.builder is not None
        for key, text in by_key.items():
            if not text:
                continue
            before, cell = self.last_cells.get(key), by_cell[key]
            if row.cells.get(key) and before is not None and before.lines and cell.lines:
                joiner = _joiner(before.lines[-1], cell.lines[0], before.right, self.evidence)
                row.cells[key] += joiner + text
            else:
                row.cells[key] = squash(f"{row.cells.get(key, '')} {text}")
            self.last_cells[key] = cell
        self.builder.note(
            "joined_fragment",
            where,
            f"Fila partida por un salto de página: su texto se unió a la fila de la {row.where}.",
        )

    def _continue_aspect(self, by_key: dict[str, str], cell: _Cell, where: str) -> None:
        """The ASM text spanning its activities went on past the page: join it to its start."""
        if self.aspect_row is None or self.aspect_cell is None or not self.aspect_cell.lines:
            return
        rest = by_key.pop("aspect")
        before = self.aspect_cell.lines[-1]
        joiner = _joiner(before, cell.lines[0], self.aspect_cell.right, self.evidence)
        self.aspect_row.cells["aspect"] += joiner + rest
        by_key["aspect"] = ""
        assert self.builder is not None
        self.builder.note(
            "joined_fragment",
            where,
            f"El texto del ASM siguió tras el salto de página: se unió al de la "
            f"{self.aspect_row.where}.",
        )

    def _header(self, header: HeaderMatch, where: str) -> None:
        if self.builder is None:
            self.start_with(header, where)
        elif header.columns != self.header.columns:
            raise AnnexRejected(
                gettext_noop("{where}: el encabezado de columnas cambia a mitad del archivo."),
                where=where,
            )
        self.open_pending_sections()

    # --- the end ---------------------------------------------------------------------------

    def _finish(self) -> AnnexDocument:
        if not self.has_text:
            raise _NoTextLayer
        return self.finish(container=" en el PDF")
