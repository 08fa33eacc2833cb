"""Reading an annex from a PDF: the one `render_pdf` prints, or one printed alike with ruled tables.

Each page is read with pdfplumber from top to bottom: the text lines above the first table are
the title block, lines matching a cycle heading open a cycle, and every table is found by its
drawn borders. A header row (repeated atop every page) names the annex kind; the other rows go
to `AnnexBuilder`, so every cell is read exactly as the other parsers read it. The page footer
'Página X de Y' is skipped; the footnote and 'Fecha de Elaboración' follow the last table.

A printed cell wraps its text over lines, and the PDF keeps no trace of the space a line broke
at: the width of the lines tells. A line ends at a space only when the next word did not fit
after it; a long word broken anywhere (the renderer's `overflow-wrap: anywhere`) or a break after
'/' or '-' leaves a line that the next word or character would not have fitted either. Where
both readings fit the widths, a line that is one unbroken word, or ends in '/' or '-', is read
as continued without a space, as URLs, file names and compound words are written.

A cell spanning rows (the ASM number and text) that a page break cuts has no bottom border on
that page; a line is drawn in where the column borders end, so pdfplumber still finds it.
"""

from __future__ import annotations

import io
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from mejora.annex.areas import AreaCatalogue
from mejora.annex.document import AnnexDocument, AnnexRejected
from mejora.annex.formats import (
    FOOTNOTE_MARKER,
    FORMATS,
    AnnexFormat,
    format_for_header,
    heading_key,
    read_cycle_heading,
)
from mejora.annex.parsers.rows import (
    PREPARED_LINE,
    AnnexReader,
    CatalogueFor,
    RawRow,
    wrong_columns_message,
)
from mejora.annex.progress import Progress
from mejora.annex.words import fold, squash

NOT_A_PDF = "El archivo no es un PDF válido."
_TABLE_SETTINGS = {
    "vertical_strategy": "lines",
    "horizontal_strategy": "lines",
    "snap_tolerance": 2,
    "join_tolerance": 2,
    "intersection_tolerance": 2,
}
_FIRST_HEADINGS = {heading_key(f.columns[0].heading) for f in FORMATS.values()}
_PAGE_FOOTER = re.compile(r"^pagina\s+\d+\s+de\s+\d+$")
# The footnote marker, or a '1' where the superscript was extracted as a plain digit.
_FOOTNOTE = re.compile(rf"^(?:{FOOTNOTE_MARKER}|1)\s*(?P<text>[^\W\d].*)$")
_SPACE_EM = 0.278  # the width of a space in Liberation Sans and Arial, in ems
_TOLERANCE = 0.05  # points: glyph positions are rounded in the PDF
_SPACED_MARKS = ",:;"
_SAME_LINE = 1.5  # points between the tops of characters on one printed line


def parse_pdf(
    data: bytes,
    *,
    catalogue: AreaCatalogue | CatalogueFor | None = None,
    progress: Progress | None = None,
) -> AnnexDocument:
    """Read an annex from a PDF with ruled tables, such as the one render_pdf prints."""
    if not data.strip():
        raise AnnexRejected("El archivo está vacío.")
    if b"%PDF-" not in data[:1024]:
        raise AnnexRejected(NOT_A_PDF)
    import pdfplumber  # imported here: pdfminer is slow to load and only PDFs need it
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except (PDFPasswordIncorrect, PDFEncryptionError):
        raise AnnexRejected(
            "El PDF está protegido con contraseña: guárdelo sin protección y vuelva a subirlo."
        ) from None
    # A damaged file fails anywhere in pdfminer, each time with its own error.
    except Exception:
        raise AnnexRejected(NOT_A_PDF) from None
    with pdf:
        try:
            pages = pdf.pages
        except (PDFPasswordIncorrect, PDFEncryptionError):
            raise AnnexRejected(
                "El PDF está protegido con contraseña: guárdelo sin protección y vuelva a subirlo."
            ) from None
        except Exception:
            raise AnnexRejected(NOT_A_PDF) from None
        if not pages:
            raise AnnexRejected("El PDF no tiene páginas.")
        return _PdfReader(catalogue, progress=progress).read(pages)


@dataclass
class _Line:
    """One printed line of text: its characters, left to right."""

    chars: list[dict]
    top: float = field(init=False)

    def __post_init__(self) -> None:
        self.chars.sort(key=lambda c: c["x0"])
        self.top = min(c["top"] for c in self.chars)

    @property
    def text(self) -> str:
        return "".join(c["text"] for c in self.chars)

    @property
    def x0(self) -> float:
        return self.chars[0]["x0"]

    @property
    def x1(self) -> float:
        return self.chars[-1]["x1"]


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

    After a hyphen unless a digit follows; after a slash but not inside a number; after '.',
    ',', ':' or ';' only before a digit and not inside a number.
    """
    if char == "-":
        return before.isalnum() and not after.isdigit()
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
    """A line with no place to break: a word the renderer had to break anywhere."""
    texts = [c["text"] for c in line.chars]
    return not any(
        text.isspace() or _may_break_after(texts[i - 1] if i else " ", text, texts[i + 1])
        for i, text in enumerate(texts[:-1])
    )


@dataclass
class _Cell:
    """The printed lines of one table cell and the right edge of its text."""

    lines: list[_Line]
    right: float
    box: tuple[float, float, float, float] | None = None

    def text(self, words: set[str]) -> str:
        if not self.lines:
            return ""
        parts = [self.lines[0].text.strip()]
        for before, after in zip(self.lines, self.lines[1:], strict=False):
            parts.append(_joiner(before, after, self.right, words))
            parts.append(after.text.strip())
        return squash("".join(parts))


def _word_key(text: str) -> str:
    return text.strip(".,:;()\"'«»¿?¡!").casefold()


def _readings(before: _Line, after: _Line, right: float) -> tuple[bool, bool, bool]:
    """Which breaks the widths allow: at a space, after a mark, or anywhere inside a word."""
    used = before.x1
    last = before.chars[-1]
    piece = _first_piece(after, last["text"])
    if not piece:
        return True, False, False
    # The line could have ended at a space only if the next word did not fit after it.
    at_space = used + last["size"] * _SPACE_EM + _width(piece) > right - _TOLERANCE
    # After a mark ('-', '/', ':' before a digit…) when the next piece did not fit.
    previous = before.chars[-2]["text"] if len(before.chars) > 1 else " "
    at_mark = (
        _may_break_after(previous, last["text"], after.chars[0]["text"])
        and used + _width(piece) > right - _TOLERANCE
    )
    # Inside a word only when the line holds nothing but that word, full to the edge.
    anywhere = _one_word(before) and used + _width(after.chars[:1]) > right - _TOLERANCE
    return at_space, at_mark, anywhere


def _surely_spaced(before: _Line, after: _Line, right: float) -> bool:
    at_space, at_mark, anywhere = _readings(before, after, right)
    return at_space and not (at_mark or anywhere)


def _joiner(before: _Line, after: _Line, right: float, words: set[str]) -> str:
    """' ' if the break between two lines of a cell was at a space, '' if inside a word."""
    at_space, at_mark, anywhere = _readings(before, after, right)
    if not at_space:
        return "" if at_mark or anywhere else " "
    if not (at_mark or anywhere):
        return " "
    mark = before.chars[-1]["text"]
    if at_mark:
        # Either reading fits the widths: no space after '-', '/' (compound words, URLs) or
        # '.' (numbers of documents), a space after ':', ',' and ';' before a number.
        return " " if mark in _SPACED_MARKS else ""
    # A word seen whole elsewhere in the document decides, then the case of the letters.
    head = before.text.split(" ")[-1]
    tail = "".join(c["text"] for c in after.chars).split(" ")[0]
    if _word_key(head + tail) in words:
        return ""
    if _word_key(head) in words:
        return " "
    return " " if tail[:1].isupper() and not head[-1:].isupper() else ""


def _cell_lines(chars: list[dict], left: float, right: float) -> _Cell:
    """A cell's printed lines; the text is inset by the same amount on both sides."""
    lines = _lines(chars)
    if not lines:
        return _Cell([], right)
    inset = min(line.x0 for line in lines) - left
    return _Cell(lines, right - inset)


def _whole_words(cells: list[_Cell], words: set[str]) -> None:
    """Add the words printed whole: between spaces, or where the lines surely broke at one."""
    for cell in cells:
        spaced = [
            _surely_spaced(before, after, cell.right)
            for before, after in zip(cell.lines, cell.lines[1:], strict=False)
        ]
        spaced = [True, *spaced, True]
        for number, line in enumerate(cell.lines):
            tokens = line.text.split()
            for index, token in enumerate(tokens):
                starts = index > 0 or spaced[number]
                ends = index < len(tokens) - 1 or spaced[number + 1]
                if starts and ends:
                    words.add(_word_key(token))


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


def _column_index(columns, key: str) -> int:
    return next(i for i, column in enumerate(columns) if column.key == key)


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


def _header_format(texts: list[str]) -> AnnexFormat | None:
    if not texts or heading_key(texts[0]) not in _FIRST_HEADINGS:
        return None
    end = len(texts)
    while end and not texts[end - 1]:
        end -= 1
    return format_for_header(texts[:end])


class _PdfReader(AnnexReader):
    def __init__(
        self, catalogue: AreaCatalogue | CatalogueFor | None, *, progress: Progress | None
    ) -> None:
        super().__init__(catalogue, progress=progress)
        self.in_footnote = False
        self.has_text = False
        self.words: set[str] = set()
        self.aspect_row: RawRow | None = None
        self.aspect_cell: _Cell | None = None

    def read(self, pages) -> AnnexDocument:
        layout = [self._layout(page) for page in self.reading.each(pages, len(pages))]
        words = self.words
        for blocks in layout:
            for block in blocks:
                if not isinstance(block, _Line):
                    _whole_words([cell for row in block for cell in row], words)
        for number, blocks in enumerate(layout, start=1):
            self._page(blocks, number, words)
        return self._finish()

    # --- a page ----------------------------------------------------------------------------

    def _layout(self, page) -> list[_Line | list[list[_Cell]]]:
        """The page's lines outside tables and its tables' rows, top to bottom."""
        settings = dict(_TABLE_SETTINGS, explicit_horizontal_lines=_closing_lines(page))
        tables = sorted(page.find_tables(settings), key=lambda t: t.bbox[1])
        chars = [c for c in page.chars if c["text"]]
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

    def _page(self, blocks, number: int, words: set[str]) -> None:
        first_row = True
        table_number = 0
        for block in blocks:
            if isinstance(block, _Line):
                self._text(squash(block.text), f"página {number}")
                continue
            table_number += 1
            for row_number, cells in enumerate(block, start=1):
                where = f"página {number}, tabla {table_number}, fila {row_number}"
                texts = [cell.text(words) for cell in cells]
                if self._row(texts, cells, where, after_page_break=first_row and number > 1):
                    first_row = False

    # --- text outside the tables -----------------------------------------------------------

    def _text(self, line: str, where: str) -> None:
        if not line or _PAGE_FOOTER.match(fold(line)):
            return
        if read_cycle_heading(line) is not None:
            self.in_footnote = False
            self.pending_headings.append((line, where))
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
        if (annex := _header_format(texts)) is not None:
            self._header(annex, where)
            return False
        if len(filled) == 1 and read_cycle_heading(filled[0]) is not None:
            self.pending_headings.append((filled[0], where))
            return False
        if self.builder is None:
            if fold(texts[0]).rstrip(".") == "no":
                raise AnnexRejected(wrong_columns_message(texts, where))
            # A table before the annex's: the title block laid out in a table.
            for text in filled:
                self._text(text, where)
            return False
        self.open_pending_sections()
        columns = self.builder.annex.columns
        if len(texts) != len(columns):
            raise AnnexRejected(
                f"{where}: la fila tiene {len(texts)} columnas y el "
                f"{self.builder.annex.annex_line.split('.')[0]} tiene {len(columns)}."
            )
        by_key = {column.key: text for column, text in zip(columns, texts, strict=True)}
        if after_page_break and not by_key.get("number") and by_key.get("aspect"):
            self._continue_aspect(by_key, cells[_column_index(columns, "aspect")], where)
        row = RawRow(by_key, where)
        self.builder.add_row(row, after_page_break=after_page_break)
        if by_key.get("number"):
            self.aspect_row = row
            self.aspect_cell = cells[_column_index(columns, "aspect")]
        return True

    def _continue_aspect(self, by_key: dict[str, str], cell: _Cell, where: str) -> None:
        """The ASM text spanning its activities went on past the page: join it to its start."""
        if self.aspect_row is None or self.aspect_cell is None or not self.aspect_cell.lines:
            return
        rest = by_key.pop("aspect")
        before = self.aspect_cell.lines[-1]
        joiner = _joiner(before, cell.lines[0], self.aspect_cell.right, self.words)
        self.aspect_row.cells["aspect"] += joiner + rest
        by_key["aspect"] = ""
        assert self.builder is not None
        self.builder.note(
            "joined_fragment",
            where,
            f"El texto del ASM siguió tras el salto de página: se unió al de la "
            f"{self.aspect_row.where}.",
        )

    def _header(self, annex: AnnexFormat, where: str) -> None:
        if self.builder is None:
            self.start(annex)
        elif self.builder.annex is not annex:
            raise AnnexRejected(f"{where}: el encabezado de columnas cambia a mitad del archivo.")
        self.open_pending_sections()

    # --- the end ---------------------------------------------------------------------------

    def _finish(self) -> AnnexDocument:
        if not self.has_text:
            raise AnnexRejected(
                "El PDF no tiene texto que se pueda leer: parece una imagen escaneada. Suba el "
                "anexo como PDF generado desde el documento, o en XLSX, DOCX o CSV."
            )
        return self.finish(container=" en el PDF")
